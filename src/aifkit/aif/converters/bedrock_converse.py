"""The ``bedrock-converse`` format: AWS Bedrock Converse request bodies.

The body is the JSON form of a ``Converse`` (or ``ConverseStream``) request, with
binary fields as base64 strings: ``modelId``, ``messages``, ``system``,
``inferenceConfig``, ``toolConfig`` and, for ``top_k``,
``additionalModelRequestFields``. Decoding lives in ``_bedrock_decode``; encoding
in ``_bedrock_encode`` (turns, tool pairing, settings) and ``_bedrock_blocks`` (one
part to one block, and the table of every rule the encoder logs). This module holds the converter and the format's rules.
"""

from __future__ import annotations

from typing import Any, Final

from aifkit.aif._features import STRUCTURE, Capabilities
from aifkit.aif._loss import Path
from aifkit.aif.converters._base import FormatConverter
from aifkit.aif.converters._bedrock_decode import (
    DOCUMENT_FORMATS,
    DOCUMENT_NAME,
    IMAGE_FORMATS,
    NAME,
    TOOL_ID,
    TOOL_NAME,
    decode_body,
)
from aifkit.aif.converters._bedrock_encode import encode_document
from aifkit.aif.converters._checks import (
    PairingWords,
    RuleChecker,
    ToolPairing,
    as_list,
    as_obj,
    as_str,
    is_blank,
)

__all__ = ["BEDROCK_CONVERSE", "BedrockConverseConverter"]

BEDROCK_CONVERSE: Final = Capabilities(
    carries={
        "settings.reasoning": "partial",
        "instructions": "yes",
        "text": "yes",
        "image.base64": "partial",
        "image.url": "partial",
        "document.base64": "partial",
        "document.url": "partial",
        "document.text": "partial",
        "audio": "partial",
        "tool_call": "yes",
        "tool_call.parallel": "yes",
        "tool_call.id": "partial",
        "tool_result": "yes",
        "tool_result.error": "yes",
        "tool_result.media": "partial",
        "reasoning.text": "partial",
        "reasoning.signed": "partial",
        "reasoning.redacted": "partial",
        "cache": "partial",
        "tools": "partial",
        "tools.strict": "yes",
        "tool_choice": "partial",
        "settings.max_tokens": "yes",
        "settings.temperature": "partial",
        "settings.top_p": "partial",
        "settings.top_k": "partial",
        "settings.stop": "partial",
    },
    rules={
        "reasoning-setting": "settings.reasoning",
        "reasoning-approximated": "settings.reasoning",
        "model-not-carried": STRUCTURE,
        "alternating-roles": STRUCTURE,
        "audio-format": "audio",
        "cache": "cache",
        "cache-ttl": "cache",
        "data-url": STRUCTURE,
        "developer-instructions": "instructions.developer",
        "document-format": "document.base64",
        "document-name": STRUCTURE,
        "document-source": "document.url",
        "document-title": STRUCTURE,
        "empty-message": STRUCTURE,
        "empty-text": STRUCTURE,
        "file-source": STRUCTURE,
        "first-turn-user": STRUCTURE,
        "image-detail": "image.detail",
        "image-format": "image.base64",
        "image-source": STRUCTURE,
        "image-url": "image.url",
        "max-tokens-range": STRUCTURE,
        "message-name": "message.name",
        "no-audio": "audio",
        "no-field": "extensions",
        "orphan-tool-result": STRUCTURE,
        "parallel-tool-calls": STRUCTURE,
        "provider-part": "provider_part",
        "reasoning-replay": STRUCTURE,
        "refusal": "refusal",
        "seed": "settings.seed",
        "stop-empty": "settings.stop",
        "stream": STRUCTURE,
        "system-content": STRUCTURE,
        "system-position": STRUCTURE,
        "temperature-range": "settings.temperature",
        "tool-call-role": STRUCTURE,
        "tool-choice": "tool_choice",
        "tool-config-required": STRUCTURE,
        "tool-id": "tool_call.id",
        "tool-input-object": STRUCTURE,
        "tool-input-schema": STRUCTURE,
        "tool-kind": "tools",
        "tool-name": "tools",
        "tool-result-missing": STRUCTURE,
        "tool-result-placement": STRUCTURE,
        "top-k": "settings.top_k",
        "top-p-range": "settings.top_p",
    },
    notes={
        "image.base64": "png, jpeg, gif, webp",
        "image.url": "s3:// only",
        "document.base64": "pdf, csv, doc(x), xls(x), html, txt, md",
        "document.url": "s3:// only",
        "document.text": "txt, md, html, csv",
        "audio": "base64, known formats",
        "tool_call.id": "1-64 of [a-zA-Z0-9_-]",
        "tool_result.media": "images and documents",
        "reasoning.text": "replays Bedrock's own reasoning only",
        "reasoning.signed": "Bedrock's own signatures",
        "reasoning.redacted": "Bedrock's own redacted content",
        "cache": "not inside tool results; ttl 5m or 1h",
        "tools": "toolSpec and Bedrock system tools; names [a-zA-Z0-9_-]",
        "tool_choice": "auto, any or one tool; no 'none'",
        "settings.temperature": "0 to 1",
        "settings.top_p": "0 to 1",
        "settings.reasoning": "Anthropic (thinking) and Amazon Nova (reasoningConfig) models",
        "settings.top_k": "Anthropic and Amazon Nova models, in additionalModelRequestFields",
        "settings.stop": "non-empty",
    },
)


