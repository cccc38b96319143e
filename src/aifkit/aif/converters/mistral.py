"""The ``mistral`` format: Mistral chat completions request bodies (``POST /v1/chat/completions``).

Decoding lives in ``_mistral_decode``; encoding, and the table of every rule the
encoder logs, in ``_mistral_encode``. This module holds the converter and the
format's rules (`MistralConverter.validate`).
"""

from __future__ import annotations

from typing import Any, Final

from aifkit.aif._features import STRUCTURE, Capabilities
from aifkit.aif._loss import Path
from aifkit.aif.converters._base import FormatConverter
from aifkit.aif.converters._chatlike import ChatlikeChecker
from aifkit.aif.converters._checks import as_list, as_obj, as_str
from aifkit.aif.converters._mistral_decode import NAME, TOOL_ID, decode_body
from aifkit.aif.converters._mistral_encode import encode_document

__all__ = ["MISTRAL", "MistralConverter"]

MISTRAL: Final = Capabilities(
    carries={
        "instructions": "yes",
        "text": "yes",
        "image.url": "yes",
        "image.base64": "yes",
        "image.detail": "yes",
        "document.url": "yes",
        "document.base64": "yes",
        "document.file": "partial",
        "audio": "partial",
        "tool_call": "yes",
        "tool_call.parallel": "yes",
        "tool_call.id": "partial",
        "tool_result": "yes",
        "reasoning.text": "partial",
        "reasoning.signed": "partial",
        "tools": "partial",
        "tools.strict": "yes",
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
        "cache": "cache",
        "developer-instructions": "instructions.developer",
        "document-text": "document.text",
        "document-title": STRUCTURE,
        "document-context": STRUCTURE,
        "empty-message": STRUCTURE,
        "file-source": STRUCTURE,
        "last-role": STRUCTURE,
        "message-name": "message.name",
        "no-audio": "audio",
        "audio-format": "audio",
        "no-field": "extensions",
        "orphan-tool-result": STRUCTURE,
        "part-not-allowed": STRUCTURE,
        "prefix-position": STRUCTURE,
        "provider-part": "provider_part",
        "reasoning-replay": STRUCTURE,
        "reasoning-signature": "reasoning.signed",
        "refusal": "refusal",
        "tool-call-role": STRUCTURE,
        "tool-choice": "tool_choice",
        "tool-error-flag": "tool_result.error",
        "tool-id": "tool_call.id",
        "tool-kind": "tools",
        "tool-parameters": STRUCTURE,
        "tool-result-media": "tool_result.media",
        "tool-result-missing": STRUCTURE,
        "tool-then-user": STRUCTURE,
    },
    notes={
        "document.file": "Mistral file ids",
        "audio": "base64, user messages",
        "tool_call.id": "exactly 9 alphanumerics",
        "reasoning.text": "thinking chunks in assistant messages",
        "reasoning.signed": "Mistral's own signatures",
        "tools": "function tools and Mistral's own tools",
        "tool_choice": "needs tools",
    },
)


# -- rules -------------------------------------------------------------------------


