"""`aif serve` and `aif usage --gateway-ledger`: bad input exits 2 with one line."""

from __future__ import annotations

import json
from pathlib import Path

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
