"""The ASGI app: provider endpoints in front of the routes, and the gateway's own views."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aifkit._json import quote
from aifkit.errors import AifkitError, MissingDependencyError, UsageError
from aifkit.gateway._config import GatewayConfig
from aifkit.gateway._exchange import (
    Prepared,
    Upstream,
    add_usage,
    convert_reply,
    include_usage,
    prepare,
    price,
    translate,
    upstream_error,
    write_reply,
)
from aifkit.gateway._ledger import GatewayLedger, RequestRecord
from aifkit.gateway._metrics import Metrics
from aifkit.gateway._sessions import Sessions
from aifkit.gateway._wire import (
    client_key,
    error_body,
    stream_codec,
    upstream_headers,
    upstream_url,
)

if TYPE_CHECKING:
    import httpx2
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

    from aifkit.aif import Response as AifResponse
    from aifkit.aif import Usage
    from aifkit.budget import ElisionStore
    from aifkit.gateway._expand import DropExpandCalls

__all__ = ["create_app"]

_T = TypeVar("_T")


class _Reject(Exception):
    """Answer the client with an error in its format."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


class _Gateway:
    def __init__(
        self,
        config: GatewayConfig,
        transport: httpx2.AsyncBaseTransport | None,
        environ: Mapping[str, str],
    ) -> None:
        self.config = config
        self.transport = transport
        self.ledger = GatewayLedger(config.ledger or ":memory:")
        self.metrics = Metrics()
        self.sessions = Sessions(config.sessions) if config.sessions else None
        self.elisions: ElisionStore | None = None
        if config.elision_store is not None:
            from aifkit.budget import ElisionStore

            self.elisions = ElisionStore(config.elision_store)
        self.keys: list[str | None] = []
        for i, route in enumerate(config.routes):
            if route.api_key_env is None:
                self.keys.append(None)
            elif route.api_key_env in environ:
                self.keys.append(environ[route.api_key_env])
            else:
                raise UsageError(
                    f"route {i} reads its upstream key from ${route.api_key_env}, which is not set",
                    hint=f"export {route.api_key_env}=..., or drop api_key_env "
                    "to pass clients' keys through",
                )
        self.client: httpx2.AsyncClient | None = None
        self.inject: str | None = None  # a test hook: make aifkit fail at this step

    def http(self) -> httpx2.AsyncClient:
        if self.client is None:
            import socket

            import httpx2

            # TCP_NODELAY: a request's headers and body leave at once, not a delayed ACK apart.
            nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
            self.client = httpx2.AsyncClient(
                transport=self.transport or httpx2.AsyncHTTPTransport(socket_options=nodelay),
                timeout=httpx2.Timeout(600.0, connect=10.0),
                limits=httpx2.Limits(max_connections=512, max_keepalive_connections=128),
            )
        return self.client

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()
            self.client = None

    def finish(
        self,
        rec: RequestRecord,
        started: float,
        counter: str | None = None,
        elided: Mapping[str, str] | None = None,
    ) -> None:
        rec.latency_ms = (time.perf_counter() - started) * 1000
        if elided and self.elisions is not None:
            try:
                self.elisions.save(elided)
            except AifkitError as exc:  # the reply has gone out: record, do not fail
                rec.error = rec.error or f"keeping the elided texts failed: {exc}"
        if counter is not None and rec.status == 200:
            price(rec, counter)
        if not self.config.keep_reports:
            rec.reports = {}
        self.ledger.record(rec)
        self.metrics.observe(rec)
        if rec.error and rec.status < 400:
            self.metrics.errors.inc()


