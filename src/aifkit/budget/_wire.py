"""Reading a session's request bodies turn after turn, decoding only what is new.

A chat client sends the whole history with every request: the same ``messages``
array, a few messages longer each turn. Decoding it all again each turn costs
as much as the history; `WireReader` remembers the raw messages it decoded last
time and the AIF messages they became, and decodes only the messages after
them. Everything outside the message array (tools, settings, the system prompt
of formats that keep it there) must be unchanged, compared in C, or the whole
body is decoded again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from aifkit.aif import Document

__all__ = ["WireReader"]

_HISTORY = {
    "anthropic": "messages",
    "mistral": "messages",
    "openai-chat": "messages",
}
"""Where each format read incrementally keeps its history; others are decoded whole.

Each is one whose decoder reads an item without looking at the items before it
(proven in tests/budget/test_wire.py: appended reads equal whole reads)."""

_INSTRUCTION_ROLES = frozenset({"system", "developer"})
"""Roles that a format may read as instructions when they lead the array."""


@dataclass(frozen=True, slots=True)
class _Seen:
    format: str
    key: str
    rest: dict[str, Any]  # the body without its history
    raw: list[Any]  # the history's raw items, as given
    document: Document  # what they were decoded into


class WireReader:
    """Decodes a session's request bodies, only the messages appended since the last.

    Examples:
        >>> reader = WireReader()
        >>> body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}
        >>> doc = reader.read(body, "openai-chat")
        >>> body["messages"] += [{"role": "assistant", "content": "Hello!"},
        ...                      {"role": "user", "content": "Bye"}]
        >>> again = reader.read(body, "openai-chat")
        >>> again.messages[0] is doc.messages[0], reader.decoded
        (True, 2)
    """

    def __init__(self) -> None:
        self._seen: _Seen | None = None
        self.decoded = 0
        """How many history items the last `read` decoded."""

    def read(self, body: Any, format: str) -> Document:
        """Return ``body`` (a ``format`` request) as an AIF document.

        Raises:
            UnknownNameError: ``format`` is not a known format.
            InvalidInputError: the body is malformed.
        """
        from aifkit.aif import decode

        key = _HISTORY.get(format)
        fields = cast("dict[str, Any]", body) if isinstance(body, dict) else None
        history: Any = fields.get(key) if fields is not None and key is not None else None
        raw = cast("list[Any]", history) if isinstance(history, list) else None
        seen = self._seen
        if seen is not None and seen.format == format and fields is not None and raw is not None:
            doc = self._append(seen, fields, raw)
            if doc is not None:
                return doc
        document, _ = decode(body, format)
        self._seen = None
        self.decoded = len(raw) if raw is not None else 0
        if fields is not None and key is not None and raw is not None:
            rest = {k: v for k, v in fields.items() if k != key}
            self._seen = _Seen(format, key, rest, list(raw), document)
        return document

    def _append(self, seen: _Seen, body: dict[str, Any], raw: list[Any]) -> Document | None:
        # The body must be the one seen with items appended: its history starts with
        # the raw items seen (identity first, then equality, in C) and nothing else
        # changed. A leading system or developer item in the appended ones could be
        # read as an instruction on its own: the whole body is decoded then.
        from aifkit.aif import decode

        old = seen.raw
        if len(raw) < len(old) or raw[: len(old)] != old or len(body) != len(seen.rest) + 1:
            return None
        if any(body.get(k, _MISSING) != v for k, v in seen.rest.items()):
            return None
        new = raw[len(old) :]
        if not new:
            self.decoded = 0
            return seen.document
        first: Any = new[0]
        role: Any = cast("dict[str, Any]", first).get("role") if isinstance(first, dict) else None
        if not old or role in _INSTRUCTION_ROLES:
            return None
        tail, _ = decode({**body, seen.key: new}, seen.format)
        if tail.instructions and tail.instructions != seen.document.instructions:
            return None  # instructions read from the appended items themselves
        doc = seen.document.model_copy(
            update={"messages": (*seen.document.messages, *tail.messages)}
        )
        self.decoded = len(new)
        self._seen = _Seen(seen.format, seen.key, seen.rest, [*old, *new], doc)
        return doc

    def forget(self) -> None:
        """Forget the bodies read: the next one is decoded whole."""
        self._seen = None


_MISSING = object()
