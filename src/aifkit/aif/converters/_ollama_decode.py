"""Reading an Ollama ``/api/chat`` request body into AIF.

The document is built as plain dicts and validated once. Mapping:

* leading ``system`` messages holding only text become instructions; a later one
  stays a ``system`` message where it stood;
* a message's ``thinking`` is a `ReasoningPart` first, then its ``content`` as a
  `TextPart` (none when empty), its ``images`` as base64 `ImagePart`s (media type
  sniffed from the data), its ``tool_calls`` as `ToolCallPart`s;
* Ollama tool calls have no ids: each gets ``call_<message>_<index>`` (logged as
  synthesized) and its part is marked ``form.id = "synthesized"``;
* a ``tool`` message is one `ToolResultPart` answering the first open call of the
  last assistant message with its ``tool_name`` (any open call when it has none);
* ``options.num_predict``, ``temperature``, ``top_p``, ``top_k``, ``stop`` and
  ``seed`` are settings; other options are kept under the settings'
  ``extra.options``; ``think``, ``format``, ``keep_alive`` and any unknown key are
  kept under the document's ``extra``.

Form hints: message ``content`` ``"absent"``; ``null`` (optional keys given as
null); ``images``/``tool_calls`` ``"empty"``; tool message ``tool_name`` (the wire value, or
``False`` when absent, when it is not the name of the call it answers); call
``index``; tool ``type: "absent"``; settings ``int`` (float settings given as
integers) and ``options: "empty"``.
"""

from __future__ import annotations

from typing import Any, Final, cast

from aifkit._json import type_name
from aifkit.aif._loss import LossLog, Path, SourceMap
from aifkit.aif.converters._base import Decoded
from aifkit.aif.converters._common import (
    expect_bool,
    expect_list,
    expect_obj,
    expect_str,
    fail,
    read_int,
    read_number,
    validate_document,
)
from aifkit.aif.converters._settings import SettingsTable, read_settings, read_strings
from aifkit.aif.converters._wire import CHAT_FIELDS, MISSING, make_ext, sniff_image, unknown_keys

__all__ = ["NAME", "OPTIONS", "ROLES", "decode_body"]


_SOURCE_FIELDS: Final[dict[str, tuple[Path, ...]]] = {**CHAT_FIELDS}
"""AIF fields this format spells otherwise, for loss pointers (`SourceMap.fields`)."""

NAME: Final = "ollama"
ROLES: Final = frozenset({"system", "user", "assistant", "tool"})
OPTIONS: Final[SettingsTable] = (
    ("num_predict", "max_tokens", read_int),
    ("temperature", "temperature", read_number),
    ("top_p", "top_p", read_number),
    ("top_k", "top_k", read_int),
    ("stop", "stop", read_strings),
    ("seed", "seed", read_int),
)
"""Ollama ``options`` keys that are AIF settings, both directions (a null option
and any other option are kept as wire fields)."""
_OPTION_KEYS: Final = frozenset(wire for wire, _, _ in OPTIONS)
_TOP_SETTINGS: Final[SettingsTable] = (
    ("model", "model", expect_str),
    ("stream", "stream", expect_bool),
)

_TOP_KEYS: Final = frozenset({"model", "messages", "tools", "options", "stream"})
_MESSAGE_KEYS: Final = frozenset(
    {"role", "content", "images", "tool_calls", "thinking", "tool_name"}
)
_NOT_TOOL_KEYS: Final = _MESSAGE_KEYS - {"tool_name"}  # tool_name elsewhere is kept as extra
_OPTIONAL: Final = ("images", "tool_calls", "thinking", "tool_name")
_CALL_KEYS: Final = frozenset({"function"})
_FUNCTION_KEYS: Final = frozenset({"name", "arguments", "index"})
_TOOL_KEYS: Final = frozenset({"type", "function"})
_TOOL_FUNCTION_KEYS: Final = frozenset({"name", "description", "parameters"})


def decode_body(body: Any) -> Decoded:
    """Read an Ollama chat request body (see the module docstring)."""
    root = expect_obj(body, ())
    sm = SourceMap(fields=_SOURCE_FIELDS)
    losses = LossLog()
    doc: dict[str, Any] = {}
    settings = _settings(root, sm)
    if settings:
        doc["settings"] = settings
    raw = root.get("messages", MISSING)
    if raw is MISSING:
        raise fail(("messages",), "missing required field")
    reader = _Reader(sm, losses)
    instructions, messages = reader.messages(expect_list(raw, ("messages",)))
    if instructions:
        doc["instructions"] = instructions
    doc["messages"] = messages
    tools = root.get("tools", MISSING)
    if tools is not MISSING and tools is not None:
        doc["tools"] = [_tool(t, k, sm) for k, t in enumerate(expect_list(tools, ("tools",)))]
    extra = unknown_keys(root, _TOP_KEYS)
    form: dict[str, Any] = {}
    if tools is None:
        form["null"] = ["tools"]
    if extra:
        sm.add(("extensions", NAME, "extra"), ())
    ext = make_ext(NAME, form, extra)
    if ext:
        doc["extensions"] = ext
    document = validate_document(doc, sm)
    return Decoded(document, sm, losses)


