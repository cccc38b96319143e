"""Strategies: every one fits the budget or fails saying why; the baseline orphans tool results."""

from __future__ import annotations

import itertools
from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.bench import STRATEGIES, generate
from aifkit.bench._execute import execute_job
from aifkit.bench._strategies import (
    PEERS,
    apply_strategy,
    apply_turns,
    compress_methods,
    conversation_turns,
    count_body,
    orphaned_tool_messages,
    parse_strategy,
    prefix_kept,
    previous_turn,
)
from aifkit.bench._suite import Job
from aifkit.errors import BudgetError, InvalidInputError, UnknownNameError
from aifkit.tokens import count_tokens


@pytest.mark.parametrize("name", sorted(set(STRATEGIES) - {"none", *PEERS}))
def test_each_strategy_fits_the_budget(name: str) -> None:
    task = generate("conversation_recall", {"length": 1500}, 1, "gpt-4o")
    before = count_body(task.body, "gpt-4o")
    applied = apply_strategy(STRATEGIES[name], task.body, before // 3, "gpt-4o")
    assert applied.tokens_after <= before // 3
    assert applied.body["messages"][-1] == task.body["messages"][-1]
    if name.startswith("pack"):
        assert applied.report is not None
        assert orphaned_tool_messages(applied.body) == 0


def test_truncate_front_keeps_the_newest_messages_and_can_orphan_results() -> None:
    task = generate("conversation_recall", {"length": 3000}, 0, "gpt-4o")
    messages = task.body["messages"]
    for budget in range(300, 1500, 97):
        out = apply_strategy(STRATEGIES["truncate-front"], task.body, budget, "gpt-4o").body
        assert out["messages"][1:] == messages[-(len(out["messages"]) - 1) :]
    # A budget that fits exactly from a tool result on: its call is cut off.
    at = max(i for i, m in enumerate(messages) if m["role"] == "tool")
    budget = count_body({**task.body, "messages": [messages[0], *messages[at:]]}, "gpt-4o")
    applied = apply_strategy(STRATEGIES["truncate-front"], task.body, budget, "gpt-4o")
    out = applied.body
    assert applied.report == {"strategy": "truncate-front", "dropped_messages": at - 1,
                              "kept_messages": len(messages) - at + 1}  # fmt: skip
    assert out["messages"][1]["role"] == "tool"
    assert orphaned_tool_messages(out) == 1  # the baseline does not keep calls with results


def test_an_impossible_budget_is_a_budget_error() -> None:
    task = generate("niah", {"length": 300}, 0, "gpt-4o")
    with pytest.raises(BudgetError):
        apply_strategy(STRATEGIES["truncate-front"], task.body, 5, "gpt-4o")


def test_compression_strategies_resolve_lazily() -> None:
    task = generate("niah", {"length": 1200}, 0, "gpt-4o")
    before = count_body(task.body, "gpt-4o")
    for method in compress_methods()[:2]:
        applied = apply_strategy(
            parse_strategy(f"compress:{method}"), task.body, before // 2, "gpt-4o"
        )
        assert applied.tokens_after <= before
    with pytest.raises(UnknownNameError):
        apply_strategy(parse_strategy("compress:no-such-method"), task.body, before // 2, "gpt-4o")


def test_strategy_specs_are_checked() -> None:
    with pytest.raises(UnknownNameError, match="known strateg"):
        parse_strategy("pack:magic")
    with pytest.raises(InvalidInputError, match="exactly one"):
        parse_strategy({"name": "x"})


def _chat(turns: int) -> dict[str, object]:
    messages: list[dict[str, object]] = [{"role": "system", "content": "Be brief."}]
    for i in range(turns):
        messages.append({"role": "user", "content": f"Question {i} about topic {i * 7}. " * 6})
        messages.append({"role": "assistant", "content": f"Answer {i} on subject {i * 5}. " * 6})
    messages.append({"role": "user", "content": "What did we discuss?"})
    return {"model": "gpt-4o", "messages": messages}


def test_conversation_turns_are_the_requests_of_each_turn() -> None:
    task = generate("conversation_recall", {"length": 1500}, 2, "gpt-4o")
    turns = conversation_turns(task.body)
    assert turns[-1] == task.body
    assert len(turns) > 3
    for earlier, later in itertools.pairwise(turns):
        assert earlier["messages"] == later["messages"][: len(earlier["messages"])]
        assert earlier["messages"][-1]["role"] == "user"
    assert previous_turn(generate("niah", {"length": 300}, 0, "gpt-4o").body) is None


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 12), st.data())
def test_prefix_kept_counts_the_identical_leading_messages(n: int, data: st.DataObject) -> None:
    body = _chat(n)
    messages = cast("list[dict[str, object]]", body["messages"])
    k = data.draw(st.integers(0, len(messages) - 1))
    changed = [*messages[:k], {"role": "user", "content": "changed"}, *messages[k + 1 :]]
    share = prefix_kept(body, {**body, "messages": changed}, "gpt-4o")
    whole = count_tokens(body, format="openai-chat", model="gpt-4o")
    part = count_tokens({**body, "messages": messages[:k]}, format="openai-chat", model="gpt-4o")
    assert share == round((part.total - part.overhead) / (whole.total - whole.overhead), 6)
    grown = {**body, "messages": [*messages, {"role": "assistant", "content": "More."}]}
    assert prefix_kept(body, grown, "gpt-4o") == 1.0
    other_tools = {**grown, "tools": [{"type": "function", "function": {"name": "f"}}]}
    assert prefix_kept(body, other_tools, "gpt-4o") == 0.0
    # Byte-identical means key order too: a provider's cache compares bytes.
    reordered = [{"content": m["content"], "role": m["role"]} for m in messages]
    assert prefix_kept(body, {**body, "messages": reordered}, "gpt-4o") == 0.0


