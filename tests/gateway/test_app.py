"""The gateway app in process (httpx2's ASGITransport) in front of aifkit's fake upstreams."""

from __future__ import annotations

import json

import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
        assert "usage" not in stats
        full = call(app, "GET", "/stats?usage=true").json()
        assert full["usage"]["requests"] == 1
        assert full["usage"]["totals"]["output_tokens"] == 2


def test_upstream_error_reaches_client_in_its_shape() -> None:
    with FakeOpenAIServer([FakeReply(status=429)]) as fake:
        app = create_app(GatewayConfig.single(fake.base_url))
        body = {"model": "gpt-4o", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
        r = call(app, "POST", "/v1/messages", json=body)
        assert r.status_code == 429
        assert r.json()["type"] == "error"
        assert r.json()["error"]["type"] == "rate_limit_error"


def _capture(sent: list[bytes], reply: bytes) -> httpx2.MockTransport:
    def handle(request: httpx2.Request) -> httpx2.Response:
        sent.append(request.content)
        return httpx2.Response(200, content=reply, headers={"content-type": "application/json"})

    return httpx2.MockTransport(handle)


# OpenAI's documented chat completion reply (platform.openai.com/docs/api-reference/chat/object),
# spaced and ordered as a server may send it.
REPLY = b'{"id": "chatcmpl-1", "object": "chat.completion", "created": 1741569952, "model": "gpt-4o", "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi", "refusal": null}, "logprobs": null, "finish_reason": "stop"}], "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10}}'  # fmt: skip


@given(
    spacing=st.sampled_from([(", ", ": "), (",", ":"), (" ,\n", " : ")]),
    text=st.text(max_size=40),
    extra=st.dictionaries(st.sampled_from(["temperature", "user", "seed"]), st.integers(0, 9)),
)
@settings(max_examples=25, deadline=None)
def test_an_unchanged_body_goes_upstream_byte_for_byte(
    spacing: tuple[str, str], text: str, extra: dict[str, int]
) -> None:
    # Same format, same model, nothing packed: the client's bytes go on (no re-encoding,
    # so key order, spacing and escapes survive), and the reply's bytes come back.
    body = {"model": "gpt-4o", **extra, "messages": [{"role": "user", "content": text}]}
    raw = json.dumps(body, separators=spacing, ensure_ascii=True).encode()
    sent: list[bytes] = []
    app = create_app(GatewayConfig.single("http://up/v1"), transport=_capture(sent, REPLY))
    r = call(app, "POST", "/v1/chat/completions", content=raw)
    assert r.status_code == 200
    assert sent == [raw]
    assert r.content == REPLY
    (rec,) = list(app.state.gateway.ledger)
    assert (rec.input_tokens, rec.output_tokens) == (9, 1)


def test_a_changed_body_is_written_anew() -> None:
    # An alias names another model upstream: the body is rewritten with it.
    sent: list[bytes] = []
    config = GatewayConfig.single("http://up/v1").model_copy(update={"aliases": {"fast": "gpt-4o"}})  # fmt: skip
    app = create_app(config, transport=_capture(sent, REPLY))
    raw = b'{"model": "fast", "messages": [{"role": "user", "content": "hi"}]}'
    assert call(app, "POST", "/v1/chat/completions", content=raw).status_code == 200
    assert json.loads(sent[0]) == {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}  # fmt: skip


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_race_returns_with_the_first_and_cancels_the_other(backend: str) -> None:
    import anyio

    from aifkit.gateway._app import _race  # pyright: ignore[reportPrivateUsage]

    seen: list[str] = []

    async def quick() -> None:
        await anyio.sleep(0)
        seen.append("quick")

    async def slow() -> None:
        try:
            await anyio.sleep(30)
        finally:
            seen.append("slow stopped")

    async def failing() -> None:
        raise ValueError("boom")

    async def main() -> None:
        with anyio.fail_after(5):
            await _race(quick, slow)
            await _race(slow, quick)
            with pytest.raises((ValueError, ExceptionGroup)):  # trio's task group groups it
                await _race(failing, slow)

    anyio.run(main, backend=backend)
    assert seen == ["quick", "slow stopped", "quick", "slow stopped", "slow stopped"]
