"""The model reader against a local fake OpenAI-compatible server (stdlib http.server)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.bench import Answer, Endpoint, ModelReader, Suite, TaskSpec, run_suite
from aifkit.errors import ModelCallError, UsageError


class FakeServer:
    """Answers chat completions; fails with the queued statuses first; counts what it saw.

    ``raw`` replaces the reply body (say, malformed JSON); ``trickle`` sends the
    body one byte at a time, that many seconds apart.
    """

    def __init__(self) -> None:
        self.failures: list[int] = []
        self.raw: bytes | None = None
        self.trickle = 0.0
        self.sizes: list[int] = []
        self.closing = threading.Event()
        self.requests: list[dict[str, Any]] = []
        self.delay = 0.0
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        self.answer = "The answer is 42."
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                del format, args

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    server.requests.append(body)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                    status = server.failures.pop(0) if server.failures else 200
                time.sleep(server.delay)
                with server.lock:
                    server.in_flight -= 1
                if status == 200:
                    payload: dict[str, Any] = {
                        "id": "c1", "object": "chat.completion", "created": 0,
                        "model": body["model"],
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": server.answer}}],
                        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
                    }  # fmt: skip
                else:
                    payload = {"error": {"message": f"status {status}", "type": "x"}}
                data = json.dumps(payload).encode() if server.raw is None else server.raw
                server.sizes.append(len(data))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                if not server.trickle:
                    self.wfile.write(data)
                    return
                for byte in data:  # each read returns quickly; the whole reply is slow
                    if server.closing.wait(server.trickle):
                        return
                    try:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    except OSError:  # the client gave up
                        return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer()
    yield fake
    fake.close()


BODY = {"messages": [{"role": "user", "content": "The code is 42."},
                     {"role": "user", "content": "What is the code?"}]}  # fmt: skip


def _endpoint(server: FakeServer, tmp_path: Path, **changes: Any) -> Endpoint:
    settings: dict[str, Any] = {"retries": 3, "backoff": 0.01, "timeout": 5.0,
                                "cache": str(tmp_path / "cache.sqlite"), "api_key": "k"}  # fmt: skip
    settings.update(changes)
    return Endpoint(server.url, "fake-model", **settings)


def test_retries_429_and_5xx_then_caches_the_answer(server: FakeServer, tmp_path: Path) -> None:
    server.failures = [429, 500, 503]
    reader = ModelReader(_endpoint(server, tmp_path))
    answer = reader.read(BODY, "What is the code?")
    assert (answer.text, answer.output_tokens, answer.cached) == ("The answer is 42.", 7, False)
    assert len(server.requests) == 4
    assert server.requests[-1]["messages"] == BODY["messages"]
    again = ModelReader(_endpoint(server, tmp_path)).read(BODY, "What is the code?")
    assert (again.text, again.cached) == ("The answer is 42.", True)
    assert len(server.requests) == 4  # a rerun costs nothing


def test_a_call_that_keeps_failing_raises_after_every_retry(
    server: FakeServer, tmp_path: Path
) -> None:
    server.failures = [500] * 10
    reader = ModelReader(_endpoint(server, tmp_path, retries=2))
    with pytest.raises(ModelCallError, match="after 3 attempts"):
        reader.read(BODY, "q")
    assert len(server.requests) == 3


def test_a_client_error_is_not_retried(server: FakeServer, tmp_path: Path) -> None:
    server.failures = [400]
    with pytest.raises(ModelCallError, match="HTTP 400"):
        ModelReader(_endpoint(server, tmp_path)).read(BODY, "q")
    assert len(server.requests) == 1


def test_concurrency_is_limited_per_endpoint(server: FakeServer, tmp_path: Path) -> None:
    server.delay = 0.1
    reader = ModelReader(_endpoint(server, tmp_path, concurrency=2, cache=""))
    bodies = [{"messages": [{"role": "user", "content": f"q{i}"}]} for i in range(6)]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda b: reader.read(b, "q"), bodies))
    assert all(a.text == "The answer is 42." for a in answers)
    assert server.max_in_flight == 2


def test_the_endpoint_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIFKIT_BENCH_BASE_URL", raising=False)
    monkeypatch.delenv("AIFKIT_BENCH_MODEL", raising=False)
    with pytest.raises(UsageError, match="AIFKIT_BENCH_BASE_URL"):
        Endpoint.from_config({})
    monkeypatch.setenv("AIFKIT_BENCH_BASE_URL", "http://x/v1")
    monkeypatch.setenv("AIFKIT_BENCH_MODEL", "m")
    assert Endpoint.from_config({"concurrency": 3}) == Endpoint("http://x/v1", "m", concurrency=3)


def test_a_failed_call_is_a_failed_cell_never_an_answer(server: FakeServer, tmp_path: Path) -> None:
    server.failures = [500] * 3  # the first job's call fails for good; the other's succeeds
    server.answer = "no idea"
    endpoint = {"base_url": server.url, "model": "fake", "retries": 2, "backoff": 0.01,
                "cache": str(tmp_path / "c.sqlite"), "api_key": "k", "concurrency": 1}  # fmt: skip
    suite = Suite("m", (TaskSpec("n", "niah", {"length": 300}, {"depth": [0.0, 1.0]}),),
                  strategies=("pack",), readers=("model",), endpoint=endpoint)  # fmt: skip
    run = run_suite(suite, tmp_path / "run", workers=1, check_endpoint=False)
    by_status = {c.status: c for c in run.cells}
    assert set(by_status) == {"ok", "failed"}
    failed = by_status["failed"]
    assert failed.answer is None
    assert "after 3 attempts" in (failed.error or "")
    assert failed.metrics["passed"] is None
    assert failed.metrics["f1"] is None
    ok = by_status["ok"]
    assert ok.reader == "model:fake"
    assert ok.answer == "no idea"
    assert ok.metrics["passed"] is False
    assert "api_key" not in json.dumps(run.meta)


def test_on_dask_the_limit_holds_across_the_cluster(server: FakeServer, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    server.delay = 0.2
    endpoint = {"base_url": server.url, "model": "fake", "concurrency": 1, "cache": "",
                "api_key": "k"}  # fmt: skip
    suite = Suite("d", (TaskSpec("n", "niah", {"length": 300}, {"depth": [0.0, 0.5, 1.0]}),),
                  strategies=("truncate-front", "pack"), readers=("model",), endpoint=endpoint)  # fmt: skip
    run = run_suite(suite, tmp_path / "run", workers=2, dask="local")
    assert [c.status for c in run.cells] == ["ok"] * 6
    assert len(server.requests) == 7  # the endpoint check, then one call per cell
    assert server.requests[0]["max_tokens"] == 1
    assert server.max_in_flight == 1  # two worker processes, one call at a time


def test_a_trickled_reply_fails_at_the_whole_call_deadline(
    server: FakeServer, tmp_path: Path
) -> None:
    reader = ModelReader(_endpoint(server, tmp_path, timeout=0.3, retries=1, cache=""))
    reader.check()  # the client is imported and built before the clock starts
    server.trickle = 0.02  # each read is quick; the whole reply is not
    start = time.monotonic()
    with pytest.raises(ModelCallError, match=r"no complete reply within 0.3 s .*after 2 attempts"):
        reader.read(BODY, "q")
    elapsed = time.monotonic() - start
    assert elapsed < server.sizes[-1] * server.trickle  # it did not wait for one whole reply
    assert len(server.requests) == 3  # the check, then an overdue call retried like a timeout


BAD_REPLIES = [
    (b'{"id": "c1", "choices": [', "not a chat completion"),
    (b"<html>Bad gateway</html>", "not a chat completion"),
    (b'{"id": "c1", "choices": [{"index": 0, "finish_reason": "stop"}]}', "no choices"),
    (b'{"id": "c1", "choices": []}', "no choices"),
    (b'{"choices": [{"message": {"role": "assistant"}}]}', "no text content"),
]


@pytest.mark.parametrize(("raw", "problem"), BAD_REPLIES)
def test_a_malformed_reply_is_a_model_call_error_naming_the_endpoint(
    server: FakeServer, tmp_path: Path, raw: bytes, problem: str
) -> None:
    server.raw = raw
    with pytest.raises(ModelCallError, match=problem) as caught:
        ModelReader(_endpoint(server, tmp_path, cache="")).read(BODY, "q")
    assert caught.value.endpoint == server.url
    assert str(caught.value).startswith(f"{server.url}: ")
    assert len(server.requests) == 1  # a malformed reply is not retried


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(
        ["choices", "message", "content", "usage", "completion_tokens", "index", "id"]
    ), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip


@pytest.fixture(scope="module")
def shared_server() -> Iterator[FakeServer]:
    fake = FakeServer()
    yield fake
    fake.close()


@settings(max_examples=60, deadline=None)
@given(body=json_values)
def test_any_reply_is_an_answer_or_a_model_call_error(
    shared_server: FakeServer, body: object
) -> None:
    shared_server.raw = json.dumps(body).encode()
    endpoint = Endpoint(shared_server.url, "m", retries=0, timeout=5.0, cache="", api_key="k")
    outcome: Answer | ModelCallError
    try:
        outcome = ModelReader(endpoint).read(BODY, "q")
    except ModelCallError as exc:
        outcome = exc
    if isinstance(outcome, ModelCallError):
        assert outcome.endpoint == shared_server.url
    else:
        assert isinstance(outcome.text, str)
        assert outcome.output_tokens is None or isinstance(outcome.output_tokens, int)


def test_the_check_makes_one_uncached_one_token_call(server: FakeServer, tmp_path: Path) -> None:
    reader = ModelReader(_endpoint(server, tmp_path))
    reader.check()
    reader.check()
    assert len(server.requests) == 2  # never served from the cache
    assert server.requests[0]["max_tokens"] == 1


def test_a_run_checks_the_endpoint_before_writing_anything(
    server: FakeServer, tmp_path: Path
) -> None:
    server.failures = [401]
    endpoint = {"base_url": server.url, "model": "fake", "retries": 0, "cache": "",
                "api_key": "k"}  # fmt: skip
    suite = Suite("m", (TaskSpec("n", "niah", {"length": 300}),), strategies=("pack",),
                  readers=("evidence", "model"), endpoint=endpoint)  # fmt: skip
    with pytest.raises(ModelCallError, match="HTTP 401"):
        run_suite(suite, tmp_path / "run", workers=1)
    assert not (tmp_path / "run").exists()
    assert len(server.requests) == 1

    offline = Suite("o", (TaskSpec("n", "niah", {"length": 300}),), strategies=("pack",),
                    readers=("evidence",), endpoint=endpoint)  # fmt: skip
    run_suite(offline, tmp_path / "offline", workers=1)  # no model cell: nothing to check
    assert len(server.requests) == 1


def test_aread_reads_in_a_worker_thread_within_the_endpoints_limit(
    server: FakeServer, tmp_path: Path
) -> None:
    # An async app awaits several reads at once: the loop stays free, the endpoint's
    # concurrency limit still holds, and the answers are cached like read()'s.
    import asyncio

    server.delay = 0.2
    reader = ModelReader(_endpoint(server, tmp_path, concurrency=2))
    bodies = [{"messages": [{"role": "user", "content": f"q{i}"}]} for i in range(4)]

    async def main() -> list[Answer]:
        return list(await asyncio.gather(*(reader.aread(b, "q") for b in bodies)))

    began = time.monotonic()
    answers = asyncio.run(main())
    assert [a.text for a in answers] == ["The answer is 42."] * 4
    assert server.max_in_flight == 2
    assert time.monotonic() - began < 0.75  # two at a time, not one after another
    assert reader.read(bodies[0], "q").cached
