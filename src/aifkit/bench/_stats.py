"""The statistics behind compare and regress: bootstrap intervals, McNemar, Mann-Whitney, Pareto.

numpy and scipy are imported inside the functions (the ``bench`` extra), so
importing `aifkit.bench` stays light.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aifkit.errors import MissingDependencyError, UsageError

if TYPE_CHECKING:
    from types import ModuleType

__all__ = [
    "Interval",
    "bootstrap_mean_ci",
    "holm",
    "mann_whitney_p",
    "mcnemar_p",
    "pareto_front",
]


def _numpy() -> ModuleType:
    try:
        import numpy
    except ImportError:  # pragma: no cover - numpy comes with the bench extra
        raise MissingDependencyError("numpy", "bench") from None
    return numpy


def _scipy_stats() -> Any:
    try:
        from scipy import stats  # pyright: ignore[reportMissingTypeStubs]
    except ImportError:  # pragma: no cover - scipy comes with the bench extra
        raise MissingDependencyError("scipy", "bench") from None
    return stats


@dataclass(frozen=True, slots=True)
class Interval:
    """A confidence interval around a mean.

    Attributes:
        mean: The sample mean.
        low: Lower bound.
        high: Upper bound.
        confidence: The confidence level, e.g. 0.95.
    """

    mean: float
    low: float
    high: float
    confidence: float

    def excludes_zero(self) -> bool:
        """Whether the interval lies wholly above or wholly below zero."""
        return self.low > 0 or self.high < 0


def bootstrap_mean_ci(
    values: Sequence[float], *, confidence: float = 0.95, resamples: int = 2000, seed: int = 0
) -> Interval:
    """A percentile bootstrap confidence interval for the mean of ``values``.

    The generator is seeded, so the same values always give the same interval.

    Args:
        values: The sample, e.g. paired differences; at least one value.
        confidence: The confidence level, in (0, 1).
        resamples: How many bootstrap resamples to draw.
        seed: Seed of the numpy generator.

    Raises:
        UsageError: ``values`` is empty or ``confidence`` is out of range.

    Examples:
        >>> ci = bootstrap_mean_ci([1.0, 2.0, 3.0, 4.0])
        >>> ci.mean, ci.low <= ci.mean <= ci.high, ci.excludes_zero()
        (2.5, True, True)
        >>> bootstrap_mean_ci([0.0, 0.0]).excludes_zero()
        False
    """
    if not values:
        raise UsageError("a bootstrap interval needs at least one value")
    if not 0 < confidence < 1:
        raise UsageError(f"confidence must be in (0, 1), got {confidence}")
    np = _numpy()
    sample = np.asarray(values, dtype=np.float64)
    mean = float(sample.mean())
    if sample.size == 1 or bool(np.all(sample == sample[0])):
        return Interval(mean, mean, mean, confidence)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, sample.size, size=(resamples, sample.size))
    means = sample[picks].mean(axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return Interval(mean, float(low), float(high), confidence)


def mcnemar_p(a_only: int, b_only: int) -> float:
    """Exact McNemar test: the two-sided binomial p-value of the discordant pairs.

    Args:
        a_only: Pairs that passed in run A and failed in run B.
        b_only: Pairs that failed in run A and passed in run B.

    Returns:
        The p-value; 1.0 when there are no discordant pairs.

    Examples:
        >>> mcnemar_p(0, 0)
        1.0
        >>> round(mcnemar_p(0, 6), 4)
        0.0312
        >>> mcnemar_p(3, 3)
        1.0
    """
    if a_only < 0 or b_only < 0:
        raise UsageError("discordant pair counts cannot be negative")
    total = a_only + b_only
    if total == 0:
        return 1.0
    result = _scipy_stats().binomtest(min(a_only, b_only), total, 0.5)
    return min(1.0, float(result.pvalue))


def mann_whitney_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided Mann-Whitney U p-value that ``a`` and ``b`` come from the same distribution.

    As asv does for benchmark samples. Returns 1.0 when either sample is empty or
    every value is the same (nothing to tell apart).

    Examples:
        >>> round(mann_whitney_p([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]), 4)
        0.0079
        >>> mann_whitney_p([1, 1], [1, 1]), mann_whitney_p([], [1.0])
        (1.0, 1.0)
    """
    if not a or not b:
        return 1.0
    first = a[0]
    if all(x == first for x in a) and all(x == first for x in b):
        return 1.0
    result = _scipy_stats().mannwhitneyu(list(a), list(b), alternative="two-sided")
    p = float(result.pvalue)
    return 1.0 if math.isnan(p) else min(1.0, p)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input's order.

    Comparing ``p_adjusted < alpha`` keeps the chance of any false alarm among
    all the tests at most ``alpha`` (a gate runs dozens of tests per run).

    Examples:
        >>> holm([0.01, 0.04, 0.03])
        [0.03, 0.06, 0.06]
        >>> holm([])
        []
    """
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [1.0] * len(p_values)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats: fewer (or as many) tokens, higher accuracy.

    A point ``(tokens, accuracy)`` is on the front when no other point has
    ``tokens <= its tokens`` and ``accuracy >= its accuracy`` with one of them
    strictly better. Of exact duplicates the first is kept. The indices come
    sorted by tokens.

    Examples:
        >>> pareto_front([(100, 0.5), (50, 0.5), (200, 0.9), (150, 0.4)])
        [1, 2]
        >>> pareto_front([])
        []
    """
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1], i))
    front: list[int] = []
    best = -math.inf
    for index in order:
        accuracy = points[index][1]
        if accuracy > best:
            front.append(index)
            best = accuracy
    return front
