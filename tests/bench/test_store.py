"""Run directories: cells round-trip, truncated lines are ignored and cut on repair."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.bench import METRICS, Cell, load_run
from aifkit.bench._store import CELLS_FILE, append_cells, read_cells, repair_cells, write_meta
from aifkit.errors import InvalidInputError, StoreError


def _cell(i: int, **changes: Any) -> Cell:
    data: dict[str, Any] = {
        "cell_id": f"{i:016x}", "task": "niah", "kind": "niah", "params": {"depth": 0.5},
        "strategy": "pack", "budget": {"spec": "0.5", "tokens": 100}, "seed": 0,
        "reader": "evidence", "status": "ok", "error": None, "metrics": {"passed": True},
        "report": None, "answer": None, "elapsed_ms": 1.0, "finished_at": "2026-01-01T00:00:00Z",
    }  # fmt: skip
    data.update(changes)
    return Cell.from_json(data)


metric_values = st.one_of(st.none(), st.booleans(), st.integers(-(10**9), 10**9),
                          st.floats(allow_nan=False, allow_infinity=False))  # fmt: skip


@settings(max_examples=50)
@given(
    metrics=st.dictionaries(st.sampled_from(sorted(METRICS)), metric_values),
    answer=st.one_of(st.none(), st.text()),
    status=st.sampled_from(["ok", "failed"]),
)
def test_a_cell_survives_a_json_round_trip(
    metrics: dict[str, Any], answer: str | None, status: str
) -> None:
    cell = _cell(1, metrics=metrics, answer=answer, status=status)
    assert Cell.from_json(json.loads(json.dumps(cell.to_json()))) == cell


def test_a_malformed_cell_names_the_field() -> None:
    with pytest.raises(InvalidInputError, match="/seed"):
        _cell(1, seed="zero")
    with pytest.raises(InvalidInputError, match="/metrics/f1"):
        _cell(1, metrics={"f1": "high"})


def test_a_truncated_last_line_is_ignored_then_cut_away(tmp_path: Path) -> None:
    append_cells(tmp_path, [_cell(1), _cell(2)])
    with (tmp_path / CELLS_FILE).open("ab") as handle:
        handle.write(b'{"cell_id": "0000000000000003", "task"')  # killed mid-write
    cells, end = read_cells(tmp_path)
    assert [c.cell_id for c in cells] == [f"{1:016x}", f"{2:016x}"]
    assert end < (tmp_path / CELLS_FILE).stat().st_size
    repair_cells(tmp_path)
    append_cells(tmp_path, [_cell(3)])
    assert [c.cell_id for c in read_cells(tmp_path)[0]] == [f"{i:016x}" for i in (1, 2, 3)]


def test_a_corrupt_complete_line_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / CELLS_FILE).write_text('{"cell_id": 3}\n')
    with pytest.raises(StoreError, match="line 1"):
        read_cells(tmp_path)


def test_load_run_reads_meta_and_cells_and_keeps_one_cell_per_id(tmp_path: Path) -> None:
    write_meta(tmp_path, {"run_id": "r1", "suite": "quick"})
    append_cells(tmp_path, [_cell(1), _cell(2), _cell(1, answer="later")])
    run = load_run(tmp_path)
    assert run.run_id == "r1"
    assert {c.cell_id: c.answer for c in run.cells} == {f"{1:016x}": "later", f"{2:016x}": None}


def test_load_run_says_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"no run\.json"):
        load_run(tmp_path)
    (tmp_path / "run.json").write_text("[1]")
    with pytest.raises(StoreError, match="expected a JSON object"):
        load_run(tmp_path)


def test_every_metric_declares_a_direction_or_none() -> None:
    required = {
        "tokens_before", "tokens_after", "ratio_requested", "ratio_achieved", "budget_violations",
        "orphaned_tool_messages", "evidence_survival", "exact_match", "f1", "passed",
        "prefix_stability", "pack_latency_ms", "cost_usd", "conversion_losses",
    }  # fmt: skip
    assert required <= set(METRICS)
    assert all(spec.name == name for name, spec in METRICS.items())
    assert METRICS["passed"].better == "higher"
    assert METRICS["budget_violations"].better == "lower"
