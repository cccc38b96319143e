"""Ollama ``/api/chat`` streams (newline-delimited JSON), decoded and encoded.

Ollama streams one JSON object per line, not SSE (`NDJSONParser` reads the lines).
Each line is a ``ChatResponse``: ``message.content`` and ``message.thinking`` carry
the next fragment, ``message.tool_calls`` whole calls, and the last line has
``"done": true`` with ``done_reason`` and the counts.

Decoding: the first line is `ResponseStart` (``model``); text and thinking
fragments continue the part of their kind open before them; a tool call arrives
whole (parsed ``arguments``), so it is started, given its arguments as one JSON
text and ended at once. Ollama gives calls no ids: the stream's calls get the ids
the ollama converter gives the same reply read whole (``call_1_<n>``). ``done`` is
`ResponseEnd` (``stop`` after a tool call is ``tool_calls``; no ``done_reason``, from an
older server, is no reason, as the converter reads it whole), with
``prompt_eval_count`` and ``eval_count``; an ``error`` line is a `StreamError`.

Encoding: each text or reasoning delta is one line at once. A tool call is the one
thing held back, until its `PartEnd` (Ollama sends a call whole, with parsed
``arguments``). The last line carries ``done_reason`` and the counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

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
from aifkit.aif._framing import NDJSONParser
from aifkit.aif._response import Usage
from aifkit.aif._sse_codec import (
    BuiltinCodec,
    EventEncoder,
    PayloadDecoder,
    call_arguments,
    cut_short,
    dumps,
    int_or_none,
    text_or_none,
)
from aifkit.aif._stream import expect_obj, expect_str, field, stream_error
from aifkit.aif._vocab import OLLAMA_FINISH, OLLAMA_USAGE
from aifkit.aif.converters._ollama_decode import NAME

__all__ = ["OllamaStreamCodec", "OllamaStreamDecoder", "OllamaStreamEncoder"]


class OllamaStreamDecoder(PayloadDecoder):
    """Reads an Ollama ``/api/chat`` stream into neutral events."""

    provider = NAME
    framing = NDJSONParser

    def __init__(self) -> None:
        super().__init__()
        self._open: tuple[PartKind, int] | None = None
        self._calls = 0

    def on_payload(
        self, index: int, event: str, payload: Mapping[str, Any] | None, out: list[StreamEvent]
    ) -> None:
        """Turn one line into neutral events."""
        if payload is None or self.ended:
            return
        error = payload.get("error")
        if error is not None:
            self._close(out)
            self.failed({"code": "error", "message": str(error)}, "code", out)
            return
        if not self.begun:
            model = text_or_none(payload.get("model"))
            self.started(
                ResponseStart(model=model, created=_seconds(payload.get("created_at"))), out
            )
        message: Any = payload.get("message")
        if message is not None:
            message = expect_obj(message, index, ("message",))
            keys: tuple[tuple[str, PartKind], ...] = (
                ("thinking", "reasoning"),
                ("content", "text"),
            )
            for key, kind in keys:
                text = message.get(key)
                if text:
                    self._text(kind, expect_str(text, index, ("message", key)), out)
            calls = message.get("tool_calls")
            if calls:
                if not isinstance(calls, list):
                    raise stream_error(index, ("message", "tool_calls"), "expected an array")
                for j, call in enumerate(cast("list[object]", calls)):
                    self._call(index, ("message", "tool_calls", j), call, out)
        if payload.get("done") is True:
            self._close(out)
            raw = payload.get("done_reason")  # older servers send none: no reason, as read whole
            raw = None if raw is None else expect_str(raw, index, ("done_reason",))
            counts = {k: int_or_none(payload.get(k)) for k in OLLAMA_USAGE.keys}
            usage = (
                Usage(**OLLAMA_USAGE.to_aif(counts))  # pyright: ignore[reportArgumentType]
                if any(v is not None for v in counts.values())
                else None
            )
            self.ended = True
            finish = None if raw is None else OLLAMA_FINISH.reason(raw, calls=self._calls > 0)
            out.append(ResponseEnd(finish, raw, usage))

    def _text(self, kind: PartKind, text: str, out: list[StreamEvent]) -> None:
        if self._open is None or self._open[0] != kind:
            self._close(out)
            self._open = kind, self.new_part(kind, out)
        out.append(PartDelta(self._open[1], text))

    def _call(self, index: int, path: tuple[str | int, ...], call: object, out: list[StreamEvent]) -> None:  # fmt: skip
        self._close(out)
        function = expect_obj(field(expect_obj(call, index, path), "function"), index, (*path, "function"))  # fmt: skip
        name = expect_str(function.get("name"), index, (*path, "function", "name"))
        args: Any = function.get("arguments")
        if isinstance(args, str):  # some models' servers send the JSON text
            text = args
        else:
            text = dumps({} if args is None else expect_obj(args, index, (*path, "function", "arguments")))  # fmt: skip
        call_id = f"call_1_{self._calls}"  # as the ollama converter names the reply's calls
        self._calls += 1
        part = self.new_part("tool_call", out, id=call_id, name=name)
        out.append(PartDelta(part, text))
        out.append(PartEnd(part))

    def _close(self, out: list[StreamEvent]) -> None:
        if self._open is not None:
            out.append(PartEnd(self._open[1]))
            self._open = None

    def on_close(self, out: list[StreamEvent]) -> None:
        """Raise if the stream ended before its ``done`` line."""
        if not self.ended:
            raise cut_short('the "done": true line')


def _seconds(value: object) -> int | None:
    if not isinstance(value, str):
        return None
    from aifkit.aif.converters._ollama_response import parse_time

    moment = parse_time(value)
    return None if moment is None else int(moment.timestamp())


class OllamaStreamEncoder(EventEncoder):
    """Writes neutral events as an Ollama ``/api/chat`` stream."""

    provider = NAME

    def __init__(self) -> None:
        super().__init__()
        self._head = '{"model":"unknown",'
        self._kinds: dict[int, PartKind] = {}
        self._calls: dict[int, tuple[PartStart, list[str]]] = {}  # held tool calls

    def on_start(self, event: ResponseStart, out: list[str]) -> None:
        """Note the model and time every line repeats."""
        head = f'{{"model":{dumps(event.model or "unknown")},'
        if event.created is not None:
            when = datetime.fromtimestamp(event.created, UTC).isoformat().replace("+00:00", "Z")
            head += f'"created_at":{dumps(when)},'
        self._head = head

    def _line(self, message: str, tail: str = '"done":false') -> str:
        return f'{self._head}"message":{{"role":"assistant",{message}}},{tail}}}\n'

    def on_part_start(self, event: PartStart, out: list[str]) -> None:
        """Note the part's kind; start holding a tool call."""
        self._kinds[event.index] = event.kind
        if event.kind == "tool_call":
            self._calls[event.index] = (event, [])

    def on_delta(self, event: PartDelta, out: list[str]) -> None:
        """Write a text or reasoning fragment at once; hold a tool call's."""
        if not event.text:
            return
        held = self._calls.get(event.index)
        if held is not None:
            held[1].append(event.text)
            return
        kind = self._kinds.get(event.index)
        if kind == "reasoning":
            out.append(self._line(f'"content":"","thinking":{dumps(event.text)}'))
        elif kind in ("text", "refusal"):
            out.append(self._line(f'"content":{dumps(event.text)}'))

    def on_part_end(self, event: PartEnd, out: list[str]) -> None:
        """Write a held tool call whole."""
        held = self._calls.pop(event.index, None)
        if held is not None:
            out.append(self._call(*held))

    def _call(self, start: PartStart, fragments: list[str]) -> str:
        args = call_arguments(start.id, "".join(fragments))
        call: dict[str, Any] = {"function": {"name": start.name or "", "arguments": args}}
        return self._line(f'"content":"","tool_calls":[{dumps(call)}]')

    def on_end(self, event: ResponseEnd, out: list[str]) -> None:
        """Write the calls still held, then the ``done`` line with the counts."""
        out.extend(self._call(*held) for held in self._calls.values())
        self._calls.clear()
        usage = self.final_usage(event)
        reason = "stop" if event.finish_reason == "tool_calls" else event.finish_reason
        word = OLLAMA_FINISH.word(reason, event.raw_finish_reason)[0]
        tail = '"done":true' if word is None else f'"done":true,"done_reason":{dumps(word)}'
        if usage is not None:
            for key, value in OLLAMA_USAGE.to_wire(usage).items():
                if value is not None:
                    tail += f',"{key}":{value}'
        out.append(self._line('"content":""', tail))

    def on_error(self, event: StreamError, out: list[str]) -> None:
        """Write an ``error`` line, as Ollama reports a failure mid-stream."""
        out.append(dumps({"error": event.message}) + "\n")


class OllamaStreamCodec(BuiltinCodec):
    """The ``ollama`` stream codec."""

    name = "ollama"
    decoder_type = OllamaStreamDecoder
    encoder_type = OllamaStreamEncoder
