"""Fakes to test code built on aifkit offline: a scripted summarizer and local model servers.

`FakeSummarizer` returns scripted summaries (or raises scripted errors) and
records what it was asked. `FakeOpenAIServer` is a real HTTP server on
``127.0.0.1`` speaking OpenAI's ``/v1/chat/completions`` and ``/v1/responses``,
with scripted replies, tool calls, status codes, delays and faults, streamed
(SSE) when the request asks, for code that talks to an OpenAI-compatible
endpoint (such as `aifkit.budget.memory.OpenAISummarizer` or the gateway).
`FakeAnthropicServer` speaks Anthropic's ``/v1/messages``, `FakeGeminiServer`
Gemini's ``generateContent`` and ``streamGenerateContent``, `FakeCohereServer`
Cohere's ``/v2/chat``, `FakeOllamaServer` Ollama's ``/api/chat`` (streamed as
NDJSON lines) and `FakeBedrockServer` Bedrock's ``/model/{id}/converse`` and
``/converse-stream`` (streamed as the binary AWS event stream) the same way.

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

import dataclasses
import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

from aifkit.errors import UsageError

if TYPE_CHECKING:
    from aifkit.aif import Message, Response, StreamEvent

__all__ = [
    "FakeAnthropicServer",
    "FakeBedrockServer",
    "FakeCohereServer",
    "FakeGeminiServer",
    "FakeOllamaServer",
    "FakeOpenAIServer",
    "FakeProviderServer",
    "FakeReply",
    "FakeSummarizer",
    "SummaryCall",
]

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
    """One scripted reply of a fake server.

    Attributes:
        content: The assistant's text (``None`` sends ``"content": null``).
        status: The HTTP status; anything but 200 sends an error body in the
            server's format.
        delay: Seconds to wait before answering (to provoke client timeouts).
        body: Send this JSON instead of the generated body.
        tool_call: Answer with a call of this tool: ``(name, arguments)``.
        fault: ``"malformed"`` sends a 200 whose body (or stream) is not valid;
            ``"cut"`` ends a stream half way, without its end.
        retry_after: A ``Retry-After`` header to send with an error.
        echo: Answer with ``content`` followed by the text of the request's last
            message (to check that replies reach the client that asked).
        pace: Seconds to wait between the events of a streamed reply.
        reasoning: Reasoning text the reply starts with (an Anthropic thinking block,
            a Responses reasoning item, a Gemini thought), with a fake signature.
    """

    content: str | None = ""
    status: int = 200
    delay: float = 0.0
    body: dict[str, Any] | None = field(default=None)
    tool_call: tuple[str, dict[str, Any]] | None = None
    fault: Literal["malformed", "cut"] | None = None
    retry_after: str | None = None
    echo: bool = False
    pace: float = 0.0
    reasoning: str | None = None


class FakeProviderServer:
    """A local model server with scripted replies, in a background thread.

    Serves its format's endpoints on ``127.0.0.1`` at a free port; each request
    takes the next scripted reply (a string or a `FakeReply`); past the script it
    answers 500 saying so. Request bodies are kept in ``requests``, their headers
    (lower-case names) in ``headers``, and the URL paths in ``paths``. Use it as a
    context manager, or call `start` and `close`. The subclasses name the format.

    Args:
        replies: The script.
        repeat: When the script runs out, replay its last entry.
    """

    format: str = "openai-chat"
    prefix: str = "/v1"

    def __init__(self, replies: Iterable[str | FakeReply] = (), *, repeat: bool = False) -> None:
        self.replies: list[FakeReply] = [
            r if isinstance(r, FakeReply) else FakeReply(r) for r in replies
        ]
        self.repeat = repeat
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def root_url(self) -> str:
        """The server's address, e.g. ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise UsageError("the server is not running", hint="call start() or use `with`")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        """The base URL to give a client, e.g. ``http://127.0.0.1:54321/v1``."""
        return self.root_url + self.prefix

    def start(self) -> Self:
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

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def script(self, *replies: str | FakeReply, repeat: bool = False) -> None:
        """Replace the script and forget the requests seen so far (to reuse a server)."""
        with self._lock:
            self.replies = [r if isinstance(r, FakeReply) else FakeReply(r) for r in replies]
            self.repeat = repeat
            self.requests.clear()
            self.headers.clear()
            self.paths.clear()

    def route(self, path: str, request: dict[str, Any]) -> tuple[str, bool] | None:
        """Return the format and streaming flag of a request to ``path``, or None (404)."""
        path = path.rstrip("/")
        if self.format == "gemini":
            if path.startswith(f"{self.prefix}/models/") and ":" in path:
                verb = path.rsplit(":", 1)[1].split("?")[0]
                if verb in ("generateContent", "streamGenerateContent"):
                    return "gemini", verb == "streamGenerateContent"
            return None
        if self.format == "bedrock-converse":
            head, _, verb = path.rpartition("/")
            if head.startswith(f"{self.prefix}/model/") and verb in ("converse", "converse-stream"):
                return "bedrock-converse", verb == "converse-stream"
            return None
        if self.format == "ollama":  # Ollama streams unless asked not to
            return ("ollama", request.get("stream") is not False) if path == f"{self.prefix}/api/chat" else None  # fmt: skip
        stream = request.get("stream") is True
        if self.format == "cohere":
            return ("cohere", stream) if path == f"{self.prefix}/v2/chat" else None
        if self.format == "anthropic":
            return ("anthropic", stream) if path == f"{self.prefix}/messages" else None
        if path in (f"{self.prefix}/chat/completions", "/chat/completions"):
            return "openai-chat", stream
        if path == f"{self.prefix}/responses":
            return "openai-responses", stream
        return None

    def _next(
        self, request: dict[str, Any], headers: dict[str, str], path: str
    ) -> FakeReply | None:
        with self._lock:
            index = len(self.requests)
            self.requests.append(request)
            self.headers.append(headers)
            self.paths.append(path)
            if index < len(self.replies):
                return self.replies[index]
            return self.replies[-1] if self.repeat and self.replies else None

    def _wait(self, seconds: float) -> bool:
        """Sleep ``seconds``; ``False`` when the server closed meanwhile."""
        return not self._closing.wait(seconds) if seconds > 0 else True


