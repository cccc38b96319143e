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
from aifkit.aif._response import Response
from aifkit.aif._schema import Message, ToolCallPart
from aifkit.aif._vocab import GEMINI_FINISH, GEMINI_USAGE
from aifkit.aif.converters._base import EncodeOptions
from aifkit.aif.converters._common import expect_list, expect_obj
from aifkit.aif.converters._response_base import ResponseCodec
from aifkit.aif.converters._response_wire import Obj, shape
from aifkit.aif.converters._wire import ext, unknown_keys

__all__ = ["GeminiResponses"]

_TOP = frozenset({"candidates", "usageMetadata", "modelVersion", "responseId"})
_CANDIDATE = frozenset({"content", "finishReason", "index"})
_FIXED = frozenset({"index"})


class GeminiResponses(ResponseCodec):
    """``GenerateContentResponse`` bodies (``:generateContent``)."""

    name = "gemini"
    reply_keys: ClassVar[Mapping[str, str]] = {"id": "responseId", "model": "modelVersion"}
    output_media = True
    turns_key = "contents"
    empty_turn: ClassVar[Mapping[str, Any]] = {"role": "model", "parts": []}
    user_turn: ClassVar[Mapping[str, Any]] = {"role": "user", "parts": [{"text": "."}]}
    finish = GEMINI_FINISH
    usage_fields = GEMINI_USAGE
    usage_key = "usageMetadata"

    def _decode(self, body: Obj, sm: SourceMap, losses: LossLog) -> Response:
        candidates = expect_list(body.get("candidates", []), ("candidates",))
        candidate: Obj = expect_obj(candidates[0], ("candidates", 0)) if candidates else {}
        at: Path = ("candidates", 0, "content")
        content: Any = candidate.get("content")
        if isinstance(content, dict) and cast("Obj", content).get("parts"):
            message = self.decode_turn(cast("Obj", content), at, sm, losses)
        else:
            message = Message(role="assistant")
            sm.add(("message",), at if content is not None else ())
        finish = self.read_finish(
            candidate.get("finishReason"),
            ("candidates", 0, "finishReason"),
            calls=any(isinstance(p, ToolCallPart) for p in message.parts),
        )
        sm.add(("finish_reason",), ("candidates", 0, "finishReason"))
        extra = self.top_extra(body, _TOP, sm)
        for key, value in unknown_keys(candidate, _CANDIDATE).items():
            extra[f"candidate.{key}"] = value
            sm.add(("extensions", self.name, "extra", f"candidate.{key}"), ("candidates", 0, key))
        self.keep_alternatives(candidates, "candidates", extra, sm)
        form: Obj = {"keys": list(body), "candidate": list(candidate) if candidates else None}
        if isinstance(content, dict) and not cast("Obj", content).get("parts"):
            form["content"] = content
        return self.reply(body, message, finish, sm, extra=extra, form=form)

    def _encode(self, response: Response, options: EncodeOptions, losses: LossLog) -> Obj:
        form, extra = ext(response.extensions, self.name, (), losses)
        self.drop_fields(response, ("id", "model"), losses)
        if response.message.parts:
            content: Any = self.assistant_turn(response.message, options, losses)
        else:
            content = form.get("content") if form else {"role": "model", "parts": []}
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
            "usageMetadata": self.write_usage(response.usage, losses) if response.usage else None,
            "modelVersion": response.model,
            "responseId": response.id,
        }
        full.update({k: v for k, v in extra.items() if not k.startswith("candidate")})
        return shape(full, form.get("keys"))
