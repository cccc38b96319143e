"""The ``anthropic`` converter: golden fixtures, exact round trips, the Messages API's
rules on any AIF document, loss reports, malformed input and `validate`.

Every body the encoder writes here is checked against the official SDK's request
type and against the converter's own `validate`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pydantic
import pytest
from anthropic.types.message_create_params import (
    MessageCreateParamsNonStreaming,
    MessageCreateParamsStreaming,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifkit.aif import (
    FORMATS,
    Document,
    EncodeOptions,
    convert,
    dump_document,
    load_document,
)
from aifkit.aif.converters._anthropic_encode import MISSING_RESULT_TEXT
from aifkit.aif.converters.anthropic import AnthropicConverter
from aifkit.errors import InvalidInputError
from tests.aif.recorded import today

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "anthropic"
NAMES = sorted(
    p.name.removesuffix(".json") for p in FIXTURES.glob("*.json") if ".aif." not in p.name
)
CONV = AnthropicConverter()
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="

_NON_STREAMING: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(MessageCreateParamsNonStreaming)
_STREAMING: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(MessageCreateParamsStreaming)


def _consume(value: Any) -> None:
    # The SDK types `Iterable[...]` fields, which pydantic validates lazily.
    if isinstance(value, dict):
        for item in value.values():  # pyright: ignore[reportUnknownVariableType]
            _consume(item)
    elif isinstance(value, list | tuple) or hasattr(value, "__next__"):
        for item in value:  # pyright: ignore[reportUnknownVariableType]
            _consume(item)


def assert_accepted(body: dict[str, Any]) -> None:
    """The body is a valid Messages request: for the official SDK and for `validate`."""
    adapter = _STREAMING if body.get("stream") else _NON_STREAMING
    _consume(adapter.validate_python(body))
    assert CONV.validate(body) == []


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))


def encode(
    doc: Document | dict[str, Any], **options: Any
) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """Encode an AIF document; return the body and its losses as (pointer, action, rule)."""
    document = doc if isinstance(doc, Document) else load_document(doc)
    encoded = CONV.encode(document, EncodeOptions(**options))
    losses = [(e.pointer, e.action, e.rule) for e in encoded.losses.resolve(None)]
    return encoded.body, losses


def round_trip(body: dict[str, Any]) -> dict[str, Any]:
    encoded = CONV.encode(CONV.decode(body).document, EncodeOptions())
    assert not encoded.losses, encoded.losses.resolve(None)
    return encoded.body


def text(t: str, **more: Any) -> dict[str, Any]:
    return {"type": "text", "text": t, **more}


def user(*parts: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"role": "user", "parts": list(parts), **more}


def assistant(*parts: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"role": "assistant", "parts": list(parts), **more}


def call(call_id: str, name: str = "f", **more: Any) -> dict[str, Any]:
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": {}, **more}


def result(call_id: str, *content: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"type": "tool_result", "call_id": call_id, "content": list(content), **more}


def doc(*messages: dict[str, Any], **fields: Any) -> dict[str, Any]:
    settings_ = fields.pop("settings", {"model": "claude-sonnet-4-5", "max_tokens": 100})
    return {"messages": list(messages), "settings": settings_, **fields}


# -- golden fixtures ------------------------------------------------------------------


def test_the_format_is_registered() -> None:
    assert isinstance(FORMATS.get("anthropic"), AnthropicConverter)
    assert AnthropicConverter.name == "anthropic"


@pytest.mark.parametrize("name", NAMES)
def test_fixture_decodes_to_the_expected_aif(name: str) -> None:
    expected = json.loads((FIXTURES / f"{name}.aif.json").read_text("utf-8"))
    assert dump_document(CONV.decode(load(name)).document) == today(expected)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_round_trip_is_exact_and_valid(name: str) -> None:
    body = load(name)
    assert_accepted(body)
    assert round_trip(body) == body
    out, report = convert(body, source="anthropic", target="anthropic")
    assert out == body
    assert report.lossless


@pytest.mark.parametrize("name", NAMES)
def test_fixture_survives_a_stay_in_aif_json(name: str) -> None:
    body = load(name)
    document_json, _ = convert(body, source="anthropic", target="aif")
    text_form = json.loads(json.dumps(document_json))
    out, report = convert(text_form, source="aif", target="anthropic")
    assert out == body
    assert report.lossless


def test_bundled_example_round_trips() -> None:
    from aifkit.examples import example

    body = example("anthropic", "research-with-thinking")
    assert_accepted(body)
    assert round_trip(body) == body


def test_mapping_of_the_main_fields() -> None:
    document = CONV.decode(load("tool-use")).document
    call_part = document.messages[1].parts[1]
    result_part = document.messages[2].parts[1]
    assert call_part.type == "tool_call"
    assert call_part.arguments == {
        "location": "San Francisco, CA",
        "unit": "celsius",
    }
    assert result_part.type == "tool_result"
    assert result_part.is_error is True
    assert document.settings.tool_choice is not None
    assert document.settings.tool_choice.mode == "auto"
    assert document.settings.parallel_tool_calls is True
    thinking = CONV.decode(load("thinking")).document.messages[1].parts
    assert thinking[0].type == "reasoning"
    assert thinking[0].signature
    assert thinking[0].valid_for is not None
    assert thinking[0].valid_for.model == "claude-sonnet-4-5-20250929"
    assert thinking[1].type == "reasoning"
    assert thinking[1].redacted
    servers = CONV.decode(load("server-tools")).document
    assert [t.kind for t in servers.tools] == [
        "web_search_20250305",
        "bash_20250124",
        "text_editor_20250728",
        "function",
    ]
    assert [p.type for p in servers.messages[1].parts] == [
        "text",
        "provider",
        "provider",
        "text",
        "tool_call",
    ]


def test_consecutive_same_role_messages_stay_separate() -> None:
    body = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 10,
        "messages": [
            {"role": "user", "content": "one"},
            {"role": "user", "content": [text("two")]},
            {"role": "assistant", "content": "three"},
            {"role": "assistant", "content": "four"},
        ],
    }
    assert round_trip(body) == body
    assert CONV.validate(body) == []  # the API joins consecutive turns; it accepts them


def test_unknown_top_level_keys_are_kept_whatever_else_is_missing() -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], "metadata": {"user_id": "u"}}
    document = CONV.decode(body).document
    assert document.extensions == {"anthropic": {"extra": {"metadata": {"user_id": "u"}}}}
    out, losses = encode(document)
    assert out == {**body, "max_tokens": 4096}
    assert losses == [("/max_tokens", "synthesized", "anthropic/max-tokens-required")]


def test_source_map_points_into_the_body() -> None:
    body = load("unknown-keys")
    body["stop_sequences"] = ["END"]
    sm = CONV.decode(body).source_map
    assert sm.translate(("messages", 0, "parts", 1, "source")) == (
        "messages",
        0,
        "content",
        1,
        "source",
    )
    assert sm.translate(
        ("messages", 0, "extensions", "anthropic", "extra", "x_future_message")
    ) == (
        "messages",
        0,
        "x_future_message",
    )
    assert sm.translate(
        ("messages", 0, "parts", 0, "extensions", "anthropic", "extra", "x_future_block")
    ) == (
        "messages",
        0,
        "content",
        0,
        "x_future_block",
    )
    assert sm.translate(("messages", 0, "parts", 0, "cache")) == (
        "messages",
        0,
        "content",
        0,
        "cache_control",
    )
    assert sm.translate(("messages", 1, "parts", 0, "arguments")) == (
        "messages",
        1,
        "content",
        0,
        "input",
    )
    assert sm.translate(("messages", 2, "parts", 0, "call_id")) == (
        "messages",
        2,
        "content",
        0,
        "tool_use_id",
    )
    assert sm.translate(("extensions", "anthropic", "extra", "metadata")) == ("metadata",)
    assert sm.translate(("settings", "stop")) == ("stop_sequences",)
    assert sm.translate(("settings", "extensions", "anthropic", "extra", "tool_choice")) == (
        "tool_choice",
    )
    assert sm.translate(("tools", 0, "parameters")) == ("tools", 0, "input_schema")
    assert sm.translate(("tools", 0, "extensions", "anthropic", "extra", "defer_loading")) == (
        "tools",
        0,
        "defer_loading",
    )
    assert sm.translate(("instructions", 0, "parts", 0)) == ("system", 0)
    strings = CONV.decode(load("system-string")).source_map
    assert strings.translate(("instructions", 0, "parts", 0)) == ("system",)
    assert strings.translate(("messages", 1, "parts", 0)) == ("messages", 1, "content")
    tools = CONV.decode(load("tool-use")).source_map
    assert tools.translate(("settings", "parallel_tool_calls")) == (
        "tool_choice",
        "disable_parallel_tool_use",
    )
    assert tools.translate(("messages", 2, "parts", 0, "content", 0)) == (
        "messages",
        2,
        "content",
        0,
        "content",
    )
    server = CONV.decode(load("server-tools")).source_map
    # The search_result block is not in AIF: "1 result." is content 0 in AIF, 1 on the wire.
    assert server.translate(("messages", 2, "parts", 0, "content", 0)) == (
        "messages",
        2,
        "content",
        0,
        "content",
        1,
    )


# -- round trips over generated bodies ---------------------------------------------------

_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12
).filter(lambda s: not s.isspace())
_ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
_NAME = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
_B64 = st.sampled_from(["iVBORw0KGgo=", "R0lGODlhAQABAAAAACw=", "/9j/4AAQSkZJRg==", PNG])
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _ANY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_NAME, inner, max_size=3),
    max_leaves=6,
)
_CACHE = st.sampled_from(
    [
        None,
        None,
        None,
        "null",
        {"type": "ephemeral"},
        {"type": "ephemeral", "ttl": "5m"},
        {"type": "ephemeral", "ttl": "1h"},
    ]
)


def _decorate(draw: st.DrawFn, block: dict[str, Any], cache: bool = True) -> dict[str, Any]:
    if cache:
        cc = draw(_CACHE)
        if cc is not None:
            block["cache_control"] = None if cc == "null" else cc
    if draw(st.integers(0, 6)) == 0:
        block["x_future"] = draw(_JSON)
    return block


@st.composite
def _text_block(draw: st.DrawFn) -> dict[str, Any]:
    block = text(draw(_TEXT))
    if draw(st.integers(0, 8)) == 0:
        block["citations"] = [
            {
                "type": "char_location",
                "cited_text": "x",
                "document_index": 0,
                "document_title": None,
                "start_char_index": 0,
                "end_char_index": 1,
            }
        ]
    return _decorate(draw, block)


@st.composite
def _image_block(draw: st.DrawFn) -> dict[str, Any]:
    source = draw(
        st.sampled_from(["base64", "url", "file"]).map(
            lambda kind: {
                "base64": {"type": "base64", "media_type": "image/png", "data": PNG},
                "url": {"type": "url", "url": "https://example.com/cat.png"},
                "file": {"type": "file", "file_id": "file_011CNha8iCJcU1wXNR6q4V8w"},
            }[kind]
        )
    )
    if source["type"] == "base64":
        source["media_type"] = draw(
            st.sampled_from(["image/jpeg", "image/png", "image/gif", "image/webp"])
        )
        source["data"] = draw(_B64)
    return _decorate(draw, {"type": "image", "source": source})


@st.composite
def _document_block(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["base64", "text", "url", "file"]))
    source: dict[str, Any] = {
        "base64": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQK"},
        "text": {"type": "text", "media_type": "text/plain", "data": draw(_ANY_TEXT)},
        "url": {"type": "url", "url": "https://example.com/report.pdf"},
        "file": {"type": "file", "file_id": "file_011CNvxoj286tYUAZFiZMf1U"},
    }[kind]
    block: dict[str, Any] = {"type": "document", "source": source}
    for key in ("title", "context"):
        value = draw(st.sampled_from([None, "null", "text"]))
        if value is not None:
            block[key] = None if value == "null" else draw(_TEXT)
    if draw(st.booleans()):
        block["citations"] = {"enabled": draw(st.booleans())}
    return _decorate(draw, block)


_CONTENT = st.one_of(_text_block(), _text_block(), _image_block(), _document_block())


@st.composite
def _tool_result(draw: st.DrawFn, call_id: str) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": call_id}
    shape = draw(st.sampled_from(["absent", "string", "list"]))
    if shape == "string":
        block["content"] = draw(_ANY_TEXT)
    elif shape == "list":
        block["content"] = draw(st.lists(_CONTENT, max_size=3))
    if draw(st.booleans()):
        block["is_error"] = draw(st.booleans())
    return _decorate(draw, block)


@st.composite
def _assistant_blocks(draw: st.DrawFn, ids: list[str]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if draw(st.integers(0, 3)) == 0:
        blocks.append({"type": "thinking", "thinking": draw(_ANY_TEXT), "signature": "EqQBCgIYAh"})
    if draw(st.integers(0, 5)) == 0:
        blocks.append({"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"})
    blocks.extend(draw(st.lists(_text_block(), max_size=2)))
    if draw(st.integers(0, 5)) == 0:
        server_id = f"srvtoolu_{len(ids)}"
        blocks.append(
            {
                "type": "server_tool_use",
                "id": server_id,
                "name": "web_search",
                "input": {"query": "q"},
            }
        )
        blocks.append(
            {
                "type": "web_search_tool_result",
                "tool_use_id": server_id,
                "content": [
                    {
                        "type": "web_search_result",
                        "url": "https://example.com",
                        "title": "t",
                        "encrypted_content": "e",
                    }
                ],
            }
        )
    for call_id in ids:
        block = {
            "type": "tool_use",
            "id": call_id,
            "name": draw(_NAME),
            "input": draw(st.dictionaries(_NAME, _JSON, max_size=3)),
        }
        blocks.append(_decorate(draw, block))
    if not blocks:
        blocks.append(draw(_text_block()))
    return blocks


@st.composite
def _message(draw: st.DrawFn, role: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": role, "content": blocks}
    if len(blocks) == 1 and blocks[0] == text(blocks[0].get("text", "")) and draw(st.booleans()):
        message["content"] = blocks[0]["text"]
    if draw(st.integers(0, 8)) == 0:
        message["x_future"] = draw(_JSON)
    return message


@st.composite
def _conversation(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Alternating turns from a user turn; every tool_use answered first in the next turn."""
    messages: list[dict[str, Any]] = []
    pending: list[str] = []
    for turn in range(draw(st.integers(1, 4))):
        blocks = [draw(_tool_result(i)) for i in pending]
        blocks.extend(draw(st.lists(_CONTENT, min_size=0 if pending else 1, max_size=3)))
        messages.append(draw(_message("user", blocks)))
        suffixes = draw(st.lists(st.from_regex(r"[A-Za-z0-9_-]{0,8}", fullmatch=True), max_size=2))
        pending = [f"toolu_{turn}{k}{suffix}" for k, suffix in enumerate(suffixes)]
        if not pending and draw(st.integers(0, 4)) == 0:
            return messages  # ends with a user turn
        messages.append(draw(_message("assistant", draw(_assistant_blocks(pending)))))
    if pending:
        blocks = [draw(_tool_result(i)) for i in pending] + draw(st.lists(_CONTENT, max_size=1))
        messages.append(draw(_message("user", blocks)))
    return messages


