"""The regression gate: flag what got worse past a threshold factor and significantly.

As asv does, a metric is flagged only when its mean moves past ``factor`` in
the bad direction (`MetricSpec.better` says which one that is) **and** a
Mann-Whitney U test says the two samples differ (``p < alpha``). A gate runs
dozens of tests, so by default the p-values are Holm-Bonferroni adjusted: the
chance of any false alarm among the metric checks stays below ``alpha``, and
likewise among the Pareto points tested. The same rule
runs on the share of cells that failed (a strategy's refusal, `REFUSALS`, is a
result and does not count) and on each task's accuracy-vs-tokens
Pareto front: a baseline front point is lost when no point of the new run
reaches ``accuracy / factor`` within ``tokens * factor``, and the best one that
comes close is significantly worse.

Cells are compared by condition (task, parameters, strategy, budget, reader),
seeds pooled, so runs with other seeds compare too; conditions only one run
has are left out and counted.

Timings (`MetricSpec.timing`: ``pack_latency_ms``, ``reader_latency_ms``) move
with the machine's load as much as with the code, so two runs of the same code
on a shared machine differ by 2x and more. They are left out of the gate unless
asked: ``timing=True`` gates the CPU timings (``pack_cpu_ms``: the packing
thread's CPU time, which other processes taking the core do not inflate), and
``wall_timing=True`` the wall times too (only worth it on a machine no other job
uses: the load can change in the middle of a run). The timings gated are judged so:

- each run's manifest records a calibration (a fixed workload timed several
  times at the run's start and end, on the wall and the CPU clock, see
  `aifkit.bench._calibration`); when the two runs' calibration samples on a
  clock differ significantly (Mann-Whitney, ``alpha``), the machine ran at
  another speed and the run's timings on that clock are scaled by the ratio of
  the calibration medians; when they do not, scaling would only add the
  calibration's own noise, and the timings are compared as measured;
- medians are compared instead of means, each condition centered on its
  baseline median (one stalled cell moves neither);
- the move must pass ``timing_factor`` (default 1.5) as well as ``factor``, and
  be at least ``timing_min_ms`` (default 1 ms: below that, a timer tick or one
  preemption is the whole difference).

Runs without a calibration (older ones) are compared raw, with the same
minimum effect, and the report says so.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from aifkit.bench._calibration import Clock, calibration_ms, samples
from aifkit.bench._compare import (
    ParetoPoint,
    accuracy_metric,
    budget_label,
    metric_value,
    pareto_points,
    resolve_run,
)
from aifkit.bench._metrics import METRICS
from aifkit.bench._stats import holm, mann_whitney_p
from aifkit.bench._store import Cell, Run
from aifkit.errors import UnknownNameError, UsageError

__all__ = [
    "EXIT_REGRESSION",
    "FAILED",
    "PARETO",
    "TIMING_FACTOR",
    "TIMING_MIN_MS",
    "FrontLoss",
    "MetricChange",
    "RegressionReport",
    "TimingScale",
    "regress",
]

EXIT_REGRESSION = 1
"""Exit code of ``aif bench regress`` when it found a regression (0: none; 2: bad input)."""

FAILED = "failed"
"""The pseudo-metric for the share of cells that failed (lower is better); a cell its
strategy refused (`Cell.refused`: a budget below what must be kept, a rejected summary)
is a result, not a failure, and does not count."""

PARETO = "pareto"
"""The name that turns the Pareto-front check off in ``ignore``."""

Status = Literal["regressed", "improved", "unchanged"]
Correction = Literal["holm", "none"]
TimingBasis = Literal["calibrated", "same-speed", "raw"]

TIMING_FACTOR = 1.5
"""The smallest move of a timing that counts, whatever ``factor`` is (``--timing-factor``)."""

TIMING_MIN_MS = 1.0
"""The smallest move of a timing, in ms, that counts (``--timing-min-ms``)."""


@dataclass(frozen=True, slots=True)
class MetricChange:
    """One metric of one task and strategy, baseline against run.

    Attributes:
        task: The task.
        strategy: The strategy.
        metric: The metric (or `FAILED`).
        better: Which direction is better.
        baseline: Mean in the baseline.
        value: Mean in the run.
        n_baseline: Cells in the baseline sample.
        n_run: Cells in the run sample.
        p_value: Mann-Whitney U two-sided p-value.
        p_adjusted: ``p_value`` adjusted for the number of tests (what is compared to alpha).
        status: ``regressed`` or ``improved`` when past the factor and significant.
        threshold: The factor this check was judged on (0: the report's ``factor``); for
            a timing, the larger of ``factor`` and ``timing_factor``.
        timing: A timing metric: ``baseline`` and ``value`` are medians, and the run's
            value is scaled to the baseline's calibration when both runs have one.

    Examples:
        >>> change = MetricChange("niah", "pack:recency", "pack_latency_ms", "lower",
        ...     2.0, 5.0, 24, 24, 1e-6, 4e-5, "regressed")
        >>> change.ratio
        2.5
    """

    task: str
    strategy: str
    metric: str
    better: Literal["higher", "lower"]
    baseline: float
    value: float
    n_baseline: int
    n_run: int
    p_value: float
    p_adjusted: float
    status: Status
    threshold: float = 0.0
    timing: bool = False

    @property
    def ratio(self) -> float | None:
        """``value / baseline``; None when the baseline is 0."""
        return self.value / self.baseline if self.baseline else None

    def to_json(self) -> dict[str, Any]:
        """Return the change as JSON-ready data."""
        return {
            "task": self.task,
            "strategy": self.strategy,
            "metric": self.metric,
            "better": self.better,
            "baseline": self.baseline,
            "value": self.value,
            "ratio": self.ratio,
            "n_baseline": self.n_baseline,
            "n_run": self.n_run,
            "p_value": self.p_value,
            "p_adjusted": self.p_adjusted,
            "status": self.status,
            "threshold": self.threshold,
            "timing": self.timing,
        }


@dataclass(frozen=True, slots=True)
class FrontLoss:
    """A baseline Pareto point the run no longer reaches.

    Attributes:
        task: The task.
        reader: The reader (each task and reader has its own front).
        metric: The accuracy metric.
        point: The baseline's front point that was lost.
        best: The run's most accurate point within ``point.tokens * factor``
            (None: the run has none that small).
        p_value: Mann-Whitney p-value of the accuracy (or, when ``best`` is None,
            the tokens) of the two points' cells.
        p_adjusted: ``p_value`` adjusted for the number of tests.
    """

    task: str
    reader: str
    metric: str
    point: ParetoPoint
    best: ParetoPoint | None
    p_value: float
    p_adjusted: float

    def to_json(self) -> dict[str, Any]:
        """Return the loss as JSON-ready data."""
        return {
            "task": self.task,
            "reader": self.reader,
            "metric": self.metric,
            "point": self.point.to_json(),
            "best": None if self.best is None else self.best.to_json(),
            "p_value": self.p_value,
            "p_adjusted": self.p_adjusted,
        }


@dataclass(frozen=True, slots=True)
class TimingScale:
    """How the timings on one clock were judged.

    Attributes:
        clock: ``wall`` or ``cpu``.
        basis: ``calibrated`` (the calibrations differ significantly: the run's
            timings were multiplied by ``scale``), ``same-speed`` (they do not:
            timings as measured) or ``raw`` (a run recorded no calibration).
        scale: What the run's timings were multiplied by (1 unless ``calibrated``).
        baseline_ms: The baseline's calibration median (None: not recorded).
        run_ms: The run's calibration median (None: not recorded).

    Examples:
        >>> TimingScale("wall", "calibrated", 0.5, 10.0, 20.0).describe()
        'wall: calibrations 10 ms vs 20 ms differ, run scaled by 0.5'
        >>> TimingScale("cpu", "raw", 1.0, 3.0, None).describe()
        'cpu: raw, the run recorded no calibration'
    """

    clock: Clock
    basis: TimingBasis
    scale: float
    baseline_ms: float | None
    run_ms: float | None

    def describe(self) -> str:
        """A short phrase for the summaries."""
        if self.basis == "calibrated":
            return (
                f"{self.clock}: calibrations {self.baseline_ms:.3g} ms vs {self.run_ms:.3g} ms "
                f"differ, run scaled by {self.scale:.3g}"
            )
        if self.basis == "same-speed":
            return (
                f"{self.clock}: as measured, calibrations {self.baseline_ms:.3g} ms and "
                f"{self.run_ms:.3g} ms do not differ"
            )
        missing = " and the ".join(
            name
            for name, ms in (("baseline", self.baseline_ms), ("run", self.run_ms))
            if ms is None
        )
        return f"{self.clock}: raw, the {missing} recorded no calibration"

    def to_json(self) -> dict[str, Any]:
        """Return the scale as JSON-ready data."""
        return {
            "clock": self.clock,
            "basis": self.basis,
            "scale": self.scale,
            "baseline_ms": self.baseline_ms,
            "run_ms": self.run_ms,
        }


@dataclass(frozen=True, slots=True)
class RegressionReport:
    """What `regress` found.

    Attributes:
        baseline: The baseline run's id.
        run: The run's id.
        factor: The threshold factor.
        alpha: The significance level.
        correction: How p-values were adjusted for the number of tests (``holm``, ``none``).
        cells_baseline: Baseline cells compared (conditions both runs have).
        cells_run: Run cells compared.
        skipped_conditions: Conditions only one of the runs has (left out).
        changes: Every metric checked, per task and strategy.
        front_losses: Baseline front points the run lost.
        timing_scales: Per clock gated, how its timings were judged; empty when
            timings were left out of the gate.
        timing_factor: The smallest move of a timing that counts.
        timing_min_ms: The smallest move of a timing, in ms, that counts.
        timing_left_out: The timing metrics the runs report that were not gated.
    """

    baseline: str
    run: str
    factor: float
    alpha: float
    correction: Correction
    cells_baseline: int
    cells_run: int
    skipped_conditions: int
    changes: tuple[MetricChange, ...]
    front_losses: tuple[FrontLoss, ...]
    timing_scales: tuple[TimingScale, ...] = ()
    timing_factor: float = TIMING_FACTOR
    timing_min_ms: float = TIMING_MIN_MS
    timing_left_out: tuple[str, ...] = ()

    @property
    def timing_note(self) -> str:
        """One sentence on how timings were treated, for the summaries."""
        notes: list[str] = []
        if self.timing_scales:
            how = "; ".join(s.describe() for s in self.timing_scales)
            notes.append(
                f"timing gated on medians, flagged past {self.timing_factor:g}x and "
                f"{self.timing_min_ms:g} ms ({how})"
            )
        if self.timing_left_out:
            hint = (
                "--wall-timing (wall_timing=True) gates wall times too, on a machine no "
                "other job uses"
                if self.timing_scales
                else "--timing (timing=True) gates CPU timings against each run's "
                "calibration, --wall-timing wall times too"
            )
            notes.append(f"timing not gated ({', '.join(self.timing_left_out)}): {hint}")
        return "; ".join(notes)

    @property
    def regressions(self) -> tuple[MetricChange, ...]:
        """The changes flagged as regressions."""
        return tuple(c for c in self.changes if c.status == "regressed")

    @property
    def improvements(self) -> tuple[MetricChange, ...]:
        """The changes flagged as improvements."""
        return tuple(c for c in self.changes if c.status == "improved")

    @property
    def regressed(self) -> bool:
        """Whether any metric regressed or any Pareto front moved back."""
        return bool(self.regressions or self.front_losses)

    @property
    def exit_code(self) -> int:
        """0 when nothing regressed, else `EXIT_REGRESSION` (1)."""
        return EXIT_REGRESSION if self.regressed else 0

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "baseline": self.baseline,
            "run": self.run,
            "factor": self.factor,
            "alpha": self.alpha,
            "correction": self.correction,
            "regressed": self.regressed,
            "cells_baseline": self.cells_baseline,
            "cells_run": self.cells_run,
            "skipped_conditions": self.skipped_conditions,
            "changes": [c.to_json() for c in self.changes],
            "front_losses": [f.to_json() for f in self.front_losses],
            "timing": {
                "gated": bool(self.timing_scales),
                "factor": self.timing_factor,
                "min_ms": self.timing_min_ms,
                "left_out": list(self.timing_left_out),
                "clocks": [s.to_json() for s in self.timing_scales],
            },
        }

    def to_markdown(self) -> str:
        """A Markdown summary for a pull-request comment."""
        return _markdown(self)


def _condition(cell: Cell) -> str:
    return json.dumps(
        [cell.task, cell.params, cell.strategy, budget_label(cell), cell.reader],
        sort_keys=True,
        default=str,
    )


def _status(
    better: Literal["higher", "lower"],
    base: float,
    value: float,
    p: float,
    f: float,
    alpha: float,
    floor: float = 0.0,
) -> Status:
    if p >= alpha or abs(value - base) < floor:
        return "unchanged"
    worse = value < base / f if better == "higher" else value > base * f
    if worse:
        return "regressed"
    improved = value > base * f if better == "higher" else value < base / f
    return "improved" if improved else "unchanged"


Sample = tuple[list[float], list[float], list[float], list[float]]
"""Baseline values, run values, and both centered on each condition's baseline mean."""


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _paired_samples(
    a: Sequence[tuple[str, float]],
    b: Sequence[tuple[str, float]],
    center: Callable[[Sequence[float]], float] = _mean,
) -> Sample | None:
    """Keep conditions both sides report; center each value on its condition's baseline mean.

    (Or on ``center``: timings use the median, which one stalled cell does not move.)

    Centering takes the spread between conditions (budgets, lengths) out of the
    test, so Mann-Whitney sees the change itself, not how the grid varies.
    """
    by_a: dict[str, list[float]] = defaultdict(list)
    by_b: dict[str, list[float]] = defaultdict(list)
    for key, value in a:
        by_a[key].append(value)
    for key, value in b:
        by_b[key].append(value)
    shared = [key for key in by_a if key in by_b]
    if not shared:
        return None
    raw_a = [v for key in shared for v in by_a[key]]
    raw_b = [v for key in shared for v in by_b[key]]
    centers = {key: center(by_a[key]) for key in shared}
    centered_a = [v - centers[key] for key in shared for v in by_a[key]]
    centered_b = [v - centers[key] for key in shared for v in by_b[key]]
    return raw_a, raw_b, centered_a, centered_b


def _checks(
    cells_a: Sequence[Cell],
    cells_b: Sequence[Cell],
    ignore: AbstractSet[str],
    scales: Mapping[str, float],
) -> dict[str, Sample]:
    """Per metric with a direction (and `FAILED`), unless ignored: the samples of both runs.

    Timings are kept only for the clocks in ``scales``, the run's multiplied by
    their clock's scale.
    """
    samples: dict[str, Sample] = {}
    failed = _paired_samples(  # a strategy's refusal is a result, not a failure
        [(_condition(c), float(c.errored)) for c in cells_a],
        [(_condition(c), float(c.errored)) for c in cells_b],
    )
    if failed is not None and FAILED not in ignore:
        samples[FAILED] = failed
    ok_a = [(_condition(c), c) for c in cells_a if c.status == "ok"]
    ok_b = [(_condition(c), c) for c in cells_b if c.status == "ok"]
    for name, spec in METRICS.items():
        if spec.better is None or name in ignore or (spec.timing and spec.timing not in scales):
            continue
        scale = scales[spec.timing] if spec.timing else 1.0
        found = _paired_samples(
            [(key, v) for key, c in ok_a if (v := metric_value(c, name)) is not None],
            [(key, v * scale) for key, c in ok_b if (v := metric_value(c, name)) is not None],
            statistics.median if spec.timing else _mean,
        )
        if found is not None:
            samples[name] = found
    return samples


def _changes(
    groups: dict[tuple[str, str], tuple[list[Cell], list[Cell]]],
    ignore: AbstractSet[str],
    scales: Mapping[str, float],
    factor: float,
    timing_factor: float,
) -> list[MetricChange]:
    changes: list[MetricChange] = []
    for (task, strategy), (cells_a, cells_b) in sorted(groups.items()):
        samples = _checks(cells_a, cells_b, ignore, scales)
        for name, (a, b, centered_a, centered_b) in samples.items():
            better = "lower" if name == FAILED else METRICS[name].better or "higher"
            timing = name != FAILED and METRICS[name].timing is not None
            average = statistics.median if timing else _mean
            p = mann_whitney_p(centered_a, centered_b)
            changes.append(
                MetricChange(
                    task=task,
                    strategy=strategy,
                    metric=name,
                    better=better,
                    baseline=average(a),
                    value=average(b),
                    n_baseline=len(a),
                    n_run=len(b),
                    p_value=p,
                    p_adjusted=p,
                    status="unchanged",
                    threshold=max(factor, timing_factor) if timing else factor,
                    timing=timing,
                )
            )
    return changes


def _values(cells: Sequence[Cell], metric: str) -> dict[tuple[str, str], dict[str, list[float]]]:
    out: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(
        lambda: {"tokens": [], "accuracy": []}
    )
    for cell in cells:
        tokens, accuracy = metric_value(cell, "tokens_after"), metric_value(cell, metric)
        if cell.status == "ok" and tokens is not None and accuracy is not None:
            out[(cell.strategy, budget_label(cell))]["tokens"].append(tokens)
            out[(cell.strategy, budget_label(cell))]["accuracy"].append(accuracy)
    return out


def _front_losses(
    key: tuple[str, str], cells_a: Sequence[Cell], cells_b: Sequence[Cell], factor: float
) -> list[FrontLoss]:
    """The baseline front points the run does not cover, each with its raw p-value."""
    metric = accuracy_metric([c for c in (*cells_a, *cells_b) if c.status == "ok"])
    if metric is None:
        return []
    points_b = pareto_points(cells_b, metric)
    values_a, values_b = _values(cells_a, metric), _values(cells_b, metric)
    losses: list[FrontLoss] = []
    for point in pareto_points(cells_a, metric):
        if not point.on_front:
            continue
        near = [q for q in points_b if q.tokens <= point.tokens * factor]
        if any(q.accuracy >= point.accuracy / factor for q in near):
            continue
        here = values_a[(point.strategy, point.budget)]
        if near:
            best = max(near, key=lambda q: (q.accuracy, -q.tokens))
            there = values_b[(best.strategy, best.budget)]["accuracy"]
            p = mann_whitney_p(here["accuracy"], there)
        else:
            best = None
            same = values_b.get((point.strategy, point.budget))
            p = mann_whitney_p(here["tokens"], same["tokens"]) if same else 0.0
        losses.append(FrontLoss(*key, metric, point, best, p, p))
    return losses


def _unadjusted(p_values: Sequence[float]) -> list[float]:
    return list(p_values)


def regress(
    baseline: Run | str | Path,
    run: Run | str | Path,
    *,
    factor: float = 1.1,
    alpha: float = 0.05,
    correction: Correction = "holm",
    ignore: Iterable[str] = (),
    timing: bool = False,
    wall_timing: bool = False,
    timing_factor: float = TIMING_FACTOR,
    timing_min_ms: float = TIMING_MIN_MS,
) -> RegressionReport:
    """Check ``run`` against ``baseline`` for regressions.

    Args:
        baseline: The reference run (a `Run` or a run directory).
        run: The run to check.
        factor: How far a mean must move, as a ratio, to count (asv's default is 1.1).
        alpha: Significance level of the Mann-Whitney U tests.
        correction: ``holm`` (default) adjusts the p-values for the number of tests
            (Holm-Bonferroni; the metric checks and the Pareto points are two
            families); ``none`` compares each raw p-value to alpha.
        ignore: Metrics not to gate on; `FAILED` and the Pareto check (``pareto``)
            can be ignored too.
        timing: Gate the CPU timings too (`MetricSpec.timing` ``cpu``), on
            medians, scaled by the runs' calibrations when those differ (raw
            when a run has none); off by default.
        wall_timing: Gate the wall times too (implies ``timing``); off by
            default, since on a shared machine they move with the load.
        timing_factor: The smallest move of a timing that counts (the larger of
            it and ``factor`` applies).
        timing_min_ms: The smallest move of a timing, in ms, that counts.

    Raises:
        UsageError: ``factor`` or ``timing_factor`` is below 1, ``timing_min_ms``
            is negative, ``alpha`` is not in (0, 1), or the runs share no condition.
        StoreError: A run directory cannot be read.

    Examples:
        >>> def cell(i, passed, ms):
        ...     return Cell.from_json({"cell_id": f"c{i}", "task": "niah", "kind": "niah",
        ...         "params": {}, "strategy": "recency", "budget": {"spec": "0.5", "tokens": 50},
        ...         "seed": i, "reader": "evidence", "status": "ok", "error": None,
        ...         "metrics": {"passed": passed, "pack_latency_ms": ms}, "report": None,
        ...         "answer": None, "elapsed_ms": 1.0, "finished_at": "2026-01-01T00:00:00Z"})
        >>> base = Run(Path("a"), {"run_id": "a"}, tuple(cell(i, True, 10.0 + i) for i in range(8)))
        >>> new = Run(Path("b"), {"run_id": "b"}, tuple(cell(i, True, 20.0 + i) for i in range(8)))
        >>> regress(base, new).exit_code  # timings are not gated by default
        0
        >>> regress(base, new, timing=True).exit_code  # pack_latency_ms is a wall time
        0
        >>> report = regress(base, new, wall_timing=True)  # no calibration: raw
        >>> [(c.metric, c.status) for c in report.regressions]
        [('pack_latency_ms', 'regressed')]
        >>> report.timing_note
        'timing gated on medians, flagged past 1.5x and 1 ms (cpu: raw, the baseline and the run recorded no calibration; wall: raw, the baseline and the run recorded no calibration)'
        >>> regress(base, base, wall_timing=True).exit_code
        0
    """
    if factor < 1:
        raise UsageError(f"factor must be at least 1, got {factor}", hint="e.g. --factor 1.1")
    if timing_factor < 1:
        raise UsageError(
            f"timing factor must be at least 1, got {timing_factor}",
            hint="e.g. --timing-factor 1.5",
        )
    if not timing_min_ms >= 0:
        raise UsageError(
            f"timing minimum must be 0 ms or more, got {timing_min_ms}",
            hint="e.g. --timing-min-ms 1",
        )
    if not 0 < alpha < 1:
        raise UsageError(f"alpha must be in (0, 1), got {alpha}", hint="e.g. --alpha 0.05")
    if correction not in ("holm", "none"):
        raise UsageError(f"unknown correction {correction!r}", hint="use holm or none")
    ignored = frozenset(ignore)
    known = {*METRICS, FAILED, PARETO}
    unknown = sorted(ignored - known)
    if unknown:
        raise UnknownNameError("metric", unknown[0], known)
    a, b = resolve_run(baseline), resolve_run(run)
    keys_a = {_condition(c) for c in a.cells}
    keys_b = {_condition(c) for c in b.cells}
    shared = keys_a & keys_b
    if not shared:
        raise UsageError(
            f"runs {a.run_id!r} and {b.run_id!r} share no condition",
            hint="gate a run against a baseline of the same suite",
        )
    cells_a = [c for c in a.cells if _condition(c) in shared]
    cells_b = [c for c in b.cells if _condition(c) in shared]
    groups: dict[tuple[str, str], tuple[list[Cell], list[Cell]]] = defaultdict(lambda: ([], []))
    tasks: dict[tuple[str, str], tuple[list[Cell], list[Cell]]] = defaultdict(lambda: ([], []))
    for side, cells in ((0, cells_a), (1, cells_b)):
        for cell in cells:
            groups[(cell.task, cell.strategy)][side].append(cell)
            tasks[(cell.task, cell.reader)][side].append(cell)
    clocks: tuple[Clock, ...] = ("cpu", "wall") if wall_timing else ("cpu",) if timing else ()
    timing_scales = tuple(_timing_scale(a, b, clock, alpha) for clock in clocks)
    scales = {s.clock: s.scale for s in timing_scales}
    changes = _changes(groups, ignored, scales, factor, timing_factor)
    losses = [
        loss
        for key, (ta, tb) in sorted(tasks.items())
        if PARETO not in ignored
        for loss in _front_losses(key, ta, tb, factor)
    ]
    # Two families, each held to alpha: the metric checks, and the front points tested.
    adjust = holm if correction == "holm" else _unadjusted
    floors = {True: timing_min_ms, False: 0.0}
    changes = [
        replace(
            c,
            p_adjusted=p,
            status=_status(c.better, c.baseline, c.value, p, c.threshold, alpha, floors[c.timing]),
        )
        for c, p in zip(changes, adjust([c.p_value for c in changes]), strict=True)
    ]
    losses = [
        replace(f, p_adjusted=p)
        for f, p in zip(losses, adjust([f.p_value for f in losses]), strict=True)
        if p < alpha
    ]
    return RegressionReport(
        baseline=a.run_id,
        run=b.run_id,
        factor=factor,
        alpha=alpha,
        correction=correction,
        cells_baseline=len(cells_a),
        cells_run=len(cells_b),
        skipped_conditions=len(keys_a ^ keys_b),
        changes=tuple(changes),
        front_losses=tuple(losses),
        timing_scales=timing_scales,
        timing_factor=timing_factor,
        timing_min_ms=timing_min_ms,
        timing_left_out=_timings(cells_a, cells_b, ignored | set(scales)),
    )


def _timing_scale(a: Run, b: Run, clock: Clock, alpha: float) -> TimingScale:
    """How to judge timings: scale the run's by the calibrations' ratio only when they differ.

    The calibration is itself measured with noise: scaling by the ratio of two
    medians that do not differ significantly would add that noise, not remove any.
    """
    base_ms, run_ms = calibration_ms(a.meta, clock), calibration_ms(b.meta, clock)
    if base_ms is None or run_ms is None:
        return TimingScale(clock, "raw", 1.0, base_ms, run_ms)
    if mann_whitney_p(samples(a.meta, clock), samples(b.meta, clock)) >= alpha:
        return TimingScale(clock, "same-speed", 1.0, base_ms, run_ms)
    return TimingScale(clock, "calibrated", base_ms / run_ms, base_ms, run_ms)


def _timings(
    cells_a: Sequence[Cell], cells_b: Sequence[Cell], ignore: AbstractSet[str]
) -> tuple[str, ...]:
    """The timing metrics both runs report, not ignored, of no clock gated (in ``ignore``)."""
    names = [
        n
        for n, spec in METRICS.items()
        if spec.timing and n not in ignore and spec.timing not in ignore
    ]
    return tuple(
        n
        for n in names
        if any(metric_value(c, n) is not None for c in cells_a)
        and any(metric_value(c, n) is not None for c in cells_b)
    )


def _num(value: float) -> str:
    return f"{value:.4g}"


def _change_table(changes: Sequence[MetricChange]) -> list[str]:
    lines = [
        "| task | strategy | metric | baseline | run | ratio | p | p adj. | cells |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in changes:
        ratio = "-" if c.ratio is None else f"{c.ratio:.3g}x"
        lines.append(
            f"| {c.task} | {c.strategy} | {c.metric} ({c.better} is better) | {_num(c.baseline)} "
            f"| {_num(c.value)} | {ratio} | {c.p_value:.3g} | {c.p_adjusted:.3g} "
            f"| {c.n_baseline}/{c.n_run} |"
        )
    return lines


def _front_table(losses: Sequence[FrontLoss]) -> list[str]:
    lines = [
        "| task | reader | lost point | baseline | best now within tokens x factor | p | p adj. |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in losses:
        best = (
            "none"
            if f.best is None
            else f"{f.best.label}: {f.best.tokens:.0f} tok, {f.metric} {_num(f.best.accuracy)}"
        )
        lines.append(
            f"| {f.task} | {f.reader} | {f.point.label} | {f.point.tokens:.0f} tok, {f.metric} "
            f"{_num(f.point.accuracy)} | {best} | {f.p_value:.3g} | {f.p_adjusted:.3g} |"
        )
    return lines


def _markdown(report: RegressionReport) -> str:
    r = report
    count = len(r.regressions) + len(r.front_losses)
    head = f":x: {count} regression(s)" if r.regressed else ":white_check_mark: no regression"
    lines = [
        f"## aif bench regress: {head}",
        "",
        f"Run `{r.run}` against baseline `{r.baseline}`: {r.cells_run} cells vs "
        f"{r.cells_baseline}; flagged when a mean moves past {r.factor:g}x in the bad direction "
        f"and Mann-Whitney U gives p < {r.alpha:g}"
        + (" (Holm-adjusted)." if r.correction == "holm" else "."),
    ]
    if r.skipped_conditions:
        lines.append(f"{r.skipped_conditions} condition(s) only one run has were left out.")
    if r.timing_note:
        lines.append(r.timing_note[0].upper() + r.timing_note[1:] + ".")
    if r.regressions:
        lines += ["", "### Regressions", "", *_change_table(r.regressions)]
    if r.front_losses:
        lines += ["", "### Pareto fronts that moved back", "", *_front_table(r.front_losses)]
    if r.improvements:
        lines += ["", "### Improvements", "", *_change_table(r.improvements)]
    lines += [
        "",
        f"<details><summary>All {len(r.changes)} checks</summary>",
        "",
        *_change_table(r.changes),
        "",
        "</details>",
    ]
    return "\n".join(lines) + "\n"
