"""Policies validate their numbers and print as they were used."""

from __future__ import annotations

import json

import pytest

from aifkit.budget import DEFAULT_RULES, CacheRule, Policy, Rule, Thresholds
from aifkit.errors import UsageError


def test_rules_start_from_the_defaults() -> None:
    policy = Policy(rules={"history": Rule(cap=100)})
    assert policy.rule("history").cap == 100
    assert policy.rule("pinned") == DEFAULT_RULES["pinned"]
    assert policy.with_rule("documents", floor=5).rule("documents").floor == 5


def test_policy_prints_as_json() -> None:
    data = json.loads(json.dumps(Policy(cache=CacheRule(horizon=3)).to_json()))
    assert data["cache"]["horizon"] == 3
    assert data["rules"]["current"]["required"] is True


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Rule(priority=-1), "must not be negative"),
        (lambda: Rule(floor=10, cap=5), "below its floor"),
        (lambda: Thresholds(soft=0), "must be in"),
        (lambda: CacheRule(rescue_margin=0.5), "must be at least 1"),
        (lambda: CacheRule(rescue_cooldown=-1), "must not be negative"),
        (lambda: Policy(rules={"nope": Rule()}), "unknown categories"),  # type: ignore[dict-item]
        (lambda: Policy(rules={"current": Rule()}), "always required"),
    ],
)
def test_bad_numbers_are_refused(make: object, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        make()  # type: ignore[operator]
