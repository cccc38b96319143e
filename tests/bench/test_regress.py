"""regress(): flagged only past the factor AND significant, in the metric's bad direction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.bench import REFUSALS, Cell, RegressionReport, Run, load_run, regress
from aifkit.bench._regress import EXIT_REGRESSION, FAILED
from aifkit.errors import UnknownNameError, UsageError
from tests.bench.helpers_runs import make_cell, synthetic_run, write_run


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthetic_run(tmp_path_factory.mktemp("base") / "base", noise_seed=1)


TIMED = {"wall_timing": True, "timing_factor": 1.0, "timing_min_ms": 0.0}
"""Gate timings like any metric: these tests use pack latency to check the gate's rules."""


def _flagged(report: RegressionReport) -> set[tuple[str, str, str]]:
    return {(c.task, c.strategy, c.metric) for c in report.regressions}


def test_a_run_against_itself_has_no_regression(base: Path) -> None:
    report = regress(base, base)
    assert not report.regressed
    assert report.exit_code == 0
    assert report.front_losses == ()
    assert report.changes  # it did check
    assert {c.status for c in report.changes} == {"unchanged"}


@pytest.mark.parametrize("noise", [2, 3, 4])
def test_noise_alone_is_not_a_regression(base: Path, tmp_path: Path, noise: int) -> None:
    # Same simulated strategies, other random draws: nothing may be flagged.
    report = regress(base, synthetic_run(tmp_path / "run", noise_seed=noise))
    assert not report.regressions, report.to_markdown()
    assert not report.front_losses, report.to_markdown()


def test_slower_packing_is_a_regression_faster_an_improvement(base: Path, tmp_path: Path) -> None:
    run = synthetic_run(tmp_path / "run", noise_seed=1, latency={"recency": 1.6, "bm25": 0.5})
    report = regress(base, run, **TIMED)
    assert _flagged(report) == {
        ("niah", "recency", "pack_latency_ms"),
        ("retrieval", "recency", "pack_latency_ms"),
    }
    improved = {(c.task, c.strategy, c.metric) for c in report.improvements}
    assert ("niah", "bm25", "pack_latency_ms") in improved
    assert report.exit_code == EXIT_REGRESSION == 1
    change = next(c for c in report.regressions if c.task == "niah")
    assert change.better == "lower"
    assert change.ratio is not None
    assert change.ratio > 1.1
    assert change.p_value < 0.05


def test_a_significant_move_inside_the_factor_is_not_flagged(base: Path, tmp_path: Path) -> None:
    run = synthetic_run(tmp_path / "run", noise_seed=1, latency={"recency": 1.06})
    report = regress(base, run, **TIMED)
    change = next(
        c
        for c in report.changes
        if (c.task, c.strategy, c.metric) == ("niah", "recency", "pack_latency_ms")
    )
    assert change.p_value < 0.05  # significant ...
    assert change.ratio is not None
    assert change.ratio < 1.1  # ... but under the factor
    assert change.status == "unchanged"
    assert not report.regressed
    # the same move counts once the factor is lowered
    assert ("niah", "recency", "pack_latency_ms") in _flagged(
        regress(base, run, factor=1.02, **TIMED)
    )


def test_a_big_move_without_significance_is_not_flagged(tmp_path: Path) -> None:
    def cells(ms: float) -> list[dict[str, object]]:
        return [make_cell(seed=s, metrics={"pack_latency_ms": ms + s}) for s in range(2)]

    baseline = write_run(tmp_path / "a", cells(10.0))
    run = write_run(tmp_path / "b", cells(40.0))  # 3.7x slower, but 2 cells against 2
    report = regress(baseline, run, **TIMED)
    (change,) = [c for c in report.changes if c.metric == "pack_latency_ms"]
    assert change.ratio is not None
    assert change.ratio > 3
    assert change.p_value >= 0.05
    assert change.status == "unchanged"
    assert not report.regressed


