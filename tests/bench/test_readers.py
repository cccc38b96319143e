"""Readers and scoring: string_match_all, EM/F1, the extractive reader on every task kind."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.bench import ExtractiveReader, generate
from aifkit.bench._readers import exact_match, f1, string_match_all


@settings(max_examples=50)
@given(st.lists(st.text(alphabet="abcxyz ", min_size=1), min_size=1, max_size=4))
def test_answers_score_perfectly_against_themselves(answers: list[str]) -> None:
    text = ", ".join(answers)
    assert string_match_all(text, answers) == 1.0
    assert 0.0 <= f1(text, answers) <= 1.0


def test_scores_on_known_cases() -> None:
    assert string_match_all("nothing", ["42"]) == 0.0
    assert exact_match("The answer.", ["answer"])
    assert not exact_match("answer maybe", ["answer"])
    assert f1("w x y z", ["y z q r"]) == pytest.approx(0.5)
    assert f1("", ["x"]) == 0.0


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("niah", {"length": 1500, "variant": "single"}),
        ("niah", {"length": 1500, "variant": "multi_key"}),
        ("niah", {"length": 1500, "variant": "multi_value"}),
        ("niah", {"length": 1500, "variant": "multi_query"}),
        ("variable_tracking", {"length": 1500, "hops": 4}),
        ("conversation_recall", {"length": 1500, "source": "user"}),
        ("conversation_recall", {"length": 1500, "source": "tool"}),
        ("retrieval", {"docs": 8}),
    ],
)
def test_the_extractive_reader_answers_from_a_full_context(
    kind: str, params: dict[str, object]
) -> None:
    task = generate(kind, params, 5, "gpt-4o")
    answer = ExtractiveReader().read(task.body, task.question).text
    assert answer is not None
    assert string_match_all(answer, task.answers) == 1.0, (answer, task.answers)
    if len(task.answers) == 1:
        assert exact_match(answer, task.answers)


def test_the_extractive_reader_cannot_answer_once_the_needle_is_gone() -> None:
    task = generate("niah", {"length": 800}, 0, "gpt-4o")
    messages = [m for m in task.body["messages"] if task.answers[0] not in str(m["content"])]
    answer = ExtractiveReader().read({"messages": messages}, task.question).text
    assert answer is not None
    assert task.answers[0] not in answer
