"""The ``mcp`` (sampling ``createMessage`` params) and ``mcp-prompt`` (``prompts/get``
messages) converters: golden fixtures, exact round trips, MCP's rules on any AIF
document, loss reports, malformed input and `validate`.

Every body the encoders write is checked against the official ``mcp`` SDK types
(``CreateMessageRequestParams``, ``GetPromptResult``) and against `validate`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp.types import CreateMessageRequestParams, GetPromptResult, PromptMessage

from aifkit.aif import (
    FORMATS,
    Document,
    EncodeOptions,
    ToolCallPart,
    ToolResultPart,
    convert,
    dump_document,
    load_document,
)
from aifkit.aif.converters._mcp_encode import MISSING_RESULT_TEXT
from aifkit.aif.converters.mcp import McpConverter, McpPromptConverter
from aifkit.errors import InvalidInputError
from tests.aif.recorded import today
from tests.aif.strategies import documents

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CONV = McpConverter()
PROMPT = McpPromptConverter()
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def _names(fmt: str) -> list[str]:
    return sorted(
        p.name.removesuffix(".json")
        for p in (FIXTURES / fmt).glob("*.json")
        if ".aif." not in p.name
    )


CASES = [("mcp", n) for n in _names("mcp")] + [("mcp-prompt", n) for n in _names("mcp-prompt")]


def assert_accepted(body: dict[str, Any], fmt: str = "mcp") -> None:
    """The body is valid for the official SDK and for the converter's `validate`."""
    if fmt == "mcp":
        CreateMessageRequestParams.model_validate(body)
        assert CONV.validate(body) == []
    else:
        result = GetPromptResult.model_validate(body)
        assert all(isinstance(m, PromptMessage) for m in result.messages)
        assert PROMPT.validate(body) == []


def load(name: str, fmt: str = "mcp") -> Any:
    data = json.loads((FIXTURES / fmt / f"{name}.json").read_text("utf-8"))
    return data["body"] if fmt == "openai-chat" else data


def encode(
    doc: Document | dict[str, Any], conv: Any = CONV, **options: Any
) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    document = doc if isinstance(doc, Document) else load_document(doc)
    encoded = conv.encode(document, EncodeOptions(**options))
    return encoded.body, [(e.pointer, e.action, e.rule) for e in encoded.losses.resolve(None)]


def text(t: str) -> dict[str, Any]:
    return {"type": "text", "text": t}


def call(call_id: str, name: str = "f", **more: Any) -> dict[str, Any]:
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": {}, **more}


def result(call_id: str, *content: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"type": "tool_result", "call_id": call_id, "content": list(content), **more}


def msg(role: str, *parts: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"role": role, "parts": list(parts), **more}


def doc(*messages: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"messages": list(messages), "settings": {"max_tokens": 100}, **fields}


def wire_text(t: str) -> dict[str, Any]:
    return {"type": "text", "text": t}


# -- golden fixtures ------------------------------------------------------------------


def test_the_formats_are_registered() -> None:
    assert isinstance(FORMATS.get("mcp"), McpConverter)
    assert isinstance(FORMATS.get("mcp-prompt"), McpPromptConverter)


@pytest.mark.parametrize(("fmt", "name"), CASES)
def test_fixture_decodes_to_the_expected_aif(fmt: str, name: str) -> None:
    expected = json.loads((FIXTURES / fmt / f"{name}.aif.json").read_text("utf-8"))
    assert dump_document(FORMATS.get(fmt).decode(load(name, fmt)).document) == today(expected)


@pytest.mark.parametrize(("fmt", "name"), CASES)
def test_fixture_round_trip_is_exact_and_valid(fmt: str, name: str) -> None:
    body = load(name, fmt)
    assert_accepted(body, fmt)
    out, report = convert(body, source=fmt, target=fmt)
    assert out == body
    assert report.lossless
    document_json, _ = convert(body, source=fmt, target="aif")
    again, _ = convert(json.loads(json.dumps(document_json)), source="aif", target=fmt)
    assert again == body


