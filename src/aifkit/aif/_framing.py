"""Stream framings other than Server-Sent Events: NDJSON lines and AWS event streams.

A stream decoder reads its format's framing into `SSEEvent`\\ s (an event name and
its JSON text), whatever the framing, so the same `PayloadDecoder` serves every
format. `NDJSONParser` reads newline-delimited JSON (Ollama's ``/api/chat``): each
non-empty line is one event. `EventStreamParser` reads the binary
``application/vnd.amazon.eventstream`` framing (Bedrock ``ConverseStream``): a
prelude (total and header lengths, with their CRC32), typed headers, the payload
and a CRC32 of the whole message; `event_message` writes one such message.

Examples:
    >>> frame = event_message("messageStart", b'{"role":"assistant"}')
    >>> parser = EventStreamParser()
    >>> parser.feed(frame[:10])
    []
    >>> parser.feed(frame[10:])
    [SSEEvent(event='messageStart', data='{"role":"assistant"}', id=None, retry=None)]
"""

from __future__ import annotations

import struct
import zlib
from typing import Final, Protocol

from aifkit.aif._codec import MAX_INPUT_BYTES
from aifkit.aif._stream import SSEEvent, SSEParser
from aifkit.errors import InvalidInputError

__all__ = ["EventStreamParser", "FrameParser", "NDJSONParser", "event_message"]


class FrameParser(Protocol):
    """Reads one framing incrementally into events (`SSEParser` is one)."""

    def feed(self, chunk: bytes | str) -> list[SSEEvent]:
        """Take the next chunk (split anywhere); return the events it completed."""
        ...

    def close(self) -> list[SSEEvent]:
        """End the stream; return the last events."""
        ...


class NDJSONParser(SSEParser):
    """Newline-delimited JSON, incrementally: each non-empty line is one event
    (named ``message``). Line endings, UTF-8 split across chunks and the size limit
    are handled as `SSEParser` handles them.

    Examples:
        >>> p = NDJSONParser()
        >>> p.feed(b'{"a": 1}\\n{"b"')
        [SSEEvent(event='message', data='{"a": 1}', id=None, retry=None)]
        >>> p.feed(b": 2}"), p.close()
        ([], [SSEEvent(event='message', data='{"b": 2}', id=None, retry=None)])
    """

    def _line(self, line: str) -> list[SSEEvent]:
        return [SSEEvent("message", line)] if line.strip() else []

    def _dispatch(self) -> list[SSEEvent]:
        return []


_PRELUDE: Final = struct.Struct(">III")
_MIN_MESSAGE: Final = 16  # prelude (12) + message CRC (4)
MAX_MESSAGE: Final = 16 * 1024 * 1024
"""The largest message the AWS event stream framing allows (16 MiB)."""
_FIXED: Final = {0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16}  # header type -> value size


def _error(offset: int, problem: str) -> InvalidInputError:
    return InvalidInputError(
        "", f"malformed event stream message at byte {offset:,}: {problem}",
        hint="the body must be application/vnd.amazon.eventstream, as Bedrock ConverseStream sends it",
    )  # fmt: skip


