"""The ``a2a`` converter: native A2A messages and tasks, the AIF envelope (a data part
of media type application/vnd.aif+json beside a text summary, declared as an A2A
extension), exact round trips, malformed input and `validate`.

Every body is checked against the installed ``a2a-sdk`` protobuf types: it must
parse into ``Message`` / ``Task`` with ``json_format.ParseDict`` and print back as
the same JSON (so the field names are the SDK's own).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from a2a.types import a2a_pb2
from google.protobuf.json_format import MessageToDict, ParseDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifkit.aif import (
    FORMATS,
    Document,
    EncodeOptions,
    TextPart,
    convert,
    dump_document,
    load_document,
)
from aifkit.aif.converters._a2a_decode import AIF_MEDIA_TYPE, EXTENSION_URI
from aifkit.aif.converters._a2a_encode import SUMMARY_MESSAGES, summarize
from aifkit.aif.converters.a2a import A2AConverter
from aifkit.errors import InvalidInputError
from tests.aif.recorded import today
from tests.aif.strategies import documents

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
NAMES = sorted(
    p.name.removesuffix(".json") for p in (FIXTURES / "a2a").glob("*.json") if ".aif." not in p.name
)
CONV = A2AConverter()
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def assert_accepted(body: dict[str, Any]) -> None:
    """The body is the SDK's own JSON for a Message or Task, and `validate` accepts it."""
    cls = a2a_pb2.Task if "parts" not in body else a2a_pb2.Message
    parsed = ParseDict(body, cls())
    assert MessageToDict(parsed) == body
    assert CONV.validate(body) == []


def load(name: str, fmt: str = "a2a") -> Any:
    data = json.loads((FIXTURES / fmt / f"{name}.json").read_text("utf-8"))
    return data["body"] if fmt == "openai-chat" else data


def without_envelope(doc: Document) -> dict[str, Any]:
    """The document as JSON, without what the envelope message added."""
    data = dump_document(doc)
    data.get("extensions", {}).pop("a2a", None)
    if data.get("extensions") == {}:
        del data["extensions"]
    return data


# -- golden fixtures ------------------------------------------------------------------


def test_the_format_is_registered() -> None:
    assert isinstance(FORMATS.get("a2a"), A2AConverter)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_decodes_to_the_expected_aif(name: str) -> None:
    expected = json.loads((FIXTURES / "a2a" / f"{name}.aif.json").read_text("utf-8"))
    assert dump_document(CONV.decode(load(name)).document) == today(expected)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_round_trip_is_exact_and_valid(name: str) -> None:
    body = load(name)
    assert_accepted(body)
    out, report = convert(body, source="a2a", target="a2a")
    assert out == body
    assert report.lossless


def test_the_envelope_restores_the_exact_document() -> None:
    original, _ = convert(load("tool-calls", "openai-chat"), source="openai-chat", target="aif")
    document = load_document(original)
    body = CONV.encode(document, EncodeOptions()).body
    assert_accepted(body)
    assert body["extensions"] == [EXTENSION_URI]
    assert body["parts"][0] == {"text": summarize(document)}
    assert body["parts"][1] == {"data": original, "mediaType": AIF_MEDIA_TYPE}
    assert without_envelope(CONV.decode(body).document) == original


def test_a_custom_summary_and_extra_parts_are_kept() -> None:
    body = load("envelope-custom")
    decoded = CONV.decode(body).document
    assert without_envelope(decoded) == load("envelope")["parts"][1]["data"]
    stored = decoded.extensions["a2a"]["extra"]["message"]
    assert stored["parts"][0]["text"].startswith("Handing over")
    assert stored["taskId"] == "task-77"


def test_the_summary_follows_the_document() -> None:
    body = load("envelope")
    document = CONV.decode(body).document
    changed = document.model_copy(update={"messages": document.messages[:1]})
    out = CONV.encode(changed, EncodeOptions()).body
    assert out["messageId"] == body["messageId"]
    assert out["parts"][0]["text"] == summarize(changed)
    assert "1 message." in out["parts"][0]["text"]


