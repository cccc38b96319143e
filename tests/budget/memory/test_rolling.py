"""RollingMemory: folding with hysteresis, pinned facts, rejections, and surviving a restart."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from aifkit.aif import Message, ToolCallPart, ToolResultPart
from aifkit.budget.memory import RollingMemory, is_summary
from aifkit.errors import ModelCallError, SummaryRejectedError, UsageError
from aifkit.testing import FakeSummarizer
from tests.budget.memory.helpers import call, result, text

MOODS = ("mild", "warm", "cool", "grey", "windy", "sunny", "humid", "calm", "foggy", "crisp")


def chatter(i: int) -> Message:
    return text("user" if i % 2 == 0 else "assistant",
                f"We chatted about the {MOODS[i % len(MOODS)]} weather again; nothing else.")  # fmt: skip


def memory(path: Path | None = None, **kw: object) -> RollingMemory:
    options: dict[str, object] = {"max_tokens": 200, "low_water": 120, "summary_tokens": 50}
    options.update(kw)
    return RollingMemory(path, **options)  # type: ignore[arg-type]


def test_it_folds_when_over_the_mark_and_down_to_low_water() -> None:
    mem = memory()
    folds = [mem.add(chatter(i)) for i in range(30)]
    done = [f for f in folds if f is not None]
    assert done
    assert all(f.committed for f in done)
    for f in done:
        assert f.tokens_before > 200
        assert f.tokens_after <= 120
    # between folds the memory grows back from low water: far fewer folds than messages
    assert len(done) < len(folds) // 3
    assert mem.tokens <= 200
    assert mem.folded + len(mem.recent) == 30
    assert is_summary(mem.messages()[0])


def test_it_keeps_the_last_messages_verbatim() -> None:
    mem = memory(keep_last=4)
    for i in range(30):
        mem.add(chatter(i))
    assert mem.recent[-4:] == tuple(chatter(i) for i in range(26, 30))


def test_facts_survive_into_the_summary_and_pins_stay_verbatim() -> None:
    mem = memory()
    pin = mem.pin("Dana Reyes is allergic to peanuts.")
    mem.add(text("user", "My ticket is TCK-40912, about /var/log/app.log."))
    for i in range(20):
        mem.add(chatter(i))
    assert mem.folded > 0
    assert "TCK-40912" in mem.summary
    assert "/var/log/app.log" in mem.summary
    assert mem.messages()[0].parts[0].text == "[Pinned facts]\n- Dana Reyes is allergic to peanuts."  # type: ignore[union-attr]
    assert [p.text for p in mem.pinned] == ["Dana Reyes is allergic to peanuts."]
    mem.unpin(pin)
    assert mem.pinned == ()
    with pytest.raises(UsageError, match="no pinned fact has id 99"):
        mem.unpin(99)
    with pytest.raises(UsageError, match="cannot be empty"):
        mem.pin("  ")


def test_it_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "mem" / "chat.sqlite"
    first = memory(db)
    first.pin("The project is code-named Bluebird.")
    first.add(text("user", "Deploy build 7731 to staging-3 tonight."))
    for i in range(20):
        first.add(chatter(i))
    state = (first.summary, first.folded, first.recent, first.pinned, first.messages())
    history = first.history()
    first.close()

    second = memory(db)
    assert (second.summary, second.folded, second.recent, second.pinned, second.messages()) == state
    assert second.history() == history
    assert len(history) == 21
    # it continues where it left off: new messages fold on top of the old summary
    for i in range(20, 40):
        second.add(chatter(i))
    assert second.folded > state[1]
    assert "7731" in second.summary
    assert "staging-3" in second.summary
    assert len(second.history()) == 41
    second.close()


def test_sessions_in_one_file_are_separate(tmp_path: Path) -> None:
    db = tmp_path / "m.sqlite"
    with memory(db, session="a") as a, memory(db, session="b") as b:
        a.add(text("user", "alpha"))
        b.add(text("user", "bravo"))
        assert [s.id for s in a.store.sessions()] == ["a", "b"]
    with memory(db, session="a") as again:
        assert again.recent == (text("user", "alpha"),)


@pytest.mark.parametrize(
    "output",
    [ModelCallError("http://x/v1", "HTTP 500"), "", "Error: 500 Internal Server Error", "Weather."],
)
def test_a_rejected_fold_keeps_every_message(tmp_path: Path, output: object) -> None:
    db = tmp_path / "m.sqlite"
    mem = memory(db, summarizer=FakeSummarizer([output], repeat=True))  # type: ignore[list-item]
    mem.add(text("user", "Invoice INV-88213 is due."))
    folds = [mem.add(chatter(i)) for i in range(20)]
    attempted = [f for f in folds if f is not None]
    assert attempted
    assert not any(f.committed for f in attempted)
    assert mem.folded == 0
    assert mem.summary == ""
    assert len(mem.recent) == 21
    assert mem.last_rejection is not None
    assert all(f.tokens_after == f.tokens_before for f in attempted)
    mem.close()
    assert memory(db).recent == mem.recent  # and nothing half-written reached the file


def test_a_rejected_fold_can_raise() -> None:
    mem = memory(summarizer=FakeSummarizer([""], repeat=True), retry_growth=0)
    for i in range(20):
        mem.add(chatter(i))
    assert mem.tokens > mem.max_tokens
    mem.on_reject = "raise"
    with pytest.raises(SummaryRejectedError, match="empty"):
        mem.add(chatter(20))
    assert mem.folded == 0
    assert len(mem.recent) == 21  # the message was added; only the fold failed


def test_a_fold_that_would_grow_the_memory_is_rejected() -> None:
    # Short turns and a summarizer that keeps them word for word: with the summary's
    # framing ("[Summary of N earlier messages]"), the fold would take more, not less.
    fake = FakeSummarizer([lambda t: t], repeat=True)
    mem = RollingMemory(max_tokens=60, low_water=40, summary_tokens=30, summarizer=fake)
    turns = [text("user" if i % 2 == 0 else "assistant", f"Ok {i}.") for i in range(12)]
    folds = [f for f in (mem.add(m) for m in turns) if f is not None]
    assert folds
    fold = folds[0]
    assert not fold.committed
    assert fold.tokens_after == fold.tokens_before
    assert fold.reason is not None
    assert fold.reason.startswith("the fold would not shrink the memory")
    assert mem.last_rejection == folds[-1].reason
    assert (mem.summary, mem.folded, mem.recent) == ("", 0, tuple(turns))
    # The same turns with a summarizer that shortens them fold, and the memory shrinks.
    shorter = FakeSummarizer(["Ok."], repeat=True)
    short = RollingMemory(
        max_tokens=60, low_water=40, summary_tokens=30, summarizer=shorter, checks="off"
    )
    done = [f for f in (short.add(m) for m in turns) if f is not None]
    assert done
    assert all(f.committed and f.tokens_after < f.tokens_before for f in done)


def test_after_a_rejection_it_backs_off_before_summarizing_again() -> None:
    fake = FakeSummarizer([""], repeat=True)
    mem = memory(summarizer=fake)  # max_tokens 200: retries after 50 more tokens
    folds = [mem.add(chatter(i)) for i in range(40)]
    attempted = [i for i, f in enumerate(folds) if f is not None]
    assert len(fake.calls) == len(attempted) >= 3  # one summarizer call per attempt
    assert len(attempted) < (40 - attempted[0]) // 2  # not one per message
    for i, j in itertools.pairwise(attempted):
        grown = folds[j].tokens_before - folds[i].tokens_before  # type: ignore[union-attr]
        assert grown > 50
    assert mem.over
    assert mem.tokens > 200
    assert mem.last_rejection == "the summary is empty"
    assert mem.retry_at is not None
    assert mem.tokens <= mem.retry_at
    # fold() always tries; with retry_growth=0, add() tries on every message
    assert not mem.fold().committed
    assert len(fake.calls) == len(attempted) + 1
    eager = memory(summarizer=FakeSummarizer([""], repeat=True), retry_growth=0)
    eager_folds = [eager.add(chatter(i)) for i in range(40)]
    assert sum(f is not None for f in eager_folds) == 40 - attempted[0]
    with pytest.raises(UsageError, match="retry_growth"):
        memory(retry_growth=-1)


def test_a_committed_fold_ends_the_back_off() -> None:
    fake = FakeSummarizer(["", "", lambda t: "Weather talk."], repeat=True)
    mem = memory(summarizer=fake, checks="off")
    folds = [f for f in (mem.add(chatter(i)) for i in range(60)) if f is not None]
    assert [f.committed for f in folds[:3]] == [False, False, True]
    assert mem.retry_at is None
    assert mem.last_rejection is None
    assert not mem.over


def test_a_smaller_fold_is_tried_when_facts_do_not_fit() -> None:
    # the summarizer keeps the ids of three lines: only a fold of at most three messages
    # keeps its facts
    def ids(transcript: str) -> str:
        return " ".join(w.strip(".") for line in transcript.splitlines()[:3]
                        for w in line.split() if w.startswith("T-"))  # fmt: skip

    fake = FakeSummarizer([ids], repeat=True)
    mem = memory(summarizer=fake)
    mem.add(text("user", "Ticket T-1001 opened."))
    for i in range(25):
        mem.add(text("user", f"Ticket T-{2000 + i} opened."))
    assert mem.folded > 0
    assert len(fake.calls) > 1
    assert len(fake.calls[0].text) > len(fake.calls[1].text)


def test_tool_calls_are_folded_with_their_results() -> None:
    mem = memory(
        keep_last=1, checks="off", summarizer=FakeSummarizer(["Earlier work."], repeat=True)
    )
    for i in range(30):
        mem.add(call(f"c{i}", "search", q=f"weather {MOODS[i % 10]}"))
        mem.add(chatter(i))
        mem.add(result(f"c{i}", f"It was {MOODS[i % 10]} all day."))
        calls = {p.id for m in mem.recent for p in m.parts if isinstance(p, ToolCallPart)}
        results = {p.call_id for m in mem.recent for p in m.parts if isinstance(p, ToolResultPart)}
        assert calls == results
    assert mem.folded > 0


def test_bad_marks_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="summary_tokens"):
        RollingMemory(max_tokens=100, low_water=150)
    with pytest.raises(UsageError, match="keep_last"):
        RollingMemory(keep_last=-1)


def test_it_builds_a_document_around_the_memory() -> None:
    from aifkit.aif import Document, Instruction, TextPart

    base = Document(instructions=(Instruction(role="system", parts=(TextPart(text="Be brief."),)),))
    mem = memory()
    mem.add([text("user", "hello"), text("assistant", "hi")])
    doc = mem.document(base)
    assert doc.instructions == base.instructions
    assert doc.messages == mem.messages()
    assert "recent=2" in repr(mem)
    assert mem.add([]) is None


def test_the_memory_notes_are_system_side_so_turns_still_alternate() -> None:
    mem = memory()
    mem.pin("The customer is Dana Reyes.")
    for i in range(30):
        mem.add(chatter(i))
    head = [m for m in mem.messages() if m not in mem.recent]
    assert [m.role for m in head] == ["system", "system"]
    roles = [m.role for m in mem.messages() if m.role != "system"]
    assert all(a != b for a, b in itertools.pairwise(roles))
    assert mem.history() == tuple(chatter(i) for i in range(30))  # the originals, exactly
    user_notes = memory(role="user")
    user_notes.pin("The customer is Dana Reyes.")
    assert user_notes.messages()[0].role == "user"


def test_the_back_off_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "m.sqlite"
    first = FakeSummarizer([""], repeat=True)
    mem = memory(db, summarizer=first)
    i = 0
    while mem.retry_at is None:  # add until a fold is tried and rejected
        mem.add(chatter(i))
        i += 1
    assert len(first.calls) == 1
    retry_at = mem.retry_at
    mem.close()

    # A new process on the same file: it backs off too, and says why.
    again = FakeSummarizer([""], repeat=True)
    mem = memory(db, summarizer=again)
    assert (mem.retry_at, mem.last_rejection) == (retry_at, "the summary is empty")
    assert mem.over
    while mem.tokens + 20 <= retry_at:  # chatter takes under 20 tokens
        assert mem.add(chatter(i)) is None
        i += 1
    assert again.calls == []
    mem.close()

    # Reopened each time, as `aif memory add` does: no call until retry_at is passed.
    while True:
        mem = memory(db, summarizer=again)
        tried = mem.add(chatter(i))
        tokens = mem.tokens
        mem.close()
        i += 1
        if tried is not None:
            break
        assert tokens <= retry_at
        assert again.calls == []
    assert tokens > retry_at
    assert len(again.calls) == 1
    assert not tried.committed

    # A committed fold ends the back-off in the file as well.
    mem = memory(db, summarizer=FakeSummarizer(["Weather talk."]), checks="off")
    assert mem.fold().committed
    mem.close()
    mem = memory(db)
    assert (mem.retry_at, mem.last_rejection, mem.over) == (None, None, False)
    mem.close()
