"""Assembling Gemini ``streamGenerateContent`` chunks (``?alt=sse``).

Each chunk is a ``GenerateContentResponse``: ``candidates[0].content.parts`` holds
the new parts (text, ``thought`` text, a whole ``functionCall``), the last chunk
has ``finishReason``, and ``usageMetadata`` grows as the stream goes. Text
fragments of the same kind join into one part; a ``thoughtSignature`` stays on
the part it came on (on the text it closes, when it arrives on an empty text
part, as Gemini sends it at the end of a reply).

Parts map to AIF directly: text to `TextPart`, thought text to `ReasoningPart`
(its signature on it), ``functionCall`` to `ToolCallPart` (an id synthesized when
Gemini sent none, noted under ``extensions["gemini"]["form"]``), a signature on
any other part under ``extensions["gemini"]["extra"]["thoughtSignature"]``;
other parts (inline data, code execution) stay `ProviderPart`s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from aifkit.aif._schema import (
    Message,
    Part,
    ProviderPart,
    ReasoningPart,
    ReasoningScope,
    TextPart,
    ToolCallPart,
)
from aifkit.aif._stream import field, finish_message, stream_error

__all__ = ["GeminiAssembler"]


class GeminiAssembler:
    """Folds Gemini stream chunks into one assistant message."""

    def __init__(self) -> None:
        self.parts: list[dict[str, Any]] = []  # wire parts, text runs joined
        self.meta: dict[str, Any] = {}
        self.model: str | None = None
        self.finished = False
        self.chunks = 0

    def feed(self, index: int, event: str, payload: Mapping[str, Any] | None) -> None:
        """Take one chunk."""
        if payload is None:
            return
        if "error" in payload:
            raise stream_error(
                index, ("error",), f"the stream reports an error: {payload['error']}"
            )
        self.chunks += 1
        self.model = payload.get("modelVersion", self.model)
        self.meta["response_id"] = payload.get("responseId", self.meta.get("response_id"))
        if payload.get("usageMetadata") is not None:
            self.meta["usage"] = payload["usageMetadata"]
        candidates = payload.get("candidates")
        if candidates is None:
            feedback = payload.get("promptFeedback")
            if isinstance(feedback, dict) and "blockReason" in feedback:
                reason = cast("dict[str, Any]", feedback)["blockReason"]
                raise stream_error(index, ("promptFeedback",), f"the prompt was blocked: {reason}")
            return
        if not isinstance(candidates, list) or not candidates:
            raise stream_error(index, ("candidates",), "expected a non-empty array")
        for c, cand in enumerate(cast("list[object]", candidates)):
            if not isinstance(cand, dict):
                raise stream_error(index, ("candidates", c), "expected an object")
            self._candidate(index, c, cast("dict[str, Any]", cand))

    def _candidate(self, index: int, c: int, cand: dict[str, Any]) -> None:
        if cand.get("index", 0) != 0:
            raise stream_error(
                index,
                ("candidates", c, "index"),
                "this stream holds several candidates; assemble reads one reply",
                hint="request candidateCount=1",
            )
        if cand.get("finishReason") is not None:
            self.finished = True
            self.meta["stop_reason"] = cand["finishReason"]
        content: Any = cand.get("content") or {}
        parts: Any = field(content, "parts")
        if parts is None and isinstance(content, dict):
            parts = []  # a closing chunk may carry only the role
        if not isinstance(parts, list):
            raise stream_error(index, ("candidates", c, "content", "parts"), "expected an array")
        for k, part in enumerate(cast("list[object]", parts)):
            if not isinstance(part, dict):
                raise stream_error(
                    index, ("candidates", c, "content", "parts", k), "expected an object"
                )
            self._part(
                index, ("candidates", c, "content", "parts", k), cast("dict[str, Any]", part)
            )

    def _part(self, index: int, path: tuple[str | int, ...], part: dict[str, Any]) -> None:
        sig = part.get("thoughtSignature")
        if "text" in part:
            text = part["text"]
            if not isinstance(text, str):
                raise stream_error(index, (*path, "text"), "expected a string")
            last = self.parts[-1] if self.parts else None
            joinable = (
                last is not None
                and "text" in last
                and bool(last.get("thought")) == bool(part.get("thought"))
                and "thoughtSignature" not in last
            )
            if joinable and last is not None and (text or sig):
                last["text"] += text
                if sig is not None:
                    last["thoughtSignature"] = sig
                return
            self.parts.append(dict(part))
            return
        if sig is not None and set(part) == {"thoughtSignature"}:
            last = self.parts[-1] if self.parts else None
            if last is not None and "text" in last and "thoughtSignature" not in last:
                last["thoughtSignature"] = sig  # the signature closing the text before it
                return
        if "functionCall" in part and not isinstance(part["functionCall"], dict):
            raise stream_error(index, (*path, "functionCall"), "expected an object")
        self.parts.append(dict(part))

    def finish(self) -> Message:
        """Return the assembled message."""
        if not self.chunks:
            raise stream_error(None, (), "the stream holds no chunks")
        if not self.finished:
            raise stream_error(None, (), "the stream ended before a finishReason (cut short?)")
        parts = [self._aif(i, p) for i, p in enumerate(self.parts)]
        message = Message(role="assistant", parts=tuple(p for p in parts if p is not None))
        return finish_message(
            [message], format="gemini", provider="google", model=self.model, meta=self.meta
        )

    def _aif(self, i: int, part: dict[str, Any]) -> Part | None:
        sig = part.get("thoughtSignature")
        extra = {"gemini": {"extra": {"thoughtSignature": sig}}} if sig is not None else {}
        if "text" in part:
            if part.get("thought"):
                scope = ReasoningScope(provider="google", model=self.model)
                return ReasoningPart(text=part["text"], signature=sig, valid_for=scope)
            if not part["text"] and sig is None:
                return None
            return TextPart(text=part["text"], extensions=extra)
        if "functionCall" in part:
            call = part["functionCall"]
            name = call.get("name")
            if not isinstance(name, str):
                raise stream_error(None, (), f"function call part {i} has no name")
            call_id = call.get("id")
            ext: dict[str, dict[str, Any]] = {k: dict(v) for k, v in extra.items()}
            if not isinstance(call_id, str) or not call_id:
                call_id = f"call_{i}"
                ext.setdefault("gemini", {})["form"] = {"synthesized_id": True}
            return ToolCallPart(
                id=call_id, name=name, arguments=call.get("args", {}), extensions=ext
            )
        return ProviderPart(format="gemini", data=part)
