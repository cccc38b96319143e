"""The last run's charts per task: accuracy vs tokens, needle grids, savings, per-task bars."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aifkit.bench._compare import ParetoPoint, accuracy_metric, metric_value, pareto_points
from aifkit.bench._report._base import (
    ACCURACY_AXIS,
    Plotly,
    Section,
    Styles,
    by_task,
    div,
    e,
    fmt,
    mean,
    strategy_cells,
)
from aifkit.bench._store import Cell, Run

__all__ = ["needle_section", "pareto_section", "savings_section", "tasks_section"]


def _x(p: ParetoPoint, use_ratio: bool) -> float:
    return p.ratio if use_ratio and p.ratio is not None else p.tokens


def _pareto_traces(
    plotly: Plotly, points: Sequence[ParetoPoint], styles: Styles, metric: str, shown: set[str]
) -> list[Any]:
    go = plotly.go
    use_ratio = all(p.ratio is not None for p in points)
    traces: list[Any] = []
    for strategy in styles.order:
        mine = [p for p in points if p.strategy == strategy]
        if not mine:
            continue
        traces.append(
            go.Scatter(
                x=[_x(p, use_ratio) for p in mine],
                y=[p.accuracy for p in mine],
                mode="lines+markers",
                name=strategy,
                legendgroup=strategy,
                showlegend=strategy not in shown,
                marker=styles.marker(strategy),
                line={"color": styles.color(strategy), "dash": styles.dash(strategy), "width": 1},
                text=[f"{p.label}<br>{p.tokens:.0f} tokens, {p.cells} cells" for p in mine],
                hovertemplate="%{text}<br>" + f"{metric}: " + "%{y:.3f}<extra></extra>",
            )
        )
        shown.add(strategy)
    front = sorted((p for p in points if p.on_front), key=lambda p: _x(p, use_ratio))
    traces.append(
        go.Scatter(
            x=[_x(p, use_ratio) for p in front],
            y=[p.accuracy for p in front],
            mode="lines+markers",
            name="Pareto front",
            legendgroup="front",
            showlegend="front" not in shown,
            line={"dash": "dash", "color": "#444"},
            marker={"symbol": "circle-open", "size": 19, "color": "#444"},
            hoverinfo="skip",
        )
    )
    shown.add("front")
    return traces


def _pareto_figure(plotly: Plotly, task: str, cells: Sequence[Cell], styles: Styles) -> Any | None:
    metric = accuracy_metric([c for c in cells if c.status == "ok"])
    if metric is None:
        return None
    by_reader = {
        reader: points
        for reader in sorted({c.reader for c in cells})
        if (points := pareto_points([c for c in cells if c.reader == reader], metric))
    }
    if not by_reader:
        return None
    use_ratio = all(p.ratio is not None for ps in by_reader.values() for p in ps)
    fig = plotly.make_subplots(
        rows=1, cols=len(by_reader), subplot_titles=[f"reader: {r}" for r in by_reader]
    )
    shown: set[str] = set()
    for col, points in enumerate(by_reader.values(), start=1):
        for trace in _pareto_traces(plotly, points, styles, metric, shown):
            fig.add_trace(trace, row=1, col=col)
        fig.update_xaxes(
            title_text="tokens kept / tokens before" if use_ratio else "tokens after",
            row=1,
            col=col,
        )
        fig.update_yaxes(row=1, col=col, **ACCURACY_AXIS)
    fig.update_yaxes(title_text=f"{metric} (mean)", row=1, col=1)
    fig.update_layout(title=f"{task}: {metric} vs tokens kept", height=420,
                      margin={"t": 80, "b": 40})  # fmt: skip
    return fig


def pareto_section(plotly: Plotly, run: Run, styles: Styles) -> Section:
    """Per task and reader, accuracy against tokens kept with the Pareto front."""
    divs = [
        div(fig)
        for task, cells in by_task(strategy_cells(run)).items()
        if (fig := _pareto_figure(plotly, task, cells, styles)) is not None
    ]
    return Section(
        "pareto",
        "Accuracy vs tokens, per task",
        "Per task and reader, one point per strategy and budget (mean over cells); the dashed "
        "line is the Pareto front: no other point is both smaller and more accurate.",
        "".join(divs) or "<p>No cell reports both tokens and an accuracy metric.</p>",
    )


def _needle_figure(plotly: Plotly, title: str, cells: Sequence[Cell]) -> Any | None:
    metric = accuracy_metric(cells)
    depths = sorted({float(c.params["depth"]) for c in cells})
    lengths = sorted({int(c.params["length"]) for c in cells})
    if metric is None or len(depths) * len(lengths) < 2:
        return None
    strategies = sorted({c.strategy for c in cells})
    fig = plotly.make_subplots(rows=1, cols=len(strategies), subplot_titles=strategies)
    for col, strategy in enumerate(strategies, start=1):
        sums: dict[tuple[float, int], list[float]] = defaultdict(list)
        for c in cells:
            v = metric_value(c, metric)
            if c.strategy == strategy and v is not None:
                sums[(float(c.params["depth"]), int(c.params["length"]))].append(v)
        z = [[mean(sums.get((d, n), [])) for n in lengths] for d in depths]
        fig.add_trace(
            plotly.go.Heatmap(
                z=z,
                x=[str(n) for n in lengths],
                y=[f"{d:g}" for d in depths],
                zmin=0,
                zmax=1,
                colorscale="RdYlGn",
                showscale=col == len(strategies),
                hovertemplate=f"length %{{x}}<br>depth %{{y}}<br>{metric} %{{z:.2f}}"
                f"<extra>{strategy}</extra>",
            ),
            row=1,
            col=col,
        )
        fig.update_xaxes(title_text="context length (tokens)", type="category", row=1, col=col)
    fig.update_yaxes(title_text="needle depth", type="category", row=1, col=1)
    fig.update_layout(title=f"{title}: mean {metric}", height=400, margin={"t": 90, "b": 50})
    return fig


def needle_section(plotly: Plotly, run: Run) -> Section:
    """Needle-in-a-haystack accuracy per depth and length, one panel per strategy."""
    groups: dict[tuple[str, str], list[Cell]] = defaultdict(list)
    for c in run.cells:
        if c.kind == "niah" and "depth" in c.params and "length" in c.params and c.status == "ok":
            groups[(c.task, c.reader)].append(c)
    divs = [
        div(fig)
        for (task, reader), cells in sorted(groups.items())
        if (fig := _needle_figure(plotly, f"{task}, reader {reader}", cells)) is not None
    ]
    return Section(
        "needles",
        "Needle depth x length",
        "Mean accuracy of the needle-in-a-haystack cells per depth (0: start, 1: end) and "
        "context length, budgets pooled; one panel per strategy, one chart per task and reader.",
        "".join(divs) or "<p>No needle cells with a depth x length grid.</p>",
    )


def savings_section(plotly: Plotly, run: Run, styles: Styles) -> Section:
    """Tokens saved and the cost of what was sent, per strategy."""
    ok = [c for c in strategy_cells(run) if c.status == "ok"]
    strategies = sorted({c.strategy for c in ok})
    saved: list[float | None] = []
    cost: list[float | None] = []
    for strategy in strategies:
        mine = [c for c in ok if c.strategy == strategy]
        diffs = [
            b - a
            for c in mine
            if (b := metric_value(c, "tokens_before")) is not None
            and (a := metric_value(c, "tokens_after")) is not None
        ]
        saved.append(mean(diffs))
        costs = [v for c in mine if (v := metric_value(c, "cost_usd")) is not None]
        cost.append(sum(costs) if costs else None)
    fig = plotly.make_subplots(
        rows=1, cols=2, subplot_titles=("Tokens saved per cell (mean)", "Cost, all cells (USD)")
    )
    colors = [styles.color(s) for s in strategies]
    for col, values, name in ((1, saved, "tokens saved"), (2, cost, "cost")):
        fig.add_trace(
            plotly.go.Bar(
                x=strategies,
                y=values,
                marker_color=colors,
                name=name,
                text=["n/a" if v is None else "" for v in values],
                textposition="outside",
            ),
            row=1,
            col=col,
        )
    fig.update_layout(height=380, showlegend=False, margin={"t": 60, "b": 80})
    return Section(
        "savings",
        "Token savings and cost per strategy",
        "tokens_before - tokens_after averaged over the finished cells, and the summed "
        "cost_usd of the packed contexts at list prices; n/a: the strategy reports no tokens.",
        div(fig),
    )


_TASK_COLUMNS = ("facts_kept", "ratio_achieved", "expand_calls")
"""Means shown beside each task's accuracy: all planted facts kept, size, expand calls."""


