"""Amazon Bedrock Converse responses (``ConverseResponse``) <-> AIF.

Like Anthropic, Bedrock counts ``inputTokens`` without the cache reads and
writes; AIF's ``input_tokens`` is the sum, split again on encode.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, cast

from aifkit.aif._loss import LossLog, Path, SourceMap
from aifkit.aif._response import FinishReason, Response, Usage
from aifkit.aif._schema import Message
from aifkit.aif.converters._base import EncodeOptions
from aifkit.aif.converters._response_base import ResponseCodec
from aifkit.aif.converters._response_message import decode_message
from aifkit.aif.converters._response_wire import (
    Obj,
    add,
    expect_obj,
    rest,
    shape,
    sub,
)

__all__ = ["BedrockResponses"]

_TOP = frozenset({"output", "stopReason", "usage"})

USAGE_SPEC = {
    "inputTokens": "input_tokens",
    "outputTokens": "output_tokens",
    "totalTokens": "total_tokens",
    "cacheReadInputTokens": "cache_read_tokens",
    "cacheWriteInputTokens": "cache_write_tokens",
}


class BedrockResponses(ResponseCodec):
    """``ConverseResponse`` bodies (``POST /model/{modelId}/converse``)."""

    name = "bedrock-converse"
    output_media = True
    empty_turn: ClassVar[Mapping[str, Any]] = {"role": "assistant", "content": []}
    finish_reasons: ClassVar[Mapping[str, FinishReason]] = {
        "end_turn": "stop",
        "max_tokens": "length",
        "tool_use": "tool_calls",
        "guardrail_intervened": "content_filter",
        "stop_sequence": "stop",
        "content_filtered": "content_filter",
        "malformed_model_output": "error",
        "malformed_tool_use": "error",
        "model_context_window_exceeded": "length",
    }

    def _decode(self, body: Obj, sm: SourceMap, losses: LossLog) -> Response:
        output = expect_obj(body.get("output"), ("output",))
        at: Path = ("output", "message")
        wire = output.get("message")
        if wire is not None:
            request = {
                "messages": [{"role": "user", "content": [{"text": "."}]}, expect_obj(wire, at)]
            }
            message = decode_message(self.name, request, 1, ("messages", 1), at, sm, losses)
        else:
            message = Message(role="assistant")
            sm.add(("message",), ("output",))
        finish, raw = self.read_finish(body.get("stopReason"), ("stopReason",))
        sm.add(("finish_reason",), ("stopReason",))
        extra = rest(body, _TOP)
        self.keep_extra(extra, (), (), sm)
        for key, value in rest(output, frozenset({"message"})).items():
            extra[f"output.{key}"] = value
            sm.add(("extensions", self.name, "extra", f"output.{key}"), ("output", key))
        return Response(
            message=message,
            finish_reason=finish,
            raw_finish_reason=raw,
            usage=self._read_usage(body, sm),
            extensions=self.ext(extra, {"keys": list(body), "output": list(output)}),
        )

    def _read_usage(self, body: Obj, sm: SourceMap) -> Usage | None:
        if body.get("usage") is None:
            return None
        usage = expect_obj(body["usage"], ("usage",))
        counts, ext = self.read_usage(usage, ("usage",), USAGE_SPEC, sm)
        if counts.get("input_tokens") is not None:
            counts["input_tokens"] = add(
                counts["input_tokens"],
                counts.get("cache_read_tokens"),
                counts.get("cache_write_tokens"),
            )
        return Usage(**counts, extensions=ext)

    def _encode(self, response: Response, options: EncodeOptions, losses: LossLog) -> Obj:
        form, extra = self.own(response.extensions)
        self.foreign(response.extensions, (), losses)
        self.drop_fields(response, (), losses)
        out_full: Obj = {}
        if response.message.parts or not form:
            turn = self.assistant_turn(response.message, options, losses)
            blocks = turn.get("content")
            if isinstance(blocks, list):
                turn["content"] = self.keep_blank_text(
                    cast("list[Any]", blocks), response.message, losses, "bedrock"
                )
            out_full["message"] = turn
        out_full.update({k[7:]: v for k, v in extra.items() if k.startswith("output.")})
        full: Obj = {
            "output": shape(out_full, form.get("output")),
            "stopReason": self.fill(
                self.write_finish(response, losses), "end_turn", (), "a stop reason", losses
            ),
            "usage": self._write_usage(response.usage, own=bool(form), losses=losses),
        }
        if not form:
            full["metrics"] = {"latencyMs": 0}
        full.update({k: v for k, v in extra.items() if not k.startswith("output.")})
        return shape(full, form.get("keys"))

    def _write_usage(self, usage: Usage | None, own: bool, losses: LossLog) -> Obj | None:
        if usage is None:
            return None if own else {"inputTokens": 0, "outputTokens": 0, "totalTokens": 0}
        counts: dict[str, Any] = {
            "input_tokens": sub(
                usage.input_tokens, usage.cache_read_tokens, usage.cache_write_tokens
            ),
            "output_tokens": usage.output_tokens,
            "total_tokens": usage.total_tokens,
            "cache_read_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
        }
        if self.name not in usage.extensions:  # the service model requires the three counts
            counts["input_tokens"] = counts["input_tokens"] or 0
            counts["output_tokens"] = counts["output_tokens"] or 0
            counts["total_tokens"] = (
                counts["total_tokens"] or add(usage.input_tokens, usage.output_tokens) or 0
            )
        return self.write_usage(usage, USAGE_SPEC, counts, losses)
