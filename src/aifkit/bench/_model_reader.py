"""The model reader: any OpenAI-compatible endpoint, cached, retried, rate-limited.

The endpoint comes from the suite (``endpoint: {base_url, model, api_key}``) or
the environment (``AIFKIT_BENCH_BASE_URL``, ``AIFKIT_BENCH_MODEL``,
``OPENAI_API_KEY``). Answers are cached in SQLite under the sha256 of the exact
request (model, messages, sampling settings), so a rerun costs nothing. Calls to
one endpoint share a concurrency limit: among the threads of a process, or across
a whole Dask cluster (a `distributed.Semaphore` named after the endpoint); 429, 5xx, timeouts and
dropped connections are retried with exponential backoff (honouring
``Retry-After``). The timeout bounds a whole call, not each read, so a reply
trickled slowly cannot outlast it. A call that still fails, or a reply that is
not a chat completion, raises `ModelCallError` naming the endpoint, which the
runner records as a failed cell, never as an answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from aifkit._sqlite import connect
from aifkit.bench._readers import Answer
from aifkit.errors import MissingDependencyError, ModelCallError, UsageError

if TYPE_CHECKING:
    import openai

__all__ = ["Endpoint", "ModelReader", "ResponseCache", "default_cache_path"]

_LOCK = threading.Lock()
_SEMAPHORES: dict[str, AbstractContextManager[Any]] = {}
_CLIENTS: dict[tuple[str, str, float], openai.OpenAI] = {}


def default_cache_path() -> Path:
    """``$XDG_CACHE_HOME/aifkit/bench-responses.sqlite`` (``~/.cache`` by default)."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "aifkit" / "bench-responses.sqlite"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where and how to call the model.

    Attributes:
        base_url: The API's base URL (``https://api.openai.com/v1``).
        model: The model name sent in requests.
        api_key: The key; default ``OPENAI_API_KEY`` at call time.
        concurrency: Calls in flight at once to this base URL (per process; per cluster on Dask).
        retries: Attempts after the first on 429, 5xx, timeouts and lost connections.
        backoff: Seconds before the first retry; doubles each time (capped at 30 s).
        timeout: Seconds one call (one attempt) may take in all, from sending the request
            to the last byte of the reply; an attempt that overruns is retried.
        max_tokens: Tokens the answer may take.
        cache: The response cache file (default `default_cache_path`); ``""`` disables it.
    """

    base_url: str
    model: str
    api_key: str | None = None
    concurrency: int = 4
    retries: int = 4
    backoff: float = 1.0
    timeout: float = 60.0
    max_tokens: int = 64
    cache: str | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Endpoint:
        """Build from a suite's ``endpoint`` mapping, filling gaps from the environment.

        Raises:
            UsageError: no base URL or no model is configured anywhere.
        """
        base_url = config.get("base_url") or os.environ.get("AIFKIT_BENCH_BASE_URL")
        model = config.get("model") or os.environ.get("AIFKIT_BENCH_MODEL")
        if not base_url or not model:
            raise UsageError(
                "the model reader needs an endpoint and a model",
                hint="set endpoint: {base_url, model} in the suite, or "
                "AIFKIT_BENCH_BASE_URL and AIFKIT_BENCH_MODEL",
            )
        known = {"api_key", "concurrency", "retries", "backoff", "timeout", "max_tokens", "cache"}
        extra = {k: v for k, v in config.items() if k in known}
        return cls(base_url=str(base_url), model=str(model), **extra)


class ResponseCache:
    """Answers by the sha256 of the exact request, in SQLite (safe across processes)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, model TEXT, "
                "answer TEXT, input_tokens INTEGER, output_tokens INTEGER, created_at REAL)"
            )

    def _connect(self) -> sqlite3.Connection:
        db = connect(self.path, "the model-answer cache", timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def get(self, key: str) -> Answer | None:
        """Return the cached answer for ``key``, if any."""
        db = self._connect()
        try:
            row = db.execute(
                "SELECT answer, input_tokens, output_tokens FROM responses WHERE key = ?", (key,)
            ).fetchone()
        finally:
            db.close()
        if row is None:
            return None
        return Answer(row[0], output_tokens=row[2], input_tokens=row[1], cached=True)

    def put(self, key: str, model: str, answer: Answer) -> None:
        """Store ``answer`` under ``key``."""
        db = self._connect()
        try:
            with db:
                db.execute(
                    "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        key,
                        model,
                        answer.text,
                        answer.input_tokens,
                        answer.output_tokens,
                        time.time(),
                    ),
                )
        finally:
            db.close()


