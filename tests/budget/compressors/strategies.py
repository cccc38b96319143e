"""Hypothesis strategies and checks for compressors: long conversations with tool calls."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from aifkit.aif import Document, ToolCallPart, ToolResultPart, load_document
from aifkit.budget import CompressionTarget
from aifkit.budget.compressors._text import cut_marker
from aifkit.budget.compressors._work import Workspace

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "weather", "paris", "locker", "server",
         "budget", "python", "cache", "token", "memory", "deploy", "release", "parser", "report",
         "the", "a", "of", "and", "was", "is", "on", "in"]  # fmt: skip


def _sentence(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=3, max_size=18))
    return " ".join(words).capitalize() + draw(st.sampled_from([".", ".", "!", "?"]))


@st.composite
def prose(draw: st.DrawFn, min_sentences: int = 5, max_sentences: int = 60) -> str:
    """Sentences of words, sometimes in paragraphs."""
    n = draw(st.integers(min_sentences, max_sentences))
    out = []
    for _ in range(n):
        out.append(_sentence(draw))
        out.append(draw(st.sampled_from([" ", " ", " ", "\n\n"])))
    return "".join(out).strip()


@st.composite
def code(draw: st.DrawFn) -> str:
    """A Python module: imports and functions with bodies."""
    lines = ["import os", "import sys", ""]
    for f in range(draw(st.integers(1, 8))):
        lines.append(f"def {draw(st.sampled_from(WORDS))}_{f}(x, y):")
        for k in range(draw(st.integers(1, 25))):
            lines.append(f"    x = x + {k} * y  # {draw(st.sampled_from(WORDS))}")
        lines += ["    return x", ""]
    return "\n".join(lines)


@st.composite
def json_text(draw: st.DrawFn) -> str:
    """A JSON object with a long array and long strings."""
    rows = [{"id": i, "name": draw(st.sampled_from(WORDS)) * draw(st.integers(1, 8))}
            for i in range(draw(st.integers(1, 80)))]  # fmt: skip
    value = {"status": "ok", "rows": rows, "note": draw(prose(1, 6))}
    return json.dumps(value, indent=draw(st.sampled_from([None, 2])))


_LONG = st.one_of(prose(), prose(), code(), json_text())


def _text(t: str) -> dict[str, Any]:
    return {"type": "text", "text": t}


@st.composite
def long_conversations(draw: st.DrawFn, max_turns: int = 8) -> Document:
    """A system prompt, user turns with long text, replies, tool calls with long results
    (sometimes repeated verbatim), ending on a short user turn."""
    messages: list[dict[str, Any]] = []
    seen: list[str] = []
    for t in range(draw(st.integers(1, max_turns))):
        kind = draw(st.sampled_from(["user", "reply", "tools", "tools"]))
        if kind == "user":
            messages.append({"role": "user", "parts": [_text(draw(_LONG))]})
        elif kind == "reply":
            messages.append({"role": "assistant", "parts": [_text(draw(prose(1, 8)))]})
        else:
            ids = [f"call_{t}_{k}" for k in range(draw(st.integers(1, 2)))]
            tool = draw(st.sampled_from(["read_file", "search", "run"]))
            messages.append({"role": "assistant", "parts": [
                {"type": "tool_call", "id": i, "name": tool, "arguments": {"q": i}} for i in ids]})  # fmt: skip
            for i in ids:
                body = draw(st.sampled_from(seen)) if seen and draw(st.booleans()) else draw(_LONG)
                seen.append(body)
                messages.append({"role": "tool", "parts": [
                    {"type": "tool_result", "call_id": i, "content": [_text(body)]}]})  # fmt: skip
    messages.append({"role": "user", "parts": [_text("What did the report say about the parser?")]})
    return load_document({
        "instructions": [{"role": "system", "parts": [_text("You are a careful assistant.")]}],
        "messages": messages,
    })  # fmt: skip


def pairing(doc: Document) -> list[tuple[str, str, tuple[str, ...]]]:
    """Every message's role, and the call ids of its tool calls and tool results, in order."""
    out: list[tuple[str, str, tuple[str, ...]]] = []
    for m in doc.messages:
        calls = tuple(p.id for p in m.parts if isinstance(p, ToolCallPart))
        results = tuple(p.call_id for p in m.parts if isinstance(p, ToolResultPart))
        out.append((m.role, ",".join(type(p).__name__ for p in m.parts), calls + results))
    return out


def floor(doc: Document, target: CompressionTarget) -> int:
    """Tokens left when every text a compressor may touch is cut to the longest marker."""
    ws = Workspace(doc, target, "test")
    changes = [ws.change(u, cut_marker(99_999, 9_999), "floor") for u in ws.units()]
    return ws.finish(changes).tokens_after
