"""The model registry: lookup by name, alias and snapshot; user models; prices."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from aifkit.errors import UnknownNameError, UsageError
from aifkit.tokens import get_model, load_models, models, register_model
from aifkit.tokens._models import MODELS


@pytest.fixture
def cleanup() -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for name in names:
        MODELS.unregister(name)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("gpt-4o", "gpt-4o"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("GPT-4o-2024-11-20", "gpt-4o"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"),
        ("o3-mini-2025-01-31", "o3-mini"),
        ("gpt-5-2025-08-07", "gpt-5"),
        ("gpt-4-0613", "gpt-4"),
        ("gpt-3.5-turbo-0125", "gpt-3.5-turbo"),
        ("chatgpt-4o-latest", "gpt-4o"),
        ("openai/gpt-4.1", "gpt-4.1"),
        ("ft:gpt-4o-mini-2024-07-18:acme::abc123", "gpt-4o-mini"),
        ("claude-sonnet-4-20250514", "claude-sonnet-4"),
        ("claude-sonnet-4-0", "claude-sonnet-4"),
        ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet"),
        ("claude-3-7-sonnet-latest", "claude-3-7-sonnet"),
        ("claude-opus-4-1-20250805", "claude-opus-4-1"),
        ("models/gemini-2.5-pro", "gemini-2.5-pro"),
        ("gemini-2.5-flash-preview-05-20", "gemini-2.5-flash"),
        ("gemini-1.5-pro-002", "gemini-1.5-pro"),
    ],
)
def test_names_aliases_and_snapshots_resolve(name: str, canonical: str) -> None:
    assert get_model(name).name == canonical


def test_builtins_cover_the_current_families() -> None:
    known = set(models())
    for name in ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o1", "o3",
                 "o4-mini", "gpt-5", "gpt-5-mini", "gpt-5-nano", "claude-opus-4-1",
                 "claude-sonnet-4-5", "claude-haiku-4-5", "gemini-2.5-pro", "gemini-2.5-flash"]:  # fmt: skip
        assert name in known
        info = get_model(name)
        assert 0 < info.max_output <= info.context_window
    assert get_model("gpt-4o").tokenizer == "o200k_base"
    assert get_model("gpt-4").tokenizer == "cl100k_base"
    assert get_model("claude-sonnet-4-5").estimator is not None
    assert get_model("gpt-4o").estimator is None


def test_an_unknown_model_names_the_nearest_known_ones_in_one_line() -> None:
    with pytest.raises(UnknownNameError, match="unknown model 'gpt-17'") as info:
        get_model("gpt-17")
    assert "gpt-4o" in info.value.known
    assert len(info.value.known) <= 5
    message = str(info.value)
    assert "\n" not in message
    assert "nearest known: " in message
    assert all(name in message for name in info.value.known)
    with pytest.raises(UnknownNameError):
        get_model("gpt-4o-turbo-max")  # a known prefix is not enough: only snapshot suffixes
    with pytest.raises(UnknownNameError) as far:
        get_model("zzzz-qqqq")
    assert far.value.known == []
    assert "no known model is close" in str(far.value)


def test_register_model_copies_rules_from_a_base(cleanup: list[str]) -> None:
    cleanup.append("acme-mini")
    info = register_model("acme-mini", like="gpt-4o-mini-2024-07-18", aliases=("acme-m",))
    assert (info.context_window, info.images, info.price_ref) == (
        128_000, get_model("gpt-4o-mini").images, "gpt-4o-mini"
    )  # fmt: skip
    assert get_model("acme-m") is get_model("acme-mini-2025-01-01") is info
    with pytest.raises(UsageError, match="already registered"):
        register_model("acme-mini", like="gpt-4o")
    replaced = register_model("acme-mini", like="gpt-4o", max_output=1000, replace=True)
    assert get_model("acme-mini") is replaced


def test_register_model_without_a_base_needs_the_limits(cleanup: list[str]) -> None:
    with pytest.raises(UsageError, match="needs a provider"):
        register_model("bare")
    cleanup.append("bare")
    info = register_model("bare", provider="acme", context_window=4096, max_output=512)
    assert (info.tokenizer, info.estimator) == ("o200k_base", None)


def test_models_load_from_toml_and_json(tmp_path: Path, cleanup: list[str]) -> None:
    toml = tmp_path / "models.toml"
    toml.write_text(
        '[models.acme-large]\nlike = "gpt-4.1"\ncontext_window = 500000\naliases = ["acme-l"]\n'
    )
    js = tmp_path / "models.json"
    js.write_text(json.dumps({"models": {"acme-json": {"provider": "acme", "context_window": 8000,
                                                      "max_output": 1000}}}))  # fmt: skip
    cleanup.extend(["acme-large", "acme-json"])
    [large] = load_models(toml)
    [small] = load_models(js)
    assert get_model("acme-l") is large
    assert (large.context_window, large.max_output) == (500_000, get_model("gpt-4.1").max_output)
    assert get_model("acme-json") is small


@pytest.mark.parametrize(
    ("content", "problem"),
    [("not = [toml", "cannot read"), ("[other]\nx = 1\n", "expected a 'models' table"),
     ("[models]\nx = 1\n", "must be a table"), ('[models.m]\nlike = "gpt-4o"\ncolour = 1\n', "colour")],
)  # fmt: skip
def test_bad_model_files_say_what_is_wrong(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "models.toml"
    path.write_text(content)
    with pytest.raises(UsageError, match=problem):
        load_models(path)


def test_prices_come_from_genai_prices() -> None:
    from genai_prices import Usage, calc_price

    cost = get_model("gpt-4o-2024-08-06").cost(1_000_000, 1_000_000)
    expected = calc_price(
        Usage(input_tokens=1_000_000, output_tokens=1_000_000), "gpt-4o", provider_id="openai"
    )
    assert isinstance(cost, Decimal)
    assert cost > 0
    assert cost == expected.total_price


def test_every_builtin_model_has_a_price() -> None:
    for name in models():
        assert get_model(name).cost(1000, 1000) > 0, name


def test_a_model_genai_prices_does_not_know_is_a_clear_error(cleanup: list[str]) -> None:
    cleanup.append("acme-unpriced")
    info = register_model("acme-unpriced", provider="openai", context_window=10, max_output=10)
    with pytest.raises(UsageError, match="no price for model 'acme-unpriced'"):
        info.cost(100)


def test_a_very_long_name_is_unknown_at_once() -> None:
    # Stripping one snapshot suffix at a time rescanned the name: n^2 on n suffixes.
    with pytest.raises(UnknownNameError) as info:
        get_model("gpt-4o" + "-0000" * 100_000)
    assert len(str(info.value).split(";")[0]) < 100  # the name is clipped in the message
