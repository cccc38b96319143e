"""Cohere v2 chat responses <-> AIF.

Cohere reports two sets of counts: ``usage.tokens`` (what the model saw and
wrote, read as AIF usage) and ``usage.billed_units`` (kept as Cohere extra data).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from aifkit.aif._loss import LossLog, SourceMap
from aifkit.aif._response import Response
from aifkit.aif._vocab import COHERE_FINISH, COHERE_USAGE
from aifkit.aif.converters._base import EncodeOptions
from aifkit.aif.converters._common import expect_obj
from aifkit.aif.converters._response_base import ResponseCodec
from aifkit.aif.converters._response_wire import Obj, shape
from aifkit.aif.converters._wire import ext

__all__ = ["CohereResponses"]

_TOP = frozenset({"id", "finish_reason", "message", "usage"})


class CohereResponses(ResponseCodec):
    """v2 ``ChatResponse`` bodies (``POST /v2/chat`` without streaming)."""

    name = "cohere"
    reply_keys: ClassVar[Mapping[str, str]] = {"id": "id"}
    empty_turn: ClassVar[Mapping[str, Any]] = {"role": "assistant", "content": []}
    finish = COHERE_FINISH
    usage_fields = COHERE_USAGE

    def _decode(self, body: Obj, sm: SourceMap, losses: LossLog) -> Response:
        wire = expect_obj(body.get("message"), ("message",))
        message = self.decode_turn(wire, ("message",), sm, losses)
        finish = self.read_finish(body.get("finish_reason"), ("finish_reason",))
        sm.add(("finish_reason",), ("finish_reason",))
        return self.reply(body, message, finish, sm, extra=self.top_extra(body, _TOP, sm))

    def _encode(self, response: Response, options: EncodeOptions, losses: LossLog) -> Obj:
        form, extra = ext(response.extensions, self.name, (), losses)
        self.drop_fields(response, ("id",), losses)
        wire = self.assistant_turn(response.message, options, losses)
        if isinstance(wire.get("content"), str):  # a request may write text as a string
            wire["content"] = [{"type": "text", "text": wire["content"]}] if wire["content"] else []
        full: Obj = {
            "id": self.fill(response.id, "aif", (), "an id", losses),
            "finish_reason": self.fill(
                self.write_finish(response, losses), "COMPLETE", (), "a finish reason", losses
            ),
            "message": wire,
            "usage": self.write_usage(response.usage, losses) if response.usage else None,
        }
        full.update(extra)
        return shape(full, form.get("keys"))
