"""Compare two runs: paired differences per task and strategy, McNemar, Pareto fronts.

Cells are paired by ``cell_id`` (same task instance, strategy, budget, seed and
reader in both runs). For every metric both cells of a pair report, the
difference ``B - A`` gets a seeded bootstrap confidence interval; the
``passed`` flag also gets an exact McNemar test. The accuracy-vs-tokens Pareto
front of each task is computed from each run's (strategy, budget) points.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from aifkit.bench._metrics import METRICS
from aifkit.bench._stats import bootstrap_mean_ci, mcnemar_p, pareto_front
from aifkit.bench._store import Cell, Run, load_run
from aifkit.errors import UsageError

if TYPE_CHECKING:
    from rich.console import RenderableType

__all__ = [
    "ACCURACY_METRICS",
    "Comparison",
    "GroupComparison",
    "McNemar",
    "MetricDelta",
    "ParetoPoint",
    "TaskFront",
    "accuracy_metric",
    "budget_label",
    "compare",
    "metric_value",
    "pareto_points",
    "resolve_run",
]

ACCURACY_METRICS = ("passed", "f1", "exact_match", "evidence_survival")
"""The metric a task's accuracy is read from: the first of these its cells report."""

Verdict = Literal["better", "worse", "changed", "same"]


def resolve_run(run: Run | str | Path) -> Run:
    """Return ``run`` as a `Run`, loading it when given a path."""
    return run if isinstance(run, Run) else load_run(run)


def budget_label(cell: Cell) -> str:
    """The cell's budget as written in the suite (its ``spec``; the token count when absent)."""
    spec = cell.budget.get("spec")
    return str(spec if spec is not None else cell.budget.get("tokens", "?"))


def metric_value(cell: Cell, name: str) -> float | None:
    """A cell's metric as a float (booleans as 0/1); None when absent, null or not finite."""
    value = cell.metrics.get(name)
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass(frozen=True, slots=True)
class MetricDelta:
    """The paired difference ``B - A`` of one metric over the matched cells of a group.

    Attributes:
        metric: The metric's name.
        pairs: How many pairs reported the metric in both runs.
        mean_a: Its mean in run A over those pairs.
        mean_b: Its mean in run B.
        diff: Mean of ``B - A``.
        low: Lower bound of the bootstrap interval of ``diff``.
        high: Upper bound.
        verdict: ``better``/``worse`` when the interval excludes zero and the metric
            has a better direction, ``changed`` when it excludes zero but has none,
            else ``same``.

    Examples:
        >>> delta = MetricDelta("passed", 40, 0.9, 0.7, -0.2, -0.33, -0.08, "worse")
        >>> delta.to_json()["ci"]
        [-0.33, -0.08]
    """

    metric: str
    pairs: int
    mean_a: float
    mean_b: float
    diff: float
    low: float
    high: float
    verdict: Verdict

    def to_json(self) -> dict[str, Any]:
        """Return the delta as JSON-ready data."""
        return {
            "metric": self.metric,
            "pairs": self.pairs,
            "mean_a": self.mean_a,
            "mean_b": self.mean_b,
            "diff": self.diff,
            "ci": [self.low, self.high],
            "verdict": self.verdict,
        }


@dataclass(frozen=True, slots=True)
class McNemar:
    """The exact McNemar test of ``passed`` over the pairs of a group.

    Attributes:
        both: Pairs that passed in both runs.
        a_only: Passed in A, failed in B.
        b_only: Failed in A, passed in B.
        neither: Failed in both.
        p_value: Two-sided exact binomial p-value of the discordant pairs.
    """

    both: int
    a_only: int
    b_only: int
    neither: int
    p_value: float

    def to_json(self) -> dict[str, Any]:
        """Return the test as JSON-ready data."""
        return {
            "both": self.both,
            "a_only": self.a_only,
            "b_only": self.b_only,
            "neither": self.neither,
            "p_value": self.p_value,
        }


