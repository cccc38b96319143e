"""Scores: priority x relevance to the current turn x recency.

Relevance is BM25 (the Lucene variant bm25s uses by default, with its ``k1`` and
``b``) between each atomic group and the current turn. Its terms are the words of
the current turn, less bm25s's English stop words; a word matches a message
where the message's token ids hold the word as the model's tokenizer writes it
(lower case, capitalized, or for short words upper case; with or without a
leading space). The
token ids come from counting, so relevance never tokenizes the history again;
they are looked up in a `TermIndex` that grows with the conversation.

Relevance and recency are mapped to ``[floor, 1]`` so that neither alone can
zero a score: an old message the current turn asks about beats recent filler,
and among equally (ir)relevant messages the recent ones win.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from aifkit.budget._index import Postings, TermIndex
from aifkit.errors import MissingDependencyError

if TYPE_CHECKING:
    import numpy.typing as npt

    from aifkit.budget._items import Conversation

__all__ = ["QUERY_WORDS", "BM25Index", "query_words", "recency", "relevance"]

_WORD = re.compile(r"(?u)\b\w\w+\b")  # bm25s's default token pattern

QUERY_WORDS = 16
"""The current turn's rarest words that make up the BM25 query, at most."""


@functools.cache
def _stopwords() -> frozenset[str]:
    """bm25s's English stop words, read from its ``stopwords`` module alone.

    ``import bm25s.stopwords`` would run the package's ``__init__`` first, which
    imports scipy, numpy's testing tools and tqdm: ~0.4 s of a 0.6 s ``aif pack``,
    for a tuple of 33 words. The module holds only tuples, so it is loaded from its
    file, found without importing the package (`importlib.util.find_spec`).

    Examples:
        >>> {"the", "and", "of"} <= _stopwords()
        True
    """
    spec = importlib.util.find_spec("bm25s")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError("bm25s", "budget")
    path = Path(next(iter(spec.submodule_search_locations))) / "stopwords.py"
    words = importlib.util.spec_from_file_location("_aifkit_bm25s_stopwords", path)
    if words is None or words.loader is None:
        raise MissingDependencyError("bm25s", "budget")
    module = importlib.util.module_from_spec(words)
    words.loader.exec_module(module)
    return frozenset(cast("tuple[str, ...]", module.STOPWORDS_EN))


def query_words(text: str, stopwords: frozenset[str]) -> list[str]:
    """Return the distinct search words of ``text``, in order: lower case, no stop words.

    Examples:
        >>> query_words("What is the capital of France? The CAPITAL!", frozenset({"the", "is", "of"}))
        ['what', 'capital', 'france']
    """
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if word not in stopwords:
            seen.setdefault(word, None)
    return list(seen)