class FakeOpenAIServer(FakeProviderServer):
    """A local OpenAI-compatible server: ``/v1/chat/completions`` and ``/v1/responses``.

    See `FakeProviderServer`; plain text replies to chat completions keep the
    shape they always had (``chatcmpl-fake-N`` ids, word-count usage).
    """

    format = "openai-chat"


class FakeAnthropicServer(FakeProviderServer):
    """A local Anthropic Messages server: ``POST /v1/messages``; see `FakeProviderServer`.

    `base_url` ends in ``/v1`` (what the gateway's routes take); the official
    SDK takes `root_url`.
    """

    format = "anthropic"


class FakeGeminiServer(FakeProviderServer):
    """A local Gemini server: ``/v1beta/models/{model}:generateContent`` and
    ``:streamGenerateContent``; see `FakeProviderServer`."""

    format = "gemini"
    prefix = "/v1beta"


class FakeCohereServer(FakeProviderServer):
    """A local Cohere server: ``POST /v2/chat`` (SSE when ``"stream": true``); see
    `FakeProviderServer`. `base_url` is the root (the gateway adds ``/v2/chat``)."""

    format = "cohere"
    prefix = ""


class FakeOllamaServer(FakeProviderServer):
    """A local Ollama server: ``POST /api/chat``, streamed as NDJSON lines unless the
    request says ``"stream": false`` (Ollama's default); see `FakeProviderServer`.
    `base_url` is the root (the gateway adds ``/api/chat``)."""

    format = "ollama"
    prefix = ""


