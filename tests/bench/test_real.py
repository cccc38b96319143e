"""The agent task over real tool outputs: every fact is in its recorded file, once asked."""

from __future__ import annotations

import json

import pytest

from aifkit.bench import generate
from aifkit.bench._agent import KINDS
from aifkit.bench._builtin import agent
from aifkit.bench._real import OUTPUTS, POOLS, real_transcript
from aifkit.errors import InvalidInputError


@pytest.mark.parametrize("output", OUTPUTS, ids=lambda o: o.file)
def test_each_fact_is_in_its_recorded_output(output: object) -> None:
    from aifkit.bench._real import Output, _text  # pyright: ignore[reportPrivateUsage]

    assert isinstance(output, Output)
    text = _text(output.file)
    assert output.facts
    assert all(f.kind == output.kind and f.key in text for f in output.facts)


@pytest.mark.parametrize("pool", sorted(POOLS))
@pytest.mark.parametrize("asked", KINDS)
def test_the_asked_fact_is_the_answer_and_every_fact_is_measured(asked: str, pool: str) -> None:
    task = generate("agent_real", {"asked": asked, "pool": pool}, 1, "gpt-4o")
    text = json.dumps(task.body, ensure_ascii=False)
    assert task.extra["asked"] == asked
    assert task.answers[0] in task.facts
    assert all(fact in text for fact in task.facts)
    assert task.body["messages"][-1]["content"] == task.question
    assert generate("agent_real", {"asked": asked, "pool": pool}, 1, "gpt-4o") == task


@pytest.mark.parametrize("pool", sorted(POOLS))
def test_the_suite_seeds_read_each_log_of_a_pool(pool: str) -> None:
    files = {generate("agent_real", {"pool": pool}, s, "gpt-4o").extra["log"] for s in range(3)}
    assert files == {log.file for log in POOLS[pool].logs}


def test_the_pools_share_no_output() -> None:
    dev, held_out = ({o.file for o in OUTPUTS if o in (*p.logs, p.records, p.code, p.search)}
                     for p in (POOLS["dev"], POOLS["held-out"]))  # fmt: skip
    assert dev.isdisjoint(held_out)
    assert real_transcript("real:0").body != real_transcript("real:0", pool="held-out").body


def test_an_unknown_pool_names_the_known_ones() -> None:
    with pytest.raises(InvalidInputError, match="unknown pool") as info:
        generate("agent_real", {"pool": "train"}, 0, "gpt-4o")
    assert "held-out" in str(info.value)


def test_the_agent_suite_measures_both_pools() -> None:
    tasks = {t.name: t for t in agent().tasks}
    assert tasks["agent-real"].kind == tasks["agent-real-held-out"].kind == "agent_real"
    assert tasks["agent-real-held-out"].params == {"pool": "held-out"}
