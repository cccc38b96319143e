"""`RollingMemory`: recent turns verbatim, older ones folded into a running summary.

When the memory's messages cross ``max_tokens``, the oldest turns (never a tool
call without its results, never the last ``keep_last`` messages) are folded into
the running summary until the memory is down to ``low_water`` tokens; the gap
between the two marks is the hysteresis that keeps it from summarizing on every
turn. Each fold is transactional: the new summary must keep the facts of the old
summary and of the folded messages (see `SummaryChecks`) and, with its framing,
take fewer tokens than the summary and messages it replaces, or nothing changes.
After a rejected fold, `add` backs off: it tries again only once the memory has
grown by a further ``retry_growth`` of ``max_tokens`` (or a fold succeeds), so a
memory that cannot fold does not run its summarizer on every message. The
back-off (`retry_at` and `last_rejection`) is kept in the file too, so a new
process on the same session backs off as well.
Pinned facts are never summarized. Everything lives in a SQLite file, so a new
process that opens the same file and session continues where the last one stopped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from aifkit.aif._schema import Document, Message, TextPart
from aifkit.budget.memory._checks import Strictness, SummaryChecks, check_summary
from aifkit.budget.memory._extractive import ExtractiveSummarizer
from aifkit.budget.memory._span import NAMESPACE, align_span
from aifkit.budget.memory._store import MemoryStore, Row
from aifkit.budget.memory._summarizer import Summarizer, transcript
from aifkit.errors import SummaryRejectedError, UsageError
from aifkit.tokens import Tokenizer, count_tokens, get_model, get_tokenizer

__all__ = ["Fold", "Pin", "RollingMemory"]


@dataclass(frozen=True, slots=True)
class Fold:
    """One attempt to fold old messages into the running summary.

    Attributes:
        committed: Whether the new summary replaced the folded messages.
        folded: How many messages it folded (or would have).
        tokens_before: The memory's tokens before.
        tokens_after: Its tokens after (equal to ``tokens_before`` when rejected).
        summary: The summary the summarizer wrote (``""`` when it failed).
        reason: Why it was rejected; ``None`` when committed.
    """

    committed: bool
    folded: int
    tokens_before: int
    tokens_after: int
    summary: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Pin:
    """A pinned fact: kept word for word, never summarized."""

    id: int
    text: str


class RollingMemory:
    """A conversation memory that stays within a token budget and survives restarts.

    Args:
        path: The SQLite file; default: in memory only (lost when closed).
        session: Which conversation in the file.
        summarizer: Writes the running summary; default: `ExtractiveSummarizer`.
        model: The model whose tokens are counted.
        max_tokens: Fold when the memory's messages take more tokens than this.
        low_water: Fold down to this many tokens; default: 60 % of ``max_tokens``.
        summary_tokens: The running summary's budget; default: 25 % of ``max_tokens``.
        keep_last: Messages always kept verbatim.
        checks: What each new summary must keep (a `SummaryChecks` or a strictness name).
        on_reject: ``"keep"``: a rejected fold keeps the messages verbatim and is
            returned (and kept in ``last_rejection``); ``"raise"``: it raises.
        role: The role of the pinned-facts and summary messages. ``"system"`` (default):
            they come before the recent turns, which then alternate as they did
            (APIs that need alternation lift them into the system prompt); ``"user"``
            puts two user messages in a row whenever the recent turns start with one.
        retry_growth: After a rejected fold, `add` tries the next one only once the
            memory has grown by this fraction of ``max_tokens`` past where the
            rejected one started (`retry_at`); `fold` always tries.

    Examples:
        >>> from aifkit.aif import Message, TextPart
        >>> mem = RollingMemory(max_tokens=150, keep_last=2)
        >>> mem.pin("The customer is Dana Reyes.")
        1
        >>> _ = mem.add(Message(role="user", parts=(TextPart(text="My order is ord_5521."),)))
        >>> for mood in ("mild", "warm", "cool", "grey", "windy", "sunny", "humid", "calm"):
        ...     _ = mem.add(Message(role="user", parts=(TextPart(
        ...         text=f"We chatted about the {mood} weather today; nothing else happened."),)))
        >>> mem.tokens <= 150, mem.folded > 0, "ord_5521" in mem.summary
        (True, True, True)
        >>> [m.parts[0].text for m in mem.messages()][0]
        '[Pinned facts]\\n- The customer is Dana Reyes.'
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        session: str = "default",
        summarizer: Summarizer | None = None,
        model: str = "gpt-4o",
        max_tokens: int = 4000,
        low_water: int | None = None,
        summary_tokens: int | None = None,
        keep_last: int = 2,
        checks: SummaryChecks | Strictness = "normal",
        on_reject: Literal["keep", "raise"] = "keep",
        role: Literal["user", "system"] = "system",
        retry_growth: float = 0.25,
    ) -> None:
        self.low_water = low_water if low_water is not None else max_tokens * 3 // 5
        self.summary_tokens = summary_tokens if summary_tokens is not None else max_tokens // 4
        if not 0 < self.summary_tokens < self.low_water < max_tokens or keep_last < 0:
            raise UsageError(
                f"need 0 < summary_tokens ({self.summary_tokens}) < low_water ({self.low_water})"
                f" < max_tokens ({max_tokens}) and keep_last >= 0",
                hint="e.g. max_tokens=4000, low_water=2400, summary_tokens=1000",
            )
        if retry_growth < 0:
            raise UsageError(
                f"retry_growth ({retry_growth}) must not be negative",
                hint="0 retries a rejected fold on the next add; 0.25 waits for a quarter of "
                "max_tokens more",
            )
        self.max_tokens = max_tokens
        self.retry_growth = retry_growth
        self.session = session
        self.model = get_model(model).name
        self._tokenizer: Tokenizer = get_tokenizer(get_model(model).tokenizer)
        self.summarizer: Summarizer = summarizer or ExtractiveSummarizer(self._tokenizer)
        self.keep_last = keep_last
        self.checks = checks if isinstance(checks, SummaryChecks) else SummaryChecks.preset(checks)
        self.on_reject = on_reject
        self.role: Literal["user", "system"] = role
        self.store = MemoryStore(path if path is not None else ":memory:")
        self.store.open_session(session)
        # The back-off is in the file, so a new process does not retry a rejected fold at once.
        self._retry_at, self.last_rejection = self.store.backoff(session)
        self._summary, self.folded = self.store.state(session)
        self._recent = self.store.recent(session)
        self._next = self.store.next_seq(session)
        self._pins = [Pin(i, t) for i, t in self.store.pins(session)]

    @property
    def summary(self) -> str:
        """The running summary (``""`` before the first fold)."""
        return self._summary

    @property
    def recent(self) -> tuple[Message, ...]:
        """The messages kept verbatim, oldest first."""
        return tuple(r.message for r in self._recent)

    @property
    def pinned(self) -> tuple[Pin, ...]:
        """The pinned facts, oldest first."""
        return tuple(self._pins)

    @property
    def tokens(self) -> int:
        """Tokens of `messages` on the model (message framing included)."""
        extra = [m for m in self._header() if m is not None]
        fixed = count_tokens(Document(messages=tuple(extra)), model=self.model).messages
        return sum(fixed) + sum(r.tokens for r in self._recent)

    @property
    def over(self) -> bool:
        """Whether the memory takes more than ``max_tokens`` (a fold was rejected or is due)."""
        return self.tokens > self.max_tokens

    @property
    def retry_at(self) -> int | None:
        """After a rejected fold: the tokens past which `add` tries the next one; else None."""
        return self._retry_at

    def add(self, messages: Message | Iterable[Message]) -> Fold | None:
        """Append messages; fold old ones if the memory is now over ``max_tokens``.

        Returns:
            The fold attempted, or ``None`` when none was: the memory is within
            ``max_tokens``, or it is backing off after a rejected fold and has not
            yet grown past `retry_at` (`over` and `last_rejection` still say so).

        Raises:
            SummaryRejectedError: a fold was rejected and ``on_reject="raise"``
                (the messages are added; only the fold did not happen).
        """
        batch = [messages] if isinstance(messages, Message) else list(messages)
        if not batch:
            return None
        counts = count_tokens(Document(messages=tuple(batch)), model=self.model).messages
        rows = [
            Row(self._next + i, m, n) for i, (m, n) in enumerate(zip(batch, counts, strict=True))
        ]
        self.store.add(self.session, rows)
        self._recent.extend(rows)
        self._next += len(rows)
        tokens = self.tokens
        if tokens <= self.max_tokens:
            return None
        if self._retry_at is not None and tokens <= self._retry_at:
            return None  # backing off: the last fold was rejected not long ago
        return self.fold()

    def pin(self, text: str) -> int:
        """Pin a fact, kept word for word in every `messages`; returns its id."""
        if not text.strip():
            raise UsageError("a pinned fact cannot be empty", hint="pass the fact's text")
        pin = self.store.pin(self.session, text.strip())
        self._pins.append(Pin(pin, text.strip()))
        return pin

    def unpin(self, pin: int) -> None:
        """Remove a pinned fact by id.

        Raises:
            UsageError: no pin has that id.
        """
        if not self.store.unpin(self.session, pin):
            known = ", ".join(str(p.id) for p in self._pins) or "(none)"
            raise UsageError(f"no pinned fact has id {pin}", hint=f"pinned ids: {known}")
        self._pins = [p for p in self._pins if p.id != pin]

    def messages(self) -> tuple[Message, ...]:
        """Return what to send: the pinned facts, the running summary, then the recent messages."""
        return (*(m for m in self._header() if m is not None), *self.recent)

    def document(self, base: Document | None = None) -> Document:
        """Return ``base`` (instructions, tools, settings) with `messages` as its messages."""
        return (base or Document()).model_copy(update={"messages": self.messages()})

    def history(self) -> tuple[Message, ...]:
        """Return every message ever added, folded or not, in order (the originals)."""
        return tuple(r.message for r in self.store.history(self.session))

    def fold(self) -> Fold:
        """Fold the oldest messages into the summary, down to ``low_water`` if possible.

        When a summary of that many messages loses facts or overruns its budget,
        fewer messages are tried (half as many, up to three attempts): a smaller
        fold that keeps every fact beats none.
        """
        before = self.tokens
        count = self._choose()
        if count == 0:
            return self._rejected(
                before,
                0,
                "",
                "nothing can be folded: too few messages, or the oldest tool "
                "call's results are among the messages always kept",
            )
        attempt = self._try(count)
        for _ in range(2):
            if attempt.committed or not _retryable(attempt.reason):
                break
            smaller = _aligned([r.message for r in self._recent], attempt.folded // 2)
            if smaller == 0:
                break
            attempt = self._try(smaller)
        if not attempt.committed:
            return self._rejected(before, attempt.folded, attempt.summary, attempt.reason or "")
        self.last_rejection = None  # the store cleared its copy with the fold
        self._retry_at = None
        return Fold(True, attempt.folded, before, self.tokens, attempt.summary)

    def _try(self, count: int) -> Fold:
        """Summarize the oldest ``count`` messages with the summary; commit if it passes."""
        folded = self._recent[:count]
        source = "\n".join(t for t in (self._summary, transcript([r.message for r in folded])) if t)
        try:
            new = self.summarizer.summarize(source, max_tokens=self.summary_tokens).strip()
        except Exception as exc:  # any failure keeps the messages verbatim
            return Fold(
                False, count, 0, 0, "", f"the summarizer failed: {type(exc).__name__}: {exc}"
            )
        reason = check_summary(
            source,
            new,
            checks=self.checks,
            max_tokens=self.summary_tokens,
            count=self._tokenizer.count,
        )
        if reason is None:
            reason = self._grows(new, folded)
        if reason is not None:
            return Fold(False, count, 0, 0, new, reason)
        self.store.fold(self.session, new, [r.seq for r in folded], self.summarizer.name)
        self._summary = new
        self.folded += count
        del self._recent[:count]
        return Fold(True, count, 0, 0, new)

    def _choose(self) -> int:
        """How many of the oldest recent messages to fold (0: none can be)."""
        foldable = len(self._recent) - self.keep_last
        if foldable <= 0:
            return 0
        fixed = self.tokens - sum(r.tokens for r in self._recent)
        fixed += (
            0 if self._summary else self._tokenizer.count("[Summary of 0 earlier messages]") + 4
        )
        remaining = sum(r.tokens for r in self._recent)
        want = foldable
        for i in range(foldable):
            remaining -= self._recent[i].tokens
            if fixed + self.summary_tokens + remaining <= self.low_water:
                want = i + 1
                break
        msgs = [r.message for r in self._recent]
        end = _aligned(msgs, want)
        if end == 0:
            _, end = align_span(msgs, 0, want, mode="expand")
            end = end if end <= len(msgs) - max(1, self.keep_last) else 0
        return end

    def _grows(self, summary: str, folded: list[Row]) -> str | None:
        """Why replacing the summary and ``folded`` with ``summary`` would not shrink the memory."""
        old = self._note_tokens(self._summary, self.folded)
        replaced = old + sum(r.tokens for r in folded)
        new = self._note_tokens(summary, self.folded + len(folded))
        if new < replaced:
            return None
        what = f"{len(folded)} message(s)" + (" and the old summary" if old else "")
        return (
            f"the fold would not shrink the memory: the new summary takes {new} tokens with "
            f"its framing, the {what} it replaces {replaced}"
        )

    def _note_tokens(self, summary: str, of: int) -> int:
        # Tokens of the summary message as `messages` sends it (0: no summary).
        if not summary:
            return 0
        note = self._summary_note(summary, of)
        return count_tokens(Document(messages=(note,)), model=self.model).messages[0]

    def _rejected(self, before: int, count: int, summary: str, reason: str) -> Fold:
        self.last_rejection = reason
        self._retry_at = before + math.ceil(self.retry_growth * self.max_tokens)
        self.store.set_backoff(self.session, self._retry_at, reason)
        if self.on_reject == "raise":
            raise SummaryRejectedError(reason)
        return Fold(False, count, before, before, summary, reason)

    def _header(self) -> tuple[Message | None, Message | None]:
        pins = None
        if self._pins:
            text = "[Pinned facts]\n" + "\n".join(f"- {p.text}" for p in self._pins)
            pins = self._note(text, {"pinned": len(self._pins)})
        summary = self._summary_note(self._summary, self.folded) if self._summary else None
        return pins, summary

    def _summary_note(self, summary: str, of: int) -> Message:
        text = f"[Summary of {of} earlier messages]\n{summary}"
        return self._note(text, {"summary": {"of": of, "session": self.session}})

    def _note(self, text: str, meta: dict[str, Any]) -> Message:
        return Message(role=self.role, parts=(TextPart(text=text),), extensions={NAMESPACE: meta})

    def close(self) -> None:
        """Close the SQLite file."""
        self.store.close()

    def __enter__(self) -> RollingMemory:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"RollingMemory(session={self.session!r}, recent={len(self._recent)}, "
            f"folded={self.folded}, pins={len(self._pins)}, tokens={self.tokens})"
        )


def _aligned(messages: list[Message], count: int) -> int:
    """The largest fold of at most ``count`` oldest messages that splits no tool call pair."""
    count = min(count, len(messages))
    return align_span(messages, 0, count, mode="shrink")[1] if count > 0 else 0


def _retryable(reason: str | None) -> bool:
    return bool(reason) and str(reason).startswith(("lost ", "the summary takes"))
