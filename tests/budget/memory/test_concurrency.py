"""Several writers on one memory file: no turn lost, refused, duplicated or folded twice.

The long run (two processes for 60 s) is ``make load-memory``; here a short one,
plus the same guarantees made deterministic inside one process: two objects on
one file take turns, and a fold whose summarizer lets the other object fold first.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifkit.budget.memory import SCHEMA_VERSION, MemoryStore, RollingMemory
from tests.budget.memory import concurrency
from tests.budget.memory.concurrency import Tally, body, memory, turn
from tests.budget.memory.helpers import text

ROOT = Path(__file__).resolve().parents[3]


def texts(mem: RollingMemory) -> list[str]:
    return [body(m) for m in mem.messages()]


def test_two_processes_writing_one_file_lose_and_refuse_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(ROOT))  # so the spawned writers can import this package
    db = tmp_path / "shared.sqlite"
    reports = concurrency.run(db, seconds=3, writers=2)
    figures = concurrency.verify(db, reports)  # raises on a lost, refused or duplicated turn
    assert figures["turns"] == sum(r.added for r in reports)
    assert figures["folds"] > 0
    assert figures["interleavings"] > 1  # the writers did write at the same time
    assert all(r.views_checked >= 1 for r in reports)


def test_two_objects_on_one_file_number_turns_in_one_sequence(tmp_path: Path) -> None:
    db = tmp_path / "m.sqlite"
    a, b = RollingMemory(db, max_tokens=10_000), RollingMemory(db, max_tokens=10_000)
    for i in range(5):  # each add follows one by the other object, which a cached counter missed
        a.add(text("user", turn(0, i)))
        b.add(text("user", turn(1, i)))
    want = [turn(w, i) for i in range(5) for w in (0, 1)]
    assert texts(a) == texts(b) == want  # each sees the other's turns too
    assert [r.seq for r in a.store.history(a.session)] == list(range(10))
    a.close()
    b.close()


class Interloper(Tally):
    """A summarizer that lets another memory fold first, the first time it is asked."""

    def __init__(self, other: RollingMemory) -> None:
        super().__init__(pause=0)
        self.other: RollingMemory | None = other

    def summarize(self, source: object, *, max_tokens: int, focus: str | None = None) -> str:
        if self.other is not None:
            other, self.other = self.other, None
            assert other.fold().committed
        return super().summarize(source, max_tokens=max_tokens, focus=focus)  # type: ignore[arg-type]


def test_a_fold_that_another_writer_beat_looks_again(tmp_path: Path) -> None:
    db = tmp_path / "m.sqlite"
    b = memory(str(db))
    a = memory(str(db))
    a.summarizer = Interloper(b)
    for i in range(9):  # 9 short turns stay under the mark: no fold yet
        a.add(text("user", turn(0, i)))
    assert a.folded == 0
    fold = a.fold()
    # b folded the oldest turns while a summarized; a's first summary missed b's,
    # so it was not committed: a read the file again and folded the turns left.
    assert fold.committed
    with sqlite3.connect(db) as raw:
        spans = raw.execute("SELECT first_seq, last_seq, summary FROM folds ORDER BY id").fetchall()
        marked = [f for (f,) in raw.execute("SELECT fold FROM messages ORDER BY seq")]
    assert len(spans) == 2
    (f1, l1, s1), (f2, l2, s2) = spans
    assert (f1, f2) == (0, l1 + 1)
    assert (s1, s2) == (f"covers {l1 + 1} turns", f"covers {l2 + 1} turns")
    assert a.folded == b.folded == l2 + 1
    assert a.summary == b.summary == s2
    assert sum(m is not None for m in marked) == l2 + 1  # no turn folded twice
    assert a.summarizer.calls == 2
    a.close()
    b.close()


OPS = st.lists(
    st.tuples(st.sampled_from((0, 1)), st.sampled_from(("add", "add", "add", "fold", "pin"))),
    max_size=40,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_interleaved_writers_agree_with_the_file(
    tmp_path: Path, ops: list[tuple[int, str]]
) -> None:
    db = tmp_path / f"m-{abs(hash(tuple(ops)))}.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    mems = [memory(str(db)), memory(str(db))]
    for m in mems:
        m.summarizer = Tally(pause=0)
    added = [0, 0]
    pins: list[str] = []
    for who, op in ops:
        mem = mems[who]
        if op == "add":
            mem.add(text("user", turn(who, added[who])))
            added[who] += 1
        elif op == "fold":
            mem.fold()
        else:
            pins.append(f"fact {len(pins)}")
            mem.pin(pins[-1])
    fresh = memory(str(db))
    history = [body(m) for m in fresh.history()]
    for who in (0, 1):
        assert [t for t in history if t.startswith(f"writer {who} ")] == [
            turn(who, i) for i in range(added[who])
        ]
    assert len(history) == sum(added)
    for m in (*mems, fresh):
        assert texts(m) == texts(fresh)
        assert m.folded + len(m.recent) == len(history)
        assert [p.text for p in m.pinned] == pins
        if m.folded:
            assert m.summary == f"covers {m.folded} turns"  # each fold built on the last
    for m in (*mems, fresh):
        m.close()


def test_processes_creating_one_new_file_at_once_both_open_it(tmp_path: Path) -> None:
    # Connections in threads race like processes do: both see a file without schema.
    errors: list[BaseException] = []

    def open_it(db: Path, start: threading.Barrier) -> None:
        start.wait()
        try:
            MemoryStore(db).close()
        except BaseException as exc:
            errors.append(exc)

    for n in range(60):  # the busy answer to the WAL switch came in about 1 try of 5
        db = tmp_path / f"new-{n}.sqlite"
        start = threading.Barrier(4)
        threads = [threading.Thread(target=open_it, args=(db, start)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with sqlite3.connect(db) as raw:
            versions = [v for (v,) in raw.execute("SELECT version FROM schema_version")]
        assert versions == list(range(1, SCHEMA_VERSION + 1))
