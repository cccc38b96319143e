"""OpenAI Responses API responses (``response`` objects) <-> AIF.

The ``output`` items are the assistant turn the request format replays as
``input`` items, so they are read and written by the request converter. Why a
response ended is its ``status`` (and ``incomplete_details.reason``); a
completed response that called tools finishes with ``tool_calls`` in AIF.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, cast

from aifkit.aif._loss import LossLog, SourceMap
from aifkit.aif._response import Response, Usage
from aifkit.aif._schema import Message, ToolCallPart
from aifkit.aif._vocab import OPENAI_RESPONSES_FINISH, OPENAI_RESPONSES_USAGE
from aifkit.aif.converters._base import EncodeOptions
from aifkit.aif.converters._common import expect_list
from aifkit.aif.converters._response_base import ResponseCodec
from aifkit.aif.converters._response_message import decode_message
from aifkit.aif.converters._response_wire import Obj, epoch, shape, to_epoch
from aifkit.aif.converters._wire import ext

__all__ = ["OpenAIResponsesResponses"]

_TOP = frozenset(
    {"id", "object", "created_at", "model", "output", "usage", "status", "incomplete_details"}
)


class OpenAIResponsesResponses(ResponseCodec):
    """``response`` bodies (``POST /v1/responses`` without streaming)."""

    name = "openai-responses"
    reply_keys: ClassVar[Mapping[str, str]] = {
        "id": "id",
        "model": "model",
        "created_at": "created_at",
    }
    finish = OPENAI_RESPONSES_FINISH
    usage_fields = OPENAI_RESPONSES_USAGE

    def _decode(self, body: Obj, sm: SourceMap, losses: LossLog) -> Response:
        output = expect_list(body.get("output"), ("output",))
        if output:
            request = {"input": output}
            message = decode_message(self.name, request, 0, ("input",), ("output",), sm, losses)
        else:
            message = Message(role="assistant")
            sm.add(("message",), ("output",))
        status = body.get("status")
        details = body.get("incomplete_details")
        word: Any = status
        sm.add(("finish_reason",), ("status",))
        if status == "incomplete" and isinstance(details, dict):
            word = cast("Obj", details).get("reason")
            sm.add(("finish_reason",), ("incomplete_details", "reason"))
        finish = self.read_finish(
            word, ("status",), calls=any(isinstance(p, ToolCallPart) for p in message.parts)
        )
        extra = self.top_extra(body, _TOP, sm)
        return self.reply(body, message, finish, sm, extra=extra)

    def read_created(self, body: Obj) -> datetime | None:
        """``created_at``, in Unix seconds."""
        return epoch(body.get("created_at"), ("created_at",))

    def _encode(self, response: Response, options: EncodeOptions, losses: LossLog) -> Obj:
        form, extra = ext(response.extensions, self.name, (), losses)
        items = self._items(response.message, options, losses, own=bool(form))
        status, details = self._status(response, losses)
        full: Obj = {
            "id": self.fill(response.id, "resp_aif", (), "an id", losses),
            "object": "response",
            "created_at": self.fill(
                to_epoch(response.created_at), 0, (), "a creation time", losses
            ),
            "status": status,
            "incomplete_details": details,
            "model": self.fill(response.model or options.model, "unknown", (), "a model", losses),
            "output": items,
            "usage": self._write_usage(response.usage, bool(form), losses),
        }
        if not form:  # the fields the SDK's Response type requires
            full.update(parallel_tool_calls=True, tool_choice="auto", tools=[])
        full.update(extra)
        keys = form.get("keys") or [
            "id",
            "object",
            "created_at",
            "status",
            "incomplete_details",
            "model",
            "output",
        ]
        return shape(full, keys)

    def _items(
        self, message: Message, options: EncodeOptions, losses: LossLog, own: bool
    ) -> list[Any]:
        if not message.parts:
            return []
        body = self.request_with(message, options, losses)
        items = [
            cast("Obj", i)
            for i in cast("list[Any]", body.get("input", []))
            if isinstance(i, dict) and _assistant_item(cast("Obj", i))
        ]
        return items if own else [_as_output(item, n) for n, item in enumerate(items)]

    def _status(self, response: Response, losses: LossLog) -> tuple[str, Obj | None]:
        word = self.write_finish(response, losses) or "completed"
        if word in ("max_output_tokens", "content_filter"):
            return "incomplete", {"reason": word}
        return word, None

    def _write_usage(self, usage: Usage | None, own: bool, losses: LossLog) -> Obj | None:
        if usage is None:
            return None
        return self.write_usage(usage, losses, fill=not own)  # the SDK requires every count


def _assistant_item(item: Obj) -> bool:
    # The synthetic request around the turn: user messages and tool outputs.
    return item.get("role") != "user" and not str(item.get("type", "")).endswith("_output")


def _as_output(item: Obj, n: int) -> Obj:
    """Turn an input item the request encoder wrote into the output item a response holds."""
    kind = item.get("type")
    if (kind is None and item.get("role") == "assistant") or kind == "message":
        content: Any = item.get("content", [])
        if isinstance(content, str):
            content = [{"type": "output_text", "text": content}]
        parts: list[Any] = [
            {**cast("Obj", p), "annotations": cast("Obj", p).get("annotations", [])}
            if isinstance(p, dict) and cast("Obj", p).get("type") == "output_text"
            else p
            for p in cast("list[Any]", content)
        ]
        return {
            "id": item.get("id", f"msg_aif_{n}"),
            "type": "message",
            "role": "assistant",
            "status": item.get("status", "completed"),
            "content": parts,
        }
    if kind == "reasoning":
        return {"id": f"rs_aif_{n}", "summary": [], **item}
    return item
