"""The Cohere, Ollama and Bedrock fakes, read by their providers' own SDKs (cohere's
ClientV2, ollama's Client, boto3's bedrock-runtime), streamed and not."""

from __future__ import annotations

from typing import Any

import pytest

from aifkit.testing import FakeBedrockServer, FakeCohereServer, FakeOllamaServer, FakeReply

TOOL = ("get_weather", {"city": "Paris"})
MESSAGES: Any = [{"role": "user", "content": "What is the weather in Paris?"}]


def test_ollama_reads_the_fake_streamed_and_whole() -> None:
    import json
    import urllib.request

    import ollama

    with (
        FakeOllamaServer(["Hello there", FakeReply("", tool_call=TOOL), "Bye now"]) as server,
        ollama.Client(host=server.base_url) as client,
    ):
        parts = list(client.chat(model="llama3.2", messages=MESSAGES, stream=True))
        assert "".join(p.message.content or "" for p in parts) == "Hello there"
        assert parts[-1].done
        assert parts[-1].eval_count == 2
        reply = client.chat(model="llama3.2", messages=MESSAGES, stream=False)
        (call,) = reply.message.tool_calls or []
        assert (call.function.name, dict(call.function.arguments)) == TOOL
        # A request that does not say: streamed, as Ollama's default is (the SDK always says).
        body = json.dumps({"model": "llama3.2", "messages": MESSAGES}).encode()
        with urllib.request.urlopen(server.base_url + "/api/chat", body) as raw:
            assert raw.headers["Content-Type"] == "application/x-ndjson"
            lines = [json.loads(line) for line in raw.read().splitlines()]
        assert "".join(x["message"]["content"] for x in lines) == "Bye now"
    assert [r.get("stream") for r in server.requests] == [True, False, None]


def test_cohere_reads_the_fake_streamed_and_whole() -> None:
    import cohere
    import httpx

    with (
        FakeCohereServer(["Hello there", FakeReply("", tool_call=TOOL)]) as server,
        httpx.Client() as http,
    ):
        client = cohere.ClientV2(api_key="co-key", base_url=server.base_url, httpx_client=http)
        events = list(client.chat_stream(model="command-a-03-2025", messages=MESSAGES))
        text = "".join(
            e.delta.message.content.text or ""
            for e in events
            if e.type == "content-delta" and e.delta and e.delta.message and e.delta.message.content
        )
        assert text == "Hello there"
        assert events[-1].type == "message-end"
        reply = client.chat(model="command-a-03-2025", messages=MESSAGES)
        (call,) = reply.message.tool_calls or []
        assert call.function is not None
        assert call.function.name == "get_weather"
        assert reply.finish_reason == "TOOL_CALL"
    assert server.headers[0]["authorization"] == "Bearer co-key"


@pytest.fixture
def bedrock_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # SigV4 signs offline with any credentials; nothing reaches AWS (the endpoint is local).
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)


@pytest.mark.usefixtures("bedrock_env")
def test_boto3_reads_the_fake_streamed_and_whole() -> None:
    import boto3

    with FakeBedrockServer(
        ["Hello there", FakeReply("", tool_call=TOOL, reasoning="Hm.")]
    ) as server:
        client = boto3.client(
            "bedrock-runtime", region_name="us-east-1", endpoint_url=server.base_url
        )
        messages: Any = [{"role": "user", "content": [{"text": "What is the weather in Paris?"}]}]
        model = "anthropic.claude-sonnet-4-5-v1:0"
        stream = client.converse_stream(modelId=model, messages=messages)["stream"]
        events = list(stream)
        text = "".join(
            e["contentBlockDelta"]["delta"].get("text", "")
            for e in events
            if "contentBlockDelta" in e
        )
        assert text == "Hello there"
        assert [next(iter(e)) for e in events][-2:] == ["messageStop", "metadata"]
        assert events[-1]["metadata"]["usage"]["outputTokens"] == 2
        reply = client.converse(modelId=model, messages=messages)
        content = reply["output"]["message"]["content"]
        assert content[0]["reasoningContent"]["reasoningText"]["text"] == "Hm."
        assert content[1]["toolUse"]["name"] == "get_weather"
        assert content[1]["toolUse"]["input"] == TOOL[1]
        assert reply["stopReason"] == "tool_use"
    assert [p.rsplit("/", 1)[1] for p in server.paths] == ["converse-stream", "converse"]
