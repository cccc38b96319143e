"""Reading an OpenAI Responses API request body (``POST /v1/responses``) into AIF.

``instructions`` becomes a system instruction; ``input`` (a string, or a list of
items) becomes messages. Items are grouped the way a conversation reads:

* a ``message`` item of role user, system or developer is one message;
* a run of consecutive model-side items (``message`` items of role assistant,
  ``function_call``, ``reasoning``, and item types AIF has no neutral form for) is
  one assistant message, one part per content part / call / reasoning item;
* a run of consecutive ``function_call_output`` items is one ``tool`` message, one
  `ToolResultPart` per item (parallel results).

A ``reasoning`` item is a `ReasoningPart`: the summary texts joined by blank lines
as ``text``, ``encrypted_content`` as ``redacted``, the item id as ``signature``,
valid for OpenAI and the body's model; it stays right before the part it produced.

What AIF has no field for is kept under ``extensions["openai-responses"]``:
``extra`` for wire fields, ``form`` for presentation (written only where it differs
from what the encoder does by default):

* document: ``input: "string"`` when ``input`` was a string.
* message / first part of an assistant ``message`` item (under ``item``):
  ``type: true`` when the item spelled out ``"type": "message"``; ``content:
  "list"`` when a list held what the encoder writes as a string. An assistant
  item's own wire keys (``id``, ``status``, ``phase``) are ``extra.item`` of its
  first part; ``start: true`` marks a part that opens a new message item right
  after another one.
* part: ``null`` lists keys given as ``null``; ``detail: "absent"`` for an image
  without ``detail``; ``annotations: "absent"`` for ``output_text`` without it;
  ``raw: true`` for ``file_data`` that was plain base64; ``arguments`` keeps the
  exact arguments text when it was valid JSON but not canonical; ``summary`` keeps
  a reasoning summary that is not exactly one ``summary_text``; ``output: "list"``
  for a function output given as a list of one text; ``content: true`` marks a
  `ProviderPart` that was a content part of a message item (else it was an item).
* tool: ``strict`` / ``parameters`` as ``"absent"`` or ``"null"``.
* settings: ``int`` lists float settings given as integers.
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
    parse_arguments,
    plain_data_url,
    read_int,
    read_number,
    required,
    url_source,
    validate_document,
)
from aifkit.aif.converters._reasoning import needs_form, responses_read, responses_write
from aifkit.aif.converters._settings import SettingsTable, read_settings
from aifkit.aif.converters._wire import MISSING, make_ext, unknown_keys

__all__ = ["DETAILS", "NAME", "PROVIDER", "SETTINGS", "decode_body"]


_SOURCE_FIELDS: Final[dict[str, tuple[Path, ...]]] = {
    "call_id": (("call_id",),),
    "signature": (("id",),),  # a reasoning item's id is what replays it
    "redacted": (("encrypted_content",),),
}
"""AIF fields this format spells otherwise, for loss pointers (`SourceMap.fields`)."""

NAME: Final = "openai-responses"
PROVIDER: Final = "openai"
DETAILS: Final = frozenset({"auto", "low", "high"})

_TOP_KEYS: Final = frozenset(
    {
        "model",
        "input",
        "instructions",
        "tools",
        "tool_choice",
        "max_output_tokens",
        "temperature",
        "top_p",
        "parallel_tool_calls",
        "stream",
    }
)
_MESSAGE_KEYS: Final = frozenset({"type", "role", "content"})
_ROLES: Final = frozenset({"user", "assistant", "system", "developer"})
_CALL_KEYS: Final = frozenset({"type", "call_id", "name", "arguments"})
_OUTPUT_KEYS: Final = frozenset({"type", "call_id", "output"})
_REASONING_KEYS: Final = frozenset({"type", "id", "summary", "encrypted_content"})
"""A reasoning item's id is required: the API finds the reasoning it stands for by it."""
_TOOL_KEYS: Final = frozenset({"type", "name", "description", "parameters", "strict"})
_MODEL_SIDE: Final = frozenset({"function_call", "reasoning"})


