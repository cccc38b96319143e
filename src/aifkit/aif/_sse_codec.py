"""Stream translation: each format's SSE decoded into neutral events, and encoded back.

`decode_stream` gives a format's incremental decoder: feed it bytes as they
arrive, it returns the `StreamEvent`\\ s each chunk completed. `encode_stream` gives
an encoder: hand it one event, it returns that event's SSE frames in its format,
at once. `translate_stream` joins the two, so a reply streams from one provider's
format to another's without waiting for its end; nothing is held back except
what the target's framing needs (see each format's module: Gemini sends a tool
call whole, and Anthropic cannot interleave two blocks).

The codecs are registered by name in `STREAM_FORMATS`, as converters are in
`FORMATS`; plugins register under the ``aifkit.stream_formats`` entry point.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import Any, ClassVar, Final, Protocol, cast

from aifkit._json import quote
from aifkit._limits import check_json, loads
from aifkit._registry import Registry
from aifkit.aif._events import (
    PartDelta,
    PartEnd,
    PartKind,
    PartStart,
    ResponseEnd,
    ResponseStart,
    StreamError,
    StreamEvent,
    UsageUpdate,
)
from aifkit.aif._framing import FrameParser
from aifkit.aif._response import Usage
from aifkit.aif._schema import ReasoningScope
from aifkit.aif._stream import SSEEvent, SSEParser, field, stream_error
from aifkit.errors import InvalidInputError, UsageError

__all__ = [
    "STREAM_FORMATS",
    "StreamCodec",
    "StreamDecoder",
    "StreamEncoder",
    "atranslate_stream",
    "decode_stream",
    "encode_stream",
    "translate_stream",
]


class StreamDecoder(Protocol):
    """Reads one format's SSE, incrementally, into neutral events."""

    def feed(self, chunk: bytes | str) -> list[StreamEvent]:
        """Take the next chunk (split anywhere); return the events it completed."""
        ...

    def close(self) -> list[StreamEvent]:
        """End the stream; return the last events.

        Raises:
            InvalidInputError: the stream was cut short (no end of reply).
        """
        ...


class StreamEncoder(Protocol):
    """Writes neutral events as one format's SSE frames."""

    def encode(self, event: StreamEvent) -> bytes:
        """Return the SSE frames for ``event`` (possibly none: ``b""``)."""
        ...

    def close(self) -> bytes:
        """Return whatever must follow the last event (usually nothing)."""
        ...


class StreamCodec(Protocol):
    """One format's stream decoder and encoder factories."""

    def decoder(self) -> StreamDecoder:
        """Return a new decoder, for one stream."""
        ...

    def encoder(self, **options: object) -> StreamEncoder:
        """Return a new encoder, for one stream, with the format's own options.

        Raises:
            UsageError: an option the format does not have, or a bad value.
        """
        ...


STREAM_FORMATS: Registry[StreamCodec] = Registry("stream format", group="aifkit.stream_formats")
"""Every streaming format, by name."""

STREAM_FORMATS.register("anthropic", "aifkit.aif._sse_anthropic:AnthropicStreamCodec")
STREAM_FORMATS.register("openai-chat", "aifkit.aif._sse_openai_chat:OpenAIChatStreamCodec")
STREAM_FORMATS.register(
    "openai-responses", "aifkit.aif._sse_openai_responses:OpenAIResponsesStreamCodec"
)
STREAM_FORMATS.register("gemini", "aifkit.aif._sse_gemini:GeminiStreamCodec")
STREAM_FORMATS.register("cohere", "aifkit.aif._sse_cohere:CohereStreamCodec")
STREAM_FORMATS.register("ollama", "aifkit.aif._sse_ollama:OllamaStreamCodec")
STREAM_FORMATS.register("bedrock-converse", "aifkit.aif._sse_bedrock:BedrockStreamCodec")


def decode_stream(format: str) -> StreamDecoder:
    """Return an incremental decoder for ``format``'s SSE.

    Raises:
        UnknownNameError: ``format`` has no stream codec.

    Examples:
        >>> d = decode_stream("openai-chat")
        >>> d.feed(b'data: {"id":"c1","model":"m","choices":[{"index":0,"delta":{"content":"Hi"}}]}\\n')
        []
        >>> [e.type for e in d.feed(b"\\n")]
        ['response_start', 'part_start', 'part_delta']
    """
    return STREAM_FORMATS.get(format).decoder()


