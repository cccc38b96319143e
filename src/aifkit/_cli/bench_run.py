"""``aif bench run`` and ``aif bench list``: run a suite into a run directory; list suites and runs."""

from __future__ import annotations

import collections
import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from aifkit.bench import Run

__all__ = ["EXIT_CELLS_FAILED", "EXIT_INTERRUPTED", "list_command", "run_command"]

EXIT_CELLS_FAILED = 1
"""`aif bench run` finished, but some cells failed (as `aif bench regress` exits 1 on a finding)."""

EXIT_INTERRUPTED = 130
"""`aif bench run` was interrupted (Ctrl-C, SIGINT: 128 + 2); it says how to resume."""


def run_command(
    suite: Annotated[
        str, typer.Argument(help="A built-in suite name (see `aif bench list`) or a YAML file.")
    ],
    out: Annotated[
        str | None,
        typer.Option(
            "--out", "-o", help="The run directory; default: bench-runs/SUITE-TIME (UTC)."
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-w", min=1, help="Worker processes; default: CPU count."),
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option("--dask", help="A Dask scheduler address, or 'local' for a LocalCluster."),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="Continue the run in --out (default: the latest unfinished one)."
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    no_endpoint_check: Annotated[
        bool,
        typer.Option(
            "--no-endpoint-check",
            help="Skip the one call that checks a model endpoint before the run "
            "(a rerun answered from the response cache, an endpoint only Dask workers reach).",
        ),
    ] = False,
) -> int:
    """Run a benchmark suite; each finished cell is stored at once, so a killed run resumes.

    Exits 1 when cells failed (the first error on stderr), 2 on bad input or an
    endpoint that fails its check before the run. A cell a strategy refused (`BudgetError`,
    `SummaryRejectedError`) is a result, not a failure of the run. Interrupted (Ctrl-C),
    it exits 130 naming the command that resumes it.
    """
    from aifkit._extras import require
    from aifkit.bench import load_suite, run_directory, run_suite
    from aifkit.bench._strategies import require_strategies

    # Checked here, not in a worker: a missing extra is one line, before any work starts.
    # (A YAML suite without pyyaml already stops in load_suite, with the same line.)
    spec = load_suite(suite)
    needs = {
        "distributed": dask is not None,
        "openai": any(r.startswith("model") for r in spec.readers),
    }
    require("bench", [module for module, needed in needs.items() if needed])
    require_strategies(spec.resolved_strategies())  # a peer that is not installed: one line
    target = run_directory(spec, out, resume=resume)
    try:
        run = run_suite(
            spec, target, workers=workers, dask=dask, resume=resume, progress=not quiet,
            check_endpoint=not no_endpoint_check,
        )  # fmt: skip
    except KeyboardInterrupt:  # every finished cell is stored: say how to go on
        print(
            f"aif: interrupted; the finished cells are kept in {target}; resume with: "
            f"aif bench run {suite} --out {target} --resume",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    statuses = collections.Counter(c.status for c in run.cells)
    passed = sum(c.metrics.get("passed") is True for c in run.cells)
    print(
        f"{run.path}: {len(run.cells)} cells ({statuses['ok']} ok, {statuses['failed']} failed), "
        f"{passed} passed"
    )
    if not quiet:
        _print_summary(run)
    refused = [c for c in run.cells if c.refused]
    if refused:
        print(
            f"{len(refused)} cells were refused by their strategy (a budget below what must be "
            "kept, or a rejected summary): results, not errors",
            file=sys.stderr,
        )
    failed = [c for c in run.cells if c.errored]
    if not failed:
        return 0
    first = failed[0]
    print(
        f"aif: {len(failed)} of {len(run.cells)} cells failed; first: {first.cell_id} "
        f"({first.task}, {first.strategy}, {first.reader}): {' '.join((first.error or '?').split())}; "
        f"every failed cell's error is in {run.path / 'cells.jsonl'}",
        file=sys.stderr,
    )
    return EXIT_CELLS_FAILED


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _print_summary(run: Run) -> None:
    from rich.console import Console
    from rich.table import Column, Table

    from aifkit.bench import summarize

    table = Table(
        Column("strategy", no_wrap=True), "cells", "passed", "evidence kept", "tokens kept",
        "over budget", "orphans", "pack ms", title="per strategy (pack ms: median)",
        title_justify="left",
    )  # fmt: skip
    for row in summarize(run):
        table.add_row(
            row.strategy,
            str(row.cells) + (f" ({row.failed} failed)" if row.failed else ""),
            _pct(row.pass_rate),
            _pct(row.evidence_survival),
            _pct(row.ratio_achieved),
            str(row.budget_violations),
            str(row.orphaned_tool_messages),
            "-" if row.pack_latency_ms is None else f"{row.pack_latency_ms:.2f}",
        )
    Console(width=max(Console().width, 110)).print(table)


def list_command(
    runs: Annotated[
        str, typer.Option("--runs", help="Where to look for run directories.")
    ] = "bench-runs",
) -> None:
    """List the built-in suites and the runs found under --runs."""
    from aifkit.bench import list_runs, list_suites, load_suite
    from aifkit.bench._builtin import unavailable_tasks
    from aifkit.bench._strategies import unavailable_strategies

    print("suites:")
    for name in list_suites():
        suite = load_suite(name)
        print(f"  {name:<10} {len(suite.cell_ids()):>6} cells  {suite.description}")
    left_out = unavailable_strategies()
    if left_out:  # cell counts differ between installs: say which strategies and why
        print("strategies left out of these counts, because they cannot run here:")
        for strategy, reason in sorted(left_out.items()):
            print(f"  {strategy}: {reason}")
    missing_tasks = unavailable_tasks()
    if missing_tasks:
        print("tasks left out of these counts, because they cannot run here:")
        for task, reason in sorted(missing_tasks.items()):
            print(f"  {task}: {reason}")
    found = list_runs(runs)
    print(f"runs under {runs}:" if found else f"runs under {runs}: none")
    for run in found:
        state = "finished" if run.finished_at else "unfinished (resume with --resume)"
        print(
            f"  {run.path}  {run.suite}  {run.started_at or '?'}  "
            f"{run.cells_done}/{run.cells_total} cells  {state}"
        )