@dataclass(frozen=True, slots=True)
class GroupComparison:
    """The paired comparison of one task and strategy.

    Attributes:
        task: The task.
        strategy: The strategy.
        pairs: Cells matched by id in both runs.
        deltas: One entry per metric both runs report, sorted by name.
        mcnemar: The McNemar test of ``passed``; None when no pair reports it.
    """

    task: str
    strategy: str
    pairs: int
    deltas: tuple[MetricDelta, ...]
    mcnemar: McNemar | None

    def delta(self, metric: str) -> MetricDelta | None:
        """The delta of ``metric``, if both runs report it."""
        return next((d for d in self.deltas if d.metric == metric), None)

    def to_json(self) -> dict[str, Any]:
        """Return the group as JSON-ready data."""
        return {
            "task": self.task,
            "strategy": self.strategy,
            "pairs": self.pairs,
            "deltas": [d.to_json() for d in self.deltas],
            "mcnemar": None if self.mcnemar is None else self.mcnemar.to_json(),
        }


@dataclass(frozen=True, slots=True)
class ParetoPoint:
    """One (strategy, budget) of a task: its mean tokens and mean accuracy.

    Attributes:
        strategy: The strategy.
        budget: The budget spec (``"0.25"``, ``"4000"``).
        tokens: Mean ``tokens_after`` of its cells.
        accuracy: Mean of the task's accuracy metric.
        ratio: Mean ``ratio_achieved`` (None when not reported).
        cells: How many cells it averages.
        on_front: Whether no other point of the run beats it.

    Examples:
        >>> point = ParetoPoint("pack:recency", "0.25", 950.0, 0.75, 0.24, 12, on_front=True)
        >>> point.label, point.to_json()["accuracy"]
        ('pack:recency @ 0.25', 0.75)
    """

    strategy: str
    budget: str
    tokens: float
    accuracy: float
    ratio: float | None
    cells: int
    on_front: bool

    @property
    def label(self) -> str:
        """``strategy @ budget``."""
        return f"{self.strategy} @ {self.budget}"

    def to_json(self) -> dict[str, Any]:
        """Return the point as JSON-ready data."""
        return {
            "strategy": self.strategy,
            "budget": self.budget,
            "tokens": self.tokens,
            "accuracy": self.accuracy,
            "ratio": self.ratio,
            "cells": self.cells,
            "on_front": self.on_front,
        }


def accuracy_metric(cells: Iterable[Cell]) -> str | None:
    """The first of `ACCURACY_METRICS` any of ``cells`` reports."""
    seen = {name for cell in cells for name, v in cell.metrics.items() if v is not None}
    return next((name for name in ACCURACY_METRICS if name in seen), None)


def pareto_points(cells: Sequence[Cell], metric: str | None = None) -> list[ParetoPoint]:
    """The accuracy-vs-tokens points of one task's cells, one per (strategy, budget).

    Only finished (``ok``) cells reporting both ``tokens_after`` and the accuracy
    metric count. Points are sorted by strategy, then tokens.

    Args:
        cells: The cells of one task.
        metric: The accuracy metric; default: the first of `ACCURACY_METRICS` reported.
    """
    ok = [cell for cell in cells if cell.status == "ok"]
    metric = metric or accuracy_metric(ok)
    if metric is None:
        return []
    sums: dict[tuple[str, str], list[tuple[float, float, float | None]]] = defaultdict(list)
    for cell in ok:
        tokens, accuracy = metric_value(cell, "tokens_after"), metric_value(cell, metric)
        if tokens is None or accuracy is None:
            continue
        key = (cell.strategy, budget_label(cell))
        sums[key].append((tokens, accuracy, metric_value(cell, "ratio_achieved")))
    raw: list[tuple[str, str, float, float, float | None, int]] = []
    for (strategy, budget), rows in sums.items():
        ratios = [r for _, _, r in rows if r is not None]
        raw.append(
            (
                strategy,
                budget,
                sum(t for t, _, _ in rows) / len(rows),
                sum(a for _, a, _ in rows) / len(rows),
                sum(ratios) / len(ratios) if ratios else None,
                len(rows),
            )
        )
    front = set(pareto_front([(r[2], r[3]) for r in raw]))
    points = [ParetoPoint(*r, on_front=i in front) for i, r in enumerate(raw)]
    return sorted(points, key=lambda p: (p.strategy, p.tokens, p.budget))


