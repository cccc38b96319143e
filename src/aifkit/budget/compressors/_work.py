"""What every compressor shares: the units it may change, exact counts, and building the result.

A `Workspace` reads a document once: its exact prompt tokens on the target's
model, the goal, which messages are protected (the instructions are never
touched; neither are system or developer messages, the current user turn, or the
last ``protect_last`` messages), and the units a compressor may rewrite — text
parts, the text inside tool results, and text documents. Compressors plan
`Change`s; `Workspace.finish` applies them in one validation, counts the result
exactly and records each change with its original.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from aifkit.aif._schema import (
    Document,
    DocumentPart,
    Message,
    TextPart,
    TextSource,
    ToolCallPart,
    ToolResultPart,
)
from aifkit.budget.compressors._base import (
    CompressionAction,
    CompressionResult,
    CompressionTarget,
    apply_many,
)
from aifkit.errors import BudgetError
from aifkit.tokens._cache import DEFAULT_CACHE, CountCache
from aifkit.tokens._framing import Piece

__all__ = ["Change", "Unit", "Workspace", "current_turn", "protected_messages"]

UnitKind = Literal["text", "result_text", "document"]

_TRIES = 8


@dataclass(frozen=True, slots=True)
class Unit:
    """A piece of text a compressor may rewrite.

    Attributes:
        pointer: JSON pointer to the part that holds it (the part is what is replaced).
        message: Index of its message.
        kind: ``text`` (a text part), ``result_text`` (a text part inside a tool
            result) or ``document`` (a text document).
        text: The text.
        tool: For text inside a tool result, the name of the tool that produced it.
        tokens: Its tokens on the target's model.
        original: The part's AIF JSON.
    """

    pointer: str
    message: int
    kind: UnitKind
    text: str
    tool: str | None
    tokens: int
    original: dict[str, Any]

    def replaced(self, text: str) -> dict[str, Any]:
        """Return the part's JSON with its text replaced by ``text``."""
        new = dict(self.original)
        if self.kind == "document":
            new["source"] = {**self.original["source"], "text": text}
        else:
            new["text"] = text
        return new


@dataclass(frozen=True, slots=True)
class Change:
    """One planned replacement: the new JSON at ``pointer`` and what it saves."""

    pointer: str
    value: Any
    original: Any
    tokens_before: int
    tokens_after: int
    detail: str


def current_turn(messages: Sequence[Message]) -> int | None:
    """Return the index of the current turn: the last user message with more than tool results."""
    for i in range(len(messages) - 1, -1, -1):
        m = messages[i]
        if m.role == "user" and any(not isinstance(p, ToolResultPart) for p in m.parts):
            return i
    return None


def protected_messages(messages: Sequence[Message], protect_last: int) -> frozenset[int]:
    """Return the indexes of messages no compressor may change.

    They are system and developer messages, the current turn, and the last
    ``protect_last`` messages.
    """
    n = len(messages)
    out = {i for i, m in enumerate(messages) if m.role in ("system", "developer")}
    out.update(range(max(0, n - protect_last), n))
    turn = current_turn(messages)
    if turn is not None:
        out.add(turn)
    return frozenset(out)


