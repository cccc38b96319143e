"""JSON helpers shared by every component: pointers, canonical dumps, type names, and
the one-line, capped text that error messages quote values in."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

__all__ = ["canonical_json", "format_pointer", "one_line", "quote", "type_name"]

QUOTE_LIMIT = 80
"""The most characters of a value that `quote` shows."""


def format_pointer(path: Sequence[str | int]) -> str:
    """Return the JSON pointer (RFC 6901) for a path of keys and indexes.

    Examples:
        >>> format_pointer(["messages", 1, "tool_calls", 0, "id"])
        '/messages/1/tool_calls/0/id'
        >>> format_pointer(["a/b", "c~d"])
        '/a~1b/c~0d'
    """
    text = "/".join(map(str, path))
    if "~" in text or text.count("/") >= len(path):  # a token to escape (rare): each in turn
        return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)
    return "/" + text  # an empty path took the branch above


def canonical_json(value: Any) -> str:
    """Serialize ``value`` compactly, keeping non-ASCII text as is.

    This is the form aifkit writes tool-call arguments in when the source had none.

    Examples:
        >>> canonical_json({"city": "Zürich", "days": [1, 2]})
        '{"city":"Zürich","days":[1,2]}'
    """
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def type_name(value: object) -> str:
    """Name a JSON value's type the way error messages speak of it.

    Examples:
        >>> type_name(None), type_name([]), type_name(3.5)
        ('null', 'an array', 'a number')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def one_line(text: str, limit: int) -> str:
    """Return ``text`` on one line and at most ``limit`` characters long.

    Characters a terminal would not print as they are (newlines, tabs, escape
    sequences, bidirectional controls, lone surrogates, ...) are written as Python
    escapes, so an error message is always one line that any terminal shows as it
    is; text over ``limit`` is cut, and the cut is marked with an ellipsis. The
    work is bounded by ``limit``, not by the length of ``text``.

    Examples:
        >>> one_line("two\\nlines", 80)
        'two\\\\nlines'
        >>> one_line("x" * 100, 10)
        'xxxxxxxxx…'
    """
    cut = len(text) > limit
    text = text[:limit]
    if not text.isprintable():
        text = "".join(c if c.isprintable() else _escape(c) for c in text)
    if cut or len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """Quote a value for an error message: a repr on one line, cut after ``limit`` characters.

    Containers are named by their type: a message never repeats a whole document.

    Examples:
        >>> quote("image")
        "'image'"
        >>> quote("a" * 100, 5)
        "'aaaaa…'"
        >>> quote({"a": 1}), quote(3.5)
        ('an object', '3.5')
    """
    if isinstance(value, str):
        text = repr(value[:limit])
        return one_line(text[:-1] + "…" + text[-1] if len(value) > limit else text, 4 * limit)
    name = type_name(value)
    if name in ("an object", "an array"):
        return name
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return "a large integer"
    return one_line(repr(value), limit)


def _escape(char: str) -> str:
    return char.encode("unicode_escape", "backslashreplace").decode("ascii")