def test_mapping_of_the_main_fields() -> None:
    basic = CONV.decode(load("basic")).document
    assert basic.instructions[0].parts[0].text == "You are a helpful assistant."
    assert basic.settings.max_tokens == 100
    assert (
        basic.settings.extensions["mcp"]["extra"]["modelPreferences"]["intelligencePriority"] == 0.8
    )
    tools = CONV.decode(load("tools"))
    calls = [p for p in tools.document.messages[1].parts if isinstance(p, ToolCallPart)]
    assert [(c.id, c.arguments) for c in calls] == [
        ("call_abc123", {"city": "Paris"}),
        ("call_def456", {"city": "London"}),
    ]
    results = [p for p in tools.document.messages[2].parts if isinstance(p, ToolResultPart)]
    assert [r.is_error for r in results] == [None, False]
    assert tools.source_map.translate(("messages", 2, "parts", 1, "call_id")) == (
        "messages",
        2,
        "content",
        1,
        "toolUseId",
    )
    prompt = PROMPT.decode(load("media", "mcp-prompt")).document
    assert [p.type for m in prompt.messages for p in m.parts] == [
        "image",
        "audio",
        "document",
        "document",
        "text",
    ]


def test_a_model_name_becomes_a_model_hint() -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    out, report = convert(body, source="openai-chat", target="mcp")
    assert out["modelPreferences"] == {"hints": [{"name": "gpt-4o"}]}
    assert [(e.pointer, e.rule) for e in report] == [
        ("", "mcp/max-tokens-required"),  # the body had none: the body itself
        ("/model", "mcp/model-hint"),
    ]


# -- round trips over generated bodies ---------------------------------------------------

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_NAME = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_NAME, inner, max_size=3),
    max_leaves=5,
)
_ANNOTATIONS = st.sampled_from([{"audience": ["user"]}, {"priority": 0.5}])


@st.composite
def _content_block(draw: st.DrawFn, prompt: bool = False) -> dict[str, Any]:
    kinds = ["text", "text", "image", "audio"] + (["resource", "link"] if prompt else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "text":
        block: dict[str, Any] = wire_text(draw(_TEXT))
    elif kind == "image":
        block = {
            "type": "image",
            "data": PNG,
            "mimeType": draw(st.sampled_from(["image/png", "image/jpeg"])),
        }
    elif kind == "audio":
        block = {"type": "audio", "data": "UklGRg==", "mimeType": "audio/wav"}
    elif kind == "resource":
        res: dict[str, Any] = {"uri": f"file:///{draw(_NAME)}"}
        if draw(st.booleans()):
            res["mimeType"] = draw(st.sampled_from(["text/plain", "text/markdown"]))
        if draw(st.booleans()):
            res["text"] = draw(_TEXT)
        else:
            res["blob"] = PNG
        block = {"type": "resource", "resource": res}
    else:
        block = {
            "type": "resource_link",
            "uri": f"https://example.com/{draw(_NAME)}",
            "name": draw(_NAME),
        }
        if draw(st.booleans()):
            block["title"] = draw(_TEXT)
    if draw(st.integers(0, 5)) == 0:
        block["annotations"] = draw(_ANNOTATIONS)
    if draw(st.integers(0, 6)) == 0:
        block["_meta"] = {"example.com/k": draw(_JSON)}
    return block


def _content(draw: st.DrawFn, blocks: list[dict[str, Any]]) -> Any:
    if len(blocks) == 1 and draw(st.booleans()):
        return blocks[0]
    return blocks


@st.composite
def _result(draw: st.DrawFn, call_id: str) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "tool_result", "toolUseId": call_id}
    if draw(st.integers(0, 4)):
        block["content"] = draw(st.lists(_content_block(prompt=True), max_size=2))
    if draw(st.booleans()):
        block["isError"] = draw(st.booleans())
    if draw(st.integers(0, 4)) == 0:
        block["structuredContent"] = {"value": draw(_JSON)}
    return block


