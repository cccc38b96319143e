"""Invariants of response conversion over generated replies: every body written is
valid for its SDK, every loss pointer names something in the source body, and
what a conversion does not carry is in its report."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifkit.aif import (
    FinishReason,
    Message,
    ReasoningPart,
    ReasoningScope,
    RefusalPart,
    Response,
    TextPart,
    ToolCallPart,
    Usage,
    convert_response,
    decode_response,
    encode_response,
    response_formats,
)
from aifkit.aif._response_convert import RESPONSES
from tests.aif.responses.sdk import check
from tests.aif.responses.test_fixtures import resolve

FORMATS = response_formats()
_WORD = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF), min_size=1, max_size=12)
_TEXT = st.lists(_WORD, min_size=1, max_size=4).map(" ".join)
_NAME = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
_ARGS = st.dictionaries(_NAME, st.integers(-99, 99) | _TEXT | st.booleans(), max_size=3)


@st.composite
def _parts(draw: st.DrawFn) -> tuple[Any, ...]:
    parts: list[Any] = []
    if draw(st.booleans()):
        signature = draw(st.none() | st.from_regex(r"[A-Za-z0-9+/]{8,24}", fullmatch=True))
        scope = ReasoningScope(provider="anthropic", model="claude-sonnet-4-5")
        parts.append(ReasoningPart(text=draw(_TEXT), signature=signature, valid_for=scope))
    for _ in range(draw(st.integers(0, 2))):
        parts.append(TextPart(text=draw(_TEXT)))
    if draw(st.integers(0, 5)) == 0:
        parts.append(RefusalPart(text=draw(_TEXT)))
    for n in range(draw(st.integers(0, 2))):
        parts.append(
            ToolCallPart(id=f"call_{n}x{draw(_NAME)}", name=draw(_NAME), arguments=draw(_ARGS))
        )
    if not parts:
        parts.append(TextPart(text=draw(_TEXT)))
    return tuple(parts)


@st.composite
def responses(draw: st.DrawFn) -> Response:
    parts = draw(_parts())
    usage = None
    if draw(st.booleans()):
        cache_read = draw(st.none() | st.integers(0, 50))
        cache_write = draw(st.none() | st.integers(0, 50))
        reasoning = draw(st.none() | st.integers(0, 50))
        uncached = draw(st.integers(0, 500))
        visible = draw(st.integers(0, 500))
        input_tokens = uncached + (cache_read or 0) + (cache_write or 0)
        output_tokens = visible + (reasoning or 0)
        usage = Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_read_tokens=cache_read,
            cache_write_tokens=cache_write,
            reasoning_tokens=reasoning,
            total_tokens=draw(st.sampled_from([None, input_tokens + output_tokens])),
        )
    calls = any(isinstance(p, ToolCallPart) for p in parts)
    words: list[FinishReason] = ["stop", "length", "content_filter", "refusal", "pause"]
    finish: FinishReason = "tool_calls" if calls else draw(st.sampled_from(words))
    return Response(
        id=draw(st.none() | st.from_regex(r"resp_[a-z0-9]{4,10}", fullmatch=True)),
        model=draw(st.sampled_from([None, "claude-sonnet-4-5", "gpt-4o"])),
        message=Message(role="assistant", parts=parts),
        finish_reason=finish,
        usage=usage,
    )


_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(responses())
def test_every_encoded_response_is_valid_for_its_sdk(response: Response) -> None:
    for fmt in FORMATS:
        body, _ = encode_response(response, fmt)
        check(fmt, body)
        again, _ = decode_response(body, fmt)
        calls = [
            (p.name, p.arguments) for p in response.message.parts if isinstance(p, ToolCallPart)
        ]
        assert [
            (p.name, p.arguments) for p in again.message.parts if isinstance(p, ToolCallPart)
        ] == calls


def _text(response: Response) -> str:
    return "".join(p.text for p in response.message.parts if isinstance(p, TextPart))


def _source_pointer(source: str, body: Any, path: tuple[str | int, ...]) -> str:
    decoded = RESPONSES.get(source).decode_response(body)
    return "/" + "/".join(str(p) for p in decoded.source_map.translate(path))


@_SETTINGS
@given(responses(), st.sampled_from(FORMATS))
def test_losses_point_into_the_source_and_name_what_is_missing(
    response: Response, source: str
) -> None:
    body, _ = encode_response(response, source)
    before, _ = decode_response(body, source)
    for target in FORMATS:
        out, report = convert_response(body, source=source, target=target)
        for entry in report:
            resolve(body, entry.pointer)
        after, _ = decode_response(out, target)
        pointers = [e.pointer for e in report]
        # A usage count the target did not carry is reported at its source field.
        if before.usage is not None:
            for field in (
                "input_tokens",
                "output_tokens",
                "cache_read_tokens",
                "cache_write_tokens",
                "reasoning_tokens",
            ):
                value = getattr(before.usage, field)
                kept = after.usage is not None and getattr(after.usage, field) == value
                if value is not None and not kept:
                    assert _source_pointer(source, body, ("usage", field)) in pointers, (
                        target,
                        field,
                    )
        # Text that did not arrive as text is reported somewhere in the source message.
        if _text(before) not in _text(after):
            message = _source_pointer(source, body, ("message",))
            assert any(p.startswith(message) for p in pointers), (target, pointers)
        # Tool calls arrive, by name.
        names = [p.name for p in before.message.parts if isinstance(p, ToolCallPart)]
        assert [p.name for p in after.message.parts if isinstance(p, ToolCallPart)] == names