class BM25Index:
    """BM25 between the groups of a `Conversation` and a query, on its `TermIndex`.

    Args:
        conversation: Where the terms are.
        encode: Returns the token ids of a text (the counter's tokenizer).
        k1: BM25's term-frequency saturation.
        b: BM25's length normalization.
        scan_first: Scan on the first search instead of indexing (see `TermIndex`).
    """

    def __init__(
        self,
        conversation: Conversation,
        encode: Callable[[str], list[int]],
        *,
        k1: float = 1.5,
        b: float = 0.75,
        scan_first: bool = False,
    ) -> None:
        self.conversation = conversation
        self.index = TermIndex(conversation, scan_first=scan_first)
        self.k1 = k1
        self.b = b
        self._encode = encode
        self._variants: dict[str, tuple[tuple[int, ...], ...]] = {}
        self._stopwords: frozenset[str] | None = None
        self._cache: dict[str, tuple[int, npt.NDArray[np.int64], npt.NDArray[np.int64]]] = {}
        self._tail: dict[int, Postings] = {}

    def words(self, text: str) -> list[str]:
        """Return the search words of ``text`` (see `query_words`)."""
        if self._stopwords is None:
            self._stopwords = _stopwords()
        return query_words(text, self._stopwords)

    def sync(self) -> None:
        """Forget what changed in the conversation's last sync; call after every sync."""
        self.index.sync()

    def scores(
        self, words: list[str], corpus: npt.NDArray[np.bool_]
    ) -> tuple[npt.NDArray[np.float64], dict[str, float]]:
        """Return the BM25 score of each group against ``words``, and each word's idf.

        A word occurs in a message as often as the least frequent token of its
        spelling there (the count itself for a one-token word), summed over its
        spellings (``paris``, `` Paris``, ...).

        Args:
            words: The query's search words.
            corpus: Marks the groups (by head index) that make up the collection.

        Returns:
            Scores indexed like ``corpus`` (0 outside it), and ``{word: idf}``.
        """
        conv = self.conversation
        n = len(conv)
        group = conv.group.view
        scores = np.zeros(n, dtype=np.float64)
        docs = int(corpus.sum())
        if not docs or not words:
            return scores, {}
        self.index.update()
        words = self.rarest(words)
        if not words:
            return scores, {}
        lengths = np.bincount(group, weights=np.diff(conv.term_starts.view), minlength=n)
        avg = float(lengths[corpus].mean()) or 1.0
        found = self._found(words)
        w_parts: list[npt.NDArray[np.int64]] = []
        m_parts: list[npt.NDArray[np.int64]] = []
        c_parts: list[npt.NDArray[np.int64]] = []
        for w, (msgs, counts) in enumerate(found):
            if len(msgs):
                w_parts.append(np.full(len(msgs), w, dtype=np.int64))
                m_parts.append(msgs)
                c_parts.append(counts)
        if not m_parts:
            return scores, {}
        g = group[np.concatenate(m_parts)]
        keep = corpus[g]
        key = np.concatenate(w_parts)[keep] * n + g[keep]
        tf_flat = np.bincount(key, weights=np.concatenate(c_parts)[keep], minlength=len(words) * n)
        nz = np.flatnonzero(tf_flat)
        tf, w_of, g_of = tf_flat[nz], nz // n, nz % n
        df = np.bincount(w_of, minlength=len(words))
        idf = np.log1p((docs - df + 0.5) / (df + 0.5))
        norm = self.k1 * (1 - self.b + self.b * lengths[g_of] / avg)
        contrib = idf[w_of] * tf / (tf + norm)
        scores = np.bincount(g_of, weights=contrib, minlength=n).astype(np.float64, copy=False)
        return scores, {word: float(idf[w]) for w, word in enumerate(words) if df[w]}

    def rarest(self, words: list[str]) -> list[str]:
        """Return the `QUERY_WORDS` rarest of ``words`` that the conversation holds, in order.

        Rare words decide BM25 rankings (their idf is high); common ones add little
        but cost as much as the messages they occur in. This is the usual query
        pruning of search engines; the scores of the words kept are exact.
        """
        spellings = {w: self._spellings(w) for w in words}
        ids = [t for seqs in spellings.values() for s in seqs for t in s]
        self._tail = self.index.tail(ids)  # reused by `_found` for the words kept
        freq = self.index.frequency(ids, tail=self._tail)
        count = {w: sum(min(freq[t] for t in seq) for seq in seqs) for w, seqs in spellings.items()}
        present = [w for w in words if count[w]]
        if len(present) <= QUERY_WORDS:
            return present
        keep = set(sorted(present, key=lambda w: count[w])[:QUERY_WORDS])
        return [w for w in present if w in keep]

    def _found(self, words: list[str]) -> list[Postings]:
        # Per word: its occurrences in the indexed messages (cached until the index
        # changes) followed by those in the tail (counted each time; it is small).
        index = self.index
        spellings = {w: self._spellings(w) for w in words}
        stale = [w for w in words if self._cache.get(w, (-1,))[0] != index.version]
        n = len(self.conversation)
        if stale:
            ids = [t for w in stale for seq in spellings[w] for t in seq]
            indexed = index.blocks(ids)
            for w in stale:
                self._cache[w] = (index.version, *_word(spellings[w], indexed, n))
        tail = self._tail
        out: list[Postings] = []
        for w in words:
            _, msgs, counts = self._cache[w]
            if any(len(tail[seq[0]][0]) for seq in spellings[w]):
                more_msgs, more_counts = _word(spellings[w], tail, n)
                msgs = np.concatenate((msgs, more_msgs))
                counts = np.concatenate((counts, more_counts))
            out.append((msgs, counts))
        return out

    def _spellings(self, word: str) -> tuple[tuple[int, ...], ...]:
        found = self._variants.get(word)
        if found is None:
            forms = {word, word.capitalize()}
            if len(word) <= 5:  # short words may be acronyms: NASA, HTTP
                forms.add(word.upper())
            seqs = {tuple(self._encode(f)) for form in forms for f in (form, " " + form)}
            found = self._variants[word] = tuple(sorted(s for s in seqs if s))
        return found


def _word(
    spellings: tuple[tuple[int, ...], ...], postings: dict[int, Postings], n: int
) -> Postings:
    # A word's occurrences: those of all its spellings, added up per message.
    parts = [_sequence(seq, postings) for seq in spellings if len(postings[seq[0]][0])]
    parts = [p for p in parts if len(p[0])]
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    if len(parts) == 1:
        return parts[0]
    msgs = np.concatenate([p[0] for p in parts])
    counts = np.concatenate([p[1] for p in parts])
    if len(msgs) * 8 < n:  # few: sort them; many: add them up in a dense array
        uniq, where = np.unique(msgs, return_inverse=True)
        return uniq, np.bincount(where, weights=counts).astype(np.int64)
    dense = np.bincount(msgs, weights=counts, minlength=n)
    at = np.flatnonzero(dense)
    return at, dense[at].astype(np.int64)


def _sequence(seq: tuple[int, ...], postings: dict[int, Postings]) -> Postings:
    # A spelling of several tokens occurs as often as its rarest token, where all occur:
    # start from the rarest token's messages and keep those every other token is in.
    lists = sorted((postings[t] for t in seq), key=lambda p: len(p[0]))
    msgs, counts = lists[0]
    for other_msgs, other_counts in lists[1:]:
        if not len(msgs):
            break
        at = np.searchsorted(other_msgs, msgs)
        inside = at < len(other_msgs)
        at = np.where(inside, at, 0)
        found = inside & (other_msgs[at] == msgs)
        msgs, counts = msgs[found], np.minimum(counts[found], other_counts[at[found]])
    return msgs, counts


def relevance(bm25: npt.NDArray[np.float64], floor: float) -> npt.NDArray[np.float64]:
    """Map BM25 scores to ``[floor, 1]``: the best match gets 1; all get 1 if none matches.

    Examples:
        >>> relevance(np.array([0.0, 2.0, 4.0]), 0.2).tolist()
        [0.2, 0.6000000000000001, 1.0]
    """
    top = float(bm25.max()) if len(bm25) else 0.0
    if top <= 0:
        return np.ones_like(bm25)
    return floor + (1 - floor) * bm25 / top


def recency(
    age: npt.NDArray[np.float64], half_life: float, floor: float
) -> npt.NDArray[np.float64]:
    """Map ages (messages before the last) to ``[floor, 1]``, halving above the floor every ``half_life``.

    Examples:
        >>> recency(np.array([0.0, 10.0, 1e9]), 10, 0.5).tolist()
        [1.0, 0.75, 0.5]
    """
    return floor + (1 - floor) * np.exp2(-age / half_life)