@dataclass(frozen=True, slots=True)
class _TaskRow:
    task: str
    strategy: str
    metric: str
    accuracy: float | None
    tokens: float | None
    more: tuple[float | None, ...]
    cells: int
    failed: int


def _task_rows(run: Run) -> list[_TaskRow]:
    rows: list[_TaskRow] = []
    for task, cells in by_task(strategy_cells(run)).items():
        metric = accuracy_metric([c for c in cells if c.status == "ok"]) or "-"
        for strategy in sorted({c.strategy for c in cells}):
            mine = [c for c in cells if c.strategy == strategy]
            ok = [c for c in mine if c.status == "ok"]

            def avg(name: str, ok: list[Cell] = ok) -> float | None:
                return mean([v for c in ok if (v := metric_value(c, name)) is not None])

            rows.append(_TaskRow(task, strategy, metric, avg(metric), avg("tokens_after"),
                                 tuple(avg(n) for n in _TASK_COLUMNS), len(mine),
                                 len(mine) - len(ok)))  # fmt: skip
    return rows


def tasks_section(plotly: Plotly, run: Run, styles: Styles) -> Section:
    """Each task's accuracy by strategy, as grouped bars and a table."""
    rows = _task_rows(run)
    tasks = sorted({r.task for r in rows})
    fig = plotly.go.Figure()
    for strategy in sorted({r.strategy for r in rows}):
        accuracy = {r.task: r.accuracy for r in rows if r.strategy == strategy}
        fig.add_trace(
            plotly.go.Bar(
                x=tasks,
                y=[accuracy.get(t) for t in tasks],
                name=strategy,
                marker_color=styles.color(strategy),
                marker_pattern_shape="/" if styles.is_peer(strategy) else "",
            )
        )
    fig.update_layout(barmode="group", height=380, margin={"t": 30, "b": 40},
                      yaxis={"title": "accuracy (mean)", **ACCURACY_AXIS})  # fmt: skip
    table = [
        "<table><thead><tr><th>task</th><th>strategy</th><th>accuracy metric</th>"
        "<th>accuracy</th><th>tokens after</th>"
        + "".join(f"<th>{name.replace('_', ' ')}</th>" for name in _TASK_COLUMNS)
        + "<th>cells</th><th>failed</th></tr></thead><tbody>"
    ]
    for r in rows:
        table.append(
            f"<tr><td>{e(r.task)}</td><td>{e(r.strategy)}</td><td>{e(r.metric)}</td>"
            f"<td>{fmt(r.accuracy)}</td><td>{fmt(r.tokens, 0)}</td>"
            + "".join(f"<td>{fmt(v)}</td>" for v in r.more)
            + f'<td>{r.cells}</td><td class="{"bad" if r.failed else ""}">{r.failed}</td></tr>'
        )
    table.append("</tbody></table>")
    return Section(
        "tasks",
        "Per-task breakdown",
        "Each task's accuracy metric (the first of passed, f1, exact_match, evidence_survival "
        "its cells report) by strategy, beside the means of facts_kept (all planted facts, "
        "asked or not), ratio_achieved and expand_calls ('-': not measured for that task).",
        div(fig) + "".join(table),
    )
