"""write_report(): one self-contained HTML file that renders in real headless Chromium."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from aifkit.bench import load_run, write_report
from aifkit.errors import StoreError, UsageError
from tests.bench.helpers_runs import STRATEGIES, synthetic_run

SECTIONS = (
    "At a glance",
    "Paired differences",
    "Accuracy vs tokens, per task",
    "Needle depth x length",
    "Token savings and cost per strategy",
    "Per-task breakdown",
    "Conversion fidelity",
    "Trends across runs",
)
# Every run simulates a peer beside aifkit's strategies, and conversion round trips.
GRID = {
    "strategies": (*STRATEGIES, "headroom"),
    "conversions": ("anthropic", "gemini", "mcp"),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("runs")
    return [
        synthetic_run(root / "r1", seeds=3, noise_seed=1, **GRID),
        # r2 regresses: bm25 loses accuracy, recency packs slower
        synthetic_run(
            root / "r2",
            seeds=3,
            noise_seed=1,
            quality={"bm25": -0.6},
            latency={"recency": 2.0},
            **GRID,
        ),
        synthetic_run(root / "r3", seeds=3, noise_seed=2, **GRID),
    ]


@pytest.fixture(scope="module")
def report(runs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(runs, tmp_path_factory.mktemp("html") / "report.html")


def _own_markup(page: str) -> str:
    """The page without the inlined plotly.js bundle (whose source mentions URLs in strings)."""
    bundle = get_plotlyjs()
    assert page.count(bundle) == 1  # inlined exactly once
    return page.replace(bundle, "")


def test_the_report_has_every_section_and_inlines_plotly_once(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    for title in SECTIONS:
        assert f"<h2>{title}</h2>" in page
    assert "<h2>Cells of r3</h2>" in page
    _own_markup(page)


def test_the_report_references_nothing_on_the_network(report: Path) -> None:
    own = _own_markup(report.read_text(encoding="utf-8"))
    assert not re.search(r"https?://", own)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?!#)[^"'\s>]""", own)  # only #anchors
    assert "@import" not in own
    assert not re.search(r"url\(", own)


def test_every_cell_opens_its_escaped_pack_report(report: Path, runs: list[Path]) -> None:
    page = report.read_text(encoding="utf-8")
    cells = load_run(runs[-1]).cells
    conversions = [c for c in cells if c.kind == "conversion"]
    assert page.count("<details><summary>pack report</summary>") == len(cells) - len(conversions)
    assert page.count("<details><summary>loss report</summary>") == len(conversions) > 0
    assert "&lt;needle&gt; &amp; &#x27;quotes&#x27;" in page  # the reports' text, escaped
    assert "<needle>" not in page


def test_a_large_run_embeds_a_bounded_number_of_pack_reports(
    runs: list[Path], tmp_path: Path
) -> None:
    cells = load_run(runs[-1]).cells
    path = write_report([runs[-1]], tmp_path / "small.html", max_details=5)
    page = path.read_text(encoding="utf-8")
    assert page.count("</summary>") == 5
    assert page.count("in cells.jsonl</span>") == len(cells) - 5
    assert f"{len(cells)} cells; the first 5 (failed cells first)" in page


