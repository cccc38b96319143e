"""LangChain: message lists through pack, compress and convert, and the agent middleware.

Run against the real langchain-core and langchain (the ``test`` extra): messages go
through LangChain's own conversion, and the middleware runs inside a real
``create_agent`` graph whose chat model is langchain-core's fake.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from langchain.agents import create_agent
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    convert_to_openai_messages,
)
from langchain_core.tools import tool

import aifkit
from aifkit.errors import InvalidInputError, UsageError
from aifkit.integrations import langchain as lc
from aifkit.tokens import count_tokens


def _history(n: int) -> list[BaseMessage]:
    messages: list[BaseMessage] = [SystemMessage("Answer from the conversation.")]
    messages.append(HumanMessage("My locker code is 4417.", id="fact"))
    messages.append(AIMessage("Noted.", id="ack"))
    for i in range(n):
        messages.append(HumanMessage(f"Some chatter about the weather on day {i}.", id=f"h{i}"))
        messages.append(AIMessage(f"Indeed, day {i} was mild.", id=f"a{i}"))
    messages.append(HumanMessage("What is my locker code?", id="question"))
    return messages


def _tokens(messages: list[BaseMessage], model: str = "gpt-4o") -> int:
    body = {"model": model, "messages": convert_to_openai_messages(messages)}
    return count_tokens(body, format="openai-chat", model=model).total


def test_pack_takes_and_returns_langchain_messages_keeping_the_originals() -> None:
    history = _history(40)
    packed, report = aifkit.pack(history, format="langchain", model="gpt-4o", budget=150)
    assert all(isinstance(m, BaseMessage) for m in packed)
    assert len(packed) < len(history)
    assert report.tokens_after <= 150
    assert _tokens(packed) <= 150  # counted as aif count counts the wire body
    # Kept messages are the very objects given, in order: ids and metadata survive.
    originals = {id(m) for m in history}
    kept = [m for m in packed if id(m) in originals]
    assert [history.index(m) for m in kept] == sorted(history.index(m) for m in kept)
    assert packed[0] is history[0]
    assert packed[-1] is history[-1]


def test_pack_gives_back_what_its_compression_elided() -> None:
    import re

    from aifkit.budget import expand
    from aifkit.budget.compressors._layout import make_ref

    log = "\n".join(f"INFO [worker] job {i} finished in {100 + i * 7}ms" for i in range(400))
    history = [HumanMessage(log), AIMessage("Noted."), HumanMessage("Which job was slowest?")]
    done = aifkit.pack(history, format="langchain", model="gpt-4o", budget=600)
    refs = re.findall(r"ref ([0-9a-f]{10}): expand to see", str(done.body[0].content))
    assert refs
    assert all(make_ref(expand(r, done.elided)) == r for r in refs)


def test_pack_counts_the_tools_it_is_given() -> None:
    @tool
    def lookup(code: str) -> str:
        """Look a locker code up in the register of every locker in the building."""
        return code

    history = _history(10)
    bare = lc.pack(history, model="gpt-4o", compress=None).report
    with_tools = lc.pack(history, model="gpt-4o", compress=None, tools=[lookup]).report
    assert with_tools.tokens_before > bare.tokens_before


def test_langchain_messages_under_a_json_format_name_say_which_format_to_pass() -> None:
    with pytest.raises(InvalidInputError) as caught:
        aifkit.pack(_history(1), format="openai-chat", model="gpt-4o", budget=100)
    assert 'format="langchain"' in str(caught.value)
    with pytest.raises(InvalidInputError) as caught:
        aifkit.convert(_history(1), source="openai-chat", target="anthropic")
    assert "langchain" in str(caught.value)


def test_a_list_holding_something_else_names_where() -> None:
    with pytest.raises(InvalidInputError) as caught:
        lc.pack([HumanMessage("hi"), {"role": "user"}], model="gpt-4o")  # type: ignore[list-item]
    assert caught.value.pointer == "/1"


def test_convert_from_langchain_to_anthropic_and_back() -> None:
    messages: list[BaseMessage] = [
        SystemMessage("Be brief."),
        HumanMessage("What is 2+2?"),
        AIMessage("", tool_calls=[{"name": "add", "args": {"a": 2, "b": 2}, "id": "call_1"}]),
        ToolMessage("4", tool_call_id="call_1"),
        HumanMessage("Thanks."),
    ]
    body, report = aifkit.convert(
        messages,
        source="langchain",
        target="anthropic",
        options=aifkit.EncodeOptions(model="claude-sonnet-4-5"),
    )
    assert body["system"] == "Be brief."
    assert body["messages"][1]["content"][0]["type"] == "tool_use"
    assert report.source == "openai-chat"
    back, back_report = aifkit.convert(body, source="anthropic", target="langchain")
    assert [type(m) for m in back] == [type(m) for m in messages]
    assert isinstance(back[2], AIMessage)
    assert back[2].tool_calls[0]["args"] == {"a": 2, "b": 2}
    assert back[3].text == "4"
    # max_tokens has no place in a message list (pointed at in the openai-chat body
    # the messages are read from, where it is max_completion_tokens).
    assert [e.pointer for e in back_report.dropped] == ["/max_completion_tokens"]
    with pytest.raises(aifkit.LossyConversionError):
        aifkit.convert(body, source="anthropic", target="langchain", strict=True)


def test_convert_needs_langchain_on_one_side() -> None:
    with pytest.raises(UsageError):
        lc.convert({}, source="openai-chat", target="anthropic")


_texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40)


@given(
    turns=st.lists(st.tuples(st.booleans(), _texts), min_size=1, max_size=12),
    budget=st.integers(20, 300),
)
def test_packing_keeps_originals_in_order_within_the_budget(
    turns: list[tuple[bool, str]], budget: int
) -> None:
    history: list[BaseMessage] = [
        HumanMessage(text) if human else AIMessage(text) for human, text in turns
    ]
    history.append(HumanMessage("the current turn"))
    try:
        packed, report = lc.pack(history, model="gpt-4o", budget=budget, compress=None)
    except aifkit.BudgetError:  # the current turn alone passes the budget
        assert _tokens(history[-1:]) > budget - 10
        return
    assert report.tokens_after <= budget
    positions = [next(i for i, m in enumerate(history) if m is p) for p in packed]
    assert positions == sorted(set(positions))  # the same objects, in the same order
    assert packed[-1] is history[-1]


@given(turns=st.lists(st.tuples(st.booleans(), _texts), min_size=1, max_size=8))
def test_langchain_to_openai_chat_and_back_is_the_same_conversation(
    turns: list[tuple[bool, str]],
) -> None:
    history: list[BaseMessage] = [
        HumanMessage(text) if human else AIMessage(text) for human, text in turns
    ]
    body, _ = lc.from_messages(history, target="openai-chat")
    back, _ = lc.to_messages(body, source="openai-chat")
    assert [(type(m), m.text) for m in back] == [(type(m), m.text) for m in history]


def test_compress_rewrites_only_what_it_compresses() -> None:
    history: list[BaseMessage] = [
        HumanMessage("The door code is 7741. " * 60, id="long"),
        AIMessage("Got it.", id="ok"),
        HumanMessage("What is the door code?", id="q"),
    ]
    out, result = lc.compress(history, model="gpt-4o", ratio=0.3, method="extract")
    assert out[1] is history[1]
    assert out[2] is history[2]
    assert out[0] is not history[0]
    assert "7741" in out[0].text
    assert result.tokens_after <= 0.3 * result.tokens_before
    assert _tokens(out) < _tokens(history)


class _ToolModel(FakeMessagesListChatModel):
    """langchain-core's fake chat model, able to take tools as agents bind them."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self


