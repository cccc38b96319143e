"""The ``gemini`` converter: golden fixtures, exact round trips, the Gemini API's
rules on any AIF document, loss reports, malformed input and `validate`.

Every body the encoder writes here is checked against google-genai's types (each
content with ``Content.model_validate``, the rest with
``GenerateContentConfig.model_validate``; both forbid unknown keys) and `validate`.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from google.genai import types as genai
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
from aifkit.aif.converters._gemini_encode import (
    CONTINUE_TEXT,
    MISSING_RESULT_TEXT,
    RULES,
    SYNTHESIZED_USER_TEXT,
)
from aifkit.aif.converters.gemini import GEMINI, GeminiConverter
from aifkit.errors import InvalidInputError
from tests.aif.recorded import today
from tests.aif.strategies import documents

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
NAMES = sorted(
    p.name.removesuffix(".json")
    for p in (FIXTURES / "gemini").glob("*.json")
    if ".aif." not in p.name
)
CONV = GeminiConverter()
JPEG = "/9j/4AAQSkZJRgABAQ=="


def assert_accepted(body: dict[str, Any]) -> None:
    """The body is a valid generateContent request: for google-genai and for `validate`."""
    for content in body["contents"]:
        genai.Content.model_validate(content)
    config = {k: v for k, v in body.items() if k not in ("contents", "generationConfig")}
    config.update(body.get("generationConfig", {}))
    genai.GenerateContentConfig.model_validate(config)
    assert CONV.validate(body) == []


def load(name: str, fmt: str = "gemini") -> dict[str, Any]:
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


def tool(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": "tool", "parts": list(parts)}


def call(call_id: str, name: str = "f", **more: Any) -> dict[str, Any]:
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": {}, **more}


def result(call_id: str, *content: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"type": "tool_result", "call_id": call_id, "content": list(content), **more}


def doc(*messages: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"messages": list(messages), **fields}


def rules(losses: list[tuple[str, str, str]]) -> list[str]:
    return [rule.removeprefix("gemini/") for _, _, rule in losses]


# -- golden fixtures ------------------------------------------------------------------


def test_the_format_is_registered() -> None:
    assert isinstance(FORMATS.get("gemini"), GeminiConverter)
    assert GeminiConverter.name == "gemini"


def test_capabilities_name_every_rule_the_encoder_logs() -> None:
    assert set(GEMINI.rules) == {*RULES, "synthesized-id"}  # the decoder's own rule


@pytest.mark.parametrize("name", NAMES)
def test_fixture_decodes_to_the_expected_aif(name: str) -> None:
    expected = json.loads((FIXTURES / "gemini" / f"{name}.aif.json").read_text("utf-8"))
    assert dump_document(CONV.decode(load(name)).document) == today(expected)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_round_trip_is_exact_and_valid(name: str) -> None:
    body = load(name)
    assert_accepted(body)
    assert round_trip(body) == body
    out, report = convert(body, source="gemini", target="gemini")
    assert out == body
    assert {e.rule for e in report} <= {"gemini/synthesized-id"}


@pytest.mark.parametrize("name", NAMES)
def test_fixture_survives_a_stay_in_aif_json(name: str) -> None:
    body = load(name)
    document_json, _ = convert(body, source="gemini", target="aif")
    text_form = json.loads(json.dumps(document_json))
    out, report = convert(text_form, source="aif", target="gemini")
    assert out == body
    assert report.lossless


def test_calls_without_ids_get_ids_and_responses_pair_by_name() -> None:
    decoded = CONV.decode(load("function-calling"))
    calls = decoded.document.messages[1].parts
    results = decoded.document.messages[2].parts
    assert [p.type for p in calls] == ["tool_call", "tool_call"]
    ids = [p.id for p in calls if p.type == "tool_call"]
    assert ids == ["gemini_1_0", "gemini_1_1"]
    assert [p.call_id for p in results if p.type == "tool_result"] == ids
    assert decoded.document.messages[2].role == "tool"
    assert [(e.pointer, e.action, e.rule) for e in decoded.losses.resolve(None)] == [
        ("/contents/1/parts/0/functionCall/id", "synthesized", "gemini/synthesized-id"),
        ("/contents/1/parts/1/functionCall/id", "synthesized", "gemini/synthesized-id"),
    ]
    # To OpenAI: the synthesized ids join each call to its result.
    out, _ = convert(load("function-calling"), source="gemini", target="openai-chat")
    assert [c["id"] for c in out["messages"][1]["tool_calls"]] == ids
    assert [m["tool_call_id"] for m in out["messages"][2:]] == ids
    assert out["messages"][3]["content"] == '{"temperature":18,"unit":"celsius"}'


def test_thoughts_and_signatures_stay_on_their_parts() -> None:
    document = CONV.decode(load("thought-signatures")).document
    thought, first_call = document.messages[1].parts
    assert thought.type == "reasoning"
    assert thought.signature == "Q2lzQmpnSW1xSDlmVVA0Zz0="
    assert thought.valid_for is not None
    assert thought.valid_for.provider == "google"
    assert first_call.extensions == {
        "gemini": {"extra": {"thoughtSignature": "RnVuY3Rpb25TaWduYXR1cmVB"}}
    }
    error = document.messages[4].parts[0]
    assert error.type == "tool_result"
    assert error.is_error is True
    last = document.messages[5].parts[0]
    assert last.extensions == {"gemini": {"extra": {"thoughtSignature": "VGV4dFNpZ25hdHVyZQ=="}}}
    # Anthropic cannot replay Google's thoughts, and reports the signatures it drops.
    _, report = convert(load("thought-signatures"), source="gemini", target="anthropic")
    found = {(e.pointer, e.rule) for e in report}
    assert ("/contents/1/parts/0", "anthropic/reasoning-replay") in found
    assert ("/contents/1/parts/1/thoughtSignature", "anthropic/no-field") in found


def test_images_inside_function_responses() -> None:
    document = CONV.decode(load("function-response-media")).document
    res = document.messages[2].parts[0]
    assert res.type == "tool_result"
    assert [c.type for c in res.content] == ["text", "image"]
    out, report = convert(
        load("function-response-media"), source="gemini", target="openai-responses"
    )
    output = out["input"][2]["output"]
    assert [o["type"] for o in output] == ["input_text", "input_image"]
    assert not [e for e in report if "tool-result" in e.rule]


# -- the spellings real clients send (recorded bodies: see each fixture's "source") -------


def test_snake_case_parts_are_calls_results_and_media() -> None:
    body = load("google-genai__snake-case-history")
    document = CONV.decode(body).document
    call, result = document.messages[1].parts[0], document.messages[2].parts[0]
    assert call.type == "tool_call"
    assert call.name == "get_country"
    assert result.type == "tool_result"
    assert result.call_id == call.id
    assert document.messages[2].role == "tool"
    out, report = convert(body, source="gemini", target="openai-chat")
    assert out["messages"][1]["tool_calls"][0]["function"]["name"] == "get_country"
    assert out["messages"][2]["tool_call_id"] == call.id
    # the signature the target cannot carry is reported where the body spells it
    assert "/contents/1/parts/0/thought_signature" in {e.pointer for e in report}
    image = CONV.decode(load("google-samples__snake-case-image")).document.messages[0].parts[1]
    assert image.type == "image"
    video = CONV.decode(load("google-samples__snake-case-video")).document.messages[0].parts[1]
    assert video.type == "document"


def test_snake_case_calls_are_checked_by_validate() -> None:
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "hi"}]},
            {"role": "model", "parts": [{"function_call": {"name": "f", "args": {}}}]},
            {"role": "user", "parts": [{"text": "and?"}]},
        ]
    }
    assert [(v.pointer, v.rule) for v in CONV.validate(body)] == [
        ("/contents/1/parts/0", "gemini/tool-result-missing")
    ]
    orphan = {"function_response": {"name": "g", "response": {}}}
    body["contents"][2] = {"role": "user", "parts": [orphan]}
    found = [(v.pointer, v.rule) for v in CONV.validate(body)]
    assert ("/contents/2/parts/0/function_response", "gemini/orphan-tool-result") in found


def test_parameters_json_schema_reaches_every_target() -> None:
    body = load("pydantic-ai__streaming-thought-signature")
    schema = body["tools"][0]["functionDeclarations"][0]["parameters_json_schema"]
    out, _ = convert(body, source="gemini", target="openai-chat")
    assert out["tools"][0]["function"]["parameters"] == schema
    out, _ = convert(body, source="gemini", target="anthropic")
    assert out["tools"][0]["input_schema"] == schema


def test_openapi_type_names_become_json_schema_and_come_back() -> None:
    body = load("function-calling")
    assert body["tools"][0]["functionDeclarations"][0]["parameters"]["type"] == "OBJECT"
    out, report = convert(body, source="gemini", target="openai-chat")
    params = out["tools"][0]["function"]["parameters"]
    assert params["type"] == "object"
    assert params["properties"]["location"]["type"] == "string"
    assert not [e for e in report if e.pointer.startswith("/tools")]
    assert round_trip(body) == body  # the body's own upper case on the way back
    # an edited schema is written as edited, in JSON Schema's spelling
    document = CONV.decode(body).document
    tool = document.tools[0].model_copy(update={"parameters": {"type": "object"}})
    edited = document.model_copy(update={"tools": [tool, *document.tools[1:]]})
    written, _ = encode(edited)
    assert written["tools"][0]["functionDeclarations"][0]["parameters"] == {"type": "object"}


@settings(max_examples=60, deadline=None)
@given(data=st.binary(min_size=1, max_size=40), padded=st.booleans())
def test_url_safe_base64_is_standard_in_aif_and_url_safe_back(data: bytes, padded: bool) -> None:
    wire = base64.urlsafe_b64encode(data).decode()
    wire = wire if padded else wire.rstrip("=")
    body = {"contents": [user_part({"inline_data": {"mime_type": "image/png", "data": wire}})]}
    document = CONV.decode(body).document
    image = document.messages[0].parts[0]
    assert image.type == "image"
    assert image.source.kind == "base64"
    assert image.source.data == base64.b64encode(data).decode()
    assert round_trip(body) == body
    out, _ = convert(body, source="gemini", target="ollama")
    assert out["messages"][0]["images"] == [base64.b64encode(data).decode()]


def user_part(part: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "parts": [part]}


@pytest.mark.parametrize(
    ("fcc", "openai", "anthropic"),
    [
        (
            {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["a", "b"]}},
            "required",
            {"type": "any"},
        ),
        (
            {"function_calling_config": {"mode": "ANY", "allowed_function_names": ["b"]}},
            {"type": "function", "function": {"name": "b"}},
            {"type": "tool", "name": "b"},
        ),
        ({"function_calling_config": {"mode": "NONE"}}, "none", {"type": "none"}),
    ],
)
def test_function_calling_config_maps_where_it_is_exact(
    fcc: dict[str, Any], openai: Any, anthropic: Any
) -> None:
    decls = [{"name": "a"}, {"name": "b", "parametersJsonSchema": {"type": "object"}}]
    body = {
        "contents": [user_part({"text": "hi"})],
        "tools": [{"functionDeclarations": decls}],
        "toolConfig": fcc,
    }
    assert round_trip(body) == body
    out, report = convert(body, source="gemini", target="openai-chat")
    assert out["tool_choice"] == openai
    assert not [e for e in report if e.pointer.startswith("/toolConfig")]
    out, _ = convert(body, source="gemini", target="anthropic")
    assert out["tool_choice"] == anthropic


def test_source_map_points_into_the_body() -> None:
    sm = CONV.decode(load("multi-turn-system")).source_map
    assert sm.translate(("instructions", 0, "parts", 1)) == ("systemInstruction", "parts", 1)
    assert sm.translate(("settings", "max_tokens")) == ("generationConfig", "maxOutputTokens")
    assert sm.translate(("messages", 2, "parts", 0)) == ("contents", 2, "parts", 0)
    media = CONV.decode(load("multimodal")).source_map
    assert media.translate(
        ("messages", 0, "parts", 3, "extensions", "gemini", "extra", "videoMetadata")
    ) == (
        "contents",
        0,
        "parts",
        3,
        "videoMetadata",
    )
    hosted = CONV.decode(load("hosted-tools")).source_map
    assert hosted.translate(("tools", 2)) == ("tools", 2, "functionDeclarations", 0)
    assert hosted.translate(("extensions", "gemini", "extra", "labels")) == ("labels",)


# -- round trips over generated bodies ---------------------------------------------------

_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20
)
_NAME = st.sampled_from(["get_weather", "search", "lookup"])


def _user_part() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(lambda t: {"text": t}, _TEXT),
        st.just({"inlineData": {"mimeType": "image/jpeg", "data": JPEG}}),
        st.just({"inlineData": {"mimeType": "application/pdf", "data": "JVBERi0="}}),
        st.just({"fileData": {"mimeType": "application/pdf", "fileUri": "https://generativelanguage.googleapis.com/v1beta/files/f1"}}),
    )  # fmt: skip


@st.composite
def _exchange(draw: st.DrawFn, n: int) -> list[dict[str, Any]]:
    out = [{"role": "user", "parts": draw(st.lists(_user_part(), min_size=1, max_size=3))}]
    parts: list[dict[str, Any]] = []
    if draw(st.booleans()):
        thought = {"text": draw(_TEXT), "thought": True}
        if draw(st.booleans()):
            thought["thoughtSignature"] = "c2lnbmF0dXJl"
        parts.append(thought)
    with_ids = draw(st.booleans())
    names = draw(st.lists(_NAME, max_size=3))
    for k, name in enumerate(names):
        fc: dict[str, Any] = {"name": name, "args": {"q": draw(_TEXT)}}
        if with_ids:
            fc["id"] = f"c{n}_{k}"
        part: dict[str, Any] = {"functionCall": fc}
        if k == 0 and draw(st.booleans()):
            part["thoughtSignature"] = "Zmlyc3RDYWxs"
        parts.append(part)
    if not names or draw(st.booleans()):
        parts.append({"text": draw(_TEXT)})
    out.append({"role": "model", "parts": parts})
    if names:
        responses: list[dict[str, Any]] = []
        for k, name in enumerate(names):
            response = draw(
                st.one_of(
                    st.builds(lambda t: {"output": t}, _TEXT),
                    st.builds(lambda t: {"error": t}, _TEXT),
                    st.just({"temperature": 18}),
                )
            )
            fr: dict[str, Any] = {"name": name, "response": response}
            if with_ids:
                fr["id"] = f"c{n}_{k}"
            responses.append({"functionResponse": fr})
        out.append({"role": "user", "parts": responses})
    return out


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    """Any generateContent body `validate` accepts (and so the API should)."""
    contents: list[dict[str, Any]] = []
    for n in range(draw(st.integers(1, 3))):
        turns = draw(_exchange(n))
        if contents and contents[-1]["role"] == "user":  # after function responses
            contents[-1]["parts"].extend(turns.pop(0)["parts"])
        contents.extend(turns)
    if contents[-1]["role"] == "model":
        contents.append({"role": "user", "parts": [{"text": "go on"}]})
    body: dict[str, Any] = {"contents": contents}
    if draw(st.booleans()):
        body["systemInstruction"] = {"parts": [{"text": draw(_TEXT)}]}
    if draw(st.booleans()):
        schema = {"type": "object", "properties": {"q": {"type": "string"}}}
        body["tools"] = [
            {"functionDeclarations": [{"name": n, "parametersJsonSchema": schema} for n in ("get_weather", "search", "lookup")]}
        ]  # fmt: skip
        mode = draw(st.sampled_from([None, "AUTO", "ANY", "NONE", "lookup"]))
        if mode == "lookup":
            fcc: dict[str, Any] = {"mode": "ANY", "allowedFunctionNames": ["lookup"]}
            body["toolConfig"] = {"functionCallingConfig": fcc}
        elif mode is not None:
            body["toolConfig"] = {"functionCallingConfig": {"mode": mode}}
    gen: dict[str, Any] = {}
    for key, values in (
        ("maxOutputTokens", st.integers(1, 65536)),
        ("temperature", st.one_of(st.floats(0, 2), st.sampled_from([0, 1, 2]))),
        ("topP", st.floats(0, 1)),
        ("topK", st.integers(1, 64)),
        ("stopSequences", st.lists(_TEXT, max_size=5)),
        ("seed", st.integers(0, 2**31 - 1)),
        ("thinkingConfig", st.just({"thinkingBudget": 512})),
    ):
        if draw(st.integers(0, 2)) == 0:
            gen[key] = draw(values)
    if gen:
        body["generationConfig"] = gen
    return body


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies())
def test_generated_bodies_round_trip_exactly(body: dict[str, Any]) -> None:
    assert_accepted(body)
    decoded = CONV.decode(body)
    assert round_trip(body) == body
    again = load_document(json.loads(json.dumps(dump_document(decoded.document))))
    assert CONV.encode(again, EncodeOptions()).body == body


# -- any AIF document becomes a body the API accepts ----------------------------------


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents(), reasoning=st.sampled_from(["drop", "text"]))
def test_any_document_encodes_to_an_accepted_body(document: Document, reasoning: str) -> None:
    encoded = CONV.encode(document, EncodeOptions(reasoning=reasoning))  # type: ignore[arg-type]
    assert_accepted(encoded.body)
    for entry in encoded.losses.resolve(None):
        assert entry.rule.removeprefix("gemini/") in RULES


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
    + [("openai-responses", n) for n in _fixtures("openai-responses")],
)
def test_other_formats_fixtures_convert_to_accepted_bodies(fmt: str, name: str) -> None:
    out, report = convert(load(name, fmt), source=fmt, target="gemini")
    assert_accepted(out)
    for entry in report:
        assert entry.rule.removeprefix("gemini/") in RULES or not entry.rule.startswith("gemini/")


def test_openai_chat_tool_conversation_maps_turn_for_turn() -> None:
    body = {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather in Paris and Rome?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"city":"Paris"}'}},
                    {"id": "call_2", "type": "function", "function": {"name": "weather", "arguments": '{"city":"Rome"}'}},
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
            {"role": "tool", "tool_call_id": "call_2", "content": "24C"},
        ],
        "max_tokens": 100,
    }  # fmt: skip
    out, report = convert(body, source="openai-chat", target="gemini")
    assert out == {
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "contents": [
            {"role": "user", "parts": [{"text": "Weather in Paris and Rome?"}]},
            {"role": "model", "parts": [
                {"functionCall": {"id": "call_1", "name": "weather", "args": {"city": "Paris"}}},
                {"functionCall": {"id": "call_2", "name": "weather", "args": {"city": "Rome"}}},
            ]},
            {"role": "user", "parts": [
                {"functionResponse": {"id": "call_1", "name": "weather", "response": {"output": "18C"}}},
                {"functionResponse": {"id": "call_2", "name": "weather", "response": {"output": "24C"}}},
            ]},
        ],
        "generationConfig": {"maxOutputTokens": 100},
    }  # fmt: skip
    assert [(e.pointer, e.rule) for e in report] == [
        ("/model", "gemini/model-in-url"),
        ("/model", "gemini/model-not-carried"),  # gpt-4o is not a Gemini model
    ]


# -- the encoder's rules, one by one ----------------------------------------------------


def test_turns_start_with_the_user_and_end_on_the_user() -> None:
    body, losses = encode(doc(assistant(text("Hi.")), assistant(text("Anyone?")), user(text("a")), user(text("b")), assistant(text("ok"))))  # fmt: skip
    assert_accepted(body)
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": SYNTHESIZED_USER_TEXT}]},
        {"role": "model", "parts": [{"text": "Hi."}, {"text": "Anyone?"}]},
        {"role": "user", "parts": [{"text": "a"}]},  # Gemini takes two user turns
        {"role": "user", "parts": [{"text": "b"}]},
        {"role": "model", "parts": [{"text": "ok"}]},
        {"role": "user", "parts": [{"text": CONTINUE_TEXT}]},
    ]
    assert losses == [
        ("/messages/1", "transformed", "gemini/alternating-roles"),
        ("/messages/0", "synthesized", "gemini/first-turn-user"),
        ("/messages/4", "synthesized", "gemini/last-turn-user"),
    ]


def test_two_user_turns_stay_two_and_results_join_the_turn_after_the_calls() -> None:
    recorded = load("pydantic-ai__two-user-turns")  # answered by gemini-2.5-flash
    assert CONV.validate(recorded) == []
    out, report = convert(recorded, source="gemini", target="gemini")
    assert out == recorded
    assert report.lossless
    # From a chat format: a result that comes after the user's text still answers its call.
    body, losses = encode(
        doc(user(text("q")), assistant(call("c1"), call("c2")), tool(result("c1", text("1"))),
            user(text("more")), tool(result("c2", text("2"))))
    )  # fmt: skip
    assert_accepted(body)
    assert [c["role"] for c in body["contents"]] == ["user", "model", "user", "user"]
    responses = [p["functionResponse"]["id"] for p in body["contents"][2]["parts"]]
    assert responses == ["c1", "c2"]
    assert body["contents"][3] == {"role": "user", "parts": [{"text": "more"}]}
    assert ("/messages/2", "transformed", "gemini/tool-result-placement") in losses


def test_each_call_gets_a_response_named_after_it_in_call_order() -> None:
    body, losses = encode(
        doc(
            user(text("go")),
            assistant(call("a", "alpha"), call("b", "beta")),
            user(
                text("by the way"), result("b", text("B")), result("zzz", text("?"), is_error=True)
            ),
        )
    )
    assert_accepted(body)
    assert body["contents"][2]["parts"] == [
        {"functionResponse": {"id": "a", "name": "alpha", "response": {"error": MISSING_RESULT_TEXT}}},
        {"functionResponse": {"id": "b", "name": "beta", "response": {"output": "B"}}},
        {"text": "by the way"},
        {"text": "Result of tool call zzz (error):\n?"},
    ]  # fmt: skip
    assert rules(losses) == ["tool-result-missing", "orphan-tool-result", "tool-result-placement"]


def test_a_trailing_call_gets_a_response_turn() -> None:
    body, losses = encode(doc(user(text("go")), assistant(call("a"))))
    assert_accepted(body)
    assert body["contents"][-1] == {
        "role": "user",
        "parts": [
            {
                "functionResponse": {
                    "id": "a",
                    "name": "f",
                    "response": {"error": MISSING_RESULT_TEXT},
                }
            }
        ],
    }
    assert rules(losses) == ["tool-result-missing"]


_NO_ID = {"gemini": {"form": {"id": "absent"}}}


def _wire_ids(body: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """Every call's and every response's id as sent (None: the part has no id)."""
    parts = [p for c in body["contents"] for p in c["parts"]]
    calls = [p["functionCall"].get("id") for p in parts if "functionCall" in p]
    responses = [p["functionResponse"].get("id") for p in parts if "functionResponse" in p]
    return calls, responses


def test_a_made_up_response_carries_exactly_its_calls_wire_id() -> None:
    # A call decoded without an id (its id was synthesized) is sent without one, so
    # the response made up for it must not name the synthesized id either.
    wire = {
        "contents": [
            {"role": "user", "parts": [{"text": "weather?"}]},
            {"role": "model", "parts": [
                {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
                {"functionCall": {"id": "t2", "name": "get_time", "args": {}}},
            ]},
            {"role": "user", "parts": [{"text": "never mind"}]},
        ]
    }  # fmt: skip
    document = CONV.decode(wire).document
    body, losses = encode(document)
    assert_accepted(body)
    assert body["contents"][2]["parts"][:2] == [
        {"functionResponse": {"name": "get_weather", "response": {"error": MISSING_RESULT_TEXT}}},
        {"functionResponse": {"id": "t2", "name": "get_time", "response": {"error": MISSING_RESULT_TEXT}}},
    ]  # fmt: skip
    assert _wire_ids(body) == ([None, "t2"], [None, "t2"])
    assert rules(losses) == ["tool-result-missing", "tool-result-missing"]


def test_a_response_to_an_id_less_call_is_sent_without_an_id() -> None:
    # The result comes from elsewhere (no Gemini form of its own) and names the
    # synthesized id: the call goes out without an id, so the response does too.
    body, _ = encode(
        doc(
            user(text("go")),
            assistant(call("gemini_1_0", "alpha", extensions=_NO_ID), call("b", "beta")),
            tool(result("gemini_1_0", text("A")), result("b", text("B"))),
        )
    )
    assert_accepted(body)
    assert body["contents"][2]["parts"] == [
        {"functionResponse": {"name": "alpha", "response": {"output": "A"}}},
        {"functionResponse": {"id": "b", "name": "beta", "response": {"output": "B"}}},
    ]
    assert _wire_ids(body) == ([None, "b"], [None, "b"])


@given(body=bodies())
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_response_id_sent_is_an_id_its_call_sent(body: dict[str, Any]) -> None:
    # Drop every response: each call then gets a made-up one.
    contents = [
        {**c, "parts": [p for p in c["parts"] if "functionResponse" not in p]}
        for c in body["contents"]
    ]
    contents = [c for c in contents if c["parts"]]
    if not contents:
        return
    out, _ = encode(CONV.decode({**body, "contents": contents}).document)
    calls, responses = _wire_ids(out)
    assert sorted(map(str, calls)) == sorted(map(str, responses))
    messages = [user(text("go")), assistant(call("a"), call("b")), tool(result("a"), result("b"))]
    body, losses = encode(doc(*messages, settings={"model": "gemini-3-pro-preview"}))
    assert_accepted(body)
    calls = body["contents"][1]["parts"]
    assert calls[0]["thoughtSignature"] == "skip_thought_signature_validator"
    assert "thoughtSignature" not in calls[1]
    assert rules(losses) == ["thought-signature", "model-in-url"]
    body, losses = encode(doc(*messages, settings={"model": "gemini-2.5-flash"}))
    assert "thoughtSignature" not in body["contents"][1]["parts"][0]
    assert rules(losses) == ["model-in-url"]


def test_reasoning_replays_only_from_google() -> None:
    google = {
        "type": "reasoning",
        "text": "hmm",
        "signature": "sig",
        "valid_for": {"provider": "google"},
    }
    claude = {
        "type": "reasoning",
        "text": "hmm",
        "signature": "sig",
        "valid_for": {"provider": "anthropic"},
    }
    body, losses = encode(doc(user(text("q")), assistant(google, text("a")), user(text("more"))))
    assert body["contents"][1]["parts"][0] == {
        "text": "hmm",
        "thought": True,
        "thoughtSignature": "sig",
    }
    assert losses == []
    body, losses = encode(
        doc(user(text("q")), assistant(claude, text("a")), user(text("more"))), reasoning="text"
    )
    assert body["contents"][1]["parts"][0] == {"text": "<reasoning>hmm</reasoning>"}
    assert losses == [("/messages/1/parts/0", "transformed", "gemini/reasoning-replay")]
    body, losses = encode(doc(user(text("q")), assistant(claude, text("a")), user(text("more"))))
    assert body["contents"][1]["parts"] == [{"text": "a"}]
    assert rules(losses) == ["reasoning-replay"]


def test_what_gemini_cannot_take_is_dropped_or_transformed() -> None:
    foreign_file = {
        "type": "image",
        "source": {"kind": "file", "file_id": "f1", "provider": "openai"},
    }
    detailed = {
        "type": "image",
        "source": {"kind": "url", "url": "https://example.com/a.png"},
        "detail": "high",
    }
    data_url = {"type": "image", "source": {"kind": "url", "url": f"data:image/jpeg;base64,{JPEG}"}}
    untyped = {"type": "image", "source": {"kind": "base64", "data": JPEG}}
    notes = {"type": "document", "source": {"kind": "text", "text": "notes"}, "title": "T"}
    provider = {"type": "provider", "format": "anthropic", "data": {"type": "server_tool_use"}}
    body, losses = encode(
        doc(
            {"role": "developer", "parts": [text("Be brief.")]},
            user(text("a", cache={}), foreign_file, detailed, data_url, untyped, notes, {"type": "refusal", "text": "no"}, name="ada"),
            assistant(text("b"), provider),
            user(call("c9")),
            settings={"model": "gemini-2.5-pro", "temperature": 3.0, "stop": list("abcdef"), "parallel_tool_calls": False, "stream": True},
            tools=[{"name": "f", "strict": True}, {"kind": "web_search_20250305", "name": "web_search"}],
            instructions=[{"role": "developer", "parts": [text("Dev.")]}],
        )
    )  # fmt: skip
    assert_accepted(body)
    assert body["systemInstruction"] == {"parts": [{"text": "Dev."}, {"text": "Be brief."}]}
    assert body["contents"][0]["parts"] == [
        {"text": "a"},
        {"fileData": {"mimeType": "image/png", "fileUri": "https://example.com/a.png"}},
        {"inlineData": {"mimeType": "image/jpeg", "data": JPEG}},
        {"inlineData": {"mimeType": "image/jpeg", "data": JPEG}},
        {"inlineData": {"mimeType": "text/plain", "data": "bm90ZXM="}},
        {"text": "no"},
    ]
    assert body["generationConfig"] == {"temperature": 2.0, "stopSequences": list("abcde")}
    assert body["tools"] == [{"functionDeclarations": [{"name": "f"}]}]
    assert sorted(set(rules(losses))) == sorted(
        {
            "developer-instructions", "system-position", "message-name", "cache", "file-id",
            "image-detail", "data-url", "media-type", "no-field", "refusal", "provider-part",
            "tool-call-role", "model-in-url", "temperature-range", "stop-limit",
            "parallel-tool-calls", "tool-strict", "tool-kind",
        }
    )  # fmt: skip


def test_tool_choice_mapping() -> None:
    tools = [{"name": "search", "parameters": {"type": "object", "properties": {}}}]
    for mode, expected in (
        ("auto", {"mode": "AUTO"}),
        ("none", {"mode": "NONE"}),
        ("required", {"mode": "ANY"}),
    ):
        body, losses = encode(
            doc(user(text("q")), tools=tools, settings={"tool_choice": {"mode": mode}})
        )
        assert body["toolConfig"] == {"functionCallingConfig": expected}
        assert losses == []
    body, _ = encode(
        doc(
            user(text("q")),
            tools=tools,
            settings={"tool_choice": {"mode": "tool", "name": "search"}},
        )
    )
    assert_accepted(body)
    assert body["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["search"]}
    }
    assert body["tools"] == [
        {
            "functionDeclarations": [
                {"name": "search", "parametersJsonSchema": {"type": "object", "properties": {}}}
            ]
        }
    ]
    body, losses = encode(
        doc(user(text("q")), settings={"tool_choice": {"mode": "tool", "name": "gone"}})
    )
    assert "toolConfig" not in body
    assert rules(losses) == ["tool-choice"]


# -- malformed input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ([], ""),
        ({}, "/contents"),
        ({"contents": {}}, "/contents"),
        ({"contents": [3]}, "/contents/0"),
        ({"contents": [{"role": "assistant", "parts": []}]}, "/contents/0/role"),
        ({"contents": [{"role": "user"}]}, "/contents/0/parts"),
        ({"contents": [{"parts": [{"text": 3}]}]}, "/contents/0/parts/0/text"),
        ({"contents": [{"parts": [{"text": "x", "thought": "yes"}]}]}, "/contents/0/parts/0/thought"),
        ({"contents": [{"parts": [{"inlineData": {"data": "AA"}}]}]}, "/contents/0/parts/0/inlineData/mimeType"),
        ({"contents": [{"parts": [{"fileData": {"mimeType": "image/png"}}]}]}, "/contents/0/parts/0/fileData/fileUri"),
        ({"contents": [{"role": "model", "parts": [{"functionCall": {"args": {}}}]}]}, "/contents/0/parts/0/functionCall/name"),
        ({"contents": [{"role": "model", "parts": [{"functionCall": {"name": "f", "args": []}}]}]}, "/contents/0/parts/0/functionCall/args"),
        ({"contents": [{"parts": [{"functionResponse": {"name": "f"}}]}]}, "/contents/0/parts/0/functionResponse/response"),
        ({"contents": [], "systemInstruction": {"parts": [{"inlineData": {}}]}}, "/systemInstruction/parts/0/text"),
        ({"contents": [], "tools": [{"functionDeclarations": [{"description": "x"}]}]}, "/tools/0/functionDeclarations/0/name"),
        ({"contents": [], "generationConfig": {"maxOutputTokens": "lots"}}, "/generationConfig/maxOutputTokens"),
        ({"contents": [], "generationConfig": {"stopSequences": [1]}}, "/generationConfig/stopSequences/0"),
        ({"contents": [], "toolConfig": {"functionCallingConfig": 1}}, "/toolConfig/functionCallingConfig"),
        ({"contents": [{"parts": [{"text": "x"}], "x": {1, 2}}]}, "/contents/0/x"),
    ],
)  # fmt: skip
def test_malformed_input_names_the_pointer(body: Any, pointer: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        CONV.decode(body)
    assert info.value.pointer == pointer
    assert [v.pointer for v in CONV.validate(body) if v.rule == "gemini/schema"] == [pointer]


def test_unknown_parts_are_kept_not_rejected() -> None:
    body = {"contents": [{"parts": [{"text": "a", "inlineData": {"mimeType": "image/png", "data": "AA"}}, {"futurePart": {}}]}]}  # fmt: skip
    parts = CONV.decode(body).document.messages[0].parts
    assert [p.type for p in parts] == ["provider", "provider"]
    assert round_trip(body) == body


# -- validate ------------------------------------------------------------------------------

_U: dict[str, Any] = {"role": "user", "parts": [{"text": "hi"}]}
_M: dict[str, Any] = {"role": "model", "parts": [{"text": "yo"}]}
_CALL: dict[str, Any] = {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {}}}]}


def _resp(name: str, **more: Any) -> dict[str, Any]:
    return {"role": "user", "parts": [{"functionResponse": {"name": name, "response": {}, **more}}]}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"contents": [_M, _U]}, [("/contents/0/role", "first-turn-user")]),
        ({"contents": [_U, _M, _M, _U]}, [("/contents/2/role", "alternating-roles")]),
        ({"contents": [_U, _U]}, []),  # accepted: see pydantic-ai__two-user-turns
        ({"contents": [_U, _M]}, [("/contents/1/role", "last-turn-user")]),
        ({"contents": [{"role": "user", "parts": []}]}, [("/contents/0/parts", "empty-message")]),
        ({"contents": [{"parts": [{"text": "a", "fileData": {"fileUri": "gs://x"}}]}]}, [("/contents/0/parts/0", "part-data")]),
        ({"contents": [_U, _CALL, _U]}, [("/contents/1/parts/0", "tool-result-missing")]),
        ({"contents": [_U, _M, _resp("f")]}, [("/contents/2/parts/0/functionResponse", "orphan-tool-result")]),
        ({"contents": [_U, {"role": "model", "parts": [{"functionCall": {"id": "1", "name": "f"}}]}, _resp("g", id="1")]}, [("/contents/2/parts/0/functionResponse/name", "tool-result-name")]),
        ({"contents": [_U], "generationConfig": {"stopSequences": list("abcdef")}}, [("/generationConfig/stopSequences", "stop-limit")]),
        ({"contents": [_U], "generationConfig": {"temperature": 2.5}}, [("/generationConfig/temperature", "temperature-range")]),
        ({"contents": [_U], "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["f"]}}}, [("/toolConfig/functionCallingConfig/allowedFunctionNames/0", "tool-choice")]),
        ({"contents": [{"role": "bot", "parts": []}]}, [("/contents/0/role", "schema"), ("/contents/0/parts", "empty-message")]),
    ],
)  # fmt: skip
def test_validate_names_each_rule(body: Any, expected: list[tuple[str, str]]) -> None:
    found = [(v.pointer, v.rule.removeprefix("gemini/")) for v in CONV.validate(body)]
    assert found == expected


# -- wire values of the wrong type (issue 11: found by tests/fuzz) ----------------------


@pytest.mark.parametrize("value", [["ANY"], {"a": 1}])
def test_values_of_the_wrong_type_are_errors_or_violations_not_crashes(value: Any) -> None:
    body = {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "tools": [{"functionDeclarations": [{"name": value}]}],
        "toolConfig": {"functionCallingConfig": {"mode": value, "allowedFunctionNames": [value]}},
    }
    assert CONV.validate(body)  # flagged, not a crash
    with pytest.raises(InvalidInputError):
        convert(body, source="gemini", target="aif")
