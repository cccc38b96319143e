"""Task generators: deterministic, sized in real tokens, needles where they are asked for."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.bench import generate
from aifkit.bench._readers import context_text
from aifkit.bench._strategies import count_body
from aifkit.errors import InvalidInputError


@settings(max_examples=10, deadline=None)
@given(
    kind=st.sampled_from(["niah", "variable_tracking", "conversation_recall", "retrieval"]),
    seed=st.integers(0, 10_000),
    depth=st.sampled_from([0.0, 0.3, 1.0]),
)
def test_generators_are_deterministic_and_hold_their_answers(
    kind: str, seed: int, depth: float
) -> None:
    params = {"length": 600, "depth": depth}
    task = generate(kind, params, seed, "gpt-4o")
    assert task == generate(kind, params, seed, "gpt-4o")
    assert task.body["messages"][-1] == {"role": "user", "content": task.question}
    text = context_text(task.body)
    assert task.answers
    assert all(a in text for a in task.answers)


@pytest.mark.parametrize("length", [500, 2000])
def test_the_haystack_length_is_measured_with_the_real_tokenizer(length: int) -> None:
    tokens = count_body(generate("niah", {"length": length}, 0, "gpt-4o").body, "gpt-4o")
    assert length <= tokens <= length * 1.15 + 60


def test_needle_depth_moves_the_needle() -> None:
    def position(depth: float) -> int:
        task = generate("niah", {"length": 2000, "depth": depth}, 3, "gpt-4o")
        return context_text(task.body).index(task.answers[0])

    assert position(0.0) < position(0.5) < position(1.0)


@pytest.mark.parametrize(
    ("variant", "answers"),
    [("single", 1), ("multi_key", 1), ("multi_value", 4), ("multi_query", 4)],
)
def test_niah_variants(variant: str, answers: int) -> None:
    task = generate("niah", {"length": 800, "variant": variant}, 1, "gpt-4o")
    assert len(task.answers) == answers
    needles = context_text(task.body).count("special magic numbers for")
    assert needles == (1 if variant == "single" else 4)


def test_conversation_recall_has_paired_tool_traces() -> None:
    task = generate("conversation_recall", {"length": 1500, "source": "tool"}, 2, "gpt-4o")
    messages = task.body["messages"]
    calls = {c["id"] for m in messages for c in m.get("tool_calls") or []}
    results = {m["tool_call_id"] for m in messages if m["role"] == "tool"}
    assert calls
    assert calls == results
    fact = next(m for m in messages if m["role"] == "tool" and task.answers[0] in m["content"])
    assert fact["content"].startswith("Record found")


def test_variable_tracking_asks_for_the_whole_chain() -> None:
    task = generate("variable_tracking", {"length": 500, "hops": 3}, 0, "gpt-4o")
    assert len(task.answers) == 4
    assert json.dumps(task.body).count("VAR ") == 2 * (1 + 2 * 3)  # two chains


def test_bad_params_name_the_parameter() -> None:
    with pytest.raises(InvalidInputError, match="/params/depth"):
        generate("niah", {"depth": 2}, 0, "gpt-4o")
    with pytest.raises(InvalidInputError, match="/params/variant"):
        generate("niah", {"variant": "many"}, 0, "gpt-4o")


def test_retrieval_names_as_many_near_identical_entities_as_documents() -> None:
    # 30 documents is more than there are adjectives: names must still be distinct
    # (this once looped forever, hanging the standard suite).
    inst = generate("retrieval", {"docs": 30, "depth": 1.0}, 0, "gpt-4o")
    content = json.dumps(inst.body)
    titles = re.findall(r"\(Title: ([^)]+)\)", content)
    assert len(titles) == len(set(titles)) == 30
    assert len({t.split()[-1] for t in titles}) == 1  # all share the same base noun


def test_retrieval_refuses_more_documents_than_distinct_entities() -> None:
    with pytest.raises(InvalidInputError, match="distinct entities"):
        generate("retrieval", {"docs": 10_000}, 0, "gpt-4o")
