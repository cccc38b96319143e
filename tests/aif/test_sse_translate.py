"""Stream translation: every recorded stream translated to every format, assembled by the
existing assemblers to the same reply, each frame valid for the official SDK types, exact
in the same format, and incremental (split anywhere, nothing but tool calls held back).

Formats stream in three framings: SSE, NDJSON lines (Ollama) and the binary AWS event
stream (Bedrock); the helpers below read and cut each as its decoder does."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.aif import (
    STREAM_FORMATS,
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
    StreamEvent,
    TextPart,
    ToolCallPart,
    UsageUpdate,
    assemble,
    atranslate_stream,
    decode,
    decode_response,
    decode_stream,
    encode_stream,
    translate_stream,
)
from aifkit.aif._framing import EventStreamParser, FrameParser, NDJSONParser, event_message
from aifkit.aif._response import Usage
from aifkit.aif._sse_codec import PayloadDecoder
from aifkit.aif._stream import SSEParser
from aifkit.aif._stream_events import assemble_events
from aifkit.errors import InvalidInputError, UnknownNameError, UsageError

STREAMS = Path(__file__).parents[1] / "fixtures" / "streams"
FIXTURES = sorted(p for p in STREAMS.iterdir() if "__" in p.name)
FORMATS = [
    "anthropic",
    "bedrock-converse",
    "cohere",
    "gemini",
    "ollama",
    "openai-chat",
    "openai-responses",
]
REASONING = set(FORMATS) - {"openai-chat"}  # targets that carry reasoning text
REFUSALS = {"openai-chat", "openai-responses"}  # targets with a refusal part
NO_IDS = {"gemini", "ollama"}  # formats whose calls may come without ids (made up on reading)
HOLD_CALLS = {"gemini", "ollama"}  # targets that send a tool call whole
FRAMING: dict[str, type[FrameParser]] = {
    "ollama": NDJSONParser,
    "bedrock-converse": EventStreamParser,
}


def fmt(path: Path) -> str:
    return path.name.split("__")[0]


def translate(raw: bytes, source: str, target: str) -> bytes:
    return b"".join(translate_stream(raw, source=source, target=target))


def payloads(raw: bytes, format: str = "openai-chat") -> list[tuple[str, Any]]:
    """The stream's events (name, JSON payload), read in ``format``'s framing."""
    parser = FRAMING.get(format, SSEParser)()
    events = [*parser.feed(raw), *parser.close()]
    return [(e.event, None if e.data == "[DONE]" else json.loads(e.data)) for e in events]


def wire(format: str, texts: list[bytes]) -> bytes:
    """Raw JSON texts framed as ``format`` streams them (Bedrock: named by their ``type``)."""
    if format == "ollama":
        return b"".join(t + b"\n" for t in texts)
    if format == "bedrock-converse":
        out = b""
        for t in texts:
            try:
                name = json.loads(t).get("type", "messageStart")
            except (ValueError, AttributeError, RecursionError):
                name = "messageStart"
            out += event_message(name if isinstance(name, str) else "messageStart", t)
        return out
    return b"".join(b"data: " + t + b"\n\n" for t in texts)


def decoded(raw: bytes, source: str) -> list[StreamEvent]:
    decoder = decode_stream(source)
    return [*decoder.feed(raw), *decoder.close()]


def summary(message: Message, *, reasoning: bool) -> dict[str, Any]:
    """What a translation must keep: text, refusals, calls (id, name, args), reasoning."""
    out: dict[str, Any] = {
        "text": "".join(p.text for p in message.parts if isinstance(p, TextPart)),
        "refusal": "".join(p.text for p in message.parts if isinstance(p, RefusalPart)),
        "calls": [(p.name, p.arguments) for p in message.parts if isinstance(p, ToolCallPart)],
    }
    if reasoning:
        out["reasoning"] = "".join(
            p.text or "" for p in message.parts if isinstance(p, ReasoningPart)
        )
    return out


PAIRS = [(p, t) for p in FIXTURES for t in FORMATS]


@pytest.mark.parametrize(("path", "target"), PAIRS, ids=[f"{p.stem}->{t}" for p, t in PAIRS])
def test_translated_stream_assembles_to_the_same_reply(path: Path, target: str) -> None:
    source = fmt(path)
    raw = path.read_bytes()
    before = assemble(raw, source)
    after = assemble(translate(raw, source, target), target)
    carried = source in REASONING and target in REASONING
    expected = summary(before, reasoning=carried)
    if target not in REFUSALS:  # a refusal is written as text where there is no refusal part
        expected["text"] += expected["refusal"]
        expected["refusal"] = ""
    assert summary(after, reasoning=carried) == expected
    if source not in NO_IDS and target not in NO_IDS:  # made up on each side
        ids = [p.id for p in before.parts if isinstance(p, ToolCallPart)]
        assert [p.id for p in after.parts if isinstance(p, ToolCallPart)] == ids
    if target != "openai-chat":  # chat puts its text before its calls, whatever the order
        # Reasoning with no text (redacted, or a signature alone) is its provider's only.
        def opaque(p: Any) -> bool:
            return isinstance(p, ReasoningPart) and not p.text and target != source

        kinds = [
            p.type
            for p in before.parts
            if (target in REASONING or p.type != "reasoning") and not opaque(p)
        ]
        if target not in REFUSALS:
            kinds = ["text" if k == "refusal" else k for k in kinds]
        assert [
            p.type
            for p in after.parts
            if (source in REASONING or p.type != "reasoning") and not opaque(p)
        ] == kinds


def test_translation_keeps_the_reply_metadata() -> None:
    raw = (STREAMS / "anthropic__thinking-tool.sse").read_bytes()
    chat = assemble(translate(raw, "anthropic", "openai-chat"), "openai-chat")
    form = chat.extensions["stream"]["form"]
    assert form["response_id"] == "msg_01XFDUDYJgAACzvnptvVoYEL"
    assert form["stop_reason"] == "tool_calls"
    assert form["usage"] == {"prompt_tokens": 472, "completion_tokens": 89, "total_tokens": 561}
    assert chat.provenance is not None
    assert chat.provenance.model == "claude-sonnet-4-5"


@pytest.mark.parametrize(
    ("name", "source", "signature"),
    [
        ("anthropic__thinking-tool.sse", "anthropic", "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"),
        ("openai-responses__reasoning-tool.sse", "openai-responses", "gAAAAABoIPOD3YlUZ0CU8ThlSNr4JaJgZFL8ZWpF"),
    ],
)  # fmt: skip
def test_signatures_carry_their_provider_and_go_back_only_to_it(
    name: str, source: str, signature: str
) -> None:
    raw = (STREAMS / name).read_bytes()
    provider = {"anthropic": "anthropic", "openai-responses": "openai"}[source]
    decoder = decode_stream(source)
    signed = [
        e
        for e in [*decoder.feed(raw), *decoder.close()]
        if isinstance(e, PartDelta) and (e.signature or e.redacted)
    ]
    # A Responses reasoning item's encrypted_content is redacted reasoning, as the converters
    # read it; its id is the signature.
    assert [e.redacted or e.signature for e in signed] == [signature]
    assert signed[0].valid_for is not None
    assert signed[0].valid_for.provider == provider
    same = assemble(translate(raw, source, source), source).parts[0]
    assert isinstance(same, ReasoningPart)
    assert signature in (same.signature, same.redacted)  # Responses: as encrypted_content
    assert same.valid_for is not None
    assert same.valid_for.provider == provider
    for target in ("anthropic", "openai-responses", "gemini"):
        if target == source:
            continue
        # The reasoning text goes across; the signature would be rejected there, and the
        # assembled part would claim the target made it.
        out = translate(raw, source, target)
        assert signature.encode() not in out
        thought = assemble(out, target).parts[0]
        assert isinstance(thought, ReasoningPart)
        assert thought.text


def test_responses_reasoning_reads_alike_on_every_path() -> None:
    # OpenAI's docs: a reasoning item is replayed by its id; with store=false its
    # encrypted_content (include=["reasoning.encrypted_content"]) carries the reasoning.
    # The stream codec, the stream assembler, the response and the request converters all
    # read the id as the signature and encrypted_content as redacted reasoning.
    raw = (STREAMS / "openai-responses__reasoning-tool.sse").read_bytes()
    events = [p for _, p in payloads(raw)]
    whole = next(p["response"] for p in events if p["type"] == "response.completed")
    # The recording's response.completed lists no items: the whole reply has each as done.
    whole = whole | {"output": [p["item"] for p in events if p["type"].endswith("item.done")]}
    item = next(i for i in whole["output"] if i["type"] == "reasoning")
    assert item["encrypted_content"]
    response, _ = decode_response(whole, "openai-responses")
    request, _ = decode({"model": whole["model"], "input": [item]}, "openai-responses")
    paths = [
        assemble_events(raw, "openai-responses").parts[0],
        assemble(raw, "openai-responses").parts[0],
        response.message.parts[0],
        request.messages[0].parts[0],
    ]
    read = {
        (p.text, p.signature, p.redacted, p.valid_for.provider if p.valid_for else None)
        for p in paths
        if isinstance(p, ReasoningPart)
    }
    summary = "\n\n".join(s["text"] for s in item["summary"])
    assert read == {(summary, item["id"], item["encrypted_content"], "openai")}
    # Written back as a stream, encrypted_content is the item's again.
    again = translate(raw, "openai-responses", "openai-responses")
    done = next(p["item"] for _, p in payloads(again) if p["type"] == "response.output_item.done")
    assert done["encrypted_content"] == item["encrypted_content"]


def test_an_unscoped_signature_is_not_written() -> None:
    events = [ResponseStart(), PartStart(0, "reasoning"), PartDelta(0, "hm"),
              PartDelta(0, signature="c2ln", redacted="c2ln"), PartEnd(0), ResponseEnd("stop")]  # fmt: skip
    for target in ("anthropic", "openai-responses", "gemini"):
        encoder = encode_stream(target)
        out = b"".join(encoder.encode(e) for e in events)
        assert b"c2ln" not in out
        scoped = {"anthropic": "anthropic", "openai-responses": "openai", "gemini": "google"}
        encoder = encode_stream(target)
        scope = ReasoningScope(provider=scoped[target])
        own = PartDelta(0, signature="c2ln", valid_for=scope)
        if target == "openai-responses":  # an item's id is the encoder's own: only its content
            own = PartDelta(0, redacted="c2ln", valid_for=scope)
        out = b"".join(encoder.encode(e) for e in [*events[:3], own, *events[4:]])
        assert b"c2ln" in out


# --- every frame is what the official SDK parses -------------------------------------------


@cache
def sdk_validator(target: str) -> Callable[[Any], object]:
    from pydantic import TypeAdapter

    if target == "openai-chat":
        from openai.types.chat import ChatCompletionChunk

        return ChatCompletionChunk.model_validate
    if target == "openai-responses":
        from typing import get_args

        from openai.types.responses import ResponseStreamEvent

        # The SDK's union is discriminated by ``type``: validate against the one class it names.
        union = get_args(ResponseStreamEvent)[0]
        by_type = {get_args(c.model_fields["type"].annotation)[0]: c for c in get_args(union)}
        return lambda p: by_type[p["type"]].model_validate(p)
    if target == "anthropic":
        from anthropic.types import RawMessageStreamEvent

        return TypeAdapter(RawMessageStreamEvent).validate_python
    if target == "cohere":
        from typing import get_args

        from cohere import StreamedChatResponseV2

        union = get_args(StreamedChatResponseV2)[0]
        by_type = {get_args(c.model_fields["type"].annotation)[0]: c for c in get_args(union)}
        return lambda p: by_type[p["type"]].model_validate(p)
    if target == "ollama":
        from ollama import ChatResponse

        return ChatResponse.model_validate
    from google.genai.types import GenerateContentResponse

    return GenerateContentResponse.model_validate


@pytest.mark.parametrize(("path", "target"), PAIRS, ids=[f"{p.stem}->{t}" for p, t in PAIRS])
def test_every_frame_validates_against_the_sdk_types(path: Path, target: str) -> None:
    raw = translate(path.read_bytes(), fmt(path), target)
    if target == "bedrock-converse":
        assert [next(iter(e)) for e in botocore_events(raw)] == [
            n for n, _ in payloads(raw, target)
        ]
        return
    validate = sdk_validator(target)
    frames = payloads(raw, target)
    assert frames
    for event, payload in frames:
        if payload is None:
            assert target == "openai-chat"  # data: [DONE]
            continue
        parsed: Any = validate(payload)
        if target in ("anthropic", "openai-responses", "cohere"):
            assert event == payload["type"] == parsed.type  # the event line names the payload
    sequence = [p["sequence_number"] for _, p in frames if p and target == "openai-responses"]
    assert sequence == list(range(len(sequence)))


def botocore_events(raw: bytes) -> list[dict[str, Any]]:
    """A Bedrock stream as boto3 returns it: botocore parses the framing and each event
    against the bedrock-runtime service model."""
    import botocore.session
    from botocore.eventstream import EventStream
    from botocore.parsers import EventStreamJSONParser

    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    output: Any = model.operation_model("ConverseStream").output_shape  # a StructureShape
    shape = output.members["stream"]

    class Body:
        def stream(self) -> Iterator[bytes]:
            yield raw

    return list(EventStream(Body(), shape, EventStreamJSONParser(), "ConverseStream"))


# --- same format: the same events ----------------------------------------------------------


def unknown_as_zero(events: list[StreamEvent]) -> list[StreamEvent]:
    """Normalization: formats whose usage fields are all required write 0 for unknown."""
    out: list[StreamEvent] = []
    for e in events:
        if isinstance(e, ResponseEnd) and e.usage is not None:
            counts = e.usage.model_dump(exclude={"extensions"})
            e = replace(e, usage=Usage.model_validate({k: v or None for k, v in counts.items()}))
        out.append(e)
    return out


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_same_format_decodes_to_the_same_events(path: Path) -> None:
    source = fmt(path)
    events = own_ids(unknown_as_zero(decoded(path.read_bytes(), source)))
    again = own_ids(unknown_as_zero(decoded(translate(path.read_bytes(), source, source), source)))
    assert again == events


def own_ids(events: list[StreamEvent]) -> list[StreamEvent]:
    """Normalization: a Responses reasoning part's signature is its item's id, and the
    encoder makes its own item ids."""
    return [
        replace(e, signature="rs_")
        if isinstance(e, PartDelta) and e.signature and e.signature.startswith("rs_")
        else e
        for e in events
    ]


def covers(out: Any, src: Any) -> bool:
    """``out`` says all ``src`` says (keys ``src`` has as null may be absent)."""
    if isinstance(src, dict):
        return isinstance(out, dict) and all(
            (v is None and k not in out) or (k in out and covers(out[k], v))
            for k, v in src.items()  # pyright: ignore[reportUnknownVariableType]
        )
    if isinstance(src, list):
        return src == [] or (
            isinstance(out, list)
            and len(out) == len(src)  # pyright: ignore[reportUnknownArgumentType]
            and all(covers(o, s) for o, s in zip(out, src, strict=True))  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]
        )
    return out == src


def test_same_format_anthropic_frames_are_the_source_frames() -> None:
    raw = (STREAMS / "anthropic__thinking-tool.sse").read_bytes()
    # Normalizations: pings and empty deltas are not written.
    src = [
        p
        for _, p in payloads(raw)
        if p["type"] != "ping" and p.get("delta", {}).get("partial_json") != ""
    ]
    out = [p for _, p in payloads(translate(raw, "anthropic", "anthropic"))]
    assert len(out) == len(src)
    assert all(covers(o, s) for o, s in zip(out, src, strict=True))


def anthropic_body(raw: bytes) -> dict[str, Any]:
    """The whole Messages response an Anthropic stream tells, rebuilt from its payloads."""
    message: dict[str, Any] = {}
    for _, p in payloads(raw):
        if p["type"] == "message_start":
            message = p["message"]
        elif p["type"] == "content_block_start":
            message["content"].append(dict(p["content_block"]))
        elif p["type"] == "content_block_delta" and p["delta"]["type"] == "text_delta":
            message["content"][p["index"]]["text"] += p["delta"]["text"]
        elif p["type"] == "message_delta":
            message |= p["delta"]
            message["usage"] |= p["usage"]
    return message


def provider_scoped(message: Message) -> list[Any]:
    """The message's parts, reasoning scoped to its provider alone."""
    return [
        p.model_copy(update={"valid_for": ReasoningScope(provider=p.valid_for.provider)})
        if isinstance(p, ReasoningPart) and p.valid_for is not None
        else p
        for p in message.parts
    ]


