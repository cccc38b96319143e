"""regress(wall_timing=True): medians, the calibration applied only when the runs' differ, floors.

Constructed runs: every number is chosen, so each rule is checked deterministically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.bench import Cell, Run, regress
from aifkit.bench._calibration import WORKLOAD, calibration_ms, record
from tests.bench.helpers_runs import make_cell

WALL, CPU = "pack_latency_ms", "pack_cpu_ms"


def _calibration(wall: list[float], cpu: list[float]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    record(meta, wall, cpu)
    return meta


def _run(name: str, metric: str, values: list[float], meta: dict[str, Any] | None = None) -> Run:
    cells = [Cell.from_json(make_cell(seed=i, metrics={metric: v})) for i, v in enumerate(values)]
    return Run(Path(name), {"run_id": name, **(meta or {})}, tuple(cells))


def _statuses(report: Any) -> dict[str, str]:
    return {c.metric: c.status for c in report.changes}


BASE = [10.0 + i / 10 for i in range(10)]
DOUBLE = [2 * v for v in BASE]
STEADY = [5.0, 5.1, 4.9, 5.0, 5.2, 4.8, 5.0]  # calibration samples of one machine speed


def test_timings_are_left_out_by_default_and_named() -> None:
    report = regress(_run("a", WALL, BASE), _run("b", WALL, DOUBLE))
    assert not report.regressed
    assert all(c.metric != WALL for c in report.changes)
    assert report.timing_left_out == (WALL,)
    assert "timing not gated (pack_latency_ms): --timing" in report.timing_note
    # --timing gates CPU timings only: a wall time stays out, and the note says how to add it
    cpu_only = regress(_run("a", WALL, BASE), _run("b", WALL, DOUBLE), timing=True)
    assert not cpu_only.regressed
    assert "--wall-timing (wall_timing=True) gates wall times too" in cpu_only.timing_note
    assert "Timing not gated" in report.to_markdown()


def test_a_machine_twice_as_slow_is_not_code_twice_as_slow() -> None:
    fast = _calibration(STEADY, STEADY)
    slow = _calibration([2 * v for v in STEADY], STEADY)  # wall doubled: the machine was busy
    report = regress(_run("a", WALL, BASE, fast), _run("b", WALL, DOUBLE, slow), wall_timing=True)
    assert not report.regressed, report.to_markdown()
    wall = report.timing_scales[1]
    assert (wall.clock, wall.basis, wall.scale) == ("wall", "calibrated", 0.5)
    (change,) = [c for c in report.changes if c.metric == WALL]
    assert change.value == change.baseline  # scaled back to the baseline's speed


def test_code_twice_as_slow_on_the_same_machine_regresses() -> None:
    cal = _calibration(STEADY, STEADY)
    again = _calibration([v + 0.05 for v in STEADY], STEADY)  # noise: not a significant move
    report = regress(_run("a", WALL, BASE, cal), _run("b", WALL, DOUBLE, again), wall_timing=True)
    assert _statuses(report)[WALL] == "regressed"
    assert report.timing_scales[1].basis == "same-speed"
    assert report.timing_scales[1].scale == 1.0  # the calibration's own noise is not applied


def test_cpu_timings_follow_the_cpu_calibration_not_the_wall_one() -> None:
    busy = _calibration([3 * v for v in STEADY], STEADY)  # wall tripled, CPU the same
    cal = _calibration(STEADY, STEADY)
    report = regress(_run("a", CPU, BASE, cal), _run("b", CPU, DOUBLE, busy), timing=True)
    assert _statuses(report)[CPU] == "regressed"
    assert [(s.clock, s.basis) for s in report.timing_scales] == [("cpu", "same-speed")]
    both = regress(_run("a", CPU, BASE, cal), _run("b", CPU, DOUBLE, busy), wall_timing=True)
    assert [s.basis for s in both.timing_scales] == ["same-speed", "calibrated"]


def test_runs_without_calibration_compare_raw_and_say_so() -> None:
    cal = _calibration(STEADY, STEADY)
    report = regress(_run("a", WALL, BASE), _run("b", WALL, DOUBLE, cal), wall_timing=True)
    assert _statuses(report)[WALL] == "regressed"
    assert report.timing_scales[1].basis == "raw"
    assert "wall: raw, the baseline recorded no calibration" in report.timing_note


def test_timing_needs_the_timing_factor_and_the_floor() -> None:
    slower = [1.3 * v for v in BASE]  # significant, past --factor 1.1, not past 1.5
    report = regress(_run("a", WALL, BASE), _run("b", WALL, slower), wall_timing=True)
    assert _statuses(report)[WALL] == "unchanged"
    assert _statuses(regress(_run("a", WALL, BASE), _run("b", WALL, slower), wall_timing=True,
                             timing_factor=1.2))[WALL] == "regressed"  # fmt: skip
    tiny, tripled = [0.01 + i / 1000 for i in range(10)], [0.03 + i / 1000 for i in range(10)]
    report = regress(_run("a", WALL, tiny), _run("b", WALL, tripled), wall_timing=True)
    assert _statuses(report)[WALL] == "unchanged"  # 3x, but 0.02 ms: under the 1 ms floor
    report = regress(_run("a", WALL, tiny), _run("b", WALL, tripled), wall_timing=True,
                     timing_min_ms=0)  # fmt: skip
    assert _statuses(report)[WALL] == "regressed"


def test_one_stalled_cell_does_not_move_the_median() -> None:
    stalled = [*BASE[:-1], 500.0]
    report = regress(_run("a", WALL, BASE), _run("b", WALL, stalled), wall_timing=True)
    (change,) = [c for c in report.changes if c.metric == WALL]
    assert change.timing
    assert change.value < 1.1 * change.baseline
    assert change.status == "unchanged"


def test_calibration_of_another_workload_is_not_used() -> None:
    meta = {"calibration": {"workload": "other", "samples_ms": [1.0], "cpu_samples_ms": [1.0]}}
    assert calibration_ms(meta) is None
    assert calibration_ms({"calibration": {"workload": WORKLOAD, "samples_ms": [2.0]}}) == 2.0


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(1.0, 100.0), min_size=3, max_size=12), st.floats(0.2, 5.0))
def test_a_uniformly_busier_machine_never_regresses(values: list[float], machine: float) -> None:
    # The run's machine is `machine` times slower on every sample and every cell:
    # scaled by the calibration (or, when the calibrations do not differ, within
    # the timing factor), nothing moved.
    base = _calibration(STEADY, STEADY)
    run = _calibration([v * machine for v in STEADY], STEADY)
    report = regress(
        _run("a", WALL, values, base),
        _run("b", WALL, [v * machine for v in values], run),
        wall_timing=True,
    )
    assert not report.regressed


def test_a_resumed_run_keeps_its_earlier_calibration_samples() -> None:
    meta = _calibration([4.0, 5.0], [3.0, 3.5])
    record(meta, [6.0], [4.0])
    assert meta["calibration"]["samples_ms"] == [4.0, 5.0, 6.0]
    assert calibration_ms(meta) == 5.0
    assert calibration_ms(meta, "cpu") == 3.5
