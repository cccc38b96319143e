"""Reading an Anthropic Messages request body into AIF.

The document is built as plain dicts in AIF's JSON shape and validated once at the
end. What AIF has no field for is kept under ``extensions["anthropic"]``: ``extra``
for wire fields (``citations``, ``metadata``, ``thinking``, a future key), ``form``
for presentation choices an exact round trip needs. Form hints (written only where
they differ from what the encoder does by default):

* document: ``system: "blocks"`` when ``system`` was a list the encoder would write
  as a string (one plain text block), or an empty list.
* message: ``blocks: true`` when ``content`` was a list holding one plain text
  block; ``split: true`` when the message follows one of the same role (the API
  joins such turns; a round trip keeps them apart).
* part / tool: ``null`` lists optional keys given as ``null``; ``cache_control``
  holds the exact object when it is not ``{"type": "ephemeral"[, "ttl": ...]}``.
* tool result: ``content: "blocks"`` when ``content`` was a list the encoder would
  write otherwise (an empty list: absent; one plain text block: a string).
* tool: ``type: "custom"`` for a client tool that spelled out its type.
* settings: ``int`` lists float settings given as integers.

Unknown keys nested in a known object are kept under ``extra[<that key>]``:
``extra.source`` (a block's source), ``extra.tool_choice`` (on settings). A tool
result holding a block AIF cannot represent keeps its whole wire ``content`` under
``extra.content`` (written back as is) and the blocks AIF can hold as parts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final, NoReturn, cast

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
from aifkit.aif.converters._reasoning import anthropic_read, anthropic_write, needs_form
from aifkit.aif.converters._settings import SettingsTable, read_settings, read_strings
from aifkit.aif.converters._wire import MISSING, make_ext, unknown_keys

__all__ = ["IMAGE_MEDIA_TYPES", "NAME", "SETTINGS", "TOOL_ID", "decode_body", "is_plain_text"]


_SOURCE_FIELDS: Final[dict[str, tuple[Path, ...]]] = {
    "instructions": (("system",),),
    "cache": (("cache_control",),),
    "call_id": (("tool_use_id",),),
    "arguments": (("input",),),
    "parameters": (("input_schema",),),
    "redacted": (("data",),),
}
"""AIF fields this format spells otherwise, for loss pointers (`SourceMap.fields`)."""

NAME: Final = "anthropic"
TOOL_ID: Final = re.compile(r"^[a-zA-Z0-9_-]+$")
"""Tool-use ids Anthropic accepts."""
IMAGE_MEDIA_TYPES: Final = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})

_ROLES: Final = frozenset({"user", "assistant", "system", "developer", "tool"})
_TOP_KEYS: Final = frozenset(
    {
        "model",
        "max_tokens",
        "messages",
        "system",
        "tools",
        "tool_choice",
        "temperature",
        "top_p",
        "top_k",
        "stop_sequences",
        "stream",
    }
)
_TEXT_KEYS: Final = frozenset({"type", "text", "cache_control"})
_IMAGE_KEYS: Final = frozenset({"type", "source", "cache_control"})
_DOCUMENT_KEYS: Final = frozenset({"type", "source", "cache_control", "title", "context"})
_TOOL_USE_KEYS: Final = frozenset({"type", "id", "name", "input", "cache_control"})
_TOOL_RESULT_KEYS: Final = frozenset(
    {"type", "tool_use_id", "content", "is_error", "cache_control"}
)
_THINKING_KEYS: Final = frozenset({"type", "thinking", "signature", "cache_control"})
_REDACTED_KEYS: Final = frozenset({"type", "data", "cache_control"})
_TOOL_KEYS: Final = frozenset(
    {"type", "name", "description", "input_schema", "cache_control", "strict"}
)
_TOOL_CHOICE_KEYS: Final = frozenset({"type", "name", "disable_parallel_tool_use"})
_CHOICE_MODES: Final = {"auto": "auto", "any": "required", "tool": "tool", "none": "none"}
_SOURCE_KEYS: Final = {
    "base64": frozenset({"type", "media_type", "data"}),
    "text": frozenset({"type", "media_type", "data"}),
    "url": frozenset({"type", "url"}),
    "file": frozenset({"type", "file_id"}),
}


def is_plain_text(block: Any) -> bool:
    """True for ``{"type": "text", "text": ...}`` with no other key (writable as a string)."""
    if not isinstance(block, dict):
        return False
    b = cast("dict[str, Any]", block)
    return len(b) == 2 and b.get("type") == "text"


def decode_body(body: Any) -> Decoded:
    """Read an Anthropic Messages request body (see the module docstring)."""
    root = expect_obj(body, ())
    sm = SourceMap(fields=_SOURCE_FIELDS)
    reader = _Reader(sm, root.get("model"))
    doc: dict[str, Any] = {}
    doc_form: dict[str, Any] = {}
    settings = _settings(root, sm)
    if settings:
        doc["settings"] = settings
    system = root.get("system", MISSING)
    if system is not MISSING:
        instruction = reader.system(system, doc_form)
        if instruction is not None:
            doc["instructions"] = [instruction]
    raw_messages = expect_list(required(root, "messages", ()), ("messages",))
    doc["messages"] = reader.messages(raw_messages)
    tools = root.get("tools", MISSING)
    if tools is not MISSING:
        doc["tools"] = [_tool(t, k, sm) for k, t in enumerate(expect_list(tools, ("tools",)))]
    extra = _unknown(root, (_TOP_KEYS | {"thinking"}) if "reasoning" in settings else _TOP_KEYS)
    if extra:
        sm.add(("extensions", NAME, "extra"), ())
    ext = make_ext(NAME, doc_form, extra)
    if ext:
        doc["extensions"] = ext
    document = validate_document(doc, sm, _aif_path, lower=True)
    return Decoded(document, sm)


_UNION_TAGS: Final = frozenset(
    {"text", "image", "document", "tool_call", "tool_result", "reasoning", "provider"}  # parts
    | {"base64", "url", "file"}  # sources
    | {"dict", "list"}  # JSON values
)


def _aif_path(loc: tuple[int | str, ...]) -> Path:
    # Pydantic names the branch a union took ("parts", 0, "text", ...; "extra", "dict",
    # "key"); the AIF path has none of them.
    out: list[int | str] = []
    for item in loc:
        prev = out[-1] if out else None
        branch = isinstance(prev, int) or prev in ("source", "extra") or item in ("dict", "list")
        if not (isinstance(item, str) and item in _UNION_TAGS and branch):
            out.append(item)
    return tuple(out)


# -- small readers -------------------------------------------------------------------


# -- settings ------------------------------------------------------------------------

SETTINGS: Final[SettingsTable] = (
    ("model", "model", expect_str),
    ("max_tokens", "max_tokens", read_int),
    ("temperature", "temperature", read_number),
    ("top_p", "top_p", read_number),
    ("top_k", "top_k", read_int),
    ("stop_sequences", "stop", read_strings),
    ("stream", "stream", expect_bool),
)
"""The Messages API's settings, both directions (the encoder writes ``model`` and
the required ``max_tokens`` first and clamps ``temperature``); ``tool_choice`` and
``thinking`` are read and written on their own."""


def _settings(root: dict[str, Any], sm: SourceMap) -> dict[str, Any]:
    out, ints = read_settings(root, SETTINGS, sm)
    choice = root.get("tool_choice", MISSING)
    extra: dict[str, Any] | None = None
    if choice is not MISSING:
        extra = _tool_choice(expect_obj(choice, ("tool_choice",)), out, sm)
    form: dict[str, Any] = {"int": ints} if ints else {}
    reasoning = anthropic_read(root.get("thinking"))
    if reasoning is not None:  # a shape this version does not know stays in extra
        out["reasoning"] = reasoning.model_dump(exclude_none=True)
        max_tokens = out.get("max_tokens", 0)
        if needs_form(
            root["thinking"], lambda log: anthropic_write(reasoning, {}, max_tokens, log)
        ):
            form["reasoning"] = root["thinking"]
        sm.add(("settings", "reasoning"), ("thinking",))
    ext = make_ext(NAME, form, extra)
    if ext:
        out["extensions"] = ext
    return out


def _tool_choice(tc: dict[str, Any], out: dict[str, Any], sm: SourceMap) -> dict[str, Any] | None:
    path: Path = ("tool_choice",)
    kind = expect_str(required(tc, "type", path), (*path, "type"))
    mode = _CHOICE_MODES.get(kind)
    if mode is None:  # a type this version does not know: kept whole
        sm.add(("settings", "extensions", NAME, "extra", "tool_choice"), path)
        return {"tool_choice": tc}
    choice: dict[str, Any] = {"mode": mode}
    unknown = _unknown(tc, _TOOL_CHOICE_KEYS)
    name = tc.get("name", MISSING)
    if mode == "tool":
        choice["name"] = expect_str(required(tc, "name", path), (*path, "name"))
    elif name is not MISSING:
        unknown = {**(unknown or {}), "name": name}
    disable = tc.get("disable_parallel_tool_use", MISSING)
    if disable is not MISSING:
        out["parallel_tool_calls"] = not expect_bool(disable, (*path, "disable_parallel_tool_use"))
        sm.add(("settings", "parallel_tool_calls"), (*path, "disable_parallel_tool_use"))
    out["tool_choice"] = choice
    sm.add(("settings", "tool_choice"), path)
    if unknown:
        sm.add(("settings", "extensions", NAME, "extra", "tool_choice"), path)
        return {"tool_choice": unknown}
    return None


# -- tools ---------------------------------------------------------------------------


def _tool(raw: Any, k: int, sm: SourceMap) -> dict[str, Any]:
    path: Path = ("tools", k)
    t = expect_obj(raw, path)
    name = expect_str(required(t, "name", path), (*path, "name"))
    kind = t.get("type")
    form: dict[str, Any] = {}
    if kind is not None and kind != "custom":  # a server tool: its definition is kept whole
        kind = expect_str(kind, (*path, "type"))
        sm.add(("tools", k, "extensions", NAME, "extra"), path)
        rest = {key: v for key, v in t.items() if key not in ("type", "name")}
        return {"kind": kind, "name": name, "extensions": {NAME: {"extra": rest}}}
    if kind is not None:
        form["type"] = kind
    elif "type" in t:
        form["null"] = ["type"]
    out: dict[str, Any] = {"name": name}
    if "description" in t:
        out["description"] = expect_str(t["description"], (*path, "description"))
    out["parameters"] = expect_obj(required(t, "input_schema", path), (*path, "input_schema"))
    sm.add(("tools", k, "parameters"), (*path, "input_schema"))
    if "strict" in t:
        out["strict"] = expect_bool(t["strict"], (*path, "strict"))
    if "cache_control" in t:
        _cache(t["cache_control"], out, form, (*path, "cache_control"))
        sm.add(("tools", k, "cache"), (*path, "cache_control"))
    extra = _unknown(t, _TOOL_KEYS)
    if extra:
        sm.add(("tools", k, "extensions", NAME, "extra"), path)
    ext = make_ext(NAME, form, extra)
    if ext:
        out["extensions"] = ext
    return out


def _cache(value: Any, part: dict[str, Any], form: dict[str, Any], path: Path) -> None:
    if value is None:
        form.setdefault("null", []).append("cache_control")
        return
    cc = expect_obj(value, path)
    ttl = cc.get("ttl")
    part["cache"] = {"ttl": ttl} if isinstance(ttl, str) else {}
    canonical = cc.get("type") == "ephemeral" and (
        len(cc) == 1 or (len(cc) == 2 and isinstance(ttl, str))
    )
    if not canonical:
        form["cache_control"] = cc


# -- messages and blocks -------------------------------------------------------------


class _Reader:
    """Decodes messages and content blocks, recording source-map entries."""

    def __init__(self, sm: SourceMap, model: Any) -> None:
        self.sm = sm
        self.entries = sm.entries
        self.scope: dict[str, Any] = {"provider": NAME}
        if isinstance(model, str):
            self.scope["model"] = model
        self.blocks: dict[str, Callable[[dict[str, Any], Path, Path], dict[str, Any]]] = {
            "text": self.text,
            "image": self.image,
            "document": self.document,
            "tool_use": self.tool_use,
            "tool_result": self.tool_result,
            "thinking": self.thinking,
            "redacted_thinking": self.redacted_thinking,
        }

    def system(self, value: Any, doc_form: dict[str, Any]) -> dict[str, Any] | None:
        entries = self.entries
        if isinstance(value, str):
            entries[("instructions", 0)] = ("system",)
            entries[("instructions", 0, "parts", 0)] = ("system",)
            return {"role": "system", "parts": [{"type": "text", "text": value}]}
        if not isinstance(value, list):
            raise fail(("system",), f"expected a string or an array, got {type_name(value)}")
        blocks = cast("list[Any]", value)
        if not blocks or (len(blocks) == 1 and is_plain_text(blocks[0])):
            doc_form["system"] = "blocks"
        if not blocks:
            return None
        entries[("instructions", 0)] = ("system",)
        entries[("instructions", 0, "parts")] = ("system",)
        parts: list[dict[str, Any]] = []
        for j, raw in enumerate(blocks):
            src: Path = ("system", j)
            b = expect_obj(raw, src)
            kind = expect_str(required(b, "type", src), (*src, "type"))
            if kind != "text":
                raise fail((*src, "type"), f"expected a text block, got {kind!r}")
            parts.append(self.text(b, src, ("instructions", 0, "parts", j)))
        return {"role": "system", "parts": parts}

    def messages(self, raw: list[Any]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        entries = self.entries
        prev = None
        for i, item in enumerate(raw):
            # The common case (a dict with a role and string content) runs inline.
            if not isinstance(item, dict):
                expect_obj(item, ("messages", i))  # raises
            m = cast("dict[str, Any]", item)
            role = m.get("role", MISSING)
            if not isinstance(role, str) or role not in _ROLES:
                _bad_role(role, i)
            content = m.get("content", MISSING)
            form: dict[str, Any] | None = None
            if isinstance(content, str):
                msg: dict[str, Any] = {"role": role, "parts": [{"type": "text", "text": content}]}
                entries["messages", i, "parts", 0] = ("messages", i, "content")
            elif isinstance(content, list):
                blocks = cast("list[Any]", content)
                parts = self.content(blocks, ("messages", i, "content"), ("messages", i, "parts"))
                msg = {"role": role, "parts": parts}
                if len(blocks) == 1 and is_plain_text(blocks[0]):
                    form = {"blocks": True}
            else:
                _bad_content(content, i)
            if role == prev:
                form = {**form, "split": True} if form else {"split": True}
            prev = role
            extra = _unknown(m, _MESSAGE_KEYS) if len(m) > 2 else None
            if extra:
                entries["messages", i, "extensions", NAME, "extra"] = ("messages", i)
            if form or extra:
                msg["extensions"] = make_ext(NAME, form, extra)
            out.append(msg)
        return out

    def content(self, blocks: list[Any], src: Path, aif: Path) -> list[dict[str, Any]]:
        self.entries[aif] = src
        parts: list[dict[str, Any]] = []
        for j, raw in enumerate(blocks):
            parts.append(self.block(raw, (*src, j), (*aif, j)))
        return parts

    def block(self, raw: Any, src: Path, aif: Path) -> dict[str, Any]:
        b = expect_obj(raw, src)
        kind = expect_str(required(b, "type", src), (*src, "type"))
        read = self.blocks.get(kind)
        if read is None:
            return self.provider(b, src, aif)
        return read(b, src, aif)

    def provider(self, b: dict[str, Any], src: Path, aif: Path) -> dict[str, Any]:
        """A block AIF has no neutral form for, kept verbatim."""
        self.entries[(*aif, "data")] = src
        return {"type": "provider", "format": NAME, "data": b}

    def finish(
        self,
        part: dict[str, Any],
        b: dict[str, Any],
        known: frozenset[str],
        src: Path,
        aif: Path,
        form: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Add ``cache``, nulls and unknown keys of block ``b`` to ``part``."""
        if "cache_control" in b:
            form = form if form is not None else {}
            _cache(b["cache_control"], part, form, (*src, "cache_control"))
            self.entries[(*aif, "cache")] = (*src, "cache_control")
        unknown = _unknown(b, known)
        if unknown:
            extra = {**unknown, **extra} if extra else unknown
        if extra:
            self.entries[(*aif, "extensions", NAME, "extra")] = src
        if form or extra:
            part["extensions"] = make_ext(NAME, form, extra)
        return part

    def text(self, b: dict[str, Any], src: Path, aif: Path) -> dict[str, Any]:
        text = expect_str(required(b, "text", src), (*src, "text"))
        part = {"type": "text", "text": text}
        if len(b) == 2:
            return part
        return self.finish(part, b, _TEXT_KEYS, src, aif)

    def source(
        self, b: dict[str, Any], src: Path, kinds: frozenset[str]
    ) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
        """Read ``b["source"]``: the AIF source and its unknown keys; None if AIF has no form."""
        spath = (*src, "source")
        s = expect_obj(required(b, "source", src), spath)
        kind = expect_str(required(s, "type", spath), (*spath, "type"))
        if kind not in kinds:
            return None
        if kind == "url":
            out = {"kind": "url", "url": expect_str(required(s, "url", spath), (*spath, "url"))}
        elif kind == "file":
            file_id = expect_str(required(s, "file_id", spath), (*spath, "file_id"))
            out = {"kind": "file", "file_id": file_id, "provider": NAME}
        else:
            media_type = expect_str(required(s, "media_type", spath), (*spath, "media_type"))
            data = expect_str(required(s, "data", spath), (*spath, "data"))
            if kind == "text":
                out = {"kind": "text", "media_type": media_type, "text": data}
            else:
                out = {"kind": "base64", "media_type": media_type, "data": data}
        return out, _unknown(s, _SOURCE_KEYS[kind])

    def image(self, b: dict[str, Any], src: Path, aif: Path) -> dict[str, Any]:
        read = self.source(b, src, _IMAGE_SOURCES)
        if read is None:
            return self.provider(b, src, aif)
        source, nested = read
        part = {"type": "image", "source": source}
        self.entries[(*aif, "detail")] = src  # fields the wire has no place for: the block
        extra = {"source": nested} if nested else None
        return self.finish(part, b, _IMAGE_KEYS, src, aif, None, extra)

    def document(self, b: dict[str, Any], src: Path, aif: Path) -> dict[str, Any]:
        read = self.source(b, src, _DOCUMENT_SOURCES)
        if read is None:  # e.g. a "content" source: custom content blocks
            return self.provider(b, src, aif)
        source, nested = read
        part: dict[str, Any] = {"type": "document", "source": source}
        self.entries[(*aif, "filename")] = src
        form: dict[str, Any] = {}
        for key in ("title", "context"):
            value = b.get(key, MISSING)
            if value is None:
                form.setdefault("null", []).append(key)
            elif value is not MISSING:
                part[key] = expect_str(value, (*src, key))
        extra = {"source": nested} if nested else None
        return self.finish(part, b, _DOCUMENT_KEYS, src, aif, form, extra)

    def tool_use(self, b: dict[str, Any], src: Path, aif: Path) -> dict[str, Any]:
        part = {
            "type": "tool_call",
            "id": expect_str(required(b, "id", src), (*src, "id")),
            "name": expect_str(required(b, "name", src), (*src, "name")),
            "arguments": required(b, "input", src),
        }
        entries = self.entries
        entries[(*aif, "arguments")] = entries[(*aif, "raw_arguments")] = (*src, "input")
        if len(b) == 4:
            return part
        return self.finish(part, b, _TOOL_USE_KEYS, src, aif)

    def tool_result(self, b: dict[str, Any], src: Path, aif: Path) -> dict[str, Any]:
        call_id = expect_str(required(b, "tool_use_id", src), (*src, "tool_use_id"))
        self.entries[(*aif, "call_id")] = (*src, "tool_use_id")
        part: dict[str, Any] = {"type": "tool_result", "call_id": call_id}
        form: dict[str, Any] = {}
        extra: dict[str, Any] | None = None
        content = b.get("content", MISSING)
        cpath = (*src, "content")
        if isinstance(content, str):
            part["content"] = [{"type": "text", "text": content}]
            self.entries[(*aif, "content", 0)] = cpath
        elif isinstance(content, list):
            content = cast("list[Any]", content)
            items: list[dict[str, Any]] = []
            for k, raw in enumerate(content):
                item = self.block(raw, (*cpath, k), (*aif, "content", len(items)))
                if item["type"] in ("text", "image", "document"):
                    if len(items) != k:
                        self.entries[(*aif, "content", len(items))] = (*cpath, k)
                    items.append(item)
                else:  # AIF cannot hold it: the wire content is kept as is
                    extra = {"content": content}
            part["content"] = items
            self.entries[(*aif, "content")] = cpath
            if not content or (len(content) == 1 and is_plain_text(content[0])):
                form["content"] = "blocks"
        elif content is not MISSING:
            raise fail(cpath, f"expected a string or an array, got {type_name(content)}")
        is_error = b.get("is_error", MISSING)
        if is_error is None:
            form["null"] = ["is_error"]
        elif is_error is not MISSING:
            part["is_error"] = expect_bool(is_error, (*src, "is_error"))
        return self.finish(part, b, _TOOL_RESULT_KEYS, src, aif, form, extra)

    def thinking(self, b: dict[str, Any], src: Path, aif: Path) -> dict[str, Any]:
        part: dict[str, Any] = {
            "type": "reasoning",
            "text": expect_str(required(b, "thinking", src), (*src, "thinking")),
            "valid_for": self.scope,
        }
        self.entries[(*aif, "text")] = (*src, "thinking")
        self.entries[(*aif, "valid_for")] = src
        signature = b.get("signature", MISSING)
        if signature is not MISSING:
            part["signature"] = expect_str(signature, (*src, "signature"))
        return self.finish(part, b, _THINKING_KEYS, src, aif)

    def redacted_thinking(self, b: dict[str, Any], src: Path, aif: Path) -> dict[str, Any]:
        data = expect_str(required(b, "data", src), (*src, "data"))
        self.entries[(*aif, "redacted")] = (*src, "data")
        self.entries[(*aif, "valid_for")] = src
        part = {"type": "reasoning", "redacted": data, "valid_for": self.scope}
        return self.finish(part, b, _REDACTED_KEYS, src, aif)


_MESSAGE_KEYS: Final = frozenset({"role", "content"})


def _bad_role(role: Any, i: int) -> NoReturn:
    path: Path = ("messages", i, "role")
    if role is MISSING:
        raise fail(path, "missing required field")
    if isinstance(role, str):
        raise fail(path, f"expected 'user' or 'assistant', got {role!r}")
    raise fail(path, f"expected a string, got {type_name(role)}")


def _bad_content(content: Any, i: int) -> NoReturn:
    path: Path = ("messages", i, "content")
    if content is MISSING:
        raise fail(path, "missing required field")
    raise fail(path, f"expected a string or an array, got {type_name(content)}")


_IMAGE_SOURCES: Final = frozenset({"base64", "url", "file"})
_DOCUMENT_SOURCES: Final = frozenset({"base64", "text", "url", "file"})


def _unknown(obj: dict[str, Any], known: frozenset[str]) -> dict[str, Any] | None:
    return unknown_keys(obj, known) or None
