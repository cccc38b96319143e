"""The encoders' one-pass fast paths for agent conversations write what their general paths write.

Each fast path takes a conversation only when the general path would log nothing
for it; these tests draw agent conversations with the edits that break that
(names, cache hints, extensions, orphan, missing or repeated results, images with
a detail or a URL, turns out of order) and compare the two paths' output.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifkit.aif import Document, EncodeOptions
from aifkit.aif._loss import LossLog
from aifkit.aif._schema import (
    Base64Source,
    CacheHint,
    ImagePart,
    Message,
    Part,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    UrlSource,
)
from aifkit.aif.converters import _bedrock_encode, _gemini_encode
from aifkit.aif.converters._bedrock_blocks import BlockWriter

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
_IDS = st.sampled_from(["call_1", "call_2", "call_3", "call.4"])
_CHAT_FORM = {"openai-chat": {"form": {"arguments": '{"city": "c"}'}}}
_EXTENSIONS = st.sampled_from(
    [{}, {}, {}, _CHAT_FORM, {"gemini": {"form": {}}}, {"openai-chat": {"extra": {"x": 1}}}]
)
_CACHE = st.sampled_from([None, None, None, CacheHint()])


@st.composite
def _part(draw: st.DrawFn, role: str) -> Part:
    ext = draw(_EXTENSIONS)
    cache = draw(_CACHE)
    kind = draw(st.sampled_from(["text", "call", "result", "image", "url"]))
    if kind == "text" or (kind == "call" and role == "user" and draw(st.booleans())):
        return TextPart(
            text=draw(st.sampled_from(["", " ", "hi", "Weather?"])), extensions=ext, cache=cache
        )
    if kind == "call":
        args = draw(st.sampled_from([{"city": "c"}, {}, [1], "x", None]))
        return ToolCallPart(
            id=draw(_IDS), name="get_weather", arguments=args, extensions=ext, cache=cache
        )
    if kind == "result":
        content = draw(
            st.sampled_from([(), (TextPart(text="12"),), (TextPart(text="a"), TextPart(text="b"))])
        )
        if draw(st.integers(0, 5)) == 0:
            content = (*content, ImagePart(source=Base64Source(data=PNG, media_type="image/png")))
        return ToolResultPart(
            call_id=draw(_IDS),
            content=content,
            is_error=draw(st.sampled_from([None, True, False])),
            extensions=ext,
            cache=cache,
        )
    if kind == "image":
        media = draw(st.sampled_from(["image/png", "image/png", None]))
        detail: Literal["low"] | None = draw(st.sampled_from([None, None, "low"]))
        return ImagePart(
            source=Base64Source(data=PNG, media_type=media),
            detail=detail,
            extensions=ext,
            cache=cache,
        )
    return ImagePart(source=UrlSource(url="https://example.com/a.png"), extensions=ext, cache=cache)


@st.composite
def _message(draw: st.DrawFn, role: str) -> Message:
    parts = draw(st.lists(_part(role), max_size=3))
    name = draw(st.sampled_from([None, None, None, None, "ada"]))
    return Message(role=role, parts=parts, name=name, extensions=draw(_EXTENSIONS))  # pyright: ignore[reportArgumentType]


@st.composite
def _agent_messages(draw: st.DrawFn) -> list[Message]:
    """Mostly agent conversations (user, assistant calls, tool results), some broken."""
    out: list[Message] = []
    for _ in range(draw(st.integers(0, 4))):
        out.append(Message(role="user", parts=(TextPart(text="Weather?"),)))
        ids = draw(st.lists(_IDS, max_size=3, unique=True))
        calls = [
            ToolCallPart(id=i, name=f"f_{i}", arguments={"city": i}, extensions=_CHAT_FORM)
            for i in ids
        ]
        out.append(Message(role="assistant", parts=(TextPart(text="Let me look."), *calls)))
        answered = draw(st.permutations(ids))
        for i in answered:
            out.append(
                Message(
                    role="tool", parts=(ToolResultPart(call_id=i, content=(TextPart(text="12"),)),)
                )
            )
        if draw(st.booleans()):
            image = ImagePart(source=Base64Source(data=PNG, media_type="image/png"))
            out.append(Message(role="user", parts=(TextPart(text="And this?"), image)))
            out.append(Message(role="assistant", parts=(TextPart(text="A pixel."),)))
    if draw(st.booleans()):
        out.append(Message(role="user", parts=(TextPart(text="Thanks."),)))
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):  # edits anywhere
        role = draw(st.sampled_from(["user", "assistant", "tool", "system"]))
        out.insert(draw(st.integers(0, len(out))), draw(_message(role)))
    if draw(st.integers(0, 3)) == 0 and out:
        del out[draw(st.integers(0, len(out) - 1))]
    return out


def _loss_json(log: Any) -> str:
    return json.dumps([e.to_json() for e in log.losses.resolve(None)], sort_keys=True)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_agent_messages(), st.sampled_from(["gemini-2.5-flash", "gemini-3-pro-preview"]))
def test_gemini_fast_path_writes_what_the_general_path_writes(
    messages: list[Message], model: str
) -> None:
    doc = Document.model_validate({"settings": {"model": model}, "messages": messages})
    fast = None if "gemini-3" in model else _gemini_encode._AgentTurns().write(doc.messages)
    general = _gemini_encode._Encoder(doc, EncodeOptions())
    contents = general.contents(doc.messages)
    if fast is not None:
        assert fast == contents
        assert _loss_json(general) == "[]"  # the fast path only takes what logs nothing
    assert _gemini_encode.encode_document(doc, EncodeOptions()).body["contents"] == contents


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_agent_messages())
def test_bedrock_fast_path_writes_what_the_general_path_writes(messages: list[Message]) -> None:
    doc = Document.model_validate({"messages": messages})
    general = BlockWriter(EncodeOptions(), LossLog(), doc)
    system: list[Any] = []
    wire = _bedrock_encode._general(general, doc.messages, system)
    fast = _bedrock_encode._AgentTurns().write(doc.messages)
    if fast is not None:
        out, merged = fast
        assert out == wire
        assert system == []
        logged = BlockWriter(EncodeOptions(), LossLog(), doc)
        for i, role in merged:
            logged.log(("messages", i), "alternating-roles", role)
        assert _loss_json(logged) == _loss_json(general)  # the merges, all the general path logs
    body = _bedrock_encode.encode_document(doc, EncodeOptions()).body
    assert body.get("messages", []) == wire
