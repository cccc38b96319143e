"""Gemini ``streamGenerateContent?alt=sse`` streams, decoded and encoded.

Decoding: the first chunk is `ResponseStart` (``responseId``, ``modelVersion``);
text parts are a text part, ``thought`` text a reasoning part, and fragments of
the same kind continue the part open before them (as the assembler joins them);
a ``functionCall`` arrives whole, so it is a tool call started, given its
arguments as one JSON text, and ended at once (a call without an id gets
``gemini_<responseId>_<part>``). A ``thoughtSignature`` is a signature on the
part it came on; on an empty text part it belongs to the open part, which it
closes. ``finishReason`` is `ResponseEnd` (``STOP`` after a function call is
``tool_calls``), with the last ``usageMetadata``; a prompt blocked before any
candidate (``promptFeedback.blockReason``) ends the reply as ``content_filter``.

Encoding: each text, reasoning or refusal delta is one chunk at once. Gemini
sends a function call whole, so a tool call's argument fragments are the one
thing held back: until the call's `PartEnd`, then one chunk with the parsed
``args`` (and its source id). A signature on text goes out as an empty text part
carrying it, as Gemini sends it. Only Google's own signatures are written (a
signature carries its provider, see `PartDelta.valid_for`; Gemini rejects another
provider's), and only base64 ones (Gemini's are bytes: the client must parse them).
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
from aifkit.aif._response import FinishReason, Usage
from aifkit.aif._sse_codec import (
    BuiltinCodec,
    EventEncoder,
    PayloadDecoder,
    call_arguments,
    cut_short,
    dumps,
    text_or_none,
)
from aifkit.aif._stream import expect_obj, expect_str, field, stream_error
from aifkit.aif._vocab import GEMINI_FINISH, GEMINI_USAGE
from aifkit.aif.converters._gemini_decode import PROVIDER

__all__ = ["GeminiStreamCodec", "GeminiStreamDecoder", "GeminiStreamEncoder"]

_BASE64: Final = re.compile(r"[A-Za-z0-9+/_-]*={0,2}")


def is_base64(text: str) -> bool:
    """Whether ``text`` is base64 (standard or URL-safe, padding optional), as Gemini's
    ``thoughtSignature`` bytes must be.

    Examples:
        >>> is_base64("CiQB0e2K"), is_base64("EqQ"), is_base64("E"), is_base64("not base64!")
        (True, True, False, False)
    """
    return _BASE64.fullmatch(text) is not None and len(text.rstrip("=")) % 4 != 1


class GeminiStreamDecoder(PayloadDecoder):
    """Reads a Gemini stream into neutral events."""

    provider = PROVIDER

    def __init__(self) -> None:
        super().__init__()
        self._open: tuple[PartKind, int] | None = None  # the text or thought part open
        self._calls = False
        self._usage: Usage | None = None
        self._raw_usage: Any = None
        self._rid: str | None = None

    def on_payload(
        self, index: int, event: str, payload: Mapping[str, Any] | None, out: list[StreamEvent]
    ) -> None:
        """Turn one chunk into neutral events."""
        if payload is None:
            return
        err: Any = payload.get("error")
        if err is not None:
            self.failed(err, "status", out)
            return
        if not self.begun:
            self._rid = text_or_none(payload.get("responseId"))
            model = text_or_none(payload.get("modelVersion"))
            self.started(ResponseStart(id=self._rid, model=model), out)
        raw_usage = payload.get("usageMetadata")
        if isinstance(raw_usage, dict) and raw_usage != self._raw_usage:
            self._raw_usage = raw_usage
            self._usage = GEMINI_USAGE.read_lenient(cast("dict[str, Any]", raw_usage))
        candidates: Any = payload.get("candidates")
        if candidates is None:
            reason = field(payload.get("promptFeedback"), "blockReason")
            if reason is not None:
                self._finish(str(reason), "content_filter", out)
            return
        if not isinstance(candidates, list) or not candidates:
            raise stream_error(index, ("candidates",), "expected a non-empty array")
        for c, cand in enumerate(cast("list[object]", candidates)):
            self._candidate(index, c, expect_obj(cand, index, ("candidates", c)), out)

    def _candidate(self, index: int, c: int, cand: dict[str, Any], out: list[StreamEvent]) -> None:
        if cand.get("index", 0) != 0:
            raise stream_error(
                index,
                ("candidates", c, "index"),
                "this stream holds several candidates; a translation carries one reply",
                hint="request candidateCount=1",
            )
        parts: Any = field(cand.get("content"), "parts") or []
        if not isinstance(parts, list):
            raise stream_error(index, ("candidates", c, "content", "parts"), "expected an array")
        for k, part in enumerate(cast("list[object]", parts)):
            path = ("candidates", c, "content", "parts", k)
            self._part(index, path, expect_obj(part, index, path), out)
        reason = cand.get("finishReason")
        if reason is not None:
            reason = expect_str(reason, index, ("candidates", c, "finishReason"))
            self._finish(reason, GEMINI_FINISH.reason(reason, calls=self._calls), out)

    def _part(
        self, index: int, path: tuple[str | int, ...], part: dict[str, Any], out: list[StreamEvent]
    ) -> None:
        sig = part.get("thoughtSignature")
        if sig is not None:
            sig = expect_str(sig, index, (*path, "thoughtSignature"))
        if "text" in part:
            text = expect_str(part["text"], index, (*path, "text"))
            if text:
                kind: PartKind = "reasoning" if part.get("thought") else "text"
                if self._open is None or self._open[0] != kind:
                    self._close(out)
                    self._open = kind, self.new_part(kind, out)
                out.append(PartDelta(self._open[1], text))
        elif "functionCall" in part:
            self._close(out)
            call = expect_obj(part["functionCall"], index, (*path, "functionCall"))
            name = expect_str(call.get("name"), index, (*path, "functionCall", "name"))
            part_index = self.parts
            call_id = call.get("id")
            if not isinstance(call_id, str) or not call_id:
                call_id = (
                    f"gemini_{self._rid}_{part_index}" if self._rid else f"gemini_{part_index}"
                )
            self._calls = True
            self.new_part("tool_call", out, id=call_id, name=name)
            args = call.get("args")
            args = {} if args is None else expect_obj(args, index, (*path, "functionCall", "args"))
            out.append(PartDelta(part_index, dumps(args)))
            if sig:
                out.append(self.signed(part_index, sig))
            out.append(PartEnd(part_index))
            return
        if sig and self._open is not None:
            out.append(self.signed(self._open[1], sig))
            self._close(out)  # nothing joins a part after its signature

    def _close(self, out: list[StreamEvent]) -> None:
        if self._open is not None:
            out.append(PartEnd(self._open[1]))
            self._open = None

    def _finish(self, raw: str, finish: FinishReason, out: list[StreamEvent]) -> None:
        self._close(out)
        if not self.ended:
            self.ended = True
            out.append(ResponseEnd(finish, raw, self._usage))

    def on_close(self, out: list[StreamEvent]) -> None:
        """Raise if the stream ended early."""
        if not self.ended:
            raise cut_short("a finishReason")


class GeminiStreamEncoder(EventEncoder):
    """Writes neutral events as a Gemini stream."""

    provider = PROVIDER

    def __init__(self) -> None:
        super().__init__()
        self._tail = ""
        self._kinds: dict[int, PartKind] = {}
        self._calls: dict[int, tuple[PartStart, list[str], list[str]]] = {}  # held tool calls
        self._usage_of: Usage | None = None
        self._usage_text = ""

    def on_delta(self, event: PartDelta, out: list[str]) -> None:
        """Write a text, reasoning or refusal delta at once; hold a tool call's."""
        signature = self.own_signature(event) if event.signature else None
        if signature is not None and not is_base64(signature):
            signature = None  # Gemini's signatures are bytes: the client could not parse it
        held = self._calls.get(event.index)
        if held is not None:
            if event.text:
                held[1].append(event.text)
            if signature:
                held[2].append(signature)
            return
        kind = self._kinds.get(event.index)
        if kind is None or kind == "tool_call":
            return
        thought = ',"thought":true' if kind == "reasoning" else ""
        if event.text:
            out.append(self._chunk(f'{{"text":{dumps(event.text)}{thought}}}'))
        if signature:
            out.append(self._chunk(f'{{"text":""{thought},"thoughtSignature":{dumps(signature)}}}'))

    def on_part_start(self, event: PartStart, out: list[str]) -> None:
        """Note the part's kind; start holding a tool call."""
        self._kinds[event.index] = event.kind
        if event.kind == "tool_call":
            self._calls[event.index] = (event, [], [])

    def on_part_end(self, event: PartEnd, out: list[str]) -> None:
        """Write a held tool call whole."""
        held = self._calls.pop(event.index, None)
        if held is not None:
            out.append(self._call(*held))

    def on_start(self, event: ResponseStart, out: list[str]) -> None:
        """Note the id and model every chunk repeats."""
        self._start(event)

    def on_error(self, event: StreamError, out: list[str]) -> None:
        """Write the error chunk."""
        error = {"error": {"code": 500, "message": event.message, "status": event.error_type}}
        out.append(f"data: {dumps(error)}\n\n")

    def _start(self, event: ResponseStart) -> None:
        if self._tail:
            return
        tail = ""
        if event.model:
            tail += f',"modelVersion":{dumps(event.model)}'
        if event.id:
            tail += f',"responseId":{dumps(event.id)}'
        self._tail = tail + "}"

    def _chunk(self, part: str, finish: str = "") -> str:
        if not self._tail:
            self._start(ResponseStart())
        usage = "" if self.usage is None else f',"usageMetadata":{self._usage_json()}'
        return (
            f'data: {{"candidates":[{{"content":{{"parts":[{part}],"role":"model"}}{finish},"index":0}}]'
            f"{usage}{self._tail}\n\n"
        )

    def _usage_json(self) -> str:
        # Every chunk repeats the usage so far; it is encoded once per change.
        if self._usage_of is not self.usage:
            self._usage_of = self.usage
            self._usage_text = dumps(GEMINI_USAGE.write_nested(self.usage)) if self.usage else ""
        return self._usage_text

    def _call(self, start: PartStart, fragments: list[str], signatures: list[str]) -> str:
        args = call_arguments(start.id, "".join(fragments))
        call: dict[str, Any] = {"name": start.name or "", "args": args}
        if start.id:
            call["id"] = start.id
        part: dict[str, Any] = {"functionCall": call}
        if signatures:
            part["thoughtSignature"] = signatures[-1]
        return self._chunk(dumps(part))

    def on_end(self, event: ResponseEnd, out: list[str]) -> None:
        """Write the tool calls still held, then the finish chunk with the final usage."""
        out.extend(self._call(*held) for held in self._calls.values())
        self._calls.clear()
        # Every chunk carries the usage so far: the held calls the one before, the last the final.
        self.final_usage(event)
        word = GEMINI_FINISH.word(event.finish_reason, event.raw_finish_reason)[0] or "OTHER"
        out.append(self._chunk("", f',"finishReason":{dumps(word)}'))


class GeminiStreamCodec(BuiltinCodec):
    """The ``gemini`` stream codec."""

    name = "gemini"
    decoder_type = GeminiStreamDecoder
    encoder_type = GeminiStreamEncoder
