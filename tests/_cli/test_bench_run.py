"""`aif bench run` and `aif bench list`: a suite into a run directory, resumable; listing."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from aifkit._cli.app import app
from aifkit.bench import load_run

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
    assert "known suites: quick, standard" in result.stderr


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
