"""The ``cohere`` converter: golden fixtures, exact round trips, Cohere's v2 chat rules
on any AIF document (tool plans, string arguments, documents), loss reports,
malformed input and `validate`.

Every body the encoder writes here is checked against the ``cohere`` SDK's pydantic
types (each message by role, ``ToolV2``, ``Document``) and against the converter's
own `validate`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cohere
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifkit.aif import FORMATS, Document, EncodeOptions, convert, dump_document, load_document
from aifkit.aif.converters._cohere_encode import MISSING_RESULT_TEXT
from aifkit.aif.converters.cohere import CohereConverter
from aifkit.errors import InvalidInputError
from tests.aif.recorded import today
from tests.aif.strategies import documents

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
OWN = FIXTURES / "cohere"
NAMES = sorted(p.name.removesuffix(".json") for p in OWN.glob("*.json") if ".aif." not in p.name)
CONV = CohereConverter()
_ROLES: dict[str, Any] = {
    "system": cohere.SystemChatMessageV2,
    "user": cohere.UserChatMessageV2,
    "assistant": cohere.AssistantChatMessageV2,
    "tool": cohere.ToolChatMessageV2,
}


def assert_accepted(body: dict[str, Any]) -> None:
    """The body is a valid v2 chat request: for the cohere SDK types and for `validate`."""
    body = {"model": "command-a-03-2025", **body}
    assert isinstance(body["messages"], list)
    for message in body["messages"]:
        _ROLES[message["role"]].model_validate(message)
    for tool in body.get("tools", []):
        cohere.ToolV2.model_validate(tool)
    for doc in body.get("documents", []):
        if not isinstance(doc, str):
            cohere.Document.model_validate(doc)
    assert body.get("tool_choice") in (None, "REQUIRED", "NONE")
    assert [str(v) for v in CONV.validate(body)] == []


def load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text("utf-8"))
    return data.get("body", data)


def encode(doc: Document | dict[str, Any], **options: Any) -> tuple[dict[str, Any], list[Any]]:
    document = doc if isinstance(doc, Document) else load_document(doc)
    encoded = CONV.encode(document, EncodeOptions(**options))
    assert_accepted(encoded.body)
    return encoded.body, [(e.pointer, e.action, e.rule) for e in encoded.losses.resolve(None)]


def rules(losses: list[Any]) -> set[str]:
    return {rule.removeprefix("cohere/") for _, _, rule in losses}


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


def textdoc(t: str, **more: Any) -> dict[str, Any]:
    return {"type": "document", "source": {"kind": "text", "text": t}, **more}


# -- golden fixtures ------------------------------------------------------------------


def test_the_format_is_registered() -> None:
    assert isinstance(FORMATS.get("cohere"), CohereConverter)


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
    for fmt in ("openai-chat", "anthropic", "bedrock-converse", "mistral")
    for p in (FIXTURES / fmt).glob("*.json")
    if ".aif." not in p.name
)


@pytest.mark.parametrize(("fmt", "name"), FOREIGN)
def test_other_formats_fixtures_convert_to_valid_bodies(fmt: str, name: str) -> None:
    out, report = convert(load(FIXTURES / fmt / f"{name}.json"), source=fmt, target="cohere")
    assert_accepted(out)
    for entry in report:
        prefix, _, rule = entry.rule.partition("/")
        assert prefix != "cohere" or rule in CONV.capabilities.rules


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents())
def test_any_aif_document_encodes_to_a_valid_body(doc: Document) -> None:
    encoded = CONV.encode(doc, EncodeOptions(reasoning="text"))
    assert_accepted(encoded.body)
    for entry in encoded.losses.resolve(None):
        assert entry.rule.removeprefix("cohere/") in CONV.capabilities.rules


def test_the_mapping_of_tool_plans_calls_and_results() -> None:
    doc = CONV.decode(load(OWN / "tool-use.json")).document
    plan, first, _ = doc.messages[1].parts
    assert plan.type == "text"
    assert plan.text.startswith("I will look up")
    assert first.type == "tool_call"
    assert first.arguments == {"location": "Toronto"}
    assert [t.strict for t in doc.tools] == [True]
    assert doc.settings.tool_choice is not None
    assert doc.settings.tool_choice.mode == "required"
    paris = doc.messages[3].parts[0]
    assert paris.type == "tool_result"
    assert paris.content[0].type == "document"


def test_documents_and_citations_travel_to_other_formats() -> None:
    body = load(OWN / "documents-citations.json")
    out, report = convert(body, source="cohere", target="anthropic")
    first = out["messages"][0]["content"]
    assert [b["type"] for b in first] == ["document", "document", "document", "text"]
    assert first[1]["title"] == "Penguin habitats"
    pointers = {e.pointer for e in report}
    assert "/messages/1/citations" in pointers  # reported, pointing into the Cohere body
    assert "/documents/0/id" in pointers


# -- generated bodies round trip ------------------------------------------------------

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
                max_size=20)  # fmt: skip
_NAME = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-99, 99) | _TEXT,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(_NAME, inner, max_size=2),
    max_leaves=4,
)
_DOC = st.one_of(
    _TEXT,
    st.builds(lambda t: {"data": {"text": t}}, _TEXT),
    st.builds(
        lambda t, i: {"data": {"title": t, "snippet": t}, "id": f"doc:{i}"},
        _TEXT,
        st.integers(0, 9),
    ),
)


def _user() -> st.SearchStrategy[Any]:
    item = st.one_of(
        st.builds(lambda t: {"type": "text", "text": t}, _TEXT),
        st.builds(
            lambda u: {"type": "image_url", "image_url": {"url": f"https://x.io/{u}.png"}}, _NAME
        ),
    )
    return st.one_of(_TEXT, st.lists(item, min_size=1, max_size=3))


@st.composite
def _exchange(draw: st.DrawFn, n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"role": "user", "content": draw(_user())}]
    ids = [f"{i}_{n}" for i in draw(st.lists(_NAME, max_size=2, unique=True))]
    assistant: dict[str, Any] = {"role": "assistant"}
    if ids:
        if draw(st.booleans()):
            assistant["tool_plan"] = draw(_TEXT)
        calls = []
        for i in ids:
            args = json.dumps(draw(st.dictionaries(_NAME, _JSON, max_size=2)))
            calls.append({"id": i, "type": "function",
                          "function": {"name": draw(_NAME), "arguments": args}})  # fmt: skip
        assistant["tool_calls"] = calls
    elif draw(st.integers(0, 3)) == 0:
        assistant["content"] = [{"type": "thinking", "thinking": draw(_TEXT)},
                                {"type": "text", "text": draw(_TEXT)}]  # fmt: skip
    else:
        assistant["content"] = draw(_TEXT)
    out.append(assistant)
    for i in ids:
        content = draw(st.one_of(_TEXT, st.lists(st.one_of(
            st.builds(lambda t: {"type": "text", "text": t}, _TEXT),
            st.builds(lambda d: {"type": "document", "document": {"data": {"text": d}}}, _TEXT),
        ), min_size=1, max_size=2)))  # fmt: skip
        out.append({"role": "tool", "tool_call_id": i, "content": content})
    if ids:
        out.append({"role": "assistant", "content": draw(_TEXT)})
    return out


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    if draw(st.booleans()):
        messages.append({"role": "system", "content": draw(_TEXT)})
    for n in range(draw(st.integers(1, 3))):
        messages += draw(_exchange(n))
    if draw(st.booleans()):
        messages.append({"role": "user", "content": draw(_TEXT)})
    body: dict[str, Any] = {"model": "command-a-03-2025", "messages": messages}
    for key, values in (
        ("temperature", st.sampled_from([0, 0.3, 1])),
        ("p", st.sampled_from([0.75, 1])),
        ("k", st.integers(0, 500)),
        ("max_tokens", st.integers(1, 4096)),
        ("seed", st.integers(0, 99)),
        ("stop_sequences", st.lists(_NAME, max_size=2)),
        ("documents", st.lists(_DOC, min_size=1, max_size=3)),
        ("safety_mode", st.sampled_from(["CONTEXTUAL", "STRICT", "OFF"])),
    ):
        if draw(st.booleans()):
            body[key] = draw(values)
    names = sorted({c["function"]["name"] for m in messages for c in m.get("tool_calls", [])})
    if names or draw(st.booleans()):
        body["tools"] = [{"type": "function", "function": {"name": n, "parameters": {
            "type": "object"}}} for n in names or ["lookup"]]  # fmt: skip
        if draw(st.booleans()):
            body["strict_tools"] = draw(st.booleans())
        if draw(st.booleans()):
            body["tool_choice"] = draw(st.sampled_from(["REQUIRED", "NONE"]))
    return body


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies())
def test_generated_bodies_round_trip_exactly(body: dict[str, Any]) -> None:
    assert_accepted(body)
    assert round_trip(body) == body


# -- Cohere's rules on any document -------------------------------------------------------


def test_assistant_text_with_calls_is_the_tool_plan_and_results_are_tool_messages() -> None:
    doc = {
        "messages": [
            msg("user", text("go")),
            msg("assistant", text("Let me look."), call("toolu_1", arguments={"q": 1})),
            msg("user", result("toolu_1", text("found"), is_error=True), text("so?")),
        ],
    }
    body, losses = encode(doc)
    assert body["messages"][1] == {
        "role": "assistant",
        "tool_calls": [{"id": "toolu_1", "type": "function",
                        "function": {"name": "f", "arguments": '{"q":1}'}}],
        "tool_plan": "Let me look.",
    }  # fmt: skip
    assert body["messages"][2] == {"role": "tool", "tool_call_id": "toolu_1",
                                   "content": "Error: found"}  # fmt: skip
    assert body["messages"][3] == {"role": "user", "content": "so?"}
    assert "tools" not in body  # the document declared none
    assert rules(losses) == {"tool-error-flag"}


def test_missing_results_are_synthesized_and_orphans_become_text() -> None:
    doc = {"messages": [msg("user", text("go")), msg("assistant", call("c1")),
                        msg("user", text("hm")), msg("tool", result("zzz", text("late")))]}  # fmt: skip
    body, losses = encode(doc)
    assert body["messages"][2] == {"role": "tool", "tool_call_id": "c1",
                                   "content": MISSING_RESULT_TEXT}  # fmt: skip
    assert body["messages"][-1] == {"role": "user", "content": "[tool result zzz]\nlate"}
    assert rules(losses) == {"tool-result-missing", "orphan-tool-result"}


def test_user_documents_move_to_the_request_documents() -> None:
    doc = {
        "messages": [
            msg("user", textdoc("A", title="T"), text("q")),
            msg("assistant", text("a")),
            msg("user", textdoc("B", filename="b.txt", context="ctx"), text("more")),
        ],
    }
    body, losses = encode(doc)
    assert body["documents"] == [{"data": {"text": "A", "title": "T"}},
                                 {"data": {"text": "B", "title": "b.txt"}}]  # fmt: skip
    assert body["messages"][0] == {"role": "user", "content": "q"}
    assert [(p, r) for p, _, r in losses] == [
        ("/messages/2/parts/0/context", "cohere/document-context"),
        ("/messages/2/parts/0", "cohere/document-position"),
    ]


def test_what_cohere_cannot_take_is_dropped_or_transformed() -> None:
    doc = {
        "instructions": [{"role": "developer", "parts": [text("Dev", cache={})]}],
        "messages": [
            msg(
                "user",
                text("see"),
                {"type": "document", "source": {"kind": "url", "url": "https://x/a.pdf"}},
                {"type": "image", "source": {"kind": "file", "file_id": "f"}},
                {"type": "audio", "source": {"kind": "base64", "data": "UklG"}},
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
            ),
            msg("user", text("ok")),
        ],
        "tools": [
            {"name": "f", "parameters": {"type": "object"}, "strict": True},
            {"name": "g", "parameters": {"type": "object"}},
        ],
        "settings": {"tool_choice": {"mode": "tool", "name": "f"}, "parallel_tool_calls": True},
    }
    body, losses = encode(doc)
    assert body["messages"][0] == {"role": "system", "content": "Dev"}
    assert body["messages"][2]["content"] == [
        {"type": "text", "text": "No."},
        {"type": "thinking", "thinking": "hm"},
    ]
    assert body["tool_choice"] == "REQUIRED"
    assert body["strict_tools"] is True
    assert rules(losses) == {
        "developer-instructions", "cache", "document-source", "image-source", "no-audio",
        "message-name", "refusal", "reasoning-signature", "part-not-allowed", "provider-part",
        "strict-tools", "tool-choice", "parallel-tool-calls",
    }  # fmt: skip


@pytest.mark.parametrize(("mode", "expected"), [("auto", None), ("none", "NONE"),
                                               ("required", "REQUIRED")])  # fmt: skip
def test_tool_choice_mapping(mode: str, expected: str | None) -> None:
    doc = {"messages": [msg("user", text("q"))], "tools": [{"name": "f"}],
           "settings": {"tool_choice": {"mode": mode}}}  # fmt: skip
    body, losses = encode(doc)
    assert body.get("tool_choice") == expected
    assert rules(losses) == {"tool-parameters"}


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
            {"messages": [{"role": "user", "content": [{"type": "thinking", "thinking": "x"}]}]},
            "/messages/0/content/0/type",
        ),
        ({"messages": [{"role": "tool", "content": "x"}]}, "/messages/0/tool_call_id"),
        (
            {
                "messages": [
                    {
                        "role": "assistant",
                        "tool_calls": [{"id": "a", "function": {"name": "f", "arguments": {}}}],
                    }
                ]
            },
            "/messages/0/tool_calls/0/function/arguments",
        ),
        ({"messages": [{"role": "assistant", "tool_plan": 3}]}, "/messages/0/tool_plan"),
        ({"messages": [], "documents": [{"id": "x"}]}, "/documents/0/data"),
        ({"messages": [], "tool_choice": "AUTO"}, "/tool_choice"),
        ({"messages": [], "k": 1.5}, "/k"),
        ({"messages": [], "strict_tools": "yes"}, "/strict_tools"),
        (
            {"messages": [], "tools": [{"type": "function", "function": {}}]},
            "/tools/0/function/name",
        ),
    ],
)
def test_malformed_input_names_the_pointer(body: Any, pointer: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        CONV.decode(body)
    assert info.value.pointer == pointer
    assert [v.pointer for v in CONV.validate(body) if v.rule.endswith("/schema")] == [pointer]


_U = {"role": "user", "content": "q"}


def _calls(*ids: str) -> list[dict[str, Any]]:
    return [{"id": i, "type": "function", "function": {"name": "f", "arguments": "{}"}}
            for i in ids]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "rule", "pointer"),
    [
        (
            {"messages": [_U, {"role": "assistant", "tool_calls": _calls("a")}, _U]},
            "tool-result-missing",
            "/messages/1/tool_calls/0/id",
        ),
        (
            {"messages": [_U, {"role": "tool", "tool_call_id": "a", "content": "r"}]},
            "orphan-tool-result",
            "/messages/1/tool_call_id",
        ),
        (
            {
                "messages": [
                    _U,
                    {"role": "assistant", "tool_calls": _calls("a", "a")},
                    {"role": "tool", "tool_call_id": "a", "content": "r"},
                ]
            },
            "tool-id-unique",
            "/messages/1/tool_calls/1/id",
        ),
        (
            {"messages": [_U, {"role": "assistant", "content": ""}, _U]},
            "empty-message",
            "/messages/1",
        ),
        ({"messages": [_U], "tool_choice": "REQUIRED"}, "tool-choice", "/tool_choice"),
        ({"messages": [_U]}, "model-required", "/model"),
    ],
)
def test_validate_names_each_rule(body: dict[str, Any], rule: str, pointer: str) -> None:
    body = {"model": "m", **body} if rule != "model-required" else body
    found = [(v.rule, v.pointer) for v in CONV.validate(body)]
    assert (f"cohere/{rule}", pointer) in found


# -- wire values of the wrong type (issue 11: found by tests/fuzz) ----------------------


@pytest.mark.parametrize("choice", [["REQUIRED"], {"a": 1}])
def test_a_tool_choice_of_the_wrong_type_is_an_error_at_its_pointer(choice: Any) -> None:
    body = {
        "model": "command-a-03-2025",
        "messages": [{"role": "user", "content": "hi"}],
        "tool_choice": choice,
    }
    with pytest.raises(InvalidInputError) as info:
        convert(body, source="cohere", target="aif")
    assert info.value.pointer == "/tool_choice"
