"""Reading an OpenAI Chat Completions request body into AIF.

Messages of the shapes agents send most are built as AIF models directly (with
`build`: the fast path has checked every value it reads); any other message is
built as plain dicts in AIF's JSON shape and validated by pydantic, a batch at a
time as they are decoded, and the rest of the document with it at the end. What AIF has no field for is kept under ``extensions["openai-chat"]``:
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

Speed (see ``benchmarks/convert.py``): the shapes agents send most (string
content, text and image parts, function tool calls, string tool results) take
fast paths that only check exact types and fall back to the general path for
anything else; both make the same models (tests/aif/test_schema.py). Two costs are paid only when needed:

* JSON: every value the decoder reads is type-checked as it goes; the values it
  keeps without reading (wire extras, provider blocks, tool parameters) are
  proved JSON at the end by one pass of the C serializer. Only when decoding
  fails is the whole body walked, so that a value that is not JSON is reported
  first and at its exact pointer, as if the body had been checked up front.
* Source map: instructions are the leading messages and messages the rest, in
  order, so a message's source is known without recording it; the entries inside
  one message are recorded when a path inside it is first translated, by decoding
  that message again on the general path (`_SourceMap`).
"""

from __future__ import annotations

import functools
import math
from typing import Any, Final, cast

from pydantic import TypeAdapter, ValidationError

from aifkit._json import type_name
from aifkit._limits import MAX_DEPTH, check_json, no_lone_surrogate
from aifkit.aif._codec import base64_problem
from aifkit.aif._loss import Path, SourceMap
from aifkit.aif._schema import (
    MAX_INLINE_CHARS,
    ImagePart,
    Message,
    TextPart,
    ToolCallPart,
    UrlSource,
    base64_image_part,
    build,
    document_adapter,
    message,
    text_part,
    tool_call_part,
    tool_result_part,
)
from aifkit.aif.converters._base import Decoded
from aifkit.aif.converters._common import (
    ensure_json,
    expect_bool,
    expect_list,
    expect_obj,
    expect_str,
    fail,
    is_json,
    parse_arguments,
    plain_data_url,
    read_int,
    read_number,
    required,
    url_source,
)
from aifkit.aif.converters._reasoning import chat_read
from aifkit.aif.converters._settings import SettingsTable, read_strings
from aifkit.aif.converters._wire import CHAT_FIELDS, MISSING
from aifkit.errors import InvalidInputError

__all__ = ["NAME", "SETTINGS", "decode_body"]


_SOURCE_FIELDS: Final[dict[str, tuple[Path, ...]]] = {
    **CHAT_FIELDS,
    "filename": (("file", "filename"),),
}
"""AIF fields this format spells otherwise, for loss pointers (`SourceMap.fields`)."""

NAME: Final = "openai-chat"

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
SETTINGS: Final[SettingsTable] = (
    ("model", "model", expect_str),
    ("max_completion_tokens", "max_tokens", read_int),
    ("max_tokens", "max_tokens", read_int),
    ("temperature", "temperature", read_number),
    ("top_p", "top_p", read_number),
    ("stop", "stop", read_strings),
    ("seed", "seed", read_int),
    ("stream", "stream", expect_bool),
    ("parallel_tool_calls", "parallel_tool_calls", expect_bool),
)
"""Chat Completions' settings, both directions, in the order they are written. Two
wire keys hold ``max_tokens`` (the legacy one is kept by a form hint); ``stop``
may also be one string; nulls are kept by a form hint. The decoder reads these on
its own fast path (`_Decoder.settings`), with the table's readers."""
_READERS: Final = {wire: read for wire, _, read in SETTINGS}
_SETTINGS_ORDER: Final = (*_READERS, "tool_choice")
_SETTINGS_KEYS = frozenset(_SETTINGS_ORDER)
_TOP_KEYS = _SETTINGS_KEYS | {"messages", "tools"}


def _nested(obj: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in known}


