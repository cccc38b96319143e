"""Reading a Cohere v2 chat request body into AIF.

The document is built as plain dicts in AIF's JSON shape and validated once at the
end. What AIF has no field for is kept under ``extensions["cohere"]``: ``extra``
for wire fields (an assistant message's ``citations``, a document's ``id``,
``safety_mode``, ``citation_options``, ``thinking``, a future key), ``form`` for
presentation choices an exact round trip needs (written only where they differ from
what the encoder does by default):

* message / instruction: ``content: "parts"`` (a list the encoder would write as a
  string) or ``"absent"``.
* assistant text: ``field: "content"`` for content text in a message with tool
  calls, ``field: "tool_plan"`` for a plan in a message without (by default the
  text of a message with tool calls is its ``tool_plan``).
* document: ``document: "string"`` for a plain-string document; ``data: "json"``
  for document data that is not ``{"text"}`` or ``{"title", "text"}``.
* tool call: ``arguments`` holds the exact text when it is valid JSON not written
  canonically.
* document (top level): ``strict_tools`` when no tool carries it.

The request's top-level ``documents`` become `DocumentPart`s at the start of the
first user message (their place on the wire: the encoder gathers every document of
a user message back into ``documents``).
"""

from __future__ import annotations

from typing import Any, Final, cast

from aifkit._json import canonical_json
from aifkit.aif._loss import Path, SourceMap
from aifkit.aif.converters._base import Decoded
from aifkit.aif.converters._common import (
    expect_bool,
    expect_list,
    expect_obj,
    expect_str,
    fail,
    parse_arguments,
    read_int,
    read_number,
    url_source,
    validate_body,
)
from aifkit.aif.converters._settings import SettingsTable, read_settings, read_strings
from aifkit.aif.converters._wire import CHAT_FIELDS, merge_ns

__all__ = ["NAME", "SETTINGS", "Obj", "decode_body", "document_data"]


_SOURCE_FIELDS: Final[dict[str, tuple[Path, ...]]] = {
    **CHAT_FIELDS,
    "id": (("document", "id"),),
    "url": (("image_url", "url"),),
}
"""AIF fields this format spells otherwise, for loss pointers (`SourceMap.fields`)."""

NAME: Final = "cohere"
Obj = dict[str, Any]
SETTINGS: Final[SettingsTable] = (
    ("model", "model", expect_str),
    ("max_tokens", "max_tokens", read_int),
    ("temperature", "temperature", read_number),
    ("p", "top_p", read_number),
    ("k", "top_k", read_int),
    ("seed", "seed", read_int),
    ("stream", "stream", expect_bool),
    ("stop_sequences", "stop", read_strings),
)
"""Cohere's settings, both directions (the encoder writes all but ``model``)."""
_TOP: Final = frozenset(
    {
        *(wire for wire, _, _ in SETTINGS),
        *("messages", "tools", "tool_choice", "documents", "strict_tools"),
    }
)
_CHOICES: Final = {"REQUIRED": "required", "NONE": "none"}


def decode_body(body: Any) -> Decoded:
    """Read a v2 chat request body (already checked to be JSON) into AIF."""
    root = expect_obj(body, ())
    sm = SourceMap(fields=_SOURCE_FIELDS)
    doc: Obj = {}
    settings = _settings(root, sm)
    extra = {k: v for k, v in root.items() if k not in _TOP}
    if "messages" not in root:
        raise fail(("messages",), "missing required field")
    messages = expect_list(root["messages"], ("messages",))
    doc["instructions"], doc["messages"] = _messages(messages, sm, settings.get("model"))
    if "documents" in root:
        _documents(root["documents"], doc, sm, extra)
    if "tools" in root:
        tools = expect_list(root["tools"], ("tools",))
        doc["tools"] = [_tool(t, ("tools", k), sm, k) for k, t in enumerate(tools)]
    if "strict_tools" in root:
        strict = root["strict_tools"]
        if not isinstance(strict, bool):
            raise fail(("strict_tools",), "expected a boolean")
        for tool in doc.get("tools", []):
            tool["strict"] = strict
        if not doc.get("tools"):
            extra["strict_tools"] = strict
    if extra:
        merge_ns(NAME, doc, "extra", extra)
        for key in extra:
            sm.add(("extensions", NAME, "extra", key), (key,))
    if settings:
        doc["settings"] = settings
    document = validate_body(doc)
    return Decoded(document, sm)


