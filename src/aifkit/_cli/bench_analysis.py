"""``aif bench compare``, ``aif bench regress`` and ``aif bench report``: read run directories.

Exit codes of ``regress``: 0 no regression; 1 a metric regressed or a Pareto
front moved back (see `aifkit.bench.regress`); 2 a run cannot be read or an
option is invalid.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from aifkit._cli._io import write_json
from aifkit.errors import UsageError

if TYPE_CHECKING:
    from aifkit.bench import RegressionReport

__all__ = ["compare_command", "regress_command", "report_command"]


def _write_text(text: str, path: str) -> None:
    if path == "-":
        sys.stdout.write(text)
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot write ({exc.strerror})") from None


def compare_command(
    run_a: Annotated[str, typer.Argument(metavar="RUN_A", help="The reference run directory.")],
    run_b: Annotated[
        str, typer.Argument(metavar="RUN_B", help="The run directory compared against it.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print Markdown tables instead of a terminal table.")
    ] = False,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric",
            "-m",
            metavar="METRIC",
            help="A metric to show (repeat); default: all with a direction.",
        ),
    ] = None,
    confidence: Annotated[
        float, typer.Option("--confidence", help="Level of the bootstrap intervals.")
    ] = 0.95,
) -> None:
    """Compare RUN_B against RUN_A: paired differences with bootstrap intervals, McNemar, Pareto fronts.

    Cells are paired by cell id; the difference is B - A per task and strategy.
    """
    from aifkit.bench import compare

    comparison = compare(run_a, run_b, confidence=confidence)
    if as_json:
        write_json(comparison.to_json())
    elif markdown:
        sys.stdout.write(comparison.to_markdown(metric))
    else:
        from rich.console import Console

        Console(width=None if sys.stdout.isatty() else 160).print(comparison.to_rich(metric))


def regress_command(
    run: Annotated[str, typer.Argument(metavar="RUN", help="The run directory to check.")],
    baseline: Annotated[
        str, typer.Option("--baseline", "-b", metavar="RUN", help="The baseline run directory.")
    ],
    markdown: Annotated[
        str | None,
        typer.Option(
            "--markdown",
            metavar="FILE",
            help="Write the Markdown summary (for a PR comment) here; - for stdout.",
        ),
    ] = None,
    factor: Annotated[
        float, typer.Option("--factor", help="How far a mean must move (as a ratio) to count.")
    ] = 1.1,
    alpha: Annotated[
        float, typer.Option("--alpha", help="Significance level of the Mann-Whitney U test.")
    ] = 0.05,
    no_correction: Annotated[
        bool,
        typer.Option(
            "--no-correction",
            help="Compare each raw p-value to --alpha (default: Holm-adjusted p-values).",
        ),
    ] = False,
    ignore: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore",
            metavar="METRIC",
            help="A metric not to gate on (repeat); 'failed' and 'pareto' name those checks.",
        ),
    ] = None,
    timing: Annotated[
        bool,
        typer.Option(
            "--timing",
            help="Gate the CPU timings too (pack_cpu_ms), on medians, scaled by the runs' "
            "calibrations when those differ; default: left out.",
        ),
    ] = False,
    wall_timing: Annotated[
        bool,
        typer.Option(
            "--wall-timing",
            help="Gate the wall times too (pack_latency_ms, reader_latency_ms; implies "
            "--timing): only on a machine no other job uses.",
        ),
    ] = False,
    timing_factor: Annotated[
        float,
        typer.Option(
            "--timing-factor", help="With --timing: the smallest move of a timing that counts."
        ),
    ] = 1.5,
    timing_min_ms: Annotated[
        float,
        typer.Option(
            "--timing-min-ms",
            help="With --timing: the smallest move of a timing, in ms, that counts.",
        ),
    ] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
) -> int:
    """Gate RUN against --baseline: exit 1 when a metric regressed or a Pareto front moved back.

    A metric is flagged only when its mean moves past --factor in the bad direction
    and a Mann-Whitney U test gives p < --alpha. Timings move with the machine's load,
    so they are gated only when asked: --timing gates CPU time (pack_cpu_ms),
    --wall-timing wall times too, on medians (scaled by the calibrations the runs
    recorded when those differ significantly), flagged past --timing-factor and
    --timing-min-ms. Exit 0: no regression; 1:
    regression; 2: a run cannot be read or an option is invalid.
    """
    from aifkit.bench import regress

    correction = "none" if no_correction else "holm"
    report = regress(
        baseline, run, factor=factor, alpha=alpha, correction=correction, ignore=ignore or (),
        timing=timing, wall_timing=wall_timing, timing_factor=timing_factor,
        timing_min_ms=timing_min_ms,
    )  # fmt: skip
    if markdown is not None:
        _write_text(report.to_markdown(), markdown)
    if as_json:
        write_json(report.to_json())
    elif markdown != "-":
        _print_summary(report)
    return report.exit_code


def _print_summary(r: RegressionReport) -> None:
    p_name = "adjusted p" if r.correction == "holm" else "p"  # --no-correction: raw p-values
    for c in r.regressions:
        print(
            f"REGRESSION {c.task} / {c.strategy}: {c.metric} {c.baseline:.4g} -> {c.value:.4g} "
            f"({c.better} is better, {p_name}={c.p_adjusted:.3g})"
        )
    for f in r.front_losses:
        best = "nothing" if f.best is None else f"{f.best.label} at {f.best.accuracy:.3g}"
        print(
            f"REGRESSION {f.task}: Pareto point {f.point.label} ({f.point.tokens:.0f} tokens, "
            f"{f.metric} {f.point.accuracy:.3g}) lost; best within reach: {best}"
        )
    for c in r.improvements:
        print(f"improved   {c.task} / {c.strategy}: {c.metric} {c.baseline:.4g} -> {c.value:.4g}")
    verdict = (
        f"{len(r.regressions) + len(r.front_losses)} regression(s)"
        if r.regressed
        else "no regression"
    )
    print(
        f"{r.run} vs baseline {r.baseline}: {verdict} "
        f"({len(r.changes)} checks, factor {r.factor:g}, alpha {r.alpha:g})"
    )
    if r.timing_note:
        print(r.timing_note)


def report_command(
    runs: Annotated[
        list[str], typer.Argument(metavar="RUN", help="Run directories, oldest first.")
    ],
    output: Annotated[
        str, typer.Option("-o", "--output", metavar="FILE", help="The HTML file to write.")
    ],
    title: Annotated[str | None, typer.Option("--title", help="The page title.")] = None,
) -> None:
    """Write the dashboard of RUN... as one self-contained HTML file (opens offline)."""
    from aifkit.bench import write_report

    path = write_report(runs, output, title=title)
    print(f"{path}: dashboard of {len(runs)} run(s)")