def decode_body(body: Any) -> Decoded:
    """Read a Chat Completions request body; see the module docstring for the mapping.

    The body is checked as `aifkit._limits.check_json` checks it, as it is read:
    a message of a common shape by the fast path, everything else by `check_json`
    (see `_decode`).

    Raises:
        InvalidInputError: the body is malformed, or holds what no body may (see
            `check_json`); the pointer names where.
    """
    try:
        return _decode(body)
    except Exception as exc:
        error = exc
    # What no body may hold, then a value that is not JSON, is the problem to report
    # at its pointer, as if the body had been checked up front.
    check_json(body)
    ensure_json(body)
    raise error


def _decode(body: Any) -> Decoded:
    root = expect_obj(body, ())
    raw_messages = expect_list(required(root, "messages", ()), ("messages",))
    # The limits (`check_json`) on all but the messages here; on a message as it is read.
    check_json({k: v for k, v in root.items() if k != "messages"})
    dec = _Decoder()
    doc: dict[str, Any] = {}
    instructions, messages, sm, unchecked = dec.messages(raw_messages)
    if instructions:
        doc["instructions"] = instructions
    doc["messages"] = messages
    extra = {k: v for k, v in root.items() if k not in _TOP_KEYS}
    if root.get("tools") is not None:
        doc["tools"] = [
            dec.tool(t, k, sm) for k, t in enumerate(expect_list(root["tools"], ("tools",)))
        ]
    elif "tools" in root:
        extra["tools"] = None
    settings = dec.settings(root, extra, sm)
    if settings:
        doc["settings"] = settings
    if extra:
        doc["extensions"] = dec.ext(None, extra)
        sm.add(("extensions", NAME, "extra"), ())
    if dec.kept and not is_json(dec.kept):
        raise fail((), "input was not a valid JSON value")  # decode_body finds where
    try:
        return Decoded(document_adapter().validate_python(doc), sm, unchecked=unchecked)
    except ValidationError as exc:
        raise _invalid(exc, (), sm) from None


@functools.cache
def _message_list() -> TypeAdapter[list[Message]]:
    return TypeAdapter(list[Message])


_BATCH: Final = 64
"""Messages validated at a time (see `_Decoder.messages`)."""


def _invalid(exc: ValidationError, prefix: Path, sm: SourceMap) -> InvalidInputError:
    """The error for a value AIF's types refuse (``prefix``: where the validated data is)."""
    err = exc.errors(include_url=False)[0]
    loc = err["loc"]
    if prefix:  # a batch of messages: prefix is ("messages", index of its first)
        loc = (prefix[0], cast("int", prefix[1]) + cast("int", loc[0]), *loc[1:])
    problem = err["msg"][:1].lower() + err["msg"][1:]
    return fail(sm.translate(_aif_path(loc)), problem)


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


# -- source map ----------------------------------------------------------------------


class _SourceMap(SourceMap):
    """A `SourceMap` that records a message's entries when a path in it is first translated.

    Instruction ``k`` is source message ``k`` and message ``i`` is source message
    ``lead + i``; the entries inside a message come from decoding it again on the
    general path, which records them.
    """

    __slots__ = ("_done", "_lead", "_raw")

    def __init__(self, raw: list[Any], lead: int) -> None:
        super().__init__(fields=_SOURCE_FIELDS)
        self._raw = raw
        self._lead = lead
        self._done: set[Path] = set()

    def translate(self, path: Path) -> Path:
        if len(path) > 1 and (path[0] == "messages" or path[0] == "instructions"):
            src = self._source(path)
            if src is not None:
                if len(path) == 2:  # the message itself (e.g. turns merged)
                    return ("messages", src)
                where = path[:2]
                if where not in self._done:
                    self._done.add(where)
                    _Decoder().record(self, where, ("messages", src), self._raw[src])
        return super().translate(path)

    def _source(self, path: Path) -> int | None:
        """The index in the source ``messages`` of the instruction or message ``path`` names."""
        i = path[1]
        if type(i) is not int or i < 0:
            return None
        if path[0] == "instructions":
            return i if i < self._lead else None
        src = self._lead + i
        return src if src < len(self._raw) else None


