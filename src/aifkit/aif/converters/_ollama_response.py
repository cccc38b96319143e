"""Ollama ``/api/chat`` responses (``stream: false``) <-> AIF.

Ollama reports no response id; its counts are ``prompt_eval_count`` and
``eval_count``, its timings (nanoseconds) are kept as Ollama extra data. A reply
that calls tools stops with ``stop``; AIF says ``tool_calls``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from aifkit._json import type_name
from aifkit.aif._loss import LossLog, SourceMap
from aifkit.aif._response import Response, Usage
from aifkit.aif._schema import ToolCallPart
from aifkit.aif._vocab import OLLAMA_FINISH, OLLAMA_USAGE
from aifkit.aif.converters._base import EncodeOptions
from aifkit.aif.converters._common import expect_obj, fail
from aifkit.aif.converters._response_base import ResponseCodec
from aifkit.aif.converters._response_wire import Obj, shape
from aifkit.aif.converters._wire import ext

__all__ = ["OllamaResponses"]

_TOP = frozenset(
    {"model", "created_at", "message", "done", "done_reason", "prompt_eval_count", "eval_count"}
)
_FIXED = frozenset({"done"})


class OllamaResponses(ResponseCodec):
    """``ChatResponse`` bodies (``POST /api/chat`` with ``"stream": false``)."""

    name = "ollama"
    reply_keys: ClassVar[Mapping[str, str]] = {"model": "model", "created_at": "created_at"}
    finish = OLLAMA_FINISH
    usage_fields = OLLAMA_USAGE

    def _read_usage(self, body: Obj, sm: SourceMap) -> Usage | None:
        return self._read_counts(body, sm)

    def _decode(self, body: Obj, sm: SourceMap, losses: LossLog) -> Response:
        wire = expect_obj(body.get("message"), ("message",))
        message = self.decode_turn(wire, ("message",), sm, losses)
        finish = self.read_finish(
            body.get("done_reason"),
            ("done_reason",),
            calls=any(isinstance(p, ToolCallPart) for p in message.parts),
        )
        sm.add(("finish_reason",), ("done_reason",))
        extra = self.top_extra(body, _TOP, sm)
        form: Obj = {"keys": list(body)}
        created = body.get("created_at")
        if created is not None:
            form["created_at"] = created
        return self.reply(body, message, finish, sm, extra=extra, form=form)

    def read_created(self, body: Obj) -> datetime | None:
        """``created_at``, an RFC 3339 time with nanoseconds."""
        return parse_time(body.get("created_at"))

    def _read_counts(self, body: Obj, sm: SourceMap) -> Usage | None:
        # Ollama's counts are top-level fields, not a usage object.
        counts: dict[str, int | None] = {}
        for key, name in self.usage_fields.keys.items():
            value = body.get(key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise fail((key,), f"expected an integer token count, got {type_name(value)}")
            counts[key] = value
            sm.add(("usage", name), (key,))
        return Usage(**self.usage_fields.to_aif(counts)) if counts else None  # pyright: ignore[reportArgumentType]

    def _encode(self, response: Response, options: EncodeOptions, losses: LossLog) -> Obj:
        form, extra = ext(response.extensions, self.name, (), losses)
        self.drop_fields(response, ("model", "created_at"), losses)
        wire = self.assistant_turn(response.message, options, losses)
        finish = self.write_finish(response, losses)
        counts: dict[str, int | None] = {}
        if response.usage is not None:
            counts = self.usage_fields.to_wire(response.usage)
            self.drop_usage(response.usage, tuple(self.usage_fields.keys.values()), losses)
            ext(response.usage.extensions, self.name, ("usage",), losses)
        full: Obj = {
            "model": self.fill(response.model or options.model, "unknown", (), "a model", losses),
            "created_at": self._time(response.created_at, form.get("created_at")),
            "message": wire,
            "done": True,
            "done_reason": finish,
            **counts,
        }
        full.update(extra)
        return shape(full, form.get("keys"), _FIXED)

    @staticmethod
    def _time(value: datetime | None, raw: Any) -> str | None:
        # Ollama writes nanoseconds and local offsets; the text it sent is kept and
        # written back while it still names the same instant.
        if isinstance(raw, str) and parse_time(raw) == value:
            return raw
        return None if value is None else value.isoformat().replace("+00:00", "Z")


def parse_time(value: Any) -> datetime | None:
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