# -- settings ------------------------------------------------------------------------


def _settings(root: dict[str, Any], sm: SourceMap) -> dict[str, Any]:
    out, _ = read_settings(root, _TOP_SETTINGS, sm)
    form: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    options = root.get("options", MISSING)
    if options is not MISSING:
        opts = expect_obj(options, ("options",))
        if not opts:
            form["options"] = "empty"
        rest = {k: v for k, v in opts.items() if k not in _OPTION_KEYS or v is None}
        known = {k: v for k, v in opts.items() if k not in rest} if rest else opts
        read, ints = read_settings(known, OPTIONS, sm, ("options",))
        out.update(read)
        if ints:
            form["int"] = ints
        if rest:
            extra["options"] = rest
            sm.add(("settings", "extensions", NAME, "extra", "options"), ("options",))
    ext = make_ext(NAME, form, extra)
    if ext:
        out["extensions"] = ext
    return out


# -- tools ---------------------------------------------------------------------------


def _tool(raw: Any, k: int, sm: SourceMap) -> dict[str, Any]:
    path: Path = ("tools", k)
    t = expect_obj(raw, path)
    sm.add(("tools", k), path)
    kind = t.get("type", MISSING)
    fn_raw = t.get("function", MISSING)
    if (kind is not MISSING and kind != "function") or fn_raw is MISSING:
        # Not a function tool: kept whole.
        name = cast("dict[str, Any]", fn_raw).get("name") if isinstance(fn_raw, dict) else None
        kind_name = kind if isinstance(kind, str) else "unknown"
        return {
            "kind": kind_name if kind_name != "function" else "unknown",
            "name": name if isinstance(name, str) else kind_name,
            "extensions": {NAME: {"extra": {"tool": t}}},
        }
    fn = expect_obj(fn_raw, (*path, "function"))
    fpath: Path = (*path, "function")
    out: dict[str, Any] = {"name": expect_str(fn.get("name", ""), (*fpath, "name"))}
    if "description" in fn:
        out["description"] = expect_str(fn["description"], (*fpath, "description"))
    if "parameters" in fn:
        out["parameters"] = expect_obj(fn["parameters"], (*fpath, "parameters"))
        sm.add(("tools", k, "parameters"), (*fpath, "parameters"))
    form: dict[str, Any] = {}
    if kind is MISSING:
        form["type"] = "absent"
    if "name" not in fn:
        form["name"] = "absent"
    extra = unknown_keys(t, _TOOL_KEYS)
    nested = unknown_keys(fn, _TOOL_FUNCTION_KEYS)
    if nested:
        extra["function"] = nested
    ext = make_ext(NAME, form, extra)
    if ext:
        out["extensions"] = ext
    return out


# -- messages ------------------------------------------------------------------------


