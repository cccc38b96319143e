"""`trim`: keep the newest messages that fit, counting from the newest backwards.

The recency-only counterpart of `pack`, and the operation of LangChain's
``trim_messages(strategy="last", include_system=True, start_on="human")``: the
instructions and the tools, then the longest suffix of the conversation that fits
the budget, starting on a user turn, never splitting an atomic group (a tool call
and its results, a turn and its attachments: `aifkit.budget._items`). Messages are
counted newest first and counting stops at the first one that does not fit:
older messages are never tokenized, which is what makes trimming cheaper than
packing (a pack scores every message, so it counts them all).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from aifkit.budget._items import Conversation
from aifkit.budget._measure import EMPTY_TERMS, Measure, TokensCounter
from aifkit.budget._thresholds import check_limits
from aifkit.errors import AifkitError, BudgetError, InvalidInputError, UsageError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from aifkit.aif import Document, Instruction, Message

__all__ = ["TrimReport", "TrimResult", "trim"]


@dataclass(frozen=True, slots=True)
class TrimReport:
    """What `trim` kept and what it cost.

    Attributes:
        messages: Messages of the request (in AIF: instructions are not messages).
        kept: How many of the newest messages were kept: ``messages[-kept:]``.
        dropped: How many of the oldest were dropped (``messages - kept``).
        tokens: Prompt tokens of the trimmed request, as `aifkit.tokens.count_tokens`
            counts it.
        budget: The limit it fits within: the budget, or the model's window minus
            the reserve when that is less.
        counted: Messages tokenized: the kept ones and the first that did not fit.
    """

    messages: int
    kept: int
    dropped: int
    tokens: int
    budget: int
    counted: int

    def to_json(self) -> dict[str, int]:
        """The report as JSON (what ``aif trim --explain`` writes)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class TrimResult:
    """A trimmed request body and its report; unpacks as ``body, report``.

    Attributes:
        body: The trimmed body, in the format it was given in.
        report: What was kept and what it cost.
    """

    body: Any
    report: TrimReport

    def __iter__(self) -> Iterator[Any]:
        yield self.body
        yield self.report


def trim(
    body: Any, *, format: str, model: str, budget: int, reserve: int | None = None
) -> TrimResult:
    """Keep the newest messages that fit within ``budget`` tokens; the same format out.

    The instructions (system and developer prompts) and the tools are always kept;
    then the longest run of the newest messages that fits, starting on a user turn
    (leading assistant and tool messages of the run are dropped), with every tool
    call kept together with its results. Messages are counted from the newest
    backwards and counting stops at the first that does not fit: older ones are
    never tokenized. Nothing is scored or compressed: for relevance, priorities
    and compression use `aifkit.pack`. A system message in the middle of the
    conversation is a message like any other here: kept only if it is in the run.

    Args:
        body: The request body, as parsed JSON.
        format: Its wire format, e.g. ``"openai-chat"``.
        model: The model the request is for.
        budget: The most prompt tokens the trimmed request may take, as
            `aifkit.tokens.count_tokens` (and ``aif count``) counts them.
        reserve: Tokens kept for the reply: the trimmed request also fits within
            the model's window minus this; default: the budget alone.

    Returns:
        The trimmed body and the `TrimReport`; its ``tokens`` is the count of the
        trimmed body, exactly.

    Raises:
        UsageError: the budget or reserve is not a valid number.
        UnknownNameError: the model or format is unknown.
        InvalidInputError: the body is malformed, or has no user turn to start on.
        BudgetError: the instructions, the tools and the current user turn (with
            whatever must stay with it) alone exceed the budget; says by how much.

    Examples:
        >>> body = {"model": "gpt-4o", "messages": [
        ...     {"role": "system", "content": "Be brief."},
        ...     {"role": "user", "content": "Tell me about the weather. " * 50},
        ...     {"role": "assistant", "content": "It is sunny. " * 50},
        ...     {"role": "user", "content": "And tomorrow?"},
        ...     {"role": "assistant", "content": "Rain."},
        ...     {"role": "user", "content": "Thanks!"}]}
        >>> out, report = trim(body, format="openai-chat", model="gpt-4o", budget=60)
        >>> [m["content"] for m in out["messages"]]
        ['Be brief.', 'And tomorrow?', 'Rain.', 'Thanks!']
        >>> report.dropped, report.tokens, report.counted
        (2, 29, 4)
        >>> from aifkit.tokens import count_tokens
        >>> count_tokens(out, format="openai-chat", model="gpt-4o").total
        29
    """
    from aifkit.aif import FORMATS, decode

    check_limits(budget, reserve)
    if budget is None:  # pyright: ignore[reportUnnecessaryComparison]
        raise UsageError(
            "trim needs a budget", hint="pass budget=, e.g. budget=8000", cli_hint="pass --budget"
        )
    counter = TokensCounter(model)  # an unknown model is refused here
    FORMATS.get(format)  # so is an unknown format, before the body is read
    document, _ = decode(body, format)
    hard = budget if reserve is None else min(budget, counter.context_window - reserve)
    fixed = (
        counter.overhead(document)
        + counter.count_tools(document)
        + sum(counter.count_instruction(i) for i in document.instructions)
    )
    messages = document.messages
    if not messages:
        if fixed > hard:
            raise BudgetError(fixed, hard, _detail(document, counter, 0))
        return _written(document, format, model, [(0, fixed)], hard, 0, counter.exact)
    fits, counted = _fitting_starts(messages, counter, fixed, hard, document)
    return _written(document, format, model, fits, hard, counted, counter.exact)


