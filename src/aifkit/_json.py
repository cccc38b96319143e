"""JSON helpers shared by every component: pointers, canonical dumps, type names."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

__all__ = ["canonical_json", "format_pointer", "type_name"]


def format_pointer(path: Sequence[str | int]) -> str:
    """Return the JSON pointer (RFC 6901) for a path of keys and indexes.

    Examples:
        >>> format_pointer(["messages", 1, "tool_calls", 0, "id"])
        '/messages/1/tool_calls/0/id'
        >>> format_pointer(["a/b", "c~d"])
        '/a~1b/c~0d'
    """
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


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