class Workspace:
    """A document read for compression: counts, goal, protected messages and units.

    Args:
        document: The document.
        target: The target.
        method: The compressor's name, recorded on its actions.
    """

    def __init__(self, document: Document, target: CompressionTarget, method: str) -> None:
        from aifkit.tokens import get_model, get_tokenizer

        self.document = document
        self.target = target
        self.method = method
        self.tokenizer = target.tokenizer or get_tokenizer(get_model(target.model).tokenizer)
        self._tokens: dict[str, int] = {}
        self._counts = _SameObjects()
        self._memo = _Memo(self)
        self.before = self.count(document)
        self.goal = target.goal(self.before)
        self.protected = protected_messages(document.messages, target.protect_last)
        self.tool_names = _tool_names(document.messages)

    @property
    def need(self) -> int:
        """Tokens to save to reach the goal (0 or less: already there)."""
        return self.before - self.goal

    def query(self) -> str:
        """Return what kept text should be relevant to: the target's query or the current turn."""
        if self.target.query is not None:
            return self.target.query
        turn = current_turn(self.document.messages)
        if turn is None:
            return ""
        parts = self.document.messages[turn].parts
        return "\n".join(p.text for p in parts if isinstance(p, TextPart))

    def count(self, document: Document) -> int:
        """Return the exact prompt tokens of ``document`` on the target's model.

        Messages counted before (the same objects: what a change leaves alone) are
        not counted again, nor hashed for the shared count cache; their texts are
        tokenized through `tokens`, so a text counted here (a unit, a planned
        replacement) is not tokenized again, nor one counted there.
        """
        from aifkit.tokens import count_tokens

        return count_tokens(
            document, model=self.target.model, tokenizer=self._memo, cache=self._counts
        ).total

    def tokens(self, text: str) -> int:
        """Return the tokens of ``text`` (memoized)."""
        n = self._tokens.get(text)
        if n is None:
            n = self.tokenizer.count(text)
            if len(self._tokens) < 100_000:
                self._tokens[text] = n
        return n

    def units(self, *, protected: bool = False) -> Iterator[Unit]:
        """Yield every text unit of the unprotected messages, in document order.

        Args:
            protected: Include the units of protected messages (to compare against).
        """
        for i, message in enumerate(self.document.messages):
            if i in self.protected and not protected:
                continue
            for j, part in enumerate(message.parts):
                yield from self._part_units(i, f"/messages/{i}/parts/{j}", part)

    def results(
        self, *, protected: bool = False
    ) -> Iterator[tuple[str, int, ToolResultPart, str | None]]:
        """Yield ``(pointer, message index, part, tool name)`` of each tool result.

        Args:
            protected: Include the results in protected messages.
        """
        for i, message in enumerate(self.document.messages):
            if i in self.protected and not protected:
                continue
            for j, part in enumerate(message.parts):
                if isinstance(part, ToolResultPart):
                    yield f"/messages/{i}/parts/{j}", i, part, self.tool_names.get(part.call_id)

    def _part_units(self, i: int, ptr: str, part: object) -> Iterator[Unit]:
        if isinstance(part, TextPart):
            yield self._unit(ptr, i, "text", part, part.text, None)
        elif isinstance(part, ToolResultPart):
            tool = self.tool_names.get(part.call_id)
            for k, sub in enumerate(part.content):
                if isinstance(sub, TextPart):
                    yield self._unit(f"{ptr}/content/{k}", i, "result_text", sub, sub.text, tool)
        elif isinstance(part, DocumentPart) and isinstance(part.source, TextSource):
            yield self._unit(ptr, i, "document", part, part.source.text, None)

    def _unit(
        self, ptr: str, i: int, kind: UnitKind, part: TextPart | DocumentPart, text: str,
        tool: str | None,
    ) -> Unit:  # fmt: skip
        original = part.model_dump(mode="json", by_alias=True)
        return Unit(ptr, i, kind, text, tool, self.tokens(text), original)

    def change(self, unit: Unit, text: str, detail: str) -> Change:
        """Return the change that replaces ``unit``'s text by ``text``."""
        return Change(
            unit.pointer, unit.replaced(text), unit.original, unit.tokens, self.tokens(text), detail
        )

    def finish(self, changes: Sequence[Change]) -> CompressionResult:
        """Apply ``changes`` and return the result, counted exactly."""
        if not changes:
            return CompressionResult(self.document, self.before, self.before, ())
        doc = apply_many(self.document, [(c.pointer, c.value) for c in changes])
        actions = tuple(
            CompressionAction(
                c.pointer, self.method, c.tokens_before, c.tokens_after, c.detail, c.original
            )
            for c in changes
        )
        return CompressionResult(doc, self.before, self.count(doc), actions)

    def seek(self, plan: Callable[[int], Sequence[Change]], *, strict: bool) -> CompressionResult:
        """Plan to save `need` tokens, count exactly, and plan again until the goal is met.

        A plan that ends over the goal is planned again with the excess added; one
        that ends well under it (a goal-seeking method only) with the slack taken
        back, so the result lands at the goal or just under it.

        Args:
            plan: Returns the changes that save about the given number of tokens.
            strict: The method can shrink what it may touch to a marker, so it
                seeks the goal from both sides and raises when even that misses;
                partial methods (that only take what they find) pass False.

        Raises:
            BudgetError: ``strict`` and what cannot be compressed alone passes the goal.
        """
        if self.need <= 0:
            return self.finish(())
        goal, need = self.goal, self.need
        best: CompressionResult | None = None  # the largest result within the goal
        over: CompressionResult | None = None  # the smallest result over it
        for _ in range(_TRIES):
            result = self.finish(plan(need))
            after = result.tokens_after
            if after <= goal:
                if best is None or after > best.tokens_after:
                    best = result
                slack = goal - after
                if not strict or slack <= max(2, goal // 40):  # within 2.5 %
                    break
                need -= slack
            else:
                if over is not None and after >= over.tokens_after and best is None:
                    break  # planning harder takes nothing more
                if over is None or after < over.tokens_after:
                    over = result
                need += after - goal
        if best is not None:
            return best
        assert over is not None
        if strict:
            raise BudgetError(
                over.tokens_after,
                goal,
                f"after {self.method}; the instructions, the current turn and the last "
                f"{self.target.protect_last} message(s) are never compressed",
            )
        return over


def _tool_names(messages: Sequence[Message]) -> dict[str, str]:
    names: dict[str, str] = {}
    for m in messages:
        for p in m.parts:
            if isinstance(p, ToolCallPart):
                names[p.id] = p.name
    return names


class _Memo:
    """The workspace's tokenizer with its counts memoized by `Workspace.tokens` (a `Tokenizer`)."""

    def __init__(self, ws: Workspace) -> None:
        self._ws = ws
        self.name = ws.tokenizer.name  # the cache keys stay the tokenizer's

    def encode(self, text: str) -> list[int]:
        return self._ws.tokenizer.encode(text)

    def count(self, text: str) -> int:
        return self._ws.tokens(text)


class _SameObjects(CountCache):
    """Counts of one workspace's elements, by object: one model, so one salt.

    The document a change produces shares every untouched message with the one
    before it (`apply_many`), so counting it again costs only what changed. Counts
    of new elements also go to the shared cache, as `count_tokens` does by default.
    """

    def __init__(self) -> None:
        super().__init__(maxsize=0)
        self._seen: dict[int, tuple[BaseModel, Piece]] = {}

    def get(self, element: BaseModel, salt: str, compute: Callable[[], Piece]) -> Piece:
        seen = self._seen.get(id(element))
        if seen is not None and seen[0] is element:
            return seen[1]
        piece = DEFAULT_CACHE.get(element, salt, compute)
        self._seen[id(element)] = (element, piece)  # the element is kept: its id stays its own
        return piece
