"""Small readers and writers of JSON response bodies the response codecs share
(the general readers are `_common.expect_*` and `_wire.unknown_keys`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

from aifkit._json import type_name
from aifkit.aif._loss import Path
from aifkit.aif.converters._common import fail

__all__ = [
    "Obj",
    "add",
    "dotted",
    "epoch",
    "flatten",
    "shape",
    "to_epoch",
    "unflatten",
]

Obj = dict[str, Any]


def epoch(value: Any, path: Path) -> datetime | None:
    """Read a Unix-seconds timestamp."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(path, f"expected Unix seconds, got {type_name(value)}")
    return datetime.fromtimestamp(value, UTC)


def to_epoch(value: datetime | None) -> int | None:
    """Write a timestamp as Unix seconds."""
    return None if value is None else int(value.timestamp())


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
