"""Reading a Mistral chat completions request body into AIF.

The document is built as plain dicts in AIF's JSON shape and validated once at the
end. What AIF has no field for is kept under ``extensions["mistral"]``: ``extra``
for wire fields (``prefix``, ``response_format``, ``safe_prompt``, a call's
``index``, a future key), ``form`` for presentation choices an exact round trip
needs (written only where they differ from what the encoder does by default):

* message / instruction: ``content`` is ``"parts"`` (a list the encoder would write
  as a string), ``"null"`` or ``"absent"``; ``tool_calls`` is ``"null"`` or
  ``"empty"``; a tool message's ``name``.
* tool call: ``arguments`` holds the exact text when it is valid JSON not written
  canonically, or ``{"object": true}`` for arguments given as an object;
  ``type: "absent"``.
* image: ``image_url: "object"`` for ``{"url": ...}`` without a detail.
* settings: ``stop: "string"``; ``tool_choice: "any"`` (``required``'s other
  spelling); ``int`` lists float settings given as integers.

Leading system messages whose content is text become instructions; a system
message later on stays a message. Known settings given as ``null`` stay as wire
fields under the document's ``extra``.
"""

from __future__ import annotations

import re
from typing import Any, Final, cast

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
from aifkit.aif.converters._settings import SettingsTable, read_settings
from aifkit.aif.converters._wire import CHAT_FIELDS, merge_ns

__all__ = ["NAME", "SETTINGS", "TOOL_ID", "Obj", "decode_body"]


_SOURCE_FIELDS: Final[dict[str, tuple[Path, ...]]] = {
    **CHAT_FIELDS,
    "filename": (("document_name",),),
}
"""AIF fields this format spells otherwise, for loss pointers (`SourceMap.fields`)."""

NAME: Final = "mistral"
TOOL_ID: Final = re.compile(r"^[a-zA-Z0-9]{9}$")
"""Tool call ids Mistral accepts: exactly nine alphanumerics."""

Obj = dict[str, Any]
SETTINGS: Final[SettingsTable] = (
    ("model", "model", expect_str),
    ("temperature", "temperature", read_number),
    ("top_p", "top_p", read_number),
    ("max_tokens", "max_tokens", read_int),
    ("top_k", "top_k", read_int),
    ("random_seed", "seed", read_int),
    ("stream", "stream", expect_bool),
    ("parallel_tool_calls", "parallel_tool_calls", expect_bool),
)
"""Mistral's settings, both directions (the encoder writes all but ``model``); a
null value is kept as a wire field, and ``stop`` (a string or a list) and
``tool_choice`` are read and written on their own."""
_TOP: Final = frozenset(
    {*(wire for wire, _, _ in SETTINGS), "messages", "stop", "tools", "tool_choice"}
)
_CHOICES: Final = {"auto": "auto", "none": "none", "required": "required", "any": "required"}


def decode_body(body: Any) -> Decoded:
    """Read a chat completions request body (already checked to be JSON) into AIF."""
    root = expect_obj(body, ())
    sm = SourceMap(fields=_SOURCE_FIELDS)
    doc: Obj = {}
    extra: Obj = {}
    settings = _settings(root, sm, extra)
    for key, value in root.items():
        if key not in _TOP:
            extra[key] = value
    if extra:
        merge_ns(NAME, doc, "extra", extra)
        for key in extra:
            sm.add(("extensions", NAME, "extra", key), (key,))
    if "messages" not in root:
        raise fail(("messages",), "missing required field")
    messages = expect_list(root["messages"], ("messages",))
    doc["instructions"], doc["messages"] = _messages(messages, sm, settings.get("model"))
    if "tools" in root and root["tools"] is not None:
        tools = expect_list(root["tools"], ("tools",))
        doc["tools"] = [_tool(t, ("tools", k), sm, k) for k, t in enumerate(tools)]
    if settings:
        doc["settings"] = settings
    document = validate_body(doc)
    return Decoded(document, sm)


def _plain_text(chunk: Any) -> bool:
    if not isinstance(chunk, dict):
        return False
    obj = cast("Obj", chunk)
    return obj.get("type") == "text" and set(obj) == {"type", "text"}


# -- settings ---------------------------------------------------------------------------


def _settings(root: Obj, sm: SourceMap, extra: Obj) -> Obj:
    nulls = [wire for wire, _, _ in SETTINGS if wire in root and root[wire] is None]
    for wire in nulls:
        extra[wire] = None
    present = {k: v for k, v in root.items() if v is not None} if nulls else root
    settings, ints = read_settings(present, SETTINGS, sm)
    if ints:
        merge_ns(NAME, settings, "form", {"int": ints})
    if "stop" in root:
        _stop(root["stop"], settings, sm, extra)
    if "tool_choice" in root:
        _tool_choice(root["tool_choice"], settings, sm)
    return settings


