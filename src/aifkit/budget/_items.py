"""Items, categories and atomic groups: how a conversation is cut into what can be dropped.

Every piece of a request is an item: each instruction block (``system``), the tool
definitions (``tools``) and each message. A message's category comes from what it
holds (``documents``, ``tool_results`` or ``history``), from the caller's hints
(``pinned``, or any other), or from its place (``current``: the last user turn and
the exchange the model must answer).

Items that make sense only together form an atomic group, kept or dropped whole:
an assistant message with tool calls and every message holding one of their
results, wherever they are; a user turn and the attachment-only user messages
next to it. A group counts toward the strongest category among its members
(`CATEGORIES` is ordered strongest first), so a tool call with its results counts
as ``tool_results``.

`Conversation` keeps all of this for a growing conversation: syncing it with a
longer message list measures only the messages it has not seen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, NamedTuple

import numpy as np

from aifkit.aif._schema import (
    AudioPart,
    DocumentPart,
    ImagePart,
    Message,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from aifkit.budget._arrays import Grow
from aifkit.budget._measure import EMPTY_TERMS

if TYPE_CHECKING:
    import numpy.typing as npt

    from aifkit.budget._measure import Batch, MessageCounter

__all__ = ["CATEGORIES", "CODES", "Category", "Conversation", "ItemKind", "Shape", "shape"]

Category = Literal["current", "system", "tools", "pinned", "documents", "tool_results", "history"]

CATEGORIES: tuple[Category, ...] = (
    "current",
    "system",
    "tools",
    "pinned",
    "documents",
    "tool_results",
    "history",
)
"""Every category, strongest first."""

CODES: dict[Category, int] = {c: i for i, c in enumerate(CATEGORIES)}
"""Category -> its rank in `CATEGORIES` (what arrays hold)."""

ItemKind = Literal["instruction", "tools", "message"]


class Shape(NamedTuple):
    """What grouping needs to know about a message.

    Attributes:
        role: The message's role.
        category: Its category by content: ``documents``, ``tool_results`` or ``history``.
        turn: A user turn: a user message holding more than tool results.
        attachments: Holds only attachments (images, documents, audio).
        calls: The ids of the tool calls it makes.
        results: The call ids of the tool results it holds.
    """

    role: Role
    category: Category
    turn: bool
    attachments: bool
    calls: tuple[str, ...]
    results: tuple[str, ...]


def shape(message: Message) -> Shape:
    """Return the `Shape` of ``message``.

    Examples:
        >>> from aifkit.aif import Message, TextPart, ToolResultPart
        >>> shape(Message(role="tool", parts=(ToolResultPart(call_id="c1"),)))
        Shape(role='tool', category='tool_results', turn=False, attachments=False, calls=(), results=('c1',))
    """
    parts = message.parts
    role = message.role
    if len(parts) == 1:  # most messages: one text part, one tool result or one call
        part = parts[0]
        if type(part) is TextPart:
            if role in _INSTRUCTION and not _is_note(message):
                return _INSTRUCTION_SHAPES[role]
            return _TEXT_SHAPES[role]
        if type(part) is ToolResultPart:
            category: Category = "system" if role in _INSTRUCTION else "tool_results"
            return Shape(role, category, False, False, (), (part.call_id,))
        if type(part) is ToolCallPart:
            category = "system" if role in _INSTRUCTION else "history"
            return Shape(role, category, role == "user", False, (part.id,), ())
    calls: list[str] = []
    results: list[str] = []
    documents = attachments = 0
    for part in parts:
        if isinstance(part, ToolResultPart):
            results.append(part.call_id)
        elif isinstance(part, ToolCallPart):
            calls.append(part.id)
        elif isinstance(part, DocumentPart):
            documents += 1
            attachments += 1
        elif isinstance(part, ImagePart | AudioPart):
            attachments += 1
    category = "tool_results" if results else "documents" if documents else "history"
    if role in _INSTRUCTION and not _is_note(message):
        category = "system"  # a system prompt mid-conversation is still never dropped
    turn = message.role == "user" and len(results) < len(parts)
    only_attachments = bool(attachments) and attachments == len(parts)
    return Shape(message.role, category, turn, only_attachments, tuple(calls), tuple(results))


_INSTRUCTION = frozenset({"system", "developer"})

_INSTRUCTION_SHAPES: dict[Role, Shape] = {
    role: Shape(role, "system", False, False, (), ()) for role in ("system", "developer")
}


def _is_note(message: Message) -> bool:
    # A summary note (`summary_message`) may take the system role to keep turns
    # alternating; it stands for history and is weighed as history, not made mandatory.
    ours = message.extensions.get("aifkit") if message.extensions else None
    return ours is not None and "summary" in ours


_TEXT_SHAPES: dict[Role, Shape] = {
    role: Shape(role, "history", role == "user", False, (), ())
    for role in ("system", "developer", "user", "assistant", "tool")
}


class Conversation:
    """The measured messages of one conversation, kept in step as it grows.

    `sync` compares a message list with the last one by identity (then equality):
    an unchanged prefix is reused as it is, so appending a message costs one
    measurement; messages seen before at other positions are reused too.

    Args:
        counter: Measures messages.

    Attributes:
        messages: The messages of the last sync.
        tokens: Tokens of each message.
        category: Content category code (`CODES`) of each message.
        group: Each message's atomic group, named by its first message's index.
        terms: Token ids of every message's text, one after another.
        term_starts: Where each message's terms start in ``terms`` (one more entry
            than messages).
        turns: Indexes of the user turns.
        stable: How many leading messages are unchanged since the sync before.
        measured: Messages measured so far (the work done).
        reused: Messages whose measurement was reused.
    """

    def __init__(self, counter: MessageCounter) -> None:
        self.counter = counter
        self.messages: tuple[Message, ...] = ()
        self.tokens: Grow[np.int64] = Grow(np.int64)
        self.category: Grow[np.int8] = Grow(np.int8)
        self.group: Grow[np.int64] = Grow(np.int64)
        self.terms: Grow[np.uint32] = Grow(np.uint32)
        self.term_starts: Grow[np.int64] = Grow(np.int64)
        self.term_starts.extend([0])
        self.turns: list[int] = []
        self.stable = 0
        self.measured = 0
        self.reused = 0
        self._shapes: list[Shape] = []
        self._groups: list[int] = []
        self._members: dict[int, list[int]] = {}
        self._calls: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.messages)

    def sync(self, messages: tuple[Message, ...]) -> None:
        """Bring the conversation in step with ``messages``, measuring only what is new."""
        old = self.messages
        if messages[: len(old)] == old:  # the usual case, compared in C (identity first)
            prefix = len(old)
        else:
            prefix = 0
            for new_msg, old_msg in zip(messages, old, strict=False):
                if new_msg is not old_msg and new_msg != old_msg:
                    break
                prefix += 1
        self.stable = prefix
        if prefix == len(old):
            self._append(messages, prefix, None)
        else:
            self._rebuild(messages, old)
        self.messages = messages

    def _rebuild(self, messages: tuple[Message, ...], old: tuple[Message, ...]) -> None:
        # Something before the end changed: regroup from scratch, reusing the
        # measurement of every message seen before (by identity).
        where = {id(m): i for i, m in enumerate(old)}
        tokens = self.tokens.view.copy()
        terms = self.terms.view.copy()
        starts = self.term_starts.view.copy()
        shapes = self._shapes
        reuse: dict[int, tuple[int, npt.NDArray[np.uint32], Shape]] = {}
        for i, m in enumerate(messages):
            j = where.get(id(m))
            if j is not None and old[j] is m:
                reuse[i] = (int(tokens[j]), terms[starts[j] : starts[j + 1]], shapes[j])
        for grow in (self.tokens, self.category, self.group, self.terms):
            grow.truncate(0)
        self.term_starts.truncate(1)
        self.turns = []
        self._shapes, self._groups, self._members, self._calls = [], [], {}, {}
        self._append(messages, 0, reuse)

    def _append(
        self,
        messages: tuple[Message, ...],
        start: int,
        reuse: dict[int, tuple[int, npt.NDArray[np.uint32], Shape]] | None,
    ) -> None:
        new = messages[start:]
        tokens, lengths, terms, new_shapes = self._measure(new, start, reuse)
        shapes, groups, turns = self._shapes, self._groups, self.turns
        first_new = len(groups)
        shapes.extend(new_shapes)
        groups.extend(range(start, len(messages)))
        prev = shapes[start - 1] if start else None
        for i, s in enumerate(new_shapes, start):  # the hot loop of a cold pack: keep it lean
            if s.turn:
                turns.append(i)
            if (
                (s.attachments or (prev is not None and prev.attachments))
                and prev is not None
                and s.role == prev.role == "user"
            ):
                self._union(groups[i - 1], i, first_new)
            if s.results or s.calls:
                self._link(i, s, first_new)
            prev = s
        codes = CODES
        self.tokens.extend(tokens)
        self.category.extend([codes[s.category] for s in new_shapes])
        self.group.extend(groups[first_new:])
        self.terms.extend(terms)
        ends = np.cumsum(np.array(lengths, dtype=np.int64)) + self.term_starts.view[-1]
        self.term_starts.extend(ends)

    def _measure(
        self,
        new: tuple[Message, ...],
        start: int,
        reuse: dict[int, tuple[int, npt.NDArray[np.uint32], Shape]] | None,
    ) -> tuple[list[int], list[int], npt.NDArray[np.uint32], list[Shape]]:
        # Tokens, term counts, terms and shapes of new messages, reusing what is known.
        many = getattr(self.counter, "measure_many", None)
        if reuse is None and many is not None and len(new) > 1:
            batch: Batch = many(new)  # counted and tokenized in one go
            text = _TEXT_SHAPES
            shapes = [
                text[m.role] if len(m.parts) == 1 and type(m.parts[0]) is TextPart else shape(m)
                for m in new
            ]
            self.measured += len(new)
            return batch.tokens, batch.lengths, batch.terms, shapes
        tokens: list[int] = []
        lengths: list[int] = []
        terms: list[npt.NDArray[np.uint32]] = []
        shapes: list[Shape] = []
        for i, message in enumerate(new, start):
            known = reuse.get(i) if reuse is not None else None
            if known is None:
                count, ids = self.counter.measure(message)
                s = shape(message)
                self.measured += 1
            else:
                count, ids, s = known
                self.reused += 1
            tokens.append(count)
            lengths.append(len(ids))
            terms.append(ids)
            shapes.append(s)
        return tokens, lengths, np.concatenate(terms) if terms else EMPTY_TERMS, shapes

    def _link(self, i: int, s: Shape, first_new: int) -> None:
        groups = self._groups
        for call_id in s.results:  # a result answers the latest call with its id
            j = self._calls.get(call_id)
            if j is not None:
                self._union(groups[j], groups[i], first_new)
        for call_id in s.calls:
            self._calls[call_id] = i

    def _union(self, a: int, b: int, first_new: int) -> None:
        if a == b:
            return
        head, other = (a, b) if a < b else (b, a)
        members = self._members
        moved = members.pop(other, None)  # only groups of several are listed
        into = members.get(head)
        if into is None:
            into = members[head] = [head]
        if moved is None:  # the usual case: a tool result joins its call's group
            into.append(other)
            self._groups[other] = head
            if other < first_new:  # already in the numpy array
                self.group.view[other] = head
            return
        into.extend(moved)
        for idx in moved:
            self._groups[idx] = head
        old = [idx for idx in moved if idx < first_new]
        if old:  # already in the numpy array
            self.group.view[old] = head
