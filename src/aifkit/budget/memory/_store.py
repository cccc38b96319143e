"""The SQLite file behind `RollingMemory` (stdlib ``sqlite3``).

One file holds any number of sessions. Every message ever added stays in
``messages`` (as AIF JSON), marked with the fold that summarized it, so the
originals of a summary can always be read back; ``folds`` keeps every summary
written, ``sessions`` the current one (and, after a rejected fold, the back-off:
``retry_at`` and the rejection's reason), ``pins`` the pinned facts. The schema
migrates in numbered, append-only steps recorded in ``schema_version``.

Several processes may write one file at once. Every write is one ``BEGIN
IMMEDIATE`` transaction (writers queue for SQLite's write lock, waiting up to
``timeout`` seconds), and whatever a write depends on is read inside it: `add`
numbers the messages it appends there, so two writers never pick the same
sequence number, and `fold` commits only if no other fold landed since the
summary was written. The file is put in WAL mode, so readers never wait for a
writer.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aifkit._sqlite import connect
from aifkit.aif._schema import Message
from aifkit.errors import StoreError

__all__ = ["SCHEMA_VERSION", "MemoryStore", "Row", "SessionInfo", "SessionView"]


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
class SessionView:
    """A session as one read of the file saw it (see `MemoryStore.view`).

    Attributes:
        summary: The running summary.
        folded: How many messages the summary covers.
        retry_at: The back-off after a rejected fold (``None``: none).
        last_rejection: Why that fold was rejected.
        pins: The pinned facts as ``(id, text)``, oldest first.
        rows: The messages not folded: all of them when ``full``, else only those
            after the ``after`` sequence number `view` was given.
        full: Whether ``rows`` holds every unfolded message (a fold landed since).
        last_seq: The session's highest sequence number (-1: no messages yet).
    """

    summary: str
    folded: int
    retry_at: int | None
    last_rejection: str | None
    pins: tuple[tuple[int, str], ...]
    rows: tuple[Row, ...]
    full: bool
    last_seq: int


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

    Any number of processes may open and write the same file: see the module's
    notes on transactions.

    Args:
        path: The SQLite file (created with its folders), or ``":memory:"``.
        timeout: Seconds a write waits for another writer's transaction to end
            before failing with a `StoreError` that says the file is locked.

    Raises:
        StoreError: the file cannot be opened, is not a memory file, or is newer
            than this aifkit.
    """

    def __init__(self, path: str | Path, *, timeout: float = 30.0) -> None:
        self.path = str(path)
        self.timeout = timeout
        # Any thread may use the connection (sqlite3 serializes calls); writers keep
        # to one at a time (`RollingMemory` holds a lock; `aadd` runs in a thread).
        self._db = connect(
            self.path, "the memory file", timeout=timeout, isolation_level=None,
            check_same_thread=False,
        )  # fmt: skip
        try:
            self._db.execute("PRAGMA foreign_keys = ON")
            self._wal()
            self._migrate()
        except sqlite3.Error as exc:
            self._db.close()
            raise _error(self.path, "cannot open the memory file", exc, timeout) from None

    def _wal(self) -> None:
        # WAL lets readers go on while one process writes. A file that cannot switch
        # (read-only, or on a file system without shared memory) keeps its journal:
        # writes are just as safe there, only readers wait for writers.
        if self.path == ":memory:":
            return
        # Switching the mode takes the file's exclusive lock, and SQLite answers "busy"
        # at once rather than through the busy timeout while another connection opens
        # the same new file: wait for it here, within the same timeout.
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                self._db.execute("PRAGMA journal_mode = WAL").fetchone()
                return
            except sqlite3.OperationalError as exc:
                code = _code(exc)
                if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN):
                    return
                if code != sqlite3.SQLITE_BUSY or time.monotonic() >= deadline:
                    raise
            time.sleep(0.01)

    def _migrate(self) -> None:
        if self._version() == SCHEMA_VERSION:
            return  # the common case, without taking the write lock
        # Two processes may create the same new file: the one that gets the lock
        # first migrates, the other then finds the file current.
        with self.transaction():
            db = self._db
            db.execute(
                "CREATE TABLE IF NOT EXISTS schema_version"
                " (version INTEGER NOT NULL, applied_at TEXT NOT NULL)"
            )
            current = self._version()
            if (
                current == 0
                and db.execute("SELECT 1 FROM sqlite_master WHERE name = 'messages'").fetchone()
            ):
                raise StoreError(self.path, "has a messages table but is not an aifkit memory file")
            if current > SCHEMA_VERSION:
                raise StoreError(
                    self.path,
                    f"was written by a newer aifkit (schema {current}, this one reads "
                    f"{SCHEMA_VERSION})",
                    hint="upgrade aifkit: pip install -U aifkit",
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[version - 1](db)
                db.execute("INSERT INTO schema_version VALUES (?, ?)", (version, _now()))

    def _version(self) -> int:
        if not self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'schema_version'"
        ).fetchone():
            return 0
        (current,) = self._db.execute(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version"
        ).fetchone()
        return int(current)

    def transaction(self) -> _Transaction:
        """Return a context manager around one write transaction (``BEGIN IMMEDIATE``).

        It holds the file's write lock from the start, so what is read inside it
        stays true until it commits; it commits on success and rolls back on error.
        """
        return _Transaction(self._db, self.path, self.timeout)

    def open_session(self, session: str) -> None:
        """Create ``session`` unless it exists."""
        self._run(
            "INSERT OR IGNORE INTO sessions (id, created_at) VALUES (?, ?)", (session, _now())
        )

    def state(self, session: str) -> tuple[str, int]:
        """Return the session's running summary and how many messages it folded."""
        row = self._one("SELECT summary, folded FROM sessions WHERE id = ?", (session,))
        return (str(row[0]), int(row[1])) if row else ("", 0)

    def backoff(self, session: str) -> tuple[int | None, str | None]:
        """Return the session's back-off: ``(retry_at, last_rejection)``; ``(None, None)``: none."""
        row = self._one("SELECT retry_at, last_rejection FROM sessions WHERE id = ?", (session,))
        if row is None:
            return None, None
        retry_at, reason = row
        return (None if retry_at is None else int(retry_at)), (
            None if reason is None else str(reason)
        )

    def set_backoff(
        self, session: str, retry_at: int | None, reason: str | None, *, folded: int | None = None
    ) -> bool:
        """Record (or, with ``None``, clear) the back-off after a rejected fold.

        Args:
            session: The session.
            retry_at: The tokens past which the next fold is tried.
            reason: Why the fold was rejected.
            folded: Record it only if the session's summary still covers this many
                messages: a fold another writer committed meanwhile ends the back-off.

        Returns:
            Whether it was recorded.
        """
        sql = "UPDATE sessions SET retry_at = ?, last_rejection = ? WHERE id = ?"
        params: tuple[object, ...] = (retry_at, reason, session)
        if folded is not None:
            sql, params = sql + " AND folded = ?", (*params, folded)
        return self._run(sql, params).rowcount > 0

    def add(self, session: str, messages: Sequence[tuple[Message, int]]) -> list[Row]:
        """Append messages with their token counts to ``session``; return them as stored.

        Their sequence numbers are allocated inside the write transaction, after
        the session's last one, so concurrent writers never collide and numbers
        have no gaps.
        """
        with self.transaction():
            (top,) = self._db.execute(
                "SELECT COALESCE(MAX(seq), -1) FROM messages WHERE session = ?", (session,)
            ).fetchone()
            rows = [Row(int(top) + 1 + i, m, n) for i, (m, n) in enumerate(messages)]
            self._db.executemany(
                "INSERT INTO messages (session, seq, message, tokens, added_at) VALUES (?, ?, ?, ?, ?)",
                [(session, r.seq, _dump(r.message), r.tokens, _now()) for r in rows],
            )
        return rows

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
        """Return the sequence number the next message would get now.

        Another writer may take it first; `add` allocates its own numbers.
        """
        row = self._one("SELECT COALESCE(MAX(seq), -1) FROM messages WHERE session = ?", (session,))
        return int(row[0] if row else -1) + 1

    def data_version(self) -> int:
        """A number that changes whenever another connection commits to the file."""
        row = self._one("PRAGMA data_version", ())
        return int(row[0] if row else 0)

    def view(self, session: str, *, folded: int | None = None, after: int = -1) -> SessionView:
        """Read the session's state in one snapshot, only what changed when possible.

        Args:
            session: The session.
            folded: How many messages the caller last saw folded. If the session
                still has that many, no fold landed since, and only the messages
                numbered after ``after`` are read; otherwise (or with ``None``)
                every unfolded message is.
            after: The highest sequence number the caller has already read.
        """
        try:
            self._db.execute("BEGIN")  # one read snapshot for every SELECT below
            try:
                row = self._db.execute(
                    "SELECT summary, folded, retry_at, last_rejection FROM sessions WHERE id = ?",
                    (session,),
                ).fetchone()
                summary, now_folded, retry_at, reason = row or ("", 0, None, None)
                (top,) = self._db.execute(
                    "SELECT COALESCE(MAX(seq), -1) FROM messages WHERE session = ?", (session,)
                ).fetchone()
                # A fold landed, or messages were removed (`pop`, `clear`): read them all.
                full = folded is None or int(now_folded) != folded or int(top) < after
                raw = self._db.execute(
                    "SELECT seq, message, tokens FROM messages"
                    " WHERE session = ? AND fold IS NULL AND seq > ? ORDER BY seq",
                    (session, -1 if full else after),
                ).fetchall()
                pins = self._db.execute(
                    "SELECT id, text FROM pins WHERE session = ? ORDER BY id", (session,)
                ).fetchall()
            finally:
                self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise _error(self.path, "cannot read the memory file", exc, self.timeout) from None
        return SessionView(
            summary=str(summary),
            folded=int(now_folded),
            retry_at=None if retry_at is None else int(retry_at),
            last_rejection=None if reason is None else str(reason),
            pins=tuple((int(i), str(t)) for i, t in pins),
            rows=tuple(Row(int(s), Message.model_validate_json(m), int(t)) for s, m, t in raw),
            full=full,
            last_seq=int(top),
        )

    def fold(
        self,
        session: str,
        summary: str,
        seqs: Sequence[int],
        summarizer: str,
        *,
        folded: int | None = None,
    ) -> int | None:
        """Record a fold: the new summary replaces the messages ``seqs``, in one transaction.

        A committed fold also ends the session's back-off (`backoff` is then ``(None, None)``).

        Args:
            session: The session.
            summary: The new running summary.
            seqs: The messages it replaces.
            summarizer: The summarizer's name, kept with the fold.
            folded: How many messages the summary it was written from covered. If
                another fold landed since (the session covers a different count),
                or one of ``seqs`` is already folded, nothing is written.

        Returns:
            The fold's id, or ``None`` when another writer folded first.
        """
        try:
            with self.transaction():
                if folded is not None:
                    row = self._db.execute(
                        "SELECT folded FROM sessions WHERE id = ?", (session,)
                    ).fetchone()
                    if row is None or int(row[0]) != folded:
                        return None
                cur = self._db.execute(
                    "INSERT INTO folds (session, summary, first_seq, last_seq, summarizer, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (session, summary, min(seqs), max(seqs), summarizer, _now()),
                )
                fold = int(cur.lastrowid or 0)
                changed = 0
                for s in seqs:
                    changed += self._db.execute(
                        "UPDATE messages SET fold = ? WHERE session = ? AND seq = ? AND fold IS NULL",
                        (fold, session, s),
                    ).rowcount
                if changed != len(seqs):
                    raise _Conflict  # a message is gone or folded already: roll back
                self._db.execute(
                    "UPDATE sessions SET summary = ?, folded = folded + ?, retry_at = NULL,"
                    " last_rejection = NULL WHERE id = ?",
                    (summary, len(seqs), session),
                )
        except _Conflict:
            return None
        return fold

    def pop(self, session: str) -> Row | None:
        """Remove and return the session's last message, in one transaction.

        Returns:
            The message removed; None when the session has none, or when its last
            message is folded into the summary (a summary is not taken apart).
        """
        with self.transaction():
            row = self._db.execute(
                "SELECT seq, message, tokens, fold FROM messages WHERE session = ?"
                " ORDER BY seq DESC LIMIT 1",
                (session,),
            ).fetchone()
            if row is None or row[3] is not None:
                return None
            seq, message, tokens, _ = row
            self._db.execute("DELETE FROM messages WHERE session = ? AND seq = ?", (session, seq))
        return Row(int(seq), Message.model_validate_json(message), int(tokens))

    def clear(self, session: str) -> None:
        """Remove every message, fold and pin of ``session`` and its summary; it stays, empty."""
        with self.transaction():
            for table in ("messages", "folds", "pins"):  # messages first: they refer to folds
                self._db.execute(f"DELETE FROM {table} WHERE session = ?", (session,))
            self._db.execute(
                "UPDATE sessions SET summary = '', folded = 0, retry_at = NULL,"
                " last_rejection = NULL WHERE id = ?",
                (session,),
            )

    def pins(self, session: str) -> list[tuple[int, str]]:
        """Return the pinned facts of ``session`` as ``(id, text)``, oldest first."""
        return [
            (int(i), str(t))
            for i, t in self._all(
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
        query = (
            "SELECT s.id, s.created_at, s.folded, s.summary,"
            " (SELECT COUNT(*) FROM messages m WHERE m.session = s.id),"
            " (SELECT COUNT(*) FROM pins p WHERE p.session = s.id)"
            " FROM sessions s ORDER BY s.created_at, s.id"
        )
        return [
            SessionInfo(sid, created, messages, folded, pins, summary)
            for sid, created, folded, summary, messages, pins in self._all(query, ())
        ]

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def _run(self, sql: str, params: tuple[object, ...]) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise _error(self.path, "cannot write the memory file", exc, self.timeout) from None

    def _all(self, sql: str, params: tuple[object, ...]) -> list[Any]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise _error(self.path, "cannot read the memory file", exc, self.timeout) from None

    def _one(self, sql: str, params: tuple[object, ...]) -> Any:
        rows = self._all(sql, params)
        return rows[0] if rows else None

    def _rows(self, sql: str, params: tuple[object, ...]) -> list[Row]:
        return [
            Row(int(s), Message.model_validate_json(m), int(t))
            for s, m, t in self._all(sql, params)
        ]


class _Conflict(Exception):
    """Raised inside a fold's transaction to roll it back: another writer folded first."""


class _Transaction:
    def __init__(self, db: sqlite3.Connection, path: str, timeout: float) -> None:
        self._db = db
        self._path = path
        self._timeout = timeout

    def __enter__(self) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _error(self._path, "cannot write the memory file", exc, self._timeout) from None

    def __exit__(self, exc_type: type[BaseException] | None, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as error:
                self._rollback()
                raise _error(self._path, "cannot commit", error, self._timeout) from None
            return
        self._rollback()
        if isinstance(exc, sqlite3.Error):
            raise _error(self._path, "cannot write the memory file", exc, self._timeout) from None

    def _rollback(self) -> None:
        # SQLite rolls some failures (a full disk, an I/O error) back by itself.
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")


def _code(exc: sqlite3.Error) -> int:
    """The primary SQLite result code of ``exc`` (0 when it carries none)."""
    return int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def _error(path: str, doing: str, exc: sqlite3.Error, timeout: float) -> StoreError:
    """A `StoreError` that says which kind of failure ``exc`` is and what to do about it."""
    code = _code(exc)
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreError(
            path,
            f"{doing}: another process kept it locked for more than {timeout:g} s ({exc})",
            hint="retry; if it stays locked, find the process holding it open, "
            "or pass a longer timeout",
        )
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN):
        return StoreError(
            path,
            f"{doing}: not allowed ({exc})",
            hint="check the path, and that this user may write the file and its folder",
        )
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return StoreError(
            path,
            f"{doing}: the file is damaged or not a SQLite database ({exc})",
            hint="restore it from a backup, or start a new memory file",
        )
    if code == sqlite3.SQLITE_FULL:
        return StoreError(path, f"{doing}: the disk is full ({exc})", hint="free some space")
    if code == sqlite3.SQLITE_IOERR:
        return StoreError(
            path, f"{doing}: an I/O error ({exc})", hint="check the disk and the file system"
        )
    return StoreError(
        path,
        f"{doing}: {exc}",
        hint="this is likely a bug in aifkit or a file changed by another program; "
        "report it with the message",
    )


def _dump(message: Message) -> str:
    return json.dumps(message.model_dump(mode="json", by_alias=True), ensure_ascii=False)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
