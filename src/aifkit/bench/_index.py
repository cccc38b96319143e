"""``index.sqlite``: an index of a run's ``cells.jsonl`` (runs, cells, metrics).

The JSONL is the source of truth; the index is rebuilt from it when missing or
behind. Schema changes are numbered, append-only steps recorded in ``migrations``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from aifkit._sqlite import connect
from aifkit.bench._store import Cell, read_cells
from aifkit.errors import StoreError

__all__ = ["INDEX_FILE", "MIGRATIONS", "RunIndex"]

INDEX_FILE = "index.sqlite"


def _m001_initial(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE runs (run_id TEXT PRIMARY KEY, suite TEXT, started_at TEXT, "
        "finished_at TEXT, git_commit TEXT, meta TEXT)"
    )
    db.execute(
        "CREATE TABLE cells (cell_id TEXT PRIMARY KEY, run_id TEXT, task TEXT, kind TEXT, "
        "strategy TEXT, budget_spec TEXT, budget_tokens INTEGER, seed INTEGER, reader TEXT, "
        "status TEXT, error TEXT, answer TEXT, elapsed_ms REAL, finished_at TEXT, params TEXT)"
    )
    db.execute(
        "CREATE TABLE metrics (cell_id TEXT, name TEXT, value REAL, PRIMARY KEY (cell_id, name))"
    )


def _m002_lookup_indexes(db: sqlite3.Connection) -> None:
    db.execute("CREATE INDEX cells_by_task ON cells (task, strategy)")
    db.execute("CREATE INDEX metrics_by_name ON metrics (name)")


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _m001_initial,
    _m002_lookup_indexes,
)
"""Schema steps in order; step ``i`` (1-based) is recorded once applied. Only ever append."""


class RunIndex:
    """The SQLite index of one run directory.

    Examples:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     index = RunIndex(Path(tmp))
        ...     index.count()
        0
    """

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / INDEX_FILE
        self.run_dir = run_dir
        hint = "delete index.sqlite; it is rebuilt from cells.jsonl"
        self._db = connect(self.path, "the index", hint=hint)
        try:
            self._migrate()
        except sqlite3.Error as exc:
            raise StoreError(self.path, f"cannot open the index: {exc}", hint=hint) from None

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def _migrate(self) -> None:
        db = self._db
        db.execute(
            "CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)"
        )
        done = {row[0] for row in db.execute("SELECT id FROM migrations")}
        for number, step in enumerate(MIGRATIONS, start=1):
            if number in done:
                continue
            with db:
                step(db)
                db.execute(
                    "INSERT INTO migrations VALUES (?, ?, datetime('now'))", (number, step.__name__)
                )

    def count(self) -> int:
        """Cells in the index."""
        return int(self._db.execute("SELECT count(*) FROM cells").fetchone()[0])

    def set_run(self, meta: Mapping[str, Any]) -> None:
        """Record (or update) the run's metadata."""
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                (
                    meta.get("run_id"), meta.get("suite"), meta.get("started_at"),
                    meta.get("finished_at"), meta.get("git_commit"), json.dumps(meta),
                ),
            )  # fmt: skip

    def add(self, run_id: str, cells: Iterable[Cell]) -> None:
        """Index cells (replacing any with the same id)."""
        with self._db:
            for cell in cells:
                self._db.execute(
                    "INSERT OR REPLACE INTO cells VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        cell.cell_id, run_id, cell.task, cell.kind, cell.strategy,
                        cell.budget.get("spec"), cell.budget.get("tokens"), cell.seed,
                        cell.reader, cell.status, cell.error, cell.answer, cell.elapsed_ms,
                        cell.finished_at, json.dumps(dict(cell.params), sort_keys=True),
                    ),
                )  # fmt: skip
                self._db.execute("DELETE FROM metrics WHERE cell_id = ?", (cell.cell_id,))
                self._db.executemany(
                    "INSERT INTO metrics VALUES (?, ?, ?)",
                    [
                        (cell.cell_id, name, None if value is None else float(value))
                        for name, value in cell.metrics.items()
                    ],
                )

    def sync(self, run_id: str) -> int:
        """Bring the index up to ``cells.jsonl`` when it is behind; return the cells indexed."""
        cells, _ = read_cells(self.run_dir)
        unique = {c.cell_id: c for c in cells}
        if self.count() != len(unique):
            with self._db:
                self._db.execute("DELETE FROM cells")
                self._db.execute("DELETE FROM metrics")
            self.add(run_id, unique.values())
        return len(unique)