class _Seen(BaseCallbackHandler):
    """Records the messages each chat model call received (LangChain's own callback)."""

    def __init__(self) -> None:
        self.calls: list[list[BaseMessage]] = []

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], **kwargs: Any
    ) -> None:
        self.calls.extend(messages)


@tool
def locker(code: str) -> str:
    """Open the locker with this code."""
    return f"locker {code} opened"


def _agent_run(budget: int, *, use_async: bool) -> tuple[list[list[BaseMessage]], Any, list[Any]]:
    model = _ToolModel(
        responses=[
            AIMessage("", tool_calls=[{"name": "locker", "args": {"code": "4417"}, "id": "c1"}]),
            AIMessage("Your locker is open."),
        ]
    )
    reports: list[Any] = []
    agent = create_agent(
        model,
        tools=[locker],
        system_prompt="You help people with their lockers.",
        middleware=[lc.AifkitMiddleware(model="gpt-4o", budget=budget, on_pack=reports.append)],
    )
    seen = _Seen()
    history = _history(40)[1:]  # the agent's system prompt stands for the system message
    config: Any = {"callbacks": [seen]}
    given: Any = {"messages": history}
    if use_async:
        state = asyncio.run(agent.ainvoke(given, config=config))
    else:
        state = agent.invoke(given, config=config)
    return seen.calls, state, reports


@pytest.mark.parametrize("use_async", [False, True])
def test_the_agent_middleware_packs_every_model_call(use_async: bool) -> None:
    calls, state, reports = _agent_run(200, use_async=use_async)
    history = _history(40)[1:]
    assert len(calls) == 2
    assert len(reports) == 2
    for received, report in zip(calls, reports, strict=True):
        assert isinstance(received[0], SystemMessage)
        assert received[0].text == "You help people with their lockers."
        assert report.tokens_after <= 200
        assert len(received) - 1 < len(state["messages"])  # the model saw less than the state
    # What the model received is exactly what packing the request gives.
    first = calls[0]
    expected, _ = lc.pack(
        [SystemMessage("You help people with their lockers."), *history],
        model="gpt-4o",
        budget=200,
        tools=[locker],
    )
    assert [(type(m), m.text) for m in first] == [(type(m), m.text) for m in expected]
    assert first[-1].text == "What is my locker code?"
    # The second call carries the tool call and its result together.
    second = calls[1]
    assert isinstance(second[-1], ToolMessage)
    assert second[-1].text == "locker 4417 opened"
    assert isinstance(second[-2], AIMessage)
    assert second[-2].tool_calls[0]["id"] == "c1"
    # The state keeps the whole conversation: the middleware only shapes the request.
    assert len(state["messages"]) == len(history) + 3
    assert state["messages"][-1].text == "Your locker is open."


