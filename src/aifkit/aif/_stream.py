"""Streaming assembly: a provider's streamed response, turned into one AIF assistant message.

`SSEParser` reads Server-Sent Events incrementally (bytes or text, in chunks of
any size, split anywhere); an assembler per format folds the events' JSON
payloads into the provider's final message, which the format's converter reads
into AIF, so a streamed reply and the same reply read from a request body are the
same `Message`.

Response metadata no request carries (usage, stop reason, response id) is kept
on the message under ``extensions["stream"]["form"]``: it travels with the
message but is never reported lost when the message is sent to any format.

Errors point into the stream: ``/events/3/delta/partial_json`` is the fourth
event's payload, at ``delta.partial_json``.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

from aifkit._json import format_pointer, quote
from aifkit._limits import check_json, loads
from aifkit.aif._codec import MAX_INPUT_BYTES
from aifkit.aif._schema import Message, Provenance
from aifkit.errors import InvalidInputError, UnknownNameError

__all__ = [
    "Assembler",
    "SSEEvent",
    "SSEParser",
    "append_text",
    "assemble",
    "expect_int",
    "expect_obj",
    "expect_str",
    "field",
    "iter_payloads",
    "optional_str",
    "parse_sse",
    "stream_error",
]


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One Server-Sent Event.

    Attributes:
        event: The event type (``"message"`` when the stream names none).
        data: The data lines, joined with newlines.
        id: The last event id, if any.
        retry: The reconnection time the server asked for, if any.
    """

    event: str
    data: str
    id: str | None = None
    retry: int | None = None


class SSEParser:
    """An incremental Server-Sent Events parser (the WHATWG ``text/event-stream`` rules).

    Feed it chunks as they arrive, split anywhere (even inside a UTF-8 character
    or between ``\\r`` and ``\\n``); each call returns the events completed so far.

    Examples:
        >>> p = SSEParser()
        >>> p.feed(b"event: ping\\ndata: {\\"a\\"")
        []
        >>> p.feed(b": 1}\\n\\ndata: x\\n")
        [SSEEvent(event='ping', data='{"a": 1}', id=None, retry=None)]
        >>> p.close()
        [SSEEvent(event='message', data='x', id=None, retry=None)]
    """

    def __init__(self, *, max_bytes: int = MAX_INPUT_BYTES) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._pending: list[str] = []  # the line not yet ended, in the pieces it came in
        self._held_cr = False  # the text so far ends in "\r": maybe half of a "\r\n"
        self._start = True
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None
        self._retry: int | None = None
        self._seen = 0
        self._max = max_bytes

    def feed(self, chunk: bytes | str) -> list[SSEEvent]:
        """Parse ``chunk``; return the events it completed."""
        self._seen += len(chunk)
        if self._seen > self._max:
            raise InvalidInputError(
                "", f"stream is over the limit of {self._max:,} bytes", hint="raise max_bytes"
            )
        if isinstance(chunk, bytes):
            try:
                text = self._decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise InvalidInputError(
                    "",
                    f"stream is not UTF-8 ({exc.reason} near byte {self._seen - len(chunk) + exc.start})",
                ) from None
        else:
            text = chunk
        if self._start and text:
            text = text.removeprefix("\ufeff")
            self._start = False
        return self._lines(text, final=False)

    def close(self) -> list[SSEEvent]:
        """End the stream: return the last event even without its closing blank line."""
        try:
            text = self._decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise InvalidInputError("", "stream ends inside a UTF-8 character") from None
        out = self._lines(text, final=True)
        if self._pending:
            out += self._line("".join(self._pending))
            self._pending = []
        out += self._line("")
        return out

    def _lines(self, text: str, *, final: bool) -> list[SSEEvent]:
        # Only the new text is scanned: a line that arrives in many pieces costs its
        # length once, not once per piece.
        if self._held_cr:
            text = "\r" + text
            self._held_cr = False
        if "\r" in text:
            if text.endswith("\r") and not final:
                text, self._held_cr = text[:-1], True
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if "\n" not in text:
            if text:
                self._pending.append(text)
            return []
        first, *lines, rest = text.split("\n")
        if self._pending:
            first = "".join(self._pending) + first
        self._pending = [rest] if rest else []
        out: list[SSEEvent] = []
        for line in (first, *lines):
            if line:
                out += self._line(line)
            else:
                out += self._dispatch()
        return out

    def _line(self, line: str) -> list[SSEEvent]:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return []  # a comment (keep-alive)
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)
        return []

    def _dispatch(self) -> list[SSEEvent]:
        if not self._data:
            self._event = ""
            return []
        event = SSEEvent(self._event or "message", "\n".join(self._data), self._id, self._retry)
        self._event, self._data = "", []
        return [event]


