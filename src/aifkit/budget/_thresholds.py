"""Limits of a pack: the reply reserve, the hard limit, the trigger and the target.

* The **reserve** is room kept for the reply: given, or the ``quantile`` of the
  reply lengths observed for the request's task class (a high quantile, since a
  truncated reply costs more than a few unused tokens), or, before enough
  observations, the complexity estimate's expected reply length x ``safety``.
* The **hard** limit is never passed: the explicit budget, and never more than
  the context window minus the reserve.
* The **trigger** (soft limit) is where packing starts: the hard limit when a
  budget is given, else ``soft`` x the window (scaled by complexity if the policy
  says so).
* The **target** is what a pack that must drop aims at: the trigger, or, when a
  session packs again, ``hysteresis`` x the trigger, so that the following turns
  fit without dropping (and without touching the cached prefix).
"""

from __future__ import annotations

import math
import operator
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any, SupportsIndex

from aifkit.budget._complexity import Complexity
from aifkit.budget._policy import Policy, ReserveRule
from aifkit.errors import UsageError

__all__ = ["Limits", "ReserveTracker", "check_limits", "limits", "whole_number"]


class ReserveTracker:
    """Reply lengths observed per task class, and the reserve they call for.

    Args:
        rule: The quantile, sample minimum and window to use.

    Examples:
        >>> tracker = ReserveTracker(ReserveRule(quantile=0.9, min_samples=3))
        >>> for n in [100, 120, 90, 800, 110]:
        ...     tracker.observe("qa", n)
        >>> tracker.reserve("qa"), tracker.reserve("code")
        (800, None)
    """

    def __init__(self, rule: ReserveRule | None = None) -> None:
        self.rule = rule or ReserveRule()
        self._seen: dict[str, deque[int]] = {}

    def observe(self, kind: str, tokens: int) -> None:
        """Record that a reply to a ``kind`` request took ``tokens`` output tokens."""
        if tokens < 0:
            raise UsageError(f"an observed reply length cannot be negative, got {tokens}")
        self._seen.setdefault(kind, deque(maxlen=self.rule.window)).append(tokens)

    def samples(self, kind: str) -> int:
        """Return how many reply lengths of ``kind`` are kept."""
        return len(self._seen.get(kind, ()))

    def reserve(self, kind: str) -> int | None:
        """Return the nearest-rank ``quantile`` of ``kind``'s replies, or None with too few."""
        seen = self._seen.get(kind)
        if seen is None or len(seen) < self.rule.min_samples:
            return None
        ordered = sorted(seen)
        return ordered[max(0, math.ceil(self.rule.quantile * len(ordered)) - 1)]


@dataclass(frozen=True, slots=True)
class Limits:
    """The numbers a pack works within, and where each came from.

    Attributes:
        window: The model's context window.
        reserve: Tokens kept for the reply.
        reserve_source: How the reserve was chosen.
        budget: The explicit budget, if any.
        hard: Never passed: ``min(budget, window - reserve)``.
        trigger: Above this, the request is packed.
        target: What a pack that must drop aims at.
        scale: The complexity scale applied to the trigger (1 when none).
    """

    window: int
    reserve: int
    reserve_source: str
    budget: int | None
    hard: int
    trigger: int
    target: int
    scale: float

    def to_json(self) -> dict[str, Any]:
        """Return the limits as JSON-ready data."""
        return asdict(self)


def check_limits(budget: object, reserve: object) -> None:
    """Refuse a budget or reserve that is not a whole number of tokens in range.

    Called first by `pack` and `Packer.pack`, so a bad argument is refused before
    any of the request is read.

    Raises:
        UsageError: the budget is not a positive whole number, or the reserve is
            not a whole number of 0 or more.

    Examples:
        >>> check_limits(1000, None)
        >>> check_limits(0, None)
        Traceback (most recent call last):
        ...
        aifkit.errors.UsageError: the budget must be a positive whole number of tokens, got 0; \
pass the most prompt tokens the packed request may take, e.g. budget=8000
        >>> check_limits(None, 2.5)
        Traceback (most recent call last):
        ...
        aifkit.errors.UsageError: the reserve must be a whole number of tokens, 0 or more, \
got 2.5; pass the tokens to keep for the reply, e.g. reserve=1000
    """
    if budget is not None and (whole_number(budget) or 0) <= 0:
        raise UsageError(
            f"the budget must be a positive whole number of tokens, got {_shown(budget)}",
            hint="pass the most prompt tokens the packed request may take, e.g. budget=8000",
            cli_hint="pass the most prompt tokens the packed request may take, e.g. --budget 8000",
        )
    whole = whole_number(reserve)
    if reserve is not None and (whole is None or whole < 0):
        raise UsageError(
            f"the reserve must be a whole number of tokens, 0 or more, got {_shown(reserve)}",
            hint="pass the tokens to keep for the reply, e.g. reserve=1000",
            cli_hint="pass the tokens to keep for the reply, e.g. --reserve 1000",
        )


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:39]}…"


def whole_number(value: object) -> int | None:
    """``value`` as an int when it is a whole number (an int or a numpy integer), else None."""
    if isinstance(value, bool) or not isinstance(value, SupportsIndex):
        return None
    return operator.index(value)


def limits(
    *,
    window: int,
    max_output: int,
    budget: int | None,
    reserve: int | None,
    complexity: Complexity,
    policy: Policy,
    tracker: ReserveTracker,
    again: bool,
) -> Limits:
    """Work out the limits of one pack.

    Args:
        window: The model's context window.
        max_output: The most the model writes in one reply.
        budget: The explicit budget (most prompt tokens), if any.
        reserve: The explicit reply reserve, if any.
        complexity: The estimate for this request.
        policy: Thresholds and the reserve rule.
        tracker: Reply lengths observed so far.
        again: A session packs again (hysteresis applies).

    Raises:
        UsageError: the budget or reserve is not positive.

    Examples:
        >>> from aifkit.budget._complexity import estimate_complexity
        >>> lim = limits(window=128_000, max_output=16_384, budget=None, reserve=None,
        ...              complexity=estimate_complexity("Explain the design."), policy=Policy(),
        ...              tracker=ReserveTracker(), again=True)
        >>> lim.reserve, lim.hard, lim.trigger, lim.target
        (1350, 126650, 47453, 35590)
    """
    check_limits(budget, reserve)
    rule = policy.reserve
    if reserve is not None:
        source = "given"
    else:
        observed = tracker.reserve(complexity.kind)
        if observed is not None:
            reserve = observed
            source = (
                f"p{round(rule.quantile * 100)} of {tracker.samples(complexity.kind)} "
                f"observed {complexity.kind!r} replies"
            )
        else:
            reserve = round(complexity.reply_tokens * rule.safety)
            source = f"estimate: {complexity.reply_tokens} reply tokens x {rule.safety}"
        reserve = min(max(reserve, rule.minimum), max_output)
    hard = max(0, window - reserve)
    if budget is not None:
        hard = min(hard, budget)
    scale = 1.0
    if budget is not None:
        trigger = hard
    else:
        if policy.scale_by_complexity:
            scale = 0.25 + 0.75 * complexity.score
        trigger = min(hard, round(policy.thresholds.soft * window * scale))
    target = round(policy.thresholds.hysteresis * trigger) if again else trigger
    return Limits(window, reserve, source, budget, hard, trigger, target, round(scale, 4))