def decode_body(body: Any) -> Decoded:
    """Read a Responses request body (see the module docstring)."""
    root = expect_obj(body, ())
    sm = SourceMap(fields=_SOURCE_FIELDS)
    reader = _Reader(sm, root.get("model"))
    doc: dict[str, Any] = {}
    doc_form: dict[str, Any] = {}
    settings = _settings(root, sm)
    if settings:
        doc["settings"] = settings
    if "instructions" in root:
        instructions = root["instructions"]
        if instructions is None:
            doc_form["null"] = ["instructions"]
        else:
            text = expect_str(instructions, ("instructions",))
            doc["instructions"] = [{"role": "system", "parts": [{"type": "text", "text": text}]}]
            sm.add(("instructions", 0), ("instructions",))
    raw = required(root, "input", ())
    if isinstance(raw, str):
        doc_form["input"] = "string"
        doc["messages"] = [{"role": "user", "parts": [{"type": "text", "text": raw}]}]
        sm.add(("messages", 0), ("input",))
    else:
        doc["messages"] = reader.items(expect_list(raw, ("input",)))
    if "tools" in root:
        tools = expect_list(root["tools"], ("tools",))
        doc["tools"] = [_tool(t, k, sm) for k, t in enumerate(tools)]
    lifted = "reasoning" in doc.get("settings", {})
    extra = _unknown(root, (_TOP_KEYS | {"reasoning"}) if lifted else _TOP_KEYS)
    if extra:
        sm.add(("extensions", NAME, "extra"), ())
    ext = make_ext(NAME, doc_form, extra)
    if ext:
        doc["extensions"] = ext
    document = validate_document(doc, sm)
    return Decoded(document, sm)


# -- small readers -------------------------------------------------------------------


def _opt_str(
    obj: dict[str, Any], key: str, path: Path, nulls: list[str] | None = None
) -> str | None:
    """``obj[key]`` as a string; None when absent or null (a null is added to ``nulls``)."""
    value = obj.get(key, MISSING)
    if value is MISSING:
        return None
    if value is None:
        if nulls is not None:
            nulls.append(key)
        return None
    return expect_str(value, (*path, key))


# -- settings ------------------------------------------------------------------------

SETTINGS: Final[SettingsTable] = (
    ("model", "model", expect_str),
    ("max_output_tokens", "max_tokens", read_int),
    ("temperature", "temperature", read_number),
    ("top_p", "top_p", read_number),
    ("parallel_tool_calls", "parallel_tool_calls", expect_bool),
    ("stream", "stream", expect_bool),
)
"""The Responses API's settings, both directions; ``tool_choice`` and ``reasoning``
are read and written on their own, and the encoder clamps what the API limits."""
_CHOICE_MODES: Final = frozenset({"auto", "none", "required"})


def _settings(root: dict[str, Any], sm: SourceMap) -> dict[str, Any]:
    out, ints = read_settings(root, SETTINGS, sm)
    extra: dict[str, Any] | None = None
    choice = root.get("tool_choice", MISSING)
    if isinstance(choice, str) and choice in _CHOICE_MODES:
        out["tool_choice"] = {"mode": choice}
    elif isinstance(choice, dict) and _is_function_choice(cast("dict[str, Any]", choice)):
        out["tool_choice"] = {"mode": "tool", "name": choice["name"]}
    elif choice is not MISSING:  # another kind (allowed_tools, a hosted tool): kept whole
        if not isinstance(choice, str | dict):
            raise fail(("tool_choice",), f"expected a string or an object, got {type_name(choice)}")
        extra = {"tool_choice": choice}
        sm.add(("settings", "extensions", NAME, "extra", "tool_choice"), ("tool_choice",))
    if "tool_choice" in out:
        sm.add(("settings", "tool_choice"), ("tool_choice",))
    form: dict[str, Any] = {"int": ints} if ints else {}
    reasoning = responses_read(root.get("reasoning"))
    if reasoning is not None:  # a shape this version does not know stays in extra
        out["reasoning"] = reasoning.model_dump(exclude_none=True)
        if needs_form(root["reasoning"], lambda log: responses_write(reasoning, {}, log)):
            form["reasoning"] = root["reasoning"]
        sm.add(("settings", "reasoning"), ("reasoning",))
    ext = make_ext(NAME, form, extra)
    if ext:
        out["extensions"] = ext
    return out


