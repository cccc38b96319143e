"""`aif bench run` and `aif bench list`: a suite into a run directory, resumable; listing."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from aifkit._cli.app import app
from aifkit.bench import load_run
from aifkit.testing import FakeOpenAIServer, FakeReply

SUITE = """
name: cli-suite
tasks:
  - {kind: niah, params: {length: 300}, grid: {depth: [0.0, 1.0]}}
strategies: [truncate-front]
budgets: [0.6]
readers: [evidence, extractive]
"""


def test_run_writes_a_run_directory_and_list_finds_it(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(SUITE)
    out = tmp_path / "runs" / "first"
    runner = CliRunner()
    result = runner.invoke(app, ["bench", "run", str(tmp_path / "s.yaml"), "--out", str(out),
                                 "--workers", "1", "--quiet"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "4 cells (4 ok, 0 failed)" in result.stdout
    run = load_run(out)
    assert run.meta["suite"] == "cli-suite"
    assert len(run.cells) == 4

    again = runner.invoke(app, ["bench", "run", str(tmp_path / "s.yaml"), "--out", str(out)])
    assert again.exit_code == 2
    assert "--resume" in again.stderr
    assert "Traceback" not in again.output

    resumed = runner.invoke(app, ["bench", "run", str(tmp_path / "s.yaml"), "--out", str(out),
                                  "--resume", "--quiet", "--workers", "1"])  # fmt: skip
    assert resumed.exit_code == 0, resumed.output
    lines = (out / "cells.jsonl").read_text().splitlines()
    assert len({json.loads(line)["cell_id"] for line in lines}) == len(lines) == 4

    listed = runner.invoke(app, ["bench", "list", "--runs", str(tmp_path / "runs")])
    assert listed.exit_code == 0
    assert "quick" in listed.stdout
    assert "standard" in listed.stdout
    assert f"{out}  cli-suite" in listed.stdout
    assert "4/4 cells  finished" in listed.stdout


def test_an_unknown_suite_exits_2_with_the_known_ones(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "run", "nope", "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "known suites: agent, quick, standard" in result.stderr


def test_run_prints_one_summary_row_per_strategy(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(SUITE)
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app, ["bench", "run", str(tmp_path / "s.yaml"), "--out", str(out), "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    run = load_run(out)
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines()
            if line.startswith("│")}  # fmt: skip
    assert set(rows) == {c.strategy for c in run.cells}
    for strategy, line in rows.items():
        cells = [c for c in run.cells if c.strategy == strategy]
        assert line.split("│")[2].strip() == str(len(cells))


MODEL_SUITE = """
name: model-suite
tasks:
  - {kind: niah, params: {length: 300}, grid: {depth: [0.0, 1.0]}}
strategies: [truncate-front]
budgets: [0.6]
readers: [model]
endpoint: {base_url: %s, model: fake, api_key: k, retries: 0, cache: ""}
"""


def _run(*argv: str) -> Result:
    return CliRunner().invoke(app, ["bench", "run", *argv, "--workers", "1", "--quiet"])


def test_failed_cells_exit_1_and_name_the_first_error(tmp_path: Path) -> None:
    with FakeOpenAIServer([FakeReply(status=500)], repeat=True) as server:
        url = server.base_url
        (tmp_path / "s.yaml").write_text(MODEL_SUITE % url)
        result = _run(str(tmp_path / "s.yaml"), "--out", str(tmp_path / "r"),
                      "--no-endpoint-check")  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "2 cells (0 ok, 2 failed)" in result.stdout
    [line] = result.stderr.splitlines()
    assert line.startswith("aif: 2 of 2 cells failed; first: ")
    assert f"{url}: HTTP 500" in line
    assert str(tmp_path / "r" / "cells.jsonl") in line


def test_an_endpoint_that_fails_its_check_exits_2_before_the_run(tmp_path: Path) -> None:
    with FakeOpenAIServer([FakeReply(status=404)], repeat=True) as server:
        url = server.base_url
        (tmp_path / "s.yaml").write_text(MODEL_SUITE % url)
        result = _run(str(tmp_path / "s.yaml"), "--out", str(tmp_path / "r"))
        assert len(server.requests) == 1
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(f"aif: {url}: HTTP 404")
    assert "check the base URL, model and key" in line
    assert not (tmp_path / "r").exists()


def test_a_working_endpoint_is_checked_then_used(tmp_path: Path) -> None:
    with FakeOpenAIServer(["OK"], repeat=True) as server:
        (tmp_path / "s.yaml").write_text(MODEL_SUITE % server.base_url)
        result = _run(str(tmp_path / "s.yaml"), "--out", str(tmp_path / "r"))
        assert [r["max_tokens"] for r in server.requests] == [1, 64, 64]
    assert result.exit_code == 0, result.output
    assert "2 cells (2 ok, 0 failed)" in result.stdout


def test_resume_of_a_folder_without_a_run_exits_2(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(SUITE)
    (tmp_path / "empty").mkdir()
    result = _run(str(tmp_path / "s.yaml"), "--out", str(tmp_path / "empty"), "--resume")
    assert result.exit_code == 2
    assert result.stderr == (
        f"aif: {tmp_path / 'empty'} holds no run to resume; drop --resume to start a new run there\n"
    )
    assert list((tmp_path / "empty").iterdir()) == []


REFUSED_SUITE = """
name: refused
tasks:
  - {kind: niah, params: {length: 300}, grid: {depth: [0.0]}}
