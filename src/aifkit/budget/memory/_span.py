"""Transactional summaries: replace a span of messages by one summary, or change nothing.

`summarize_span` asks a summarizer for a summary of ``messages[start:end]`` and
commits it only when `check_summary` passes; a summarizer that raises, returns
nothing, returns an error message, loses facts or overruns its budget leaves the
document exactly as it was. The committed summary message carries the originals
(under ``extensions["aifkit"]["summary"]``), so `restore_summaries` puts them back.

A tool call and its results are never separated: a span boundary that falls
between them is moved (inward by default) until every call in the span has its
results in the span and every result its call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from aifkit.aif._schema import Document, Message, TextPart, ToolCallPart, ToolResultPart
from aifkit.budget.memory._checks import Strictness, SummaryChecks, check_summary
from aifkit.budget.memory._summarizer import Summarizer, transcript
from aifkit.errors import SummaryRejectedError, UsageError
from aifkit.tokens import Tokenizer, get_tokenizer

__all__ = [
    "NAMESPACE",
    "SpanSummary",
    "align_span",
    "is_summary",
    "restore_summaries",
    "summarize_span",
    "summary_message",
    "summary_role",
]

NAMESPACE = "aifkit"
"""The extensions namespace a summary message keeps its originals under."""

Align = Literal["shrink", "expand"]
SummaryRole = Literal["auto", "user", "assistant", "system"]


@dataclass(frozen=True, slots=True)
class SpanSummary:
    """What `summarize_span` did.

    Attributes:
        document: The document with the summary committed, or the input unchanged.
        committed: Whether the summary replaced the span.
        start: First message of the span, after moving it off any tool call/result pair.
        end: One past its last message.
        summary: The summary text the summarizer returned (``""`` when it failed).
        reason: Why it was rejected; ``None`` when committed.
        tokens_before: Tokens of the span's text.
        tokens_after: Tokens of the summary text.
        originals: The messages of the span.
    """

    document: Document
    committed: bool
    start: int
    end: int
    summary: str
    reason: str | None
    tokens_before: int
    tokens_after: int
    originals: tuple[Message, ...]


def summarize_span(
    document: Document,
    start: int,
    end: int,
    summarizer: Summarizer,
    *,
    max_tokens: int | None = None,
    focus: str | None = None,
    checks: SummaryChecks | Strictness = "normal",
    tokenizer: Tokenizer | str = "o200k_base",
    role: SummaryRole = "auto",
    keep_originals: bool = True,
    align: Align = "shrink",
    raise_on_reject: bool = True,
) -> SpanSummary:
    """Replace ``document.messages[start:end]`` by one summary message, if it passes its checks.

    Args:
        document: The conversation.
        start: First message to summarize.
        end: One past the last message to summarize.
        summarizer: Writes the summary.
        max_tokens: The summary's budget; default: half the span's tokens.
        focus: What the summary should keep above all (passed to the summarizer).
        checks: What must survive: a `SummaryChecks` or a strictness name
            (``"strict"``, ``"normal"``, ``"lenient"``, ``"off"``).
        tokenizer: Counts the span and the summary (a `Tokenizer` or a registered name).
        role: The role of the summary message; ``"auto"`` (default) picks one that
            keeps user and assistant turns alternating (`summary_role`).
        keep_originals: Keep the originals in the summary message, for `restore_summaries`.
        align: Move a boundary inside a tool call/result pair inward (``"shrink"``)
            or outward (``"expand"``).
        raise_on_reject: Raise on rejection; otherwise return the rejection.

    Raises:
        SummaryRejectedError: the summary was rejected (the document is unchanged).
        UsageError: the span is not within the document.

    Examples:
        >>> from aifkit.aif import Document, Message, TextPart
        >>> from aifkit.testing import FakeSummarizer
        >>> def msg(role, text):
        ...     return Message(role=role, parts=(TextPart(text=text),))
        >>> doc = Document(messages=(
        ...     msg("user", "Ship order ord_981 to 12 Rue Cler, Paris, by Friday please."),
        ...     msg("assistant", "Sure, I will arrange shipping for that order by then."),
        ...     msg("user", "Thanks. What is next?")))
        >>> done = summarize_span(doc, 0, 2, FakeSummarizer(["Ship ord_981 to 12 Rue Cler, Paris, by Friday."]))
        >>> done.committed, len(done.document.messages)
        (True, 2)
        >>> restore_summaries(done.document) == doc
        True
        >>> summarize_span(doc, 0, 2, FakeSummarizer(["An order will ship."]))
        Traceback (most recent call last):
        ...
        aifkit.errors.SummaryRejectedError: summary rejected: lost 5 facts the original had: \
