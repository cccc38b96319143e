"""Assembling any format's stream from its neutral events.

The four SSE formats have assemblers of their own (they rebuild the provider's
final message and let the format's converter read it). Every other format with a
stream codec (Cohere, Ollama, Bedrock, a plugin) is assembled from the events its
decoder yields: text, reasoning (with its scoped signature or redacted payload),
tool calls (their arguments parsed once the part is complete) and refusals, in the
order the parts started. Tests pin each such format's result to its non-streamed response
converter's reading of the same reply.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aifkit.aif._events import (
    PartDelta,
    PartKind,
    PartStart,
    ResponseEnd,
    ResponseStart,
    StreamError,
    StreamEvent,
)
from aifkit.aif._schema import (
    Message,
    Part,
    ReasoningPart,
    ReasoningScope,
    RefusalPart,
    TextPart,
    ToolCallPart,
)
from aifkit.aif._stream import finish_message, stream_error

__all__ = ["EventAssembler", "assemble_events"]


@dataclass(slots=True)
class _Part:
    kind: PartKind
    id: str | None
    name: str | None
    text: list[str] = field(default_factory=list[str])
    signature: str | None = None
    scope: ReasoningScope | None = None
    redacted: list[str] = field(default_factory=list[str])


class EventAssembler:
    """Folds one reply's neutral events into an AIF assistant message.

    Examples:
        >>> from aifkit.aif._events import PartEnd
        >>> a = EventAssembler("cohere", "cohere")
        >>> for e in [ResponseStart(id="r1"), PartStart(0, "tool_call", id="c1", name="f"),
        ...           PartDelta(0, '{"x": '), PartDelta(0, "1}"), PartEnd(0), ResponseEnd("tool_calls", "TOOL_CALL")]:
        ...     a.feed(e)
        >>> m = a.finish()
        >>> m.parts[0].arguments, m.extensions["stream"]["form"]
        ({'x': 1}, {'response_id': 'r1', 'stop_reason': 'TOOL_CALL'})
    """

    def __init__(self, format: str, provider: str) -> None:
        self.format = format
        self.provider = provider
        self.parts: dict[int, _Part] = {}
        self.model: str | None = None
        self.meta: dict[str, Any] = {}
        self.extensions: Mapping[str, Mapping[str, Any]] | None = None
        self.ended = False

    def feed(self, event: StreamEvent) -> None:
        """Take the next event."""
        if isinstance(event, PartDelta):
            part = self.parts.get(event.index)
            if part is None:
                raise stream_error(None, (), f"a delta for part {event.index}, which never started")
            if event.text:
                part.text.append(event.text)
            if event.signature is not None:
                part.signature, part.scope = event.signature, event.valid_for
            if event.redacted is not None:
                part.redacted.append(event.redacted)
                part.scope = event.valid_for
        elif isinstance(event, PartStart):
            self.parts[event.index] = _Part(event.kind, event.id, event.name)
        elif isinstance(event, ResponseStart):
            self.model = event.model or self.model
            self.meta["response_id"] = event.id
            self._usage(event.usage)
        elif isinstance(event, ResponseEnd):
            self.ended = True
            self.meta["stop_reason"] = event.raw_finish_reason or event.finish_reason
            self.extensions = event.extensions
            self._usage(event.usage)
        elif isinstance(event, StreamError):
            raise stream_error(None, (), f"the stream reports an error: {event.error_type}: {event.message}")  # fmt: skip
        elif event.type == "usage_update":
            self._usage(event.usage)

    def _usage(self, usage: Any) -> None:
        if usage is not None:
            self.meta["usage"] = usage.model_dump(exclude_none=True, exclude_defaults=True)

    def finish(self) -> Message:
        """Return the assembled message."""
        if not self.ended:
            raise stream_error(
                None, (), "the stream ended before the end of the reply (cut short?)"
            )
        parts = [p for p in (_part(i, b) for i, b in sorted(self.parts.items())) if p is not None]
        return finish_message(
            [Message(role="assistant", parts=tuple(parts))],
            format=self.format,
            provider=self.provider,
            model=self.model,
            meta=self.meta,
            extensions=self.extensions,
        )


def _part(index: int, part: _Part) -> Part | None:
    text = "".join(part.text)
    if part.kind == "tool_call":
        from aifkit.aif._sse_codec import call_arguments

        arguments = call_arguments(part.id, text)
        return ToolCallPart(
            id=part.id or f"call_{index}", name=part.name or "", arguments=arguments
        )
    if part.kind == "reasoning":
        redacted = "".join(part.redacted) if part.redacted else None
        if not text and part.signature is None and redacted is None:
            return None
        return ReasoningPart(
            text=text or None, redacted=redacted, signature=part.signature, valid_for=part.scope
        )
    if not text:
        return None
    return RefusalPart(text=text) if part.kind == "refusal" else TextPart(text=text)


def assemble_events(
    stream: bytes | str | Iterable[bytes | str] | Iterable[Mapping[str, Any]], format: str
) -> Message:
    """Assemble ``format``'s stream (raw bytes or text, chunks, or parsed payloads)
    through its stream decoder."""
    from aifkit.aif._sse_codec import STREAM_FORMATS, PayloadDecoder

    decoder = STREAM_FORMATS.get(format).decoder()
    assembler = EventAssembler(format, getattr(decoder, "provider", "") or format)
    if isinstance(stream, bytes | str):
        stream = [stream]
    for item in stream:
        if isinstance(item, Mapping):
            if not isinstance(decoder, PayloadDecoder):
                raise stream_error(None, (), f"the {format} decoder does not take parsed events")
            payload: Mapping[str, Any] = item
            events = decoder.feed_payload(str(payload.get("type", "message")), payload)
        else:
            events = decoder.feed(item)
        for event in events:
            assembler.feed(event)
    for event in decoder.close():
        assembler.feed(event)
    return assembler.finish()
