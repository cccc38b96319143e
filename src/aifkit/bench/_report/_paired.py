"""Paired differences with intervals: each strategy against a baseline, and this run against the last."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from aifkit.bench._compare import (
    ACCURACY_METRICS,
    Comparison,
    accuracy_metric,
    budget_label,
    compare,
    metric_value,
)
from aifkit.bench._report._base import Plotly, Section, Styles, by_task, div, e, strategy_cells
from aifkit.bench._stats import Interval, bootstrap_mean_ci
from aifkit.bench._store import Cell, Run
from aifkit.errors import UsageError

__all__ = ["BASELINES", "paired_section"]

BASELINES = ("truncate-front", "none")
"""The strategy the others are paired against: the first of these the run has."""

_ALL = "all tasks"


def _baseline(strategies: Sequence[str]) -> str | None:
    if len(strategies) < 2:  # nothing to pair with
        return None
    return next((b for b in BASELINES if b in strategies), min(strategies))


def _key(cell: Cell) -> str:
    """What a cell shares with its pair: the same instance, budget, seed and reader."""
    return json.dumps(
        [cell.task, cell.params, budget_label(cell), cell.seed, cell.reader],
        sort_keys=True,
        default=str,
    )


def _within(cells: Sequence[Cell], baseline: str) -> dict[str, dict[str, Interval]]:
    """Per strategy and task, the interval of ``strategy - baseline`` on the task's accuracy."""
    diffs: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for task, mine in by_task([c for c in cells if c.status == "ok"]).items():
        metric = accuracy_metric(mine)
        if metric is None:
            continue
        reference = {_key(c): v for c in mine if c.strategy == baseline
                     and (v := metric_value(c, metric)) is not None}  # fmt: skip
        for c in mine:
            if c.strategy == baseline:
                continue
            v, ref = metric_value(c, metric), reference.get(_key(c))
            if v is not None and ref is not None:
                diffs[c.strategy][task].append(v - ref)
                diffs[c.strategy][_ALL].append(v - ref)
    return {
        strategy: {task: bootstrap_mean_ci(values) for task, values in tasks.items()}
        for strategy, tasks in sorted(diffs.items())
    }


def _forest(
    plotly: Plotly, series: dict[str, dict[str, Interval]], styles: Styles, title: str
) -> Any:
    go = plotly.go
    fig = go.Figure()
    rows = sorted({task for tasks in series.values() for task in tasks if task != _ALL})
    rows = [_ALL, *rows] if any(_ALL in t for t in series.values()) else rows
    # Each strategy on its own lane within a task's row, so equal results never overlap.
    lanes = len(series)
    for lane, (strategy, tasks) in enumerate(series.items()):
        shown = [t for t in rows if t in tasks]
        offset = (lane - (lanes - 1) / 2) * (0.7 / max(lanes, 1))
        fig.add_trace(
            go.Scatter(
                x=[tasks[t].mean for t in shown],
                y=[rows.index(t) + offset for t in shown],
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [tasks[t].high - tasks[t].mean for t in shown],
                    "arrayminus": [tasks[t].mean - tasks[t].low for t in shown],
                    "color": styles.color(strategy),
                },
                mode="markers",
                name=strategy,
                marker=styles.marker(strategy, 10),
                text=shown,
                hovertemplate=f"{strategy}<br>%{{text}}: %{{x:+.3f}}<extra></extra>",
            )
        )
    fig.add_vline(x=0, line={"color": "#888", "width": 1})
    fig.update_layout(
        title=title,
        height=max(280, 90 + len(rows) * max(44, 13 * len(series))),
        margin={"t": 50, "b": 40, "l": 160},
        xaxis={"title": "mean paired difference (95% bootstrap CI)", "zeroline": False},
        yaxis={
            "autorange": "reversed",
            "tickvals": list(range(len(rows))),
            "ticktext": rows,
            "zeroline": False,
        },
    )
    return fig


def _across(comparison: Comparison) -> dict[str, dict[str, Interval]]:
    """``compare``'s per-group accuracy deltas, as forest series per strategy."""
    series: dict[str, dict[str, Interval]] = defaultdict(dict)
    for group in comparison.groups:
        delta = next((d for m in ACCURACY_METRICS if (d := group.delta(m)) is not None), None)
        if delta is not None:
            series[group.strategy][group.task] = Interval(
                delta.diff, delta.low, delta.high, comparison.confidence
            )
    return dict(sorted(series.items()))


def _verdicts(comparison: Comparison) -> str:
    # Timings are left to the trend gates, which judge them against calibrated noise:
    # on a shared machine a bare interval on milliseconds cries wolf.
    worse = [
        f"{g.task} / {g.strategy}: {d.metric} {d.mean_a:.3g} -> {d.mean_b:.3g}"
        for g in comparison.groups
        for d in g.deltas
        if d.verdict == "worse" and not d.metric.endswith("_ms")
    ]
    if not worse:
        return (
            "<p>No accuracy or token metric is worse with a 95% interval that excludes zero "
            "(timings: see the trend gates below).</p>"
        )
    items = "".join(f"<li>{e(w)}</li>" for w in worse)
    return f'<p class="bad">Worse, the interval excluding zero:</p><ul>{items}</ul>'


def paired_section(plotly: Plotly, runs: Sequence[Run], styles: Styles) -> Section:
    """Forest plots of paired differences: within the last run, and against the run before."""
    last = runs[-1]
    cells = strategy_cells(last)
    parts: list[str] = []
    baseline = _baseline(sorted({c.strategy for c in cells}))
    if baseline is not None and (within := _within(cells, baseline)):
        title = f"each strategy minus {baseline}, same instance, budget, seed and reader"
        parts.append(div(_forest(plotly, within, styles, title)))
    if len(runs) > 1:
        try:
            comparison = compare(runs[-2], last)
        except UsageError as exc:
            parts.append(f"<p>{e(runs[-1].run_id)} vs {e(runs[-2].run_id)}: {e(exc)}</p>")
        else:
            if across := _across(comparison):
                title = f"{last.run_id} minus {runs[-2].run_id}, cell by cell"
                parts.append(div(_forest(plotly, across, styles, title)) + _verdicts(comparison))
    return Section(
        "paired",
        "Paired differences",
        "Accuracy differences over matched cells, with 95% bootstrap intervals: a point right "
        "of zero whose bar does not cross it is a real gain. First each strategy against the "
        "baseline in this run; then, given two or more runs, this run against the one before "
        "(what `aif bench compare` reports).",
        "".join(parts) or "<p>Paired differences need two strategies or two runs.</p>",
    )
