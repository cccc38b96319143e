"""Cohere v2 chat responses <-> AIF.

Cohere reports two sets of counts: ``usage.tokens`` (what the model saw and
wrote, read as AIF usage) and ``usage.billed_units`` (kept as Cohere extra data).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from aifkit.aif._loss import LossLog, SourceMap
from aifkit.aif._response import FinishReason, Response, Usage
from aifkit.aif.converters._base import EncodeOptions
from aifkit.aif.converters._response_base import ResponseCodec
from aifkit.aif.converters._response_message import decode_message
from aifkit.aif.converters._response_wire import (
    Obj,
    expect_obj,
    rest,
    shape,
)

__all__ = ["CohereResponses"]

_TOP = frozenset({"id", "finish_reason", "message", "usage"})

USAGE_SPEC = {
    "tokens.input_tokens": "input_tokens",
    "tokens.output_tokens": "output_tokens",
    "cached_tokens": "cache_read_tokens",
}


class CohereResponses(ResponseCodec):
    """v2 ``ChatResponse`` bodies (``POST /v2/chat`` without streaming)."""

    name = "cohere"
    empty_turn: ClassVar[Mapping[str, Any]] = {"role": "assistant", "content": []}
    finish_reasons: ClassVar[Mapping[str, FinishReason]] = {
        "COMPLETE": "stop",
        "MAX_TOKENS": "length",
        "TOOL_CALL": "tool_calls",
        "ERROR": "error",
        "STOP_SEQUENCE": "stop",
        "TIMEOUT": "error",
    }

    def _decode(self, body: Obj, sm: SourceMap, losses: LossLog) -> Response:
        wire = expect_obj(body.get("message"), ("message",))
        request = {"messages": [{"role": "user", "content": "."}, wire]}
        message = decode_message(self.name, request, 1, ("messages", 1), ("message",), sm, losses)
        finish, raw = self.read_finish(body.get("finish_reason"), ("finish_reason",))
        sm.add(("finish_reason",), ("finish_reason",))
        extra = rest(body, _TOP)
        sm.add(("id",), ("id",))
        self.keep_extra(extra, (), (), sm)
        return Response(
            id=body.get("id"),
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
        return Usage(**counts, extensions=ext)

    def _encode(self, response: Response, options: EncodeOptions, losses: LossLog) -> Obj:
        form, extra = self.own(response.extensions)
        self.foreign(response.extensions, (), losses)
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
            "usage": self._write_usage(response.usage, losses),
        }
        full.update(extra)
        return shape(full, form.get("keys"))

    def _write_usage(self, usage: Usage | None, losses: LossLog) -> Obj | None:
        if usage is None:
            return None
        counts = {
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cache_read_tokens": usage.cache_read_tokens,
        }
        return self.write_usage(usage, USAGE_SPEC, counts, losses)