REDACTED_STREAM = STREAMS / "anthropic__pydantic-ai-redacted-thinking.sse"


def test_anthropic_redacted_thinking_streams_as_the_response_converter_reads_it_whole() -> None:
    raw = REDACTED_STREAM.read_bytes()
    whole = anthropic_body(raw)
    assert [b["type"] for b in whole["content"]] == ["redacted_thinking"] * 2 + ["text"]
    response, _ = decode_response(whole, "anthropic")
    # Through the stream codec (what translation reads) and the Anthropic assembler.
    streamed = assemble_events(raw, "anthropic")
    assert streamed.parts == assemble(raw, "anthropic").parts
    # The response converter scopes reasoning to the provider only (it reads no model).
    assert provider_scoped(streamed) == provider_scoped(response.message)
    first = streamed.parts[0]
    assert isinstance(first, ReasoningPart)
    assert first.redacted == whole["content"][0]["data"]
    assert first.valid_for is not None
    assert first.valid_for.provider == "anthropic"
    # Written back to Anthropic: the same blocks, each a redacted_thinking block start (data
    # whole) and its stop, as the SDK's event types read them.
    again = translate(raw, "anthropic", "anthropic")
    assert assemble(again, "anthropic").parts == streamed.parts
    validate = sdk_validator("anthropic")
    starts = [validate(p) for _, p in payloads(again) if p["type"] == "content_block_start"]
    from anthropic.types import RawContentBlockStartEvent, RedactedThinkingBlock

    assert all(isinstance(e, RawContentBlockStartEvent) for e in starts)
    blocks = [e.content_block for e in starts]  # pyright: ignore[reportAttributeAccessIssue]
    assert [type(b) for b in blocks[:2]] == [RedactedThinkingBlock] * 2
    assert [b.data for b in blocks[:2]] == [b["data"] for b in whole["content"][:2]]
    # Another provider cannot read Anthropic's redacted data: it is not written there.
    data = whole["content"][0]["data"][:40].encode()
    for target in FORMATS:
        if target != "anthropic":
            assert data not in translate(raw, "anthropic", target)


