"""OpenAI Agents SDK: a session on aifkit's SQLite memory file that returns packed history.

`AifkitSession` implements the SDK's ``Session`` protocol (``get_items``,
``add_items``, ``pop_item``, ``clear_session``). Each item is stored as it was
given, in a `MemoryStore` file (one file holds any number of sessions, and several
processes may write it at once), together with its reading as an AIF message
(``openai-responses`` input item -> AIF), which is what is counted. ``get_items``
packs the history with a `Packer` (one per session, so each read does only the
work that changed) within the budget and returns the kept items exactly as they
were stored: a function call and its output are kept or dropped together, and the
last item is always kept.

The budget is for the history: the SDK adds the new input, the instructions and
the tools on top of it; leave room for them.

``pip install "aifkit[openai-agents]"``.

Examples:
    >>> import asyncio
    >>> session = AifkitSession("chat-1", model="gpt-4o", budget=60)
    >>> asyncio.run(session.add_items(
    ...     [{"role": "user", "content": "My locker code is 4417."}]
    ...     + [{"role": "user", "content": f"Weather chatter, day {i}."} for i in range(20)]
    ...     + [{"role": "user", "content": "What is my locker code?"}]))
    >>> items = asyncio.run(session.get_items())
    >>> items[0]["content"], items[-1]["content"], len(items) < 22
    ('My locker code is 4417.', 'What is my locker code?', True)
    >>> session.last_report.tokens_after <= 60
    True
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from aifkit._extras import require
from aifkit.integrations._unreadable import unreadable

require("openai-agents")

if TYPE_CHECKING:
    from agents.items import TResponseInputItem
    from agents.memory import SessionSettings

    from aifkit.aif import Message
    from aifkit.budget import PackReport, Policy

__all__ = ["NAMESPACE", "AifkitSession"]

NAMESPACE = "openai-agents"
"""The extensions namespace under which each stored message keeps its item (``item``)."""

_WIRE = "openai-responses"


class AifkitSession:
    """An OpenAI Agents SDK session stored in an aifkit memory file, read back packed.

    Args:
        session_id: Which conversation in the file.
        path: The SQLite file (created with its folders); default: in memory only.
        model: The model whose tokenizer, window and rules apply (an aifkit name).
        budget: The most tokens the history returned by `get_items` may take;
            default: the model's window minus the reply reserve.
        reserve: Tokens kept for the reply; default: estimated from the request.
        policy: How to pack; default `Policy()`.
        session_settings: The SDK's settings for this session (e.g. ``limit``).

    Raises:
        UnknownNameError: the model is not known.
        StoreError: the file cannot be opened or is not a memory file.
    """

    def __init__(
        self,
        session_id: str,
        path: str | Path = ":memory:",
        *,
        model: str = "gpt-4o",
        budget: int | None = None,
        reserve: int | None = None,
        policy: Policy | None = None,
        session_settings: SessionSettings | None = None,
    ) -> None:
        from aifkit.budget import Packer
        from aifkit.budget.memory import MemoryStore

        self.session_id = session_id
        self.session_settings = session_settings
        self.model = model
        self.budget = budget
        self.reserve = reserve
        self.packer = Packer(model, policy=policy)  # an unknown model is refused here
        self.store = MemoryStore(path)
        self.store.open_session(session_id)
        self.last_report: PackReport | None = None
        """The report of the last `get_items` pack."""

    async def get_items(self, limit: int | None = None) -> list[TResponseInputItem]:
        """Return the history packed within the budget, oldest first.

        Args:
            limit: Consider only the latest ``limit`` items; default: the session
                settings' ``limit``, else every item.
        """
        from aifkit.aif import Document

        if limit is None and self.session_settings is not None:
            limit = self.session_settings.limit
        rows = self.store.recent(self.session_id)
        if limit is not None:
            rows = rows[-limit:] if limit > 0 else []
        if not rows:
            return []
        document = Document(messages=tuple(r.message for r in rows))
        packed, self.last_report = self.packer.pack(
            document, budget=self.budget, reserve=self.reserve
        )
        return [_item(m) for m in packed.messages]

    async def add_items(self, items: list[TResponseInputItem]) -> None:
        """Store ``items`` after the session's last one."""
        from aifkit.aif import Document
        from aifkit.tokens import count_tokens

        if not items:
            return
        messages = [_message(item, self.model, f"/{i}") for i, item in enumerate(items)]
        counts = count_tokens(Document(messages=tuple(messages)), model=self.model).messages
        self.store.add(self.session_id, list(zip(messages, counts, strict=True)))

    async def pop_item(self) -> TResponseInputItem | None:
        """Remove and return the latest item; None when the session is empty."""
        row = self.store.pop(self.session_id)
        return None if row is None else _item(row.message)

    async def clear_session(self) -> None:
        """Remove every item of the session."""
        self.store.clear(self.session_id)
        self.packer.forget()

    def close(self) -> None:
        """Close the memory file."""
        self.store.close()


def _message(item: object, model: str, pointer: str) -> Message:
    """The item read as one AIF message (what is counted), carrying the item itself."""
    from aifkit.aif import Message, TextPart, decode
    from aifkit.errors import InvalidInputError

    if not isinstance(item, Mapping):
        raise InvalidInputError(
            pointer,
            f"expected an input item (a JSON object), got {type(item).__name__}",
            hint="pass the items the Agents SDK gives a session (dicts with a type or role)",
        )
    try:
        stored = json.loads(json.dumps(item, allow_nan=False))  # kept as JSON: what the file holds
    except (TypeError, ValueError, RecursionError) as exc:  # a set, a cycle, NaN ...
        raise unreadable(pointer, "OpenAI Agents", exc) from None
    try:
        document, _ = decode({"model": model, "input": [stored]}, _WIRE)
        found: Sequence[Any] = document.messages or document.instructions
    except InvalidInputError:  # an item the reader does not know: counted as its JSON
        found = ()
    if len(found) == 1:
        first = found[0]
        message = Message(role=first.role, parts=first.parts, name=first.name)
    else:
        role = "assistant" if stored.get("type") not in (None, "message") else "user"
        message = Message(role=role, parts=(TextPart(text=json.dumps(stored)),))
    return message.model_copy(update={"extensions": {NAMESPACE: {"item": stored}}})


def _item(message: Message) -> TResponseInputItem:
    return cast("TResponseInputItem", message.extensions[NAMESPACE]["item"])
