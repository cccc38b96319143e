"""Independent checks of a pack's invariants (written apart from `aifkit.budget`'s grouping)."""

from __future__ import annotations

from aifkit.aif import (
    AudioPart,
    Document,
    DocumentPart,
    ImagePart,
    Message,
    ToolCallPart,
    ToolResultPart,
)


def groups(doc: Document) -> list[int]:
    """The atomic group of each message: tool calls with their results, turns with attachments."""
    n = len(doc.messages)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def attachments_only(m: Message) -> bool:
        return bool(m.parts) and all(
            isinstance(p, ImagePart | DocumentPart | AudioPart) for p in m.parts
        )

    last_call: dict[str, int] = {}
    for i, m in enumerate(doc.messages):
        for p in m.parts:
            if isinstance(p, ToolResultPart) and p.call_id in last_call:
                parent[find(i)] = find(last_call[p.call_id])
        for p in m.parts:
            if isinstance(p, ToolCallPart):
                last_call[p.id] = i
        prev = doc.messages[i - 1] if i else None
        if (
            prev is not None
            and prev.role == m.role == "user"
            and (attachments_only(m) or attachments_only(prev))
        ):
            parent[find(i)] = find(i - 1)
    return [find(i) for i in range(n)]


def current(doc: Document) -> set[int]:
    """Messages of the current turn: the last user turn's group and the last message's group."""
    msgs = doc.messages
    if not msgs:
        return set()
    g = groups(doc)
    turns = [
        i
        for i, m in enumerate(msgs)
        if m.role == "user" and any(not isinstance(p, ToolResultPart) for p in m.parts)
    ]
    heads = {g[turns[-1] if turns else len(msgs) - 1], g[-1]}
    return {i for i in range(len(msgs)) if g[i] in heads}


def kept_indexes(doc: Document, packed: Document) -> list[int]:
    """Where each packed message is in ``doc``; fails unless they are a subsequence, by identity."""
    out: list[int] = []
    i = 0
    for m in packed.messages:
        while i < len(doc.messages) and doc.messages[i] is not m:
            i += 1
        assert i < len(doc.messages), "a packed message is not in the document, or out of order"
        out.append(i)
        i += 1
    return out


def check(doc: Document, packed: Document) -> list[int]:
    """Assert every structural invariant of a pack; return the kept message indexes."""
    kept = kept_indexes(doc, packed)
    assert packed.instructions == doc.instructions
    assert packed.tools == doc.tools
    assert packed.settings == doc.settings
    assert current(doc) <= set(kept), "the current turn was dropped"
    g = groups(doc)
    kept_set = set(kept)
    for i in range(len(doc.messages)):
        same = [j for j in range(len(doc.messages)) if g[j] == g[i]]
        assert all((j in kept_set) == (i in kept_set) for j in same), f"group of {i} split"
    calls = {p.id for m in packed.messages for p in m.parts if isinstance(p, ToolCallPart)}
    results = {p.call_id for m in packed.messages for p in m.parts if isinstance(p, ToolResultPart)}
    all_calls = {p.id for m in doc.messages for p in m.parts if isinstance(p, ToolCallPart)}
    assert results & all_calls <= calls, "a tool result without its call"
    answered = {p.call_id for m in doc.messages for p in m.parts if isinstance(p, ToolResultPart)}
    assert calls & answered <= results, "a tool call without its result"
    return kept