@st.composite
def _tools(draw: st.DrawFn) -> list[dict[str, Any]]:
    tools: list[dict[str, Any]] = []
    for name in draw(st.lists(_NAME, max_size=3, unique=True)):
        schema = {"type": "object", "properties": {"q": {"type": "string"}}}
        tool: dict[str, Any] = {"name": name, "input_schema": schema}
        if draw(st.booleans()):
            tool["description"] = draw(_TEXT)
        if draw(st.integers(0, 4)) == 0:
            tool["strict"] = draw(st.booleans())
        if draw(st.integers(0, 4)) == 0:
            tool["type"] = "custom"
        tools.append(_decorate(draw, tool))
    if draw(st.integers(0, 3)) == 0:
        uses = draw(st.integers(1, 5))
        tools.append({"type": "web_search_20250305", "name": "web_search", "max_uses": uses})
    return tools


def _maybe(draw: st.DrawFn, body: dict[str, Any], key: str, values: st.SearchStrategy[Any]) -> None:
    if draw(st.integers(0, 2)) == 0:
        body[key] = draw(values)


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    """Any Messages request body `validate` accepts (and so the API should)."""
    models = ["claude-sonnet-4-5", "claude-opus-4-1-20250805", "claude-haiku-4-5"]
    body: dict[str, Any] = {
        "model": draw(st.sampled_from(models)),
        "max_tokens": draw(st.integers(1, 64000)),
        "messages": draw(_conversation()),
    }
    _maybe(draw, body, "system", st.one_of(_TEXT, st.lists(_text_block(), max_size=3)))
    tools = draw(_tools())
    if tools:
        body["tools"] = tools
        kind = draw(st.sampled_from([None, "auto", "any", "tool", "none"]))
        if kind is not None:
            choice: dict[str, Any] = {"type": kind}
            if kind == "tool":
                choice["name"] = tools[0]["name"]
            if kind != "none" and draw(st.booleans()):
                choice["disable_parallel_tool_use"] = draw(st.booleans())
            body["tool_choice"] = choice
    _maybe(draw, body, "temperature", st.one_of(st.floats(0, 1), st.sampled_from([0, 1])))
    _maybe(draw, body, "top_p", st.floats(0, 1))
    _maybe(draw, body, "top_k", st.integers(1, 500))
    _maybe(draw, body, "stop_sequences", st.lists(_TEXT, max_size=2))
    _maybe(draw, body, "stream", st.booleans())
    _maybe(draw, body, "metadata", st.builds(lambda u: {"user_id": u}, _NAME))
    _maybe(draw, body, "thinking", st.just({"type": "enabled", "budget_tokens": 1024}))
    return body


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies())
def test_generated_bodies_round_trip_exactly(body: dict[str, Any]) -> None:
    assert_accepted(body)
    decoded = CONV.decode(body)
    assert round_trip(body) == body
    # The hints survive the document being written to JSON and read back.
    again = load_document(json.loads(json.dumps(dump_document(decoded.document))))
    assert CONV.encode(again, EncodeOptions()).body == body


