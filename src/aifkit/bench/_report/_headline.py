"""The headline: the per-strategy table `aif bench run` prints, with intervals, and its scatter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aifkit.bench._compare import metric_value
from aifkit.bench._report._base import (
    ACCURACY_AXIS,
    Plotly,
    Section,
    Styles,
    div,
    e,
    fmt,
    strategy_cells,
)
from aifkit.bench._stats import Interval, bootstrap_mean_ci, pareto_front
from aifkit.bench._store import Cell, Run
from aifkit.bench._summary import StrategySummary, summarize

__all__ = ["headline_section"]


@dataclass(frozen=True, slots=True)
class _Row:
    summary: StrategySummary
    passed: Interval | None
    evidence: Interval | None
    kept: float | None
    """Tokens kept over tokens before, pooled over the strategy's cells."""


def _interval(cells: Sequence[Cell], metric: str) -> Interval | None:
    values = [v for c in cells if c.status == "ok" and (v := metric_value(c, metric)) is not None]
    return bootstrap_mean_ci(values) if values else None


def _rows(run: Run, cells: Sequence[Cell]) -> list[_Row]:
    rows: list[_Row] = []
    for summary in summarize(Run(run.path, run.meta, tuple(cells))):
        mine = [c for c in cells if c.strategy == summary.strategy]
        kept = None if summary.tokens_saved is None else 1 - summary.tokens_saved
        rows.append(
            _Row(summary, _interval(mine, "passed"), _interval(mine, "evidence_survival"), kept)
        )
    return rows


def _share(interval: Interval | None) -> str:
    if interval is None:
        return "-"
    return (
        f"{interval.mean:.0%} <small>[{interval.low:.0%}, {interval.high:.0%}]</small>"
        if interval.high > interval.low
        else f"{interval.mean:.0%}"
    )


def _table(rows: Sequence[_Row], styles: Styles) -> str:
    head = (
        "<table class='headline'><thead><tr><th>strategy</th><th>cells</th><th>failed</th>"
        "<th>passed [95% CI]</th><th>evidence kept [95% CI]</th><th>tokens kept</th>"
        "<th>over budget</th><th>orphans</th><th>pack ms (median)</th></tr></thead><tbody>"
    )
    body: list[str] = []
    for row in rows:
        s = row.summary
        badge = ' <span class="peer">peer</span>' if styles.is_peer(s.strategy) else ""
        swatch = f'<span class="swatch" style="background:{styles.color(s.strategy)}"></span>'
        body.append(
            f"<tr><td>{swatch}{e(s.strategy)}{badge}</td><td>{s.cells}</td>"
            f'<td class="{"bad" if s.failed else ""}">{s.failed}</td>'
            f"<td>{_share(row.passed)}</td><td>{_share(row.evidence)}</td>"
            f"<td>{'-' if row.kept is None else f'{row.kept:.0%}'}</td>"
            f'<td class="{"bad" if s.budget_violations else ""}">{s.budget_violations}</td>'
            f'<td class="{"bad" if s.orphaned_tool_messages else ""}">'
            f"{s.orphaned_tool_messages}</td><td>{fmt(s.pack_latency_ms, 2)}</td></tr>"
        )
    return head + "".join(body) + "</tbody></table>"


def _scatter(plotly: Plotly, rows: Sequence[_Row], styles: Styles) -> str | None:
    points = [
        (r, kept, passed)
        for r in rows
        if (kept := r.kept) is not None and (passed := r.passed) is not None
    ]
    if not points:
        return None
    go = plotly.go
    fig = go.Figure()
    for row, kept, passed in points:
        name = row.summary.strategy
        fig.add_trace(
            go.Scatter(
                x=[kept],
                y=[passed.mean],
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [passed.high - passed.mean],
                    "arrayminus": [passed.mean - passed.low],
                    "color": styles.color(name),
                },
                mode="markers",
                name=name,
                marker=styles.marker(name, 14),
                hovertemplate=f"{name}<br>tokens kept %{{x:.1%}}<br>passed %{{y:.1%}}"
                f" [{passed.low:.0%}, {passed.high:.0%}]<extra></extra>",
            )
        )
    front = pareto_front([(kept, passed.mean) for _, kept, passed in points])
    fig.add_trace(
        go.Scatter(
            x=[points[i][1] for i in front],
            y=[points[i][2].mean for i in front],
            mode="lines",
            name="Pareto front",
            line={"dash": "dash", "color": "#444", "width": 1.5},
            hoverinfo="skip",
        )
    )
    fig.update_layout(
        height=420,
        margin={"t": 30, "b": 50},
        xaxis={
            "title": "tokens kept (share of the context before packing)",
            "tickformat": ".0%",
            "range": [0, max(kept for _, kept, _ in points) * 1.1],
        },
        yaxis={"title": "passed (share of cells, 95% CI)", **ACCURACY_AXIS},
    )
    return div(fig)


def headline_section(plotly: Plotly, run: Run, styles: Styles) -> Section:
    """The run at a glance: the CLI's per-strategy table with 95% intervals, and its scatter."""
    cells = strategy_cells(run)
    rows = _rows(run, cells)
    if not rows:
        return Section("headline", "At a glance", "", "<p>The run has no strategy cells.</p>")
    scatter = _scatter(plotly, rows, styles) or ""
    return Section(
        "headline",
        "At a glance",
        "One row per strategy over all tasks, as `aif bench run` prints it; the brackets are "
        "95% bootstrap intervals over the cells. Below, accuracy against the share of tokens "
        "kept: the dashed line is the Pareto front (no strategy is both smaller and more "
        "accurate than a point on it). Peers are drawn hollow.",
        _table(rows, styles) + scatter,
    )