def test_lower_accuracy_regresses_and_moves_the_pareto_front_back(
    base: Path, tmp_path: Path
) -> None:
    run = synthetic_run(tmp_path / "run", noise_seed=1, quality={"bm25": -0.45})
    report = regress(base, run)
    flagged = _flagged(report)
    assert ("niah", "bm25", "passed") in flagged
    assert all(strategy == "bm25" for _, strategy, _ in flagged)
    losses = [(f.task, f.point.strategy) for f in report.front_losses]
    assert ("niah", "bm25") in losses
    loss = next(f for f in report.front_losses if f.task == "niah")
    assert loss.metric == "passed"
    assert loss.best is not None
    assert loss.best.accuracy < loss.point.accuracy / report.factor
    assert loss.p_value < 0.05


def test_more_tokens_for_the_same_accuracy_regresses(base: Path, tmp_path: Path) -> None:
    run = synthetic_run(tmp_path / "run", noise_seed=1, tokens={"bm25": 1.5})
    report = regress(base, run)
    assert ("niah", "bm25", "tokens_after") in _flagged(report)
    assert ("niah", "bm25", "cost_usd") in _flagged(report)


def test_cells_that_now_fail_are_a_regression(base: Path, tmp_path: Path) -> None:
    run = synthetic_run(tmp_path / "run", noise_seed=1, failing=["recency"])
    report = regress(base, run)
    assert ("niah", "recency", FAILED) in _flagged(report)
    change = next(c for c in report.regressions if c.metric == FAILED and c.task == "niah")
    assert (change.baseline, change.value) == (0.0, 1.0)


def test_runs_with_other_seeds_compare_by_condition(tmp_path: Path) -> None:
    def cells(seeds: range, ms: float) -> list[dict[str, object]]:
        return [make_cell(seed=s, metrics={"pack_latency_ms": ms + s / 10}) for s in seeds]

    baseline = write_run(tmp_path / "a", [*cells(range(8), 10.0), make_cell(strategy="x")])
    run = write_run(tmp_path / "b", cells(range(100, 108), 30.0))
    report = regress(baseline, run, **TIMED)
    assert report.skipped_conditions == 1
    assert (report.cells_baseline, report.cells_run) == (8, 8)
    assert ("niah", "recency", "pack_latency_ms") in _flagged(report)


def test_the_markdown_summary_is_ready_for_a_pull_request(base: Path, tmp_path: Path) -> None:
    run = synthetic_run(tmp_path / "run", noise_seed=1, quality={"bm25": -0.45})
    text = regress(base, run).to_markdown()
    assert text.startswith("## aif bench regress: :x:")
    assert "### Regressions" in text
    assert "| niah | bm25 | passed (higher is better) |" in text
    assert "### Pareto fronts that moved back" in text
    assert "<details><summary>All" in text
    clean = regress(base, base).to_markdown()
    assert clean.startswith("## aif bench regress: :white_check_mark: no regression")
    assert "### Regressions" not in clean


def test_to_json_carries_every_check(base: Path, tmp_path: Path) -> None:
    run = synthetic_run(tmp_path / "run", noise_seed=1, latency={"recency": 2.0})
    report = regress(base, run, wall_timing=True)
    data = report.to_json()
    assert data["regressed"] is True
    assert len(data["changes"]) == len(report.changes)
    assert {c["status"] for c in data["changes"]} >= {"regressed", "unchanged"}
    assert data["timing"]["gated"] is True
    assert [(c["clock"], c["basis"]) for c in data["timing"]["clocks"]] == [
        ("cpu", "raw"),
        ("wall", "raw"),
    ]  # no calibration in these runs


@pytest.mark.parametrize(("factor", "alpha"), [(0.9, 0.05), (1.1, 0.0), (1.1, 1.0)])
def test_bad_thresholds_are_usage_errors(base: Path, factor: float, alpha: float) -> None:
    with pytest.raises(UsageError):
        regress(base, base, factor=factor, alpha=alpha)


def test_runs_with_nothing_in_common_are_refused(tmp_path: Path) -> None:
    baseline = write_run(tmp_path / "a", [make_cell(task="one")])
    run = write_run(tmp_path / "b", [make_cell(task="two")])
    with pytest.raises(UsageError, match="share no condition"):
        regress(baseline, run)