@st.composite
def params(draw: st.DrawFn) -> dict[str, Any]:
    """Sampling params `validate` accepts: every tool_use answered by the next message."""
    messages: list[dict[str, Any]] = []
    for turn in range(draw(st.integers(1, 3))):
        messages.append(
            {
                "role": "user",
                "content": _content(draw, draw(st.lists(_content_block(), min_size=1, max_size=3))),
            }
        )
        blocks = draw(st.lists(_content_block(), max_size=2))
        ids = [f"call_{turn}_{k}" for k in range(draw(st.integers(0, 2)))]
        blocks += [
            {
                "type": "tool_use",
                "id": i,
                "name": draw(_NAME),
                "input": draw(st.dictionaries(_NAME, _JSON, max_size=2)),
            }
            for i in ids
        ]
        if not blocks:
            continue
        messages.append({"role": "assistant", "content": _content(draw, blocks)})
        if ids:
            messages.append(
                {"role": "user", "content": _content(draw, [draw(_result(i)) for i in ids])}
            )
    if draw(st.integers(0, 6)) == 0:
        messages[0]["_meta"] = {"example.com/m": 1}
    body: dict[str, Any] = {"messages": messages, "maxTokens": draw(st.integers(1, 4096))}
    if draw(st.booleans()):
        body["systemPrompt"] = draw(_TEXT)
    if draw(st.booleans()):
        body["temperature"] = draw(st.one_of(st.floats(0, 2), st.integers(0, 1)))
    if draw(st.booleans()):
        body["stopSequences"] = draw(st.lists(_TEXT, max_size=2))
    if draw(st.booleans()):
        body["tools"] = [
            {"name": n, "inputSchema": {"type": "object"}}
            for n in draw(st.lists(_NAME, min_size=1, max_size=2, unique=True))
        ]
        if draw(st.booleans()):
            body["toolChoice"] = {"mode": draw(st.sampled_from(["auto", "required", "none"]))}
    prefs = draw(
        st.sampled_from(
            [
                None,
                {"hints": [{"name": "sonnet"}]},
                {"costPriority": 0.3},
                {"hints": [{"name": "a"}, {"name": "b"}]},
            ]
        )
    )
    if prefs is not None:
        body["modelPreferences"] = prefs
    for key, values in [
        ("includeContext", st.sampled_from(["none", "thisServer"])),
        ("metadata", st.dictionaries(_NAME, _JSON, max_size=2)),
    ]:
        if draw(st.booleans()):
            body[key] = draw(values)
    return body


@st.composite
def prompts(draw: st.DrawFn) -> dict[str, Any]:
    blocks = draw(st.lists(_content_block(prompt=True), min_size=1, max_size=5))
    body: dict[str, Any] = {
        "messages": [
            {"role": draw(st.sampled_from(["user", "assistant"])), "content": b} for b in blocks
        ]
    }
    if draw(st.booleans()):
        body["description"] = draw(_TEXT)
    return body


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=params())
def test_generated_params_round_trip_exactly(body: dict[str, Any]) -> None:
    assert_accepted(body)
    decoded = CONV.decode(body)
    encoded = CONV.encode(decoded.document, EncodeOptions())
    assert encoded.body == body
    assert not encoded.losses
    again = load_document(json.loads(json.dumps(dump_document(decoded.document))))
    assert CONV.encode(again, EncodeOptions()).body == body


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=prompts())
def test_generated_prompts_round_trip_exactly(body: dict[str, Any]) -> None:
    assert_accepted(body, "mcp-prompt")
    encoded = PROMPT.encode(PROMPT.decode(body).document, EncodeOptions())
    assert encoded.body == body
    assert not encoded.losses


# -- any AIF document becomes a valid body ------------------------------------------------