def test_trends_mark_the_run_that_regressed(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    assert '"name":"regression"' in page
    assert re.search(r"r2 vs r1: <span class=\"bad\">\d+ regression\(s\)</span>", page)
    assert "bm25: Pareto point" in page or "niah / bm25: passed" in page
    # r2's recency is slower only in wall-clock time (a busy machine): the dashboard
    # gates timings as `regress --timing` does, on CPU time, so it does not cry wolf.
    assert "recency: pack_latency_ms" not in page


def test_a_single_run_still_reports(runs: list[Path], tmp_path: Path) -> None:
    path = write_report([runs[0]], tmp_path / "one.html", title="One run")
    page = path.read_text(encoding="utf-8")
    assert "<title>One run</title>" in page
    assert "Trends need two or more runs." in page


def test_no_run_or_a_bad_run_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no run"):
        write_report([], tmp_path / "x.html")
    with pytest.raises(StoreError):
        write_report([tmp_path / "missing"], tmp_path / "x.html")
    assert not (tmp_path / "x.html").exists()


def _chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


@pytest.mark.skipif(_chromium() is None, reason="no chromium executable (CI installs Debian's)")
def test_the_dashboard_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.resolve().as_uri())
            page.wait_for_selector(".plotly .scatterlayer .point")
            # per section: how many charts, and how many data values each one draws
            drawn = page.evaluate(
                """Array.from(document.querySelectorAll('section')).map(s => [s.id,
                  Array.from(s.querySelectorAll('.js-plotly-plot')).map(g =>
                    (g._fullData || []).reduce((n, t) => n + [t.x, t.y, t.z]
                      .filter(Boolean).reduce((m, a) => m + a.flat()
                        .filter(v => v !== null && v !== undefined).length, 0), 0))])"""
            )
            heatmaps = page.locator(".plotly .heatmaplayer image").count()
            peers = page.evaluate(
                "Array.from(document.querySelectorAll('#headline .js-plotly-plot'))"
                ".flatMap(g => g._fullData).filter(t => t.name === 'headroom')"
                ".map(t => t.marker.symbol)"
            )
            y_ranges = page.evaluate(
                "Array.from(document.querySelectorAll('#pareto .js-plotly-plot'))"
                ".map(g => g._fullLayout.yaxis.range)"
            )
            marks = page.evaluate(
                "Array.from(document.querySelectorAll('.js-plotly-plot'))"
                ".flatMap(g => g._fullData || []).filter(t => t.name === 'regression')"
                ".map(t => t.x.length)"
            )
            headline = page.locator("#headline table tbody tr").count()
            # the cell table: one page of rows, the next page, a filter
            first_page = page.locator("#cell-table tbody tr:visible").count()
            count_text = page.locator("#cell-count").inner_text()
            page.click("#cell-next")
            second_first = page.locator("#cell-table tbody tr:visible").first.inner_text()
            first = page.locator("#cell-table tbody tr:visible details").first
            first.locator("summary").click()
            opened = first.locator("pre.report").inner_text()
            cell_text = first.locator("pre.cell").inner_text()
            page.fill("#cell-filter", "retrieval bm25")
            visible = page.locator("#cell-table tbody tr:visible").count()
            page.fill("#cell-filter", "conversion")
            conversion_rows = page.locator("#cell-table tbody tr:visible").count()
            page.fill("#cell-filter", "")
            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            height = page.evaluate("document.body.scrollHeight")
        finally:
            browser.close()
    assert errors == []
    charts = dict(drawn)
    assert {k for k, v in charts.items() if v} == {
        "headline", "paired", "pareto", "needles", "savings", "tasks", "fidelity", "trends"
    }  # fmt: skip
    for section, values in charts.items():
        assert all(n > 0 for n in values), (section, values)  # every chart has data
    assert len(charts["paired"]) == 2  # within r3, and r3 against r2
    assert len(charts["pareto"]) == 2  # niah and retrieval
    assert heatmaps == 4 + 1  # one needle panel per strategy, one fidelity grid
    assert len(peers) == 1
    assert peers[0].endswith("-open")  # the peer is drawn hollow
    assert all(r[0] < 0 and r[1] > 1 for r in y_ranges)  # accuracy axes are never cut
    assert marks
    assert marks[0] == 1  # bm25 regressed in r2 (recency's wall-clock slowdown is not gated)
    assert headline == len(GRID["strategies"])  # conversion cells are not a strategy row
    assert first_page == 50
    assert count_text.startswith("rows 1-50 of ")
    assert second_first.startswith("conversion") or "niah" in second_first
    assert '"items"' in opened or '"conversions"' in opened
    assert '"tokens_after"' in cell_text or '"conversion_losses"' in cell_text
    assert visible == 3 * 3  # retrieval x bm25: 3 budgets x 3 seeds
    assert conversion_rows == 9  # three formats round-tripped through each other
    assert height < 12_000  # paged: the 200-cell table does not make a 24,000-pixel page
    assert all(url.startswith(("file:", "data:", "blob:", "about:")) for url in requests), requests
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000


def test_the_task_table_shows_facts_kept_ratio_and_expand_calls(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    header = page[page.index("<th>task</th>") : page.index("</thead>", page.index("<th>task</th>"))]
    assert "<th>facts kept</th><th>ratio achieved</th><th>expand calls</th>" in header
    # The synthetic runs measure no planted facts: their cells show '-', not a made-up 0.
    row = page[page.index("<tbody>", page.index("<th>task</th>")) :].split("</tr>")[0]
    assert row.count("<td>-</td>") >= 2
