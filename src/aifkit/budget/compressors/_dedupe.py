"""Deduplication: repeated content is replaced by a reference to the copy that is kept.

Exact duplicates are found by a hash of the text with whitespace normalized;
near duplicates (the same file read before and after a small edit, a repeated
command output with a changed timestamp) by MinHash over word shingles, with
locality-sensitive banding to find candidates and the shingles' true Jaccard
similarity to confirm them. A near duplicate is replaced only when the
reference plus a unified diff against the kept copy is much shorter than the
text, so what differs survives.

The first occurrence is kept, unless a later copy is protected (it sits in the
current turn): then that one is kept and the others point forward to it.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import re
from collections import Counter, deque
from collections.abc import Sequence

import numpy as np

from aifkit.aif._schema import Document
from aifkit.budget.compressors._base import CompressionResult, CompressionTarget
from aifkit.budget.compressors._work import Change, Unit, Workspace
from aifkit.errors import UsageError

__all__ = ["Deduplicator", "jaccard", "minhash", "shingles"]

_WORD = re.compile(r"\S+")
_PERMS = 64
_BANDS = 16  # 16 bands of 4 rows: pairs above ~0.6 similarity meet in some band
_BUCKET = 16  # texts a band remembers, the latest: bounds the candidates of a text
_CHECKS = 8  # candidates whose true similarity is computed, the most bands shared first
_MASK = (1 << 61) - 1


@functools.cache
def _permutations() -> tuple[np.ndarray[tuple[int], np.dtype[np.uint64]], ...]:
    rng = np.random.default_rng(20240611)  # fixed: signatures are comparable across runs
    a = rng.integers(1, _MASK, size=_PERMS, dtype=np.uint64)
    b = rng.integers(0, _MASK, size=_PERMS, dtype=np.uint64)
    return a, b


def shingles(text: str, size: int = 5) -> frozenset[int]:
    """Return the hashed word ``size``-shingles of ``text`` (case and spacing ignored).

    Examples:
        >>> len(shingles("a b c d e f")), shingles("A  b c d e") == shingles("a b c d e")
        (2, True)
    """
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return frozenset({_h(" ".join(words))}) if words else frozenset()
    return frozenset(_h(" ".join(words[i : i + size])) for i in range(len(words) - size + 1))


def _h(s: str) -> int:
    return int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little") & _MASK


def minhash(sh: frozenset[int]) -> np.ndarray[tuple[int], np.dtype[np.uint64]]:
    """Return the 64-value MinHash signature of a shingle set."""
    if not sh:
        return np.full(_PERMS, _MASK, dtype=np.uint64)
    a, b = _permutations()
    x = np.fromiter(sh, dtype=np.uint64, count=len(sh))
    # a*x + b wraps modulo 2**64 (uint64): a cheap universal hash family, enough for MinHash.
    hashed = (x[None, :] * a[:, None] + b[:, None]) & np.uint64(_MASK)
    return hashed.min(axis=1)


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    """Return the Jaccard similarity of two shingle sets.

    Examples:
        >>> jaccard(frozenset({1, 2, 3}), frozenset({2, 3, 4}))
        0.5
    """
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


class Deduplicator:
    """Replaces exact and near-duplicate texts by a reference to the copy kept.

    Args:
        min_tokens: Texts shorter than this are left alone (a reference would not pay).
        threshold: Jaccard similarity of word shingles from which a text is a near duplicate.
        near: Look for near duplicates too (not only exact ones).

    Examples:
        >>> from aifkit.aif import Document, Message, TextPart
        >>> page = "The quarterly report shows revenue grew in every region. " * 20
        >>> doc = Document(messages=tuple(
        ...     Message(role=r, parts=(TextPart(text=t),)) for r, t in
        ...     [("user", page), ("assistant", "Read it."), ("user", page),
        ...      ("assistant", "Same again."), ("user", "Summarize.")]))
        >>> result = Deduplicator().compress(doc, CompressionTarget("gpt-4o", ratio=0.9))
        >>> result.document.messages[2].parts[0].text
        '[duplicate of /messages/0/parts/0: the same text (201 tokens)]'
    """

    name = "dedupe"

    def __init__(self, *, min_tokens: int = 32, threshold: float = 0.8, near: bool = True) -> None:
        if not 0 < threshold <= 1:
            raise UsageError(f"threshold must be in (0, 1], got {threshold}")
        self.min_tokens = min_tokens
        self.threshold = threshold
        self.near = near

    def compress(self, document: Document, target: CompressionTarget) -> CompressionResult:
        """Replace every duplicate in the unprotected messages (when the target asks to save)."""
        ws = Workspace(document, target, self.name)
        if ws.need <= 0:
            return ws.finish(())
        every = list(ws.units(protected=True))  # a copy in the current turn is kept
        units = [u for u in every if u.tokens >= self.min_tokens]
        return ws.finish(self._plan(ws, units))

    def _plan(self, ws: Workspace, units: Sequence[Unit]) -> list[Change]:
        exact: dict[str, int] = {}
        keep: dict[int, int] = {}  # unit -> the unit it duplicates
        for i, u in enumerate(units):
            key = hashlib.blake2b(" ".join(u.text.split()).encode(), digest_size=16).hexdigest()
            first = exact.setdefault(key, i)
            if first != i:
                keep[i] = first
        near: dict[int, tuple[int, float]] = {}
        if self.near:
            near = self._near(units, keep)
        protected = ws.protected
        changes: list[Change] = []
        groups: dict[int, list[int]] = {}
        for i, first in keep.items():
            groups.setdefault(first, [first]).append(i)
        for members in groups.values():
            kept = next((m for m in members if units[m].message in protected), members[0])
            for m in members:
                u = units[m]
                if m == kept or u.message in protected:
                    continue
                ref = units[kept].pointer
                text = f"[duplicate of {ref}: the same text ({u.tokens} tokens)]"
                changes.append(ws.change(u, text, f"exact duplicate of {ref}"))
        for i, (first, sim) in near.items():
            change = self._near_change(ws, units[i], units[first], sim)
            if change is not None:
                changes.append(change)
        changes.sort(key=lambda c: c.pointer)
        return changes

    def _near(self, units: Sequence[Unit], exact: dict[int, int]) -> dict[int, tuple[int, float]]:
        # Buckets hold only texts kept as they are (a near duplicate is never a
        # reference), each the latest `_BUCKET` of them, and a text is compared with
        # the `_CHECKS` candidates sharing the most bands: without these bounds, n
        # texts alike enough to share bands but not to be near duplicates cost n^2.
        sets = [shingles(u.text) for u in units]
        buckets: dict[tuple[int, bytes], deque[int]] = {}
        found: dict[int, tuple[int, float]] = {}
        rows = _PERMS // _BANDS
        for i, sh in enumerate(sets):
            if i in exact or len(sh) < 4:
                continue
            sig = minhash(sh)
            keys = [
                (band, sig[band * rows : (band + 1) * rows].tobytes()) for band in range(_BANDS)
            ]
            shared = Counter(j for key in keys for j in buckets.get(key, ()))
            best = max(
                ((j, jaccard(sh, sets[j])) for j, _ in shared.most_common(_CHECKS)),
                key=lambda t: (t[1], -t[0]),
                default=None,
            )
            if best is not None and best[1] >= self.threshold:
                found[i] = best
                continue
            for key in keys:
                buckets.setdefault(key, deque(maxlen=_BUCKET)).append(i)
        return found

    def _near_change(self, ws: Workspace, u: Unit, first: Unit, sim: float) -> Change | None:
        if u.message in ws.protected:
            return None
        diff = list(
            difflib.unified_diff(first.text.splitlines(), u.text.splitlines(), lineterm="", n=0)
        )[2:]
        body = "\n".join(diff)
        text = (
            f"[near duplicate of {first.pointer} ({sim:.0%} similar, {u.tokens} tokens); "
            f"differences, as a unified diff from it:]\n{body}"
        )
        if ws.tokens(text) > u.tokens // 2:
            return None  # what differs is too much of it: keep the text
        return ws.change(u, text, f"near duplicate of {first.pointer} ({sim:.0%})")