def encode_stream(format: str, **options: object) -> StreamEncoder:
    """Return an encoder writing neutral events as ``format``'s SSE.

    Args:
        format: The format to write.
        **options: The format's encoder options: ``openai-chat`` takes
            ``include_usage`` (default True: write the usage chunk, as OpenAI does
            when the request set ``stream_options.include_usage``; a gateway passes
            what its client asked for). The other formats take none.

    Raises:
        UnknownNameError: ``format`` has no stream codec.
        UsageError: an option the format does not have, or a bad value.

    Examples:
        >>> from aifkit.aif._events import PartStart, ResponseStart
        >>> encoder = encode_stream("anthropic")
        >>> encoder.encode(ResponseStart(id="msg_1", model="claude-sonnet-4-5"))[:40]
        b'event: message_start\\ndata: {"type":"mess'
        >>> encoder.encode(PartStart(0, "text"))
        b'event: content_block_start\\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\\n\\n'
    """
    return STREAM_FORMATS.get(format).encoder(**options)


def translate_stream(
    chunks: bytes | str | Iterable[bytes | str], *, source: str, target: str, **options: object
) -> Iterator[bytes]:
    """Translate a streamed reply from ``source``'s SSE to ``target``'s, as it arrives.

    Each yielded value is the target's SSE for what one input chunk completed
    (chunks that complete nothing yield nothing), so the first byte goes out as
    soon as the first source event is whole.

    Args:
        chunks: The source stream: bytes or text, whole or as chunks.
        source: The format the stream is in.
        target: The format to write.
        **options: The target's encoder options (see `encode_stream`).

    Raises:
        UnknownNameError: either format has no stream codec.
        UsageError: an option the target does not have.
        InvalidInputError: the source stream is malformed or cut short; the
            pointer names the event (``/events/3/delta``).

    Examples:
        >>> sse = (b'data: {"id":"c1","model":"m","choices":[{"index":0,"delta":{"content":"Hi"}}]}\\n\\n'
        ...        b'data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\\n\\n'
        ...        b'data: [DONE]\\n\\n')
        >>> out = b"".join(translate_stream(sse, source="openai-chat", target="anthropic"))
        >>> from aifkit.aif import assemble
        >>> assemble(out, "anthropic").parts[0].text
        'Hi'
    """
    decoder = decode_stream(source)
    encoder = encode_stream(target, **options)
    for chunk in [chunks] if isinstance(chunks, bytes | str) else chunks:
        out = b"".join([encoder.encode(e) for e in decoder.feed(chunk)])
        if out:
            yield out
    out = b"".join([encoder.encode(e) for e in decoder.close()]) + encoder.close()
    if out:
        yield out


async def atranslate_stream(
    chunks: AsyncIterable[bytes | str], *, source: str, target: str, **options: object
) -> AsyncIterator[bytes]:
    """`translate_stream` for an asynchronous source (an HTTP client's byte stream).

    Examples:
        >>> import asyncio
        >>> async def upstream():
        ...     yield b'data: {"id":"c1","model":"m","choices":[{"index":0,"delta":{"content":"Hi"}}]}\\n\\n'
        ...     yield b'data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\\n\\n'
        >>> async def main():
        ...     return [f async for f in atranslate_stream(upstream(), source="openai-chat", target="gemini")]
        >>> frames = asyncio.run(main())
        >>> len(frames), frames[0][:40]
        (2, b'data: {"candidates":[{"content":{"parts"')
    """
    decoder = decode_stream(source)
    encoder = encode_stream(target, **options)
    async for chunk in chunks:
        out = b"".join([encoder.encode(e) for e in decoder.feed(chunk)])
        if out:
            yield out
    out = b"".join([encoder.encode(e) for e in decoder.close()]) + encoder.close()
    if out:
        yield out


