"""What aifkit refuses at the edge: JSON values it could not carry safely.

Every public entry point that takes a body or document from outside (``convert``,
``decode``, ``validate``, ``count_tokens``, ``pack``, ``compress``, ``assemble``,
the command line's reader) checks it once with `check_json`, before any other
work. The check is one iterative pass (no recursion, each value visited once) and
refuses, with a JSON pointer to the place and a hint:

* nesting deeper than `MAX_DEPTH` levels (deeper values crash recursive code:
  pydantic refuses to serialize past about 250 levels, Python past about 1,000);
* strings or keys holding a lone surrogate (``"\\ud800"``): UTF-8 cannot encode
  them, so no body holding one can be sent or written;
* NaN and Infinity: JSON has no such numbers and no provider accepts them;
* integers of more than 4,300 digits, which Python can neither read from JSON
  nor write back (`sys.int_info.default_max_str_digits`).
"""

from __future__ import annotations

import itertools
import json
import math
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from aifkit._json import format_pointer, quote
from aifkit.errors import InvalidInputError

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = [
    "MAX_DEPTH",
    "MAX_INT_DIGITS",
    "check_document",
    "check_json",
    "loads",
    "no_lone_surrogate",
]

MAX_DEPTH = 128
"""The deepest nesting of objects and arrays aifkit reads (the body itself is level 1).

Real request bodies stay far below it: the deepest part of one is usually a
tool's JSON Schema, a few levels deep. serde_json, which many providers' SDKs
parse with, stops at the same depth.
"""

MAX_INT_DIGITS: int = sys.int_info.default_max_str_digits
"""The most digits of an integer aifkit reads (4,300, Python's own limit for JSON)."""

_DOCUMENT_LEVELS = 16  # the most levels a document's models add above a JSON value
_INT_BOUND = 10**MAX_INT_DIGITS
_SURROGATE = re.compile("[\ud800-\udfff]")

_HINT_DEPTH = (
    f"aifkit reads JSON nested at most {MAX_DEPTH} levels deep; no request body needs more"
)
_HINT_SURROGATE = (
    "a \\ud800-\\udfff escape must be half of a surrogate pair; "
    "fix the text where it was written (it cannot be sent as UTF-8)"
)
_HINT_NUMBER = "JSON has no NaN or Infinity and no provider accepts them: send a finite number"
_HINT_INT = "send a number this long as a string"


def check_json(value: Any, *, at: Sequence[str | int] = (), max_depth: int = MAX_DEPTH) -> int:
    """Check that ``value`` is JSON aifkit can carry; return how many values were checked.

    One iterative pass: every value is visited once and strings are searched in C,
    so the work is linear in the size of ``value`` whatever its shape. Values that
    are not JSON types (a pydantic model, a ``bytes``) are left to the reader that
    expects them to name.

    Args:
        value: Parsed JSON (dicts, lists or tuples, strings, numbers, booleans, None).
        at: Where ``value`` sits, as a path the pointers in errors start with.
        max_depth: The deepest nesting allowed (``value`` itself is level 1).

    Raises:
        InvalidInputError: nesting deeper than ``max_depth``, a lone surrogate, NaN
            or Infinity, or an integer of more than `MAX_INT_DIGITS` digits; the
            pointer says where.

    Examples:
        >>> check_json({"messages": [{"role": "user", "content": "hi"}]})
        5
        >>> check_json({"temperature": float("nan")})
        Traceback (most recent call last):
        ...
        aifkit.errors.InvalidInputError: /temperature: NaN is not a JSON number; ...
    """
    return _walk(value, list(at), max_depth, _children)


def no_lone_surrogate(text: str) -> bool:
    """Whether `check_json` passes the string ``text`` (it holds no lone surrogate).

    For readers that check the strings they read themselves instead of walking the
    body first.

    Examples:
        >>> no_lone_surrogate("héllo"), no_lone_surrogate("\\ud800")
        (True, False)
    """
    return text.isascii() or _SURROGATE.search(text) is None


