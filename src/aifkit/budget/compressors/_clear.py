"""Tool-output clearing: old tool results become a placeholder with the call id and a gist.

What a provider does server-side for its own API (Anthropic's context editing),
done client-side for every format: the oldest results go first, the last
``keep_last`` results stay whole, results of the ``never`` tools are never
cleared, and a clearing that would save fewer than ``clear_at_least`` tokens is
not done at all — each clearing changes the prompt prefix and so throws the
provider's prompt cache away, which a small gain does not pay for.

The placeholder keeps the result's ``call_id`` (so the call and its result stay
paired) and says which tool it was, how long the output was and how it began.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from aifkit.aif._schema import Document, TextPart, ToolResultPart
from aifkit.budget.compressors._base import CompressionResult, CompressionTarget
from aifkit.budget.compressors._text import gist
from aifkit.budget.compressors._work import Change, Workspace
from aifkit.errors import UsageError

__all__ = ["ToolOutputClearer", "placeholder"]


def placeholder(tool: str | None, tokens: int, text: str) -> str:
    """Return the text that replaces a cleared tool output.

    Examples:
        >>> placeholder("read_file", 2345, "def main():\\n    pass")
        '[tool output cleared: read_file, 2,345 tokens; began: def main():]'
    """
    name = tool or "unknown tool"
    return f"[tool output cleared: {name}, {tokens:,} tokens; began: {gist(text)}]"


class ToolOutputClearer:
    """Replaces old tool results by placeholders, oldest first, until the target is met.

    Args:
        keep_last: How many of the latest tool results are never cleared.
        clear_at_least: Clear nothing unless at least this many tokens can be saved.
        never: Names of tools whose results are never cleared.

    Examples:
        >>> from aifkit.aif import Document, Message, TextPart, ToolCallPart, ToolResultPart
        >>> def call(i):
        ...     return (Message(role="assistant", parts=(ToolCallPart(id=f"c{i}", name="ls"),)),
        ...             Message(role="tool", parts=(ToolResultPart(call_id=f"c{i}",
        ...                     content=(TextPart(text=f"file_{i}.txt " * 200),)),)))
        >>> doc = Document(messages=(Message(role="user", parts=(TextPart(text="List."),)),
        ...                          *call(1), *call(2), *call(3)))
        >>> result = ToolOutputClearer(keep_last=1).compress(doc, CompressionTarget("gpt-4o", ratio=0.5))
        >>> [a.pointer for a in result.actions]
        ['/messages/2/parts/0', '/messages/4/parts/0']
        >>> result.document.messages[2].parts[0].call_id
        'c1'
    """

    name = "clear-tool-output"

    def __init__(
        self, *, keep_last: int = 3, clear_at_least: int = 0, never: Collection[str] = ()
    ) -> None:
        if keep_last < 0 or clear_at_least < 0:
            raise UsageError("keep_last and clear_at_least must be 0 or more")
        self.keep_last = keep_last
        self.clear_at_least = clear_at_least
        self.never = frozenset(never)

    def compress(self, document: Document, target: CompressionTarget) -> CompressionResult:
        """Clear the oldest tool outputs until the prompt meets ``target`` (or none are left)."""
        ws = Workspace(document, target, self.name)
        return ws.seek(lambda need: self._plan(ws, need), strict=False)

    def _plan(self, ws: Workspace, need: int) -> list[Change]:
        every = list(ws.results(protected=True))
        latest = {id(p) for _, _, p, _ in every[len(every) - self.keep_last :]}
        if not self.keep_last:
            latest = set[int]()
        candidates = [r for r in every if r[1] not in ws.protected]
        changes: list[Change] = []
        saved = 0
        for pointer, _, part, tool in candidates:
            if saved >= max(need, self.clear_at_least):
                break
            if id(part) in latest or tool in self.never or _cleared(part):
                continue
            change = self._clear(ws, pointer, part, tool)
            if change.tokens_after < change.tokens_before:
                changes.append(change)
                saved += change.tokens_before - change.tokens_after
        if saved < self.clear_at_least:
            return []  # too small a gain to throw the prompt cache away for
        return changes

    def _clear(self, ws: Workspace, pointer: str, part: ToolResultPart, tool: str | None) -> Change:
        original: dict[str, Any] = part.model_dump(mode="json", by_alias=True)
        text = "\n".join(p.text for p in part.content if isinstance(p, TextPart))
        before = sum(ws.tokens(p.text) for p in part.content if isinstance(p, TextPart))
        others = len(part.content) - sum(1 for p in part.content if isinstance(p, TextPart))
        if others:  # images and documents go too; count them roughly by their text
            before += 85 * others
        note = placeholder(tool, before, text)
        value = {**original, "content": [{"type": "text", "text": note}]}
        after = ws.tokens(note)
        return Change(pointer, value, original, before, after, f"cleared {tool or 'tool'} output")


def _cleared(part: ToolResultPart) -> bool:
    content = part.content
    return (
        len(content) == 1
        and isinstance(content[0], TextPart)
        and content[0].text.startswith("[tool output cleared:")
    )
