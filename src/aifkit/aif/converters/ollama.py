"""The ``ollama`` format: Ollama's native chat request bodies (``POST /api/chat``).

Decoding lives in ``_ollama_decode``, encoding in ``_ollama_encode`` (with the
table of every rule the encoder logs); this module holds the converter, its
capabilities and the format's rules (`OllamaConverter.validate`):

* ``ollama/schema`` — a wrong type, a missing required key, an unknown role;
* ``ollama/model-required`` — no ``model``;
* ``ollama/tool-calls-role``, ``ollama/thinking-role``, ``ollama/tool-name-role``
  — ``tool_calls`` or ``thinking`` outside an assistant message, ``tool_name``
  outside a tool message;
* ``ollama/image-base64`` — an image that is not raw base64 (a ``data:`` URL, a
  path, a URL);
* ``ollama/tool-type`` — a tool whose ``type`` is not ``function``.
"""

from __future__ import annotations

from typing import Any, Final, cast

from aifkit.aif._features import STRUCTURE, Capabilities
from aifkit.aif._loss import Path
from aifkit.aif.converters._base import FormatConverter
from aifkit.aif.converters._checks import RuleChecker
from aifkit.aif.converters._ollama_decode import NAME, decode_body
from aifkit.aif.converters._ollama_encode import encode_document
from aifkit.aif.converters._wire import b64_ok

__all__ = ["OllamaConverter"]

CAPABILITIES: Final = Capabilities(
    carries={
        "instructions": "yes",
        "text": "yes",
        "image.base64": "partial",
        "tool_call": "yes",
        "tool_call.parallel": "yes",
        "tool_call.id": "partial",
        "tool_result": "yes",
        "tool_result.media": "partial",
        "reasoning.text": "yes",
        "tools": "yes",
        "settings.max_tokens": "yes",
        "settings.temperature": "yes",
        "settings.top_p": "yes",
        "settings.top_k": "yes",
        "settings.stop": "yes",
        "settings.seed": "yes",
    },
    rules={
        "reasoning-setting": "settings.reasoning",
        "arguments-object": STRUCTURE,
        "cache": "cache",
        "data-url": "image.url",
        "developer-instructions": "instructions.developer",
        "document-text": "document.text",
        "image-base64": STRUCTURE,
        "image-detail": "image.detail",
        "image-file": "image.file",
        "image-media-type": "image.base64",
        "image-url": "image.url",
        "message-name": "message.name",
        "no-audio": "audio",
        "no-document": "document.base64",
        "no-field": "extensions",
        "parallel-tool-calls": STRUCTURE,
        "part-order": STRUCTURE,
        "provider-part": "provider_part",
        "reasoning-redacted": "reasoning.redacted",
        "reasoning-role": STRUCTURE,
        "reasoning-signed": "reasoning.signed",
        "refusal": "refusal",
        "result-media": "tool_result.media",
        "text-joined": STRUCTURE,
        "tool-call-id": "tool_call.id",
        "tool-call-role": STRUCTURE,
        "tool-choice": "tool_choice",
        "tool-error-flag": "tool_result.error",
        "tool-kind": "provider_part",
        "tools-strict": "tools.strict",
    },
    notes={
        "image.base64": "media type is not sent (recognized from the data)",
        "tool_call.id": "no ids on the wire: results pair by tool_name and order",
        "tool_result.media": "base64 images",
    },
)


class _Validator(RuleChecker):
    """The rules of Ollama's chat API."""

    def body(self, body: Any) -> None:
        self.schema(decode_body, body)
        flag = self.flag
        if not isinstance(body, dict):
            return
        root = cast("dict[str, Any]", body)
        if not isinstance(root.get("model"), str) or not root["model"]:
            flag(("model",), "model-required", "model is required")
        messages = root.get("messages")
        for i, raw in enumerate(cast("list[Any]", messages) if isinstance(messages, list) else []):
            if isinstance(raw, dict):
                _check_message(cast("dict[str, Any]", raw), ("messages", i), flag)
        tools = root.get("tools")
        for k, raw in enumerate(cast("list[Any]", tools) if isinstance(tools, list) else []):
            kind = (
                cast("dict[str, Any]", raw).get("type", "function")
                if isinstance(raw, dict)
                else None
            )
            if kind != "function":
                flag(
                    ("tools", k, "type"), "tool-type", f"tool type must be 'function', not {kind!r}"
                )


def _check_message(m: dict[str, Any], path: Path, flag: Any) -> None:
    role = m.get("role")
    if m.get("tool_calls") is not None and role != "assistant":
        flag((*path, "tool_calls"), "tool-calls-role", "only assistant messages have tool_calls")
    if m.get("thinking") is not None and role != "assistant":
        flag((*path, "thinking"), "thinking-role", "only assistant messages have thinking")
    if m.get("tool_name") is not None and role != "tool":
        flag((*path, "tool_name"), "tool-name-role", "only tool messages have a tool_name")
    images = m.get("images")
    for k, image in enumerate(cast("list[Any]", images) if isinstance(images, list) else []):
        if isinstance(image, str) and not b64_ok(image):
            msg = "images are raw base64, without a data: prefix"
            flag((*path, "images", k), "image-base64", msg)


class OllamaConverter(FormatConverter):
    """Reads and writes Ollama ``/api/chat`` request bodies.

    Leading system messages become instructions; ``thinking`` is a `ReasoningPart`,
    ``content`` a `TextPart`, each of ``images`` a base64 `ImagePart`, each of
    ``tool_calls`` a `ToolCallPart` with a synthesized id (Ollama has none; the
    decoder says so in its loss report); a ``tool`` message is a `ToolResultPart`
    answering the open call with its ``tool_name``. ``options`` are settings, and
    wire fields AIF has no place for (``think``, ``format``, ``keep_alive``, other
    options) are kept under ``extensions["ollama"]``, so a body comes back exactly.

    Examples:
        >>> from aifkit.aif import EncodeOptions
        >>> conv = OllamaConverter()
        >>> body = {"model": "qwen3", "think": True, "options": {"num_predict": 64},
        ...     "messages": [{"role": "user", "content": "Weather in Paris?"},
        ...         {"role": "assistant", "content": "", "tool_calls": [
        ...             {"function": {"name": "weather", "arguments": {"city": "Paris"}}}]},
        ...         {"role": "tool", "content": "18C", "tool_name": "weather"}]}
        >>> decoded = conv.decode(body)
        >>> [p.type for m in decoded.document.messages for p in m.parts]
        ['text', 'tool_call', 'tool_result']
        >>> decoded.document.messages[2].parts[0].call_id
        'call_1_0'
        >>> conv.encode(decoded.document, EncodeOptions()).body == body
        True
        >>> [str(v) for v in conv.validate({"model": "qwen3", "messages": [
        ...     {"role": "user", "content": "hi", "images": ["data:image/png;base64,iVBORw0KGgo="]}]})]
        ['/messages/0/images/0: images are raw base64, without a data: prefix [ollama/image-base64]']
    """

    name = NAME
    capabilities = CAPABILITIES

    read = staticmethod(decode_body)
    write = staticmethod(encode_document)
    checker = _Validator
