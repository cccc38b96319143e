"""The packing policy: per-category rules, scoring, thresholds, the prompt cache and the reserve.

A `Rule` per category says how much it weighs (``priority``), what it is
guaranteed (``floor``), what it may take at most (``cap``), how the budget left
after floors is shared between categories (``share``, like prompt-tsx's
``flexBasis``: a category that needs less than its share passes the rest on), and
whether it is ``required`` (never dropped). Every number is plain data, so a
policy prints in the pack report as it was used.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from aifkit.budget._items import CATEGORIES, Category
from aifkit.errors import UsageError

__all__ = ["DEFAULT_RULES", "CacheRule", "Policy", "ReserveRule", "Rule", "Thresholds"]


@dataclass(frozen=True, slots=True)
class Rule:
    """How one category is packed.

    Args:
        priority: Weight of its items' scores.
        floor: Tokens it is given first, best-scored items first, when it has them.
        cap: Tokens it may take at most (``None``: no cap).
        share: Its weight when the budget left after floors is split between
            categories; 0 takes part only in the final fill by score.
        required: Its items are never dropped (the pack fails instead).
    """

    priority: float = 1.0
    floor: int = 0
    cap: int | None = None
    share: float = 0.0
    required: bool = False

    def __post_init__(self) -> None:
        if self.priority < 0 or self.floor < 0 or self.share < 0:
            raise UsageError("a Rule's priority, floor and share must not be negative")
        if self.cap is not None and self.cap < self.floor:
            raise UsageError(f"a Rule's cap ({self.cap}) is below its floor ({self.floor})")


DEFAULT_RULES: Mapping[Category, Rule] = MappingProxyType(
    {
        "current": Rule(required=True),
        "system": Rule(required=True),
        "tools": Rule(required=True),
        "pinned": Rule(priority=4.0, required=True),
        "documents": Rule(priority=1.5, share=1.0),
        "tool_results": Rule(priority=0.8, share=1.0),
        "history": Rule(priority=1.0, share=2.0),
    }
)
"""The rules `Policy` starts from: system, tools, pinned and the current turn are kept."""


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When packing starts, and how far it goes (hysteresis).

    Args:
        soft: Without an explicit budget, packing starts once the request passes
            this fraction of the context window (never past window - reserve).
        hysteresis: When a session must pack again, it packs down to this fraction
            of the trigger, so the next turns fit without touching the prefix.
    """

    soft: float = 0.8
    hysteresis: float = 0.75

    def __post_init__(self) -> None:
        if not (0 < self.soft <= 1 and 0 < self.hysteresis <= 1):
            raise UsageError("Thresholds.soft and .hysteresis must be in (0, 1]")


@dataclass(frozen=True, slots=True)
class CacheRule:
    """The provider's prompt cache, in prices relative to an uncached input token.

    A session keeps the previous pack's prefix (appending new messages) unless it
    no longer fits, the current turn clearly asks about something it dropped (a
    rescue that pays for the cache it re-writes), or the tokens a fresh pack saves
    over ``horizon`` requests cost more, read from the cache, than re-writing the
    cache after the first changed item.

    A dropped item is rescued only when all hold: its relevance is at least
    ``rescue``; its BM25 score is at least ``rescue_margin`` times the best score
    among the items the previous selection keeps (the turn asks about *it*, not
    about words the kept messages share too); and its tokens, weighted by that
    ratio, over ``horizon`` requests, exceed the cache-miss cost of the change:
    the tokens after it, re-written at ``write`` instead of read at ``read``.
    For ``rescue_cooldown`` packs after the prefix changed, the margin doubles
    (hysteresis: filler does not flip the prefix turn after turn).

    Args:
        enabled: Keep prefixes stable across packs of a session.
        read: Price of a cached input token (e.g. 0.1).
        write: Price of writing a token to the cache (e.g. 1.25).
        horizon: Requests a pack is expected to serve before the next change.
        rescue: Relevance (in ``[0, 1]``, relative to the best match) a dropped
            item needs to be brought back.
        rescue_margin: How many times the best kept item's BM25 score a dropped
            item's must be to be brought back.
        rescue_cooldown: Packs after a change of prefix during which the margin
            is doubled.

    Examples:
        >>> CacheRule().rescue_margin, CacheRule(rescue_cooldown=0).rescue_cooldown
        (2.0, 0)
    """

    enabled: bool = True
    read: float = 0.1
    write: float = 1.25
    horizon: int = 8
    rescue: float = 0.75
    rescue_margin: float = 2.0
    rescue_cooldown: int = 3

    def __post_init__(self) -> None:
        if self.read < 0 or self.write < 0 or self.horizon < 0 or self.rescue_cooldown < 0:
            raise UsageError("CacheRule's prices, horizon and rescue_cooldown must not be negative")
        if self.rescue_margin < 1:
            raise UsageError(
                f"CacheRule.rescue_margin ({self.rescue_margin}) must be at least 1",
                hint="it is how many times the best kept item's score a rescued item needs",
            )


