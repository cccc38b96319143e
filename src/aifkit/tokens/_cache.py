"""Counts cached by content: counting an unchanged message again is a lookup.

The key is the BLAKE2b digest of the element's canonical JSON (every field,
defaults included, keys sorted), salted with what the count depends on (tokenizer,
framing, image rule). The value is the element's `Piece` in base tokens, so a
recalibrated estimator does not invalidate it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date

from pydantic import BaseModel

from aifkit.tokens._framing import Piece

__all__ = ["DEFAULT_CACHE", "CountCache", "canonical_json"]


def _fields(value: object) -> object:
    if isinstance(value, BaseModel):
        extra = value.__pydantic_extra__
        return {**value.__dict__, **extra} if extra else value.__dict__
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# Reads the frozen models' fields directly: 3x faster than `model_dump_json`, whose
# default-dropping serializer is not needed for a key.
_ENCODER = json.JSONEncoder(
    default=_fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False
)


def canonical_json(element: BaseModel) -> str:
    """Return ``element`` as canonical JSON: every field, keys sorted, no spaces.

    Examples:
        >>> from aifkit.aif import TextPart
        >>> canonical_json(TextPart(text="hi"))
        '{"cache":null,"extensions":{},"provenance":null,"text":"hi","type":"text"}'
    """
    return _ENCODER.encode(element)


class CountCache:
    """A thread-safe LRU of element counts.

    Args:
        maxsize: How many counts to keep; 0 turns caching off.

    Examples:
        >>> from aifkit.aif import Message, TextPart
        >>> cache = CountCache(maxsize=2)
        >>> msg = Message(role="user", parts=(TextPart(text="hi"),))
        >>> cache.get(msg, "salt", lambda: Piece(text=4)).text
        4
        >>> cache.get(msg, "salt", lambda: Piece(text=99)).text  # a lookup: not recomputed
        4
        >>> cache.hits, cache.misses
        (1, 1)
    """

    def __init__(self, maxsize: int = 65_536) -> None:
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self._data: OrderedDict[bytes, Piece] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, element: BaseModel, salt: str, compute: Callable[[], Piece]) -> Piece:
        """Return the cached count of ``element`` under ``salt``, or compute and keep it."""
        if self.maxsize <= 0:
            return compute()
        digest = hashlib.blake2b(salt.encode() + b"\0", digest_size=16)
        digest.update(canonical_json(element).encode("utf-8", "surrogatepass"))
        key = digest.digest()
        with self._lock:
            piece = self._data.get(key)
            if piece is not None:
                self._data.move_to_end(key)
                self.hits += 1
                return piece
        piece = compute()
        with self._lock:
            self.misses += 1
            self._data[key] = piece
            if len(self._data) > self.maxsize:
                self._data.popitem(last=False)
        return piece

    def clear(self) -> None:
        """Forget every count and reset the statistics."""
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0


DEFAULT_CACHE = CountCache()
"""The cache `count_tokens` uses unless given another; it holds counts, never text."""
