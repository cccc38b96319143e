"""Gemini ``GenerateContentResponse`` bodies <-> AIF.

The first candidate is the reply. Gemini counts ``candidatesTokenCount`` without
the thinking tokens (``thoughtsTokenCount``); AIF's ``output_tokens`` includes
them, split again on encode. A reply that calls functions stops with ``STOP``;
AIF says ``tool_calls``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, cast

from aifkit.aif._loss import LossLog, Path, SourceMap
from aifkit.aif._response import FinishReason, Response, Usage
from aifkit.aif._schema import Message, ToolCallPart
from aifkit.aif.converters._base import EncodeOptions
from aifkit.aif.converters._response_base import ResponseCodec
from aifkit.aif.converters._response_message import decode_message
from aifkit.aif.converters._response_wire import (
    Obj,
    add,
    expect_list,
    expect_obj,
    rest,
    shape,
    sub,
)

__all__ = ["GeminiResponses"]

_TOP = frozenset({"candidates", "usageMetadata", "modelVersion", "responseId"})
_CANDIDATE = frozenset({"content", "finishReason", "index"})
_FIXED = frozenset({"index"})

USAGE_SPEC = {
    "promptTokenCount": "input_tokens",
    "cachedContentTokenCount": "cache_read_tokens",
    "candidatesTokenCount": "candidates_tokens",
    "thoughtsTokenCount": "reasoning_tokens",
    "totalTokenCount": "total_tokens",
}


class GeminiResponses(ResponseCodec):
    """``GenerateContentResponse`` bodies (``:generateContent``)."""

    name = "gemini"
    output_media = True
    turns_key = "contents"
    empty_turn: ClassVar[Mapping[str, Any]] = {"role": "model", "parts": []}
    finish_reasons: ClassVar[Mapping[str, FinishReason]] = {
        "STOP": "stop",
        "MAX_TOKENS": "length",
        "SAFETY": "content_filter",
        "OTHER": "other",
        "MALFORMED_FUNCTION_CALL": "error",
        "RECITATION": "content_filter",
        "BLOCKLIST": "content_filter",
        "PROHIBITED_CONTENT": "content_filter",
        "SPII": "content_filter",
        "IMAGE_SAFETY": "content_filter",
        "UNEXPECTED_TOOL_CALL": "error",
        "LANGUAGE": "other",
        "FINISH_REASON_UNSPECIFIED": "other",
    }

    def _decode(self, body: Obj, sm: SourceMap, losses: LossLog) -> Response:
        candidates = expect_list(body.get("candidates", []), ("candidates",))
        candidate: Obj = expect_obj(candidates[0], ("candidates", 0)) if candidates else {}
        at: Path = ("candidates", 0, "content")
        content: Any = candidate.get("content")
        if isinstance(content, dict) and cast("Obj", content).get("parts"):
            request: Obj = {"contents": [{"role": "user", "parts": [{"text": "."}]}, content]}
            message = decode_message(self.name, request, 1, ("contents", 1), at, sm, losses)
        else:
            message = Message(role="assistant")
            sm.add(("message",), at if content is not None else ())
        finish, raw = self.read_finish(
            candidate.get("finishReason"), ("candidates", 0, "finishReason")
        )
        sm.add(("finish_reason",), ("candidates", 0, "finishReason"))
        if finish == "stop" and any(isinstance(p, ToolCallPart) for p in message.parts):
            finish = "tool_calls"
        extra = rest(body, _TOP)
        sm.add(("id",), ("responseId",))
        sm.add(("model",), ("modelVersion",))
        self.keep_extra(extra, (), (), sm)
        for key, value in rest(candidate, _CANDIDATE).items():
            extra[f"candidate.{key}"] = value
            sm.add(("extensions", self.name, "extra", f"candidate.{key}"), ("candidates", 0, key))
        if len(candidates) > 1:
            extra["candidates"] = candidates[1:]
            sm.add(("extensions", self.name, "extra", "candidates"), ("candidates", 1))
        form: Obj = {"keys": list(body), "candidate": list(candidate) if candidates else None}
        if isinstance(content, dict) and not cast("Obj", content).get("parts"):
            form["content"] = content
        return Response(
            id=body.get("responseId"),
            model=body.get("modelVersion"),
            message=message,
            finish_reason=finish,
            raw_finish_reason=raw,
            usage=self._read_usage(body, sm),
            extensions=self.ext(extra, form),
        )

    def _read_usage(self, body: Obj, sm: SourceMap) -> Usage | None:
        if body.get("usageMetadata") is None:
            return None
        usage = expect_obj(body["usageMetadata"], ("usageMetadata",))
        counts, ext = self.read_usage(usage, ("usageMetadata",), USAGE_SPEC, sm)
        shown = counts.pop("candidates_tokens", None)
        if shown is not None:
            counts["output_tokens"] = add(shown, counts.get("reasoning_tokens"))
            sm.add(("usage", "output_tokens"), ("usageMetadata", "candidatesTokenCount"))
        return Usage(**counts, extensions=ext)

    def _encode(self, response: Response, options: EncodeOptions, losses: LossLog) -> Obj:
        form, extra = self.own(response.extensions)
        self.foreign(response.extensions, (), losses)
        self.drop_fields(response, ("id", "model"), losses)
        if response.message.parts:
            content: Any = self.assistant_turn(response.message, options, losses)
        else:
            content = form.get("content") if form else {"role": "model", "parts": []}
        if response.finish_reason == "tool_calls" and response.raw_finish_reason in (None, "STOP"):
            finish: str | None = "STOP"
        else:
            finish = self.write_finish(response, losses)
        cand_full: Obj = {"content": content, "finishReason": finish, "index": 0}
        cand_full.update({k[10:]: v for k, v in extra.items() if k.startswith("candidate.")})
        candidates: list[Any] = []
        if form.get("candidate") is not None or not form:
            candidates.append(
                shape(
                    cand_full, form.get("candidate") or ["content", "finishReason", "index"], _FIXED
                )
            )
        more: Any = extra.get("candidates")
        candidates.extend(cast("list[Any]", more) if isinstance(more, list) else [])
        full: Obj = {
            "candidates": candidates or None,
            "usageMetadata": self._write_usage(response.usage, losses),
            "modelVersion": response.model,
            "responseId": response.id,
        }
        full.update({k: v for k, v in extra.items() if not k.startswith("candidate")})
        return shape(full, form.get("keys"))

    def _write_usage(self, usage: Usage | None, losses: LossLog) -> Obj | None:
        if usage is None:
            return None
        counts = {
            "input_tokens": usage.input_tokens,
            "cache_read_tokens": usage.cache_read_tokens,
            "candidates_tokens": sub(usage.output_tokens, usage.reasoning_tokens),
            "reasoning_tokens": usage.reasoning_tokens,
            "total_tokens": usage.total_tokens,
        }
        spec = {**USAGE_SPEC, "candidatesTokenCount": "output_tokens"}
        return self.write_usage(
            usage, spec, {**counts, "output_tokens": counts["candidates_tokens"]}, losses
        )
