"""The ``bedrock-converse`` converter: golden fixtures, exact round trips, the Converse
API's rules on any AIF document, loss reports, malformed input and `validate`.

Every body the encoder writes here is checked against botocore's service model of
the ``Converse`` operation (binary fields decoded from base64, a ``modelId`` added
when the document had none) and against the converter's own `validate`.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import botocore.session
import botocore.validate
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifkit.aif import (
    FORMATS,
    Document,
    EncodeOptions,
    Reasoning,
    convert,
    dump_document,
    load_document,
)
from aifkit.aif._schema import Message, RefusalPart, TextPart
from aifkit.aif.converters._bedrock_blocks import MISSING_RESULT
from aifkit.aif.converters._bedrock_encode import SYNTHESIZED_USER_TEXT
from aifkit.aif.converters.bedrock_converse import BedrockConverseConverter
from aifkit.errors import InvalidInputError
from tests.aif.recorded import today
from tests.aif.strategies import documents

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
OWN = FIXTURES / "bedrock-converse"
NAMES = sorted(p.name.removesuffix(".json") for p in OWN.glob("*.json") if ".aif." not in p.name)
CONV = BedrockConverseConverter()
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
PDF = "JVBERi0xLjQK"
_SHAPE = (
    botocore.session.get_session()
    .get_service_model("bedrock-runtime")
    .operation_model("Converse")
    .input_shape
)


def _blobs(value: Any) -> Any:
    """The body as boto3 takes it: blob fields as bytes."""
    if isinstance(value, dict):
        return {
            k: base64.b64decode(v)
            if k in ("bytes", "redactedContent") and isinstance(v, str)
            else _blobs(v)
            for k, v in value.items()  # pyright: ignore[reportUnknownVariableType]
        }
    if isinstance(value, list):
        return [_blobs(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
    return value


def assert_accepted(body: dict[str, Any]) -> None:
    """The body is a valid Converse request: for botocore's model and for `validate`."""
    params = _blobs(body)
    params.setdefault("modelId", "anthropic.claude-3-haiku-20240307-v1:0")
    report = botocore.validate.ParamValidator().validate(params, _SHAPE)
    assert not report.has_errors(), report.generate_report()
    assert [str(v) for v in CONV.validate(body)] == []


def load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text("utf-8"))
    return data.get("body", data)


def encode(doc: Document | dict[str, Any], **options: Any) -> tuple[dict[str, Any], list[Any]]:
    """Encode an AIF document; return the body and its losses as (pointer, action, rule)."""
    document = doc if isinstance(doc, Document) else load_document(doc)
    encoded = CONV.encode(document, EncodeOptions(**options))
    losses = [(e.pointer, e.action, e.rule) for e in encoded.losses.resolve(None)]
    assert_accepted(encoded.body)
    return encoded.body, losses


def round_trip(body: dict[str, Any]) -> dict[str, Any]:
    encoded = CONV.encode(CONV.decode(body).document, EncodeOptions())
    assert not encoded.losses, encoded.losses.resolve(None)
    return encoded.body


def rules(losses: list[Any]) -> set[str]:
    return {rule.removeprefix("bedrock-converse/") for _, _, rule in losses}


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
    assert isinstance(FORMATS.get("bedrock-converse"), BedrockConverseConverter)


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


def test_server_tools_stay_bedrock_s_own_and_are_reported_elsewhere() -> None:
    # Recorded: Nova 2 Lite ran its code interpreter inside the assistant turn.
    body = load(OWN / "pydantic-ai__nova-code-interpreter.json")
    assert CONV.validate(body) == []  # the server tool's result belongs in that turn
    out, report = convert(body, source="bedrock-converse", target="bedrock-converse")
    assert out == body
    assert report.lossless
    for target in ("anthropic", "openai-chat", "gemini"):
        out, report = convert(body, source="bedrock-converse", target=target)
        found = {(e.pointer, e.rule) for e in report}
        # the call and its result are named, where they are, as what the target cannot run
        assert ("/messages/1/content/0", f"{target}/provider-part") in found
        assert ("/messages/1/content/1", f"{target}/provider-part") in found
        assert "nova_code_interpreter" not in json.dumps(out)  # no call to an undeclared tool


FOREIGN = sorted(
    (fmt, p.stem)
    for fmt in ("openai-chat", "anthropic")
    for p in (FIXTURES / fmt).glob("*.json")
    if ".aif." not in p.name
)


@pytest.mark.parametrize(("fmt", "name"), FOREIGN)
def test_other_formats_fixtures_convert_to_valid_bodies(fmt: str, name: str) -> None:
    body = load(FIXTURES / fmt / f"{name}.json")
    out, report = convert(body, source=fmt, target="bedrock-converse")
    assert_accepted(out)
    for entry in report:  # every rule logged is declared
        prefix, _, rule = entry.rule.partition("/")
        assert prefix != "bedrock-converse" or rule in CONV.capabilities.rules


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents())
def test_any_aif_document_encodes_to_a_valid_body(doc: Document) -> None:
    encoded = CONV.encode(doc, EncodeOptions(reasoning="text"))
    assert_accepted(encoded.body)
    for entry in encoded.losses.resolve(None):
        assert entry.rule.removeprefix("bedrock-converse/") in CONV.capabilities.rules