def _settings(root: Obj, sm: SourceMap) -> Obj:
    settings, ints = read_settings(root, SETTINGS, sm)
    if ints:
        merge_ns(NAME, settings, "form", {"int": ints})
    if "tool_choice" in root:
        choice = root["tool_choice"]
        if not isinstance(choice, str) or choice not in _CHOICES:
            raise fail(("tool_choice",), f"tool_choice is REQUIRED or NONE, not {choice!r}")
        settings["tool_choice"] = {"mode": _CHOICES[choice]}
        sm.add(("settings", "tool_choice"), ("tool_choice",))
    return settings


# -- documents ------------------------------------------------------------------------------


def document_data(data: Obj) -> tuple[Obj, str | None]:
    """A document's ``data`` as an AIF source and title, and the form it needs."""
    text, title = data.get("text"), data.get("title")
    if (
        isinstance(text, str)
        and set(data) <= {"text", "title"}
        and (title is None or isinstance(title, str))
    ):
        src: Obj = {"kind": "text", "text": text}
        return ({"source": src, "title": title} if title is not None else {"source": src}), None
    src = {"kind": "text", "media_type": "application/json", "text": canonical_json(data)}
    return {"source": src}, "json"


def _document(raw: Any, path: Path) -> Obj:
    if isinstance(raw, str):
        part: Obj = {"type": "document", "source": {"kind": "text", "text": raw}}
        merge_ns(NAME, part, "form", {"document": "string"})
        return part
    obj = expect_obj(raw, path)
    data = expect_obj(obj.get("data"), (*path, "data"))
    fields, form = document_data(data)
    part = {"type": "document", **fields}
    if form is not None:
        merge_ns(NAME, part, "form", {"data": form})
    rest = {k: v for k, v in obj.items() if k != "data"}
    if rest:
        merge_ns(NAME, part, "extra", rest)
    return part


def _documents(raw: Any, doc: Obj, sm: SourceMap, extra: Obj) -> None:
    items = expect_list(raw, ("documents",))
    parts = [_document(d, ("documents", k)) for k, d in enumerate(items)]
    messages: list[Obj] = doc["messages"]
    first = next((i for i, m in enumerate(messages) if m["role"] == "user"), None)
    if first is None or not items:
        extra["documents"] = items
        return
    target = messages[first]
    shift = len(parts)
    # The message's own parts move right: its source-map entries move with them.
    moved = {
        k: v
        for k, v in sm.entries.items()
        if len(k) >= 4 and k[:3] == ("messages", first, "parts") and isinstance(k[3], int)
    }
    for k in moved:
        del sm.entries[k]
    for k, v in moved.items():
        index = cast("int", k[3])
        sm.entries[("messages", first, "parts", index + shift, *k[4:])] = v
    for j in range(shift):
        sm.add(("messages", first, "parts", j), ("documents", j))
        sm.add(("messages", first, "parts", j, "extensions", NAME, "extra"), ("documents", j))
    target["parts"] = parts + target["parts"]


# -- messages --------------------------------------------------------------------------------


def _messages(raw: list[Any], sm: SourceMap, model: str | None) -> tuple[list[Obj], list[Obj]]:
    instructions: list[Obj] = []
    messages: list[Obj] = []
    for i, item in enumerate(raw):
        path: Path = ("messages", i)
        m = expect_obj(item, path)
        if "role" not in m:
            raise fail((*path, "role"), "missing required field")
        role = expect_str(m["role"], (*path, "role"))
        if role == "system" and not messages:
            sm.add(("instructions", len(instructions)), path)
            sm.add(("instructions", len(instructions), "extensions", NAME, "extra"), path)
            instructions.append(_system(m, path, "instruction"))
            continue
        at: Path = ("messages", len(messages))
        sm.add(at, path)
        sm.add((*at, "extensions", NAME, "extra"), path)
        if role == "system":
            messages.append(_system(m, path, "message"))
        elif role == "user":
            messages.append(_user(m, path, at, sm))
        elif role == "assistant":
            messages.append(_assistant(m, path, at, sm, model))
        elif role == "tool":
            messages.append(_tool_message(m, path, at, sm))
        else:
            raise fail((*path, "role"), f"role is system, user, assistant or tool, not {role!r}")
    return instructions, messages


