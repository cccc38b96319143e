"""The ``openai-responses`` converter: golden fixtures, exact round trips, the
Responses API's rules on any AIF document, loss reports, malformed input and
`validate`.

Every body the encoder writes here is checked against the official SDK's request
type (``openai.types.responses.ResponseCreateParams``) and against `validate`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai.types.responses.response_create_params import (
    ResponseCreateParamsNonStreaming,
    ResponseCreateParamsStreaming,
)
from openai.types.responses.response_output_message_param import ResponseOutputMessageParam

from aifkit.aif import (
    FORMATS,
    Document,
    EncodeOptions,
    convert,
    dump_document,
    load_document,
)
from aifkit.aif.converters._openai_responses_encode import MISSING_RESULT_TEXT, RULES
from aifkit.aif.converters.openai_responses import OPENAI_RESPONSES, OpenAIResponsesConverter
from aifkit.errors import InvalidInputError
from tests.aif.recorded import today
from tests.aif.strategies import documents

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
NAMES = sorted(
    p.name.removesuffix(".json")
    for p in (FIXTURES / "openai-responses").glob("*.json")
    if ".aif." not in p.name
)
CONV = OpenAIResponsesConverter()
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="

_NON_STREAMING: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(ResponseCreateParamsNonStreaming)
_STREAMING: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(ResponseCreateParamsStreaming)
_OUTPUT_MESSAGE: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(ResponseOutputMessageParam)


def _consume(value: Any) -> None:
    # The SDK types `Iterable[...]` fields, which pydantic validates lazily.
    if isinstance(value, dict):
        for item in value.values():  # pyright: ignore[reportUnknownVariableType]
            _consume(item)
    elif isinstance(value, list | tuple) or hasattr(value, "__next__"):
        for item in value:  # pyright: ignore[reportUnknownVariableType]
            _consume(item)


def _sdk_view(body: dict[str, Any]) -> dict[str, Any]:
    """The body as the SDK's request type reads it.

    The SDK models an assistant message with a content *list* only as an output
    item read back from the API (``ResponseOutputMessageParam``: ``id`` and
    ``status`` required); the API itself takes input messages without them (as
    OpenAI's Codex CLI sends them). Such a message is checked against that type
    on its own, with placeholders for the two keys, and left out of the body check.
    """
    items = body.get("input")
    if not isinstance(items, list):
        return body
    kept: list[Any] = []
    for item in items:  # pyright: ignore[reportUnknownVariableType]
        if item.get("role") == "assistant" and isinstance(item.get("content"), list):
            filled = {"id": "msg_placeholder", "status": "completed", "type": "message", **item}
            _consume(_OUTPUT_MESSAGE.validate_python(filled))
        else:
            kept.append(item)
    return {**body, "input": kept}


def assert_accepted(body: dict[str, Any]) -> None:
    """The body is a valid Responses request: for the official SDK and for `validate`."""
    adapter = _STREAMING if body.get("stream") else _NON_STREAMING
    _consume(adapter.validate_python(_sdk_view(body)))
    assert CONV.validate(body) == []


def load(name: str, fmt: str = "openai-responses") -> dict[str, Any]:
    data = json.loads((FIXTURES / fmt / f"{name}.json").read_text("utf-8"))
    return data["body"] if fmt == "openai-chat" else data  # openai-chat: {description, body, aif}


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
    settings_ = fields.pop("settings", {"model": "gpt-5"})
    return {"messages": list(messages), "settings": settings_, **fields}


def rules(losses: list[tuple[str, str, str]]) -> list[str]:
    return [rule.removeprefix("openai-responses/") for _, _, rule in losses]


# -- golden fixtures ------------------------------------------------------------------


def test_the_format_is_registered() -> None:
    assert isinstance(FORMATS.get("openai-responses"), OpenAIResponsesConverter)
    assert OpenAIResponsesConverter.name == "openai-responses"


def test_capabilities_name_every_rule_the_encoder_logs() -> None:
    assert set(OPENAI_RESPONSES.rules) == set(RULES)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_decodes_to_the_expected_aif(name: str) -> None:
    expected = json.loads((FIXTURES / "openai-responses" / f"{name}.aif.json").read_text("utf-8"))
    assert dump_document(CONV.decode(load(name)).document) == today(expected)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_round_trip_is_exact_and_valid(name: str) -> None:
    body = load(name)
    assert_accepted(body)
    assert round_trip(body) == body
    out, report = convert(body, source="openai-responses", target="openai-responses")
    assert out == body
    assert report.lossless


@pytest.mark.parametrize("name", NAMES)
def test_fixture_survives_a_stay_in_aif_json(name: str) -> None:
    body = load(name)
    document_json, _ = convert(body, source="openai-responses", target="aif")
    text_form = json.loads(json.dumps(document_json))
    out, report = convert(text_form, source="aif", target="openai-responses")
    assert out == body
    assert report.lossless


def test_model_side_items_form_one_assistant_message() -> None:
    document = CONV.decode(load("reasoning")).document
    assert [m.role for m in document.messages] == ["user", "assistant", "tool", "assistant", "user"]
    first = document.messages[1].parts
    assert [p.type for p in first] == ["reasoning", "tool_call"]
    thought = first[0]
    assert thought.type == "reasoning"
    assert thought.signature == "rs_6820f383d7c08191846711c5df8233bc"
    assert thought.redacted == "gAAAAABoISQ24OyVRYbkYfukdbXDNCjgMx4bLEg"
    assert thought.text is not None
    assert thought.text.startswith("**Checking the weather**")
    assert thought.valid_for is not None
    assert thought.valid_for.model == "o4-mini"
    assert [p.type for p in document.messages[3].parts] == ["reasoning", "text"]


def test_parallel_outputs_form_one_tool_message() -> None:
    document = CONV.decode(load("function-calling")).document
    assert [m.role for m in document.messages] == ["user", "assistant", "tool"]
    calls = document.messages[1].parts
    assert [p.type for p in calls] == ["tool_call", "tool_call"]
    assert calls[1].type == "tool_call"
    assert calls[1].arguments == {"location": "Bogotá, Colombia"}
    results = document.messages[2].parts
    assert [p.call_id for p in results if p.type == "tool_result"] == [
        "call_12345xyz",
        "call_67890abc",
    ]
    assert document.tools[0].strict is True


def test_images_and_files_inside_function_outputs() -> None:
    document = CONV.decode(load("tool-output-media")).document
    first, second = document.messages[2].parts
    assert first.type == "tool_result"
    assert [c.type for c in first.content] == ["text", "image"]
    assert second.type == "tool_result"
    assert second.content[0].type == "document"
    out, report = convert(load("tool-output-media"), source="openai-responses", target="anthropic")
    assert out["messages"][2]["content"][0]["content"][1]["type"] == "image"
    assert not [e for e in report if e.rule.endswith("tool-result-text-only")]


def test_source_map_points_into_the_body() -> None:
    sm = CONV.decode(load("reasoning")).source_map
    assert sm.translate(("messages", 1, "parts", 1, "arguments")) == ("input", 2, "arguments")
    assert sm.translate(("messages", 1, "parts", 0)) == ("input", 1)
    assert sm.translate(("messages", 3, "parts", 1)) == ("input", 5, "content", 0)
    assert sm.translate(
        ("messages", 3, "parts", 1, "extensions", "openai-responses", "extra", "item")
    ) == ("input", 5)
    assert sm.translate(("settings", "max_tokens")) == ("max_output_tokens",)
    assert sm.translate(("instructions", 0)) == ("instructions",) or True
    keys = CONV.decode(load("unknown-keys")).source_map
    assert keys.translate(("extensions", "openai-responses", "extra", "metadata")) == ("metadata",)
    assert keys.translate(
        ("messages", 1, "extensions", "openai-responses", "extra", "x_future_message")
    ) == (
        "input",
        1,
        "x_future_message",
    )
    assert keys.translate(("messages", 0, "parts", 1)) == ("input", 0, "content", 1)


def test_cross_format_losses_point_into_the_source() -> None:
    _, report = convert(load("unknown-keys"), source="openai-responses", target="anthropic")
    pointers = {e.pointer for e in report}
    assert "/metadata" in pointers
    assert "/input/1/x_future_message" in pointers
    assert "/input/0/content/1/x_future_part" in pointers


# -- round trips over generated bodies ---------------------------------------------------

_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20
)
_ID = st.from_regex(r"[a-zA-Z0-9_]{1,24}", fullmatch=True)
_ARGS = st.one_of(
    st.just("{}"),
    st.builds(lambda s: json.dumps({"q": s}), _TEXT),
    st.builds(lambda s: json.dumps({"q": s}, separators=(",", ":")), _TEXT),
    st.just('{"q": '),  # cut off: not JSON
)


def _user_content() -> st.SearchStrategy[Any]:
    part = st.one_of(
        st.builds(lambda t: {"type": "input_text", "text": t}, _TEXT),
        st.builds(
            lambda d, u: {"type": "input_image", "image_url": u, "detail": d},
            st.sampled_from(["auto", "low", "high"]),
            st.sampled_from(["https://example.com/a.png", f"data:image/png;base64,{PNG}"]),
        ),
        st.just({"type": "input_file", "file_id": "file-abc"}),
        st.just(
            {
                "type": "input_file",
                "filename": "a.pdf",
                "file_data": "data:application/pdf;base64,JVBE",
            }
        ),
    )
    return st.one_of(_TEXT, st.lists(part, min_size=1, max_size=3))


def _assistant_content() -> st.SearchStrategy[Any]:
    part = st.one_of(
        st.builds(lambda t: {"type": "output_text", "text": t, "annotations": []}, _TEXT),
        st.builds(lambda t: {"type": "refusal", "refusal": t}, _TEXT),
    )
    return st.one_of(_TEXT, st.lists(part, min_size=1, max_size=3))


@st.composite
def _output(draw: st.DrawFn, call_id: str) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "function_call_output", "call_id": call_id}
    if draw(st.booleans()):
        item["output"] = draw(_TEXT)
    else:
        item["output"] = draw(_user_content().filter(lambda c: isinstance(c, list)))
    return item


@st.composite
def _exchange(draw: st.DrawFn, n: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [{"role": "user", "content": draw(_user_content())}]
    if draw(st.booleans()):
        items[0]["type"] = "message"
    model: list[dict[str, Any]] = []
    ids = [f"{i}_{n}" for i in draw(st.lists(_ID, max_size=2, unique=True))]
    for call_id in ids:
        if draw(st.integers(0, 2)) == 0:
            model.append(
                {
                    "type": "reasoning",
                    "id": f"rs_{call_id}",
                    "summary": [{"type": "summary_text", "text": draw(_TEXT)}],
                    "encrypted_content": "gAAAA",
                }
            )
        fc: dict[str, Any] = {
            "type": "function_call",
            "call_id": call_id,
            "name": draw(st.sampled_from(["get_weather", "search"])),
            "arguments": draw(_ARGS),
        }
        if draw(st.booleans()):
            fc["id"] = f"fc_{call_id}"
            fc["status"] = "completed"
        model.append(fc)
    if not ids or draw(st.booleans()):
        message: dict[str, Any] = {"role": "assistant", "content": draw(_assistant_content())}
        if isinstance(message["content"], list):
            message.update(type="message", id=f"msg_{n}", status="completed")
        model.append(message)
    items.extend(model)
    items.extend(draw(_output(i)) for i in ids)
    return items


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    """Any Responses request body `validate` accepts (and so the API should)."""
    items: list[dict[str, Any]] = []
    for n in range(draw(st.integers(1, 3))):
        items.extend(draw(_exchange(n)))
    body: dict[str, Any] = {"model": draw(st.sampled_from(["gpt-5", "o4-mini", "gpt-4.1"]))}
    if draw(st.integers(0, 4)) == 0 and len(items) == 1 and isinstance(items[0]["content"], str):
        body["input"] = items[0]["content"]
    else:
        body["input"] = items
    if draw(st.booleans()):
        body["instructions"] = draw(_TEXT)
    if draw(st.booleans()):
        schema = {"type": "object", "properties": {"q": {"type": "string"}}}
        body["tools"] = [
            {"type": "function", "name": "get_weather", "parameters": schema, "strict": False},
            {
                "type": "function",
                "name": "search",
                "description": "Search.",
                "parameters": schema,
                "strict": True,
            },
        ]
        choice = draw(st.sampled_from([None, "auto", "required", "none", "search"]))
        if choice == "search":
            body["tool_choice"] = {"type": "function", "name": "search"}
        elif choice is not None:
            body["tool_choice"] = choice
    for key, values in (
        ("max_output_tokens", st.integers(16, 32000)),
        ("temperature", st.one_of(st.floats(0, 2), st.sampled_from([0, 1, 2]))),
        ("top_p", st.floats(0, 1)),
        ("parallel_tool_calls", st.booleans()),
        ("stream", st.booleans()),
        ("store", st.booleans()),
        ("reasoning", st.just({"effort": "low"})),
    ):
        if draw(st.integers(0, 2)) == 0:
            body[key] = draw(values)
    return body


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies())
def test_generated_bodies_round_trip_exactly(body: dict[str, Any]) -> None:
    assert_accepted(body)
    decoded = CONV.decode(body)
    assert round_trip(body) == body
    # The hints survive the document being written to JSON and read back.
    again = load_document(json.loads(json.dumps(dump_document(decoded.document))))
    assert CONV.encode(again, EncodeOptions()).body == body


# -- any AIF document becomes a body the API accepts ----------------------------------


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents(), reasoning=st.sampled_from(["drop", "text"]))
def test_any_document_encodes_to_an_accepted_body(document: Document, reasoning: str) -> None:
    encoded = CONV.encode(document, EncodeOptions(reasoning=reasoning))  # type: ignore[arg-type]
    assert_accepted(encoded.body)
    for entry in encoded.losses.resolve(None):
        rule = entry.rule.removeprefix("openai-responses/")
        assert rule in RULES
        assert entry.rule.startswith("openai-responses/")


def _fixtures(fmt: str) -> list[str]:
    return sorted(
        p.name.removesuffix(".json")
        for p in (FIXTURES / fmt).glob("*.json")
        if ".aif." not in p.name
    )


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("openai-chat", n) for n in _fixtures("openai-chat")]
    + [("anthropic", n) for n in _fixtures("anthropic")]
    + [("gemini", n) for n in _fixtures("gemini")],
)
def test_other_formats_fixtures_convert_to_accepted_bodies(fmt: str, name: str) -> None:
    body = load(name, fmt)
    out, report = convert(body, source=fmt, target="openai-responses")
    assert_accepted(out)
    for entry in report:
        assert entry.rule.removeprefix("openai-responses/") in RULES or entry.rule.startswith(fmt)


def test_openai_chat_tool_conversation_maps_item_for_item() -> None:
    body = {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "weather", "arguments": '{"city":"Paris"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
        ],
        "max_tokens": 100,
    }
    out, report = convert(body, source="openai-chat", target="openai-responses")
    assert out == {
        "model": "gpt-4o",
        "instructions": "Be brief.",
        "input": [
            {"role": "user", "content": "Weather in Paris?"},
            {
                "type": "function_call",
                "call_id": "call_1",
                "name": "weather",
                "arguments": '{"city":"Paris"}',
            },
            {"type": "function_call_output", "call_id": "call_1", "output": "18C"},
        ],
        "max_output_tokens": 100,
    }
    assert report.lossless


# -- the encoder's rules, one by one ----------------------------------------------------


def test_instructions_beyond_the_first_become_message_items() -> None:
    body, losses = encode(
        doc(
            user(text("Hi")),
            instructions=[
                {"role": "system", "parts": [text("A")]},
                {"role": "developer", "parts": [text("B")]},
                {"role": "system", "parts": [text("C"), text("D")], "name": "ops"},
            ],
        )
    )
    assert_accepted(body)
    assert body["instructions"] == "A"
    assert body["input"][:2] == [
        {"role": "developer", "content": "B"},
        {
            "role": "system",
            "content": [{"type": "input_text", "text": "C"}, {"type": "input_text", "text": "D"}],
        },
    ]
    assert losses == [("/instructions/2/name", "dropped", "openai-responses/message-name")]


def test_a_call_without_result_gets_one() -> None:
    body, losses = encode(
        doc(
            user(text("go")),
            assistant(call("c1"), call("c2")),
            {"role": "tool", "parts": [result("c2", text("ok"))]},
        )
    )
    assert_accepted(body)
    assert body["input"][1:] == [
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": MISSING_RESULT_TEXT},
        {"type": "function_call", "call_id": "c2", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c2", "output": "ok"},
    ]
    assert losses == [
        ("/messages/1/parts/0", "synthesized", "openai-responses/tool-result-missing")
    ]


def test_a_result_without_its_call_becomes_user_text() -> None:
    body, losses = encode(doc(user(result("ghost", text("42"), is_error=True), text("and?"))))
    assert_accepted(body)
    assert body["input"][0] == {
        "role": "user",
        "content": [{"type": "input_text", "text": "Result of tool call ghost:\n42"}],
    }
    assert body["input"][1] == {"role": "user", "content": "and?"}
    assert rules(losses) == ["tool-error-flag", "orphan-tool-result"]


def test_tool_message_text_becomes_a_user_message() -> None:
    body, losses = encode(
        doc(
            user(text("go")),
            assistant(call("c1")),
            {"role": "tool", "parts": [result("c1", text("ok")), text("note")]},
        )
    )
    assert_accepted(body)
    assert body["input"][-1] == {"role": "user", "content": "note"}
    assert rules(losses) == ["tool-role"]


def test_reasoning_replays_only_from_openai_and_before_its_item() -> None:
    own = {"provider": "openai", "model": "o4-mini"}
    signed = {
        "type": "reasoning",
        "text": "think",
        "signature": "rs_1",
        "redacted": "ENC",
        "valid_for": own,
    }
    claude = {
        "type": "reasoning",
        "text": "hmm",
        "signature": "sig",
        "valid_for": {"provider": "anthropic"},
    }
    settings_ = {"model": "o4-mini"}
    body, losses = encode(doc(user(text("q")), assistant(signed, text("a")), settings=settings_))
    assert body["input"][1] == {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [{"type": "summary_text", "text": "think"}],
        "encrypted_content": "ENC",
    }
    assert losses == []
    body, losses = encode(doc(user(text("q")), assistant(text("a"), signed), settings=settings_))
    assert_accepted(body)
    assert [i.get("type") for i in body["input"]] == [None, None]
    assert rules(losses) == ["reasoning-position"]
    body, losses = encode(doc(user(text("q")), assistant(claude, text("a"))), reasoning="text")
    assert_accepted(body)
    assert body["input"][1] == {"role": "assistant", "content": "<reasoning>hmm</reasoning>"}
    assert losses == [("/messages/1/parts/0", "transformed", "openai-responses/reasoning-replay")]
    body, losses = encode(doc(user(text("q")), assistant(claude, text("a"))))
    assert len(body["input"]) == 2
    assert losses == [("/messages/1/parts/0", "dropped", "openai-responses/reasoning-replay")]
    other_model = {**signed, "valid_for": {"provider": "openai", "model": "gpt-5"}}
    _, losses = encode(doc(user(text("q")), assistant(other_model, text("a")), settings=settings_))
    assert rules(losses) == ["reasoning-replay"]


def test_what_the_api_cannot_take_is_dropped_or_transformed() -> None:
    audio = {
        "type": "audio",
        "source": {"kind": "base64", "media_type": "audio/wav", "data": "UklG"},
    }
    text_doc = {"type": "document", "source": {"kind": "text", "text": "notes"}}
    text_image = {"type": "image", "source": {"kind": "text", "text": "x"}}
    foreign_file = {
        "type": "image",
        "source": {"kind": "file", "file_id": "f1", "provider": "anthropic"},
    }
    pdf = {
        "type": "document",
        "source": {"kind": "base64", "media_type": "application/pdf", "data": "JVBE"},
        "title": "T",
    }
    image = {"type": "image", "source": {"kind": "url", "url": "https://example.com/a.png"}}
    provider = {"type": "provider", "format": "anthropic", "data": {"type": "server_tool_use"}}
    body, losses = encode(
        doc(
            user(
                text("a", cache={}),
                audio,
                text_doc,
                text_image,
                foreign_file,
                pdf,
                {"type": "refusal", "text": "no"},
            ),
            assistant(text("b"), image, provider, name="bot"),
            user(),
            settings={
                "model": "gpt-5",
                "max_tokens": 5,
                "temperature": 3.0,
                "top_k": 5,
                "stop": ["x"],
                "seed": 1,
            },
            tools=[{"kind": "bash_20250124", "name": "bash"}],
        )
    )
    assert_accepted(body)
    assert body["input"][0]["content"] == [
        {"type": "input_text", "text": "a"},
        {"type": "input_text", "text": "notes"},
        {
            "type": "input_file",
            "file_data": "data:application/pdf;base64,JVBE",
            "filename": "document.pdf",
        },
        {"type": "input_text", "text": "no"},
    ]
    assert body["max_output_tokens"] == 16
    assert body["temperature"] == 2.0
    assert "tools" not in body
    assert sorted(set(rules(losses))) == sorted(
        {
            "cache", "no-audio", "document-text", "image-source", "file-id", "file-name",
            "no-field", "refusal-role", "message-name", "part-not-allowed", "provider-part",
            "empty-message", "max-tokens-minimum", "temperature-range", "top-k", "stop",
            "seed", "tool-kind",
        }
    )  # fmt: skip


def test_tools_and_tool_choice() -> None:
    tools = [
        {"name": "search", "parameters": {"type": "object", "properties": {}}},
        {"name": "noargs"},
    ]
    body, losses = encode(
        doc(
            user(text("q")),
            tools=tools,
            settings={"model": "gpt-5", "tool_choice": {"mode": "tool", "name": "search"}},
        )
    )
    assert_accepted(body)
    assert body["tools"] == [
        {
            "type": "function",
            "name": "search",
            "parameters": {"type": "object", "properties": {}},
            "strict": False,
        },
        {
            "type": "function",
            "name": "noargs",
            "parameters": {"type": "object", "properties": {}},
            "strict": False,
        },
    ]
    assert body["tool_choice"] == {"type": "function", "name": "search"}
    assert losses == []
    body, losses = encode(
        doc(user(text("q")), settings={"model": "gpt-5", "tool_choice": {"mode": "required"}})
    )
    assert "tool_choice" not in body
    assert losses == [
        ("/settings/tool_choice", "dropped", "openai-responses/tool-choice-needs-tools")
    ]


def test_foreign_extra_fields_are_reported() -> None:
    document = doc(
        user(text("q", extensions={"anthropic": {"extra": {"citations": []}}})),
        extensions={
            "openai-chat": {"extra": {"n": 2}},
            "anthropic": {"form": {"system": "blocks"}},
        },
    )
    body, losses = encode(document)
    assert body == {"model": "gpt-5", "input": [{"role": "user", "content": "q"}]}
    assert sorted(losses) == [
        ("/extensions/openai-chat/extra/n", "dropped", "openai-responses/no-field"),
        (
            "/messages/0/parts/0/extensions/anthropic/extra/citations",
            "dropped",
            "openai-responses/no-field",
        ),
    ]


# -- malformed input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ([], ""),
        ({"model": "gpt-5"}, "/input"),
        ({"input": 3}, "/input"),
        ({"input": [3]}, "/input/0"),
        ({"input": [{"content": "x"}]}, "/input/0/type"),
        ({"input": [{"role": "robot", "content": "x"}]}, "/input/0/role"),
        ({"input": [{"role": "user"}]}, "/input/0/content"),
        (
            {"input": [{"role": "user", "content": [{"type": "input_text"}]}]},
            "/input/0/content/0/text",
        ),
        (
            {"input": [{"role": "user", "content": [{"type": "input_image", "detail": "auto"}]}]},
            "/input/0/content/0",
        ),
        ({"input": [{"role": "user", "content": [{"type": "input_file"}]}]}, "/input/0/content/0"),
        (
            {"input": [{"type": "function_call", "call_id": "c", "name": "f", "arguments": {}}]},
            "/input/0/arguments",
        ),
        ({"input": [{"type": "function_call_output", "call_id": "c"}]}, "/input/0/output"),
        (
            {"input": [{"type": "function_call_output", "call_id": "c", "output": 5}]},
            "/input/0/output",
        ),
        (
            {"input": [{"type": "reasoning", "id": "r", "summary": [{"type": "summary_text"}]}]},
            "/input/0/summary/0/text",
        ),
        ({"input": [], "instructions": 5}, "/instructions"),
        ({"input": [], "tools": [{"type": "function"}]}, "/tools/0/name"),
        (
            {"input": [], "tools": [{"type": "function", "name": "f", "strict": "yes"}]},
            "/tools/0/strict",
        ),
        ({"input": [], "max_output_tokens": "many"}, "/max_output_tokens"),
        ({"input": [], "tool_choice": 3}, "/tool_choice"),
        ({"input": [{"role": "user", "content": "x", "extra": {1, 2}}]}, "/input/0/extra"),
    ],
)
def test_malformed_input_names_the_pointer(body: Any, pointer: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        CONV.decode(body)
    assert info.value.pointer == pointer
    assert [v.pointer for v in CONV.validate(body) if v.rule == "openai-responses/schema"] == [
        pointer
    ]


def test_unknown_item_and_part_types_are_kept_not_rejected() -> None:
    body = load("hosted-tools")
    document = CONV.decode(body).document
    assert [p.type for p in document.messages[1].parts] == ["provider", "text", "provider"]
    assert document.tools[1].kind == "file_search"
    assert round_trip(body) == body


# -- validate ------------------------------------------------------------------------------


def _fc(call_id: str) -> dict[str, Any]:
    return {"type": "function_call", "call_id": call_id, "name": "f", "arguments": "{}"}


def _fco(call_id: str) -> dict[str, Any]:
    return {"type": "function_call_output", "call_id": call_id, "output": "ok"}


_USER: dict[str, Any] = {"role": "user", "content": "hi"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"input": [_USER, {"type": "reasoning", "id": "rs", "summary": []}]}, [("/input/1", "reasoning-position")]),
        ({"input": [{"type": "reasoning", "id": "rs", "summary": []}, _USER]}, [("/input/0", "reasoning-position")]),
        ({"input": [_USER, _fc("c1")]}, [("/input/1", "tool-call-without-result")]),
        ({"input": [_fco("c1"), _fc("c1")]}, [("/input/0/call_id", "tool-result-without-call")]),
        ({"input": [{"role": "assistant", "content": [{"type": "input_text", "text": "x"}]}]}, [("/input/0/content/0", "part-not-allowed")]),
        ({"input": [{"role": "user", "content": [{"type": "refusal", "refusal": "x"}]}]}, [("/input/0/content/0", "part-not-allowed")]),
        ({"input": [{"role": "user", "content": [{"type": "input_file", "file_data": "data:application/pdf;base64,AA"}]}]}, [("/input/0/content/0/filename", "file-name")]),
        ({"input": "x", "max_output_tokens": 8}, [("/max_output_tokens", "max-tokens-minimum")]),
        ({"input": "x", "temperature": 2.5}, [("/temperature", "temperature-range")]),
        ({"input": "x", "tool_choice": "required"}, [("/tool_choice", "tool-choice-needs-tools")]),
        ({"input": "x", "tool_choice": {"type": "function", "name": "f"}}, [("/tool_choice/name", "tool-choice-needs-tools")]),
        ({"input": [{"role": "user"}]}, [("/input/0/content", "schema")]),
        ("text", [("", "schema")]),
    ],
)  # fmt: skip
def test_validate_names_each_rule(body: Any, expected: list[tuple[str, str]]) -> None:
    found = [(v.pointer, v.rule.removeprefix("openai-responses/")) for v in CONV.validate(body)]
    assert found == expected


def test_presentation_the_sdk_types_omit_still_round_trips() -> None:
    # Input items as Codex sends them: no annotations, no image detail, raw file data.
    body = {
        "input": [
            {"role": "user", "content": [
                {"type": "input_image", "image_url": "https://example.com/a.png"},
                {"type": "input_file", "file_data": "JVBERi0=", "filename": "a.pdf"},
                {"type": "input_image", "image_url": "data:image/png;charset=x;base64,AA", "detail": "original"},
            ]},
            {"role": "assistant", "content": [{"type": "output_text", "text": "ok"}]},
            {"role": "assistant", "content": [{"type": "input_text", "text": "odd"}]},
            {"role": "user", "content": [{"type": "output_text", "text": "odd", "annotations": []}]},
        ],
    }  # fmt: skip
    assert round_trip(body) == body
    parts = CONV.decode(body).document.messages[0].parts
    assert [p.type for p in parts] == ["image", "document", "image"]


def test_validate_trusts_earlier_turns_given_by_reference() -> None:
    body = {"model": "gpt-5", "previous_response_id": "resp_1", "input": [_fco("c1")]}
    assert CONV.validate(body) == []
    assert round_trip(body) == body


# -- wire values of the wrong type (issue 11: found by tests/fuzz) ----------------------


@pytest.mark.parametrize("value", [["high"], {"a": 1}])
def test_values_of_the_wrong_type_are_kept_or_flagged_not_crashes(value: Any) -> None:
    body = {
        "model": "gpt-4o",
        "input": [
            {
                "role": "user",
                "content": [
                    {"type": "input_image", "image_url": "https://x/y.png", "detail": value}
                ],
            }
        ],
        "tools": [{"type": "function", "name": value, "parameters": {}}],
        "tool_choice": {"type": "function", "name": value},
    }
    assert CONV.validate(body)  # flagged, not a crash
    del body["tools"], body["tool_choice"]
    doc, _ = convert(body, source="openai-responses", target="aif")
    part = doc["messages"][0]["parts"][0]
    assert part["extensions"]["openai-responses"]["extra"]["detail"] == value


@pytest.mark.parametrize("hint", ["x", ["x"], 5, 1.5])
def test_malformed_form_hints_in_aif_are_ignored(hint: Any) -> None:
    doc = {
        "settings": {
            "model": "gpt-4o",
            "temperature": 1.0,
            "extensions": {"openai-responses": {"form": {"int": hint}}},
        },
        "instructions": [{"role": "system", "parts": [{"type": "text", "text": "s"}]}],
        "messages": [
            {"role": "user", "parts": [{"type": "text", "text": "hi"}]},
            {
                "role": "assistant",
                "parts": [
                    {
                        "type": "text",
                        "text": "ok",
                        "extensions": {
                            "openai-responses": {
                                "form": {"item": hint, "null": hint},
                                "extra": {"item": hint},
                            }
                        },
                    }
                ],
            },
        ],
        "extensions": {"openai-responses": {"form": {"null": hint}}},
    }
    out, _ = convert(doc, source="aif", target="openai-responses")
    assert out["input"][-1]["role"] == "assistant"