@pytest.mark.parametrize("fmt", ["mcp", "mcp-prompt"])
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents())
def test_any_document_encodes_to_a_valid_body(fmt: str, document: Document) -> None:
    conv = FORMATS.get(fmt)
    encoded = conv.encode(document, EncodeOptions(reasoning="text"))
    assert_accepted(encoded.body, fmt)
    rules = {e.rule.removeprefix(f"{fmt}/") for e in encoded.losses.resolve(None)}
    assert rules <= set(conv.capabilities.rules)


def _foreign() -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for fmt in ("openai-chat", "anthropic", "ollama"):
        for p in sorted((FIXTURES / fmt).glob("*.json")):
            if ".aif." not in p.name:
                for target in ("mcp", "mcp-prompt"):
                    out.append((fmt, p.name.removesuffix(".json"), target))
    return out


@pytest.mark.parametrize(("fmt", "name", "target"), _foreign())
def test_other_formats_fixtures_convert_to_valid_bodies(fmt: str, name: str, target: str) -> None:
    out, report = convert(load(name, fmt), source=fmt, target=target)
    assert_accepted(out, target)
    assert all(e.rule.split("/")[0] in (fmt, target) for e in report)


# -- MCP's rules on AIF documents ---------------------------------------------------------


def test_system_text_goes_to_the_system_prompt() -> None:
    body, losses = encode(
        doc(
            msg("user", text("Hi")),
            msg("developer", text("Late rule.")),
            instructions=[
                {"role": "system", "parts": [text("One.")]},
                {"role": "developer", "parts": [text("Two.")]},
            ],
        )
    )
    assert_accepted(body)
    assert body["systemPrompt"] == "One.\n\nTwo.\n\nLate rule."
    assert body["messages"] == [{"role": "user", "content": wire_text("Hi")}]
    assert losses == [
        ("/instructions/1", "transformed", "mcp/developer-instructions"),
        ("/messages/1", "transformed", "mcp/system-position"),
        ("/instructions", "transformed", "mcp/text-joined"),
    ]


def test_results_are_split_from_other_content_and_missing_ones_synthesized() -> None:
    body, losses = encode(
        doc(
            msg("user", text("go")),
            msg("assistant", call("c1"), call("c2")),
            msg("tool", result("c2", text("two"))),
            msg("user", text("and?"), result("c9", text("stray"))),
        )
    )
    assert_accepted(body)
    assert body["messages"][2] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "toolUseId": "c2", "content": [wire_text("two")]},
            {
                "type": "tool_result",
                "toolUseId": "c1",
                "content": [wire_text(MISSING_RESULT_TEXT)],
                "isError": True,
            },
        ],
    }
    assert body["messages"][3:] == [
        {"role": "user", "content": wire_text("Result of tool call c9:\nstray")},
        {"role": "user", "content": wire_text("and?")},
    ]
    assert losses == [
        ("/messages/3", "transformed", "mcp/tool-result-alone"),
        ("/messages/1/parts/0", "synthesized", "mcp/tool-result-missing"),
        ("/messages/3/parts/1", "transformed", "mcp/orphan-tool-result"),
    ]


def test_calls_outside_assistant_turns_and_results_in_them_move() -> None:
    body, losses = encode(
        doc(
            msg("user", call("c1", arguments={"a": 1})),
            msg("assistant", call("c2"), result("c2", text("self-answered"))),
        )
    )
    assert_accepted(body)
    assert body["messages"][0] == {
        "role": "user",
        "content": wire_text('Tool call f (c1): {"a":1}'),
    }
    assert body["messages"][2]["content"]["toolUseId"] == "c2"
    assert losses == [
        ("/messages/0/parts/0", "transformed", "mcp/tool-call-role"),
        ("/messages/1", "transformed", "mcp/tool-result-role"),
    ]


