"""The complexity estimate: kinds, reply lengths and the figures behind them."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


# The line-anchored patterns as they were before issue 11: ``^\s*`` skips newlines too,
# so each line start of a blank run rescans the rest of the run (n^2 on n newlines).
_QUADRATIC_FENCE = re.compile(r"^\s*```", re.MULTILINE)
_QUADRATIC_CONSTRAINT = re.compile(
    r"\b(must|should|exactly|at least|at most|no more than|no less than|without|only|"
    r"don'?t|do not|never|always|ensure|require[sd]?|avoid|limit)\b|^\s*([-*•]|\d+[.)])\s",
    re.IGNORECASE | re.MULTILINE,
)
_LINE_TEXT = st.lists(
    st.sampled_from([*'\n\r\t \x0b\x85`;{}-*•1.)aA?"', "```", "must ", "def "]), max_size=60
).map("".join)


@given(_LINE_TEXT)
def test_fences_and_constraints_count_as_the_quadratic_patterns_did(text: str) -> None:
    factors = estimate_complexity(text).factors
    assert factors["code_blocks"] == len(_QUADRATIC_FENCE.findall(text)) // 2
    assert factors["constraints"] == len(_QUADRATIC_CONSTRAINT.findall(text))


def test_blank_lines_before_a_plain_line_are_not_indented_code() -> None:
    # ``^\s{4,}\S`` used to read four newlines and a word as one indented code line.
    assert estimate_complexity("Hello\n\n\n\n\nthere").factors["code_lines"] == 0
    assert estimate_complexity("Hello\n\n    x = 1").factors["code_lines"] == 1
