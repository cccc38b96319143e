"""`TermIndex`: where each term id occurs, in blocks and the tail, equals counting it directly."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.aif import Message, TextPart
from aifkit.budget._index import TermIndex
from aifkit.budget._items import Conversation
from aifkit.budget._score import BM25Index
from tests.budget.fakes import WordCounter
from tests.budget.strategies import WORDS

_HASHED = 3 << 30


class _HashedWords(WordCounter):
    """Term ids as a counter of its own may make them: large (hashes of words)."""

    def _words(self, text: str) -> list[int]:
        return [i + _HASHED for i in super()._words(text)]


def _naive(conv: Conversation, ids: list[int]) -> dict[int, dict[int, int]]:
    # Per id: message -> occurrences, by walking every message's terms.
    starts = conv.term_starts.view.tolist()
    terms = conv.terms.view.tolist()
    out: dict[int, dict[int, int]] = {i: {} for i in ids}
    for m in range(len(conv)):
        for t in terms[starts[m] : starts[m + 1]]:
            if t in out:
                out[t][m] = out[t].get(m, 0) + 1
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(WORDS), max_size=12), min_size=1, max_size=60),
    st.lists(st.integers(1, 12), min_size=1, max_size=5),
    st.integers(1, 40),
    st.lists(st.integers(0, len(WORDS) + 1), min_size=1, max_size=8),
    st.booleans(),
    st.booleans(),
)
def test_blocks_and_tail_equal_a_direct_count(
    texts: list[list[str]],
    steps: list[int],
    tail_tokens: int,
    ids: list[int],
    scan_first: bool,
    hashed: bool,
) -> None:
    counter = _HashedWords() if hashed else WordCounter()
    if hashed:  # ids past any lookup table and past 32-bit (id, message) keys
        ids = [i + _HASHED for i in ids]
    conv = Conversation(counter)
    index = TermIndex(conv, scan_first=scan_first)
    messages: tuple[Message, ...] = ()
    done = 0
    with patch("aifkit.budget._index.TAIL_TOKENS", tail_tokens):  # blocks and merges early
        for step in [*steps, len(texts)]:
            new = texts[done : done + step]
            done += len(new)
            messages += tuple(
                Message(role="user", parts=(TextPart(text=" ".join(t)),)) for t in new
            )
            conv.sync(messages)
            index.sync()
            index.update()
            naive = _naive(conv, ids)
            found: dict[int, dict[int, int]] = {t: {} for t in ids}
            for postings in (index.blocks(ids), index.tail(ids)):
                for t, (msgs, counts) in postings.items():
                    assert msgs.tolist() == sorted(msgs.tolist())
                    for m, c in zip(msgs.tolist(), counts.tolist(), strict=True):
                        assert m not in found[t]
                        found[t][m] = c
            assert found == naive
            assert index.frequency(ids) == {t: sum(per.values()) for t, per in naive.items()}
            assert index.indexed <= len(conv)
    assert np.array_equal(conv.term_starts.view[-1:], [len(conv.terms.view)])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=30), min_size=2, max_size=40),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=6, unique=True),
)
def test_the_first_search_scans_and_scores_as_the_index_does(
    texts: list[list[str]], query: list[str]
) -> None:
    # The first search scans the conversation; the second searches the blocks built
    # then: the scores are the same floats, not just close.
    counter = WordCounter()
    conv = Conversation(counter)
    conv.sync(tuple(Message(role="user", parts=(TextPart(text=" ".join(t)),)) for t in texts))
    bm25 = BM25Index(conv, counter.terms, scan_first=True)
    corpus = np.ones(len(texts), dtype=np.bool_)
    with patch("aifkit.budget._index.TAIL_TOKENS", 1):
        scanned, scanned_idf = bm25.scores(query, corpus)
        assert bm25.index.indexed == 0
        indexed, indexed_idf = bm25.scores(query, corpus)
        assert bm25.index.indexed == len(texts)
    assert scanned.tolist() == indexed.tolist()
    assert scanned_idf == indexed_idf
