"""Assembling OpenAI streams: Chat Completions chunks and Responses events.

Chat Completions streams ``chat.completion.chunk`` objects: text in
``choices[0].delta.content``, tool calls as ``delta.tool_calls`` entries whose
``index`` says which call a fragment of ``function.arguments`` belongs to (the id
and name come once, on the first fragment), then ``[DONE]``.

Responses streams typed events: ``response.output_item.added`` opens an output
item at ``output_index``; ``response.output_text.delta``,
``response.function_call_arguments.delta`` and
``response.reasoning_summary_text.delta`` fill it; ``response.output_item.done``
carries the finished item; ``response.completed`` (or ``response.incomplete``)
ends the stream with the usage.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, cast

from aifkit.aif._convert import decode
from aifkit.aif._schema import Message
from aifkit.aif._stream import (
    append_text,
    expect_int,
    expect_obj,
    expect_str,
    field,
    finish_message,
    optional_str,
    stream_error,
)

__all__ = ["OpenAIChatAssembler", "OpenAIResponsesAssembler"]


class _Call:
    __slots__ = ("arguments", "id", "name")

    def __init__(self) -> None:
        self.id: str | None = None
        self.name: str | None = None
        self.arguments: list[str] = []


class OpenAIChatAssembler:
    """Folds ``chat.completion.chunk`` payloads into one assistant message."""

    def __init__(self) -> None:
        self.content: list[str] = []
        self.refusal: list[str] = []
        self.calls: dict[int, _Call] = {}
        self.meta: dict[str, Any] = {}
        self.finished = False
        self.model: str | None = None

    def feed(self, index: int, event: str, payload: Mapping[str, Any] | None) -> None:
        """Take one chunk (None for ``[DONE]``)."""
        if payload is None:
            return
        if "error" in payload:
            err: Any = payload["error"]
            msg: Any = field(err, "message") or err
            raise stream_error(index, ("error",), f"the stream reports an error: {msg}")
        self.model = optional_str(payload.get("model", self.model), index, ("model",))
        self.meta["response_id"] = payload.get("id", self.meta.get("response_id"))
        if payload.get("usage") is not None:
            self.meta["usage"] = payload["usage"]
        if payload.get("system_fingerprint") is not None:
            self.meta["system_fingerprint"] = payload["system_fingerprint"]
        choices = payload.get("choices", [])
        if not isinstance(choices, list):
            raise stream_error(index, ("choices",), "expected an array")
        for c, choice in enumerate(cast("list[object]", choices)):
            self._choice(index, c, expect_obj(choice, index, ("choices", c)))

    def _choice(self, index: int, c: int, choice: dict[str, Any]) -> None:
        if choice.get("index", 0) != 0:
            raise stream_error(
                index,
                ("choices", c, "index"),
                "this stream holds several choices (n > 1); assemble reads one reply",
                hint='request one choice ("n": 1), or split the chunks by choice index first',
            )
        if choice.get("finish_reason") is not None:
            self.meta["stop_reason"] = choice["finish_reason"]
            self.finished = True
        delta = expect_obj(choice.get("delta", {}), index, ("choices", c, "delta"))
        where = ("choices", c, "delta")
        if delta.get("content") is not None:
            self.content.append(expect_str(delta["content"], index, (*where, "content")))
        if delta.get("refusal") is not None:
            self.refusal.append(expect_str(delta["refusal"], index, (*where, "refusal")))
        calls: Any = delta.get("tool_calls") or []
        if not isinstance(calls, list):
            raise stream_error(index, (*where, "tool_calls"), "expected an array")
        for k, raw in enumerate(cast("list[object]", calls)):
            self._call(
                index, (*where, "tool_calls", k), expect_obj(raw, index, (*where, "tool_calls", k))
            )

    def _call(self, index: int, path: tuple[str | int, ...], raw: dict[str, Any]) -> None:
        slot = expect_int(raw.get("index"), index, (*path, "index"))
        call = self.calls.setdefault(slot, _Call())
        if raw.get("id") is not None:
            call.id = expect_str(raw["id"], index, (*path, "id"))
        fn = expect_obj(raw.get("function", {}), index, (*path, "function"))
        if fn.get("name") is not None:
            call.name = (call.name or "") + expect_str(
                fn["name"], index, (*path, "function", "name")
            )
        if fn.get("arguments") is not None:
            call.arguments.append(
                expect_str(fn["arguments"], index, (*path, "function", "arguments"))
            )

    def finish(self) -> Message:
        """Return the assembled message."""
        if not self.finished:
            raise stream_error(None, (), "the stream ended before a finish_reason (cut short?)")
        message: dict[str, Any] = {"role": "assistant", "content": "".join(self.content) or None}
        if self.refusal:
            message["refusal"] = "".join(self.refusal)
        if self.calls:
            message["tool_calls"] = [
                self._wire(slot, call) for slot, call in sorted(self.calls.items())
            ]
        if message["content"] is None and len(message) == 2:
            message["content"] = ""
        body: dict[str, Any] = {"messages": [message]}
        if self.model:
            body["model"] = self.model
        doc, _ = decode(body, "openai-chat")
        return finish_message(
            doc.messages, format="openai-chat", provider="openai", model=self.model, meta=self.meta
        )

    @staticmethod
    def _wire(slot: int, call: _Call) -> dict[str, Any]:
        if call.id is None or call.name is None:
            missing = "id" if call.id is None else "name"
            raise stream_error(None, (), f"tool call at index {slot} never received its {missing}")
        return {
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": "".join(call.arguments)},
        }


_DONE = frozenset({"response.completed", "response.incomplete"})


class OpenAIResponsesAssembler:
    """Folds Responses API stream events into one assistant message."""

    def __init__(self) -> None:
        self.items: dict[int, dict[str, Any]] = {}
        self.final: list[Any] | None = None
        self.meta: dict[str, Any] = {}
        self.model: str | None = None
        self.done = False

    def feed(self, index: int, event: str, payload: Mapping[str, Any] | None) -> None:
        """Take one event's payload."""
        if payload is None:
            return
        kind = payload.get("type", event)
        if kind == "error":
            raise stream_error(index, (), f"the stream reports an error: {payload.get('message')}")
        if kind == "response.failed":
            err = expect_obj(payload.get("response", {}), index, ("response",)).get("error")
            raise stream_error(index, ("response", "error"), f"the response failed: {err}")
        if kind in ("response.created", "response.in_progress", *_DONE):
            self._response(
                index, kind, expect_obj(payload.get("response", {}), index, ("response",))
            )
        elif kind == "response.output_item.added" or kind == "response.output_item.done":
            oi = expect_int(payload.get("output_index"), index, ("output_index",))
            self.items[oi] = copy.deepcopy(expect_obj(payload.get("item"), index, ("item",)))
        else:
            self._delta(index, str(kind), payload)

    def _response(self, index: int, kind: str, response: dict[str, Any]) -> None:
        self.model = optional_str(response.get("model", self.model), index, ("response", "model"))
        self.meta["response_id"] = response.get("id", self.meta.get("response_id"))
        if kind in _DONE:
            self.done = True
            self.meta["usage"] = response.get("usage")
            self.meta["stop_reason"] = response.get("status")
            details = response.get("incomplete_details")
            if details:
                self.meta["incomplete_details"] = details
            output = response.get("output")
            if isinstance(output, list) and output:
                self.final = copy.deepcopy(cast("list[Any]", output))

    def _item(self, index: int, payload: Mapping[str, Any]) -> dict[str, Any]:
        oi = expect_int(payload.get("output_index"), index, ("output_index",))
        item = self.items.get(oi)
        if item is None:
            raise stream_error(
                index,
                ("output_index",),
                f"a delta for output item {oi} before response.output_item.added",
            )
        return item

    def _delta(self, index: int, kind: str, payload: Mapping[str, Any]) -> None:
        if kind in ("response.output_text.delta", "response.refusal.delta"):
            field = "text" if kind == "response.output_text.delta" else "refusal"
            part_type = "output_text" if field == "text" else "refusal"
            part = self._slot(index, payload, "content", "content_index", part_type)
            append_text(part, field, payload.get("delta"), index, ("delta",))
        elif kind == "response.function_call_arguments.delta":
            append_text(
                self._item(index, payload), "arguments", payload.get("delta"), index, ("delta",)
            )
        elif kind == "response.function_call_arguments.done":
            self._item(index, payload)["arguments"] = expect_str(
                payload.get("arguments"), index, ("arguments",)
            )
        elif kind == "response.reasoning_summary_text.delta":
            part = self._slot(index, payload, "summary", "summary_index", "summary_text")
            append_text(part, "text", payload.get("delta"), index, ("delta",))
        elif kind == "response.reasoning_text.delta":
            part = self._slot(index, payload, "content", "content_index", "reasoning_text")
            append_text(part, "text", payload.get("delta"), index, ("delta",))
        elif kind in ("response.content_part.added", "response.reasoning_summary_part.added"):
            key, at = (
                ("content", "content_index") if "content" in kind else ("summary", "summary_index")
            )
            part = expect_obj(payload.get("part"), index, ("part",))
            self._slot(index, payload, key, at, str(part.get("type"))).update(copy.deepcopy(part))
        # Other events (*.done repeats of what the deltas built, annotations, ...) add nothing.

    def _slot(
        self, index: int, payload: Mapping[str, Any], key: str, at: str, part_type: str
    ) -> dict[str, Any]:
        item = self._item(index, payload)
        n = expect_int(payload.get(at, 0), index, (at,))
        parts = item.setdefault(key, [])
        if not isinstance(parts, list):
            raise stream_error(index, (at,), f"the item's {key} is not an array")
        parts = cast("list[Any]", parts)
        # Parts open in order: at most one past the last (a larger index would make
        # the assembler allocate what the input only names).
        if not 0 <= n <= len(parts):
            raise stream_error(index, (at,), f"part {n} of an item with {len(parts)} parts")
        if n == len(parts):
            parts.append({"type": part_type})
        part = parts[n]
        if not isinstance(part, dict):
            raise stream_error(index, (at,), f"part {n} of the item is not an object")
        return cast("dict[str, Any]", part)

    def finish(self) -> Message:
        """Return the assembled message."""
        if not self.done:
            raise stream_error(None, (), "the stream ended before response.completed (cut short?)")
        output: list[Any] = (
            self.final if self.final is not None else [self.items[i] for i in sorted(self.items)]
        )
        for item in output:
            if field(item, "type") == "message":
                content = field(item, "content")
                for part in cast("list[Any]", content) if isinstance(content, list) else []:
                    if field(part, "type") == "output_text":
                        cast("dict[str, Any]", part).setdefault("annotations", [])
        body: dict[str, Any] = {"input": output}
        if self.model:
            body["model"] = self.model
        doc, _ = decode(body, "openai-responses")
        return finish_message(
            doc.messages,
            format="openai-responses",
            provider="openai",
            model=self.model,
            meta=self.meta,
        )
