"""The ``anthropic`` format: Anthropic Messages API request bodies (``POST /v1/messages``).

Decoding lives in ``_anthropic_decode``; encoding in ``_anthropic_encode`` (turns,
tool pairing, settings) and ``_anthropic_blocks`` (one part to one block, and the
table of every rule the encoder logs). This module holds the converter and the
format's rules (`AnthropicConverter.validate`).
"""

from __future__ import annotations

from typing import Any, Final, cast

from aifkit.aif._loss import Path
from aifkit.aif.converters._anthropic_blocks import CACHE_TTLS
from aifkit.aif.converters._anthropic_decode import IMAGE_MEDIA_TYPES, NAME, TOOL_ID, decode_body
from aifkit.aif.converters._anthropic_encode import encode_document
from aifkit.aif.converters._base import FormatConverter
from aifkit.aif.converters._capabilities import ANTHROPIC
from aifkit.aif.converters._checks import (
    PairingWords,
    RuleChecker,
    ToolPairing,
    as_obj,
    as_str,
    is_blank,
)

__all__ = ["AnthropicConverter"]


# -- rules -------------------------------------------------------------------------


class _Validator(RuleChecker):
    """Collects violations; never raises, whatever the body holds.

    It reports only what the API rejects. Two orders the API takes are not flagged:
    a conversation that starts with the assistant (accepted by the Messages API,
    though not by Bedrock's: https://github.com/anthropics/anthropic-sdk-typescript/issues/622,
    recorded in ``tests/fixtures/anthropic/sdk-issue-622__assistant-first.json``, see SOURCES.md there), and
    consecutive turns of one role ("Consecutive user or assistant turns in your
    request will be combined into a single turn", https://docs.anthropic.com/en/api/messages).
    """

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.call_ids: set[str] = set()

    def body(self, body: Any) -> None:
        self.schema(decode_body, body)
        root = as_obj(body)
        if root is None:
            return
        if "model" not in root:
            self.flag(("model",), "model-required", "model is required")
        if "max_tokens" not in root:
            self.flag(("max_tokens",), "max-tokens-required", "max_tokens is required")
        temperature = root.get("temperature")
        if isinstance(temperature, int | float) and temperature > 1:
            self.flag(("temperature",), "temperature-range", "temperature must be at most 1")
        system = root.get("system")
        if is_blank(system):
            self.flag(("system",), "empty-text", "system text must not be empty")
        elif isinstance(system, list):
            self.blocks(cast("list[Any]", system), ("system",))
        messages = root.get("messages")
        if isinstance(messages, list):
            self.messages(cast("list[Any]", messages))
        tools = root.get("tools")
        if isinstance(tools, list):
            for k, tool in enumerate(cast("list[Any]", tools)):
                self.cache_ttl(as_obj(tool), ("tools", k))

    def cache_ttl(self, element: dict[str, Any] | None, path: Path) -> None:
        cc = as_obj(element.get("cache_control")) if element is not None else None
        if cc is not None and "ttl" in cc and as_str(cc["ttl"]) not in CACHE_TTLS:
            msg = f"cache ttl is '5m' or '1h', not {cc['ttl']!r}"
            self.flag((*path, "cache_control", "ttl"), "cache-ttl", msg)

    def blocks(self, blocks: list[Any], path: Path) -> None:
        """Check the content of each block (text, images, documents, tool results)."""
        for j, raw in enumerate(blocks):
            b = as_obj(raw)
            if b is None:
                continue
            kind = b.get("type")
            source = as_obj(b.get("source")) or {}
            media_type = source.get("media_type")
            self.cache_ttl(b, (*path, j))
            url = source.get("url")
            if kind in ("image", "document") and isinstance(url, str) and url.startswith("data:"):
                msg = "a url source is fetched by Anthropic; send data: URLs as base64"
                self.flag((*path, j, "source", "url"), "data-url", msg)
            if kind == "text" and is_blank(b.get("text")):
                self.flag((*path, j, "text"), "empty-text", "text blocks must not be empty")
            elif kind == "image" and source.get("type") == "base64":
                if as_str(media_type) not in IMAGE_MEDIA_TYPES:
                    self.flag(
                        (*path, j, "source", "media_type"),
                        "image-media-type",
                        f"images are {', '.join(sorted(IMAGE_MEDIA_TYPES))}, not {media_type!r}",
                    )
            elif kind == "document" and as_str(source.get("type")) in _DOCUMENT_TYPES:
                expected = _DOCUMENT_TYPES[source["type"]]
                if media_type != expected:
                    self.flag(
                        (*path, j, "source", "media_type"),
                        "document-media-type",
                        f"a {source['type']} document source is {expected}, not {media_type!r}",
                    )
            elif kind == "tool_result" and isinstance(b.get("content"), list):
                self.blocks(b["content"], (*path, j, "content"))

    def messages(self, messages: list[Any]) -> None:
        pairing = ToolPairing(self, _PAIRING, self.tool_id)
        for i, raw in enumerate(messages):
            m = as_obj(raw)
            if m is None:
                continue
            path: Path = ("messages", i)
            role = m.get("role")
            if role not in ("user", "assistant"):
                msg = f"role must be 'user' or 'assistant', not {role!r}"
                self.flag((*path, "role"), "role", msg)
            content = m.get("content")
            if is_blank(content):
                self.flag((*path, "content"), "empty-text", "message text must not be empty")
            elif content == []:
                self.flag((*path, "content"), "empty-message", "a message needs content")
            blocks = cast("list[Any]", content) if isinstance(content, list) else []
            self.blocks(blocks, (*path, "content"))
            self.roles(blocks, (*path, "content"), role)
            pairing.turn(role, blocks, (*path, "content"), self.calls)
        pairing.end()

    def roles(self, blocks: list[Any], path: Path, role: Any) -> None:
        """Flag blocks the message's role cannot hold."""
        for j, raw in enumerate(blocks):
            kind = (as_obj(raw) or {}).get("type")
            if role == "user" and kind == "tool_use":
                msg = "only the assistant calls tools"
                self.flag((*path, j), "tool-call-role", msg)
            elif role == "user" and kind in ("thinking", "redacted_thinking"):
                msg = "thinking blocks belong to assistant messages"
                self.flag((*path, j), "thinking-role", msg)
            elif role == "assistant" and kind == "tool_result":
                msg = "tool_result blocks belong to the user message after the tool_use"
                self.flag((*path, j), "tool-result-placement", msg)

    def calls(self, blocks: list[Any], path: Path) -> list[tuple[str, Path]]:
        calls: list[tuple[str, Path]] = []
        for j, raw in enumerate(blocks):
            b = as_obj(raw)
            if b is None:
                continue
            kind = b.get("type")
            if kind == "tool_use":
                call_id = b.get("id")
                if isinstance(call_id, str):
                    self.tool_id(call_id, (*path, j, "id"))
                    if call_id in self.call_ids:
                        msg = f"tool id {call_id!r} is used twice"
                        self.flag((*path, j, "id"), "tool-id-unique", msg)
                    self.call_ids.add(call_id)
                    calls.append((call_id, (*path, j)))
                if not isinstance(b.get("input"), dict):
                    self.flag((*path, j, "input"), "tool-input-object", "input must be an object")
            elif kind == "thinking" and not isinstance(b.get("signature"), str):
                msg = "a thinking block needs the signature it was returned with"
                self.flag((*path, j), "thinking-signature", msg)
        return calls

    def tool_id(self, call_id: str, path: Path) -> None:
        if not TOOL_ID.match(call_id):
            self.flag(path, "tool-id-charset", f"tool id {call_id!r} must match ^[a-zA-Z0-9_-]+$")