class _Reader:
    def __init__(self, sm: SourceMap, losses: LossLog) -> None:
        self.sm = sm
        self.losses = losses
        self.open: list[tuple[str, str]] = []  # (id, name) of unanswered calls

    def messages(self, raw: list[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        instructions: list[dict[str, Any]] = []
        messages: list[dict[str, Any]] = []
        leading = True
        for i, item in enumerate(raw):
            path: Path = ("messages", i)
            m = expect_obj(item, path)
            role = m.get("role", MISSING)
            if role is MISSING:
                raise fail((*path, "role"), "missing required field")
            if not isinstance(role, str) or role not in ROLES:
                problem = f"expected one of {', '.join(sorted(ROLES))}, got {role!r}"
                if not isinstance(role, str):
                    problem = f"expected a string, got {type_name(role)}"
                raise fail((*path, "role"), problem)
            if leading and role == "system" and m.keys() <= {"role", "content"}:
                k = len(instructions)
                self.sm.add(("instructions", k), path)
                self.sm.add(("instructions", k, "parts", 0), (*path, "content"))
                instructions.append(self.message(m, role, path, ("instructions", k)))
                continue
            leading = False
            aif: Path = ("messages", len(messages))
            self.sm.add(aif, path)
            messages.append(self.message(m, role, path, aif))
        return instructions, messages

    def message(self, m: dict[str, Any], role: str, src: Path, aif: Path) -> dict[str, Any]:
        parts: list[dict[str, Any]] = []
        form: dict[str, Any] = {}
        known = _MESSAGE_KEYS if role == "tool" else _NOT_TOOL_KEYS
        nulls = [key for key in _OPTIONAL if key in known and key in m and m[key] is None]
        if nulls:
            form["null"] = nulls
        thinking = m.get("thinking")
        if thinking is not None:
            self.sm.add((*aif, "parts", 0), (*src, "thinking"))
            parts.append({"type": "reasoning", "text": expect_str(thinking, (*src, "thinking"))})
        content = m.get("content", MISSING)
        text: list[dict[str, Any]] = []
        if content is MISSING:
            form["content"] = "absent"
        elif expect_str(content, (*src, "content")):
            text.append({"type": "text", "text": content})
        if role == "tool":
            images = self.images(m, src, (*aif, "parts", 0, "content"), form, len(text))
            parts.append(self.result(m, src, aif, text + images, form))
        else:
            if text:
                self.sm.add((*aif, "parts", len(parts)), (*src, "content"))
            images = self.images(m, src, (*aif, "parts"), form, len(parts) + len(text))
            parts.extend(text)
            parts.extend(images)
            parts.extend(self.calls(m, src, aif, len(parts), form))
        out: dict[str, Any] = {"role": role, "parts": parts}
        extra = unknown_keys(m, known)
        if extra:
            self.sm.add((*aif, "extensions", NAME, "extra"), src)
        ext = make_ext(NAME, form, extra)
        if ext:
            out["extensions"] = ext
        return out

    def images(
        self, m: dict[str, Any], src: Path, where: Path, form: dict[str, Any], first: int
    ) -> list[dict[str, Any]]:
        raw = m.get("images")
        if raw is None:
            return []
        items = expect_list(raw, (*src, "images"))
        if not items:
            form["images"] = "empty"
        out: list[dict[str, Any]] = []
        for k, item in enumerate(items):
            data = expect_str(item, (*src, "images", k))
            source: dict[str, Any] = {"kind": "base64", "data": data}
            media_type = sniff_image(data)
            if media_type is not None:
                source["media_type"] = media_type
            self.sm.add((*where, first + k), (*src, "images", k))
            out.append({"type": "image", "source": source})
        return out

    def calls(
        self, m: dict[str, Any], src: Path, aif: Path, first: int, form: dict[str, Any]
    ) -> list[dict[str, Any]]:
        raw = m.get("tool_calls")
        if raw is None:
            return []
        items = expect_list(raw, (*src, "tool_calls"))
        if not items:
            form["tool_calls"] = "empty"
        out: list[dict[str, Any]] = []
        self.open = []
        for j, item in enumerate(items):
            cpath: Path = (*src, "tool_calls", j)
            call = expect_obj(item, cpath)
            fpath: Path = (*cpath, "function")
            fn = expect_obj(call.get("function", MISSING), fpath) if "function" in call else None
            if fn is None:
                raise fail(fpath, "missing required field")
            if "name" not in fn:
                raise fail((*fpath, "name"), "missing required field")
            name = expect_str(fn["name"], (*fpath, "name"))
            args = fn.get("arguments", MISSING)
            if args is MISSING:
                raise fail((*fpath, "arguments"), "missing required field")
            args = expect_obj(args, (*fpath, "arguments"))
            call_id = f"call_{src[1]}_{j}"
            self.losses.add(
                cpath,
                "synthesized",
                f"{NAME}/tool-call-id",
                "info",
                f"Ollama tool calls have no ids; this one was given {call_id!r}",
            )
            self.open.append((call_id, name))
            part: dict[str, Any] = {
                "type": "tool_call",
                "id": call_id,
                "name": name,
                "arguments": args,
            }
            ppath: Path = (*aif, "parts", first + j)
            self.sm.add(ppath, cpath)
            self.sm.add((*ppath, "arguments"), (*fpath, "arguments"))
            self.sm.invent((*ppath, "id"))
            pform: dict[str, Any] = {"id": "synthesized"}
            if "index" in fn:
                pform["index"] = fn["index"]
            extra = unknown_keys(call, _CALL_KEYS)
            nested = unknown_keys(fn, _FUNCTION_KEYS)
            if nested:
                extra["function"] = nested
            if extra:
                self.sm.add((*ppath, "extensions", NAME, "extra"), cpath)
            part["extensions"] = make_ext(NAME, pform, extra)
            out.append(part)
        return out

    def result(
        self,
        m: dict[str, Any],
        src: Path,
        aif: Path,
        content: list[dict[str, Any]],
        form: dict[str, Any],
    ) -> dict[str, Any]:
        tool_name = m.get("tool_name")
        if tool_name is not None:
            tool_name = expect_str(tool_name, (*src, "tool_name"))
        match = next((c for c in self.open if tool_name in (None, c[1])), None)
        if match is None:
            call_id = f"result_{src[1]}"
            self.losses.add(
                src,
                "synthesized",
                f"{NAME}/tool-call-id",
                "info",
                f"no open tool call matches this result; it was given the id {call_id!r}",
            )
            form["id"] = "synthesized"
            derived = None
        else:
            self.open.remove(match)
            call_id, derived = match
        if tool_name != derived:
            form["tool_name"] = tool_name if tool_name is not None else False
        ppath: Path = (*aif, "parts", 0)
        self.sm.add(ppath, src)
        self.sm.add((*ppath, "call_id"), src)
        self.sm.invent((*ppath, "call_id"))  # Ollama results pair by name and order
        if content and content[0]["type"] == "text":
            self.sm.add((*ppath, "content", 0), (*src, "content"))
        return {"type": "tool_result", "call_id": call_id, "content": content}