def test_a_blank_refusal_is_not_written_as_a_blank_block() -> None:
    # Found by the property above: a refusal became {"text": " "}, which Bedrock rejects.
    doc = Document(
        messages=(
            Message(role="user", parts=(TextPart(text="hi"),)),
            Message(role="assistant", parts=(RefusalPart(text=" "), TextPart(text="no"))),
        )
    )
    encoded = CONV.encode(doc, EncodeOptions())
    assert_accepted(encoded.body)
    assert encoded.body["messages"][1]["content"] == [{"text": "no"}]
    rules = [e.rule for e in encoded.losses.resolve(None)]
    assert "bedrock-converse/empty-text" in rules


def test_the_mapping_of_the_main_fields() -> None:
    body = load(OWN / "tool-use.json")
    doc = CONV.decode(body).document
    assert doc.settings.model == body["modelId"]
    assert doc.settings.max_tokens == 1024
    assert doc.settings.tool_choice is not None
    assert doc.settings.tool_choice.mode == "auto"
    calls = doc.messages[1].parts[1:]
    assert [(p.type, getattr(p, "id", None)) for p in calls] == [
        ("tool_call", "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q"),
        ("tool_call", "tooluse_Rb3D2XwxQe6SFkm1pT1yCA"),
    ]
    results = doc.messages[2].parts
    assert [getattr(p, "is_error", None) for p in results] == [False, True]
    assert doc.tools[0].parameters is not None
    assert doc.tools[0].parameters["required"] == ["city"]


def test_cache_points_become_hints_on_the_element_before() -> None:
    doc = CONV.decode(load(OWN / "cache-points.json")).document
    assert doc.instructions[1].parts[0].cache is not None
    assert doc.instructions[1].parts[0].cache.ttl == "1h"
    assert doc.messages[0].parts[0].cache is not None
    assert doc.messages[0].parts[1].cache is None
    assert doc.tools[0].cache is not None
    assert doc.tools[0].strict is True


def test_a_cache_point_with_nothing_before_it_is_kept_as_it_is() -> None:
    body = {
        "system": [{"cachePoint": {"type": "default"}}],
        "messages": [
            {"role": "user", "content": [{"cachePoint": {"type": "default"}}, {"text": "hi"}]}
        ],
    }
    assert round_trip(body) == body


def test_loss_pointers_point_into_the_bedrock_body() -> None:
    body = load(OWN / "unknown-keys.json")
    body["messages"][0]["content"][3]["note"] = "kept"
    out, report = convert(body, source="bedrock-converse", target="anthropic")
    assert out["messages"][0]["content"][-1] == {"type": "text", "text": "Summarize."}
    pointers = {e.pointer for e in report}
    assert {
        "/messages/0/content/0",  # the video block
        "/messages/0/content/2/document",  # its citations setting
        "/messages/0/content/3/note",
        "/system/1/guardContent",
        "/guardrailConfig",
    } <= pointers


# -- generated bodies round trip ------------------------------------------------------

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
                max_size=20).filter(lambda s: not s.isspace())  # fmt: skip
_ID = st.from_regex(r"[a-zA-Z0-9_-]{1,64}", fullmatch=True)
_NAME = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-99, 99) | _TEXT,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(_NAME, inner, max_size=2),
    max_leaves=4,
)
_CACHE = st.sampled_from([{"type": "default"}, {"type": "default", "ttl": "5m"}])


@st.composite
def _user_blocks(draw: st.DrawFn) -> list[dict[str, Any]]:
    kinds = st.sampled_from(["text", "text", "image", "pdf", "textdoc", "audio"])
    out: list[dict[str, Any]] = []
    for kind in draw(st.lists(kinds, min_size=1, max_size=3)):
        if kind == "text":
            out.append({"text": draw(_TEXT)})
        elif kind == "image":
            fmt = draw(st.sampled_from(["png", "jpeg", "gif", "webp"]))
            out.append({"image": {"format": fmt, "source": {"bytes": PNG}}})
        elif kind == "audio":
            out.append({"audio": {"format": "wav", "source": {"bytes": PDF}}})
        else:
            name = draw(st.from_regex(r"[A-Za-z0-9]{1,8}( [A-Za-z0-9()-]{1,8})?", fullmatch=True))
            source = {"bytes": PDF} if kind == "pdf" else {"text": draw(_TEXT)}
            doc: dict[str, Any] = {"format": "pdf" if kind == "pdf" else "txt", "name": name,
                                   "source": source}  # fmt: skip
            if draw(st.booleans()):
                doc["context"] = draw(_TEXT)
            out.append({"document": doc})
        if draw(st.integers(0, 4)) == 0:
            out.append({"cachePoint": draw(_CACHE)})
    return out


