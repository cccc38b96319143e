"""What every section of the dashboard shares: plotly, the section record, a strategy's look."""

from __future__ import annotations

import html
import importlib
import json
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aifkit.bench._peers import REQUIRES as PEER_KINDS
from aifkit.bench._store import Cell, Run
from aifkit.errors import MissingDependencyError

__all__ = [
    "ACCURACY_AXIS",
    "Plotly",
    "Section",
    "Styles",
    "by_task",
    "div",
    "dump",
    "e",
    "fmt",
    "is_conversion",
    "load_plotly",
    "mean",
    "strategy_cells",
]

_CONFIG = {"displaylogo": False, "responsive": True}
_COLORS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f",
)  # fmt: skip
# Two strategies that score alike must still both show: each gets its own marker
# and dash as well as its colour, so one trace never hides another.
_SYMBOLS = ("circle", "diamond", "square", "triangle-up", "x", "star", "cross", "triangle-down")
_DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")

ACCURACY_AXIS = {"range": [-0.03, 1.05], "tickformat": ".0%"}
"""Accuracy metrics are shares in [0, 1]: every chart shows the whole range, never a cut axis."""


@dataclass(frozen=True, slots=True)
class Plotly:
    """plotly's graph objects, make_subplots and the plotly.js source (untyped: Any)."""

    go: Any
    make_subplots: Any
    script: Callable[[], str]


def load_plotly() -> Plotly:
    """Import plotly or say which extra brings it."""
    try:
        go = importlib.import_module("plotly.graph_objects")
        subplots = importlib.import_module("plotly.subplots")
        offline = importlib.import_module("plotly.offline")
    except ImportError:
        raise MissingDependencyError("plotly", "bench") from None
    return Plotly(go, subplots.make_subplots, offline.get_plotlyjs)


@dataclass(frozen=True, slots=True)
class Section:
    """One titled part of the page, reachable from the navigation bar."""

    anchor: str
    title: str
    intro: str
    body: str


class Styles:
    """A fixed colour, marker and dash per strategy, the same in every chart of a page.

    Peers (Headroom, LangChain, LiteLLM, ...) are drawn hollow so they stand out
    beside aifkit's own strategies.
    """

    def __init__(self, strategies: Sequence[str]) -> None:
        self.order = sorted(set(strategies))

    def _index(self, strategy: str) -> int:
        return self.order.index(strategy) if strategy in self.order else len(self.order)

    def color(self, strategy: str) -> str:
        return _COLORS[self._index(strategy) % len(_COLORS)]

    def symbol(self, strategy: str) -> str:
        base = _SYMBOLS[self._index(strategy) % len(_SYMBOLS)]
        return f"{base}-open" if self.is_peer(strategy) else base

    def dash(self, strategy: str) -> str:
        return _DASHES[self._index(strategy) % len(_DASHES)]

    def marker(self, strategy: str, size: int = 11) -> dict[str, Any]:
        return {
            "size": size,
            "color": self.color(strategy),
            "symbol": self.symbol(strategy),
            "opacity": 0.85,
            "line": {"width": 2 if self.is_peer(strategy) else 0.5, "color": self.color(strategy)},
        }

    @staticmethod
    def is_peer(strategy: str) -> bool:
        """A peer's strategy is named by its kind (``headroom``, ``langchain-trim:0.5``)."""
        return strategy.split(":", 1)[0] in PEER_KINDS


def div(figure: Any) -> str:
    """A figure as a ``<div>`` (plotly.js is inlined once in the page head)."""
    text: str = figure.to_html(full_html=False, include_plotlyjs=False, config=_CONFIG)
    return f'<div class="chart">{text}</div>'


def is_conversion(cell: Cell) -> bool:
    """Conversion cells measure a converter, not a strategy: they get their own grid."""
    return cell.kind == "conversion"


def strategy_cells(run: Run) -> list[Cell]:
    """The run's cells that pack or compress a context (conversion cells left out)."""
    return [c for c in run.cells if not is_conversion(c)]


def by_task(cells: Sequence[Cell]) -> dict[str, list[Cell]]:
    """Cells grouped per task, tasks in name order."""
    out: dict[str, list[Cell]] = defaultdict(list)
    for cell in cells:
        out[cell.task].append(cell)
    return dict(sorted(out.items()))


def mean(values: Sequence[float]) -> float | None:
    """The mean, or None for no values."""
    return statistics.fmean(values) if values else None


def e(value: object) -> str:
    """HTML-escaped text."""
    return html.escape(str(value), quote=True)


def dump(value: object) -> str:
    """Indented, sorted JSON for a ``<pre>`` block."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def fmt(value: float | None, digits: int = 3) -> str:
    """A number for a table cell, ``-`` when there is none."""
    return "-" if value is None else f"{value:.{digits}f}"
