"""Code: imports, constants and configuration, then signatures, then bodies."""

from __future__ import annotations

from aifkit.budget.compressors._code import code_layout


def test_constants_outrank_signatures_which_outrank_bodies() -> None:
    src = "\n".join(
        ["import os", "from json import dumps", "", "TIMEOUT = 30", "log = make_logger()"]
        + [line for i in range(20)
           for line in (f"def f{i}(x):", '    """Add."""', f"    y = x + {i}", "    return y", "")]
        + ["SETTLEMENT_WINDOW_SECONDS = 7200"]
    )  # fmt: skip
    scores = {p.text.rstrip("\n"): p.score for p in code_layout(src).pieces}
    assert scores["SETTLEMENT_WINDOW_SECONDS = 7200"] > scores["def f3(x):"]
    assert scores["TIMEOUT = 30"] > scores["import os"] > scores["def f3(x):"]
    assert scores["log = make_logger()"] > scores["def f3(x):"]
    assert scores["def f3(x):"] > scores['    """Add."""'] > scores["    y = x + 3"]