def test_anthropic_opens_a_reasoning_block_at_its_first_delta() -> None:
    # Whether a reasoning part is thinking or redacted_thinking is known only from its first
    # delta; a part that waited behind another block is written the same way.
    mine = ReasoningScope(provider="anthropic")
    bedrock = ReasoningScope(provider="bedrock-converse")
    events: list[StreamEvent] = [
        ResponseStart(), PartStart(0, "text"), PartStart(1, "reasoning"),
        PartDelta(1, redacted="cmVk", valid_for=mine), PartEnd(1), PartStart(2, "reasoning"),
        PartDelta(2, redacted="b3RoZXI=", valid_for=bedrock), PartDelta(2, "Hm"), PartEnd(2),
        PartStart(3, "reasoning"), PartEnd(3), PartDelta(0, "Hi"), PartEnd(0),
        ResponseEnd("stop", "end_turn"),
    ]  # fmt: skip
    encoder = encode_stream("anthropic")
    out = b"".join(encoder.encode(e) for e in events)
    validate = sdk_validator("anthropic")
    for _, p in payloads(out):
        validate(p)
    blocks = [p["content_block"] for _, p in payloads(out) if p["type"] == "content_block_start"]
    assert blocks == [
        {"type": "text", "text": ""},
        {"type": "redacted_thinking", "data": "cmVk"},
        {"type": "thinking", "thinking": "", "signature": ""},  # Bedrock's data is not ours
        {"type": "thinking", "thinking": "", "signature": ""},  # no delta: opened at its stop
    ]
    reasoning = [p for p in assemble(out, "anthropic").parts if isinstance(p, ReasoningPart)]
    assert [(r.text, r.redacted) for r in reasoning][:2] == [(None, "cmVk"), ("Hm", None)]


