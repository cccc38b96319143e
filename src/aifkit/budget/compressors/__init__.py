"""Compressors: make a document's prompt smaller when dropping whole items is not enough.

Each compressor is a `Compressor` with one method, ``compress(document, target)``,
that returns a `CompressionResult` stating the ratio it achieved and holding
every original it replaced. The instructions and the current turn are never
touched, and tool calls keep their results (compressors rewrite content, never
remove parts).
"""

from aifkit.budget.compressors._base import (
    COMPRESSORS,
    CompressionAction,
    CompressionResult,
    CompressionTarget,
    Compressor,
)
from aifkit.budget.compressors._clear import ToolOutputClearer
from aifkit.budget.compressors._dedupe import Deduplicator
from aifkit.budget.compressors._extract import ExtractiveCompressor
from aifkit.budget.compressors._pipeline import DEFAULT_STAGES, Pipeline, compress
from aifkit.budget.compressors._scorers import BM25Scorer, Scorer, SemanticScorer
from aifkit.budget.compressors._truncate import Truncator

__all__ = [
    "COMPRESSORS",
    "DEFAULT_STAGES",
    "BM25Scorer",
    "CompressionAction",
    "CompressionResult",
    "CompressionTarget",
    "Compressor",
    "Deduplicator",
    "ExtractiveCompressor",
    "Pipeline",
    "Scorer",
    "SemanticScorer",
    "ToolOutputClearer",
    "Truncator",
    "compress",
]
