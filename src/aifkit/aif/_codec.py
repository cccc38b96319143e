"""Reading and writing AIF documents as JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, cast

from pydantic import BaseModel, ValidationError

from aifkit._json import format_pointer, type_name
from aifkit._limits import MAX_INT_DIGITS, check_json, loads
from aifkit.aif._loss import Path
from aifkit.aif._migrate import parse_version, upgrade
from aifkit.aif._schema import (
    AIF_VERSION,
    MAX_INLINE_CHARS,
    AudioPart,
    Base64Source,
    Document,
    DocumentPart,
    ImagePart,
    Instruction,
    Message,
    ToolResultPart,
    document_adapter,
)
from aifkit.errors import InvalidInputError

__all__ = [
    "MAX_INPUT_BYTES",
    "base64_problem",
    "check_inline_data",
    "dump_document",
    "load_document",
    "parse_json",
]


MAX_INPUT_BYTES = 256 * 1024 * 1024
"""The largest JSON text `parse_json` reads (256 MiB); larger input is refused unread."""


def parse_json(text: str | bytes, *, max_bytes: int = MAX_INPUT_BYTES) -> Any:
    """Parse JSON text, turning every way it can be unfit into an `InvalidInputError`.

    Hostile input fails early and in bounded memory: text over ``max_bytes`` is
    refused before parsing; bytes that are not UTF-8, nesting too deep for the
    parser, and integers too long for Python are errors, not crashes; and the value
    is checked with `aifkit._limits.check_json` (nesting, lone surrogates, NaN and
    Infinity), with a pointer to the place.

    Examples:
        >>> parse_json(b'{"messages": []}')
        {'messages': []}
        >>> parse_json('{"temperature": NaN}')
        Traceback (most recent call last):
        ...
        aifkit.errors.InvalidInputError: /temperature: NaN is not a JSON number; ...
    """
    if len(text) > max_bytes:
        raise _too_big(max_bytes)
    try:
        return loads(text)
    except InvalidInputError:
        raise
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            "",
            f"not UTF-8 text ({exc.reason} at byte {exc.start:,})",
            hint="save the input as UTF-8",
        ) from None
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            "",
            f"not valid JSON at line {exc.lineno}, column {exc.colno}",
            hint="pass a JSON request body or AIF document",
        ) from None
    except ValueError:  # Python refuses to read an integer this long
        raise InvalidInputError(
            "",
            f"not valid JSON{_long_number(text)}: a number has more than {MAX_INT_DIGITS:,} digits",
            hint="send a number this long as a string",
        ) from None


def _too_big(max_bytes: int) -> InvalidInputError:
    return InvalidInputError(
        "",
        f"input is over the limit of {max_bytes:,} bytes",
        hint="split the conversation, or raise the limit (max_bytes) if you trust the source",
    )


def _long_number(text: str | bytes) -> str:
    # Where the number is: the parser does not say (one pass of a C regex, on failure only).
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    found = _LONG_NUMBER.search(text)
    if found is None:
        return ""
    start = found.start()
    line = text.count("\n", 0, start) + 1
    return f" at line {line}, column {start - text.rfind(chr(10), 0, start)}"


_LONG_NUMBER = re.compile(rf"\d{{{MAX_INT_DIGITS + 1}}}")


def load_document(data: Any) -> Document:
    """Validate an AIF document given as parsed JSON (upgrading older versions).

    Unknown fields are an error in documents of this or an older version (they are
    most likely typos) and are kept in documents from a newer minor version.

    Raises:
        InvalidInputError: the document is malformed; the pointer says where.
        UnsupportedVersionError: the document is from a newer major version.

    Examples:
        >>> doc = load_document({"messages": [{"role": "user", "parts": [{"type": "text", "text": "hi"}]}]})
        >>> doc.messages[0].parts[0].text
        'hi'
    """
    if isinstance(data, Document):
        return data
    if not isinstance(data, dict):
        raise InvalidInputError("", f"expected an AIF document object, got {type_name(data)}")
    check_json(data)
    data = upgrade(data)  # pyright: ignore[reportUnknownArgumentType]
    try:
        doc = document_adapter().validate_python(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        pointer = format_pointer(_clean_loc(err["loc"]))
        if err["type"] == "string_too_long":
            size = len(err.get("input") or "")
            raise InvalidInputError(
                pointer,
                f"inline data is {size:,} characters, over the limit of {MAX_INLINE_CHARS:,}",
                hint="send media this large by URL or provider file id",
            ) from None
        raise InvalidInputError(
            pointer,
            _problem(err["type"], err["msg"], err.get("input")),
            hint="see `aif schema` for the AIF document schema",
        ) from None
    newer = parse_version(doc.aif_version)[:2] > parse_version(AIF_VERSION)[:2]
    for pointer, problem, hint in _problems(doc, (), newer):
        raise InvalidInputError(pointer, problem, hint=hint)
    check_inline_data(doc, lambda path: (*path, "source", "data"))
    return doc


def base64_problem(data: str) -> str | None:
    """Say why ``data`` is not base64 (RFC 4648), or return None when it is.

    Both alphabets are read: the standard one and the URL-safe one (``-_``), which
    Google's JSON APIs also accept; padding may be left out. One pass of a C regex.

    Examples:
        >>> base64_problem("iVBORw0KGgo="), base64_problem("a-_b"), base64_problem("")
        (None, None, None)
        >>> base64_problem("cat.png")
        "'.' at character 3"
        >>> base64_problem("A")
        'a length of 1 is not whole bytes'
    """
    match = _BASE64.fullmatch(data)
    if match is None:
        bad = _NOT_BASE64.search(data)
        where = bad.start() if bad else data.find("=")
        if where < 0:
            return "it mixes the standard (+/) and URL-safe (-_) alphabets"
        return f"{data[where]!a} at character {where:,}"
    padding = len(match.group(1) or match.group(2) or "")
    if (len(data) - padding) % 4 == 1 or (padding and len(data) % 4):
        return f"a length of {len(data):,} is not whole bytes"
    return None


_MEDIA = (ImagePart, DocumentPart, AudioPart)
_BASE64 = re.compile(r"[A-Za-z0-9+/]*(={0,2})|[A-Za-z0-9_-]*(={0,2})")
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/=_-]")


def check_inline_data(
    document: Document,
    locate: Callable[[Path], Path] = tuple,
    *,
    messages: Sequence[int] | None = None,
) -> None:
    """Check that the inline (base64) data of every part of ``document`` is base64.

    Runs once per read document, at decode time; ``locate`` turns the AIF path of a
    part into the pointer the error names (a decoder's source map). ``messages``
    (indices, in order) limits the check to those messages and the instructions:
    the decoder checked the others itself (`Decoded.unchecked`).

    Raises:
        InvalidInputError: a part's data is not base64; the pointer names the part.
    """
    _check_items("instructions", document.instructions, range(len(document.instructions)), locate)
    every = range(len(document.messages))
    _check_items("messages", document.messages, every if messages is None else messages, locate)


def _check_items(
    name: str,
    items: Sequence[Instruction | Message],
    which: Iterable[int],
    locate: Callable[[Path], Path],
) -> None:
    for i in which:
        for j, part in enumerate(items[i].parts):
            kind = part.__class__
            if kind in _MEDIA or kind is ToolResultPart:  # the path only for these
                _check_part(part, (name, i, "parts", j), locate)


def _check_part(part: Any, at: Path, locate: Callable[[Path], Path]) -> None:
    kind = cast("type[object]", type(part))
    if kind in _MEDIA and type(source := part.source) is Base64Source:
        problem = base64_problem(source.data)
        if problem is not None:
            raise InvalidInputError(
                format_pointer(locate(at)),
                f"inline data is not base64 ({problem})",
                hint="send the bytes base64-encoded (RFC 4648), or by URL",
            )
    elif kind is ToolResultPart:
        for k, inner in enumerate(part.content):
            _check_part(inner, (*at, "content", k), locate)


def dump_document(doc: Document) -> dict[str, Any]:
    """Return a document as JSON-ready data (fields left at their defaults are omitted).

    Examples:
        >>> from aifkit.aif import Document, Message, TextPart
        >>> dump_document(Document(messages=(Message(role="user", parts=(TextPart(text="hi"),)),)))
        {'aif_version': '1.1.0', 'messages': [{'role': 'user', 'parts': [{'type': 'text', 'text': 'hi'}]}]}
    """
    return doc.model_dump(mode="json", by_alias=True)


_EXPECTED = {
    "tuple_type": "an array",
    "list_type": "an array",
    "string_type": "a string",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "bool_type": "a boolean",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
}


def _problem(kind: str, msg: str, value: object) -> str:
    if kind == "missing":
        return "missing required field"
    expected = _EXPECTED.get(kind)
    if expected is not None:
        return f"expected {expected}, got {type_name(value)}"
    return msg[:1].lower() + msg[1:]


def _clean_loc(loc: tuple[int | str, ...]) -> Path:
    # Pydantic puts the tag of a discriminated union into the location
    # ("parts", 0, "text", "text"); drop tags so the pointer matches the document.
    out: list[str | int] = []
    for i, item in enumerate(loc):
        prev = loc[i - 1] if i else None
        is_tag = isinstance(item, str) and item in _TAGS and i + 1 < len(loc)
        if is_tag and (isinstance(prev, int) or prev == "source"):
            continue
        if isinstance(item, str) and item.startswith("function-"):
            continue
        out.append(item)
    return tuple(out)


_TAGS = frozenset(
    {
        "text",
        "image",
        "document",
        "audio",
        "tool_call",
        "tool_result",
        "reasoning",
        "refusal",
        "provider",
        "base64",
        "url",
        "file",
    }
)


def _problems(model: BaseModel, path: Path, newer: bool) -> Iterator[tuple[str, str, str]]:
    """What validation leaves to us: unknown fields (in documents of this version or
    older, where they are typos) and the shape of ``extensions``, which is not
    validated field by field for speed."""
    if model.model_extra and not newer:
        for key in model.model_extra:
            yield (
                format_pointer((*path, key)),
                "unknown field",
                "AIF keeps vendor data under `extensions`; check the spelling",
            )
    for name in type(model).model_fields:
        value = getattr(model, name)
        if name == "extensions":
            yield from _extension_problems(value, (*path, name))
        elif isinstance(value, BaseModel):
            yield from _problems(value, (*path, name), newer)
        elif isinstance(value, tuple):
            for i, item in enumerate(value):  # pyright: ignore[reportUnknownArgumentType,reportUnknownVariableType]
                if isinstance(item, BaseModel):
                    yield from _problems(item, (*path, name, i), newer)


def _extension_problems(value: object, path: Path) -> Iterator[tuple[str, str, str]]:
    hint = 'extensions map a namespace to an object, e.g. {"openai-chat": {"extra": {...}}}'
    if not isinstance(value, dict):
        yield format_pointer(path), f"expected an object, got {type_name(value)}", hint
        return
    for ns, data in cast("dict[object, object]", value).items():
        if not isinstance(data, dict):
            yield (
                format_pointer((*path, str(ns))),
                f"expected an object, got {type_name(data)}",
                hint,
            )
