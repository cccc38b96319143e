"""The SQLite memory file: versioned schema, refusing files it cannot read."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from aifkit.budget.memory import SCHEMA_VERSION, MemoryStore
from aifkit.budget.memory._store import MIGRATIONS, Row
from aifkit.errors import StoreError
from tests.budget.memory.helpers import text


def test_a_new_file_records_its_schema_version(tmp_path: Path) -> None:
    db = tmp_path / "m.sqlite"
    MemoryStore(db).close()
    with sqlite3.connect(db) as raw:
        versions = [v for (v,) in raw.execute("SELECT version FROM schema_version")]
        tables = {n for (n,) in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert versions == list(range(1, SCHEMA_VERSION + 1))
    assert {"sessions", "messages", "folds", "pins", "schema_version"} <= tables
    MemoryStore(db).close()  # opening again migrates nothing
    with sqlite3.connect(db) as raw:
        assert raw.execute("SELECT COUNT(*) FROM schema_version").fetchone() == (SCHEMA_VERSION,)


def test_a_file_from_a_newer_aifkit_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "m.sqlite"
    MemoryStore(db).close()
    with sqlite3.connect(db) as raw:
        raw.execute("INSERT INTO schema_version VALUES (?, 'later')", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match="written by a newer aifkit"):
        MemoryStore(db)


def test_a_foreign_database_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "other.sqlite"
    with sqlite3.connect(db) as raw:
        raw.execute("CREATE TABLE messages (x)")
    with pytest.raises(StoreError, match="not an aifkit memory file"):
        MemoryStore(db)


def test_a_file_that_is_not_sqlite_is_a_store_error(tmp_path: Path) -> None:
    db = tmp_path / "notes.txt"
    db.write_text("just some notes, not a database" * 20)
    with pytest.raises(StoreError, match="cannot open the memory file"):
        MemoryStore(db)


def test_a_fold_is_one_transaction(tmp_path: Path) -> None:
    store = MemoryStore(tmp_path / "m.sqlite")
    store.open_session("s")
    rows = store.add("s", [(text("user", "a"), 3), (text("user", "b"), 3)])
    assert rows == [Row(0, text("user", "a"), 3), Row(1, text("user", "b"), 3)]
    with pytest.raises(StoreError):
        # the summarizer column is NOT NULL: the fold fails half way and is rolled back
        store.fold("s", "summary", [0, 1], None)  # type: ignore[arg-type]
    assert store.state("s") == ("", 0)
    assert len(store.recent("s")) == 2
    store.fold("s", "summary", [0], "fake")
    assert store.state("s") == ("summary", 1)
    assert [r.seq for r in store.recent("s")] == [1]
    assert [r.seq for r in store.history("s")] == [0, 1]
    (info,) = store.sessions()
    assert (info.id, info.messages, info.folded, info.pins) == ("s", 2, 1, 0)
    store.close()


def test_an_old_file_migrates_and_keeps_its_sessions(tmp_path: Path) -> None:
    db = tmp_path / "v1.sqlite"
    with sqlite3.connect(db) as raw:  # a file as schema 1 wrote it, before the back-off
        raw.execute(
            "CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)"
        )
        MIGRATIONS[0](raw)
        raw.execute("INSERT INTO schema_version VALUES (1, 'then')")
        raw.execute(
            "INSERT INTO sessions (id, created_at, summary, folded) VALUES ('s', 'then', 'old', 4)"
        )
    store = MemoryStore(db)
    assert store.state("s") == ("old", 4)
    assert store.backoff("s") == (None, None)
    store.set_backoff("s", 250, "the summary is empty")
    assert store.backoff("s") == (250, "the summary is empty")
    store.close()
    with sqlite3.connect(db) as raw:
        versions = [
            v for (v,) in raw.execute("SELECT version FROM schema_version ORDER BY version")
        ]
    assert versions == list(range(1, SCHEMA_VERSION + 1))


def test_the_back_off_is_stored_and_a_fold_clears_it(tmp_path: Path) -> None:
    store = MemoryStore(tmp_path / "m.sqlite")
    store.open_session("s")
    store.open_session("t")
    assert store.backoff("s") == (None, None)
    assert store.backoff("missing") == (None, None)
    store.set_backoff("s", 300, "lost 1 fact the original had: ord_1 (id)")
    store.set_backoff("t", 90, "the summary is empty")
    store.close()
    store = MemoryStore(tmp_path / "m.sqlite")
    assert store.backoff("s") == (300, "lost 1 fact the original had: ord_1 (id)")
    store.add("s", [(text("user", "a"), 3)])
    store.fold("s", "summary", [0], "fake")
    assert store.backoff("s") == (None, None)
    assert store.backoff("t") == (90, "the summary is empty")  # only that session's
    store.set_backoff("t", None, None)
    assert store.backoff("t") == (None, None)
    store.close()


def test_a_file_another_process_keeps_locked_says_so(tmp_path: Path) -> None:
    db = tmp_path / "m.sqlite"
    store = MemoryStore(db, timeout=0.05)
    store.open_session("s")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    with pytest.raises(StoreError, match="another process kept it locked") as caught:
        store.add("s", [(text("user", "a"), 3)])
    assert "permissions" not in str(caught.value)
    holder.execute("ROLLBACK")
    holder.close()
    assert [r.seq for r in store.add("s", [(text("user", "a"), 3)])] == [0]  # and it recovers
    store.close()


def test_a_file_it_may_not_write_says_so(tmp_path: Path) -> None:
    store = MemoryStore(tmp_path / "m.sqlite")
    store.open_session("s")
    store._db.execute("PRAGMA query_only = ON")  # pyright: ignore[reportPrivateUsage]
    with pytest.raises(StoreError, match="not allowed") as caught:
        store.add("s", [(text("user", "a"), 3)])
    assert "may write the file" in str(caught.value)
    store.close()


def test_a_damaged_file_says_so(tmp_path: Path) -> None:
    db = tmp_path / "m.sqlite"
    db.write_bytes(b"\x00" * 100 + b"not a database at all" * 200)
    with pytest.raises(StoreError, match="damaged or not a SQLite database") as caught:
        MemoryStore(db)
    assert "permissions" not in str(caught.value)


def test_a_back_off_is_not_recorded_over_a_fold_another_writer_committed(tmp_path: Path) -> None:
    store = MemoryStore(tmp_path / "m.sqlite")
    store.open_session("s")
    store.add("s", [(text("user", "a"), 3), (text("user", "b"), 3)])
    assert store.fold("s", "one", [0], "fake", folded=0) is not None
    # a writer that saw 0 folded and had its fold rejected: its back-off is stale
    assert not store.set_backoff("s", 300, "the summary is empty", folded=0)
    assert store.backoff("s") == (None, None)
    # and a fold written from that stale view is not committed either
    assert store.fold("s", "stale", [1], "fake", folded=0) is None
    assert store.state("s") == ("one", 1)
    assert store.set_backoff("s", 300, "the summary is empty", folded=1)
    store.close()


def test_pop_takes_the_last_unfolded_message_and_clear_empties_the_session(
    tmp_path: Path,
) -> None:
    store = MemoryStore(tmp_path / "m.sqlite")
    for session in ("s", "other"):
        store.open_session(session)
    store.add("s", [(text("user", "a"), 3), (text("user", "b"), 3)])
    store.add("other", [(text("user", "x"), 3)])
    store.pin("s", "a fact")
    assert store.pop("s") == Row(1, text("user", "b"), 3)
    assert [r.seq for r in store.history("s")] == [0]
    assert store.add("s", [(text("user", "c"), 3)]) == [Row(1, text("user", "c"), 3)]
    store.fold("s", "summary", [0, 1], "fake")
    assert store.pop("s") is None  # folded into the summary: not taken apart
    store.clear("s")
    assert store.history("s") == []
    assert store.state("s") == ("", 0)
    assert store.pins("s") == []
    assert store.pop("s") is None
    assert [r.message for r in store.history("other")] == [text("user", "x")]
    store.close()


def test_a_memory_sees_a_message_another_object_popped(tmp_path: Path) -> None:
    from aifkit.budget.memory import RollingMemory

    path = tmp_path / "m.sqlite"
    with RollingMemory(path, session="s") as memory:
        memory.add([text("user", "a"), text("user", "b")])
        assert len(memory.recent) == 2
        other = MemoryStore(path)
        other.pop("s")
        other.close()
        assert memory.recent == (text("user", "a"),)
