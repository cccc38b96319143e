"""The official SDKs against a running gateway: client format x upstream format x shape.

Each reply is parsed by the client's own SDK types; the fake upstream behind the
gateway speaks another format (or the same), so every pair of converters and
stream codecs is crossed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from aifkit.aif import Base64Source, ImagePart, decode
from aifkit.testing import FakeReply
from tests.gateway.conftest import TOOL, Served, ask_openai, record

UPSTREAMS = {"m-chat": "openai", "m-responses": "openai", "m-claude": "anthropic", "m-gemini": "gemini"}  # fmt: skip
WEATHER = {
    "name": "get_weather",
    "description": "Weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


_OPENED: list[Any] = []


@pytest.fixture(autouse=True)
def _closing() -> Iterator[None]:
    yield
    while _OPENED:  # an SDK client left open leaks its socket (a ResourceWarning)
        _OPENED.pop().close()


def _openai(gateway: Served) -> openai.OpenAI:
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key="sk-client", max_retries=0)
    _OPENED.append(client)
    return client


def _anthropic(gateway: Served) -> anthropic.Anthropic:
    client = anthropic.Anthropic(base_url=gateway.url, api_key="sk-ant-client", max_retries=0)
    _OPENED.append(client)
    return client


FORMATS = {"m-chat": "openai-chat", "m-responses": "openai-responses", "m-claude": "anthropic", "m-gemini": "gemini"}  # fmt: skip


def _upstream_saw(fake: Any, model: str, *, streamed: bool) -> None:
    # The upstream got one request, valid in its own format, asking to stream when the client did.
    (body,) = fake.requests
    document, _ = decode(body, FORMATS[model])
    assert document.messages[-1].role == "user"
    if FORMATS[model] == "gemini":
        assert fake.paths[0].endswith(":streamGenerateContent?alt=sse" if streamed else ":generateContent")  # fmt: skip
    else:
        assert body.get("stream", False) is streamed


def _script(gateway: Served, model: str, reply: FakeReply) -> Any:
    fake = gateway.fakes[UPSTREAMS[model]]
    fake.script(reply)
    return fake


@pytest.mark.parametrize("model", list(UPSTREAMS))
@pytest.mark.parametrize("shape", ["plain", "tools", "streamed", "streamed-tools"])
def test_openai_chat_client(gateway: Served, model: str, shape: str) -> None:
    tools = "tools" in shape
    fake = _script(gateway, model, FakeReply("Hello from upstream", tool_call=TOOL if tools else None))  # fmt: skip
    streamed = shape.startswith("streamed")
    ask_openai(_openai(gateway), model, function=WEATHER if tools else None, streamed=streamed)
    _upstream_saw(fake, model, streamed=streamed)


@pytest.mark.parametrize("model", list(UPSTREAMS))
@pytest.mark.parametrize("shape", ["plain", "tools", "streamed"])
def test_anthropic_client(gateway: Served, model: str, shape: str) -> None:
    tools = shape == "tools"
    fake = _script(gateway, model, FakeReply("Hello from upstream", tool_call=TOOL if tools else None))  # fmt: skip
    client = _anthropic(gateway)
    messages: Any = [{"role": "user", "content": "What is the weather in Paris?"}]
    kwargs: dict[str, Any] = {}
    if tools:
        kwargs["tools"] = [{"name": WEATHER["name"], "description": WEATHER["description"], "input_schema": WEATHER["parameters"]}]  # fmt: skip
    if shape == "streamed":
        with client.messages.stream(model=model, max_tokens=64, messages=messages) as stream:
            text = "".join(stream.text_stream)
            final = stream.get_final_message()
        assert text == "Hello from upstream"
        assert final.stop_reason == "end_turn"
    else:
        reply = client.messages.create(model=model, max_tokens=64, messages=messages, **kwargs)
        if tools:
            (block,) = reply.content
            assert block.type == "tool_use"
            assert (block.name, block.input) == TOOL
            assert reply.stop_reason == "tool_use"
        else:
            assert reply.content[0].type == "text"
            assert reply.content[0].text == "Hello from upstream"
    _upstream_saw(fake, model, streamed=shape == "streamed")


@pytest.mark.parametrize("model", list(UPSTREAMS))
@pytest.mark.parametrize("shape", ["plain", "tools", "streamed"])
def test_openai_responses_client(gateway: Served, model: str, shape: str) -> None:
    tools = shape == "tools"
    fake = _script(gateway, model, FakeReply("Hello from upstream", tool_call=TOOL if tools else None))  # fmt: skip
    client = _openai(gateway)
    if tools:
        tool: Any = {"type": "function", "strict": False, **WEATHER}
        reply = client.responses.create(model=model, input="Weather?", tools=[tool])
        (call,) = [o for o in reply.output if o.type == "function_call"]
        assert (call.name, json.loads(call.arguments)) == TOOL
    elif shape == "streamed":
        with client.responses.stream(model=model, input="Hi") as stream:
            text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
            final = stream.get_final_response()
        assert text == "Hello from upstream"
        assert final.output_text == "Hello from upstream"
    else:
        reply = client.responses.create(model=model, input="Hi")
        assert reply.output_text == "Hello from upstream"
    _upstream_saw(fake, model, streamed=shape == "streamed")


@pytest.mark.parametrize("model", ["m-claude", "m-gemini", "m-responses"])
def test_a_tool_round_trip_replays_with_consistent_ids(gateway: Served, model: str) -> None:
    # Turn 1: the upstream calls a tool; turn 2: the client sends the call and its result
    # back as the SDK transcript has them, and the upstream sees the same pairing.
    fake = _script(gateway, model, FakeReply(tool_call=TOOL))
    client = _openai(gateway)
    tools: Any = [{"type": "function", "function": WEATHER}]
    messages: Any = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.chat.completions.create(model=model, messages=messages, tools=tools)
    (call,) = first.choices[0].message.tool_calls or []
    fake.script(FakeReply("It is sunny."))
    messages += [
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "Sunny, 21 C"},
    ]
    second = client.chat.completions.create(model=model, messages=messages, tools=tools)
    assert second.choices[0].message.content == "It is sunny."
    assert_paired(fake, model, call.id)


def assert_paired(fake: Any, model: str, call_id: str) -> None:
    """The upstream's last request carries one get_weather call and its result, paired."""
    document, _ = decode(fake.requests[0], FORMATS[model])
    calls = [p for m in document.messages for p in m.parts if p.type == "tool_call"]
    results = [p for m in document.messages for p in m.parts if p.type == "tool_result"]
    assert [c.name for c in calls] == ["get_weather"]
    assert [r.call_id for r in results] == [calls[0].id]
    if FORMATS[model] != "gemini":  # Gemini pairs calls with results by name, not by id
        assert calls[0].id == call_id


