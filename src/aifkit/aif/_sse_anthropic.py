"""Anthropic Messages streams, decoded into neutral events and encoded from them.

Decoding: ``message_start`` is `ResponseStart` (with the prompt's usage);
``content_block_start``/``_delta``/``_stop`` are a part's start, deltas and end
(``text``, ``thinking`` and ``tool_use`` blocks; a ``redacted_thinking`` block, whole in
its start, is a reasoning part with its ``data`` as `PartDelta.redacted`, as the
response converter reads it; other block types, such as server tool blocks, are
skipped); ``message_delta`` is
`ResponseEnd` (its stop reason and final usage; ``message_stop`` then adds
nothing); ``ping`` is dropped; ``error`` is `StreamError`.

Encoding: Anthropic numbers blocks in order and never interleaves them, so when
a part starts while another is still open (OpenAI interleaves parallel tool
calls), its events wait until the open block stops: the only thing this encoder
holds back. A chat stream never says a tool call ended, so an open tool call
whose arguments are already whole JSON is stopped as soon as the next part
starts; only a call still mid-arguments makes the next one wait. A reasoning block
opens at its first delta (or its end), which tells whether it is ``redacted_thinking``
(Anthropic's own redacted reasoning, its ``data`` whole in ``content_block_start``; no
delta follows) or ``thinking``. A refusal is written as a text block; a tool call id outside
Anthropic's alphabet (``[a-zA-Z0-9_-]``) is rewritten the way the request
converter rewrites it, so the call and its result keep matching. Final usage goes
in ``message_delta``; ``message_start`` says what is known then (0 otherwise).
Empty deltas and pings are not written.
"""

from __future__ import annotations

import re
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
from aifkit.aif._response import Usage
from aifkit.aif._sse_codec import (
    BuiltinCodec,
    EventEncoder,
    PayloadDecoder,
    cut_short,
    dumps,
    event_type,
    frame,
    text_or_none,
)
from aifkit.aif._stream import expect_int, expect_obj, expect_str, field, stream_error
from aifkit.aif._vocab import ANTHROPIC_FINISH, ANTHROPIC_USAGE
from aifkit.aif.converters._anthropic_blocks import _ID_CHARS  # pyright: ignore[reportPrivateUsage]
from aifkit.aif.converters._anthropic_decode import NAME as PROVIDER
from aifkit.aif.converters._anthropic_decode import TOOL_ID
from aifkit.aif.converters._common import IdMapper

__all__ = ["AnthropicStreamCodec", "AnthropicStreamDecoder", "AnthropicStreamEncoder"]

_BLOCK_KINDS: Final[Mapping[str, PartKind]] = {
    "text": "text",
    "thinking": "reasoning",
    "tool_use": "tool_call",
}
_DELTA_FIELDS: Final = {"text_delta": "text", "thinking_delta": "thinking"}
_HEAD: Final = 'event: content_block_delta\ndata: {"type":"content_block_delta","index":'
_DELTA_KEYS: Final[Mapping[PartKind, str]] = {  # the delta's type, then its field
    "text": 'text_delta","text',
    "refusal": 'text_delta","text',
    "reasoning": 'thinking_delta","thinking',
    "tool_call": 'input_json_delta","partial_json',
}
_JSON_MARKS: Final = re.compile(r'[\\"{}\[\]]')
_THINKING: Final[Mapping[str, str]] = {"type": "thinking", "thinking": "", "signature": ""}


