"""OpenAI Responses streams, decoded into neutral events and encoded from them.

Decoding: ``response.created`` is `ResponseStart`; each ``output_text`` or
``refusal`` content part of a ``message`` item is a text or refusal part (from
``response.content_part.added`` to ``.done``); a ``reasoning`` item is one
reasoning part (its summaries joined by blank lines, as the converter joins them;
on ``response.output_item.done``, its id is the part's signature and its
``encrypted_content`` the part's redacted reasoning, as the converters read a
reasoning item); a ``function_call`` item is a tool call (``call_id`` is its id).
``response.completed`` or ``response.incomplete`` is `ResponseEnd`;
``response.failed`` and ``error`` are `StreamError`. The ``*.done`` events repeat
what the deltas built, and add nothing, except where their text goes on past it:
the API's deltas of a reasoning summary can stop short of its final text (the
closing ``**`` of a bold title), and the rest is then sent as one more delta.

Encoding: every event gets the next ``sequence_number``; each part is its own
output item (a text part is a ``message`` item with one content part), with item
ids made from the response id (``msg_<hash>_<n>``, ``rs_``, ``fc_``), the same
for the same stream every time. The ``*.done`` events repeat the part's whole
text, as the API does, so the encoder keeps a copy of each part until it ends;
``response.completed`` carries every item and the usage; ``created_at`` is the
source's, or 0 when it sent none. Parts may interleave: every event names its
``output_index``. A reasoning item's ``encrypted_content`` is OpenAI's own redacted
reasoning (`PartDelta.redacted`); its id, the part's signature, is not written back
(item ids are the encoder's own).
"""

from __future__ import annotations

import hashlib
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
    dumps,
    event_type,
    frame,
    seconds_or_none,
    text_or_none,
)
from aifkit.aif._stream import expect_int, expect_obj, expect_str, field
from aifkit.aif._vocab import OPENAI_RESPONSES_FINISH, OPENAI_RESPONSES_USAGE
from aifkit.aif.converters._openai_responses_decode import PROVIDER

__all__ = [
    "OpenAIResponsesStreamCodec",
    "OpenAIResponsesStreamDecoder",
    "OpenAIResponsesStreamEncoder",
]

_CONTENT_KINDS: Final[Mapping[str, PartKind]] = {"output_text": "text", "refusal": "refusal"}
_DELTAS: Final[Mapping[str, PartKind]] = {
    "response.output_text.delta": "text",
    "response.refusal.delta": "refusal",
}
_DELTA_EVENTS: Final[Mapping[PartKind, tuple[str, str]]] = {  # event type, what ends the frame
    "text": ("response.output_text.delta", ',"logprobs":[]}\n\n'),
    "refusal": ("response.refusal.delta", "}\n\n"),
    "tool_call": ("response.function_call_arguments.delta", "}\n\n"),
    "reasoning": ("response.reasoning_summary_text.delta", "}\n\n"),
}
_ITEM_DELTAS: Final[Mapping[str, tuple[str, str | None]]] = {  # segment family, its index
    "response.function_call_arguments.delta": ("args", None),
    "response.reasoning_summary_text.delta": ("summary", "summary_index"),
    "response.reasoning_text.delta": ("reasoning_text", "content_index"),
}
_DONES: Final[Mapping[str, tuple[str, str | None, str]]] = {  # family, index, full text's key
    "response.output_text.done": ("content", "content_index", "text"),
    "response.refusal.done": ("content", "content_index", "refusal"),
    "response.function_call_arguments.done": ("args", None, "arguments"),
    "response.reasoning_summary_text.done": ("summary", "summary_index", "text"),
    "response.reasoning_text.done": ("reasoning_text", "content_index", "text"),
}


