"""The ``mistral`` converter: golden fixtures, exact round trips, Mistral's rules on
any AIF document (nine-character tool ids, tool ordering, the last role), loss
reports, malformed input and `validate`.

Every body the encoder writes here is checked against the ``mistralai`` SDK's
``ChatCompletionRequest`` model and against the converter's own `validate`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mistralai.client.models import ChatCompletionRequest

from aifkit.aif import FORMATS, Document, EncodeOptions, convert, dump_document, load_document
from aifkit.aif.converters._mistral_encode import BRIDGE_TEXT, MISSING_RESULT_TEXT
from aifkit.aif.converters._mistral_ids import NineCharIds
from aifkit.aif.converters.mistral import MistralConverter
from aifkit.errors import InvalidInputError
from tests.aif.recorded import today
from tests.aif.strategies import documents

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
OWN = FIXTURES / "mistral"
NAMES = sorted(p.name.removesuffix(".json") for p in OWN.glob("*.json") if ".aif." not in p.name)
CONV = MistralConverter()
NINE = re.compile(r"^[a-zA-Z0-9]{9}$")


def assert_accepted(body: dict[str, Any]) -> None:
    """The body is a valid request: for the mistralai SDK and for `validate`."""
    body = {"model": "mistral-large-latest", **body}
    ChatCompletionRequest.model_validate(body)
    assert [str(v) for v in CONV.validate(body)] == []
    for message in body["messages"]:
        for call in message.get("tool_calls") or []:
            assert NINE.match(call["id"])


def load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text("utf-8"))
    return data.get("body", data)


def encode(doc: Document | dict[str, Any], **options: Any) -> tuple[dict[str, Any], list[Any]]:
    document = doc if isinstance(doc, Document) else load_document(doc)
    encoded = CONV.encode(document, EncodeOptions(**options))
    assert_accepted(encoded.body)
    return encoded.body, [(e.pointer, e.action, e.rule) for e in encoded.losses.resolve(None)]


def rules(losses: list[Any]) -> set[str]:
    return {rule.removeprefix("mistral/") for _, _, rule in losses}


def round_trip(body: dict[str, Any]) -> dict[str, Any]:
    encoded = CONV.encode(CONV.decode(body).document, EncodeOptions())
    assert not encoded.losses, encoded.losses.resolve(None)
    return encoded.body


def text(t: str, **more: Any) -> dict[str, Any]:
    return {"type": "text", "text": t, **more}


def msg(role: str, *parts: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"role": role, "parts": list(parts), **more}


def call(call_id: str, name: str = "f", **more: Any) -> dict[str, Any]:
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": {}, **more}


def result(call_id: str, *content: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"type": "tool_result", "call_id": call_id, "content": list(content), **more}


# -- golden fixtures ------------------------------------------------------------------


def test_the_format_is_registered() -> None:
    assert isinstance(FORMATS.get("mistral"), MistralConverter)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_decodes_to_the_expected_aif(name: str) -> None:
    expected = json.loads((OWN / f"{name}.aif.json").read_text("utf-8"))
    assert dump_document(CONV.decode(load(OWN / f"{name}.json")).document) == today(expected)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_round_trip_is_exact_and_valid(name: str) -> None:
    body = load(OWN / f"{name}.json")
    assert round_trip(body) == body
    assert_accepted(body)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_survives_a_stay_in_aif_json(name: str) -> None:
    body = load(OWN / f"{name}.json")
    doc = load_document(json.loads(json.dumps(dump_document(CONV.decode(body).document))))
    assert CONV.encode(doc, EncodeOptions()).body == body


FOREIGN = sorted(
    (fmt, p.stem)
    for fmt in ("openai-chat", "anthropic", "bedrock-converse")
    for p in (FIXTURES / fmt).glob("*.json")
    if ".aif." not in p.name
)


@pytest.mark.parametrize(("fmt", "name"), FOREIGN)
def test_other_formats_fixtures_convert_to_valid_bodies(fmt: str, name: str) -> None:
    out, report = convert(load(FIXTURES / fmt / f"{name}.json"), source=fmt, target="mistral")
    assert_accepted(out)
    for entry in report:
        prefix, _, rule = entry.rule.partition("/")
        assert prefix != "mistral" or rule in CONV.capabilities.rules


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents())
def test_any_aif_document_encodes_to_a_valid_body(doc: Document) -> None:
    encoded = CONV.encode(doc, EncodeOptions(reasoning="text"))
    assert_accepted(encoded.body)
    for entry in encoded.losses.resolve(None):
        assert entry.rule.removeprefix("mistral/") in CONV.capabilities.rules


def test_the_mapping_of_the_main_fields() -> None:
    doc = CONV.decode(load(OWN / "tool-calls.json")).document
    assert doc.settings.tool_choice is not None
    assert doc.settings.tool_choice.mode == "required"
    assert doc.settings.parallel_tool_calls is True
    first = doc.messages[1].parts[0]
    assert first.type == "tool_call"
    assert first.arguments == {"transaction_id": "T1001"}
    assert [m.role for m in doc.messages] == ["user", "assistant", "tool", "tool", "assistant",
                                              "user"]  # fmt: skip
    doc = CONV.decode(load(OWN / "prefix.json")).document
    assert doc.messages[-1].extensions == {"mistral": {"extra": {"prefix": True}}}
    assert doc.settings.seed == 42
    assert doc.settings.stop == ("\n",)


# -- generated bodies round trip ------------------------------------------------------

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
                max_size=20)  # fmt: skip
_NAME = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
_ID = st.from_regex(r"[a-zA-Z0-9]{9}", fullmatch=True)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-99, 99) | _TEXT,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(_NAME, inner, max_size=2),
    max_leaves=4,
)


def _content() -> st.SearchStrategy[Any]:
    chunk = st.one_of(
        st.builds(lambda t: {"type": "text", "text": t}, _TEXT),
        st.builds(lambda u: {"type": "image_url", "image_url": f"https://x.io/{u}.png"}, _NAME),
        st.builds(
            lambda d: {
                "type": "image_url",
                "image_url": {"url": "https://x.io/a.png", "detail": d},
            },
            st.sampled_from(["low", "high", "auto"]),
        ),
        st.builds(
            lambda n: {
                "type": "document_url",
                "document_url": "https://x.io/a.pdf",
                "document_name": n,
            },
            _NAME,
        ),
    )
    return st.one_of(_TEXT, st.lists(chunk, min_size=1, max_size=3))


@st.composite
def _exchange(draw: st.DrawFn) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"role": "user", "content": draw(_content())}]
    ids = draw(st.lists(_ID, max_size=2, unique=True))
    assistant: dict[str, Any] = {"role": "assistant"}
    if draw(st.integers(0, 3)) == 0:
        thought = {"type": "thinking", "thinking": [{"type": "text", "text": draw(_TEXT)}]}
        assistant["content"] = [thought, {"type": "text", "text": draw(_TEXT)}]
    else:
        assistant["content"] = draw(_TEXT) if not ids else draw(st.sampled_from(["", "ok"]))
    if ids:
        calls = []
        for i in ids:
            args = draw(st.dictionaries(_NAME, _JSON, max_size=2))
            text_args = draw(st.booleans())
            calls.append({"id": i, "type": "function", "function": {
                "name": draw(_NAME), "arguments": json.dumps(args) if text_args else args}})  # fmt: skip
        assistant["tool_calls"] = calls
    out.append(assistant)
    for i in ids:
        out.append({"role": "tool", "tool_call_id": i, "content": draw(_TEXT)})
    if ids:
        out.append({"role": "assistant", "content": draw(_TEXT)})
    return out


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    if draw(st.booleans()):
        messages.append({"role": "system", "content": draw(_TEXT)})
    for _ in range(draw(st.integers(1, 3))):
        messages += draw(_exchange())
    if draw(st.booleans()):
        messages.append({"role": "user", "content": draw(_TEXT)})
    else:
        messages[-1]["prefix"] = True
    ids = {c["id"] for m in messages for c in m.get("tool_calls", [])}
    body: dict[str, Any] = {"model": draw(st.sampled_from(["mistral-large-latest",
                                                           "magistral-small-latest"])),
                            "messages": messages}  # fmt: skip
    for key, values in (
        ("temperature", st.sampled_from([0, 0.3, 1, None])),
        ("top_p", st.sampled_from([0.9, 1])),
        ("max_tokens", st.integers(1, 4096)),
        ("random_seed", st.integers(0, 99)),
        ("stop", st.one_of(_NAME, st.lists(_NAME, max_size=2))),
        ("safe_prompt", st.booleans()),
        ("response_format", st.just({"type": "json_object"})),
    ):
        if draw(st.booleans()):
            body[key] = draw(values)
    if ids or draw(st.booleans()):
        names = sorted({c["function"]["name"] for m in messages
                        for c in m.get("tool_calls", [])}) or ["lookup"]  # fmt: skip
        body["tools"] = [{"type": "function", "function": {"name": n, "parameters": {
            "type": "object"}}} for n in names]  # fmt: skip
        body["tool_choice"] = draw(st.sampled_from(["auto", "any", "required", "none",
            {"type": "function", "function": {"name": names[0]}}]))  # fmt: skip
    if messages[-1]["role"] == "assistant" and messages[-1].get("tool_calls"):
        messages[-1].pop("prefix")
        messages.append({"role": "user", "content": "go on"})
    return body


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies())
def test_generated_bodies_round_trip_exactly(body: dict[str, Any]) -> None:
    assert_accepted(body)
    assert round_trip(body) == body


# -- Mistral's rules on any document -------------------------------------------------------


def test_nine_character_ids_are_bijective() -> None:
    ids = NineCharIds({"AAAAAAAAA"})
    many = [f"call_{n}" for n in range(500)] + ["AAAAAAAAA", "call.1", "call:1"]
    mapped = [ids.map(i) for i in many]
    assert len(set(mapped)) == len(many)
    assert all(NINE.match(m) for m in mapped)
    assert ids.map("AAAAAAAAA") == "AAAAAAAAA"
    assert [ids.map(i) for i in many] == mapped  # stable


def test_tool_ids_are_remapped_and_logged_calls_and_results_alike() -> None:
    doc = {
        "messages": [
            msg("user", text("go")),
            msg("assistant", call("toolu_01A"), call("toolu_01B")),
            msg(
                "user",
                result("toolu_01A", text("a")),
                result("toolu_01B", text("b")),
                text("and now?"),
            ),
        ],
    }
    body, losses = encode(doc)
    calls = body["messages"][1]["tool_calls"]
    assert [m["tool_call_id"] for m in body["messages"][2:4]] == [c["id"] for c in calls]
    assert body["messages"][4] == {"role": "assistant", "content": BRIDGE_TEXT}
    assert body["messages"][5] == {"role": "user", "content": "and now?"}
    assert [(p, r) for p, _, r in losses] == [
        ("/messages/1/parts/0/id", "mistral/tool-id"),
        ("/messages/1/parts/1/id", "mistral/tool-id"),
        ("/messages/2/parts/0/call_id", "mistral/tool-id"),
        ("/messages/2/parts/1/call_id", "mistral/tool-id"),
        ("/messages/2", "mistral/tool-then-user"),
    ]


def test_missing_results_are_synthesized_and_orphans_become_text() -> None:
    doc = {"messages": [msg("user", text("go")), msg("assistant", call("abcdefghi")),
                        msg("user", text("hm")), msg("tool", result("zzz", text("late")))]}  # fmt: skip
    body, losses = encode(doc)
    assert body["messages"][2] == {"role": "tool", "content": MISSING_RESULT_TEXT,
                                   "tool_call_id": "abcdefghi"}  # fmt: skip
    assert body["messages"][3]["role"] == "assistant"  # the bridge after the tool message
    assert body["messages"][-1] == {"role": "user", "content": "[tool result zzz]\nlate"}
    assert {"tool-result-missing", "tool-then-user", "orphan-tool-result"} <= rules(losses)


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        (
            msg("assistant", text("Once upon")),
            {"role": "assistant", "content": "Once upon", "prefix": True},
        ),
        (msg("system", text("Be nice.")), {"role": "user", "content": "Be nice."}),
    ],
)
def test_the_last_message_is_made_acceptable(
    last: dict[str, Any], expected: dict[str, Any]
) -> None:
    body, losses = encode({"messages": [msg("user", text("hi")), last]})
    assert body["messages"][-1] == expected
    assert rules(losses) == {"last-role"}


def test_a_prefix_that_is_not_last_is_dropped() -> None:
    doc = {"messages": [msg("user", text("a")), msg("assistant", text("b"),
                        extensions={"mistral": {"extra": {"prefix": True}}}), msg("user", text("c"))]}  # fmt: skip
    body, losses = encode(doc)
    assert "prefix" not in body["messages"][1]
    assert rules(losses) == {"prefix-position"}


def test_what_mistral_cannot_take_is_dropped_or_transformed() -> None:
    doc = {
        "instructions": [{"role": "developer", "parts": [text("Dev", cache={})]}],
        "messages": [
            msg(
                "user",
                text("see"),
                {"type": "document", "source": {"kind": "text", "text": "notes"}},
                {
                    "type": "document",
                    "source": {"kind": "file", "file_id": "f", "provider": "openai"},
                },
                {
                    "type": "image",
                    "source": {"kind": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
                },
                name="ada",
            ),
            msg(
                "assistant",
                {"type": "refusal", "text": "No."},
                {
                    "type": "reasoning",
                    "text": "hm",
                    "signature": "s",
                    "valid_for": {"provider": "anthropic"},
                },
                {"type": "image", "source": {"kind": "url", "url": "https://x/y.png"}},
                {"type": "provider", "format": "anthropic", "data": {"type": "x"}},
                call("c1"),
            ),
            msg(
                "tool",
                result(
                    "c1",
                    text("bad"),
                    {"type": "image", "source": {"kind": "url", "url": "https://x/z.png"}},
                    is_error=True,
                ),
            ),
        ],
    }
    body, losses = encode(doc)
    assert body["messages"][0] == {"role": "system", "content": "Dev"}
    assert body["messages"][1]["content"][1] == {"type": "text", "text": "notes"}
    assert body["messages"][1]["content"][2] == {
        "type": "image_url", "image_url": "data:image/png;base64,iVBORw0KGgo="}  # fmt: skip
    assert body["messages"][2]["content"] == [
        {"type": "text", "text": "No."},
        {"type": "thinking", "thinking": [{"type": "text", "text": "hm"}]},
    ]
    assert body["messages"][3]["content"] == "Error: bad"
    assert rules(losses) == {
        "developer-instructions", "cache", "document-text", "file-source", "message-name",
        "refusal", "reasoning-signature", "part-not-allowed", "provider-part", "tool-id",
        "tool-error-flag", "tool-result-media",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("auto", "auto"), ("none", "none"), ("required", "required"),
     ("tool", {"type": "function", "function": {"name": "f"}})],
)  # fmt: skip
def test_tool_choice_mapping(mode: str, expected: Any) -> None:
    choice = {"mode": mode, **({"name": "f"} if mode == "tool" else {})}
    doc = {"messages": [msg("user", text("q"))], "tools": [{"name": "f"}],
           "settings": {"tool_choice": choice}}  # fmt: skip
    body, losses = encode(doc)
    assert body["tool_choice"] == expected
    assert body["tools"][0]["function"]["parameters"] == {"type": "object", "properties": {}}
    assert rules(losses) == {"tool-parameters"}


def test_tool_choice_without_tools_is_dropped() -> None:
    doc = {"messages": [msg("user", text("q"))], "settings": {"tool_choice": {"mode": "required"}}}
    body, losses = encode(doc)
    assert "tool_choice" not in body
    assert rules(losses) == {"tool-choice"}


# -- malformed input and validate -------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ([], ""),
        ({"model": "m"}, "/messages"),
        ({"messages": [{"content": "x"}]}, "/messages/0/role"),
        ({"messages": [{"role": "bot", "content": "x"}]}, "/messages/0/role"),
        ({"messages": [{"role": "user", "content": 3}]}, "/messages/0/content"),
        (
            {"messages": [{"role": "user", "content": [{"type": "text", "text": 1}]}]},
            "/messages/0/content/0/text",
        ),
        ({"messages": [{"role": "tool", "content": "x"}]}, "/messages/0/tool_call_id"),
        (
            {
                "messages": [
                    {
                        "role": "assistant",
                        "tool_calls": [{"function": {"name": "f", "arguments": "{}"}}],
                    }
                ]
            },
            "/messages/0/tool_calls/0/id",
        ),
        (
            {
                "messages": [
                    {
                        "role": "assistant",
                        "tool_calls": [{"id": "a", "function": {"name": "f", "arguments": 3}}],
                    }
                ]
            },
            "/messages/0/tool_calls/0/function/arguments",
        ),
        ({"messages": [], "temperature": "hot"}, "/temperature"),
        ({"messages": [], "max_tokens": 1.5}, "/max_tokens"),
        ({"messages": [], "stop": [1]}, "/stop/0"),
        (
            {"messages": [], "tools": [{"type": "function", "function": {"description": "x"}}]},
            "/tools/0/function/name",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
            "/messages/0/content/0/image_url/url",
        ),
    ],
)
def test_malformed_input_names_the_pointer(body: Any, pointer: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        CONV.decode(body)
    assert info.value.pointer == pointer
    assert [v.pointer for v in CONV.validate(body) if v.rule.endswith("/schema")] == [pointer]


def _a(**more: Any) -> dict[str, Any]:
    return {"role": "assistant", **more}


def _calls(*ids: str) -> list[dict[str, Any]]:
    return [{"id": i, "type": "function", "function": {"name": "f", "arguments": "{}"}}
            for i in ids]  # fmt: skip


_U = {"role": "user", "content": "q"}


@pytest.mark.parametrize(
    ("messages", "rule", "pointer"),
    [
        ([_U, _a(content="x")], "last-role", "/messages/1/role"),
        (
            [
                _U,
                _a(content="", tool_calls=_calls("abc")),
                {"role": "tool", "tool_call_id": "abc", "content": "r"},
            ],
            "tool-id",
            "/messages/1/tool_calls/0/id",
        ),
        (
            [_U, _a(content="", tool_calls=_calls("abcdefghi")), _U],
            "tool-result-missing",
            "/messages/1/tool_calls/0/id",
        ),
        (
            [_U, {"role": "tool", "tool_call_id": "abcdefghi", "content": "r"}],
            "orphan-tool-result",
            "/messages/1/tool_call_id",
        ),
        (
            [
                _U,
                _a(content="", tool_calls=_calls("abcdefghi")),
                {"role": "tool", "tool_call_id": "abcdefghi", "content": "r"},
                _U,
            ],
            "tool-then-user",
            "/messages/3/role",
        ),
        ([_U, _a(content="a", prefix=True), _U], "prefix-position", "/messages/1/prefix"),
        ([_U, _a(content=""), _U], "empty-message", "/messages/1"),
        (
            [_U, _a(content=[{"type": "image_url", "image_url": "https://x/a.png"}]), _U],
            "part-not-allowed",
            "/messages/1/content/0",
        ),
    ],
)
def test_validate_names_each_rule(messages: list[Any], rule: str, pointer: str) -> None:
    found = [(v.rule, v.pointer) for v in CONV.validate({"model": "m", "messages": messages})]
    assert (f"mistral/{rule}", pointer) in found


@pytest.mark.parametrize(
    ("extra", "pointer"),
    [
        ({"tool_choice": "any"}, "/tool_choice"),
        (
            {
                "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
                "tool_choice": {"type": "function", "function": {"name": "g"}},
            },
            "/tool_choice/function/name",
        ),
    ],
)
def test_validate_checks_the_tool_choice(extra: dict[str, Any], pointer: str) -> None:
    found = [(v.rule, v.pointer) for v in CONV.validate({"model": "m", "messages": [_U], **extra})]
    assert ("mistral/tool-choice", pointer) in found


def test_validate_requires_a_model() -> None:
    assert [v.rule for v in CONV.validate({"messages": [_U]})] == ["mistral/model-required"]


# -- wire values of the wrong type (issue 11: found by tests/fuzz) ----------------------


@pytest.mark.parametrize("value", [["f"], {"a": 1}])
def test_validate_flags_values_of_the_wrong_type_without_crashing(value: Any) -> None:
    body = {
        "model": "mistral-large-latest",
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "tool", "tool_call_id": value, "content": "r"},
        ],
        "tools": [{"type": "function", "function": {"name": value, "parameters": {}}}],
        "tool_choice": {"type": "function", "function": {"name": value}},
    }
    rules = {v.rule for v in CONV.validate(body)}
    assert "mistral/orphan-tool-result" in rules


def test_a_text_chunk_without_text_round_trips_as_provider_data() -> None:
    # Found by tests/fuzz: the chunk is kept verbatim, and the encoder wrote it back
    # as if it were plain text (KeyError).
    body = {
        "model": "mistral-large-latest",
        "messages": [
            {"role": "system", "content": [{"type": "text", "extensions": -1}]},
            {"role": "user", "content": "Who?"},
        ],
    }
    out, _ = convert(body, source="mistral", target="mistral")
    assert out["messages"][0]["content"] == [{"type": "text", "extensions": -1}]
