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

import json
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
    UsageUpdate,
)
from aifkit.aif._response import FinishReason, Usage
from aifkit.aif._sse_codec import (
    PayloadDecoder,
    cut_short,
    dumps,
    finish_word,
    int_or_none,
    no_options,
    seconds_or_none,
    text_or_none,
)
from aifkit.aif._stream import expect_int, expect_obj, expect_str, field, stream_error
from aifkit.errors import UsageError

__all__ = ["OpenAIChatStreamCodec", "OpenAIChatStreamDecoder", "OpenAIChatStreamEncoder"]

FINISH_REASONS: Final[Mapping[str, FinishReason]] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}
_WORDS: Final[Mapping[FinishReason, str]] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
}
_REASONING_KEYS: Final = ("reasoning_content", "reasoning")


def read_usage(raw: Mapping[str, Any]) -> Usage:
    """Chat usage as AIF counts it."""
    prompt: Any = raw.get("prompt_tokens_details")
    completion: Any = raw.get("completion_tokens_details")
    return Usage(
        input_tokens=int_or_none(raw.get("prompt_tokens")),
        output_tokens=int_or_none(raw.get("completion_tokens")),
        total_tokens=int_or_none(raw.get("total_tokens")),
        cache_read_tokens=int_or_none(field(prompt, "cached_tokens")),
        reasoning_tokens=int_or_none(field(completion, "reasoning_tokens")),
    )


def write_usage(usage: Usage) -> dict[str, Any]:
    """AIF usage as a chat usage chunk reports it."""
    prompt = usage.input_tokens or 0
    completion = usage.output_tokens or 0
    out: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": usage.total_tokens
        if usage.total_tokens is not None
        else prompt + completion,
    }
    if usage.cache_read_tokens is not None:
        out["prompt_tokens_details"] = {"cached_tokens": usage.cache_read_tokens}
    if usage.reasoning_tokens is not None:
        out["completion_tokens_details"] = {"reasoning_tokens": usage.reasoning_tokens}
    return out


class OpenAIChatStreamDecoder(PayloadDecoder):
    """Reads a Chat Completions stream into neutral events."""

    def __init__(self) -> None:
        super().__init__()
        self._started = False
        self._parts = 0
        self._open: dict[PartKind, int] = {}  # the open text, refusal or reasoning part
        self._calls: dict[int, int] = {}  # open tool call slot -> part index
        self._finish: str | None = None
        self._finished = False
        self._ended = False
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
            kind = field(err, "type") or field(err, "code") or "error"
            out.append(StreamError(str(kind), str(field(err, "message") or err)))
            self._ended = True
            return
        if not self._started:
            self._started = True
            out.append(
                ResponseStart(
                    id=text_or_none(payload.get("id")),
                    model=text_or_none(payload.get("model")),
                    created=seconds_or_none(payload.get("created")),
                )
            )
        choices: Any = payload.get("choices") or []
        if not isinstance(choices, list):
            raise stream_error(index, ("choices",), "expected an array")
        for c, choice in enumerate(cast("list[object]", choices)):
            self._choice(index, c, expect_obj(choice, index, ("choices", c)), out)
        raw_usage = payload.get("usage")
        if isinstance(raw_usage, dict):
            self._usage = read_usage(cast("dict[str, Any]", raw_usage))
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
            part = self._open[kind] = self._new()
            out.append(PartStart(part, kind))
        out.append(PartDelta(part, text))

    def _new(self) -> int:
        part = self._parts
        self._parts += 1
        return part

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
            part = self._calls[slot] = self._new()
            out.append(
                PartStart(
                    part,
                    "tool_call",
                    id=expect_str(call_id, index, (*path, "id")),
                    name=expect_str(name, index, (*path, "function", "name")),
                )
            )
        arguments = fn.get("arguments")
        if arguments:
            out.append(
                PartDelta(part, expect_str(arguments, index, (*path, "function", "arguments")))
            )

    def _end(self, out: list[StreamEvent]) -> None:
        if self._ended or not self._finished:
            return
        self._ended = True
        reason = self._finish
        out.append(
            ResponseEnd(
                FINISH_REASONS.get(reason, "other") if reason else None, reason, self._usage
            )
        )

    def on_close(self, out: list[StreamEvent]) -> None:
        """End the reply if ``[DONE]`` never came; raise if it never finished."""
        if self._ended:
            return
        if not self._finished:
            raise cut_short("a finish_reason")
        self._end(out)


class OpenAIChatStreamEncoder:
    """Writes neutral events as a Chat Completions stream.

    Args:
        include_usage: Write the usage chunk (``choices: []``) after the finish chunk,
            as OpenAI does only when the request set ``stream_options.include_usage``.
    """

    def __init__(self, *, include_usage: bool = True) -> None:
        self._include_usage = include_usage
        self._prefix = ""
        self._calls: dict[int, int] = {}  # tool call part -> its tool_calls index
        self._kinds: dict[int, PartKind] = {}
        self._usage: Usage | None = None
        self._ended = False

    def encode(self, event: StreamEvent) -> bytes:
        """Return the SSE frames for ``event``."""
        if isinstance(event, PartDelta):
            return self._delta(event).encode()
        if isinstance(event, PartStart):
            return self._part(event).encode()
        if isinstance(event, PartEnd):
            return b""
        if isinstance(event, ResponseStart):
            return self._start(event).encode()
        if isinstance(event, ResponseEnd):
            return self._end(event).encode()
        if isinstance(event, UsageUpdate):
            self._usage = event.usage
            return b""
        self._ended = True
        error = {"error": {"type": event.error_type, "message": event.message}}
        return f"data: {dumps(error)}\n\n".encode()

    def close(self) -> bytes:
        """Nothing follows the last event."""
        return b""

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
        if event.usage is not None:
            self._usage = event.usage
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

    def _delta(self, event: PartDelta) -> str:
        if not event.text:
            return ""
        kind = self._kinds.get(event.index)
        text = json.dumps(event.text, ensure_ascii=False)
        if kind == "text":
            return self._chunk(f'{{"content":{text}}}')
        if kind == "tool_call":
            slot = self._calls[event.index]
            return self._chunk(
                f'{{"tool_calls":[{{"index":{slot},"function":{{"arguments":{text}}}}}]}}'
            )
        if kind == "refusal":
            return self._chunk(f'{{"refusal":{text}}}')
        return ""  # reasoning: chat has no place for it

    def _end(self, event: ResponseEnd) -> str:
        if self._ended:
            return ""
        self._ended = True
        word = finish_word(
            event.finish_reason, event.raw_finish_reason, FINISH_REASONS, _WORDS, "stop"
        )
        out = self._chunk("{}", dumps(word))
        usage = event.usage or self._usage
        if usage is not None and self._include_usage:
            out += f'data: {self._prefix}"choices":[],"usage":{dumps(write_usage(usage))}}}\n\n'
        return out + "data: [DONE]\n\n"


class OpenAIChatStreamCodec:
    """The ``openai-chat`` stream codec."""

    def decoder(self) -> OpenAIChatStreamDecoder:
        """Return a new decoder."""
        return OpenAIChatStreamDecoder()

    def encoder(self, **options: object) -> OpenAIChatStreamEncoder:
        """Return a new encoder; ``include_usage`` (default True) writes the usage chunk."""
        include_usage = options.pop("include_usage", True)
        if not isinstance(include_usage, bool):
            raise UsageError("include_usage must be True or False")
        no_options("openai-chat", options)
        return OpenAIChatStreamEncoder(include_usage=include_usage)