# -- messages ----------------------------------------------------------------------

_Mapping = list[tuple[Path, Path]]
"""(AIF path relative to an element, absolute source path) pairs for the `SourceMap`."""


class _Decoder:
    """Decodes messages, parts, tools and settings.

    ``kept`` collects the values kept without being read (they must be JSON);
    ``mapping`` collects the source entries of the message being decoded on the
    general path.
    """

    def __init__(self) -> None:
        self.kept: list[Any] = []
        self.mapping: _Mapping = []

    def ext(self, form: dict[str, Any] | None, extra: dict[str, Any] | None) -> dict[str, Any]:
        """An ``extensions`` value holding this format's ``form`` and ``extra``."""
        ns: dict[str, Any] = {}
        if form:
            ns["form"] = form
        if extra:
            ns["extra"] = extra
            self.kept.append(extra)
        return {NAME: ns}

    def provider(self, data: dict[str, Any]) -> dict[str, Any]:
        """A provider part keeping ``data`` (a block AIF has no neutral form for) as is."""
        self.kept.append(data)
        return {"type": "provider", "format": NAME, "data": data}

    def messages(
        self, raw: list[Any]
    ) -> tuple[list[dict[str, Any]], list[Message], _SourceMap, list[int]]:
        """Decode the ``messages`` array: (instructions, validated messages, source map).

        Messages are validated a batch at a time as they are decoded, so that the
        dicts pydantic reads are freed while still in the CPU cache; on long
        conversations that is faster than building them all first. Instructions
        are validated with the document. The fast path checks the inline data
        of the messages it builds; the last list holds the indices of the others
        (`Decoded.unchecked`).
        """
        instructions: list[dict[str, Any]] = []
        batch: list[dict[str, Any] | Message] = []
        items = enumerate(raw)
        for src, item in items:  # the leading system and developer texts are instructions
            out = self.message(_checked(item, src), ("messages", src))
            self.mapping = []  # recorded on demand (`_SourceMap`)
            role = out["role"]
            if (role == "system" or role == "developer") and all(
                p["type"] == "text" for p in out["parts"]
            ):
                instructions.append(out)
            else:
                batch.append(out)
                break
        unchecked = [0] if batch else []
        sm = _SourceMap(raw, len(instructions))
        messages: list[Message] = []
        fast = self._fast
        for src, item in items:  # the rest (the same iterator)
            msg = fast(item) if item.__class__ is dict else None
            if msg is None:
                unchecked.append(len(messages) + len(batch))
                batch.append(self.message(_checked(item, src), ("messages", src)))
                self.mapping = []  # recorded on demand (`_SourceMap`)
            else:
                batch.append(msg)
            if len(batch) == _BATCH:
                messages += self._validate(batch, len(messages), sm)
                batch = []
        if batch:
            messages += self._validate(batch, len(messages), sm)
        return instructions, messages, sm, unchecked

    def _validate(
        self, batch: list[dict[str, Any] | Message], first: int, sm: SourceMap
    ) -> list[Message]:
        try:
            return _message_list().validate_python(batch)
        except ValidationError as exc:
            raise _invalid(exc, ("messages", first), sm) from None

    def _fast(self, m: dict[str, Any]) -> Message | None:
        """Decode a message of a common shape; None for any other (the general path's).

        A message it takes holds only known keys, strings it checks for lone
        surrogates, and None: nothing else `check_json` could refuse.
        """
        role = m.get("role")
        content = m.get("content", MISSING)
        size = len(m)
        if content.__class__ is str:
            if not no_lone_surrogate(content):
                return None
            if size == 2:
                if role.__class__ is str and role in _PLAIN_ROLES:
                    return message(role, (text_part(content),))
                return None
            if size != 3:
                return None
            if role == "tool":
                call_id = m.get("tool_call_id")
                if call_id.__class__ is not str or not no_lone_surrogate(cast("str", call_id)):
                    return None
                result = tool_result_part(cast("str", call_id), (text_part(content),))
                return message("tool", (result,))
            if role == "assistant":
                calls = _fast_calls(m.get("tool_calls"))
                if calls is None:
                    return None
                return message(role, (text_part(content), *calls))
            return None
        if content is None:
            if size == 3 and role == "assistant":
                calls = _fast_calls(m.get("tool_calls"))
                return None if calls is None else message(role, tuple(calls))
            return None
        if content.__class__ is list and size == 2 and role.__class__ is str:
            if role not in _PLAIN_ROLES:
                return None
            parts = _fast_parts(content)
            if parts is None:
                return None
            ext = {NAME: {"form": {"content": "parts"}}}
            return message(role, parts, ext)
        return None

    # -- the general path ------------------------------------------------------------

    def message(self, item: Any, path: Path) -> dict[str, Any]:
        """Decode any message (recording source entries in ``mapping``)."""
        m = expect_obj(item, path)
        role = expect_str(required(m, "role", path), (*path, "role"))
        if role not in _ROLES:
            raise fail(
                (*path, "role"),
                f"unknown role {role!r}",
                hint="use system, developer, user, assistant or tool",
            )
        return self._tool(m, path) if role == "tool" else self._message(m, role, path)

    def record(self, sm: SourceMap, where: Path, path: Path, item: Any) -> None:
        """Record in ``sm`` where the element at ``where`` and its insides came from."""
        m = cast("dict[str, Any]", item)
        out = self.message(m, path)
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
        for aif, src in self.mapping:
            sm.add((*where, *aif), src)
        self.mapping = []

    def _content(self, m: dict[str, Any], path: Path) -> tuple[Any, list[dict[str, Any]]]:
        content: Any = m.get("content", MISSING)
        if isinstance(content, str):
            return content, [{"type": "text", "text": content}]
        if isinstance(content, list):
            items = cast("list[Any]", content)
            parts: list[dict[str, Any]] = []
            for j, raw in enumerate(items):
                part, mapping = self.part(raw, (*path, "content", j))
                if mapping:
                    self.mapping.extend((("parts", j, *aif), src) for aif, src in mapping)
                parts.append(part)
            return items, parts
        if content is None or content is MISSING:
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
        elif content is MISSING:
            form["content"] = "absent"
        elif content is None and not null_default:
            form["content"] = "null"
        if nulls:
            form["null"] = nulls
        extra = None
        if len(m) != 2 or content is MISSING:
            known = _MESSAGE_KEYS[role]
            extra = {k: v for k, v in m.items() if k not in known}
        if form or extra:
            out["extensions"] = self.ext(form, extra)
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
                {"type": "refusal", "text": text, "extensions": self.ext({"field": True}, None)}
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
            parts.append(self._tool_call(call, cpath))
        return bool(calls) or refusal is not None

    def _tool(self, m: dict[str, Any], path: Path) -> dict[str, Any]:
        call_id = expect_str(required(m, "tool_call_id", path), (*path, "tool_call_id"))
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
        elif content is MISSING:
            form["content"] = "absent"
        out: dict[str, Any] = {
            "role": "tool",
            "parts": [{"type": "tool_result", "call_id": call_id, "content": parts}],
        }
        extra = None
        if len(m) != 3 or content is MISSING:
            extra = {k: v for k, v in m.items() if k not in _MESSAGE_KEYS["tool"]}
        if form or extra:
            out["extensions"] = self.ext(form, extra)
        return out

    # -- content parts ---------------------------------------------------------------

    def part(self, raw: Any, path: Path) -> tuple[dict[str, Any], _Mapping]:
        p = expect_obj(raw, path)
        kind = p.get("type")
        if isinstance(kind, str):
            if kind == "text":
                return self._text_part(p, path)
            if kind == "image_url":
                return self._image_part(p, path)
            if kind == "input_audio":
                return self._audio_part(p, path)
            if kind == "file":
                return self._file_part(p, path)
            if kind == "refusal":
                return self._refusal_part(p, path)
        return self.provider(p), []

    def _with_extra(
        self,
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
        part["extensions"] = self.ext(None, extra)
        return [(("extensions", NAME, "extra"), path)]

    def _text_part(self, p: dict[str, Any], path: Path) -> tuple[dict[str, Any], _Mapping]:
        part: dict[str, Any] = {
            "type": "text",
            "text": expect_str(required(p, "text", path), (*path, "text")),
        }
        if len(p) == 2:
            return part, []
        return part, self._with_extra(part, p, _TEXT_KEYS, path)

    def _refusal_part(self, p: dict[str, Any], path: Path) -> tuple[dict[str, Any], _Mapping]:
        text = expect_str(required(p, "refusal", path), (*path, "refusal"))
        part: dict[str, Any] = {"type": "refusal", "text": text}
        extra = self._with_extra(part, p, _REFUSAL_KEYS, path)
        return part, [(("text",), (*path, "refusal")), *extra]

    def _image_part(self, p: dict[str, Any], path: Path) -> tuple[dict[str, Any], _Mapping]:
        ipath = (*path, "image_url")
        image = expect_obj(required(p, "image_url", path), ipath)
        url = expect_str(required(image, "url", ipath), (*ipath, "url"))
        part: dict[str, Any] = {"type": "image", "source": url_source(url)}
        mapping: _Mapping = []
        nested = _nested(image, _IMAGE_URL_KEYS) if len(image) > 1 else {}
        detail = image.get("detail", MISSING)
        if isinstance(detail, str) and detail in _DETAILS:
            part["detail"] = detail
            mapping.append((("detail",), (*ipath, "detail")))
        elif detail is not MISSING:
            nested["detail"] = detail  # e.g. "original": AIF has no such detail level
        return part, mapping + self._with_extra(part, p, _IMAGE_KEYS, path, ("image_url", nested))

    def _audio_part(self, p: dict[str, Any], path: Path) -> tuple[dict[str, Any], _Mapping]:
        apath = (*path, "input_audio")
        audio = expect_obj(required(p, "input_audio", path), apath)
        data = expect_str(required(audio, "data", apath), (*apath, "data"))
        fmt = expect_str(required(audio, "format", apath), (*apath, "format"))
        part: dict[str, Any] = {
            "type": "audio",
            "source": {"kind": "base64", "media_type": f"audio/{fmt}", "data": data},
            "format": fmt,
        }
        nested = _nested(audio, _INPUT_AUDIO_KEYS) if len(audio) > 2 else {}
        mapping: _Mapping = [(("format",), (*apath, "format"))]
        return part, mapping + self._with_extra(part, p, _AUDIO_KEYS, path, ("input_audio", nested))

    def _file_part(self, p: dict[str, Any], path: Path) -> tuple[dict[str, Any], _Mapping]:
        fpath = (*path, "file")
        file = expect_obj(required(p, "file", path), fpath)
        nested = _nested(file, _FILE_FILE_KEYS)
        data, file_id = file.get("file_data"), file.get("file_id")
        if data is not None:
            data = expect_str(data, (*fpath, "file_data"))
            parsed = plain_data_url(data)
            if parsed is not None:
                source: dict[str, Any] = {
                    "kind": "base64",
                    "media_type": parsed[0],
                    "data": parsed[1],
                }
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
            return self.provider(p), []
        part: dict[str, Any] = {"type": "document", "source": source}
        filename = file.get("filename")
        if filename is not None:
            part["filename"] = expect_str(filename, (*fpath, "filename"))
            mapping.append((("filename",), (*fpath, "filename")))
        elif "filename" in file:
            nested["filename"] = None
        return part, mapping + self._with_extra(part, p, _FILE_KEYS, path, ("file", nested))

    # -- tool calls and tools --------------------------------------------------------

    def _tool_call(self, raw: Any, path: Path) -> dict[str, Any]:
        call = expect_obj(raw, path)
        kind = expect_str(required(call, "type", path), (*path, "type"))
        call_id = expect_str(required(call, "id", path), (*path, "id"))
        if kind != "function":
            part = self.provider(call)
            part["extensions"] = self.ext({"tool_call": True}, None)
            return part
        fpath = (*path, "function")
        fn = expect_obj(required(call, "function", path), fpath)
        name = expect_str(required(fn, "name", fpath), (*fpath, "name"))
        text = expect_str(required(fn, "arguments", fpath), (*fpath, "arguments"))
        part = _call_part(call_id, name, text)
        extra = _nested(call, _CALL_KEYS) if len(call) > 3 else {}
        if len(fn) > 2:
            extra["function"] = _nested(fn, _FUNCTION_CALL_KEYS)
        if extra:
            ext = part.get("extensions")
            form = ext[NAME]["form"] if ext is not None else None
            part["extensions"] = self.ext(form, extra)
        return part

    def tool(self, raw: Any, k: int, sm: SourceMap) -> dict[str, Any]:
        """Decode tool ``k`` of the ``tools`` array."""
        path: Path = ("tools", k)
        tool = expect_obj(raw, path)
        kind = expect_str(required(tool, "type", path), (*path, "type"))
        if kind != "function":
            spec = tool.get(kind)
            name = cast("dict[str, Any]", spec).get("name") if isinstance(spec, dict) else None
            extra = {key: v for key, v in tool.items() if key != "type"}
            sm.add((*path, "extensions", NAME, "extra"), path)
            self.kept.append(extra)
            return {
                "kind": kind,
                "name": name if isinstance(name, str) else kind,
                "extensions": {NAME: {"extra": extra}},  # the definition, even when empty
            }
        fpath = (*path, "function")
        fn = expect_obj(required(tool, "function", path), fpath)
        out: dict[str, Any] = {"name": expect_str(required(fn, "name", fpath), (*fpath, "name"))}
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
        if "parameters" in out:
            self.kept.append(out["parameters"])
        extra = _nested(tool, _TOOL_KEYS)
        if nested:
            extra["function"] = nested
        if extra:
            out["extensions"] = self.ext(None, extra)
            sm.add((*path, "extensions", NAME, "extra"), path)
        return out

    # -- settings --------------------------------------------------------------------

    def settings(
        self, root: dict[str, Any], extra: dict[str, Any], sm: SourceMap
    ) -> dict[str, Any]:
        """Decode the settings, adding the wire fields kept as they are to ``extra``."""
        out: dict[str, Any] = {}
        form: dict[str, Any] = {}
        nulls: list[str] = []
        ints: list[str] = []
        for key in _SETTINGS_ORDER:  # in table order: a set's order varies with the hash seed
            value = root.get(key, MISSING)
            if value is MISSING:
                continue
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
                out[aif_key] = _READERS[key](value, (key,))
                if key in ("temperature", "top_p") and not isinstance(value, float):
                    ints.append(key)
        reasoning = chat_read(extra.get("reasoning_effort"))
        if reasoning is not None:  # an effort this version does not know stays in extra
            del extra["reasoning_effort"]
            out["reasoning"] = reasoning.model_dump(exclude_none=True)
            sm.add(("settings", "reasoning"), ("reasoning_effort",))
        if nulls:
            form["null"] = sorted(nulls)
        if ints:
            form["int"] = sorted(ints)
        if form:
            out["extensions"] = self.ext(form, None)
        return out


_RESULT_TYPES = frozenset({"text", "image", "document"})
_CALL_FIELDS = (("name", "name"), ("arguments", "arguments"), ("raw_arguments", "arguments"))
_TEXT_KEYS = frozenset({"type", "text"})
_REFUSAL_KEYS = frozenset({"type", "refusal"})
_IMAGE_KEYS = frozenset({"type", "image_url"})
_IMAGE_URL_KEYS = frozenset({"url", "detail"})
_AUDIO_KEYS = frozenset({"type", "input_audio"})
_INPUT_AUDIO_KEYS = frozenset({"data", "format"})
_FILE_KEYS = frozenset({"type", "file"})
_FILE_FILE_KEYS = frozenset({"file_data", "file_id", "filename"})
_CALL_KEYS = frozenset({"id", "type", "function"})
_FUNCTION_CALL_KEYS = frozenset({"name", "arguments"})
_TOOL_KEYS = frozenset({"type", "function"})
_FUNCTION_KEYS = frozenset({"name", "description", "parameters", "strict"})


def _fast_calls(calls: Any) -> list[ToolCallPart] | None:
    """Function tool calls of the common shape as parts; None for anything else."""
    if calls.__class__ is not list or not calls:
        return None
    parts: list[ToolCallPart] = []
    for call in calls:
        if call.__class__ is not dict or len(call) != 3:
            return None
        fn = call.get("function")
        call_id = call.get("id")
        if call.get("type") != "function" or fn.__class__ is not dict or len(fn) != 2:
            return None
        name = fn.get("name")
        text = fn.get("arguments")
        if call_id.__class__ is not str or name.__class__ is not str:
            return None
        if text.__class__ is not str or not (
            no_lone_surrogate(call_id) and no_lone_surrogate(name) and no_lone_surrogate(text)
        ):
            return None
        parts.append(_fast_call(call_id, name, text))
    return parts


def _fast_parts(items: list[Any]) -> tuple[TextPart | ImagePart, ...] | None:
    """Plain text and image-URL parts as AIF parts; None when there is any other kind."""
    parts: list[TextPart | ImagePart] = []
    for p in items:
        if p.__class__ is not dict or len(p) != 2:
            return None
        kind = p.get("type")
        if kind == "text":
            text = p.get("text")
            if text.__class__ is not str or not no_lone_surrogate(text):
                return None
            parts.append(text_part(text))
        elif kind == "image_url":
            image = p.get("image_url")
            if image.__class__ is not dict or len(image) != 1:
                return None
            url = image.get("url")
            if url.__class__ is not str or not no_lone_surrogate(url):
                return None
            source = url_source(url)
            if source["kind"] == "url":
                parts.append(build(ImagePart, type="image", source=build(UrlSource, **source)))
            elif len(data := source["data"]) <= MAX_INLINE_CHARS and base64_problem(data) is None:
                parts.append(base64_image_part(source["media_type"], data))
            else:  # the general path builds it, and validation or the check reports it
                return None
        else:
            return None
    return tuple(parts)


def _checked(message: Any, src: int) -> Any:
    """``message`` (source message ``src``), once `check_json` passes it."""
    check_json(message, at=("messages", src), max_depth=MAX_DEPTH - 2)
    return message


def _call_part(call_id: str, name: str, text: str) -> dict[str, Any]:
    """A function call's part (with the exact arguments text when it is not canonical)."""
    arguments, raw_arguments, keep = parse_arguments(text)
    if ("NaN" in text or "Infinity" in text) and not _finite(arguments):
        # Python's parser takes NaN and Infinity; JSON (and AIF's JSON form) does not.
        arguments, raw_arguments, keep = None, text, False
    part: dict[str, Any] = {"type": "tool_call", "id": call_id, "name": name}
    if arguments is not None:
        part["arguments"] = arguments
    if raw_arguments is not None:
        part["raw_arguments"] = raw_arguments
    if keep:
        part["extensions"] = {NAME: {"form": {"arguments": text}}}
    return part


def _fast_call(call_id: str, name: str, text: str) -> ToolCallPart:
    """`_call_part` made as the model, for `_fast_calls`."""
    arguments, raw_arguments, keep = parse_arguments(text)
    if ("NaN" in text or "Infinity" in text) and not _finite(arguments):
        return tool_call_part(call_id, name, None, text)
    ext = {NAME: {"form": {"arguments": text}}} if keep else None
    return tool_call_part(call_id, name, arguments, raw_arguments, ext)


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_finite(v) for v in cast("list[Any]", value))
    if isinstance(value, dict):
        return all(_finite(v) for v in cast("dict[str, Any]", value).values())
    return True


# -- settings ------------------------------------------------------------------------


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