@st.composite
def _exchange(draw: st.DrawFn, n: int) -> list[dict[str, Any]]:
    turns: list[dict[str, Any]] = [{"role": "user", "content": draw(_user_blocks())}]
    blocks: list[dict[str, Any]] = []
    if draw(st.integers(0, 3)) == 0:
        rt: dict[str, Any] = {"text": draw(_TEXT)}
        if draw(st.booleans()):
            rt["signature"] = "c2lnbmF0dXJl"
        blocks.append({"reasoningContent": {"reasoningText": rt}})
    if draw(st.booleans()):
        blocks.append({"text": draw(_TEXT)})
    ids = [f"{i}{n}"[-64:] for i in draw(st.lists(_ID, max_size=2, unique=True))]
    ids = list(dict.fromkeys(ids))
    for call_id in ids:
        args = draw(st.dictionaries(_NAME, _JSON, max_size=2))
        blocks.append({"toolUse": {"toolUseId": call_id, "name": draw(_NAME), "input": args}})
    if not blocks:
        blocks.append({"text": draw(_TEXT)})
    turns.append({"role": "assistant", "content": blocks})
    if ids:
        results: list[dict[str, Any]] = []
        for call_id in ids:
            item = draw(st.sampled_from(["text", "json", "image"]))
            content = (
                [{"text": draw(_TEXT)}]
                if item == "text"
                else [{"json": draw(_JSON)}]
                if item == "json"
                else [{"image": {"format": "png", "source": {"bytes": PNG}}}]
            )
            res: dict[str, Any] = {"toolUseId": call_id, "content": content}
            status = draw(st.sampled_from([None, "success", "error"]))
            if status:
                res["status"] = status
            results.append({"toolResult": res})
        results += draw(_user_blocks()) if draw(st.booleans()) else []
        turns.append({"role": "user", "content": results})
    return turns


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    for n in range(draw(st.integers(1, 3))):
        exchange = draw(_exchange(n))
        if messages and messages[-1]["role"] == "user":
            messages[-1]["content"] += exchange.pop(0)["content"]
        messages += exchange
    body: dict[str, Any] = {"modelId": draw(st.sampled_from(_MODELS)),
                            "messages": messages}  # fmt: skip
    if draw(st.booleans()):
        system: list[dict[str, Any]] = [{"text": draw(_TEXT)}]
        if draw(st.booleans()):
            system.append({"cachePoint": draw(_CACHE)})
        body["system"] = system
    config: dict[str, Any] = {}
    for key, values in (
        ("maxTokens", st.integers(1, 4096)),
        ("temperature", st.sampled_from([0, 0.2, 1, 1.0])),
        ("topP", st.sampled_from([0.5, 1])),
        ("stopSequences", st.lists(_NAME, max_size=2)),
    ):
        if draw(st.booleans()):
            config[key] = draw(values)
    if config or draw(st.booleans()):
        body["inferenceConfig"] = config
    names = {b["toolUse"]["name"] for m in messages for b in m["content"] if "toolUse" in b}
    if names or draw(st.booleans()):
        names = sorted(names) or ["lookup"]
        schema = {"type": "object", "properties": {"q": {"type": "string"}}}
        tools = [{"toolSpec": {"name": n, "inputSchema": {"json": schema}}} for n in names]
        tool_config: dict[str, Any] = {"tools": tools}
        choice = draw(
            st.sampled_from([None, {"auto": {}}, {"any": {}}, {"tool": {"name": names[0]}}])
        )
        if choice is not None:
            tool_config["toolChoice"] = choice
        body["toolConfig"] = tool_config
    if draw(st.booleans()):
        body["additionalModelRequestFields"] = draw(_additional_fields())
    return body


_MODELS = [
    "amazon.nova-pro-v1:0",
    "meta.llama3-70b",
    "us.anthropic.claude-sonnet-4-20250514-v1:0",
]


@st.composite
def _additional_fields(draw: st.DrawFn) -> dict[str, Any]:
    """Top-k fields of every family mixed with other model-specific keys."""
    fields: dict[str, Any] = {}
    if draw(st.booleans()):
        fields["top_k"] = draw(st.integers(1, 500))
    if draw(st.booleans()):
        inner: dict[str, Any] = {}
        if draw(st.booleans()):
            inner["topK"] = draw(st.integers(1, 128))
        if draw(st.booleans()):
            inner["reasoningEffort"] = "low"
        fields["inferenceConfig"] = inner
    if draw(st.booleans()):
        fields["thinking"] = {"type": "enabled", "budget_tokens": 1024}
    if draw(st.booleans()):
        fields["top_k_note"] = draw(st.sampled_from([1.5, "x", None, True]))
    return fields


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies())
def test_generated_bodies_round_trip_exactly(body: dict[str, Any]) -> None:
    assert_accepted(body)
    assert round_trip(body) == body