def _walk(
    value: object,
    path: list[str | int],
    max_depth: int,
    children_of: Callable[[object], Iterator[tuple[Any, Any]] | None],
) -> int:
    children = children_of(value)
    if children is None:
        _check_scalar(value, path)
        return 1
    seen = 1
    frames: list[Iterator[tuple[Any, Any]]] = [children]
    path.append(0)  # the slot of the current child's key
    while frames:
        for key, child in frames[-1]:
            seen += 1
            path[-1] = key
            if type(key) is str and not key.isascii() and _SURROGATE.search(key):
                raise _surrogate(path[:-1], key, f"key {quote(key)}")
            kind = child.__class__
            if kind is str:  # the most common value: checked here, without a call
                if not child.isascii() and _SURROGATE.search(child):
                    raise _surrogate(path, child, "the string")
                continue
            # Plain containers are opened here too, without a call (`_open` does the rest).
            if kind is dict:
                if not child:
                    continue
                grand = iter(child.items())
            elif kind is list:
                if not child:
                    continue
                grand = enumerate(child)
            else:
                grand = _open(child, path, children_of)
                if grand is None:
                    continue
            if len(frames) >= max_depth:
                raise _too_deep(path, max_depth)
            frames.append(grand)
            path.append(0)
            break
        else:
            frames.pop()
            path.pop()
    return seen


def _open(
    value: Any,
    path: Sequence[str | int],
    children_of: Callable[[object], Iterator[tuple[Any, Any]] | None],
) -> Iterator[tuple[Any, Any]] | None:
    """The children of a container to descend into (None when empty); a scalar is checked."""
    kind = cast("type[object]", type(value))
    if kind is dict:
        return iter(value.items()) if value else None
    if kind is list or kind is tuple:
        return enumerate(value) if value else None
    if value is None or kind is bool:
        return None
    children = children_of(value)
    if children is None:
        _check_scalar(value, path)
    return children


def check_document(document: BaseModel) -> int:
    """Check an AIF document built in code the way `check_json` checks a body.

    A document read from a body was checked as the body; one built in code may
    still hold NaN in tool arguments or a lone surrogate, which no body can carry. The
    walk reads the models' fields as they are, without serializing them; each
    model is one level, so the document's own structure is allowed on top of
    `MAX_DEPTH`.

    Raises:
        InvalidInputError: as `check_json`; the pointer names the document's fields.

    Examples:
        >>> from aifkit.aif import Document, Message, ToolCallPart
        >>> call = ToolCallPart(id="c1", name="f", arguments={"x": float("inf")})
        >>> check_document(Document(messages=(Message(role="assistant", parts=(call,)),)))
        Traceback (most recent call last):
        ...
        aifkit.errors.InvalidInputError: /messages/0/parts/0/arguments/x: Infinity is not a JSON number; ...
    """
    from pydantic import BaseModel

    def children_of(value: object) -> Iterator[tuple[Any, Any]] | None:
        if isinstance(value, BaseModel):
            fields = value.__dict__.items()
            extra = value.__pydantic_extra__
            return itertools.chain(fields, extra.items()) if extra else iter(fields)
        return _children(value)

    return _walk(document, [], MAX_DEPTH + _DOCUMENT_LEVELS, children_of)


def loads(text: str | bytes, *, at: Sequence[str | int] = ()) -> Any:
    """Parse JSON text and `check_json` the result.

    Raises:
        ValueError: the text is not JSON (`json.JSONDecodeError`, `UnicodeDecodeError`,
            or Python's own refusal of an integer too long to read).
        InvalidInputError: the JSON nests too deeply or holds what `check_json` refuses.

    Examples:
        >>> loads('{"a": [1, 2]}')
        {'a': [1, 2]}
        >>> loads('[NaN]')
        Traceback (most recent call last):
        ...
        aifkit.errors.InvalidInputError: /0: NaN is not a JSON number; ...
    """
    if not isinstance(text, str):  # bytes, read as json.loads reads them
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    if _plain(text):
        try:
            return _FINITE.decode(text)
        except _NotFinite:
            pass  # the full check below says where
    try:
        value = json.loads(text)
    except RecursionError:  # the C parser recurses once per level
        raise _too_deep(at, MAX_DEPTH) from None
    check_json(value, at=at)
    return value


