"""An inverted index of the token ids of a conversation's messages, grown in blocks.

Relevance needs, for each word of the current turn, how often each message holds
it. Scanning every token id for each new question costs milliseconds at 10,000
messages; an inverted index answers in microseconds, and building it costs about
as much as one scan. It grows the way a log-structured merge tree does: new
messages go to a small unindexed tail
(counted directly when asked); once the tail holds `TAIL_TOKENS` tokens it
becomes a block, and blocks of similar size are merged, so each token is
re-indexed O(log n) times over a conversation's life. A block is one sort of
``(id, message)`` keys packed into 32 bits when they fit (numpy sorts those with
SIMD at a few ns per key); per id, the messages of its occurrences are kept and
run-length counted when asked.

A conversation searched only once (``aifkit.pack``) need not be indexed at all: with
``scan_first``, the first search scans the whole conversation as a tail, in one
vectorized pass for the query's ids, which costs less than the sort that indexing
needs; indexing starts with the second search (a `Packer` indexes at once: its
next pack is the one that must be fast).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

    from aifkit.budget._items import Conversation

__all__ = ["TAIL_TOKENS", "Postings", "TermIndex"]

TAIL_TOKENS = 4096
"""Tokens of new messages kept unindexed (and counted directly) before they become a block."""

_TABLE_IDS = 1 << 22
"""Term ids below this are looked up in a table (16 MB at most); larger ones with np.isin."""

_LOCAL_BITS = 14  # messages per block when (id, message) keys pack into 32 bits
_ID_BITS = 32 - _LOCAL_BITS

Postings = tuple["npt.NDArray[np.int64]", "npt.NDArray[np.int64]"]
"""Message indexes holding a term, ascending, and how often each holds it."""


@dataclass(frozen=True, slots=True)
class _Block:
    first: int  # messages [first, end)
    end: int
    tokens: int
    ids: npt.NDArray[np.int64]  # distinct term ids, ascending
    offsets: npt.NDArray[np.int64]  # ids[k] occurs at local[offsets[k]:offsets[k + 1]]
    local: npt.NDArray[np.uint32]  # one entry per occurrence: message - first, ascending per id


class TermIndex:
    """Where each term id occurs in a `Conversation`, kept in step with it.

    Args:
        conversation: The conversation whose ``terms`` are indexed.
        scan_first: Index nothing for the first search (it scans): for a
            conversation searched once.

    Attributes:
        indexed_tokens: Tokens put into blocks so far (the work done).
    """

    def __init__(self, conversation: Conversation, *, scan_first: bool = False) -> None:
        self.conversation = conversation
        self.indexed_tokens = 0
        self._blocks: list[_Block] = []
        self._version = 0
        self._searched = not scan_first

    @property
    def indexed(self) -> int:
        """How many leading messages are in blocks (the rest are the tail)."""
        return self._blocks[-1].end if self._blocks else 0

    def sync(self) -> None:
        """Drop blocks holding messages that changed; call after every `Conversation.sync`."""
        stable = self.conversation.stable
        while self._blocks and self._blocks[-1].end > stable:
            self._blocks.pop()
            self._version += 1

    def blocks(self, ids: list[int]) -> dict[int, Postings]:
        """Return, for each term id, where it occurs in the indexed messages."""
        heads = np.array(sorted(set(ids)), dtype=np.int64)
        found: dict[int, tuple[list[npt.NDArray[np.int64]], list[npt.NDArray[np.int64]]]] = {
            int(h): ([], []) for h in heads
        }
        for block in self._blocks:
            at = np.searchsorted(block.ids, heads)
            present = at < len(block.ids)
            present[present] = block.ids[at[present]] == heads[present]
            which = np.flatnonzero(present)
            if not len(which):
                continue
            # Every wanted id's occurrences at once, run-length counted per (id, message).
            j = at[which]
            lo, hi = block.offsets[j], block.offsets[j + 1]
            occ = np.concatenate(
                [block.local[a:b] for a, b in zip(lo.tolist(), hi.tolist(), strict=True)]
            )
            owner = np.repeat(np.arange(len(which)), hi - lo)
            new_run = np.concatenate(([True], (occ[1:] != occ[:-1]) | (owner[1:] != owner[:-1])))
            starts = np.flatnonzero(new_run)
            counts = np.diff(np.append(starts, len(occ)))
            msgs = occ[starts].astype(np.int64) + block.first
            cut = np.searchsorted(owner[starts], np.arange(len(which) + 1)).tolist()
            for k, h in enumerate(heads[which].tolist()):
                found[h][0].append(msgs[cut[k] : cut[k + 1]])
                found[h][1].append(counts[cut[k] : cut[k + 1]])
        return {h: _join(m, c) for h, (m, c) in found.items()}

    def frequency(
        self, ids: list[int], *, tail: dict[int, Postings] | None = None
    ) -> dict[int, int]:
        """Return how often each term id occurs (a lookup per block, and a count of the tail).

        ``tail`` is what `tail` returned for these ids, if it was already asked.
        """
        heads = np.array(sorted(set(ids)), dtype=np.int64)
        total = np.zeros(len(heads), dtype=np.int64)
        for block in self._blocks:
            at = np.searchsorted(block.ids, heads)
            present = at < len(block.ids)
            present[present] = block.ids[at[present]] == heads[present]
            j = at[present]
            total[present] += block.offsets[j + 1] - block.offsets[j]
        out = dict(zip(heads.tolist(), total.tolist(), strict=True))
        for tid, (_, counts) in (tail if tail is not None else self.tail(list(out))).items():
            if tid in out:
                out[tid] += int(counts.sum())
        return out

    def tail(self, ids: list[int]) -> dict[int, Postings]:
        """Return, for each term id, where it occurs in the messages not indexed yet."""
        conv = self.conversation
        starts = conv.term_starts.view
        base = int(starts[self.indexed])
        terms = conv.terms.view[base:]
        wanted = sorted(set(ids))
        empty = np.zeros(0, dtype=np.int64)
        out: dict[int, Postings] = dict.fromkeys(wanted, (empty, empty))
        if not len(terms) or not wanted:
            return out
        # One pass over the tail: a table lookup marks the wanted ids (np.isin costs
        # twice as much) unless the ids are too large for a table (a counter of its
        # own may hash words); the hits are then grouped by (rank among the wanted
        # ids, message) in one sort of 64-bit keys.
        ranked = np.array(wanted, dtype=np.int64)
        top = int(terms.max())
        if top < _TABLE_IDS:
            inside = (ranked >= 0) & (ranked <= top)
            table = np.zeros(top + 1, dtype=np.bool_)
            table[ranked[inside]] = True
            hits = np.flatnonzero(np.take(table, terms))
            ranks = np.zeros(top + 1, dtype=np.int64)
            ranks[ranked[inside]] = np.flatnonzero(inside)
            rank = np.take(ranks, terms[hits])
        else:
            hits = np.flatnonzero(np.isin(terms, ranked))
            rank = np.searchsorted(ranked, terms[hits])
        if not len(hits):
            return out
        n = len(conv)
        msgs = np.searchsorted(starts, hits + base, side="right") - 1
        keys = np.sort(rank.astype(np.int64) * n + msgs)
        run = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        counts = np.diff(np.append(run, len(keys)))
        rank, msgs = np.divmod(keys[run], n)
        cut = np.flatnonzero(np.concatenate(([True], rank[1:] != rank[:-1]))).tolist()
        for a, b in zip(cut, [*cut[1:], len(run)], strict=True):
            out[wanted[int(rank[a])]] = (msgs[a:b], counts[a:b])
        return out

    @property
    def version(self) -> int:
        """Changes whenever the indexed messages do."""
        return self._version

    def update(self) -> None:
        """Index the tail once it holds `TAIL_TOKENS` tokens; call before `blocks` and `tail`.

        With ``scan_first``, the first call indexes nothing: a conversation searched
        once is scanned for the query's ids, a pass that costs about half of
        indexing it.
        """
        if not self._searched:
            self._searched = True
            return
        conv = self.conversation
        starts = conv.term_starts.view
        first, n = self.indexed, len(conv)
        if int(starts[n] - starts[first]) < TAIL_TOKENS:
            return
        span = 1 << _LOCAL_BITS
        self._version += 1
        for lo in range(first, n, span):
            self._blocks.append(self._build(lo, min(lo + span, n)))
        # Merge blocks of similar size (a binary counter): amortized O(log n) per token.
        blocks = self._blocks
        while (
            len(blocks) >= 2
            and 2 * blocks[-1].tokens >= blocks[-2].tokens
            and blocks[-1].end - blocks[-2].first <= span
        ):
            last, prev = blocks.pop(), blocks.pop()
            blocks.append(self._build(prev.first, last.end))

    def _build(self, first: int, end: int) -> _Block:
        # One sort of (id, message) keys; what is kept is, per id, the messages of its
        # occurrences (run-length counted when asked). Few temporaries: fresh memory
        # is not free (page faults), and a block of 10,000 messages holds millions.
        conv = self.conversation
        starts = conv.term_starts.view
        lo, hi = int(starts[first]), int(starts[end])
        ids = conv.terms.view[lo:hi]
        self.indexed_tokens += hi - lo
        if not len(ids):
            empty = np.zeros(0, dtype=np.int64)
            return _Block(
                first, end, 0, empty, np.zeros(1, dtype=np.int64), empty.astype(np.uint32)
            )
        lengths = np.diff(starts[first : end + 1])
        top = int(ids.max())
        if end - first <= 1 << _LOCAL_BITS and top < 1 << _ID_BITS:
            keys32 = np.left_shift(ids, _LOCAL_BITS, dtype=np.uint32)
            keys32 |= np.repeat(np.arange(end - first, dtype=np.uint32), lengths)
            keys32.sort()  # SIMD, in place
            present, offsets = _runs(keys32 >> _LOCAL_BITS)
            keys32 &= (1 << _LOCAL_BITS) - 1
            local = keys32
        else:
            keys = np.left_shift(ids.astype(np.uint64), np.uint64(32))
            keys |= np.repeat(np.arange(end - first, dtype=np.uint64), lengths)
            keys.sort()
            present, offsets = _runs(keys >> np.uint64(32))
            local = (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        return _Block(first, end, hi - lo, present, offsets, local)


def _runs(
    ids: npt.NDArray[np.integer[Any]],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    # The distinct values of sorted ``ids`` and where each one's run starts (plus the
    # end): read off the sorted keys, cheaper than counting ids into a table as
    # large as the vocabulary (which needs a 64-bit copy of every id first).
    cut = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    present = ids[np.concatenate(([0], cut))].astype(np.int64)
    offsets = np.concatenate(([0], cut, [len(ids)]))
    return present, offsets


def _join(msgs: list[npt.NDArray[np.int64]], counts: list[npt.NDArray[np.int64]]) -> Postings:
    if len(msgs) == 1:
        return msgs[0], counts[0]
    if not msgs:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(msgs), np.concatenate(counts)
