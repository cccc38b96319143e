"""Small readers and writers of JSON response bodies the response codecs share."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

from aifkit.aif._loss import Path
from aifkit.aif.converters._common import fail

__all__ = [
    "Obj",
    "add",
    "dotted",
    "epoch",
    "expect_list",
    "expect_obj",
    "expect_str",
    "flatten",
    "kind",
    "rest",
    "shape",
    "sub",
    "to_epoch",
    "unflatten",
]

Obj = dict[str, Any]


def expect_str(value: Any, path: Path) -> str:
    """Return ``value`` as a string, or raise an `InvalidInputError` at ``path``."""
    if not isinstance(value, str):
        raise fail(path, f"expected a string, got {kind(value)}")
    return value


def kind(value: Any) -> str:
    """Name a JSON value's type for an error message ("an array", "null", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def expect_obj(value: Any, path: Path) -> Obj:
    """Return ``value`` as an object, or raise an `InvalidInputError` at ``path``."""
    if not isinstance(value, dict):
        raise fail(path, f"expected an object, got {kind(value)}")
    return cast("Obj", value)


def expect_list(value: Any, path: Path) -> list[Any]:
    """Return ``value`` as an array, or raise an `InvalidInputError` at ``path``."""
    if not isinstance(value, list):
        raise fail(path, f"expected an array, got {kind(value)}")
    return cast("list[Any]", value)


def rest(obj: Mapping[str, Any], known: frozenset[str]) -> Obj:
    """Return the fields of ``obj`` not in ``known`` (kept as ``extra``)."""
    return {k: v for k, v in obj.items() if k not in known}


def epoch(value: Any, path: Path) -> datetime | None:
    """Read a Unix-seconds timestamp."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(path, f"expected Unix seconds, got {kind(value)}")
    return datetime.fromtimestamp(value, UTC)


def to_epoch(value: datetime | None) -> int | None:
    """Write a timestamp as Unix seconds."""
    return None if value is None else int(value.timestamp())


def sub(a: int | None, *b: int | None) -> int | None:
    """``a`` minus every set ``b`` (``None`` when ``a`` is)."""
    if a is None:
        return None
    return a - sum(x for x in b if x is not None)


def add(*values: int | None) -> int | None:
    """The sum of the set ``values`` (``None`` when none is)."""
    got = [v for v in values if v is not None]
    return sum(got) if got else None


def flatten(obj: Mapping[str, Any], prefix: str = "") -> Obj:
    """Return ``obj`` with nested objects flattened to dotted keys (``a.b``).

    An empty nested object stays a value, so `unflatten` restores it.

    Examples:
        >>> flatten({"a": 1, "b": {"c": 2, "d": {}}})
        {'a': 1, 'b.c': 2, 'b.d': {}}
        >>> unflatten(flatten({"a": 1, "b": {"c": 2, "d": {}}}))
        {'a': 1, 'b': {'c': 2, 'd': {}}}
    """
    out: Obj = {}
    for key, value in obj.items():
        if isinstance(value, dict) and value:
            out.update(flatten(cast("Obj", value), f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def unflatten(flat: Mapping[str, Any]) -> Obj:
    """Undo `flatten`."""
    out: Obj = {}
    for key, value in flat.items():
        *parents, last = key.split(".")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return out


def shape(full: Mapping[str, Any], keys: Any, fixed: frozenset[str] = frozenset()) -> Obj:
    """Lay out an object: the source's ``keys`` first, in order, as they were (null
    included), then every other field of ``full`` that is set.

    A ``fixed`` field (a constant such as ``object`` or ``index``) is written only
    when the source had it, or when there is no source layout.

    Examples:
        >>> shape({"id": "r1", "logprobs": None, "index": 0}, ["logprobs", "id"], frozenset({"index"}))
        {'logprobs': None, 'id': 'r1'}
        >>> shape({"id": "r1", "logprobs": None, "index": 0}, None)
        {'id': 'r1', 'index': 0}
    """
    out: Obj = {}
    given = isinstance(keys, list)
    if given:
        for k in cast("list[Any]", keys):
            if isinstance(k, str):
                out[k] = full.get(k)
    for k, v in full.items():
        if k not in out and v is not None and not (given and k in fixed):
            out[k] = v
    return out


def dotted(path: Path, key: str) -> Path:
    """The source path of a dotted key under ``path``."""
    return (*path, *key.split("."))