class _NotFinite(Exception):
    """A NaN, an Infinity or a float too large: `loads` falls back to the full check."""


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 reads as inf
        raise _NotFinite
    return value


def _constant(text: str) -> float:
    raise _NotFinite  # NaN, Infinity, -Infinity


_FINITE = json.JSONDecoder(parse_float=_finite, parse_constant=_constant)
"""Parses only values `check_json` passes, given `_plain` text; raises `_NotFinite` else."""


def _plain(text: str) -> bool:
    """Whether `check_json` cannot refuse what `_FINITE` reads from ``text``, so `loads`
    may skip its walk (each test runs in C, over the text once; a string that merely
    looks like a refused value sends the text to the full check, which is still right).

    Only short texts (SSE events, small bodies) are tested. Fewer than `MAX_DEPTH`
    brackets cannot nest too deep; a lone surrogate needs a ``\\uD8xx``-``\\uDFxx``
    escape or a surrogate in the text itself; integers too long are refused by the
    parser (a ValueError, as `json.loads` raises); NaN, Infinity and floats that
    overflow are left to `_FINITE`.
    """
    return (
        len(text) <= _PLAIN_CHARS
        and not text.startswith("\ufeff")  # json.loads refuses a BOM with its own message
        and (text.isascii() or not _SURROGATE.search(text))
        and text.count("{") + text.count("[") < MAX_DEPTH
        and ("\\" not in text or ("\\ud" not in text and "\\uD" not in text))  # 1 char: fast
    )


_PLAIN_CHARS = 8192
"""The longest text `_plain` tests: beyond it (a long body, seldom under `MAX_DEPTH`
brackets) the tests cost about what the walk saves, and all of it when they fail."""


def _children(value: object) -> Iterator[tuple[Any, Any]] | None:
    if isinstance(value, Mapping):
        return iter(cast("Mapping[Any, Any]", value).items())
    if isinstance(value, list | tuple):
        return enumerate(cast("Sequence[Any]", value))
    return None


def _check_scalar(value: object, path: Sequence[str | int]) -> None:
    if isinstance(value, str):
        if not value.isascii() and _SURROGATE.search(value):
            raise _surrogate(path, value, "the string")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _non_finite(path, value)
    elif (
        isinstance(value, int)
        and not isinstance(value, bool)
        and not -_INT_BOUND < value < _INT_BOUND
    ):
        raise _long_int(path)


def _surrogate(path: Sequence[str | int], text: str, what: str) -> InvalidInputError:
    found = _SURROGATE.search(text)
    where = found.start() if found else 0
    code = f"U+{ord(text[where]):04X}"
    return InvalidInputError(
        format_pointer(path),
        f"{what} holds a lone surrogate ({code} at character {where:,}), which is not text",
        hint=_HINT_SURROGATE,
    )


def _non_finite(path: Sequence[str | int], value: float) -> InvalidInputError:
    name = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return InvalidInputError(
        format_pointer(path), f"{name} is not a JSON number", hint=_HINT_NUMBER
    )


def _long_int(path: Sequence[str | int]) -> InvalidInputError:
    return InvalidInputError(
        format_pointer(path),
        f"an integer of more than {MAX_INT_DIGITS:,} digits",
        hint=_HINT_INT,
    )


def _too_deep(path: Sequence[str | int], max_depth: int) -> InvalidInputError:
    return InvalidInputError(
        format_pointer(path), f"nested more than {max_depth} levels deep", hint=_HINT_DEPTH
    )