def test_media_mcp_cannot_take_is_reported() -> None:
    body, losses = encode(
        doc(
            msg(
                "user",
                {"type": "image", "source": {"kind": "url", "url": "https://example.com/a.png"}},
                {
                    "type": "image",
                    "source": {"kind": "url", "url": f"data:image/png;base64,{PNG}"},
                    "detail": "low",
                },
                {"type": "image", "source": {"kind": "base64", "data": "AAAA"}},
                {
                    "type": "audio",
                    "source": {"kind": "base64", "data": "UklGRg=="},
                    "format": "wav",
                },
                {"type": "audio", "source": {"kind": "base64", "data": "UklGRg=="}},
                {"type": "document", "source": {"kind": "text", "text": "notes"}},
                {"type": "document", "source": {"kind": "url", "url": "https://example.com/a.pdf"}},
            ),
            msg(
                "assistant", {"type": "refusal", "text": "No."}, {"type": "reasoning", "text": "hm"}
            ),
        )
    )
    assert_accepted(body)
    assert body["messages"][0]["content"] == [
        {"type": "image", "data": PNG, "mimeType": "image/png"},
        {"type": "audio", "data": "UklGRg==", "mimeType": "audio/wav"},
        wire_text("notes"),
    ]
    assert losses == [
        ("/messages/0/parts/0", "dropped", "mcp/image-source"),
        ("/messages/0/parts/1/detail", "dropped", "mcp/image-detail"),
        ("/messages/0/parts/1", "transformed", "mcp/data-url"),
        ("/messages/0/parts/2", "dropped", "mcp/image-source"),
        ("/messages/0/parts/4", "dropped", "mcp/audio-format"),
        ("/messages/0/parts/5", "transformed", "mcp/document-text"),
        ("/messages/0/parts/6", "dropped", "mcp/document"),
        ("/messages/1/parts/0", "transformed", "mcp/refusal"),
        ("/messages/1/parts/1", "dropped", "mcp/reasoning"),
    ]


def test_settings_and_tools() -> None:
    body, losses = encode(
        {
            "messages": [msg("user", text("x"))],
            "tools": [
                {"name": "f", "parameters": {"type": "object"}, "strict": True},
                {"kind": "web_search_20250305", "name": "web_search"},
            ],
            "settings": {
                "temperature": 0.5,
                "top_p": 0.9,
                "top_k": 5,
                "seed": 1,
                "stop": ["END"],
                "tool_choice": {"mode": "tool", "name": "f"},
                "parallel_tool_calls": True,
            },
        }
    )
    assert_accepted(body)
    assert body["tools"] == [{"name": "f", "inputSchema": {"type": "object"}}]
    assert (body["maxTokens"], body["temperature"], body["stopSequences"]) == (4096, 0.5, ["END"])
    assert body["toolChoice"] == {"mode": "required"}
    assert losses == [
        ("/tools/0/strict", "dropped", "mcp/tools-strict"),
        ("/tools/1", "dropped", "mcp/tool-kind"),
        ("/max_tokens", "synthesized", "mcp/max-tokens-required"),
        ("/settings/top_p", "dropped", "mcp/top-p"),
        ("/settings/top_k", "dropped", "mcp/top-k"),
        ("/settings/seed", "dropped", "mcp/seed"),
        ("/settings/parallel_tool_calls", "dropped", "mcp/parallel-tool-calls"),
        ("/settings/tool_choice", "transformed", "mcp/tool-choice"),
    ]