def test_same_format_responses_frames_are_the_source_frames_with_new_item_ids() -> None:
    raw = (STREAMS / "openai-responses__reasoning-tool.sse").read_bytes()
    src = [p for _, p in payloads(raw)]
    # Normalizations: item ids are the encoder's own; reasoning_summary_part.done is added.
    out = [
        p
        for _, p in payloads(translate(raw, "openai-responses", "openai-responses"))
        if p["type"] != "response.reasoning_summary_part.done"
    ]
    ids = {s.get("item_id") or s.get("item", {}).get("id"): None for s in src} | {None: None}
    renamed = {
        o.get("item_id") or o.get("item", {}).get("id"): s.get("item_id")
        or s.get("item", {}).get("id")
        for o, s in zip(out, src, strict=True)
    }
    assert set(renamed.values()) <= set(ids)

    def back(p: dict[str, Any]) -> dict[str, Any]:
        p = {**p, "sequence_number": None}
        if "item_id" in p:
            p["item_id"] = renamed[p["item_id"]]
        if "item" in p:
            p["item"] = {**p["item"], "id": renamed[p["item"]["id"]]}
        return p

    src = [{**s, "sequence_number": None} for s in src]
    assert all(covers(back(o), s) for o, s in zip(out, src, strict=True))


def atoms(raw: bytes, target: str) -> list[Any]:
    """Chat or Gemini frames as a flat list of what they say (chunk boundaries aside)."""
    out: list[Any] = []
    for _, p in payloads(raw):
        if p is None:
            out.append("[DONE]")
        elif target == "openai-chat":
            out += chat_atoms(p)
        else:
            out += gemini_atoms(p)
    return out


def chat_atoms(p: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for choice in p["choices"]:
        delta = choice["delta"]
        out += [(key, delta[key]) for key in ("content", "refusal") if delta.get(key)]
        for call in delta.get("tool_calls") or []:
            if "id" in call:
                out.append(("call", call["index"], call["id"], call["function"]["name"]))
            if call["function"].get("arguments"):
                out.append(("args", call["index"], call["function"]["arguments"]))
        if choice.get("finish_reason"):
            out.append(("finish", choice["finish_reason"]))
    if p.get("usage"):
        out.append(("usage", p["usage"]))
    return out


def gemini_atoms(p: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for cand in p["candidates"]:
        for part in cand["content"].get("parts", []):
            if "functionCall" in part:
                call = dict(part["functionCall"])
                if call.get("id", "").startswith("gemini_"):
                    del call["id"]  # the decoder's own id for a call without one
                part = {**part, "functionCall": call}
            if part != {"text": ""}:
                out.append(part)
        if "finishReason" in cand:
            out.append(("finish", cand["finishReason"], p.get("usageMetadata")))
    return out


@pytest.mark.parametrize(
    "name", ["openai-chat__parallel-tools.sse", "gemini__thought-signatures.sse"]
)
def test_same_format_chat_and_gemini_frames_say_what_the_source_says(name: str) -> None:
    raw = (STREAMS / name).read_bytes()
    source = name.split("__")[0]
    src = atoms(raw, source)
    if source == "gemini":  # normalization: usage is written with the last chunk only
        src[-1] = (*src[-1][:2], payloads(raw)[-1][1]["usageMetadata"])
    assert atoms(translate(raw, source, source), source) == src


# --- incremental: split anywhere, and nothing held back but what a format needs ------------


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from(FIXTURES),
    st.sampled_from(FORMATS),
    st.lists(st.integers(0, 10_000), max_size=10),
)
def test_chunks_split_anywhere_give_the_same_output(
    path: Path, target: str, cuts: list[int]
) -> None:
    raw = path.read_bytes()
    points = sorted({c % (len(raw) + 1) for c in cuts})
    chunks = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]
    whole = translate(raw, fmt(path), target)
    assert b"".join(translate_stream(chunks, source=fmt(path), target=target)) == whole


