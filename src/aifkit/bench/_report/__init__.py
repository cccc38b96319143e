"""The dashboard: one self-contained HTML file of Plotly charts over one or more runs.

plotly.js is inlined once in the page's head, so the file opens offline from a
``file://`` URL and references nothing on the network. The last run given is the
one the per-run charts and the cell table show; earlier runs feed the paired
comparison and the trends, where each run is gated against the one before it
(`regress`) and its regressions are marked. Each section is a module of this
package: ``_headline``, ``_paired``, ``_charts``, ``_fidelity``, ``_history``,
``_cells``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aifkit.bench._compare import resolve_run
from aifkit.bench._report._base import Section, Styles, e, load_plotly, strategy_cells
from aifkit.bench._report._cells import CELLS_SCRIPT, MAX_DETAILS, cells_section
from aifkit.bench._report._charts import (
    needle_section,
    pareto_section,
    savings_section,
    tasks_section,
)
from aifkit.bench._report._fidelity import fidelity_section
from aifkit.bench._report._headline import headline_section
from aifkit.bench._report._history import runs_table, trends_section
from aifkit.bench._report._paired import paired_section
from aifkit.bench._store import Run
from aifkit.errors import UsageError

__all__ = ["MAX_DETAILS", "write_report"]

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;color:#222}
nav{position:sticky;top:0;background:#fff;padding:.5em 0;border-bottom:1px solid #ddd;z-index:5}
nav a{margin-right:1em}table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.9em}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.bad{color:#c00;font-weight:600}tr.bad td{background:#fff0f0}
table.headline td:nth-child(n+2){text-align:right}small{color:#666}
.peer{font-size:.75em;border:1px solid #888;border-radius:3px;padding:0 .3em;color:#555}
.swatch{display:inline-block;width:.8em;height:.8em;margin-right:.4em;border-radius:2px}
pre{max-height:28em;overflow:auto;background:#f8f8f8;padding:.5em;font-size:.85em}
.chart{margin-bottom:1em}.pager{display:flex;gap:.6em;align-items:center;margin-bottom:.5em}
#cell-filter{width:24em;padding:.3em}details summary{cursor:pointer}
section{scroll-margin-top:4.5em}
"""


def _page(title: str, plotly_js: str, runs: str, sections: Sequence[Section]) -> str:
    nav = "".join(f'<a href="#{s.anchor}">{e(s.title)}</a>' for s in sections)
    body = "".join(
        f'<section id="{s.anchor}"><h2>{e(s.title)}</h2>'
        + (f"<p>{e(s.intro)}</p>" if s.intro else "")
        + s.body
        + "</section>"
        for s in sections
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{e(title)}</title><style>{_STYLE}</style>"
        f'<script type="text/javascript">{plotly_js}</script></head><body>'
        f"<h1>{e(title)}</h1><nav>{nav}</nav>{runs}{body}"
        f"<script>{CELLS_SCRIPT}</script></body></html>\n"
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

    The sections: a headline (the per-strategy table `aif bench run` prints, with
    95% intervals, and accuracy against tokens kept with the Pareto front), paired
    differences with intervals (each strategy against the baseline, and the last
    run against the one before, as `compare` reports them), accuracy against
    tokens per task, needle depth x length heatmaps, token savings and cost, a
    per-task breakdown, the conversion fidelity grid (source x target), trends
    across the runs with regressions marked (each run gated against the one
    before it with `regress`), and a paged, filterable table of the last run's
    cells whose pack or loss reports open in place. Peers are drawn beside
    aifkit's strategies in every chart, hollow.

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
    plotly = load_plotly()
    last = loaded[-1]
    styles = Styles([c.strategy for run in loaded for c in strategy_cells(run)])
    sections = [
        headline_section(plotly, last, styles),
        paired_section(plotly, loaded, styles),
        pareto_section(plotly, last, styles),
        needle_section(plotly, last),
        savings_section(plotly, last, styles),
        tasks_section(plotly, last, styles),
        fidelity_section(plotly, last),
        trends_section(plotly, loaded, styles, factor, alpha),
        cells_section(last, max_details),
    ]
    page = _page(title or f"aif bench report: {last.run_id}", plotly.script(), runs_table(loaded),
                 sections)  # fmt: skip
    target = Path(path)
    try:
        target.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{target}: cannot write ({exc.strerror})") from None
    return target
