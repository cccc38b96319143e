"""Run directories: ``run.json`` (metadata) and ``cells.jsonl`` (one finished cell a line).

``cells.jsonl`` is the source of truth. Each finished cell is appended, flushed and
fsynced; a last line cut short by a kill is ignored on read and cut away on resume,
so a finished cell is never lost nor counted twice.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from aifkit._json import type_name
from aifkit.bench._metrics import MetricValue
from aifkit.errors import InvalidInputError, StoreError

__all__ = [
    "CELLS_FILE",
    "REFUSALS",
    "RUN_FILE",
    "Cell",
    "Run",
    "append_cells",
    "load_run",
    "read_cells",
    "read_meta",
    "repair_cells",
    "write_meta",
]

RUN_FILE = "run.json"
CELLS_FILE = "cells.jsonl"

REFUSALS = frozenset({"BudgetError", "SummaryRejectedError"})
"""Errors that are a strategy's answer to a cell (what must be kept does not fit, a summary
lost facts): such a cell is a result, not a failure of the run (`Cell.errored`)."""

_STR_FIELDS = ("cell_id", "task", "kind", "strategy", "reader", "finished_at")


@dataclass(frozen=True, slots=True)
class Cell:
    """One finished cell of a run: a task instance packed by a strategy, read by a reader.

    Examples:
        >>> cell = Cell.from_json({"cell_id": "0123456789abcdef", "task": "niah", "kind": "niah",
        ...     "params": {"depth": 0.5}, "strategy": "recency",
        ...     "budget": {"spec": "0.5", "tokens": 100}, "seed": 0, "reader": "evidence",
        ...     "status": "ok", "error": None, "metrics": {"passed": True}, "report": None,
        ...     "answer": None, "elapsed_ms": 1.5, "finished_at": "2026-01-01T00:00:00Z"})
        >>> cell.metrics["passed"], Cell.from_json(cell.to_json()) == cell
        (True, True)
    """

    cell_id: str
    task: str
    kind: str
    params: Mapping[str, Any]
    strategy: str
    budget: Mapping[str, Any]
    seed: int
    reader: str
    status: Literal["ok", "failed"]
    error: str | None
    metrics: Mapping[str, MetricValue]
    report: Mapping[str, Any] | None
    answer: str | None
    elapsed_ms: float
    finished_at: str
    error_type: str | None = None
    """The exception class of a failed cell, e.g. ``BudgetError`` (None in older runs)."""

    @property
    def refused(self) -> bool:
        """The cell failed because its strategy refused it (an error in `REFUSALS`).

        Examples:
            >>> cell = Cell.from_json({"cell_id": "0123456789abcdef", "task": "niah",
            ...     "kind": "niah", "params": {}, "strategy": "recency",
            ...     "budget": {"spec": "0.1", "tokens": 10}, "seed": 0, "reader": "evidence",
            ...     "status": "failed", "error": "over by 8", "error_type": "BudgetError",
            ...     "metrics": {}, "report": None, "answer": None, "elapsed_ms": 1.0,
            ...     "finished_at": "2026-01-01T00:00:00Z"})
            >>> cell.refused, cell.errored
            (True, False)
        """
        return self.status == "failed" and self.error_type in REFUSALS

    @property
    def errored(self) -> bool:
        """The cell failed for a reason other than a refusal: a failure of the run."""
        return self.status == "failed" and self.error_type not in REFUSALS

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Cell:
        """Build a cell from one line of ``cells.jsonl``.

        Raises:
            InvalidInputError: A field is missing or has the wrong type (the pointer names it).
        """
        for name in _STR_FIELDS:
            _expect(data, name, isinstance(data.get(name), str), "a string")
        status = data.get("status")
        _expect(data, "status", status in ("ok", "failed"), '"ok" or "failed"')
        seed = data.get("seed")
        _expect(data, "seed", isinstance(seed, int) and not isinstance(seed, bool), "an integer")
        for name in ("params", "budget", "metrics"):
            _expect(data, name, isinstance(data.get(name), dict), "an object")
        report = data.get("report")
        _expect(data, "report", report is None or isinstance(report, dict), "an object or null")
        for name in ("error", "answer", "error_type"):
            value = data.get(name)
            _expect(data, name, value is None or isinstance(value, str), "a string or null")
        elapsed = data.get("elapsed_ms")
        _expect(data, "elapsed_ms", isinstance(elapsed, int | float), "a number")
        metrics = cast("dict[str, Any]", data["metrics"])
        for key, value in metrics.items():
            ok = value is None or isinstance(value, bool | int | float)
            _expect(metrics, key, ok, "a number, a boolean or null", prefix="/metrics")
        return cls(
            cell_id=data["cell_id"],
            task=data["task"],
            kind=data["kind"],
            params=dict(cast("dict[str, Any]", data["params"])),
            strategy=data["strategy"],
            budget=dict(cast("dict[str, Any]", data["budget"])),
            seed=cast(int, seed),
            reader=data["reader"],
            status=cast('Literal["ok", "failed"]', status),
            error=data.get("error"),
            metrics=dict(metrics),
            report=None if report is None else dict(cast("dict[str, Any]", report)),
            answer=data.get("answer"),
            elapsed_ms=float(cast(float, elapsed)),
            finished_at=data["finished_at"],
            error_type=data.get("error_type"),
        )

    def to_json(self) -> dict[str, Any]:
        """Return the cell as the JSON object written to ``cells.jsonl``."""
        return {
            "cell_id": self.cell_id,
            "task": self.task,
            "kind": self.kind,
            "params": dict(self.params),
            "strategy": self.strategy,
            "budget": dict(self.budget),
            "seed": self.seed,
            "reader": self.reader,
            "status": self.status,
            "error": self.error,
            "metrics": dict(self.metrics),
            "report": None if self.report is None else dict(self.report),
            "answer": self.answer,
            "elapsed_ms": self.elapsed_ms,
            "finished_at": self.finished_at,
            **({"error_type": self.error_type} if self.error_type else {}),
        }


def _expect(
    data: Mapping[str, Any], name: str, ok: bool, expected: str, *, prefix: str = ""
) -> None:
    if not ok:
        got = "missing" if name not in data else type_name(data[name])
        raise InvalidInputError(f"{prefix}/{name}", f"expected {expected}, got {got}")


@dataclass(frozen=True, slots=True)
class Run:
    """A run directory as read back: its metadata and its finished cells in file order.

    Examples:
        >>> run = Run(Path("runs/x"), {"run_id": "x"}, ())
        >>> run.run_id, len(run.cells)
        ('x', 0)
    """

    path: Path
    meta: Mapping[str, Any]
    cells: tuple[Cell, ...] = field(default=())

    @property
    def run_id(self) -> str:
        """The run's id from ``run.json`` (the directory name when absent)."""
        value = self.meta.get("run_id")
        return value if isinstance(value, str) else self.path.name