# -- any AIF document becomes a body the API accepts ----------------------------------


def test_consecutive_user_turns_are_merged() -> None:
    body, losses = encode(
        doc(user(text("Hello.")), user(text("Are you there?")), assistant(text("Yes.")))
    )
    assert_accepted(body)
    assert body["messages"] == [
        {"role": "user", "content": [text("Hello."), text("Are you there?")]},
        {"role": "assistant", "content": "Yes."},
    ]
    assert losses == [("/messages/1", "transformed", "anthropic/alternating-roles")]


def test_a_conversation_may_start_with_the_assistant() -> None:
    # Recorded: the Messages API answers this body (Bedrock's Anthropic endpoint does not).
    recorded = load("sdk-issue-622__assistant-first")
    assert recorded["messages"][0]["role"] == "assistant"
    assert CONV.validate(recorded) == []
    assert round_trip(recorded) == recorded
    out, report = convert(recorded, source="anthropic", target="anthropic")
    assert out == recorded
    assert report.lossless
    body, losses = encode(doc(assistant(text("How can I help?")), user(text("Weather?"))))
    assert_accepted(body)
    assert [m["role"] for m in body["messages"]] == ["assistant", "user"]
    assert losses == []


def test_system_and_developer_text_are_lifted_in_order() -> None:
    document = doc(
        user(text("Hi")),
        {"role": "developer", "parts": [text("Mid-conversation rule.")]},
        assistant(text("Hello")),
        instructions=[
            {"role": "system", "parts": [text("You are terse.")]},
            {"role": "developer", "parts": [text("Answer in French.")]},
        ],
    )
    body, losses = encode(document)
    assert_accepted(body)
    assert body["system"] == [
        text("You are terse."),
        text("Answer in French."),
        text("Mid-conversation rule."),
    ]
    assert body["messages"] == [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
    ]
    assert losses == [
        ("/instructions/1", "transformed", "anthropic/developer-instructions"),
        ("/messages/1", "transformed", "anthropic/system-position"),
    ]


