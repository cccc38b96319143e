"""The conversion fidelity grid: source format x target format, one chart per mode."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from aifkit.bench._compare import metric_value
from aifkit.bench._report._base import Plotly, Section, div, is_conversion, mean
from aifkit.bench._store import Cell, Run

__all__ = ["fidelity_section"]


def _grid(plotly: Plotly, mode: str, cells: Sequence[Cell]) -> Any:
    sources = sorted({str(c.params.get("source")) for c in cells})
    targets = sorted({str(c.params.get("target")) for c in cells})
    passed: dict[tuple[str, str], list[float]] = defaultdict(list)
    losses: dict[tuple[str, str], list[float]] = defaultdict(list)
    for c in cells:
        key = (str(c.params.get("source")), str(c.params.get("target")))
        if (p := metric_value(c, "passed")) is not None:
            passed[key].append(p)
        if (n := metric_value(c, "conversion_losses")) is not None:
            losses[key].append(n)
    z = [[mean(passed.get((s, t), [])) for t in targets] for s in sources]
    text = [
        ["" if (m := mean(losses.get((s, t), []))) is None else f"{m:.0f}" for t in targets]
        for s in sources
    ]
    fig = plotly.go.Figure(
        plotly.go.Heatmap(
            z=z,
            x=targets,
            y=sources,
            text=text,
            texttemplate="%{text}",
            zmin=0,
            zmax=1,
            colorscale="RdYlGn",
            colorbar={"title": "content kept", "tickformat": ".0%"},
            hovertemplate="%{y} -> %{x}<br>content kept %{z:.0%}<br>"
            "loss entries %{text}<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"{mode.replace('_', ' ')}: share of cells whose content survived "
        "(number: loss-report entries)",
        height=120 + 34 * len(sources),
        margin={"t": 60, "b": 90, "l": 140},
        xaxis={"title": "target format", "type": "category", "tickangle": -35},
        yaxis={"title": "source format", "type": "category", "autorange": "reversed"},
    )
    return fig


def fidelity_section(plotly: Plotly, run: Run) -> Section:
    """Every conversion cell of the run, on a source x target grid per mode."""
    modes: dict[str, list[Cell]] = defaultdict(list)
    for c in run.cells:
        if is_conversion(c) and c.status == "ok":
            modes[str(c.params.get("mode", "one_way"))].append(c)
    return Section(
        "fidelity",
        "Conversion fidelity",
        "Per source and target format: the colour is the share of conversion cells whose "
        "content survived (green: all), the number is the mean count of loss-report entries "
        "(what the target could not carry, each pointing into the source).",
        "".join(div(_grid(plotly, mode, cells)) for mode, cells in sorted(modes.items()))
        or "<p>The run has no conversion cells.</p>",
    )
