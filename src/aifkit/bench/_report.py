"""The dashboard: one self-contained HTML file of Plotly charts over one or more runs.

plotly.js is inlined once in the page's head, so the file opens offline from a
``file://`` URL and references nothing on the network. The last run given is the
one the per-run charts and the cell table show; earlier runs feed the trends,
where each run is gated against the one before it (`regress`) and its
regressions are marked.
"""

from __future__ import annotations

import html
import importlib
import itertools
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aifkit.bench._compare import (
    ParetoPoint,
    accuracy_metric,
    budget_label,
    metric_value,
    pareto_points,
    resolve_run,
)
from aifkit.bench._regress import RegressionReport, regress
from aifkit.bench._store import Cell, Run
from aifkit.errors import MissingDependencyError, UsageError

__all__ = ["write_report"]

_CONFIG = {"displaylogo": False, "responsive": True}
_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


def _plotly() -> tuple[Any, Any, Callable[[], str]]:
    """plotly's graph objects, make_subplots and the plotly.js source (untyped: Any)."""
    try:
        go = importlib.import_module("plotly.graph_objects")
        subplots = importlib.import_module("plotly.subplots")
        offline = importlib.import_module("plotly.offline")
    except ImportError:
        raise MissingDependencyError("plotly", "bench") from None
    return go, subplots.make_subplots, offline.get_plotlyjs


@dataclass(frozen=True, slots=True)
class _Section:
    anchor: str
    title: str
    intro: str
    body: str


def _div(figure: Any) -> str:
    text: str = figure.to_html(full_html=False, include_plotlyjs=False, config=_CONFIG)
    return f'<div class="chart">{text}</div>'


def _color(strategies: Sequence[str], strategy: str) -> str:
    return _COLORS[sorted(strategies).index(strategy) % len(_COLORS)]


def _by_task(cells: Sequence[Cell]) -> dict[str, list[Cell]]:
    out: dict[str, list[Cell]] = defaultdict(list)
    for cell in cells:
        out[cell.task].append(cell)
    return dict(sorted(out.items()))


def _x(p: ParetoPoint, use_ratio: bool) -> float:
    return p.ratio if use_ratio and p.ratio is not None else p.tokens


def _pareto_traces(
    go: Any, points: Sequence[ParetoPoint], strategies: Sequence[str], metric: str, shown: set[str]
) -> list[Any]:
    use_ratio = all(p.ratio is not None for p in points)
    traces: list[Any] = []
    for strategy in strategies:
        mine = [p for p in points if p.strategy == strategy]
        if not mine:
            continue
        traces.append(
            go.Scatter(
                x=[_x(p, use_ratio) for p in mine],
                y=[p.accuracy for p in mine],
                mode="markers",
                name=strategy,
                legendgroup=strategy,
                showlegend=strategy not in shown,
                marker={"size": 11, "color": _color(strategies, strategy)},
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
            marker={"symbol": "circle-open", "size": 17, "color": "#444"},
            hoverinfo="skip",
        )
    )
    shown.add("front")
    return traces


def _pareto_figure(
    go: Any, make_subplots: Any, task: str, cells: Sequence[Cell], strategies: Sequence[str]
) -> Any | None:
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
    fig = make_subplots(
        rows=1, cols=len(by_reader), subplot_titles=[f"reader: {r}" for r in by_reader]
    )
    shown: set[str] = set()
    for col, points in enumerate(by_reader.values(), start=1):
        for trace in _pareto_traces(go, points, strategies, metric, shown):
            fig.add_trace(trace, row=1, col=col)
        fig.update_xaxes(
            title_text="tokens kept / tokens before" if use_ratio else "tokens after",
            row=1,
            col=col,
        )
    fig.update_yaxes(title_text=f"{metric} (mean)", row=1, col=1)
    fig.update_layout(title=f"{task}: {metric} vs compression", height=400,
                      margin={"t": 80, "b": 40})  # fmt: skip
    return fig


def _pareto_section(go: Any, make_subplots: Any, run: Run) -> _Section:
    strategies = sorted({c.strategy for c in run.cells})
    divs: list[str] = []
    for task, cells in _by_task(run.cells).items():
        fig = _pareto_figure(go, make_subplots, task, cells, strategies)
        if fig is not None:
            divs.append(_div(fig))
    return _Section(
        "pareto",
        "Accuracy vs compression",
        "Per task and reader, one point per strategy and budget (mean over cells); the dashed "
        "line is the Pareto front: no other point is both smaller and more accurate.",
        "".join(divs) or "<p>No cell reports both tokens and an accuracy metric.</p>",
    )


