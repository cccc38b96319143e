"""One request through the gateway: prepare the upstream body, call it, answer the client.

`prepare` runs the route's context policy and converts the body (synchronous;
the app runs it in a worker thread for large bodies). `forward` and `stream`
call the upstream with the app's shared HTTP client and answer in the client's
format: a reply converted whole, or a stream translated event by event.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from aifkit.gateway._config import GatewayConfig, Route
from aifkit.gateway._ledger import RequestRecord
from aifkit.gateway._policy import Fitted, apply_policy
from aifkit.gateway._sessions import Sessions
from aifkit.gateway._wire import error_body, error_message, set_stream, stream_codec

if TYPE_CHECKING:
    from aifkit.aif import Response, StreamEvent, Usage

__all__ = ["Prepared", "Upstream", "prepare", "usage_into", "write_reply"]


@dataclass(slots=True)
class Prepared:
    """The body to send upstream, and what was done to make it."""

    body: dict[str, Any]
    fitted: Fitted
    losses: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    error: str | None = None
    unchanged: bool = False
    """The body is the client's, as it came: its bytes can go upstream as they are."""


@dataclass(frozen=True, slots=True)
class Upstream:
    """Where one request goes."""

    route: Route
    index: int
    model: str
    key: str | None


class InternalFailure(Exception):
    """Raised by the test hook to prove the gateway fails open."""


def prepare(
    body: dict[str, Any],
    *,
    client_format: str,
    upstream: Upstream,
    stream: bool,
    config: GatewayConfig,
    inject: str | None = None,
    bound: int | None = None,
    sessions: Sessions | None = None,
) -> Prepared:
    """Fit ``body`` to the route's policy and write it in the upstream's format.

    When aifkit fails (counting, packing or converting) and the gateway fails
    open, the original body goes on (converted when the formats differ, unpacked)
    and the failure is kept in ``error``; with ``fail_open`` off it raises.
    """
    route = upstream.route
    error: str | None = None
    try:
        if inject == "policy":
            raise InternalFailure("injected failure in the context policy")
        fitted = apply_policy(body, format=client_format, route=route, model=upstream.model, bound=bound, sessions=sessions)  # fmt: skip
    except Exception as exc:
        if not config.fail_open:
            raise
        error = f"context policy failed: {type(exc).__name__}: {exc}"
        fitted = Fitted(body)
    sent = fitted.body
    if route.expand and fitted.elided:  # added before the one conversion, in the client's format
        from aifkit.gateway._expand import with_tool

        try:
            sent = with_tool(sent, client_format)
        except Exception as exc:
            if not config.fail_open:
                raise
            error = f"adding the aif_expand tool failed: {type(exc).__name__}: {exc}"
    out, losses = _convert(sent, client_format, route.format, upstream.model, inject)
    unchanged = fitted.body is body and body.get("model") == upstream.model
    if client_format != route.format:
        unchanged = False
        set_stream(route.format, out, stream=stream)
    elif stream and client_format == "openai-chat" and not include_usage(body):
        # Ask for the usage chunk the client did not ask for (the ledger needs it);
        # `translate` re-encodes this stream without it.
        out["stream_options"] = {**out.get("stream_options", {}), "include_usage": True}
        unchanged = False
    return Prepared(out, fitted, losses, error, unchanged)


