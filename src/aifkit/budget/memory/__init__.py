"""Summaries that are checked before they replace anything, and a rolling memory.

A `Summarizer` writes a summary: `ExtractiveSummarizer` offline, from the source's
own sentences; `OpenAISummarizer` with any OpenAI-compatible endpoint (the ``llm``
extra). `summarize_span` commits a summary only when it passes its checks (not
empty, not an error message, no lost entities, numbers, paths or ids, within its
budget) and keeps the originals; `RollingMemory` keeps recent turns verbatim,
folds older ones into a running summary, keeps pinned facts and persists to
SQLite; `SummaryCompressor` is the ``summary`` compressor.

Examples:
    >>> from aifkit.budget.memory import check_summary, SummaryChecks
    >>> check_summary("Refund 420 EUR to acct_7781.", "Error: 429 Too Many Requests",
    ...               checks=SummaryChecks())
    'the summary looks like an error message, not a summary (an apology or error at the start)'
"""

from aifkit.budget.memory._checks import STRICTNESS, Strictness, SummaryChecks, check_summary
from aifkit.budget.memory._compressor import SummaryCompressor
from aifkit.budget.memory._extractive import ExtractiveSummarizer
from aifkit.budget.memory._facts import FACT_KINDS, Fact, FactKind, extract_facts, missing_facts
from aifkit.budget.memory._openai import DEFAULT_PROMPT, OpenAISummarizer
from aifkit.budget.memory._rolling import Fold, Pin, RollingMemory
from aifkit.budget.memory._span import (
    NAMESPACE,
    SpanSummary,
    align_span,
    is_summary,
    restore_summaries,
    summarize_span,
    summary_message,
    summary_role,
)
from aifkit.budget.memory._store import SCHEMA_VERSION, MemoryStore, SessionInfo, SessionView
from aifkit.budget.memory._summarizer import Summarizer, transcript

__all__ = [
    "DEFAULT_PROMPT",
    "FACT_KINDS",
    "NAMESPACE",
    "SCHEMA_VERSION",
    "STRICTNESS",
    "ExtractiveSummarizer",
    "Fact",
    "FactKind",
    "Fold",
    "MemoryStore",
    "OpenAISummarizer",
    "Pin",
    "RollingMemory",
    "SessionInfo",
    "SessionView",
    "SpanSummary",
    "Strictness",
    "Summarizer",
    "SummaryChecks",
    "SummaryCompressor",
    "align_span",
    "check_summary",
    "extract_facts",
    "is_summary",
    "missing_facts",
    "restore_summaries",
    "summarize_span",
    "summary_message",
    "summary_role",
    "transcript",
]
