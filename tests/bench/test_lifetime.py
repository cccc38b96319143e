"""`kill -9` of `aif bench run` leaves no process behind and keeps every finished cell once.

Only the `aif` process is killed (not its process group), as a supervisor or a
shell would; its pool workers must die on their own and let go of the caller's
pipes. The default suite kills a run at 3 random points; ``make load-bench``
sets ``AIFKIT_KILL_POINTS=20`` and also kills runs on a Dask LocalCluster.
``AIFKIT_KILL_SEED`` replays a failing sequence.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from aifkit.bench import load_suite, run_suite
from aifkit.bench._lifetime import bind_to_parent
from aifkit.bench._store import CELLS_FILE, RUN_FILE

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="finds leftover processes through /proc"
)

LOAD = "AIFKIT_KILL_POINTS" in os.environ  # set by `make load-bench`
POINTS = int(os.environ.get("AIFKIT_KILL_POINTS", "3"))
SEED = int(os.environ.get("AIFKIT_KILL_SEED", str(random.SystemRandom().randrange(1 << 32))))

SUITE_YAML = """
name: killable
tasks:
  - {kind: niah, params: {length: 2500}, grid: {depth: %s}}
strategies: [truncate-front, pack:relevance]
budgets: [0.3]
readers: [evidence, extractive]
"""

_PATIENCE = 120.0  # seconds before a stuck wait fails the test (a hang, not a timing check)


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, session id) of a live process, from /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[1]), int(fields[3])


def _session(sid: int) -> list[int]:
    """The live (not zombie) processes of session ``sid``."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[2] == sid and stat[0] != "Z":
                found.append(int(entry.name))
    return found


def _lines(out: Path) -> list[str]:
    """The complete lines of ``cells.jsonl`` (a line cut short by the kill is not finished)."""
    file = out / CELLS_FILE
    if not file.exists():
        return []
    return file.read_bytes().decode().split("\n")[:-1]


def _wait(ready: Callable[[], bool], proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + _PATIENCE
    while not ready():
        assert proc.poll() is None, f"the run ended before {what} (seed {SEED})"
        assert time.monotonic() < deadline, f"no {what} within {_PATIENCE} s (seed {SEED})"
        time.sleep(0.005)


def _kill_at(suite: Path, out: Path, after: int, extra: list[str]) -> None:
    """Start `aif bench run`, SIGKILL it once ``after`` more cells are stored (0: at start-up)."""
    resume = ["--resume"] if (out / RUN_FILE).exists() else []
    argv = ["bench", "run", str(suite), "--out", str(out), "--quiet", *resume, *extra]
    proc = subprocess.Popen(
        [sys.executable, "-c", "from aifkit._cli._main import main; main()", *argv],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    start = len(_lines(out))
    if after:
        _wait(lambda: len(_lines(out)) >= start + after, proc, f"{after} new cells")
    else:  # kill while the workers start, before any cell is done
        _wait(lambda: any((_stat(p) or ("", 0, 0))[1] == proc.pid for p in _session(proc.pid)),
              proc, "worker processes")  # fmt: skip
    os.kill(proc.pid, signal.SIGKILL)
    try:
        # The caller's view: its pipes reach end of output once the run is dead.
        proc.communicate(timeout=_PATIENCE)
    except subprocess.TimeoutExpired:
        left = _session(proc.pid)
        for pid in left:  # clean up what this test started, then fail
            os.kill(pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"processes {left} kept the killed run's output open (seed {SEED})")
    assert proc.returncode == -signal.SIGKILL
    deadline = time.monotonic() + _PATIENCE
    while _session(proc.pid):
        assert time.monotonic() < deadline, f"left behind: {_session(proc.pid)} (seed {SEED})"
        time.sleep(0.01)


def _kill_repeatedly(tmp_path: Path, points: int, extra: list[str]) -> None:
    rng = random.Random(SEED)
    depths = [round(i / (40 * points - 1), 5) for i in range(40 * points)]
    (tmp_path / "suite.yaml").write_text(SUITE_YAML % json.dumps(depths))
    expected = sorted(load_suite(tmp_path / "suite.yaml").cell_ids())
    out = tmp_path / "run"
    finished: list[str] = []
    for _ in range(points):
        _kill_at(tmp_path / "suite.yaml", out, rng.choice([0, *range(1, 40)]), extra)
        lines = _lines(out)
        assert lines[: len(finished)] == finished, f"a finished cell changed (seed {SEED})"
        ids = [json.loads(line)["cell_id"] for line in lines]
        assert len(ids) == len(set(ids)), f"a cell was stored twice (seed {SEED})"
        assert len(ids) < len(expected), "every kill should land before the run ends"
        finished = lines

    run = run_suite(tmp_path / "suite.yaml", out, workers=2, resume=True)
    lines = _lines(out)
    assert lines[: len(finished)] == finished  # nothing finished before a kill was lost
    ids = [json.loads(line)["cell_id"] for line in lines]
    assert sorted(ids) == expected  # each cell exactly once
    assert run.meta["finished_at"] is not None


def test_sigkill_at_random_points_leaves_nothing_behind_and_keeps_cells(tmp_path: Path) -> None:
    _kill_repeatedly(tmp_path, POINTS, ["--workers", "2"])


@pytest.mark.skipif(not LOAD, reason="a LocalCluster takes long to start: make load-bench")
def test_a_killed_dask_local_cluster_run_leaves_nothing_behind(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    _kill_repeatedly(tmp_path, 3, ["--workers", "2", "--dask", "local"])


def test_binding_outside_a_worker_changes_nothing() -> None:
    before = [os.readlink(f"/proc/self/fd/{fd}") for fd in (0, 1, 2)]
    bind_to_parent()
    assert [os.readlink(f"/proc/self/fd/{fd}") for fd in (0, 1, 2)] == before
