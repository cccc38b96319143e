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

from aifkit.bench import Endpoint, ModelReader, Suite, TaskSpec, run_suite
from aifkit.errors import ModelCallError, UsageError


class FakeServer:
    """Answers chat completions; fails with the queued statuses first; counts what it saw."""

    def __init__(self) -> None:
        self.failures: list[int] = []
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
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
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
    run = run_suite(suite, tmp_path / "run", workers=1)
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
    assert len(server.requests) == 6
    assert server.max_in_flight == 1  # two worker processes, one call at a time
