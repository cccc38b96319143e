"""Suites: grids expand into cells with deterministic ids; YAML and built-ins load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.bench import Suite, TaskSpec, list_suites, load_suite, run_suite
from aifkit.bench._suite import budget_tokens, cell_id, parse_budget
from aifkit.errors import InvalidInputError, UnknownNameError


@settings(max_examples=50)
@given(
    params=st.dictionaries(st.text(max_size=5), st.integers() | st.floats(allow_nan=False)),
    seed=st.integers(0, 100),
)
def test_cell_ids_do_not_depend_on_key_order(params: dict[str, float], seed: int) -> None:
    reordered = dict(reversed(list(params.items())))
    assert cell_id("t", params, "pack", "0.5", seed, "evidence") == cell_id(
        "t", reordered, "pack", "0.5", seed, "evidence"
    )
    assert cell_id("t", params, "pack", "0.5", seed, "evidence") != cell_id(
        "t", params, "pack", "0.5", seed + 1, "evidence"
    )


def test_a_suite_crosses_every_axis_with_unique_ids() -> None:
    suite = Suite(
        "s", (TaskSpec("n", "niah", {"length": 500}, {"depth": [0.1, 0.5, 0.9]}),),
        strategies=("truncate-front", "pack:recency"), budgets=(0.25, 300), seeds=(0, 1),
        readers=("evidence", "extractive"),
    )  # fmt: skip
    ids = suite.cell_ids()
    assert len(ids) == 3 * 2 * 2 * 2 * 2 == len(set(ids))
    assert ids == suite.cell_ids()  # deterministic


def test_conversion_tasks_cover_every_convertible_pair_once() -> None:
    from aifkit.bench._conversion import convertible_formats

    suite = Suite("c", (TaskSpec("conv", "conversion"),), strategies=("pack", "truncate-front"),
                  budgets=(0.1, 0.5), seeds=(0, 1, 2), readers=("evidence", "extractive"))  # fmt: skip
    n = len(convertible_formats())
    assert len(suite.cell_ids()) == n * (n - 1) * 2


def test_budgets_are_fractions_or_token_counts() -> None:
    assert parse_budget("0.5") == "0.5"
    assert budget_tokens(parse_budget(0.1), 1234) == 123
    for bad in (0, -3, 1.5, "lots", True):
        with pytest.raises(InvalidInputError, match="not a budget"):
            parse_budget(bad)


def test_a_yaml_suite_loads_with_paths_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "tasks.jsonl").write_text(
        json.dumps({"context": "The key is 42.", "question": "What is the key?", "answers": ["42"]})
        + "\n\n"
        + json.dumps(
            {
                "messages": [{"role": "user", "content": "My home city is Oslo."}],
                "question": "What is my home city?",
                "answers": "Oslo",
            }
        )
        + "\n"
    )
    (tmp_path / "mine.yaml").write_text(
        "tasks:\n"
        "  - {kind: jsonl, params: {path: tasks.jsonl}}\n"
        "  - {name: hay, kind: niah, params: {length: 400}, grid: {depth: [0.0, 1.0]}}\n"
        "strategies: [truncate-front, {name: tight, pack: {relevance: none, half_life: 4}}]\n"
        "budgets: [1.0]\n"
        "readers: [extractive]\n"
    )
    suite = load_suite(tmp_path / "mine.yaml")
    assert suite.name == "mine"
    assert [s.name for s in suite.resolved_strategies()] == ["truncate-front", "tight"]
    jobs = suite.jobs()
    assert len(jobs) == (2 + 2) * 2
    assert jobs[0].params == {"path": str(tmp_path / "tasks.jsonl"), "line": 1}

    run = run_suite(suite, tmp_path / "run", workers=1)
    user_tasks = [c for c in run.cells if c.kind == "jsonl"]
    assert len(user_tasks) == 4
    assert all(c.status == "ok" for c in user_tasks)
    assert {c.answer for c in user_tasks} == {"42", "Oslo"}  # the question is never dropped


def test_bad_suites_say_where(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="/tasks"):
        load_suite({"tasks": []})
    with pytest.raises(UnknownNameError, match="known task kinds"):
        load_suite({"tasks": [{"kind": "haystack"}]})
    with pytest.raises(InvalidInputError, match="/strategies/0"):
        load_suite({"tasks": [{"kind": "niah"}], "strategies": [{"name": "x", "pack": {"k": 1}}]})
    with pytest.raises(UnknownNameError, match="known suites: agent, quick, standard"):
        load_suite(str(tmp_path / "missing.yaml"))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (b"name: x\ndescription: \xff\xfe\n", "not UTF-8 text (invalid start byte at byte 21)"),
        (b"a: " + b"[" * 5000 + b"]" * 5000, "nested too deeply"),
        (b"a: " + b"9" * 5000, "cannot read the suite"),
    ],
)
def test_a_suite_file_that_cannot_be_read_is_named(
    tmp_path: Path, text: bytes, problem: str
) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_bytes(text)
    with pytest.raises(InvalidInputError) as info:
        load_suite(str(suite))
    assert str(suite) in str(info.value)
    assert problem in str(info.value)


def test_the_quick_suite_stays_small_and_standard_is_larger() -> None:
    assert list_suites() == ["agent", "quick", "standard"]
    quick, standard = load_suite("quick"), load_suite("standard")
    assert 100 <= len(quick.cell_ids()) <= 800  # ~15 s on 2 cores
    assert len(standard.cell_ids()) > 10 * len(quick.cell_ids())
    kinds = {t.kind for t in quick.tasks}
    assert kinds == {"niah", "variable_tracking", "conversation_recall", "retrieval", "conversion",
                     "agent_transcript", "agent_session"}  # fmt: skip


def test_importing_the_package_loads_no_heavy_dependency() -> None:
    import subprocess
    import sys

    heavy = ["numpy", "openai", "yaml", "distributed", "tiktoken", "scipy", "plotly"]
    code = f"import sys, aifkit.bench; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("data", [[{"kind": "niah"}], "quick", None])
def test_a_suite_that_is_not_a_mapping_is_refused(data: object) -> None:
    """Found by tests/fuzz: ``Suite.from_dict`` of a list was an AttributeError."""
    with pytest.raises(InvalidInputError, match=r"^/: expected a mapping|^: expected a mapping"):
        Suite.from_dict(data)  # pyright: ignore[reportArgumentType]