def test_tool_messages_become_the_user_turn_with_results_first() -> None:
    body, losses = encode(
        doc(
            user(text("Weather in Paris and Oslo?")),
            assistant(call("toolu_a", "weather"), call("toolu_b", "weather")),
            {"role": "tool", "parts": [result("toolu_a", text("18C"))]},
            {"role": "tool", "parts": [result("toolu_b", text("7C"))]},
            user(text("Which is warmer?")),
        )
    )
    assert_accepted(body)
    assert body["messages"][2] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_a", "content": "18C"},
            {"type": "tool_result", "tool_use_id": "toolu_b", "content": "7C"},
            text("Which is warmer?"),
        ],
    }
    assert losses == [
        ("/messages/3", "transformed", "anthropic/alternating-roles"),
        ("/messages/4", "transformed", "anthropic/alternating-roles"),
    ]


def test_ids_that_differ_only_in_punctuation_stay_distinct() -> None:
    # LiteLLM maps both "call.1" and "call:1" to "call_1" and silently loses a call.
    body, losses = encode(
        doc(
            user(text("Paris and Oslo?")),
            assistant(call("call.1", "weather"), call("call:1", "weather")),
            {"role": "tool", "parts": [result("call.1", text("Paris: 18C"))]},
            {"role": "tool", "parts": [result("call:1", text("Oslo: 7C"))]},
        )
    )
    assert_accepted(body)
    uses = body["messages"][1]["content"]
    results = body["messages"][2]["content"]
    assert len({uses[0]["id"], uses[1]["id"]}) == 2
    assert [r["tool_use_id"] for r in results] == [uses[0]["id"], uses[1]["id"]]
    assert [r["content"] for r in results] == ["Paris: 18C", "Oslo: 7C"]
    assert losses == [
        ("/messages/1/parts/0/id", "transformed", "anthropic/tool-id-charset"),
        ("/messages/1/parts/1/id", "transformed", "anthropic/tool-id-charset"),
        ("/messages/3", "transformed", "anthropic/alternating-roles"),
        ("/messages/2/parts/0", "transformed", "anthropic/tool-id-charset"),
        ("/messages/3/parts/0", "transformed", "anthropic/tool-id-charset"),
    ]


def test_a_remapped_id_never_takes_an_id_already_in_the_document() -> None:
    document = doc(
        user(text("go")),
        assistant(call("a.b"), call("a_b")),
        user(result("a.b", text("1")), result("a_b", text("2"))),
    )
    body, _ = encode(document)
    assert_accepted(body)
    ids = [u["id"] for u in body["messages"][1]["content"]]
    assert ids[1] == "a_b"
    assert ids[0] != "a_b"


def test_a_call_without_result_gets_an_error_result() -> None:
    body, losses = encode(
        doc(
            user(text("Look it up.")),
            assistant(text("Looking."), call("toolu_1")),
            user(text("Well?")),
        )
    )
    assert_accepted(body)
    assert body["messages"][2]["content"] == [
        {
            "type": "tool_result",
            "tool_use_id": "toolu_1",
            "content": MISSING_RESULT_TEXT,
            "is_error": True,
        },
        text("Well?"),
    ]
    assert losses == [("/messages/1/parts/1", "synthesized", "anthropic/tool-result-missing")]


def test_a_trailing_call_gets_a_user_turn_with_its_error_result() -> None:
    body, losses = encode(doc(user(text("Look it up.")), assistant(call("toolu_1"))))
    assert_accepted(body)
    assert body["messages"][-1]["role"] == "user"
    assert body["messages"][-1]["content"][0]["is_error"] is True
    assert losses == [("/messages/1/parts/0", "synthesized", "anthropic/tool-result-missing")]


def test_a_result_without_its_call_becomes_text() -> None:
    body, losses = encode(
        doc(user(text("Hi"), result("toolu_ghost", text("42"))), assistant(text("Ok")))
    )
    assert_accepted(body)
    assert body["messages"][0]["content"] == [
        text("Hi"),
        text("Result of tool call toolu_ghost:\n42"),
    ]
    assert losses == [("/messages/0/parts/1", "transformed", "anthropic/orphan-tool-result")]


def test_a_result_later_in_the_conversation_is_moved_after_its_call() -> None:
    body, losses = encode(
        doc(
            user(text("Go")),
            assistant(call("toolu_1")),
            user(text("Any news?")),
            assistant(text("Waiting.")),
            user(result("toolu_1", text("done")), text("There.")),
        )
    )
    assert_accepted(body)
    assert body["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "done"},
        text("Any news?"),
    ]
    assert body["messages"][4] == {"role": "user", "content": "There."}
    assert losses == [("/messages/4/parts/0", "transformed", "anthropic/tool-result-placement")]


def test_a_result_after_other_content_moves_first() -> None:
    body, losses = encode(
        doc(
            user(text("Go")),
            assistant(call("toolu_1")),
            user(text("here:"), result("toolu_1", text("done"))),
        )
    )
    assert_accepted(body)
    assert [b["type"] for b in body["messages"][2]["content"]] == ["tool_result", "text"]
    assert losses == [("/messages/2/parts/1", "transformed", "anthropic/tool-result-placement")]


def test_a_repeated_call_id_gets_an_id_of_its_own() -> None:
    body, losses = encode(
        doc(
            user(text("one")),
            assistant(call("call_0")),
            {"role": "tool", "parts": [result("call_0", text("first"))]},
            assistant(call("call_0")),
            {"role": "tool", "parts": [result("call_0", text("second"))]},
        )
    )
    assert_accepted(body)
    first = body["messages"][1]["content"][0]["id"]
    second = body["messages"][3]["content"][0]["id"]
    assert first == "call_0"
    assert second != first
    assert body["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": first, "content": "first"}
    ]
    assert body["messages"][4]["content"] == [
        {"type": "tool_result", "tool_use_id": second, "content": "second"}
    ]
    assert losses == [
        ("/messages/3/parts/0/id", "transformed", "anthropic/tool-id-unique"),
        ("/messages/4/parts/0", "transformed", "anthropic/tool-id-unique"),
    ]


def test_a_call_in_a_user_message_becomes_text() -> None:
    body, losses = encode(doc(user(text("Hi"), call("toolu_1", arguments={"a": 1}))))
    assert_accepted(body)
    assert body["messages"][0]["content"][1] == text('Tool call f (toolu_1): {"a":1}')
    assert losses == [("/messages/0/parts/1", "transformed", "anthropic/tool-call-role")]


@pytest.mark.parametrize(
    ("arguments", "severity"),
    [
        ({"raw_arguments": '{"city": "Par'}, "error"),
        ({"arguments": ["not", "an", "object"]}, "error"),
        ({"arguments": None}, "info"),
        ({"raw_arguments": ""}, "info"),
    ],
)
def test_tool_input_must_be_an_object(arguments: dict[str, Any], severity: str) -> None:
    part = {**call("toolu_1"), **arguments}
    if "raw_arguments" in arguments:
        part.pop("arguments")
    encoded = CONV.encode(
        load_document(doc(user(text("go")), assistant(part), user(result("toolu_1")))),
        EncodeOptions(),
    )
    assert_accepted(encoded.body)
    assert encoded.body["messages"][1]["content"][0]["input"] == {}
    (entry,) = encoded.losses.resolve(None)
    assert (entry.pointer, entry.action, entry.rule, entry.severity) == (
        "/messages/1/parts/0",
        "dropped",
        "anthropic/tool-input-object",
        severity,
    )


