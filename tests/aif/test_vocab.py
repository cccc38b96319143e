"""A format's finish words and usage counts mean the same in a whole response and in a
stream: both are read through one table per format (`aifkit.aif._vocab`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aifkit.aif import (
    Message,
    PartDelta,
    PartEnd,
    PartStart,
    Response,
    ResponseEnd,
    ResponseStart,
    TextPart,
    Usage,
    decode_response,
    decode_stream,
    encode_response,
    encode_stream,
)
from aifkit.aif._vocab import GEMINI_FINISH, GEMINI_USAGE, OPENAI_CHAT_FINISH

# Every word google-genai's FinishReason enum had when this test was written, and
# words it may add (read as "other" by both paths).
_GEMINI_WORDS = st.sampled_from(sorted(GEMINI_FINISH.read)) | st.from_regex(
    r"[A-Z][A-Z_]{2,20}", fullmatch=True
)


def _gemini_body(word: str, call: bool, usage: dict[str, int]) -> dict[str, Any]:
    part: dict[str, Any] = (
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}
        if call
        else {"text": "Hello"}
    )
    return {
        "candidates": [
            {"content": {"role": "model", "parts": [part]}, "finishReason": word, "index": 0}
        ],
        "usageMetadata": usage,
        "modelVersion": "gemini-2.5-flash",
        "responseId": "r1",
    }


def _stream_end(format: str, sse: bytes) -> ResponseEnd:
    decoder = decode_stream(format)
    events = [*decoder.feed(sse), *decoder.close()]
    ends = [e for e in events if isinstance(e, ResponseEnd)]
    assert len(ends) == 1
    return ends[0]


_USAGE = st.fixed_dictionaries(
    {},
    optional={
        "promptTokenCount": st.integers(0, 10_000),
        "candidatesTokenCount": st.integers(1, 10_000),
        "thoughtsTokenCount": st.integers(1, 10_000),
        "cachedContentTokenCount": st.integers(0, 10_000),
        "totalTokenCount": st.integers(0, 30_000),
    },
)


@given(word=_GEMINI_WORDS, call=st.booleans(), usage=_USAGE)
def test_a_gemini_finish_reason_and_usage_read_the_same_in_a_response_and_a_stream(
    word: str, call: bool, usage: dict[str, int]
) -> None:
    body = _gemini_body(word, call, usage)
    response, _ = decode_response(body, "gemini")
    end = _stream_end("gemini", f"data: {json.dumps(body)}\n\n".encode())
    assert (end.finish_reason, end.raw_finish_reason) == (
        response.finish_reason,
        response.raw_finish_reason,
    )
    if call and word == "STOP":
        assert end.finish_reason == "tool_calls"
    got = end.usage.model_dump(exclude={"extensions"}) if end.usage else None
    want = response.usage.model_dump(exclude={"extensions"}) if response.usage else None
    assert got == want


@pytest.mark.parametrize(
    ("reason", "word"),
    [
        ("stop", "STOP"),
        ("tool_calls", "STOP"),
        ("length", "MAX_TOKENS"),
        ("content_filter", "SAFETY"),
        ("refusal", "SAFETY"),
        ("error", "OTHER"),
    ],
)
def test_a_reason_is_written_with_the_same_gemini_word_in_a_response_and_a_stream(
    reason: Any, word: str
) -> None:
    response = Response(
        message=Message(role="assistant", parts=(TextPart(text="Hi"),)), finish_reason=reason
    )
    body, _ = encode_response(response, "gemini")
    encoder = encode_stream("gemini")
    sse = b"".join(
        encoder.encode(e)
        for e in (
            ResponseStart(),
            PartStart(0, "text"),
            PartDelta(0, "Hi"),
            PartEnd(0),
            ResponseEnd(reason),
        )
    )
    last = json.loads(sse.decode().strip().split("\n\n")[-1].removeprefix("data: "))
    assert body["candidates"][0]["finishReason"] == word
    assert last["candidates"][0]["finishReason"] == word


def test_a_source_word_is_kept_only_where_it_means_the_same() -> None:
    assert OPENAI_CHAT_FINISH.word("content_filter", "content_filter") == ("content_filter", True)
    # Gemini's STOP on a reply that called tools is tool_calls: chat has a word for it.
    assert OPENAI_CHAT_FINISH.word("tool_calls", "STOP") == ("tool_calls", True)
    assert GEMINI_FINISH.word("refusal", "refusal") == ("SAFETY", False)


def test_gemini_output_counts_reasoning_and_writes_it_apart() -> None:
    usage = Usage(**GEMINI_USAGE.to_aif({"candidatesTokenCount": 7, "thoughtsTokenCount": 5}))  # pyright: ignore[reportArgumentType]
    assert (usage.output_tokens, usage.reasoning_tokens) == (12, 5)
    assert GEMINI_USAGE.write_nested(usage) == {"candidatesTokenCount": 7, "thoughtsTokenCount": 5}
