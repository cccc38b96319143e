"""Gateway keys, upstream keys never echoed, size limits, and the gateway's own endpoints."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anthropic
import httpx2
import openai
import pytest

from aifkit.errors import UsageError
from aifkit.gateway import GatewayConfig, Route, create_app
from aifkit.testing import FakeAnthropicServer, FakeOpenAIServer, FakeReply
from tests.gateway.conftest import Served, call, records

CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
SECRET = "sk-upstream-secret-123"


def _config(url: str, **settings: Any) -> GatewayConfig:
    route = Route(upstream=url, api_key_env="UPSTREAM_KEY")
    return GatewayConfig(routes=(route,), **settings)


def test_gateway_keys_are_required_and_not_passed_on() -> None:
    with FakeOpenAIServer(["ok"], repeat=True) as fake:
        app = create_app(_config(fake.base_url, keys=("gk-1",)), environ={"UPSTREAM_KEY": SECRET})
        r = call(app, "POST", "/v1/chat/completions", json=CHAT)
        assert r.status_code == 401
        assert r.json()["error"]["type"] == "authentication_error"
        assert fake.requests == []
        r = call(app, "POST", "/v1/chat/completions", json=CHAT, headers={"authorization": "Bearer gk-1"})  # fmt: skip
        assert r.status_code == 200
        assert fake.headers[0]["authorization"] == f"Bearer {SECRET}"
        views = ("/stats", "/metrics", "/v1/models", f"/requests/{r.headers['x-aif-request-id']}")
        assert [call(app, "GET", v).status_code for v in views] == [401] * 4
        keyed = [call(app, "GET", v, headers={"x-api-key": "gk-1"}).status_code for v in views]
        assert keyed == [200] * 4


def test_the_upstream_key_is_never_echoed() -> None:
    leak = FakeReply(status=401, body={"error": {"message": f"Incorrect API key {SECRET}"}})
    with FakeOpenAIServer([leak, "ok"]) as fake:
        app = create_app(_config(fake.base_url), environ={"UPSTREAM_KEY": SECRET})
        r = call(app, "POST", "/v1/chat/completions", json=CHAT)
        assert r.status_code == 401
        assert SECRET not in r.text
        assert "***" in r.json()["error"]["message"]
        call(app, "POST", "/v1/chat/completions", json=CHAT)
        seen = "".join(call(app, "GET", p).text for p in ("/stats", "/metrics", "/v1/models"))
        records = [json.dumps(call(app, "GET", f"/requests/{rec.id}").json()) for rec in app.state.gateway.ledger]  # fmt: skip
        assert len(records) == 2
        assert SECRET not in seen + "".join(records)


def test_a_missing_key_variable_is_reported_at_start() -> None:
    with pytest.raises(UsageError, match=r"\$UPSTREAM_KEY"):
        create_app(_config("http://127.0.0.1:9/v1"), environ={})


@pytest.mark.parametrize(("path", "kind"), [("/v1/chat/completions", "invalid_request_error"), ("/v1/messages", "request_too_large")])  # fmt: skip
def test_an_oversized_body_gets_a_provider_shaped_413(path: str, kind: str) -> None:
    with FakeOpenAIServer(["ok"]) as fake:
        app = create_app(_config(fake.base_url, max_body_bytes=200), environ={"UPSTREAM_KEY": "k"})
        big = {"model": "gpt-4o", "max_tokens": 5, "messages": [{"role": "user", "content": "x" * 500}]}  # fmt: skip
        r = call(app, "POST", path, json=big)
        assert r.status_code == 413
        body = r.json()
        assert (body["error"]["type"]) == kind
        assert fake.requests == []


def test_bad_requests_are_answered_in_the_client_format() -> None:
    with FakeOpenAIServer() as fake:
        app = create_app(GatewayConfig(routes=(Route(models=("gpt-*",), upstream=fake.base_url),)))
        assert call(app, "POST", "/v1/messages", content=b"{not json").json()["type"] == "error"
        r = call(app, "POST", "/v1/chat/completions", json={"model": "claude-x", "messages": []})
        assert (r.status_code, r.json()["error"]["code"]) == (404, "model_not_found")
        r = call(app, "POST", "/v1/chat/completions", json={"messages": []})
        assert r.status_code == 400


def test_models_count_tokens_metrics_with_the_sdks(gateway: Served) -> None:
    with openai.OpenAI(base_url=gateway.url + "/v1", api_key="k", max_retries=0) as oai:
        assert {m.id for m in oai.models.list()} >= {"m-chat", "m-claude", "fast"}
    with anthropic.Anthropic(base_url=gateway.url, api_key="k", max_retries=0) as ant:
        assert "m-gemini" in {m.id for m in ant.models.list()}


def test_count_tokens_counts_with_the_registry() -> None:
    with FakeAnthropicServer() as fake:
        route = Route(models=("claude-*",), upstream=fake.base_url, format="anthropic")
        app = create_app(GatewayConfig(routes=(route,)))
        body = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "Hello there"}]}  # fmt: skip
        r = call(app, "POST", "/v1/messages/count_tokens", json=body)
        assert r.status_code == 200
        assert r.json()["input_tokens"] > 0
        assert fake.requests == []


def test_streams_are_recorded_with_usage_and_time_to_first_byte(gateway: Served) -> None:
    gateway.fakes["anthropic"].script(FakeReply("one two three"))
    before = len(records(gateway.app, "m-claude", 0))
    with openai.OpenAI(base_url=gateway.url + "/v1", api_key="k", max_retries=0) as oai:
        stream = oai.chat.completions.create(model="m-claude", messages=[{"role": "user", "content": "a b c d"}], stream=True, stream_options={"include_usage": True})  # fmt: skip
        chunks = list(stream)
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 3
    rec = records(gateway.app, "m-claude", before + 1)[-1]
    assert (rec.stream, rec.status, rec.output_tokens) == (True, 200, 3)
    assert rec.ttfb_ms is not None
    assert rec.ttfb_ms <= rec.latency_ms
    text = call_metrics(gateway)
    assert 'aif_gateway_requests_total{model="m-claude",status="200"}' in text


def call_metrics(gateway: Served) -> str:
    import httpx

    return httpx.get(gateway.url + "/metrics").text


def test_the_async_sdk_streams_many_requests_at_once(gateway: Served) -> None:
    gateway.fakes["gemini"].script(FakeReply("alpha beta gamma"), repeat=True)

    async def one(client: openai.AsyncOpenAI, i: int) -> str:
        stream = await client.chat.completions.create(model="m-gemini", messages=[{"role": "user", "content": f"n{i}"}], stream=True)  # fmt: skip
        return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    async def main() -> list[str]:
        async with openai.AsyncOpenAI(base_url=gateway.url + "/v1", api_key="k", max_retries=0) as client:  # fmt: skip
            return await asyncio.gather(*(one(client, i) for i in range(8)))

    assert asyncio.run(main()) == ["alpha beta gamma"] * 8
    assert sorted(r["contents"][0]["parts"][0]["text"] for r in gateway.fakes["gemini"].requests) == sorted(f"n{i}" for i in range(8))  # fmt: skip


def test_a_short_load_has_no_failed_or_mixed_up_reply() -> None:
    from tests.gateway.load import run

    result = run(clients=8, seconds=1.5)
    assert result["requests"] > 0
    assert (result["failed"], result["mixed"]) == (0, 0)


@pytest.mark.parametrize("asked", [False, True])
def test_a_same_format_stream_is_recorded_whether_or_not_the_client_asked_for_usage(
    gateway: Served, asked: bool
) -> None:
    fake = gateway.fakes["openai"]
    fake.script(FakeReply("one two three"))
    before = len(records(gateway.app, "m-chat", 0))
    extra: Any = {"stream_options": {"include_usage": True}} if asked else {}
    with openai.OpenAI(base_url=gateway.url + "/v1", api_key="k", max_retries=0) as oai:
        chunks = list(oai.chat.completions.create(model="m-chat", messages=[{"role": "user", "content": "hi"}], stream=True, **extra))  # fmt: skip
    assert fake.requests[0]["stream_options"] == {"include_usage": True}
    assert any(c.usage is not None for c in chunks) is asked  # only what the client asked for
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "one two three"
    rec = records(gateway.app, "m-chat", before + 1)[-1]
    assert rec.output_tokens == 3


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (
            b'{"model": "gpt-4o", "messages": [{"role": "\\ud800", "content": "x"}]}',
            "lone surrogate",
        ),
        (b'{"model": "gpt-4o", "temperature": NaN, "messages": []}', "NaN"),
        (b'{"model": "gpt-4o", "messages": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "nested"),
        (b'{"model": "gpt-4o", "seed": 1' + b"0" * 5_000 + b"}", "digits"),
        (b'\xff{"model": "gpt-4o"}', "UTF-8"),
    ],
)
def test_hostile_json_is_a_provider_shaped_400(raw: bytes, said: str) -> None:
    """Found by tests/fuzz: a lone surrogate passed the gateway's parser and failed as a 500."""
    with FakeOpenAIServer(["ok"], repeat=True) as fake:
        app = create_app(GatewayConfig.single(fake.base_url))
        for path in ("/v1/chat/completions", "/v1/messages", "/v1/responses"):
            r = call(app, "POST", path, content=raw)
            assert r.status_code == 400, (path, r.text[:200])
            assert said in r.json()["error"]["message"]
            assert "Traceback" not in r.text
        assert fake.requests == []


@pytest.mark.parametrize("model", ["a" * 100_000, "gemini\x00x", "../../files?key=x#"])
def test_a_model_name_cannot_break_or_steer_the_upstream_url(model: str) -> None:
    """Found by tests/fuzz: a 100,000-character model made the Gemini URL invalid (a 500)."""
    seen: list[str] = []

    def upstream(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.url.raw_path.decode())
        return httpx2.Response(400, json={"error": {"code": 400, "message": "no such model"}})

    config = GatewayConfig.single("http://gemini.invalid/v1beta", format="gemini")
    app = create_app(config, transport=httpx2.MockTransport(upstream))
    r = call(app, "POST", "/v1/chat/completions", json={"model": model, "messages": [{"role": "user", "content": "hi"}]})  # fmt: skip
    assert 400 <= r.status_code < 500, r.text[:200]
    assert r.json()["error"]["message"]
    assert all(p.count("/") == 3 and p.startswith("/v1beta/models/") for p in seen), seen
