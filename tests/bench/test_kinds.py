"""Strategy kinds: one method each, registered like plugins, third parties through entry points."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator, Mapping
from importlib.metadata import EntryPoint
from typing import Any, cast

import pytest

from aifkit.bench import Suite, TaskSpec, generate
from aifkit.bench._execute import execute_job
from aifkit.bench._kinds import STRATEGY_KINDS, Fitted, StrategyKind
from aifkit.bench._strategies import (
    PEERS,
    STRATEGIES,
    apply_strategy,
    count_body,
    parse_strategy,
)
from aifkit.errors import InvalidInputError, UnknownNameError, UsageError


class KeepLast:
    """A third party's strategy: the system message and the last N messages."""

    def fit(
        self, body: Mapping[str, Any], budget: int, model: str, options: Mapping[str, Any]
    ) -> Fitted:
        messages = cast("list[dict[str, Any]]", body["messages"])
        out = {**body, "messages": [messages[0], *messages[-int(options.get("last", 1)) :]]}
        return Fitted(out, {"kept": len(out["messages"])})


@pytest.fixture
def plugin(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``keep-last`` installed as an ``aifkit.bench.strategies`` entry point."""
    point = EntryPoint("keep-last", f"{__name__}:KeepLast", "aifkit.bench.strategies")

    def entry_points(group: str) -> list[EntryPoint]:
        return [point] if group == "aifkit.bench.strategies" else []

    # The registry imports entry_points when it first reads plugins (it costs start-up time).
    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    monkeypatch.setattr(STRATEGY_KINDS, "_plugins_loaded", False)
    try:
        yield "keep-last"
    finally:
        STRATEGY_KINDS.unregister("keep-last")


def test_a_plugin_kind_from_an_entry_point_runs_in_a_suite(plugin: str) -> None:
    suite = Suite(
        "plugin",
        (TaskSpec("recall", "conversation_recall", {"length": 800}),),
        strategies=({"name": "mine", plugin: {"last": 2}},),
        budgets=(0.5,),
    )
    (job,) = suite.jobs()
    assert job.strategy.kind == plugin
    (cell,) = execute_job(job)
    assert cell["status"] == "ok", cell["error"]
    assert cell["report"] == {"kept": 3}
    assert cell["strategy"] == "mine"


def test_registering_a_kind_twice_fails_loudly() -> None:
    with pytest.raises(UsageError, match="already registered"):
        STRATEGY_KINDS.register("pack", "aifkit.bench._kinds:Pack")


def test_an_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match="known strategy kinds: compress, headroom"):
        parse_strategy({"name": "x", "magic": {}})
    with pytest.raises(InvalidInputError, match="exactly one strategy kind"):
        parse_strategy({"name": "x", "pack": {}, "compress": {"method": "auto"}})
    with pytest.raises(InvalidInputError, match="/compress/method"):
        parse_strategy({"name": "x", "compress": {}})


@pytest.mark.parametrize("kind", ["none", "truncate-front", "pack", "compress"])
def test_the_built_in_kinds_are_plugins_with_one_method(kind: str) -> None:
    assert isinstance(STRATEGY_KINDS.get(kind), StrategyKind)


def test_compress_hands_back_what_it_elided_by_the_refs_its_markers_name() -> None:
    task = generate("agent_transcript", {"scale": 0.2, "asked": "logs"}, 7, "gpt-4o")
    budget = count_body(task.body, "gpt-4o") // 4
    applied = apply_strategy(parse_strategy("compress:auto"), task.body, budget, "gpt-4o")
    text = str(applied.body)
    assert applied.elided
    assert all(ref in text for ref in applied.elided)


@pytest.mark.parametrize(("name", "method"), [("pack", "auto"), ("pack:drop", None)])
def test_pack_measures_what_aifkit_pack_gives_and_pack_drop_drops_only(
    name: str, method: str | None
) -> None:
    from aifkit import pack

    task = generate("agent_transcript", {"scale": 0.2, "asked": "code"}, 3, "gpt-4o")
    budget = count_body(task.body, "gpt-4o") // 4
    applied = apply_strategy(STRATEGIES[name], task.body, budget, "gpt-4o")
    user, _ = pack(task.body, format="openai-chat", model="gpt-4o", budget=budget,
                   compress=method)  # fmt: skip
    assert applied.body == user
    decisions = {i["decision"] for i in cast("dict[str, Any]", applied.report)["items"]}
    assert ("compressed" in decisions) is (method is not None)


def test_a_pack_strategy_whose_compress_is_not_a_name_fails_at_load_time() -> None:
    with pytest.raises(InvalidInputError, match="/pack/compress"):
        parse_strategy({"name": "x", "pack": {"compress": 3}})


@pytest.mark.parametrize("name", PEERS)
def test_a_peer_strategy_runs_when_its_package_is_installed(name: str) -> None:
    kind = STRATEGIES[name].kind
    try:
        STRATEGY_KINDS.get(kind)
    except ImportError as exc:
        pytest.skip(f"{name}: {exc}")
    task = generate("agent_transcript", {"scale": 0.1, "asked": "records"}, 3, "gpt-4o")
    before = count_body(task.body, "gpt-4o")
    applied = apply_strategy(STRATEGIES[name], task.body, before // 3, "gpt-4o")
    assert applied.body["messages"][-1] == task.body["messages"][-1]  # the question stays
    assert applied.report is not None
    assert applied.report["strategy"] == name
    if name == "langchain-trim":  # counted by aifkit exactly, so it fits
        assert applied.tokens_after <= before // 3
    if applied.elided:  # litellm-compress: each stub's original, byte for byte
        originals = {str(m.get("content") or "") for m in task.body["messages"]}
        assert set(applied.elided.values()) <= originals


def test_peers_calling_tiktoken_get_openai_vocabularies_without_a_download() -> None:
    import tiktoken

    from aifkit.bench._haystack import count
    from aifkit.bench._peers import _offline_tiktoken  # pyright: ignore[reportPrivateUsage]

    _offline_tiktoken()
    text = "The ledger segment seg-48213 had a checksum mismatch."
    encoding = tiktoken.encoding_for_model("gpt-4o")  # would download without the registry entry
    assert encoding.name == "o200k_base"
    assert len(encoding.encode(text)) == count(text, "gpt-4o")


@pytest.mark.parametrize(
    ("options", "pointer"),
    [
        ({"half_life": "4"}, "/strategies/0/pack/half_life"),
        ({"half_life": 0}, "/strategies/0/pack/half_life"),
        ({"k1": [1.5]}, "/strategies/0/pack/k1"),
        ({"recency_floor": -1}, "/strategies/0/pack/recency_floor"),
        ({"relevance": "tfidf"}, "/strategies/0/pack/relevance"),
        ({"scale_by_complexity": "yes"}, "/strategies/0/pack/scale_by_complexity"),
        ({"rules": [1, 2]}, "/strategies/0/pack"),
    ],
)
def test_pack_options_of_the_wrong_type_are_refused_when_the_suite_loads(
    options: dict[str, Any], pointer: str
) -> None:
    """Found by tests/fuzz: a string half_life reached numpy in a cell (a TypeError)."""
    data = {"tasks": [{"kind": "niah"}], "strategies": [{"name": "mine", "pack": options}]}
    with pytest.raises(InvalidInputError) as info:
        Suite.from_dict(data)
    assert info.value.pointer == pointer
