"""Opening aifkit's SQLite files: one place that creates the folder and names the failure.

Every store (memory, elision store, gateway ledger, bench index, model-answer
cache) opens its file here, so a path that cannot be a database — its folder is a
file, no permission, a directory in its place — is one `StoreError` naming the file
and what it holds, never a bare ``OSError`` or ``sqlite3.Error``.
"""

from __future__ import annotations

import sqlite3
from os import PathLike
from pathlib import Path
from typing import Literal

from aifkit.errors import StoreError

__all__ = ["connect"]


def connect(
    path: str | PathLike[str],
    what: str,
    *,
    hint: str | None = None,
    timeout: float = 5.0,
    isolation_level: Literal["DEFERRED", "EXCLUSIVE", "IMMEDIATE"] | None = "DEFERRED",
    check_same_thread: bool = True,
) -> sqlite3.Connection:
    """Open (creating its folders) the SQLite file ``path`` that holds ``what``.

    Args:
        path: The file, or ``":memory:"``.
        what: What the file holds, for the error ("the elision store").
        hint: What to do if it cannot be opened (default: check the path).
        timeout: Seconds to wait for another writer's lock.
        isolation_level: As `sqlite3.connect`'s (``None``: autocommit).
        check_same_thread: As `sqlite3.connect`'s (``False``: any thread may use it).

    Raises:
        StoreError: the file or its folder cannot be created or opened.

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile() as f:
        ...     connect(f.name + "/x.db", "the memory file")
        Traceback (most recent call last):
        aifkit.errors.StoreError: ...x.db: cannot open the memory file: ...
    """
    name = str(path)
    try:
        if name != ":memory:":
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        return sqlite3.connect(
            name,
            timeout=timeout,
            isolation_level=isolation_level,
            check_same_thread=check_same_thread,
        )
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(name, f"cannot open {what}: {exc}", hint=hint) from None