def _fitting_starts(
    messages: tuple[Message, ...],
    counter: TokensCounter,
    fixed: int,
    hard: int,
    document: Document,
) -> tuple[list[tuple[int, int]], int]:
    """Where the kept run may start, newest first, each with the request's tokens from there.

    A start is a user turn that no atomic group straddles. Counting goes backwards
    and stops at the first message past which nothing fits any more.
    """
    conv = Conversation(_Unmeasured())  # groups and turns only: nothing is tokenized
    conv.sync(messages)
    group = conv.group.view.tolist()
    turn = [False] * len(messages)
    for i in conv.turns:
        turn[i] = True
    fits: list[tuple[int, int]] = []
    total = fixed
    low = len(messages)  # the first member of any group that has a member in the run
    counted = 0
    for k in range(len(messages) - 1, -1, -1):
        total += counter.measure(messages[k]).tokens
        counted += 1
        if total > hard and fits:
            break  # nothing older can fit
        low = min(low, group[k])
        if low >= k and turn[k]:
            if total > hard:  # the newest place to start already does not fit
                raise BudgetError(total, hard, _detail(document, counter, total - fixed))
            fits.append((k, total))
    if not fits:
        raise InvalidInputError(
            "/messages",
            "no user turn that the newest messages can start on (every tool call "
            "kept with its results)",
            hint="end the conversation with a user turn, or use aifkit.pack",
            cli_hint="end the conversation with a user turn, or use aif pack",
        )
    return fits, counted


def _written(
    document: Document,
    format: str,
    model: str,
    fits: list[tuple[int, int]],
    hard: int,
    counted: int,
    exact: bool,
) -> TrimResult:
    """Write the longest fitting run in ``format``, its count checked against the body written.

    A format that reads the body back otherwise (its own framing) is counted afresh;
    a start whose body does not fit gives way to the next one.
    """
    from aifkit.aif import encode
    from aifkit.budget._pack import count_written

    n = len(document.messages)
    for start, tokens in reversed(fits):  # the oldest start first: the longest run
        kept = document.model_copy(update={"messages": document.messages[start:]})
        out, _ = encode(kept, format)
        total = count_written(out, format, model, kept, tokens, exact)
        if total <= hard:
            report = TrimReport(n, n - start, start, total, hard, counted)
            return TrimResult(out, report)
    raise AifkitError(  # pragma: no cover - no format frames a shorter run as longer
        f"no trimmed request fits the limit {hard} once written as {format}",
        hint="this is a bug in aifkit's counting; please report it",
    )


def _detail(document: Document, counter: TokensCounter, current: int) -> str:
    # What the mandatory tokens are made of, named as `pack`'s BudgetError names them.
    parts = [
        ("instructions", sum(counter.count_instruction(i) for i in document.instructions)),
        ("tools", counter.count_tools(document)),
        ("framing", counter.overhead(document)),
        ("current turn", current),
    ]
    return ", ".join(f"{name} {n}" for name, n in parts if n)


class _Unmeasured:
    """A `MessageCounter` that counts nothing: `Conversation` groups with it, lazily."""

    name = "unmeasured"
    exact = False

    def measure(self, message: Message) -> Measure:
        return Measure(0, EMPTY_TERMS)

    def count_instruction(self, instruction: Instruction) -> int:
        return 0

    def count_tools(self, document: Document) -> int:
        return 0

    def overhead(self, document: Document) -> int:
        return 0

    def terms(self, text: str) -> list[int]:
        return []