def test_an_anthropic_client_round_trips_a_tool_through_openai(gateway: Served) -> None:
    fake = _script(gateway, "m-chat", FakeReply(tool_call=TOOL))
    client = _anthropic(gateway)
    tools: Any = [{"name": "get_weather", "input_schema": WEATHER["parameters"]}]
    messages: Any = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.messages.create(model="m-chat", max_tokens=64, messages=messages, tools=tools)
    (use,) = [b for b in first.content if b.type == "tool_use"]
    fake.script(FakeReply("It is sunny."))
    messages += [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "Sunny"}],
        },
    ]
    second = client.messages.create(model="m-chat", max_tokens=64, messages=messages, tools=tools)
    assert second.content[0].type == "text"
    sent = fake.requests[0]["messages"]
    assert sent[1]["tool_calls"][0]["id"] == use.id
    assert sent[2] == {"role": "tool", "tool_call_id": use.id, "content": "Sunny"}


PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


@pytest.mark.parametrize("model", ["m-claude", "m-gemini", "m-responses"])
def test_an_image_reaches_every_upstream_in_its_form(gateway: Served, model: str) -> None:
    fake = _script(gateway, model, FakeReply("A white pixel."))
    image: Any = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PIXEL}"}}
    text: Any = {"type": "text", "text": "What is this?"}
    reply = _openai(gateway).chat.completions.create(
        model=model, messages=[{"role": "user", "content": [text, image]}]
    )
    assert reply.choices[0].message.content == "A white pixel."
    document, _ = decode(fake.requests[0], FORMATS[model])
    (picture,) = [p for p in document.messages[-1].parts if isinstance(p, ImagePart)]
    assert isinstance(picture.source, Base64Source)
    assert (picture.source.data, picture.source.media_type) == (PIXEL, "image/png")


@pytest.mark.parametrize("streamed", [False, True])
def test_anthropic_thinking_reaches_an_anthropic_client(gateway: Served, streamed: bool) -> None:
    _script(gateway, "m-claude", FakeReply("42.", reasoning="Six times seven."))
    client = _anthropic(gateway)
    messages: Any = [{"role": "user", "content": "Six times seven?"}]
    if streamed:
        with client.messages.stream(model="m-claude", max_tokens=64, messages=messages) as stream:
            reply = stream.get_final_message()
    else:
        reply = client.messages.create(model="m-claude", max_tokens=64, messages=messages)
    thinking, text = reply.content
    assert thinking.type == "thinking"
    assert (thinking.thinking, thinking.signature) == ("Six times seven.", "sig-fake-1")
    assert text.type == "text"
    assert text.text == "42."


@pytest.mark.parametrize("model", ["m-responses", "m-gemini"])
def test_another_providers_reasoning_is_dropped_and_recorded(gateway: Served, model: str) -> None:
    # A reasoning signature is valid only with the provider that made it: an Anthropic
    # client gets the answer, and /requests/{id} says what was dropped on the way.
    _script(gateway, model, FakeReply("42.", reasoning="Six times seven."))
    client = _anthropic(gateway)
    raw = client.messages.with_raw_response.create(
        model=model, max_tokens=64, messages=[{"role": "user", "content": "Six times seven?"}]
    )
    reply = raw.parse()
    assert [b.type for b in reply.content] == ["text"]
    losses = record(gateway.app, raw.headers["x-aif-request-id"]).reports["response_losses"]
    assert any(e["action"] == "dropped" and "/0" in e["pointer"] for e in losses)
