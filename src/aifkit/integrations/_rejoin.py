"""Map packed wire messages back to the framework objects they came from.

A pack returns kept messages exactly as they were given (see `aifkit.pack`), so a
packed message equal to an original *is* that original: the integration hands back
the framework's own object (ids, metadata and all) and builds a new object only for
what was rewritten (compressed, or a summary).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Sequence
from typing import Any

__all__ = ["rejoin"]


def rejoin(originals: Sequence[Any], packed: Sequence[Any]) -> list[tuple[int | None, Any]]:
    """Pair each packed message with the index of the original it equals, in order.

    Args:
        originals: The wire messages given to the pack, as JSON data.
        packed: The wire messages it returned (a subsequence of ``originals``, some of
            them rewritten).

    Returns:
        Per packed message, ``(i, message)``: ``i`` is the index of the first original
        after the last match that equals it, or None when it equals none (rewritten).
        Linear in the two lists: originals are looked up by their canonical JSON.

    Examples:
        >>> rejoin([{"a": 1}, {"b": 2}, {"a": 1}], [{"a": 1}, {"c": 3}, {"a": 1}])
        [(0, {'a': 1}), (None, {'c': 3}), (2, {'a': 1})]
    """
    at: dict[str, deque[int]] = {}
    for i, message in enumerate(originals):
        at.setdefault(_key(message), deque()).append(i)
    out: list[tuple[int | None, Any]] = []
    last = -1
    for message in packed:
        queue = at.get(_key(message))
        while queue and queue[0] <= last:
            queue.popleft()
        if queue:
            last = queue.popleft()
            out.append((last, message))
        else:
            out.append((None, message))
    return out


def _key(message: Any) -> str:
    return json.dumps(message, sort_keys=True, ensure_ascii=False, default=repr)
