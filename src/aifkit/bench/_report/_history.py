"""Across runs: accuracy trends with each run gated against the one before, and the runs table."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence

from aifkit.bench._compare import accuracy_metric, metric_value
from aifkit.bench._regress import RegressionReport, regress
from aifkit.bench._report._base import (
    ACCURACY_AXIS,
    Plotly,
    Section,
    Styles,
    by_task,
    div,
    e,
    strategy_cells,
)
from aifkit.bench._store import Run
from aifkit.errors import UsageError

__all__ = ["runs_table", "trends_section"]


def _gates(runs: Sequence[Run], factor: float, alpha: float) -> list[RegressionReport | str]:
    gates: list[RegressionReport | str] = []
    for before, after in itertools.pairwise(runs):
        try:
            # The same gate as `aif bench regress --timing`: CPU time judged against the
            # calibration workload timed in the same run, never bare wall-clock medians
            # (on a shared machine those flag identical code).
            gates.append(regress(before, after, factor=factor, alpha=alpha, timing=True))
        except UsageError as exc:
            gates.append(str(exc))
    return gates


def _accuracy_by_strategy(run: Run) -> dict[str, float]:
    values: dict[str, list[float]] = defaultdict(list)
    for cells in by_task(strategy_cells(run)).values():
        metric = accuracy_metric([c for c in cells if c.status == "ok"])
        for c in cells:
            v = metric_value(c, metric) if metric and c.status == "ok" else None
            if v is not None:
                values[c.strategy].append(v)
    return {s: sum(v) / len(v) for s, v in values.items()}


def _trend_chart(
    plotly: Plotly, runs: Sequence[Run], gates: Sequence[RegressionReport | str], styles: Styles
) -> str:
    go = plotly.go
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
                marker=styles.marker(strategy, 9),
                line={"color": styles.color(strategy), "dash": styles.dash(strategy)},
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
    fig.update_layout(height=380, margin={"t": 30, "b": 60},
                      yaxis={"title": "accuracy (mean)", **ACCURACY_AXIS})  # fmt: skip
    return div(fig)


def _gate_list(runs: Sequence[Run], gates: Sequence[RegressionReport | str]) -> str:
    items: list[str] = []
    for after, gate in zip(runs[1:], gates, strict=True):
        if isinstance(gate, str):
            items.append(f"<li>{e(after.run_id)}: not comparable ({e(gate)})</li>")
            continue
        found = [
            f"{c.task} / {c.strategy}: {c.metric} {c.baseline:.4g} -> {c.value:.4g} "
            f"(adjusted p={c.p_adjusted:.2g})"
            for c in gate.regressions
        ] + [f"{f.task}: Pareto point {f.point.label} lost" for f in gate.front_losses]
        status = (
            f'<span class="bad">{len(found)} regression(s)</span>' if found else "no regression"
        )
        detail = "".join(f"<li>{e(x)}</li>" for x in found)
        items.append(f"<li>{e(after.run_id)} vs {e(gate.baseline)}: {status}<ul>{detail}</ul></li>")
    return "<ul>" + "".join(items) + "</ul>"


def trends_section(plotly: Plotly, runs: Sequence[Run], styles: Styles, factor: float,
                   alpha: float) -> Section:  # fmt: skip
    """Mean accuracy per strategy run by run, each run gated against the one before."""
    if len(runs) < 2:
        return Section("trends", "Trends across runs", "", "<p>Trends need two or more runs.</p>")
    gates = _gates(runs, factor, alpha)
    return Section(
        "trends",
        "Trends across runs",
        "Mean accuracy per strategy, run by run; a red x marks a strategy that regressed in "
        "any metric (hover for which; listed below) against the run before "
        f"(past {factor:g}x and Holm-adjusted Mann-Whitney p < {alpha:g}).",
        _trend_chart(plotly, runs, gates, styles) + _gate_list(runs, gates),
    )


def runs_table(runs: Sequence[Run]) -> str:
    """One row per run: id, suite, start, commit, version, cells and failures."""
    rows = [
        "<table><thead><tr><th>#</th><th>run</th><th>suite</th><th>started</th><th>commit</th>"
        "<th>aifkit</th><th>cells</th><th>failed</th></tr></thead><tbody>"
    ]
    for i, run in enumerate(runs, start=1):
        meta = run.meta
        failed = sum(c.status == "failed" for c in run.cells)
        commit = meta.get("git_commit")
        rows.append(
            f"<tr><td>{i}</td><td>{e(run.run_id)}</td><td>{e(meta.get('suite', '-'))}</td>"
            f"<td>{e(meta.get('started_at', '-'))}</td>"
            f"<td>{e(str(commit)[:12] if commit else '-')}</td>"
            f"<td>{e(meta.get('aifkit_version', '-'))}</td><td>{len(run.cells)}</td>"
            f"<td>{failed}</td></tr>"
        )
    rows.append("</tbody></table>")
    return "".join(rows)