class _Validator(ChatlikeChecker):
    """The rules of Mistral's chat endpoint."""

    def body(self, body: Any) -> None:
        self.schema(decode_body, body)
        root = as_obj(body)
        if root is None:
            return
        if "model" not in root:
            self.flag(("model",), "model-required", "model is required")
        self.messages(as_list(root.get("messages")))
        self.tool_choice(root)

    def messages(self, messages: list[Any]) -> None:
        prev: Any = None
        pending: dict[str, Path] = {}
        last = len(messages) - 1
        for i, raw in enumerate(messages):
            m = as_obj(raw) or {}
            path: Path = ("messages", i)
            role = m.get("role")
            if role != "tool" and pending:
                self.unanswered(pending)
                pending = {}
            if role == "user" and prev == "tool":
                self.flag(
                    (*path, "role"), "tool-then-user", "a user message cannot follow a tool message"
                )
            if role == "tool":
                self.tool(m, path, pending, prev)
            if role == "assistant":
                pending = self.assistant(m, path, i == last)
            if m.get("prefix") is True and i != last:
                self.flag(
                    (*path, "prefix"),
                    "prefix-position",
                    "prefix is only allowed on the last message",
                )
            for j, chunk in enumerate(as_list(m.get("content"))):
                kind = (as_obj(chunk) or {}).get("type")
                if role == "assistant" and kind not in ("text", "thinking", None):
                    msg = f"{kind} chunks cannot be sent in an assistant message"
                    self.flag((*path, "content", j), "part-not-allowed", msg)
            prev = role
        if pending:
            self.unanswered(pending)
        if messages:
            m = as_obj(messages[last]) or {}
            ok = m.get("role") in ("user", "tool") or (
                m.get("role") == "assistant" and m.get("prefix") is True
            )
            if not ok:
                msg = "the last message must be user or tool, or an assistant with prefix: true"
                self.flag(("messages", last, "role"), "last-role", msg)

    def assistant(self, m: dict[str, Any], path: Path, is_last: bool) -> dict[str, Path]:
        calls = as_list(m.get("tool_calls"))
        content = m.get("content")
        if not calls and (content is None or content in ("", [])):
            self.flag(path, "empty-message", "an assistant message needs content or tool calls")
        pending: dict[str, Path] = {}
        for k, raw in enumerate(calls):
            call_id = (as_obj(raw) or {}).get("id")
            if not isinstance(call_id, str):
                continue
            where: Path = (*path, "tool_calls", k, "id")
            if not TOOL_ID.match(call_id):
                msg = f"tool call id {call_id!r} must be exactly 9 of [a-zA-Z0-9]"
                self.flag(where, "tool-id", msg)
            pending[call_id] = where
        if calls and m.get("prefix") is True:
            self.flag((*path, "prefix"), "prefix-position", "a prefix message cannot call tools")
        del is_last
        return pending

    def tool_choice(self, root: dict[str, Any]) -> None:
        choice = root.get("tool_choice")
        names: set[Any] = set()
        for tool in as_list(root.get("tools")):
            function = as_obj((as_obj(tool) or {}).get("function")) or {}
            names.add(as_str(function.get("name")))
        fn = as_obj((as_obj(choice) or {}).get("function"))
        if choice is not None and choice != "none" and not as_list(root.get("tools")):
            self.flag(("tool_choice",), "tool-choice", "tool_choice needs tools")
        elif fn is not None and as_str(fn.get("name")) not in names:
            msg = f"tool_choice names {fn.get('name')!r}, which is not among the tools"
            self.flag(("tool_choice", "function", "name"), "tool-choice", msg)


class MistralConverter(FormatConverter):
    """Reads and writes Mistral chat completions request bodies.

    Leading ``system`` messages become instructions; content chunks (``text``,
    ``image_url``, ``document_url``, ``file``, ``input_audio``, ``thinking``) become
    parts; ``tool_calls`` become `ToolCallPart`s and each ``tool`` message a
    `ToolResultPart`. Wire fields AIF has no place for (``prefix``,
    ``response_format``, ``safe_prompt``, ...) are kept under
    ``extensions["mistral"]``, so a body that `validate` accepts encodes back
    exactly. Any other document is written so that Mistral accepts it: tool call
    ids become nine alphanumerics (bijectively), every call is answered, a user
    message never follows a tool message, and the conversation ends on a user or
    tool message or an assistant prefix. Every change is logged.

    Examples:
        >>> from aifkit.aif import EncodeOptions, convert
        >>> conv = MistralConverter()
        >>> body = {"model": "mistral-large-latest", "messages": [
        ...     {"role": "system", "content": "Be brief."},
        ...     {"role": "user", "content": "Hello"}], "safe_prompt": True}
        >>> doc = conv.decode(body).document
        >>> doc.instructions[0].parts[0].text, doc.extensions
        ('Be brief.', {'mistral': {'extra': {'safe_prompt': True}}})
        >>> conv.encode(doc, EncodeOptions()).body == body
        True
        >>> [str(v) for v in conv.validate({"model": "m", "messages": [
        ...     {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hel"}]})]
        ['/messages/1/role: the last message must be user or tool, or an assistant with prefix: true [mistral/last-role]']
    """

    name = NAME
    capabilities = MISTRAL

    read = staticmethod(decode_body)
    write = staticmethod(encode_document)
    checker = _Validator
