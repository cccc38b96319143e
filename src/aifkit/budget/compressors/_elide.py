"""Reversible elision: what compression elided, kept by content address in SQLite.

`SalientCompressor` (the ``auto`` method's main stage) replaces what it leaves
out by markers such as ``[240 rows similar elided, ref a1b2c3d4e5: expand to
see]``; the result's actions carry the elided texts. `ElisionStore` keeps them
under their reference (the first hex digits of the text's SHA-256), `expand`
gives one back, and `expand_tool` is the tool definition (``aif_expand``) to add
to a request so the model can ask for elided content itself.

Examples:
    >>> store = ElisionStore(":memory:")
    >>> ref = store.put("line one\\nline two\\n")
    >>> ref, expand(ref, store)
    ('e9024f1a07', 'line one\\nline two\\n')
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

from aifkit._sqlite import connect
from aifkit.aif._schema import Tool, ToolCallPart
from aifkit.budget.compressors._base import CompressionResult
from aifkit.budget.compressors._layout import make_ref
from aifkit.errors import StoreError, UsageError

__all__ = ["EXPAND_TOOL", "MIGRATIONS", "ElisionStore", "answer_expand", "expand", "expand_tool"]

EXPAND_TOOL = "aif_expand"
"""The name of the tool that gives back elided content."""


def _v1(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE elided (ref TEXT PRIMARY KEY, text TEXT NOT NULL)")


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_v1,)
"""Schema steps, in order; step ``n`` (1-based) brings the file to version ``n``. Append only."""


class ElisionStore:
    """Elided texts by reference, in a SQLite file (or ``":memory:"``).

    One store may be used from several threads (the gateway records from its
    worker threads) and several processes may share its file.

    Args:
        path: The SQLite file (created with its folders), or ``":memory:"``.

    Raises:
        StoreError: the file cannot be opened, or a newer aifkit wrote it.
    """

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self._db = connect(
            self.path, "the elision store", isolation_level=None, check_same_thread=False
        )
        try:
            self._db.execute("PRAGMA busy_timeout=5000")
            self._lock = threading.Lock()
            self._migrate()
        except sqlite3.Error as exc:
            raise StoreError(self.path, f"cannot open the elision store: {exc}") from None

    def _migrate(self) -> None:
        db = self._db
        db.execute("CREATE TABLE IF NOT EXISTS elision_schema (version INTEGER NOT NULL)")
        (current,) = db.execute("SELECT COALESCE(MAX(version), 0) FROM elision_schema").fetchone()
        if current > len(MIGRATIONS):
            raise StoreError(
                self.path,
                f"was written by a newer aifkit (schema {current}, this one reads "
                f"{len(MIGRATIONS)})",
                hint="upgrade aifkit: pip install -U aifkit",
            )
        for version in range(current + 1, len(MIGRATIONS) + 1):
            db.execute("BEGIN")
            MIGRATIONS[version - 1](db)
            db.execute("INSERT INTO elision_schema VALUES (?)", (version,))
            db.execute("COMMIT")

    def put(self, text: str, ref: str | None = None) -> str:
        """Keep ``text``; return its reference.

        Raises:
            StoreError: ``ref`` is given and does not address ``text``.
        """
        with self._lock:
            return self._put(text, ref)

    def _put(self, text: str, ref: str | None) -> str:
        address = make_ref(text)
        if ref is not None and ref != address:
            raise StoreError(self.path, f"ref {ref} does not address the text given with it")
        self._db.execute("INSERT OR IGNORE INTO elided VALUES (?, ?)", (address, text))
        return address

    def save(self, result: CompressionResult | Mapping[str, str]) -> list[str]:
        """Keep every text ``result`` elided (or texts by ref, `aifkit.PackResult.elided`).

        Returns:
            Their references.

        Raises:
            StoreError: a ref does not address its text (nothing is kept then).
        """
        texts = result.elided if isinstance(result, CompressionResult) else result
        refs: list[str] = []
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for ref, text in texts.items():
                    refs.append(self._put(text, ref))
            except BaseException:
                self._db.execute("ROLLBACK")  # all of a result's texts, or none
                raise
            self._db.execute("COMMIT")
        return refs

    def get(self, ref: str) -> str:
        """Return the text kept under ``ref``.

        Raises:
            UsageError: nothing is kept under ``ref``.
        """
        with self._lock:
            row = self._db.execute("SELECT text FROM elided WHERE ref = ?", (ref.strip(),)).fetchone()  # fmt: skip
        if row is None:
            raise UsageError(
                f"no elided text under ref {ref!r} in {self.path}",
                hint="refs are named in the markers of a compressed request "
                "([... elided, ref 0123456789: expand to see]); save them with --store",
            )
        return str(row[0])

    def __len__(self) -> int:
        with self._lock:
            (n,) = self._db.execute("SELECT COUNT(*) FROM elided").fetchone()
        return int(n)

    def close(self) -> None:
        """Close the file."""
        self._db.close()


def expand(
    ref: str, store: ElisionStore | CompressionResult | Mapping[str, str] | str | Path
) -> str:
    """Return exactly the text elided under ``ref``.

    Args:
        ref: The reference a marker names.
        store: An `ElisionStore`, its path, the `CompressionResult` that elided it,
            or texts by reference (`aifkit.PackResult.elided`).

    Raises:
        UsageError: nothing was elided under ``ref``.

    Examples:
        >>> expand("e9024f1a07", {"e9024f1a07": "line one\\nline two\\n"})
        'line one\\nline two\\n'
    """
    if isinstance(store, CompressionResult):
        return store.expand(ref)
    if isinstance(store, Mapping):
        text = store.get(ref.strip())
        if text is None:
            raise UsageError(
                f"no elided text under ref {ref!r}",
                hint="refs are named in the markers of this request "
                "([... elided, ref 0123456789: expand to see])",
            )
        return text
    if isinstance(store, ElisionStore):
        return store.get(ref)
    if not Path(store).exists():
        raise UsageError(f"no elision store at {store}", hint="save one with aif compress --store")
    opened = ElisionStore(store)
    try:
        return opened.get(ref)
    finally:
        opened.close()


def expand_tool() -> Tool:
    """Return the ``aif_expand`` tool definition to add to a request's tools.

    Examples:
        >>> expand_tool().parameters["required"]
        ['ref']
    """
    return Tool(
        name=EXPAND_TOOL,
        description=(
            "Give back content that was elided from earlier messages to save space. "
            "Call it with the ref named in a marker such as "
            "'[240 rows similar elided, ref a1b2c3d4e5: expand to see]'."
        ),
        parameters={
            "type": "object",
            "properties": {
                "ref": {"type": "string", "description": "The ref named in the marker."}
            },
            "required": ["ref"],
            "additionalProperties": False,
        },
    )


def answer_expand(
    call: ToolCallPart, store: ElisionStore | CompressionResult | Mapping[str, str]
) -> str:
    """Return the answer to an ``aif_expand`` call: the elided text, or why there is none."""
    args: Any = call.arguments
    ref = str(cast("dict[str, Any]", args).get("ref", "")) if isinstance(args, dict) else ""
    try:
        return expand(ref, store)
    except UsageError as exc:
        return str(exc)
