"""`run_suite`: expand a suite, run its jobs on processes or Dask, store cells as they finish.

Each finished cell is appended to ``cells.jsonl`` (fsynced) and indexed in
``index.sqlite`` before the next result is taken, so a run killed at any moment
resumes (``resume=True``) with every finished cell kept once and only the rest run.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, cast

from aifkit.bench import _calibration as calibrate
from aifkit.bench._execute import execute_job, execute_jobs
from aifkit.bench._index import RunIndex
from aifkit.bench._store import (
    RUN_FILE,
    Cell,
    Run,
    append_cells,
    load_run,
    read_cells,
    read_meta,
    repair_cells,
    write_meta,
)
from aifkit.bench._suite import Job, Suite, load_suite
from aifkit.errors import MissingDependencyError, StoreError, UsageError

__all__ = ["DEFAULT_RUNS", "RunSummary", "list_runs", "run_directory", "run_suite"]

DEFAULT_RUNS = Path("bench-runs")
"""Where runs go when no ``out`` is given (relative to the working directory)."""

_PACKAGES = ("aifkit", "tiktoken", "numpy", "bm25s", "pydantic", "openai", "genai-prices", "dask")

Results = Generator[list[dict[str, Any]], None, None]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False,
            cwd=Path(__file__).parent,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _packages() -> dict[str, str]:
    found: dict[str, str] = {}
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def _meta(suite: Suite, run_id: str, total: int) -> dict[str, Any]:
    from aifkit._version import __version__

    return {
        "run_id": run_id,
        "suite": suite.name,
        "suite_spec": suite.to_json(),
        "started_at": _now(),
        "finished_at": None,
        "aifkit_version": __version__,
        "git_commit": _git_commit(),
        "packages": _packages(),
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count() or 1,
        },
        "cells_total": total,
    }


def _start_worker() -> None:
    """Start a worker process: bind its life to the run's, load the tokenizer once.

    Ctrl-C reaches every process of the terminal's group: the run stops in the
    parent, which says how to resume and ends the workers, so a worker ignores it
    rather than print a traceback of the cell it was in.
    """
    import signal

    from aifkit.bench._lifetime import bind_to_parent
    from aifkit.tokens import get_tokenizer

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    bind_to_parent()
    get_tokenizer("o200k_base").count("warm")


_BATCH = 16


def _batches(jobs: Sequence[Job]) -> list[list[Job]]:
    """Consecutive jobs of one task instance, up to `_BATCH` a batch.

    A worker then generates (and counts) each instance once, however many
    strategies and budgets share it, and results travel back in fewer messages.
    """
    batches: list[list[Job]] = []
    key: object = None
    for job in jobs:
        this = (job.task, repr(sorted(job.params.items())), job.seed)
        if batches and this == key and len(batches[-1]) < _BATCH:
            batches[-1].append(job)
        else:
            batches.append([job])
            key = this
    return batches


def _local(jobs: Sequence[Job], workers: int) -> Results:
    model_jobs = [j for j in jobs if j.uses_model]
    cpu_jobs = [j for j in jobs if not j.uses_model]
    threads = ThreadPoolExecutor(max_workers=max(1, min(32, 4 * len(model_jobs) or 1)))
    futures: list[Future[list[dict[str, Any]]]] = [
        threads.submit(execute_job, j) for j in model_jobs
    ]
    pool = None
    finished = False
    try:
        if workers <= 1:
            for batch in _batches(cpu_jobs):
                yield execute_jobs(batch)
        elif cpu_jobs:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # spawn: forking a process that runs threads (progress, model calls) is unsafe.
            # Workers are spawned here, by the thread that drives the run, which
            # outlives them (Linux's death signal follows the spawning thread).
            pool = ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker
            )
            futures += [pool.submit(execute_jobs, b) for b in _batches(cpu_jobs)]
        for future in as_completed(futures):
            yield future.result()
        finished = True
    finally:
        # Interrupted (or closed early): drop what is queued and do not wait for it.
        threads.shutdown(wait=finished, cancel_futures=not finished)
        if pool is not None:
            pool.shutdown(wait=finished, cancel_futures=not finished)


def _dask(jobs: Sequence[Job], address: str, workers: int) -> Results:
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError:
        raise MissingDependencyError("distributed", "bench") from None
    cluster = None
    if address == "local":
        cluster = LocalCluster(
            n_workers=max(1, workers), threads_per_worker=1, processes=True,
            dashboard_address=":0",
        )  # fmt: skip
        client = Client(cluster)
    else:
        client = Client(address)
    try:
        futures: list[Any] = client.map(execute_jobs, _batches(jobs), pure=False)  # pyright: ignore[reportUnknownMemberType]
        for future in dask_completed(futures):  # pyright: ignore[reportUnknownVariableType]
            yield cast("list[dict[str, Any]]", future.result())  # pyright: ignore[reportUnknownMemberType]
    finally:
        client.close()  # pyright: ignore[reportUnknownMemberType]
        if cluster is not None:
            cluster.close()


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A run found on disk: where, which suite, how far it got."""

    path: Path
    run_id: str
    suite: str
    started_at: str | None
    finished_at: str | None
    cells_total: int
    cells_done: int


