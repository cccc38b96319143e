"""Running suites: local processes, Dask, and resuming a run killed with SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import cast

import pytest

from aifkit.bench import Suite, TaskSpec, list_runs, load_run, load_suite, run_suite
from aifkit.bench._store import CELLS_FILE
from aifkit.errors import StoreError, UsageError

SUITE_YAML = """
name: killable
tasks:
  - {kind: niah, params: {length: 2500}, grid: {depth: %s}}
strategies: [truncate-front, pack:relevance]
budgets: [0.3]
readers: [evidence, extractive]
"""

_TIMING = ("elapsed_ms", "finished_at")
_LATENCY = ("pack_latency_ms", "pack_cpu_ms", "reader_latency_ms")


def _comparable(cell_json: dict[str, object]) -> dict[str, object]:
    metrics = dict(cast("dict[str, object]", cell_json["metrics"]))
    for name in _LATENCY:
        metrics.pop(name, None)
    return {k: v for k, v in cell_json.items() if k not in _TIMING} | {"metrics": metrics}


def _tiny() -> Suite:
    return Suite(
        "tiny", (TaskSpec("n", "niah", {"length": 400}, {"depth": [0.0, 0.5, 1.0]}),
                 TaskSpec("c", "conversion", {"formats": ["aif", "openai-chat"]})),
        strategies=("truncate-front", "pack"), budgets=(0.5,), readers=("evidence", "extractive"),
    )  # fmt: skip


def test_a_run_stores_every_cell_once_with_metadata(tmp_path: Path) -> None:
    suite = _tiny()
    seen: list[str] = []
    run = run_suite(suite, tmp_path / "r", workers=1, on_cell=lambda c: seen.append(c.cell_id))
    assert sorted(c.cell_id for c in run.cells) == sorted(suite.cell_ids()) == sorted(seen)
    meta = run.meta
    assert meta["cells_total"] == len(suite.cell_ids())
    assert meta["finished_at"]
    assert meta["suite_spec"]["name"] == "tiny"
    assert meta["machine"]["cpus"] >= 1
    assert "aifkit" in meta["packages"]
    assert all(c.status == "ok" for c in run.cells)
    conversion = [c for c in run.cells if c.kind == "conversion"]
    assert len(conversion) == 4
    assert all(c.metrics["conversion_losses"] is not None for c in conversion)
    with pytest.raises(StoreError, match="--resume"):
        run_suite(suite, tmp_path / "r", workers=1)
    assert [r.run_id for r in list_runs(tmp_path)] == ["r"]


def test_processes_and_inline_give_the_same_cells(tmp_path: Path) -> None:
    inline = run_suite(_tiny(), tmp_path / "a", workers=1)
    pooled = run_suite(_tiny(), tmp_path / "b", workers=2)
    a = {c.cell_id: _comparable(c.to_json()) for c in inline.cells}
    b = {c.cell_id: _comparable(c.to_json()) for c in pooled.cells}
    assert a == b


def test_a_dask_local_cluster_gives_the_same_cells(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    inline = run_suite(_tiny(), tmp_path / "a", workers=1)
    spread = run_suite(_tiny(), tmp_path / "b", workers=2, dask="local")
    a = {c.cell_id: _comparable(c.to_json()) for c in inline.cells}
    b = {c.cell_id: _comparable(c.to_json()) for c in spread.cells}
    assert a == b


def test_resume_without_an_unfinished_run_says_so(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no unfinished run"):
        run_suite(_tiny(), resume=True, runs_root=tmp_path)


def test_resume_of_a_folder_without_a_run_refuses_to_start_fresh(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="holds no run to resume; drop --resume"):
        run_suite(_tiny(), tmp_path / "nothing", workers=1, resume=True)
    assert not (tmp_path / "nothing").exists()


def test_a_run_killed_with_sigkill_resumes_without_loss_or_duplicates(tmp_path: Path) -> None:
    depths = [round(i / 59, 4) for i in range(60)]
    (tmp_path / "suite.yaml").write_text(SUITE_YAML % json.dumps(depths))
    out = tmp_path / "run"
    script = textwrap.dedent(f"""
        from aifkit.bench import run_suite
        run_suite({str(tmp_path / "suite.yaml")!r}, {str(out)!r}, workers=2)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    cells = out / CELLS_FILE
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if cells.exists() and cells.read_bytes().count(b"\n") >= 20:
            break
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = [json.loads(line) for line in cells.read_bytes().split(b"\n")[:-1]]
    total = len(load_suite(tmp_path / "suite.yaml").cell_ids())
    assert 20 <= len(before) < total, "the run should be killed mid-way"
    with cells.open("ab") as handle:  # as if killed in the middle of a write
        handle.write(b'{"cell_id": "feedfeedfeedfeed", "task": "ni')
    assert load_run(out).meta["finished_at"] is None

    run = run_suite(tmp_path / "suite.yaml", out, workers=1, resume=True)
    lines = [json.loads(line) for line in cells.read_text().splitlines()]
    ids = [line["cell_id"] for line in lines]
    assert len(ids) == len(set(ids)) == total
    assert sorted(ids) == sorted(load_suite(tmp_path / "suite.yaml").cell_ids())
    assert lines[: len(before)] == before  # finished cells kept as they were
    assert run.meta["finished_at"] is not None
    assert len(run.cells) == total