class FakeBedrockServer(FakeProviderServer):
    """A local Bedrock runtime: ``POST /model/{modelId}/converse`` and
    ``/converse-stream`` (the binary ``application/vnd.amazon.eventstream``, as boto3
    reads it); see `FakeProviderServer`. `base_url` is the root."""

    format = "bedrock-converse"
    prefix = ""


_MEDIA = {
    "ollama": "application/x-ndjson",
    "bedrock-converse": "application/vnd.amazon.eventstream",
}
"""The media type of each format's stream (SSE for the others)."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many clients connecting at once (load tests) are queued, not reset

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) closes its socket; that is not an error.
        pass


def _handler(owner: FakeProviderServer) -> type[BaseHTTPRequestHandler]:
    return type("Handler", (_Handler,), {"owner": owner})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once, not 40 ms apart
    owner: FakeProviderServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read `requests` instead

    def do_POST(self) -> None:
        from aifkit.gateway._wire import error_body  # the gateway's: one table of error shapes

        owner = self.owner
        size = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(size)
        try:
            request: dict[str, Any] = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._send(400, error_body(owner.format, 400, "the body is not JSON"))
            return
        found = owner.route(self.path, request)
        if found is None:
            self._send(404, error_body(owner.format, 404, f"no route for POST {self.path}"))
            return
        fmt, stream = found
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = owner._next(request, headers, self.path)  # pyright: ignore[reportPrivateUsage]
        if reply is None:
            self._send(500, error_body(fmt, 500, f"{type(owner).__name__}: no scripted reply left"))
            return
        if not owner._wait(reply.delay):  # pyright: ignore[reportPrivateUsage]
            self.close_connection = True
            return
        self._answer(request, reply, fmt, stream)

    def _answer(self, request: dict[str, Any], reply: FakeReply, fmt: str, stream: bool) -> None:  # fmt: skip
        n = len(self.owner.requests)
        if reply.echo:
            text = f"{reply.content or ''}{_last_text(request, fmt)}"
            reply = dataclasses.replace(reply, content=text, echo=False)
        if reply.body is not None:
            self._send(reply.status, reply.body)
        elif reply.status != 200:
            from aifkit.gateway._wire import error_body

            extra = {"Retry-After": reply.retry_after} if reply.retry_after else {}
            if fmt == "bedrock-converse":  # AWS names the error's kind in a header
                extra["x-amzn-ErrorType"] = "ThrottlingException" if reply.status == 429 else "ValidationException"  # fmt: skip
            self._send(reply.status, error_body(fmt, reply.status, f"scripted status {reply.status}"), extra)  # fmt: skip
        elif stream:
            self._stream(_events(request, reply, n, fmt), fmt, reply.fault, reply.pace)
        elif reply.fault == "malformed":
            self._raw(200, b'{"this is": not json', "application/json")
        elif fmt == "openai-chat" and reply.tool_call is None:
            self._send(200, _completion(request, reply.content, n))
        else:
            from aifkit.aif import encode_response

            response = _response(request, reply, n, fmt)
            self._send(200, encode_response(response, fmt)[0])

    def _send(self, status: int, body: dict[str, Any], extra: dict[str, str] | None = None) -> None:  # fmt: skip
        self._raw(status, json.dumps(body).encode(), "application/json", extra)

    def _raw(self, status: int, data: bytes, kind: str, extra: dict[str, str] | None = None) -> None:  # fmt: skip
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _stream(
        self, events: list[StreamEvent], fmt: str, fault: str | None, pace: float = 0.0
    ) -> None:
        from aifkit.aif import encode_stream

        encoder = encode_stream(fmt)
        self.send_response(200)
        self.send_header("Content-Type", _MEDIA.get(fmt, "text/event-stream"))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if fault == "cut":
            events = events[: max(1, len(events) // 2)]
        for i, event in enumerate(events):
            if fault == "malformed" and i == 2:
                self.wfile.write(_MALFORMED.get(fmt, b"data: {not json\n\n"))
                break
            self.wfile.write(encoder.encode(event))
            self.wfile.flush()
            if pace and not self.owner._wait(pace):  # pyright: ignore[reportPrivateUsage]
                return
        else:
            if fault != "cut":
                self.wfile.write(encoder.close())


_MALFORMED = {"ollama": b"{not json\n", "bedrock-converse": b"\x00\x00\x00\x20" + bytes(28)}
"""A broken event in each framing (Bedrock's: a message whose prelude CRC is wrong)."""


def _last_text(request: dict[str, Any], fmt: str) -> str:
    from aifkit.aif import TextPart, decode

    document, _ = decode(request, fmt)
    if not document.messages:
        return ""
    return "".join(p.text for p in document.messages[-1].parts if isinstance(p, TextPart))


def _words(request: dict[str, Any]) -> int:
    items: Any = request.get("messages") or request.get("contents") or request.get("input") or []
    return sum(len(str(m).split()) for m in items) if isinstance(items, list) else len(str(items).split())  # fmt: skip  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]


_PROVIDERS = {
    "anthropic": "anthropic",
    "gemini": "google",
    "bedrock-converse": "bedrock-converse",
    "cohere": "cohere",
    "ollama": "ollama",
}


def _response(request: dict[str, Any], reply: FakeReply, n: int, fmt: str) -> Response:
    from aifkit.aif import (
        Message,
        ReasoningPart,
        ReasoningScope,
        Response,
        TextPart,
        ToolCallPart,
        Usage,
    )

    if reply.tool_call is not None:
        name, args = reply.tool_call
        part: Any = ToolCallPart(id=f"call_fake_{n}", name=name, arguments=args)
        finish = "tool_calls"
    else:
        part, finish = TextPart(text=reply.content or ""), "stop"
    out = len((reply.content or "").split()) + (3 if reply.tool_call else 0)
    parts: tuple[Any, ...] = (part,)
    if reply.reasoning is not None:
        scope = ReasoningScope(provider=_PROVIDERS.get(fmt, "openai"))
        thought = ReasoningPart(text=reply.reasoning, signature=f"sig-fake-{n}", valid_for=scope)
        parts = (thought, part)
    return Response(
        id=f"fake-{n}",
        model=str(request.get("model") or "fake-model"),
        message=Message(role="assistant", parts=parts),
        finish_reason=finish,
        usage=Usage(input_tokens=_words(request), output_tokens=out),
        created_at=None,
    )


def _events(request: dict[str, Any], reply: FakeReply, n: int, fmt: str) -> list[StreamEvent]:
    from aifkit.aif import PartDelta, PartEnd, PartStart, ReasoningScope, ResponseEnd, ResponseStart

    response = _response(request, reply, n, fmt)
    out: list[StreamEvent] = [ResponseStart(id=response.id, model=response.model, created=int(time.time()))]  # fmt: skip
    first = 0
    if reply.reasoning is not None:
        sig = f"sig-fake-{n}"
        scope = ReasoningScope(provider=_PROVIDERS.get(fmt, "openai"), model=response.model)
        out += [PartStart(0, "reasoning"), PartDelta(0, reply.reasoning), PartDelta(0, "", signature=sig, valid_for=scope), PartEnd(0)]  # fmt: skip
        first = 1
    if reply.tool_call is not None:
        name, args = reply.tool_call
        text = json.dumps(args)
        half = len(text) // 2
        out += [PartStart(first, "tool_call", id=f"call_fake_{n}", name=name), PartDelta(first, text[:half]), PartDelta(first, text[half:])]  # fmt: skip
    else:
        words = (reply.content or "").split(" ")
        out += [PartStart(first, "text")]
        out += [PartDelta(first, w if i == 0 else " " + w) for i, w in enumerate(words)]
    out += [PartEnd(first), ResponseEnd(response.finish_reason, None, response.usage)]
    return out


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
