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

Several processes (or objects) may add to the same file and session at once: the
file numbers each message as it stores it, every read of the memory (`messages`,
`recent`, `tokens`, ...) first picks up what other writers stored, and a fold
commits only if no other fold landed while its summary was being written; if one
did, it looks again and, when still over the mark, folds what is left. No turn is
lost, refused or folded twice.
"""

from __future__ import annotations

import asyncio
import functools
import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar

from aifkit.aif._schema import Document, Message, TextPart
from aifkit.budget.memory._checks import Strictness, SummaryChecks, check_summary
from aifkit.budget.memory._extractive import ExtractiveSummarizer
from aifkit.budget.memory._span import NAMESPACE, align_span
from aifkit.budget.memory._store import MemoryStore, Row, SessionView
from aifkit.budget.memory._summarizer import Summarizer, transcript
from aifkit.errors import SummaryRejectedError, UsageError
from aifkit.tokens import Tokenizer, count_tokens, get_model, get_tokenizer

P = ParamSpec("P")
R = TypeVar("R")

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


def _locked(method: Callable[Concatenate[RollingMemory, P], R]) -> Callable[Concatenate[RollingMemory, P], R]:  # fmt: skip
    """Run ``method`` holding the memory's lock: its state and SQLite connection are shared
    with `aadd`'s worker thread."""

    @functools.wraps(method)
    def locked(self: RollingMemory, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._lock:  # pyright: ignore[reportPrivateUsage]
            return method(self, *args, **kwargs)

    return locked


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
                cli_hint="pass a larger --max-tokens, e.g. 4000",
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
        # Everything below is a copy of the file, read again when it changed (`refresh`).
        # The back-off is in the file too, so a new process does not retry a rejected fold.
        self._retry_at: int | None = None
        self._last_rejection: str | None = None
        self._summary = ""
        self._folded = 0
        self._recent: list[Row] = []
        self._pins: list[Pin] = []
        self._last_seq = -1  # the highest sequence number read
        self._version: int | None = None  # the file's data_version at the last read
        self._loaded = False
        self._stale = True  # this object wrote since its last read
        self._closed = False
        self._lock = threading.RLock()  # calls on one memory, from any thread, one at a time
        self.refresh()

    @_locked
    def refresh(self) -> None:
        """Read what changed in the file since the last read (other writers' turns and folds).

        Every public read calls it, so this is needed only to pick up changes
        explicitly. Cheap when nothing changed: one query; after new turns, it
        reads only those; after a fold, every unfolded message.
        """
        if self._closed:
            return  # closed: the state last read stays readable
        version = self.store.data_version()
        if not self._stale and version == self._version:
            return
        view = self.store.view(
            self.session, folded=self._folded if self._loaded else None, after=self._last_seq
        )
        self._apply(view)
        self._version = version
        self._loaded, self._stale = True, False

    def _apply(self, view: SessionView) -> None:
        self._summary, self._folded = view.summary, view.folded
        self._retry_at, self._last_rejection = view.retry_at, view.last_rejection
        self._pins = [Pin(i, t) for i, t in view.pins]
        if view.full:
            self._recent = list(view.rows)
        else:
            self._recent.extend(view.rows)
        self._last_seq = view.last_seq

    def _reload(self) -> None:
        self._stale = True
        self.refresh()

    @property
    def folded(self) -> int:
        """How many messages the running summary covers."""
        self.refresh()
        return self._folded

    @property
    def last_rejection(self) -> str | None:
        """Why the last fold was rejected, while the memory backs off; else None."""
        self.refresh()
        return self._last_rejection

    @property
    def summary(self) -> str:
        """The running summary (``""`` before the first fold)."""
        self.refresh()
        return self._summary

    @property
    def recent(self) -> tuple[Message, ...]:
        """The messages kept verbatim, oldest first."""
        self.refresh()
        return tuple(r.message for r in self._recent)

    @property
    def pinned(self) -> tuple[Pin, ...]:
        """The pinned facts, oldest first."""
        self.refresh()
        return tuple(self._pins)

    @property
    def tokens(self) -> int:
        """Tokens of `messages` on the model (message framing included)."""
        self.refresh()
        return self._tokens()

    def _tokens(self) -> int:
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
        self.refresh()
        return self._retry_at

    @_locked
    def add(self, messages: Message | Iterable[Message]) -> Fold | None:
        """Append messages; fold old ones if the memory is now over ``max_tokens``.

        The file numbers the messages as it stores them, after every message any
        writer stored before, so concurrent writers never collide.

        Returns:
            The fold attempted, or ``None`` when none was: the memory is within
            ``max_tokens`` (perhaps thanks to another writer's fold), or it is
            backing off after a rejected fold and has not yet grown past
            `retry_at` (`over` and `last_rejection` still say so).

        Raises:
            SummaryRejectedError: a fold was rejected and ``on_reject="raise"``
                (the messages are added; only the fold did not happen).
        """
        batch = [messages] if isinstance(messages, Message) else list(messages)
        if not batch:
            return None
        counts = count_tokens(Document(messages=tuple(batch)), model=self.model).messages
        self.store.add(self.session, list(zip(batch, counts, strict=True)))
        self._reload()  # our turns, and whatever other writers stored meanwhile
        for _ in range(_ROUNDS):
            tokens = self._tokens()
            if tokens <= self.max_tokens:
                return None
            if self._retry_at is not None and tokens <= self._retry_at:
                return None  # backing off: the last fold was rejected not long ago
            fold = self._fold_once()
            if fold is not None:
                return fold
            self._reload()  # another writer folded first: look again
        return self._outpaced()

    @_locked
    def pin(self, text: str) -> int:
        """Pin a fact, kept word for word in every `messages`; returns its id."""
        if not text.strip():
            raise UsageError("a pinned fact cannot be empty", hint="pass the fact's text")
        pin = self.store.pin(self.session, text.strip())
        self._reload()
        return pin

    @_locked
    def unpin(self, pin: int) -> None:
        """Remove a pinned fact by id.

        Raises:
            UsageError: no pin has that id.
        """
        removed = self.store.unpin(self.session, pin)
        self._reload()
        if not removed:
            known = ", ".join(str(p.id) for p in self._pins) or "(none)"
            raise UsageError(f"no pinned fact has id {pin}", hint=f"pinned ids: {known}")

    def messages(self) -> tuple[Message, ...]:
        """Return what to send: the pinned facts, the running summary, then the recent messages."""
        self.refresh()
        return (*(m for m in self._header() if m is not None), *(r.message for r in self._recent))

    def document(self, base: Document | None = None) -> Document:
        """Return ``base`` (instructions, tools, settings) with `messages` as its messages."""
        return (base or Document()).model_copy(update={"messages": self.messages()})

    def history(self) -> tuple[Message, ...]:
        """Return every message ever added, folded or not, in order (the originals)."""
        return tuple(r.message for r in self.store.history(self.session))

    @_locked
    def fold(self) -> Fold:
        """Fold the oldest messages into the summary, down to ``low_water`` if possible.

        When a summary of that many messages loses facts or overruns its budget,
        fewer messages are tried (half as many, up to three attempts): a smaller
        fold that keeps every fact beats none. When another writer folds first,
        it looks again and folds what is left.
        """
        self.refresh()
        for _ in range(_ROUNDS):
            fold = self._fold_once()
            if fold is not None:
                return fold
            self._reload()  # another writer folded first: look again
        return self._outpaced()

    def _fold_once(self) -> Fold | None:
        """One fold of the memory as last read; ``None``: another writer folded first."""
        before = self._tokens()
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
            if attempt is None or attempt.committed or not _retryable(attempt.reason):
                break
            smaller = _aligned([r.message for r in self._recent], attempt.folded // 2)
            if smaller == 0:
                break
            attempt = self._try(smaller)
        if attempt is None:
            return None
        if not attempt.committed:
            return self._rejected(before, attempt.folded, attempt.summary, attempt.reason or "")
        return Fold(True, attempt.folded, before, self._tokens(), attempt.summary)

    def _outpaced(self) -> Fold:
        # Other writers folded first in every round; rare, and harmless: nothing was
        # lost, and the next add looks again. No back-off: nothing was rejected.
        before = self._tokens()
        return Fold(
            False,
            0,
            before,
            before,
            "",
            f"other writers folded first {_ROUNDS} times in a row; the next add tries again",
        )

    def _try(self, count: int) -> Fold | None:
        """Summarize the oldest ``count`` messages with the summary; commit if it passes.

        ``None``: another writer folded since the memory was read; nothing was written.
        """
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
        seqs = [r.seq for r in folded]
        if (
            self.store.fold(self.session, new, seqs, self.summarizer.name, folded=self._folded)
            is None
        ):
            return None
        self._reload()  # the fold, the cleared back-off, and other writers' turns
        return Fold(True, count, 0, 0, new)

    def _choose(self) -> int:
        """How many of the oldest recent messages to fold (0: none can be)."""
        foldable = len(self._recent) - self.keep_last
        if foldable <= 0:
            return 0
        fixed = self._tokens() - sum(r.tokens for r in self._recent)
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
        old = self._note_tokens(self._summary, self._folded)
        replaced = old + sum(r.tokens for r in folded)
        new = self._note_tokens(summary, self._folded + len(folded))
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
        self._last_rejection = reason
        self._retry_at = before + math.ceil(self.retry_growth * self.max_tokens)
        # Only if no other writer's fold landed meanwhile: a committed fold ends the back-off.
        self.store.set_backoff(self.session, self._retry_at, reason, folded=self._folded)
        self._stale = True
        if self.on_reject == "raise":
            raise SummaryRejectedError(reason)
        return Fold(False, count, before, before, summary, reason)

    def _header(self) -> tuple[Message | None, Message | None]:
        pins = None
        if self._pins:
            text = "[Pinned facts]\n" + "\n".join(f"- {p.text}" for p in self._pins)
            pins = self._note(text, {"pinned": len(self._pins)})
        summary = self._summary_note(self._summary, self._folded) if self._summary else None
        return pins, summary

    def _summary_note(self, summary: str, of: int) -> Message:
        text = f"[Summary of {of} earlier messages]\n{summary}"
        return self._note(text, {"summary": {"of": of, "session": self.session}})

    def _note(self, text: str, meta: dict[str, Any]) -> Message:
        return Message(role=self.role, parts=(TextPart(text=text),), extensions={NAMESPACE: meta})

    async def aadd(self, messages: Message | Iterable[Message]) -> Fold | None:
        """`add` without blocking the event loop: a fold calls the summarizer (a model,
        for `OpenAISummarizer`) and writes SQLite, so it runs in a worker thread.

        Calls on one memory are serialized, from tasks and threads alike.

        Examples:
            >>> import asyncio
            >>> from aifkit.aif import Message, TextPart
            >>> mem = RollingMemory(max_tokens=150, keep_last=2)
            >>> _ = mem.pin("The customer is Dana Reyes.")
            >>> async def chat() -> None:
            ...     await mem.aadd(Message(role="user", parts=(TextPart(text="My order is ord_5521."),)))
            ...     for mood in ("mild", "warm", "cool", "grey", "windy", "sunny", "humid", "calm"):
            ...         await mem.aadd(Message(role="user", parts=(TextPart(
            ...             text=f"We chatted about the {mood} weather today; nothing else happened."),)))
            >>> asyncio.run(chat())
            >>> mem.tokens <= 150, mem.folded > 0, "ord_5521" in mem.summary
            (True, True, True)
        """
        return await asyncio.to_thread(self.add, messages)

    async def afold(self) -> Fold:
        """`fold` without blocking the event loop (in a worker thread, like `aadd`)."""
        return await asyncio.to_thread(self.fold)

    @_locked
    def close(self) -> None:
        """Close the SQLite file; the state last read stays readable."""
        if not self._closed:
            self._closed = True
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
            f"folded={self._folded}, pins={len(self._pins)}, tokens={self._tokens()})"
        )


_ROUNDS = 3
"""Folds tried in a row when other writers keep folding first."""


def _aligned(messages: list[Message], count: int) -> int:
    """The largest fold of at most ``count`` oldest messages that splits no tool call pair."""
    count = min(count, len(messages))
    return align_span(messages, 0, count, mode="shrink")[1] if count > 0 else 0


def _retryable(reason: str | None) -> bool:
    return bool(reason) and str(reason).startswith(("lost ", "the summary takes"))
