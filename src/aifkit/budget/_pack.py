"""`pack`: one request body in, the same format out, within a budget."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aifkit.budget._packer import Packer
from aifkit.budget._policy import Policy
from aifkit.budget._report import PackReport
from aifkit.errors import AifkitError, BudgetError

if TYPE_CHECKING:
    from aifkit.aif import Document
    from aifkit.budget.compressors import Compressor

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
    compress: str | Compressor | None = None,
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
        compress: Compress before dropping: when the pack would drop messages, the
            conversation is first compressed with this method (a name such as
            ``"extract"``, or a `Compressor`) down to the pack's target, and then
            packed; messages kept in compressed form are reported as
            ``compressed``. Default: drop only.

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
    compressed: frozenset[int] = frozenset()
    before = -1
    if compress is not None:
        document, compressed, before = _compress_first(
            packer, document, model, budget, reserve, pinned, compress
        )
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
            report = packed.report
            report.compressed = compressed
            if before >= 0:
                report.tokens_before = before  # of the request as given, not as compressed
            return PackResult(out, report)
        # The per-message counts disagree with the whole-body count (a counting rule
        # outside what the allocator adds up): pack again with the difference taken off.
        limit = packed.report.limits.hard - (counted_total - hard)
        packer.forget()
    raise AifkitError(
        f"the packed request still counts {counted_total} tokens, over the limit {hard}",
        hint="this is a bug in aifkit's counting; please report it",
    )


def _compress_first(
    packer: Packer,
    document: Document,
    model: str,
    budget: int | None,
    reserve: int | None,
    pinned: Collection[int],
    method: str | Compressor,
) -> tuple[Document, frozenset[int], int]:
    """Compress ``document`` to the pack's target when packing it would drop messages.

    Returns the document to pack, the indexes of the messages compressed, and the
    tokens of the request as given (-1 when nothing was compressed).
    """
    from aifkit.budget.compressors import CompressionTarget
    from aifkit.budget.compressors import compress as run

    trial = packer.pack(document, budget=budget, reserve=reserve, pinned=pinned).report
    packer.forget()
    if not trial.dropped:
        return document, frozenset(), -1
    target = CompressionTarget(model, budget=trial.limits.target)
    try:
        result = run(document, target, method=method)
    except BudgetError:  # compressing cannot reach the target: drop as usual
        return document, frozenset(), -1
    touched = {int(a.pointer.split("/")[2]) for a in result.actions if a.pointer.count("/") >= 2}
    if pinned and len(result.document.messages) == len(document.messages):
        # Pinned memory is kept as it was.
        keep = {p % len(document.messages) for p in pinned}
        touched -= keep
        result_doc = result.document.model_copy(
            update={"messages": tuple(
                document.messages[i] if i in keep else m
                for i, m in enumerate(result.document.messages)
            )}
        )  # fmt: skip
    else:
        result_doc = result.document
    return result_doc, frozenset(touched), trial.tokens_before
