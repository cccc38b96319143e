"""Mutations of a JSON body, driven by a chooser so Hypothesis and a seeded RNG share them.

A mutation is one of the `KINDS`; `mutate` applies a few to a copy of a body and
returns the JSON text to feed the library (the text is what a user sends; the
edge classes — lone surrogates, NaN/Infinity, huge integers, nesting past the
parser's limit — are written into the text directly, since Python's encoder
cannot write some of them).

``choose(n)`` returns an int in ``[0, n)``: `random.Random.randrange` for the
long driver, a Hypothesis draw in the tests (so failures shrink).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any, Final

Choose = Callable[[int], int]
Path = tuple[str | int, ...]

STRUCTURAL: Final = (
    "type-swap",
    "type-swap",  # the commonest crash class: weight it twice
    "cross-swap",
    "delete",
    "huge-string",
    "long-array",
    "deep",
    "duplicate-ids",
    "duplicate-item",
    "unknown-key",
)
"""Mutations every reader must answer with an `AifkitError` or a result."""

EDGE: Final = ("surrogate", "nan", "huge-int", "too-deep")
"""Mutations the JSON edge's pre-check rejects (another change owns that check)."""

KINDS: Final = STRUCTURAL + EDGE

HUGE_STRING: Final = 100_000
"""Characters of a huge string (bodies stay under 1 MB)."""
LEGAL_DEPTH: Final = 100
"""Nesting a reader must take or refuse cleanly (the edge's pre-check refuses past 128)."""
EDGE_DEPTHS: Final = (900, 5_000)
"""Nesting around and past the parser's recursion limit."""

_HUGE_INT: Final = "\x00huge-int\x00"
_TOO_DEEP: Final = "\x00too-deep-{}\x00"
_SURROGATES: Final = ("\ud800", "\udfff", "a\udc00b")
_ID_KEYS: Final = frozenset(
    {
        "id",
        "call_id",
        "tool_call_id",
        "tool_use_id",
        "toolUseId",
        "messageId",
        "name",
        "callId",
        "contextId",
        "taskId",
    }
)


def _paths(value: Any, path: Path = ()) -> list[Path]:
    """Every path in ``value``, the root first."""
    out: list[Path] = [path]
    stack: list[tuple[Any, Path]] = [(value, path)]
    while stack:
        node, at = stack.pop()
        if isinstance(node, dict):
            items: Any = node.items()
        elif isinstance(node, list):
            items = enumerate(node)
        else:
            continue
        for key, child in items:
            p = (*at, key)
            out.append(p)
            stack.append((child, p))
    return out


def _get(root: Any, path: Path) -> Any:
    for key in path:
        root = root[key]
    return root


def _set(root: Any, path: Path, value: Any) -> Any:
    """Set ``path`` to ``value``; return the (possibly new) root."""
    if not path:
        return value
    _get(root, path[:-1])[path[-1]] = value
    return root


def _pick(choose: Choose, items: list[Any] | tuple[Any, ...]) -> Any:
    return items[choose(len(items))]


def _other_type(choose: Choose, old: Any) -> Any:
    """A value of a JSON type other than ``old``'s."""
    candidates: list[Any] = [
        {},
        {"type": "text", "text": "x"},
        [],
        [{"a": 1}],
        ["x", 1],
        "",
        "x",
        0,
        -1,
        2**63,
        1.5,
        True,
        False,
        None,
    ]
    kept = [c for c in candidates if type(c) is not type(old)]
    return _pick(choose, kept)


def _nest(depth: int, leaf: Any, as_list: bool) -> Any:
    for _ in range(depth):
        leaf = [leaf] if as_list else {"a": leaf}
    return leaf


def _swap(body: Any, paths: list[Path], path: Path, choose: Choose) -> Any:
    return _set(body, path, _other_type(choose, _get(body, path)))


def _cross_swap(body: Any, paths: list[Path], path: Path, choose: Choose) -> Any:
    # another subtree of the same body: plausible but misplaced
    return _set(body, path, copy.deepcopy(_get(body, _pick(choose, paths))))


def _delete(body: Any, paths: list[Path], path: Path, choose: Choose) -> Any:
    if path:
        del _get(body, path[:-1])[path[-1]]
    return body


def _huge_string(body: Any, paths: list[Path], path: Path, choose: Choose) -> Any:
    return _set(body, path, _pick(choose, ("a", "\u00e9", "\U0001f600", " ")) * HUGE_STRING)