Friday (entity), Paris (entity), Rue Cler (entity), ord_981 (id), 12 (number); the original messages are kept; retry, \
or use another summarizer
    """
    messages = document.messages
    if not 0 <= start <= end <= len(messages):
        raise UsageError(
            f"span [{start}, {end}) is not within the {len(messages)} messages",
            hint="pass 0 <= start <= end <= the number of messages",
        )
    chk = checks if isinstance(checks, SummaryChecks) else SummaryChecks.preset(checks)
    tok = get_tokenizer(tokenizer) if isinstance(tokenizer, str) else tokenizer
    start, end = align_span(messages, start, end, mode=align)
    span = messages[start:end]
    original = transcript(span)
    before = tok.count(original)
    budget = max_tokens if max_tokens is not None else max(1, before // 2)

    def reject(reason: str, summary: str = "") -> SpanSummary:
        if raise_on_reject:
            raise SummaryRejectedError(reason)
        after = tok.count(summary)
        return SpanSummary(document, False, start, end, summary, reason, before, after, span)

    if not span:
        return reject("nothing to summarize: the span is empty once tool calls stay paired")
    try:
        summary = summarizer.summarize(span, max_tokens=budget, focus=focus).strip()
    except Exception as exc:  # any failure, ours or a plugin's, leaves the history unchanged
        return reject(f"the summarizer failed: {type(exc).__name__}: {exc}")
    reason = check_summary(original, summary, checks=chk, max_tokens=budget, count=tok.count)
    after = tok.count(summary)
    if reason is None and after >= before:
        reason = f"the summary ({after} tokens) is not shorter than the original ({before})"
    if reason is not None:
        return reject(reason, summary)
    if role == "auto":
        role = summary_role(messages[start - 1] if start else None, messages[end : end + 1])
    note = summary_message(summary, span, role=role, keep_originals=keep_originals)
    new = document.model_copy(update={"messages": (*messages[:start], note, *messages[end:])})
    return SpanSummary(new, True, start, end, summary, None, before, after, span)


def summary_message(
    summary: str,
    originals: Sequence[Message],
    *,
    role: Literal["user", "assistant", "system"] = "user",
    keep_originals: bool = True,
) -> Message:
    """Return the message that stands for ``originals``: a header line and the summary.

    Examples:
        >>> print(summary_message("Dana owes 40 EUR.", [], keep_originals=False).parts[0].text)
        [Summary of 0 earlier messages]
        Dana owes 40 EUR.
    """
    meta: dict[str, Any] = {"of": len(originals)}
    if keep_originals:
        meta["originals"] = [m.model_dump(mode="json", by_alias=True) for m in originals]
    text = f"[Summary of {len(originals)} earlier messages]\n{summary}"
    return Message(
        role=role, parts=(TextPart(text=text),), extensions={NAMESPACE: {"summary": meta}}
    )


def summary_role(
    before: Message | None, after: Message | Sequence[Message] | None
) -> Literal["user", "assistant", "system"]:
    """The role for a summary between ``before`` and ``after`` that keeps turns alternating.

    Tool results count as the user's side (Anthropic, Bedrock and Gemini send them
    in user turns). A summary is a ``user`` message when no neighbour is on the
    user's side, an ``assistant`` recap after a user-side message when the next one
    is not the assistant's, and otherwise a ``system`` note: no user or assistant
    role fits there (or an assistant message would open the conversation), and a
    system note is kept in place by OpenAI-style APIs and lifted into the system
    prompt by those that need alternation, instead of two user messages in a row.

    Examples:
        >>> from aifkit.aif import Message, TextPart
        >>> def msg(role):
        ...     return Message(role=role, parts=(TextPart(text="x"),))
        >>> summary_role(msg("assistant"), msg("assistant")), summary_role(None, None)
        ('user', 'user')
        >>> summary_role(msg("user"), msg("assistant")), summary_role(msg("tool"), None)
        ('system', 'assistant')
        >>> summary_role(None, msg("user")), summary_role(msg("assistant"), msg("user"))
        ('system', 'system')
    """
    if after is not None and not isinstance(after, Message):
        after = after[0] if after else None
    first, then = _side(before), _side(after)
    if "user" not in (first, then):
        return "user"
    if first == "user" and then != "assistant":
        return "assistant"
    return "system"


def _side(message: Message | None) -> str | None:
    if message is None:
        return None
    if message.role in ("user", "tool"):
        return "user"
    return "assistant" if message.role == "assistant" else None


def is_summary(message: Message) -> bool:
    """Whether ``message`` is a summary written by `summarize_span` or `RollingMemory`."""
    return "summary" in message.extensions.get(NAMESPACE, {})


def restore_summaries(document: Document) -> Document:
    """Return ``document`` with every summary message that kept its originals replaced by them.

    Summaries of summaries are undone all the way down.
    """
    out: list[Message] = []
    pending = list(reversed(document.messages))
    while pending:
        message = pending.pop()
        meta = cast("dict[str, Any]", message.extensions.get(NAMESPACE, {}).get("summary") or {})
        raw = meta.get("originals")
        if isinstance(raw, list):
            restored = [Message.model_validate(m) for m in cast("list[Any]", raw)]
            pending.extend(reversed(restored))
        else:
            out.append(message)
    return document.model_copy(update={"messages": tuple(out)})


def align_span(
    messages: Sequence[Message], start: int, end: int, *, mode: Align = "shrink"
) -> tuple[int, int]:
    """Move ``[start, end)`` until no tool call is separated from its results.

    Examples:
        >>> from aifkit.aif import Message, TextPart, ToolCallPart, ToolResultPart
        >>> msgs = [
        ...     Message(role="user", parts=(TextPart(text="go"),)),
        ...     Message(role="assistant", parts=(ToolCallPart(id="c1", name="ls"),)),
        ...     Message(role="tool", parts=(ToolResultPart(call_id="c1"),)),
        ...     Message(role="user", parts=(TextPart(text="next"),)),
        ... ]
        >>> align_span(msgs, 0, 2), align_span(msgs, 0, 2, mode="expand")
        ((0, 1), (0, 3))
        >>> align_span(msgs, 2, 4), align_span(msgs, 2, 4, mode="expand")
        ((3, 4), (1, 4))
    """
    members = _groups(messages)
    while start < end:
        moved = _step(members, start, end, mode)
        if moved is None:
            return start, end
        start, end = moved
    return (start, start) if mode == "shrink" else (start, end)


def _step(
    members: Callable[[int], tuple[int, int]], start: int, end: int, mode: Align
) -> tuple[int, int] | None:
    """One move of a boundary, or ``None`` when every pair is inside or outside the span."""
    for i in range(start, end):
        lo, hi = members(i)
        if lo >= start and hi < end:
            continue
        if mode == "expand":
            return min(start, lo), max(end, hi + 1)
        if lo < start:  # its call (or a sibling result) is before the span
            return i + 1, end
        return start, i  # its results reach past the span
    return None


def _groups(messages: Sequence[Message]) -> Callable[[int], tuple[int, int]]:
    """Return message index -> (first, last) index of the call/result group it belongs to."""
    parent = list(range(len(messages)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    caller: dict[str, int] = {}
    for i, message in enumerate(messages):
        for part in message.parts:
            if isinstance(part, ToolCallPart):
                caller.setdefault(part.id, i)
            elif isinstance(part, ToolResultPart) and part.call_id in caller:
                a, b = find(caller[part.call_id]), find(i)
                parent[max(a, b)] = min(a, b)
    bounds: dict[int, tuple[int, int]] = {}
    for i in range(len(messages)):
        root = find(i)
        lo, hi = bounds.get(root, (i, i))
        bounds[root] = (min(lo, i), max(hi, i))
    return lambda i: bounds[find(i)]