def _stop(stop: Any, settings: Obj, sm: SourceMap, extra: Obj) -> None:
    if stop is None:
        extra["stop"] = None
    elif isinstance(stop, str):
        settings["stop"] = [stop]
        merge_ns(NAME, settings, "form", {"stop": "string"})
    else:
        items = expect_list(stop, ("stop",))
        settings["stop"] = [expect_str(s, ("stop", n)) for n, s in enumerate(items)]
    sm.add(("settings", "stop"), ("stop",))


def _tool_choice(raw: Any, settings: Obj, sm: SourceMap) -> None:
    sm.add(("settings", "tool_choice"), ("tool_choice",))
    if isinstance(raw, str) and raw in _CHOICES:
        settings["tool_choice"] = {"mode": _CHOICES[raw]}
        if raw == "any":
            merge_ns(NAME, settings, "form", {"tool_choice": "any"})
        return
    choice = cast("Obj", raw) if isinstance(raw, dict) else None
    function = choice.get("function") if choice is not None else None
    if (
        choice is not None
        and isinstance(function, dict)
        and set(choice) <= {"type", "function"}
        and choice.get("type", "function") == "function"
        and set(cast("Obj", function)) == {"name"}
        and isinstance(cast("Obj", function)["name"], str)
    ):
        settings["tool_choice"] = {"mode": "tool", "name": cast("Obj", function)["name"]}
        if "type" not in choice:
            merge_ns(NAME, settings, "form", {"tool_choice": "untyped"})
        return
    merge_ns(NAME, settings, "extra", {"tool_choice": raw})


# -- messages ---------------------------------------------------------------------------


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
            ins = _instruction(m, path)
            if ins is not None:
                sm.add(("instructions", len(instructions)), path)
                sm.add(("instructions", len(instructions), "extensions", NAME, "extra"), path)
                instructions.append(ins)
                continue
        at: Path = ("messages", len(messages))
        sm.add(at, path)
        sm.add((*at, "extensions", NAME, "extra"), path)
        if role == "tool":
            messages.append(_tool_message(m, path, at, sm))
        elif role in ("system", "user", "assistant"):
            messages.append(_message(m, role, path, at, sm, model))
        else:
            msg = f"role must be system, user, assistant or tool, not {role!r}"
            raise fail((*path, "role"), msg)
    return instructions, messages


def _instruction(m: Obj, path: Path) -> Obj | None:
    """A leading system message as an instruction (None when it holds more than text)."""
    content = m.get("content")
    ins: Obj = {"role": "system"}
    if isinstance(content, str):
        if content:
            ins["parts"] = [{"type": "text", "text": content}]
    elif isinstance(content, list):
        chunks = cast("list[Any]", content)
        if not all(_plain_text(c) for c in chunks):
            return None
        ins["parts"] = [
            {"type": "text", "text": expect_str(c["text"], (*path, "content", j, "text"))}
            for j, c in enumerate(chunks)
        ]
        if len(chunks) == 1 or not chunks:
            merge_ns(NAME, ins, "form", {"content": "parts"})
    else:
        return None  # null or absent content: kept as a message of its own
    extra = {k: v for k, v in m.items() if k not in ("role", "content")}
    if extra:
        merge_ns(NAME, ins, "extra", extra)
    return ins


def _content_form(element: Obj, m: Obj, parts: list[Obj]) -> None:
    """Record how ``content`` was written, when the encoder would write it otherwise."""
    if "content" not in m:
        merge_ns(NAME, element, "form", {"content": "absent"})
    elif m["content"] is None:
        merge_ns(NAME, element, "form", {"content": "null"})
    elif isinstance(m["content"], list) and (
        not parts or (len(parts) == 1 and _plain_text(m["content"][0]))
    ):
        merge_ns(NAME, element, "form", {"content": "parts"})


def _chunks(m: Obj, path: Path, sm: SourceMap, at: Path, model: str | None) -> list[Obj]:
    content = m.get("content")
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    chunks = expect_list(content, (*path, "content"))
    parts: list[Obj] = []
    for j, chunk in enumerate(chunks):
        cpath: Path = (*path, "content", j)
        sm.add((*at, "parts", j), cpath)
        sm.add((*at, "parts", j, "extensions", NAME, "extra"), cpath)
        parts.append(_chunk(expect_obj(chunk, cpath), cpath, model))
    return parts