def list_runs(root: str | Path = DEFAULT_RUNS) -> list[RunSummary]:
    """Return the runs under ``root`` (directories holding ``run.json``), oldest first.

    Examples:
        >>> list_runs("/nonexistent")
        []
    """
    base = Path(root)
    if not base.is_dir():
        return []
    found: list[RunSummary] = []
    candidates = [base, *sorted(p for p in base.iterdir() if p.is_dir())]
    for path in candidates:
        if not (path / "run.json").is_file():
            continue
        try:
            run = load_run(path)
        except StoreError:
            continue
        meta = run.meta
        total = meta.get("cells_total")
        found.append(
            RunSummary(
                path, run.run_id, str(meta.get("suite", "?")), meta.get("started_at"),
                meta.get("finished_at"), total if isinstance(total, int) else 0, len(run.cells),
            )
        )  # fmt: skip
    return sorted(found, key=lambda r: (r.started_at or "", r.run_id))


def run_directory(
    suite: Suite, out: str | Path | None = None, *, resume: bool = False,
    runs_root: str | Path = DEFAULT_RUNS,
) -> Path:  # fmt: skip
    """Return the directory `run_suite` writes to with these arguments.

    ``out`` when given; with ``resume``, the latest unfinished run of ``suite``
    under ``runs_root``; else a new ``runs_root/<suite>-<UTC time>``. Passing the
    result to `run_suite` as ``out`` runs in the same place, so a caller can say
    where an interrupted run is kept.

    Raises:
        UsageError: ``resume`` without ``out``, and no unfinished run of ``suite``.

    Examples:
        >>> from aifkit.bench import load_suite
        >>> run_directory(load_suite("quick"), "runs/today").as_posix()
        'runs/today'
        >>> run_directory(load_suite("quick")).name.startswith("quick-")
        True
    """
    root = Path(runs_root)
    if out is not None:
        return Path(out)
    if resume:
        open_runs = [r for r in list_runs(root) if r.suite == suite.name and not r.finished_at]
        if open_runs:
            return open_runs[-1].path
        raise UsageError(
            f"no unfinished run of suite {suite.name!r} under {root}",
            hint="pass --out with the run directory to resume",
        )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return root / f"{suite.name}-{stamp}"


