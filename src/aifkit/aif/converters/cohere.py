"""The ``cohere`` format: Cohere v2 chat request bodies (``POST /v2/chat``).

Decoding lives in ``_cohere_decode``; encoding, and the table of every rule the
encoder logs, in ``_cohere_encode``. This module holds the converter and the
format's rules (`CohereConverter.validate`).
"""

from __future__ import annotations

from typing import Any, Final

from aifkit.aif._features import STRUCTURE, Capabilities
from aifkit.aif._loss import Path
from aifkit.aif.converters._base import FormatConverter
from aifkit.aif.converters._chatlike import ChatlikeChecker
from aifkit.aif.converters._checks import as_list, as_obj
from aifkit.aif.converters._cohere_decode import NAME, decode_body
from aifkit.aif.converters._cohere_encode import encode_document

__all__ = ["COHERE", "CohereConverter"]

COHERE: Final = Capabilities(
    carries={
        "instructions": "yes",
        "text": "yes",
        "image.url": "yes",
        "image.base64": "yes",
        "image.detail": "yes",
        "document.text": "partial",
        "document.base64": "partial",
        "tool_call": "yes",
        "tool_call.parallel": "yes",
        "tool_call.id": "yes",
        "tool_result": "yes",
        "tool_result.media": "partial",
        "reasoning.text": "partial",
        "tools": "partial",
        "tools.strict": "partial",
        "tool_choice": "partial",
        "settings.max_tokens": "yes",
        "settings.temperature": "yes",
        "settings.top_p": "yes",
        "settings.top_k": "yes",
        "settings.stop": "yes",
        "settings.seed": "yes",
    },
    rules={
        "reasoning-setting": "settings.reasoning",
        "model-not-carried": STRUCTURE,
        "assistant-text": STRUCTURE,
        "cache": "cache",
        "developer-instructions": "instructions.developer",
        "document-base64": "document.base64",
        "document-context": "document.text",
        "document-media-type": "document.text",
        "document-position": "document.text",
        "document-source": STRUCTURE,
        "empty-message": STRUCTURE,
        "image-source": STRUCTURE,
        "message-name": "message.name",
        "no-audio": "audio",
        "no-field": "extensions",
        "orphan-tool-result": STRUCTURE,
        "parallel-tool-calls": STRUCTURE,
        "part-not-allowed": STRUCTURE,
        "provider-part": "provider_part",
        "reasoning-replay": STRUCTURE,
        "reasoning-signature": "reasoning.signed",
        "refusal": "refusal",
        "strict-tools": "tools.strict",
        "tool-call-role": STRUCTURE,
        "tool-choice": "tool_choice",
        "tool-error-flag": "tool_result.error",
        "tool-kind": "tools",
        "tool-parameters": STRUCTURE,
        "tool-result-media": "tool_result.media",
        "tool-result-missing": STRUCTURE,
    },
    notes={
        "document.text": "text or JSON data, in the request's documents or tool results",
        "document.base64": "text/* only, decoded to text",
        "tool_result.media": "documents, not images",
        "reasoning.text": "thinking items in assistant messages",
        "tools": "function tools",
        "tools.strict": "one strict_tools flag for every tool",
        "tool_choice": "REQUIRED or NONE; no named tool",
    },
)


class _Validator(ChatlikeChecker):
    """The rules of Cohere's v2 chat endpoint."""

    def body(self, body: Any) -> None:
        self.schema(decode_body, body)
        root = as_obj(body)
        if root is None:
            return
        if "model" not in root:
            self.flag(("model",), "model-required", "model is required")
        self.messages(as_list(root.get("messages")))
        if root.get("tool_choice") == "REQUIRED" and not as_list(root.get("tools")):
            self.flag(("tool_choice",), "tool-choice", "tool_choice REQUIRED needs tools")

    def messages(self, messages: list[Any]) -> None:
        pending: dict[str, Path] = {}
        prev: Any = None
        for i, raw in enumerate(messages):
            m = as_obj(raw) or {}
            path: Path = ("messages", i)
            role = m.get("role")
            if role != "tool":
                self.unanswered(pending)
                pending = {}
            if role == "tool":
                self.tool(m, path, pending, prev)
            elif role == "assistant":
                pending = self.assistant(m, path)
            prev = role
        self.unanswered(pending)

    def assistant(self, m: dict[str, Any], path: Path) -> dict[str, Path]:
        calls = as_list(m.get("tool_calls"))
        content = m.get("content")
        if not calls and "tool_plan" not in m and content in (None, "", []):
            self.flag(path, "empty-message", "an assistant message needs content or tool calls")
        pending: dict[str, Path] = {}
        for k, raw in enumerate(calls):
            call = as_obj(raw) or {}
            call_id = call.get("id")
            if isinstance(call_id, str):
                if call_id in pending:
                    msg = f"tool call id {call_id!r} is used twice"
                    self.flag((*path, "tool_calls", k, "id"), "tool-id-unique", msg)
                pending[call_id] = (*path, "tool_calls", k, "id")
        return pending


class CohereConverter(FormatConverter):
    """Reads and writes Cohere v2 chat request bodies.

    Leading ``system`` messages become instructions; ``user`` content (text and
    ``image_url`` items) becomes parts; an ``assistant`` message's ``thinking``
    items become `ReasoningPart`s, its ``tool_plan`` a text part before its
    ``tool_calls`` (string arguments, parsed); each ``tool`` message is a
    `ToolResultPart` whose content holds text and documents. The request's
    ``documents`` become `DocumentPart`s at the head of the first user message.
    Wire fields AIF has no place for (``citations``, a document ``id``,
    ``safety_mode``, ...) are kept under ``extensions["cohere"]``, so a body that
    `validate` accepts encodes back exactly. Any other document is written so that
    Cohere accepts it, and every change is logged.

    Examples:
        >>> from aifkit.aif import EncodeOptions
        >>> conv = CohereConverter()
        >>> body = {"model": "command-a-03-2025", "messages": [
        ...     {"role": "user", "content": "Which planet is largest?"}],
        ...     "documents": [{"data": {"title": "Planets", "text": "Jupiter is largest."}}]}
        >>> doc = conv.decode(body).document
        >>> [p.type for p in doc.messages[0].parts], doc.messages[0].parts[0].title
        (['document', 'text'], 'Planets')
        >>> conv.encode(doc, EncodeOptions()).body == body
        True
        >>> [str(v) for v in conv.validate({"model": "m", "messages": [
        ...     {"role": "tool", "tool_call_id": "c1", "content": "r"}]})]
        ["/messages/0/tool_call_id: no call of the previous assistant message awaits 'c1' [cohere/orphan-tool-result]"]
    """

    name = NAME
    capabilities = COHERE
    read = staticmethod(decode_body)
    write = staticmethod(encode_document)
    checker = _Validator