def _message(m: Obj, role: str, path: Path, at: Path, sm: SourceMap, model: str | None) -> Obj:
    parts = _chunks(m, path, sm, at, model)
    out: Obj = {"role": role}
    _content_form(out, m, parts)
    known = {"role", "content"}
    if role == "assistant" and "tool_calls" in m:
        known.add("tool_calls")
        calls = m["tool_calls"]
        if calls is None:
            merge_ns(NAME, out, "form", {"tool_calls": "null"})
        else:
            items = expect_list(calls, (*path, "tool_calls"))
            if not items:
                merge_ns(NAME, out, "form", {"tool_calls": "empty"})
            for k, call in enumerate(items):
                cpath: Path = (*path, "tool_calls", k)
                sm.add((*at, "parts", len(parts)), cpath)
                sm.add((*at, "parts", len(parts), "extensions", NAME, "extra"), cpath)
                parts.append(_call(expect_obj(call, cpath), cpath))
    out["parts"] = parts
    extra = {k: v for k, v in m.items() if k not in known}
    if extra:
        merge_ns(NAME, out, "extra", extra)
    return out


def _tool_message(m: Obj, path: Path, at: Path, sm: SourceMap) -> Obj:
    if "tool_call_id" not in m or m["tool_call_id"] is None:
        raise fail((*path, "tool_call_id"), "a tool message needs the id of the call it answers")
    call_id = expect_str(m["tool_call_id"], (*path, "tool_call_id"))
    result: Obj = {"type": "tool_result", "call_id": call_id}
    sm.add((*at, "parts", 0), path)
    out: Obj = {"role": "tool", "parts": [result]}
    content = m.get("content")
    items: list[Obj] = []
    if isinstance(content, str):
        items = [{"type": "text", "text": content}] if content else []
    elif content is not None:
        chunks = expect_list(content, (*path, "content"))
        whole = True
        for j, chunk in enumerate(chunks):
            cpath: Path = (*path, "content", j)
            part = _chunk(expect_obj(chunk, cpath), cpath, None)
            if part["type"] in ("text", "image", "document"):
                items.append(part)
            else:
                whole = False
        if not whole:
            merge_ns(NAME, result, "extra", {"content": chunks})
    result["content"] = items
    _content_form(out, m, items)
    if "name" in m:
        merge_ns(NAME, out, "form", {"name": m["name"]})
    extra = {k: v for k, v in m.items() if k not in ("role", "content", "tool_call_id", "name")}
    if extra:
        merge_ns(NAME, out, "extra", extra)
    return out


# -- chunks -------------------------------------------------------------------------------


def _chunk(chunk: Obj, path: Path, model: str | None) -> Obj:
    kind = chunk.get("type")
    part: Obj | None = None
    known: tuple[str, ...] = ("type",)
    if kind == "text" and "text" in chunk:
        part = {"type": "text", "text": expect_str(chunk["text"], (*path, "text"))}
        known = ("type", "text")
    elif kind == "image_url" and "image_url" in chunk:
        part = _image(chunk["image_url"], (*path, "image_url"))
        known = ("type", "image_url")
    elif kind == "document_url" and isinstance(chunk.get("document_url"), str):
        part = {"type": "document", "source": url_source(chunk["document_url"])}
        known = ("type", "document_url")
        if isinstance(chunk.get("document_name"), str):
            part["filename"] = chunk["document_name"]
            known = ("type", "document_url", "document_name")
    elif kind == "file" and isinstance(chunk.get("file_id"), str):
        source = {"kind": "file", "file_id": chunk["file_id"], "provider": NAME}
        part = {"type": "document", "source": source}
        known = ("type", "file_id")
    elif kind == "input_audio" and isinstance(chunk.get("input_audio"), str):
        part = {"type": "audio", "source": {"kind": "base64", "data": chunk["input_audio"]}}
        known = ("type", "input_audio")
    elif kind == "thinking":
        part = _thinking(chunk, path, model)
        known = ("type", "thinking", "signature")
    if part is None:
        return {"type": "provider", "format": NAME, "data": chunk}
    extra = {k: v for k, v in chunk.items() if k not in known}
    if extra:
        merge_ns(NAME, part, "extra", extra)
    return part


