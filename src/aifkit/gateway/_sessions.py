"""A `Packer` per conversation, so a conversation's packed prefix stays stable across turns.

Providers cache the longest prefix they have seen; packing each turn afresh may drop
a different old message each time and re-write the whole cache. A conversation is
recognized by a hash of what does not change as it grows (its model, format, system
prompt, tools and first message); its `Packer` keeps the previous pack's prefix
unless changing it pays (see `aifkit.budget.Packer`). Sessions are evicted least
recently used, with a bound, so memory stays flat however many conversations pass.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from aifkit.budget import Packer

__all__ = ["Sessions", "conversation_key"]

_STABLE = ("model", "system", "instructions", "tools", "systemInstruction", "system_instruction")
_LISTS = ("messages", "input", "contents")


def conversation_key(body: Any, format: str, counter: str) -> str:
    """A stable id for the conversation ``body`` continues (same for each of its turns).

    Examples:
        >>> turn = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}
        >>> later = {**turn, "messages": turn["messages"] + [{"role": "assistant", "content": "Yo"}]}
        >>> conversation_key(turn, "openai-chat", "gpt-4o") == conversation_key(later, "openai-chat", "gpt-4o")
        True
    """
    data: Mapping[str, Any] = cast("Mapping[str, Any]", body) if isinstance(body, Mapping) else {}
    head: list[Any] = [format, counter] + [data.get(k) for k in _STABLE]
    for key in _LISTS:
        items = data.get(key)
        if isinstance(items, list) and items:
            # The first turn, and the system message before it if the list starts with one.
            first = cast("list[Any]", items)
            system = isinstance(first[0], dict) and first[0].get("role") in ("system", "developer")  # pyright: ignore[reportUnknownMemberType]
            head.append(first[: 2 if system else 1])
    text = json.dumps(head, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class Sessions:
    """Packers by conversation, at most ``maxsize`` of them (least recently used go first)."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._packers: OrderedDict[str, tuple[Packer, threading.Lock]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._packers)

    def get(self, key: str, counter: str) -> tuple[Packer, threading.Lock]:
        """Return the conversation's packer and the lock to hold while packing with it."""
        with self._lock:
            found = self._packers.get(key)
            if found is not None:
                self._packers.move_to_end(key)
                return found
        from aifkit.budget import Packer

        made = (Packer(counter), threading.Lock())
        with self._lock:
            found = self._packers.setdefault(key, made)
            self._packers.move_to_end(key)
            while len(self._packers) > self.maxsize:
                self._packers.popitem(last=False)
        return found
