"""The ``mcp`` and ``mcp-prompt`` formats: Model Context Protocol sampling requests and
prompt messages.

* ``mcp`` is the ``params`` object of a ``sampling/createMessage`` request, which an
  MCP server sends to ask the client's model for a completion.
* ``mcp-prompt`` is the result of ``prompts/get``: ``{"description"?, "messages"}``,
  one content block per message.

Decoding lives in ``_mcp_decode``, encoding in ``_mcp_encode``. `McpConverter.validate`
reports ``mcp/schema``, ``mcp/max-tokens-required``, ``mcp/block-type`` (a block a
sampling message cannot hold), ``mcp/tool-use-role``, ``mcp/tool-result-role``,
``mcp/tool-result-alone`` (a message with tool results that holds anything else),
``mcp/tool-result-missing`` (a call not answered by the next message),
``mcp/orphan-tool-result`` and ``mcp/tool-choice``. `McpPromptConverter.validate`
reports ``mcp-prompt/schema`` and ``mcp-prompt/block-type``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, cast

from aifkit.aif._features import STRUCTURE, Capabilities
from aifkit.aif._loss import Path
from aifkit.aif.converters._base import FormatConverter
from aifkit.aif.converters._checks import RuleChecker, as_str
from aifkit.aif.converters._mcp_decode import NAME, PROMPT, decode_params, decode_prompt
from aifkit.aif.converters._mcp_encode import encode_params, encode_prompt

__all__ = ["McpConverter", "McpPromptConverter"]

_COMMON_RULES: Final = {
    "audio-format": "audio",
    "cache": "cache",
    "data-url": STRUCTURE,
    "image-detail": "image.detail",
    "image-source": "image.url",
    "message-name": "message.name",
    "no-field": "extensions",
    "provider-part": "provider_part",
    "reasoning": "reasoning.text",
    "refusal": "refusal",
}

CAPABILITIES: Final = Capabilities(
    carries={
        "instructions": "yes",
        "text": "yes",
        "image.base64": "partial",
        "document.text": "no",
        "audio": "partial",
        "tool_call": "yes",
        "tool_call.parallel": "yes",
        "tool_call.id": "yes",
        "tool_result": "yes",
        "tool_result.error": "yes",
        "tool_result.media": "partial",
        "tools": "yes",
        "tool_choice": "partial",
        "settings.max_tokens": "yes",
        "settings.temperature": "yes",
        "settings.stop": "yes",
    },
    rules={
        "reasoning-setting": "settings.reasoning",
        **_COMMON_RULES,
        "arguments-object": STRUCTURE,
        "developer-instructions": "instructions.developer",
        "document": "document.base64",
        "document-text": "document.text",
        "max-tokens-required": STRUCTURE,
        "model-hint": STRUCTURE,
        "orphan-tool-result": STRUCTURE,
        "parallel-tool-calls": STRUCTURE,
        "seed": "settings.seed",
        "system-position": STRUCTURE,
        "text-joined": STRUCTURE,
        "tool-call-role": STRUCTURE,
        "tool-choice": "tool_choice",
        "tool-kind": "provider_part",
        "tool-result-alone": STRUCTURE,
        "tool-result-missing": STRUCTURE,
        "tool-result-role": STRUCTURE,
        "tools-strict": "tools.strict",
        "top-k": "settings.top_k",
        "top-p": "settings.top_p",
    },
    notes={
        "image.base64": "with a known MIME type",
        "audio": "base64 with a MIME type",
        "tool_result.media": "images, audio, text and binary resources",
        "tool_choice": "auto, required, none (no named tool)",
    },
)

PROMPT_CAPABILITIES: Final = Capabilities(
    carries={
        "text": "yes",
        "image.base64": "partial",
        "document.text": "yes",
        "document.base64": "yes",
        "document.url": "partial",
        "audio": "partial",
    },
    rules={
        "reasoning-setting": "settings.reasoning",
        **_COMMON_RULES,
        "document": "document.file",
        "empty-message": STRUCTURE,
        "one-block": STRUCTURE,
        "settings": STRUCTURE,
        "system-as-user": "instructions",
        "tool-text": "tool_call",
        "tools": "tools",
    },
    notes={
        "image.base64": "with a known MIME type",
        "audio": "base64 with a MIME type",
        "document.url": "as a resource link (http(s) URLs)",
    },
)

_Flag = Callable[[Path, str, str], None]


class _Validator(RuleChecker):
    """The rules of MCP sampling."""

    def body(self, body: Any) -> None:
        self.schema(decode_params, body)
        flag = self.flag
        if not isinstance(body, dict):
            return
        root = cast("dict[str, Any]", body)
        if "maxTokens" not in root:
            flag(("maxTokens",), "max-tokens-required", "maxTokens is required")
        choice = root.get("toolChoice")
        if isinstance(choice, dict):
            mode = cast("dict[str, Any]", choice).get("mode", "auto")
            if mode not in ("auto", "required", "none"):
                flag(
                    ("toolChoice", "mode"),
                    "tool-choice",
                    f"mode {mode!r} is not auto, required or none",
                )
        messages = root.get("messages")
        if isinstance(messages, list):
            _check_turns(cast("list[Any]", messages), flag)


def _blocks(m: Any) -> list[tuple[int | None, dict[str, Any]]]:
    content = cast("dict[str, Any]", m).get("content") if isinstance(m, dict) else None
    if isinstance(content, dict):
        return [(None, cast("dict[str, Any]", content))]
    if isinstance(content, list):
        items = cast("list[Any]", content)
        return [(j, cast("dict[str, Any]", b)) for j, b in enumerate(items) if isinstance(b, dict)]
    return []


def _check_turns(messages: list[Any], flag: _Flag) -> None:
    pending: list[tuple[str, Path]] = []
    for i, m in enumerate(messages):
        role = cast("dict[str, Any]", m).get("role") if isinstance(m, dict) else None
        blocks = _blocks(m)
        results = [(j, b) for j, b in blocks if b.get("type") == "tool_result"]
        answered: set[str] = set()
        for j, b in blocks:
            path: Path = ("messages", i, "content") + (() if j is None else (j,))
            kind = b.get("type")
            if as_str(kind) not in ("text", "image", "audio", "tool_use", "tool_result"):
                flag(path, "block-type", f"a sampling message cannot hold a {kind!r} block")
            elif kind == "tool_use" and role != "assistant":
                flag(path, "tool-use-role", "only assistant messages hold tool_use blocks")
            elif kind == "tool_result":
                if role != "user":
                    flag(path, "tool-result-role", "only user messages hold tool_result blocks")
                call_id = as_str(b.get("toolUseId"))
                if call_id not in {c for c, _ in pending} or call_id in answered:
                    msg = f"no tool_use {call_id!r} in the message before awaits this result"
                    flag(path, "orphan-tool-result", msg)
                answered.add(cast("str", call_id))
        if results and len(results) != len(blocks):
            msg = "a message with tool results holds nothing else"
            flag(("messages", i, "content"), "tool-result-alone", msg)
        for call_id, where in pending:
            if call_id not in answered:
                msg = f"tool_use {call_id!r} has no result in the next message"
                flag(where, "tool-result-missing", msg)
        pending = []
        if role == "assistant":
            for j, b in blocks:
                if b.get("type") == "tool_use" and isinstance(b.get("id"), str):
                    where = ("messages", i, "content") + (() if j is None else (j,))
                    pending.append((b["id"], where))
    for call_id, where in pending:
        flag(
            where, "tool-result-missing", f"tool_use {call_id!r} has no result in the next message"
        )


class _PromptValidator(RuleChecker):
    """The rules of MCP prompt messages."""

    def body(self, body: Any) -> None:
        self.schema(decode_prompt, body)
        messages = cast("dict[str, Any]", body).get("messages") if isinstance(body, dict) else None
        for i, m in enumerate(cast("list[Any]", messages) if isinstance(messages, list) else []):
            for _, b in _blocks(m):
                kind = b.get("type")
                if kind not in ("text", "image", "audio", "resource", "resource_link"):
                    msg = f"a prompt message cannot hold a {kind!r} block"
                    self.flag(("messages", i, "content"), "block-type", msg)


class McpConverter(FormatConverter):
    """Reads and writes MCP ``sampling/createMessage`` params.

    ``systemPrompt`` is the one instruction; each message keeps its blocks in order
    as parts (``tool_use`` -> `ToolCallPart`, ``tool_result`` -> `ToolResultPart`);
    ``modelPreferences`` holding one model-name hint is the document's model.
    ``includeContext``, ``metadata`` and other fields are kept under
    ``extensions["mcp"]``, so params come back exactly.

    Examples:
        >>> from aifkit.aif import EncodeOptions
        >>> conv = McpConverter()
        >>> params = {"messages": [{"role": "user", "content": {"type": "text", "text": "Hi"}}],
        ...     "systemPrompt": "Be brief.", "maxTokens": 100, "includeContext": "none"}
        >>> doc = conv.decode(params).document
        >>> doc.instructions[0].parts[0].text, doc.extensions
        ('Be brief.', {'mcp': {'extra': {'includeContext': 'none'}}})
        >>> conv.encode(doc, EncodeOptions()).body == params
        True
    """

    name = NAME
    capabilities = CAPABILITIES
    read = staticmethod(decode_params)
    write = staticmethod(encode_params)
    checker = _Validator


class McpPromptConverter(FormatConverter):
    """Reads and writes MCP prompt messages (the result of ``prompts/get``).

    Each prompt message is one AIF message holding one part; an embedded
    ``resource`` is a `DocumentPart` (its ``uri`` kept as extra) and a
    ``resource_link`` a `DocumentPart` from a URL. ``description`` is kept under
    ``extensions["mcp-prompt"]``.

    Examples:
        >>> from aifkit.aif import EncodeOptions, load_document
        >>> conv = McpPromptConverter()
        >>> doc = load_document({"instructions": [{"role": "system", "parts": [
        ...     {"type": "text", "text": "Review the code."}]}],
        ...     "messages": [{"role": "user", "parts": [{"type": "text", "text": "Here:"},
        ...         {"type": "document", "source": {"kind": "text", "text": "x = 1"}}]}]})
        >>> out = conv.encode(doc, EncodeOptions())
        >>> [m["content"]["type"] for m in out.body["messages"]]
        ['text', 'text', 'resource']
        >>> [e.rule for e in out.losses.resolve(None)]
        ['mcp-prompt/system-as-user', 'mcp-prompt/one-block']
    """

    name = PROMPT
    capabilities = PROMPT_CAPABILITIES
    read = staticmethod(decode_prompt)
    write = staticmethod(encode_prompt)
    checker = _PromptValidator
