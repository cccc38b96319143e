"""Bedrock ``ConverseStream`` streams (AWS event stream framing), decoded and encoded.

Bedrock streams binary ``application/vnd.amazon.eventstream`` messages
(`EventStreamParser` reads the framing); each message's ``:event-type`` header
names the event and its payload is the event's JSON: ``messageStart``,
``contentBlockStart`` (a tool call's id and name), ``contentBlockDelta`` (``text``,
``reasoningContent`` text, signature or ``redactedContent``, ``toolUse.input`` fragments),
``contentBlockStop``, ``messageStop`` (``stopReason``), then ``metadata`` (usage).
An exception message (``throttlingException``, ``modelStreamErrorException``, ...)
is the provider's error. An SDK's events (boto3's ``{"contentBlockDelta": {...}}``)
are read too.

Decoding: a block's first delta starts its part when no ``contentBlockStart`` came
(Bedrock sends none for text); `ResponseEnd` waits for ``metadata``, which follows
``messageStop`` with the usage (a stream without it ends at close).

Encoding: every event at once, nothing held: each event names its block. A
refusal is written as text. Signatures and redacted reasoning are written only when
they were made for Bedrock (each carries its provider, see `PartDelta.valid_for`).
"""

from __future__ import annotations

import base64
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
from aifkit.aif._framing import EventStreamParser, event_message
from aifkit.aif._response import FinishReason, Usage
from aifkit.aif._sse_codec import BuiltinCodec, EventEncoder, PayloadDecoder, cut_short, dumps
from aifkit.aif._stream import expect_int, expect_obj, expect_str, field, stream_error
from aifkit.aif._vocab import BEDROCK_FINISH, BEDROCK_USAGE
from aifkit.aif.converters._bedrock_decode import NAME

__all__ = ["BedrockStreamCodec", "BedrockStreamDecoder", "BedrockStreamEncoder"]

_EVENTS: Final = frozenset(
    {
        "messageStart",
        "contentBlockStart",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
    }
)


class BedrockStreamDecoder(PayloadDecoder):
    """Reads a Bedrock ``ConverseStream`` into neutral events."""

    provider = NAME
    framing = EventStreamParser

    def __init__(self) -> None:
        super().__init__()
        self._blocks: dict[int, tuple[PartKind, int]] = {}  # Bedrock block index -> part
        self._stop: tuple[FinishReason, str] | None = None

    def on_payload(
        self, index: int, event: str, payload: Mapping[str, Any] | None, out: list[StreamEvent]
    ) -> None:
        """Turn one event into neutral events."""
        if payload is None or self.ended:
            return
        if event not in _EVENTS and len(payload) == 1:  # an SDK's event: {"name": {...}}
            (name, inner), = payload.items()  # fmt: skip
            if name in _EVENTS or name.endswith("Exception"):
                event, payload = name, expect_obj(inner, index, (name,))
        if event.endswith("Exception"):
            self._close_all(out)
            self.failed({"code": event, "message": payload.get("message") or payload.get("Message") or event}, "code", out)  # fmt: skip
            return
        if not self.begun:
            self.started(ResponseStart(), out)
        if event == "contentBlockStart":
            at = expect_int(payload.get("contentBlockIndex"), index, ("contentBlockIndex",))
            tool: Any = field(payload.get("start"), "toolUse")
            if tool is not None:
                call_id = expect_str(field(tool, "toolUseId"), index, ("start", "toolUse", "toolUseId"))  # fmt: skip
                name = expect_str(field(tool, "name"), index, ("start", "toolUse", "name"))
                self._blocks[at] = ("tool_call", self.new_part("tool_call", out, id=call_id, name=name))  # fmt: skip
        elif event == "contentBlockDelta":
            self._delta(index, payload, out)
        elif event == "contentBlockStop":
            at = expect_int(payload.get("contentBlockIndex"), index, ("contentBlockIndex",))
            block = self._blocks.pop(at, None)
            if block is not None:
                out.append(PartEnd(block[1]))
        elif event == "messageStop":
            self._close_all(out)
            raw = expect_str(payload.get("stopReason"), index, ("stopReason",))
            self._stop = BEDROCK_FINISH.reason(raw), raw
        elif event == "metadata":
            usage: Any = payload.get("usage")
            read = BEDROCK_USAGE.read_lenient(cast("dict[str, Any]", usage)) if isinstance(usage, dict) else None  # fmt: skip
            self._end(read, out)
        elif event != "messageStart":
            raise stream_error(index, (), f"unknown Bedrock stream event {event!r}")

    def _delta(self, index: int, payload: Mapping[str, Any], out: list[StreamEvent]) -> None:
        at = expect_int(payload.get("contentBlockIndex"), index, ("contentBlockIndex",))
        delta = expect_obj(payload.get("delta"), index, ("delta",))
        block = self._blocks.get(at)
        if "toolUse" in delta:
            if block is None or block[0] != "tool_call":
                raise stream_error(index, ("delta", "toolUse"), f"block {at} is not a tool call (no contentBlockStart)")  # fmt: skip
            text = field(delta["toolUse"], "input")
            if text:
                out.append(PartDelta(block[1], expect_str(text, index, ("delta", "toolUse", "input"))))  # fmt: skip
            return
        reasoning: Any = delta.get("reasoningContent")
        kind: PartKind = "reasoning" if reasoning is not None else "text"
        if block is None:
            block = self._blocks[at] = kind, self.new_part(kind, out)
        if reasoning is not None:
            text = field(reasoning, "text")
            if text:
                out.append(PartDelta(block[1], expect_str(text, index, ("delta", "reasoningContent", "text"))))  # fmt: skip
            signature = field(reasoning, "signature")
            if signature:
                out.append(self.signed(block[1], expect_str(signature, index, ("delta", "reasoningContent", "signature"))))  # fmt: skip
            redacted = field(reasoning, "redactedContent")
            if redacted:  # redacted reasoning, as the response converter reads it whole
                out.append(self.signed(block[1], redacted=_blob(redacted, index, ("delta", "reasoningContent", "redactedContent"))))  # fmt: skip
        elif "text" in delta:
            text = expect_str(delta["text"], index, ("delta", "text"))
            if text:
                out.append(PartDelta(block[1], text))

    def _close_all(self, out: list[StreamEvent]) -> None:
        for _, part in self._blocks.values():
            out.append(PartEnd(part))
        self._blocks.clear()

    def _end(self, usage: Usage | None, out: list[StreamEvent]) -> None:
        if self._stop is None:
            return  # metadata before messageStop: the end comes with messageStop's reason
        self.ended = True
        out.append(ResponseEnd(self._stop[0], self._stop[1], usage))

    def on_close(self, out: list[StreamEvent]) -> None:
        """End a reply whose ``metadata`` never came; raise if it never stopped."""
        if self.ended:
            return
        if self._stop is None:
            raise cut_short("messageStop")
        self._end(None, out)


