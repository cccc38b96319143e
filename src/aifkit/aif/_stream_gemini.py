"""Assembling Gemini ``streamGenerateContent`` chunks (``?alt=sse``).

Each chunk is a ``GenerateContentResponse``: ``candidates[0].content.parts`` holds
the new parts (text, ``thought`` text, a whole ``functionCall``), the last chunk
has ``finishReason``, and ``usageMetadata`` grows as the stream goes. Text
fragments of the same kind join into one part; a ``thoughtSignature`` stays on
the part it came on (on the text it closes, when it arrives on an empty text
part, as Gemini sends it at the end of a reply); empty text fragments that carry
nothing else are dropped.

The rebuilt content is the reply's final ``model`` turn, and the gemini converter
reads it, as the last turn of a request body: thought text becomes a
`ReasoningPart` with its signature, a signature on any other part stays under
``extensions["gemini"]["extra"]``, and a function call without an id gets the
converter's id, ``gemini_0_<part>`` (``form: {"id": "absent"}``, so it is sent
back without one). A part the converter refuses is reported at the chunk it came
from: ``/events/2/candidates/0/content/parts/0/functionCall/name``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

from aifkit._json import format_pointer
from aifkit.aif._convert import decode
from aifkit.aif._schema import Message
from aifkit.aif._stream import expect_str, field, finish_message, optional_str, stream_error
from aifkit.errors import InvalidInputError

__all__ = ["GeminiAssembler"]

_PARTS: Final = "/contents/0/parts/"
"""Where the rebuilt parts sit in the body the converter reads."""

Origin = tuple[int, tuple[str | int, ...]]
"""The event index and the path of a part in that event's payload."""


class GeminiAssembler:
    """Folds Gemini stream chunks into one assistant message."""

    def __init__(self) -> None:
        self.parts: list[dict[str, Any]] = []  # wire parts, text runs joined
        self.origins: list[Origin] = []  # where each part began in the stream
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
        self.model = optional_str(payload.get("modelVersion", self.model), index, ("modelVersion",))
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
            path = ("candidates", c, "content", "parts", k)
            if not isinstance(part, dict):
                raise stream_error(index, path, "expected an object")
            self._part(index, path, cast("dict[str, Any]", part))

    def _part(self, index: int, path: tuple[str | int, ...], part: dict[str, Any]) -> None:
        sig = part.get("thoughtSignature")
        last = self.parts[-1] if self.parts else None
        if "text" in part:
            text = expect_str(part["text"], index, (*path, "text"))
            joinable = (
                last is not None
                and "text" in last
                and bool(last.get("thought")) == bool(part.get("thought"))
                and "thoughtSignature" not in last
                and part.keys() <= {"text", "thought", "thoughtSignature"}
            )
            if joinable and last is not None:
                last["text"] += text
                if sig is not None:
                    last["thoughtSignature"] = sig
                return
            if not text and part.keys() <= {"text", "thought"}:
                return  # an empty fragment carrying nothing
        elif (
            sig is not None
            and set(part) == {"thoughtSignature"}
            and last is not None
            and "text" in last
            and "thoughtSignature" not in last
        ):
            last["thoughtSignature"] = sig  # the signature closing the text before it
            return
        self.parts.append(dict(part))
        self.origins.append((index, path))

    def finish(self) -> Message:
        """Return the assembled message, as the gemini converter reads the final content."""
        if not self.chunks:
            raise stream_error(None, (), "the stream holds no chunks")
        if not self.finished:
            raise stream_error(None, (), "the stream ended before a finishReason (cut short?)")
        body = {"contents": [{"role": "model", "parts": self.parts}]}
        try:
            doc, _ = decode(body, "gemini")
        except InvalidInputError as exc:
            raise self._located(exc) from None
        return finish_message(
            doc.messages, format="gemini", provider="google", model=self.model, meta=self.meta
        )

    def _located(self, exc: InvalidInputError) -> InvalidInputError:
        """The converter's error, its pointer moved from the rebuilt body into the stream."""
        if not exc.pointer.startswith(_PARTS):
            return stream_error(None, (), exc.problem, hint=exc.hint)
        k, _, rest = exc.pointer.removeprefix(_PARTS).partition("/")
        index, path = self.origins[int(k)]
        pointer = format_pointer(("events", index, *path)) + (f"/{rest}" if rest else "")
        return InvalidInputError(pointer, exc.problem, hint=exc.hint)
