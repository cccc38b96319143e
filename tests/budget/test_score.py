"""BM25 over token ids: the Lucene formula bm25s uses, searched incrementally."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.aif import Message, TextPart
from aifkit.budget._items import Conversation
from aifkit.budget._score import BM25Index, query_words, recency, relevance
from tests.budget.fakes import WordCounter
from tests.budget.strategies import WORDS

bm25s = pytest.importorskip("bm25s")


def _index(texts: list[str]) -> tuple[BM25Index, Conversation, WordCounter]:
    counter = WordCounter()
    conv = Conversation(counter)
    conv.sync(tuple(Message(role="user", parts=(TextPart(text=t),)) for t in texts))
    return BM25Index(conv, counter.terms), conv, counter


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=30), min_size=2, max_size=25),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=4, unique=True),
)
def test_scores_equal_bm25s_lucene_on_the_same_terms(
    docs: list[list[str]], query: list[str]
) -> None:
    index, _conv, _ = _index([" ".join(d) for d in docs])
    corpus = np.ones(len(docs), dtype=np.bool_)
    ours, _ = index.scores(query, corpus)
    retriever = bm25s.BM25(method="lucene", k1=1.5, b=0.75)
    retriever.index(docs, show_progress=False)
    known = [w for w in query if any(w in d for d in docs)]
    theirs = retriever.get_scores(known) if known else np.zeros(len(docs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_incremental_search_equals_a_fresh_one() -> None:
    texts = [" ".join(WORDS[i % 11 : i % 11 + 4]) + f" w{i}" * (i % 5) for i in range(3000)]
    index, conv, _ = _index(texts[:1000])
    query = ["paris", "cache", "delta", "w3"]
    index.scores(query, np.ones(1000, dtype=np.bool_))
    indexed = index.index.indexed_tokens
    warm = np.zeros(0)
    for k in range(1000, 3000, 250):  # grows: a tail, then blocks, then merges
        conv.sync(
            conv.messages
            + tuple(Message(role="user", parts=(TextPart(text=t),)) for t in texts[k : k + 250])
        )
        index.sync()
        warm, _ = index.scores(query, np.ones(k + 250, dtype=np.bool_))
    fresh_index, _, _ = _index(texts)
    cold, _ = fresh_index.scores(query, np.ones(3000, dtype=np.bool_))
    np.testing.assert_allclose(warm, cold)
    # Each token is indexed O(log n) times, not once per pack.
    assert index.index.indexed_tokens - indexed < 4 * len(conv.terms.view)


def test_changed_messages_are_searched_again() -> None:
    index, conv, _ = _index(["paris weather", "cache", "paris"])
    index.scores(["paris"], np.ones(3, dtype=np.bool_))
    conv.sync(
        (
            conv.messages[0],
            Message(role="user", parts=(TextPart(text="paris paris"),)),
            conv.messages[2],
        )
    )
    index.sync()
    scores, _ = index.scores(["paris"], np.ones(3, dtype=np.bool_))
    assert scores[1] > scores[2] > 0
    assert scores[0] > 0


def test_groups_are_the_documents() -> None:
    index, _conv, _ = _index(["paris", "weather", "cache"])
    corpus = np.array([True, False, True])
    scores, idf = index.scores(["paris", "cache", "nowhere"], corpus)
    assert scores[1] == 0
    assert scores[0] > 0
    assert set(idf) == {"paris", "cache"}


def test_query_words_drop_stop_words_and_repeats() -> None:
    index, _, _ = _index(["x"])
    assert index.words("Where is THE capital of France? The capital!") == [
        "where",
        "capital",
        "france",
    ]
    assert query_words("a bb a bb", frozenset({"a"})) == ["bb"]


def test_relevance_and_recency_keep_a_floor() -> None:
    assert relevance(np.zeros(3), 0.2).tolist() == [1.0, 1.0, 1.0]
    assert relevance(np.array([0.0, 1.0]), 0.2).tolist() == [0.2, 1.0]
    assert recency(np.array([0.0, 24.0]), 24, 0.3).tolist() == pytest.approx([1.0, 0.65])
