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
