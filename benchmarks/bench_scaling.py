"""Speed-up of the benchmark runner on a 1,000-cell grid: 1 worker vs 2 worker processes.

Run with ``python benchmarks/bench_scaling.py`` (needs the ``bench`` extra). The
grid is 100 needle depths x 2 strategies (``pack:relevance``, ``truncate-front``)
x 5 budgets, read by the extractive reader, over an 8,000-token haystack: 1,000
jobs, each generating (once per depth), counting and packing a context.

Each configuration runs in a fresh interpreter, timed from the outside, so both
pay the same imports: ``1 worker`` runs the jobs in that process; ``2 workers``
spawns a pool of two processes (their start-up included). ``--dask`` adds a
2-worker Dask LocalCluster (cluster start-up included).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aifkit.bench import Suite, TaskSpec


def grid(cells: int = 1000, length: int = 8000) -> Suite:
    """A suite of ``cells`` cells (a multiple of 10) over ``length``-token haystacks."""
    depths = [round(i / max(1, cells // 10 - 1), 4) for i in range(cells // 10)]
    return Suite(
        "scaling",
        (TaskSpec("niah", "niah", {"length": length}, {"depth": depths}),),
        strategies=("pack:relevance", "truncate-front"),
        budgets=(0.1, 0.2, 0.3, 0.5, 0.7),
        readers=("extractive",),
    )


_RUN = """
import sys
sys.path.insert(0, {here!r})
from bench_scaling import grid
from aifkit.bench import run_suite
if __name__ == "__main__":
    run = run_suite(grid({cells}, {length}), {out!r}, workers={workers}, dask={dask!r})
    assert len(run.cells) == {cells}, len(run.cells)
"""


def timed(cells: int, length: int, workers: int, dask: str | None = None) -> float:
    """Wall seconds of a fresh interpreter running the grid into a new run directory."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "run_grid.py"
        here = str(Path(__file__).resolve().parent)
        out = f"{tmp}/run"
        script.write_text(_RUN.format(here=here, cells=cells, length=length, out=out,
                                      workers=workers, dask=dask))  # fmt: skip
        start = time.perf_counter()
        subprocess.run([sys.executable, str(script)], check=True)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--length", type=int, default=8000, help="haystack tokens")
    parser.add_argument("--dask", action="store_true", help="also time a Dask LocalCluster")
    args = parser.parse_args()
    suite = grid(args.cells, args.length)
    print(f"{len(suite.cell_ids())} cells, {len(suite.jobs())} jobs, {args.length}-token contexts")
    one = timed(args.cells, args.length, 1)
    two = timed(args.cells, args.length, 2)
    print(f"1 worker : {one:6.2f} s  ({args.cells / one:6.0f} cells/s)")
    print(f"2 workers: {two:6.2f} s  ({args.cells / two:6.0f} cells/s)")
    print(f"speed-up : {one / two:.2f}x (ideal 2.00x)")
    if args.dask:
        spread = timed(args.cells, args.length, 2, dask="local")
        print(f"dask x2  : {spread:6.2f} s  speed-up {one / spread:.2f}x")


if __name__ == "__main__":
    main()