class AnthropicStreamDecoder(PayloadDecoder):
    """Reads an Anthropic Messages stream into neutral events."""

    provider = PROVIDER

    def __init__(self) -> None:
        super().__init__()
        self._blocks: dict[int, int] = {}  # open block index -> part index
        self._skipped: set[int] = set()  # open blocks of types not carried
        self._usage: dict[str, Any] = {}

    def on_payload(
        self, index: int, event: str, payload: Mapping[str, Any] | None, out: list[StreamEvent]
    ) -> None:
        """Turn one event into neutral events."""
        if payload is None:
            return
        kind = event_type(index, payload, event)
        if kind == "content_block_delta":
            self._delta(index, payload, out)
        elif kind == "content_block_start":
            self._start_block(index, payload, out)
        elif kind == "content_block_stop":
            i = expect_int(payload.get("index"), index, ("index",))
            part = self._blocks.pop(i, None)
            if part is not None:
                out.append(PartEnd(part))
            elif i in self._skipped:
                self._skipped.discard(i)
            else:
                raise stream_error(
                    index, ("index",), f"content_block_stop for block {i}, which is not open"
                )
        elif kind == "message_start":
            message = expect_obj(payload.get("message"), index, ("message",))
            raw_usage = message.get("usage")
            if isinstance(raw_usage, dict):
                self._usage = dict(cast("dict[str, Any]", raw_usage))
            self.started(
                ResponseStart(
                    id=text_or_none(message.get("id")),
                    model=text_or_none(message.get("model")),
                    usage=self._read_usage(),
                ),
                out,
            )
        elif kind == "message_delta":
            self._message_delta(index, payload, out)
        elif kind == "message_stop":
            if not self.ended:
                self.ended = True
                out.append(ResponseEnd(usage=self._read_usage()))
        elif kind == "error":
            self.failed(payload.get("error"), "type", out)

    def _start_block(self, index: int, payload: Mapping[str, Any], out: list[StreamEvent]) -> None:
        self._need_start(index)
        i = expect_int(payload.get("index"), index, ("index",))
        block = expect_obj(payload.get("content_block"), index, ("content_block",))
        block_type = text_or_none(block.get("type")) or ""
        kind = _BLOCK_KINDS.get(block_type)
        if kind is None:
            if block_type == "redacted_thinking":  # whole in its start: reasoning, redacted
                data = expect_str(block.get("data"), index, ("content_block", "data"))
                self._blocks[i] = part = self.new_part("reasoning", out)
                out.append(self.signed(part, redacted=data))
            else:
                self._skipped.add(i)
            return
        if kind == "tool_call":
            call_id = expect_str(block.get("id"), index, ("content_block", "id"))
            name = expect_str(block.get("name"), index, ("content_block", "name"))
            self._blocks[i] = self.new_part(kind, out, id=call_id, name=name)
            return
        part = self._blocks[i] = self.new_part(kind, out)
        text = block.get("text" if kind == "text" else "thinking")
        if isinstance(text, str) and text:
            out.append(PartDelta(part, text))

    def _delta(self, index: int, payload: Mapping[str, Any], out: list[StreamEvent]) -> None:
        i = expect_int(payload.get("index"), index, ("index",))
        part = self._blocks.get(i)
        if part is None:
            if i in self._skipped:
                return
            raise stream_error(index, ("index",), f"a delta for block {i}, which is not open")
        delta = expect_obj(payload.get("delta"), index, ("delta",))
        kind = text_or_none(delta.get("type")) or ""
        key = _DELTA_FIELDS.get(kind) or ("partial_json" if kind == "input_json_delta" else None)
        if key is not None:
            text = expect_str(delta.get(key), index, ("delta", key))
            if text:
                out.append(PartDelta(part, text))
        elif kind == "signature_delta":
            sig = expect_str(delta.get("signature"), index, ("delta", "signature"))
            out.append(self.signed(part, sig))
        # citations_delta and deltas of newer kinds carry nothing the neutral model holds.

    def _message_delta(
        self, index: int, payload: Mapping[str, Any], out: list[StreamEvent]
    ) -> None:
        self._need_start(index)
        raw_usage: Any = payload.get("usage")
        if isinstance(raw_usage, dict):
            self._usage.update(cast("dict[str, Any]", raw_usage))
        reason: Any = field(payload.get("delta"), "stop_reason")
        if reason is not None:
            reason = expect_str(reason, index, ("delta", "stop_reason"))
        if self.ended:
            return  # a second message_delta: the reply already ended
        self.ended = True
        finish = ANTHROPIC_FINISH.reason(reason) if reason else None
        out.append(ResponseEnd(finish, reason, self._read_usage()))

    def _read_usage(self) -> Usage | None:
        return ANTHROPIC_USAGE.read_lenient(self._usage) if self._usage else None

    def _need_start(self, index: int) -> None:
        if not self.begun:
            raise stream_error(index, ("type",), "an event before message_start")

    def on_close(self, out: list[StreamEvent]) -> None:
        """Raise if the stream ended early."""
        if not self.ended:
            raise cut_short("message_delta")