class OpenAIResponsesStreamDecoder(PayloadDecoder):
    """Reads a Responses stream into neutral events."""

    provider = PROVIDER

    def __init__(self) -> None:
        super().__init__()
        self._items: dict[int, int] = {}  # open reasoning / function_call item -> part
        self._content: dict[tuple[int, int], int] = {}  # open (item, content index) -> part
        self._argued: set[int] = set()  # tool call parts that got argument deltas
        self._built: dict[tuple[int, str, int], list[str]] = {}  # text so far, per segment
        self._calls = False

    def on_payload(
        self, index: int, event: str, payload: Mapping[str, Any] | None, out: list[StreamEvent]
    ) -> None:
        """Turn one event into neutral events."""
        if payload is None:
            return
        kind = event_type(index, payload, event)
        if kind in _DELTAS:
            key = self._key(index, payload)
            part = self._content.get(key)
            if part is None:  # a delta without its content_part.added
                part = self._open_content(key, _DELTAS[kind], out)
            self._text(index, part, (key[0], "content", key[1]), payload, out)
        elif kind in _ITEM_DELTAS:
            oi = expect_int(payload.get("output_index"), index, ("output_index",))
            part = self._items.get(oi)
            if part is not None:
                self._argued.add(part)
                family, at = _ITEM_DELTAS[kind]
                sub = expect_int(payload.get(at, 0), index, (at,)) if at else 0
                self._text(index, part, (oi, family, sub), payload, out)
        elif kind in _DONES:
            self._done_text(index, kind, payload, out)
        elif kind == "response.output_item.added":
            self._added(index, payload, out)
        elif kind == "response.content_part.added":
            self._content_added(index, payload, out)
        elif kind == "response.content_part.done":
            part = self._content.pop(self._key(index, payload), None)
            if part is not None:
                out.append(PartEnd(part))
        elif kind == "response.reasoning_summary_part.added":
            oi = expect_int(payload.get("output_index"), index, ("output_index",))
            part = self._items.get(oi)
            if part is not None and payload.get("summary_index", 0) != 0:
                out.append(PartDelta(part, "\n\n"))
        elif kind == "response.output_item.done":
            self._done(index, payload, out)
        else:
            self._response(index, str(kind), payload, out)

    def _response(
        self, index: int, kind: str, payload: Mapping[str, Any], out: list[StreamEvent]
    ) -> None:
        if kind == "response.created":
            response = expect_obj(payload.get("response"), index, ("response",))
            self.started(
                ResponseStart(
                    id=text_or_none(response.get("id")),
                    model=text_or_none(response.get("model")),
                    created=seconds_or_none(response.get("created_at")),
                ),
                out,
            )
        elif kind in ("response.completed", "response.incomplete"):
            response = expect_obj(payload.get("response"), index, ("response",))
            self._close_all(out)
            raw_usage = response.get("usage")
            usage = (
                OPENAI_RESPONSES_USAGE.read_lenient(cast("dict[str, Any]", raw_usage))
                if isinstance(raw_usage, dict)
                else None
            )
            if kind == "response.completed":
                raw = "completed"
            else:
                raw = str(field(response.get("incomplete_details"), "reason") or "incomplete")
            self.ended = True
            finish = OPENAI_RESPONSES_FINISH.reason(raw, calls=self._calls)
            out.append(ResponseEnd(finish, raw, usage))
        elif kind in ("response.failed", "error"):
            err: Any = payload if kind == "error" else field(payload.get("response"), "error")
            self.failed(err, "code" if field(err, "code") else "type", out)

    def _key(self, index: int, payload: Mapping[str, Any]) -> tuple[int, int]:
        oi = expect_int(payload.get("output_index"), index, ("output_index",))
        return oi, expect_int(payload.get("content_index", 0), index, ("content_index",))

    def _open_content(self, key: tuple[int, int], kind: PartKind, out: list[StreamEvent]) -> int:
        part = self._content[key] = self.new_part(kind, out)
        return part

    def _text(
        self,
        index: int,
        part: int,
        segment: tuple[int, str, int],
        payload: Mapping[str, Any],
        out: list[StreamEvent],
    ) -> None:
        text = expect_str(payload.get("delta"), index, ("delta",))
        if text:
            out.append(PartDelta(part, text))
            self._built.setdefault(segment, []).append(text)

    def _done_text(
        self, index: int, kind: str, payload: Mapping[str, Any], out: list[StreamEvent]
    ) -> None:
        """Add what a ``*.done`` text has beyond its deltas (the API's deltas of a reasoning
        summary can stop short of its final text)."""
        family, at, key = _DONES[kind]
        oi = expect_int(payload.get("output_index"), index, ("output_index",))
        sub = expect_int(payload.get(at, 0), index, (at,)) if at else 0
        part = self._content.get((oi, sub)) if family == "content" else self._items.get(oi)
        full = payload.get(key)
        if part is None or not isinstance(full, str):
            return
        built = "".join(self._built.pop((oi, family, sub), ()))
        if len(full) > len(built) and full.startswith(built):
            out.append(PartDelta(part, full[len(built) :]))
        if family == "args":
            self._argued.add(part)

    def _content_added(
        self, index: int, payload: Mapping[str, Any], out: list[StreamEvent]
    ) -> None:
        key = self._key(index, payload)
        part_obj = expect_obj(payload.get("part"), index, ("part",))
        kind = _CONTENT_KINDS.get(text_or_none(part_obj.get("type")) or "")
        if kind is not None and key not in self._content:
            part = self._open_content(key, kind, out)
            text = part_obj.get("text" if kind == "text" else "refusal")
            if isinstance(text, str) and text:
                out.append(PartDelta(part, text))
                self._built.setdefault((key[0], "content", key[1]), []).append(text)

    def _added(self, index: int, payload: Mapping[str, Any], out: list[StreamEvent]) -> None:
        oi = expect_int(payload.get("output_index"), index, ("output_index",))
        item = expect_obj(payload.get("item"), index, ("item",))
        kind = item.get("type")
        if kind == "reasoning":
            self._items[oi] = self.new_part("reasoning", out)
        elif kind == "function_call":
            self._calls = True
            call_id = expect_str(item.get("call_id"), index, ("item", "call_id"))
            name = expect_str(item.get("name"), index, ("item", "name"))
            part = self._items[oi] = self.new_part("tool_call", out, id=call_id, name=name)
            arguments = item.get("arguments")
            if isinstance(arguments, str) and arguments:
                self._argued.add(part)
                out.append(PartDelta(part, arguments))
                self._built.setdefault((oi, "args", 0), []).append(arguments)

    def _done(self, index: int, payload: Mapping[str, Any], out: list[StreamEvent]) -> None:
        oi = expect_int(payload.get("output_index"), index, ("output_index",))
        item = expect_obj(payload.get("item"), index, ("item",))
        part = self._items.pop(oi, None)
        if part is not None:
            if part not in self._argued:  # no deltas came: the item alone says it all
                text = item.get("arguments")
                if isinstance(text, str) and text:
                    out.append(PartDelta(part, text))
            if item.get("type") == "reasoning":  # its id replays it; its content is encrypted
                self._reasoning_done(part, index, item, out)
            out.append(PartEnd(part))
        for key in [k for k in self._content if k[0] == oi]:
            out.append(PartEnd(self._content.pop(key)))

    def _reasoning_done(
        self, part: int, index: int, item: Mapping[str, Any], out: list[StreamEvent]
    ) -> None:
        item_id = item.get("id")
        signature = expect_str(item_id, index, ("item", "id")) if item_id is not None else None
        encrypted = item.get("encrypted_content")
        if encrypted is not None:
            encrypted = expect_str(encrypted, index, ("item", "encrypted_content")) or None
        if signature or encrypted:
            out.append(self.signed(part, signature or None, redacted=encrypted))

    def _close_all(self, out: list[StreamEvent]) -> None:
        ends = sorted([*self._items.values(), *self._content.values()])
        self._items.clear()
        self._content.clear()
        out += [PartEnd(i) for i in ends]

    def on_close(self, out: list[StreamEvent]) -> None:
        """Raise if the stream ended early."""
        if not self.ended:
            raise cut_short("response.completed")


