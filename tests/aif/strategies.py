"""Hypothesis strategies for AIF documents (any shape the schema allows)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from aifkit.aif import Document, load_document

_B64 = st.sampled_from(["iVBORw0KGgo=", "R0lGODlhAQABAAAAACw=", "JVBERi0xLjQK", "UklGRiQAAABXQVZF"])
_ID = st.one_of(
    st.from_regex(r"call_[A-Za-z0-9]{1,12}", fullmatch=True),
    st.from_regex(r"toolu_[A-Za-z0-9]{20,30}", fullmatch=True),
    st.from_regex(r"[a-z]{1,4}[.:/ ][0-9]{1,3}", fullmatch=True),  # ids other formats reject
    st.text(st.characters(min_codepoint=48, max_codepoint=122), min_size=41, max_size=60),
)
_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
)
_NAME = st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_NAME, inner, max_size=3),
    max_leaves=6,
)


def _source(media: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(
            lambda mt, d: {"kind": "base64", "media_type": mt, "data": d},
            st.sampled_from(media),
            _B64,
        ),
        st.builds(lambda u: {"kind": "url", "url": f"https://example.com/{u}"}, _NAME),
        st.builds(lambda f: {"kind": "file", "file_id": f"file-{f}", "provider": "openai"}, _NAME),
    )


def _text_part() -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda t: {"type": "text", "text": t}, _TEXT)


def _image_part() -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda s, d: {"type": "image", "source": s, **({"detail": d} if d else {})},
        _source(["image/png", "image/jpeg", "image/gif"]),
        st.sampled_from([None, "auto", "low", "high"]),
    )


def _document_part() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(
            lambda s: {"type": "document", "source": s, "filename": "a.pdf"},
            _source(["application/pdf"]),
        ),
        st.builds(lambda t: {"type": "document", "source": {"kind": "text", "text": t}}, _TEXT),
    )


def _user_parts() -> st.SearchStrategy[list[dict[str, Any]]]:
    audio = st.builds(
        lambda d: {
            "type": "audio",
            "source": {"kind": "base64", "media_type": "audio/wav", "data": d},
            "format": "wav",
        },
        _B64,
    )
    return st.lists(
        st.one_of(_text_part(), _text_part(), _image_part(), _document_part(), audio),
        min_size=1,
        max_size=4,
    )


def _call(call_id: str) -> st.SearchStrategy[dict[str, Any]]:
    valid = st.builds(
        lambda n, a: {"type": "tool_call", "id": call_id, "name": n, "arguments": a},
        _NAME,
        st.dictionaries(_NAME, _JSON, max_size=3),
    )
    broken = st.builds(
        lambda n: {
            "type": "tool_call",
            "id": call_id,
            "name": n,
            "raw_arguments": '{"q": "unterminated',
        },
        _NAME,
    )
    return st.one_of(valid, valid, valid, broken)


def _result(call_id: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda content, err: {
            "type": "tool_result",
            "call_id": call_id,
            "content": content,
            **({"is_error": err} if err is not None else {}),
        },
        st.lists(st.one_of(_text_part(), _text_part(), _image_part()), min_size=1, max_size=2),
        st.sampled_from([None, True, False]),
    )


def _reasoning() -> st.SearchStrategy[dict[str, Any]]:
    scope = st.sampled_from(
        [
            {"provider": "anthropic", "model": "claude-sonnet-4-5"},
            {"provider": "openai", "model": "o3"},
        ]
    )
    signed = st.builds(
        lambda t, v: {"type": "reasoning", "text": t, "signature": "c2ln", "valid_for": v},
        _TEXT,
        scope,
    )
    redacted = st.builds(lambda v: {"type": "reasoning", "redacted": "RU5D", "valid_for": v}, scope)
    plain = st.builds(lambda t: {"type": "reasoning", "text": t}, _TEXT)
    return st.one_of(signed, redacted, plain)


@st.composite
def _turn(draw: st.DrawFn, n: int) -> list[dict[str, Any]]:
    """One exchange: a user turn, then an assistant turn, maybe with tool calls and results."""
    user = {"role": "user", "parts": draw(_user_parts())}
    if draw(st.booleans()):
        user["name"] = draw(_NAME)
    out = [user]
    parts: list[dict[str, Any]] = []
    if draw(st.integers(0, 3)) == 0:
        parts.append(draw(_reasoning()))
    if draw(st.booleans()):
        parts.append(draw(_text_part()))
    ids = draw(st.lists(_ID, max_size=2, unique=True))
    ids = [f"{i}_{n}" if len(i) < 40 else f"t{n}{i}" for i in ids]  # unique across turns
    parts.extend(draw(_call(i)) for i in ids)
    if draw(st.integers(0, 5)) == 0:
        parts.append({"type": "refusal", "text": draw(_TEXT)})
    if not parts:
        parts.append(draw(_text_part()))
    out.append({"role": "assistant", "parts": parts})
    if ids:
        role = draw(st.sampled_from(["tool", "user"]))
        out.append({"role": role, "parts": [draw(_result(i)) for i in ids]})
    return out


@st.composite
def documents(draw: st.DrawFn) -> Document:
    """Any AIF document: instructions, turns with every part kind, tools and settings."""
    instructions = [
        {"role": draw(st.sampled_from(["system", "developer"])), "parts": [draw(_text_part())]}
        for _ in range(draw(st.integers(0, 2)))
    ]
    messages: list[dict[str, Any]] = []
    for n in range(draw(st.integers(1, 3))):
        messages.extend(draw(_turn(n)))
    if draw(st.booleans()):
        messages.append({"role": "user", "parts": [draw(_text_part())]})
    tools = [
        {
            "name": name,
            "description": draw(_TEXT),
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        }
        for name in draw(st.lists(_NAME, max_size=2, unique=True))
    ]
    settings: dict[str, Any] = {
        "model": draw(st.sampled_from(["gpt-4o", "claude-sonnet-4-5", "o3"]))
    }
    if draw(st.booleans()):
        settings["max_tokens"] = draw(st.integers(1, 8192))
    if draw(st.booleans()):
        settings["temperature"] = draw(st.sampled_from([0.0, 0.5, 1.0]))
    if draw(st.booleans()):
        settings["stop"] = draw(st.lists(_NAME, min_size=1, max_size=2))
    return load_document(
        {"instructions": instructions, "messages": messages, "tools": tools, "settings": settings}
    )
