"""Cohere v2 chat streams (``POST /v2/chat`` with ``"stream": true``), decoded and encoded.

Decoding: ``message-start`` is `ResponseStart` (its ``id``); ``content-start``,
``content-delta`` and ``content-end`` are a text part (a ``thinking`` content a
reasoning part); ``tool-plan-delta`` fragments are a text part, as the cohere
converter reads a ``tool_plan``; ``tool-call-start``, ``tool-call-delta`` and
``tool-call-end`` are a tool call (id and name on its start, argument fragments
after); ``message-end`` is `ResponseEnd`, with ``finish_reason`` and ``usage``
(its ``error``, when set, a `StreamError`). Each ``citation-start`` holds one
citation: they are carried on `ResponseEnd.extensions` as the response converter
keeps a reply's ``citations`` (Cohere extra data on the message); ``citation-end``
and ``[DONE]`` are ignored. Content and tool calls are numbered apart (each from 0): the decoder
keeps one map for each.

Encoding: every event at once, nothing held: Cohere names each block by index and
never interleaves content blocks, but every neutral part is already its own block.
A refusal is written as text (Cohere has no refusal). Cohere's own citations (from
`ResponseEnd.extensions`) are written as ``citation-start``/``citation-end`` pairs
before ``message-end``. An error is a
``message-end`` with ``finish_reason: ERROR`` and the message under
``delta.error``, as Cohere reports a failure mid-stream.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

from aifkit.aif._events import (
    PartDelta,
    PartEnd,
    PartKind,
    PartStart,
    ResponseEnd,
    ResponseStart,
    StreamError,
    StreamEvent,
)
from aifkit.aif._sse_codec import (
    BuiltinCodec,
    EventEncoder,
    PayloadDecoder,
    cut_short,
    event_type,
    frame,
    text_or_none,
)
from aifkit.aif._stream import expect_int, expect_obj, expect_str, field, stream_error
from aifkit.aif._vocab import COHERE_FINISH, COHERE_USAGE
from aifkit.aif.converters._cohere_decode import NAME

__all__ = ["CohereStreamCodec", "CohereStreamDecoder", "CohereStreamEncoder"]

_IGNORED: Final = frozenset({"citation-end", "debug"})


class CohereStreamDecoder(PayloadDecoder):
    """Reads a Cohere v2 chat stream into neutral events."""

    provider = NAME

    def __init__(self) -> None:
        super().__init__()
        self._content: dict[int, int] = {}  # Cohere content index -> part
        self._tools: dict[int, int] = {}  # Cohere tool call index -> part
        self._plan: int | None = None  # the part holding the tool plan
        self._citations: list[dict[str, Any]] = []

    def on_payload(
        self, index: int, event: str, payload: Mapping[str, Any] | None, out: list[StreamEvent]
    ) -> None:
        """Turn one event into neutral events."""
        if payload is None or self.ended:
            return
        kind = event_type(index, payload, event)
        delta: Any = payload.get("delta")
        message: Any = field(delta, "message")
        if kind == "message-start":
            self.started(ResponseStart(id=text_or_none(payload.get("id"))), out)
        elif kind in ("content-start", "content-delta"):
            self._content_event(index, kind, payload, field(message, "content"), out)
        elif kind == "content-end":
            self._end(self._content.pop(self._index(index, payload), None), out)
        elif kind == "tool-plan-delta":
            text = field(message, "tool_plan")
            if isinstance(text, str) and text:
                if self._plan is None:
                    self._plan = self.new_part("text", out)
                out.append(PartDelta(self._plan, text))
        elif kind in ("tool-call-start", "tool-call-delta"):
            self._tool_event(index, kind, payload, field(message, "tool_calls"), out)
        elif kind == "tool-call-end":
            self._end(self._tools.pop(self._index(index, payload), None), out)
        elif kind == "message-end":
            self._finish(index, delta, out)
        elif kind == "citation-start":
            citation = field(message, "citations")
            self._citations.append(expect_obj(citation, index, ("delta", "message", "citations")))  # fmt: skip
        elif kind not in _IGNORED and kind != "message":
            raise stream_error(index, ("type",), f"unknown Cohere stream event {kind!r}")

    def _index(self, index: int, payload: Mapping[str, Any]) -> int:
        return expect_int(payload.get("index", 0), index, ("index",))

    def _content_event(
        self,
        index: int,
        kind: str,
        payload: Mapping[str, Any],
        content: Any,
        out: list[StreamEvent],
    ) -> None:
        at = self._index(index, payload)
        path = ("delta", "message", "content")
        content = {} if content is None else expect_obj(content, index, path)
        thinking = field(content, "type") == "thinking" or field(content, "thinking") is not None
        part = self._content.get(at)
        if part is None:
            self._close_plan(out)
            part = self._content[at] = self.new_part("reasoning" if thinking else "text", out)
        text = field(content, "thinking") if thinking else field(content, "text")
        if text is not None:
            text = expect_str(text, index, (*path, "thinking" if thinking else "text"))
            if text:
                out.append(PartDelta(part, text))
        elif kind == "content-delta":
            raise stream_error(index, path, "expected a text or thinking delta")

    def _tool_event(
        self, index: int, kind: str, payload: Mapping[str, Any], call: Any, out: list[StreamEvent]
    ) -> None:
        at = self._index(index, payload)
        path = ("delta", "message", "tool_calls")
        function: Any = field(call, "function")
        part = self._tools.get(at)
        if kind == "tool-call-start":
            if part is not None:
                raise stream_error(index, ("index",), f"tool call {at} started twice")
            self._close_plan(out)
            call_id = expect_str(field(call, "id"), index, (*path, "id"))
            name = expect_str(field(function, "name"), index, (*path, "function", "name"))
            part = self._tools[at] = self.new_part("tool_call", out, id=call_id, name=name)
        elif part is None:
            raise stream_error(index, ("index",), f"tool call {at} has no tool-call-start")
        arguments = field(function, "arguments")
        if arguments:
            out.append(PartDelta(part, expect_str(arguments, index, (*path, "function", "arguments"))))  # fmt: skip

    def _close_plan(self, out: list[StreamEvent]) -> None:
        if self._plan is not None:
            out.append(PartEnd(self._plan))
            self._plan = None

    def _end(self, part: int | None, out: list[StreamEvent]) -> None:
        if part is not None:
            out.append(PartEnd(part))

    def _finish(self, index: int, delta: Any, out: list[StreamEvent]) -> None:
        self._close_plan(out)
        for part in (*self._content.values(), *self._tools.values()):
            out.append(PartEnd(part))
        self._content.clear()
        self._tools.clear()
        error = field(delta, "error")
        if error:
            self.failed({"code": "ERROR", "message": str(error)}, "code", out)
            return
        raw = field(delta, "finish_reason")
        raw = "COMPLETE" if raw is None else expect_str(raw, index, ("delta", "finish_reason"))
        usage: Any = field(delta, "usage")
        read = COHERE_USAGE.read_lenient(cast("dict[str, Any]", usage)) if isinstance(usage, dict) else None  # fmt: skip
        self.ended = True
        cited = {NAME: {"extra": {"citations": self._citations}}} if self._citations else None
        out.append(ResponseEnd(COHERE_FINISH.reason(raw), raw, read, cited))

    def on_close(self, out: list[StreamEvent]) -> None:
        """Raise if the stream ended before ``message-end``."""
        if not self.ended:
            raise cut_short("message-end")


class CohereStreamEncoder(EventEncoder):
    """Writes neutral events as a Cohere v2 chat stream."""

    provider = NAME

    def __init__(self) -> None:
        super().__init__()
        self._started = False
        self._blocks: dict[int, tuple[PartKind, int]] = {}  # part -> (kind, Cohere index)
        self._counts = {"content": 0, "tool": 0}

    def _start(self, id: str | None, out: list[str]) -> None:
        if not self._started:
            self._started = True
            message: dict[str, Any] = {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}  # fmt: skip
            head: dict[str, Any] = {"id": id} if id else {}
            out.append(frame({**head, "type": "message-start", "delta": {"message": message}}, "message-start"))  # fmt: skip

    def on_start(self, event: ResponseStart, out: list[str]) -> None:
        """Write ``message-start``."""
        self._start(event.id, out)

    def on_part_start(self, event: PartStart, out: list[str]) -> None:
        """Write ``content-start`` or ``tool-call-start``."""
        self._start(None, out)
        if event.kind == "tool_call":
            at = self._counts["tool"]
            self._counts["tool"] += 1
            self._blocks[event.index] = ("tool_call", at)
            call = {"id": event.id or f"call_{event.index}", "type": "function",
                    "function": {"name": event.name or "", "arguments": ""}}  # fmt: skip
            payload = {"type": "tool-call-start", "index": at, "delta": {"message": {"tool_calls": call}}}  # fmt: skip
            out.append(frame(payload, "tool-call-start"))
            return
        at = self._counts["content"]
        self._counts["content"] += 1
        self._blocks[event.index] = (event.kind, at)
        content = {"type": "thinking", "thinking": ""} if event.kind == "reasoning" else {"type": "text", "text": ""}  # fmt: skip
        out.append(frame({"type": "content-start", "index": at, "delta": {"message": {"content": content}}}, "content-start"))  # fmt: skip

    def on_delta(self, event: PartDelta, out: list[str]) -> None:
        """Write a ``content-delta`` or ``tool-call-delta`` (signatures have no place)."""
        block = self._blocks.get(event.index)
        if block is None or not event.text:
            return
        kind, at = block
        if kind == "tool_call":
            call = {"function": {"arguments": event.text}}
            out.append(frame({"type": "tool-call-delta", "index": at, "delta": {"message": {"tool_calls": call}}}, "tool-call-delta"))  # fmt: skip
            return
        key = "thinking" if kind == "reasoning" else "text"
        out.append(frame({"type": "content-delta", "index": at, "delta": {"message": {"content": {key: event.text}}}}, "content-delta"))  # fmt: skip

    def on_part_end(self, event: PartEnd, out: list[str]) -> None:
        """Write ``content-end`` or ``tool-call-end``."""
        block = self._blocks.pop(event.index, None)
        if block is not None:
            name = "tool-call-end" if block[0] == "tool_call" else "content-end"
            out.append(frame({"type": name, "index": block[1]}, name))

    def on_end(self, event: ResponseEnd, out: list[str]) -> None:
        """End the open blocks, then ``message-end`` with the finish reason and usage."""
        self._start(None, out)
        for part in list(self._blocks):
            self.on_part_end(PartEnd(part), out)
        usage = self.final_usage(event)
        for at, citation in enumerate(_citations(event)):
            message = {"citations": citation}
            out.append(frame({"type": "citation-start", "index": at, "delta": {"message": message}}, "citation-start"))  # fmt: skip
            out.append(frame({"type": "citation-end", "index": at}, "citation-end"))
        word = COHERE_FINISH.word(event.finish_reason, event.raw_finish_reason)[0] or "COMPLETE"
        delta: dict[str, Any] = {"finish_reason": word}
        if usage is not None:
            delta["usage"] = COHERE_USAGE.write_nested(usage)
        out.append(frame({"type": "message-end", "delta": delta}, "message-end"))

    def on_error(self, event: StreamError, out: list[str]) -> None:
        """Write a ``message-end`` that reports the error."""
        self._start(None, out)
        delta = {"finish_reason": "ERROR", "error": event.message}
        out.append(frame({"type": "message-end", "delta": delta}, "message-end"))


def _citations(event: ResponseEnd) -> list[Any]:
    """Cohere's citations carried on ``event`` (none when another provider's)."""
    extra: Any = field((event.extensions or {}).get(NAME), "extra")
    citations: Any = field(extra, "citations")
    return cast("list[Any]", citations) if isinstance(citations, list) else []


class CohereStreamCodec(BuiltinCodec):
    """The ``cohere`` stream codec."""

    name = "cohere"
    decoder_type = CohereStreamDecoder
    encoder_type = CohereStreamEncoder
