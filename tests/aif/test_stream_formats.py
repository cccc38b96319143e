"""The Cohere, Ollama and Bedrock stream codecs: each recorded stream assembled to what the
format's response converter reads from the same reply sent whole, and their framings (NDJSON
lines, the binary AWS event stream) read split anywhere and refused when corrupt.

The whole reply each stream is compared with is rebuilt here from the raw payloads (Bedrock's
as botocore parses them), not through aifkit's decoders."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.aif import (
    Message,
    PartDelta,
    PartEnd,
    PartStart,
    ReasoningPart,
    ReasoningScope,
    RefusalPart,
    ResponseEnd,
    ResponseStart,
    StreamError,
    TextPart,
    ToolCallPart,
    assemble,
    decode_response,
    encode_stream,
    translate_stream,
)
from aifkit.aif._framing import EventStreamParser, NDJSONParser, event_message
from aifkit.aif._stream import parse_sse
from aifkit.errors import InvalidInputError

from .test_sse_translate import botocore_events, decoded, sdk_validator

STREAMS = Path(__file__).parents[1] / "fixtures" / "streams"
NEW = sorted(
    p
    for p in STREAMS.iterdir()
    if p.name.split("__")[0] in ("cohere", "ollama", "bedrock-converse")
)


def fmt(path: Path) -> str:
    return path.name.split("__")[0]


# --- the whole reply, rebuilt from the raw payloads ------------------------------------------


def cohere_body(raw: bytes) -> dict[str, Any]:
    plan, texts, calls, end, rid, citations = "", [], {}, {}, None, []
    for e in parse_sse(raw):
        if e.data == "[DONE]":
            continue
        p = json.loads(e.data)
        message = p.get("delta", {}).get("message", {})
        if p["type"] == "message-start":
            rid = p["id"]
        elif p["type"] == "tool-plan-delta":
            plan += message["tool_plan"]
        elif p["type"] == "content-delta":
            texts.append(message["content"]["text"])
        elif p["type"] == "tool-call-start":
            calls[p["index"]] = dict(message["tool_calls"])
            calls[p["index"]]["function"] = dict(message["tool_calls"]["function"])
        elif p["type"] == "tool-call-delta":
            calls[p["index"]]["function"]["arguments"] += message["tool_calls"]["function"][
                "arguments"
            ]
        elif p["type"] == "citation-start":
            citations.append(message["citations"])
        elif p["type"] == "message-end":
            end = p["delta"]
    wire: dict[str, Any] = {"role": "assistant"}
    if plan:
        wire["tool_plan"] = plan
    if texts:
        wire["content"] = [{"type": "text", "text": "".join(texts)}]
    if calls:
        wire["tool_calls"] = [calls[i] for i in sorted(calls)]
    if citations:
        wire["citations"] = citations
    return {
        "id": rid,
        "finish_reason": end["finish_reason"],
        "message": wire,
        "usage": end["usage"],
    }


def ollama_body(raw: bytes) -> dict[str, Any]:
    lines = [json.loads(line) for line in raw.splitlines() if line.strip()]
    content = "".join(x.get("message", {}).get("content", "") for x in lines)
    thinking = "".join(x.get("message", {}).get("thinking", "") for x in lines)
    calls = [c for x in lines for c in x.get("message", {}).get("tool_calls", [])]
    wire: dict[str, Any] = {"role": "assistant", "content": content}
    if thinking:
        wire["thinking"] = thinking
    if calls:
        wire["tool_calls"] = calls
    last = lines[-1]
    body = {k: v for k, v in last.items() if k != "message"}
    return {**body, "message": wire}


def bedrock_body(raw: bytes) -> dict[str, Any]:
    blocks: dict[int, dict[str, Any]] = {}
    body: dict[str, Any] = {}
    for event in botocore_events(raw):
        ((name, data),) = [(k, v) for k, v in event.items() if k != "ResponseMetadata"] or [
            ("", {})
        ]
        if name == "contentBlockStart":
            tool = data["start"]["toolUse"]
            blocks[data["contentBlockIndex"]] = {"toolUse": {**tool, "input": ""}}
        elif name == "contentBlockDelta":
            delta, block = data["delta"], blocks.setdefault(data["contentBlockIndex"], {})
            if "text" in delta:
                block["text"] = block.get("text", "") + delta["text"]
            elif "toolUse" in delta:
                block["toolUse"]["input"] += delta["toolUse"]["input"]
            elif "redactedContent" in delta["reasoningContent"]:  # a blob: botocore decoded it
                data = base64.b64encode(delta["reasoningContent"]["redactedContent"]).decode()
                block["reasoningContent"] = {"redactedContent": data}
            else:
                r = block.setdefault("reasoningContent", {"reasoningText": {"text": ""}})
                r["reasoningText"]["text"] += delta["reasoningContent"].get("text", "")
                if "signature" in delta["reasoningContent"]:
                    r["reasoningText"]["signature"] = delta["reasoningContent"]["signature"]
        elif name == "messageStop":
            body["stopReason"] = data["stopReason"]
        elif name == "metadata":
            body["usage"] = data["usage"]
    for block in blocks.values():
        if "toolUse" in block:
            block["toolUse"]["input"] = json.loads(block["toolUse"]["input"])
    content = [blocks[i] for i in sorted(blocks)]
    return {"output": {"message": {"role": "assistant", "content": content}}, **body}


WHOLE = {"cohere": cohere_body, "ollama": ollama_body, "bedrock-converse": bedrock_body}


def parts(message: Message) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for p in message.parts:
        if isinstance(p, TextPart | RefusalPart):
            out.append((p.type, p.text))
        elif isinstance(p, ToolCallPart):
            out.append((p.type, p.id, p.name, p.arguments))
        elif isinstance(p, ReasoningPart):
            scope = p.valid_for.model_dump() if p.valid_for else None
            out.append((p.type, p.text, p.signature, p.redacted, scope))
    return out


@pytest.mark.parametrize("path", NEW, ids=[p.stem for p in NEW])
def test_a_stream_assembles_to_what_the_response_converter_reads_whole(path: Path) -> None:
    raw = path.read_bytes()
    source = fmt(path)
    response, _ = decode_response(WHOLE[source](raw), source)
    streamed = assemble(raw, source)
    assert parts(streamed) == parts(response.message)
    # What the format's converter keeps as its own data (Cohere's citations) comes along.
    whole_extra = response.message.extensions.get(source, {}).get("extra")
    assert streamed.extensions.get(source, {}).get("extra") == whole_extra
    end = decoded(raw, source)[-1]
    assert isinstance(end, ResponseEnd)
    assert (end.finish_reason, end.raw_finish_reason) == (
        response.finish_reason,
        response.raw_finish_reason,
    )
    assert end.usage is not None
    assert response.usage is not None
    assert end.usage.model_dump(exclude={"extensions"}) == response.usage.model_dump(
        exclude={"extensions"}
    )
    assert streamed.provenance is not None
    assert streamed.provenance.format == source


def test_bedrock_signatures_are_scoped_to_bedrock() -> None:
    raw = (STREAMS / "bedrock-converse__pydantic-ai-claude-thinking.eventstream").read_bytes()
    reasoning = assemble(raw, "bedrock-converse").parts[0]
    assert isinstance(reasoning, ReasoningPart)
    assert reasoning.signature is not None
    assert reasoning.signature.startswith("Eu0CCkgIBxAB")
    assert reasoning.valid_for is not None
    assert reasoning.valid_for.provider == "bedrock-converse"


# Claude's redacted_thinking data as Anthropic recorded it (tests/fixtures/responses/anthropic/
# redacted-thinking.json); through Bedrock it is a ``redactedContent`` blob, base64 on the wire.
REDACTED = json.loads(
    (STREAMS.parent / "responses" / "anthropic" / "redacted-thinking.json").read_text("utf-8")
)["body"]["content"][0]["data"]


def redacted_stream() -> bytes:
    """A ConverseStream with a redacted reasoning block, then text: the framing and the
    messages around it as the recorded Claude stream has them."""
    events: list[tuple[str, dict[str, Any]]] = [
        ("messageStart", {"role": "assistant"}),
        (
            "contentBlockDelta",
            {"contentBlockIndex": 0, "delta": {"reasoningContent": {"redactedContent": REDACTED}}},
        ),
        ("contentBlockStop", {"contentBlockIndex": 0}),
        ("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"text": "I can't share that."}}),
        ("contentBlockStop", {"contentBlockIndex": 1}),
        ("messageStop", {"stopReason": "end_turn"}),
        (
            "metadata",
            {
                "usage": {"inputTokens": 92, "outputTokens": 196, "totalTokens": 288},
                "metrics": {"latencyMs": 2960},
            },
        ),
    ]
    return b"".join(event_message(name, json.dumps(p).encode()) for name, p in events)


def test_bedrock_redacted_reasoning_streams_as_the_response_converter_reads_it_whole() -> None:
    raw = redacted_stream()
    sdk = botocore_events(raw)  # botocore reads the blob: the bytes the base64 names
    blob = sdk[1]["contentBlockDelta"]["delta"]["reasoningContent"]["redactedContent"]
    assert blob == base64.b64decode(REDACTED)
    response, _ = decode_response(bedrock_body(raw), "bedrock-converse")
    streamed = assemble(raw, "bedrock-converse")
    assert parts(streamed) == parts(response.message)
    reasoning = streamed.parts[0]
    assert isinstance(reasoning, ReasoningPart)
    assert (reasoning.text, reasoning.signature, reasoning.redacted) == (None, None, REDACTED)
    # boto3's events carry the blob decoded: read back to the same base64.
    events = [{k: v for k, v in e.items() if k != "ResponseMetadata"} for e in sdk]
    assert parts(assemble(events, "bedrock-converse")) == parts(streamed)
    # Written back to Bedrock it is the same delta; to another provider it is not theirs.
    again = b"".join(translate_stream(raw, source="bedrock-converse", target="bedrock-converse"))
    assert parts(assemble(again, "bedrock-converse")) == parts(streamed)
    for target in ("anthropic", "openai-responses", "gemini", "cohere"):
        out = b"".join(translate_stream(raw, source="bedrock-converse", target=target))
        assert REDACTED[:40].encode() not in out


def test_bedrock_reasoning_deltas_hold_one_member_each() -> None:
    # ReasoningContentBlockDelta is a union: text, signature and redactedContent apart.
    scope = ReasoningScope(provider="bedrock-converse")
    encoder = encode_stream("bedrock-converse")
    events = [ResponseStart(), PartStart(0, "reasoning"),
              PartDelta(0, "Hm", signature="c2ln", valid_for=scope, redacted="cmVk"),
              PartEnd(0), ResponseEnd("stop", "end_turn")]  # fmt: skip
    out = b"".join(encoder.encode(e) for e in events)
    deltas = [
        e["contentBlockDelta"]["delta"]["reasoningContent"]
        for e in botocore_events(out)
        if "contentBlockDelta" in e
    ]
    assert deltas == [{"text": "Hm"}, {"signature": "c2ln"}, {"redactedContent": b"red"}]


def test_boto3_events_assemble_as_the_raw_stream_does() -> None:
    # What boto3's converse_stream() yields: {"contentBlockDelta": {...}} dicts.
    raw = (STREAMS / "bedrock-converse__pydantic-ai-nova-tool.eventstream").read_bytes()
    events = [{k: v for k, v in e.items() if k != "ResponseMetadata"} for e in botocore_events(raw)]
    assert parts(assemble(events, "bedrock-converse")) == parts(assemble(raw, "bedrock-converse"))


# --- the AWS event stream framing --------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([p for p in NEW if p.suffix == ".eventstream"]), st.lists(st.integers(0, 10_000), max_size=12))  # fmt: skip
def test_an_event_stream_split_anywhere_gives_the_same_events(path: Path, cuts: list[int]) -> None:
    raw = path.read_bytes()
    points = sorted({c % (len(raw) + 1) for c in cuts})
    parser = EventStreamParser()
    events = [e for a, b in zip([0, *points], [*points, len(raw)], strict=True) for e in parser.feed(raw[a:b])]  # fmt: skip
    whole = EventStreamParser()
    assert events + parser.close() == whole.feed(raw) + whole.close()
    assert [e.event for e in events] == [next(iter(x)) for x in botocore_events(raw)]


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda m: m[:-1] + bytes([m[-1] ^ 1]), "message CRC does not match"),
        (lambda m: m[:9] + bytes([m[9] ^ 1]) + m[10:], "prelude CRC does not match"),
        (lambda m: m[:30] + bytes([m[30] ^ 1]) + m[31:], "message CRC does not match"),
    ],
)
def test_a_corrupt_event_stream_message_is_refused(damage: Any, problem: str) -> None:
    message = event_message("contentBlockDelta", b'{"contentBlockIndex":0,"delta":{"text":"hi"}}')
    with pytest.raises(InvalidInputError, match=problem):
        EventStreamParser().feed(damage(message))


def test_an_event_stream_cut_inside_a_message_is_refused() -> None:
    message = event_message("messageStart", b'{"role":"assistant"}')
    parser = EventStreamParser()
    assert parser.feed(message + message[:20]) != []
    with pytest.raises(InvalidInputError, match="ends inside a message"):
        parser.close()
    with pytest.raises(InvalidInputError, match="binary"):
        EventStreamParser().feed("text")


def test_a_bedrock_exception_is_the_providers_error_both_ways() -> None:
    from botocore.exceptions import EventStreamError

    raw = event_message("messageStart", b'{"role":"assistant"}') + event_message(
        "throttlingException", b'{"message":"Too many tokens"}', exception=True
    )
    events = decoded(raw, "bedrock-converse")
    assert events[-1] == StreamError("throttlingException", "Too many tokens")
    out = b"".join(encode_stream("bedrock-converse").encode(e) for e in events)
    with pytest.raises(EventStreamError, match=r"throttlingException.*Too many tokens"):
        botocore_events(out)


# --- Ollama's lines and Cohere's events --------------------------------------------------------


def test_ndjson_lines_split_anywhere_with_blank_lines_and_crlf() -> None:
    raw = (STREAMS / "ollama__docs-chat.ndjson").read_bytes().replace(b"\n", b"\r\n\r\n")
    parser = NDJSONParser()
    events = [e for i in range(len(raw)) for e in parser.feed(raw[i : i + 1])] + parser.close()
    assert [json.loads(e.data)["done"] for e in events] == [False, True]


def test_ollama_thinking_then_text_then_an_error_line() -> None:
    lines = [
        {
            "model": "qwen3",
            "message": {"role": "assistant", "content": "", "thinking": "Hm"},
            "done": False,
        },
        {"model": "qwen3", "message": {"role": "assistant", "content": "Hi"}, "done": False},
        {"error": "model runner has unexpectedly stopped"},
    ]
    events = decoded(b"".join(json.dumps(x).encode() + b"\n" for x in lines), "ollama")
    assert [e.type for e in events] == [
        "response_start", "part_start", "part_delta", "part_end", "part_start", "part_delta",
        "part_end", "stream_error",
    ]  # fmt: skip
    assert isinstance(events[1], PartStart)
    assert events[1].kind == "reasoning"
    assert events[-1] == StreamError("error", "model runner has unexpectedly stopped")


def test_ollama_tool_calls_take_the_ids_the_converter_gives_them() -> None:
    raw = (STREAMS / "ollama__docs-tool-call.ndjson").read_bytes()
    call = assemble(raw, "ollama").parts[0]
    assert isinstance(call, ToolCallPart)
    assert call.id == "call_1_0"
    end = decoded(raw, "ollama")[-1]
    assert isinstance(end, ResponseEnd)
    assert (end.finish_reason, end.raw_finish_reason) == ("tool_calls", "stop")


def test_cohere_message_end_with_an_error_is_a_stream_error() -> None:
    raw = (
        b'event: message-start\ndata: {"id":"r","type":"message-start","delta":{"message":{"role":"assistant"}}}\n\n'
        b'event: message-end\ndata: {"type":"message-end","delta":{"finish_reason":"ERROR","error":"internal"}}\n\n'
    )
    assert decoded(raw, "cohere")[-1] == StreamError("ERROR", "internal")
    with pytest.raises(InvalidInputError, match="internal"):
        assemble(raw, "cohere")


CITED = [STREAMS / "cohere__docs-rag-citations.sse", STREAMS / "cohere__vercel-ai-citations.sse"]


@pytest.mark.parametrize("path", CITED, ids=[p.stem for p in CITED])
def test_cohere_citations_stream_both_ways(path: Path) -> None:
    raw = path.read_bytes()
    sent = [json.loads(e.data)["delta"]["message"]["citations"] for e in parse_sse(raw) if e.event == "citation-start"]  # fmt: skip
    assert sent
    end = decoded(raw, "cohere")[-1]
    assert isinstance(end, ResponseEnd)
    assert end.extensions == {"cohere": {"extra": {"citations": sent}}}
    # Written back, each citation is a citation-start/-end pair the SDK parses, numbered
    # from 0, before message-end; the reply reads the same.
    again = b"".join(translate_stream(raw, source="cohere", target="cohere"))
    events = [json.loads(e.data) for e in parse_sse(again)]
    pairs = [(e["type"], e["index"]) for e in events if e["type"].startswith("citation-")]
    assert pairs == [(f"citation-{k}", i) for i in range(len(sent)) for k in ("start", "end")]
    assert events[-1]["type"] == "message-end"
    sdk = sdk_validator("cohere")
    cited = [sdk(e).delta.message.citations for e in events if e["type"] == "citation-start"]  # type: ignore[attr-defined]
    assert [c.model_dump(exclude_none=True) for c in cited] == sent
    assert assemble(again, "cohere").extensions["cohere"] == assemble(raw, "cohere").extensions["cohere"]  # fmt: skip
    # Other formats have no place for them (a response to them reports them dropped).
    for target in ("anthropic", "openai-chat", "gemini", "bedrock-converse", "ollama"):
        out = b"".join(translate_stream(raw, source="cohere", target=target))
        assert sent[0]["sources"][0]["id"].encode() not in out


def test_only_cohere_citations_are_written_as_citations() -> None:
    citation = {"start": 0, "end": 2, "text": "Hi", "sources": []}
    for extensions in ({"anthropic": {"extra": {"citations": [citation]}}}, {"cohere": {}}, None):
        encoder = encode_stream("cohere")
        out = b"".join(encoder.encode(e) for e in [ResponseStart(), ResponseEnd("stop", None, None, extensions)])  # fmt: skip
        assert b"citation-start" not in out


def test_cohere_encoder_numbers_content_and_tool_calls_apart() -> None:
    encoder = encode_stream("cohere")
    events = [
        ResponseStart(id="r"),
        PartStart(0, "text"),
        PartDelta(0, "Checking."),
        PartEnd(0),
        PartStart(1, "tool_call", id="c1", name="f"),
        PartDelta(1, "{}"),
        PartEnd(1),
        ResponseEnd("tool_calls", None),
    ]
    frames = [json.loads(e.data) for e in parse_sse(b"".join(encoder.encode(e) for e in events))]
    assert [(f["type"], f.get("index")) for f in frames] == [
        ("message-start", None), ("content-start", 0), ("content-delta", 0), ("content-end", 0),
        ("tool-call-start", 0), ("tool-call-delta", 0), ("tool-call-end", 0), ("message-end", None),
    ]  # fmt: skip
    assert frames[-1]["delta"]["finish_reason"] == "TOOL_CALL"


def test_mistral_chunks_are_read_by_the_openai_chat_codec() -> None:
    # Mistral streams chat.completion.chunk objects (the shape its API reference shows): a
    # tool call whole in one chunk, without "type", and the usage on the finish chunk. The
    # gateway reads a mistral upstream with the openai-chat codec.
    from aifkit.gateway._wire import stream_codec

    chunks = [
        {"id": "a1b2", "object": "chat.completion.chunk", "created": 1727000000, "model": "mistral-large-latest",
         "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]},
        {"id": "a1b2", "object": "chat.completion.chunk", "created": 1727000000, "model": "mistral-large-latest",
         "choices": [{"index": 0, "delta": {"tool_calls": [{"id": "D681PevKs", "index": 0,
                      "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
                      "finish_reason": "tool_calls"}],
         "usage": {"prompt_tokens": 82, "total_tokens": 102, "completion_tokens": 20}},
    ]  # fmt: skip
    raw = (
        b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"
    )
    assert stream_codec("mistral") == "openai-chat"
    call = assemble(raw, "openai-chat").parts[0]
    assert isinstance(call, ToolCallPart)
    assert (call.id, call.name, call.arguments) == ("D681PevKs", "get_weather", {"city": "Paris"})
    end = decoded(raw, "openai-chat")[-1]
    assert isinstance(end, ResponseEnd)
    assert end.finish_reason == "tool_calls"
    assert end.usage is not None
    assert (end.usage.input_tokens, end.usage.output_tokens) == (82, 20)


@pytest.mark.parametrize("content", [5, "text", [1]])
def test_a_cohere_content_that_is_not_an_object_is_refused(content: Any) -> None:
    payload = {"type": "content-start", "index": 0, "delta": {"message": {"content": content}}}
    with pytest.raises(InvalidInputError) as info:
        decoded(b"data: " + json.dumps(payload).encode() + b"\n\n", "cohere")
    assert info.value.pointer == "/events/0/delta/message/content"
