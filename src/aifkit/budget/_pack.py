"""`pack`: one request body in, the same format out, within a budget."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from aifkit.budget._packer import Packer
from aifkit.budget._policy import Policy
from aifkit.budget._report import PackReport
from aifkit.errors import AifkitError

__all__ = ["PackResult", "pack"]

_REPAIRS = 3


@dataclass(frozen=True, slots=True)
class PackResult:
    """A packed request body and its report; unpacks as ``body, report``."""

    body: Any
    report: PackReport

    def __iter__(self) -> Iterator[Any]:
        yield self.body
        yield self.report


def pack(
    body: Any,
    *,
    format: str,
    model: str,
    budget: int | None = None,
    reserve: int | None = None,
    policy: Policy | None = None,
    pinned: Collection[int] = (),
) -> PackResult:
    """Pack a request body so its prompt takes at most ``budget`` tokens; same format out.

    The body is read into AIF, packed there, and written back in ``format``; kept
    messages come back as they were (a format that requires alternating roles,
    like ``anthropic``, merges same-role messages that dropping made adjacent).
    The packed body is then counted with `aifkit.tokens.count_tokens`, the count
    ``aif count`` reports, and is guaranteed to be within the budget.

    Args:
        body: The request body, as parsed JSON.
        format: Its wire format, e.g. ``"openai-chat"``.
        model: The model the request is for.
        budget: The most prompt tokens the packed request may take, as the provider
            counts them; default: the model's window minus the reply reserve.
        reserve: Tokens kept for the reply; default: estimated from the request.
        policy: How to pack; default `Policy()`.
        pinned: Indexes (in the AIF document's messages) of pinned memory.

    Returns:
        The packed body and the `PackReport`.

    Raises:
        UnknownNameError: the model or format is unknown.
        InvalidInputError: the body is malformed.
        BudgetError: what must be kept alone exceeds the budget; says by how much.

    Examples:
        >>> body = {"model": "gpt-4o", "messages": [
        ...     {"role": "system", "content": "Be brief."},
        ...     {"role": "user", "content": "Tell me about the weather. " * 50},
        ...     {"role": "assistant", "content": "It is sunny. " * 50},
        ...     {"role": "user", "content": "And tomorrow?"}]}
        >>> out, report = pack(body, format="openai-chat", model="gpt-4o", budget=60)
        >>> [m["content"] for m in out["messages"]], report.tokens_after
        (['Be brief.', 'And tomorrow?'], 17)
    """
    from aifkit.aif import decode, encode
    from aifkit.tokens import CountCache, count_tokens

    document, _ = decode(body, format)
    packer = Packer(model, policy=policy)
    limit = budget
    counted_total = hard = -1
    for _ in range(_REPAIRS):
        packed = packer.pack(document, budget=limit, reserve=reserve, pinned=pinned)
        out, _ = encode(packed.document, format)
        counted = count_tokens(out, format=format, model=model, cache=CountCache(maxsize=0))
        counted_total = counted.total
        if hard < 0:
            hard = packed.report.limits.hard  # what the caller asked for
        if counted_total <= hard:
            return PackResult(out, packed.report)
        # The per-message counts disagree with the whole-body count (a counting rule
        # outside what the allocator adds up): pack again with the difference taken off.
        limit = packed.report.limits.hard - (counted_total - hard)
        packer.forget()
    raise AifkitError(
        f"the packed request still counts {counted_total} tokens, over the limit {hard}",
        hint="this is a bug in aifkit's counting; please report it",
    )
