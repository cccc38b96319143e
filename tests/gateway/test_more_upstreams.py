"""The gateway in front of Bedrock, Ollama and Cohere upstreams: the official OpenAI and
Anthropic SDKs, streaming and not, through each; the upstream sees its own URL, auth
and body (and streams in its own framing: the binary AWS event stream, NDJSON lines, SSE);
its errors and broken streams reach the client in the client's format."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import anthropic
import openai
import pytest

from aifkit.aif import decode
from aifkit.gateway import UPSTREAM_FORMATS, GatewayConfig, Route, create_app
from aifkit.testing import FakeBedrockServer, FakeCohereServer, FakeOllamaServer, FakeReply
from tests.gateway.conftest import TOOL, Served, ask_openai, records, serve

MODELS = {
    "anthropic.claude-sonnet-4-5-v1:0": "bedrock-converse",
    "llama3.2": "ollama",
    "command-a-03-2025": "cohere",
}
WEATHER = {
    "name": "get_weather",
    "description": "Weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}


@pytest.fixture(scope="module")
def upstreams(monkeypatch_module: pytest.MonkeyPatch) -> Iterator[Served]:
    fakes = {
        "bedrock-converse": FakeBedrockServer().start(),
        "ollama": FakeOllamaServer().start(),
        "cohere": FakeCohereServer().start(),
    }
    monkeypatch_module.setenv("AIFKIT_TEST_UPSTREAM_KEY", "up-key")
    routes = tuple(
        Route(
            models=(model,),
            upstream=fakes[f].base_url,
            format=f,
            api_key_env="AIFKIT_TEST_UPSTREAM_KEY",
        )
        for model, f in MODELS.items()
    )
    app = create_app(GatewayConfig(routes=routes))
    url, server, thread = serve(app)
    yield Served(app, url, fakes)
    server.should_exit = True
    thread.join(timeout=10)
    for fake in fakes.values():
        fake.close()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def _fake(gateway: Served, model: str, *replies: FakeReply) -> Any:
    fake = gateway.fakes[MODELS[model]]
    fake.script(*replies)
    return fake


def _upstream_saw(fake: Any, model: str, *, streamed: bool) -> None:
    """One request, valid in the upstream's format, on its URL, with its auth."""
    fmt = MODELS[model]
    (body,) = fake.requests
    document, _ = decode(body, fmt)
    assert document.messages[-1].role == "user"
    (path,), (headers,) = fake.paths, fake.headers
    if fmt == "bedrock-converse":
        verb = "converse-stream" if streamed else "converse"
        assert unquote(path) == f"/model/{model}/{verb}"
        assert "%3A" in path  # the model id's ":" escaped, as boto3 sends it
        assert not {"model", "modelId", "stream"} & set(body)
    elif fmt == "ollama":
        assert path == "/api/chat"
        assert body["stream"] is streamed  # Ollama streams unless told not to
    else:
        assert path == "/v2/chat"
        assert body.get("stream", False) is streamed
    if fmt == "ollama":
        assert "authorization" not in headers
    else:
        assert headers["authorization"] == "Bearer up-key"


def test_the_new_formats_are_upstream_formats() -> None:
    assert {"bedrock-converse", "ollama", "cohere"} <= set(UPSTREAM_FORMATS)


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("shape", ["plain", "tools", "streamed", "streamed-tools"])
def test_an_openai_client_through_each_upstream(upstreams: Served, model: str, shape: str) -> None:
    tools = "tools" in shape
    streamed = shape.startswith("streamed")
    fake = _fake(
        upstreams, model, FakeReply("Hello from upstream", tool_call=TOOL if tools else None)
    )
    seen = len(records(upstreams.app, model, 0))
    generated = 6 if tools else 3  # the fake counts the reply's words, and 3 for a call
    with openai.OpenAI(
        base_url=upstreams.url + "/v1", api_key="sk-client", max_retries=0
    ) as client:
        function = WEATHER if tools else None
        usage = ask_openai(client, model, function=function, streamed=streamed, include_usage=True)
        if streamed:
            assert usage is not None
            assert usage.completion_tokens == generated
    _upstream_saw(fake, model, streamed=streamed)
    rec = records(upstreams.app, model, seen + 1)[-1]
    assert rec.output_tokens == generated  # the usage the upstream reported reached the ledger


@pytest.mark.parametrize("model", list(MODELS))
def test_an_anthropic_client_streams_through_each_upstream(upstreams: Served, model: str) -> None:
    fake = _fake(upstreams, model, FakeReply("Hello there", reasoning="Thinking it over"))
    with (
        anthropic.Anthropic(base_url=upstreams.url, api_key="sk-ant", max_retries=0) as client,
        client.messages.stream(
            model=model, max_tokens=100, messages=[{"role": "user", "content": "Hi"}]
        ) as stream,
    ):
        final = stream.get_final_message()
    kinds = [b.type for b in final.content]
    text = "".join(b.text for b in final.content if b.type == "text")
    thinking = "".join(b.thinking for b in final.content if b.type == "thinking")
    assert (kinds, text, thinking) == (["thinking", "text"], "Hello there", "Thinking it over")
    _upstream_saw(fake, model, streamed=True)


@pytest.mark.parametrize("model", list(MODELS))
def test_upstream_errors_reach_the_client_in_its_format(upstreams: Served, model: str) -> None:
    _fake(upstreams, model, FakeReply(status=429))
    with (
        openai.OpenAI(base_url=upstreams.url + "/v1", api_key="sk-client", max_retries=0) as client,
        pytest.raises(openai.RateLimitError, match="scripted status 429"),
    ):
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Hi"}])


def _drain(client: openai.OpenAI, model: str) -> None:
    messages: Any = [{"role": "user", "content": "Hi"}]
    with client.chat.completions.create(model=model, messages=messages, stream=True) as stream:
        for _ in stream:
            pass


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("fault", ["cut", "malformed"])
def test_a_broken_upstream_stream_ends_with_an_error(
    upstreams: Served, model: str, fault: Any
) -> None:
    _fake(upstreams, model, FakeReply("one two three four five six", fault=fault))
    seen = len(records(upstreams.app, model, 0))
    with (
        openai.OpenAI(base_url=upstreams.url + "/v1", api_key="sk-client", max_retries=0) as client,
        pytest.raises(openai.APIError, match="upstream stream failed"),
    ):
        _drain(client, model)
    rec = records(upstreams.app, model, seen + 1)[-1]
    assert rec.status == 502


def test_a_toml_config_routes_to_the_new_formats(tmp_path: Any) -> None:
    from aifkit.gateway import load_config

    path = tmp_path / "gateway.toml"
    path.write_text(
        "[[routes]]\n"
        'models = ["anthropic.claude-*"]\n'
        'upstream = "https://bedrock-runtime.us-east-1.amazonaws.com"\n'
        'format = "bedrock-converse"\n'
        'api_key_env = "AWS_BEARER_TOKEN_BEDROCK"\n'
        "[[routes]]\n"
        'upstream = "http://127.0.0.1:11434/"\n'
        'format = "ollama"\n'
    )
    config = load_config(path)
    assert [r.format for r in config.routes] == ["bedrock-converse", "ollama"]
    assert config.route_for("llama3.2") is config.routes[1]
    assert config.routes[1].upstream == "http://127.0.0.1:11434"
