"""The compressor interface: targets, actions, results, the `Compressor` protocol, the registry.

A compressor takes an AIF `Document` and a `CompressionTarget` (how much of the
prompt to keep, on which model) and returns a `CompressionResult`: the smaller
document, exact token counts before and after, and one `CompressionAction` per
element it changed, carrying the element's original JSON so that
`CompressionResult.restore` can put every original back.

Compressors only ever replace values in place; one that merges or removes
elements (a summary folding several messages into one) records a single action
on the enclosing array (``/messages``), whose ``original`` is the whole array.
Restoring applies the actions last to first, each writing ``original`` back at
``pointer``, so pointers stay valid.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

from pydantic import TypeAdapter

from aifkit._registry import Registry
from aifkit.aif._schema import Document, Message, document_adapter
from aifkit.budget._thresholds import whole_number
from aifkit.errors import InvalidInputError, UsageError

if TYPE_CHECKING:
    from aifkit.tokens import Tokenizer

__all__ = [
    "COMPRESSORS",
    "CompressionAction",
    "CompressionResult",
    "CompressionTarget",
    "Compressor",
    "apply_many",
    "apply_pointer",
    "get_pointer",
]


@dataclass(frozen=True, slots=True)
class CompressionTarget:
    """How much of a document's prompt to keep, counted on ``model``.

    Exactly one of ``ratio`` and ``budget`` is given.

    Attributes:
        model: The model whose tokenizer counts the tokens (``"gpt-4o"``).
        ratio: Fraction of the prompt tokens to keep, ``0 < ratio < 1``
            (``0.25`` keeps a quarter, a 4x compression).
        budget: Prompt tokens to end at or below.
        query: What the kept text should be relevant to; default: the text of the
            current (last user) turn.
        protect_last: How many of the last messages are never touched (at least the
            current turn is always kept whole).
        tokenizer: Counts the tokens instead of the model's tokenizer, as
            `aifkit.tokens.count_tokens`'s ``tokenizer`` does (tests pass fakes; `aifkit.pack`
            passes one that already knows the texts it measured, so none is tokenized twice).

    Examples:
        >>> CompressionTarget("gpt-4o", ratio=0.25).goal(1000)
        250
        >>> CompressionTarget("gpt-4o", budget=300).goal(1000)
        300
        >>> CompressionTarget("gpt-4o", ratio=1.5)
        Traceback (most recent call last):
        ...
        aifkit.errors.UsageError: ratio must be between 0 and 1 (exclusive), got 1.5; \