def _blob(value: object, index: int, path: tuple[str | int, ...]) -> str:
    """A blob member as the wire's JSON carries it: base64 text (boto3 hands over the
    decoded bytes, which are encoded back)."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    return expect_str(value, index, path)


class BedrockStreamEncoder(EventEncoder):
    """Writes neutral events as a Bedrock ``ConverseStream``."""

    provider = NAME

    def __init__(self) -> None:
        super().__init__()
        self._frames: list[bytes] = []
        self._kinds: dict[int, PartKind] = {}
        self._started = False

    def encode(self, event: StreamEvent) -> bytes:
        """Return the event stream messages for ``event``."""
        super().encode(event)
        out = b"".join(self._frames)
        self._frames.clear()
        return out

    def _emit(self, name: str, payload: dict[str, Any]) -> None:
        self._frames.append(event_message(name, dumps(payload).encode()))

    def _start(self) -> None:
        if not self._started:
            self._started = True
            self._emit("messageStart", {"role": "assistant"})

    def on_start(self, event: ResponseStart, out: list[str]) -> None:
        """Write ``messageStart``."""
        self._start()

    def on_part_start(self, event: PartStart, out: list[str]) -> None:
        """Write ``contentBlockStart`` for a tool call (Bedrock sends none for text)."""
        self._start()
        self._kinds[event.index] = event.kind
        if event.kind == "tool_call":
            tool = {"toolUseId": event.id or f"tooluse_{event.index}", "name": event.name or ""}
            self._emit("contentBlockStart", {"contentBlockIndex": event.index, "start": {"toolUse": tool}})  # fmt: skip

    def on_delta(self, event: PartDelta, out: list[str]) -> None:
        """Write a ``contentBlockDelta``."""
        kind = self._kinds.get(event.index)
        if kind is None:
            return
        delta: dict[str, Any]
        if kind == "tool_call":
            if not event.text:
                return
            delta = {"toolUse": {"input": event.text}}
        elif kind == "reasoning":
            # A ReasoningContentBlockDelta is a union: text, signature and redactedContent
            # each come in a delta of their own.
            for key, value in (
                ("text", event.text),
                ("signature", self.own_signature(event)),
                ("redactedContent", self.own_redacted(event)),
            ):
                if value:
                    self._emit("contentBlockDelta", {"contentBlockIndex": event.index, "delta": {"reasoningContent": {key: value}}})  # fmt: skip
            return
        elif event.text:
            delta = {"text": event.text}
        else:
            return
        self._emit("contentBlockDelta", {"contentBlockIndex": event.index, "delta": delta})

    def on_part_end(self, event: PartEnd, out: list[str]) -> None:
        """Write ``contentBlockStop``."""
        if self._kinds.pop(event.index, None) is not None:
            self._emit("contentBlockStop", {"contentBlockIndex": event.index})

    def on_end(self, event: ResponseEnd, out: list[str]) -> None:
        """Stop the open blocks; write ``messageStop``, then ``metadata`` with the usage."""
        self._start()
        for part in list(self._kinds):
            self.on_part_end(PartEnd(part), out)
        usage = self.final_usage(event)
        word = BEDROCK_FINISH.word(event.finish_reason, event.raw_finish_reason)[0] or "end_turn"
        self._emit("messageStop", {"stopReason": word})
        wire = BEDROCK_USAGE.write_nested(usage or Usage(), fill=True)
        self._emit("metadata", {"usage": wire, "metrics": {"latencyMs": 0}})

    def on_error(self, event: StreamError, out: list[str]) -> None:
        """Write an exception message (``modelStreamErrorException`` unless the source
        named a Bedrock exception)."""
        kind = event.error_type if event.error_type.endswith("Exception") else "modelStreamErrorException"  # fmt: skip
        self._frames.append(event_message(kind, dumps({"message": event.message}).encode(), exception=True))  # fmt: skip


class BedrockStreamCodec(BuiltinCodec):
    """The ``bedrock-converse`` stream codec."""

    name = "bedrock-converse"
    decoder_type = BedrockStreamDecoder
    encoder_type = BedrockStreamEncoder
