"""``aif bench``: run suites, list runs, compare them, gate regressions, write the dashboard.

Each command module registers its commands on `bench_app`.
"""

from __future__ import annotations

import typer

__all__ = ["bench_app"]

bench_app = typer.Typer(
    name="bench",
    help="Run benchmark suites, compare runs, gate regressions and write the dashboard.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

from aifkit._cli import bench_analysis, bench_run  # noqa: E402  # registers on bench_app, defined above
from aifkit._cli._main import guard  # noqa: E402

bench_app.command("run")(guard(bench_run.run_command))
bench_app.command("list")(guard(bench_run.list_command))
bench_app.command("compare")(guard(bench_analysis.compare_command))
bench_app.command("regress")(guard(bench_analysis.regress_command))
bench_app.command("report")(guard(bench_analysis.report_command))