_DOCUMENT_TYPES: Final = {"base64": "application/pdf", "text": "text/plain"}


def _result_id(block: dict[str, Any]) -> tuple[Any, Path] | None:
    if block.get("type") != "tool_result":
        return None
    return block.get("tool_use_id"), ("tool_use_id",)


_PAIRING: Final = PairingWords(
    call="tool_use",
    result_id=_result_id,
    unanswered="tool_use {!r} has no tool_result first in the next user message",
    placement="tool_result blocks must come before any other content of the message",
)


class AnthropicConverter(FormatConverter):
    """Reads and writes Anthropic Messages request bodies.

    ``system`` becomes the document's instructions; each message keeps its blocks
    in order as parts (a ``tool_result`` block is a `ToolResultPart` in the user
    message); a ``thinking`` block is a `ReasoningPart` valid for Anthropic and the
    body's model; a block AIF has no neutral form for (a server tool block, ...) is
    a `ProviderPart`. Wire fields AIF has no place for are kept under
    ``extensions["anthropic"]``, so a body that `validate` accepts encodes back
    exactly as it was. Any other document is written so that the API accepts it,
    and every change is logged.

    Examples:
        >>> from aifkit.aif import EncodeOptions
        >>> conv = AnthropicConverter()
        >>> body = {"model": "claude-sonnet-4-5", "max_tokens": 512,
        ...     "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
        ...     "messages": [{"role": "user", "content": "Hello"}],
        ...     "metadata": {"user_id": "u1"}}
        >>> doc = conv.decode(body).document
        >>> doc.instructions[0].parts[0].cache, doc.messages[0].parts[0].text
        (CacheHint(ttl=None), 'Hello')
        >>> doc.extensions
        {'anthropic': {'extra': {'metadata': {'user_id': 'u1'}}}}
        >>> conv.encode(doc, EncodeOptions()).body == body
        True
        >>> [str(v) for v in conv.validate({"model": "claude-sonnet-4-5", "max_tokens": 64,
        ...     "messages": [{"role": "assistant", "content": ""}]})]
        ['/messages/0/content: message text must not be empty [anthropic/empty-text]']
    """

    name = NAME
    capabilities = ANTHROPIC
    read = staticmethod(decode_body)
    write = staticmethod(encode_document)
    checker = _Validator
