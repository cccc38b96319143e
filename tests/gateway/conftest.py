"""A gateway served by uvicorn in a thread, on 127.0.0.1 at a free port, in front of fakes."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx2
import openai
import pytest

from aifkit.gateway import GatewayConfig, Route, create_app
from aifkit.testing import FakeAnthropicServer, FakeGeminiServer, FakeOpenAIServer


class Served:
    """A running gateway: its URL, its app, and the fakes behind it."""

    def __init__(self, app: Any, url: str, fakes: dict[str, Any]) -> None:
        self.app = app
        self.url = url
        self.fakes = fakes


def call(app: Any, method: str, path: str, **kwargs: Any) -> httpx2.Response:
    """One request to ``app`` in process (httpx2's ASGITransport, no socket)."""

    async def run() -> httpx2.Response:
        transport = httpx2.ASGITransport(app=app)
        try:
            async with httpx2.AsyncClient(transport=transport, base_url="http://gw") as client:
                return await client.request(method, path, **kwargs)
        finally:  # the transport runs no lifespan: close the app's upstream client here
            await app.state.gateway.aclose()

    return asyncio.run(run())


def records(app: Any, model: str, n: int = 1) -> list[Any]:
    """The ledger's records for ``model``, waiting (a bounded while) until there are ``n``.

    A served gateway records a request after its last byte has gone out, so a client
    may read the ledger a moment before the record is in it.
    """
    deadline = time.monotonic() + 10
    while True:
        found = [r for r in app.state.gateway.ledger if r.model == model]
        if len(found) >= n or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def record(app: Any, request_id: str) -> Any:
    """The ledger's record of ``request_id``, waiting (a bounded while) until it is in."""
    deadline = time.monotonic() + 10
    while (found := app.state.gateway.ledger.get(request_id)) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"no record of {request_id}")
        time.sleep(0.02)
    return found


def serve(app: Any) -> tuple[str, Any, threading.Thread]:
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the gateway did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return f"http://127.0.0.1:{port}", server, thread


@contextlib.contextmanager
def running(app: Any, fakes: dict[str, Any]) -> Iterator[Served]:
    """Serve ``app`` (see `serve`) for the block, then stop it."""
    url, server, thread = serve(app)
    try:
        yield Served(app, url, fakes)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="package")
def fakes() -> Iterator[dict[str, Any]]:
    servers = {
        "openai": FakeOpenAIServer().start(),
        "anthropic": FakeAnthropicServer().start(),
        "gemini": FakeGeminiServer().start(),
    }
    yield servers
    for s in servers.values():
        s.close()


def matrix_config(fakes: dict[str, Any], **route: Any) -> GatewayConfig:
    return GatewayConfig(
        routes=(
            Route(
                models=("m-chat",), upstream=fakes["openai"].base_url, format="openai-chat", **route
            ),
            Route(
                models=("m-responses",),
                upstream=fakes["openai"].base_url,
                format="openai-responses",
                **route,
            ),
            Route(
                models=("m-claude",),
                upstream=fakes["anthropic"].base_url,
                format="anthropic",
                **route,
            ),
            Route(
                models=("m-gemini",), upstream=fakes["gemini"].base_url, format="gemini", **route
            ),
        ),
        aliases={"fast": "m-chat"},
    )


@pytest.fixture(scope="package")
def gateway(fakes: dict[str, Any]) -> Iterator[Served]:
    with running(create_app(matrix_config(fakes)), fakes) as served:
        yield served


@pytest.fixture
def oai(served: Served) -> Iterator[openai.OpenAI]:
    """The openai SDK pointed at the module's ``served`` gateway."""
    with openai.OpenAI(base_url=served.url + "/v1", api_key="sk-c", max_retries=0) as client:
        yield client


@pytest.fixture
def ant(served: Served) -> Iterator[anthropic.Anthropic]:
    """The anthropic SDK pointed at the module's ``served`` gateway."""
    with anthropic.Anthropic(base_url=served.url, api_key="sk-c", max_retries=0) as client:
        yield client


TOOL = ("get_weather", {"city": "Paris"})
"""The call the fake upstreams make when scripted with a tool call: name, arguments."""
ANSWER = "Hello from upstream"
"""The text the fake upstreams are scripted to answer."""


def ask_openai(
    client: openai.OpenAI,
    model: str,
    *,
    function: dict[str, Any] | None,
    streamed: bool,
    include_usage: bool = False,
) -> Any:
    """Ask through the OpenAI SDK (declaring ``function`` as a tool when given), streamed
    or not; check the reply is the fake upstream's: `ANSWER`, or one call of `TOOL`.

    Returns the usage the reply carried (None when a stream carried none).
    """
    import json

    kwargs: dict[str, Any] = {"tools": [{"type": "function", "function": function}]} if function else {}  # fmt: skip
    messages: Any = [{"role": "user", "content": "What is the weather in Paris?"}]
    if not streamed:
        reply = client.chat.completions.create(model=model, messages=messages, **kwargs)
        message = reply.choices[0].message
        if function:
            (call,) = message.tool_calls or []
            assert call.type == "function"
            assert (call.function.name, json.loads(call.function.arguments)) == TOOL
            assert reply.choices[0].finish_reason == "tool_calls"
        else:
            assert message.content == ANSWER
        return reply.usage
    if include_usage:
        kwargs["stream_options"] = {"include_usage": True}
    text, calls, usage = "", dict[int, dict[str, str]](), None
    with client.chat.completions.create(model=model, messages=messages, stream=True, **kwargs) as stream:  # fmt: skip
        for chunk in stream:
            usage = chunk.usage or usage
            for choice in chunk.choices:
                text += choice.delta.content or ""
                for delta in choice.delta.tool_calls or []:
                    entry = calls.setdefault(delta.index, {"name": "", "args": ""})
                    if delta.function is not None:
                        entry["name"] += delta.function.name or ""
                        entry["args"] += delta.function.arguments or ""
    if function:
        (call,) = calls.values()
        assert (call["name"], json.loads(call["args"])) == TOOL
    else:
        assert text == ANSWER
    return usage
