"""The last run's cells: a paged, filterable table whose rows open their report in place."""

from __future__ import annotations

from aifkit.bench._compare import accuracy_metric, budget_label, metric_value
from aifkit.bench._report._base import Section, dump, e, fmt, is_conversion
from aifkit.bench._store import Cell, Run

__all__ = ["CELLS_SCRIPT", "MAX_DETAILS", "PAGE_SIZE", "cells_section"]

MAX_DETAILS = 500
"""Cells whose report is embedded in the page (failed cells first); the rest name
their ``cell_id`` in ``cells.jsonl``. A standard run's reports would take hundreds
of megabytes."""

PAGE_SIZE = 50
"""Rows the cell table shows at once; the filter searches every row."""


def _label(cell: Cell) -> str:
    if cell.report is None:
        return "cell"
    return "loss report" if is_conversion(cell) else "pack report"


def _detail(cell: Cell) -> str:
    """The report first (what a reader opens the row for), then the rest of the cell."""
    rest = {k: v for k, v in cell.to_json().items() if k != "report"}
    report = f'<pre class="report">{e(dump(cell.report))}</pre>' if cell.report is not None else ""
    return f'{report}<pre class="cell">{e(dump(rest))}</pre>'


def _row(cell: Cell, embed: bool) -> str:
    metric = accuracy_metric([cell]) or ""
    accuracy = metric_value(cell, metric) if metric else None
    if embed:
        detail = f"<details><summary>{_label(cell)}</summary>{_detail(cell)}</details>"
    else:
        detail = f'<span class="id">{e(cell.cell_id)} in cells.jsonl</span>'
    params = ", ".join(f"{k}={v}" for k, v in sorted(cell.params.items()))
    return (
        f'<tr class="{"bad" if cell.status == "failed" else ""}">'
        f"<td>{e(cell.task)}</td><td>{e(params)}</td><td>{e(cell.strategy)}</td>"
        f"<td>{e(budget_label(cell))}</td><td>{cell.seed}</td><td>{e(cell.reader)}</td>"
        f"<td>{e(cell.status)}</td><td>{fmt(accuracy)}</td>"
        f"<td>{fmt(metric_value(cell, 'tokens_after'), 0)}</td><td>{detail}</td></tr>"
    )


def cells_section(run: Run, max_details: int = MAX_DETAILS) -> Section:
    """Every cell of ``run``, :data:`PAGE_SIZE` rows a page, the first ``max_details`` with their report."""
    cells = sorted(run.cells, key=lambda c: (c.task, c.strategy, budget_label(c), c.seed))
    shown = {c.cell_id for c in sorted(cells, key=lambda c: c.status != "failed")[:max_details]}
    embedded = (
        "open a row's details for its pack or loss report and metrics"
        if len(shown) == len(cells)
        else f"the first {len(shown)} (failed cells first) open their report and "
        "metrics in place; the others name their cell_id in the run's cells.jsonl"
    )
    return Section(
        "cells",
        f"Cells of {run.run_id}",
        f"{len(cells)} cells; {embedded}. Type in the box to filter rows "
        "(every word must match task, params, strategy, budget or status).",
        '<div class="pager"><input id="cell-filter" type="search" '
        'placeholder="filter cells, e.g. niah recency failed">'
        '<button id="cell-prev" type="button">previous</button>'
        '<span id="cell-count"></span>'
        '<button id="cell-next" type="button">next</button></div>'
        '<table id="cell-table"><thead><tr><th>task</th><th>params</th><th>strategy</th>'
        "<th>budget</th><th>seed</th><th>reader</th><th>status</th><th>accuracy</th>"
        "<th>tokens after</th><th>details</th></tr></thead><tbody>"
        + "".join(_row(c, c.cell_id in shown) for c in cells)
        + "</tbody></table>",
    )


CELLS_SCRIPT = """
(function () {
  var size = __PAGE_SIZE__, page = 0, rows = [], matching = [];
  var table = document.getElementById('cell-table');
  if (!table) { return; }
  rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var keys = rows.map(function (row) {
    return [0, 1, 2, 3, 6].map(function (i) { return row.cells[i].textContent; })
      .join(' ').toLowerCase();
  });
  function show() {
    var pages = Math.max(1, Math.ceil(matching.length / size));
    page = Math.min(Math.max(page, 0), pages - 1);
    var first = page * size, last = Math.min(first + size, matching.length);
    rows.forEach(function (row) { row.style.display = 'none'; });
    for (var i = first; i < last; i++) { rows[matching[i]].style.display = ''; }
    document.getElementById('cell-count').textContent = matching.length
      ? 'rows ' + (first + 1) + '-' + last + ' of ' + matching.length +
        (matching.length < rows.length ? ' (of ' + rows.length + ' cells)' : '')
      : 'no cell matches';
    document.getElementById('cell-prev').disabled = page === 0;
    document.getElementById('cell-next').disabled = page >= pages - 1;
  }
  function filter(text) {
    var words = text.toLowerCase().split(/\\s+/).filter(Boolean);
    matching = [];
    keys.forEach(function (key, i) {
      if (words.every(function (w) { return key.indexOf(w) >= 0; })) { matching.push(i); }
    });
    page = 0;
    show();
  }
  document.getElementById('cell-filter').addEventListener('input', function (event) {
    filter(event.target.value);
  });
  document.getElementById('cell-prev').addEventListener('click', function () { page--; show(); });
  document.getElementById('cell-next').addEventListener('click', function () { page++; show(); });
  filter('');
})();
""".replace("__PAGE_SIZE__", str(PAGE_SIZE))