def _is_function_choice(choice: dict[str, Any]) -> bool:
    return (
        len(choice) == 2
        and choice.get("type") == "function"
        and isinstance(choice.get("name"), str)
    )


# -- tools ---------------------------------------------------------------------------


def _tool(raw: Any, k: int, sm: SourceMap) -> dict[str, Any]:
    path: Path = ("tools", k)
    t = expect_obj(raw, path)
    kind = expect_str(required(t, "type", path), (*path, "type"))
    sm.add(path, path)
    if kind != "function":  # a hosted tool (web_search, file_search, mcp, custom, ...)
        name = t.get("name")
        rest = {key: v for key, v in t.items() if key != "type"}
        sm.add((*path, "extensions", NAME, "extra"), path)
        out: dict[str, Any] = {"kind": kind, "name": name if isinstance(name, str) else kind}
        return {**out, "extensions": {NAME: {"extra": rest}}}
    out = {"name": expect_str(required(t, "name", path), (*path, "name"))}
    form: dict[str, Any] = {}
    nulls: list[str] = []
    description = _opt_str(t, "description", path, nulls)
    if description is not None:
        out["description"] = description
    for key in ("parameters", "strict"):
        value = t.get(key, MISSING)
        if value is MISSING:
            form[key] = "absent"
        elif value is None:
            form[key] = "null"
        elif key == "parameters":
            out["parameters"] = expect_obj(value, (*path, key))
        else:
            out["strict"] = expect_bool(value, (*path, key))
    if nulls:
        form["null"] = nulls
    extra = _unknown(t, _TOOL_KEYS)
    if extra:
        sm.add((*path, "extensions", NAME, "extra"), path)
    ext = make_ext(NAME, form, extra)
    if ext:
        out["extensions"] = ext
    return out


# -- items ---------------------------------------------------------------------------


def _item_kind(item: dict[str, Any], path: Path) -> str:
    kind = item.get("type", MISSING)
    if kind is MISSING:
        if "role" in item:
            return "message"
        raise fail((*path, "type"), "missing required field", "give the item a type")
    return expect_str(kind, (*path, "type"))