_OPENAI_REASONING = {
    "type": "reasoning",
    "text": "I think.",
    "redacted": "gAAAA",
    "valid_for": {"provider": "openai", "model": "o3"},
}
_SIGNED = {
    "type": "reasoning",
    "text": "Hmm.",
    "signature": "EqQB",
    "valid_for": {"provider": "anthropic", "model": "claude-sonnet-4-5-20250929"},
}


@pytest.mark.parametrize(
    ("part", "model", "policy", "expected", "action"),
    [
        (_OPENAI_REASONING, "claude-sonnet-4-5", "drop", None, "dropped"),
        (
            _OPENAI_REASONING,
            "claude-sonnet-4-5",
            "text",
            text("<reasoning>I think.</reasoning>"),
            "transformed",
        ),
        (
            {"type": "reasoning", "text": "plain"},
            "claude-sonnet-4-5",
            "text",
            text("<reasoning>plain</reasoning>"),
            "transformed",
        ),
        ({"type": "reasoning", "text": "plain"}, "claude-sonnet-4-5", "drop", None, "dropped"),
        (_SIGNED, "claude-opus-4-1", "drop", None, "dropped"),
        (
            _SIGNED,
            "claude-sonnet-4-5",
            "drop",
            {"type": "thinking", "thinking": "Hmm.", "signature": "EqQB"},
            None,
        ),
        (
            {**_SIGNED, "text": None, "signature": None, "redacted": "RU5D"},
            "claude-sonnet-4-5",
            "drop",
            {"type": "redacted_thinking", "data": "RU5D"},
            None,
        ),
    ],
)
def test_reasoning_replays_only_where_it_is_valid(
    part: dict[str, Any],
    model: str,
    policy: str,
    expected: dict[str, Any] | None,
    action: str | None,
) -> None:
    document = doc(
        user(text("Q")), assistant(part, text("A")), settings={"model": model, "max_tokens": 50}
    )
    body, losses = encode(document, reasoning=policy)
    assert_accepted(body)
    content = body["messages"][1]["content"]
    assert content == ([expected, text("A")] if expected else "A")
    assert losses == (
        [("/messages/1/parts/0", action, "anthropic/reasoning-replay")] if action else []
    )


def test_what_anthropic_cannot_take_is_dropped_or_transformed() -> None:
    image = {"type": "image", "source": {"kind": "base64", "media_type": "image/png", "data": PNG}}
    document = doc(
        user(
            text("Look"),
            {**image, "detail": "low"},
            {"type": "image", "source": {"kind": "base64", "data": PNG}},
            {
                "type": "image",
                "source": {"kind": "base64", "media_type": "image/tiff", "data": PNG},
            },
            {"type": "image", "source": {"kind": "url", "url": f"data:image/png;base64,{PNG}"}},
            {
                "type": "image",
                "source": {"kind": "file", "file_id": "file-abc", "provider": "openai"},
            },
            {
                "type": "audio",
                "source": {"kind": "base64", "media_type": "audio/wav", "data": "UklGRg=="},
                "format": "wav",
            },
            {
                "type": "document",
                "source": {"kind": "url", "url": "https://example.com/a.pdf"},
                "filename": "a.pdf",
            },
            {
                "type": "document",
                "source": {"kind": "base64", "media_type": "text/markdown", "data": "IyBIaQ=="},
            },
            {
                "type": "document",
                "source": {"kind": "base64", "media_type": "application/msword", "data": "AAAA"},
            },
            {"type": "provider", "format": "openai-chat", "data": {"type": "input_file"}},
            text("   "),
            name="ada",
        ),
        assistant({"type": "refusal", "text": "I can't help with that."}),
        user(text("")),
        settings={"model": "claude-sonnet-4-5", "max_tokens": 100, "seed": 7, "temperature": 1.5},
    )
    body, losses = encode(document)
    assert_accepted(body)
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                text("Look"),
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                },
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                },
                {
                    "type": "document",
                    "source": {"type": "url", "url": "https://example.com/a.pdf"},
                    "title": "a.pdf",
                },
                {
                    "type": "document",
                    "source": {"type": "text", "media_type": "text/plain", "data": "# Hi"},
                },
            ],
        },
        {"role": "assistant", "content": "I can't help with that."},
    ]
    assert body["temperature"] == 1.0
    assert "seed" not in body
    assert losses == [
        ("/messages/0/name", "dropped", "anthropic/no-field"),
        ("/messages/0/parts/1/detail", "dropped", "anthropic/image-detail"),
        ("/messages/0/parts/2", "dropped", "anthropic/image-media-type"),
        ("/messages/0/parts/3", "dropped", "anthropic/image-media-type"),
        ("/messages/0/parts/4", "transformed", "anthropic/data-url"),
        ("/messages/0/parts/5", "dropped", "anthropic/file-id"),
        ("/messages/0/parts/6", "dropped", "anthropic/no-audio"),
        ("/messages/0/parts/7/filename", "transformed", "anthropic/document-filename"),
        ("/messages/0/parts/8", "transformed", "anthropic/document-media-type"),
        ("/messages/0/parts/9", "dropped", "anthropic/document-media-type"),
        ("/messages/0/parts/10", "dropped", "anthropic/provider-part"),
        ("/messages/0/parts/11", "dropped", "anthropic/empty-text"),
        ("/messages/1/parts/0", "transformed", "anthropic/refusal"),
        ("/messages/2/parts/0", "dropped", "anthropic/empty-text"),
        ("/messages/2", "dropped", "anthropic/empty-message"),
        ("/settings/temperature", "transformed", "anthropic/temperature-range"),
        ("/settings/seed", "dropped", "anthropic/no-field"),
    ]


def test_tools_and_tool_choice() -> None:
    document = doc(
        user(text("go")),
        tools=[
            {
                "name": "lookup",
                "description": "Look up.",
                "parameters": {"type": "object"},
                "strict": True,
                "cache": {"ttl": "1h"},
            },
            {"name": "bare"},
            {"kind": "custom", "name": "grammar_tool"},
            {
                "kind": "web_search_20250305",
                "name": "web_search",
                "extensions": {"anthropic": {"extra": {"max_uses": 2}}},
            },
        ],
        settings={
            "model": "claude-sonnet-4-5",
            "max_tokens": 100,
            "tool_choice": {"mode": "required"},
            "parallel_tool_calls": False,
        },
    )
    body, losses = encode(document)
    assert_accepted(body)
    assert body["tools"] == [
        {
            "name": "lookup",
            "description": "Look up.",
            "input_schema": {"type": "object"},
            "strict": True,
            "cache_control": {"type": "ephemeral", "ttl": "1h"},
        },
        {"name": "bare", "input_schema": {"type": "object", "properties": {}}},
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 2},
    ]
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert losses == [
        ("/tools/1/parameters", "synthesized", "anthropic/tool-input-schema"),
        ("/tools/2", "dropped", "anthropic/tool-kind"),
    ]


