"""Content-kind detection: each kind of tool output is recognized, in one pass."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.budget import content_kind
from aifkit.budget.compressors import CONTENT_KINDS
from aifkit.budget.compressors._layout import make_ref, render
from aifkit.budget.compressors._salient import layout_of

LOG = "".join(f"2026-03-04T10:00:{i % 60:02d}Z INFO served /a/{i}\n" for i in range(20))
RECORDS = json.dumps({"items": [{"sku": f"A{i}", "stock": i} for i in range(10)]}, indent=2)
SEARCH = json.dumps([{"title": f"T{i}", "url": f"https://x.org/{i}", "snippet": "s"}
                     for i in range(5)])  # fmt: skip
SEARCH_TEXT = "".join(f"{i}. Title {i}\n   https://x.org/{i}\n   A snippet.\n\n" for i in range(6))
CSV = "sku,stock,price\n" + "".join(f"A{i},{i},{i}.5\n" for i in range(10))
MARKDOWN = "| sku | stock |\n|---|---|\n" + "".join(f"| A{i} | {i} |\n" for i in range(10))
CODE = "import os\n\n" + "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(10))
PROSE = "The meeting moved to Tuesday. Bring the slides. " * 10


@pytest.mark.parametrize(
    ("text", "kind"),
    [(LOG, "logs"), (RECORDS, "records"), (SEARCH, "search"), (SEARCH_TEXT, "search"),
     (CSV, "table"), (MARKDOWN, "table"), (CODE, "code"), (PROSE, "prose"),
     ('{"a": 1, "b": [1, 2]}', "json"), ("", "prose")],
)  # fmt: skip
def test_each_kind_is_recognized(text: str, kind: str) -> None:
    assert content_kind(text) == kind
    assert kind in CONTENT_KINDS


_LINES = st.sampled_from([
    "2026-03-04T10:00:01Z INFO served /a/1 in 3ms", "2026-03-04T10:00:02Z ERROR boom",
    "  at f (x.py:1)", "def f(x):", "    return x", "A = 1", "sku,stock", "A1,-4", "| a | b |",
    "1. Title", "   https://x.org/1", "The bridge reopened.", "", '{"a": 1}', "[1, 2",
])  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.text(max_size=300), st.lists(_LINES, max_size=40).map("\n".join)))
def test_any_text_lays_out_and_elides_back_to_what_was_shown(text: str) -> None:
    layout = layout_of(text)
    assert layout.kind in CONTENT_KINDS
    shown = "".join(p.text for p in layout.pieces)
    if layout.kind in ("logs", "code", "table", "prose"):
        assert shown == text  # line and sentence layouts are cuts of the text itself
    if layout.pieces:
        marker, elided = render(layout, [False] * len(layout.pieces))
        assert elided == {make_ref(shown): shown}
        assert make_ref(shown) in marker
