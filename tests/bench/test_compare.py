"""compare(): paired differences by cell id, seeded bootstrap intervals, McNemar, Pareto fronts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from scipy.stats import binomtest

from aifkit.bench import Comparison, compare, load_run
from aifkit.bench._stats import bootstrap_mean_ci, mann_whitney_p, mcnemar_p, pareto_front
from aifkit.errors import StoreError, UsageError
from tests.bench.helpers_runs import make_cell, synthetic_run, write_run


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runs")
    return {
        "base": synthetic_run(root / "base", noise_seed=1),
        # Same noise, so every cell but bm25's draws identically; bm25 passes far less often.
        "worse_bm25": synthetic_run(root / "worse", noise_seed=1, quality={"bm25": -0.45}),
    }


def test_a_run_against_itself_shows_no_difference(runs: dict[str, Path]) -> None:
    comparison = compare(runs["base"], runs["base"])
    assert comparison.pairs == len(load_run(runs["base"]).cells)
    assert comparison.only_a == comparison.only_b == 0
    for group in comparison.groups:
        assert group.deltas
        for delta in group.deltas:
            assert delta.diff == delta.low == delta.high == 0
            assert delta.verdict == "same"
        assert group.mcnemar is not None
        assert group.mcnemar.a_only == group.mcnemar.b_only == 0
        assert group.mcnemar.p_value == 1.0
        assert group.mcnemar.both + group.mcnemar.neither == group.pairs


def test_a_worse_strategy_is_found_and_only_that_one(runs: dict[str, Path]) -> None:
    comparison = compare(runs["base"], runs["worse_bm25"])
    for group in comparison.groups:
        passed = group.delta("passed")
        assert passed is not None
        assert group.mcnemar is not None
        if group.strategy == "bm25" and group.task == "niah":
            assert passed.verdict == "worse"
            assert passed.high < 0
            assert group.mcnemar.a_only > group.mcnemar.b_only
            assert group.mcnemar.p_value < 0.001
        elif group.strategy != "bm25":
            assert passed.verdict == "same"
            assert passed.diff == 0
    # the tokens did not change, so tokens_after is "same" everywhere
    assert all(g.delta("tokens_after").verdict == "same" for g in comparison.groups)  # type: ignore[union-attr]


def test_the_comparison_is_reproducible_and_json_ready(runs: dict[str, Path]) -> None:
    first = compare(runs["base"], runs["worse_bm25"], seed=7)
    second = compare(runs["base"], runs["worse_bm25"], seed=7)
    assert first.to_json() == second.to_json()
    data = json.loads(json.dumps(first.to_json()))
    assert data["run_a"] == "base"
    assert data["run_b"] == "worse"
    assert {g["strategy"] for g in data["groups"]} == {"full", "recency", "bm25"}
    assert {f["task"] for f in data["fronts"]} == {"niah", "retrieval"}


def test_cells_pair_by_id_and_failed_cells_are_left_out(tmp_path: Path) -> None:
    common = [make_cell(seed=s, metrics={"passed": True, "tokens_after": 100}) for s in range(3)]
    failed = make_cell(seed=3, status="failed", error="boom")
    run_a = write_run(tmp_path / "a", [*common, failed, make_cell(seed=10)])
    ok_again = make_cell(seed=3, metrics={"passed": True, "tokens_after": 90})
    run_b = write_run(tmp_path / "b", [*common, ok_again, make_cell(seed=11), make_cell(seed=12)])
    comparison = compare(run_a, run_b)
    assert (comparison.pairs, comparison.only_a, comparison.only_b) == (4, 1, 2)
    (group,) = comparison.groups
    assert group.pairs == 3  # the cell that failed in A is not paired


def test_runs_sharing_no_cell_are_refused(tmp_path: Path) -> None:
    run_a = write_run(tmp_path / "a", [make_cell(seed=1)])
    run_b = write_run(tmp_path / "b", [make_cell(seed=2)])
    with pytest.raises(UsageError, match="share no cell"):
        compare(run_a, run_b)


def test_a_missing_run_directory_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a directory"):
        compare(tmp_path / "nope", tmp_path / "nope")


def test_the_pareto_front_per_task_keeps_only_unbeaten_points(runs: dict[str, Path]) -> None:
    comparison = compare(runs["base"], runs["base"])
    for front in comparison.fronts:
        assert front.metric == "passed"
        assert len(front.a) == 9  # 3 strategies x 3 budgets
        on = front.front("a")
        assert on
        for p in on:
            assert not any(
                q.tokens <= p.tokens and q.accuracy >= p.accuracy and q != p
                and (q.tokens < p.tokens or q.accuracy > p.accuracy)
                for q in front.a
            )  # fmt: skip
        for p in front.a:
            if not p.on_front:
                assert any(q.tokens <= p.tokens and q.accuracy >= p.accuracy for q in on)


def test_renderings_name_the_groups_and_the_fronts(runs: dict[str, Path]) -> None:
    comparison: Comparison = compare(runs["base"], runs["worse_bm25"])
    markdown = comparison.to_markdown()
    assert markdown.startswith("## worse vs base")
    assert "| niah | bm25 | passed |" in markdown
    assert "McNemar" in markdown
    assert "### Pareto fronts" in markdown
    only = comparison.to_markdown(["f1"])
    assert "| f1 |" in only
    assert "| niah | bm25 | passed |" not in only
    console = Console(record=True, width=200)
    console.print(comparison.to_rich())
    text = console.export_text()
    assert "worse vs base" in text
    assert "bm25" in text
    assert "Pareto fronts" in text


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=30))
def test_a_bootstrap_interval_holds_its_mean(values: list[float]) -> None:
    ci = bootstrap_mean_ci(values, seed=3)
    assert ci.low <= ci.mean + 1e-6 * (1 + abs(ci.mean))
    assert ci.mean <= ci.high + 1e-6 * (1 + abs(ci.mean))
    assert bootstrap_mean_ci(values, seed=3) == ci


def test_a_bootstrap_interval_needs_values() -> None:
    with pytest.raises(UsageError):
        bootstrap_mean_ci([])
    with pytest.raises(UsageError):
        bootstrap_mean_ci([1.0], confidence=1.5)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 40), st.integers(0, 40))
def test_mcnemar_is_the_exact_binomial_test_and_symmetric(a_only: int, b_only: int) -> None:
    p = mcnemar_p(a_only, b_only)
    assert p == mcnemar_p(b_only, a_only)
    if a_only + b_only:
        assert p == pytest.approx(min(1.0, binomtest(a_only, a_only + b_only, 0.5).pvalue))
    else:
        assert p == 1.0


def test_mann_whitney_tells_shifted_samples_apart() -> None:
    assert mann_whitney_p([1.0, 2, 3, 4, 5, 6], [11.0, 12, 13, 14, 15, 16]) < 0.01
    assert mann_whitney_p([1.0, 2, 3, 4], [1.5, 2.5, 3.5, 4.5]) > 0.3


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 10)), max_size=25))
def test_pareto_front_invariants(raw: list[tuple[int, int]]) -> None:
    points = [(float(t), a / 10) for t, a in raw]
    front = pareto_front(points)
    assert front == sorted(front, key=lambda i: (points[i][0], -points[i][1], i))
    for i in front:
        t, a = points[i]
        assert not any((u <= t and b >= a) and (u < t or b > a) for u, b in points)
    for i in set(range(len(points))) - set(front):
        t, a = points[i]
        assert any(points[j][0] <= t and points[j][1] >= a for j in front)