def test_the_middleware_needs_a_model_name_it_cannot_guess() -> None:
    agent = create_agent(
        FakeMessagesListChatModel(responses=[AIMessage("ok")]),
        middleware=[lc.AifkitMiddleware(budget=100)],
    )
    with pytest.raises(UsageError) as caught:
        agent.invoke({"messages": [HumanMessage("hi")]})
    assert "AifkitMiddleware(model=" in str(caught.value)


def test_provider_blocks_and_images_pass_through_as_the_objects_given() -> None:
    history: list[BaseMessage] = [
        HumanMessage("hi"),
        AIMessage(
            [
                {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                {"type": "text", "text": "hello"},
            ]
        ),
        HumanMessage(
            [
                {
                    "type": "image",
                    "source_type": "base64",
                    "data": "iVBORw0KGgo=",
                    "mime_type": "image/png",
                }
            ]
        ),
        HumanMessage("What was in the picture?"),
    ]
    packed, report = lc.pack(history, model="gpt-4o", budget=2000)
    assert report.dropped == ()
    assert all(p is h for p, h in zip(packed, history, strict=True))


# Hostile message objects (found by tests/fuzz): built past LangChain's own checks,
# as user code can (model_construct), they are refused with a pointer, never a crash.


@pytest.mark.parametrize(
    "bad",
    [
        HumanMessage.model_construct(
            content=[{"type": "text", "text": "Read"}, None], type="human"
        ),
        HumanMessage.model_construct(content=[{"type": "text"}], type="human"),
        HumanMessage.model_construct(content=9223372036854775808, type="human"),
        HumanMessage.model_construct(content=[{"type": ["text"]}], type="human"),
        AIMessage.model_construct(content=[True], tool_calls=[], type="ai"),
    ],
)
def test_a_message_langchain_cannot_read_is_an_invalid_input_error(bad: BaseMessage) -> None:
    history = [HumanMessage("hi"), bad]
    with pytest.raises(InvalidInputError, match=r"^/1: not a LangChain message aifkit can read"):
        lc.pack(history, model="gpt-4o", budget=1_000)
    with pytest.raises(InvalidInputError, match=r"^/1: "):
        lc.from_messages(history, target="anthropic", model="claude-sonnet-4-5")


def test_cyclic_content_is_refused_not_a_recursion_error() -> None:
    content: list[Any] = [{"type": "text", "text": "hi"}]
    content.append(content)
    bad = HumanMessage.model_construct(content=content, type="human")
    with pytest.raises(InvalidInputError, match=r"^/0: "):
        lc.pack([bad], model="gpt-4o", budget=1_000)


def test_tool_call_arguments_that_are_not_json_are_refused_by_to_messages() -> None:
    body = {"model": "gpt-4o", "messages": [
        {"role": "user", "content": "Look up order 42."},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"order": 4'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "shipped"}]}  # fmt: skip
    with pytest.raises(InvalidInputError, match=r"^/messages/1: not a LangChain message"):
        lc.to_messages(body, source="openai-chat")


def test_a_rewritten_message_langchain_refuses_is_an_invalid_input_error() -> None:
    """Found by tests/fuzz: args that are JSON but not an object (``"null"``) passed in,
    and the compressed message could not be built again (a pydantic ValidationError)."""
    call = {"name": "f", "args": "null", "id": "c", "type": "tool_call"}
    history = [
        HumanMessage("Start."),
        AIMessage.model_construct(content=" " * 100_000 + "x", tool_calls=[call], type="ai"),
        ToolMessage("[]", tool_call_id="c"),
        HumanMessage("What now?"),
    ]
    with pytest.raises(InvalidInputError, match=r"^/1: the packed message cannot be made a LangChain message again"):  # fmt: skip
        lc.pack(history, model="gpt-4o", budget=60)


def test_a_tool_langchain_cannot_read_is_an_invalid_input_error() -> None:
    cyclic: dict[str, Any] = {"description": "no name"}
    cyclic["self"] = cyclic
    with pytest.raises(InvalidInputError, match=r"^/tools/1: LangChain cannot read this tool"):
        lc.pack([HumanMessage("hi")], model="gpt-4o", budget=1_000, tools=[locker, cyclic])  # pyright: ignore[reportArgumentType]