class JsonDepth:
    """Follows a JSON text fragment by fragment, to tell when it is whole (linear in its length).

    Examples:
        >>> j = JsonDepth()
        >>> j.feed('{"a": "}'); j.complete
        False
        >>> j.feed('", "b": [1]}'); j.complete
        True
    """

    __slots__ = ("_depth", "_escape", "_started", "_string")

    def __init__(self) -> None:
        self._depth = 0
        self._started = False
        self._string = False
        self._escape = False

    def feed(self, text: str) -> None:
        """Take the next fragment."""
        for match in _JSON_MARKS.finditer(text):  # only the characters that matter
            ch = match.group()
            if self._string:
                if self._escape:
                    self._escape = False
                elif ch == "\\":
                    self._escape = True
                elif ch == '"':
                    self._string = False
            elif ch == '"':
                self._string = True
            elif ch in "{[":
                self._depth += 1
                self._started = True
            elif ch in "}]":
                self._depth -= 1

    @property
    def complete(self) -> bool:
        """Whether an object or array began and has closed."""
        return self._started and self._depth <= 0 and not self._string


class AnthropicStreamEncoder(EventEncoder):
    """Writes neutral events as an Anthropic Messages stream."""

    provider = PROVIDER

    def __init__(self) -> None:
        super().__init__()
        self._started = False
        self._blocks = 0  # blocks written so far
        self._current: int | None = None  # the part whose block is open
        self._waiting: dict[int, list[StreamEvent]] = {}  # parts held back, in start order
        self._kinds: dict[int, PartKind] = {}
        self._ids: IdMapper | None = None
        self._json = JsonDepth()  # where the open tool call's arguments stand
        # A reasoning block opens at its first delta, which tells whether it is thinking
        # or redacted_thinking (whose data comes whole in content_block_start).
        self._unopened = False
        self._redacted = False  # the open block is redacted_thinking: nothing more goes in

    def on_delta(self, event: PartDelta, out: list[str]) -> None:
        """Write the delta of the open block; hold one of a part that waits."""
        if event.index == self._current:
            self._delta(event, out)
        elif event.index in self._waiting:
            self._waiting[event.index].append(event)

    def on_part_start(self, event: PartStart, out: list[str]) -> None:
        """Open the part's block, or hold the part while another block is open."""
        self._begin(out)
        if self._current is not None and not self._waiting and self._json.complete:
            self._close_block(out)  # its arguments are whole: nothing more can follow
        if self._current is None and not self._waiting:
            self._open(event, out)
        else:
            self._waiting[event.index] = [event]

    def on_part_end(self, event: PartEnd, out: list[str]) -> None:
        """Stop the open block and write the parts that waited for it."""
        if event.index == self._current:
            self._close_block(out)
            self._drain(out, final=False)
        elif event.index in self._waiting:
            self._waiting[event.index].append(event)

    def on_start(self, event: ResponseStart, out: list[str]) -> None:
        """Write ``message_start``."""
        self._start(event, out)

    def on_error(self, event: StreamError, out: list[str]) -> None:
        """Write the ``error`` event."""
        if self._unopened:
            self._write_start(_THINKING, out)
        error = {"type": event.error_type, "message": event.message}
        out.append(frame({"type": "error", "error": error}, "error"))

    def _begin(self, out: list[str]) -> None:
        if not self._started:
            self._start(ResponseStart(), out)

    def _start(self, event: ResponseStart, out: list[str]) -> None:
        if self._started:
            return
        self._started = True
        usage = ANTHROPIC_USAGE.write_nested(event.usage or Usage(), fill=True)
        message: dict[str, Any] = {
            "id": event.id or "msg_aif",
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": event.model or "",
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage,
        }
        out.append(frame({"type": "message_start", "message": message}, "message_start"))

    def _open(self, event: PartStart, out: list[str]) -> None:
        kind = event.kind
        self._kinds[event.index] = kind
        self._current = event.index
        self._json = JsonDepth()
        if kind == "tool_call":
            block: dict[str, Any] = {
                "type": "tool_use",
                "id": self._tool_id(event.id or f"toolu_aif_{event.index}"),
                "name": event.name or "",
                "input": {},
            }
        elif kind == "reasoning":
            self._unopened = True  # written by the first delta, or when the block stops
            return
        else:
            block = {"type": "text", "text": ""}
        self._write_start(block, out)

    def _write_start(self, block: Mapping[str, Any], out: list[str]) -> None:
        self._unopened = False
        out.append(
            frame(
                {"type": "content_block_start", "index": self._blocks, "content_block": block},
                "content_block_start",
            )
        )

    def _tool_id(self, original: str) -> str:
        if self._ids is None:
            if TOOL_ID.match(original):
                return original
            self._ids = IdMapper(
                lambda s: TOOL_ID.match(s) is not None, lambda s: _ID_CHARS.sub("_", s), 1 << 16
            )
        return self._ids.map(original)

    def _delta(self, event: PartDelta, out: list[str]) -> None:
        if self._unopened:
            data = self.own_redacted(event)
            if data is not None:
                self._write_start({"type": "redacted_thinking", "data": data}, out)
                self._redacted = True
            else:
                self._write_start(_THINKING, out)
        if self._redacted:
            return  # a redacted_thinking block has no deltas
        kind = self._kinds[event.index]
        if event.text:
            if kind == "tool_call":
                self._json.feed(event.text)
            # The hottest path of a stream: the frame is written as text, not built as a dict.
            key = _DELTA_KEYS[kind]
            out.append(
                f'{_HEAD}{self._blocks},"delta":{{"type":"{key}":{dumps(event.text)}}}}}\n\n'
            )
        signature = self.own_signature(event) if event.signature else None
        if signature and kind == "reasoning":
            delta = {"type": "signature_delta", "signature": signature}
            out.append(
                frame(
                    {"type": "content_block_delta", "index": self._blocks, "delta": delta},
                    "content_block_delta",
                )
            )

    def _close_block(self, out: list[str]) -> None:
        if self._unopened:
            self._write_start(_THINKING, out)
        self._redacted = False
        out.append(
            frame({"type": "content_block_stop", "index": self._blocks}, "content_block_stop")
        )
        self._blocks += 1
        self._current = None

    def _drain(self, out: list[str], *, final: bool) -> None:
        """Write the held-back parts, in order, until one is still open."""
        while self._current is None and self._waiting:
            index = next(iter(self._waiting))
            events = self._waiting.pop(index)
            start = events[0]
            assert isinstance(start, PartStart)
            self._open(start, out)
            for e in events[1:]:
                if isinstance(e, PartDelta):
                    self._delta(e, out)
                else:
                    self._close_block(out)
            if final and self._current is not None:
                self._close_block(out)

    def on_end(self, event: ResponseEnd, out: list[str]) -> None:
        """Stop the open block, write the parts still held, then ``message_delta``
        (stop reason, final usage) and ``message_stop``."""
        self._begin(out)
        if self._current is not None:
            self._close_block(out)
        self._drain(out, final=True)
        usage = self.final_usage(event)
        reason = ANTHROPIC_FINISH.word(event.finish_reason, event.raw_finish_reason)[0]
        delta = {"stop_reason": reason or "end_turn", "stop_sequence": None}
        wire_usage = {"output_tokens": 0} | ANTHROPIC_USAGE.write_nested(usage or Usage())
        out.append(
            frame({"type": "message_delta", "delta": delta, "usage": wire_usage}, "message_delta")
        )
        out.append(frame({"type": "message_stop"}, "message_stop"))


class AnthropicStreamCodec(BuiltinCodec):
    """The ``anthropic`` stream codec."""

    name = "anthropic"
    decoder_type = AnthropicStreamDecoder
    encoder_type = AnthropicStreamEncoder
