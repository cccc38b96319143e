"""Upstream failures reach the client as well-formed errors in the client's own format."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import httpx
import openai
import pytest

from aifkit.gateway import create_app
from aifkit.testing import FakeReply
from tests.gateway.conftest import Served, matrix_config, record, running, serve

MESSAGES: Any = [{"role": "user", "content": "Hi"}]


@pytest.fixture(scope="module")
def faulty(fakes: dict[str, Any]) -> Iterator[Served]:
    # A short upstream timeout, so the timeout case takes a second, not ten minutes.
    with running(create_app(matrix_config(fakes, timeout=1.0)), fakes) as served:
        yield served


@pytest.fixture
def served(faulty: Served) -> Served:  # the gateway the oai and ant fixtures call
    return faulty


@pytest.mark.parametrize("model", ["m-chat", "m-claude", "m-gemini"])
def test_429_keeps_retry_after_in_both_shapes(
    faulty: Served, oai: openai.OpenAI, ant: anthropic.Anthropic, model: str
) -> None:
    fake = faulty.fakes[{"m-chat": "openai", "m-claude": "anthropic", "m-gemini": "gemini"}[model]]
    fake.script(FakeReply(status=429, retry_after="7"), repeat=True)
    with pytest.raises(openai.RateLimitError) as oe:
        oai.chat.completions.create(model=model, messages=MESSAGES)
    assert oe.value.response.headers["retry-after"] == "7"
    assert oe.value.body is not None
    assert "429" in oe.value.message
    with pytest.raises(anthropic.RateLimitError) as ae:
        ant.messages.create(model=model, max_tokens=8, messages=MESSAGES)
    assert ae.value.response.headers["retry-after"] == "7"
    assert ae.value.response.json()["type"] == "error"


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        (FakeReply(status=500), 500),
        (FakeReply(status=503), 503),
        (FakeReply(fault="malformed"), 502),
        (FakeReply("late", delay=5), 504),
    ],
)
def test_failures_have_the_client_shape(
    faulty: Served, oai: openai.OpenAI, ant: anthropic.Anthropic, reply: FakeReply, status: int
) -> None:
    faulty.fakes["anthropic"].script(reply, repeat=True)
    with pytest.raises(openai.APIStatusError) as oe:
        oai.chat.completions.create(model="m-claude", messages=MESSAGES)
    assert oe.value.status_code == status
    err = oe.value.response.json()["error"]
    assert set(err) == {"message", "type", "param", "code"}
    faulty.fakes["openai"].script(reply, repeat=True)
    with pytest.raises(anthropic.APIStatusError) as ae:
        ant.messages.create(model="m-chat", max_tokens=8, messages=MESSAGES)
    assert ae.value.status_code == status
    body = ae.value.response.json()
    assert body["type"] == "error"
    assert isinstance(body["error"]["message"], str)


@pytest.mark.parametrize("fault", ["cut", "malformed"])
def test_a_broken_stream_ends_with_an_error_the_sdk_raises(
    faulty: Served, oai: openai.OpenAI, ant: anthropic.Anthropic, fault: Any
) -> None:
    faulty.fakes["anthropic"].script(FakeReply("one two three four five six", fault=fault), repeat=True)  # fmt: skip
    with pytest.raises(openai.APIError, match="upstream stream failed"):
        _drain(oai.chat.completions.create(model="m-claude", messages=MESSAGES, stream=True))
    faulty.fakes["gemini"].script(FakeReply("one two three four five six", fault=fault), repeat=True)  # fmt: skip
    with pytest.raises(anthropic.APIStatusError, match="upstream stream failed"):
        _drain(ant.messages.stream(model="m-gemini", max_tokens=8, messages=MESSAGES))


def _drain(manager: Any) -> None:
    with manager as stream:
        for _ in stream:
            pass


def test_a_client_that_hangs_up_cancels_the_upstream_call(faulty: Served) -> None:
    faulty.fakes["openai"].script(FakeReply("late", delay=3))
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            faulty.url + "/v1/chat/completions",
            json={"model": "m-chat", "messages": MESSAGES},
            timeout=httpx.Timeout(5, read=0.3),
        )
    ledger = faulty.app.state.gateway.ledger
    deadline = time.monotonic() + 2.5  # well before the upstream's 3 s delay ends
    while time.monotonic() < deadline:
        if any(r.status == 499 for r in ledger):
            break
        time.sleep(0.05)
    assert [r.status for r in ledger if r.model == "m-chat"][-1] == 499


def test_shutdown_lets_an_in_flight_stream_finish(fakes: dict[str, Any]) -> None:
    app = create_app(matrix_config(fakes))
    url, server, thread = serve(app)
    fakes["anthropic"].script(FakeReply("still here at the end", pace=0.1))
    with httpx.Client(base_url=url, timeout=10) as client:
        body = {"model": "m-claude", "messages": MESSAGES, "stream": True}
        with client.stream("POST", "/v1/chat/completions", json=body) as reply:
            chunks = reply.iter_raw()
            first = next(chunks)  # the stream has begun; the rest is a second away
            server.should_exit = True  # as on SIGTERM: stop accepting, finish what is open
            text = (first + b"".join(chunks)).decode()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert '"finish_reason":"stop"' in text.replace(" ", "")
    assert "[DONE]" in text


def test_a_stream_whose_client_left_before_it_began_is_closed_and_recorded() -> None:
    import asyncio
    import json as _json

    from starlette.requests import ClientDisconnect

    from aifkit.gateway import GatewayConfig
    from aifkit.testing import FakeOpenAIServer

    with FakeOpenAIServer([FakeReply("never read", pace=0.2)]) as fake:
        app = create_app(GatewayConfig.single(fake.base_url))
        body = _json.dumps({"model": "gpt-4o", "messages": MESSAGES, "stream": True}).encode()
        scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1", "method": "POST", "scheme": "http", "path": "/v1/chat/completions", "raw_path": b"/v1/chat/completions", "query_string": b"", "root_path": "", "headers": [(b"content-type", b"application/json")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 2)}  # fmt: skip
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> Any:
            if messages:
                return messages.pop()
            await asyncio.sleep(10)
            return {"type": "http.disconnect"}

        async def send(message: Any) -> None:
            if message["type"] == "http.response.start":
                raise OSError("the client is gone")  # as a server reports a closed socket

        async def run() -> None:
            try:
                await app(scope, receive, send)
            except ClientDisconnect:
                pass  # what Starlette makes of the closed socket
            finally:
                await app.state.gateway.aclose()

        asyncio.run(run())
        (rec,) = list(app.state.gateway.ledger)
    assert rec.status == 499
    assert rec.stream is True


def test_a_client_that_hangs_up_after_the_end_got_its_whole_reply() -> None:
    # The openai SDK stops reading at [DONE] and closes; an upstream may still hold its
    # connection open (LiteLLM's proxy does, a moment). The reply went out whole: 200.
    from pathlib import Path

    import anyio
    import httpx2

    from aifkit.gateway import GatewayConfig

    recorded = Path(__file__).parents[1] / "fixtures" / "streams" / "openai-chat__sdk-refusal.sse"
    sse = recorded.read_bytes()

    class Lingering(httpx2.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield sse
            await anyio.sleep(30)  # the upstream keeps the connection after its [DONE]

    def handle(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, stream=Lingering(), headers={"content-type": "text/event-stream"})  # fmt: skip

    app = create_app(GatewayConfig.single("http://up/v1"), transport=httpx2.MockTransport(handle))
    with (
        running(app, {}) as served,
        openai.OpenAI(base_url=served.url + "/v1", api_key="k", max_retries=0) as client,
    ):
        stream = client.chat.completions.with_raw_response.create(
            model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        chunks = list(stream.parse())  # returns at [DONE], long before the 30 s
        assert chunks[-1].usage is not None
        rec = record(app, stream.headers["x-aif-request-id"])
    assert (rec.status, rec.error, rec.output_tokens) == (200, None, 11)