# -- top_k in additionalModelRequestFields ----------------------------------------------


_USER = [{"role": "user", "content": [{"text": "hi"}]}]


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("anthropic.claude-3-haiku-20240307-v1:0", {"top_k": 40}),
        ("us.anthropic.claude-sonnet-4-20250514-v1:0", {"top_k": 40}),
        (
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2",
            {"top_k": 40},
        ),
        ("amazon.nova-lite-v1:0", {"inferenceConfig": {"topK": 40}}),
        ("us.amazon.nova-2-lite-v1:0", {"inferenceConfig": {"topK": 40}}),
    ],
)
def test_top_k_goes_where_the_model_family_takes_it(model: str, expected: dict[str, Any]) -> None:
    doc = {"messages": [msg("user", text("hi"))], "settings": {"model": model, "top_k": 40}}
    body, losses = encode(doc)
    assert body["additionalModelRequestFields"] == expected
    assert losses == []
    back = CONV.decode(body)
    assert back.document.settings.top_k == 40
    assert back.document.extensions == {}
    wire = ("top_k",) if "top_k" in expected else ("inferenceConfig", "topK")
    assert back.source_map.translate(("settings", "top_k")) == (
        "additionalModelRequestFields",
        *wire,
    )


@pytest.mark.parametrize(
    ("model", "why"),
    [
        ("meta.llama3-70b-instruct-v1:0", "for model 'meta.llama3-70b-instruct-v1:0'"),
        ("mistral.mistral-large-2407-v1:0", "model 'mistral.mistral-large-2407-v1:0'"),
        (None, "no modelId to pick"),
    ],
)
def test_top_k_is_a_loss_for_families_without_a_documented_field(
    model: str | None, why: str
) -> None:
    settings: dict[str, Any] = {"top_k": 40}
    if model is not None:
        settings["model"] = model
    doc = load_document({"messages": [msg("user", text("hi"))], "settings": settings})
    encoded = CONV.encode(doc, EncodeOptions())
    assert "additionalModelRequestFields" not in encoded.body
    [entry] = encoded.losses.resolve(None)
    assert (entry.pointer, entry.action, entry.rule) == (
        "/settings/top_k",
        "dropped",
        "bedrock-converse/top-k",
    )
    assert why in entry.detail


def test_top_k_joins_the_other_model_fields_and_wins_over_a_stale_value() -> None:
    extra = {
        "additionalModelRequestFields": {
            "thinking": {"type": "enabled", "budget_tokens": 2048},
            "top_k": 3,
        }
    }
    doc = {
        "messages": [msg("user", text("hi"))],
        "settings": {"model": "anthropic.claude-3-haiku-20240307-v1:0", "top_k": 40},
        "extensions": {"bedrock-converse": {"extra": extra}},
    }
    body, losses = encode(doc)
    assert body["additionalModelRequestFields"] == {
        "thinking": {"type": "enabled", "budget_tokens": 2048},
        "top_k": 40,
    }
    assert losses == []
    nova = {
        "messages": [msg("user", text("hi"))],
        "settings": {"model": "amazon.nova-pro-v1:0", "top_k": 7},
        "extensions": {
            "bedrock-converse": {
                "extra": {"additionalModelRequestFields": {"inferenceConfig": {"x": 1}, "y": 2}}
            }
        },
    }
    body, losses = encode(nova)
    assert body["additionalModelRequestFields"] == {"inferenceConfig": {"x": 1, "topK": 7}, "y": 2}
    assert losses == []


def test_top_k_is_a_loss_when_the_model_fields_cannot_hold_it() -> None:
    doc = {
        "messages": [msg("user", text("hi"))],
        "settings": {"model": "amazon.nova-pro-v1:0", "top_k": 7},
        "extensions": {
            "bedrock-converse": {"extra": {"additionalModelRequestFields": {"inferenceConfig": 1}}}
        },
    }
    encoded = CONV.encode(load_document(doc), EncodeOptions())
    assert encoded.body["additionalModelRequestFields"] == {"inferenceConfig": 1}
    assert rules([(e.pointer, e.action, e.rule) for e in encoded.losses.resolve(None)]) == {"top-k"}


@pytest.mark.parametrize(
    "fields",
    [
        {"top_k": 5},  # not Nova's field: kept as it is
        {"inferenceConfig": {"topK": 2.5}},  # not an integer
        {"inferenceConfig": {"topK": True}},
        {"inferenceConfig": "none"},
    ],
)
def test_other_top_k_shapes_stay_in_extra(fields: dict[str, Any]) -> None:
    body = {"modelId": "amazon.nova-pro-v1:0", "messages": _USER,
            "additionalModelRequestFields": fields}  # fmt: skip
    doc = CONV.decode(body).document
    assert doc.settings.top_k is None
    assert doc.extensions["bedrock-converse"]["extra"]["additionalModelRequestFields"] == fields
    assert round_trip(body) == body