@pytest.mark.parametrize(
    ("choice", "parallel", "expected"),
    [
        ({"mode": "auto"}, None, {"type": "auto"}),
        ({"mode": "none"}, None, {"type": "none"}),
        (
            {"mode": "tool", "name": "f"},
            True,
            {"type": "tool", "name": "f", "disable_parallel_tool_use": False},
        ),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
        (None, True, None),
    ],
)
def test_tool_choice_mapping(
    choice: dict[str, Any] | None, parallel: bool | None, expected: dict[str, Any] | None
) -> None:
    settings_: dict[str, Any] = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 10,
        "tool_choice": choice,
        "parallel_tool_calls": parallel,
    }
    body, _ = encode(
        doc(
            user(text("go")),
            tools=[{"name": "f", "parameters": {"type": "object"}}],
            settings=settings_,
        )
    )
    assert_accepted(body)
    assert body.get("tool_choice") == expected


def test_tool_choice_is_dropped_with_the_tool_it_names() -> None:
    settings_ = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 10,
        "tool_choice": {"mode": "tool", "name": "grammar"},
    }
    body, losses = encode(
        doc(user(text("go")), tools=[{"kind": "custom", "name": "grammar"}], settings=settings_)
    )
    assert_accepted(body)
    assert "tool_choice" not in body
    assert "tools" not in body
    assert losses == [
        ("/tools/0", "dropped", "anthropic/tool-kind"),
        ("/settings/tool_choice", "dropped", "anthropic/tool-choice"),
    ]


def test_cache_hints_are_carried() -> None:
    document = doc(
        user(text("a", cache={}), text("b", cache={"ttl": "1h"}), text("c", cache={"ttl": "24h"})),
        instructions=[{"role": "system", "parts": [text("Sys", cache={"ttl": "5m"})]}],
    )
    body, losses = encode(document)
    assert_accepted(body)
    assert body["system"] == [text("Sys", cache_control={"type": "ephemeral", "ttl": "5m"})]
    assert body["messages"][0]["content"] == [
        text("a", cache_control={"type": "ephemeral"}),
        text("b", cache_control={"type": "ephemeral", "ttl": "1h"}),
        text("c", cache_control={"type": "ephemeral"}),
    ]
    assert losses == [("/messages/0/parts/2/cache", "transformed", "anthropic/cache-ttl")]


def test_max_tokens_is_synthesized_when_missing() -> None:
    body, losses = encode(
        doc(user(text("Hi")), settings={"model": "claude-sonnet-4-5"}), default_max_tokens=333
    )
    assert_accepted(body)
    assert body["max_tokens"] == 333
    assert losses == [("/max_tokens", "synthesized", "anthropic/max-tokens-required")]


def test_foreign_extra_fields_are_reported_on_every_element() -> None:
    foreign = {"openai-chat": {"extra": {"x": 1}}}
    form_only = {"openai-chat": {"form": {"content": "parts"}}}
    document = doc(
        user(text("Hi", extensions=foreign), extensions=foreign),
        assistant(text("Yo", extensions=form_only), extensions=form_only),
        instructions=[{"role": "system", "parts": [text("Sys")], "extensions": foreign}],
        tools=[{"name": "f", "parameters": {"type": "object"}, "extensions": foreign}],
        settings={"model": "claude-sonnet-4-5", "max_tokens": 9, "extensions": foreign},
        extensions=foreign,
    )
    body, losses = encode(document)
    assert_accepted(body)
    assert all(rule == "anthropic/no-field" and action == "dropped" for _, action, rule in losses)
    assert [p for p, _, _ in losses] == [
        "/instructions/0/extensions/openai-chat/extra/x",
        "/messages/0/extensions/openai-chat/extra/x",
        "/messages/0/parts/0/extensions/openai-chat/extra/x",
        "/extensions/openai-chat/extra/x",
        "/tools/0/extensions/openai-chat/extra/x",
        "/settings/extensions/openai-chat/extra/x",
    ]


def test_results_keep_images_and_documents() -> None:
    image = {"type": "image", "source": {"kind": "url", "url": "https://example.com/chart.png"}}
    document_part = {
        "type": "document",
        "source": {"kind": "text", "text": "notes"},
        "title": "Notes",
    }
    body, losses = encode(
        doc(
            user(text("go")),
            assistant(call("toolu_1")),
            user(result("toolu_1", text("Chart:"), image, document_part, is_error=False)),
        )
    )
    assert_accepted(body)
    assert body["messages"][2]["content"] == [
        {
            "type": "tool_result",
            "tool_use_id": "toolu_1",
            "content": [
                text("Chart:"),
                {
                    "type": "image",
                    "source": {"type": "url", "url": "https://example.com/chart.png"},
                },
                {
                    "type": "document",
                    "source": {"type": "text", "media_type": "text/plain", "data": "notes"},
                    "title": "Notes",
                },
            ],
            "is_error": False,
        }
    ]
    assert losses == []


@pytest.mark.parametrize("n", [1, 2, 40])
def test_every_output_of_a_long_mixed_document_is_valid(n: int) -> None:
    messages: list[dict[str, Any]] = []
    for i in range(n):
        messages += [
            user(text(f"q{i}")),
            assistant(call(f"call.{i}"), call(f"call:{i}")),
            {"role": "tool", "parts": [result(f"call.{i}", text("a"))]},
            user(text("")),
        ]
    body, _ = encode(doc(*messages))
    assert_accepted(body)


# -- malformed input ------------------------------------------------------------------

_OK: dict[str, Any] = {"model": "claude-sonnet-4-5", "max_tokens": 10}


def _with(**fields: Any) -> dict[str, Any]:
    return {**_OK, "messages": [{"role": "user", "content": "hi"}], **fields}


def _blocks(*blocks: Any) -> dict[str, Any]:
    return _with(messages=[{"role": "user", "content": list(blocks)}])


_IMAGE = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}