def test_prompt_messages_hold_one_block_each() -> None:
    body, losses = encode(
        doc(
            msg(
                "user", text("a"), {"type": "document", "source": {"kind": "file", "file_id": "f"}}
            ),
            msg("assistant", call("c1"), text("b")),
            msg("user"),
            tools=[{"name": "f"}],
        ),
        PROMPT,
    )
    assert_accepted(body, "mcp-prompt")
    assert body["messages"] == [
        {"role": "user", "content": wire_text("a")},
        {"role": "assistant", "content": wire_text("Tool call f (c1): {}")},
        {"role": "assistant", "content": wire_text("b")},
    ]
    assert losses == [
        ("/messages/0/parts/1", "dropped", "mcp-prompt/document"),
        ("/messages/1/parts/0", "transformed", "mcp-prompt/tool-text"),
        ("/messages/1", "transformed", "mcp-prompt/one-block"),
        ("/messages/2", "dropped", "mcp-prompt/empty-message"),
        ("/settings/max_tokens", "dropped", "mcp-prompt/settings"),
        ("/tools/0", "dropped", "mcp-prompt/tools"),
    ]


def test_sampling_tool_results_carry_resources() -> None:
    body, losses = encode(
        doc(
            msg("user", text("read")),
            msg("assistant", call("c1")),
            msg(
                "tool",
                result(
                    "c1",
                    {
                        "type": "document",
                        "source": {"kind": "text", "text": "x"},
                        "filename": "a.txt",
                    },
                    {
                        "type": "document",
                        "source": {"kind": "url", "url": "https://example.com/b.pdf"},
                    },
                ),
            ),
        )
    )
    assert_accepted(body)
    assert body["messages"][2]["content"]["content"] == [
        {
            "type": "resource",
            "resource": {"uri": "aif:///a.txt", "mimeType": "text/plain", "text": "x"},
        },
        {"type": "resource_link", "uri": "https://example.com/b.pdf", "name": "b.pdf"},
    ]
    assert losses == []


# -- malformed input ------------------------------------------------------------------


def _params(*messages: Any, **top: Any) -> dict[str, Any]:
    return {"messages": list(messages), "maxTokens": 10, **top}


@pytest.mark.parametrize(
    ("body", "pointer", "problem"),
    [
        ([], "", "expected an object"),
        ({"maxTokens": 1}, "/messages", "missing required field"),
        (_params("hi"), "/messages/0", "expected an object"),
        (_params({"content": wire_text("x")}), "/messages/0/role", "missing required field"),
        (_params({"role": "system", "content": wire_text("x")}), "/messages/0/role", "expected 'user' or 'assistant'"),
        (_params({"role": "user"}), "/messages/0/content", "missing required field"),
        (_params({"role": "user", "content": "x"}), "/messages/0/content", "expected an object or an array"),
        (_params({"role": "user", "content": [{"text": "x"}]}), "/messages/0/content/0/type", "missing required field"),
        (_params({"role": "user", "content": {"type": "image", "data": "A"}}), "/messages/0/content/mimeType", "missing required field"),
        (_params({"role": "assistant", "content": {"type": "tool_use", "id": "a", "name": "f", "input": []}}), "/messages/0/content/input", "expected an object"),
        (_params({"role": "user", "content": {"type": "tool_result", "toolUseId": "a", "content": "x"}}), "/messages/0/content/content", "expected an array"),
        (_params(maxTokens="10"), "/maxTokens", "expected an integer"),
        (_params(stopSequences=[1]), "/stopSequences/0", "expected a string"),
        (_params(systemPrompt=1), "/systemPrompt", "expected a string"),
        (_params(tools=[{"name": "f"}]), "/tools/0/inputSchema", "missing required field"),
    ],
)  # fmt: skip
def test_malformed_params_name_the_pointer(body: Any, pointer: str, problem: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        CONV.decode(body)
    assert info.value.pointer == pointer
    assert problem in info.value.problem
    assert CONV.validate(body)[0].rule == "mcp/schema"


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"messages": [{"role": "user", "content": [wire_text("x")]}]}, "/messages/0/content"),
        ({"messages": [{"role": "user", "content": {"type": "resource", "resource": {"uri": "u"}}}]}, "/messages/0/content/resource/blob"),
        ({"messages": [{"role": "user", "content": {"type": "resource_link", "uri": "u"}}]}, "/messages/0/content/name"),
    ],
)  # fmt: skip
def test_malformed_prompts_name_the_pointer(body: Any, pointer: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        PROMPT.decode(body)
    assert info.value.pointer == pointer


# -- validate -------------------------------------------------------------------------

_USE = {"type": "tool_use", "id": "a", "name": "f", "input": {}}
_RES = {"type": "tool_result", "toolUseId": "a", "content": []}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"messages": []}, [("/maxTokens", "mcp/max-tokens-required")]),
        (_params({"role": "user", "content": {"type": "resource_link", "uri": "u", "name": "n"}}), [("/messages/0/content", "mcp/block-type")]),
        (_params({"role": "user", "content": _USE}), [("/messages/0/content", "mcp/tool-use-role")]),
        (_params({"role": "assistant", "content": _USE}, {"role": "assistant", "content": _RES}), [("/messages/1/content", "mcp/tool-result-role")]),
        (_params({"role": "assistant", "content": _USE}, {"role": "user", "content": [_RES, wire_text("x")]}), [("/messages/1/content", "mcp/tool-result-alone")]),
        (_params({"role": "assistant", "content": [_USE]}, {"role": "user", "content": wire_text("x")}), [("/messages/0/content/0", "mcp/tool-result-missing")]),
        (_params({"role": "user", "content": _RES}), [("/messages/0/content", "mcp/orphan-tool-result")]),
        (_params(toolChoice={"mode": "any"}), [("/toolChoice/mode", "mcp/tool-choice")]),
    ],
)  # fmt: skip
def test_validate_names_each_rule(body: Any, expected: list[tuple[str, str]]) -> None:
    assert [(v.pointer, v.rule) for v in CONV.validate(body)] == expected