def parse_sse(stream: bytes | str | Iterable[bytes | str]) -> Iterator[SSEEvent]:
    """Yield the events of a whole stream, or of an iterable of chunks.

    Examples:
        >>> [e.data for e in parse_sse("data: 1\\r\\n\\r\\ndata: 2\\n\\n")]
        ['1', '2']
    """
    parser = SSEParser()
    chunks: Iterable[bytes | str] = [stream] if isinstance(stream, bytes | str) else stream
    for chunk in chunks:
        yield from parser.feed(chunk)
    yield from parser.close()


def field(value: object, key: str) -> Any:
    """Return ``value[key]`` when ``value`` is a JSON object, else None."""
    return cast("dict[str, Any]", value).get(key) if isinstance(value, dict) else None


def stream_error(
    index: int | None, path: Iterable[str | int], problem: str, hint: str | None = None
) -> InvalidInputError:
    """Return the error for a malformed stream: the pointer names the event and the place
    (``""``, the stream as a whole, when ``index`` is None)."""
    pointer = "" if index is None else format_pointer(("events", index, *path))
    return InvalidInputError(
        pointer, problem, hint=hint or "the stream is malformed or was cut short; retry the request"
    )


def expect_str(value: object, index: int, path: tuple[str | int, ...]) -> str:
    """Return ``value`` if it is a string; else the error naming event ``index`` at ``path``."""
    if not isinstance(value, str):
        raise stream_error(index, path, "expected a string")
    return value


def append_text(
    target: dict[str, Any], key: str, value: object, index: int, path: tuple[str | int, ...]
) -> None:
    """Append the string ``value`` (a delta at ``path``) to ``target[key]``.

    The text so far came from an earlier event and must be a string too.
    """
    text = expect_str(value, index, path)
    so_far = target.get(key, "")
    if not isinstance(so_far, str):
        raise stream_error(index, path, f"a text delta for a {key} that is not a string")
    target[key] = so_far + text


def optional_str(value: object, index: int, path: tuple[str | int, ...]) -> str | None:
    """Return ``value`` if it is a string or None; else the error, as `expect_str`."""
    return None if value is None else expect_str(value, index, path)


