"""The gateway in process (Starlette's TestClient) in front of recorded upstream replies.

`post` sends a mutated request body, as raw bytes and with one of `HEADERS`, to
the endpoint of the body's format, through a gateway whose upstream (an
``httpx2.MockTransport``) answers with a recorded reply of its format. `problem`
says what broke a promise: a 5xx, a body that is not the client format's error
shape, a traceback in the body, or an internal exception the gateway turned into
a 400 (``aifkit failed on the request: TypeError ...``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path
from typing import Any, Final

import httpx2

FIXTURES: Final = Path(__file__).parent.parent / "fixtures"

ENDPOINTS: Final = {
    "openai-chat": "/v1/chat/completions",
    "openai-responses": "/v1/responses",
    "anthropic": "/v1/messages",
}
"""The client formats the gateway serves, and their paths."""

UPSTREAMS: Final = ("openai-chat", "anthropic", "gemini")
"""Upstream formats the fuzz gateways forward to (one gateway each)."""

HEADERS: Final[tuple[dict[str, str], ...]] = (
    {"content-type": "application/json"},
    {},
    {"content-type": "text/plain; charset=latin-1"},
    {"content-length": "99999999999999999999"},
    {"content-length": "-1"},
    {"authorization": "Bearer " + "k" * 20_000},
    {"x-api-key": "", "anthropic-version": "not-a-version", "anthropic-beta": ",,,"},
    {"content-encoding": "gzip"},
)
"""Headers a hostile client may send with a body."""


def _reply(fmt: str) -> bytes:
    name = {"openai-chat": "tool-calls", "anthropic": "thinking", "gemini": "function-calls"}[fmt]
    return json.dumps(json.loads((FIXTURES / "responses" / fmt / f"{name}.json").read_text())["body"]).encode()  # fmt: skip


def _stream(fmt: str) -> bytes:
    name = {"openai-chat": "openai-chat__sdk-tool-call", "anthropic": "anthropic__thinking-tool", "gemini": "gemini__thought-signatures"}[fmt]  # fmt: skip
    text = (FIXTURES / "streams" / f"{name}.sse").read_text()
    return "\n".join(line for line in text.splitlines() if not line.startswith(":")).encode()


class _Frames(httpx2.AsyncByteStream):
    """An upstream's streamed reply, in chunks of a few frames (``httpx2.AsyncByteStream``)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for i in range(0, len(self.data), 512):
            yield self.data[i : i + 512]

    async def aclose(self) -> None:
        pass


@cache
def client(upstream: str) -> Any:
    """A TestClient (lifespan started) of a gateway forwarding every model to ``upstream``."""
    from starlette.testclient import TestClient

    from aifkit.gateway import GatewayConfig, create_app

    reply, stream = _reply(upstream), _stream(upstream)

    def answer(request: httpx2.Request) -> httpx2.Response:
        streamed = b'"stream":true' in request.content or b"stream" in request.url.path.encode()
        if streamed or b"alt=sse" in str(request.url).encode():
            frames = _Frames(stream)  # an async stream, as a live upstream's is
            return httpx2.Response(200, stream=frames, headers={"content-type": "text/event-stream"})  # fmt: skip
        return httpx2.Response(200, content=reply, headers={"content-type": "application/json"})

    config = GatewayConfig.single("http://upstream.invalid/v1", format=upstream)
    app = create_app(config, transport=httpx2.MockTransport(answer), environ={})
    test_client = TestClient(app, raise_server_exceptions=False)
    test_client.__enter__()  # starts the lifespan; the process's end closes it
    return test_client


def post(fmt: str, text: str | bytes, salt: int) -> tuple[int, str]:
    """POST ``text`` to ``fmt``'s endpoint of one gateway; return (status, body text)."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    headers = HEADERS[salt % len(HEADERS)]
    path = ENDPOINTS[fmt] if salt % 11 else "/v1/messages/count_tokens"
    if path.endswith("count_tokens"):
        fmt = "anthropic"
    r = client(UPSTREAMS[salt % len(UPSTREAMS)]).post(path, content=data, headers=headers)
    return r.status_code, r.text


def problem(fmt: str, status: int, text: str, salt: int) -> str | None:
    """What is wrong with the gateway's answer, or None."""
    if salt % 11 == 0:
        fmt = "anthropic"  # count_tokens answers in Anthropic's shape
    if status >= 500:
        return f"status-{status}"
    if "Traceback" in text:
        return "traceback-in-body"
    if status < 400:  # a stream of a recorded (valid) upstream reply ends without an error
        broken = ("event: error", '"type":"error"', 'data: {"error"')
        return "stream-error-event" if any(b in text for b in broken) else None
    try:
        body = json.loads(text)
    except ValueError:
        return "error-not-json"
    err = body.get("error") if isinstance(body, dict) else None  # pyright: ignore[reportUnknownMemberType]
    if not isinstance(err, dict) or not isinstance(err.get("message"), str):  # pyright: ignore[reportUnknownMemberType]
        return "error-not-provider-shaped"
    if fmt == "anthropic" and body.get("type") != "error":  # pyright: ignore[reportUnknownMemberType]
        return "error-not-provider-shaped"
    message: str = err["message"]  # pyright: ignore[reportUnknownVariableType]
    if message.startswith("aifkit failed on the request:"):
        return "internal:" + message.split(":")[1].strip()  # pyright: ignore[reportUnknownArgumentType]
    return None
