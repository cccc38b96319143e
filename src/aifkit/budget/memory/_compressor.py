"""`SummaryCompressor`: the ``summary`` compressor, folding old messages into one summary.

Everything before the protected tail (the last ``protect_last`` messages and the
current user turn with what follows it) becomes one summary message whose budget
is what the target leaves once the rest is counted. The summary goes through the
transactional checks of `summarize_span`: when it is rejected, nothing changes and
`aifkit.errors.SummaryRejectedError` says why (or, with ``on_reject="keep"``, the
document comes back unchanged with a ratio of 1.0).
"""

from __future__ import annotations

from typing import Literal

from aifkit.aif._schema import Document, Message, TextPart, ToolResultPart
from aifkit.budget.compressors._base import CompressionAction, CompressionResult, CompressionTarget
from aifkit.budget.memory._checks import Strictness, SummaryChecks
from aifkit.budget.memory._extractive import ExtractiveSummarizer
from aifkit.budget.memory._span import align_span, summarize_span, summary_message
from aifkit.budget.memory._summarizer import Summarizer
from aifkit.errors import SummaryRejectedError
from aifkit.tokens import count_tokens, get_model, get_tokenizer

__all__ = ["SummaryCompressor"]

_MIN_SUMMARY = 16
"""Below this many tokens no summary is attempted: it could hold nothing useful."""


class SummaryCompressor:
    """A `Compressor` that replaces the older messages by one checked summary.

    Args:
        summarizer: Writes the summary; default: an `ExtractiveSummarizer` counting
            on the target's model.
        checks: What the summary must keep (a `SummaryChecks` or a strictness name).
        on_reject: ``"raise"`` a `SummaryRejectedError`, or ``"keep"`` the document.

    Examples:
        >>> from aifkit.aif import Document, Message, TextPart
        >>> from aifkit.budget.compressors import CompressionTarget
        >>> chat = [Message(role="user" if i % 2 == 0 else "assistant",
        ...                 parts=(TextPart(text=f"Step {i}: we checked the pipeline again and "
        ...                 "nothing notable happened in this step at all."),)) for i in range(12)]
        >>> doc = Document(messages=(*chat, Message(role="user", parts=(TextPart(text="Status?"),))))
        >>> out = SummaryCompressor(checks="lenient").compress(doc, CompressionTarget("gpt-4o", ratio=0.5))
        >>> out.ratio <= 0.5, len(out.document.messages), out.restore() == doc
        (True, 2, True)
    """

    name = "summary"

    def __init__(
        self,
        summarizer: Summarizer | None = None,
        *,
        checks: SummaryChecks | Strictness = "normal",
        on_reject: Literal["raise", "keep"] = "raise",
    ) -> None:
        self.summarizer = summarizer
        self.checks: SummaryChecks | Strictness = checks
        self.on_reject = on_reject

    def compress(self, document: Document, target: CompressionTarget) -> CompressionResult:
        """Summarize the messages before the protected tail, within what ``target`` leaves."""
        model, given = target.model, target.tokenizer
        counted = count_tokens(document, model=model, tokenizer=given)
        before = counted.total
        goal = target.goal(before)
        messages = document.messages
        keep = _protected_start(messages, target.protect_last)
        start, end = align_span(messages, 0, keep, mode="shrink")
        if before <= goal or end - start < 1:
            return CompressionResult(document, before, before, ())
        tokenizer = given or get_tokenizer(get_model(model).tokenizer)
        placeholder = summary_message("", messages[start:end], keep_originals=False)
        rest = document.model_copy(update={"messages": (placeholder, *messages[end:])})
        budget = goal - count_tokens(rest, model=model, tokenizer=given).total - 1
        if budget < _MIN_SUMMARY:
            reason = (
                f"the goal of {goal} tokens leaves {max(budget, 0)} for a summary of "
                f"{end - start} messages; what is never summarized takes the rest"
            )
            if self.on_reject == "raise":
                raise SummaryRejectedError(reason)
            return CompressionResult(document, before, before, ())
        summarizer = self.summarizer or ExtractiveSummarizer(tokenizer)
        done = summarize_span(
            document,
            start,
            end,
            summarizer,
            max_tokens=budget,
            focus=target.query or _current_text(messages),
            checks=self.checks,
            tokenizer=tokenizer,
            keep_originals=False,
            raise_on_reject=self.on_reject == "raise",
        )
        if not done.committed:
            return CompressionResult(document, before, before, ())
        after_doc = done.document
        counted_after = count_tokens(after_doc, model=model, tokenizer=given)
        action = CompressionAction(
            pointer="/messages",
            method=self.name,
            tokens_before=sum(counted.messages),
            tokens_after=sum(counted_after.messages),
            detail=f"summarized messages {start}-{end - 1} ({end - start}) into one, "
            f"{done.tokens_before} -> {done.tokens_after} text tokens",
            original=[m.model_dump(mode="json", by_alias=True) for m in messages],
        )
        return CompressionResult(after_doc, before, counted_after.total, (action,))


def _protected_start(messages: tuple[Message, ...], protect_last: int) -> int:
    """Index of the first message never summarized: the protected tail and the current turn."""
    start = max(0, len(messages) - max(1, protect_last))
    for i in range(len(messages) - 1, -1, -1):
        m = messages[i]
        if m.role == "user" and not all(isinstance(p, ToolResultPart) for p in m.parts):
            return min(start, i)
    return start


def _current_text(messages: tuple[Message, ...]) -> str | None:
    for m in reversed(messages):
        if m.role == "user":
            text = " ".join(p.text for p in m.parts if isinstance(p, TextPart))
            if text:
                return text
    return None
