"""Mistral's tool call ids: exactly nine alphanumerics, remapped bijectively."""

from __future__ import annotations

import hashlib
from typing import Final

from aifkit.aif.converters._mistral_decode import TOOL_ID

__all__ = ["NineCharIds"]

_ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class NineCharIds:
    """Maps tool call ids to nine alphanumerics, bijectively.

    An id that already is nine alphanumerics is kept; any other becomes a base-62
    digest of it, never one already taken by another id of the document.

    Examples:
        >>> ids = NineCharIds({"abcDEF123", "call_1"})
        >>> ids.map("abcDEF123"), len(ids.map("call_1")), ids.map("call_1").isalnum()
        ('abcDEF123', 9, True)
    """

    def __init__(self, ids: set[str]) -> None:
        self._taken = {i for i in ids if TOOL_ID.match(i)}
        self._forward: dict[str, str] = {}

    def map(self, original: str) -> str:
        """Return the id to write for ``original`` (the same every time)."""
        hit = self._forward.get(original)
        if hit is None:
            hit = original if TOOL_ID.match(original) else self._fresh(original)
            self._forward[original] = hit
            self._taken.add(hit)
        return hit

    def _fresh(self, original: str) -> str:
        salt = 0
        while True:
            digest = hashlib.sha256(f"{salt}:{original}".encode()).digest()
            n = int.from_bytes(digest, "big")
            out = ""
            for _ in range(9):
                n, r = divmod(n, 62)
                out += _ALPHABET[r]
            if out not in self._taken:
                return out
            salt += 1
