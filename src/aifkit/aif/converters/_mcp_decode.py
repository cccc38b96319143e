"""Reading MCP sampling requests and prompt messages into AIF.

Two formats share the content blocks:

* ``mcp`` — the params of a ``sampling/createMessage`` request: ``messages``
  (``role`` user/assistant, ``content`` one block or a list), ``systemPrompt``,
  ``maxTokens``, ``temperature``, ``stopSequences``, ``tools``, ``toolChoice``,
  ``modelPreferences``, ``includeContext``, ``metadata``;
* ``mcp-prompt`` — a ``prompts/get`` result: ``description`` and ``messages``,
  each holding exactly one content block (text, image, audio, resource link or
  embedded resource).

Blocks: ``text`` -> `TextPart`; ``image`` / ``audio`` -> base64 `ImagePart` /
`AudioPart`; ``tool_use`` -> `ToolCallPart`; ``tool_result`` -> `ToolResultPart`
(``structuredContent`` kept as extra; a result block AIF cannot hold, audio or an
unknown type, keeps the whole wire ``content`` under ``extra.content``); an
embedded ``resource`` -> `DocumentPart` (text or base64 blob, its ``uri`` kept as
extra); a ``resource_link`` -> `DocumentPart` from a URL (``name`` as filename,
``title``); any other type -> `ProviderPart`. ``annotations`` and ``_meta`` are kept
as extra on the element that had them.

Form hints: message ``list`` (a one-block list, not a lone block); document
``model: "hint"`` on settings when ``modelPreferences`` was exactly one model-name
hint (the AIF model); resource ``mime: "absent"`` for a text resource without a
``mimeType``; tool-result ``content: "absent"``.
"""

from __future__ import annotations

from typing import Any, Final, cast

from aifkit._json import type_name
from aifkit.aif._loss import Path, SourceMap
from aifkit.aif.converters._base import Decoded
from aifkit.aif.converters._common import (
    expect_bool,
    expect_list,
    expect_obj,
    expect_str,
    fail,
    read_int,
    read_number,
    required,
    validate_document,
)
from aifkit.aif.converters._settings import SettingsTable, read_settings, read_strings
from aifkit.aif.converters._wire import MISSING, make_ext, unknown_keys

__all__ = ["NAME", "PROMPT", "SETTINGS", "decode_params", "decode_prompt"]


_SOURCE_FIELDS: Final[dict[str, tuple[Path, ...]]] = {
    "instructions": (("systemPrompt",),),
    "call_id": (("toolUseId",),),
    "arguments": (("input",),),
    "parameters": (("inputSchema",),),
    "media_type": (("mimeType",),),
    "uri": (("resource", "uri"),),
    "filename": (("name",), ("resource", "uri")),
    "url": (("resource", "uri"), ("uri",)),
}
"""AIF fields this format spells otherwise, for loss pointers (`SourceMap.fields`)."""

NAME: Final = "mcp"
PROMPT: Final = "mcp-prompt"
ROLES: Final = frozenset({"user", "assistant"})

_PARAMS_KEYS: Final = frozenset(
    {
        "messages",
        "systemPrompt",
        "maxTokens",
        "temperature",
        "stopSequences",
        "tools",
        "toolChoice",
        "modelPreferences",
    }
)
_PROMPT_KEYS: Final = frozenset({"messages"})
_MESSAGE_KEYS: Final = frozenset({"role", "content"})
_TOOL_KEYS: Final = frozenset({"name", "description", "inputSchema"})
_BLOCK_KEYS: Final = {
    "text": frozenset({"type", "text"}),
    "image": frozenset({"type", "data", "mimeType"}),
    "audio": frozenset({"type", "data", "mimeType"}),
    "tool_use": frozenset({"type", "id", "name", "input"}),
    "tool_result": frozenset({"type", "toolUseId", "content", "isError"}),
    "resource": frozenset({"type", "resource"}),
    "resource_link": frozenset({"type", "uri", "name", "title", "mimeType"}),
}
_RESOURCE_KEYS: Final = frozenset({"uri", "mimeType", "text", "blob"})
_CHOICES: Final = frozenset({"auto", "required", "none"})


