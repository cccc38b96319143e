"""The `Summarizer` protocol and the plain-text transcript summarizers read.

A summarizer turns messages (or text) into a shorter text of at most
``max_tokens`` tokens. Messages reach it as a transcript: one line per message,
``role: text``, tool calls as ``called name({...})`` and tool results as
``result of name: ...``, so ids and paths in arguments are there to be kept.
Call ids are wire plumbing, not content, and are left out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from aifkit.aif._schema import (
    DocumentPart,
    Message,
    ReasoningPart,
    RefusalPart,
    TextPart,
    TextSource,
    ToolCallPart,
    ToolResultPart,
)

__all__ = ["Summarizer", "transcript"]


@runtime_checkable
class Summarizer(Protocol):
    """Writes a summary of messages or text.

    Implementations return plain text of at most ``max_tokens`` tokens and may raise
    any `aifkit.errors.AifkitError` (a model call that failed raises
    `aifkit.errors.ModelCallError`). They never need to check their own output:
    `summarize_span` and `RollingMemory` check every summary before committing it.
    """

    name: str

    def summarize(
        self, source: Sequence[Message] | str, *, max_tokens: int, focus: str | None = None
    ) -> str:
        """Return a summary of ``source`` of at most ``max_tokens`` tokens.

        Args:
            source: The messages to summarize, or text.
            max_tokens: The most tokens the summary may take.
            focus: What the summary should keep above all (e.g. the current question).
        """
        ...


def transcript(source: Sequence[Message] | str) -> str:
    """Return ``source`` as plain text: one ``role: text`` line per message.

    Examples:
        >>> from aifkit.aif import Message, TextPart, ToolCallPart, ToolResultPart
        >>> msgs = [
        ...     Message(role="user", parts=(TextPart(text="Read the config."),)),
        ...     Message(role="assistant", parts=(ToolCallPart(id="c1", name="read",
        ...             arguments={"path": "/etc/app.toml"}),)),
        ...     Message(role="tool", parts=(ToolResultPart(call_id="c1",
        ...             content=(TextPart(text="port = 8080"),)),)),
        ... ]
        >>> print(transcript(msgs))
        user: Read the config.
        assistant: called read({"path": "/etc/app.toml"})
        tool: result of read: port = 8080
    """
    if isinstance(source, str):
        return source
    names: dict[str, str] = {}
    lines: list[str] = []
    for message in source:
        texts = [t for t in (_part_text(p, names) for p in message.parts) if t]
        if texts:
            who = f"{message.role} ({message.name})" if message.name else message.role
            lines.append(f"{who}: " + " ".join(texts))
    return "\n".join(lines)


def _part_text(part: object, names: dict[str, str]) -> str:
    if isinstance(part, TextPart | RefusalPart):
        return part.text
    if isinstance(part, ToolCallPart):
        names[part.id] = part.name
        args = (
            part.raw_arguments
            if part.arguments is None
            else json.dumps(part.arguments, ensure_ascii=False)
        )
        return f"called {part.name}({args or ''})"
    if isinstance(part, ToolResultPart):
        inner = " ".join(t for t in (_part_text(p, names) for p in part.content) if t)
        failed = " (error)" if part.is_error else ""
        return f"result of {names.get(part.call_id, 'a tool')}{failed}: {inner}"
    if isinstance(part, ReasoningPart):
        return part.text or ""
    if isinstance(part, DocumentPart):
        label = part.title or part.filename or "a document"
        body = part.source.text if isinstance(part.source, TextSource) else ""
        return f"[{label}] {body}".strip()
    kind = getattr(part, "type", "part")
    return f"[{kind}]"
