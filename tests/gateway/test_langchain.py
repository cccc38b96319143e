"""LangChain's ChatOpenAI and ChatAnthropic with base_url pointed at a running gateway.

Each upstream format stands behind the gateway in turn (the fakes of
`aifkit.testing`), so LangChain's own parsing of the OpenAI and Anthropic wire
formats meets every converter pair: plain, streamed, and a tool round trip whose
second turn carries LangChain's transcript (AIMessage tool calls, ToolMessage).
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_anthropic import ChatAnthropic
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from aifkit.aif import decode
from aifkit.testing import FakeReply
from tests.gateway.conftest import Served
from tests.gateway.test_sdk_matrix import FORMATS, TOOL, UPSTREAMS, WEATHER, assert_paired


def _openai(gateway: Served, model: str) -> ChatOpenAI:
    return ChatOpenAI(
        model=model, base_url=gateway.url + "/v1", api_key=SecretStr("sk-client"), max_retries=0
    )


def _anthropic(gateway: Served, model: str) -> ChatAnthropic:
    return ChatAnthropic(
        model_name=model,
        base_url=gateway.url,
        api_key=SecretStr("sk-ant-client"),
        max_retries=0,
        max_tokens_to_sample=64,
        timeout=None,
        stop=None,
    )


CLIENTS = {"ChatOpenAI": _openai, "ChatAnthropic": _anthropic}


def _chat(gateway: Served, client: str, model: str) -> Any:
    return CLIENTS[client](gateway, model)


@pytest.mark.parametrize("model", list(UPSTREAMS))
@pytest.mark.parametrize("client", list(CLIENTS))
def test_plain(gateway: Served, client: str, model: str) -> None:
    fake = gateway.fakes[UPSTREAMS[model]]
    fake.script(FakeReply("Hello from upstream"))
    reply = _chat(gateway, client, model).invoke("Say hello.")
    assert isinstance(reply, AIMessage)
    assert reply.text == "Hello from upstream"
    assert reply.usage_metadata is not None
    assert reply.usage_metadata["output_tokens"] > 0
    document, _ = decode(fake.requests[0], FORMATS[model])
    assert document.messages[-1].parts[0].type == "text"


@pytest.mark.parametrize("model", list(UPSTREAMS))
@pytest.mark.parametrize("client", list(CLIENTS))
def test_streamed(gateway: Served, client: str, model: str) -> None:
    fake = gateway.fakes[UPSTREAMS[model]]
    fake.script(FakeReply("Hello from upstream, in pieces"))
    chunks = list(_chat(gateway, client, model).stream("Say hello."))
    assert len(chunks) > 1
    whole = chunks[0]
    for c in chunks[1:]:
        whole += c
    assert whole.text == "Hello from upstream, in pieces"
    if FORMATS[model] == "gemini":
        assert fake.paths[0].endswith(":streamGenerateContent?alt=sse")
    else:
        assert fake.requests[0]["stream"] is True


@pytest.mark.parametrize("model", list(UPSTREAMS))
@pytest.mark.parametrize("client", list(CLIENTS))
def test_tool_round_trip(gateway: Served, client: str, model: str) -> None:
    # Turn 1: the upstream calls a tool; turn 2: LangChain's transcript (its AIMessage
    # with tool_calls and a ToolMessage) goes back, and the upstream sees the pairing.
    fake = gateway.fakes[UPSTREAMS[model]]
    fake.script(FakeReply(tool_call=TOOL))
    chat = _chat(gateway, client, model).bind_tools([{"type": "function", "function": WEATHER}])
    messages: list[BaseMessage] = [HumanMessage("What is the weather in Paris?")]
    first = chat.invoke(messages)
    assert isinstance(first, AIMessage)
    (call,) = first.tool_calls
    assert (call["name"], call["args"]) == TOOL
    assert call["id"]
    fake.script(FakeReply("It is sunny."))
    messages += [first, ToolMessage("Sunny, 21 C", tool_call_id=call["id"])]
    second = chat.invoke(messages)
    assert second.text == "It is sunny."
    assert_paired(fake, model, call["id"])
