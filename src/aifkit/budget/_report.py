"""The pack report: every item, what was decided about it and why, and the figures behind it.

Pointers are JSON pointers into the AIF document (``/messages/4``,
``/instructions/0``, ``/tools``). Items are materialized on first access, so a
pack of a long conversation pays for its report only when someone reads it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from aifkit.budget._allocate import CONSTRAINTS, Constraint
from aifkit.budget._complexity import Complexity
from aifkit.budget._items import CATEGORIES, CODES, Category, ItemKind
from aifkit.budget._policy import Policy
from aifkit.budget._prefix import PrefixReport
from aifkit.budget._thresholds import Limits

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["Change", "Columns", "Decision", "ItemReport", "PackReport"]

Decision = Literal["kept", "dropped", "compressed", "summarized"]
Change = Literal["new", "same", "now kept", "now dropped"]


@dataclass(frozen=True, slots=True)
class ItemReport:
    """One item of a pack: what it is, what it costs, and what was decided.

    Attributes:
        pointer: Where it is in the AIF document.
        kind: ``instruction``, ``tools`` or ``message``.
        category: Its own category (its group may count toward a stronger one).
        group: Pointer of the first message of its atomic group (itself when alone).
        tokens: Tokens it costs, framing included.
        score: Its group's score (priority x relevance x recency); None for
            instructions and tools.
        relevance: Its group's relevance to the current turn, in ``[floor, 1]``.
        recency: Its group's recency, in ``[floor, 1]``.
        priority: Its group's priority.
        decision: ``kept``, ``dropped``, ``compressed`` (kept with its content
            compressed, see ``pack(compress=...)``) or ``summarized`` (folded with the
            messages of its group into one summary message that was kept; the summary's
            tokens are counted on the group's first message, 0 on the others).
        constraint: What decided it (see `CONSTRAINTS`).
        change: Against the previous pack of the session: ``new``, ``same``,
            ``now kept`` or ``now dropped``; None for a first pack.
        detail: What compressing it did (the compressor's own words), or None.
    """

    pointer: str
    kind: ItemKind
    category: Category
    group: str
    tokens: int
    score: float | None
    relevance: float | None
    recency: float | None
    priority: float | None
    decision: Decision
    constraint: Constraint
    change: Change | None
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the item as JSON-ready data."""
        data: dict[str, Any] = {
            "pointer": self.pointer,
            "kind": self.kind,
            "category": self.category,
            "group": self.group,
            "tokens": self.tokens,
            "decision": self.decision,
            "constraint": self.constraint,
        }
        for name in ("score", "relevance", "recency", "priority"):
            value = getattr(self, name)
            if value is not None:
                data[name] = round(value, 6)
        if self.change is not None:
            data["change"] = self.change
        if self.detail is not None:
            data["detail"] = self.detail
        return data


@dataclass(frozen=True, slots=True)
class Columns:
    """The arrays a report is built from (one entry per message, or per group).

    Attributes:
        category: Each message's category code.
        group: Each message's group index (into the group arrays).
        head: Each group's first message index.
        tokens: Each message's tokens.
        previous: Which messages the previous pack kept (None: no previous pack);
            messages past its end are new.
        score: Each group's score.
        relevance: Each group's relevance.
        recency: Each group's recency.
        priority: Each group's priority.
        kept: Which groups were kept.
        why: Each group's constraint code.
        instructions: Tokens of each instruction block.
        tools: Tokens of the tool definitions (None: there are none).
    """

    category: npt.NDArray[np.int8]
    group: npt.NDArray[np.int64]
    head: npt.NDArray[np.int64]
    tokens: npt.NDArray[np.int64]
    previous: npt.NDArray[np.bool_] | None
    score: npt.NDArray[np.float64]
    relevance: npt.NDArray[np.float64]
    recency: npt.NDArray[np.float64]
    priority: npt.NDArray[np.float64]
    kept: npt.NDArray[np.bool_]
    why: npt.NDArray[np.int8]
    instructions: tuple[int, ...]
    tools: int | None


class PackReport:
    """Everything a pack decided and why.

    Attributes:
        model: The counting rules used, e.g. ``"gpt-4o/o200k_base"``.
        exact: Whether counts are what the provider bills.
        limits: Reserve, hard limit, trigger and target, with their sources.
        complexity: The estimate that set the reserve, with every figure.
        policy: The policy used.
        tokens_before: Tokens of the request as given.
        tokens_after: Tokens of the packed request (at most ``limits.hard``).
        fixed: Tokens of the parts every request pays: instructions, tools, framing.
        query: The current turn's search words and their BM25 idf.
        prefix: How the previous pack's prefix was treated.
        work: Messages measured and reused, and tokens indexed for relevance, by this pack
            (``pack(compress=...)``: by its trial pack and the pack of the compressed
            request together; ``aifkit.pack`` indexes none: it scans the conversation).
    """

    def __init__(
        self,
        *,
        model: str,
        exact: bool,
        limits: Limits,
        complexity: Complexity,
        policy: Policy,
        tokens_before: int,
        tokens_after: int,
        fixed: Mapping[str, int],
        query: Mapping[str, float],
        prefix: PrefixReport,
        work: Mapping[str, int],
        columns: Columns,
    ) -> None:
        self.model = model
        self.exact = exact
        self.limits = limits
        self.complexity = complexity
        self.policy = policy
        self.tokens_before = tokens_before
        self.tokens_after = tokens_after
        self.fixed = dict(fixed)
        self.query = dict(query)
        self.prefix = prefix
        self.work = dict(work)
        self.compressed: frozenset[int] = frozenset()
        """Indexes of the messages compressed in place (set by ``pack(compress=...)``)."""
        self.summarized: frozenset[int] = frozenset()
        """Indexes of the messages folded into a summary (set by ``pack(compress=...)``)."""
        self.details: dict[int, str] = {}
        """What compressing did to each compressed or summarized message, by index."""
        self._c = columns

    def __repr__(self) -> str:
        kept = int(self._c.kept[self._c.group].sum())
        return (
            f"PackReport({self.tokens_before} -> {self.tokens_after} tokens, "
            f"{kept}/{len(self._c.group)} messages kept, hard limit {self.limits.hard})"
        )

    @functools.cached_property
    def items(self) -> tuple[ItemReport, ...]:
        """Every item: instructions, tools, then messages, in request order."""
        c = self._c
        out: list[ItemReport] = []
        for i, tokens in enumerate(c.instructions):
            ptr = f"/instructions/{i}"
            out.append(_fixed(ptr, "instruction", "system", tokens))
        if c.tools is not None:
            out.append(_fixed("/tools", "tools", "tools", c.tools))
        kept_msg = c.kept[c.group]
        n_prev = len(c.previous) if c.previous is not None else 0
        for i in range(len(c.group)):
            g = int(c.group[i])
            kept = bool(kept_msg[i])
            change: Change | None = None
            if c.previous is not None:
                if i >= n_prev:
                    change = "new"
                elif bool(c.previous[i]) == kept:
                    change = "same"
                else:
                    change = "now kept" if kept else "now dropped"
            out.append(
                ItemReport(
                    f"/messages/{i}", "message", CATEGORIES[int(c.category[i])],
                    f"/messages/{int(c.head[g])}", int(c.tokens[i]), float(c.score[g]),
                    float(c.relevance[g]), float(c.recency[g]), float(c.priority[g]),
                    self._decision(i, kept), CONSTRAINTS[int(c.why[g])], change,
                    self.details.get(i),
                )
            )  # fmt: skip
        return tuple(out)

    def _decision(self, i: int, kept: bool) -> Decision:
        if not kept:
            return "dropped"
        if i in self.summarized:
            return "summarized"
        return "compressed" if i in self.compressed else "kept"

    def account(
        self,
        origins: Sequence[Sequence[int]],
        *,
        compressed: frozenset[int],
        details: Mapping[int, str],
        tokens_before: int,
    ) -> None:
        """Restate a report made on a compressed conversation over the request as given.

        Called by ``pack(compress=...)``: ``origins[k]`` are the indexes (in the
        request as given) of the messages that message ``k`` of the compressed
        conversation stands for, in order; several for a summary. Each original then
        has its own item: one folded into a summary is ``summarized``, in the
        summary's group, and the summary's tokens are counted on the first of them.

        Args:
            origins: For each compressed message, the original messages it stands for.
            compressed: Original indexes compressed in place.
            details: What was done to each compressed or summarized original.
            tokens_before: Tokens of the request as given.
        """
        c = self._c
        where = np.array([k for k, ids in enumerate(origins) for _ in ids], dtype=np.int64)
        first = np.array([j == 0 for ids in origins for j in range(len(ids))], dtype=np.bool_)
        start = np.cumsum([0, *(len(ids) for ids in origins)])[:-1].astype(np.int64)
        previous = c.previous
        if previous is not None:
            previous = previous[where[where < len(previous)]]
        self._c = dataclasses.replace(
            c,
            category=c.category[where],
            group=c.group[where],
            head=start[c.head],
            tokens=np.where(first, c.tokens[where], 0),
            previous=previous,
        )
        self.summarized = frozenset(i for ids in origins if len(ids) > 1 for i in ids)
        self.compressed = compressed
        self.details = dict(details)
        self.tokens_before = tokens_before
        self.__dict__.pop("items", None)  # restate the items if they were read already

    @property
    def kept(self) -> tuple[ItemReport, ...]:
        """The items kept, compressed and summarized ones included."""
        return tuple(i for i in self.items if i.decision != "dropped")

    @property
    def dropped(self) -> tuple[ItemReport, ...]:
        """The items dropped."""
        return tuple(i for i in self.items if i.decision == "dropped")

    def categories(self) -> dict[str, dict[str, int]]:
        """Return, per category, the items and tokens kept and dropped."""
        c = self._c
        kept = c.kept[c.group]
        out: dict[str, dict[str, int]] = {}
        for name in CATEGORIES:
            mask = c.category == CODES[name]
            row = {
                "kept": int((mask & kept).sum()),
                "kept_tokens": int(c.tokens[mask & kept].sum()),
                "dropped": int((mask & ~kept).sum()),
                "dropped_tokens": int(c.tokens[mask & ~kept].sum()),
            }
            if name == "system":
                row["kept"] += len(c.instructions)
                row["kept_tokens"] += sum(c.instructions)
            if name == "tools" and c.tools is not None:
                row["kept"] += 1
                row["kept_tokens"] += c.tools
            if any(row.values()):
                out[name] = row
        return out

    def diff(self) -> dict[str, Any]:
        """Return what changed against the previous pack: pointers now dropped, now kept, new."""
        changes: dict[str, list[str]] = {"now dropped": [], "now kept": [], "new": []}
        for item in self.items:
            if item.change is not None and item.change != "same":
                changes[item.change].append(item.pointer)
        return {
            "previous": self._c.previous is not None,
            "now_dropped": changes["now dropped"],
            "now_kept": changes["now kept"],
            "new": changes["new"],
        }

    def to_json(self) -> dict[str, Any]:
        """Return the whole report as JSON-ready data."""
        return {
            "model": self.model,
            "exact": self.exact,
            "tokens_before": self.tokens_before,
            "tokens_after": self.tokens_after,
            "limits": self.limits.to_json(),
            "complexity": self.complexity.to_json(),
            "fixed": self.fixed,
            "query": {k: round(v, 6) for k, v in self.query.items()},
            "prefix": self.prefix.to_json(),
            "categories": self.categories(),
            "diff": self.diff(),
            "work": self.work,
            "policy": self.policy.to_json(),
            "items": [i.to_json() for i in self.items],
        }


def _fixed(pointer: str, kind: ItemKind, category: Category, tokens: int) -> ItemReport:
    return ItemReport(
        pointer, kind, category, pointer, tokens, None, None, None, None, "kept", "required", None
    )
