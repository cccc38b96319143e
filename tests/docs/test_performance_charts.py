"""The performance page: charts drawn from its figures, tables that fit the page.

The charts are static SVG that ``benchmarks/charts.py`` draws from the benchmark
outputs recorded on docs/performance.md; a chart that disagrees with the page's
figures (the page was updated, the SVG was not) fails here. In headless Chromium,
on the built site, with every request outside ``file://`` refused: each chart loads
and shows its bars, and no table is wider than the page's content column.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

from tests.docs.conftest import ROOT, chromium, offline

SVG = "{http://www.w3.org/2000/svg}"
PAGE = ROOT / "docs" / "performance.md"


def _charts_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("perf_charts", ROOT / "benchmarks" / "charts.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


charts = _charts_module()


def test_every_chart_is_drawn_from_the_figures_on_the_page() -> None:
    drawn = charts.charts(PAGE.read_text(encoding="utf-8"))
    assert len(drawn) >= 4
    for name, svg in drawn.items():
        committed = charts.OUT / name
        assert committed.exists(), f"run python benchmarks/charts.py: {name} is missing"
        assert committed.read_text(encoding="utf-8") == svg, (
            f"run python benchmarks/charts.py: {name} is stale"
        )
        assert f"(img/performance/{name})" in PAGE.read_text(encoding="utf-8")


def test_each_chart_has_a_mark_per_figure() -> None:
    page = PAGE.read_text(encoding="utf-8")
    summary = charts.pipe_table(charts.section(page, "Summary"))
    with_ratio = [r for r in summary if charts.number(r["\u00d7 lower bound"]) is not None]
    with_peer = [r for r in with_ratio if charts.number(r["\u00d7 peer"]) is not None]
    suite = charts.pipe_table(charts.section(page, "The standard suite"))
    expected = {
        "summary-lower-bound.svg": len(with_ratio) + len(with_peer),
        "standard-suite.svg": sum(charts.number(r["tokens"]) is not None for r in suite),
    }
    for name, marks in expected.items():
        root = ET.parse(charts.OUT / name).getroot()
        found = [e for e in root.iter() if e.get("class") in ("bar", "point")]
        assert len(found) == marks, name
        titles = [e.findtext(f"{SVG}title") for e in found]
        assert all(titles), name  # every mark says what it is on hover


def test_a_figure_changed_on_the_page_changes_its_chart() -> None:
    page = PAGE.read_text(encoding="utf-8")
    changed = page.replace("| token counts | 10,000 messages, 691k tokens, warm | 106.7 ms | 0.96\u00d7 |",
                           "| token counts | 10,000 messages, 691k tokens, warm | 106.7 ms | 3.25\u00d7 |")  # fmt: skip
    assert changed != page
    svg = charts.charts(changed)["summary-lower-bound.svg"]
    assert "token counts, \u00d7 the lower bound: 3.25" in svg
    assert svg != charts.charts(page)["summary-lower-bound.svg"]


TABLES = """
() => Array.from(document.querySelectorAll("article table")).map((t) => {
  const box = t.closest(".md-typeset__scrollwrap") || t;
  return [t.querySelector("th") ? t.querySelector("th").textContent : "",
          box.scrollWidth, box.clientWidth];
})
"""
IMAGES = """
() => Array.from(document.querySelectorAll("article img")).map((i) =>
  [i.getAttribute("src"), i.complete, i.naturalWidth])
"""


@pytest.mark.skipif(chromium() is None, reason="no chromium executable (CI installs Debian's)")
@pytest.mark.parametrize("width", [1280, 1024])
def test_the_page_shows_its_charts_and_its_tables_fit(site: Path, width: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": width, "height": 900})
            blocked = offline(context)
            page = context.new_page()
            page.goto((site / "performance" / "index.html").as_uri())
            page.wait_for_load_state("load")
            images = page.evaluate(IMAGES)
            tables = page.evaluate(TABLES)
        finally:
            browser.close()

    assert blocked == []
    charts_shown = [src for src, complete, natural in images if complete and natural > 0]
    assert len(charts_shown) == len(images) >= 4, images
    assert all(re.search(r"img/performance/[\w-]+\.svg$", src) for src in charts_shown)
    assert len(tables) >= 4
    cut = [(head, scroll, client) for head, scroll, client in tables if scroll > client + 1]
    assert cut == [], f"tables wider than the page at {width} px: {cut}"
