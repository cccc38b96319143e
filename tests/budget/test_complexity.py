"""The complexity estimate: kinds, reply lengths and the figures behind them."""

from __future__ import annotations

import pytest

from aifkit.budget import KINDS, estimate_complexity


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("What is the capital of France?", "qa"),
        ("hello there", "chat"),
        ("```python\nprint(1)\n```\nwhy does this fail?", "code"),
        ("Compare the trade-offs of these two designs.", "analysis"),
        ("Write a short poem about autumn.", "writing"),
        ("Summarize the thread above.", "summary"),
        ("Extract every date from the text.", "extraction"),
    ],
)
def test_kinds(text: str, kind: str) -> None:
    assert estimate_complexity(text).kind == kind


def test_length_hints_set_the_reply() -> None:
    assert estimate_complexity("Describe Rome in 200 words.").reply_tokens == 270
    assert estimate_complexity("Describe Rome briefly.").reply_tokens < KINDS["chat"][1]
    detailed = estimate_complexity("Explain Rome's history in detail.")
    assert detailed.factors["length_hint"] == "long"


def test_every_figure_is_reported_and_the_score_grows_with_demands() -> None:
    simple = estimate_complexity("Hi!")
    hard = estimate_complexity(
        "Implement a Rust parser for ISO 8601 dates. It must handle time zones, should never "
        "allocate, must not panic, and should be tested.\n- leap seconds\n- week dates\n" * 3
    )
    assert 0 <= simple.score < hard.score <= 1
    for key in (
        "words",
        "code_lines",
        "entities",
        "constraints",
        "kind",
        "reply_tokens",
        "components",
    ):
        assert key in hard.factors
    assert hard.to_json()["factors"]["constraints"] >= 6
    assert abs(sum(hard.factors["weights"].values()) - 1) < 1e-9
