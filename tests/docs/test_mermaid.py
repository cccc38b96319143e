"""Every Mermaid diagram in the docs renders offline, in real headless Chromium.

The site is built with the project's mkdocs.yml (whose hook bundles mermaid.min.js)
and every page with a ```` ```mermaid ```` fence is opened with all requests outside
``file://`` aborted, so a CDN fallback would leave the raw source on the page.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest

from tests.docs.conftest import chromium as _chromium
from tests.docs.conftest import offline

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```mermaid\s*$", re.MULTILINE)

# Material mounts each diagram in a *closed* shadow root; open them so the test can look.
OPEN_SHADOW_ROOTS = """
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) {
  return attach.call(this, { ...init, mode: "open" });
};
"""
DIAGRAMS = """
() => Array.from(document.querySelectorAll("div.mermaid")).map((d) => {
  const svg = d.shadowRoot && d.shadowRoot.querySelector("svg");
  return svg ? svg.querySelectorAll("g.node").length : -1;
})
"""


def _diagram_pages() -> dict[str, int]:
    """Map each page's URL path (relative to the site) to its number of mermaid fences."""
    pages: dict[str, int] = {}
    for source in sorted(DOCS.rglob("*.md")):
        count = len(FENCE.findall(source.read_text(encoding="utf-8")))
        if count:
            relative = source.relative_to(DOCS).with_suffix("")
            page = relative.parent if relative.name == "index" else relative
            pages[(page / "index.html").as_posix()] = count
    return pages


def test_the_architecture_page_has_diagrams() -> None:
    assert _diagram_pages().get("architecture/index.html", 0) >= 1


@pytest.mark.skipif(_chromium() is None, reason="no chromium executable (CI installs Debian's)")
def test_every_mermaid_diagram_renders_offline(site: Path) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    pages = _diagram_pages()
    errors: list[str] = []
    rendered: dict[str, list[int]] = {}
    leftover: dict[str, int] = {}

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            blocked = offline(context)
            context.add_init_script(OPEN_SHADOW_ROOTS)
            page = context.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            # Material's search worker cannot load its index from file:// (nothing to do
            # with diagrams); every other page error fails the test.
            for path, count in pages.items():
                page.goto((site / path).as_uri())
                # Material swaps each <pre class="mermaid"> for a <div class="mermaid">;
                # on a timeout the assertions below say what is missing and why.
                with contextlib.suppress(PlaywrightTimeout):
                    page.wait_for_function(
                        f"document.querySelectorAll('div.mermaid').length >= {count}",
                        timeout=10_000,
                    )
                rendered[path] = page.evaluate(DIAGRAMS)
                leftover[path] = page.locator("pre.mermaid").count()
        finally:
            browser.close()

    assert blocked == []  # nothing was even requested from the network (no CDN fallback)
    assert [e for e in errors if "search/search_index.js" not in e] == []
    assert leftover == dict.fromkeys(pages, 0)  # no raw source left
    assert {path: len(nodes) for path, nodes in rendered.items()} == pages
    assert all(n > 0 for nodes in rendered.values() for n in nodes), rendered