def test_native_mapping() -> None:
    decoded = CONV.decode(load("message"))
    parts = decoded.document.messages[0].parts
    assert [p.type for p in parts] == ["text", "image", "document", "document", "provider"]
    assert decoded.source_map.translate(("messages", 0, "parts", 2)) == ("parts", 2)
    task = CONV.decode(load("task"))
    assert [m.role for m in task.document.messages] == ["user", "assistant", "user"]
    assert task.document.messages[2].parts[0].type == "audio"
    assert task.source_map.translate(("messages", 1, "parts", 0)) == ("history", 1, "parts", 0)


def test_a_native_document_that_gains_tool_calls_travels_as_an_envelope() -> None:
    document = CONV.decode(load("task")).document
    call = {"type": "tool_call", "id": "c1", "name": "f", "arguments": {}}
    data = dump_document(document)
    data["messages"].append({"role": "assistant", "parts": [call]})
    body = CONV.encode(load_document(data), EncodeOptions()).body
    assert_accepted(body)
    assert body["parts"][1]["mediaType"] == AIF_MEDIA_TYPE
    assert without_envelope(CONV.decode(body).document)["messages"][-1]["parts"] == [call]


def test_the_summary_is_bounded() -> None:
    messages = [
        {"role": "user", "parts": [{"type": "text", "text": f"{n} " + "x" * 1000}]}
        for n in range(SUMMARY_MESSAGES + 5)
    ]
    text = summarize(load_document({"messages": messages}))
    lines = text.splitlines()
    assert lines[1] == "(5 earlier messages not shown)"
    assert len(lines) == SUMMARY_MESSAGES + 2
    assert all(len(line) <= 410 for line in lines)


# -- any AIF document travels whole ------------------------------------------------------


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents())
def test_any_document_travels_whole(document: Document) -> None:
    encoded = CONV.encode(document, EncodeOptions())
    assert not encoded.losses
    assert_accepted(encoded.body)
    assert without_envelope(CONV.decode(encoded.body).document) == dump_document(document)


def _foreign() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for fmt in ("openai-chat", "anthropic", "ollama", "mcp"):
        for p in sorted((FIXTURES / fmt).glob("*.json")):
            if ".aif." not in p.name:
                out.append((fmt, p.name.removesuffix(".json")))
    return out


@pytest.mark.parametrize(("fmt", "name"), _foreign())
def test_other_formats_convert_losslessly_and_back(fmt: str, name: str) -> None:
    body = load(name, fmt)
    out, report = convert(body, source=fmt, target="a2a")
    assert_accepted(out)
    assert report.entries == tuple(e for e in report if e.rule.startswith(f"{fmt}/"))
    back, _ = convert(out, source="a2a", target=fmt)
    assert back == body


# -- native bodies round trip ---------------------------------------------------------

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_NAME = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)


@st.composite
def _part(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["text", "text", "raw", "url", "data", "doc"]))
    if kind == "text":
        part: dict[str, Any] = {"text": draw(_TEXT)}
    elif kind == "doc":
        part = {"text": draw(_TEXT), "mediaType": draw(st.sampled_from(["text/plain", "text/csv"]))}
    elif kind == "raw":
        part = {"raw": PNG}
        media = draw(st.sampled_from([None, "image/png", "audio/wav", "application/pdf"]))
        if media:
            part["mediaType"] = media
    elif kind == "url":
        part = {"url": f"https://example.com/{draw(_NAME)}"}
        media = draw(st.sampled_from([None, "image/jpeg", "audio/mpeg", "application/pdf"]))
        if media:
            part["mediaType"] = media
    else:
        part = {"data": {"k": draw(_TEXT), "n": [1.5, True, None]}}
    if draw(st.integers(0, 3)) == 0:
        part["filename"] = f"{draw(_NAME)}.bin"
    if draw(st.integers(0, 4)) == 0:
        part["metadata"] = {"m": draw(_TEXT)}
    return part