_VISIBLE_DELTAS = {"response.output_text.delta", "response.refusal.delta"}


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_async_translation_yields_what_the_sync_one_does(path: Path) -> None:
    import asyncio

    raw = path.read_bytes()
    blocks = list(event_blocks(raw, fmt(path)))

    async def upstream() -> AsyncIterator[bytes]:
        for block in blocks:
            yield block

    async def run() -> list[bytes]:
        return [
            f async for f in atranslate_stream(upstream(), source=fmt(path), target="anthropic")
        ]

    assert asyncio.run(run()) == list(
        translate_stream(blocks, source=fmt(path), target="anthropic")
    )


def visible_text(frames: bytes, format: str) -> str:
    """The reply's visible text so far (answer and refusal), as a client of ``format`` shows it."""
    out: list[str] = []
    for name, p in payloads(frames, format):
        if p is None:
            continue
        if format == "cohere" and p["type"] in ("content-delta", "tool-plan-delta"):
            message = p["delta"]["message"]
            out.append(message.get("tool_plan") or message["content"].get("text", ""))
        elif format == "ollama":
            out.append(p.get("message", {}).get("content", ""))
        elif format == "bedrock-converse" and name == "contentBlockDelta":
            out.append(p["delta"].get("text", ""))
        if format == "anthropic" and p["type"] == "content_block_delta":
            out.append(p["delta"].get("text", ""))
        elif format == "openai-responses" and p["type"] in _VISIBLE_DELTAS:
            out.append(p["delta"])
        elif format == "openai-chat":
            for c in p["choices"]:
                out += [c["delta"].get("content") or "", c["delta"].get("refusal") or ""]
        elif format == "gemini":
            for cand in p.get("candidates", []):
                out += [
                    part.get("text", "")
                    for part in cand["content"].get("parts", [])
                    if not part.get("thought")
                ]
    return "".join(out)


def event_blocks(raw: bytes, format: str) -> Iterator[bytes]:
    """The raw stream cut after each event (its blank line, its line, its message)."""
    if format == "bedrock-converse":
        at = 0
        while at < len(raw):
            size = int.from_bytes(raw[at : at + 4], "big")
            yield raw[at : at + size]
            at += size
        return
    if format == "ollama":
        yield from (line for line in raw.splitlines(keepends=True) if line.strip())
        return
    for block in raw.split(b"\n\n"):
        if block.strip():
            yield block + b"\n\n"


def complete_events(raw: bytes, end: int, format: str) -> bytes:
    """The whole events within ``raw[:end]``."""
    out = b""
    for block in event_blocks(raw, format):
        if len(out) + len(block) > end:
            break
        out += block
    return out


@pytest.mark.parametrize(("path", "target"), PAIRS, ids=[f"{p.stem}->{t}" for p, t in PAIRS])
def test_text_goes_out_with_the_event_that_brought_it(path: Path, target: str) -> None:
    source = fmt(path)
    decoder = decode_stream(source)
    encoder = encode_stream(target)
    sent = received = b""
    for block in event_blocks(path.read_bytes(), source):
        received += block
        sent += b"".join(encoder.encode(e) for e in decoder.feed(block))
        assert visible_text(sent, target) == visible_text(received, source)


@settings(max_examples=30, deadline=None)
@given(
    st.sampled_from(FIXTURES),
    st.sampled_from(FORMATS),
    st.lists(st.integers(0, 10_000), max_size=12),
)
def test_text_is_never_held_whatever_the_split(path: Path, target: str, cuts: list[int]) -> None:
    # After any chunk, the target shows exactly the text of the source events completed so far.
    raw = path.read_bytes()
    points = sorted({c % (len(raw) + 1) for c in cuts})
    decoder = decode_stream(fmt(path))
    encoder = encode_stream(target)
    sent = b""
    for a, b in zip([0, *points], [*points, len(raw)], strict=True):
        sent += b"".join(encoder.encode(e) for e in decoder.feed(raw[a:b]))
        complete = complete_events(raw, b, fmt(path))
        assert visible_text(sent, target) == visible_text(complete, fmt(path))


def test_a_tool_call_is_held_back_only_for_gemini_and_ollama() -> None:
    start, delta = PartStart(0, "tool_call", id="call_1", name="f"), PartDelta(0, '{"a": ')
    for target in set(FORMATS) - HOLD_CALLS:
        encoder = encode_stream(target)
        encoder.encode(ResponseStart(id="r", model="m"))
        assert encoder.encode(start)
        assert b'{\\"a\\": ' in encoder.encode(delta)
    gemini = encode_stream("gemini")
    assert [gemini.encode(e) for e in (ResponseStart(), start, delta, PartDelta(0, "1}"))] == [
        b"",
        b"",
        b"",
        b"",
    ]
    frame = payloads(gemini.encode(PartEnd(0)))[0][1]
    part = frame["candidates"][0]["content"]["parts"][0]
    assert part == {"functionCall": {"name": "f", "args": {"a": 1}, "id": "call_1"}}
    ollama = encode_stream("ollama")
    assert [ollama.encode(e) for e in (ResponseStart(), start, delta, PartDelta(0, "1}"))] == [b""] * 4  # fmt: skip
    line = payloads(ollama.encode(PartEnd(0)), "ollama")[0][1]
    assert line["message"]["tool_calls"] == [{"function": {"name": "f", "arguments": {"a": 1}}}]