@dataclass(frozen=True, slots=True)
class ReserveRule:
    """How the room kept for the reply is chosen.

    Args:
        quantile: The quantile of observed reply lengths of a task class to reserve.
        min_samples: Observations of a class needed before they are used.
        window: Observations kept per class (the most recent).
        minimum: The smallest reserve.
        safety: Multiplies the complexity estimate's expected reply length.
    """

    quantile: float = 0.95
    min_samples: int = 5
    window: int = 200
    minimum: int = 256
    safety: float = 1.5


@dataclass(frozen=True, slots=True)
class Policy:
    """Everything that decides a pack besides the conversation and the budget.

    Args:
        rules: Rules by category; categories left out keep `DEFAULT_RULES`.
        relevance: ``"bm25"`` scores by relevance to the current turn; ``"none"`` does not.
        k1: BM25 term-frequency saturation.
        b: BM25 length normalization.
        relevance_floor: The relevance of an item unrelated to the current turn.
        half_life: Messages after which recency halves (above its floor).
        recency_floor: The recency of the oldest items.
        thresholds: When to start packing and how far to go.
        cache: Prompt-cache economics for sessions.
        reserve: How the reply reserve is chosen.
        scale_by_complexity: Without an explicit budget, send simple requests less
            history: the trigger becomes ``(0.25 + 0.75 x complexity)`` of itself.

    Examples:
        >>> policy = Policy().with_rule("history", cap=2000)
        >>> policy.rule("history").cap, policy.rule("system").required
        (2000, True)
    """

    rules: Mapping[Category, Rule] = field(default_factory=lambda: DEFAULT_RULES)
    relevance: Literal["bm25", "none"] = "bm25"
    k1: float = 1.5
    b: float = 0.75
    relevance_floor: float = 0.2
    half_life: float = 24.0
    recency_floor: float = 0.3
    thresholds: Thresholds = field(default_factory=Thresholds)
    cache: CacheRule = field(default_factory=CacheRule)
    reserve: ReserveRule = field(default_factory=ReserveRule)
    scale_by_complexity: bool = True

    def __post_init__(self) -> None:
        unknown = set(self.rules) - set(CATEGORIES)
        if unknown:
            raise UsageError(
                f"unknown categories in Policy.rules: {', '.join(sorted(unknown))}",
                hint=f"known categories: {', '.join(CATEGORIES)}",
            )
        for name in ("current", "system", "tools"):
            if name in self.rules and not self.rules[name].required:
                raise UsageError(f"category {name!r} is always required")
        merged = {**DEFAULT_RULES, **self.rules}
        object.__setattr__(self, "rules", MappingProxyType(merged))

    def rule(self, category: Category) -> Rule:
        """Return the rule of ``category``."""
        return self.rules[category]

    def with_rule(self, category: Category, **changes: Any) -> Policy:
        """Return a copy with ``category``'s rule changed as given."""
        rule = dataclasses.replace(self.rule(category), **changes)
        return dataclasses.replace(self, rules={**self.rules, category: rule})

    def to_json(self) -> dict[str, Any]:
        """Return the policy as JSON-ready data."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["rules"] = {c: dataclasses.asdict(r) for c, r in self.rules.items()}
        for name in ("thresholds", "cache", "reserve"):
            data[name] = dataclasses.asdict(data[name])
        return data
