"""Cache-aware packing: keep the previous pack's prefix unless changing it pays.

Providers cache a request's longest previously seen prefix (tools, then system,
then messages in order). A session that packs every turn afresh may drop a
different old message each time and so re-write the whole cache every turn.
Instead, a session keeps what the previous pack kept and appends the new
messages (`sticky`), and packs afresh only when:

* that no longer fits the hard limit, or needs a required item it had dropped;
* the current turn clearly asks about something it dropped: a rescue (see
  `CacheRule`: relative to the kept items' relevance, paying for the cache it
  re-writes, with a doubled margin for a few packs after the prefix changed);
* it has passed the trigger and the tokens a fresh pack saves, read from the
  cache over ``horizon`` requests, cost more than re-writing the cache from the
  first changed item (`CacheRule`'s ``read`` and ``write`` prices).

`stability` measures the result: the share of the previous pack's tokens that
the new pack repeats as its prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from aifkit.aif._schema import Message
from aifkit.budget._allocate import WHY, Allocation, Groups, fill
from aifkit.budget._policy import CacheRule
from aifkit.budget._thresholds import Limits

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["PrefixReport", "Previous", "choose", "common_prefix", "decide"]


@dataclass(frozen=True, slots=True)
class Previous:
    """What a session remembers of its last pack.

    Attributes:
        messages: How many messages the conversation had.
        kept: Which of them were kept.
        output: The messages of the packed request.
        fixed_key: The instructions, tools and settings it had (compared by identity).
        fixed: Their tokens (framing included).
        tokens: Tokens of the packed request.
        since_change: Packs since the prefix last changed (0: that pack changed it).
    """

    messages: int
    kept: npt.NDArray[np.bool_]
    output: tuple[Message, ...]
    fixed_key: tuple[object, object, object]
    fixed: int
    tokens: int
    since_change: int = 0


@dataclass(frozen=True, slots=True)
class PrefixReport:
    """How a pack treated the previous pack's prefix.

    Attributes:
        decision: ``"first"`` (no previous pack), ``"kept"`` (previous selection,
            new messages appended) or ``"repacked"``.
        reason: Why, with the figures.
        shared_tokens: Tokens at the start of the request that equal the previous one's.
        previous_tokens: Tokens of the previous packed request.
        stability: ``shared_tokens / previous_tokens`` (1 for a first pack).
    """

    decision: Literal["first", "kept", "repacked"]
    reason: str
    shared_tokens: int
    previous_tokens: int
    stability: float

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "decision": self.decision,
            "reason": self.reason,
            "shared_tokens": self.shared_tokens,
            "previous_tokens": self.previous_tokens,
            "stability": round(self.stability, 4),
        }


def common_prefix(
    previous: tuple[Message, ...], output: tuple[Message, ...], tokens: npt.NDArray[np.int64]
) -> int:
    """Return the tokens of the messages ``output`` starts with that ``previous`` started with.

    ``tokens`` holds the tokens of each message of ``output``.
    """
    shared = 0
    for i, (a, b) in enumerate(zip(previous, output, strict=False)):
        if a is not b and a != b:
            break
        shared += int(tokens[i])
    return shared


def choose(
    *,
    sticky_tokens: int,
    fresh_tokens: int,
    rewrite_tokens: int,
    trigger: int,
    rule: CacheRule,
) -> tuple[bool, str]:
    """Decide between the previous prefix (``True``) and a fresh pack, with the reason.

    Args:
        sticky_tokens: Tokens of the previous selection with the new messages (fits).
        fresh_tokens: Tokens of a fresh pack.
        rewrite_tokens: Tokens a fresh pack has after its first change, which the
            provider would write to its cache again.
        trigger: Where packing starts.
        rule: Cache prices and horizon.

    Examples:
        >>> choose(sticky_tokens=9000, fresh_tokens=6000, rewrite_tokens=5800, trigger=8000,
        ...        rule=CacheRule())[0]
        True
        >>> choose(sticky_tokens=9000, fresh_tokens=3000, rewrite_tokens=200, trigger=8000,
        ...        rule=CacheRule())
        (False, 'a fresh pack saves 6000 tokens x 0.1 x 8 requests = 4800.0 > re-writing 200 cached tokens x 1.25 = 250.0')
    """
    if sticky_tokens <= trigger:
        return (
            True,
            f"the previous selection with the new messages ({sticky_tokens}) is within the trigger ({trigger})",
        )
    saved = (sticky_tokens - fresh_tokens) * rule.read * rule.horizon
    cost = rewrite_tokens * rule.write
    figures = (
        f"{sticky_tokens - fresh_tokens} tokens x {rule.read} x {rule.horizon} requests = "
        f"{round(saved, 2)}"
    )
    if saved > cost:
        return False, (
            f"a fresh pack saves {figures} > re-writing {rewrite_tokens} cached tokens "
            f"x {rule.write} = {round(cost, 2)}"
        )
    return True, (
        f"re-writing {rewrite_tokens} cached tokens x {rule.write} = {round(cost, 2)} costs "
        f"more than a fresh pack saves ({figures})"
    )


def decide(
    *,
    groups: Groups,
    gidx: npt.NDArray[np.int64],
    tokens: npt.NDArray[np.int64],
    fresh: Callable[[], Allocation],
    previous: Previous | None,
    stable: int,
    fixed_key: tuple[object, object, object],
    fixed_tokens: int,
    limits: Limits,
    relevance: npt.NDArray[np.float64],
    bm25: npt.NDArray[np.float64],
    rule: CacheRule,
) -> tuple[Allocation, PrefixReport]:
    """Keep the previous selection with the new messages, or pack afresh; say why.

    Args:
        groups: The groups of this pack.
        gidx: Each message's group.
        tokens: Each message's tokens.
        fresh: Packs afresh (called only when needed).
        previous: The session's previous pack, if any.
        stable: How many leading messages are unchanged since it.
        fixed_key: This request's instructions, tools and settings.
        fixed_tokens: Their tokens.
        limits: Hard limit and trigger.
        relevance: Each group's relevance, in ``[floor, 1]``.
        bm25: Each group's BM25 score (0: no word of the current turn).
        rule: Cache prices and when a rescue pays (`CacheRule`).
    """
    if previous is None:
        return fresh(), PrefixReport("first", "no previous pack", 0, 0, 1.0)
    if not rule.enabled:
        return fresh(), PrefixReport("repacked", "the prompt cache rule is off", 0, 0, 0.0)
    if stable < previous.messages or previous.fixed_key != fixed_key:
        why = "the conversation changed before its end, or its instructions or tools did"
        return fresh(), PrefixReport("repacked", why, 0, 0, 0.0)
    grown = np.ones(len(gidx), dtype=np.bool_)
    grown[: previous.messages] = previous.kept
    dropped_before = np.bincount(gidx, weights=~grown, minlength=len(groups.tokens)) > 0
    sticky = ~dropped_before
    sticky_tokens = fixed_tokens + int(groups.tokens[sticky].sum())
    if (groups.mandatory & dropped_before).any():
        why = "the current turn needs messages the previous pack dropped"
        return fresh(), PrefixReport("repacked", why, 0, 0, 0.0)
    if sticky_tokens > limits.hard:
        why = (
            f"the previous selection with the new messages needs {sticky_tokens} tokens, "
            f"over the hard limit {limits.hard}"
        )
        return fresh(), PrefixReport("repacked", why, 0, 0, 0.0)
    margin = rule.rescue_margin * (2 if previous.since_change < rule.rescue_cooldown else 1)
    best_kept = float(bm25[sticky].max()) if sticky.any() else 0.0
    rescue = dropped_before & (relevance >= rule.rescue) & (bm25 > 0) & (bm25 >= margin * best_kept)
    declined = ""
    if rescue.any():
        found = _rescue(
            groups, rescue, sticky, sticky_tokens, limits.hard, fresh,
            _Worth(rule, margin, best_kept, bm25, gidx, tokens, grown),
        )  # fmt: skip
        if not isinstance(found, str):
            return found
        declined = f"; nothing brought back: {found}"
    candidate = fresh() if sticky_tokens > limits.trigger else None
    rewrite = _rewrite(candidate.kept, gidx, grown, tokens) if candidate is not None else 0
    keep, reason = choose(
        sticky_tokens=sticky_tokens,
        fresh_tokens=candidate.tokens if candidate is not None else sticky_tokens,
        rewrite_tokens=rewrite,
        trigger=limits.trigger,
        rule=rule,
    )
    reason += declined
    if not keep and candidate is not None:
        return candidate, PrefixReport("repacked", reason, 0, 0, 0.0)
    why = np.full(len(sticky), WHY["prefix"], dtype=np.int8)
    why[groups.mandatory] = WHY["required"]
    return Allocation(sticky, why, sticky_tokens), PrefixReport("kept", reason, 0, 0, 0.0)


def _rewrite(
    kept: npt.NDArray[np.bool_],
    gidx: npt.NDArray[np.int64],
    grown: npt.NDArray[np.bool_],
    tokens: npt.NDArray[np.int64],
) -> int:
    # Tokens of the new selection from its first change on: the provider writes them again.
    kept_msg = kept[gidx]
    changed = kept_msg != grown
    first = int(np.argmax(changed)) if changed.any() else len(changed)
    return int(tokens[first:][kept_msg[first:]].sum())


@dataclass(frozen=True, slots=True)
class _Worth:
    # Whether bringing groups back pays for the cache it re-writes.
    rule: CacheRule
    margin: float
    best_kept: float
    bm25: npt.NDArray[np.float64]
    gidx: npt.NDArray[np.int64]
    tokens: npt.NDArray[np.int64]
    grown: npt.NDArray[np.bool_]

    def judge(
        self, kept: npt.NDArray[np.bool_], back: npt.NDArray[np.int64], back_tokens: int
    ) -> tuple[bool, str]:
        rule = self.rule
        rewrite = _rewrite(kept, self.gidx, self.grown, self.tokens)
        cost = rewrite * (rule.write - rule.read)
        basis = f"BM25 >= {self.margin:g} x the best kept item's ({round(self.best_kept, 2)})"
        if self.best_kept <= 0:
            return True, f"{basis}: no kept item matches the current turn"
        ratio = float(self.bm25[back].sum()) / len(back) / self.best_kept
        worth = back_tokens * ratio * rule.horizon
        figures = (
            f"{back_tokens} tokens x {round(ratio, 2)} (relevance over the best kept) x "
            f"{rule.horizon} requests = {round(worth, 1)}"
        )
        miss = (
            f"re-writing {rewrite} cached tokens x ({rule.write} - {rule.read}) = {round(cost, 1)}"
        )
        if worth > cost:
            return True, f"{basis}; {figures} > {miss}"
        return False, f"{basis}, but {figures} <= {miss}"


def _rescue(
    groups: Groups,
    rescue: npt.NDArray[np.bool_],
    sticky: npt.NDArray[np.bool_],
    sticky_tokens: int,
    hard: int,
    fresh: Callable[[], Allocation],
    worth: _Worth,
) -> tuple[Allocation, PrefixReport] | str:
    # The current turn clearly asks about groups the previous pack dropped: add them to
    # the previous selection if they fit, else pack afresh if that keeps them; either
    # only when the rescue pays for the cache it re-writes (else: why not).
    ids = groups.order[rescue[groups.order]]
    back = ids[fill(groups.tokens[ids], hard - sticky_tokens)]
    if len(back):
        kept = sticky.copy()
        kept[back] = True
        why = np.full(len(kept), WHY["prefix"], dtype=np.int8)
        why[groups.mandatory] = WHY["required"]
        why[back] = WHY["rescued"]
        alloc = Allocation(kept, why, sticky_tokens + int(groups.tokens[back].sum()))
    else:
        alloc = fresh()
        back = np.flatnonzero(rescue & alloc.kept)
        if not len(back):
            return "a fresh pack within the hard limit would not keep them"
        alloc.why[back] = WHY["rescued"]
    pays, figures = worth.judge(alloc.kept, back, int(groups.tokens[back].sum()))
    if not pays:
        return figures
    reason = f"brought back {len(back)} dropped group(s) the current turn asks about ({figures})"
    return alloc, PrefixReport("repacked", reason, 0, 0, 0.0)
