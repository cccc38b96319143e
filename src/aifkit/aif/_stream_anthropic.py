"""Assembling Anthropic Messages streams.

``message_start`` carries the message shell (id, model, input usage);
``content_block_start`` opens block ``index`` (text, tool_use, thinking,
redacted_thinking, server tool blocks); ``content_block_delta`` fills it:
``text_delta``, ``input_json_delta`` (fragments of the tool input's JSON, parsed
when the block stops), ``thinking_delta``, ``signature_delta`` and
``citations_delta``; ``content_block_stop`` closes it; ``message_delta`` brings
the stop reason and output usage; ``message_stop`` ends the stream. ``ping`` is
a keep-alive; ``error`` ends the stream with an error.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, cast

from aifkit._json import quote
from aifkit._limits import loads
from aifkit.aif._convert import decode
from aifkit.aif._schema import Message
from aifkit.aif._stream import (
    append_text,
    expect_obj,
    expect_str,
    field,
    finish_message,
    stream_error,
)
from aifkit.errors import InvalidInputError

__all__ = ["AnthropicAssembler"]

_APPEND = {"text_delta": ("text", "text"), "thinking_delta": ("thinking", "thinking")}


class AnthropicAssembler:
    """Folds Anthropic stream events into one assistant message."""

    def __init__(self) -> None:
        self.message: dict[str, Any] | None = None
        self.blocks: dict[int, dict[str, Any]] = {}
        self.json: dict[int, list[str]] = {}
        self.open: set[int] = set()
        self.meta: dict[str, Any] = {}
        self.stopped = False

    def feed(self, index: int, event: str, payload: Mapping[str, Any] | None) -> None:
        """Take one event's payload."""
        if payload is None:
            return
        kind = payload.get("type", event)
        if kind == "error":
            err: Any = payload.get("error")
            text = field(err, "message")
            what = f"{field(err, 'type')}: {text}" if text is not None else err
            raise stream_error(index, ("error",), f"the stream reports an error: {what}")
        if kind == "ping":
            return
        if kind == "message_start":
            self._start(index, payload)
            return
        if self.message is None:
            raise stream_error(index, ("type",), f"{kind} before message_start")
        if kind == "content_block_start":
            block = payload.get("content_block")
            if not isinstance(block, dict):
                raise stream_error(index, ("content_block",), "expected an object")
            i = self._index(index, payload)
            self.blocks[i] = copy.deepcopy(cast("dict[str, Any]", block))
            self.open.add(i)
        elif kind == "content_block_delta":
            self._delta(index, payload)
        elif kind == "content_block_stop":
            self._stop(index, self._index(index, payload))
        elif kind == "message_delta":
            self._message_delta(payload)
        elif kind == "message_stop":
            self.stopped = True

    def _message_delta(self, payload: Mapping[str, Any]) -> None:
        delta: Any = payload.get("delta") or {}
        if isinstance(delta, dict):
            for key in ("stop_reason", "stop_sequence"):
                value: Any = cast("dict[str, Any]", delta).get(key)
                if value is not None:
                    self.meta[key] = value
        usage: Any = payload.get("usage")
        if isinstance(usage, dict):
            self.meta["usage"] = {**self.meta.get("usage", {}), **cast("dict[str, Any]", usage)}

    def _start(self, index: int, payload: Mapping[str, Any]) -> None:
        message = payload.get("message")
        if not isinstance(message, dict):
            raise stream_error(index, ("message",), "expected an object")
        self.message = cast("dict[str, Any]", message)
        self.meta["response_id"] = self.message.get("id")
        if isinstance(self.message.get("usage"), dict):
            self.meta["usage"] = dict(self.message["usage"])

    def _index(self, index: int, payload: Mapping[str, Any]) -> int:
        i = payload.get("index")
        if not isinstance(i, int) or isinstance(i, bool):
            raise stream_error(index, ("index",), "expected an integer block index")
        return i

    def _delta(self, index: int, payload: Mapping[str, Any]) -> None:
        i = self._index(index, payload)
        if i not in self.open:
            raise stream_error(index, ("index",), f"a delta for block {i}, which is not open")
        delta = expect_obj(payload.get("delta"), index, ("delta",))
        block = self.blocks[i]
        kind = delta.get("type")
        if isinstance(kind, str) and kind in _APPEND:
            key, field = _APPEND[kind]
            append_text(block, key, delta.get(field), index, ("delta", field))
        elif kind == "input_json_delta":
            self.json.setdefault(i, []).append(
                expect_str(delta.get("partial_json"), index, ("delta", "partial_json"))
            )
        elif kind == "signature_delta":
            append_text(block, "signature", delta.get("signature"), index, ("delta", "signature"))
        elif kind == "citations_delta":
            block.setdefault("citations", []).append(delta.get("citation"))
        else:
            raise stream_error(index, ("delta", "type"), f"unknown delta type {quote(kind)}")

    def _stop(self, index: int, i: int) -> None:
        if i not in self.open:
            raise stream_error(
                index, ("index",), f"content_block_stop for block {i}, which is not open"
            )
        self.open.discard(i)
        fragments = self.json.pop(i, None)
        if fragments is None:
            return
        text = "".join(fragments)
        try:
            value: Any = loads(text) if text.strip() else {}
        except InvalidInputError as exc:
            raise stream_error(
                index, (), f"the input of tool block {i}, at {exc.pointer or '/'}: {exc.problem}"
            ) from None
        except ValueError:
            raise stream_error(
                index, (), f"the input of tool block {i} is not valid JSON: {quote(text, 60)}"
            ) from None
        self.blocks[i]["input"] = value

    def finish(self) -> Message:
        """Return the assembled message."""
        if self.message is None:
            raise stream_error(None, (), "the stream has no message_start")
        if self.open:
            raise stream_error(None, (), f"block(s) {sorted(self.open)} never stopped (cut short?)")
        if not self.stopped:
            raise stream_error(None, (), "the stream ended before message_stop (cut short?)")
        content = [self.blocks[i] for i in sorted(self.blocks)]
        model = self.message.get("model")
        body: dict[str, Any] = {
            "max_tokens": 1,
            "messages": [{"role": "assistant", "content": content or ""}],
        }
        if isinstance(model, str):
            body["model"] = model
        doc, _ = decode(body, "anthropic")
        return finish_message(
            doc.messages,
            format="anthropic",
            provider="anthropic",
            model=model if isinstance(model, str) else None,
            meta=self.meta,
        )