def read_meta(path: Path) -> dict[str, Any]:
    """Read ``run.json`` of the run directory ``path``.

    Raises:
        StoreError: The file is missing or is not a JSON object.
    """
    file = path / RUN_FILE
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(
            file, "no run.json here", hint="pass a run directory written by `aif bench run`"
        ) from None
    except (OSError, ValueError) as exc:
        raise StoreError(file, f"cannot read run metadata: {exc}") from None
    if not isinstance(data, dict):
        raise StoreError(file, f"expected a JSON object, got {type_name(data)}")
    return cast("dict[str, Any]", data)


def write_meta(path: Path, meta: Mapping[str, Any]) -> None:
    """Write ``run.json`` atomically (a temporary file renamed over the old one)."""
    file = path / RUN_FILE
    tmp = file.with_suffix(".json.tmp")
    try:
        tmp.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, file)
    except OSError as exc:
        raise StoreError(file, f"cannot write run metadata: {exc}") from None


def read_cells(path: Path) -> tuple[list[Cell], int]:
    """Read the finished cells of ``cells.jsonl`` and the byte length of its intact part.

    A last line without its newline (the process was killed while writing it) is
    ignored; a complete line that is not a valid cell is an error.

    Raises:
        StoreError: A complete line is not a valid cell.
    """
    file = path / CELLS_FILE
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        return [], 0
    except OSError as exc:
        raise StoreError(file, f"cannot read cells: {exc}") from None
    end = raw.rfind(b"\n") + 1
    cells: list[Cell] = []
    for number, line in enumerate(raw[:end].splitlines(), start=1):
        if not line.strip():
            continue
        try:
            cells.append(Cell.from_json(json.loads(line)))
        except (ValueError, TypeError, InvalidInputError) as exc:
            raise StoreError(
                file,
                f"line {number} is not a valid cell: {exc}",
                hint="remove that line and rerun with --resume to recompute the cell",
            ) from None
    return cells, end


def repair_cells(path: Path) -> list[Cell]:
    """Cut a truncated last line off ``cells.jsonl`` and return the intact cells."""
    cells, end = read_cells(path)
    file = path / CELLS_FILE
    if file.exists() and file.stat().st_size != end:
        with file.open("r+b") as handle:
            handle.truncate(end)
            handle.flush()
            os.fsync(handle.fileno())
    return cells


def append_cells(path: Path, cells: Iterable[Cell]) -> None:
    """Append finished cells to ``cells.jsonl``, flushed and fsynced before returning."""
    file = path / CELLS_FILE
    data = "".join(
        json.dumps(cell.to_json(), ensure_ascii=False, sort_keys=True) + "\n" for cell in cells
    ).encode()
    if not data:
        return
    try:
        with file.open("ab") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise StoreError(file, f"cannot append cells: {exc}") from None


def load_run(path: str | Path) -> Run:
    """Read a run directory written by `aif bench run`.

    When a cell id appears twice (it should not), the later line wins.

    Raises:
        StoreError: The directory is missing, or ``run.json`` or ``cells.jsonl`` is corrupt.

    Examples:
        >>> load_run("/nonexistent/run")
        Traceback (most recent call last):
        ...
        aifkit.errors.StoreError: /nonexistent/run: not a directory; pass a run directory written by `aif bench run` (see `aif bench list`)
    """
    root = Path(path)
    if not root.is_dir():
        raise StoreError(
            root,
            "not a directory",
            hint="pass a run directory written by `aif bench run` (see `aif bench list`)",
        )
    meta = read_meta(root)
    cells, _ = read_cells(root)
    unique = {cell.cell_id: cell for cell in cells}
    return Run(root, meta, tuple(unique.values()))