def test_a_cross_family_conversion_moves_top_k_to_the_new_field() -> None:
    body = {"modelId": "anthropic.claude-3-haiku-20240307-v1:0", "messages": _USER,
            "additionalModelRequestFields": {"top_k": 9, "thinking": {"type": "disabled"}}}  # fmt: skip
    doc = CONV.decode(body).document
    assert doc.settings.top_k == 9
    assert doc.settings.reasoning == Reasoning(effort="none")
    assert not doc.extensions
    moved = doc.model_copy(
        update={"settings": doc.settings.model_copy(update={"model": "amazon.nova-pro-v1:0"})}
    )
    out, losses = encode(moved)
    assert out["additionalModelRequestFields"] == {  # both in the Nova model's own fields
        "reasoningConfig": {"type": "disabled"},
        "inferenceConfig": {"topK": 9},
    }
    assert losses == []


def test_top_k_converts_from_the_anthropic_format() -> None:
    anthropic = {"model": "claude-3-5-haiku-latest", "max_tokens": 64, "top_k": 12,
                 "messages": [{"role": "user", "content": "hi"}]}  # fmt: skip
    body, report = convert(anthropic, source="anthropic", target="bedrock-converse")
    assert body["additionalModelRequestFields"] == {"top_k": 12}
    assert not [e for e in report if e.rule.endswith("top-k")]
    assert_accepted(body)


# -- the target's rules on any document ------------------------------------------------


def test_consecutive_turns_merge_and_a_user_turn_starts_the_conversation() -> None:
    doc = {"messages": [msg("assistant", text("Hello")), msg("user", text("a")),
                        msg("user", text("b"))]}  # fmt: skip
    body, losses = encode(doc)
    assert body["messages"] == [
        {"role": "user", "content": [{"text": SYNTHESIZED_USER_TEXT}]},
        {"role": "assistant", "content": [{"text": "Hello"}]},
        {"role": "user", "content": [{"text": "a"}, {"text": "b"}]},
    ]
    assert ("/messages/2", "transformed", "bedrock-converse/alternating-roles") in losses
    assert ("/messages/0", "synthesized", "bedrock-converse/first-turn-user") in losses


def test_system_and_developer_text_are_lifted_into_system() -> None:
    doc = {
        "instructions": [{"role": "developer", "parts": [text("Dev.")]}],
        "messages": [msg("user", text("q")), msg("system", text("Late rule."))],
    }
    body, losses = encode(doc)
    assert body["system"] == [{"text": "Dev."}, {"text": "Late rule."}]
    assert rules(losses) == {"developer-instructions", "system-position"}


def test_tool_messages_become_the_user_turn_with_results_first() -> None:
    doc = {
        "messages": [
            msg("user", text("go")),
            msg("assistant", call("c1", "look")),
            msg("user", text("and also")),
            msg("tool", result("c1", text("done"), is_error=False)),
        ],
        "tools": [{"name": "look", "parameters": {"type": "object"}}],
    }
    body, losses = encode(doc)
    assert body["messages"][2]["content"] == [
        {"toolResult": {"toolUseId": "c1", "content": [{"text": "done"}], "status": "success"}},
        {"text": "and also"},
    ]
    assert (
        "/messages/3/parts/0",
        "transformed",
        "bedrock-converse/tool-result-placement",
    ) in losses


def test_ids_and_names_are_remapped_bijectively() -> None:
    doc = {
        "messages": [
            msg("user", text("go")),
            msg("assistant", call("call.1", "a.b"), call("call:1", "a.b")),
            msg("tool", result("call.1", text("x")), result("call:1", text("y"))),
        ],
    }
    body, losses = encode(doc)
    uses = [b["toolUse"] for b in body["messages"][1]["content"]]
    results = [b["toolResult"]["toolUseId"] for b in body["messages"][2]["content"]]
    assert uses[0]["toolUseId"] != uses[1]["toolUseId"]
    assert results == [u["toolUseId"] for u in uses]
    assert uses[0]["name"] == uses[1]["name"] == body["toolConfig"]["tools"][0]["toolSpec"]["name"]
    assert {"tool-id", "tool-name", "tool-config-required"} <= rules(losses)


def test_a_long_id_is_cut_to_64_characters() -> None:
    long_id = "x" * 80
    doc = {"messages": [msg("user", text("go")), msg("assistant", call(long_id)),
                        msg("tool", result(long_id, text("r")))]}  # fmt: skip
    body, _ = encode(doc)
    assert len(body["messages"][1]["content"][0]["toolUse"]["toolUseId"]) <= 64


def test_a_call_without_result_gets_an_error_result_and_orphans_become_text() -> None:
    doc = {"messages": [msg("user", text("go"), result("zz", text("stray"))),
                        msg("assistant", call("c1"))]}  # fmt: skip
    body, losses = encode(doc)
    assert body["messages"][0]["content"] == [{"text": "go"}, {"text": "[tool result zz]\nstray"}]
    assert body["messages"][2] == {
        "role": "user",
        "content": [
            {
                "toolResult": {
                    "toolUseId": "c1",
                    "content": [{"text": MISSING_RESULT}],
                    "status": "error",
                }
            }
        ],
    }
    assert {"tool-result-missing", "orphan-tool-result", "tool-config-required"} <= rules(losses)


