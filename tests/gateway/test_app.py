"""The gateway app in process (httpx2's ASGITransport) in front of aifkit's fake upstreams."""

from __future__ import annotations

from aifkit.gateway import GatewayConfig, create_app
from aifkit.testing import FakeOpenAIServer, FakeReply
from tests.gateway.conftest import call

CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


def test_openai_chat_passes_through_and_is_recorded() -> None:
    with FakeOpenAIServer(["Hello there"]) as fake:
        app = create_app(GatewayConfig.single(fake.base_url))
        r = call(app, "POST", "/v1/chat/completions", json=CHAT, headers={"authorization": "Bearer sk-client"})  # fmt: skip
        assert r.status_code == 200
        assert r.json()["choices"][0]["message"]["content"] == "Hello there"
        assert fake.requests == [CHAT]
        rid = r.headers["x-aif-request-id"]
        assert r.headers["x-aif-tokens-saved"] == "0"
        rec = call(app, "GET", f"/requests/{rid}").json()
        assert (rec["status"], rec["model"], rec["output_tokens"]) == (200, "gpt-4o", 2)
        stats = call(app, "GET", "/stats").json()
        assert stats["totals"]["requests"] == 1


def test_upstream_error_reaches_client_in_its_shape() -> None:
    with FakeOpenAIServer([FakeReply(status=429)]) as fake:
        app = create_app(GatewayConfig.single(fake.base_url))
        body = {"model": "gpt-4o", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
        r = call(app, "POST", "/v1/messages", json=body)
        assert r.status_code == 429
        assert r.json()["type"] == "error"
        assert r.json()["error"]["type"] == "rate_limit_error"