def _text_content(m: Obj, path: Path, out: Obj) -> list[Obj]:
    """String or text-item content as text parts (with the content form recorded)."""
    if "content" not in m:
        merge_ns(NAME, out, "form", {"content": "absent"})
        return []
    content = m["content"]
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    items = expect_list(content, (*path, "content"))
    parts: list[Obj] = []
    for j, raw in enumerate(items):
        item = expect_obj(raw, (*path, "content", j))
        if item.get("type") != "text":
            raise fail((*path, "content", j, "type"), "system content items are text")
        parts.append(_text(item, (*path, "content", j)))
    if len(parts) <= 1:
        merge_ns(NAME, out, "form", {"content": "parts"})
    return parts


def _text(item: Obj, path: Path) -> Obj:
    part: Obj = {"type": "text", "text": expect_str(item.get("text"), (*path, "text"))}
    rest = {k: v for k, v in item.items() if k not in ("type", "text")}
    if rest:
        merge_ns(NAME, part, "extra", rest)
    return part


def _rest(out: Obj, m: Obj, known: tuple[str, ...]) -> None:
    rest = {k: v for k, v in m.items() if k not in known}
    if rest:
        merge_ns(NAME, out, "extra", rest)


def _system(m: Obj, path: Path, kind: str) -> Obj:
    out: Obj = {"role": "system"}
    out["parts"] = _text_content(m, path, out)
    del kind
    _rest(out, m, ("role", "content"))
    return out


def _items(m: Obj, path: Path, at: Path, sm: SourceMap, out: Obj, allowed: str) -> list[Obj]:
    """Content items of a user, assistant or tool message as parts."""
    if "content" not in m:
        merge_ns(NAME, out, "form", {"content": "absent"})
        return []
    content = m["content"]
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    items = expect_list(content, (*path, "content"))
    parts: list[Obj] = []
    for j, raw in enumerate(items):
        ipath: Path = (*path, "content", j)
        item = expect_obj(raw, ipath)
        kind = item.get("type")
        sm.add((*at, "parts", j), ipath)
        sm.add((*at, "parts", j, "extensions", NAME, "extra"), ipath)
        if kind == "text":
            parts.append(_text(item, ipath))
        elif kind == "image_url" and allowed == "user":
            parts.append(_image(item, ipath))
        elif kind == "thinking" and allowed == "assistant":
            parts.append(_thinking(item, ipath))
        elif kind == "document" and allowed == "tool":
            parts.append(_document(item.get("document"), (*ipath, "document")))
            _rest(parts[-1], item, ("type", "document"))
        else:
            raise fail((*ipath, "type"), f"{kind!r} items cannot be {allowed} content")
    if (
        len(parts) == 1 and parts[0]["type"] == "text" and "extensions" not in parts[0]
    ) or not parts:
        merge_ns(NAME, out, "form", {"content": "parts"})
    return parts


def _image(item: Obj, path: Path) -> Obj:
    image = expect_obj(item.get("image_url"), (*path, "image_url"))
    url = expect_str(image.get("url"), (*path, "image_url", "url"))
    part: Obj = {"type": "image", "source": url_source(url)}
    if image.get("detail") in ("auto", "low", "high"):
        part["detail"] = image["detail"]
    rest = {
        k: v for k, v in image.items() if k != "url" and (k != "detail" or "detail" not in part)
    }
    extra = {k: v for k, v in item.items() if k not in ("type", "image_url")}
    if rest:
        extra["image_url"] = rest
    if extra:
        merge_ns(NAME, part, "extra", extra)
    return part


def _thinking(item: Obj, path: Path) -> Obj:
    part: Obj = {"type": "reasoning", "text": expect_str(item.get("thinking"), (*path, "thinking"))}
    part["valid_for"] = {"provider": NAME}
    _rest(part, item, ("type", "thinking"))
    return part


def _user(m: Obj, path: Path, at: Path, sm: SourceMap) -> Obj:
    out: Obj = {"role": "user"}
    out["parts"] = _items(m, path, at, sm, out, "user")
    _rest(out, m, ("role", "content"))
    return out


