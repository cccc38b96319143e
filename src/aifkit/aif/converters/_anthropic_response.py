"""Anthropic Messages responses (``message`` objects) <-> AIF.

Anthropic counts ``input_tokens`` without the tokens read from or written to the
prompt cache; AIF's ``input_tokens`` is the sum, split again on encode.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, cast

from aifkit.aif._loss import LossLog, SourceMap
from aifkit.aif._response import FinishReason, Response, Usage
from aifkit.aif.converters._base import EncodeOptions
from aifkit.aif.converters._response_base import ResponseCodec
from aifkit.aif.converters._response_message import decode_message
from aifkit.aif.converters._response_wire import (
    Obj,
    add,
    expect_list,
    expect_obj,
    rest,
    shape,
    sub,
)

__all__ = ["AnthropicResponses"]

_TOP = frozenset({"id", "type", "role", "model", "content", "stop_reason", "usage"})

USAGE_SPEC = {
    "input_tokens": "input_tokens",
    "cache_creation_input_tokens": "cache_write_tokens",
    "cache_read_input_tokens": "cache_read_tokens",
    "output_tokens": "output_tokens",
    "output_tokens_details.thinking_tokens": "reasoning_tokens",
}


class AnthropicResponses(ResponseCodec):
    """``message`` bodies (``POST /v1/messages`` without streaming)."""

    name = "anthropic"
    empty_turn: ClassVar[Mapping[str, Any]] = {"role": "assistant", "content": []}
    finish_reasons: ClassVar[Mapping[str, FinishReason]] = {
        "end_turn": "stop",
        "max_tokens": "length",
        "tool_use": "tool_calls",
        "refusal": "refusal",
        "pause_turn": "pause",
        "stop_sequence": "stop",
        "model_context_window_exceeded": "length",
    }

    def _decode(self, body: Obj, sm: SourceMap, losses: LossLog) -> Response:
        content = expect_list(body.get("content"), ("content",))
        request = {
            "messages": [
                {"role": "user", "content": "."},
                {"role": "assistant", "content": content},
            ]
        }
        message = decode_message(self.name, request, 1, ("messages", 1), (), sm, losses)
        finish, raw = self.read_finish(body.get("stop_reason"), ("stop_reason",))
        sm.add(("finish_reason",), ("stop_reason",))
        extra = {k: v for k, v in rest(body, _TOP).items() if v is not None}
        sm.add(("id",), ("id",))
        sm.add(("model",), ("model",))
        self.keep_extra(extra, (), (), sm)
        return Response(
            id=body.get("id"),
            model=body.get("model"),
            message=message,
            finish_reason=finish,
            raw_finish_reason=raw,
            usage=self._read_usage(body, sm),
            extensions=self.ext(extra, {"keys": list(body)}),
        )

    def _read_usage(self, body: Obj, sm: SourceMap) -> Usage | None:
        if body.get("usage") is None:
            return None
        usage = expect_obj(body["usage"], ("usage",))
        counts, ext = self.read_usage(usage, ("usage",), USAGE_SPEC, sm)
        if counts.get("input_tokens") is not None:
            counts["input_tokens"] = add(
                counts["input_tokens"],
                counts.get("cache_read_tokens"),
                counts.get("cache_write_tokens"),
            )
        return Usage(**counts, extensions=ext)

    def _encode(self, response: Response, options: EncodeOptions, losses: LossLog) -> Obj:
        form, extra = self.own(response.extensions)
        self.foreign(response.extensions, (), losses)
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
            "usage": self._write_usage(response.usage, losses),
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

    def _write_usage(self, usage: Usage | None, losses: LossLog) -> Obj:
        if usage is None:
            return {"input_tokens": 0, "output_tokens": 0}
        counts = {
            "input_tokens": sub(
                usage.input_tokens, usage.cache_read_tokens, usage.cache_write_tokens
            )
            or 0,
            "cache_read_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
            "output_tokens": usage.output_tokens or 0,
            "reasoning_tokens": usage.reasoning_tokens,
        }
        return self.write_usage(usage, USAGE_SPEC, counts, losses)