def _image(raw: Any, path: Path) -> Obj | None:
    if isinstance(raw, str):
        return {"type": "image", "source": url_source(raw)}
    obj = expect_obj(raw, path)
    if not isinstance(obj.get("url"), str):
        raise fail((*path, "url"), "an image needs a url")
    part: Obj = {"type": "image", "source": url_source(obj["url"])}
    detail = obj.get("detail")
    if detail in ("auto", "low", "high"):
        part["detail"] = detail
    else:
        merge_ns(NAME, part, "form", {"image_url": "object"})
    rest = {k: v for k, v in obj.items() if k != "url" and (k != "detail" or "detail" not in part)}
    if rest:
        merge_ns(NAME, part, "extra", {"image_url": rest})
    return part


def _thinking(chunk: Obj, path: Path, model: str | None) -> Obj | None:
    thinking = chunk.get("thinking")
    if not isinstance(thinking, list) or len(cast("list[Any]", thinking)) != 1:
        return None
    inner = cast("list[Any]", thinking)[0]
    if not _plain_text(inner) or not isinstance(inner["text"], str):
        return None
    part: Obj = {"type": "reasoning", "text": inner["text"]}
    signature = chunk.get("signature")
    if isinstance(signature, str):
        part["signature"] = signature
    elif "signature" in chunk:
        merge_ns(NAME, part, "extra", {"signature": signature})
    scope: Obj = {"provider": NAME}
    if model is not None:
        scope["model"] = model
    part["valid_for"] = scope
    del path
    return part


def _call(call: Obj, path: Path) -> Obj:
    if "function" not in call:
        raise fail((*path, "function"), "missing required field")
    fn = expect_obj(call["function"], (*path, "function"))
    if "id" not in call:
        raise fail((*path, "id"), "a tool call needs an id (its result refers to it)")
    for key in ("name", "arguments"):
        if key not in fn:
            raise fail((*path, "function", key), "missing required field")
    part: Obj = {
        "type": "tool_call",
        "id": expect_str(call["id"], (*path, "id")),
        "name": expect_str(fn["name"], (*path, "function", "name")),
    }
    form: Obj = {}
    args = fn["arguments"]
    if isinstance(args, dict):
        part["arguments"] = args
        form["arguments"] = {"object": True}
    else:
        text = expect_str(args, (*path, "function", "arguments"))
        value, raw, keep = parse_arguments(text)
        if raw is not None:
            part["raw_arguments"] = raw
        else:
            part["arguments"] = value
        if keep:
            form["arguments"] = text
    if "type" not in call:
        form["type"] = "absent"
    elif call["type"] != "function":
        raise fail((*path, "type"), "a tool call's type is 'function'")
    if form:
        merge_ns(NAME, part, "form", form)
    extra = {k: v for k, v in call.items() if k not in ("id", "type", "function")}
    rest = {k: v for k, v in fn.items() if k not in ("name", "arguments")}
    if rest:
        extra["function"] = rest
    if extra:
        merge_ns(NAME, part, "extra", extra)
    return part


# -- tools --------------------------------------------------------------------------------


def _tool(raw: Any, path: Path, sm: SourceMap, k: int) -> Obj:
    item = expect_obj(raw, path)
    sm.add(("tools", k), path)
    sm.add(("tools", k, "extensions", NAME, "extra"), path)
    kind = item.get("type", "function")
    fn = item.get("function")
    if kind != "function" or not isinstance(fn, dict):
        name = cast("Obj", fn).get("name") if isinstance(fn, dict) else None
        tool: Obj = {"kind": str(kind), "name": name if isinstance(name, str) else str(kind)}
        merge_ns(NAME, tool, "extra", {"definition": item})
        return tool
    function = cast("Obj", fn)
    fpath: Path = (*path, "function")
    if "name" not in function:
        raise fail((*fpath, "name"), "missing required field")
    tool = {"name": expect_str(function["name"], (*fpath, "name"))}
    if "description" in function:
        tool["description"] = expect_str(function["description"], (*fpath, "description"))
    if "parameters" in function:
        tool["parameters"] = expect_obj(function["parameters"], (*fpath, "parameters"))
    if "strict" in function:
        if not isinstance(function["strict"], bool):
            raise fail((*fpath, "strict"), "expected a boolean")
        tool["strict"] = function["strict"]
    if "type" not in item:
        merge_ns(NAME, tool, "form", {"type": "absent"})
    rest = {
        k: v
        for k, v in function.items()
        if k not in ("name", "description", "parameters", "strict")
    }
    extra = {k: v for k, v in item.items() if k not in ("type", "function")}
    if rest:
        extra["function"] = rest
    if extra:
        merge_ns(NAME, tool, "extra", extra)
    return tool