def _assistant(m: Obj, path: Path, at: Path, sm: SourceMap, model: str | None) -> Obj:
    out: Obj = {"role": "assistant"}
    parts = _items(m, path, at, sm, out, "assistant")
    for part in parts:
        if part["type"] == "reasoning" and model is not None:
            part["valid_for"]["model"] = model
    calls = m.get("tool_calls")
    if calls is not None:
        items = expect_list(calls, (*path, "tool_calls"))
        if not items:
            merge_ns(NAME, out, "form", {"tool_calls": "empty"})
        if items:
            for part in parts:
                if part["type"] == "text":
                    merge_ns(NAME, part, "form", {"field": "content"})
    else:
        items = []
    if "tool_plan" in m:
        plan: Obj = {"type": "text", "text": expect_str(m["tool_plan"], (*path, "tool_plan"))}
        if not items:
            merge_ns(NAME, plan, "form", {"field": "tool_plan"})
        sm.add((*at, "parts", len(parts)), (*path, "tool_plan"))
        parts.append(plan)
    for k, call in enumerate(items):
        cpath: Path = (*path, "tool_calls", k)
        sm.add((*at, "parts", len(parts)), cpath)
        sm.add((*at, "parts", len(parts), "extensions", NAME, "extra"), cpath)
        parts.append(_call(expect_obj(call, cpath), cpath))
    if m.get("content") == "" and (items or "tool_plan" in m):
        merge_ns(NAME, out, "form", {"content": "empty"})
    out["parts"] = parts
    _rest(out, m, ("role", "content", "tool_calls", "tool_plan"))
    return out


def _call(call: Obj, path: Path) -> Obj:
    fn = expect_obj(call.get("function"), (*path, "function"))
    part: Obj = {
        "type": "tool_call",
        "id": expect_str(call.get("id"), (*path, "id")),
        "name": expect_str(fn.get("name"), (*path, "function", "name")),
    }
    text = expect_str(fn.get("arguments"), (*path, "function", "arguments"))
    value, raw, keep = parse_arguments(text)
    if raw is not None:
        part["raw_arguments"] = raw
    else:
        part["arguments"] = value
    if keep:
        merge_ns(NAME, part, "form", {"arguments": text})
    if call.get("type", "function") != "function":
        raise fail((*path, "type"), "a tool call's type is 'function'")
    extra = {k: v for k, v in call.items() if k not in ("id", "type", "function")}
    if "type" not in call:
        merge_ns(NAME, part, "form", {"type": "absent"})
    rest = {k: v for k, v in fn.items() if k not in ("name", "arguments")}
    if rest:
        extra["function"] = rest
    if extra:
        merge_ns(NAME, part, "extra", extra)
    return part


def _tool_message(m: Obj, path: Path, at: Path, sm: SourceMap) -> Obj:
    call_id = expect_str(m.get("tool_call_id"), (*path, "tool_call_id"))
    out: Obj = {"role": "tool"}
    holder: Obj = {}
    content = _items(m, path, (*at, "parts", 0, "content"), sm, holder, "tool")
    result: Obj = {"type": "tool_result", "call_id": call_id, "content": content}
    sm.add((*at, "parts", 0), path)
    if "extensions" in holder:
        out["extensions"] = holder["extensions"]
    out["parts"] = [result]
    _rest(out, m, ("role", "content", "tool_call_id"))
    return out


def _tool(raw: Any, path: Path, sm: SourceMap, k: int) -> Obj:
    item = expect_obj(raw, path)
    sm.add(("tools", k), path)
    sm.add(("tools", k, "extensions", NAME, "extra"), path)
    fn = expect_obj(item.get("function"), (*path, "function"))
    fpath: Path = (*path, "function")
    tool: Obj = {"name": expect_str(fn.get("name"), (*fpath, "name"))}
    if "description" in fn:
        tool["description"] = expect_str(fn["description"], (*fpath, "description"))
    if "parameters" in fn:
        tool["parameters"] = expect_obj(fn["parameters"], (*fpath, "parameters"))
    if item.get("type", "function") != "function":
        raise fail((*path, "type"), "a tool's type is 'function'")
    if "type" not in item:
        merge_ns(NAME, tool, "form", {"type": "absent"})
    extra = {k: v for k, v in item.items() if k not in ("type", "function")}
    rest = {k: v for k, v in fn.items() if k not in ("name", "description", "parameters")}
    if rest:
        extra["function"] = rest
    if extra:
        merge_ns(NAME, tool, "extra", extra)
    return tool
