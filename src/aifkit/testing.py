"""Fakes to test code built on aifkit offline: a scripted summarizer and a local chat server.

`FakeSummarizer` returns scripted summaries (or raises scripted errors) and
records what it was asked. `FakeOpenAIServer` is a real HTTP server on
``127.0.0.1`` speaking the ``/v1/chat/completions`` JSON shape, with scripted
replies, status codes and delays, for code that talks to an OpenAI-compatible
endpoint (such as `aifkit.budget.memory.OpenAISummarizer`).

Examples:
    >>> from aifkit.testing import FakeOpenAIServer, FakeReply
    >>> import json, urllib.request
    >>> with FakeOpenAIServer(["Hello!", FakeReply(status=503)]) as server:
    ...     req = urllib.request.Request(server.base_url + "/chat/completions",
    ...         data=json.dumps({"model": "m", "messages": []}).encode(),
    ...         headers={"Content-Type": "application/json"})
    ...     reply = json.load(urllib.request.urlopen(req))
    >>> reply["choices"][0]["message"]["content"], server.requests[0]["model"]
    ('Hello!', 'm')
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any

from aifkit.errors import UsageError

if TYPE_CHECKING:
    from aifkit.aif import Message

__all__ = ["FakeOpenAIServer", "FakeReply", "FakeSummarizer", "SummaryCall"]

Script = str | BaseException | Callable[[str], str]


@dataclass(frozen=True, slots=True)
class SummaryCall:
    """One call a `FakeSummarizer` received.

    Attributes:
        text: The source as a transcript (see `aifkit.budget.memory.transcript`).
        max_tokens: The budget it was given.
        focus: The focus it was given.
    """

    text: str
    max_tokens: int
    focus: str | None


class FakeSummarizer:
    """A `Summarizer` that returns scripted outputs, in order.

    Each scripted output is a string (returned), an exception (raised) or a
    function of the transcript (called). Calls are recorded in ``calls``.

    Args:
        outputs: The script.
        repeat: When the script runs out, replay its last entry instead of raising.
        name: The summarizer's name.

    Examples:
        >>> fake = FakeSummarizer(["short", TimeoutError("slow"), str.upper])
        >>> fake.summarize("some text", max_tokens=10)
        'short'
        >>> fake.summarize("again", max_tokens=10)
        Traceback (most recent call last):
        ...
        TimeoutError: slow
        >>> fake.summarize("shout", max_tokens=10), len(fake.calls)
        ('SHOUT', 3)
        >>> fake.summarize("more", max_tokens=10)
        Traceback (most recent call last):
        ...
        aifkit.errors.UsageError: FakeSummarizer has no scripted output left (3 used); \
script more outputs, or pass repeat=True
    """

    def __init__(self, outputs: Iterable[Script], *, repeat: bool = False, name: str = "fake"):
        self.outputs: list[Script] = list(outputs)
        self.repeat = repeat
        self.name = name
        self.calls: list[SummaryCall] = []

    def summarize(
        self, source: Sequence[Message] | str, *, max_tokens: int, focus: str | None = None
    ) -> str:
        """Return (or raise) the next scripted output."""
        from aifkit.budget.memory import transcript

        text = transcript(source)
        index = len(self.calls)
        self.calls.append(SummaryCall(text, max_tokens, focus))
        if index >= len(self.outputs):
            if not (self.repeat and self.outputs):
                raise UsageError(
                    f"FakeSummarizer has no scripted output left ({len(self.outputs)} used)",
                    hint="script more outputs, or pass repeat=True",
                )
            index = len(self.outputs) - 1
        out = self.outputs[index]
        if isinstance(out, BaseException):
            raise out
        return out if isinstance(out, str) else out(text)


@dataclass(frozen=True, slots=True)
class FakeReply:
    """One scripted reply of a `FakeOpenAIServer`.

    Attributes:
        content: The assistant's text (``None`` sends ``"content": null``).
        status: The HTTP status; anything but 200 sends an OpenAI-style error body.
        delay: Seconds to wait before answering (to provoke client timeouts).
        body: Send this JSON instead of the generated body.
    """

    content: str | None = ""
    status: int = 200
    delay: float = 0.0
    body: dict[str, Any] | None = field(default=None)


class FakeOpenAIServer:
    """A local OpenAI-compatible chat server with scripted replies, in a background thread.

    Serves ``POST /v1/chat/completions`` on ``127.0.0.1`` at a free port; each
    request takes the next scripted reply (a string or a `FakeReply`); past the
    script it answers 500 saying so. Request bodies are kept in ``requests``.
    Use it as a context manager, or call `start` and `close`.

    Args:
        replies: The script.
        repeat: When the script runs out, replay its last entry.
    """

    def __init__(self, replies: Iterable[str | FakeReply] = (), *, repeat: bool = False) -> None:
        self.replies: list[FakeReply] = [
            r if isinstance(r, FakeReply) else FakeReply(r) for r in replies
        ]
        self.repeat = repeat
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The base URL to give a client, e.g. ``http://127.0.0.1:54321/v1``."""
        if self._server is None:
            raise UsageError("the server is not running", hint="call start() or use `with`")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> FakeOpenAIServer:
        """Start serving; returns the server."""
        if self._server is None:
            self._server = _Server(("127.0.0.1", 0), _handler(self))
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving; a reply still waiting out its delay is abandoned."""
        self._closing.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _next(self, request: dict[str, Any]) -> FakeReply | None:
        with self._lock:
            index = len(self.requests)
            self.requests.append(request)
            if index < len(self.replies):
                return self.replies[index]
            return self.replies[-1] if self.repeat and self.replies else None

    def _wait(self, seconds: float) -> bool:
        """Sleep ``seconds``; ``False`` when the server closed meanwhile."""
        return not self._closing.wait(seconds) if seconds > 0 else True


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) closes its socket; that is not an error.
        pass


def _handler(owner: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: tests read `requests` instead

        def do_POST(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(size)
            if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
                self._send(404, _error(404, f"no route for POST {self.path}"))
                return
            try:
                request: dict[str, Any] = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                self._send(400, _error(400, "the body is not JSON"))
                return
            reply = owner._next(request)  # pyright: ignore[reportPrivateUsage]
            if reply is None:
                self._send(500, _error(500, "FakeOpenAIServer: no scripted reply left"))
                return
            if not owner._wait(reply.delay):  # pyright: ignore[reportPrivateUsage]
                self.close_connection = True
                return
            if reply.body is not None:
                self._send(reply.status, reply.body)
            elif reply.status != 200:
                self._send(reply.status, _error(reply.status, f"scripted status {reply.status}"))
            else:
                self._send(200, _completion(request, reply.content, len(owner.requests)))

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _completion(request: dict[str, Any], content: str | None, n: int) -> dict[str, Any]:
    prompt = sum(len(str(m.get("content", "")).split()) for m in request.get("messages", []))
    completion = len((content or "").split())
    return {
        "id": f"chatcmpl-fake-{n}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def _error(status: int, message: str) -> dict[str, Any]:
    kinds = {400: "invalid_request_error", 401: "authentication_error", 429: "rate_limit_error"}
    return {
        "error": {
            "message": message,
            "type": kinds.get(status, "server_error" if status >= 500 else "invalid_request_error"),
            "param": None,
            "code": None,
        }
    }
