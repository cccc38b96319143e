"""pydantic-ai: the history processor, run by a real Agent on FunctionModel and TestModel.

Runs use ``asyncio.run(agent.run(...))``: ``run_sync`` leaves its event loop open,
which the suite's warning filter reports later in whatever test collects it.
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic_ai import Agent
from pydantic_ai.capabilities import ProcessHistory
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    SystemPromptPart,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.test import TestModel

import aifkit
from aifkit.budget import PackReport
from aifkit.integrations.pydantic_ai import _to_wire, history_processor, pack_history
from aifkit.tokens import count_tokens


def _history(n: int) -> list[ModelMessage]:
    messages: list[ModelMessage] = [
        ModelRequest(
            parts=[SystemPromptPart("You help with lockers."), UserPromptPart("My code is 4417.")]
        ),
        ModelResponse(parts=[TextPart("Noted.")]),
    ]
    for i in range(n):
        messages.append(ModelRequest(parts=[UserPromptPart(f"Weather chatter about day {i}.")]))
        messages.append(ModelResponse(parts=[TextPart(f"Day {i} was mild and dry.")]))
    return messages


def _tokens(messages: list[ModelMessage]) -> int:
    body = {"model": "gpt-4o", "messages": _to_wire(messages).messages}
    return count_tokens(body, format="openai-chat", model="gpt-4o").total


def test_a_function_model_receives_the_packed_history_with_tool_calls_kept_whole() -> None:
    seen: list[list[ModelMessage]] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append(list(messages))
        if len(seen) == 1:
            return ModelResponse(parts=[ToolCallPart("open_locker", {"code": "4417"}, "c1")])
        return ModelResponse(parts=[TextPart("Your locker is open.")])

    reports: list[PackReport] = []
    agent = Agent(
        FunctionModel(model),
        instructions="Answer from the conversation.",
        capabilities=[
            ProcessHistory(history_processor(model="gpt-4o", budget=160, on_pack=reports.append))
        ],
    )

    @agent.tool_plain
    def open_locker(code: str) -> str:  # pyright: ignore[reportUnusedFunction]
        """Open the locker with this code."""
        return f"locker {code} opened"

    history = _history(40)
    result = asyncio.run(agent.run("Please open my locker.", message_history=history))
    assert result.output == "Your locker is open."
    assert len(seen) == 2
    assert len(reports) == 2
    for received, report in zip(seen, reports, strict=True):
        assert report.tokens_after <= 160
        assert _tokens(received) <= 160
        assert len(received) < len(history)
    first, second = seen
    # The system prompt is never dropped (pydantic-ai merges the requests that dropping
    # made adjacent, so the first request may hold more than it did).
    head = first[0]
    assert isinstance(head, ModelRequest)
    assert head.parts[0] is history[0].parts[0]
    last = first[-1]
    assert isinstance(last, ModelRequest)
    assert isinstance(last.parts[-1], UserPromptPart)
    assert last.parts[-1].content == "Please open my locker."
    # The tool call and its return travel together into the second request.
    call, ret = second[-2], second[-1]
    assert isinstance(call, ModelResponse)
    assert isinstance(call.parts[0], ToolCallPart)
    assert isinstance(ret, ModelRequest)
    assert isinstance(ret.parts[0], ToolReturnPart)
    assert ret.parts[0].content == "locker 4417 opened"


def test_test_model_runs_with_the_processor_and_counts_the_instructions() -> None:
    reports: list[PackReport] = []
    agent = Agent(
        TestModel(custom_output_text="done"),
        instructions="Answer in one word. " * 30,
        capabilities=[
            ProcessHistory(history_processor(model="gpt-4o", budget=300, on_pack=reports.append))
        ],
    )
    result = asyncio.run(agent.run("Go.", message_history=_history(30)))
    assert result.output == "done"
    assert reports
    assert all(r.tokens_after <= 300 for r in reports)
    # The instructions are counted: they take their share of the budget.
    assert reports[0].tokens_before > _tokens(_history(30))


def test_a_request_keeps_the_parts_that_fit_and_silent_messages_stay() -> None:
    history: list[ModelMessage] = [
        ModelRequest(parts=[SystemPromptPart("Be brief."), UserPromptPart("chatter " * 200)]),
        ModelResponse(parts=[ThinkingPart("pondering")]),  # sends nothing: always kept
        ModelResponse(parts=[TextPart("ok")]),
        ModelRequest(parts=[UserPromptPart("The real question?")]),
    ]
    packed, report = pack_history(history, model="gpt-4o", budget=60, compress=None)
    assert report.tokens_after <= 60
    first = packed[0]
    assert isinstance(first, ModelRequest)
    assert first is not history[0]  # a copy without the dropped chatter
    assert [type(p) for p in first.parts] == [SystemPromptPart]
    assert packed[1] is history[1]
    assert packed[-1] is history[-1]


def test_compressed_text_comes_back_as_new_parts() -> None:
    history: list[ModelMessage] = [
        ModelRequest(parts=[UserPromptPart("The door code is 7741. " * 80)]),
        ModelResponse(parts=[TextPart("Got it.")]),
        ModelRequest(parts=[UserPromptPart("What is the door code?")]),
    ]
    packed, report = pack_history(history, model="gpt-4o", budget=200)
    assert report.tokens_after <= 200
    assert len(packed) == 3
    first = packed[0]
    assert isinstance(first, ModelRequest)
    assert first is not history[0]
    assert isinstance(first.parts[0], UserPromptPart)
    assert "7741" in str(first.parts[0].content)
    assert packed[1] is history[1]
    assert packed[2] is history[2]


_texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40)


@given(
    turns=st.lists(_texts, min_size=1, max_size=10),
    budget=st.integers(30, 300),
)
def test_the_packed_history_is_the_given_messages_in_order(turns: list[str], budget: int) -> None:
    history: list[ModelMessage] = []
    for text in turns:
        history.append(ModelRequest(parts=[UserPromptPart(text)]))
        history.append(ModelResponse(parts=[TextPart(text[::-1])]))
    history.append(ModelRequest(parts=[UserPromptPart("the current turn")]))
    try:
        packed, report = pack_history(history, model="gpt-4o", budget=budget, compress=None)
    except aifkit.BudgetError:
        return  # the current turn alone passes the budget
    assert report.tokens_after <= budget
    positions = [next(i for i, m in enumerate(history) if m is p) for p in packed]
    assert positions == sorted(set(positions))
    assert packed[-1] is history[-1]


def test_an_unknown_model_is_refused_when_the_processor_is_made() -> None:
    with pytest.raises(aifkit.UnknownNameError):
        history_processor(model="no-such-model")


def test_an_empty_history_stays_empty() -> None:
    packed, _ = pack_history([], model="gpt-4o")
    assert packed == []


def _forced(part: object, **values: object) -> object:
    # user code can set a part's fields after pydantic-ai's own checks ran
    for key, value in values.items():
        object.__setattr__(part, key, value)
    return part


@pytest.mark.parametrize(
    "bad",
    [
        ModelResponse(parts=[_forced(TextPart(""), content=None)]),  # pyright: ignore[reportArgumentType]
        ModelRequest(parts=[_forced(UserPromptPart(""), content=None)]),  # pyright: ignore[reportArgumentType]
        ModelRequest(parts=[_forced(UserPromptPart(""), content=7)]),  # pyright: ignore[reportArgumentType]
        "not a message",
    ],
)
def test_a_message_with_values_pydantic_ai_never_writes_is_an_invalid_input_error(
    bad: object,
) -> None:
    """Found by tests/fuzz: a crash (TypeError) before; now an error naming the message."""
    from aifkit.errors import InvalidInputError

    history = [ModelRequest(parts=[UserPromptPart("hi")]), bad]
    with pytest.raises(InvalidInputError, match=r"^/1: not a pydantic-ai message aifkit can read"):
        pack_history(history, model="gpt-4o", budget=1_000)  # pyright: ignore[reportArgumentType]