def decode_params(body: Any) -> Decoded:
    """Read ``sampling/createMessage`` params (see the module docstring)."""
    root = expect_obj(body, ())
    sm = SourceMap(fields=_SOURCE_FIELDS)
    reader = _Reader(NAME, sm)
    doc: dict[str, Any] = {}
    settings = _settings(root, sm)
    if settings:
        doc["settings"] = settings
    system = root.get("systemPrompt", MISSING)
    if system is not MISSING:
        sm.add(("instructions", 0), ("systemPrompt",))
        text = expect_str(system, ("systemPrompt",))
        doc["instructions"] = [{"role": "system", "parts": [{"type": "text", "text": text}]}]
    raw = expect_list(required(root, "messages", ()), ("messages",))
    doc["messages"] = [reader.message(m, i, False) for i, m in enumerate(raw)]
    tools = root.get("tools", MISSING)
    if tools is not MISSING:
        doc["tools"] = [_tool(t, k, sm) for k, t in enumerate(expect_list(tools, ("tools",)))]
    extra = unknown_keys(root, _PARAMS_KEYS)
    if extra:
        sm.add(("extensions", NAME, "extra"), ())
        doc["extensions"] = make_ext(NAME, None, extra)
    return Decoded(validate_document(doc, sm), sm)


def decode_prompt(body: Any) -> Decoded:
    """Read a ``prompts/get`` result (see the module docstring)."""
    root = expect_obj(body, ())
    sm = SourceMap(fields=_SOURCE_FIELDS)
    reader = _Reader(PROMPT, sm)
    raw = expect_list(required(root, "messages", ()), ("messages",))
    doc: dict[str, Any] = {"messages": [reader.message(m, i, True) for i, m in enumerate(raw)]}
    extra = unknown_keys(root, _PROMPT_KEYS)
    if extra:
        sm.add(("extensions", PROMPT, "extra"), ())
        doc["extensions"] = make_ext(PROMPT, None, extra)
    return Decoded(validate_document(doc, sm), sm)


# -- settings and tools ----------------------------------------------------------------


SETTINGS: Final[SettingsTable] = (
    ("maxTokens", "max_tokens", read_int),
    ("temperature", "temperature", read_number),
    ("stopSequences", "stop", read_strings),
)
"""Sampling's settings, both directions (the encoder sends a default ``maxTokens``,
which is required); ``toolChoice`` and the model hint are read and written on
their own."""


def _settings(root: dict[str, Any], sm: SourceMap) -> dict[str, Any]:
    out, ints = read_settings(root, SETTINGS, sm)
    form: dict[str, Any] = {"int": ints} if ints else {}
    extra: dict[str, Any] = {}
    choice = root.get("toolChoice", MISSING)
    if choice is not MISSING:
        tc = expect_obj(choice, ("toolChoice",))
        mode = tc.get("mode", MISSING)
        if isinstance(mode, str) and mode in _CHOICES and len(tc) == 1:
            out["tool_choice"] = {"mode": mode}
            sm.add(("settings", "tool_choice"), ("toolChoice",))
        else:  # no mode (the default, auto) or keys this version does not know: kept whole
            extra["toolChoice"] = tc
            sm.add(("settings", "extensions", NAME, "extra", "toolChoice"), ("toolChoice",))
    prefs = root.get("modelPreferences", MISSING)
    if prefs is not MISSING:
        p = expect_obj(prefs, ("modelPreferences",))
        hints = p.get("hints")
        hint: Any = None
        if isinstance(hints, list) and len(cast("list[Any]", hints)) == 1:
            hint = cast("list[Any]", hints)[0]
        if len(p) == 1 and isinstance(hint, dict) and hint.keys() == {"name"}:
            name = cast("dict[str, Any]", hint)["name"]
            out["model"] = expect_str(name, ("modelPreferences", "hints", 0, "name"))
            form["model"] = "hint"
            sm.add(("settings", "model"), ("modelPreferences",))
        else:
            extra["modelPreferences"] = p
            sm.add(
                ("settings", "extensions", NAME, "extra", "modelPreferences"), ("modelPreferences",)
            )
    ext = make_ext(NAME, form, extra)
    if ext:
        out["extensions"] = ext
    return out