def _semaphore(endpoint: Endpoint) -> AbstractContextManager[Any]:
    """The endpoint's limit: cluster-wide on a Dask worker, else shared by this process's threads."""
    with _LOCK:
        sem = _SEMAPHORES.get(endpoint.base_url)
        if sem is None:
            sem = _SEMAPHORES[endpoint.base_url] = _dask_semaphore(endpoint) or (
                threading.BoundedSemaphore(max(1, endpoint.concurrency))
            )
        return sem


def _dask_semaphore(endpoint: Endpoint) -> AbstractContextManager[Any] | None:
    distributed: Any = sys.modules.get("distributed")  # only ever loaded by a Dask run
    if distributed is None:
        return None
    try:
        distributed.get_worker()
    except ValueError:  # not running on a Dask worker
        return None
    return cast(
        "AbstractContextManager[Any]",
        distributed.Semaphore(
            max_leases=max(1, endpoint.concurrency), name=f"aifkit-bench:{endpoint.base_url}"
        ),
    )


def _client(endpoint: Endpoint, key: str) -> openai.OpenAI:
    try:
        import openai
    except ImportError:
        raise MissingDependencyError("openai", "bench") from None
    ident = (endpoint.base_url, key, endpoint.timeout)
    with _LOCK:
        client = _CLIENTS.get(ident)
        if client is None:
            # Retries are ours (the backoff is configurable and counted); the client's are off.
            client = _CLIENTS[ident] = openai.OpenAI(
                base_url=endpoint.base_url, api_key=key, max_retries=0, timeout=endpoint.timeout
            )
        return client