@pytest.mark.parametrize(
    ("body", "pointer", "problem"),
    [
        ([], "", "expected an object, got an array"),
        ({"model": "m"}, "/messages", "missing required field"),
        (_with(messages={"role": "user"}), "/messages", "expected an array, got an object"),
        (_with(messages=["hi"]), "/messages/0", "expected an object, got a string"),
        (_with(messages=[{"content": "hi"}]), "/messages/0/role", "missing required field"),
        (
            _with(messages=[{"role": "bot", "content": "hi"}]),
            "/messages/0/role",
            "expected 'user' or 'assistant', got 'bot'",
        ),
        (
            _with(messages=[{"role": 1, "content": "hi"}]),
            "/messages/0/role",
            "expected a string, got a number",
        ),
        (_with(messages=[{"role": "user"}]), "/messages/0/content", "missing required field"),
        (
            _with(messages=[{"role": "user", "content": 3}]),
            "/messages/0/content",
            "expected a string or an array, got a number",
        ),
        (
            _with(
                messages=[
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": "hello"},
                    {
                        "role": "assistant",
                        "content": [{"type": "tool_use", "id": 7, "name": "f", "input": {}}],
                    },
                ]
            ),
            "/messages/2/content/0/id",
            "expected a string, got a number",
        ),
        (_blocks("text"), "/messages/0/content/0", "expected an object, got a string"),
        (_blocks({"text": "hi"}), "/messages/0/content/0/type", "missing required field"),
        (
            _blocks({"type": "text", "text": None}),
            "/messages/0/content/0/text",
            "expected a string, got null",
        ),
        (
            _blocks({"type": "text", "text": "a", "cache_control": "yes"}),
            "/messages/0/content/0/cache_control",
            "expected an object, got a string",
        ),
        (_blocks({"type": "image"}), "/messages/0/content/0/source", "missing required field"),
        (
            _blocks({"type": "image", "source": {"type": "base64", "data": PNG}}),
            "/messages/0/content/0/source/media_type",
            "missing required field",
        ),
        (
            _blocks({"type": "image", "source": {"type": "url", "url": 5}}),
            "/messages/0/content/0/source/url",
            "expected a string, got a number",
        ),
        (
            _blocks({"type": "document", "source": {"type": "text", "media_type": "text/plain"}}),
            "/messages/0/content/0/source/data",
            "missing required field",
        ),
        (
            _blocks({"type": "document", "source": {"type": "url", "url": "u"}, "title": 1}),
            "/messages/0/content/0/title",
            "expected a string, got a number",
        ),
        (
            _blocks({"type": "tool_use", "id": "t", "name": "f"}),
            "/messages/0/content/0/input",
            "missing required field",
        ),
        (
            _blocks({"type": "tool_result", "tool_use_id": "t", "content": 1}),
            "/messages/0/content/0/content",
            "expected a string or an array, got a number",
        ),
        (
            _blocks(
                {"type": "tool_result", "tool_use_id": "t", "content": [_IMAGE, {"type": "text"}]}
            ),
            "/messages/0/content/0/content/1/text",
            "missing required field",
        ),
        (
            _blocks({"type": "tool_result", "tool_use_id": "t", "is_error": "yes"}),
            "/messages/0/content/0/is_error",
            "expected a boolean, got a string",
        ),
        (
            _blocks({"type": "thinking", "thinking": "t", "signature": 1}),
            "/messages/0/content/0/signature",
            "expected a string, got a number",
        ),
        (
            _blocks({"type": "redacted_thinking"}),
            "/messages/0/content/0/data",
            "missing required field",
        ),
        (_with(system=5), "/system", "expected a string or an array, got a number"),
        (_with(system=[_IMAGE]), "/system/0/type", "expected a text block, got 'image'"),
        (_with(max_tokens="10"), "/max_tokens", "expected an integer, got a string"),
        (_with(max_tokens=True), "/max_tokens", "expected an integer, got a boolean"),
        (_with(temperature="hot"), "/temperature", "expected a number, got a string"),
        (_with(top_k=1.5), "/top_k", "expected an integer, got a number"),
        (_with(stream="yes"), "/stream", "expected a boolean, got a string"),
        (_with(stop_sequences=["a", 1]), "/stop_sequences/1", "expected a string, got a number"),
        (_with(tools={}), "/tools", "expected an array, got an object"),
        (_with(tools=[{"input_schema": {}}]), "/tools/0/name", "missing required field"),
        (_with(tools=[{"name": "f"}]), "/tools/0/input_schema", "missing required field"),
        (
            _with(tools=[{"name": "f", "input_schema": []}]),
            "/tools/0/input_schema",
            "expected an object, got an array",
        ),
        (
            _with(tools=[{"name": "f", "type": 3}]),
            "/tools/0/type",
            "expected a string, got a number",
        ),
        (_with(tool_choice="auto"), "/tool_choice", "expected an object, got a string"),
        (_with(tool_choice={}), "/tool_choice/type", "missing required field"),
        (_with(tool_choice={"type": "tool"}), "/tool_choice/name", "missing required field"),
        (
            _with(tool_choice={"type": "any", "disable_parallel_tool_use": "no"}),
            "/tool_choice/disable_parallel_tool_use",
            "expected a boolean, got a string",
        ),
    ],
)
def test_malformed_input_names_the_pointer(body: Any, pointer: str, problem: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        CONV.decode(body)
    assert (info.value.pointer, info.value.problem) == (pointer, problem)
    assert str(info.value).startswith(f"{pointer or '/'}: {problem}")
    assert CONV.validate(body)[0].to_json() == {
        "pointer": pointer,
        "rule": "anthropic/schema",
        "message": problem,
    }


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        (_blocks(text("a", x={1, 2})), "/messages/0/content/0/x"),
        (
            _blocks({"type": "tool_use", "id": "t", "name": "f", "input": b"{}"}),
            "/messages/0/content/0/input",
        ),
        (
            _blocks({"type": "image", "source": {"type": "url", "url": "u", "z": object()}}),
            "/messages/0/content/0/source/z",
        ),
        (_blocks({"type": "server_tool_use", "v": {3}}), "/messages/0/content/0/v"),
        (_with(metadata={"a": [1, {2}]}), "/metadata/a/1"),
    ],
)
def test_values_that_are_not_json_name_the_pointer(body: Any, pointer: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        CONV.decode(body)
    assert info.value.pointer == pointer


def test_unknown_block_types_and_sources_are_kept_not_rejected() -> None:
    body = _blocks(
        {"type": "search_result", "source": "s", "title": "t", "content": [text("x")]},
        {"type": "image", "source": {"type": "future_source", "ref": 1}},
        {"type": "document", "source": {"type": "content", "content": [text("x")]}},
    )
    parts = CONV.decode(body).document.messages[0].parts
    assert [p.type for p in parts] == ["provider", "provider", "provider"]
    assert round_trip(body) == body


# -- validate -------------------------------------------------------------------------


def _pointers(body: Any) -> list[tuple[str, str]]:
    return [(v.pointer, v.rule) for v in CONV.validate(body)]


_USE = {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}
_RESULT = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("body", [("", "anthropic/schema")]),
        (
            {"messages": [{"role": "user", "content": "hi"}]},
            [
                ("/model", "anthropic/model-required"),
                ("/max_tokens", "anthropic/max-tokens-required"),
            ],
        ),
        (
            _with(messages=[{"role": "system", "content": "hi"}]),
            [("/messages/0/role", "anthropic/role")],
        ),
        (
            _with(
                messages=[
                    {"role": "user", "content": "a"},
                    {"role": "assistant", "content": [_USE]},
                    {"role": "user", "content": [text("x"), _RESULT]},
                ]
            ),
            [("/messages/2/content/1", "anthropic/tool-result-placement")],
        ),
        (
            _with(
                messages=[
                    {"role": "user", "content": "a"},
                    {"role": "assistant", "content": [_USE]},
                    {"role": "user", "content": "x"},
                ]
            ),
            [("/messages/1/content/0", "anthropic/tool-result-missing")],
        ),
        (
            _with(
                messages=[
                    {"role": "user", "content": "a"},
                    {"role": "assistant", "content": [_USE]},
                ]
            ),
            [("/messages/1/content/0", "anthropic/tool-result-missing")],
        ),
        (_blocks(_RESULT), [("/messages/0/content/0/tool_use_id", "anthropic/orphan-tool-result")]),
        (
            _with(
                messages=[
                    {"role": "user", "content": "a"},
                    {"role": "assistant", "content": [{**_USE, "id": "call.1"}]},
                    {"role": "user", "content": [{**_RESULT, "tool_use_id": "call.1"}]},
                ]
            ),
            [
                ("/messages/1/content/0/id", "anthropic/tool-id-charset"),
                ("/messages/2/content/0/tool_use_id", "anthropic/tool-id-charset"),
            ],
        ),
        (
            _with(
                messages=[
                    {"role": "user", "content": "a"},
                    {"role": "assistant", "content": [_USE]},
                    {"role": "user", "content": [_RESULT]},
                    {"role": "assistant", "content": [_USE]},
                    {"role": "user", "content": [_RESULT]},
                ]
            ),
            [("/messages/3/content/0/id", "anthropic/tool-id-unique")],
        ),
        (
            _with(
                messages=[
                    {"role": "user", "content": "a"},
                    {"role": "assistant", "content": [{**_USE, "input": "{}"}]},
                    {"role": "user", "content": [_RESULT]},
                ]
            ),
            [("/messages/1/content/0/input", "anthropic/tool-input-object")],
        ),
        (
            _with(
                messages=[
                    {"role": "user", "content": "a"},
                    {"role": "assistant", "content": [{"type": "thinking", "thinking": "t"}]},
                ]
            ),
            [("/messages/1/content/0", "anthropic/thinking-signature")],
        ),
        (_with(system=" "), [("/system", "anthropic/empty-text")]),
        (_with(system=[text("")]), [("/system/0/text", "anthropic/empty-text")]),
        (
            _with(messages=[{"role": "user", "content": "\n"}]),
            [("/messages/0/content", "anthropic/empty-text")],
        ),
        (_blocks(text(" ")), [("/messages/0/content/0/text", "anthropic/empty-text")]),
        (
            _with(messages=[{"role": "user", "content": []}]),
            [("/messages/0/content", "anthropic/empty-message")],
        ),
        (
            _with(
                messages=[
                    {"role": "user", "content": "a"},
                    {"role": "assistant", "content": [_USE]},
                    {"role": "user", "content": [{**_RESULT, "content": [text("")]}]},
                ]
            ),
            [("/messages/2/content/0/content/0/text", "anthropic/empty-text")],
        ),
        (
            _blocks(
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/bmp", "data": "Qk0="},
                }
            ),
            [("/messages/0/content/0/source/media_type", "anthropic/image-media-type")],
        ),
        (
            _blocks(
                {
                    "type": "document",
                    "source": {"type": "base64", "media_type": "text/csv", "data": "YQ=="},
                }
            ),
            [("/messages/0/content/0/source/media_type", "anthropic/document-media-type")],
        ),
        (_with(temperature=1.5), [("/temperature", "anthropic/temperature-range")]),
        (_blocks(_USE), [("/messages/0/content/0", "anthropic/tool-call-role")]),
        (
            _blocks({"type": "redacted_thinking", "data": "x"}),
            [("/messages/0/content/0", "anthropic/thinking-role")],
        ),
        (
            _with(
                messages=[
                    {"role": "user", "content": "a"},
                    {"role": "assistant", "content": [_RESULT]},
                ]
            ),
            [("/messages/1/content/0", "anthropic/tool-result-placement")],
        ),
        (
            _blocks(
                {"type": "image", "source": {"type": "url", "url": f"data:image/png;base64,{PNG}"}}
            ),
            [("/messages/0/content/0/source/url", "anthropic/data-url")],
        ),
        (
            _blocks(text("a", cache_control={"type": "ephemeral", "ttl": "24h"})),
            [("/messages/0/content/0/cache_control/ttl", "anthropic/cache-ttl")],
        ),
        (
            _with(
                tools=[
                    {
                        "name": "f",
                        "input_schema": {},
                        "cache_control": {"type": "ephemeral", "ttl": 5},
                    }
                ]
            ),
            [("/tools/0/cache_control/ttl", "anthropic/cache-ttl")],
        ),
        (_with(max_tokens=None), [("/max_tokens", "anthropic/schema")]),
    ],
)
def test_validate_names_each_rule(body: Any, expected: list[tuple[str, str]]) -> None:
    assert _pointers(body) == expected