@pytest.mark.parametrize(
    ("name", "expected", "rule"),
    [
        ("Report (Q3)", "Report (Q3)", None),
        ("report.final.pdf", "report-final", "document-name"),
        ("a  b", "a b", "document-name"),
        (None, "Document 1", "document-name"),
    ],
)
def test_document_names_follow_the_rules(name: str | None, expected: str, rule: str | None) -> None:
    part: dict[str, Any] = {"type": "document", "source": {"kind": "base64",
                            "media_type": "application/pdf", "data": PDF}}  # fmt: skip
    if name is not None:
        part["filename"] = name
    body, losses = encode({"messages": [msg("user", part)]})
    assert body["messages"][0]["content"][0]["document"]["name"] == expected
    assert rules(losses) == ({rule} if rule else set())


def test_what_bedrock_cannot_take_is_dropped_or_transformed() -> None:
    doc = {
        "messages": [
            msg(
                "user",
                text("see"),
                text("  "),
                {"type": "image", "source": {"kind": "url", "url": "https://x/y.png"}},
                {
                    "type": "image",
                    "source": {"kind": "base64", "media_type": "image/bmp", "data": PNG},
                },
                {
                    "type": "image",
                    "source": {"kind": "url", "url": f"data:image/png;base64,{PNG}"},
                    "detail": "low",
                },
                {"type": "image", "source": {"kind": "url", "url": "s3://bucket/cat.png"}},
                {
                    "type": "document",
                    "source": {"kind": "file", "file_id": "file-1", "provider": "openai"},
                },
                {
                    "type": "document",
                    "source": {"kind": "text", "text": "{}", "media_type": "application/json"},
                },
                name="ada",
            ),
            msg(
                "assistant",
                {"type": "refusal", "text": "No."},
                {"type": "provider", "format": "anthropic", "data": {"type": "x"}},
            ),
        ],
        "settings": {"top_k": 5, "seed": 1, "temperature": 1.5, "stop": ["", "END"]},
    }
    body, losses = encode(doc)
    content = body["messages"][0]["content"]
    assert content[0] == {"text": "see"}
    assert content[1] == {"image": {"format": "png", "source": {"bytes": PNG}}}
    assert content[2] == {
        "image": {"format": "png", "source": {"s3Location": {"uri": "s3://bucket/cat.png"}}}
    }
    assert content[3]["document"]["format"] == "txt"
    assert body["messages"][1]["content"] == [{"text": "No."}]
    assert body["inferenceConfig"] == {"temperature": 1.0, "stopSequences": ["END"]}
    assert rules(losses) == {
        "empty-text", "image-url", "image-format", "data-url", "image-detail", "file-source",
        "document-format", "document-name", "message-name", "refusal", "provider-part",
        "top-k", "seed", "temperature-range", "stop-empty",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("valid_for", "option", "replayed"),
    [
        ({"provider": "bedrock-converse", "model": "m-v1"}, "drop", True),
        ({"provider": "bedrock-converse", "model": "other"}, "drop", False),
        ({"provider": "anthropic"}, "text", False),
        (None, "drop", False),
    ],
)
def test_reasoning_replays_only_where_it_is_valid(
    valid_for: dict[str, Any] | None, option: str, replayed: bool
) -> None:
    part: dict[str, Any] = {"type": "reasoning", "text": "think", "signature": "c2ln"}
    if valid_for is not None:
        part["valid_for"] = valid_for
    doc = {"messages": [msg("user", text("q")), msg("assistant", part, text("a"))],
           "settings": {"model": "m-v1"}}  # fmt: skip
    body, losses = encode(doc, reasoning=option)
    first = body["messages"][1]["content"][0]
    if replayed:
        assert first == {
            "reasoningContent": {"reasoningText": {"text": "think", "signature": "c2ln"}}
        }
        assert not losses
    else:
        assert rules(losses) == {"reasoning-replay"}
        expected = {"text": "<reasoning>think</reasoning>"} if option == "text" else {"text": "a"}
        assert first == expected


@pytest.mark.parametrize(
    ("mode", "expected", "rule"),
    [("auto", {"auto": {}}, None), ("required", {"any": {}}, None),
     ("tool", {"tool": {"name": "f"}}, None), ("none", None, "tool-choice")],
)  # fmt: skip
def test_tool_choice_mapping(mode: str, expected: dict[str, Any] | None, rule: str | None) -> None:
    choice = {"mode": mode, **({"name": "f"} if mode == "tool" else {})}
    doc = {"messages": [msg("user", text("q"))], "tools": [{"name": "f"}],
           "settings": {"tool_choice": choice}}  # fmt: skip
    body, losses = encode(doc)
    assert body["toolConfig"].get("toolChoice") == expected
    assert body["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"] == {
        "json": {"type": "object", "properties": {}}
    }
    assert rules(losses) == {"tool-input-schema"} | ({rule} if rule else set())