def _long_array(body: Any, paths: list[Path], path: Path, choose: Choose) -> Any:
    old = _get(body, path)
    copies = max(2, min(500, HUGE_STRING // len(json.dumps(old))))  # stay under 1 MB
    return _set(body, path, [copy.deepcopy(old) for _ in range(copies)])


def _deep(body: Any, paths: list[Path], path: Path, choose: Choose) -> Any:
    return _set(body, path, _nest(LEGAL_DEPTH, _get(body, path), bool(choose(2))))


def _duplicate_ids(body: Any, paths: list[Path], path: Path, choose: Choose) -> Any:
    ids = [p for p in paths if p and p[-1] in _ID_KEYS and isinstance(_get(body, p), str)]
    if len(ids) >= 2:
        value = _get(body, _pick(choose, ids))
        for p in ids:
            _set(body, p, value)
    return body


def _duplicate_item(body: Any, paths: list[Path], path: Path, choose: Choose) -> Any:
    arrays = [p for p in paths if isinstance(_get(body, p), list) and _get(body, p)]
    if arrays:
        items = _get(body, _pick(choose, arrays))
        items.insert(choose(len(items) + 1), copy.deepcopy(_pick(choose, items)))
    return body


def _unknown_key(body: Any, paths: list[Path], path: Path, choose: Choose) -> Any:
    objects = [p for p in paths if isinstance(_get(body, p), dict)]
    if objects:
        key = _pick(choose, ("zz_unknown", "extensions", "type", "id", ""))
        _get(body, _pick(choose, objects))[key] = _other_type(choose, None)
    return body


def _surrogate(body: Any, paths: list[Path], path: Path, choose: Choose) -> Any:
    strings = [p for p in paths if isinstance(_get(body, p), str)]
    s = _pick(choose, _SURROGATES)
    if strings and choose(3):
        return _set(body, _pick(choose, strings), s)
    objects = [p for p in paths if isinstance(_get(body, p), dict)]
    if objects:  # a lone surrogate in a key
        _get(body, _pick(choose, objects))[s] = "x"
    return body


def _nan(body: Any, paths: list[Path], path: Path, choose: Choose) -> Any:
    return _set(body, path, _pick(choose, (float("nan"), float("inf"), float("-inf"))))


def _huge_int(body: Any, paths: list[Path], path: Path, choose: Choose) -> Any:
    return _set(body, path, _HUGE_INT)


def _too_deep(body: Any, paths: list[Path], path: Path, choose: Choose) -> Any:
    return _set(body, path, _TOO_DEEP.format(_pick(choose, EDGE_DEPTHS)))


_MUTATIONS: Final[dict[str, Callable[[Any, list[Path], Path, Choose], Any]]] = {
    "type-swap": _swap,
    "cross-swap": _cross_swap,
    "delete": _delete,
    "huge-string": _huge_string,
    "long-array": _long_array,
    "deep": _deep,
    "duplicate-ids": _duplicate_ids,
    "duplicate-item": _duplicate_item,
    "unknown-key": _unknown_key,
    "surrogate": _surrogate,
    "nan": _nan,
    "huge-int": _huge_int,
    "too-deep": _too_deep,
}


def _apply(kind: str, body: Any, choose: Choose) -> Any:
    """Apply one mutation of ``kind`` to ``body`` (in place where it can); return the root."""
    paths = _paths(body)
    return _MUTATIONS[kind](body, paths, _pick(choose, paths), choose)


def mutate(body: Any, choose: Choose, count: int | None = None) -> tuple[str, tuple[str, ...]]:
    """Apply 1-3 mutations to a copy of ``body``; return its JSON text and the kinds applied.

    Examples:
        >>> import random
        >>> text, kinds = mutate({"a": [1, "x"]}, random.Random(1).randrange)
        >>> isinstance(text, str) and all(k in KINDS for k in kinds)
        True
    """
    out = copy.deepcopy(body)
    kinds = tuple(_pick(choose, KINDS) for _ in range(count or 1 + choose(3)))
    for kind in kinds:
        out = _apply(kind, out, choose)
    return to_text(out), kinds


def apply_one(body: Any, kind: str, choose: Choose) -> str:
    """Apply one mutation of ``kind`` to a copy of ``body``; return its JSON text."""
    return to_text(_apply(kind, copy.deepcopy(body), choose))


def to_text(body: Any) -> str:
    """``body`` as JSON text, with the edge sentinels written out.

    Examples:
        >>> to_text([float("nan"), "\\ud800"])
        '[NaN, "\\\\ud800"]'
    """
    text = json.dumps(body)
    if _HUGE_INT in text or "\\u0000" in text:
        text = text.replace(json.dumps(_HUGE_INT), "1" + "0" * 5_000)
        for depth in EDGE_DEPTHS:
            text = text.replace(json.dumps(_TOO_DEEP.format(depth)), "[" * depth + "]" * depth)
    return text


def is_edge(kinds: tuple[str, ...]) -> bool:
    """True when ``kinds`` holds a mutation of the JSON edge's classes."""
    return any(k in EDGE for k in kinds)