@st.composite
def _message(draw: st.DrawFn, n: int) -> dict[str, Any]:
    m: dict[str, Any] = {
        "messageId": f"m-{n}",
        "role": draw(st.sampled_from(["ROLE_USER", "ROLE_AGENT"])),
        "parts": draw(st.lists(_part(), min_size=1, max_size=3)),
    }
    if draw(st.booleans()):
        m["contextId"] = "ctx-1"
    if draw(st.integers(0, 3)) == 0:
        m["metadata"] = {"origin": draw(_TEXT)}
    return m


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        return draw(_message(0))
    task: dict[str, Any] = {
        "id": "task-1",
        "status": {"state": draw(st.sampled_from(["TASK_STATE_WORKING", "TASK_STATE_COMPLETED"]))},
    }
    if draw(st.booleans()):  # else the artifacts and status message are the conversation
        task["history"] = [draw(_message(n)) for n in range(draw(st.integers(1, 4)))]
    if draw(st.booleans()):
        task["status"]["message"] = draw(_message(9))
    for n in range(draw(st.integers(0, 2))):
        artifact = {"artifactId": f"a{n}", "parts": draw(st.lists(_part(), min_size=1, max_size=2))}
        if draw(st.booleans()):
            artifact["name"] = draw(_NAME)
        task.setdefault("artifacts", []).append(artifact)
    return task


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies())
def test_generated_native_bodies_round_trip_exactly(body: dict[str, Any]) -> None:
    assert_accepted(body)
    decoded = CONV.decode(body)
    assert CONV.encode(decoded.document, EncodeOptions()).body == body
    again = load_document(json.loads(json.dumps(dump_document(decoded.document))))
    assert CONV.encode(again, EncodeOptions()).body == body


def test_native_text_reads_as_text_in_other_formats() -> None:
    out, report = convert(load("task"), source="a2a", target="openai-chat")
    assert out["messages"][0] == {"role": "user", "content": "Tell me a joke about the sea."}
    assert {e.pointer for e in report} >= {"/history/0/messageId", "/id"}
    document = CONV.decode(load("task")).document
    assert isinstance(document.messages[1].parts[0], TextPart)


def test_a_task_without_history_is_read_from_its_artifacts_and_status_message() -> None:
    # A2A spec §6.1 (a completed task: its answer an artifact) and §6.5 (a listed working
    # task: its status message); neither has a history.
    for name, text in [
        ("a2a-spec__task-artifacts", "Today will be sunny with a high of 75°F"),
        ("a2a-spec__task-status-message", "Processing your document analysis..."),
    ]:
        out, report = convert(load(name), source="a2a", target="openai-chat")
        assert out["messages"] == [{"role": "assistant", "content": text}]
        pointers = {e.pointer for e in report}
        assert pointers & {"/artifacts/0/artifactId", "/status/message/messageId"}
        assert not pointers & {"/artifacts", "/status/message"}  # the content went across
    both = {**load("a2a-spec__task-status-message"), "artifacts": load("a2a-spec__task-artifacts")["artifacts"]}  # fmt: skip
    document = CONV.decode(both).document
    assert [m.parts[0].text for m in document.messages] == [  # type: ignore[union-attr]
        "Today will be sunny with a high of 75°F",
        "Processing your document analysis...",
    ]
    assert CONV.encode(document, EncodeOptions()).body == both


@pytest.mark.parametrize(
    "body",
    [
        {"id": "t", "status": {"state": "TASK_STATE_WORKING"}, "artifacts": []},
        {"id": "t", "status": {"state": "TASK_STATE_WORKING"}, "artifacts": None},
        {"id": "t", "status": {"state": "TASK_STATE_WORKING", "message": None}},
    ],
)
def test_a_history_less_task_with_nothing_to_read_keeps_what_it_sent(body: dict[str, Any]) -> None:
    assert CONV.decode(body).document.messages == ()
    out, report = convert(body, source="a2a", target="a2a")
    assert out == body
    assert report.lossless


def test_a_history_less_task_whose_messages_changed_travels_as_an_envelope() -> None:
    document = CONV.decode(load("a2a-spec__task-artifacts")).document
    changed = document.model_copy(
        update={"messages": (document.messages[0].model_copy(update={"role": "user"}),)}
    )
    body = CONV.encode(changed, EncodeOptions()).body
    assert body["extensions"] == [EXTENSION_URI]  # not an artifact with a user's role
    assert without_envelope(CONV.decode(body).document) == without_envelope(changed)


# -- malformed input ------------------------------------------------------------------


def _msg(*parts: Any, **more: Any) -> dict[str, Any]:
    return {"messageId": "m", "role": "ROLE_USER", "parts": list(parts), **more}