class PayloadDecoder:
    """The shared half of every decoder: framing and JSON, then `on_payload`.

    Subclasses implement `on_payload` (one JSON object; None for ``[DONE]``) and
    `on_close`. ``index`` is the event's position in the stream, for error pointers.
    The framing is SSE unless ``framing`` names another parser (`NDJSONParser` for
    Ollama's lines, `EventStreamParser` for Bedrock's binary event stream); every
    parser yields events with a name and JSON text, so the rest is the same.
    """

    provider: ClassVar[str] = ""
    """The provider whose signatures this format carries (``google`` for Gemini)."""
    framing: ClassVar[type[FrameParser]] = SSEParser
    """Makes the parser of the format's framing, one per stream."""

    def __init__(self) -> None:
        self._sse: FrameParser = self.framing()
        self._count = 0
        self._scope: ReasoningScope | None = None
        self.parts = 0
        """Parts started so far (the next part's index)."""
        self.begun = False
        """Whether the reply's `ResponseStart` went out (see `started`)."""
        self.ended = False
        """Whether the reply ended (or failed)."""

    def feed(self, chunk: bytes | str) -> list[StreamEvent]:
        """Take the next chunk (split anywhere); return the events it completed."""
        out: list[StreamEvent] = []
        for event in self._sse.feed(chunk):
            self._event(event, out)
        return out

    def feed_payload(self, event: str, payload: Mapping[str, Any] | None) -> list[StreamEvent]:
        """Take one event already parsed (e.g. from an SDK); None is ``[DONE]``."""
        out: list[StreamEvent] = []
        index = self._count
        self._count += 1
        if payload is not None:  # checked as raw payloads are: one pass, the same limits
            check_json(payload, at=("events", index))
        self.on_payload(index, event, payload, out)
        return out

    def close(self) -> list[StreamEvent]:
        """End the stream; return the last events (raises if it was cut short)."""
        out: list[StreamEvent] = []
        for event in self._sse.close():
            self._event(event, out)
        self.on_close(out)
        return out

    def _event(self, event: SSEEvent, out: list[StreamEvent]) -> None:
        index = self._count
        self._count += 1
        data = event.data
        if data == "[DONE]" or data.strip() == "[DONE]":
            self.on_payload(index, event.event, None, out)
            return
        try:  # NaN, lone surrogates and deep nesting are refused here, as assemble() refuses them
            payload = loads(data, at=("events", index))
        except InvalidInputError:
            raise
        except ValueError:
            raise stream_error(index, (), f"event data is not JSON: {quote(data, 60)}") from None
        if not isinstance(payload, dict):
            raise stream_error(index, (), "event data is not a JSON object")
        self.on_payload(index, event.event, payload, out)  # pyright: ignore[reportUnknownArgumentType]

    def new_part(
        self, kind: PartKind, out: list[StreamEvent], id: str | None = None, name: str | None = None
    ) -> int:
        """Start the next part: append its `PartStart`, return its index."""
        part = self.parts
        self.parts += 1
        out.append(PartStart(part, kind, id=id, name=name))
        return part

    def started(self, event: ResponseStart, out: list[StreamEvent]) -> None:
        """Append the reply's `ResponseStart` (its model scopes the signatures that follow)."""
        self._scope = ReasoningScope(provider=self.provider, model=event.model)
        self.begun = True
        out.append(event)

    def signed(
        self, part: int, signature: str | None = None, *, redacted: str | None = None
    ) -> PartDelta:
        """The delta carrying ``signature`` (or a ``redacted`` payload) for ``part``, scoped
        to this provider and model (as the request converters scope a `ReasoningPart`)."""
        scope = self._scope or ReasoningScope(provider=self.provider)
        return PartDelta(part, signature=signature, valid_for=scope, redacted=redacted)

    def failed(self, error: Any, kind_key: str, out: list[StreamEvent]) -> None:
        """End the reply with the provider's ``error`` object (its kind under ``kind_key``,
        else ``code``)."""
        kind = field(error, kind_key) or field(error, "code") or "error"
        out.append(StreamError(str(kind), str(field(error, "message") or error)))
        self.ended = True

    def on_payload(
        self, index: int, event: str, payload: Mapping[str, Any] | None, out: list[StreamEvent]
    ) -> None:
        """Turn one payload into events, appended to ``out``."""
        raise NotImplementedError

    def on_close(self, out: list[StreamEvent]) -> None:
        """Append the events the end of the stream completes; raise if it was cut short."""
        raise NotImplementedError


def no_options(format: str, options: Mapping[str, object]) -> None:
    """Refuse the options a format's encoder does not have."""
    if options:
        raise UsageError(
            f"the {format} stream encoder has no option {next(iter(options))!r}",
            hint="see encode_stream for each format's options",
        )


def cut_short(what: str) -> InvalidInputError:
    """The error for a stream that ended before ``what``."""
    return stream_error(None, (), f"the stream ended before {what} (cut short?)")