# -- rules -------------------------------------------------------------------------


def _server_result(block: dict[str, Any]) -> bool:
    """A server tool's result (it has a ``type``), which sits in the assistant's turn."""
    result = as_obj(block.get("toolResult"))
    return result is not None and isinstance(result.get("type"), str)


_TEXT_FORMATS: Final = frozenset({"txt", "md", "html", "csv"})


def _result_id(block: dict[str, Any]) -> tuple[Any, Path] | None:
    result = as_obj(block.get("toolResult"))
    return None if result is None else (result.get("toolUseId"), ("toolResult", "toolUseId"))


_PAIRING: Final = PairingWords(
    call="toolUse",
    result_id=_result_id,
    unanswered="toolUse {!r} has no toolResult in the next user message",
    placement="toolResult blocks come before any other content of the message",
    neutral=lambda b: "cachePoint" in b,
)


class _Validator(RuleChecker):
    """Collects violations; never raises, whatever the body holds."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.uses_tools = False

    def body(self, body: Any) -> None:
        self.schema(decode_body, body)
        root = as_obj(body)
        if root is None:
            return
        for k, raw in enumerate(as_list(root.get("system"))):
            block = as_obj(raw) or {}
            if "text" in block and not block["text"]:
                self.flag(("system", k, "text"), "empty-text", "system text must not be empty")
        self.messages(as_list(root.get("messages")))
        self.inference(as_obj(root.get("inferenceConfig")) or {})
        config = as_obj(root.get("toolConfig"))
        if config is not None:
            self.tools(config)
        elif self.uses_tools:
            msg = "toolConfig is required when the messages hold toolUse or toolResult blocks"
            self.flag(("toolConfig",), "tool-config-required", msg)

    def inference(self, config: dict[str, Any]) -> None:
        path: Path = ("inferenceConfig",)
        max_tokens = config.get("maxTokens")
        if isinstance(max_tokens, int) and max_tokens < 1:
            self.flag((*path, "maxTokens"), "max-tokens-range", "maxTokens must be at least 1")
        for key, rule in (("temperature", "temperature-range"), ("topP", "top-p-range")):
            value = config.get(key)
            if isinstance(value, int | float) and not 0 <= value <= 1:
                self.flag((*path, key), rule, f"{key} must be between 0 and 1")
        for n, stop in enumerate(as_list(config.get("stopSequences"))):
            if stop == "":
                self.flag((*path, "stopSequences", n), "stop-empty", "stop sequences are non-empty")

    def tools(self, config: dict[str, Any]) -> None:
        tools = as_list(config.get("tools"))
        names: set[str] = set()
        if not tools:
            self.flag(("toolConfig", "tools"), "tools-empty", "toolConfig needs at least one tool")
        for k, raw in enumerate(tools):
            spec = as_obj((as_obj(raw) or {}).get("toolSpec"))
            if spec is None:
                continue
            path: Path = ("toolConfig", "tools", k, "toolSpec")
            name = spec.get("name")
            if isinstance(name, str):
                names.add(name)
                self.tool_name(name, (*path, "name"))
            if spec.get("description") == "":
                self.flag((*path, "description"), "empty-text", "a description is non-empty")
        choice = as_obj(as_obj(config.get("toolChoice")) or {})
        named = as_obj((choice or {}).get("tool"))
        if named is not None and as_str(named.get("name")) not in names:
            msg = f"toolChoice names {named.get('name')!r}, which is not among the tools"
            self.flag(("toolConfig", "toolChoice", "tool", "name"), "tool-choice", msg)

    def tool_name(self, name: str, path: Path) -> None:
        if not TOOL_NAME.match(name):
            self.flag(path, "tool-name", f"tool name {name!r} must be 1-64 of [a-zA-Z0-9_-]")

    def messages(self, messages: list[Any]) -> None:
        pairing = ToolPairing(self, _PAIRING, self.tool_id)
        prev = None
        for i, raw in enumerate(messages):
            m = as_obj(raw)
            if m is None:
                continue
            path: Path = ("messages", i)
            role = m.get("role")
            if i == 0 and role != "user":
                self.flag(
                    (*path, "role"), "first-turn-user", "the first message must be a user turn"
                )
            if role == prev:
                self.flag((*path, "role"), "alternating-roles", f"two {role} turns in a row")
            prev = role
            content = as_list(m.get("content"))
            if not content:
                self.flag((*path, "content"), "empty-message", "a message needs content")
            self.blocks(content, (*path, "content"), role)
            pairing.turn(role, content, (*path, "content"), self.calls)
        pairing.end()

    def blocks(self, blocks: list[Any], path: Path, role: Any) -> None:
        for j, raw in enumerate(blocks):
            b = as_obj(raw) or {}
            where: Path = (*path, j)
            if "toolUse" in b or "toolResult" in b:
                self.uses_tools = True
            if "text" in b and is_blank(b["text"]):
                self.flag((*where, "text"), "empty-text", "text blocks must not be blank")
            elif "toolUse" in b and role != "assistant":
                self.flag(where, "tool-call-role", "only the assistant calls tools")
            elif "toolResult" in b and role != "user" and not _server_result(b):
                self.flag(where, "orphan-tool-result", "tool results belong to user turns")
            elif "reasoningContent" in b and role != "assistant":
                self.flag(where, "reasoning-role", "reasoning belongs to assistant turns")
            self.media(b, where)
            result = as_obj(b.get("toolResult"))
            if result is not None:
                for k, item in enumerate(as_list(result.get("content"))):
                    self.media(as_obj(item) or {}, (*where, "toolResult", "content", k))

    def media(self, block: dict[str, Any], path: Path) -> None:
        image = as_obj(block.get("image"))
        if image is not None and as_str(image.get("format")) not in IMAGE_FORMATS:
            msg = f"images are {', '.join(IMAGE_FORMATS)}, not {image.get('format')!r}"
            self.flag((*path, "image", "format"), "image-format", msg)
        document = as_obj(block.get("document"))
        if document is None:
            return
        dpath: Path = (*path, "document")
        fmt = document.get("format")
        if fmt is not None and as_str(fmt) not in DOCUMENT_FORMATS:
            msg = f"documents are {', '.join(DOCUMENT_FORMATS)}, not {fmt!r}"
            self.flag((*dpath, "format"), "document-format", msg)
        elif "text" in (as_obj(document.get("source")) or {}) and fmt not in (None, *_TEXT_FORMATS):
            msg = f"a text source needs a text format, not {fmt!r}"
            self.flag((*dpath, "format"), "document-format", msg)
        name = document.get("name")
        if isinstance(name, str) and not DOCUMENT_NAME.match(name):
            msg = (
                f"document name {name!r}: alphanumerics, whitespace, hyphens, parentheses"
                " and square brackets, no consecutive whitespace"
            )
            self.flag((*dpath, "name"), "document-name", msg)

    def calls(self, blocks: list[Any], path: Path) -> list[tuple[str, Path]]:
        calls: list[tuple[str, Path]] = []
        for j, raw in enumerate(blocks):
            use = as_obj((as_obj(raw) or {}).get("toolUse"))
            if use is None or use.get("type") == "server_tool_use":  # the model runs it
                continue
            where: Path = (*path, j, "toolUse")
            call_id = use.get("toolUseId")
            if isinstance(call_id, str):
                self.tool_id(call_id, (*where, "toolUseId"))
                calls.append((call_id, (*path, j)))
            name = use.get("name")
            if isinstance(name, str):
                self.tool_name(name, (*where, "name"))
            if "input" in use and not isinstance(use["input"], dict):
                self.flag((*where, "input"), "tool-input-object", "input must be an object")
        return calls

    def tool_id(self, call_id: str, path: Path) -> None:
        if not TOOL_ID.match(call_id):
            self.flag(path, "tool-id", f"tool id {call_id!r} must be 1-64 of [a-zA-Z0-9_-]")


class BedrockConverseConverter(FormatConverter):
    """Reads and writes Bedrock Converse request bodies (JSON, binary as base64).

    ``system`` text blocks become instructions; each message keeps its content
    blocks in order as parts; a ``toolResult`` is a `ToolResultPart` in the user
    message; ``reasoningContent`` is a `ReasoningPart` valid for Bedrock and the
    body's ``modelId``; a ``cachePoint`` is the cache hint of the element before it;
    blocks AIF has no neutral form for (video, S3 sources, guard content, ...) are
    `ProviderPart`s. Wire fields AIF has no place for are kept under
    ``extensions["bedrock-converse"]``, so a body that `validate` accepts encodes
    back exactly. Any other document is written so that the API accepts it, and
    every change is logged.

    Examples:
        >>> from aifkit.aif import EncodeOptions
        >>> conv = BedrockConverseConverter()
        >>> body = {"modelId": "anthropic.claude-3-haiku-20240307-v1:0",
        ...     "system": [{"text": "Be brief."}, {"cachePoint": {"type": "default"}}],
        ...     "messages": [{"role": "user", "content": [{"text": "Hello"}]}],
        ...     "inferenceConfig": {"maxTokens": 512}}
        >>> doc = conv.decode(body).document
        >>> doc.instructions[0].parts[0].cache, doc.settings.max_tokens
        (CacheHint(ttl=None), 512)
        >>> conv.encode(doc, EncodeOptions()).body == body
        True
        >>> [str(v) for v in conv.validate({"messages": [
        ...     {"role": "assistant", "content": [{"text": "Hi"}]}]})]
        ['/messages/0/role: the first message must be a user turn [bedrock-converse/first-turn-user]']
    """

    name = NAME
    capabilities = BEDROCK_CONVERSE
    read = staticmethod(decode_body)
    write = staticmethod(encode_document)
    checker = _Validator
