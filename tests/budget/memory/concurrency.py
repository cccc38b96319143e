"""Several processes writing one memory file: the writers, and the checks of what they left.

`run` starts writers (``spawn``) on one file and session; each adds its own
numbered turns (``writer 0 turn 17``) to a `RollingMemory` that folds often,
and every half second checks its own view against the file. `verify` then
checks the file: every turn stored once, in each writer's order, sequence
numbers without gaps, every fold covering a span no other fold covers, and the
summary built on every earlier fold.

The summarizer is `Tally`: its summary says how many turns it covers in all, so
a fold written from a stale summary (one that missed another writer's fold)
would show as a count that disagrees with the file. It sleeps a little, to
widen the window in which another writer can fold first.

Run the long version with ``make load-memory`` (``python -m
tests.budget.memory.concurrency --seconds 60``); the test suite runs a short one.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import re
import sqlite3
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aifkit.aif import Message, TextPart
from aifkit.budget.memory import RollingMemory, is_summary
from aifkit.budget.memory._summarizer import transcript
from aifkit.errors import AifkitError
from tests.budget.memory.helpers import text

SESSION = "shared"
TURN = re.compile(r"^user: writer (\d+) turn (\d+)$", re.MULTILINE)
COVERS = re.compile(r"^covers (\d+) turns$", re.MULTILINE)


class Tally:
    """A summarizer whose summary is the number of turns it covers, old summary included."""

    name = "tally"

    def __init__(self, pause: float = 0.005) -> None:
        self.pause = pause
        self.calls = 0

    def summarize(
        self, source: Sequence[Message] | str, *, max_tokens: int, focus: str | None = None
    ) -> str:
        self.calls += 1
        time.sleep(self.pause)  # a real summarizer takes a while; let the other writer in
        body = transcript(source)
        before = COVERS.search(body)
        return f"covers {(int(before.group(1)) if before else 0) + len(TURN.findall(body))} turns"


def body(message: Message) -> str:
    """The text of a message of one text part (every message here)."""
    part = message.parts[0]
    assert isinstance(part, TextPart)
    return part.text


def turn(writer: int, i: int) -> str:
    return f"writer {writer} turn {i}"


def memory(path: str) -> RollingMemory:
    # Folds every few turns, so writers often fold at the same time.
    return RollingMemory(
        path,
        session=SESSION,
        summarizer=Tally(),
        checks="off",
        max_tokens=120,
        low_water=70,
        summary_tokens=20,
        keep_last=2,
    )


@dataclass
class Report:
    """What one writer did and saw."""

    writer: int
    added: int = 0
    refused: list[str] = field(default_factory=list[str])
    folds: int = 0
    outpaced: int = 0
    outpaced_why: list[str] = field(default_factory=list[str])
    summarizer_calls: int = 0
    views_checked: int = 0
    view_errors: list[str] = field(default_factory=list[str])


def check_view(mem: RollingMemory, writer: int, added: int) -> str | None:
    """Why this writer's view disagrees with the file (``None``: it agrees).

    One read of the memory (`messages`), then the file's history (read later, so
    a superset): the summary covers the first ``of`` turns and says so, the
    recent turns are the next ones in order, and this writer's ``added`` turns
    are all in the history once, in order.
    """
    view = mem.messages()
    history = [body(m) for m in mem.history()]
    notes = [m for m in view if is_summary(m)]
    of = 0
    if notes:
        (note,) = notes
        said = body(note)
        of = int(re.findall(r"^\[Summary of (\d+) earlier messages\]", said)[0])
        covers = COVERS.search(said)
        if covers is None or int(covers.group(1)) != of:
            return f"the summary covers {of} turns but says {said!r}"
    recent = [body(m) for m in view if not is_summary(m)]
    if recent != history[of : of + len(recent)]:
        return f"recent turns {recent[:3]}... are not history[{of}:{of + len(recent)}]"
    mine = [t for t in history if t.startswith(f"writer {writer} ")]
    if mine != [turn(writer, i) for i in range(added)]:
        return f"writer {writer} added {added} turns; the file has {len(mine)} of them"
    return None


def write(path: str, writer: int, seconds: float, start: Any, out: Any) -> None:
    """A writer process: add turns for ``seconds``, checking the view every half second."""
    report = Report(writer)
    try:
        mem = memory(path)
        tally = mem.summarizer
        start.wait()
        end = checked = time.monotonic()
        end += seconds
        i = 0
        while time.monotonic() < end:
            try:
                fold = mem.add(text("user", turn(writer, i)))
            except AifkitError as exc:
                report.refused.append(f"turn {i}: {exc}")
                break  # the numbering of later turns would no longer say what is missing
            i += 1
            report.added = i
            if fold is not None and fold.committed:
                report.folds += 1
            elif fold is not None:
                report.outpaced += 1
                if len(report.outpaced_why) < 3:
                    report.outpaced_why.append(fold.reason or "")
            if time.monotonic() - checked >= 0.5:
                checked = time.monotonic()
                report.views_checked += 1
                if (why := check_view(mem, writer, report.added)) is not None:
                    report.view_errors.append(why)
        report.views_checked += 1
        if (why := check_view(mem, writer, report.added)) is not None:
            report.view_errors.append(why)
        report.summarizer_calls = tally.calls if isinstance(tally, Tally) else 0
        mem.close()
    except BaseException as exc:  # report it: an exception here is the finding
        report.refused.append(f"{type(exc).__name__}: {exc}")
    out.put(asdict(report))


def run(path: Path, *, seconds: float, writers: int = 2) -> list[Report]:
    """Start ``writers`` processes on one file for ``seconds``; return their reports."""
    memory(str(path)).close()  # create the file first: the writers measure writing, not creating
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(writers), ctx.Queue()
    procs = [
        ctx.Process(target=write, args=(str(path), w, seconds, start, out)) for w in range(writers)
    ]
    for p in procs:
        p.start()
    # Generous: process start-up on a busy machine, then the run, then the last check.
    reports = [Report(**out.get(timeout=seconds + 300)) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    return sorted(reports, key=lambda r: r.writer)


def verify(path: Path, reports: Sequence[Report]) -> dict[str, int]:
    """Check the file the writers left; return its figures. Raises AssertionError."""
    for r in reports:
        assert not r.refused, f"writer {r.writer} was refused: {r.refused[:3]}"
        assert not r.view_errors, f"writer {r.writer} saw: {r.view_errors[:3]}"
        assert r.added > 0, f"writer {r.writer} added nothing"
    mem = memory(str(path))
    history = [body(m) for m in mem.history()]
    assert len(history) == len(set(history)), "a turn is stored twice"
    for r in reports:
        mine = [t for t in history if t.startswith(f"writer {r.writer} ")]
        assert mine == [turn(r.writer, i) for i in range(r.added)], f"writer {r.writer} lost turns"
    assert len(history) == sum(r.added for r in reports), "the file has turns nobody added"
    with sqlite3.connect(path) as db:
        seqs = [s for (s,) in db.execute("SELECT seq FROM messages ORDER BY seq")]
        folds = db.execute(
            "SELECT f.id, f.first_seq, f.last_seq, f.summary,"
            " (SELECT COUNT(*) FROM messages m WHERE m.fold = f.id) FROM folds f ORDER BY f.id"
        ).fetchall()
        (folded,) = db.execute("SELECT folded FROM sessions WHERE id = ?", (SESSION,)).fetchone()
        (marked,) = db.execute("SELECT COUNT(*) FROM messages WHERE fold IS NOT NULL").fetchone()
    assert seqs == list(range(len(history))), "sequence numbers have gaps or repeats"
    next_seq = 0
    for fold_id, first, last, summary, members in folds:
        # Each fold takes the oldest unfolded turns: right after the previous fold, no overlap.
        assert first == next_seq, f"fold {fold_id} starts at {first}, not {next_seq}"
        assert members == last - first + 1, f"fold {fold_id} lost turns to another fold"
        assert summary == f"covers {last + 1} turns", f"fold {fold_id} missed an earlier fold"
        next_seq = last + 1
    assert folded == marked == next_seq, f"{folded} folded, {marked} marked, {next_seq} in folds"
    assert mem.folded + len(mem.recent) == len(history)
    assert [body(m) for m in mem.recent] == history[folded:]
    mem.close()
    w0 = [t.startswith("writer 0 ") for t in history]
    return {
        "turns": len(history),
        "folds": len(folds),
        "folded": folded,
        "interleavings": sum(a != b for a, b in itertools.pairwise(w0)),
        "outpaced": sum(r.outpaced for r in reports),
        "lost_fold_races": sum(r.summarizer_calls for r in reports) - len(folds),
        "views_checked": sum(r.views_checked for r in reports),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Writers on one memory file, then checks.")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--file", type=Path, default=Path("bench-runs/load-memory.sqlite"))
    args = parser.parse_args(argv)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.file}{suffix}").unlink(missing_ok=True)
    reports = run(args.file, seconds=args.seconds, writers=args.writers)
    for r in reports:
        print(json.dumps(asdict(r) | {"refused": len(r.refused)}))
    try:
        figures = verify(args.file, reports)
    except AssertionError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(figures))
    print(f"ok: {args.writers} writers, {args.seconds:g} s: nothing lost, refused or duplicated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