def test_a_packer_session_keeps_the_prefix_that_independent_packs_rewrite() -> None:
    turns = conversation_turns(_chat(30))
    budget = count_body(turns[-1], "gpt-4o") // 3
    strategy = STRATEGIES["pack:recency"]
    session = apply_turns(strategy, turns, budget, "gpt-4o")
    alone = [apply_strategy(strategy, t, budget, "gpt-4o").body for t in turns]
    over = [i for i, t in enumerate(turns[:-1]) if count_body(turns[i + 1], "gpt-4o") > budget]
    assert len(over) > 10
    kept = [prefix_kept(session[i], session[i + 1], "gpt-4o") for i in over]
    rewritten = [prefix_kept(alone[i], alone[i + 1], "gpt-4o") for i in over]
    # Independent packs drop the oldest kept message each turn: the prefix ends at the system.
    assert max(rewritten) < 0.2
    # The session keeps its selection (appending) until its headroom is used up.
    assert sum(k == 1.0 for k in kept) >= len(kept) // 2
    assert sum(kept) > 3 * sum(rewritten)
    assert all(count_body(b, "gpt-4o") <= budget for b in session)


@pytest.mark.parametrize("name", ["none", "truncate-front", "pack", "pack:recency"])
def test_prefix_stability_is_measured_on_conversations_only(name: str) -> None:
    strategy = STRATEGIES[name]
    cells = execute_job(Job("c", "conversation_recall", {"length": 1500}, 3, strategy, "0.5",
                            (("evidence", "x"),), "gpt-4o"))  # fmt: skip
    value = cells[0]["metrics"]["prefix_stability"]
    assert cells[0]["status"] == "ok"
    assert 0.0 <= value <= 1.0
    if name == "none":
        assert value == 1.0  # nothing is dropped: the previous request is a prefix
    niah = execute_job(Job("n", "niah", {"length": 400}, 0, strategy, "0.5",
                           (("evidence", "x"),), "gpt-4o"))  # fmt: skip
    assert niah[0]["metrics"]["prefix_stability"] is None
