"""Content-kind detection: each kind of tool output is recognized, in one pass."""

from __future__ import annotations

import json

import pytest

from aifkit.budget import content_kind
from aifkit.budget.compressors import CONTENT_KINDS

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
