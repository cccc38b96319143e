"""A run at a glance: one row per strategy, for the terminal and the README's main job."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aifkit.bench._compare import metric_value
from aifkit.bench._store import Cell, Run

__all__ = ["StrategySummary", "summarize"]


@dataclass(frozen=True, slots=True)
class StrategySummary:
    """One strategy's cells of a run, aggregated.

    Attributes:
        strategy: The strategy's name.
        cells: Its cells (ok and failed).
        failed: Cells whose run failed (an error, never an answer).
        pass_rate: The share of scored cells whose reader passed, or None if none scored.
        evidence_survival: The mean share of gold answers left in the packed context.
        ratio_achieved: The mean share of prompt tokens kept.
        tokens_saved: ``1 - Σ tokens_after / Σ tokens_before`` over its cells.
        budget_violations: Cells whose packed context went over its budget.
        orphaned_tool_messages: Tool calls or results left without their pair.
        pack_latency_ms: The median time to pack or compress one cell.
    """

    strategy: str
    cells: int
    failed: int
    pass_rate: float | None
    evidence_survival: float | None
    ratio_achieved: float | None
    tokens_saved: float | None
    budget_violations: int
    orphaned_tool_messages: int
    pack_latency_ms: float | None


def _values(cells: Iterable[Cell], name: str) -> list[float]:
    return [v for cell in cells if (v := metric_value(cell, name)) is not None]


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _summary(strategy: str, cells: Sequence[Cell]) -> StrategySummary:
    before, after = sum(_values(cells, "tokens_before")), sum(_values(cells, "tokens_after"))
    latency = _values(cells, "pack_latency_ms")
    return StrategySummary(
        strategy=strategy,
        cells=len(cells),
        failed=sum(c.status == "failed" for c in cells),
        pass_rate=_mean(_values(cells, "passed")),
        evidence_survival=_mean(_values(cells, "evidence_survival")),
        ratio_achieved=_mean(_values(cells, "ratio_achieved")),
        tokens_saved=1 - after / before if before else None,
        budget_violations=int(sum(_values(cells, "budget_violations"))),
        orphaned_tool_messages=int(sum(_values(cells, "orphaned_tool_messages"))),
        pack_latency_ms=statistics.median(latency) if latency else None,
    )


def summarize(run: Run) -> tuple[StrategySummary, ...]:
    """Aggregate a run's cells per strategy, in the order strategies first appear.

    Examples:
        >>> from pathlib import Path
        >>> cell = Cell.from_json({
        ...     "cell_id": "c1", "task": "t", "kind": "niah", "params": {}, "strategy": "pack",
        ...     "budget": {"spec": "0.5", "tokens": 50}, "seed": 0, "reader": "evidence",
        ...     "status": "ok", "error": None, "report": None, "answer": None,
        ...     "metrics": {"passed": True, "tokens_before": 100, "tokens_after": 40},
        ...     "elapsed_ms": 1.0, "finished_at": "2026-01-01T00:00:00Z"})
        >>> [(s.strategy, s.pass_rate, s.tokens_saved)
        ...  for s in summarize(Run(Path("r"), {}, (cell,)))]
        [('pack', 1.0, 0.6)]
    """
    groups: defaultdict[str, list[Cell]] = defaultdict(list)
    for cell in run.cells:
        groups[cell.strategy].append(cell)
    return tuple(_summary(name, cells) for name, cells in groups.items())
