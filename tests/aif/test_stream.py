"""Streaming assembly: recorded SSE transcripts replayed into AIF assistant messages,
split anywhere, and malformed streams refused with a pointer to the event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.aif import (
    Document,
    Message,
    ReasoningPart,
    SSEEvent,
    SSEParser,
    TextPart,
    ToolCallPart,
    assemble,
    decode,
    encode,
)
from aifkit.aif._stream import parse_sse
from aifkit.errors import InvalidInputError, UnknownNameError

STREAMS = Path(__file__).parents[1] / "fixtures" / "streams"
FIXTURES = sorted(STREAMS.glob("*.sse"))


def fixture(name: str) -> bytes:
    return (STREAMS / name).read_bytes()


def fmt(path: Path) -> str:
    return path.name.split("__")[0]


def dumped(message: Message) -> dict[str, Any]:
    return message.model_dump(mode="json", by_alias=True)


def test_every_format_has_a_transcript() -> None:
    sse = {"anthropic", "cohere", "gemini", "openai-chat", "openai-responses"}
    assert {fmt(p) for p in FIXTURES} == sse


def test_openai_chat_tool_call_deltas_join_by_index() -> None:
    m = assemble(fixture("openai-chat__parallel-tools.sse"), "openai-chat")
    assert m.role == "assistant"
    text, first, second = m.parts
    assert isinstance(text, TextPart)
    assert text.text == "Checking both cities."
    assert isinstance(first, ToolCallPart)
    assert isinstance(second, ToolCallPart)
    assert (first.id, first.arguments) == (
        "call_DdmO9pD3xa9XTPNJ32zg2hcA", {"location": "Paris, France"})  # fmt: skip
    assert (second.id, second.arguments) == (
        "call_ABaa1ky6NeZ1W4ku3UEVi3ea", {"location": "Bogotá, Colombia"})  # fmt: skip
    meta = m.extensions["stream"]["form"]
    assert meta["stop_reason"] == "tool_calls"
    assert meta["usage"]["total_tokens"] == 131
    assert m.provenance is not None
    assert m.provenance.model == "gpt-4o-2024-08-06"


def test_openai_chat_stream_equals_the_same_reply_read_from_a_body() -> None:
    # The assembled message is the message the converter reads from the final reply.
    final = {
        "role": "assistant",
        "content": "Checking both cities.",
        "tool_calls": [
            {"id": "call_DdmO9pD3xa9XTPNJ32zg2hcA", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"location": "Paris, France"}'}},
            {"id": "call_ABaa1ky6NeZ1W4ku3UEVi3ea", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"location": "Bogotá, Colombia"}'}},
        ],
    }  # fmt: skip
    doc, _ = decode({"messages": [final]}, "openai-chat")
    m = assemble(fixture("openai-chat__parallel-tools.sse"), "openai-chat")
    assert m.parts == doc.messages[0].parts


def test_openai_responses_reasoning_text_and_function_call() -> None:
    m = assemble(fixture("openai-responses__reasoning-tool.sse"), "openai-responses")
    reasoning, text, call = m.parts
    assert isinstance(reasoning, ReasoningPart)
    assert reasoning.text is not None
    assert reasoning.text.endswith("I should call get_weather.")
    assert reasoning.redacted == "gAAAAABoIPOD3YlUZ0CU8ThlSNr4JaJgZFL8ZWpF"
    assert isinstance(text, TextPart)
    assert text.text == "Let me check the weather."
    assert isinstance(call, ToolCallPart)
    assert (call.id, call.name, call.arguments) == (
        "call_12345xyz", "get_weather", {"location": "Paris, France"})  # fmt: skip
    assert (
        m.extensions["stream"]["form"]["usage"]["output_tokens_details"]["reasoning_tokens"] == 64
    )


def test_openai_responses_deltas_alone_build_the_items() -> None:
    # Without the *.done events the deltas must build the same message.
    events = [
        json.loads(e.data)
        for e in parse_sse(fixture("openai-responses__reasoning-tool.sse"))
        if not e.event.endswith((".done",))
    ]
    whole = assemble(fixture("openai-responses__reasoning-tool.sse"), "openai-responses")
    partial = assemble(events, "openai-responses")
    assert [p.type for p in partial.parts] == ["reasoning", "text", "tool_call"]
    text, whole_text = partial.parts[1], whole.parts[1]
    assert isinstance(text, TextPart)
    assert isinstance(whole_text, TextPart)
    assert text.text == whole_text.text  # (the item status stays in_progress without .done)
    call = partial.parts[2]
    assert isinstance(call, ToolCallPart)
    assert call.arguments == {"location": "Paris, France"}


def test_anthropic_thinking_signature_text_and_tool_input() -> None:
    m = assemble(fixture("anthropic__thinking-tool.sse"), "anthropic")
    thinking, text, call = m.parts
    assert isinstance(thinking, ReasoningPart)
    assert thinking.text == "The user asks about Paris. I'll use the weather tool."
    assert thinking.signature == "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"
    assert thinking.valid_for is not None
    assert thinking.valid_for.provider == "anthropic"
    assert isinstance(text, TextPart)
    assert text.text == "Okay, let's check the weather for Paris:"
    assert isinstance(call, ToolCallPart)
    assert call.arguments == {"location": "Paris, France", "unit": "celsius"}
    meta = m.extensions["stream"]["form"]
    assert meta["stop_reason"] == "tool_use"
    assert meta["usage"] == {"input_tokens": 472, "output_tokens": 89}


def test_gemini_thought_signatures_stay_on_their_parts() -> None:
    m = assemble(fixture("gemini__thought-signatures.sse"), "gemini")
    thought, call, text = m.parts
    assert isinstance(thought, ReasoningPart)
    assert thought.text == (
        "**Planning the answer**\n\nThe user wants the weather; I will call get_weather."
    )
    assert thought.valid_for is not None
    assert thought.valid_for.provider == "google"
    assert isinstance(call, ToolCallPart)
    assert call.name == "get_weather"
    assert call.extensions["gemini"]["extra"] == {
        "thoughtSignature": "CiQB0e2Kb7Hh5c6yRz3vYl1nQW7ox0xY2eA"
    }
    # Gemini sent no id: the converter's id for part 1 of the (only) model turn.
    assert call.id == "gemini_0_1"
    assert call.extensions["gemini"]["form"] == {"id": "absent"}
    assert isinstance(text, TextPart)
    # The signature arrived on a closing empty text part: it stays on the text it closes.
    assert text.text == "Checking Paris now."
    assert text.extensions["gemini"]["extra"] == {
        "thoughtSignature": "EuUDCuIDAdHtim9xBnPq0e8tOa1w"
    }
    assert m.extensions["stream"]["form"]["stop_reason"] == "STOP"


# The reply the stream above adds up to, as a non-streamed generateContent returns it.
GEMINI_FINAL = {
    "role": "model",
    "parts": [
        {"text": "**Planning the answer**\n\nThe user wants the weather; I will call get_weather.",
         "thought": True},
        {"functionCall": {"name": "get_weather", "args": {"location": "Paris"}},
         "thoughtSignature": "CiQB0e2Kb7Hh5c6yRz3vYl1nQW7ox0xY2eA"},
        {"text": "Checking Paris now.", "thoughtSignature": "EuUDCuIDAdHtim9xBnPq0e8tOa1w"},
    ],
}  # fmt: skip


def test_gemini_stream_equals_the_same_reply_read_from_a_body() -> None:
    doc, report = decode({"contents": [GEMINI_FINAL]}, "gemini")
    assert [e.rule for e in report.entries] == ["gemini/synthesized-id"]
    m = assemble(fixture("gemini__thought-signatures.sse"), "gemini")
    assert m.parts == doc.messages[-1].parts
    # ... and it goes back to Gemini as it came: signatures on their parts, no made-up id.
    history = Document(messages=(Message(role="user", parts=(TextPart(text="Weather?"),)), m))
    body, _ = encode(history, "gemini")
    assert body["contents"][1] == GEMINI_FINAL


def test_gemini_empty_fragments_leave_no_parts_and_ids_follow_the_rebuilt_content() -> None:
    def chunk(*parts: dict[str, Any], finish: bool = False) -> dict[str, Any]:
        cand: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}}
        return {"candidates": [{**cand, "finishReason": "STOP"} if finish else cand]}

    call = {"functionCall": {"name": "f", "args": {}}}
    stream = sse(
        chunk({"text": ""}),
        chunk({"text": "Calling"}, {"text": ""}, {"text": " f."}),
        chunk(call, {"text": ""}),
        chunk(call, {"functionCall": {"id": "gemini_0_2", "name": "g"}}),
        chunk(finish=True),
    )
    m = assemble(stream, "gemini")
    doc, _ = decode({"contents": [{"role": "model", "parts": [
        {"text": "Calling f."}, call, call, {"functionCall": {"id": "gemini_0_2", "name": "g"}},
    ]}]}, "gemini")  # fmt: skip
    assert m.parts == doc.messages[0].parts
    # A given id is never reused: the third call's synthesized id steps aside.
    assert [getattr(p, "id", None) for p in m.parts] == [
        None, "gemini_0_1", "gemini_0_2_1", "gemini_0_2"]  # fmt: skip


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_parsed_payloads_and_crlf_give_the_same_message(path: Path) -> None:
    raw = path.read_bytes()
    whole = assemble(raw, fmt(path))
    crlf = assemble(raw.replace(b"\n", b"\r\n"), fmt(path))
    payloads = [json.loads(e.data) for e in parse_sse(raw) if e.data != "[DONE]"]
    assert dumped(crlf) == dumped(whole)
    assert dumped(assemble(payloads, fmt(path))) == dumped(whole)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(FIXTURES), st.lists(st.integers(0, 10_000), max_size=12))
def test_chunks_split_anywhere_give_the_same_message(path: Path, cuts: list[int]) -> None:
    raw = path.read_bytes()
    points = sorted({c % (len(raw) + 1) for c in cuts})
    chunks = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]
    assert dumped(assemble(iter(chunks), fmt(path))) == dumped(assemble(raw, fmt(path)))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_a_stream_cut_short_is_an_error(path: Path) -> None:
    raw = path.read_bytes()
    events = raw.split(b"\n\n")
    cut = b"\n\n".join(events[: len(events) // 2]) + b"\n\n"
    with pytest.raises(InvalidInputError, match=r"cut short|never stopped"):
        assemble(cut, fmt(path))


def sse(*payloads: dict[str, Any] | str) -> str:
    return "".join(f"data: {p if isinstance(p, str) else json.dumps(p)}\n\n" for p in payloads)


START = {"type": "message_start", "message": {"id": "m", "model": "claude-sonnet-4-5", "usage": {}}}


@pytest.mark.parametrize(
    ("stream", "format", "pointer", "problem"),
    [
        (sse("{not json"), "openai-chat", "/events/0", "not JSON"),
        (sse("[1]"), "anthropic", "/events/0", "not a JSON object"),
        (sse({"type": "content_block_start", "index": 0, "content_block": {"type": "text"}}),
         "anthropic", "/events/0/type", "before message_start"),
        (sse(START, {"type": "content_block_delta", "index": 0,
                     "delta": {"type": "text_delta", "text": "x"}}),
         "anthropic", "/events/1/index", "not open"),
        (sse(START, {"type": "content_block_start", "index": 0,
                     "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}}},
             {"type": "content_block_delta", "index": 0,
              "delta": {"type": "input_json_delta", "partial_json": "{\"a\":"}},
             {"type": "content_block_stop", "index": 0}),
         "anthropic", "/events/3", "not valid JSON"),
        (sse(START, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
         "anthropic", "/events/1/error", "overloaded_error: Overloaded"),
        (sse({"choices": [{"index": 1, "delta": {"content": "x"}}]}),
         "openai-chat", "/events/0/choices/0/index", "several choices"),
        (sse({"choices": [{"index": 0, "delta": {"content": 5}}]}),
         "openai-chat", "/events/0/choices/0/delta/content", "expected a string"),
        (sse({"type": "response.output_text.delta", "output_index": 0, "delta": "x"}),
         "openai-responses", "/events/0/output_index", "before response.output_item.added"),
        (sse({"type": "response.failed", "response": {"error": {"code": "server_error"}}}),
         "openai-responses", "/events/0/response/error", "failed"),
        (sse({"promptFeedback": {"blockReason": "SAFETY"}}),
         "gemini", "/events/0/promptFeedback", "blocked: SAFETY"),
        (sse({"candidates": [{"content": {"parts": [{"text": "Hi"}]}}]},
             {"candidates": [{"content": {"parts": [{"functionCall": {"args": {}}}]},
                              "finishReason": "STOP"}]}),
         "gemini", "/events/1/candidates/0/content/parts/0/functionCall/name",
         "missing required field"),
        (sse({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {
            "arguments": "{}"}}]}, "finish_reason": "tool_calls"}]}),
         "openai-chat", "", "never received its id"),
        (b"data: \xff\xfe\n\n", "openai-chat", "", "not UTF-8"),
        ("data: " + "[" * 50_000 + "]" * 50_000 + "\n\n", "openai-chat", "/events/0",
         "nested more than 128 levels"),
        ('data: {"choices": [{"index": 0, "delta": {"content": "\\ud800"}}]}\n\n',
         "openai-chat", "/events/0/choices/0/delta/content", "lone surrogate"),
        ('data: {"usage": {"prompt_tokens": NaN}}\n\n', "openai-chat",
         "/events/0/usage/prompt_tokens", "NaN is not a JSON number"),
        (sse(START, {"type": "content_block_start", "index": 0,
                     "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}}},
             {"type": "content_block_delta", "index": 0,
              "delta": {"type": "input_json_delta", "partial_json": "[" * 5000 + "]" * 5000}},
             {"type": "content_block_stop", "index": 0}),
         "anthropic", "/events/3", "nested more than 128 levels"),
        (sse(START, {"type": "content_block_start", "index": 0,
                     "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}}},
             {"type": "content_block_delta", "index": 0,
              "delta": {"type": "input_json_delta", "partial_json": '{"a": Infinity}'}},
             {"type": "content_block_stop", "index": 0}),
         "anthropic", "/events/3", "at /a: Infinity is not a JSON number"),
    ],
)  # fmt: skip
def test_malformed_streams_name_the_event(
    stream: str | bytes, format: str, pointer: str, problem: str
) -> None:
    with pytest.raises(InvalidInputError) as info:
        assemble(stream, format)
    assert info.value.pointer == pointer
    assert problem in info.value.problem


def test_unknown_format_lists_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match="openai-responses") as info:
        assemble("", "a2a")
    assert {"bedrock-converse", "cohere", "ollama"} <= set(info.value.known)


def test_sse_parser_follows_the_event_stream_rules() -> None:
    p = SSEParser()
    text = "\ufeff: keep-alive\nid: 7\nretry: 1500\nevent: update\ndata: a\ndata:b\n\ndata: c\r\r"
    events = [e for ch in text for e in p.feed(ch.encode())] + p.close()
    assert events == [SSEEvent("update", "a\nb", "7", 1500), SSEEvent("message", "c", "7", 1500)]
    assert SSEParser().feed("event: only\n\n") == []  # no data: nothing dispatched
    assert SSEParser().feed("data\n\n") == [SSEEvent("message", "")]


def test_sse_parser_refuses_streams_over_the_limit() -> None:
    with pytest.raises(InvalidInputError, match="over the limit"):
        SSEParser(max_bytes=10).feed(b"data: 0123456789\n\n")


_FIELD = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["", "ping", "update"]), st.lists(_FIELD, min_size=1, max_size=3)),
             max_size=5),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.lists(st.integers(0, 500), max_size=8),
)  # fmt: skip
def test_sse_events_survive_any_line_ending_and_any_split(
    events: list[tuple[str, list[str]]], eol: str, cuts: list[int]
) -> None:
    text = "".join(
        (f"event: {name}{eol}" if name else "") + "".join(f"data: {d}{eol}" for d in data) + eol
        for name, data in events
    )
    raw = text.encode()
    points = sorted({c % (len(raw) + 1) for c in cuts})
    parser = SSEParser()
    got: list[SSEEvent] = []
    for a, b in zip([0, *points], [*points, len(raw)], strict=True):
        got += parser.feed(raw[a:b])
    got += parser.close()
    assert [(e.event, e.data) for e in got] == [
        (name or "message", "\n".join(data)) for name, data in events
    ]


def test_parsed_payloads_are_checked_like_raw_ones() -> None:
    payloads = [{"choices": [{"index": 0, "delta": {"content": "hi", "x": float("nan")}}]}]
    with pytest.raises(InvalidInputError, match="NaN") as info:
        assemble(payloads, "openai-chat")
    assert info.value.pointer == "/events/0/choices/0/delta/x"


# -- payload values of the wrong type (issue 11: found by tests/fuzz) --------------------

_ANTHROPIC_START = [
    {"type": "message_start", "message": {"id": "m", "model": "claude-sonnet-4-5", "content": []}},
]


@pytest.mark.parametrize(
    ("fmt", "payloads", "pointer"),
    [
        (
            "anthropic",
            [
                *_ANTHROPIC_START,
                {"type": "content_block_start", "index": 0, "content_block": {"type": "text"}},
                {"type": "content_block_delta", "index": 0, "delta": {"type": ["text_delta"]}},
            ],
            "/events/2/delta/type",
        ),
        (
            "anthropic",
            [
                *_ANTHROPIC_START,
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": 1.5},
                },
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": "a"},
                },
            ],
            "/events/2/delta/text",
        ),
        (
            "openai-responses",
            [
                {"type": "response.created", "response": {"model": "o4-mini", "output": []}},
                {
                    "type": "response.output_item.added",
                    "output_index": 0,
                    "item": {"type": "message", "content": {}},
                },
                {
                    "type": "response.output_text.delta",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": "a",
                },
            ],
            "/events/2/content_index",
        ),
        (
            "openai-responses",
            [
                {"type": "response.created", "response": {"model": "o4-mini", "output": []}},
                {
                    "type": "response.output_item.added",
                    "output_index": 0,
                    "item": {"type": "message"},
                },
                {
                    "type": "response.output_text.delta",
                    "output_index": 0,
                    "content_index": 10**9,
                    "delta": "a",
                },
            ],
            "/events/2/content_index",
        ),
        (
            "gemini",
            [
                {
                    "candidates": [{"content": {"role": "model", "parts": [{"text": "a"}]}}],
                    "modelVersion": ["x"],
                }
            ],
            "/events/0/modelVersion",
        ),
    ],
)
def test_payload_values_of_the_wrong_type_are_errors_naming_the_event(
    fmt: str, payloads: list[dict[str, Any]], pointer: str
) -> None:
    with pytest.raises(InvalidInputError) as info:
        assemble(payloads, fmt)
    assert info.value.pointer == pointer


def test_a_long_line_fed_in_small_pieces_costs_its_length_once() -> None:
    # Rescanning the whole pending line on every piece made /dev/zero through
    # `aif stream translate` quadratic (13 minutes for the CLI's 256 MiB limit).
    import time

    def cost(pieces: int) -> float:
        best = float("inf")
        for _ in range(3):
            parser = SSEParser()
            began = time.process_time()
            for _ in range(pieces):
                parser.feed(b"data: " + b"x" * 58)
            parser.feed(b"\n\n")
            best = min(best, time.process_time() - began)
        return best

    assert cost(16_000) < 8 * cost(4_000)  # linear: about 4; quadratic: 16
