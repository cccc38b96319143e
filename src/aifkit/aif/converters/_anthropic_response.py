"""Anthropic Messages responses (``message`` objects) <-> AIF.

Anthropic counts ``input_tokens`` without the tokens read from or written to the
prompt cache; AIF's ``input_tokens`` is the sum, split again on encode.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, cast

from aifkit.aif._loss import LossLog, SourceMap
from aifkit.aif._response import Response, Usage
from aifkit.aif._vocab import ANTHROPIC_FINISH, ANTHROPIC_USAGE
from aifkit.aif.converters._base import EncodeOptions
from aifkit.aif.converters._common import expect_list
from aifkit.aif.converters._response_base import ResponseCodec
from aifkit.aif.converters._response_wire import Obj, shape
from aifkit.aif.converters._wire import ext

__all__ = ["AnthropicResponses"]

_TOP = frozenset({"id", "type", "role", "model", "content", "stop_reason", "usage"})


class AnthropicResponses(ResponseCodec):
    """``message`` bodies (``POST /v1/messages`` without streaming)."""

    name = "anthropic"
    reply_keys: ClassVar[Mapping[str, str]] = {"id": "id", "model": "model"}
    empty_turn: ClassVar[Mapping[str, Any]] = {"role": "assistant", "content": []}
    finish = ANTHROPIC_FINISH
    usage_fields = ANTHROPIC_USAGE

    def _decode(self, body: Obj, sm: SourceMap, losses: LossLog) -> Response:
        content = expect_list(body.get("content"), ("content",))
        message = self.decode_turn({"role": "assistant", "content": content}, (), sm, losses)
        finish = self.read_finish(body.get("stop_reason"), ("stop_reason",))
        sm.add(("finish_reason",), ("stop_reason",))
        extra = self.top_extra(body, _TOP, sm, nulls=False)
        return self.reply(body, message, finish, sm, extra=extra)

    def _encode(self, response: Response, options: EncodeOptions, losses: LossLog) -> Obj:
        form, extra = ext(response.extensions, self.name, (), losses)
        self.drop_fields(response, ("id", "model"), losses)
        wire = self.assistant_turn(response.message, options, losses)
        content: Any = wire.get("content", [])
        if isinstance(content, str):  # a request may write one text block as a string
            content = [{"type": "text", "text": content}] if content else []
        content = self.keep_blank_text(
            cast("list[Any]", content), response.message, losses, "anthropic"
        )
        finish = self.write_finish(response, losses)
        full: Obj = {
            "id": self.fill(response.id, "msg_aif", (), "an id", losses),
            "type": "message",
            "role": "assistant",
            "model": self.fill(response.model or options.model, "unknown", (), "a model", losses),
            "content": cast("list[Any]", content),
            "stop_reason": finish,
            "stop_sequence": None,
            "usage": self.write_usage(response.usage or Usage(), losses, fill=True),
        }
        full.update(extra)
        keys = form.get("keys") or [
            "id",
            "type",
            "role",
            "model",
            "content",
            "stop_reason",
            "stop_sequence",
            "usage",
        ]
        return shape(full, keys)