def test_validate_accepts_the_documented_examples() -> None:
    for name in NAMES:
        assert CONV.validate(load(name)) == [], name


# -- wire values of the wrong type (issue 11: found by tests/fuzz) ----------------------


@pytest.mark.parametrize("value", [["5m"], {"a": 1}])
def test_validate_flags_values_of_the_wrong_type_without_crashing(value: Any) -> None:
    body = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 10,
        "system": [
            {"type": "text", "text": "s", "cache_control": {"type": "ephemeral", "ttl": value}}
        ],
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": value, "data": "AA=="},
                    },
                    {"type": "document", "source": {"type": value, "data": "x"}},
                ],
            }
        ],
    }
    rules = {v.rule for v in CONV.validate(body)}
    assert {"anthropic/cache-ttl", "anthropic/image-media-type"} <= rules


@pytest.mark.parametrize("nulls", ["citations", [["citations"]], {"a": 1}])
def test_a_malformed_null_hint_in_aif_is_ignored(nulls: Any) -> None:
    doc = {
        "settings": {"model": "claude-sonnet-4-5", "max_tokens": 10},
        "messages": [
            {
                "role": "user",
                "parts": [
                    {
                        "type": "text",
                        "text": "hi",
                        "extensions": {"anthropic": {"form": {"null": nulls}}},
                    }
                ],
            }
        ],
    }
    out, _ = convert(doc, source="aif", target="anthropic")
    assert out["messages"][0]["content"] in ("hi", [{"type": "text", "text": "hi"}])
