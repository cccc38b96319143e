"""Chat framing reproduces the counts OpenAI's API reported for the cookbook examples."""

from __future__ import annotations

import pytest

from aifkit.aif import (
    Document,
    Message,
    ProviderPart,
    ReasoningPart,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
)
from aifkit.tokens import count_tokens, get_tokenizer
from aifkit.tokens._framing import Framing, count_tools

from .helpers import COOKBOOK_CHAT, COOKBOOK_TOOLS, WEATHER_TOOL, text


@pytest.mark.parametrize(
    ("model", "billed"),
    # "124 prompt tokens counted by the OpenAI API" (gpt-4o, gpt-4o-mini) and 129
    # (gpt-4, gpt-3.5-turbo): cookbook section 6.
    [("gpt-4o", 124), ("gpt-4o-mini", 124), ("gpt-4", 129), ("gpt-3.5-turbo", 129)],
)
def test_text_conversation_equals_what_the_api_billed(model: str, billed: int) -> None:
    n = count_tokens(COOKBOOK_CHAT, model=model)
    assert (n.total, n.exact, n.error_bound) == (billed, True, 0)
    assert n.total == n.instructions + sum(n.messages) + n.tools + n.overhead


def test_the_framing_is_three_per_message_one_per_name_three_for_the_reply() -> None:
    tok = get_tokenizer("o200k_base")
    n = count_tokens(COOKBOOK_CHAT, model="gpt-4o")
    expected = 3  # the reply is primed with <|start|>assistant<|message|>
    for item in (*COOKBOOK_CHAT.instructions, *COOKBOOK_CHAT.messages):
        expected += 3 + tok.count(item.role) + tok.count(item.parts[0].text)  # type: ignore[union-attr]
        if item.name:
            expected += 1 + tok.count(item.name)
    assert n.total == expected


def test_system_messages_inside_the_conversation_count_the_same() -> None:
    inline = Document(
        messages=(
            *(
                Message(role="system", name=i.name, parts=i.parts)
                for i in COOKBOOK_CHAT.instructions
            ),
            *COOKBOOK_CHAT.messages,
        )
    )
    assert count_tokens(inline, model="gpt-4o").total == 124


@pytest.mark.parametrize(
    ("model", "billed"),
    # "101 prompt tokens counted by the OpenAI API" (gpt-4o, gpt-4o-mini) and 105
    # (gpt-4, gpt-3.5-turbo): cookbook section 7, one function tool.
    [("gpt-4o", 101), ("gpt-4o-mini", 101), ("gpt-4", 105), ("gpt-3.5-turbo", 105)],
)
def test_tool_definitions_follow_the_cookbook_approximation(model: str, billed: int) -> None:
    n = count_tokens(COOKBOOK_TOOLS, model=model)
    assert n.total == billed
    assert not n.exact  # an approximation, even where it matched
    assert n.error_bound > 0


def test_anthropic_adds_its_tool_use_system_prompt() -> None:
    # 346 tokens for tool_choice auto/none, 313 for any/tool (Claude 4 models):
    # https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/overview#pricing
    tok = get_tokenizer("o200k_base")
    framing = Framing("anthropic", tools="json", tool_prompt=(346, 313))
    auto = count_tools((WEATHER_TOOL,), None, tok, framing)
    forced = count_tools((WEATHER_TOOL,), ToolChoice(mode="tool", name="x"), tok, framing)
    assert (auto.fixed, forced.fixed) == (346, 313)
    assert auto.text == forced.text > 0
    assert count_tools((), None, tok, framing).fixed == 0


def test_nested_schemas_and_provider_tools_are_counted() -> None:
    tok = get_tokenizer("o200k_base")
    framing = Framing("openai")
    flat = count_tools((WEATHER_TOOL,), None, tok, framing)
    nested = Tool(
        name="get_current_weather",
        description="Get the current weather in a given location",
        parameters={"type": "object", "properties": {
            "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
            "unit": {"type": "string", "description": "The unit of temperature to return",
                     "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "array", "items": {"type": "integer"}},
        }},
    )  # fmt: skip
    assert count_tools((nested,), None, tok, framing).text > flat.text
    search = Tool(kind="web_search_20250305", name="web_search")
    assert count_tools((search,), None, tok, framing).text > framing.func_end


def test_tool_calls_results_and_reasoning_are_estimates() -> None:
    call = ToolCallPart(id="call_1", name="get_current_weather", arguments={"location": "Paris"})
    result = ToolResultPart(call_id="call_1", content=text("22 C, sunny"))
    doc = Document(
        messages=(
            Message(role="user", parts=text("Weather in Paris?")),
            Message(role="assistant", parts=(ReasoningPart(text="Use the tool."), call)),
            Message(role="tool", parts=(result,)),
            Message(role="assistant", parts=(ProviderPart(format="anthropic", data={"a": 1}),)),
        )
    )
    n = count_tokens(doc, model="gpt-4o")
    assert not n.exact
    assert n.error_bound > 0
    assert all(m > 3 for m in n.messages)
    assert n.messages[1] > n.messages[0]  # the call's name and arguments are counted