def _needle_figure(go: Any, make_subplots: Any, title: str, cells: Sequence[Cell]) -> Any | None:
    metric = accuracy_metric(cells)
    depths = sorted({float(c.params["depth"]) for c in cells})
    lengths = sorted({int(c.params["length"]) for c in cells})
    if metric is None or len(depths) * len(lengths) < 2:
        return None
    strategies = sorted({c.strategy for c in cells})
    fig = make_subplots(rows=1, cols=len(strategies), subplot_titles=strategies)
    for col, strategy in enumerate(strategies, start=1):
        sums: dict[tuple[float, int], list[float]] = defaultdict(list)
        for c in cells:
            v = metric_value(c, metric)
            if c.strategy == strategy and v is not None:
                sums[(float(c.params["depth"]), int(c.params["length"]))].append(v)
        z = [
            [sum(v) / len(v) if (v := sums.get((d, n))) else None for n in lengths] for d in depths
        ]
        fig.add_trace(
            go.Heatmap(
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


def _needle_section(go: Any, make_subplots: Any, run: Run) -> _Section:
    groups: dict[tuple[str, str], list[Cell]] = defaultdict(list)
    for c in run.cells:
        if c.kind == "niah" and "depth" in c.params and "length" in c.params and c.status == "ok":
            groups[(c.task, c.reader)].append(c)
    divs = [
        _div(fig)
        for (task, reader), cells in sorted(groups.items())
        if (fig := _needle_figure(go, make_subplots, f"{task}, reader {reader}", cells)) is not None
    ]
    return _Section(
        "needles",
        "Needle depth x length",
        "Mean accuracy of the needle-in-a-haystack cells per depth (0: start, 1: end) and "
        "context length, budgets pooled; one panel per strategy, one chart per task and reader.",
        "".join(divs) or "<p>No needle cells with a depth x length grid.</p>",
    )


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _savings_section(go: Any, make_subplots: Any, run: Run) -> _Section:
    ok = [c for c in run.cells if c.status == "ok"]
    strategies = sorted({c.strategy for c in ok})
    saved: list[float | None] = []
    cost: list[float] = []
    for strategy in strategies:
        mine = [c for c in ok if c.strategy == strategy]
        diffs = [
            b - a
            for c in mine
            if (b := metric_value(c, "tokens_before")) is not None
            and (a := metric_value(c, "tokens_after")) is not None
        ]
        saved.append(_mean(diffs))
        cost.append(sum(v for c in mine if (v := metric_value(c, "cost_usd")) is not None))
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("Tokens saved per cell (mean)", "Cost, all cells (USD)")
    )
    colors = [_color(strategies, s) for s in strategies]
    fig.add_trace(
        go.Bar(x=strategies, y=saved, marker_color=colors, name="tokens saved"), row=1, col=1
    )
    fig.add_trace(go.Bar(x=strategies, y=cost, marker_color=colors, name="cost"), row=1, col=2)
    fig.update_layout(height=360, showlegend=False, margin={"t": 60, "b": 40})
    return _Section(
        "savings",
        "Token savings and cost per strategy",
        "tokens_before - tokens_after averaged over the finished cells, and the summed "
        "cost_usd of the packed contexts at list prices.",
        _div(fig),
    )


_TASK_COLUMNS = ("facts_kept", "ratio_achieved", "expand_calls")
"""Means shown beside each task's accuracy: all planted facts kept, size, expand calls."""


def _task_rows(
    run: Run,
) -> list[tuple[str, str, float | None, float | None, int, int, str, list[float | None]]]:
    rows: list[tuple[str, str, float | None, float | None, int, int, str, list[float | None]]]
    rows = []
    for task, cells in _by_task(run.cells).items():
        metric = accuracy_metric([c for c in cells if c.status == "ok"]) or "-"
        for strategy in sorted({c.strategy for c in cells}):
            mine = [c for c in cells if c.strategy == strategy]
            ok = [c for c in mine if c.status == "ok"]

            def mean(name: str, ok: list[Cell] = ok) -> float | None:
                return _mean([v for c in ok if (v := metric_value(c, name)) is not None])

            more = [mean(name) for name in _TASK_COLUMNS]
            rows.append((task, strategy, mean(metric), mean("tokens_after"), len(mine),
                         len(mine) - len(ok), metric, more))  # fmt: skip
    return rows


def _opt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _tasks_section(go: Any, run: Run) -> _Section:
    rows = _task_rows(run)
    strategies = sorted({r[1] for r in rows})
    tasks = sorted({r[0] for r in rows})
    fig = go.Figure()
    for strategy in strategies:
        accuracy = {r[0]: r[2] for r in rows if r[1] == strategy}
        fig.add_trace(
            go.Bar(
                x=tasks,
                y=[accuracy.get(t) for t in tasks],
                name=strategy,
                marker_color=_color(strategies, strategy),
            )
        )
    fig.update_layout(
        barmode="group", height=360, yaxis_title="accuracy (mean)", margin={"t": 30, "b": 40}
    )
    table = [
        "<table><thead><tr><th>task</th><th>strategy</th><th>accuracy metric</th>"
        "<th>accuracy</th><th>tokens after</th>"
        + "".join(f"<th>{name.replace('_', ' ')}</th>" for name in _TASK_COLUMNS)
        + "<th>cells</th><th>failed</th></tr></thead><tbody>"
    ]
    for task, strategy, accuracy, tokens, count, failed, metric, more in rows:
        table.append(
            f"<tr><td>{_e(task)}</td><td>{_e(strategy)}</td><td>{_e(metric)}</td>"
            f"<td>{_opt(accuracy)}</td><td>{_opt(tokens, 0)}</td>"
            + "".join(f"<td>{_opt(v)}</td>" for v in more)
            + f'<td>{count}</td><td class="{"bad" if failed else ""}">{failed}</td></tr>'
        )
    table.append("</tbody></table>")
    return _Section(
        "tasks",
        "Per-task breakdown",
        "Each task's accuracy metric (the first of passed, f1, exact_match, evidence_survival "
        "its cells report) by strategy, beside the means of facts_kept (all planted facts, "
        "asked or not), ratio_achieved and expand_calls ('-': not measured for that task).",
        _div(fig) + "".join(table),
    )


def _gates(runs: Sequence[Run], factor: float, alpha: float) -> list[RegressionReport | str]:
    gates: list[RegressionReport | str] = []
    for before, after in itertools.pairwise(runs):
        try:
            # Timings too (on calibrated medians): the dashboard shows them, it gates nothing.
            gates.append(regress(before, after, factor=factor, alpha=alpha, wall_timing=True))
        except UsageError as exc:
            gates.append(str(exc))
    return gates


def _accuracy_by_strategy(run: Run) -> dict[str, float]:
    values: dict[str, list[float]] = defaultdict(list)
    for cells in _by_task(run.cells).values():
        metric = accuracy_metric([c for c in cells if c.status == "ok"])
        for c in cells:
            v = metric_value(c, metric) if metric and c.status == "ok" else None
            if v is not None:
                values[c.strategy].append(v)
    return {s: sum(v) / len(v) for s, v in values.items()}


def _trend_section(go: Any, runs: Sequence[Run], gates: Sequence[RegressionReport | str]) -> str:
    labels = [f"{i + 1}. {r.run_id}" for i, r in enumerate(runs)]
    series = [_accuracy_by_strategy(r) for r in runs]
    strategies = sorted({s for acc in series for s in acc})
    fig = go.Figure()
    for strategy in strategies:
        fig.add_trace(
            go.Scatter(
                x=labels,
                y=[acc.get(strategy) for acc in series],
                mode="lines+markers",
                name=strategy,
                marker={"color": _color(strategies, strategy), "size": 9},
            )
        )
    xs: list[str] = []
    ys: list[float | None] = []
    texts: list[str] = []
    for index, gate in enumerate(gates, start=1):
        if isinstance(gate, str):
            continue
        flagged: dict[str, list[str]] = defaultdict(list)
        for change in gate.regressions:
            flagged[change.strategy].append(f"{change.task}: {change.metric}")
        for loss in gate.front_losses:
            flagged[loss.point.strategy].append(f"{loss.task}: front lost {loss.point.label}")
        for strategy, what in sorted(flagged.items()):
            xs.append(labels[index])
            ys.append(series[index].get(strategy))
            texts.append(f"{strategy} regressed<br>" + "<br>".join(what))
    if xs:
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="markers",
                name="regression",
                marker={"symbol": "x", "size": 16, "color": "#d62728", "line": {"width": 2}},
                text=texts,
                hovertemplate="%{text}<extra></extra>",
            )
        )
    fig.update_layout(height=380, yaxis_title="accuracy (mean)", margin={"t": 30, "b": 60})
    return _div(fig)