def test_cache_hints_are_carried_and_bad_ttls_reported() -> None:
    doc = {
        "instructions": [{"role": "system", "parts": [text("S", cache={"ttl": "1h"})]}],
        "messages": [msg("user", text("q", cache={"ttl": "10m"}))],
        "tools": [{"name": "f", "parameters": {"type": "object"}, "cache": {}}],
    }
    body, losses = encode(doc)
    assert body["system"] == [{"text": "S"}, {"cachePoint": {"type": "default", "ttl": "1h"}}]
    assert body["messages"][0]["content"][1] == {"cachePoint": {"type": "default"}}
    assert body["toolConfig"]["tools"][1] == {"cachePoint": {"type": "default"}}
    assert losses == [
        ("/messages/0/parts/0/cache/ttl", "transformed", "bedrock-converse/cache-ttl")
    ]


def test_foreign_extra_fields_are_reported() -> None:
    doc = {"messages": [msg("user", text("q"), extensions={"openai-chat": {"extra": {"x": 1}}})],
           "extensions": {"anthropic": {"extra": {"metadata": {}}}}}  # fmt: skip
    _, losses = encode(doc)
    assert rules(losses) == {"no-field"}
    assert len(losses) == 2


# -- malformed input and validate -------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ([], ""),
        ({"messages": {}}, "/messages"),
        ({"messages": [{"content": []}]}, "/messages/0"),
        ({"messages": [{"role": "tool", "content": []}]}, "/messages/0/role"),
        ({"messages": [{"role": "user", "content": "hi"}]}, "/messages/0/content"),
        ({"messages": [{"role": "user", "content": [{"text": 3}]}]}, "/messages/0/content/0/text"),
        (
            {"messages": [{"role": "user", "content": [{"image": {"format": "png"}}]}]},
            "/messages/0/content/0/image/source",
        ),
        (
            {
                "messages": [
                    {"role": "assistant", "content": [{"toolUse": {"name": "f", "input": {}}}]}
                ]
            },
            "/messages/0/content/0/toolUse",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"toolResult": {"toolUseId": "a", "content": [], "status": "ok"}}
                        ],
                    }
                ]
            },
            "/messages/0/content/0/toolResult/status",
        ),
        ({"system": [{"text": None}]}, "/system/0/text"),
        ({"inferenceConfig": {"maxTokens": "5"}}, "/inferenceConfig/maxTokens"),
        (
            {"toolConfig": {"tools": [{"toolSpec": {"name": "f"}}]}},
            "/toolConfig/tools/0/toolSpec/inputSchema",
        ),
        ({"toolConfig": {"tools": [{"cachePoint": {"type": "default"}}]}}, "/toolConfig/tools/0"),
        (
            {"messages": [{"role": "user", "content": [{"text": "a"}, {"cachePoint": {}}]}]},
            "/messages/0/content/1/cachePoint/type",
        ),
        ({"modelId": 3}, "/modelId"),
        (
            {"messages": [{"role": "user", "content": [{"text": float("nan")}]}]},
            "/messages/0/content/0/text",
        ),
    ],
)
def test_malformed_input_names_the_pointer(body: Any, pointer: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        CONV.decode(body)
    assert info.value.pointer == pointer
    assert [v.pointer for v in CONV.validate(body) if v.rule.endswith("/schema")] == [pointer]


def _user(*blocks: Any) -> dict[str, Any]:
    return {"role": "user", "content": list(blocks)}


def _assistant(*blocks: Any) -> dict[str, Any]:
    return {"role": "assistant", "content": list(blocks)}


_USE = {"toolUse": {"toolUseId": "t1", "name": "f", "input": {}}}
_RESULT = {"toolResult": {"toolUseId": "t1", "content": []}}
_TOOLS = {"tools": [{"toolSpec": {"name": "f", "inputSchema": {"json": {}}}}]}


@pytest.mark.parametrize(
    ("body", "rule", "pointer"),
    [
        ({"messages": [_assistant({"text": "a"})]}, "first-turn-user", "/messages/0/role"),
        (
            {"messages": [_user({"text": "a"}), _user({"text": "b"})]},
            "alternating-roles",
            "/messages/1/role",
        ),
        ({"messages": [_user()]}, "empty-message", "/messages/0/content"),
        ({"messages": [_user({"text": " "})]}, "empty-text", "/messages/0/content/0/text"),
        ({"system": [{"text": ""}]}, "empty-text", "/system/0/text"),
        (
            {"messages": [_user({"image": {"format": "bmp", "source": {"bytes": PNG}}})]},
            "image-format",
            "/messages/0/content/0/image/format",
        ),
        (
            {
                "messages": [
                    _user({"document": {"format": "rtf", "name": "a", "source": {"bytes": PDF}}})
                ]
            },
            "document-format",
            "/messages/0/content/0/document/format",
        ),
        (
            {
                "messages": [
                    _user({"document": {"format": "pdf", "name": "a", "source": {"text": "x"}}})
                ]
            },
            "document-format",
            "/messages/0/content/0/document/format",
        ),
        (
            {
                "messages": [
                    _user(
                        {"document": {"format": "pdf", "name": "a.pdf", "source": {"bytes": PDF}}}
                    )
                ]
            },
            "document-name",
            "/messages/0/content/0/document/name",
        ),
        (
            {
                "messages": [
                    _user({"text": "q"}),
                    _assistant({"toolUse": {"toolUseId": "a.b", "name": "f", "input": {}}}),
                    _user({"toolResult": {"toolUseId": "a.b", "content": []}}),
                ],
                "toolConfig": _TOOLS,
            },
            "tool-id",
            "/messages/1/content/0/toolUse/toolUseId",
        ),
        (
            {
                "messages": [
                    _user({"text": "q"}),
                    _assistant({"toolUse": {"toolUseId": "t1", "name": "f.g", "input": {}}}),
                    _user(_RESULT),
                ],
                "toolConfig": _TOOLS,
            },
            "tool-name",
            "/messages/1/content/0/toolUse/name",
        ),
        (
            {
                "messages": [
                    _user({"text": "q"}),
                    _assistant({"toolUse": {"toolUseId": "t1", "name": "f", "input": [1]}}),
                    _user(_RESULT),
                ],
                "toolConfig": _TOOLS,
            },
            "tool-input-object",
            "/messages/1/content/0/toolUse/input",
        ),
        (
            {"messages": [_user({"text": "q"}), _assistant(_USE)], "toolConfig": _TOOLS},
            "tool-result-missing",
            "/messages/1/content/0",
        ),
        (
            {"messages": [_user(_RESULT)], "toolConfig": _TOOLS},
            "orphan-tool-result",
            "/messages/0/content/0/toolResult/toolUseId",
        ),
        (
            {
                "messages": [_user({"text": "q"}), _assistant(_USE), _user({"text": "x"}, _RESULT)],
                "toolConfig": _TOOLS,
            },
            "tool-result-placement",
            "/messages/2/content/1",
        ),
        (
            {"messages": [_user({"text": "q"}), _assistant(_USE), _user(_RESULT)]},
            "tool-config-required",
            "/toolConfig",
        ),
        (
            {"messages": [_user(_USE)], "toolConfig": _TOOLS},
            "tool-call-role",
            "/messages/0/content/0",
        ),
        (
            {"messages": [_user({"reasoningContent": {"reasoningText": {"text": "t"}}})]},
            "reasoning-role",
            "/messages/0/content/0",
        ),
        (
            {"inferenceConfig": {"temperature": 2}},
            "temperature-range",
            "/inferenceConfig/temperature",
        ),
        ({"inferenceConfig": {"topP": -1}}, "top-p-range", "/inferenceConfig/topP"),
        ({"inferenceConfig": {"maxTokens": 0}}, "max-tokens-range", "/inferenceConfig/maxTokens"),
        (
            {"inferenceConfig": {"stopSequences": [""]}},
            "stop-empty",
            "/inferenceConfig/stopSequences/0",
        ),
        ({"toolConfig": {"tools": []}}, "tools-empty", "/toolConfig/tools"),
        (
            {"toolConfig": {**_TOOLS, "toolChoice": {"tool": {"name": "g"}}}},
            "tool-choice",
            "/toolConfig/toolChoice/tool/name",
        ),
        (
            {
                "toolConfig": {
                    "tools": [
                        {"toolSpec": {"name": "f", "description": "", "inputSchema": {"json": {}}}}
                    ]
                }
            },
            "empty-text",
            "/toolConfig/tools/0/toolSpec/description",
        ),
    ],
)
def test_validate_names_each_rule(body: dict[str, Any], rule: str, pointer: str) -> None:
    found = [(v.rule, v.pointer) for v in CONV.validate(body)]
    assert (f"bedrock-converse/{rule}", pointer) in found


# -- wire values of the wrong type (issue 11: found by tests/fuzz) ----------------------


@pytest.mark.parametrize("value", [["png"], {"a": 1}])
def test_validate_flags_values_of_the_wrong_type_without_crashing(value: Any) -> None:
    body = {
        "modelId": "m",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"image": {"format": value, "source": {"bytes": "AA=="}}},
                    {"document": {"format": value, "name": "d", "source": {"bytes": "AA=="}}},
                ],
            }
        ],
        "toolConfig": {
            "tools": [{"toolSpec": {"name": "f", "inputSchema": {"json": {}}}}],
            "toolChoice": {"tool": {"name": value}},
        },
    }
    rules = {v.rule for v in CONV.validate(body)}
    assert {"bedrock-converse/image-format", "bedrock-converse/tool-choice"} <= rules