def test_p_values_are_holm_adjusted_unless_told_not_to(base: Path, tmp_path: Path) -> None:
    run = synthetic_run(tmp_path / "run", noise_seed=2)
    adjusted = regress(base, run)
    raw = regress(base, run, correction="none")
    assert adjusted.correction == "holm"
    assert all(c.p_adjusted >= c.p_value for c in adjusted.changes)
    assert any(c.p_adjusted > c.p_value for c in adjusted.changes)
    assert all(c.p_adjusted == c.p_value for c in raw.changes)
    assert [c.p_value for c in raw.changes] == [c.p_value for c in adjusted.changes]


def test_ignored_metrics_and_checks_are_not_gated(base: Path, tmp_path: Path) -> None:
    slow = synthetic_run(tmp_path / "slow", noise_seed=1, latency={"recency": 2.0})
    assert regress(base, slow, wall_timing=True).regressed
    report = regress(base, slow, ignore=["pack_latency_ms"], wall_timing=True)
    assert not report.regressed
    assert all(c.metric != "pack_latency_ms" for c in report.changes)
    worse = synthetic_run(tmp_path / "worse", noise_seed=1, quality={"bm25": -0.45})
    assert regress(base, worse).front_losses
    assert regress(base, worse, ignore=["pareto"]).front_losses == ()
    failing = synthetic_run(tmp_path / "failing", noise_seed=1, failing=["recency"])
    assert all(c.metric != FAILED for c in regress(base, failing, ignore=[FAILED]).changes)


def test_an_unknown_ignored_metric_is_named(base: Path) -> None:
    with pytest.raises(UnknownNameError, match="unknown metric 'latency'"):
        regress(base, base, ignore=["latency"])
    with pytest.raises(UsageError, match="unknown correction"):
        regress(base, base, correction="bonferroni")  # type: ignore[arg-type]


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(0.1, 100.0), min_size=3, max_size=12),
    st.lists(st.floats(0.1, 100.0), min_size=3, max_size=12),
    st.floats(1.0, 3.0),
)
def test_a_flag_always_means_past_the_factor_and_significant(
    before: list[float], after: list[float], factor: float
) -> None:
    def run(name: str, values: list[float]) -> Run:
        cells = [Cell.from_json(make_cell(seed=i, metrics={"pack_latency_ms": v}))
                 for i, v in enumerate(values)]  # fmt: skip
        return Run(Path(name), {"run_id": name}, tuple(cells))

    report = regress(run("a", before), run("b", after), factor=factor, **TIMED)
    assert not regress(run("a", before), run("a", before), factor=factor, **TIMED).regressed
    for change in report.changes:
        if change.status == "regressed":
            assert change.value > change.baseline * factor
            assert change.p_adjusted < report.alpha
        elif change.status == "improved":
            assert change.value < change.baseline / factor
            assert change.p_adjusted < report.alpha


def _fail_cells(run: Path, strategy: str, error_type: str) -> Path:
    """Mark ``strategy``'s cells of ``run`` failed with ``error_type``, as the runner stores them."""
    cells = [json.loads(line) for line in (run / "cells.jsonl").read_text().splitlines()]
    for cell in cells:
        if cell["strategy"] == strategy:
            cell.update(status="failed", error=f"{error_type}: over by 8", error_type=error_type,
                        metrics={}, answer=None)  # fmt: skip
    return write_run(run, cells)


@pytest.mark.parametrize("error_type", sorted(REFUSALS))
def test_a_strategys_refusals_are_results_not_failed_cells(
    base: Path, tmp_path: Path, error_type: str
) -> None:
    refused = _fail_cells(synthetic_run(tmp_path / "a", noise_seed=1), "recency", error_type)
    errored = _fail_cells(synthetic_run(tmp_path / "b", noise_seed=1), "recency", "ModelCallError")
    assert all(c.refused and not c.errored for c in load_run(refused).cells if c.status != "ok")
    assert not any(c.metric == FAILED for c in regress(base, refused).regressions)
    assert ("niah", "recency", FAILED) in _flagged(regress(base, errored))