_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""One encoder for every frame: ``json.dumps`` with options builds a new one per call,
which costs more than encoding a short delta (1.6 µs against 0.2 µs for a word)."""


def dumps(value: Any) -> str:
    """JSON as the SSE encoders write it: compact, UTF-8 as is (as the providers send it).

    Examples:
        >>> dumps({"text": "héllo", "n": [1, 2]})
        '{"text":"héllo","n":[1,2]}'
    """
    return _ENCODER.encode(value)


def frame(payload: Any, event: str | None = None) -> str:
    """One SSE frame: an optional ``event:`` line, the ``data:`` line, a blank line."""
    data = _ENCODER.encode(payload)
    if event is None:
        return f"data: {data}\n\n"
    return f"event: {event}\ndata: {data}\n\n"


class EventEncoder:
    """The shared half of every encoder: one hook per event type, each appending the
    event's frames to ``out``; the usage last reported kept in ``usage``; the reply
    ended once (a second `ResponseEnd` writes nothing; a `StreamError` ends it too).

    Subclasses implement the ``on_*`` hooks they need (the others write nothing).
    """

    provider: ClassVar[str] = ""
    """The provider whose signatures this format carries."""

    def __init__(self) -> None:
        self.usage: Usage | None = None
        self.ended = False

    def own_signature(self, event: PartDelta) -> str | None:
        """``event``'s signature if it is valid for this format's provider, else None: a
        signature is only accepted by the provider that made it (see `reasoning_replayable`
        for requests)."""
        scope = event.valid_for
        if event.signature is None or scope is None or scope.provider != self.provider:
            return None
        return event.signature

    def own_redacted(self, event: PartDelta) -> str | None:
        """``event``'s redacted payload if this format's provider made it, else None (as
        `own_signature`)."""
        scope = event.valid_for
        if event.redacted is None or scope is None or scope.provider != self.provider:
            return None
        return event.redacted

    def encode(self, event: StreamEvent) -> bytes:
        """Return the SSE frames for ``event`` (possibly none: ``b""``)."""
        out: list[str] = []
        if isinstance(event, PartDelta):
            self.on_delta(event, out)
        elif isinstance(event, PartStart):
            self.on_part_start(event, out)
        elif isinstance(event, PartEnd):
            self.on_part_end(event, out)
        elif isinstance(event, ResponseStart):
            if event.usage is not None and self.usage is None:
                self.usage = event.usage
            self.on_start(event, out)
        elif isinstance(event, ResponseEnd):
            if not self.ended:
                self.ended = True
                self.on_end(event, out)
        elif isinstance(event, UsageUpdate):
            self.usage = event.usage
        else:
            self.ended = True
            self.on_error(event, out)
        return "".join(out).encode()

    def close(self) -> bytes:
        """Return whatever must follow the last event (nothing, in every built-in format)."""
        return b""

    def final_usage(self, event: ResponseEnd) -> Usage | None:
        """The reply's final usage, for `on_end` to write: ``event``'s when it has one
        (kept as `usage`), else the last reported."""
        if event.usage is not None:
            self.usage = event.usage
        return self.usage

    def on_delta(self, event: PartDelta, out: list[str]) -> None:
        """Write more of a part."""

    def on_part_start(self, event: PartStart, out: list[str]) -> None:
        """Write the start of a part."""

    def on_part_end(self, event: PartEnd, out: list[str]) -> None:
        """Write the end of a part."""

    def on_start(self, event: ResponseStart, out: list[str]) -> None:
        """Write the start of the reply."""

    def on_end(self, event: ResponseEnd, out: list[str]) -> None:
        """Write the end of the reply (called once)."""

    def on_error(self, event: StreamError, out: list[str]) -> None:
        """Write the provider's error."""


class BuiltinCodec:
    """A stream codec made of a decoder and an encoder class (see `StreamCodec`);
    the encoder takes no options unless a subclass says otherwise."""

    name: ClassVar[str]
    decoder_type: ClassVar[type[PayloadDecoder]]
    encoder_type: ClassVar[type[EventEncoder]]

    def decoder(self) -> StreamDecoder:
        """Return a new decoder, for one stream."""
        return self.decoder_type()

    def encoder(self, **options: object) -> StreamEncoder:
        """Return a new encoder, for one stream (this format has no options)."""
        no_options(self.name, options)
        return self.encoder_type()


def text_or_none(value: object) -> str | None:
    """``value`` if it is a string, else None (an id or model name of the wrong type is ignored)."""
    return value if isinstance(value, str) else None


def seconds_or_none(value: object) -> int | None:
    """A timestamp in whole seconds, if ``value`` is a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if math.isfinite(value) else None


def event_type(index: int, payload: Mapping[str, Any], event: str) -> str:
    """The payload's ``type`` (the SSE event name when it has none); it must be a string."""
    kind = payload.get("type", event)
    if not isinstance(kind, str):
        raise stream_error(index, ("type",), "expected a string")
    return kind


def call_arguments(call_id: str | None, text: str) -> dict[str, Any]:
    """A tool call's argument fragments, joined, as the JSON object a format that sends
    a call whole writes (an empty text is ``{}``).

    Raises:
        InvalidInputError: the text is not a JSON object.

    Examples:
        >>> call_arguments("call_1", '{"city": "Paris"}'), call_arguments("call_1", "")
        ({'city': 'Paris'}, {})
    """
    try:
        # The edge's JSON rules (no NaN/Infinity, lone surrogates, runaway nesting): a bare
        # json.loads let {"x": NaN} through, and the encoders then wrote invalid JSON.
        args: Any = loads(text) if text.strip() else {}
    except (ValueError, RecursionError):
        raise stream_error(
            None, (), f"the arguments of tool call {call_id!r} are not valid JSON: {text[:60]!r}"
        ) from None
    if not isinstance(args, dict):
        raise stream_error(
            None, (), f"the arguments of tool call {call_id!r} are not a JSON object"
        )
    return cast("dict[str, Any]", args)


def int_or_none(value: object) -> int | None:
    """``value`` if it is an integer token count, else None (a malformed count is ignored)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None