strategies: [pack:relevance]
budgets: [0.02]
readers: [evidence]
"""


def test_cells_a_strategy_refused_are_results_and_exit_0(tmp_path: Path) -> None:
    # A budget below what must be kept is the strategy's answer (BudgetError), not a broken run.
    (tmp_path / "s.yaml").write_text(REFUSED_SUITE)
    result = _run(str(tmp_path / "s.yaml"), "--out", str(tmp_path / "r"))
    assert result.exit_code == 0, result.output
    assert "1 cells (0 ok, 1 failed)" in result.stdout
    [cell] = load_run(tmp_path / "r").cells
    assert cell.error_type == "BudgetError"
    [line] = result.stderr.splitlines()
    assert line.startswith("1 cells were refused by their strategy")


def test_a_suite_naming_a_peer_that_is_not_installed_exits_2_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aifkit.bench import _peers

    monkeypatch.setattr(_peers, "REQUIRES", {**_peers.REQUIRES, "headroom": "no_such_module_x"})
    (tmp_path / "s.yaml").write_text(
        SUITE.replace("[truncate-front]", "[truncate-front, headroom]")
    )
    out = tmp_path / "r"
    result = CliRunner().invoke(app, ["bench", "run", str(tmp_path / "s.yaml"), "--out", str(out)])
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        .splitlines()[0]
        .startswith(
            "aif: strategy 'headroom' cannot run here: 'no_such_module_x' is not installed; "
            'install it with: pip install "aifkit[bench-peers]"'
        )
    )
    assert not out.exists()  # nothing ran


_DEPTHS = ", ".join(str(d / 100) for d in range(100))
LONG_SUITE = f"""
name: long-suite
tasks:
  - {{kind: niah, params: {{length: 4000}}, grid: {{depth: [{_DEPTHS}]}}}}
strategies: [truncate-front, pack:recency]
budgets: [0.3, 0.6]
readers: [evidence]
"""


def test_ctrl_c_says_how_to_resume_and_the_resume_finishes_the_run(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(LONG_SUITE)
    out = tmp_path / "run"
    code = "import sys; from aifkit._cli import main; sys.argv[0] = 'aif'; main()"
    argv = ["bench", "run", str(tmp_path / "s.yaml"), "--out", str(out), "--workers", "1", "-q"]
    process = subprocess.Popen([sys.executable, "-c", code, *argv], stderr=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, text=True)  # fmt: skip
    cells = out / "cells.jsonl"
    deadline = time.monotonic() + 60
    while not (cells.exists() and cells.read_text().count("\n") >= 1):
        assert process.poll() is None, "the run ended before a cell was stored"
        assert time.monotonic() < deadline, "no cell was stored"
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)  # what Ctrl-C sends
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    line = stderr.strip().splitlines()[-1]
    assert line.startswith(f"aif: interrupted; the finished cells are kept in {out}; ")
    resume = line.split("resume with: aif ", 1)[1].split()
    assert resume == [*argv[:3], "--out", str(out), "--resume"]
    stored = len(load_run(out).cells)
    assert 0 < stored < 400
    done = CliRunner().invoke(app, [*resume, "--workers", "1", "--quiet"])
    assert done.exit_code == 0, done.output
    assert len(load_run(out).cells) == 400
