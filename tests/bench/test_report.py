"""write_report(): one self-contained HTML file that renders in real headless Chromium."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from aifkit.bench import load_run, write_report
from aifkit.errors import StoreError, UsageError
from tests.bench.helpers_runs import synthetic_run

SECTIONS = (
    "Accuracy vs compression",
    "Needle depth x length",
    "Token savings and cost per strategy",
    "Per-task breakdown",
    "Trends across runs",
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("runs")
    return [
        synthetic_run(root / "r1", seeds=3, noise_seed=1),
        # r2 regresses: bm25 loses accuracy, recency packs slower
        synthetic_run(
            root / "r2", seeds=3, noise_seed=1, quality={"bm25": -0.6}, latency={"recency": 2.0}
        ),
        synthetic_run(root / "r3", seeds=3, noise_seed=2),
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
    assert page.count("<details><summary>pack report</summary>") == len(cells)
    assert "&lt;needle&gt; &amp; &#x27;quotes&#x27;" in page  # the reports' text, escaped
    assert "<needle>" not in page


def test_a_large_run_embeds_a_bounded_number_of_pack_reports(
    runs: list[Path], tmp_path: Path
) -> None:
    cells = load_run(runs[-1]).cells
    path = write_report([runs[-1]], tmp_path / "small.html", max_details=5)
    page = path.read_text(encoding="utf-8")
    assert page.count("<details><summary>pack report</summary>") == 5
    assert page.count("in cells.jsonl</span>") == len(cells) - 5
    assert f"{len(cells)} cells; the first 5 (failed cells first)" in page


def test_trends_mark_the_run_that_regressed(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    assert '"name":"regression"' in page
    assert re.search(r"r2 vs r1: <span class=\"bad\">\d+ regression\(s\)</span>", page)
    assert "bm25: Pareto point" in page or "niah / bm25: passed" in page
    assert "niah / recency: pack_latency_ms" in page


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
            charts = page.locator(".js-plotly-plot").count()
            points = page.locator(".plotly .scatterlayer .point").count()
            heatmaps = page.locator(".plotly .heatmaplayer image").count()
            bars = page.locator(".plotly .barlayer .point").count()
            marks = page.evaluate(
                "Array.from(document.querySelectorAll('.js-plotly-plot'))"
                ".flatMap(g => g._fullData || []).filter(t => t.name === 'regression')"
                ".map(t => t.x.length)"
            )
            # open one cell's pack report
            first = page.locator("#cell-table details").first
            first.locator("summary").click()
            opened = first.locator("pre.report").inner_text()
            cell_text = first.locator("pre.cell").inner_text()
            # filter the cell table
            page.fill("#cell-filter", "retrieval bm25")
            visible = page.locator("#cell-table tbody tr:visible").count()
            page.fill("#cell-filter", "")
            page.screenshot(path=str(tmp_path / "dashboard.png"))
        finally:
            browser.close()
    assert errors == []
    assert charts == 6  # 2 Pareto plots, heatmaps, savings, tasks, trends
    assert points >= 2 * 9 + 3 * 3  # 9 (strategy, budget) points per task + trend markers
    assert heatmaps == 3  # one panel per strategy
    assert bars == 3 + 3 + 2 * 3  # savings + cost per strategy, accuracy per task x strategy
    assert marks
    assert marks[0] >= 2  # bm25 and recency regressed in r2
    assert '"items"' in opened
    assert '"decision"' in opened
    assert '"tokens_after"' in cell_text
    assert visible == 3 * 3  # retrieval x bm25: 3 budgets x 3 seeds
    assert all(url.startswith(("file:", "data:", "blob:", "about:")) for url in requests), requests
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000


def test_the_task_table_shows_facts_kept_ratio_and_expand_calls(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    header = page[page.index("<th>task</th>") : page.index("</thead>", page.index("<th>task</th>"))]
    assert "<th>facts kept</th><th>ratio achieved</th><th>expand calls</th>" in header
    # The synthetic runs measure no planted facts: their cells show '-', not a made-up 0.
    row = page[page.index("<tbody>", page.index("<th>task</th>")) :].split("</tr>")[0]
    assert row.count("<td>-</td>") >= 2