def test_anthropic_writes_interleaved_parts_one_block_after_another() -> None:
    events: list[StreamEvent] = [
        ResponseStart(id="chatcmpl-1", model="gpt-4o"),
        PartStart(0, "tool_call", id="call_a", name="f"),
        PartDelta(0, '{"x":'),
        PartStart(1, "tool_call", id="call.b", name="g"),
        PartDelta(1, '{"y":2}'),
        PartDelta(0, "1}"),
        PartEnd(0),
        PartEnd(1),
        ResponseEnd("tool_calls", "tool_calls", Usage(input_tokens=3, output_tokens=4)),
    ]
    encoder = encode_stream("anthropic")
    written = [encoder.encode(e) for e in events]
    assert written[3] == written[4] == b""  # block 1 waits while block 0 is open
    frames = [p for _, p in payloads(b"".join(written))]
    kinds = [(p["type"], p.get("index")) for p in frames]
    assert kinds == [
        ("message_start", None),
        ("content_block_start", 0),
        ("content_block_delta", 0),
        ("content_block_delta", 0),
        ("content_block_stop", 0),
        ("content_block_start", 1),
        ("content_block_delta", 1),
        ("content_block_stop", 1),
        ("message_delta", None),
        ("message_stop", None),
    ]
    assert frames[5]["content_block"]["id"] != "call.b"  # "." is outside Anthropic's ids
    message = assemble(b"".join(written), "anthropic")
    calls = [(p.name, p.arguments) for p in message.parts if isinstance(p, ToolCallPart)]
    assert calls == [("f", {"x": 1}), ("g", {"y": 2})]


def test_anthropic_stops_a_call_whose_arguments_are_whole_when_the_next_starts() -> None:
    # Chat never says a call ended: a call whose JSON is whole must not hold the next one.
    encoder = encode_stream("anthropic")
    encoder.encode(ResponseStart(id="chatcmpl-1", model="gpt-4o"))
    encoder.encode(PartStart(0, "tool_call", id="call_a", name="f"))
    encoder.encode(PartDelta(0, '{"s": "} ]"'))
    encoder.encode(PartDelta(0, "}"))
    frames = [
        p for _, p in payloads(encoder.encode(PartStart(1, "tool_call", id="call_b", name="g")))
    ]
    assert [(p["type"], p["index"]) for p in frames] == [
        ("content_block_stop", 0),
        ("content_block_start", 1),
    ]
    assert encoder.encode(PartEnd(0)) == b""  # already stopped
    assert payloads(encoder.encode(PartDelta(1, "{}")))[0][1]["index"] == 1


# --- finish reasons, usage, errors ---------------------------------------------------------

FINISH = {
    "length": {
        "anthropic": "max_tokens",
        "openai-chat": "length",
        "gemini": "MAX_TOKENS",
        "openai-responses": "max_output_tokens",
        "bedrock-converse": "max_tokens",
        "cohere": "MAX_TOKENS",
        "ollama": "length",
    },
    "content_filter": {
        "anthropic": "refusal",
        "openai-chat": "content_filter",
        "gemini": "SAFETY",
        "openai-responses": "content_filter",
        "bedrock-converse": "guardrail_intervened",
        "cohere": "COMPLETE",
        "ollama": "stop",
    },
    "stop": {
        "anthropic": "end_turn",
        "openai-chat": "stop",
        "gemini": "STOP",
        "openai-responses": "completed",
        "bedrock-converse": "end_turn",
        "cohere": "COMPLETE",
        "ollama": "stop",
    },
}


@pytest.mark.parametrize("finish", sorted(FINISH))
@pytest.mark.parametrize("target", FORMATS)
def test_finish_reasons_map_to_each_formats_word(finish: Any, target: str) -> None:
    encoder = encode_stream(target)
    events = [
        ResponseStart(id="r1", model="m"),
        PartStart(0, "text"),
        PartDelta(0, "x"),
        PartEnd(0),
        ResponseEnd(finish, "not-a-word-of-any-format", Usage(input_tokens=1, output_tokens=2)),
    ]
    raw = b"".join(encoder.encode(e) for e in events) + encoder.close()
    end = decoded(raw, target)[-1]
    assert isinstance(end, ResponseEnd)
    lossy = {  # Anthropic's one word for both; Cohere and Ollama have no word for a filter
        ("content_filter", "anthropic"): "refusal",
        ("content_filter", "cohere"): "stop",
        ("content_filter", "ollama"): "stop",
    }
    expected = lossy.get((finish, target), finish)
    assert (end.finish_reason, end.raw_finish_reason) == (expected, FINISH[finish][target])
    assert end.usage is not None
    assert (end.usage.input_tokens, end.usage.output_tokens) == (1, 2)


def test_cached_input_is_summed_and_split_again() -> None:
    usage = Usage(input_tokens=110, output_tokens=5, cache_read_tokens=100, reasoning_tokens=2)
    for target in set(FORMATS) - {"ollama"}:  # Ollama counts no cache
        encoder = encode_stream(target)
        events: list[StreamEvent] = [
            ResponseStart(id="r", model="m"),
            UsageUpdate(usage),
            ResponseEnd("stop", None),
        ]
        end = decoded(b"".join(encoder.encode(e) for e in events), target)[-1]
        assert isinstance(end, ResponseEnd)
        assert end.usage is not None
        assert (end.usage.input_tokens, end.usage.cache_read_tokens) == (110, 100), target
    anthropic = encode_stream("anthropic")
    anthropic.encode(ResponseStart())
    wire = payloads(anthropic.encode(ResponseEnd("stop", None, usage)))[0][1]["usage"]
    assert (wire["input_tokens"], wire["cache_read_input_tokens"]) == (10, 100)