def _gate_list(runs: Sequence[Run], gates: Sequence[RegressionReport | str]) -> str:
    items: list[str] = []
    for after, gate in zip(runs[1:], gates, strict=True):
        if isinstance(gate, str):
            items.append(f"<li>{_e(after.run_id)}: not comparable ({_e(gate)})</li>")
            continue
        found = [
            f"{c.task} / {c.strategy}: {c.metric} {c.baseline:.4g} -> {c.value:.4g} "
            f"(adjusted p={c.p_adjusted:.2g})"
            for c in gate.regressions
        ] + [f"{f.task}: Pareto point {f.point.label} lost" for f in gate.front_losses]
        status = (
            f'<span class="bad">{len(found)} regression(s)</span>' if found else "no regression"
        )
        detail = "".join(f"<li>{_e(x)}</li>" for x in found)
        items.append(
            f"<li>{_e(after.run_id)} vs {_e(gate.baseline)}: {status}<ul>{detail}</ul></li>"
        )
    return "<ul>" + "".join(items) + "</ul>"


def _trends(
    go: Any, runs: Sequence[Run], factor: float, alpha: float
) -> tuple[_Section, list[RegressionReport | str]]:
    if len(runs) < 2:
        return _Section(
            "trends", "Trends across runs", "", "<p>Trends need two or more runs.</p>"
        ), []
    gates = _gates(runs, factor, alpha)
    return _Section(
        "trends",
        "Trends across runs",
        "Mean accuracy per strategy, run by run; a red x marks a strategy that regressed in "
        "any metric (hover for which; listed below) against the run before "
        f"(past {factor:g}x and Holm-adjusted Mann-Whitney p < {alpha:g}).",
        _trend_section(go, runs, gates) + _gate_list(runs, gates),
    ), gates


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _dump(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def _cell_detail(cell: Cell) -> str:
    """The pack report first (what a reader opens the row for), then the rest of the cell."""
    rest = {k: v for k, v in cell.to_json().items() if k != "report"}
    report = (
        f'<pre class="report">{_e(_dump(cell.report))}</pre>' if cell.report is not None else ""
    )
    return f'{report}<pre class="cell">{_e(_dump(rest))}</pre>'


MAX_DETAILS = 500
"""Cells whose pack report is embedded in the page (failed cells first); the rest
name their ``cell_id`` in ``cells.jsonl``. A standard run's reports would take
hundreds of megabytes."""


def _cells_section(run: Run, max_details: int = MAX_DETAILS) -> _Section:
    cells = sorted(run.cells, key=lambda c: (c.task, c.strategy, budget_label(c), c.seed))
    shown = {c.cell_id for c in sorted(cells, key=lambda c: c.status != "failed")[:max_details]}
    rows: list[str] = []
    for c in cells:
        metric = accuracy_metric([c]) or ""
        accuracy = metric_value(c, metric) if metric else None
        if c.cell_id in shown:
            label = "pack report" if c.report is not None else "cell"
            detail = f"<details><summary>{label}</summary>{_cell_detail(c)}</details>"
        else:
            detail = f'<span class="id">{_e(c.cell_id)} in cells.jsonl</span>'
        params = ", ".join(f"{k}={v}" for k, v in sorted(c.params.items()))
        rows.append(
            f'<tr class="{"bad" if c.status == "failed" else ""}">'
            f"<td>{_e(c.task)}</td><td>{_e(params)}</td><td>{_e(c.strategy)}</td>"
            f"<td>{_e(budget_label(c))}</td><td>{c.seed}</td><td>{_e(c.reader)}</td>"
            f"<td>{_e(c.status)}</td><td>{_opt(accuracy)}</td>"
            f"<td>{_opt(metric_value(c, 'tokens_after'), 0)}</td><td>{detail}</td></tr>"
        )
    embedded = (
        "open a row's details for its pack report and metrics"
        if len(shown) == len(cells)
        else f"the first {len(shown)} (failed cells first) open their pack report and "
        "metrics in place; the others name their cell_id in the run's cells.jsonl"
    )
    return _Section(
        "cells",
        f"Cells of {run.run_id}",
        f"{len(cells)} cells; {embedded}. Type in the box to filter rows.",
        '<input id="cell-filter" type="search" placeholder="filter cells, e.g. niah recency">'
        '<table id="cell-table"><thead><tr><th>task</th><th>params</th><th>strategy</th>'
        "<th>budget</th><th>seed</th><th>reader</th><th>status</th><th>accuracy</th>"
        "<th>tokens after</th><th>details</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>",
    )


def _runs_table(runs: Sequence[Run]) -> str:
    rows = [
        "<table><thead><tr><th>#</th><th>run</th><th>suite</th><th>started</th><th>commit</th>"
        "<th>aifkit</th><th>cells</th><th>failed</th></tr></thead><tbody>"
    ]
    for i, run in enumerate(runs, start=1):
        meta = run.meta
        failed = sum(c.status == "failed" for c in run.cells)
        commit = meta.get("git_commit")
        rows.append(
            f"<tr><td>{i}</td><td>{_e(run.run_id)}</td><td>{_e(meta.get('suite', '-'))}</td>"
            f"<td>{_e(meta.get('started_at', '-'))}</td>"
            f"<td>{_e(str(commit)[:12] if commit else '-')}</td>"
            f"<td>{_e(meta.get('aifkit_version', '-'))}</td><td>{len(run.cells)}</td>"
            f"<td>{failed}</td></tr>"
        )
    rows.append("</tbody></table>")
    return "".join(rows)


_STYLE = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;color:#222}
nav a{margin-right:1em}table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.9em}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.bad{color:#c00;font-weight:600}tr.bad td{background:#fff0f0}
pre{max-height:28em;overflow:auto;background:#f8f8f8;padding:.5em;font-size:.85em}
.chart{margin-bottom:1em}#cell-filter{width:24em;padding:.3em;margin-bottom:.5em}
"""

_FILTER = """
document.getElementById('cell-filter').addEventListener('input', function (event) {
  var words = event.target.value.toLowerCase().split(/\\s+/).filter(Boolean);
  document.querySelectorAll('#cell-table tbody tr').forEach(function (row) {
    var text = row.cells[0].innerText + ' ' + row.cells[1].innerText + ' ' +
      row.cells[2].innerText + ' ' + row.cells[3].innerText + ' ' + row.cells[6].innerText;
    text = text.toLowerCase();
    row.style.display = words.every(function (w) { return text.indexOf(w) >= 0; }) ? '' : 'none';
  });
});
"""


def _page(title: str, plotly_js: str, runs_table: str, sections: Sequence[_Section]) -> str:
    nav = "".join(f'<a href="#{s.anchor}">{_e(s.title)}</a>' for s in sections)
    body = "".join(
        f'<section id="{s.anchor}"><h2>{_e(s.title)}</h2>'
        + (f"<p>{_e(s.intro)}</p>" if s.intro else "")
        + s.body
        + "</section>"
        for s in sections
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style>"
        f'<script type="text/javascript">{plotly_js}</script></head><body>'
        f"<h1>{_e(title)}</h1><nav>{nav}</nav>{runs_table}{body}"
        f"<script>{_FILTER}</script></body></html>\n"
    )


def write_report(
    runs: Sequence[Run | str | Path],
    path: str | Path,
    *,
    factor: float = 1.1,
    alpha: float = 0.05,
    title: str | None = None,
    max_details: int = MAX_DETAILS,
) -> Path:
    """Write the dashboard of ``runs`` as one self-contained HTML file.

    The charts: accuracy-vs-compression Pareto plots per task, needle depth x
    length heatmaps, token savings and cost per strategy, a per-task breakdown
    (all of the last run), trends across the runs with regressions marked (each
    run gated against the one before it with `regress`), and a table of the last
    run's cells whose pack reports open in place.

    Args:
        runs: Runs (or run directories) in chronological order; the last is the
            one shown in detail.
        path: The HTML file to write.
        factor: Threshold factor of the trend gates.
        alpha: Significance level of the trend gates.
        title: The page title (default: names the last run).
        max_details: How many cells embed their pack report (failed cells first).

    Returns:
        The path written.

    Raises:
        UsageError: No run given, or the file cannot be written.
        StoreError: A run directory cannot be read.
        MissingDependencyError: plotly is not installed.

    Examples:
        >>> write_report([], "report.html")
        Traceback (most recent call last):
        ...
        aifkit.errors.UsageError: no run to report on; pass one or more run directories written by `aif bench run`
    """
    if not runs:
        raise UsageError(
            "no run to report on",
            hint="pass one or more run directories written by `aif bench run`",
        )
    loaded = [resolve_run(r) for r in runs]
    go, make_subplots, plotly_js = _plotly()
    last = loaded[-1]
    trends, _ = _trends(go, loaded, factor, alpha)
    sections = [
        _pareto_section(go, make_subplots, last),
        _needle_section(go, make_subplots, last),
        _savings_section(go, make_subplots, last),
        _tasks_section(go, last),
        trends,
        _cells_section(last, max_details),
    ]
    page = _page(title or f"aif bench report: {last.run_id}", plotly_js(), _runs_table(loaded),
                 sections)  # fmt: skip
    target = Path(path)
    try:
        target.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{target}: cannot write ({exc.strerror})") from None
    return target
