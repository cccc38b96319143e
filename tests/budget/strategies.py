"""Hypothesis strategies: conversations with many tool-call groups, budgets and policies."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from aifkit.aif import Document, load_document
from aifkit.budget import CATEGORIES, CacheRule, Policy, Rule, Thresholds

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "weather", "paris", "locker", "code",
         "budget", "python", "server", "cache", "token", "memory", "filler", "chatter"]  # fmt: skip

_TEXT = st.lists(st.sampled_from(WORDS), min_size=1, max_size=25).map(" ".join)


def _text(t: str) -> dict[str, Any]:
    return {"type": "text", "text": t}


@st.composite
def conversations(draw: st.DrawFn, max_turns: int = 12) -> Document:
    """A conversation of user turns, replies, tool calls (parallel, results split, late or
    mixed with user text), attachment-only user messages, ending on a user turn or on
    tool results the model must answer."""
    messages: list[dict[str, Any]] = []
    pending: list[str] = []  # calls whose results are still to come
    call = 0
    for _ in range(draw(st.integers(1, max_turns))):
        kind = draw(st.sampled_from(["user", "user", "attach", "reply", "calls", "results"]))
        if kind == "user":
            parts = [_text(draw(_TEXT))]
            if pending and draw(st.booleans()):  # anthropic-style: results with user text
                parts = [{"type": "tool_result", "call_id": pending.pop(0),
                          "content": [_text(draw(_TEXT))]}, *parts]  # fmt: skip
            messages.append({"role": "user", "parts": parts})
        elif kind == "attach":
            messages.append({"role": "user", "parts": [
                {"type": "image", "source": {"kind": "url", "url": "https://example.com/a.png"}}]})  # fmt: skip
        elif kind == "reply":
            messages.append({"role": "assistant", "parts": [_text(draw(_TEXT))]})
        elif kind == "calls":
            ids = [f"call_{call + k}" for k in range(draw(st.integers(1, 3)))]
            call += len(ids)
            parts: list[dict[str, Any]] = [_text(draw(_TEXT))] if draw(st.booleans()) else []
            parts += [{"type": "tool_call", "id": i, "name": "search",
                       "arguments": {"q": draw(_TEXT)}} for i in ids]  # fmt: skip
            messages.append({"role": "assistant", "parts": parts})
            pending.extend(ids)
            if draw(st.booleans()):  # results right away, maybe split over messages
                while pending:
                    take = draw(st.integers(1, len(pending)))
                    chunk, pending = pending[:take], pending[take:]
                    messages.append({"role": "tool", "parts": [
                        {"type": "tool_result", "call_id": c, "content": [_text(draw(_TEXT))]}
                        for c in chunk]})  # fmt: skip
        elif pending:  # late results, after other messages
            c = pending.pop(draw(st.integers(0, len(pending) - 1)))
            messages.append({"role": "tool", "parts": [
                {"type": "tool_result", "call_id": c, "content": [_text(draw(_TEXT))]}]})  # fmt: skip
    for c in pending:  # every call gets its result
        messages.append({"role": "tool", "parts": [
            {"type": "tool_result", "call_id": c, "content": [_text(draw(_TEXT))]}]})  # fmt: skip
    if draw(st.booleans()) or not messages:
        messages.append({"role": "user", "parts": [_text(draw(_TEXT))]})
    instructions = (
        [{"role": "system", "parts": [_text(draw(_TEXT))]}] if draw(st.booleans()) else []
    )
    tools = [{"name": "search", "description": "Search.",
              "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}]  # fmt: skip
    return load_document({"instructions": instructions, "messages": messages,
                          "tools": tools if draw(st.booleans()) else [],
                          "settings": {"model": "gpt-4o"}})  # fmt: skip


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    """Any policy: random floors, caps, shares and priorities; relevance and cache on or off."""
    rules: dict[Any, Rule] = {}
    for name in CATEGORIES:
        if name in ("current", "system", "tools"):
            continue
        floor = draw(st.sampled_from([0, 0, 20, 100]))
        cap = draw(st.sampled_from([None, None, floor + 30, floor + 300]))
        rules[name] = Rule(
            priority=draw(st.sampled_from([0.0, 0.5, 1.0, 3.0])),
            floor=floor,
            cap=cap,
            share=draw(st.sampled_from([0.0, 1.0, 2.0])),
            required=name == "pinned" and draw(st.booleans()),
        )
    return Policy(
        rules=rules,
        relevance=draw(st.sampled_from(["bm25", "none"])),
        half_life=draw(st.sampled_from([2.0, 24.0])),
        thresholds=Thresholds(hysteresis=draw(st.sampled_from([0.5, 0.75, 1.0]))),
        cache=CacheRule(enabled=draw(st.booleans())),
        scale_by_complexity=draw(st.booleans()),
    )