class EventStreamParser:
    """The AWS event stream framing (``application/vnd.amazon.eventstream``), incrementally.

    Each message becomes an `SSEEvent` named by its ``:event-type`` header (for an
    exception message, by its ``:exception-type``, such as ``throttlingException``)
    with the payload as text. Both CRCs are checked; a message is returned only once
    all its bytes arrived. Bytes are kept from the first unread message on, so a
    stream costs its length once however it is cut.
    """

    def __init__(self, *, max_bytes: int = MAX_INPUT_BYTES) -> None:
        self._buf = bytearray()
        self._seen = 0
        self._max = max_bytes

    def feed(self, chunk: bytes | str) -> list[SSEEvent]:
        """Take the next chunk (bytes; split anywhere); return the messages it completed."""
        if isinstance(chunk, str):
            raise InvalidInputError(
                "", "an AWS event stream is binary; got text", hint="pass the response bytes"
            )
        self._seen += len(chunk)
        if self._seen > self._max:
            raise InvalidInputError(
                "", f"stream is over the limit of {self._max:,} bytes", hint="raise max_bytes"
            )
        self._buf += chunk
        out: list[SSEEvent] = []
        buf, at = self._buf, 0
        while len(buf) - at >= _MIN_MESSAGE:
            total, headers_len, prelude_crc = _PRELUDE.unpack_from(buf, at)
            offset = self._seen - len(buf) + at
            if zlib.crc32(memoryview(buf)[at : at + 8]) != prelude_crc:
                raise _error(offset, "the prelude CRC does not match")
            if not _MIN_MESSAGE <= total <= MAX_MESSAGE or headers_len > total - _MIN_MESSAGE:
                raise _error(offset, f"impossible lengths (message {total}, headers {headers_len})")
            if len(buf) - at < total:
                break
            view = memoryview(buf)[at : at + total]
            (crc,) = struct.unpack_from(">I", view, total - 4)
            if zlib.crc32(view[: total - 4]) != crc:
                raise _error(offset, "the message CRC does not match")
            headers = _headers(view[12 : 12 + headers_len], offset)
            payload = bytes(view[12 + headers_len : total - 4])
            view.release()
            at += total
            kind = headers.get(":message-type", "event")
            name = headers.get(":exception-type" if kind == "exception" else ":event-type", "")
            if kind == "error":
                name = headers.get(":error-code", "error")
                payload = (headers.get(":error-message") or payload.decode("utf-8", "replace")).encode()  # fmt: skip
            try:
                text = payload.decode()
            except UnicodeDecodeError:
                raise _error(offset, "the payload is not UTF-8") from None
            out.append(SSEEvent(name or "message", text))
        if at:
            del buf[:at]
        return out

    def close(self) -> list[SSEEvent]:
        """End the stream; raise if a message was cut off."""
        if self._buf:
            raise _error(self._seen - len(self._buf), f"the stream ends inside a message ({len(self._buf)} bytes left)")  # fmt: skip
        return []


def _headers(data: memoryview, offset: int) -> dict[str, str]:
    out: dict[str, str] = {}
    at, end = 0, len(data)
    while at < end:
        size = data[at]
        name = bytes(data[at + 1 : at + 1 + size]).decode("utf-8", "replace")
        at += 1 + size
        if at >= end:
            raise _error(offset, f"header {name!r} has no value")
        kind = data[at]
        at += 1
        if kind in (6, 7):
            if at + 2 > end:
                raise _error(offset, f"header {name!r} is cut short")
            (length,) = struct.unpack_from(">H", data, at)
            value = bytes(data[at + 2 : at + 2 + length])
            at += 2 + length
            if kind == 7:
                out[name] = value.decode("utf-8", "replace")
        elif kind in _FIXED:
            at += _FIXED[kind]
        else:
            raise _error(offset, f"header {name!r} has unknown type {kind}")
        if at > end:
            raise _error(offset, f"header {name!r} is cut short")
    return out


def _string_header(name: str, value: str) -> bytes:
    raw_name, raw = name.encode(), value.encode()
    return bytes([len(raw_name)]) + raw_name + b"\x07" + struct.pack(">H", len(raw)) + raw


_EVENT_HEADERS: Final = _string_header(":content-type", "application/json") + _string_header(
    ":message-type", "event"
)


def event_message(event_type: str, payload: bytes, *, exception: bool = False) -> bytes:
    """One AWS event stream message: an event (``:event-type``) or an exception
    (``:exception-type``) with a JSON payload.

    Examples:
        >>> m = event_message("metadata", b"{}")
        >>> len(m), m[:4] == len(m).to_bytes(4, "big")
        (96, True)
    """
    if exception:
        headers = (
            _string_header(":exception-type", event_type)
            + _string_header(":content-type", "application/json")
            + _string_header(":message-type", "exception")
        )
    else:
        headers = _string_header(":event-type", event_type) + _EVENT_HEADERS
    total = _MIN_MESSAGE + len(headers) + len(payload)
    prelude = struct.pack(">II", total, len(headers))
    head = prelude + struct.pack(">I", zlib.crc32(prelude)) + headers + payload
    return head + struct.pack(">I", zlib.crc32(head))