@dataclass(frozen=True, slots=True)
class TaskFront:
    """The accuracy-vs-tokens points and Pareto front of one task and reader in both runs.

    Readers are kept apart: an extractive reader and the evidence check score the
    same context differently, so their points do not belong on one front.

    Attributes:
        task: The task.
        reader: The reader.
        metric: The accuracy metric (see `ACCURACY_METRICS`).
        a: Run A's points (``on_front`` marks its front).
        b: Run B's points.
    """

    task: str
    reader: str
    metric: str
    a: tuple[ParetoPoint, ...]
    b: tuple[ParetoPoint, ...]

    def front(self, which: Literal["a", "b"]) -> list[ParetoPoint]:
        """The points on run ``which``'s front, by tokens."""
        points = self.a if which == "a" else self.b
        return sorted((p for p in points if p.on_front), key=lambda p: p.tokens)

    def to_json(self) -> dict[str, Any]:
        """Return the fronts as JSON-ready data."""
        return {
            "task": self.task,
            "reader": self.reader,
            "metric": self.metric,
            "a": [p.to_json() for p in self.a],
            "b": [p.to_json() for p in self.b],
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    """Run B against run A.

    Attributes:
        run_a: Run A's id.
        run_b: Run B's id.
        pairs: Cells present in both runs (by id).
        only_a: Cell ids only run A has.
        only_b: Cell ids only run B has.
        confidence: Level of the bootstrap intervals.
        groups: One entry per (task, strategy) with pairs.
        fronts: One entry per task and reader with accuracy and tokens in either run.
    """

    run_a: str
    run_b: str
    pairs: int
    only_a: int
    only_b: int
    confidence: float
    groups: tuple[GroupComparison, ...]
    fronts: tuple[TaskFront, ...]

    def to_json(self) -> dict[str, Any]:
        """Return the comparison as JSON-ready data (what ``aif bench compare --json`` prints)."""
        return {
            "run_a": self.run_a,
            "run_b": self.run_b,
            "pairs": self.pairs,
            "only_a": self.only_a,
            "only_b": self.only_b,
            "confidence": self.confidence,
            "groups": [g.to_json() for g in self.groups],
            "fronts": [f.to_json() for f in self.fronts],
        }

    def to_markdown(self, metrics: Sequence[str] | None = None) -> str:
        """Render the comparison as Markdown tables (deltas, McNemar, fronts).

        Args:
            metrics: The metrics to show; default: every metric with a better direction.
        """
        return _markdown(self, metrics)

    def to_rich(self, metrics: Sequence[str] | None = None) -> RenderableType:
        """Render the comparison as rich tables for a terminal."""
        return _rich(self, metrics)


def _verdict(metric: str, low: float, high: float) -> Verdict:
    if not (low > 0 or high < 0):
        return "same"
    spec = METRICS.get(metric)
    if spec is None or spec.better is None:
        return "changed"
    up = low > 0
    return "better" if up == (spec.better == "higher") else "worse"


def _group_deltas(
    pairs: Sequence[tuple[Cell, Cell]], confidence: float, seed: int
) -> tuple[MetricDelta, ...]:
    names = sorted({n for a, b in pairs for n in a.metrics if n in b.metrics})
    deltas: list[MetricDelta] = []
    for name in names:
        values = [
            (va, vb)
            for a, b in pairs
            if (va := metric_value(a, name)) is not None
            and (vb := metric_value(b, name)) is not None
        ]
        if not values:
            continue
        ci = bootstrap_mean_ci([vb - va for va, vb in values], confidence=confidence, seed=seed)
        deltas.append(
            MetricDelta(
                metric=name,
                pairs=len(values),
                mean_a=sum(va for va, _ in values) / len(values),
                mean_b=sum(vb for _, vb in values) / len(values),
                diff=ci.mean,
                low=ci.low,
                high=ci.high,
                verdict=_verdict(name, ci.low, ci.high),
            )
        )
    return tuple(deltas)


def _mcnemar(pairs: Sequence[tuple[Cell, Cell]]) -> McNemar | None:
    counts = {(True, True): 0, (True, False): 0, (False, True): 0, (False, False): 0}
    for a, b in pairs:
        va, vb = metric_value(a, "passed"), metric_value(b, "passed")
        if va is not None and vb is not None:
            counts[(va >= 0.5, vb >= 0.5)] += 1
    if not sum(counts.values()):
        return None
    a_only, b_only = counts[(True, False)], counts[(False, True)]
    return McNemar(
        both=counts[(True, True)],
        a_only=a_only,
        b_only=b_only,
        neither=counts[(False, False)],
        p_value=mcnemar_p(a_only, b_only),
    )


def _fronts(a: Run, b: Run) -> tuple[TaskFront, ...]:
    by_task: dict[tuple[str, str], tuple[list[Cell], list[Cell]]] = defaultdict(lambda: ([], []))
    for cell in a.cells:
        by_task[(cell.task, cell.reader)][0].append(cell)
    for cell in b.cells:
        by_task[(cell.task, cell.reader)][1].append(cell)
    fronts: list[TaskFront] = []
    for task, reader in sorted(by_task):
        cells_a, cells_b = by_task[(task, reader)]
        metric = accuracy_metric([c for c in (*cells_a, *cells_b) if c.status == "ok"])
        if metric is None:
            continue
        points_a, points_b = pareto_points(cells_a, metric), pareto_points(cells_b, metric)
        if points_a or points_b:
            fronts.append(TaskFront(task, reader, metric, tuple(points_a), tuple(points_b)))
    return tuple(fronts)


def compare(
    run_a: Run | str | Path,
    run_b: Run | str | Path,
    *,
    confidence: float = 0.95,
    seed: int = 0,
) -> Comparison:
    """Compare run B against run A, pairing cells by id.

    Only cells that finished (``ok``) in both runs are paired. Bootstrap intervals
    are seeded, so a comparison is reproducible.

    Args:
        run_a: The reference run (a `Run` or a run directory).
        run_b: The run compared against it.
        confidence: Level of the bootstrap intervals.
        seed: Seed of the bootstrap.

    Raises:
        StoreError: A run directory cannot be read.
        UsageError: The runs share no cell.

    Examples:
        >>> def cell(i, passed, tokens):
        ...     return Cell.from_json({"cell_id": f"c{i}", "task": "niah", "kind": "niah",
        ...         "params": {}, "strategy": "recency", "budget": {"spec": "0.5", "tokens": 50},
        ...         "seed": i, "reader": "evidence", "status": "ok", "error": None,
        ...         "metrics": {"passed": passed, "tokens_after": tokens}, "report": None,
        ...         "answer": None, "elapsed_ms": 1.0, "finished_at": "2026-01-01T00:00:00Z"})
        >>> a = Run(Path("a"), {"run_id": "a"}, tuple(cell(i, True, 50) for i in range(8)))
        >>> b = Run(Path("b"), {"run_id": "b"}, tuple(cell(i, i < 1, 40) for i in range(8)))
        >>> group = compare(a, b).groups[0]
        >>> group.delta("passed").verdict, group.delta("tokens_after").verdict
        ('worse', 'better')
        >>> group.mcnemar.a_only, round(group.mcnemar.p_value, 4)
        (7, 0.0156)
    """
    a, b = resolve_run(run_a), resolve_run(run_b)
    ids_a = {c.cell_id: c for c in a.cells}
    ids_b = {c.cell_id: c for c in b.cells}
    common = [i for i in ids_a if i in ids_b]
    if not common:
        raise UsageError(
            f"runs {a.run_id!r} and {b.run_id!r} share no cell",
            hint="compare runs of the same suite (cells are matched by cell_id)",
        )
    groups: dict[tuple[str, str], list[tuple[Cell, Cell]]] = defaultdict(list)
    for cell_id in common:
        ca, cb = ids_a[cell_id], ids_b[cell_id]
        if ca.status == "ok" and cb.status == "ok":
            groups[(ca.task, ca.strategy)].append((ca, cb))
    comparisons = tuple(
        GroupComparison(
            task=task,
            strategy=strategy,
            pairs=len(pairs),
            deltas=_group_deltas(pairs, confidence, seed),
            mcnemar=_mcnemar(pairs),
        )
        for (task, strategy), pairs in sorted(groups.items())
    )
    return Comparison(
        run_a=a.run_id,
        run_b=b.run_id,
        pairs=len(common),
        only_a=len(ids_a) - len(common),
        only_b=len(ids_b) - len(common),
        confidence=confidence,
        groups=comparisons,
        fronts=_fronts(a, b),
    )


def _shown_metrics(comparison: Comparison, metrics: Sequence[str] | None) -> list[str]:
    if metrics is not None:
        return list(metrics)
    present = {d.metric for g in comparison.groups for d in g.deltas}
    return [name for name, spec in METRICS.items() if spec.better is not None and name in present]


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _delta_rows(comparison: Comparison, metrics: Sequence[str] | None) -> list[list[str]]:
    rows: list[list[str]] = []
    for group in comparison.groups:
        for name in _shown_metrics(comparison, metrics):
            delta = group.delta(name)
            if delta is None:
                continue
            test = ""
            if name == "passed" and group.mcnemar is not None:
                m = group.mcnemar
                test = f"McNemar {m.a_only}/{m.b_only} p={m.p_value:.3g}"
            rows.append(
                [
                    group.task,
                    group.strategy,
                    name,
                    str(delta.pairs),
                    f"{_fmt(delta.mean_a)} -> {_fmt(delta.mean_b)}",
                    f"{delta.diff:+.4g} [{delta.low:+.4g}, {delta.high:+.4g}]",
                    delta.verdict,
                    test,
                ]
            )
    return rows


_DELTA_HEADER = ["task", "strategy", "metric", "pairs", "A -> B", "diff [CI]", "verdict", "test"]


def _front_text(points: Sequence[ParetoPoint]) -> str:
    front = sorted((p for p in points if p.on_front), key=lambda p: p.tokens)
    return ", ".join(f"{p.label} ({p.tokens:.0f} tok, {p.accuracy:.3g})" for p in front) or "-"


def _markdown(comparison: Comparison, metrics: Sequence[str] | None) -> str:
    c = comparison
    level = f"{c.confidence:.0%}"
    lines = [
        f"## {c.run_b} vs {c.run_a}",
        "",
        f"{c.pairs} paired cells ({c.only_a} only in {c.run_a}, {c.only_b} only in {c.run_b}); "
        f"diff is B - A with a {level} bootstrap interval.",
        "",
        "| " + " | ".join(_DELTA_HEADER) + " |",
        "|" + "---|" * len(_DELTA_HEADER),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in _delta_rows(c, metrics)]
    lines += [
        "",
        "### Pareto fronts (accuracy vs tokens)",
        "",
        "| task | reader | metric | A | B |",
    ]
    lines.append("|---|---|---|---|---|")
    for f in c.fronts:
        lines.append(
            f"| {f.task} | {f.reader} | {f.metric} | {_front_text(f.a)} | {_front_text(f.b)} |"
        )
    return "\n".join(lines) + "\n"


def _rich(comparison: Comparison, metrics: Sequence[str] | None) -> RenderableType:
    from rich.console import Group
    from rich.table import Table

    c = comparison
    deltas = Table(
        title=f"{c.run_b} vs {c.run_a}: {c.pairs} paired cells "
        f"(diff B - A, {c.confidence:.0%} bootstrap CI)"
    )
    for name in _DELTA_HEADER:
        deltas.add_column(name, justify="right" if name in ("pairs",) else "left")
    styles = {"better": "green", "worse": "red", "changed": "yellow", "same": ""}
    for row in _delta_rows(c, metrics):
        deltas.add_row(*row[:6], f"[{styles[row[6]]}]{row[6]}[/]" if styles[row[6]] else row[6],
                       row[7])  # fmt: skip
    fronts = Table(title="Pareto fronts (accuracy vs tokens)")
    for name in ("task", "reader", "metric", c.run_a, c.run_b):
        fronts.add_column(name)
    for f in c.fronts:
        fronts.add_row(f.task, f.reader, f.metric, _front_text(f.a), _front_text(f.b))
    return Group(deltas, fronts)
