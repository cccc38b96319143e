"""OpenAI Chat Completions streams, decoded into neutral events and encoded from them.

Decoding: the first chunk is `ResponseStart`; ``delta.content`` is a text part,
``delta.refusal`` a refusal, ``delta.reasoning_content`` (or ``reasoning``, as
DeepSeek, vLLM and OpenRouter send it) a reasoning part; each new
``tool_calls[].index`` starts a tool call (its id and name come on its first
fragment). Chat chunks never say a part ended: text ends when a tool call starts,
and tool calls end at ``finish_reason`` (their fragments may interleave). The
reply ends with the usage chunk that ``stream_options.include_usage`` adds after
the finish chunk, or at ``[DONE]`` when there is none: `ResponseEnd` waits for
that one chunk so it can carry the usage. A ``{"error": ...}`` chunk is
`StreamError`.

Encoding: one chunk per delta, ``choices[0].index`` 0; a tool call's id and name on
its first chunk only; the finish chunk, then a usage chunk (``choices: []``) when
usage is known (unless the encoder is made with ``include_usage=False``, for a
client that did not ask for it), then ``data: [DONE]``. Chat has no place for reasoning or its
signature: they are not written. Every chunk repeats the id, ``created`` and model
of `ResponseStart` (``created`` is 0 when the source sent none, as Anthropic and
Gemini do not: a gateway sets its own clock there).
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
from aifkit.aif._response import Usage
from aifkit.aif._sse_codec import (
    BuiltinCodec,
    EventEncoder,
    PayloadDecoder,
    cut_short,
    dumps,
    no_options,
    seconds_or_none,
    text_or_none,
)
from aifkit.aif._stream import expect_int, expect_obj, expect_str, stream_error
from aifkit.aif._vocab import OPENAI_CHAT_FINISH, OPENAI_CHAT_USAGE
from aifkit.errors import UsageError

__all__ = ["OpenAIChatStreamCodec", "OpenAIChatStreamDecoder", "OpenAIChatStreamEncoder"]

_REASONING_KEYS: Final = ("reasoning_content", "reasoning")


class OpenAIChatStreamDecoder(PayloadDecoder):
    """Reads a Chat Completions stream into neutral events."""

    def __init__(self) -> None:
        super().__init__()
        self._open: dict[PartKind, int] = {}  # the open text, refusal or reasoning part
        self._calls: dict[int, int] = {}  # open tool call slot -> part index
        self._finish: str | None = None
        self._finished = False
        self._usage: Usage | None = None

    def on_payload(
        self, index: int, event: str, payload: Mapping[str, Any] | None, out: list[StreamEvent]
    ) -> None:
        """Turn one chunk (None for ``[DONE]``) into neutral events."""
        if payload is None:
            self._end(out)
            return
        err: Any = payload.get("error")
        if err is not None:
            self.failed(err, "type", out)
            return
        if not self.begun:
            self.started(
                ResponseStart(
                    id=text_or_none(payload.get("id")),
                    model=text_or_none(payload.get("model")),
                    created=seconds_or_none(payload.get("created")),
                ),
                out,
            )
        choices: Any = payload.get("choices") or []
        if not isinstance(choices, list):
            raise stream_error(index, ("choices",), "expected an array")
        for c, choice in enumerate(cast("list[object]", choices)):
            self._choice(index, c, expect_obj(choice, index, ("choices", c)), out)
        raw_usage = payload.get("usage")
        if isinstance(raw_usage, dict):
            self._usage = OPENAI_CHAT_USAGE.read_lenient(cast("dict[str, Any]", raw_usage))
            if self._finished:
                self._end(out)

    def _choice(self, index: int, c: int, choice: dict[str, Any], out: list[StreamEvent]) -> None:
        if choice.get("index", 0) != 0:
            raise stream_error(
                index,
                ("choices", c, "index"),
                "this stream holds several choices (n > 1); a translation carries one reply",
                hint='request one choice ("n": 1)',
            )
        delta = expect_obj(choice.get("delta") or {}, index, ("choices", c, "delta"))
        if delta:
            self._delta(index, ("choices", c, "delta"), delta, out)
        reason = choice.get("finish_reason")
        if reason is not None:
            self._finish = expect_str(reason, index, ("choices", c, "finish_reason"))
            self._finished = True
            ends = sorted([*self._open.values(), *self._calls.values()])
            self._open.clear()
            self._calls.clear()
            out += [PartEnd(i) for i in ends]

    def _delta(
        self,
        index: int,
        where: tuple[str | int, ...],
        delta: dict[str, Any],
        out: list[StreamEvent],
    ) -> None:
        for key in _REASONING_KEYS:
            text = delta.get(key)
            if text:
                self._text("reasoning", expect_str(text, index, (*where, key)), out)
        text = delta.get("content")
        if text:
            self._text("text", expect_str(text, index, (*where, "content")), out)
        text = delta.get("refusal")
        if text:
            self._text("refusal", expect_str(text, index, (*where, "refusal")), out)
        calls: Any = delta.get("tool_calls")
        if calls:
            if not isinstance(calls, list):
                raise stream_error(index, (*where, "tool_calls"), "expected an array")
            for k, raw in enumerate(cast("list[object]", calls)):
                path = (*where, "tool_calls", k)
                self._call(index, path, expect_obj(raw, index, path), out)

    def _text(self, kind: PartKind, text: str, out: list[StreamEvent]) -> None:
        part = self._open.get(kind)
        if part is None:
            # A new kind of text closes the others: chat sends them one after another.
            for other in sorted(self._open.values()):
                out.append(PartEnd(other))
            self._open.clear()
            part = self._open[kind] = self.new_part(kind, out)
        out.append(PartDelta(part, text))

    def _call(
        self, index: int, path: tuple[str | int, ...], raw: dict[str, Any], out: list[StreamEvent]
    ) -> None:
        slot = expect_int(raw.get("index"), index, (*path, "index"))
        fn = expect_obj(raw.get("function") or {}, index, (*path, "function"))
        part = self._calls.get(slot)
        if part is None:
            for other in sorted(self._open.values()):
                out.append(PartEnd(other))
            self._open.clear()
            call_id = raw.get("id")
            name = fn.get("name")
            if call_id is None or name is None:
                missing = "id" if call_id is None else "function/name"
                raise stream_error(
                    index,
                    (*path, missing),
                    f"the first fragment of tool call {slot} has no {missing}",
                )
            part = self._calls[slot] = self.new_part(
                "tool_call",
                out,
                id=expect_str(call_id, index, (*path, "id")),
                name=expect_str(name, index, (*path, "function", "name")),
            )
        arguments = fn.get("arguments")
        if arguments:
            out.append(
                PartDelta(part, expect_str(arguments, index, (*path, "function", "arguments")))
            )

    def _end(self, out: list[StreamEvent]) -> None:
        if self.ended or not self._finished:
            return
        self.ended = True
        reason = self._finish
        finish = OPENAI_CHAT_FINISH.reason(reason) if reason else None
        out.append(ResponseEnd(finish, reason, self._usage))

    def on_close(self, out: list[StreamEvent]) -> None:
        """End the reply if ``[DONE]`` never came; raise if it never finished."""
        if self.ended:
            return
        if not self._finished:
            raise cut_short("a finish_reason")
        self._end(out)


class OpenAIChatStreamEncoder(EventEncoder):
    """Writes neutral events as a Chat Completions stream.

    Args:
        include_usage: Write the usage chunk (``choices: []``) after the finish chunk,
            as OpenAI does only when the request set ``stream_options.include_usage``.
    """

    def __init__(self, *, include_usage: bool = True) -> None:
        super().__init__()
        self._include_usage = include_usage
        self._prefix = ""
        self._calls: dict[int, int] = {}  # tool call part -> its tool_calls index
        self._kinds: dict[int, PartKind] = {}

    def on_delta(self, event: PartDelta, out: list[str]) -> None:
        """Write a text, refusal or argument fragment as one chunk (reasoning: chat has
        no place for it)."""
        if not event.text:
            return
        kind = self._kinds.get(event.index)
        text = dumps(event.text)
        if kind == "text":
            out.append(self._chunk(f'{{"content":{text}}}'))
        elif kind == "tool_call":
            slot = self._calls[event.index]
            args = f'{{"tool_calls":[{{"index":{slot},"function":{{"arguments":{text}}}}}]}}'
            out.append(self._chunk(args))
        elif kind == "refusal":
            out.append(self._chunk(f'{{"refusal":{text}}}'))

    def on_part_start(self, event: PartStart, out: list[str]) -> None:
        """Write a tool call's id and name."""
        out.append(self._part(event))

    def on_start(self, event: ResponseStart, out: list[str]) -> None:
        """Write the role chunk."""
        out.append(self._start(event))

    def on_error(self, event: StreamError, out: list[str]) -> None:
        """Write the error chunk."""
        error = {"error": {"type": event.error_type, "message": event.message}}
        out.append(f"data: {dumps(error)}\n\n")

    def _chunk(self, delta: str, finish: str = "null") -> str:
        if not self._prefix:
            self._start(ResponseStart())
        return f'data: {self._prefix}"choices":[{{"index":0,"delta":{delta},"logprobs":null,"finish_reason":{finish}}}]}}\n\n'

    def _start(self, event: ResponseStart) -> str:
        if self._prefix:
            return ""
        self._prefix = (
            f'{{"id":{dumps(event.id or "chatcmpl-aif")},"object":"chat.completion.chunk",'
            f'"created":{event.created or 0},"model":{dumps(event.model or "")},'
        )
        return self._chunk('{"role":"assistant","content":""}')

    def _part(self, event: PartStart) -> str:
        self._kinds[event.index] = event.kind
        if event.kind != "tool_call":
            return ""
        slot = self._calls[event.index] = len(self._calls)
        call = {
            "index": slot,
            "id": event.id or f"call_aif_{event.index}",
            "type": "function",
            "function": {"name": event.name or "", "arguments": ""},
        }
        return self._chunk(f'{{"tool_calls":[{dumps(call)}]}}')

    def on_end(self, event: ResponseEnd, out: list[str]) -> None:
        """Write the finish chunk, the usage chunk and ``[DONE]``."""
        word = OPENAI_CHAT_FINISH.word(event.finish_reason, event.raw_finish_reason)[0] or "stop"
        out.append(self._chunk("{}", dumps(word)))
        usage = self.final_usage(event)
        if usage is not None and self._include_usage:
            wire = dumps(OPENAI_CHAT_USAGE.write_nested(usage, fill=True))
            out.append(f'data: {self._prefix}"choices":[],"usage":{wire}}}\n\n')
        out.append("data: [DONE]\n\n")


class OpenAIChatStreamCodec(BuiltinCodec):
    """The ``openai-chat`` stream codec."""

    name = "openai-chat"
    decoder_type = OpenAIChatStreamDecoder
    encoder_type = OpenAIChatStreamEncoder

    def encoder(self, **options: object) -> OpenAIChatStreamEncoder:
        """Return a new encoder; ``include_usage`` (default True) writes the usage chunk."""
        include_usage = options.pop("include_usage", True)
        if not isinstance(include_usage, bool):
            raise UsageError("include_usage must be True or False")
        no_options(self.name, options)
        return OpenAIChatStreamEncoder(include_usage=include_usage)
