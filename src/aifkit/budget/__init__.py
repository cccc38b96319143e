"""The token allocation manager: pack a conversation within a token budget.

Every piece of a request becomes an item with a category; items that only make
sense together (a tool call and its results, a turn and its attachments) form
atomic groups; a `Policy` weighs categories, scores groups by priority x
relevance to the current turn (BM25) x recency, and packs them within the budget,
never dropping the instructions, the tools or the current turn and never
reordering messages. `Packer` does it pack after pack for a growing conversation,
reusing earlier work and keeping the provider's prompt-cache prefix stable;
`pack` does it once for a request body in any wire format. `trim` keeps only the
newest messages that fit, like LangChain's ``trim_messages``, and tokenizes no
older one.

Part of the default install: ``pip install aifkit``.

Examples:
    >>> from aifkit.budget import pack
    >>> body = {"model": "gpt-4o", "messages": [
    ...     {"role": "user", "content": "Remember: the launch code is 0000."},
    ...     {"role": "assistant", "content": "Okay."},
    ...     *[{"role": "user", "content": f"Filler message number {i}."} for i in range(30)],
    ...     {"role": "user", "content": "What is the launch code?"}]}
    >>> out, report = pack(body, format="openai-chat", model="gpt-4o", budget=80)
    >>> out["messages"][0]["content"], report.tokens_after <= 80
    ('Remember: the launch code is 0000.', True)
"""

try:
    import numpy as _numpy  # noqa: F401  # pyright: ignore[reportUnusedImport]
except ImportError:  # pragma: no cover - depends on the installed extras
    from aifkit.errors import MissingDependencyError

    raise MissingDependencyError("numpy", "budget") from None

from aifkit.budget._allocate import CONSTRAINTS, Constraint
from aifkit.budget._complexity import KINDS, Complexity, estimate_complexity
from aifkit.budget._items import CATEGORIES, Category
from aifkit.budget._ledger import Ledger, UsageRecord, usage_from_response
from aifkit.budget._measure import Batch, Measure, MessageCounter, TokensCounter
from aifkit.budget._pack import PackResult, pack
from aifkit.budget._packer import Packed, Packer
from aifkit.budget._policy import DEFAULT_RULES, CacheRule, Policy, ReserveRule, Rule, Thresholds
from aifkit.budget._prefix import PrefixReport
from aifkit.budget._report import ItemReport, PackReport
from aifkit.budget._thresholds import Limits, ReserveTracker
from aifkit.budget._trim import TrimReport, TrimResult, trim
from aifkit.budget.compressors import (
    COMPRESSORS,
    DEFAULT_STAGES,
    BM25Scorer,
    CompressionAction,
    CompressionResult,
    CompressionTarget,
    Compressor,
    Deduplicator,
    ElisionStore,
    ExtractiveCompressor,
    Pipeline,
    SalientCompressor,
    Scorer,
    SemanticScorer,
    ToolOutputClearer,
    Truncator,
    compress,
    content_kind,
    expand,
    expand_tool,
)
from aifkit.budget.memory import (
    ExtractiveSummarizer,
    OpenAISummarizer,
    RollingMemory,
    Summarizer,
    SummaryCompressor,
    summarize_span,
)

__all__ = [
    "CATEGORIES",
    "COMPRESSORS",
    "CONSTRAINTS",
    "DEFAULT_RULES",
    "DEFAULT_STAGES",
    "KINDS",
    "BM25Scorer",
    "Batch",
    "CacheRule",
    "Category",
    "Complexity",
    "CompressionAction",
    "CompressionResult",
    "CompressionTarget",
    "Compressor",
    "Constraint",
    "Deduplicator",
    "ElisionStore",
    "ExtractiveCompressor",
    "ExtractiveSummarizer",
    "ItemReport",
    "Ledger",
    "Limits",
    "Measure",
    "MessageCounter",
    "OpenAISummarizer",
    "PackReport",
    "PackResult",
    "Packed",
    "Packer",
    "Pipeline",
    "Policy",
    "PrefixReport",
    "ReserveRule",
    "ReserveTracker",
    "RollingMemory",
    "Rule",
    "SalientCompressor",
    "Scorer",
    "SemanticScorer",
    "Summarizer",
    "SummaryCompressor",
    "Thresholds",
    "TokensCounter",
    "ToolOutputClearer",
    "TrimReport",
    "TrimResult",
    "Truncator",
    "UsageRecord",
    "compress",
    "content_kind",
    "estimate_complexity",
    "expand",
    "expand_tool",
    "pack",
    "summarize_span",
    "trim",
    "usage_from_response",
]
