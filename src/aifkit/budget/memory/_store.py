"""The SQLite file behind `RollingMemory` (stdlib ``sqlite3``).

One file holds any number of sessions. Every message ever added stays in
``messages`` (as AIF JSON), marked with the fold that summarized it, so the
originals of a summary can always be read back; ``folds`` keeps every summary
written, ``sessions`` the current one (and, after a rejected fold, the back-off:
``retry_at`` and the rejection's reason), ``pins`` the pinned facts. The schema
migrates in numbered, append-only steps recorded in ``schema_version``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aifkit.aif._schema import Message
from aifkit.errors import StoreError

__all__ = ["SCHEMA_VERSION", "MemoryStore", "Row", "SessionInfo"]


def _v1(db: sqlite3.Connection) -> None:
    # One statement at a time: executescript() would commit the migration's transaction.
    _statements(
        db,
        """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '',
            folded INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE messages (
            session TEXT NOT NULL REFERENCES sessions(id),
            seq INTEGER NOT NULL,
            message TEXT NOT NULL,
            tokens INTEGER NOT NULL,
            fold INTEGER REFERENCES folds(id),
            added_at TEXT NOT NULL,
            PRIMARY KEY (session, seq)
        );
        CREATE TABLE folds (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session TEXT NOT NULL REFERENCES sessions(id),
            summary TEXT NOT NULL,
            first_seq INTEGER NOT NULL,
            last_seq INTEGER NOT NULL,
            summarizer TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE pins (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session TEXT NOT NULL REFERENCES sessions(id),
            text TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX messages_unfolded ON messages(session, fold);
        """,
    )


def _v2(db: sqlite3.Connection) -> None:
    # The back-off after a rejected fold, so a new process does not retry it at once.
    _statements(
        db,
        """
        ALTER TABLE sessions ADD COLUMN retry_at INTEGER;
        ALTER TABLE sessions ADD COLUMN last_rejection TEXT;
        """,
    )


def _statements(db: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_v1, _v2)
"""Schema steps, in order; step ``n`` (1-based) brings the file to version ``n``. Append only."""

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this aifkit writes."""


@dataclass(frozen=True, slots=True)
class Row:
    """A stored message: its sequence number, the message and its tokens."""

    seq: int
    message: Message
    tokens: int


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A session in a memory file, for listings."""

    id: str
    created_at: str
    messages: int
    folded: int
    pins: int
    summary: str


class MemoryStore:
    """A memory file: sessions, their messages, folds and pins.

    Args:
        path: The SQLite file (created with its folders), or ``":memory:"``.

    Raises:
        StoreError: the file cannot be opened, is not a memory file, or is newer
            than this aifkit.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.Error as exc:
            raise StoreError(self.path, f"cannot open the memory file: {exc}") from None

    def _migrate(self) -> None:
        db = self._db
        db.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)"
        )
        (current,) = db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
        if (
            current == 0
            and db.execute("SELECT 1 FROM sqlite_master WHERE name = 'messages'").fetchone()
        ):
            raise StoreError(self.path, "has a messages table but is not an aifkit memory file")
        if current > SCHEMA_VERSION:
            raise StoreError(
                self.path,
                f"was written by a newer aifkit (schema {current}, this one reads {SCHEMA_VERSION})",
                hint="upgrade aifkit: pip install -U aifkit",
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                MIGRATIONS[version - 1](db)
                db.execute("INSERT INTO schema_version VALUES (?, ?)", (version, _now()))

    def transaction(self) -> _Transaction:
        """Return a context manager that commits on success and rolls back on error."""
        return _Transaction(self._db, self.path)

    def open_session(self, session: str) -> None:
        """Create ``session`` unless it exists."""
        self._run(
            "INSERT OR IGNORE INTO sessions (id, created_at) VALUES (?, ?)", (session, _now())
        )

    def state(self, session: str) -> tuple[str, int]:
        """Return the session's running summary and how many messages it folded."""
        row = self._db.execute(
            "SELECT summary, folded FROM sessions WHERE id = ?", (session,)
        ).fetchone()
        return (str(row[0]), int(row[1])) if row else ("", 0)

    def backoff(self, session: str) -> tuple[int | None, str | None]:
        """Return the session's back-off: ``(retry_at, last_rejection)``; ``(None, None)``: none."""
        row = self._db.execute(
            "SELECT retry_at, last_rejection FROM sessions WHERE id = ?", (session,)
        ).fetchone()
        if row is None:
            return None, None
        retry_at, reason = row
        return (None if retry_at is None else int(retry_at)), (
            None if reason is None else str(reason)
        )

    def set_backoff(self, session: str, retry_at: int | None, reason: str | None) -> None:
        """Record (or, with ``None``, clear) the back-off after a rejected fold."""
        self._run(
            "UPDATE sessions SET retry_at = ?, last_rejection = ? WHERE id = ?",
            (retry_at, reason, session),
        )

    def add(self, session: str, rows: Sequence[Row]) -> None:
        """Append messages to ``session``."""
        with self.transaction():
            self._db.executemany(
                "INSERT INTO messages (session, seq, message, tokens, added_at) VALUES (?, ?, ?, ?, ?)",
                [(session, r.seq, _dump(r.message), r.tokens, _now()) for r in rows],
            )

    def recent(self, session: str) -> list[Row]:
        """Return the messages of ``session`` not folded yet, in order."""
        return self._rows(
            "SELECT seq, message, tokens FROM messages WHERE session = ? AND fold IS NULL ORDER BY seq",
            (session,),
        )

    def history(self, session: str) -> list[Row]:
        """Return every message ever added to ``session``, folded or not, in order."""
        return self._rows(
            "SELECT seq, message, tokens FROM messages WHERE session = ? ORDER BY seq", (session,)
        )

    def next_seq(self, session: str) -> int:
        """Return the sequence number the next message gets."""
        (top,) = self._db.execute(
            "SELECT COALESCE(MAX(seq), -1) FROM messages WHERE session = ?", (session,)
        ).fetchone()
        return int(top) + 1

    def fold(self, session: str, summary: str, seqs: Sequence[int], summarizer: str) -> int:
        """Record a fold: the new summary replaces the messages ``seqs``, in one transaction.

        A committed fold also ends the session's back-off (`backoff` is then ``(None, None)``).
        """
        with self.transaction():
            cur = self._db.execute(
                "INSERT INTO folds (session, summary, first_seq, last_seq, summarizer, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (session, summary, min(seqs), max(seqs), summarizer, _now()),
            )
            fold = int(cur.lastrowid or 0)
            self._db.executemany(
                "UPDATE messages SET fold = ? WHERE session = ? AND seq = ?",
                [(fold, session, s) for s in seqs],
            )
            self._db.execute(
                "UPDATE sessions SET summary = ?, folded = folded + ?, retry_at = NULL,"
                " last_rejection = NULL WHERE id = ?",
                (summary, len(seqs), session),
            )
        return fold

    def pins(self, session: str) -> list[tuple[int, str]]:
        """Return the pinned facts of ``session`` as ``(id, text)``, oldest first."""
        return [
            (int(i), str(t))
            for i, t in self._db.execute(
                "SELECT id, text FROM pins WHERE session = ? ORDER BY id", (session,)
            )
        ]

    def pin(self, session: str, text: str) -> int:
        """Pin ``text``; return its id."""
        cur = self._run(
            "INSERT INTO pins (session, text, created_at) VALUES (?, ?, ?)", (session, text, _now())
        )
        return int(cur.lastrowid or 0)

    def unpin(self, session: str, pin: int) -> bool:
        """Remove pin ``pin``; whether it existed."""
        cur = self._run("DELETE FROM pins WHERE session = ? AND id = ?", (session, pin))
        return cur.rowcount > 0

    def sessions(self) -> list[SessionInfo]:
        """Return every session in the file."""
        out: list[SessionInfo] = []
        query = (
            "SELECT s.id, s.created_at, s.folded, s.summary,"
            " (SELECT COUNT(*) FROM messages m WHERE m.session = s.id),"
            " (SELECT COUNT(*) FROM pins p WHERE p.session = s.id)"
            " FROM sessions s ORDER BY s.created_at, s.id"
        )
        for sid, created, folded, summary, messages, pins in self._db.execute(query):
            out.append(SessionInfo(sid, created, messages, folded, pins, summary))
        return out

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def _run(self, sql: str, params: tuple[object, ...]) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreError(self.path, f"cannot write the memory file: {exc}") from None

    def _rows(self, sql: str, params: tuple[object, ...]) -> list[Row]:
        try:
            rows = self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(self.path, f"cannot read the memory file: {exc}") from None
        return [Row(int(s), Message.model_validate_json(m), int(t)) for s, m, t in rows]


class _Transaction:
    def __init__(self, db: sqlite3.Connection, path: str) -> None:
        self._db = db
        self._path = path

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type[BaseException] | None, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as error:
                self._db.execute("ROLLBACK")
                raise StoreError(self._path, f"cannot commit: {error}") from None
        else:
            self._db.execute("ROLLBACK")
            if issubclass(exc_type, sqlite3.Error):
                raise StoreError(self._path, f"cannot write the memory file: {exc}") from None


def _dump(message: Message) -> str:
    return json.dumps(message.model_dump(mode="json", by_alias=True), ensure_ascii=False)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
