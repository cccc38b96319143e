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
from aifkit.budget.compressors._elide import (
    EXPAND_TOOL,
    ElisionStore,
    answer_expand,
    expand,
    expand_tool,
)
from aifkit.budget.compressors._extract import ExtractiveCompressor
from aifkit.budget.compressors._kinds import CONTENT_KINDS, ContentKind, content_kind
from aifkit.budget.compressors._pipeline import DEFAULT_STAGES, Pipeline, compress
from aifkit.budget.compressors._salient import SalientCompressor
from aifkit.budget.compressors._scorers import BM25Scorer, Scorer, SemanticScorer
from aifkit.budget.compressors._truncate import Truncator

__all__ = [
    "COMPRESSORS",
    "CONTENT_KINDS",
    "DEFAULT_STAGES",
    "EXPAND_TOOL",
    "BM25Scorer",
    "CompressionAction",
    "CompressionResult",
    "CompressionTarget",
    "Compressor",
    "ContentKind",
    "Deduplicator",
    "ElisionStore",
    "ExtractiveCompressor",
    "Pipeline",
    "SalientCompressor",
    "Scorer",
    "SemanticScorer",
    "ToolOutputClearer",
    "Truncator",
    "answer_expand",
    "compress",
    "content_kind",
    "expand",
    "expand_tool",
]
