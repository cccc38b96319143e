"""Reading an OpenAI Chat Completions request body into AIF.

The document is built as plain dicts in AIF's JSON shape and validated once at the
end. What AIF has no field for is kept under ``extensions["openai-chat"]``:
``form`` for presentation choices an exact round trip needs, ``extra`` for wire
fields (see ``docs/contributing/converters.md``).

Form hints this format writes (only where they differ from the default):

* message / instruction: ``content`` is ``"parts"`` (a list), ``"null"`` or
  ``"absent"`` (default: a string for one plain text part, a list for several;
  with no content parts ``null`` for an assistant turn with tool calls or a
  refusal, else ``""``); ``null`` lists optional keys given as ``null``;
  ``tool_calls: "empty"`` for ``tool_calls: []``.
* refusal part: ``field: true`` when it was the assistant message's ``refusal`` key.
* tool call: ``arguments`` holds the exact text when it is valid JSON but not
  canonical.
* provider part: ``tool_call: true`` for a tool call of a type other than function.
* settings: ``max_tokens_key: "max_tokens"`` (default ``max_completion_tokens``),
  ``stop: "string"``, ``int`` (float settings given as integers), ``null``.

Extra fields nested in a known object (``image_url``, ``input_audio``, ``file``,
``function``) are kept under ``extra[<that key>]``.
"""

from __future__ import annotations

import math
from typing import Any, Final, cast

from pydantic import ValidationError

from aifkit._json import type_name
from aifkit.aif._loss import Path, SourceMap
from aifkit.aif._schema import document_adapter
from aifkit.aif.converters._base import Decoded
from aifkit.aif.converters._common import (
    build_data_url,
    expect_bool,
    expect_list,
    expect_obj,
    expect_str,
    fail,
    parse_arguments,
    parse_data_url,
)

__all__ = ["NAME", "decode_body"]

NAME: Final = "openai-chat"

_MISSING: Any = object()
_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
_PLAIN_ROLES = frozenset({"system", "developer", "user", "assistant"})
_DETAILS = frozenset({"auto", "low", "high"})
_CHOICE_MODES = frozenset({"auto", "none", "required"})
_MESSAGE_KEYS = {
    "system": frozenset({"role", "content", "name"}),
    "developer": frozenset({"role", "content", "name"}),
    "user": frozenset({"role", "content", "name"}),
    "assistant": frozenset({"role", "content", "name", "refusal", "tool_calls"}),
    "tool": frozenset({"role", "content", "tool_call_id"}),
}
_SETTINGS_KEYS = frozenset(
    {
        "model",
        "max_completion_tokens",
        "max_tokens",
        "temperature",
        "top_p",
        "stop",
        "seed",
        "stream",
        "tool_choice",
        "parallel_tool_calls",
    }
)
_TOP_KEYS = _SETTINGS_KEYS | {"messages", "tools"}


def _required(obj: dict[str, Any], key: str, path: Path) -> Any:
    value = obj.get(key, _MISSING)
    if value is _MISSING:
        raise fail((*path, key), "a required key is missing")
    return value


def _ext(form: dict[str, Any] | None, extra: dict[str, Any] | None) -> dict[str, Any]:
    ns: dict[str, Any] = {}
    if form:
        ns["form"] = form
    if extra:
        ns["extra"] = extra
    return {NAME: ns}


def _nested(obj: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in known}


def decode_body(body: Any) -> Decoded:
    """Read a Chat Completions request body; see the module docstring for the mapping."""
    root = expect_obj(body, ())
    sm = SourceMap()
    raw_messages = expect_list(_required(root, "messages", ()), ("messages",))
    doc: dict[str, Any] = {}
    instructions, messages = _Messages(sm).run(raw_messages)
    if instructions:
        doc["instructions"] = instructions
    doc["messages"] = messages
    extra = {k: v for k, v in root.items() if k not in _TOP_KEYS}
    if root.get("tools") is not None:
        doc["tools"] = [
            _tool(t, k, sm) for k, t in enumerate(expect_list(root["tools"], ("tools",)))
        ]
    elif "tools" in root:
        extra["tools"] = None
    settings = _settings(root, extra, sm)
    if settings:
        doc["settings"] = settings
    if extra:
        doc["extensions"] = {NAME: {"extra": extra}}
        sm.add(("extensions", NAME, "extra"), ())
    try:
        return Decoded(document_adapter().validate_python(doc), sm)
    except ValidationError as exc:  # a value that is not JSON, e.g. an object in a wire field
        err = exc.errors(include_url=False)[0]
        problem = err["msg"][:1].lower() + err["msg"][1:]
        raise fail(sm.translate(_aif_path(err["loc"])), problem) from None