@pytest.mark.parametrize("source", FORMATS)
@pytest.mark.parametrize("target", FORMATS)
def test_errors_travel_as_the_targets_error(source: str, target: str) -> None:
    encoder = encode_stream(source)
    raw = encoder.encode(ResponseStart(id="r", model="m")) + encoder.encode(
        StreamError("overloaded_error", "Overloaded")
    )
    events = decoded(translate(raw, source, target), target)
    assert isinstance(events[-1], StreamError)
    assert events[-1].message == "Overloaded"
    with pytest.raises(InvalidInputError, match="Overloaded"):
        assemble(translate(raw, source, target), target)


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_a_stream_cut_short_is_an_error(path: Path) -> None:
    blocks = list(event_blocks(path.read_bytes(), fmt(path)))
    with pytest.raises(InvalidInputError, match="cut short"):
        translate(b"".join(blocks[: len(blocks) // 2]), fmt(path), "anthropic")


@pytest.mark.parametrize(
    ("source", "raw", "pointer"),
    [
        ("openai-chat", b"data: {nope\n\n", "/events/0"),
        ("anthropic", b'data: {"type":"content_block_start","index":0}\n\n', "/events/0/type"),
        (
            "openai-chat",
            b'data: {"choices":[{"delta":{"tool_calls":[{"index":"x"}]}}]}\n\n',
            "/events/0/choices/0/delta/tool_calls/0/index",
        ),
        (
            "gemini",
            b'data: {"candidates":[{"content":{"parts":[{"text":7}]}}]}\n\n',
            "/events/0/candidates/0/content/parts/0/text",
        ),
        (
            "openai-responses",
            b'data: {"type":"response.output_item.added","output_index":0}\n\n',
            "/events/0/item",
        ),
        (
            "ollama",
            b'{"model":"m","message":{"content":7},"done":false}\n',
            "/events/0/message/content",
        ),
        ("ollama", b"{nope\n", "/events/0"),
        (
            "cohere",
            b'data: {"type":"tool-call-delta","index":0,"delta":{}}\n\n',
            "/events/0/index",
        ),
        (
            "bedrock-converse",
            event_message("contentBlockDelta", b'{"contentBlockIndex":0,"delta":{"text":7}}'),
            "/events/0/delta/text",
        ),
    ],
)
def test_malformed_streams_name_the_event(source: str, raw: bytes, pointer: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        translate(raw, source, "openai-chat")
    assert info.value.pointer == pointer


@pytest.mark.parametrize("source", FORMATS)
def test_json_nested_too_deeply_is_refused_not_a_crash(source: str) -> None:
    raw = wire(source, [b"{}", b"[" * 100_000])
    with pytest.raises(InvalidInputError, match="nested more than 128 levels") as info:
        translate(raw, source, "openai-chat")
    assert info.value.pointer == "/events/1"


def test_unknown_formats_list_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match="openai-chat"):
        decode_stream("a2a")
    with pytest.raises(UnknownNameError, match="anthropic"):
        list(translate_stream(b"", source="openai-chat", target="nope"))
    assert STREAM_FORMATS.names() == FORMATS


def test_sdk_events_can_be_fed_already_parsed() -> None:
    from aifkit.aif._sse_codec import PayloadDecoder

    raw = (STREAMS / "anthropic__thinking-tool.sse").read_bytes()
    decoder = decode_stream("anthropic")
    assert isinstance(decoder, PayloadDecoder)
    events = [e for name, p in payloads(raw) for e in decoder.feed_payload(name, p)]
    assert events + decoder.close() == decoded(raw, "anthropic")


# --- hostile input: malformed payloads are InvalidInputError, never a crash ----------------

_KEYS = st.sampled_from(
    [
        "type",
        "index",
        "delta",
        "content_block",
        "message",
        "usage",
        "choices",
        "finish_reason",
        "tool_calls",
        "function",
        "id",
        "name",
        "arguments",
        "content",
        "text",
        "partial_json",
        "signature",
        "stop_reason",
        "candidates",
        "parts",
        "functionCall",
        "args",
        "thoughtSignature",
        "thought",
        "finishReason",
        "usageMetadata",
        "response",
        "output_index",
        "content_index",
        "item",
        "call_id",
        "part",
        "summary_index",
        "encrypted_content",
        "created",
        "created_at",
        "model",
        "error",
        "promptFeedback",
        "blockReason",
        "status",
        "incomplete_details",
        "tool_plan",
        "thinking",
        "done",
        "done_reason",
        "eval_count",
        "contentBlockIndex",
        "start",
        "toolUse",
        "toolUseId",
        "input",
        "reasoningContent",
        "stopReason",
    ]
)
_WORDS = st.sampled_from(
    [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "text_delta",
        "input_json_delta",
        "signature_delta",
        "text",
        "tool_use",
        "thinking",
        "response.created",
        "response.output_item.added",
        "response.output_item.done",
        "response.content_part.added",
        "response.output_text.delta",
        "response.completed",
        "response.function_call_arguments.delta",
        "function_call",
        "reasoning",
        "output_text",
        "STOP",
        "message-start",
        "content-start",
        "content-delta",
        "tool-call-start",
        "tool-call-delta",
        "message-end",
        "contentBlockStart",
        "contentBlockDelta",
        "messageStop",
        "metadata",
    ]
)
_LEAF = st.none() | st.booleans() | st.integers(-2, 2) | st.floats() | _WORDS | st.text(max_size=3)
_JSON = st.recursive(
    _LEAF, lambda c: st.lists(c, max_size=3) | st.dictionaries(_KEYS, c, max_size=5), max_leaves=20
)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(FORMATS),
    st.sampled_from(FORMATS),
    st.lists(st.dictionaries(_KEYS, _JSON, max_size=6), max_size=8),
)
def test_malformed_payloads_are_refused_never_crash(
    source: str, target: str, stream: list[dict[str, Any]]
) -> None:
    raw = wire(source, [json.dumps(p).encode() for p in stream])
    error: InvalidInputError | None = None
    try:
        translate(raw, source, target)
    except InvalidInputError as exc:
        error = exc
    if error is not None:
        assert error.pointer == "" or error.pointer.startswith("/events/")


_INDEX = st.integers(0, 3)
_TEXT = st.text(max_size=4)
_PROVIDERS = ["anthropic", "openai", "google", "bedrock-converse", "cohere"]


def _cited(namespace: str, text: str) -> dict[str, Any]:
    citation = {"start": 0, "end": len(text), "text": text, "sources": []}
    return {namespace: {"extra": {"citations": [citation]}}}


_EVENTS = st.one_of(
    st.builds(ResponseStart, id=st.none() | _TEXT, model=st.none() | _TEXT),
    st.builds(
        PartStart,
        _INDEX,
        st.sampled_from(["text", "reasoning", "tool_call", "refusal"]),
        id=st.none() | _TEXT,
        name=st.none() | _TEXT,
    ),
    st.builds(
        PartDelta,
        _INDEX,
        _TEXT,
        signature=st.none() | _TEXT,
        redacted=st.none() | _TEXT,
        valid_for=st.none() | st.builds(ReasoningScope, provider=st.sampled_from(_PROVIDERS)),
    ),
    st.builds(PartEnd, _INDEX),
    st.builds(
        ResponseEnd,
        st.none() | st.sampled_from(["stop", "length", "other"]),
        st.none() | _TEXT,
        extensions=st.none() | st.builds(_cited, st.sampled_from(_PROVIDERS), _TEXT),
    ),
    st.builds(StreamError, _TEXT, _TEXT),
)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(FORMATS), st.lists(_EVENTS, max_size=12))
def test_encoders_take_any_event_order(target: str, events: list[StreamEvent]) -> None:
    encoder = encode_stream(target)
    error: InvalidInputError | None = None
    out = b""
    try:
        out = b"".join(encoder.encode(e) for e in events) + encoder.close()
    except InvalidInputError as exc:
        error = exc
    if error is not None:  # only a call sent whole (Gemini, Ollama), when its JSON is bad
        assert target in HOLD_CALLS
        assert "arguments" in error.problem
    assert all(data is not None or target == "openai-chat" for _, data in payloads(out, target))


def _long_reply(n: int) -> list[StreamEvent]:
    """Two interleaved tool calls of ``n`` fragments each (the Anthropic queue and the
    Gemini hold both grow), then ``n`` text deltas."""
    events: list[StreamEvent] = [
        ResponseStart(id="r", model="m"),
        PartStart(0, "tool_call", id="a", name="f"),
        PartDelta(0, '{"k": ['),
        PartStart(1, "tool_call", id="b", name="g"),
        PartDelta(1, '{"k": ['),
    ]
    for i in range(n):
        events += [PartDelta(0, f"{i}, "), PartDelta(1, f"{i}, ")]
    events += [PartDelta(0, "0]}"), PartDelta(1, "0]}"), PartEnd(0), PartEnd(1)]
    events += [PartStart(2, "text"), *[PartDelta(2, "w ") for _ in range(n)], PartEnd(2)]
    return [*events, ResponseEnd("tool_calls", None)]


@pytest.mark.parametrize("target", FORMATS)
def test_encoding_is_linear_in_the_stream(target: str) -> None:
    import gc
    import time

    # Both sizes are past the few thousand events under which a held call's arguments
    # stay in the CPU caches (µs per event jumps ~2.5x there, for Gemini and Ollama,
    # then stays flat).
    small, large = _long_reply(6000), _long_reply(24_000)

    def once(events: list[Any]) -> float:
        encoder = encode_stream(target)
        start = time.perf_counter()
        for e in events:
            encoder.encode(e)
        return time.perf_counter() - start

    # The collector's sweeps grow with the events this test holds alive, not with the
    # encoder's work: they are kept out of the measure. The sizes are timed in turns,
    # best of five each, so a busy spell of the machine slows both alike.
    gc.collect()
    gc.disable()
    try:
        best_small = best_large = float("inf")
        for _ in range(5):
            best_small = min(best_small, once(small))
            best_large = min(best_large, once(large))
    finally:
        gc.enable()
    # Four times the events: linear work takes ~4x (up to ~6x as the heap grows);
    # quadratic work would take ~16x.
    assert best_large / best_small < 10


def test_chat_writes_the_usage_chunk_only_when_asked() -> None:
    raw = (STREAMS / "anthropic__thinking-tool.sse").read_bytes()
    with_usage = translate(raw, "anthropic", "openai-chat")
    without = b"".join(
        translate_stream(raw, source="anthropic", target="openai-chat", include_usage=False)
    )
    assert b'"usage":' in with_usage
    assert b'"usage":' not in without
    assert without.endswith(b"data: [DONE]\n\n")


def test_encoder_options_are_checked() -> None:
    with pytest.raises(UsageError, match="no option 'include_usage'"):
        encode_stream("anthropic", include_usage=False)
    with pytest.raises(UsageError, match="True or False"):
        encode_stream("openai-chat", include_usage="yes")
    with pytest.raises(UsageError, match="no option 'colour'"):
        encode_stream("openai-chat", colour=1)


def test_a_done_text_longer_than_its_deltas_sends_the_rest() -> None:
    # Recorded: the summary deltas stop at "**Calculating a simple sum"; the .done has "**".
    raw = (STREAMS / "openai-responses__dotnet-reasoning-text.sse").read_bytes()
    deltas = [e for e in decoded(raw, "openai-responses") if isinstance(e, PartDelta)]
    assert [e.text for e in deltas if e.index == 0 and e.text][-1] == "**"
    reasoning = assemble(translate(raw, "openai-responses", "anthropic"), "anthropic").parts[0]
    assert isinstance(reasoning, ReasoningPart)
    assert reasoning.text == "**Calculating a simple sum**"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b'{"type": "ping", "x": NaN}', "NaN"),
        (b'{"type": "ping", "x": "\\ud800"}', "surrogate"),
        (b'{"type": "ping", "x": ' + b"[" * 200 + b"]" * 200 + b"}", "nested"),
    ],
)
def test_stream_payloads_are_checked_as_assemble_checks_them(data: bytes, problem: str) -> None:
    # The same edge as every other entry point: refused with a pointer into the stream.
    with pytest.raises(InvalidInputError, match=problem) as info:
        list(
            translate_stream(
                [b"event: ping\ndata: " + data + b"\n\n"], source="anthropic", target="openai-chat"
            )
        )
    assert info.value.pointer.startswith("/events/0")
    decoder = decode_stream("anthropic")
    assert isinstance(decoder, PayloadDecoder)
    with pytest.raises(InvalidInputError, match=problem):
        decoder.feed_payload("ping", json.loads(data))


@pytest.mark.parametrize(
    "text", ['{"x": NaN}', '{"x": 1e999}', '{"x": "\\ud800"}', "[" * 200 + "]" * 200]
)
def test_whole_call_arguments_follow_the_json_rules_of_the_edge(text: str) -> None:
    from aifkit.aif._sse_codec import call_arguments

    # Gemini and Ollama send a call whole: what they write must be JSON a provider reads.
    with pytest.raises(InvalidInputError, match="not valid JSON"):
        call_arguments("call_1", text)