class ModelReader:
    """Ask the model the question with the packed messages.

    Examples:
        >>> reader = ModelReader(Endpoint("http://localhost:1/v1", "tiny", cache=""))
        >>> reader.name
        'model:tiny'
    """

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.name = f"model:{endpoint.model}"
        path = default_cache_path() if endpoint.cache is None else endpoint.cache
        self._cache = ResponseCache(Path(path)) if path else None

    def request(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The exact request sent for a packed body."""
        return {
            "model": self.endpoint.model,
            "messages": list(cast("list[Any]", body.get("messages") or [])),
            "temperature": 0,
            "max_tokens": self.endpoint.max_tokens,
        }

    def read(self, body: Mapping[str, Any], question: str) -> Answer:
        """Answer from the cache, or call the endpoint.

        Raises:
            ModelCallError: the call failed after every retry, or the reply had no text.
        """
        del question  # it is the body's last message
        request = self.request(body)
        key = hashlib.sha256(
            json.dumps(
                [self.endpoint.base_url, request], sort_keys=True, ensure_ascii=False
            ).encode()
        ).hexdigest()
        if self._cache is not None:
            hit = self._cache.get(key)
            if hit is not None:
                return hit
        with _semaphore(self.endpoint):
            answer = self._call(request)
        if self._cache is not None:
            self._cache.put(key, self.endpoint.model, answer)
        return answer

    async def aread(self, body: Mapping[str, Any], question: str) -> Answer:
        """`read` without blocking the event loop: the same call (cache, retries, the
        endpoint's concurrency limit) in a worker thread.

        Raises:
            ModelCallError: the call failed after every retry, or the reply had no text.
        """
        return await asyncio.to_thread(self.read, body, question)

    def check(self) -> None:
        """Make one cheap call (a one-token reply, never cached) to prove the endpoint answers.

        Raises:
            ModelCallError: the endpoint, model or key does not work (after the retries).
        """
        ping = {"messages": [{"role": "user", "content": "Reply with OK."}]}
        self._call(self.request(ping) | {"max_tokens": 1}, need_text=False)

    def _call(self, request: dict[str, Any], *, need_text: bool = True) -> Answer:
        import openai

        key = self.endpoint.api_key or os.environ.get("OPENAI_API_KEY") or "unused"
        client = _client(self.endpoint, key)
        base_url, timeout = self.endpoint.base_url, self.endpoint.timeout
        delay = self.endpoint.backoff
        for attempt in range(self.endpoint.retries + 1):
            try:
                response = _within(
                    timeout,
                    lambda: client.chat.completions.create(**request),  # pyright: ignore[reportUnknownLambdaType, reportUnknownMemberType]
                )
            except _Overdue:
                problem, wait = f"no complete reply within {timeout:g} s (timeout)", delay
            except (openai.RateLimitError, openai.InternalServerError) as exc:
                problem = f"HTTP {exc.status_code}: {exc.message}"
                wait = _retry_after(exc.response.headers.get("retry-after"), delay)
            except (openai.APITimeoutError, openai.APIConnectionError) as exc:
                problem, wait = f"{type(exc).__name__}: {exc}", delay
            except openai.APIStatusError as exc:
                raise _failed(base_url, f"HTTP {exc.status_code}: {exc.message}") from None
            except Exception as exc:  # a 200 whose body is not a chat completion (not JSON, ...)
                raise _failed(
                    base_url, f"the reply is not a chat completion: {_why(exc)}"
                ) from None
            else:
                return _answer(base_url, response, need_text=need_text)
            if attempt == self.endpoint.retries:
                break
            time.sleep(wait)
            delay = min(30.0, delay * 2)
        raise _failed(
            base_url,
            f"{problem} (after {self.endpoint.retries + 1} attempts)",  # pyright: ignore[reportPossiblyUnboundVariable]
        )


class _Overdue(Exception):
    """The whole call took longer than the endpoint's timeout."""


def _within(seconds: float, call: Callable[[], Any]) -> Any:
    """Return ``call()``, or raise `_Overdue` once ``seconds`` have passed in all.

    The HTTP client's timeout bounds each read, so a reply trickled a byte at a
    time never trips it; this bounds the whole call. The call runs on a daemon
    thread; one that is given up on is abandoned and ends on its own (the client's
    per-read timeout still applies to it).
    """
    done = threading.Event()
    outcome: list[Any] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:  # handed to the caller below
            failure.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, name="aifkit-model-call", daemon=True).start()
    if not done.wait(seconds):
        raise _Overdue
    if failure:
        raise failure[0]
    return outcome[0]


def _why(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _retry_after(header: str | None, default: float) -> float:
    try:
        return min(30.0, max(0.0, float(header))) if header else default
    except ValueError:
        return default


def _answer(base_url: str, response: Any, *, need_text: bool = True) -> Answer:
    try:
        choices: list[Any] = list(getattr(response, "choices", None) or [])
        message: Any = getattr(choices[0], "message", None) if choices else None
    except Exception as exc:  # a wrongly shaped reply: choices is not a list, ...
        raise _failed(base_url, f"the reply is not a chat completion: {_why(exc)}") from None
    if message is None:
        raise _failed(base_url, "the reply has no choices[0].message")
    text: object = getattr(message, "content", None)
    if not isinstance(text, str):
        if need_text:
            raise _failed(base_url, "the reply has no text content")
        text = ""
    usage = getattr(response, "usage", None)
    return Answer(
        text.strip(),
        output_tokens=_count(getattr(usage, "completion_tokens", None)),
        input_tokens=_count(getattr(usage, "prompt_tokens", None)),
    )


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _failed(endpoint: str, problem: str) -> ModelCallError:
    return ModelCallError(
        endpoint, problem, settings="AIFKIT_BENCH_BASE_URL, AIFKIT_BENCH_MODEL, OPENAI_API_KEY"
    )
