"""Search results: handles kept first, duplicates worth nothing, novel snippets above boilerplate."""

from __future__ import annotations

import json

from aifkit.budget.compressors._search import search_layout


def test_a_repeated_result_scores_zero_and_a_novel_snippet_scores_high() -> None:
    rows = [{"title": f"Guide {i}", "url": f"https://x.org/{i}",
             "snippet": "A generic guide to bridges and tunnels."} for i in range(10)]  # fmt: skip
    rows.append(dict(rows[3]))
    rows.append({"title": "Orvane", "url": "https://y.org/o",
                 "snippet": "The Orvane bridge reopened with a 7,450 tonne limit."})  # fmt: skip
    lay = search_layout(json.dumps(rows), rows)
    dup = [p for p in lay.pieces if p.group == "duplicates"]
    assert dup
    assert all(p.score == 0 for p in dup)
    best = max(lay.pieces, key=lambda p: p.score)
    assert "7,450" in best.text
    assert all("https://" in p.text for p in lay.pieces if p.text.startswith("- "))