@pytest.mark.parametrize(
    ("body", "pointer", "problem"),
    [
        ([], "", "expected an object"),
        ({"messageId": "m", "role": "ROLE_USER"}, "/parts", "missing required field"),
        ({"messageId": "m", "parts": []}, "/role", "missing required field"),
        (_msg(role="user"), "/role", "expected 'ROLE_USER' or 'ROLE_AGENT'"),
        (_msg({}), "/parts/0", "exactly one of text, raw, url, data; this one has none"),
        (_msg({"text": "a", "url": "b"}), "/parts/0", "this one has text, url"),
        (_msg({"text": 1}), "/parts/0/text", "expected a string"),
        (_msg({"raw": "not base64!"}), "/parts/0/raw", "base64"),
        (_msg({"url": "u", "mediaType": 3}), "/parts/0/mediaType", "expected a string"),
        ({"id": "t", "history": [{"role": "ROLE_AGENT", "parts": "x"}]}, "/history/0/parts", "expected an array"),
        ({"id": "t", "artifacts": [{"artifactId": "a"}]}, "/artifacts/0/parts", "missing required field"),
        ({"id": "t", "status": {"message": {"role": "ROLE_ROBOT", "parts": []}}}, "/status/message/role", "expected 'ROLE_USER'"),
        (
            _msg({"data": {"messages": [{"role": "robot"}]}, "mediaType": AIF_MEDIA_TYPE}),
            "/parts/0/data/messages/0/role",
            "",
        ),
    ],
)  # fmt: skip
def test_malformed_input_names_the_pointer(body: Any, pointer: str, problem: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        CONV.decode(body)
    assert info.value.pointer == pointer
    assert problem in info.value.problem
    assert CONV.validate(body)[0].rule == "a2a/schema"


# -- validate -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"role": "ROLE_USER", "parts": [{"text": "x"}]}, [("/messageId", "a2a/message-id")]),
        (
            _msg({"data": {"messages": []}, "mediaType": AIF_MEDIA_TYPE}),
            [("/extensions", "a2a/extension-undeclared")],
        ),
        ({"status": {"state": "TASK_STATE_WORKING"}, "history": []}, [("/id", "a2a/task-id")]),
        (
            {"id": "t", "history": [{"role": "ROLE_USER", "parts": []}]},
            [("/history/0/messageId", "a2a/message-id")],
        ),
        (_msg({"text": "x", "raw": "AAAA"}), [("/parts/0", "a2a/schema")]),
    ],
)
def test_validate_names_each_rule(body: Any, expected: list[tuple[str, str]]) -> None:
    assert [(v.pointer, v.rule) for v in CONV.validate(body)] == expected


def test_validate_never_raises() -> None:
    for body in (None, "x", {"parts": [None, 1]}, {"id": "t", "history": [1, None]}):
        assert CONV.validate(body)


# -- wire values of the wrong type (issue 11: found by tests/fuzz) ----------------------


@pytest.mark.parametrize("role", [["ROLE_USER"], {"a": 1}])
def test_a_role_of_the_wrong_type_is_an_error_at_its_pointer(role: Any) -> None:
    body = {"messageId": "m1", "role": role, "parts": [{"text": "hi"}]}
    with pytest.raises(InvalidInputError) as info:
        convert(body, source="a2a", target="aif")
    assert info.value.pointer == "/role"
    assert "expected a string" in info.value.problem


@pytest.mark.parametrize(
    ("stored", "form"),
    [
        ({"messageId": "m1", "role": "ROLE_USER", "parts": "x"}, {}),
        ({"messageId": "m1", "role": "ROLE_USER", "parts": [["x"], {"text": "t"}]}, {}),
        ({"messageId": "m1", "role": "ROLE_USER", "parts": [{"text": "t"}]}, {"summary": [[0]]}),
        ({"messageId": "m1", "role": "ROLE_USER", "parts": [{"text": "t"}]}, "form"),
    ],
)
def test_a_malformed_stored_envelope_in_aif_is_written_or_replaced(stored: Any, form: Any) -> None:
    doc = {
        "messages": [{"role": "user", "parts": [{"type": "text", "text": "hi"}]}],
        "extensions": {"a2a": {"extra": {"message": stored}, "form": form}},
    }
    out, _ = convert(doc, source="aif", target="a2a")
    json.dumps(out, allow_nan=False)
    assert out["role"] == "ROLE_USER"
    assert isinstance(out["parts"], list)
