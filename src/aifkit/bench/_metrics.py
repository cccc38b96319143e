"""The metrics every cell may carry: name, which direction is better, unit, meaning.

The table is the contract between the runner (which writes ``metrics`` in each
cell of ``cells.jsonl``) and the analysis side (compare, regress, report), which
must know whether a metric going up is good news.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Clock = Literal["wall", "cpu"]

__all__ = ["METRICS", "MetricSpec", "MetricValue"]

MetricValue = float | int | bool | None
"""A metric's value in a cell: a number, a pass/fail flag, or ``None`` when not applicable."""


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One metric a cell can report.

    Args:
        name: The key in a cell's ``metrics``.
        better: ``"higher"`` or ``"lower"`` when a direction is better, ``None`` when neither is.
        unit: The unit (``"tokens"``, ``"ms"``, ``"USD"``, ``"ratio"``, ``"count"``, ``"bool"``).
        description: One sentence on what it measures.
        timing: ``"wall"`` or ``"cpu"`` for a time measured on that clock, which
            depends on the machine (and, for wall time, on how busy it is) as much
            as on the code: `aifkit.bench.regress` leaves it out of the gate unless
            asked (``timing=True``) and then judges it against the runs' calibration.

    Examples:
        >>> METRICS["f1"].better, METRICS["pack_latency_ms"].better
        ('higher', 'lower')
        >>> sorted(name for name, spec in METRICS.items() if spec.timing)
        ['pack_cpu_ms', 'pack_latency_ms', 'reader_latency_ms']
    """

    name: str
    better: Literal["higher", "lower"] | None
    unit: str
    description: str
    timing: Clock | None = None


def _table(*specs: MetricSpec) -> Mapping[str, MetricSpec]:
    return MappingProxyType({spec.name: spec for spec in specs})


METRICS: Mapping[str, MetricSpec] = _table(
    MetricSpec("tokens_before", None, "tokens", "Tokens of the task's full input before packing."),
    MetricSpec("tokens_after", "lower", "tokens", "Tokens of the context after the strategy ran."),
    MetricSpec("ratio_requested", None, "ratio", "Requested size as a fraction of tokens_before."),
    MetricSpec("ratio_achieved", None, "ratio", "tokens_after divided by tokens_before."),
    MetricSpec(
        "budget_violations", "lower", "count", "1 when tokens_after exceeds the budget, else 0."
    ),
    MetricSpec(
        "orphaned_tool_messages",
        "lower",
        "count",
        "Tool results kept without their call, or calls kept without their results.",
    ),
    MetricSpec(
        "evidence_survival",
        "higher",
        "ratio",
        "Share of the gold answers found verbatim in the packed context (RULER string_match_all).",
    ),
    MetricSpec(
        "facts_kept",
        "higher",
        "ratio",
        "Share of ALL facts planted in the context (asked or not) found verbatim after the "
        "strategy ran; None for tasks that plant only what they ask.",
    ),
    MetricSpec(
        "expand_calls",
        "lower",
        "count",
        "Expand calls a rule-based reader makes on a reversible strategy's markers before the "
        "answers are in view (0: already there); None when nothing was elided reversibly or "
        "expanding does not recover them.",
    ),
    MetricSpec(
        "followups_passed",
        "higher",
        "ratio",
        "For sessions (compressed once): share of the later questions the reader answers "
        "from the same fitted context.",
    ),
    MetricSpec(
        "exact_match", "higher", "ratio", "1 when the normalized answer equals a gold answer."
    ),
    MetricSpec(
        "f1", "higher", "ratio", "Token-level F1 of the answer against the best gold answer."
    ),
    MetricSpec(
        "passed",
        "higher",
        "bool",
        "The reader's answer is right (for the evidence reader: all evidence survived).",
    ),
    MetricSpec(
        "prefix_stability",
        "higher",
        "ratio",
        "For conversations: share of the previous turn's request tokens that the last turn "
        "repeats byte for byte first (pack strategies in one Packer session, others applied "
        "to each turn), what a provider's prompt cache can reuse.",
    ),
    MetricSpec(
        "pack_latency_ms", "lower", "ms", "Wall time the strategy took to pack.", timing="wall"
    ),
    MetricSpec(
        "pack_cpu_ms",
        "lower",
        "ms",
        "CPU time the strategy took to pack (its thread's): unlike the wall time, "
        "other processes taking the core do not inflate it.",
        timing="cpu",
    ),
    MetricSpec("cost_usd", "lower", "USD", "Input cost of the packed context at list prices."),
    MetricSpec(
        "conversion_losses",
        "lower",
        "count",
        "Losses reported (or detected) when converting the conversation between formats.",
    ),
    MetricSpec("answer_tokens", None, "tokens", "Tokens of the reader's answer."),
    MetricSpec(
        "reader_latency_ms", "lower", "ms", "Wall time the reader took to answer.", timing="wall"
    ),
)