class _Item:
    """An output item being written: its wire shape and the text so far."""

    __slots__ = ("delta", "done", "encrypted", "index", "item", "kind", "text")

    def __init__(self, index: int, kind: PartKind, item: dict[str, Any]) -> None:
        self.index = index
        self.kind: PartKind = kind
        self.item = item
        self.text: list[str] = []
        self.encrypted: str | None = None  # a reasoning item's encrypted_content
        self.done = False
        self.delta: tuple[str, str, str] = (
            "",
            "",
            "",
        )  # see OpenAIResponsesStreamEncoder._delta_frame


class OpenAIResponsesStreamEncoder(EventEncoder):
    """Writes neutral events as a Responses stream."""

    provider = PROVIDER

    def __init__(self) -> None:
        super().__init__()
        self._seq = 0
        self._shell: dict[str, Any] | None = None
        self._base = ""
        self._items: dict[int, _Item] = {}  # part -> its item
        self._order: list[_Item] = []

    def on_part_start(self, event: PartStart, out: list[str]) -> None:
        """Add the part's output item."""
        self._start_part(event, out)

    def on_part_end(self, event: PartEnd, out: list[str]) -> None:
        """Write the ``*.done`` events of the part's item."""
        item = self._items.get(event.index)
        if item is not None and not item.done:
            self._end_part(item, out)

    def on_start(self, event: ResponseStart, out: list[str]) -> None:
        """Write ``response.created`` and ``response.in_progress``."""
        self._start(event, out)

    def on_error(self, event: StreamError, out: list[str]) -> None:
        """Write the ``error`` event."""
        self._emit(out, "error", code=event.error_type, message=event.message, param=None)

    def _emit(self, out: list[str], kind: str, **fields: Any) -> None:
        out.append(frame({"type": kind, "sequence_number": self._seq, **fields}, kind))
        self._seq += 1

    def _start(self, event: ResponseStart, out: list[str]) -> None:
        if self._shell is not None:
            return
        rid = event.id or "resp_aif"
        self._base = hashlib.sha256(rid.encode()).hexdigest()[:24]
        self._shell = {
            "id": rid,
            "object": "response",
            "created_at": event.created or 0,
            "status": "in_progress",
            "model": event.model or "",
            "output": [],
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "error": None,
            "incomplete_details": None,
            "usage": None,
        }
        self._emit(out, "response.created", response=self._shell)
        self._emit(out, "response.in_progress", response=self._shell)

    def _start_part(self, event: PartStart, out: list[str]) -> None:
        if self._shell is None:
            self._start(ResponseStart(), out)
        oi = len(self._order)
        if event.kind == "tool_call":
            wire: dict[str, Any] = {
                "id": f"fc_{self._base}_{oi}",
                "type": "function_call",
                "call_id": event.id or f"call_aif_{event.index}",
                "name": event.name or "",
                "arguments": "",
                "status": "in_progress",
            }
        elif event.kind == "reasoning":
            wire = {"id": f"rs_{self._base}_{oi}", "type": "reasoning", "summary": []}
        else:
            wire = {
                "id": f"msg_{self._base}_{oi}",
                "type": "message",
                "status": "in_progress",
                "role": "assistant",
                "content": [],
            }
        item = self._items[event.index] = _Item(oi, event.kind, wire)
        item.delta = self._delta_frame(item)
        self._order.append(item)
        self._emit(out, "response.output_item.added", output_index=oi, item=wire)
        if event.kind in ("text", "refusal"):
            self._emit(
                out,
                "response.content_part.added",
                **self._where(item),
                part=self._content(item, ""),
            )

    def _where(self, item: _Item) -> dict[str, Any]:
        where: dict[str, Any] = {"item_id": item.item["id"], "output_index": item.index}
        if item.kind in ("text", "refusal"):
            where["content_index"] = 0
        return where

    @staticmethod
    def _content(item: _Item, text: str) -> dict[str, Any]:
        if item.kind == "refusal":
            return {"type": "refusal", "refusal": text}
        return {"type": "output_text", "text": text, "annotations": []}

    def on_delta(self, event: PartDelta, out: list[str]) -> None:
        """Write the delta event of the part's item."""
        item = self._items.get(event.index)
        if item is None or item.done:
            return
        if event.redacted:
            item.encrypted = self.own_redacted(event) or item.encrypted
        if not event.text:
            return
        if item.kind == "reasoning" and not item.text:
            part = {"type": "summary_text", "text": ""}
            self._emit(
                out,
                "response.reasoning_summary_part.added",
                **self._where(item),
                summary_index=0,
                part=part,
            )
        # The hottest path of a stream: the frame is written as text, not built as a dict.
        head, where, end = item.delta
        out.append(f"{head}{self._seq}{where}{dumps(event.text)}{end}")
        self._seq += 1
        item.text.append(event.text)

    def _delta_frame(self, item: _Item) -> tuple[str, str, str]:
        """The fixed text around a delta event of ``item``: before the sequence number,
        between it and the delta, after the delta."""
        kind, end = _DELTA_EVENTS[item.kind]
        where = self._where(item)
        if item.kind == "reasoning":
            where["summary_index"] = 0
        middle = "".join(f",{dumps(k)}:{dumps(v)}" for k, v in where.items())
        head = f'event: {kind}\ndata: {{"type":"{kind}","sequence_number":'
        return head, f'{middle},"delta":', end

    def _end_part(self, item: _Item, out: list[str]) -> None:
        item.done = True
        text = "".join(item.text)
        where = self._where(item)
        wire = item.item
        if item.kind in ("text", "refusal"):
            if item.kind == "text":
                self._emit(out, "response.output_text.done", **where, text=text, logprobs=[])
            else:
                self._emit(out, "response.refusal.done", **where, refusal=text)
            part = self._content(item, text)
            self._emit(out, "response.content_part.done", **where, part=part)
            wire["content"] = [part]
            wire["status"] = "completed"
        elif item.kind == "tool_call":
            self._emit(out, "response.function_call_arguments.done", **where, arguments=text)
            wire["arguments"] = text
            wire["status"] = "completed"
        else:
            if text:
                part = {"type": "summary_text", "text": text}
                self._emit(
                    out, "response.reasoning_summary_text.done", **where, summary_index=0, text=text
                )
                self._emit(
                    out, "response.reasoning_summary_part.done", **where, summary_index=0, part=part
                )
                wire["summary"] = [part]
            if item.encrypted:
                wire["encrypted_content"] = item.encrypted
        self._emit(out, "response.output_item.done", output_index=item.index, item=wire)

    def on_end(self, event: ResponseEnd, out: list[str]) -> None:
        """End the items still open, then write ``response.completed`` (or
        ``.incomplete``) with every item and the usage."""
        if self._shell is None:
            self._start(ResponseStart(), out)
        assert self._shell is not None
        for item in self._order:
            if not item.done:
                self._end_part(item, out)
        usage = self.final_usage(event)
        response = {
            **self._shell,
            "output": [item.item for item in self._order],
            # every count is required there, so one not known is written 0
            "usage": OPENAI_RESPONSES_USAGE.write_nested(usage, fill=True) if usage else None,
        }
        reason = OPENAI_RESPONSES_FINISH.word(event.finish_reason, event.raw_finish_reason)[0]
        if reason in ("max_output_tokens", "content_filter"):
            response["status"] = "incomplete"
            response["incomplete_details"] = {"reason": reason}
            self._emit(out, "response.incomplete", response=response)
        else:
            response["status"] = "completed"
            self._emit(out, "response.completed", response=response)


class OpenAIResponsesStreamCodec(BuiltinCodec):
    """The ``openai-responses`` stream codec."""

    name = "openai-responses"
    decoder_type = OpenAIResponsesStreamDecoder
    encoder_type = OpenAIResponsesStreamEncoder