def create_app(
    config: GatewayConfig,
    *,
    transport: httpx2.AsyncBaseTransport | None = None,
    environ: Mapping[str, str] | None = None,
) -> Starlette:
    """Return the gateway as an ASGI app (Starlette), to serve or to mount.

    Args:
        config: Routes and settings.
        transport: The HTTP transport to reach upstreams with (tests pass an
            ``httpx2.MockTransport`` or ``ASGITransport``); default: the network.
        environ: Where ``api_key_env`` names are looked up; default ``os.environ``,
            read once, here.

    Raises:
        MissingDependencyError: the ``gateway`` extra is not installed.
        UsageError: a route's key variable is not set.

    Examples:
        >>> from aifkit.gateway import GatewayConfig
        >>> app = create_app(GatewayConfig.single("http://127.0.0.1:9/v1"))
        >>> sorted(r.path for r in app.routes)[:3]
        ['/metrics', '/requests/{id}', '/stats']
    """
    try:
        from starlette.applications import Starlette
        from starlette.routing import Route as Path
    except ImportError:
        raise MissingDependencyError("starlette", "gateway") from None
    gw = _Gateway(config, transport, os.environ if environ is None else environ)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncGenerator[None]:
        gw.http()
        yield
        await gw.aclose()

    def endpoint(fmt: str) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            return await _handle(gw, request, fmt)

        return handle

    routes = [
        Path("/v1/chat/completions", endpoint("openai-chat"), methods=["POST"]),
        Path("/v1/responses", endpoint("openai-responses"), methods=["POST"]),
        Path("/v1/messages", endpoint("anthropic"), methods=["POST"]),
        Path("/v1/messages/count_tokens", _count_endpoint(gw), methods=["POST"]),
        Path("/v1/models", _models_endpoint(gw), methods=["GET"]),
        Path("/stats", _stats_endpoint(gw), methods=["GET"]),
        Path("/metrics", _metrics_endpoint(gw), methods=["GET"]),
        Path("/requests/{id}", _request_endpoint(gw), methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.gateway = gw
    return app


def _json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    from starlette.responses import Response

    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(data, status, headers=dict(headers or {}), media_type="application/json")


_MEDIA = (b'"image', b"image_url", b'"file', b'"audio', b"input_audio", b"inline", b"document")


async def _read(gw: _Gateway, request: Request, fmt: str) -> tuple[dict[str, Any], bytes, int]:
    """The JSON body, its bytes, and its size in bytes (negative when it carries media:
    then the size bounds nothing about its tokens)."""
    keys = gw.config.keys
    if keys and client_key(request.headers) not in keys:
        raise _Reject(401, "a valid gateway key is required", "invalid_api_key")
    limit = gw.config.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _Reject(413, f"the request body is over the gateway's limit of {limit} bytes")
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _Reject(413, f"the request body is over the gateway's limit of {limit} bytes")
        parts.append(chunk)
    raw = b"".join(parts)
    from aifkit.aif._codec import parse_json

    try:  # strict: a lone surrogate, NaN or deep nesting is refused here, not met downstream
        body = parse_json(raw, max_bytes=limit)
    except AifkitError as exc:
        raise _Reject(400, f"the request body is not JSON aifkit reads: {exc}") from None
    if not isinstance(body, dict):
        raise _Reject(400, "the request body must be a JSON object")
    size = -len(raw) if any(m in raw for m in _MEDIA) else len(raw)
    return cast("dict[str, Any]", body), raw, size


_MODEL_CHARS = 256
"""The longest model name the gateway passes on (the longest provider's is under 100)."""


def _target(gw: _Gateway, body: Mapping[str, Any]) -> Upstream:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _Reject(400, "the request names no model (/model)")
    if len(model) > _MODEL_CHARS or not model.isprintable():
        raise _Reject(400, f"/model: {quote(model)} is not a model name (printable, at most {_MODEL_CHARS} characters)")  # fmt: skip
    for i, route in enumerate(gw.config.routes):
        name = gw.config.resolve(model)
        if route.matches(name):
            return Upstream(route, i, route.model or name, gw.keys[i])
    raise _Reject(404, f"no route serves model {model!r}", "model_not_found")


async def _handle(gw: _Gateway, request: Request, fmt: str) -> Response:
    started = time.perf_counter()
    rec = RequestRecord(id=f"aifreq_{uuid.uuid4().hex}", started=time.time(), client_format=fmt)
    headers = {"x-aif-request-id": rec.id}
    counter: str | None = None
    elided: Mapping[str, str] = {}  # what the pack left out: kept in the elision store, if any
    try:
        body, raw, size = await _read(gw, request, fmt)
        rec.model = str(body.get("model"))
        target = _target(gw, body)
        counter = target.route.count_as or target.model
        rec.route, rec.upstream_model, rec.upstream_format = target.index, target.model, target.route.format  # fmt: skip
        rec.stream = body.get("stream") is True
        prepared = await _prepare(gw, body, fmt, target, rec, size)
        elided = prepared.fitted.elided
        headers["x-aif-tokens-saved"] = str(rec.tokens_saved)
        key = target.key if target.route.api_key_env else _passed_key(gw, request)
        up_headers = upstream_headers(target.route.format, key, request.headers)
        url = upstream_url(target.route.format, target.route.upstream, target.model, stream=rec.stream)  # fmt: skip
        # A body that passes unchanged goes on as the client's bytes: not written again.
        data = raw if prepared.unchanged else json.dumps(prepared.body, separators=(",", ":"), ensure_ascii=False).encode()  # fmt: skip
        if rec.stream:
            return await _stream(gw, request, rec, target, url, up_headers, data, body, headers, started, key, prepared)  # fmt: skip
        response = await _forward(
            gw, request, rec, target, url, up_headers, data, headers, key, prepared
        )
    except _Reject as exc:
        rec.status = exc.status
        rec.error = rec.error or exc.message
        response = _json(error_body(fmt, exc.status, exc.message, exc.code), exc.status, headers)
    if rec.ttfb_ms is None:
        rec.ttfb_ms = (time.perf_counter() - started) * 1000
    from starlette.background import BackgroundTask

    # Priced and recorded after the reply has gone out, off the client's latency.
    response.background = BackgroundTask(gw.finish, rec, started, counter, elided)
    return response


def _passed_key(gw: _Gateway, request: Request) -> str | None:
    # With gateway keys, the client's key is a gateway key: it is not passed on.
    return None if gw.config.keys else client_key(request.headers)


async def _prepare(
    gw: _Gateway,
    body: dict[str, Any],
    fmt: str,
    target: Upstream,
    rec: RequestRecord,
    size: int,
) -> Prepared:
    bound = size if size >= 0 else None

    def run() -> Prepared:
        p = prepare(body, client_format=fmt, upstream=target, stream=rec.stream, config=gw.config, inject=gw.inject, bound=bound, sessions=gw.sessions)  # fmt: skip
        rec.error = p.error
        rec.tokens_before = p.fitted.tokens_before
        rec.tokens_saved = p.fitted.saved
        if p.fitted.report is not None:
            rec.reports["pack"] = p.fitted.report
        if p.fitted.note is not None:
            rec.reports["note"] = p.fitted.note
        if p.losses:
            rec.reports["request_losses"] = p.losses
        return p

    try:
        return await _off_loop(gw, abs(size), run)
    except AifkitError as exc:
        raise _Reject(400, f"aifkit could not prepare the request: {exc}", "aifkit_error") from None
    except Exception as exc:
        raise _Reject(400, f"aifkit failed on the request: {type(exc).__name__}: {exc}", "aifkit_error") from None  # fmt: skip


async def _forward(
    gw: _Gateway,
    request: Request,
    rec: RequestRecord,
    target: Upstream,
    url: str,
    up_headers: dict[str, str],
    data: bytes,
    headers: dict[str, str],
    key: str | None,
    prepared: Prepared,
) -> Response:
    from starlette.responses import Response

    elided: Mapping[str, str] = prepared.fitted.elided if target.route.expand else {}
    body = prepared.body
    spent: list[Usage | None] = []  # the usage of the rounds answered here
    rounds: list[dict[str, Any]] = []

    def settle() -> None:  # after the last reply's usage is in: add the earlier rounds'
        for usage in spent:
            add_usage(rec, usage)
        if rounds:
            rec.reports["expand"] = {"rounds": rounds, "answered": len(rounds)}

    while True:
        try:
            reply = await _post(request, gw, target, url, up_headers, data)
        except _Reject:  # a timeout or an unreachable upstream, in any round
            settle()
            raise
        if reply is None:
            rec.status, rec.error = 499, "the client closed the connection"
            settle()
            return Response(status_code=499)
        rec.upstream_calls += 1
        if reply.status_code != 200:
            settle()
            return _upstream_failed(rec, reply.status_code, reply.content, reply.headers, headers, key)  # fmt: skip
        if not elided:
            break
        answer = len(rounds) < target.route.expand_rounds
        try:
            turn = await _off_loop(gw, len(data), _expand_turn, reply.content, body, target, elided, answer)  # fmt: skip
        except (AifkitError, ValueError) as exc:  # the reply goes to the client as it came
            rec.error = f"answering aif_expand failed: {type(exc).__name__}: {exc}"
            break
        if turn is None:  # no aif_expand calls (or a reply the client's path will judge)
            break
        if turn.body is None:  # the rounds are used up: the client gets the rest of the reply
            settle()
            rest = _left(rec, turn.response, target.route.expand_rounds)
            out = write_reply(rest, client_format=rec.client_format, rec=rec)
            rec.status = 200
            return Response(out, 200, headers=headers, media_type="application/json")
        body = turn.body
        spent.append(turn.response.usage)
        usage = turn.response.usage
        rounds.append({**(turn.report or {}), "output_tokens": usage.output_tokens if usage else None})  # fmt: skip
        data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    try:
        out = convert_reply(
            reply.content,
            upstream_format=target.route.format,
            client_format=rec.client_format,
            rec=rec,
        )
    except (AifkitError, ValueError) as exc:
        settle()
        raise _Reject(502, f"the upstream's reply is malformed: {exc}", "upstream_malformed") from None  # fmt: skip
    settle()
    rec.status = 200
    return Response(out, 200, headers=headers, media_type="application/json")


@dataclasses.dataclass(frozen=True, slots=True)
class _Turn:
    """An upstream reply that called ``aif_expand``, and the next round's body if answered."""

    response: AifResponse
    body: dict[str, Any] | None = None
    report: dict[str, Any] | None = None


def _expand_turn(
    raw: bytes, body: dict[str, Any], target: Upstream, elided: Mapping[str, str], answer: bool
) -> _Turn | None:
    """The reply ``raw`` when it calls ``aif_expand`` (answered when ``answer``); else None."""
    from aifkit.aif import decode_response
    from aifkit.gateway._expand import continued, expand_calls

    try:
        response, _ = decode_response(json.loads(raw), target.route.format)
    except (AifkitError, ValueError):
        return None
    if not expand_calls(response):
        return None
    if not answer:
        return _Turn(response)
    nxt, report = continued(body, target.route.format, target.model, response, elided, stream=False)  # fmt: skip
    return _Turn(response, nxt, report)


def _left(rec: RequestRecord, response: AifResponse, rounds: int) -> AifResponse:
    """What the client may see of a reply still calling ``aif_expand`` after the last round.

    Its ``aif_expand`` calls are left out (the client never declared the tool).

    Raises:
        _Reject: nothing else is in it: the client is answered 502.
    """
    from aifkit.gateway._expand import EXHAUSTED, EXPAND_TOOL, expand_calls, stripped

    expand = rec.reports.setdefault("expand", {"rounds": [], "answered": 0})
    expand["unanswered"] = len(expand_calls(response))
    rest = stripped(response)
    if rest is None:
        add_usage(rec, response.usage)
        raise _Reject(502, f"the model still called only {EXPAND_TOOL} after {rounds} answered round(s) (the route's expand_rounds); it gave no answer to pass on", EXHAUSTED)  # fmt: skip
    return rest


async def _off_loop(gw: _Gateway, size: int, fn: Callable[..., _T], *args: Any) -> _T:
    """Run ``fn`` in a worker thread for a large body (as packing is), inline for a small one."""
    if gw.config.thread_threshold and size >= gw.config.thread_threshold:
        import anyio.to_thread

        return await anyio.to_thread.run_sync(functools.partial(fn, *args))
    return fn(*args)


async def _post(
    request: Request,
    gw: _Gateway,
    target: Upstream,
    url: str,
    up_headers: dict[str, str],
    data: bytes,
) -> httpx2.Response | None:
    """POST ``data`` upstream; None when the client hung up first (which cancels the call)."""
    import httpx2

    result: list[httpx2.Response] = []
    failed: list[_Reject] = []

    async def call() -> None:
        try:
            result.append(
                await gw.http().post(
                    url, content=data, headers=up_headers, timeout=target.route.timeout
                )
            )
        except httpx2.TimeoutException:
            failed.append(_Reject(504, "the upstream did not answer in time", "upstream_timeout"))
        except httpx2.RequestError as exc:
            failed.append(_Reject(502, f"cannot reach the upstream: {type(exc).__name__}", "upstream_unreachable"))  # fmt: skip

    async def watch() -> None:  # a client that hangs up cancels the upstream call
        while (await request.receive())["type"] != "http.disconnect":
            pass

    await _race(call, watch)
    if failed:
        raise failed[0]
    return result[0] if result else None


async def _race(
    first: Callable[[], Awaitable[None]], second: Callable[[], Awaitable[None]]
) -> None:
    """Run both until either returns, then cancel the other.

    On asyncio (uvicorn's loop) with plain tasks: an anyio task group costs about
    100 µs a request, tasks about 15; another event loop gets the task group.
    """
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:  # another event loop (trio): anyio's task group
        import anyio

        async def then_stop(f: Callable[[], Awaitable[None]]) -> None:
            await f()
            tg.cancel_scope.cancel()

        async with anyio.create_task_group() as tg:
            tg.start_soon(then_stop, first)
            tg.start_soon(then_stop, second)
        return
    tasks = [asyncio.ensure_future(first()), asyncio.ensure_future(second())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        # Let the cancelled one finish (closing its connection); a task's own error
        # is raised here, as the task group would raise it.
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _upstream_failed(
    rec: RequestRecord,
    status: int,
    raw: bytes,
    upstream_headers: Mapping[str, str],
    headers: dict[str, str],
    key: str | None,
) -> Response:
    status, body = upstream_error(rec.client_format, status, raw, key)
    rec.status = status
    rec.error = str(body)[:500]
    retry = upstream_headers.get("retry-after")
    if retry is not None:
        headers["retry-after"] = retry
    return _json(body, status, headers)


async def _stream(
    gw: _Gateway,
    request: Request,
    rec: RequestRecord,
    target: Upstream,
    url: str,
    up_headers: dict[str, str],
    data: bytes,
    body: Mapping[str, Any],
    headers: dict[str, str],
    started: float,
    key: str | None,
    prepared: Prepared,
) -> Response:

    send = functools.partial(_open_stream, gw, rec, target, url, up_headers)
    elided = prepared.fitted.elided
    reply = await send(data)
    chunks: AsyncIterator[bytes] = reply.aiter_raw()
    spent: list[Usage | None] = []  # the usage of the rounds answered here
    edit: DropExpandCalls | None = None  # cuts aif_expand calls the client must not see
    if reply.status_code == 200 and target.route.expand and elided:
        reply, chunks, edit = await _stream_expand(gw, rec, target, prepared, reply, chunks, send, spent)  # fmt: skip
    if reply.status_code != 200:
        raw = await reply.aread()
        await reply.aclose()
        for usage in spent:
            add_usage(rec, usage)
        return _upstream_failed(rec, reply.status_code, raw, reply.headers, headers, key)
    rec.status = 200
    import anyio.to_thread

    counter = target.route.count_as or target.model
    state = {"closed": False}

    async def close() -> None:
        if state["closed"]:
            return
        state["closed"] = True
        with anyio.CancelScope(shield=True):  # runs to the end even while being cancelled
            for usage in spent:  # after the last round's usage is in
                add_usage(rec, usage)
            if edit is not None and edit.cut:
                rec.reports.setdefault("expand", {"rounds": [], "answered": 0})["unanswered"] = edit.cut  # fmt: skip
            await reply.aclose()  # closes the upstream connection: the upstream stops too
            # Pricing and the ledger's SQLite write stay off the event loop, as they do for
            # non-streamed replies (a BackgroundTask runs them in the threadpool).
            await anyio.to_thread.run_sync(gw.finish, rec, started, counter, elided)

    ended: list[bool] = []

    async def frames() -> AsyncIterator[bytes]:
        try:
            async for out in translate(
                chunks,
                upstream_format=target.route.format,
                client_format=rec.client_format,
                include_usage=include_usage(body),
                rec=rec,
                started=started,
                ended=ended,
                edit=edit,
            ):
                yield out
        except BaseException:  # the client went away (cancelled) or the gateway stops
            if not ended:  # after the reply's end, the client had it all (SDKs stop at [DONE])
                rec.status, rec.error = 499, rec.error or "the client closed the stream"
            raise
        finally:
            await close()

    async def unstarted() -> None:  # the client left before the stream began
        if not state["closed"]:
            rec.status, rec.error = 499, rec.error or "the client closed the stream"
            await close()

    headers["cache-control"] = "no-cache"
    return _streaming(frames(), unstarted, headers=headers, media_type="text/event-stream")


async def _open_stream(
    gw: _Gateway,
    rec: RequestRecord,
    target: Upstream,
    url: str,
    up_headers: dict[str, str],
    content: bytes,
) -> httpx2.Response:
    """Send one streamed request upstream; its reply, whatever its status."""
    import httpx2

    client = gw.http()
    req = client.build_request("POST", url, content=content, headers=up_headers, timeout=target.route.timeout)  # fmt: skip
    try:
        reply = await client.send(req, stream=True)
    except httpx2.TimeoutException:
        raise _Reject(504, "the upstream did not answer in time", "upstream_timeout") from None
    except httpx2.RequestError as exc:
        raise _Reject(502, f"cannot reach the upstream: {type(exc).__name__}", "upstream_unreachable") from None  # fmt: skip
    rec.upstream_calls += 1
    return reply


async def _stream_expand(
    gw: _Gateway,
    rec: RequestRecord,
    target: Upstream,
    prepared: Prepared,
    reply: httpx2.Response,
    chunks: AsyncIterator[bytes],
    send: Callable[[bytes], Awaitable[httpx2.Response]],
    spent: list[Usage | None],
) -> tuple[httpx2.Response, AsyncIterator[bytes], DropExpandCalls | None]:
    """Answer streamed rounds that call ``aif_expand``; return the reply for the client.

    Each round's stream is read until it is known whether it must be answered
    here (`aifkit.gateway._expand.peek`); the reply that goes to the client is
    returned with the chunks read from it put back in front, and, when it may still
    call ``aif_expand``, the edit that cuts those calls out of the client's stream.
    """
    from aifkit.gateway._expand import DropExpandCalls, chain, continued, expand_calls, peek

    fmt, body = target.route.format, prepared.body
    rounds: list[dict[str, Any]] = []
    while True:
        read, response = await peek(chunks, stream_codec(fmt))
        if response is not None and not expand_calls(response):  # read whole: nothing to cut
            return reply, chain(read, chunks), None
        if response is None or len(rounds) >= target.route.expand_rounds:
            if response is not None:  # the rounds are used up
                try:
                    _left(rec, response, target.route.expand_rounds)
                except _Reject:  # nothing else in the reply: no stream begins
                    await reply.aclose()
                    for usage in spent:
                        add_usage(rec, usage)
                    raise
            return reply, chain(read, chunks), DropExpandCalls()
        await reply.aclose()
        try:
            body, report = await _off_loop(gw, len(read), functools.partial(continued, stream=True), body, fmt, target.model, response, prepared.fitted.elided)  # fmt: skip
        except (AifkitError, ValueError) as exc:
            raise _Reject(502, f"answering aif_expand failed: {type(exc).__name__}: {exc}", "aifkit_error") from None  # fmt: skip
        spent.append(response.usage)
        out = response.usage.output_tokens if response.usage else None
        rounds.append({**report, "output_tokens": out})
        rec.reports["expand"] = {"rounds": rounds, "answered": len(rounds)}
        reply = await send(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode())
        chunks = reply.aiter_raw()
        if reply.status_code != 200:
            return reply, chunks, None


@functools.cache
def _stream_class() -> type[Any]:  # built on first use: Starlette loads lazily
    from starlette.responses import StreamingResponse

    class Stream(StreamingResponse):
        """A streaming response that closes its upstream even if it never began."""

        def __init__(
            self, frames: AsyncIterator[bytes], cleanup: Callable[[], Awaitable[None]], **kw: Any
        ) -> None:
            super().__init__(frames, **kw)
            self.cleanup = cleanup

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            try:
                await super().__call__(scope, receive, send)
            finally:
                await self.cleanup()

    return Stream


def _streaming(
    frames: AsyncIterator[bytes], cleanup: Callable[[], Awaitable[None]], **kw: Any
) -> Response:
    return cast("Response", _stream_class()(frames, cleanup, **kw))


def _count_endpoint(gw: _Gateway) -> Callable[[Request], Awaitable[Response]]:
    async def count(request: Request) -> Response:
        from aifkit.tokens import count_tokens

        try:
            body, _, _ = await _read(gw, request, "anthropic")
            target = _target(gw, body)
            counter = target.route.count_as or target.model
            import anyio.to_thread

            count_body = functools.partial(count_tokens, body, format="anthropic", model=counter)
            total = (await anyio.to_thread.run_sync(count_body)).total  # CPU work: off the loop
        except _Reject as exc:
            return _json(error_body("anthropic", exc.status, exc.message), exc.status)
        except AifkitError as exc:
            return _json(error_body("anthropic", 400, str(exc)), 400)
        return _json({"input_tokens": total})

    return count


def _denied(gw: _Gateway, request: Request) -> Response | None:
    # With gateway keys, the gateway's own views need a key too: they show usage.
    if gw.config.keys and client_key(request.headers) not in gw.config.keys:
        body = {"error": {"message": "a valid gateway key is required", "type": "authentication_error"}}  # fmt: skip
        return _json(body, 401)
    return None


def _models_endpoint(gw: _Gateway) -> Callable[[Request], Awaitable[Response]]:
    async def models(request: Request) -> Response:
        if (denied := _denied(gw, request)) is not None:
            return denied
        names: list[str] = list(gw.config.aliases)
        for route in gw.config.routes:
            names += [m for m in route.models if not any(c in m for c in "*?[")]
        names = list(dict.fromkeys(names))
        if "anthropic-version" in request.headers:
            data = [
                {"type": "model", "id": n, "display_name": n, "created_at": "1970-01-01T00:00:00Z"}
                for n in names
            ]
            first = names[0] if names else None
            last = names[-1] if names else None
            return _json({"data": data, "has_more": False, "first_id": first, "last_id": last})
        data = [{"id": n, "object": "model", "created": 0, "owned_by": "aifkit"} for n in names]
        return _json({"object": "list", "data": data})

    return models


def _stats_endpoint(gw: _Gateway) -> Callable[[Request], Awaitable[Response]]:
    async def stats(request: Request) -> Response:
        if (denied := _denied(gw, request)) is not None:
            return denied
        import anyio.to_thread

        # ?usage=true adds the usage summary aif usage prints: it prices every answered
        # request again (genai-prices, ~0.2 ms each), so it is asked for, not default.
        full = request.query_params.get("usage", "").lower() in ("1", "true", "yes")
        view = gw.ledger.summary if full else gw.ledger.stats
        return _json(await anyio.to_thread.run_sync(view))  # SQLite: off the loop

    return stats


def _metrics_endpoint(gw: _Gateway) -> Callable[[Request], Awaitable[Response]]:
    async def metrics(request: Request) -> Response:
        if (denied := _denied(gw, request)) is not None:
            return denied
        from starlette.responses import Response

        return Response(gw.metrics.render(), media_type="text/plain; version=0.0.4")

    return metrics


def _request_endpoint(gw: _Gateway) -> Callable[[Request], Awaitable[Response]]:
    async def one(request: Request) -> Response:
        if (denied := _denied(gw, request)) is not None:
            return denied
        import anyio.to_thread

        rec = await anyio.to_thread.run_sync(gw.ledger.get, request.path_params["id"])
        if rec is None:
            return _json({"error": {"message": "no such request", "type": "not_found_error"}}, 404)
        return _json(dataclasses.asdict(rec))

    return one
