"""The agent task over real tool outputs: every fact is in its recorded file, once asked."""

from __future__ import annotations

import json

import pytest

from aifkit.bench import generate
from aifkit.bench._agent import KINDS
from aifkit.bench._builtin import agent
from aifkit.bench._real import OUTPUTS, real_transcript


@pytest.mark.parametrize("output", OUTPUTS, ids=lambda o: o.file)
def test_each_fact_is_in_its_recorded_output(output: object) -> None:
    from aifkit.bench._real import Output, _text  # pyright: ignore[reportPrivateUsage]

    assert isinstance(output, Output)
    text = _text(output.file)
    assert output.facts
    assert all(f.kind == output.kind and f.key in text for f in output.facts)


@pytest.mark.parametrize("asked", KINDS)
def test_the_asked_fact_is_the_answer_and_every_fact_is_measured(asked: str) -> None:
    task = generate("agent_real", {"asked": asked}, 1, "gpt-4o")
    text = json.dumps(task.body, ensure_ascii=False)
    assert task.extra["asked"] == asked
    assert task.answers[0] in task.facts
    assert all(fact in text for fact in task.facts)
    assert task.body["messages"][-1]["content"] == task.question
    assert generate("agent_real", {"asked": asked}, 1, "gpt-4o") == task


def test_the_suite_seeds_read_each_log() -> None:
    files = {generate("agent_real", {}, seed, "gpt-4o").extra["log"] for seed in range(3)}
    assert files == {"bgl.log", "openssh.log", "apache.log"}
    assert real_transcript("real:0").body == real_transcript("real:0").body


def test_the_agent_suite_measures_it() -> None:
    assert "agent-real" in {t.name for t in agent().tasks}
