"""Ollama ``/api/chat`` responses (``stream: false``) <-> AIF.

Ollama reports no response id; its counts are ``prompt_eval_count`` and
``eval_count``, its timings (nanoseconds) are kept as Ollama extra data. A reply
that calls tools stops with ``stop``; AIF says ``tool_calls``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from aifkit.aif._loss import LossLog, SourceMap
from aifkit.aif._response import FinishReason, Response, Usage
from aifkit.aif._schema import ToolCallPart
from aifkit.aif.converters._base import EncodeOptions
from aifkit.aif.converters._common import fail
from aifkit.aif.converters._response_base import ResponseCodec
from aifkit.aif.converters._response_message import decode_message
from aifkit.aif.converters._response_wire import (
    Obj,
    expect_obj,
    rest,
    shape,
)

__all__ = ["OllamaResponses"]

_TOP = frozenset(
    {"model", "created_at", "message", "done", "done_reason", "prompt_eval_count", "eval_count"}
)
_FIXED = frozenset({"done"})


class OllamaResponses(ResponseCodec):
    """``ChatResponse`` bodies (``POST /api/chat`` with ``"stream": false``)."""

    name = "ollama"
    finish_reasons: ClassVar[Mapping[str, FinishReason]] = {
        "stop": "stop",
        "length": "length",
        "load": "other",
        "unload": "other",
    }

    def _decode(self, body: Obj, sm: SourceMap, losses: LossLog) -> Response:
        wire = expect_obj(body.get("message"), ("message",))
        request = {"messages": [{"role": "user", "content": "."}, wire]}
        message = decode_message(self.name, request, 1, ("messages", 1), ("message",), sm, losses)
        finish, raw = self.read_finish(body.get("done_reason"), ("done_reason",))
        sm.add(("finish_reason",), ("done_reason",))
        if finish == "stop" and any(isinstance(p, ToolCallPart) for p in message.parts):
            finish = "tool_calls"
        extra = rest(body, _TOP)
        sm.add(("model",), ("model",))
        sm.add(("created_at",), ("created_at",))
        self.keep_extra(extra, (), (), sm)
        form: Obj = {"keys": list(body)}
        created = body.get("created_at")
        if created is not None:
            form["created_at"] = created
        counts: dict[str, Any] = {
            "input_tokens": body.get("prompt_eval_count"),
            "output_tokens": body.get("eval_count"),
        }
        usage = None
        if any(v is not None for v in counts.values()):
            for name, key in (
                ("input_tokens", "prompt_eval_count"),
                ("output_tokens", "eval_count"),
            ):
                if counts[name] is not None and (
                    isinstance(counts[name], bool) or not isinstance(counts[name], int)
                ):
                    raise fail((key,), "expected an integer token count")
                sm.add(("usage", name), (key,))
            usage = Usage(**counts)
        return Response(
            model=body.get("model"),
            message=message,
            finish_reason=finish,
            raw_finish_reason=raw,
            usage=usage,
            created_at=_parse_time(created),
            extensions=self.ext(extra, form),
        )

    def _encode(self, response: Response, options: EncodeOptions, losses: LossLog) -> Obj:
        form, extra = self.own(response.extensions)
        self.foreign(response.extensions, (), losses)
        self.drop_fields(response, ("model", "created_at"), losses)
        wire = self.assistant_turn(response.message, options, losses)
        if response.finish_reason == "tool_calls" and response.raw_finish_reason in (None, "stop"):
            finish: str | None = "stop"
        else:
            finish = self.write_finish(response, losses)
        usage = response.usage
        if usage is not None:
            self.drop_usage(usage, ("input_tokens", "output_tokens"), losses)
            self.foreign(usage.extensions, ("usage",), losses)
        full: Obj = {
            "model": self.fill(response.model or options.model, "unknown", (), "a model", losses),
            "created_at": self._time(response.created_at, form.get("created_at")),
            "message": wire,
            "done": True,
            "done_reason": finish,
            "prompt_eval_count": usage.input_tokens if usage else None,
            "eval_count": usage.output_tokens if usage else None,
        }
        full.update(extra)
        return shape(full, form.get("keys"), _FIXED)

    @staticmethod
    def _time(value: datetime | None, raw: Any) -> str | None:
        # Ollama writes nanoseconds and local offsets; the text it sent is kept and
        # written back while it still names the same instant.
        if isinstance(raw, str) and _parse_time(raw) == value:
            return raw
        return None if value is None else value.isoformat().replace("+00:00", "Z")


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    text = value.replace("Z", "+00:00")
    head, dot, tail = text.partition(".")
    if dot:  # Python reads at most six fractional digits
        digits = len(tail) - len(tail.lstrip("0123456789"))
        tail = tail[: min(digits, 6)] + tail[digits:]
        text = f"{head}.{tail}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