0.25 keeps a quarter of the prompt tokens
    """

    model: str
    ratio: float | None = None
    budget: int | None = None
    query: str | None = None
    protect_last: int = 1
    tokenizer: Tokenizer | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Checked here, before any document is read: a bad target costs nothing.
        from aifkit.tokens import get_model

        get_model(self.model)  # an unknown model is refused now, not after counting
        if (self.ratio is None) == (self.budget is None):
            raise UsageError(
                "give exactly one of ratio and budget",
                hint="ratio=0.25 keeps a quarter of the prompt tokens; budget=N keeps at most N",
                cli_hint="--ratio 0.25 keeps a quarter of the prompt tokens; --budget N keeps at most N",
            )
        if self.ratio is not None and not (_real(self.ratio) and 0 < self.ratio < 1):
            raise UsageError(
                f"ratio must be between 0 and 1 (exclusive), got {self.ratio!r:.40}",
                hint="0.25 keeps a quarter of the prompt tokens",
            )
        if self.budget is not None and (whole_number(self.budget) or 0) < 1:
            raise UsageError(
                f"budget must be a positive whole number of tokens, got {self.budget!r:.40}",
                hint="pass the number of prompt tokens to end at or below",
            )
        protect = whole_number(self.protect_last)
        if protect is None or protect < 0:
            raise UsageError(
                f"protect_last must be a whole number, 0 or more, got {self.protect_last!r:.40}",
                hint="it counts the last messages never compressed",
            )

    def goal(self, tokens_before: int) -> int:
        """Return the prompt tokens to end at or below, for a prompt of ``tokens_before``."""
        if self.budget is not None:
            return self.budget
        assert self.ratio is not None
        return max(1, math.floor(tokens_before * self.ratio))


def _real(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class CompressionAction:
    """One change a compressor made.

    Attributes:
        pointer: JSON pointer (RFC 6901) into the AIF document to the value that was
            replaced, e.g. ``/messages/3/parts/0``.
        method: The compressor that made it (``"truncate"``).
        tokens_before: Tokens of the value before (text tokens on the target's model).
        tokens_after: Tokens of its replacement.
        detail: One line on what was done, e.g. ``"kept head 120 + tail 60 of 2,400"``.
        original: The original value as AIF JSON, to restore it.
        elided: ``(ref, text)`` of each marker the new value holds: the text it stands
            for, exactly (see `CompressionResult.expand`).
    """

    pointer: str
    method: str
    tokens_before: int
    tokens_after: int
    detail: str
    original: Any
    elided: tuple[tuple[str, str], ...] = ()

    @property
    def saved(self) -> int:
        """Tokens the change saved."""
        return self.tokens_before - self.tokens_after

    def to_json(self) -> dict[str, Any]:
        """Return the action as a JSON-ready dict (without the original)."""
        return {
            "pointer": self.pointer,
            "method": self.method,
            "tokens_before": self.tokens_before,
            "tokens_after": self.tokens_after,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class CompressionResult:
    """A compressed document, what it costs before and after, and how to undo it.

    Attributes:
        document: The compressed document.
        tokens_before: Prompt tokens of the input document (exact, on the target's model).
        tokens_after: Prompt tokens of ``document``.
        actions: The changes made, in the order they were made.
    """

    document: Document
    tokens_before: int
    tokens_after: int
    actions: tuple[CompressionAction, ...]

    @property
    def ratio(self) -> float:
        """The achieved ratio: ``tokens_after / tokens_before`` (1.0 for an empty prompt)."""
        return self.tokens_after / self.tokens_before if self.tokens_before else 1.0

    @property
    def elided(self) -> dict[str, str]:
        """Every text the markers in ``document`` stand for, by reference."""
        return {ref: text for a in self.actions for ref, text in a.elided}

    def expand(self, ref: str) -> str:
        """Return exactly the text elided under ``ref`` (what ``aif_expand(ref)`` answers).

        Raises:
            UsageError: no marker of this result names ``ref``.
        """
        for action in self.actions:
            for r, text in action.elided:
                if r == ref:
                    return text
        raise UsageError(
            f"no text was elided under ref {ref!r} in this result",
            hint="refs are named in the markers: [... elided, ref 0123456789: expand to see]",
        )

    def restore(self) -> Document:
        """Return the document with every original put back.

        Examples:
            >>> from aifkit.aif import Document, Message, TextPart
            >>> doc = Document(messages=(Message(role="user", parts=(TextPart(text="long"),)),))
            >>> act = CompressionAction("/messages/0/parts/0", "demo", 1, 1, "",
            ...                         {"type": "text", "text": "long"})
            >>> small = apply_pointer(doc, "/messages/0/parts/0", {"type": "text", "text": "l"})
            >>> CompressionResult(small, 1, 1, (act,)).restore() == doc
            True
        """
        data = _dump(self.document)
        for action in reversed(self.actions):
            # A value left at its default is not written (an emptied list), so add it back.
            # A copy: undoing an earlier action writes inside it, and the action's own
            # original must stay as it was (restore again, or trace the actions).
            data = _set(data, action.pointer, copy.deepcopy(action.original), add=True)
        return _load(data)

    def to_json(self) -> dict[str, Any]:
        """Return the tokens, ratio and actions as a JSON-ready dict (the ``--report``)."""
        return {
            "tokens_before": self.tokens_before,
            "tokens_after": self.tokens_after,
            "ratio": round(self.ratio, 4),
            "actions": [a.to_json() for a in self.actions],
        }


@runtime_checkable
class Compressor(Protocol):
    """Makes a document's prompt smaller.

    Implementations never drop the instructions or the current (last user) turn,
    keep each tool call paired with its result, and record every change as a
    `CompressionAction` with the original, so the result can be restored.
    """

    name: str

    def compress(self, document: Document, target: CompressionTarget) -> CompressionResult:
        """Compress ``document`` towards ``target``; the result says the ratio achieved."""
        ...


COMPRESSORS: Registry[Compressor] = Registry("compressor", "aifkit.compressors")
"""Compressors by name; plugins register under the ``aifkit.compressors`` entry-point group.

Examples:
    >>> COMPRESSORS.names()[:4]
    ['auto', 'clear-tool-output', 'dedupe', 'extract']
"""

for _name, _path in (
    ("auto", "aifkit.budget.compressors._pipeline:Pipeline"),
    ("clear-tool-output", "aifkit.budget.compressors._clear:ToolOutputClearer"),
    ("dedupe", "aifkit.budget.compressors._dedupe:Deduplicator"),
    ("extract", "aifkit.budget.compressors._extract:ExtractiveCompressor"),
    ("salient", "aifkit.budget.compressors._salient:SalientCompressor"),
    ("summary", "aifkit.budget.memory:SummaryCompressor"),
    ("truncate", "aifkit.budget.compressors._truncate:Truncator"),
):
    COMPRESSORS.register(_name, _path)


def get_pointer(document: Document, pointer: str) -> Any:
    """Return the AIF JSON value at ``pointer`` in ``document``.

    Raises:
        InvalidInputError: nothing is at ``pointer``.

    Examples:
        >>> from aifkit.aif import Document, Message, TextPart
        >>> doc = Document(messages=(Message(role="user", parts=(TextPart(text="hi"),)),))
        >>> get_pointer(doc, "/messages/0/parts/0")
        {'type': 'text', 'text': 'hi'}
    """
    value: Any = _dump(document)
    for token in _tokens(pointer):
        value = _step(value, token, pointer)
    return value


def apply_pointer(document: Document, pointer: str, value: Any) -> Document:
    """Return ``document`` with the value at ``pointer`` replaced by ``value`` (AIF JSON).

    The value must exist: this replaces, it never adds.

    Raises:
        InvalidInputError: nothing is at ``pointer``, or the result is not a valid document.
    """
    return _load(_set(_dump(document), pointer, value))


def apply_many(document: Document, changes: Sequence[tuple[str, Any]]) -> Document:
    """Return ``document`` with each ``(pointer, value)`` written in order (one validation).

    When every pointer is inside a message (what compressors write), only the
    messages written to are read back and validated; the others stay the same
    objects, so a packer that measured them does not measure them again.

    Examples:
        >>> from aifkit.aif import Document, Message, TextPart
        >>> doc = Document(messages=(Message(role="user", parts=(TextPart(text="long"),)),
        ...                          Message(role="user", parts=(TextPart(text="hi"),))))
        >>> new = apply_many(doc, [("/messages/0/parts/0/text", "short")])
        >>> new.messages[0].parts[0].text, new.messages[1] is doc.messages[1]
        ('short', True)
    """
    where = _message_pointers(document, changes)
    if where is None:
        data = _dump(document)
        for pointer, value in changes:
            data = _set(data, pointer, value)
        return _load(data)
    messages = list(document.messages)
    written: dict[int, dict[str, Any]] = {}
    for (i, rest), (pointer, value) in zip(where, changes, strict=True):
        data = written.get(i)
        if data is None:
            data = messages[i].model_dump(mode="json", by_alias=True)
        written[i] = _set_tokens(data, rest, value, pointer)
    for i, message in zip(written, _message_list().validate_python(list(written.values())), strict=True):  # fmt: skip
        messages[i] = message
    return document.model_copy(update={"messages": tuple(messages)})


def _message_pointers(
    document: Document, changes: Sequence[tuple[str, Any]]
) -> list[tuple[int, list[str]]] | None:
    # Each pointer as (message index, the tokens inside it); None if one points elsewhere.
    out: list[tuple[int, list[str]]] = []
    n = len(document.messages)
    for pointer, _ in changes:
        tokens = _tokens(pointer)
        if len(tokens) < 2 or tokens[0] != "messages" or not tokens[1].isdigit():
            return None
        i = int(tokens[1])
        if i >= n:
            return None  # the whole-document path names the pointer in its error
        out.append((i, tokens[2:]))
    return out


@functools.cache
def _message_list() -> TypeAdapter[list[Message]]:
    return TypeAdapter(list[Message])


def _dump(document: Document) -> dict[str, Any]:
    return document.model_dump(mode="json", by_alias=True)


def _load(data: dict[str, Any]) -> Document:
    return document_adapter().validate_python(data)


def _tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise InvalidInputError(pointer, "a JSON pointer must start with '/'")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _step(value: Any, token: str, pointer: str) -> Any:
    if isinstance(value, list) and token.isdigit() and int(token) < len(cast("list[Any]", value)):
        return cast("list[Any]", value)[int(token)]
    if isinstance(value, dict) and token in value:
        return cast("dict[str, Any]", value)[token]
    raise InvalidInputError(pointer, "nothing is at this pointer in the document")


def _set(data: dict[str, Any], pointer: str, new: Any, *, add: bool = False) -> dict[str, Any]:
    return _set_tokens(data, _tokens(pointer), new, pointer, add=add)


def _set_tokens(
    data: dict[str, Any], tokens: list[str], new: Any, pointer: str, *, add: bool = False
) -> dict[str, Any]:
    if not tokens:
        return cast("dict[str, Any]", new)
    parent: Any = data
    for token in tokens[:-1]:
        parent = _step(parent, token, pointer)
    last = tokens[-1]
    if isinstance(parent, list):
        items = cast("list[Any]", parent)
        if not (last.isdigit() and int(last) < len(items)):
            raise InvalidInputError(pointer, "nothing is at this pointer in the document")
        items[int(last)] = new
    elif isinstance(parent, dict) and (add or last in parent):
        cast("dict[str, Any]", parent)[last] = new
    else:
        raise InvalidInputError(pointer, "nothing is at this pointer in the document")
    return data