def _tool(raw: Any, k: int, sm: SourceMap) -> dict[str, Any]:
    path: Path = ("tools", k)
    t = expect_obj(raw, path)
    sm.add(("tools", k), path)
    out: dict[str, Any] = {"name": expect_str(required(t, "name", path), (*path, "name"))}
    if "description" in t:
        out["description"] = expect_str(t["description"], (*path, "description"))
    schema = required(t, "inputSchema", path)
    out["parameters"] = expect_obj(schema, (*path, "inputSchema"))
    sm.add(("tools", k, "parameters"), (*path, "inputSchema"))
    extra = unknown_keys(t, _TOOL_KEYS)
    if extra:
        out["extensions"] = make_ext(NAME, None, extra)
    return out


# -- messages and blocks ---------------------------------------------------------------


class _Reader:
    def __init__(self, name: str, sm: SourceMap) -> None:
        self.name = name
        self.sm = sm

    def message(self, raw: Any, i: int, prompt: bool) -> dict[str, Any]:
        src: Path = ("messages", i)
        aif: Path = ("messages", i)
        m = expect_obj(raw, src)
        self.sm.add(aif, src)
        role = required(m, "role", src)
        if not isinstance(role, str) or role not in ROLES:
            if not isinstance(role, str):
                raise fail((*src, "role"), f"expected a string, got {type_name(role)}")
            raise fail((*src, "role"), f"expected 'user' or 'assistant', got {role!r}")
        content = required(m, "content", src)
        cpath: Path = (*src, "content")
        form: dict[str, Any] = {}
        if isinstance(content, dict):
            self.sm.add((*aif, "parts", 0), cpath)
            parts = [self.block(content, cpath, (*aif, "parts", 0), prompt)]
        elif prompt:
            raise fail(cpath, f"expected an object, got {type_name(content)}")
        elif isinstance(content, list):
            blocks = cast("list[Any]", content)
            if len(blocks) == 1:
                form["list"] = True
            parts: list[dict[str, Any]] = []
            for j, b in enumerate(blocks):
                self.sm.add((*aif, "parts", j), (*cpath, j))
                parts.append(self.block(b, (*cpath, j), (*aif, "parts", j), prompt))
        else:
            problem = f"expected an object or an array, got {type_name(content)}"
            raise fail(cpath, problem)
        out: dict[str, Any] = {"role": role, "parts": parts}
        extra = unknown_keys(m, _MESSAGE_KEYS)
        if extra:
            self.sm.add((*aif, "extensions", self.name, "extra"), src)
        ext = make_ext(self.name, form, extra)
        if ext:
            out["extensions"] = ext
        return out

    def block(self, raw: Any, src: Path, aif: Path, prompt: bool) -> dict[str, Any]:
        b = expect_obj(raw, src)
        kind = expect_str(required(b, "type", src), (*src, "type"))
        allowed = ("resource", "resource_link") if prompt else ("tool_use", "tool_result")
        if kind not in _BLOCK_KEYS or (kind not in allowed and kind in _SPECIAL):
            self.sm.add((*aif, "data"), src)
            return {"type": "provider", "format": self.name, "data": b}
        form: dict[str, Any] = {}
        part = _READERS[kind](self, b, src, aif, form)
        extra = unknown_keys(b, _BLOCK_KEYS[kind])
        nested = part.pop("_extra", None)
        if nested:
            extra.update(nested)
        if extra:
            self.sm.add((*aif, "extensions", self.name, "extra"), src)
        ext = make_ext(self.name, form, extra)
        if ext:
            part["extensions"] = ext
        return part

    def text(self, b: dict[str, Any], src: Path, aif: Path, form: dict[str, Any]) -> dict[str, Any]:
        return {"type": "text", "text": expect_str(required(b, "text", src), (*src, "text"))}

    def media(
        self, b: dict[str, Any], src: Path, aif: Path, form: dict[str, Any]
    ) -> dict[str, Any]:
        source = {
            "kind": "base64",
            "media_type": expect_str(required(b, "mimeType", src), (*src, "mimeType")),
            "data": expect_str(required(b, "data", src), (*src, "data")),
        }
        return {"type": b["type"], "source": source}

    def tool_use(
        self, b: dict[str, Any], src: Path, aif: Path, form: dict[str, Any]
    ) -> dict[str, Any]:
        self.sm.add((*aif, "arguments"), (*src, "input"))
        return {
            "type": "tool_call",
            "id": expect_str(required(b, "id", src), (*src, "id")),
            "name": expect_str(required(b, "name", src), (*src, "name")),
            "arguments": expect_obj(required(b, "input", src), (*src, "input")),
        }

    def tool_result(
        self, b: dict[str, Any], src: Path, aif: Path, form: dict[str, Any]
    ) -> dict[str, Any]:
        call_id = expect_str(required(b, "toolUseId", src), (*src, "toolUseId"))
        self.sm.add((*aif, "call_id"), (*src, "toolUseId"))
        part: dict[str, Any] = {"type": "tool_result", "call_id": call_id}
        content = b.get("content", MISSING)
        cpath: Path = (*src, "content")
        if content is MISSING:
            form["content"] = "absent"
        else:
            items: list[dict[str, Any]] = []
            for k, raw in enumerate(expect_list(content, cpath)):
                where: Path = (*aif, "content", len(items))
                item = self.block(raw, (*cpath, k), where, True)
                if item["type"] in ("text", "image", "document"):
                    self.sm.add(where, (*cpath, k))
                    items.append(item)
                else:  # AIF cannot hold it in a result: the wire content is kept as is
                    part["_extra"] = {"content": content}
            part["content"] = items
        if "isError" in b:
            part["is_error"] = expect_bool(b["isError"], (*src, "isError"))
        return part

    def resource(
        self, b: dict[str, Any], src: Path, aif: Path, form: dict[str, Any]
    ) -> dict[str, Any]:
        rpath: Path = (*src, "resource")
        r = expect_obj(required(b, "resource", src), rpath)
        uri = expect_str(required(r, "uri", rpath), (*rpath, "uri"))
        mime = r.get("mimeType", MISSING)
        if mime is not MISSING:
            mime = expect_str(mime, (*rpath, "mimeType"))
        if "text" in r:
            text = expect_str(r["text"], (*rpath, "text"))
            if mime is MISSING:
                form["mime"] = "absent"
            media_type = "text/plain" if mime is MISSING else mime
            source = {"kind": "text", "media_type": media_type, "text": text}
        else:
            blob = expect_str(required(r, "blob", rpath), (*rpath, "blob"))
            source = {"kind": "base64", "data": blob}
            if mime is not MISSING:
                source["media_type"] = mime
        nested: dict[str, Any] = {"uri": uri}
        more = unknown_keys(r, _RESOURCE_KEYS)
        if more:
            nested["resource"] = more
        return {"type": "document", "source": source, "_extra": nested}

    def resource_link(
        self, b: dict[str, Any], src: Path, aif: Path, form: dict[str, Any]
    ) -> dict[str, Any]:
        uri = expect_str(required(b, "uri", src), (*src, "uri"))
        part: dict[str, Any] = {
            "type": "document",
            "source": {"kind": "url", "url": uri},
            "filename": expect_str(required(b, "name", src), (*src, "name")),
        }
        if "title" in b:
            part["title"] = expect_str(b["title"], (*src, "title"))
        if "mimeType" in b:
            part["_extra"] = {"mimeType": expect_str(b["mimeType"], (*src, "mimeType"))}
        return part


_SPECIAL: Final = frozenset({"resource", "resource_link", "tool_use", "tool_result"})
_READERS: Final = {
    "text": _Reader.text,
    "image": _Reader.media,
    "audio": _Reader.media,
    "tool_use": _Reader.tool_use,
    "tool_result": _Reader.tool_result,
    "resource": _Reader.resource,
    "resource_link": _Reader.resource_link,
}
