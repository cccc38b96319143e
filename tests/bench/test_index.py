"""The SQLite index: numbered migrations, rebuilt from cells.jsonl when behind."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from aifkit.bench._index import INDEX_FILE, MIGRATIONS, RunIndex
from aifkit.bench._store import Cell, append_cells


def _cell(i: int) -> Cell:
    return Cell(
        f"{i:016x}", "niah", "niah", {"depth": 0.5}, "pack", {"spec": "0.5", "tokens": 10}, 0,
        "evidence", "ok", None, {"passed": True, "f1": 0.5, "cost_usd": None}, None, None,
        1.0, "2026-01-01T00:00:00Z",
    )  # fmt: skip


def test_migrations_are_recorded_once(tmp_path: Path) -> None:
    RunIndex(tmp_path).close()
    RunIndex(tmp_path).close()
    db = sqlite3.connect(tmp_path / INDEX_FILE)
    rows = db.execute("SELECT id, name FROM migrations ORDER BY id").fetchall()
    assert rows == [(i + 1, m.__name__) for i, m in enumerate(MIGRATIONS)]


def test_sync_rebuilds_an_index_that_is_behind(tmp_path: Path) -> None:
    append_cells(tmp_path, [_cell(1), _cell(2)])
    index = RunIndex(tmp_path)
    assert index.count() == 0
    assert index.sync("r") == 2
    append_cells(tmp_path, [_cell(3)])
    assert index.sync("r") == 3
    index.close()
    db = sqlite3.connect(tmp_path / INDEX_FILE)
    values = db.execute(
        "SELECT name, value FROM metrics WHERE cell_id = ? ORDER BY name", (f"{3:016x}",)
    ).fetchall()
    assert values == [("cost_usd", None), ("f1", 0.5), ("passed", 1.0)]