def _convert(
    body: dict[str, Any], source: str, target: str, model: str, inject: str | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if source == target:
        out = dict(body)
        out["model"] = model
        return out, []
    from aifkit.aif import EncodeOptions, convert

    if inject == "convert":
        raise InternalFailure("injected failure in the request conversion")
    from aifkit.gateway._expand import place_model

    converted = convert(body, source=source, target=target, options=EncodeOptions(model=model))
    out = place_model(cast("dict[str, Any]", converted.body), target, model)
    return out, [e.to_json() for e in converted.report]


def usage_into(rec: RequestRecord, usage: Usage | None) -> None:
    """Copy a reply's usage into its record (fields the reply leaves out stay)."""
    if usage is None:
        return
    rec.input_tokens = usage.input_tokens or rec.input_tokens
    rec.output_tokens = usage.output_tokens or rec.output_tokens
    rec.cache_read_tokens = usage.cache_read_tokens or rec.cache_read_tokens
    rec.cache_write_tokens = usage.cache_write_tokens or rec.cache_write_tokens
    rec.reasoning_tokens = usage.reasoning_tokens or rec.reasoning_tokens


def add_usage(rec: RequestRecord, usage: Usage | None) -> None:
    """Add a reply's usage to its record (the earlier rounds of one request)."""
    if usage is None:
        return
    rec.input_tokens += usage.input_tokens or 0
    rec.output_tokens += usage.output_tokens or 0
    rec.cache_read_tokens += usage.cache_read_tokens or 0
    rec.cache_write_tokens += usage.cache_write_tokens or 0
    rec.reasoning_tokens += usage.reasoning_tokens or 0


def price(rec: RequestRecord, counter: str) -> None:
    """Set the record's cost from genai-prices, when the model has a price."""
    from aifkit.errors import AifkitError
    from aifkit.tokens import get_model

    try:
        info = get_model(counter)
        uncached = max(0, rec.input_tokens - rec.cache_read_tokens - rec.cache_write_tokens)
        rec.cost = float(
            info.cost(
                uncached,
                rec.output_tokens,
                cache_read_tokens=rec.cache_read_tokens,
                cache_write_tokens=rec.cache_write_tokens,
            )
        )
        if rec.tokens_saved:
            rec.cost_saved = float(info.cost(rec.tokens_saved))
    except (AifkitError, LookupError, ValueError):
        rec.cost = None


def upstream_error(
    client_format: str, status: int, raw: bytes, key: str | None
) -> tuple[int, dict[str, Any]]:
    """Restate an upstream's error response in the client's format."""
    try:
        message = error_message(json.loads(raw))
    except ValueError:
        message = None
    text = message or raw[:200].decode("utf-8", "replace").strip() or "no body"
    if key:
        text = text.replace(key, "***")
    return status, error_body(client_format, status, f"upstream answered {status}: {text}", "upstream_error")  # fmt: skip


def convert_reply(
    raw: bytes, *, upstream_format: str, client_format: str, rec: RequestRecord
) -> bytes:
    """Convert a whole upstream reply to the client's format, recording its usage.

    A reply in the client's own format passes on as the upstream's bytes: only its
    usage is read (`aifkit.aif.decode_usage`), not the whole reply. Another format
    is decoded once, converted, and written out.

    Raises:
        ValueError: the reply is not JSON.
        AifkitError: it is not a valid reply of its format.
    """
    from aifkit.aif import convert_response, decode_usage

    body = json.loads(raw)
    usage_into(rec, decode_usage(body, upstream_format))
    if upstream_format == client_format:
        return raw
    out, report = convert_response(body, source=upstream_format, target=client_format)
    if report.entries:
        rec.reports["response_losses"] = [e.to_json() for e in report]
    return json.dumps(out, separators=(",", ":"), ensure_ascii=False).encode()


def write_reply(response: Response, *, client_format: str, rec: RequestRecord) -> bytes:
    """Write a decoded upstream reply in the client's format, recording its usage."""
    from aifkit.aif import encode_response

    usage_into(rec, response.usage)
    out, report = encode_response(response, client_format)
    if report.entries:
        rec.reports["response_losses"] = [e.to_json() for e in report]
    return json.dumps(out, separators=(",", ":"), ensure_ascii=False).encode()


async def translate(
    chunks: AsyncIterator[bytes],
    *,
    upstream_format: str,
    client_format: str,
    include_usage: bool,
    rec: RequestRecord,
    started: float,
    ended: list[bool] | None = None,
    edit: Callable[[list[StreamEvent]], list[StreamEvent]] | None = None,
) -> AsyncIterator[bytes]:
    """Translate (or pass through) an upstream SSE stream, recording usage and TTFB.

    ``ended`` (when given) gets True appended once the reply's end has gone out: a
    client that hangs up after that (SDKs close at ``[DONE]``) received it whole.
    ``edit`` (when given) changes the events the client receives (the stream is then
    written again even in the client's own format).

    Each upstream chunk is decoded into neutral events as it arrives and each
    event written at once in the client's format; a same-format stream passes
    its bytes through untouched and is decoded only to read its usage. A stream
    that is malformed, cut short or times out ends with an error event in the
    client's format.
    """
    from aifkit.aif import StreamError, decode_stream, encode_stream
    from aifkit.errors import AifkitError

    # Same format: bytes pass through, except an openai-chat stream whose client did
    # not ask for usage (the upstream was asked; the encoder leaves it out again).
    same = (
        edit is None
        and stream_codec(upstream_format) == client_format
        and (client_format != "openai-chat" or include_usage)
    )
    decoder = decode_stream(stream_codec(upstream_format))
    options: dict[str, object] = {"include_usage": include_usage} if client_format == "openai-chat" else {}  # fmt: skip
    encoder = encode_stream(client_format, **options)
    try:
        async for chunk in chunks:
            if same:  # the bytes go first; they are decoded after, only for the ledger
                if rec.ttfb_ms is None:
                    rec.ttfb_ms = (time.perf_counter() - started) * 1000
                yield chunk
                end = _observe(decoder.feed(chunk), rec)
            else:
                events = decoder.feed(chunk)
                end = _observe(events, rec)
                out = b"".join([encoder.encode(e) for e in (edit(events) if edit else events)])
                if out:
                    if rec.ttfb_ms is None:
                        rec.ttfb_ms = (time.perf_counter() - started) * 1000
                    yield out
            if end and ended is not None:  # set once the client took the end
                ended.append(True)
        events = decoder.close()
        _observe(events, rec)
        if not same:
            kept = edit(events) if edit else events
            out = b"".join([encoder.encode(e) for e in kept]) + encoder.close()
            if out:
                yield out
    except (AifkitError, ValueError) as exc:
        rec.error = f"upstream stream: {exc}"
        rec.status = 502
        yield encoder.encode(StreamError("api_error", f"the upstream stream failed: {exc}"))
    except _timeouts() as exc:
        rec.error = f"upstream stream timed out: {type(exc).__name__}"
        rec.status = 504
        yield encoder.encode(StreamError("timeout_error", "the upstream stream timed out"))


def _observe(events: list[StreamEvent], rec: RequestRecord) -> bool:
    """Record the events' usage and errors; return whether the reply ended among them."""
    from aifkit.aif import ResponseEnd, ResponseStart, StreamError, UsageUpdate

    end = False
    for e in events:
        if isinstance(e, UsageUpdate | ResponseEnd | ResponseStart):
            usage_into(rec, e.usage)
            end = end or isinstance(e, ResponseEnd)
        elif isinstance(e, StreamError):
            rec.error = f"upstream stream error {e.error_type}: {e.message}"
    return end


def _timeouts() -> tuple[type[BaseException], ...]:
    import httpx2

    return (httpx2.TimeoutException, httpx2.RemoteProtocolError, httpx2.ReadError)


def include_usage(body: Mapping[str, Any]) -> bool:
    """Whether an openai-chat client asked for the usage chunk."""
    options = body.get("stream_options")
    if isinstance(options, Mapping):
        return bool(cast("Mapping[str, Any]", options).get("include_usage"))
    return False