def expect_int(value: object, index: int, path: tuple[str | int, ...]) -> int:
    """Return ``value`` if it is an integer (not a bool); else the error, as `expect_str`."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise stream_error(index, path, "expected an integer")
    return value


def expect_obj(value: object, index: int, path: tuple[str | int, ...]) -> dict[str, Any]:
    """Return ``value`` if it is a JSON object; else the error, as `expect_str`."""
    if not isinstance(value, dict):
        raise stream_error(index, path, "expected an object")
    return cast("dict[str, Any]", value)


def iter_payloads(
    stream: bytes | str | Iterable[bytes | str] | Iterable[Mapping[str, Any]],
) -> Iterator[tuple[int, str, Mapping[str, Any] | None]]:
    """Yield ``(index, event name, JSON payload)``; the payload is None for ``[DONE]``.

    ``stream`` is raw SSE (bytes or text, whole or in chunks) or payloads already
    parsed (e.g. an SDK's events as dicts).
    """
    if not isinstance(stream, bytes | str):
        items = iter(stream)
        first = next(items, None)
        if first is None:
            return
        rest: Iterable[Any] = items
        if isinstance(first, Mapping):
            yield from _parsed([first, *rest])
            return
        stream = _chain(first, rest)
    for i, event in enumerate(parse_sse(stream)):
        if event.data.strip() == "[DONE]":
            yield i, event.event, None
            continue
        try:
            payload = loads(event.data, at=("events", i))
        except InvalidInputError:
            raise
        except ValueError:
            raise stream_error(i, (), f"event data is not JSON: {quote(event.data, 60)}") from None
        if not isinstance(payload, dict):
            raise stream_error(i, (), "event data is not a JSON object")
        yield i, event.event, payload


def _chain(first: bytes | str, rest: Iterable[Any]) -> Iterator[bytes | str]:
    yield first
    yield from rest


def _parsed(items: Iterable[Any]) -> Iterator[tuple[int, str, Mapping[str, Any] | None]]:
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise stream_error(i, (), "expected a JSON object (an event payload)")
        check_json(item, at=("events", i))
        payload = cast("Mapping[str, Any]", item)
        yield i, str(payload.get("type", "message")), payload


class Assembler(Protocol):
    """Folds one format's stream payloads into its final message."""

    def feed(self, index: int, event: str, payload: Mapping[str, Any] | None) -> None:
        """Take one event's payload (None for ``[DONE]``)."""
        ...

    def finish(self) -> Message:
        """Return the assembled message; raise `InvalidInputError` if the stream was incomplete."""
        ...


def _factories() -> dict[str, type[Assembler]]:
    from aifkit.aif._stream_anthropic import AnthropicAssembler
    from aifkit.aif._stream_gemini import GeminiAssembler
    from aifkit.aif._stream_openai import OpenAIChatAssembler, OpenAIResponsesAssembler

    return {
        "anthropic": AnthropicAssembler,
        "gemini": GeminiAssembler,
        "openai-chat": OpenAIChatAssembler,
        "openai-responses": OpenAIResponsesAssembler,
    }


def assemble(
    stream: bytes | str | Iterable[bytes | str] | Iterable[Mapping[str, Any]],
    format: str,
) -> Message:
    """Assemble a streamed response into one AIF assistant message.

    Args:
        stream: The raw stream (bytes or text, whole or as chunks as they arrive),
            or the events' JSON payloads already parsed.
        format: Any format with a stream codec: ``openai-chat``, ``openai-responses``,
            ``anthropic``, ``gemini``, ``cohere``, ``ollama`` (NDJSON lines),
            ``bedrock-converse`` (the binary AWS event stream), or a plugin's.

    Returns:
        The assistant message, as the format's converter reads the same reply from
        a request body; usage, stop reason and response id under
        ``extensions["stream"]["form"]``.

    Raises:
        UnknownNameError: ``format`` has no stream assembler.
        InvalidInputError: the stream is malformed, reports an error, or was cut
            short; the pointer names the event.

    Examples:
        >>> sse = (
        ...     'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"}}]}\\n\\n'
        ...     'data: {"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}\\n\\n'
        ...     'data: [DONE]\\n\\n')
        >>> message = assemble(sse, "openai-chat")
        >>> message.role, message.parts[0].text, message.extensions["stream"]["form"]["stop_reason"]
        ('assistant', 'Hello', 'stop')
    """
    factories = _factories()
    factory = factories.get(format)
    if factory is None:
        from aifkit.aif._sse_codec import STREAM_FORMATS
        from aifkit.aif._stream_events import assemble_events

        if format in STREAM_FORMATS.names():  # assembled from its codec's neutral events
            return assemble_events(stream, format)
        raise UnknownNameError(
            "stream format", format, sorted({*factories, *STREAM_FORMATS.names()})
        )
    assembler = factory()
    for index, event, payload in iter_payloads(stream):
        assembler.feed(index, event, payload)
    return assembler.finish()


def finish_message(
    document_messages: Iterable[Message],
    *,
    format: str,
    provider: str,
    model: str | None,
    meta: Mapping[str, Any],
    extensions: Mapping[str, Mapping[str, Any]] | None = None,
) -> Message:
    """Merge the decoded assistant message(s) into one, with provenance, stream metadata
    and the provider's ``extensions`` (`ResponseEnd.extensions`)."""
    parts = tuple(p for m in document_messages for p in m.parts)
    form = {k: v for k, v in meta.items() if v is not None}
    merged = {k: dict(v) for k, v in (extensions or {}).items()}
    if form:
        merged["stream"] = {"form": form}
    return Message(
        role="assistant",
        parts=parts,
        provenance=Provenance(format=format, provider=provider, model=model),
        extensions=merged,
    )
