"""Limits: reserve, hard limit, trigger, target, and the reserve learnt from replies."""

from __future__ import annotations

import pytest

from aifkit.budget import Policy, ReserveRule, ReserveTracker, Thresholds, estimate_complexity
from aifkit.budget._thresholds import limits
from aifkit.errors import UsageError

QA = estimate_complexity("What is the capital of France?")


def _limits(**kw: object):
    args: dict[str, object] = dict(window=100_000, max_output=8_000, budget=None, reserve=None,
                                   complexity=QA, policy=Policy(), tracker=ReserveTracker(), again=False)  # fmt: skip
    args.update(kw)
    return limits(**args)  # type: ignore[arg-type]


def test_an_explicit_budget_is_the_hard_limit_and_the_trigger() -> None:
    lim = _limits(budget=5_000)
    assert (lim.hard, lim.trigger, lim.target) == (5_000, 5_000, 5_000)
    assert _limits(budget=5_000, again=True).target == 3_750  # hysteresis: 0.75 x trigger


def test_never_past_the_window_minus_the_reserve() -> None:
    lim = _limits(budget=200_000, reserve=9_000)
    assert lim.hard == 91_000
    assert lim.reserve_source == "given"


def test_without_a_budget_packing_starts_at_the_soft_limit() -> None:
    lim = _limits(policy=Policy(scale_by_complexity=False, thresholds=Thresholds(soft=0.8)))
    assert lim.trigger == 80_000
    assert lim.scale == 1.0
    scaled = _limits()
    assert scaled.trigger == round(80_000 * (0.25 + 0.75 * QA.score))
    assert scaled.scale < 1


def test_the_reserve_is_a_high_quantile_of_observed_replies() -> None:
    tracker = ReserveTracker(ReserveRule(quantile=0.95, min_samples=3))
    for n in [300, 320, 310, 2_000]:
        tracker.observe("qa", n)
    lim = _limits(tracker=tracker)
    assert lim.reserve == 2_000
    assert lim.reserve_source == "p95 of 4 observed 'qa' replies"
    assert _limits(tracker=tracker, max_output=1_000).reserve == 1_000  # never past max output
    assert _limits().reserve == 256  # the estimate (150 x 1.5) is below the minimum


def test_bad_numbers_are_refused() -> None:
    with pytest.raises(UsageError):
        _limits(budget=0)
    with pytest.raises(UsageError):
        _limits(reserve=-1)
    with pytest.raises(UsageError):
        ReserveTracker().observe("qa", -5)