class _Reader:
    """Decodes input items and content parts, recording source-map entries."""

    def __init__(self, sm: SourceMap, model: Any) -> None:
        self.sm = sm
        self.scope: dict[str, Any] = {"provider": PROVIDER}
        if isinstance(model, str):
            self.scope["model"] = model
        self.out: list[dict[str, Any]] = []
        self.group: list[dict[str, Any]] | None = None  # parts of the open group
        self.group_kind = ""  # "assistant" or "tool"

    def open(self, kind: str, src: Path) -> tuple[list[dict[str, Any]], Path]:
        """The parts list of the open group of ``kind`` (opening one if needed)."""
        if self.group is None or self.group_kind != kind:
            self.group = []
            self.group_kind = kind
            self.out.append({"role": kind, "parts": self.group})
            self.sm.add(("messages", len(self.out) - 1), src)
        return self.group, ("messages", len(self.out) - 1, "parts", len(self.group))

    def close(self) -> None:
        self.group = None

    def items(self, raw: list[Any]) -> list[dict[str, Any]]:
        for n, value in enumerate(raw):
            path: Path = ("input", n)
            item = expect_obj(value, path)
            kind = _item_kind(item, path)
            if kind == "message":
                self.message(item, path)
            elif kind == "function_call_output":
                parts, aif = self.open("tool", path)
                parts.append(self.output(item, path, aif))
            elif kind in _MODEL_SIDE:
                parts, aif = self.open("assistant", path)
                read = self.call if kind == "function_call" else self.reasoning
                parts.append(read(item, path, aif))
            else:  # an item AIF has no neutral form for, kept verbatim
                parts, aif = self.open("assistant", path)
                self.sm.add(aif, path)
                parts.append({"type": "provider", "format": NAME, "data": item})
        return self.out

    # -- message items -------------------------------------------------------------

    def message(self, item: dict[str, Any], path: Path) -> None:
        role = expect_str(required(item, "role", path), (*path, "role"))
        if role not in _ROLES:
            expected = "'user', 'assistant', 'system' or 'developer'"
            raise fail((*path, "role"), f"expected {expected}, got {role!r}")
        form: dict[str, Any] = {}
        if "type" in item:
            form["type"] = True
        content = required(item, "content", path)
        extra = _unknown(item, _MESSAGE_KEYS)
        if role != "assistant":
            self.close()
            i = len(self.out)
            self.sm.add(("messages", i), path)
            if extra:
                self.sm.add(("messages", i, "extensions", NAME, "extra"), path)
            parts = self.content(content, role, path, ("messages", i, "parts", 0), form)
            msg: dict[str, Any] = {"role": role, "parts": parts}
            ext = make_ext(NAME, form, extra)
            if ext:
                msg["extensions"] = ext
            self.out.append(msg)
            return
        if content == []:  # nothing to hang the item on: kept verbatim
            parts, aif = self.open("assistant", path)
            self.sm.add(aif, path)
            parts.append({"type": "provider", "format": NAME, "data": item})
            return
        group, aif = self.open("assistant", path)
        follows_message = bool(group) and _is_content(group[-1])
        parts = self.content(content, role, path, aif, form)
        first = _own(parts[0])
        if form:
            first.setdefault("form", {})["item"] = form
        if extra:
            first.setdefault("extra", {})["item"] = extra
            self.sm.add((*aif, "extensions", NAME, "extra", "item"), path)
        if follows_message:
            first.setdefault("form", {})["start"] = True
        if not first:
            del parts[0]["extensions"]
        group.extend(parts)

    def content(
        self, content: Any, role: str, path: Path, aif: Path, form: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The parts of a message item's content (a string or a list of content parts)."""
        cpath = (*path, "content")
        base, j0 = aif[:-1], cast("int", aif[-1])
        if isinstance(content, str):
            self.sm.add((*base, j0), cpath)
            return [{"type": "text", "text": content}]
        blocks = expect_list(content, cpath)
        parts: list[dict[str, Any]] = []
        for j, raw in enumerate(blocks):
            src = (*cpath, j)
            self.sm.add((*base, j0 + j), src)
            self.sm.add((*base, j0 + j, "extensions", NAME, "extra"), src)
            parts.append(self.part(expect_obj(raw, src), src, role))
        if not parts or (len(parts) == 1 and _plain(parts[0])):
            form["content"] = "list"
        return parts

    def part(self, p: dict[str, Any], src: Path, role: str) -> dict[str, Any]:
        kind = expect_str(required(p, "type", src), (*src, "type"))
        if kind == "input_text":
            text = expect_str(required(p, "text", src), (*src, "text"))
            form = {"kind": kind} if role == "assistant" else {}
            return _finish({"type": "text", "text": text}, p, _INPUT_TEXT_KEYS, form)
        if kind == "output_text":
            return self.output_text(p, src, role)
        if kind == "refusal":
            text = expect_str(required(p, "refusal", src), (*src, "refusal"))
            return _finish({"type": "refusal", "text": text}, p, _REFUSAL_KEYS, {})
        if kind == "input_image":
            return self.image(p, src)
        if kind == "input_file":
            return self.file(p, src)
        ext = {NAME: {"form": {"content": True}}}
        return {"type": "provider", "format": NAME, "data": p, "extensions": ext}

    def output_text(self, p: dict[str, Any], src: Path, role: str) -> dict[str, Any]:
        text = expect_str(required(p, "text", src), (*src, "text"))
        form: dict[str, Any] = {} if role == "assistant" else {"kind": "output_text"}
        extra: dict[str, Any] = {}
        annotations = p.get("annotations", MISSING)
        if annotations is MISSING:
            form["annotations"] = "absent"
        elif expect_list(annotations, (*src, "annotations")):
            extra["annotations"] = annotations
        return _finish({"type": "text", "text": text}, p, _OUTPUT_TEXT_KEYS, form, extra)

    def image(self, p: dict[str, Any], src: Path) -> dict[str, Any]:
        nulls: list[str] = []
        form: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        url = _opt_str(p, "image_url", src, nulls)
        file_id = _opt_str(p, "file_id", src, nulls)
        if url is not None:
            source = url_source(url)
            if file_id is not None:
                extra["file_id"] = file_id
        elif file_id is not None:
            source = {"kind": "file", "file_id": file_id, "provider": PROVIDER}
        else:
            raise fail(src, "an input_image needs an image_url or a file_id")
        part: dict[str, Any] = {"type": "image", "source": source}
        detail = p.get("detail", MISSING)
        if detail is MISSING:
            form["detail"] = "absent"
        elif isinstance(detail, str) and detail in DETAILS:
            part["detail"] = detail
        else:  # "original", null or a newer level: AIF has no such detail
            extra["detail"] = detail
        if nulls:
            form["null"] = nulls
        return _finish(part, p, _IMAGE_KEYS, form, extra)

    def file(self, p: dict[str, Any], src: Path) -> dict[str, Any]:
        nulls: list[str] = []
        form: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        data = _opt_str(p, "file_data", src, nulls)
        url = _opt_str(p, "file_url", src, nulls)
        file_id = _opt_str(p, "file_id", src, nulls)
        if data is not None:
            parsed = plain_data_url(data)
            if parsed is None:
                form["raw"] = True
                source: dict[str, Any] = {"kind": "base64", "data": data}
            else:
                source = {"kind": "base64", "media_type": parsed[0], "data": parsed[1]}
            others = {"file_url": url, "file_id": file_id}
        elif url is not None:
            source = {"kind": "url", "url": url}
            others = {"file_id": file_id}
        elif file_id is not None:
            source = {"kind": "file", "file_id": file_id, "provider": PROVIDER}
            others = {}
        else:
            raise fail(src, "an input_file needs file_data, a file_url or a file_id")
        extra.update({k: v for k, v in others.items() if v is not None})
        part: dict[str, Any] = {"type": "document", "source": source}
        filename = _opt_str(p, "filename", src, nulls)
        if filename is not None:
            part["filename"] = filename
        if nulls:
            form["null"] = nulls
        return _finish(part, p, _FILE_KEYS, form, extra)

    # -- model-side items -------------------------------------------------------------

    def call(self, item: dict[str, Any], src: Path, aif: Path) -> dict[str, Any]:
        self.sm.add(aif, src)
        call_id = expect_str(required(item, "call_id", src), (*src, "call_id"))
        self.sm.add((*aif, "id"), (*src, "call_id"))  # not the item's own id
        name = expect_str(required(item, "name", src), (*src, "name"))
        text = expect_str(required(item, "arguments", src), (*src, "arguments"))
        self.sm.add((*aif, "arguments"), (*src, "arguments"))
        arguments, raw_arguments, keep = parse_arguments(text)
        if ("NaN" in text or "Infinity" in text) and not _finite(arguments):
            arguments, raw_arguments, keep = None, text, False
        part: dict[str, Any] = {"type": "tool_call", "id": call_id, "name": name}
        if arguments is not None:
            part["arguments"] = arguments
        if raw_arguments is not None:
            part["raw_arguments"] = raw_arguments
        return self.item_extra(part, item, _CALL_KEYS, {"arguments": text} if keep else {}, aif)

    def reasoning(self, item: dict[str, Any], src: Path, aif: Path) -> dict[str, Any]:
        self.sm.add(aif, src)
        part: dict[str, Any] = {"type": "reasoning", "valid_for": self.scope}
        form: dict[str, Any] = {}
        nulls: list[str] = []
        part["signature"] = expect_str(required(item, "id", src), (*src, "id"))
        summary = expect_list(required(item, "summary", src), (*src, "summary"))
        texts: list[str] = []
        for k, raw in enumerate(summary):
            s = expect_obj(raw, (*src, "summary", k))
            texts.append(
                expect_str(required(s, "text", (*src, "summary", k)), (*src, "summary", k, "text"))
            )
        if texts:
            part["text"] = "\n\n".join(texts)
        if len(summary) != 1 or summary[0] != {"type": "summary_text", "text": texts[0]}:
            form["summary"] = summary
        encrypted = _opt_str(item, "encrypted_content", src, nulls)
        if encrypted is not None:
            part["redacted"] = encrypted
        if nulls:
            form["null"] = nulls
        return self.item_extra(part, item, _REASONING_KEYS, form, aif)

    def output(self, item: dict[str, Any], src: Path, aif: Path) -> dict[str, Any]:
        self.sm.add(aif, src)
        call_id = expect_str(required(item, "call_id", src), (*src, "call_id"))
        part: dict[str, Any] = {"type": "tool_result", "call_id": call_id}
        output = required(item, "output", src)
        opath = (*src, "output")
        form: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        if isinstance(output, str):
            part["content"] = [{"type": "text", "text": output}]
        else:
            items = expect_list(output, opath)
            content: list[dict[str, Any]] = []
            for k, raw in enumerate(items):
                p = expect_obj(raw, (*opath, k))
                read = self.part(p, (*opath, k), "tool")
                if p.get("type") in _RESULT_KINDS:
                    self.sm.add((*aif, "content", len(content)), (*opath, k))
                    content.append(read)
                else:  # AIF cannot hold it: the wire output is kept as is
                    extra["output"] = output
            part["content"] = content
            if not content or (len(content) == 1 and _plain(content[0])):
                form["output"] = "list"
        return self.item_extra(part, item, _OUTPUT_KEYS, form, aif, extra)

    def item_extra(
        self,
        part: dict[str, Any],
        item: dict[str, Any],
        known: frozenset[str],
        form: dict[str, Any],
        aif: Path,
        nested: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        extra = _unknown(item, known)
        if nested:
            extra = {**(extra or {}), **nested}
        if extra:
            self.sm.add((*aif, "extensions", NAME, "extra"), self.sm.translate(aif))
        ext = make_ext(NAME, form, extra)
        if ext:
            part["extensions"] = ext
        return part


_INPUT_TEXT_KEYS: Final = frozenset({"type", "text"})
_OUTPUT_TEXT_KEYS: Final = frozenset({"type", "text", "annotations"})
_REFUSAL_KEYS: Final = frozenset({"type", "refusal"})
_IMAGE_KEYS: Final = frozenset({"type", "image_url", "file_id", "detail"})
_FILE_KEYS: Final = frozenset({"type", "file_data", "file_url", "file_id", "filename"})
_RESULT_KINDS: Final = frozenset({"input_text", "input_image", "input_file"})


def _finish(
    part: dict[str, Any],
    p: dict[str, Any],
    known: frozenset[str],
    form: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    unknown = _unknown(p, known)
    if unknown:
        extra = {**unknown, **extra} if extra else unknown
    ext = make_ext(NAME, form, extra)
    if ext:
        part["extensions"] = ext
    return part


def _own(part: dict[str, Any]) -> dict[str, Any]:
    """This format's extensions namespace of a part dict (created if absent)."""
    ext = part.setdefault("extensions", {})
    return cast("dict[str, Any]", ext.setdefault(NAME, {}))


def _plain(part: dict[str, Any]) -> bool:
    return part["type"] == "text" and "extensions" not in part


def _is_content(part: dict[str, Any]) -> bool:
    """True for a part that came from a message item's content."""
    if part["type"] in ("text", "refusal"):
        return True
    if part["type"] != "provider":
        return False
    form = part.get("extensions", {}).get(NAME, {}).get("form", {})
    return bool(form.get("content"))


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, dict):
        return all(_finite(v) for v in cast("dict[str, Any]", value).values())
    if isinstance(value, list):
        return all(_finite(v) for v in cast("list[Any]", value))
    return True


def _unknown(obj: dict[str, Any], known: frozenset[str]) -> dict[str, Any] | None:
    return unknown_keys(obj, known) or None
