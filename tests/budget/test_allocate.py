"""Allocation passes: required, floor, share, score; caps; the greedy fill."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aifkit.budget import Policy
from aifkit.budget._allocate import CONSTRAINTS, Groups, allocate, fill
from aifkit.budget._items import CODES
from aifkit.errors import BudgetError


@given(st.lists(st.integers(0, 50), max_size=40), st.integers(0, 300))
def test_fill_takes_in_order_whatever_still_fits(tokens: list[int], limit: int) -> None:
    taken = fill(np.array(tokens, dtype=np.int64), limit).tolist()
    room = limit
    for t, took in zip(tokens, taken, strict=True):  # the definition, one item at a time
        assert took == (t <= room)
        if took:
            room -= t


def _groups(tokens: list[int], cats: list[str], mandatory: list[bool]) -> Groups:
    order = np.arange(len(tokens), dtype=np.int64)  # already best first
    return Groups(
        np.array(tokens, dtype=np.int64),
        np.array([CODES[c] for c in cats], dtype=np.int8),  # type: ignore[index]
        np.array(mandatory),
        order,
    )


def test_floors_then_shares_then_score() -> None:
    g = _groups(
        [10, 40, 40, 40, 5, 30],
        ["current", "history", "history", "history", "documents", "documents"],
        [True, False, False, False, False, False],
    )
    policy = Policy().with_rule("documents", floor=30, share=1.0).with_rule("history", share=1.0)
    alloc = allocate(g, fixed=0, target=100, hard=100, policy=policy)
    why = [CONSTRAINTS[w] for w in alloc.why]
    # floor: documents take 5 (30 does not fit in the floor of 30 after it); shares of the
    # 85 left: 42 each -> one history group (40) and the other document (30); the 15 left fit
    # nothing.
    assert alloc.kept.tolist() == [True, True, False, False, True, True]
    assert why == ["required", "share", "budget", "budget", "floor", "share"]
    assert alloc.tokens == 85


def test_caps_bound_a_category() -> None:
    g = _groups(
        [5, 20, 20, 20],
        ["current", "tool_results", "tool_results", "history"],
        [True] + [False] * 3,
    )
    alloc = allocate(
        g, fixed=0, target=100, hard=100, policy=Policy().with_rule("tool_results", cap=25)
    )
    assert alloc.kept.tolist() == [True, True, False, True]
    assert CONSTRAINTS[alloc.why[2]] == "cap"


def test_required_groups_that_do_not_fit_raise_with_the_excess() -> None:
    g = _groups([50, 30], ["current", "history"], [True, False])
    with pytest.raises(
        BudgetError,
        match=r"need 60 tokens \(framing 10, current turn 50\), but the budget is 55: over by 5",
    ):
        allocate(g, fixed=10, target=55, hard=55, policy=Policy(), fixed_parts={"framing": 10})