_TAGS = frozenset({"text", "image", "document", "audio", "tool_call", "tool_result", "refusal"})


def _aif_path(loc: tuple[str | int, ...]) -> Path:
    # Pydantic's error location names union branches ("dict", a part's type tag);
    # leave them out to get the document path.
    where: list[str | int] = []
    prev: str | int | None = None
    for item in loc:
        if isinstance(item, str):
            if "[" in item or item.startswith("function-"):
                break
            tag = item in ("dict", "list") or (isinstance(prev, int) and item in _TAGS)
            provider = prev == "provider" and item == "data"  # the data is the part itself
            if tag or provider or (isinstance(prev, int) and item == "provider"):
                prev = item
                continue
        where.append(item)
        prev = item
    return tuple(where)


# -- messages ----------------------------------------------------------------------

_Mapping = list[tuple[Path, Path]]
"""(AIF path relative to an element, absolute source path) pairs for the `SourceMap`."""


class _Messages:
    """Decodes the ``messages`` array into instructions and messages."""

    def __init__(self, sm: SourceMap) -> None:
        self.sm = sm
        self.mapping: _Mapping = []  # of the message being decoded

    def run(self, raw: list[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        instructions: list[dict[str, Any]] = []
        messages: list[dict[str, Any]] = []
        entries = self.sm.entries
        leading = True
        for src, item in enumerate(raw):
            path: Path = ("messages", src)
            if item.__class__ is dict and len(item) == 2:  # fast path: {role, content: str}
                m = cast("dict[str, Any]", item)
                role, text = m.get("role"), m.get("content")
                if text.__class__ is str and role.__class__ is str and role in _PLAIN_ROLES:
                    out: dict[str, Any] = {"role": role, "parts": [{"type": "text", "text": text}]}
                    if leading and (role == "system" or role == "developer"):
                        where: Path = ("instructions", len(instructions))
                        instructions.append(out)
                    else:
                        leading = False
                        where = ("messages", len(messages))
                        messages.append(out)
                    entries[where] = path
                    entries[(*where, "parts", 0)] = (*path, "content")
                    continue
            m = expect_obj(item, path)
            role = expect_str(_required(m, "role", path), (*path, "role"))
            if role not in _ROLES:
                raise fail(
                    (*path, "role"),
                    f"unknown role {role!r}",
                    hint="use system, developer, user, assistant or tool",
                )
            out = self._tool(m, path) if role == "tool" else self._message(m, role, path)
            if (
                leading
                and (role == "system" or role == "developer")
                and all(p["type"] == "text" for p in out["parts"])
            ):
                self._record(("instructions", len(instructions)), path, m, out)
                instructions.append(out)
                continue
            leading = False
            self._record(("messages", len(messages)), path, m, out)
            messages.append(out)
        return instructions, messages

    def _record(self, where: Path, path: Path, m: dict[str, Any], out: dict[str, Any]) -> None:
        sm = self.sm
        sm.add(where, path)
        content = m.get("content")
        if out["role"] == "tool":
            sm.add((*where, "parts", 0), path)
            sm.add((*where, "parts", 0, "call_id"), (*path, "tool_call_id"))
            if isinstance(content, str):
                sm.add((*where, "parts", 0, "content", 0), (*path, "content"))
            elif isinstance(content, list):
                sm.add((*where, "parts", 0, "content"), (*path, "content"))
        elif isinstance(content, str):
            sm.add((*where, "parts", 0), (*path, "content"))
        elif isinstance(content, list):
            sm.add((*where, "parts"), (*path, "content"))
        ext = out.get("extensions")
        if ext is not None and "extra" in ext[NAME]:
            sm.add((*where, "extensions", NAME, "extra"), path)
        if self.mapping:
            for aif, src in self.mapping:
                sm.add((*where, *aif), src)
            self.mapping = []

    def _content(self, m: dict[str, Any], path: Path) -> tuple[Any, list[dict[str, Any]]]:
        content: Any = m.get("content", _MISSING)
        if isinstance(content, str):
            return content, [{"type": "text", "text": content}]
        if isinstance(content, list):
            items = cast("list[Any]", content)
            parts: list[dict[str, Any]] = []
            for j, raw in enumerate(items):
                part, mapping = _part(raw, (*path, "content", j))
                if mapping:
                    self.mapping.extend((("parts", j, *aif), src) for aif, src in mapping)
                parts.append(part)
            return items, parts
        if content is None or content is _MISSING:
            return content, []
        raise fail((*path, "content"), f"expected a string or an array, got {type_name(content)}")

    def _message(self, m: dict[str, Any], role: str, path: Path) -> dict[str, Any]:
        form: dict[str, Any] = {}
        nulls: list[str] = []
        content, parts = self._content(m, path)
        out: dict[str, Any] = {"role": role, "parts": parts}
        if "name" in m:
            name = m["name"]
            if name is None:
                nulls.append("name")
            else:
                out["name"] = expect_str(name, (*path, "name"))
        # An assistant turn with tool calls or a refusal writes `content: null` by default.
        null_default = role == "assistant" and self._assistant_fields(m, path, parts, form, nulls)
        if content.__class__ is list:
            form["content"] = "parts"
        elif content is _MISSING:
            form["content"] = "absent"
        elif content is None and not null_default:
            form["content"] = "null"
        if nulls:
            form["null"] = nulls
        extra = None
        if len(m) != 2 or content is _MISSING:
            known = _MESSAGE_KEYS[role]
            extra = {k: v for k, v in m.items() if k not in known}
        if form or extra:
            out["extensions"] = _ext(form, extra)
        return out

    def _assistant_fields(
        self,
        m: dict[str, Any],
        path: Path,
        parts: list[dict[str, Any]],
        form: dict[str, Any],
        nulls: list[str],
    ) -> bool:
        """Add the ``refusal`` field and the tool calls as parts; True when there are any."""
        refusal = m.get("refusal")
        if refusal is not None:
            text = expect_str(refusal, (*path, "refusal"))
            self.mapping.append((("parts", len(parts)), (*path, "refusal")))
            parts.append(
                {"type": "refusal", "text": text, "extensions": _ext({"field": True}, None)}
            )
        elif "refusal" in m:
            nulls.append("refusal")
        raw_calls = m.get("tool_calls")
        if raw_calls is None:
            if "tool_calls" in m:
                nulls.append("tool_calls")
            return refusal is not None
        calls = expect_list(raw_calls, (*path, "tool_calls"))
        if not calls:
            form["tool_calls"] = "empty"
        for k, call in enumerate(calls):
            cpath = (*path, "tool_calls", k)
            j = len(parts)
            self.mapping.append((("parts", j), cpath))
            for key, wire in _CALL_FIELDS:
                self.mapping.append((("parts", j, key), (*cpath, "function", wire)))
            parts.append(_tool_call(call, cpath))
        return bool(calls) or refusal is not None

    def _tool(self, m: dict[str, Any], path: Path) -> dict[str, Any]:
        call_id = expect_str(_required(m, "tool_call_id", path), (*path, "tool_call_id"))
        content, parts = self._content(m, path)
        for j, part in enumerate(parts):
            if part["type"] not in _RESULT_TYPES:
                raise fail(
                    (*path, "content", j),
                    f"a tool message cannot hold a {content[j].get('type')!r} part",
                    hint="tool message content is text",
                )
        if self.mapping:  # the parts live inside the tool result
            self.mapping = [(("parts", 0, "content", *aif[1:]), src) for aif, src in self.mapping]
        form: dict[str, Any] = {}
        if content.__class__ is list:
            form["content"] = "parts"
        elif content is None:
            form["content"] = "null"
        elif content is _MISSING:
            form["content"] = "absent"
        out: dict[str, Any] = {
            "role": "tool",
            "parts": [{"type": "tool_result", "call_id": call_id, "content": parts}],
        }
        extra = None
        if len(m) != 3 or content is _MISSING:
            extra = {k: v for k, v in m.items() if k not in _MESSAGE_KEYS["tool"]}
        if form or extra:
            out["extensions"] = _ext(form, extra)
        return out


_RESULT_TYPES = frozenset({"text", "image", "document"})
_CALL_FIELDS = (("name", "name"), ("arguments", "arguments"), ("raw_arguments", "arguments"))


# -- content parts -------------------------------------------------------------------


def _part(raw: Any, path: Path) -> tuple[dict[str, Any], _Mapping]:
    p = expect_obj(raw, path)
    kind = p.get("type")
    decoder = _PARTS.get(kind) if isinstance(kind, str) else None
    if decoder is None:
        return {"type": "provider", "format": NAME, "data": p}, []
    return decoder(p, path)


def _with_extra(
    part: dict[str, Any],
    p: dict[str, Any],
    known: frozenset[str],
    path: Path,
    nested: tuple[str, dict[str, Any]] | None = None,
) -> _Mapping:
    """Keep ``p``'s unknown keys (and a nested object's, under its key) on ``part``."""
    extra = _nested(p, known) if len(p) > len(known) else {}
    if nested is not None and nested[1]:
        extra[nested[0]] = nested[1]
    if not extra:
        return []
    part["extensions"] = _ext(None, extra)
    return [(("extensions", NAME, "extra"), path)]


_TEXT_KEYS = frozenset({"type", "text"})


def _text_part(p: dict[str, Any], path: Path) -> tuple[dict[str, Any], _Mapping]:
    part: dict[str, Any] = {
        "type": "text",
        "text": expect_str(_required(p, "text", path), (*path, "text")),
    }
    if len(p) == 2:
        return part, []
    return part, _with_extra(part, p, _TEXT_KEYS, path)


_REFUSAL_KEYS = frozenset({"type", "refusal"})


def _refusal_part(p: dict[str, Any], path: Path) -> tuple[dict[str, Any], _Mapping]:
    text = expect_str(_required(p, "refusal", path), (*path, "refusal"))
    part: dict[str, Any] = {"type": "refusal", "text": text}
    return part, [(("text",), (*path, "refusal")), *_with_extra(part, p, _REFUSAL_KEYS, path)]


_IMAGE_KEYS = frozenset({"type", "image_url"})
_IMAGE_URL_KEYS = frozenset({"url", "detail"})


def _image_part(p: dict[str, Any], path: Path) -> tuple[dict[str, Any], _Mapping]:
    ipath = (*path, "image_url")
    image = expect_obj(_required(p, "image_url", path), ipath)
    url = expect_str(_required(image, "url", ipath), (*ipath, "url"))
    part: dict[str, Any] = {"type": "image", "source": _url_source(url)}
    mapping: _Mapping = []
    nested = _nested(image, _IMAGE_URL_KEYS) if len(image) > 1 else {}
    detail = image.get("detail", _MISSING)
    if detail in _DETAILS:
        part["detail"] = detail
        mapping.append((("detail",), (*ipath, "detail")))
    elif detail is not _MISSING:
        nested["detail"] = detail  # e.g. "original": AIF has no such detail level
    return part, mapping + _with_extra(part, p, _IMAGE_KEYS, path, ("image_url", nested))


def _url_source(url: str) -> dict[str, Any]:
    parsed = parse_data_url(url)
    if parsed is not None and build_data_url(*parsed) == url:
        return {"kind": "base64", "media_type": parsed[0], "data": parsed[1]}
    return {"kind": "url", "url": url}


_AUDIO_KEYS = frozenset({"type", "input_audio"})
_INPUT_AUDIO_KEYS = frozenset({"data", "format"})


def _audio_part(p: dict[str, Any], path: Path) -> tuple[dict[str, Any], _Mapping]:
    apath = (*path, "input_audio")
    audio = expect_obj(_required(p, "input_audio", path), apath)
    data = expect_str(_required(audio, "data", apath), (*apath, "data"))
    fmt = expect_str(_required(audio, "format", apath), (*apath, "format"))
    part: dict[str, Any] = {
        "type": "audio",
        "source": {"kind": "base64", "media_type": f"audio/{fmt}", "data": data},
        "format": fmt,
    }
    nested = _nested(audio, _INPUT_AUDIO_KEYS) if len(audio) > 2 else {}
    mapping: _Mapping = [(("format",), (*apath, "format"))]
    return part, mapping + _with_extra(part, p, _AUDIO_KEYS, path, ("input_audio", nested))


_FILE_KEYS = frozenset({"type", "file"})
_FILE_FILE_KEYS = frozenset({"file_data", "file_id", "filename"})


def _file_part(p: dict[str, Any], path: Path) -> tuple[dict[str, Any], _Mapping]:
    fpath = (*path, "file")
    file = expect_obj(_required(p, "file", path), fpath)
    nested = _nested(file, _FILE_FILE_KEYS)
    data, file_id = file.get("file_data"), file.get("file_id")
    if data is not None:
        data = expect_str(data, (*fpath, "file_data"))
        parsed = parse_data_url(data)
        if parsed is not None and build_data_url(*parsed) == data:
            source: dict[str, Any] = {"kind": "base64", "media_type": parsed[0], "data": parsed[1]}
        else:  # raw base64, as the API reference describes the field
            source = {"kind": "base64", "data": data}
        mapping: _Mapping = []
        if "file_id" in file:  # both given: the id travels as a wire field
            nested["file_id"] = file_id
    elif file_id is not None:
        file_id = expect_str(file_id, (*fpath, "file_id"))
        source = {"kind": "file", "file_id": file_id, "provider": "openai"}
        mapping = []
        if "file_data" in file:
            nested["file_data"] = None
    else:  # neither data nor id: nothing AIF can call a document
        return {"type": "provider", "format": NAME, "data": p}, []
    part: dict[str, Any] = {"type": "document", "source": source}
    filename = file.get("filename")
    if filename is not None:
        part["filename"] = expect_str(filename, (*fpath, "filename"))
        mapping.append((("filename",), (*fpath, "filename")))
    elif "filename" in file:
        nested["filename"] = None
    return part, mapping + _with_extra(part, p, _FILE_KEYS, path, ("file", nested))


_PARTS = {
    "text": _text_part,
    "image_url": _image_part,
    "input_audio": _audio_part,
    "file": _file_part,
    "refusal": _refusal_part,
}


# -- tool calls and tools ------------------------------------------------------------

_CALL_KEYS = frozenset({"id", "type", "function"})
_FUNCTION_CALL_KEYS = frozenset({"name", "arguments"})


def _tool_call(raw: Any, path: Path) -> dict[str, Any]:
    call = expect_obj(raw, path)
    kind = expect_str(_required(call, "type", path), (*path, "type"))
    call_id = expect_str(_required(call, "id", path), (*path, "id"))
    if kind != "function":
        return {
            "type": "provider",
            "format": NAME,
            "data": call,
            "extensions": _ext({"tool_call": True}, None),
        }
    fpath = (*path, "function")
    fn = expect_obj(_required(call, "function", path), fpath)
    name = expect_str(_required(fn, "name", fpath), (*fpath, "name"))
    text = expect_str(_required(fn, "arguments", fpath), (*fpath, "arguments"))
    arguments, raw_arguments, keep = parse_arguments(text)
    if ("NaN" in text or "Infinity" in text) and not _finite(arguments):
        # Python's parser takes NaN and Infinity; JSON (and AIF's JSON form) does not.
        arguments, raw_arguments, keep = None, text, False
    part: dict[str, Any] = {"type": "tool_call", "id": call_id, "name": name}
    if arguments is not None:
        part["arguments"] = arguments
    if raw_arguments is not None:
        part["raw_arguments"] = raw_arguments
    extra = _nested(call, _CALL_KEYS) if len(call) > 3 else {}
    if len(fn) > 2:
        extra["function"] = _nested(fn, _FUNCTION_CALL_KEYS)
    if keep or extra:
        part["extensions"] = _ext({"arguments": text} if keep else None, extra)
    return part


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_finite(v) for v in cast("list[Any]", value))
    if isinstance(value, dict):
        return all(_finite(v) for v in cast("dict[str, Any]", value).values())
    return True


_TOOL_KEYS = frozenset({"type", "function"})
_FUNCTION_KEYS = frozenset({"name", "description", "parameters", "strict"})


def _tool(raw: Any, k: int, sm: SourceMap) -> dict[str, Any]:
    path: Path = ("tools", k)
    tool = expect_obj(raw, path)
    kind = expect_str(_required(tool, "type", path), (*path, "type"))
    if kind != "function":
        spec = tool.get(kind)
        name = cast("dict[str, Any]", spec).get("name") if isinstance(spec, dict) else None
        extra = {key: v for key, v in tool.items() if key != "type"}
        sm.add((*path, "extensions", NAME, "extra"), path)
        return {
            "kind": kind,
            "name": name if isinstance(name, str) else kind,
            "extensions": {NAME: {"extra": extra}},
        }
    fpath = (*path, "function")
    fn = expect_obj(_required(tool, "function", path), fpath)
    out: dict[str, Any] = {"name": expect_str(_required(fn, "name", fpath), (*fpath, "name"))}
    nested = _nested(fn, _FUNCTION_KEYS)
    sm.add((*path, "name"), (*fpath, "name"))
    for key, check in (
        ("description", expect_str),
        ("parameters", expect_obj),
        ("strict", expect_bool),
    ):
        value = fn.get(key)
        if value is not None:
            out[key] = check(value, (*fpath, key))
            sm.add((*path, key), (*fpath, key))
        elif key in fn:
            nested[key] = None
    extra = _nested(tool, _TOOL_KEYS)
    if nested:
        extra["function"] = nested
    if extra:
        out["extensions"] = {NAME: {"extra": extra}}
        sm.add((*path, "extensions", NAME, "extra"), path)
    return out


# -- settings ------------------------------------------------------------------------


def _settings(root: dict[str, Any], extra: dict[str, Any], sm: SourceMap) -> dict[str, Any]:
    out: dict[str, Any] = {}
    form: dict[str, Any] = {}
    nulls: list[str] = []
    ints: list[str] = []
    for key in _SETTINGS_KEYS.intersection(root):
        value = root[key]
        aif_key = "max_tokens" if key == "max_completion_tokens" else key
        if key == "max_tokens" and "max_completion_tokens" in root:
            extra[key] = value  # both given: the legacy key travels as a wire field
            continue
        if key == "max_tokens":
            form["max_tokens_key"] = "max_tokens"
        sm.add(("settings", aif_key), (key,))
        if value is None:
            nulls.append(key)
        elif key == "tool_choice":
            choice = _tool_choice(value)
            if choice is None:
                extra[key] = value
            else:
                out[key] = choice
        elif key == "stop":
            out[key] = _stop(value, form)
        else:
            out[aif_key] = _SETTING_CHECKS[key](value, (key,))
            if key in ("temperature", "top_p") and not isinstance(value, float):
                ints.append(key)
    if nulls:
        form["null"] = sorted(nulls)
    if ints:
        form["int"] = sorted(ints)
    if form:
        out["extensions"] = _ext(form, None)
    return out


def _tool_choice(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        return {"mode": value} if value in _CHOICE_MODES else None
    obj = expect_obj(value, ("tool_choice",))
    if len(obj) != 2 or obj.get("type") != "function" or not isinstance(obj.get("function"), dict):
        return None  # another shape (allowed_tools, custom, ...): kept as a wire field
    fn = expect_obj(obj["function"], ("tool_choice", "function"))
    name = fn.get("name")
    return {"mode": "tool", "name": name} if len(fn) == 1 and isinstance(name, str) else None


def _stop(value: Any, form: dict[str, Any]) -> list[str]:
    if isinstance(value, str):
        form["stop"] = "string"
        return [value]
    items = expect_list(value, ("stop",))
    return [expect_str(s, ("stop", i)) for i, s in enumerate(items)]


def _expect_int(value: Any, path: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(path, f"expected an integer, got {type_name(value)}")
    return value


def _expect_number(value: Any, path: Path) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(path, f"expected a number, got {type_name(value)}")
    return value


_SETTING_CHECKS: dict[str, Any] = {
    "model": expect_str,
    "max_completion_tokens": _expect_int,
    "max_tokens": _expect_int,
    "temperature": _expect_number,
    "top_p": _expect_number,
    "seed": _expect_int,
    "stream": expect_bool,
    "parallel_tool_calls": expect_bool,
}
