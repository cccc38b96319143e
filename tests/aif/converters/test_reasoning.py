"""The reasoning setting across formats, and the source model in cross-provider conversions."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.aif import Document, EncodeOptions, Reasoning, convert, decode, encode, validate
from aifkit.aif.converters._reasoning import BUDGETS, budget_effort

USER = {"role": "user", "content": "Think about it."}


def anthropic(thinking: Any, max_tokens: int = 8000) -> dict[str, Any]:
    return {"model": "claude-sonnet-4-5", "max_tokens": max_tokens, "thinking": thinking, "messages": [USER]}  # fmt: skip


def chat(effort: Any) -> dict[str, Any]:
    return {
        "model": "o3",
        "max_completion_tokens": 8000,
        "messages": [USER],
        "reasoning_effort": effort,
    }


def responses(reasoning: Any) -> dict[str, Any]:
    return {"model": "o3", "input": "Think about it.", "reasoning": reasoning}


def gemini(config: Any) -> dict[str, Any]:
    return {
        "contents": [{"role": "user", "parts": [{"text": "Think about it."}]}],
        "generationConfig": {"thinkingConfig": config},
    }


CLAUDE_ON_BEDROCK = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
NOVA = "amazon.nova-2-lite-v1:0"


def bedrock(fields: Any, model: str = CLAUDE_ON_BEDROCK) -> dict[str, Any]:
    return {
        "modelId": model,
        "messages": [{"role": "user", "content": [{"text": "Think about it."}]}],
        "inferenceConfig": {"maxTokens": 8000},
        "additionalModelRequestFields": fields,
    }


def wire(body: dict[str, Any], fmt: str) -> Any:
    """The reasoning setting as ``fmt`` writes it."""
    match fmt:
        case "anthropic":
            return body.get("thinking")
        case "openai-chat":
            return body.get("reasoning_effort")
        case "openai-responses":
            return body.get("reasoning")
        case "bedrock-converse":
            return body.get("additionalModelRequestFields")
        case _:
            return body.get("generationConfig", {}).get("thinkingConfig")


def rules(report: Any) -> list[str]:
    return [e.rule for e in report if "reasoning" in e.rule]


# -- pair mappings ---------------------------------------------------------------------

PAIRS = [
    # source body, source, target, expected wire, approximations reported
    (chat("high"), "openai-chat", "anthropic", {"type": "enabled", "budget_tokens": 4096}, 1),
    (chat("low"), "openai-chat", "openai-responses", {"effort": "low"}, 0),
    (chat("medium"), "openai-chat", "gemini", {"thinkingBudget": 2048}, 1),
    (chat("none"), "openai-chat", "anthropic", {"type": "disabled"}, 0),
    (chat("minimal"), "openai-chat", "anthropic", {"type": "enabled", "budget_tokens": 1024}, 2),
    (
        anthropic({"type": "enabled", "budget_tokens": 2048}),
        "anthropic",
        "openai-chat",
        "medium",
        1,
    ),
    (
        anthropic({"type": "enabled", "budget_tokens": 10000}),
        "anthropic",
        "gemini",
        {"thinkingBudget": 10000},
        0,
    ),
    (
        anthropic({"type": "enabled", "budget_tokens": 3000}),
        "anthropic",
        "openai-responses",
        {"effort": "high"},
        1,
    ),
    (anthropic({"type": "disabled"}), "anthropic", "gemini", {"thinkingBudget": 0}, 0),
    (
        responses({"effort": "high", "summary": "auto"}),
        "openai-responses",
        "gemini",
        {"thinkingBudget": 4096, "includeThoughts": True},
        1,
    ),
    (
        responses({"effort": "low", "summary": "detailed"}),
        "openai-responses",
        "openai-chat",
        "low",
        1,
    ),
    (
        gemini({"thinkingBudget": 512}),
        "gemini",
        "anthropic",
        {"type": "enabled", "budget_tokens": 1024},
        1,
    ),
    (gemini({"thinkingBudget": -1}), "gemini", "openai-chat", "medium", 1),
    (gemini({"thinkingBudget": 0}), "gemini", "openai-responses", {"effort": "none"}, 0),
    (
        gemini({"thinkingLevel": "low"}),
        "gemini",
        "anthropic",
        {"type": "enabled", "budget_tokens": 1024},
        1,
    ),
]


BEDROCK = [
    # source body, source, target model, expected additionalModelRequestFields, approximations
    (
        chat("high"),
        "openai-chat",
        CLAUDE_ON_BEDROCK,
        {"thinking": {"type": "enabled", "budget_tokens": 4096}},
        1,
    ),
    (
        chat("medium"),
        "openai-chat",
        NOVA,
        {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "medium"}},
        0,
    ),
    (
        chat("minimal"),
        "openai-chat",
        NOVA,
        {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "low"}},
        1,
    ),
    (
        anthropic({"type": "enabled", "budget_tokens": 5000}),
        "anthropic",
        NOVA,
        {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "high"}},
        1,
    ),
    (chat("none"), "openai-chat", NOVA, {"reasoningConfig": {"type": "disabled"}}, 0),
]


@pytest.mark.parametrize(("body", "source", "model", "expected", "approximations"), BEDROCK)
def test_reasoning_maps_to_bedrock_by_model_family(
    body: dict[str, Any], source: str, model: str, expected: Any, approximations: int
) -> None:
    out, report = convert(body, source=source, target="bedrock-converse", options=EncodeOptions(model=model))  # fmt: skip
    assert out["additionalModelRequestFields"] == expected
    assert rules(report) == ["bedrock-converse/reasoning-approximated"] * approximations
    back, _ = convert(out, source="bedrock-converse", target="openai-responses", options=EncodeOptions(model="o3"))  # fmt: skip
    assert "effort" in back["reasoning"]


@pytest.mark.parametrize(("body", "source", "target", "expected", "approximations"), PAIRS)
def test_reasoning_maps_between_formats_and_reports_each_approximation(
    body: dict[str, Any], source: str, target: str, expected: Any, approximations: int
) -> None:
    options = EncodeOptions(model={"anthropic": "claude-sonnet-4-5", "gemini": "gemini-2.5-pro"}.get(target, "o3"))  # fmt: skip
    out, report = convert(body, source=source, target=target, options=options)
    assert wire(out, target) == expected
    found = rules(report)
    assert found == [f"{target}/reasoning-approximated"] * approximations
    field = {"anthropic": "/thinking", "openai-chat": "/reasoning_effort", "openai-responses": "/reasoning"}  # fmt: skip
    at = field.get(source, "/generationConfig/thinkingConfig")
    assert all(e.pointer.startswith(at) for e in report if "reasoning" in e.rule)
    assert validate(out, target) == []


def test_gemini_3_takes_a_thinking_level() -> None:
    out, report = convert(chat("high"), source="openai-chat", target="gemini", options=EncodeOptions(model="gemini-3-pro-preview"))  # fmt: skip
    assert wire(out, "gemini") == {"thinkingLevel": "high"}
    assert rules(report) == []


def test_anthropic_budget_stays_below_max_tokens() -> None:
    body = chat("high") | {"max_completion_tokens": 2000}
    out, report = convert(body, source="openai-chat", target="anthropic", options=EncodeOptions(model="claude-sonnet-4-5"))  # fmt: skip
    assert out["thinking"] == {"type": "enabled", "budget_tokens": 1999}
    assert rules(report) == ["anthropic/reasoning-approximated"] * 2
    tiny = chat("high") | {"max_completion_tokens": 1000}
    out, report = convert(tiny, source="openai-chat", target="anthropic", options=EncodeOptions(model="claude-sonnet-4-5"))  # fmt: skip
    assert "thinking" not in out
    assert any(e.action == "dropped" and e.rule == "anthropic/reasoning-approximated" for e in report)  # fmt: skip


@pytest.mark.parametrize(
    "target", ["mistral", "cohere", "ollama", "bedrock-converse", "mcp"]
)  # model "m"
def test_a_target_without_a_reasoning_setting_reports_it_dropped(target: str) -> None:
    out, report = convert(chat("high"), source="openai-chat", target=target, options=EncodeOptions(model="m"))  # fmt: skip
    assert "reasoning_effort" not in out
    assert [(e.pointer, e.action, e.rule) for e in report if "reasoning" in e.rule] == [
        ("/reasoning_effort", "dropped", f"{target}/reasoning-setting")
    ]


# -- same-format round trips -----------------------------------------------------------

SAME = [
    ("anthropic", anthropic({"type": "enabled", "budget_tokens": 10000}, max_tokens=16000)),
    ("anthropic", anthropic({"type": "enabled", "budget_tokens": 500})),  # below the floor
    ("anthropic", anthropic({"type": "enabled", "budget_tokens": 9000})),  # above max_tokens
    ("anthropic", anthropic({"type": "disabled"})),
    ("anthropic", anthropic({"type": "adaptive"})),  # unknown: kept whole
    ("openai-chat", chat("minimal")),
    ("openai-chat", chat("xhigh")),  # unknown: kept whole
    ("openai-responses", responses({"summary": "auto"})),
    ("openai-responses", responses({"effort": None})),
    ("openai-responses", responses({"effort": "medium", "generate_summary": "auto"})),
    (
        "bedrock-converse",
        bedrock({"thinking": {"type": "enabled", "budget_tokens": 2048}, "top_k": 5}),
    ),
    ("bedrock-converse", bedrock({"thinking": {"type": "enabled", "budget_tokens": 9000}})),
    (
        "bedrock-converse",
        bedrock({"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "low"}}, NOVA),
    ),
    ("bedrock-converse", bedrock({"reasoningConfig": {"type": "enabled"}}, NOVA)),
    (
        "bedrock-converse",
        bedrock({"thinking": {"type": "enabled"}}, "meta.llama3-70b"),
    ),  # kept whole
    ("gemini", gemini({"thinkingBudget": -1, "includeThoughts": False})),
    ("gemini", gemini({"thinkingLevel": "high", "includeThoughts": True})),
    ("gemini", gemini({"thinkingBudget": 0})),
    ("gemini", gemini({"thinkingBudget": 300, "includeThoughts": True})),
]


@pytest.mark.parametrize(("fmt", "body"), SAME)
def test_same_format_round_trips_are_exact(fmt: str, body: dict[str, Any]) -> None:
    out, report = convert(body, source=fmt, target=fmt)
    assert out == body
    assert rules(report) == []


# -- invariants ------------------------------------------------------------------------

reasonings = st.builds(
    Reasoning,
    effort=st.none() | st.sampled_from(["none", "minimal", "low", "medium", "high"]),
    budget_tokens=st.none() | st.integers(0, 100_000),
    summary=st.none() | st.sampled_from(["auto", "concise", "detailed"]),
)


@settings(max_examples=60, deadline=None)
@given(reasonings, st.sampled_from(["anthropic", "openai-chat", "openai-responses", "gemini"]))
def test_encoding_is_stable_and_anthropic_budgets_are_valid(r: Reasoning, fmt: str) -> None:
    doc = Document.model_validate({"messages": [{"role": "user", "parts": [{"type": "text", "text": "hi"}]}], "settings": {"max_tokens": 8000, "reasoning": r.model_dump()}})  # fmt: skip
    body, report = encode(doc, fmt, options=EncodeOptions(model="m"))
    again, again_report = convert(body, source=fmt, target=fmt)
    assert again == body  # what a format writes, it reads back and writes the same
    assert rules(again_report) == []
    thinking = body.get("thinking")
    if fmt == "anthropic" and thinking is not None and thinking["type"] == "enabled":
        assert 1024 <= thinking["budget_tokens"] < body["max_tokens"]
    crossed = [f"{fmt}/reasoning-approximated"] if r.effort not in (None, "none") else []
    if fmt in ("openai-chat", "openai-responses") and r.budget_tokens:
        assert rules(report)  # a budget sent as an effort is always reported
    if fmt in ("anthropic", "gemini") and r.budget_tokens is None and crossed:
        assert rules(report)  # an effort sent as a budget is always reported


def test_budget_table_is_monotonic() -> None:
    efforts = [budget_effort(b) for b in range(0, 6000, 7)]
    order = list(BUDGETS)
    assert [order.index(e) for e in efforts] == sorted(order.index(e) for e in efforts)
    assert all(budget_effort(BUDGETS[e]) == e for e in BUDGETS)


def test_the_reasoning_setting_decodes_to_aif() -> None:
    doc, _ = decode(anthropic({"type": "enabled", "budget_tokens": 4096}), "anthropic")
    assert doc.settings.reasoning == Reasoning(budget_tokens=4096)
    doc, _ = decode(chat("low"), "openai-chat")
    assert doc.settings.reasoning == Reasoning(effort="low")


# -- the source model ------------------------------------------------------------------


def test_a_foreign_model_is_reported_unless_the_caller_names_one() -> None:
    body = {"model": "gpt-4o", "messages": [USER]}
    out, report = convert(body, source="openai-chat", target="anthropic")
    assert out["model"] == "gpt-4o"
    assert [(e.pointer, e.action, e.severity) for e in report if e.rule == "anthropic/model-not-carried"] == [("/model", "transformed", "warning")]  # fmt: skip
    out, report = convert(body, source="openai-chat", target="anthropic", options=EncodeOptions(model="claude-sonnet-4-5"))  # fmt: skip
    assert out["model"] == "claude-sonnet-4-5"
    assert not [e for e in report if "model" in e.rule]


@pytest.mark.parametrize(
    ("body", "source", "target"),
    [
        (
            {"model": "gpt-4o", "messages": [USER]},
            "openai-chat",
            "openai-responses",
        ),  # same provider
        (
            {"model": "claude-sonnet-4-5", "messages": [USER]},
            "openai-chat",
            "openai-chat",
        ),  # same format
        (
            {"model": "my-finetune", "messages": [USER]},
            "openai-chat",
            "anthropic",
        ),  # unknown family
        ({"model": "gpt-oss:20b", "messages": [USER]}, "openai-chat", "ollama"),  # serves any model
        ({"model": "mistral-large-latest", "messages": [USER]}, "openai-chat", "mistral"),
    ],
)
def test_a_model_the_target_may_serve_is_kept_quietly(
    body: dict[str, Any], source: str, target: str
) -> None:
    out, report = convert(body, source=source, target=target, options=EncodeOptions(model="x"))
    assert out["model"] == body["model"]
    assert not [e for e in report if "model" in e.rule]
