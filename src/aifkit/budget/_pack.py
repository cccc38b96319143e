"""`pack`: one request body in, the same format out, within a budget."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from aifkit.budget._packer import Packed, Packer, single_use
from aifkit.budget._policy import Policy
from aifkit.budget._report import PackReport
from aifkit.budget._thresholds import check_limits, whole_number
from aifkit.errors import AifkitError, BudgetError, UsageError

if TYPE_CHECKING:
    from aifkit.aif import Document, Message
    from aifkit.budget.compressors import CompressionResult, Compressor
    from aifkit.tokens import Tokenizer

__all__ = ["PackResult", "check_pinned", "count_written", "pack", "pack_document"]

_REPAIRS = 3


@dataclass(frozen=True, slots=True)
class PackResult:
    """A packed request body and its report; unpacks as ``body, report``.

    Attributes:
        body: The packed body.
        report: What was kept, compressed, summarized and dropped.
        elided: The texts compression left out, by the ref their markers name
            (``[... elided, ref 0123456789: expand to see]``): what ``aif_expand(ref)``
            answers (`aifkit.budget.expand`). Empty when nothing was elided.
    """

    body: Any
    report: PackReport
    elided: Mapping[str, str] = field(default_factory=dict[str, str])

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
    compress: str | Compressor | None = "auto",
) -> PackResult:
    """Pack a request body so its prompt takes at most ``budget`` tokens; same format out.

    The body is read into AIF, packed there, and written back in ``format``; kept
    messages come back as they were (a format that requires alternating roles,
    like ``anthropic``, merges same-role messages that dropping made adjacent).
    The packed body is then counted with `aifkit.tokens.count_tokens`, the count
    ``aif count`` reports, and is guaranteed to be within the budget.

    Args:
        body: The request body, as parsed JSON; or, with ``format="langchain"``, a
            list of LangChain messages (see `aifkit.integrations.langchain`).
        format: Its wire format, e.g. ``"openai-chat"``, or ``"langchain"``.
        model: The model the request is for.
        budget: The most prompt tokens the packed request may take, as the provider
            counts them; default: the model's window minus the reply reserve.
        reserve: Tokens kept for the reply; default: estimated from the request.
        policy: How to pack; default `Policy()`.
        pinned: Indexes (in the AIF document's messages) of pinned memory.
        compress: Compress before dropping: when the pack would drop messages, the
            conversation is first compressed with this method (a name such as
            ``"extract"`` or ``"summary"``, or a `Compressor`) down to the pack's
            target, and then packed. The report still has one item per message of
            the request as given: those kept in compressed form are ``compressed``,
            those folded into a kept summary ``summarized``, each with a ``detail``.
            A compression that cannot reach the target, or that would fold a pinned
            message into a summary, is not used: the pack drops as usual.
            Default: ``"auto"``, content-aware compression that keeps what a later
            question may need (errors in logs, outlier rows, constants in code) and
            marks what it elides with a reference; None drops only.

    Returns:
        The packed body and the `PackReport`.

    Raises:
        UsageError: the budget, reserve or a pinned index is not a valid number;
            checked, like the names, before the body is read.
        UnknownNameError: the model, format or compression method is unknown.
        InvalidInputError: the body is malformed.
        BudgetError: what must be kept alone exceeds the budget; says by how much.
        SummaryRejectedError: ``compress="summary"`` wrote a summary that failed its
            checks (a `SummaryCompressor` with ``on_reject="keep"`` drops instead).

    Examples:
        >>> body = {"model": "gpt-4o", "messages": [
        ...     {"role": "system", "content": "Be brief."},
        ...     {"role": "user", "content": "Tell me about the weather. " * 50},
        ...     {"role": "assistant", "content": "It is sunny. " * 50},
        ...     {"role": "user", "content": "And tomorrow?"}]}
        >>> out, report = pack(body, format="openai-chat", model="gpt-4o", budget=60, compress=None)
        >>> [m["content"] for m in out["messages"]], report.tokens_after
        (['Be brief.', 'And tomorrow?'], 17)
        >>> out, report = pack(body, format="openai-chat", model="gpt-4o", budget=60)
        >>> [m["content"] for m in out["messages"]][1], report.tokens_after <= 60
        ('Tell me about the weather. […]', True)
    """
    from aifkit._objects import integration

    objects = integration(format)
    if objects is not None:  # framework objects: the integration reads and writes them
        done_: PackResult = objects.pack(
            body,
            model=model,
            budget=budget,
            reserve=reserve,
            policy=policy,
            pinned=pinned,
            compress=compress,
        )
        return done_

    # Every argument is checked before the body is read: a bad one costs nothing.
    check_limits(budget, reserve)
    check_pinned(pinned)
    packer = single_use(Packer(model, policy=policy))  # an unknown model is refused here
    return packer.pack_body(
        body, format=format, budget=budget, reserve=reserve, pinned=pinned, compress=compress
    )


def pack_document(
    packer: Packer,
    document: Document,
    *,
    format: str,
    model: str,
    budget: int | None,
    reserve: int | None,
    pinned: Collection[int],
    compress: Compressor | None,
    source: Any = None,
) -> PackResult:
    """Pack ``document`` (read from a checked ``format`` body) with ``packer``; write ``format``.

    The one implementation behind `pack` and `Packer.pack_body`. ``source`` is the
    body ``document`` was read from (None: the packer's session, read before). Its
    report's ``work`` is that of every pack it made: with compression, the trial pack
    that measured the request and the pack of the compressed request, which measured
    only the messages compression changed.
    """
    from aifkit.aif import encode

    read = document
    done = first = None
    work: dict[str, int] = {}
    if compress is not None:
        first = packer.pack(document, budget=budget, reserve=reserve, pinned=pinned)
        done = _compress_first(first.report, document, packer, model, pinned, compress)
        if done is not None:  # pack the compressed document afresh
            work = dict(first.report.work)
            document, pinned, first = done.document, done.pinned, None
            packer.forget()
    limit = budget
    counted_total = hard = -1
    for _ in range(_REPAIRS):
        packed = (
            first
            if first is not None
            else packer.pack(document, budget=limit, reserve=reserve, pinned=pinned)
        )
        first = None  # the trial pack of the uncompressed document serves once
        for key, n in packed.report.work.items():
            work[key] = work.get(key, 0) + n
        out, _ = encode(packed.document, format)
        given = source is not None and packed.document is read
        counted_total = _count_packed(out, format, model, packed, packer, source if given else None)
        if hard < 0:
            hard = packed.report.limits.hard  # what the caller asked for
        if counted_total <= hard:
            report = packed.report
            report.work = work
            if done is not None:  # restated over the request as given, not as compressed
                report.account(
                    done.origins,
                    compressed=done.compressed,
                    details=done.details,
                    tokens_before=done.tokens_before,
                )
            return PackResult(out, report, done.elided if done is not None else {})
        # The per-message counts disagree with the whole-body count (a counting rule
        # outside what the allocator adds up): pack again with the difference taken off.
        limit = packed.report.limits.hard - (counted_total - hard)
        packer.forget()
    raise AifkitError(
        f"the packed request still counts {counted_total} tokens, over the limit {hard}",
        hint="this is a bug in aifkit's counting; please report it",
    )


def _count_packed(
    out: Any, format: str, model: str, packed: Packed, packer: Packer, source: Any
) -> int:
    """The tokens of the packed body ``out``, as `aifkit.tokens.count_tokens` counts it.

    The body is read back through the format's decoder (`FormatConverter.decode`:
    no separate edge walk first; a decoder that checks as it reads, as Chat
    Completions' does, checks only what it has to). When it reads as the packed document, the usual case, its
    count is the packer's, already measured message by message with the same rules
    (`TokensCounter`; proven in tests/budget/test_measure.py); only a body that reads
    otherwise (merged roles, a format's own framing), an estimated count or another
    counter's is counted afresh. Counting once is what keeps packing a wire
    body close to tokenizing it once.

    ``source`` is the body the packed document was read from whole (nothing
    dropped), if it was: when ``out`` equals it, ``out`` reads as that document
    (reading is a function of the JSON), and it is not read again.
    """
    from aifkit.budget._measure import TokensCounter

    exact = isinstance(packer.counter, TokensCounter) and packer.counter.exact
    if exact and source is not None and out == source:  # compared in C
        return packed.report.tokens_after
    return count_written(out, format, model, packed.document, packed.report.tokens_after, exact)


def count_written(
    out: Any, format: str, model: str, document: Document, tokens: int, exact: bool
) -> int:
    """The tokens of ``out``, ``document`` written in ``format``, whose messages count ``tokens``.

    ``out`` is read back through the format's decoder; when it reads as ``document``
    and ``tokens`` is exact, ``tokens`` is its count; otherwise it is counted afresh
    with `aifkit.tokens.count_tokens`. Shared by `pack` and `aifkit.budget.trim`.
    """
    from aifkit.aif import FORMATS
    from aifkit.tokens import CountCache, count_tokens

    back = FORMATS.get(format).decode(out).document
    if exact and (
        back.messages == document.messages
        and back.instructions == document.instructions
        and back.tools == document.tools
        and back.settings.tool_choice == document.settings.tool_choice
    ):
        return tokens
    return count_tokens(back, model=model, cache=CountCache(maxsize=0)).total


def check_pinned(pinned: Collection[int]) -> None:
    """Refuse pinned indexes that are not whole numbers, before anything is read."""
    for i in pinned:
        if whole_number(i) is None:
            raise UsageError(
                f"pinned holds message indexes, got {i!r:.40}",
                hint="pass the indexes of the pinned messages as whole numbers, e.g. [0]",
            )


@dataclass(frozen=True, slots=True)
class _Compressed:
    """A conversation compressed before packing, and how it maps to the request as given."""

    document: Document
    origins: tuple[tuple[int, ...], ...]  # per compressed message: the originals it stands for
    compressed: frozenset[int]  # originals compressed in place
    details: dict[int, str]  # what was done to each compressed or summarized original
    pinned: tuple[int, ...]  # the pinned messages' indexes in ``document``
    tokens_before: int  # of the request as given
    elided: dict[str, str]  # what the markers of ``document`` stand for, by ref


def _compress_first(
    trial: PackReport,
    document: Document,
    packer: Packer,
    model: str,
    pinned: Collection[int],
    method: str | Compressor,
) -> _Compressed | None:
    """Compress ``document`` to the pack's target when its ``trial`` pack drops messages.

    The compressor counts with what the trial pack measured: a text the packer
    tokenized is not tokenized again.

    Returns None when the document is packed as it is: nothing would be dropped,
    the target cannot be reached, a pinned message would be folded into a summary,
    or the compressor changed the list of messages in a way no report can follow.
    """
    from aifkit.budget._measure import TokensCounter
    from aifkit.budget.compressors import CompressionTarget
    from aifkit.budget.compressors._pipeline import compress_checked as run

    if not trial.dropped:
        return None
    counter = packer.counter
    known = (
        _Measured(counter.tokenizer, packer.measured_texts())
        if isinstance(counter, TokensCounter)
        else None
    )
    target = CompressionTarget(model, budget=trial.limits.target, tokenizer=known)
    try:
        result = run(document, target, method=method)
    except BudgetError:  # compressing cannot reach the target: drop as usual
        return None
    traced = _trace(len(document.messages), result)
    if traced is None:
        return None
    origins, compressed, details = traced
    where = [k for k, ids in enumerate(origins) for _ in ids]  # original -> compressed index
    messages = list(result.document.messages)
    pins: list[int] = []
    for i in sorted({p % len(document.messages) for p in pinned}):
        k = where[i]
        if len(origins[k]) > 1:  # pinned memory would be summarized: drop as usual
            return None
        messages[k] = document.messages[i]  # pinned memory is kept as it was
        compressed.discard(i)
        details.pop(i, None)
        pins.append(k)
    packed_doc = result.document.model_copy(update={"messages": tuple(messages)})
    return _Compressed(
        packed_doc,
        tuple(origins),
        frozenset(compressed),
        {i: "; ".join(d) for i, d in details.items()},
        tuple(pins),
        trial.tokens_before,
        result.elided,
    )


class _Measured:
    """``tokenizer``, answering the counts of the texts in ``counts`` without tokenizing them.

    Everything else is the tokenizer's own (``decode``, where it has one: compressors
    cut texts at token boundaries with it, and without it at estimated ones).
    """

    def __init__(self, tokenizer: Tokenizer, counts: Mapping[str, int]) -> None:
        self._tokenizer = tokenizer
        self._counts = counts
        self.name = tokenizer.name

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tokenizer, name)

    def encode(self, text: str) -> list[int]:
        return self._tokenizer.encode(text)

    def count(self, text: str) -> int:
        n = self._counts.get(text)
        return self._tokenizer.count(text) if n is None else n


def _trace(
    n: int, result: CompressionResult
) -> tuple[list[tuple[int, ...]], set[int], dict[int, list[str]]] | None:
    """Follow the actions of ``result`` from the ``n`` messages given to those it returns.

    Returns, per message of the result, the original messages it stands for (several
    for a summary); the originals compressed in place; and what was done to each
    original. None when an action on the whole list (``/messages``) did other than
    fold a run of messages into one.
    """
    from aifkit.budget.compressors import CompressionResult

    origins: list[tuple[int, ...]] = [(i,) for i in range(n)]
    compressed: set[int] = set()
    details: dict[int, list[str]] = {}
    actions = result.actions
    for j, action in enumerate(actions):
        said = f"{action.method}: {action.detail}"
        steps = action.pointer.split("/")
        if action.pointer == "/messages":
            # The list right after this action: the result with the later actions undone.
            after = CompressionResult(result.document, 0, 0, actions[j + 1 :]).restore()
            span = _fold(action.original, [_json(m) for m in after.messages])
            if span is None:
                return None
            start, end = span
            if end - start == 1:  # one message rewritten in place
                compressed.update(origins[start])
            elif end - start > 1:
                merged = tuple(i for ids in origins[start:end] for i in ids)
                origins[start:end] = [merged]
                said = (
                    f"folded with /messages/{merged[0]}-/messages/{merged[-1]} into one "
                    f"summary message ({said})"
                )
            for i in origins[start] if end > start else ():
                details.setdefault(i, []).append(said)
        elif len(steps) > 2 and steps[1] == "messages" and steps[2].isdigit():
            for i in origins[int(steps[2])]:
                compressed.add(i)
                details.setdefault(i, []).append(said)
    return origins, compressed, details


def _fold(old: Any, new: Sequence[Any]) -> tuple[int, int] | None:
    """The run ``old[start:end]`` that ``new`` replaces by one message, or None if none does.

    ``(start, start)`` when nothing changed.
    """
    if not isinstance(old, list):
        return None
    before = cast("list[Any]", old)
    shortest = min(len(before), len(new))
    start = 0
    while start < shortest and before[start] == new[start]:
        start += 1
    if start == len(before) == len(new):
        return start, start
    tail = 0
    while tail < shortest - start and before[-1 - tail] == new[-1 - tail]:
        tail += 1
    if len(new) - start - tail != 1 or len(before) - start - tail < 1:
        return None
    return start, len(before) - tail


def _json(message: Message) -> Any:
    return message.model_dump(mode="json", by_alias=True)
