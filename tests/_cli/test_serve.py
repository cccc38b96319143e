"""`aif serve` and `aif usage --gateway-ledger`: bad input exits 2 with one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aifkit._cli.app import app
from aifkit.gateway import GatewayLedger, RequestRecord


def test_serve_needs_a_config_or_an_upstream() -> None:
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "--config" in result.output


def test_serve_reports_a_bad_config_file(tmp_path: Path) -> None:
    path = tmp_path / "g.toml"
    path.write_text('[[routes]]\nupstream = "http://x"\nformat = "telex"\n')
    result = CliRunner().invoke(app, ["serve", "--config", str(path)])
    assert result.exit_code == 2
    assert "/routes/0/format" in result.output


def test_usage_reads_the_gateway_ledger(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger = GatewayLedger(path)
    ledger.record(RequestRecord(id="a", started=1.0, model="fast", upstream_model="gpt-4o", status=200, input_tokens=100, cache_read_tokens=40, output_tokens=7, tokens_saved=900))  # fmt: skip
    ledger.record(RequestRecord(id="b", started=2.0, model="fast", upstream_model="gpt-4o", status=429))  # fmt: skip
    ledger.close()
    result = CliRunner().invoke(app, ["usage", "--gateway-ledger", str(path)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["requests"] == 1
    assert summary["totals"]["prompt_tokens"] == 100
    assert summary["totals"]["cache_read_tokens"] == 40
    assert summary["gateway"]["totals"]["tokens_saved"] == 900
    assert summary["gateway"]["totals"]["errors"] == 1
    # GET /stats folds the same ledger the same way (aifkit.gateway.GatewayLedger.usage).
    shared = GatewayLedger(path)
    stats = shared.summary()
    shared.close()
    assert {k: v for k, v in summary.items() if k != "gateway"} == stats.pop("usage")
    assert stats == summary["gateway"]


def test_usage_without_input_exits_2(tmp_path: Path) -> None:
    assert CliRunner().invoke(app, ["usage"]).exit_code == 2
    missing = CliRunner().invoke(app, ["usage", "--gateway-ledger", str(tmp_path / "none.db")])
    assert missing.exit_code == 2


def test_serve_with_workers_needs_a_ledger_file() -> None:
    result = CliRunner().invoke(app, ["serve", "--upstream", "http://x/v1", "--workers", "2"])
    assert result.exit_code == 2
    assert "--ledger" in result.output


def test_workers_serve_and_share_one_ledger(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys
    import time

    import httpx2

    from aifkit.testing import FakeOpenAIServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    ledger = tmp_path / "gateway.db"
    with FakeOpenAIServer(["ok"], repeat=True) as fake:
        serve = [sys.executable, "-c", "from aifkit._cli import main; main()", "serve", "--upstream", fake.base_url, "--workers", "2", "--ledger", str(ledger), "--port", str(port)]  # fmt: skip
        proc = subprocess.Popen(serve, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx2.get(url + "/stats", timeout=1)
                    break
                except httpx2.HTTPError:
                    assert proc.poll() is None, proc.communicate()[1]
                    assert time.monotonic() < deadline, "the workers did not start"
                    time.sleep(0.1)
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
            for _ in range(12):  # a new connection each: the kernel spreads them over workers
                r = httpx2.post(url + "/v1/chat/completions", json=body, timeout=10)
                assert r.status_code == 200
            deadline = time.monotonic() + 10
            while (seen := httpx2.get(url + "/stats", timeout=5).json())["totals"]["requests"] < 12:  # fmt: skip
                assert time.monotonic() < deadline, seen
                time.sleep(0.05)
            # Whichever worker answers /stats, it reads every worker's records.
            answers = {httpx2.get(url + "/stats", timeout=5).json()["totals"]["requests"] for _ in range(6)}  # fmt: skip
        finally:
            proc.terminate()
            proc.communicate(timeout=30)
    assert len(children) >= 2  # uvicorn's supervisor and its worker processes
    assert answers == {12}
    shared = GatewayLedger(ledger)
    assert len(list(shared)) == 12
    shared.close()


def test_serve_keeps_elisions_where_elision_store_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(app))  # pyright: ignore[reportUnknownLambdaType]
    config = tmp_path / "g.toml"
    config.write_text(f'elision_store = "{tmp_path / "from-config.db"}"\n[[routes]]\nupstream = "http://127.0.0.1:9/v1"\n')  # fmt: skip
    store = tmp_path / "elided.db"
    for args in (["--upstream", "http://127.0.0.1:9/v1"], ["--config", str(config)]):
        result = CliRunner().invoke(app, ["serve", *args, "--elision-store", str(store)])
        assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, ["serve", "--config", str(config)])
    assert result.exit_code == 0, result.output
    kept = [a.state.gateway.config.elision_store for a in served]
    assert kept == [str(store), str(store), str(tmp_path / "from-config.db")]
    assert store.is_file()  # opened when the app is made, before serving


@pytest.mark.parametrize("flag", ["--elision-store", "--ledger"])
def test_serve_refuses_a_store_under_a_file_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: str
) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: None)  # pyright: ignore[reportUnknownLambdaType]
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    upstream = ["--upstream", "http://127.0.0.1:9/v1"]
    result = CliRunner().invoke(app, ["serve", *upstream, flag, str(afile / "x.db")])
    assert result.exit_code == 2, result.output
    assert "cannot open the" in result.output
    assert "x.db" in result.output
    assert "Traceback" not in result.output
