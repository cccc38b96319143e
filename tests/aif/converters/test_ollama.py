"""The ``ollama`` converter: golden fixtures, exact round trips, Ollama's rules on any
AIF document, loss reports, malformed input and `validate`.

Every body the encoder writes is checked against the official ``ollama`` SDK's
request types (``ChatRequest``, ``Message``, ``Options``, ``Tool``) and against the
converter's own `validate`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ollama._types import ChatRequest, Image, Message, Options

from aifkit.aif import (
    FORMATS,
    Document,
    EncodeOptions,
    ToolResultPart,
    convert,
    dump_document,
    load_document,
)
from aifkit.aif.converters.ollama import OllamaConverter
from aifkit.errors import InvalidInputError
from tests.aif.recorded import today
from tests.aif.strategies import documents

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
NAMES = sorted(
    p.name.removesuffix(".json")
    for p in (FIXTURES / "ollama").glob("*.json")
    if ".aif." not in p.name
)
CONV = OllamaConverter()
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def assert_accepted(body: dict[str, Any]) -> None:
    """The body is a valid ``/api/chat`` request for the SDK and for `validate`."""
    messages = []
    for m in body["messages"]:
        images = m.get("images")
        if images is not None:  # the SDK wraps each image; serializing checks the base64
            m = {**m, "images": [Image(value=i) for i in images]}
        message = Message.model_validate(m)
        message.model_dump()
        messages.append(message)
    ChatRequest.model_validate({**body, "messages": messages})
    if "options" in body:
        Options.model_validate(body["options"])
    assert CONV.validate(body) == []


def load(name: str, fmt: str = "ollama") -> Any:
    data = json.loads((FIXTURES / fmt / f"{name}.json").read_text("utf-8"))
    return data["body"] if fmt == "openai-chat" else data


def encode(doc: Document | dict[str, Any], **options: Any) -> tuple[dict[str, Any], list[Any]]:
    document = doc if isinstance(doc, Document) else load_document(doc)
    encoded = CONV.encode(document, EncodeOptions(**options))
    return encoded.body, [(e.pointer, e.action, e.rule) for e in encoded.losses.resolve(None)]


def text(t: str) -> dict[str, Any]:
    return {"type": "text", "text": t}


def image(data: str = PNG, media_type: str | None = "image/png") -> dict[str, Any]:
    source: dict[str, Any] = {"kind": "base64", "data": data}
    if media_type:
        source["media_type"] = media_type
    return {"type": "image", "source": source}


def call(call_id: str, name: str = "f", **more: Any) -> dict[str, Any]:
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": {}, **more}


def result(call_id: str, *content: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"type": "tool_result", "call_id": call_id, "content": list(content), **more}


def doc(*messages: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"messages": list(messages), "settings": {"model": "qwen3"}, **fields}


def msg(role: str, *parts: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"role": role, "parts": list(parts), **more}


# -- golden fixtures ------------------------------------------------------------------


def test_the_format_is_registered() -> None:
    assert isinstance(FORMATS.get("ollama"), OllamaConverter)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_decodes_to_the_expected_aif(name: str) -> None:
    expected = json.loads((FIXTURES / "ollama" / f"{name}.aif.json").read_text("utf-8"))
    assert dump_document(CONV.decode(load(name)).document) == today(expected)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_round_trip_is_exact_and_valid(name: str) -> None:
    body = load(name)
    assert_accepted(body)
    encoded = CONV.encode(CONV.decode(body).document, EncodeOptions())
    assert encoded.body == body
    assert not encoded.losses
    out, report = convert(body, source="ollama", target="ollama")
    assert out == body
    assert all(e.rule == "ollama/tool-call-id" and e.action == "synthesized" for e in report)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_survives_a_stay_in_aif_json(name: str) -> None:
    body = load(name)
    document_json, _ = convert(body, source="ollama", target="aif")
    out, _ = convert(json.loads(json.dumps(document_json)), source="aif", target="ollama")
    assert out == body


def test_tool_calls_get_ids_and_results_pair_by_name_and_order() -> None:
    decoded = CONV.decode(load("tool-calling"))
    messages = decoded.document.messages
    calls = [(p.id, p.arguments) for p in messages[1].parts if p.type == "tool_call"]
    assert calls == [("call_1_0", {"city": "New York"}), ("call_1_1", {"city": "Paris"})]
    assert [p.call_id for m in messages[2:4] for p in m.parts if p.type == "tool_result"] == [
        "call_1_0",
        "call_1_1",
    ]
    losses = [(e.pointer, e.action, e.rule) for e in decoded.losses.resolve(None)]
    assert losses == [
        ("/messages/1/tool_calls/0", "synthesized", "ollama/tool-call-id"),
        ("/messages/1/tool_calls/1", "synthesized", "ollama/tool-call-id"),
    ]
    assert decoded.source_map.translate(("messages", 1, "parts", 1, "arguments")) == (
        "messages",
        1,
        "tool_calls",
        1,
        "function",
        "arguments",
    )


def test_a_result_without_a_matching_call_gets_an_id_and_keeps_its_tool_name() -> None:
    body = {
        "model": "qwen3",
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "tool", "content": "42", "tool_name": "answer"},
        ],
    }
    decoded = CONV.decode(body)
    part = decoded.document.messages[1].parts[0]
    assert isinstance(part, ToolResultPart)
    assert part.call_id == "result_1"
    assert [e.pointer for e in decoded.losses.resolve(None)] == ["/messages/1"]
    assert CONV.encode(decoded.document, EncodeOptions()).body == body


def test_images_mapping_and_source_map() -> None:
    decoded = CONV.decode(load("images"))
    parts = decoded.document.messages[2].parts
    assert [(p.type, p.source.media_type) for p in parts] == [  # type: ignore[union-attr]
        ("image", "image/png"),
        ("image", "image/jpeg"),
    ]
    assert decoded.source_map.translate(("messages", 2, "parts", 1)) == ("messages", 2, "images", 1)


def test_thinking_is_reasoning_and_options_are_settings() -> None:
    document = CONV.decode(load("thinking")).document
    assert document.messages[1].parts[0].type == "reasoning"
    assert document.settings.temperature == 1
    assert document.extensions == {"ollama": {"extra": {"think": True}}}
    plain = CONV.decode(load("plain")).document
    s = plain.settings
    assert (s.max_tokens, s.temperature, s.top_p, s.top_k, s.seed, s.stop) == (
        128,
        0.7,
        0.9,
        40,
        42,
        ("\n\nUser:",),
    )
    assert plain.instructions[0].parts[0].text == "You are a terse assistant."


# -- round trips over generated bodies ---------------------------------------------------

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_NAME = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_NAME, inner, max_size=3),
    max_leaves=5,
)
_IMAGES = st.lists(st.sampled_from([PNG, "R0lGODlhAQABAAAAACw=", "/9j/4AAQ", "AAAA"]), max_size=2)


@st.composite
def _message(draw: st.DrawFn, role: str, tools: list[str]) -> dict[str, Any]:
    m: dict[str, Any] = {"role": role}
    if draw(st.integers(0, 6)) or role == "tool":
        m["content"] = draw(_TEXT)
    if role in ("user", "tool") and draw(st.integers(0, 3)) == 0:
        m["images"] = draw(_IMAGES)
    if role == "assistant":
        if draw(st.integers(0, 3)) == 0:
            m["thinking"] = draw(_TEXT)
        if tools and draw(st.booleans()):
            m["tool_calls"] = [
                {"function": {"name": draw(st.sampled_from(tools)), "arguments": args}}
                for args in draw(st.lists(st.dictionaries(_NAME, _JSON, max_size=2), max_size=2))
            ]
    if role == "tool" and tools and draw(st.booleans()):
        m["tool_name"] = draw(st.sampled_from(tools))
    if draw(st.integers(0, 8)) == 0:
        m["x_future"] = draw(_JSON)
    return m


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    """Any chat body `validate` accepts."""
    tools = draw(st.lists(_NAME, max_size=2, unique=True))
    roles = draw(
        st.lists(st.sampled_from(["system", "user", "assistant", "tool"]), min_size=1, max_size=6)
    )
    body: dict[str, Any] = {
        "model": draw(st.sampled_from(["llama3.2", "qwen3:8b", "gemma3"])),
        "messages": [draw(_message(role, tools)) for role in roles],
    }
    if tools:
        body["tools"] = [
            {"type": "function", "function": {"name": n, "parameters": {"type": "object"}}}
            for n in tools
        ]
    options: dict[str, Any] = {}
    for key, values in [
        ("num_predict", st.integers(-1, 4096)),
        ("temperature", st.one_of(st.floats(0, 2), st.integers(0, 2))),
        ("top_p", st.floats(0, 1)),
        ("top_k", st.integers(1, 100)),
        ("seed", st.integers(0, 2**31)),
        ("stop", st.lists(_TEXT, max_size=2)),
        ("num_ctx", st.integers(512, 8192)),
    ]:
        if draw(st.integers(0, 2)) == 0:
            options[key] = draw(values)
    if options or draw(st.integers(0, 5)) == 0:
        body["options"] = options
    for key, values in [
        ("stream", st.booleans()),
        ("think", st.sampled_from([True, False, "low", "high"])),
        ("keep_alive", st.sampled_from(["5m", 0, -1])),
        ("format", st.sampled_from(["json", {"type": "object"}])),
    ]:
        if draw(st.integers(0, 3)) == 0:
            body[key] = draw(values)
    return body


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies())
def test_generated_bodies_round_trip_exactly(body: dict[str, Any]) -> None:
    assert_accepted(body)
    decoded = CONV.decode(body)
    encoded = CONV.encode(decoded.document, EncodeOptions())
    assert encoded.body == body
    assert not encoded.losses
    again = load_document(json.loads(json.dumps(dump_document(decoded.document))))
    assert CONV.encode(again, EncodeOptions()).body == body


# -- any AIF document becomes a body Ollama accepts ---------------------------------------


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents())
def test_any_document_encodes_to_a_valid_body(document: Document) -> None:
    encoded = CONV.encode(document, EncodeOptions(reasoning="text"))
    assert_accepted(encoded.body)
    rules = {e.rule.removeprefix("ollama/") for e in encoded.losses.resolve(None)}
    assert rules <= set(CONV.capabilities.rules)


def _foreign_fixtures() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for fmt in ("openai-chat", "anthropic"):
        for p in sorted((FIXTURES / fmt).glob("*.json")):
            if ".aif." not in p.name:
                out.append((fmt, p.name.removesuffix(".json")))
    return out


@pytest.mark.parametrize(("fmt", "name"), _foreign_fixtures())
def test_other_formats_fixtures_convert_to_valid_bodies(fmt: str, name: str) -> None:
    body = load(name, fmt)
    out, report = convert(body, source=fmt, target="ollama")
    out.setdefault("model", "llama3.2")
    assert_accepted(out)
    for entry in report:
        assert entry.rule.split("/")[0] in (fmt, "ollama")


def test_openai_tool_conversation_keeps_calls_and_names_results() -> None:
    out, report = convert(load("tool-calls", "openai-chat"), source="openai-chat", target="ollama")
    assistant = out["messages"][1]
    assert [c["function"]["name"] for c in assistant["tool_calls"]] == ["get_weather"] * 2
    assert assistant["tool_calls"][0]["function"]["arguments"] == {"location": "Paris, France"}
    assert [m.get("tool_name") for m in out["messages"][2:4]] == ["get_weather"] * 2
    assert out["messages"][3]["content"] == "18°C, \ncloudy"
    pointers = {(e.pointer, e.rule) for e in report}
    assert ("/messages/1/tool_calls/0/id", "ollama/tool-call-id") in pointers
    assert ("/messages/3", "ollama/text-joined") in pointers


def test_text_parts_are_joined_and_images_follow() -> None:
    body, losses = encode(doc(msg("user", text("a"), image(), text("b"))))
    assert body["messages"] == [{"role": "user", "content": "a\nb", "images": [PNG]}]
    assert losses == [
        ("/messages/0/parts/2", "transformed", "ollama/part-order"),
        ("/messages/0", "transformed", "ollama/text-joined"),
    ]


def test_images_ollama_cannot_take_are_dropped_or_unpacked() -> None:
    document = doc(
        msg(
            "user",
            text("look"),
            {"type": "image", "source": {"kind": "url", "url": "https://example.com/a.png"}},
            {"type": "image", "source": {"kind": "url", "url": f"data:image/png;base64,{PNG}"}},
            {"type": "image", "source": {"kind": "file", "file_id": "file-1"}},
            {**image(), "detail": "low"},
            image("not base64!"),
            image("AAAA", "image/tiff"),
        )
    )
    # Built in code: reading (load_document, decode) refuses data that is not base64.
    body, losses = encode(Document.model_validate(document))
    assert_accepted(body)
    assert body["messages"][0]["images"] == [PNG, PNG, "AAAA"]
    assert losses == [
        ("/messages/0/parts/1", "dropped", "ollama/image-url"),
        ("/messages/0/parts/2", "transformed", "ollama/data-url"),
        ("/messages/0/parts/3", "dropped", "ollama/image-file"),
        ("/messages/0/parts/4/detail", "dropped", "ollama/image-detail"),
        ("/messages/0/parts/5", "dropped", "ollama/image-base64"),
        ("/messages/0/parts/6/source/media_type", "dropped", "ollama/image-media-type"),
    ]


def test_other_content_is_carried_as_text_or_reported() -> None:
    document = doc(
        msg(
            "user",
            {"type": "document", "source": {"kind": "text", "text": "notes"}, "title": "N"},
            {
                "type": "document",
                "source": {"kind": "base64", "media_type": "application/pdf", "data": "JVBERi0="},
            },
            {"type": "audio", "source": {"kind": "base64", "data": "UklGRg=="}},
            {"type": "provider", "format": "anthropic", "data": {"type": "x"}},
            name="ada",
        ),
        msg("assistant", {"type": "refusal", "text": "No."}, {**text("ok"), "cache": {}}),
        instructions=[{"role": "developer", "parts": [text("Be brief.")]}],
    )
    body, losses = encode(document)
    assert_accepted(body)
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "N\n\nnotes"},
        {"role": "assistant", "content": "No.\nok"},
    ]
    assert losses == [
        ("/instructions/0", "transformed", "ollama/developer-instructions"),
        ("/messages/0/name", "dropped", "ollama/message-name"),
        ("/messages/0/parts/0", "transformed", "ollama/document-text"),
        ("/messages/0/parts/1", "dropped", "ollama/no-document"),
        ("/messages/0/parts/2", "dropped", "ollama/no-audio"),
        ("/messages/0/parts/3", "dropped", "ollama/provider-part"),
        ("/messages/1/parts/0", "transformed", "ollama/refusal"),
        ("/messages/1/parts/1/cache", "dropped", "ollama/cache"),
        ("/messages/1", "transformed", "ollama/text-joined"),
    ]


def test_tool_results_become_tool_messages_where_they_stand() -> None:
    document = doc(
        msg("user", text("go")),
        msg("assistant", call("c1", "a"), call("c2", "b", raw_arguments="{bad")),
        msg("user", result("c2", text("two"), image()), text("and?"), result("c1", is_error=True)),
    )
    body, losses = encode(document)
    assert_accepted(body)
    assert body["messages"][1]["tool_calls"] == [
        {"function": {"name": "a", "arguments": {}}},
        {"function": {"name": "b", "arguments": {}}},
    ]
    assert body["messages"][2:] == [
        {"role": "tool", "content": "two", "images": [PNG], "tool_name": "b"},
        {"role": "user", "content": "and?"},
        {"role": "tool", "content": "Error: ", "tool_name": "a"},
    ]
    assert losses == [
        ("/messages/1/parts/0/id", "dropped", "ollama/tool-call-id"),
        ("/messages/1/parts/1/id", "dropped", "ollama/tool-call-id"),
        ("/messages/1/parts/1", "dropped", "ollama/arguments-object"),
        ("/messages/2/parts/0/call_id", "dropped", "ollama/tool-call-id"),
        ("/messages/2/parts/2/call_id", "dropped", "ollama/tool-call-id"),
        ("/messages/2/parts/2/is_error", "transformed", "ollama/tool-error-flag"),
    ]


def test_calls_outside_assistant_turns_become_text() -> None:
    body, losses = encode(doc(msg("user", call("c1", arguments={"x": 1}))))
    assert body["messages"] == [{"role": "user", "content": 'Tool call f (c1): {"x":1}'}]
    assert losses == [("/messages/0/parts/0", "transformed", "ollama/tool-call-role")]


_SIGNED = {
    "type": "reasoning",
    "text": "hm",
    "signature": "c2ln",
    "valid_for": {"provider": "anthropic"},
}


@pytest.mark.parametrize(
    ("part", "role", "policy", "expected", "rules"),
    [
        ({"type": "reasoning", "text": "hm"}, "assistant", "drop", {"thinking": "hm"}, []),
        (_SIGNED, "assistant", "drop", {"thinking": "hm"}, ["reasoning-signed"]),
        ({"type": "reasoning", "redacted": "RU5D"}, "assistant", "drop", {}, ["reasoning-redacted"]),
        ({"type": "reasoning", "text": "hm"}, "user", "drop", {}, ["reasoning-role"]),
        ({"type": "reasoning", "text": "hm"}, "user", "text", {"content": "<reasoning>hm</reasoning>"}, ["reasoning-role"]),
    ],
)  # fmt: skip
def test_reasoning(
    part: dict[str, Any], role: str, policy: str, expected: dict[str, Any], rules: list[str]
) -> None:
    body, losses = encode(doc(msg(role, part)), reasoning=policy)
    assert_accepted(body)
    wire = body["messages"][0]
    assert {k: v for k, v in wire.items() if k in ("thinking", "content") and v} == expected
    assert [rule.removeprefix("ollama/") for _, _, rule in losses] == rules


def test_settings_and_tools() -> None:
    document = doc(
        msg("user", text("x")),
        tools=[
            {"name": "f", "description": "d", "parameters": {"type": "object"}, "strict": True},
            {"kind": "web_search_20250305", "name": "web_search"},
        ],
        settings={
            "model": "qwen3",
            "max_tokens": 100,
            "temperature": 0.2,
            "stop": ["END"],
            "tool_choice": {"mode": "required"},
            "parallel_tool_calls": False,
        },
    )
    body, losses = encode(document)
    assert_accepted(body)
    assert body["options"] == {"num_predict": 100, "temperature": 0.2, "stop": ["END"]}
    assert body["tools"] == [
        {
            "type": "function",
            "function": {"name": "f", "description": "d", "parameters": {"type": "object"}},
        }
    ]
    assert losses == [
        ("/tools/0/strict", "dropped", "ollama/tools-strict"),
        ("/tools/1", "dropped", "ollama/tool-kind"),
        ("/settings/tool_choice", "dropped", "ollama/tool-choice"),
        ("/settings/parallel_tool_calls", "dropped", "ollama/parallel-tool-calls"),
    ]


def test_foreign_extra_fields_are_reported() -> None:
    out, report = convert(
        {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}], "n": 2},
        source="openai-chat",
        target="ollama",
    )
    assert out == {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}
    assert [(e.pointer, e.rule) for e in report] == [("/n", "ollama/no-field")]


# -- malformed input ------------------------------------------------------------------


def _body(*messages: Any, **top: Any) -> dict[str, Any]:
    return {"model": "m", "messages": list(messages), **top}


@pytest.mark.parametrize(
    ("body", "pointer", "problem"),
    [
        ([], "", "expected an object"),
        ({"model": "m"}, "/messages", "missing required field"),
        (_body("hi"), "/messages/0", "expected an object"),
        (_body({"content": "x"}), "/messages/0/role", "missing required field"),
        (_body({"role": "developer", "content": "x"}), "/messages/0/role", "expected one of"),
        (_body({"role": 3}), "/messages/0/role", "expected a string"),
        (_body({"role": "user", "content": ["x"]}), "/messages/0/content", "expected a string"),
        (_body({"role": "user", "images": [1]}), "/messages/0/images/0", "expected a string"),
        (_body({"role": "assistant", "thinking": 1}), "/messages/0/thinking", "expected a string"),
        (
            _body({"role": "assistant", "tool_calls": [{}]}),
            "/messages/0/tool_calls/0/function",
            "missing required field",
        ),
        (
            _body({"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": "{}"}}]}),
            "/messages/0/tool_calls/0/function/arguments",
            "expected an object",
        ),
        (_body({"role": "tool", "tool_name": 1}), "/messages/0/tool_name", "expected a string"),
        (_body(options={"num_predict": "9"}), "/options/num_predict", "expected an integer"),
        (_body(options={"stop": [1]}), "/options/stop/0", "expected a string"),
        (_body(options=[]), "/options", "expected an object"),
        (_body(tools=[{"function": {"name": 1}}]), "/tools/0/function/name", "expected a string"),
        (_body(stream="yes"), "/stream", "expected a boolean"),
        (_body({"role": "user", "content": "x", "y": {1, 2}}), "/messages/0/y", "not a valid JSON"),
    ],
)  # fmt: skip
def test_malformed_input_names_the_pointer(body: Any, pointer: str, problem: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        CONV.decode(body)
    assert info.value.pointer == pointer
    assert problem in info.value.problem
    assert [v.rule for v in CONV.validate(body)][:1] == ["ollama/schema"]


# -- validate -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"messages": []}, [("/model", "ollama/model-required")]),
        (
            _body({"role": "user", "content": "", "tool_calls": [{"function": {"name": "f", "arguments": {}}}]}),
            [("/messages/0/tool_calls", "ollama/tool-calls-role")],
        ),
        (_body({"role": "user", "content": "", "thinking": "x"}), [("/messages/0/thinking", "ollama/thinking-role")]),
        (_body({"role": "user", "content": "", "tool_name": "f"}), [("/messages/0/tool_name", "ollama/tool-name-role")]),
        (_body({"role": "user", "content": "", "images": ["cat.png"]}), [("/messages/0/images/0", "ollama/image-base64")]),
        (_body(tools=[{"type": "web_search", "function": {"name": "s"}}]), [("/tools/0/type", "ollama/tool-type")]),
        (_body({"role": "user", "content": 1}), [("/messages/0/content", "ollama/schema")]),
    ],
)  # fmt: skip
def test_validate_names_each_rule(body: Any, expected: list[tuple[str, str]]) -> None:
    assert [(v.pointer, v.rule) for v in CONV.validate(body)] == expected


def test_validate_never_raises() -> None:
    for body in (None, "x", {"messages": [None, 1, {"role": None}]}, {"tools": "x"}):
        assert CONV.validate(body)


# -- wire values of the wrong type (issue 11: found by tests/fuzz) ----------------------


@pytest.mark.parametrize("role", [["user"], {"a": 1}, 5])
def test_a_role_of_the_wrong_type_is_an_error_at_its_pointer(role: Any) -> None:
    body = {"model": "llama3.2", "messages": [{"role": role, "content": "hi"}]}
    with pytest.raises(InvalidInputError) as info:
        convert(body, source="ollama", target="aif")
    assert info.value.pointer == "/messages/0/role"
    assert "expected a string" in info.value.problem


@pytest.mark.parametrize("nulls", ["tools", [["tools"]], {"a": 1}, 5])
def test_a_malformed_null_hint_in_aif_is_ignored(nulls: Any) -> None:
    doc = {
        "messages": [
            {
                "role": "user",
                "parts": [{"type": "text", "text": "hi"}],
                "extensions": {"ollama": {"form": {"null": nulls}}},
            }
        ],
        "settings": {"model": "llama3.2"},
        "extensions": {"ollama": {"form": {"null": nulls}}},
    }
    out, _ = convert(doc, source="aif", target="ollama")
    assert out["messages"] == [{"role": "user", "content": "hi"}]
