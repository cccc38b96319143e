"""Strategies: every one fits the budget or fails saying why; the baseline orphans tool results."""

from __future__ import annotations

import pytest

from aifkit.bench import STRATEGIES, generate
from aifkit.bench._strategies import (
    apply_strategy,
    compress_methods,
    count_body,
    orphaned_tool_messages,
    parse_strategy,
)
from aifkit.errors import BudgetError, InvalidInputError, UnknownNameError


@pytest.mark.parametrize("name", sorted(set(STRATEGIES) - {"none"}))
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