def run_suite(
    suite: Suite | str | Path,
    out: str | Path | None = None,
    *,
    workers: int | None = None,
    dask: str | None = None,
    resume: bool = False,
    progress: bool = False,
    runs_root: str | Path = DEFAULT_RUNS,
    on_cell: Callable[[Cell], None] | None = None,
    check_endpoint: bool = True,
) -> Run:
    """Run a suite into a run directory and return the run.

    Args:
        suite: A `Suite`, a built-in suite name or a YAML file.
        out: The run directory; default ``runs_root/<suite>-<UTC time>``.
        workers: Worker processes (default: the CPU count); 1 runs in this process.
        dask: A Dask scheduler address, or ``"local"`` for a LocalCluster of ``workers``.
        resume: Continue the run in ``out`` (default: the latest unfinished run of
            the suite under ``runs_root``), skipping finished cells.
        progress: Show a rich progress bar on stderr.
        runs_root: Where new runs go when ``out`` is not given.
        on_cell: Called with each cell as it is stored.
        check_endpoint: Before running, make one cheap call to each model endpoint
            that cells still to run will use (`ModelReader.check`); off for a
            rerun served from the response cache without the endpoint, or an
            endpoint only the Dask workers can reach.

    Raises:
        StoreError: ``out`` already holds a run and ``resume`` is not set.
        UsageError: ``resume`` is set but ``out`` holds no run (or, without ``out``,
            no unfinished run of the suite is found).
        ModelCallError: ``check_endpoint`` is set and an endpoint does not answer.

    Examples:
        >>> import tempfile
        >>> from aifkit.bench import Suite, TaskSpec
        >>> suite = Suite("tiny", (TaskSpec("niah", "niah", {"length": 300}),),
        ...     strategies=("truncate-front",), readers=("evidence", "extractive"))
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     run = run_suite(suite, f"{tmp}/run", workers=1)
        ...     sorted(c.reader for c in run.cells), run.meta["cells_total"]
        (['evidence', 'extractive'], 2)
    """
    suite = suite if isinstance(suite, Suite) else load_suite(suite)
    target = run_directory(suite, out, resume=resume, runs_root=runs_root)
    jobs = suite.jobs()
    total = sum(len(j.readers) for j in jobs)
    exists = (target / RUN_FILE).exists()
    if exists and not resume:
        raise StoreError(
            target, "already holds a run", hint="pass --resume to continue it, or another --out"
        )
    if resume and not exists:
        raise UsageError(
            f"{target} holds no run to resume", hint="drop --resume to start a new run there"
        )
    if check_endpoint:  # before anything is written, so a bad endpoint leaves no trace
        _check_endpoints(_pending(jobs, {c.cell_id for c in read_cells(target)[0]}))
    if exists:
        meta = read_meta(target)
        meta.update(cells_total=total, finished_at=None, suite_spec=suite.to_json())
    else:
        target.mkdir(parents=True, exist_ok=True)
        meta = _meta(suite, target.name, total)
    write_meta(target, meta)
    done = {c.cell_id for c in repair_cells(target)}
    index = RunIndex(target)
    try:
        index.set_run(meta)
        index.sync(meta["run_id"])
        todo = _pending(jobs, done)
        # The machine's speed, timed before and after the cells: regress judges timings by it.
        sampler = calibrate.Sampler() if todo else None
        _drive(
            target, meta["run_id"], index, todo, workers, dask, progress, total, len(done),
            on_cell, sampler,
        )  # fmt: skip
        if sampler is not None:
            sampler.finish()
            calibrate.record(meta, sampler.wall, sampler.cpu)
            write_meta(target, meta)
            index.set_run(meta)
    finally:
        index.close()
    run = load_run(target)
    if {c.cell_id for c in run.cells} >= {cid for job in jobs for _, cid in job.readers}:
        meta["finished_at"] = _now()
        write_meta(target, meta)
        index = RunIndex(target)
        index.set_run(meta)
        index.close()
    return load_run(target)


def _check_endpoints(jobs: Sequence[Job]) -> None:
    """One cheap call per distinct endpoint the jobs will call, before the run starts."""
    from dataclasses import replace

    from aifkit.bench._model_reader import Endpoint, ModelReader

    checked: set[Endpoint] = set()
    for job in jobs:
        if job.uses_model:
            endpoint = replace(Endpoint.from_config(job.endpoint), cache="")
            if endpoint not in checked:
                checked.add(endpoint)
                ModelReader(endpoint).check()


def _pending(jobs: Sequence[Job], done: set[str]) -> list[Job]:
    from dataclasses import replace

    todo: list[Job] = []
    for job in jobs:
        left = tuple((r, c) for r, c in job.readers if c not in done)
        if left:
            todo.append(job if len(left) == len(job.readers) else replace(job, readers=left))
    return todo


def _drive(
    target: Path,
    run_id: str,
    index: RunIndex,
    jobs: Sequence[Job],
    workers: int | None,
    dask: str | None,
    progress: bool,
    total: int,
    already: int,
    on_cell: Callable[[Cell], None] | None,
    sampler: calibrate.Sampler | None = None,
) -> None:
    count = workers if workers is not None else (os.cpu_count() or 1)
    results = _dask(jobs, dask, count) if dask else _local(jobs, count)
    bar = _Progress(total, already) if progress else None
    try:
        for batch in results:
            cells = [Cell.from_json(c) for c in batch]
            append_cells(target, cells)
            index.add(run_id, cells)
            for cell in cells:
                if on_cell is not None:
                    on_cell(cell)
            if bar is not None:
                bar.advance(len(cells), sum(c.status == "failed" for c in cells))
            if sampler is not None:
                sampler.tick()
    finally:
        results.close()
        if bar is not None:
            bar.stop()


class _Progress:
    def __init__(self, total: int, done: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._failed = 0
        self._bar = Progress(
            TextColumn("cells"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=False,
        )  # fmt: skip
        self._task = self._bar.add_task("cells", total=total, completed=done, failed=0)
        self._bar.start()

    def advance(self, n: int, failed: int) -> None:
        self._failed += failed
        self._bar.update(self._task, advance=n, failed=self._failed)

    def stop(self) -> None:
        self._bar.stop()