def test_prompt_validate_names_each_rule() -> None:
    body = {"messages": [{"role": "assistant", "content": _USE}]}
    assert [(v.pointer, v.rule) for v in PROMPT.validate(body)] == [
        ("/messages/0/content", "mcp-prompt/block-type")
    ]
    assert [v.rule for v in PROMPT.validate({"messages": 1})] == ["mcp-prompt/schema"]


def test_validate_never_raises() -> None:
    for body in (None, "x", {"messages": [None, 1, {"role": None, "content": [1]}]}):
        assert CONV.validate(body)
        assert PROMPT.validate(body)


# -- wire values of the wrong type (issue 11: found by tests/fuzz) ----------------------


@pytest.mark.parametrize("fmt", ["mcp", "mcp-prompt"])
@pytest.mark.parametrize("role", [["user"], {"a": 1}])
def test_a_role_of_the_wrong_type_is_an_error_at_its_pointer(fmt: str, role: Any) -> None:
    body = {"messages": [{"role": role, "content": {"type": "text", "text": "hi"}}]}
    with pytest.raises(InvalidInputError) as info:
        convert(body, source=fmt, target="aif")
    assert info.value.pointer == "/messages/0/role"
    assert "expected a string" in info.value.problem


def test_a_tool_choice_mode_of_the_wrong_type_is_kept_not_a_crash() -> None:
    body = {
        "messages": [{"role": "user", "content": {"type": "text", "text": "hi"}}],
        "maxTokens": 10,
        "toolChoice": {"mode": ["auto"]},
    }
    doc, _ = convert(body, source="mcp", target="aif")
    assert "tool_choice" not in doc.get("settings", {})


@pytest.mark.parametrize("value", [["a"], {"a": 1}])
def test_validate_flags_block_types_and_result_ids_of_the_wrong_type(value: Any) -> None:
    body = {
        "messages": [
            {"role": "user", "content": {"type": value, "text": "hi"}},
            {"role": "user", "content": {"type": "tool_result", "toolUseId": value, "content": []}},
        ],
        "maxTokens": 10,
    }
    rules = {v.rule for v in McpConverter().validate(body)}
    assert {"mcp/block-type", "mcp/orphan-tool-result"} <= rules
