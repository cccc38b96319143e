"""Models genai-prices knows: found by name, spelling, alias and provider prefix; counted by estimate."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aifkit.errors import UnknownNameError
from aifkit.tokens import _model_index as index_module
from aifkit.tokens import count_tokens, get_model
from aifkit.tokens._model_index import ModelIndex, build_index, model_index, squash


@pytest.mark.parametrize(
    ("name", "canonical", "provider"),
    [
        ("llama-3.1-8b", None, None),
        ("gpt4o", "gpt-4o", "openai"),
        ("GPT 4o", "gpt-4o", "openai"),
        ("openai/gpt-4o", "gpt-4o", "openai"),
        ("anthropic/claude-sonnet-4-5", "claude-sonnet-4-5", "anthropic"),
        ("claude-3.5-sonnet", "claude-3-5-sonnet", "anthropic"),
        ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5", "anthropic"),
        ("gemini-2.5-pro", "gemini-2.5-pro", "google"),
        ("gemini/gemini-3-flash-preview", "gemini-3-flash-preview", "google"),
        ("mistral-large-latest", None, "mistral"),
        ("mistral/mistral-small-latest", None, "mistral"),
        ("deepseek-chat", "deepseek-chat", "deepseek"),
    ],
)
def test_names_resolve(name: str, canonical: str | None, provider: str | None) -> None:
    info = get_model(name)
    if canonical is not None:
        assert info.name == canonical
    if provider is not None:
        assert info.provider == provider
    assert 0 < info.max_output <= info.context_window
    assert info.source  # every entry says where its limits come from


def test_hand_entries_cite_a_provider_page_and_indexed_ones_genai_prices() -> None:
    assert get_model("gpt-4o").source.startswith("https://platform.openai.com/")
    assert get_model("claude-sonnet-4-5").source.startswith("https://docs.anthropic.com/")
    assert get_model("gemini-2.5-pro").source.startswith("https://ai.google.dev/")
    assert get_model("llama-3.1-8b").source.startswith("genai-prices ")


def test_a_provider_prefix_picks_that_providers_own_entry() -> None:
    hosted = get_model("novita/meta-llama/llama-3.1-8b-instruct")
    assert hosted.provider == "novita"
    assert hosted.name == "novita/llama-3.1-8b-instruct"
    assert get_model(hosted.name) is hosted  # its name finds it again


@pytest.mark.parametrize(
    ("name", "estimated", "tokenizer"),
    [
        ("llama-3.1-8b", True, "o200k_base"),
        ("mistral-large-latest", True, "o200k_base"),
        ("gemini-3-flash-preview", True, "o200k_base"),
        ("claude-opus-4-6", True, "o200k_base"),
        ("gpt-5.1", False, "o200k_base"),
        ("gpt-4-32k", False, "cl100k_base"),
    ],
)
def test_counting_rules_follow_the_family(name: str, estimated: bool, tokenizer: str) -> None:
    info = get_model(name)
    assert info.tokenizer == tokenizer
    assert (info.estimator is not None) == estimated
    body = {"messages": [{"role": "user", "content": "How many tokens is this sentence?"}]}
    counted = count_tokens(body, format="openai-chat", model=name)
    assert not counted.exact  # an estimate, or an OpenAI framing not checked for this model
    assert counted.error_bound > 0
    if estimated:
        assert counted.method == "estimate"


def test_an_unknown_model_is_one_line_with_the_nearest_names() -> None:
    with pytest.raises(UnknownNameError) as caught:
        get_model("llama-3.1-9b")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("unknown model 'llama-3.1-9b'; nearest known: ")
    assert any("llama-3.1-8b" in name or "llama3.1-8b" in name for name in caught.value.known)
    assert 0 < len(caught.value.known) <= 5


def _fake(pid: str, *models: tuple[str, int | None]) -> Any:
    return SimpleNamespace(
        id=pid, models=[SimpleNamespace(id=m, context_window=w) for m, w in models]
    )


def test_the_makers_entry_beats_a_hosts_and_an_exact_name_beats_a_loose_one() -> None:
    index = build_index(
        [
            _fake("host", ("org/Big-Model", 8_000), ("big-model-2-instruct", 64_000)),
            _fake("other-host", ("big-model-2-chat", 128_000)),
            _fake("mistral", ("big-model", 32_000), ("no-window", None)),
        ],
        "test",
    )
    hit = index.find("big-model")
    assert hit is not None
    assert (hit.provider, hit.context_window) == ("mistral", 32_000)
    loose = index.find("big-model-2")  # no exact name: the largest window among hosts
    assert loose is not None
    assert (loose.provider, loose.context_window) == ("other-host", 128_000)
    assert index.find("no-window") is None  # nothing to say about a model without a window
    own = index.find("big-model", provider="host")
    assert own is not None
    assert (own.name, own.context_window) == ("host/big-model", 8_000)


_NAMES = st.from_regex(r"[a-z][a-z0-9]{0,5}(-[a-z0-9]{1,4}){0,3}", fullmatch=True)


@given(_NAMES, st.sampled_from(["-", ".", "_", " ", ""]), st.booleans())
def test_spelling_does_not_matter(name: str, separator: str, upper: bool) -> None:
    index = build_index([_fake("acme", (name, 4096))], "test")
    spelled = name.replace("-", separator)
    spelled = spelled.upper() if upper else spelled
    hit = index.find(spelled)
    assert hit is not None
    assert hit.price_id == name
    assert squash(squash(name)) == squash(name)


def test_the_index_is_cached_on_disk_and_rebuilt_when_damaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIFKIT_CACHE_DIR", str(tmp_path))
    first = index_module._load()
    [entry] = tmp_path.glob("models-*.json")

    def no_rebuild(*args: object) -> ModelIndex:
        raise AssertionError("the cached index should have been read")

    with monkeypatch.context() as patch:
        patch.setattr(index_module, "build_index", no_rebuild)
        again = index_module._load()
    assert again.keys == first.keys
    assert again.models == first.models

    entry.write_bytes(entry.read_bytes()[:-10])  # truncated: ignored, rebuilt, rewritten
    rebuilt = index_module._load()
    assert rebuilt.models == first.models
    assert len(model_index()) == len(first)


def test_a_registered_model_shadows_the_genai_prices_entry() -> None:
    from aifkit.tokens import register_model
    from aifkit.tokens._models import MODELS

    assert get_model("deepseek-chat").source.startswith("genai-prices")
    try:
        mine = register_model("deepseek-chat", like="gpt-4o", context_window=50_000)
        assert get_model("deepseek-chat") is mine
        assert get_model("DeepSeek Chat") is mine
    finally:
        MODELS.unregister("deepseek-chat")
    assert get_model("deepseek-chat").source.startswith("genai-prices")


def test_the_index_is_built_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    model_index()  # built (or read from the cache) by now

    def no_second_build() -> ModelIndex:
        raise AssertionError("the index was built twice")

    monkeypatch.setattr(index_module, "_load", no_second_build)
    for name in ("grok-3", "deepseek-reasoner", "kimi-k2"):
        assert get_model(name).source.startswith("genai-prices")
    with pytest.raises(UnknownNameError):
        get_model("no-such-model-at-all-xyz")


@pytest.mark.parametrize("name", ["deepseek-v9", "grok-v7"])
def test_an_unknown_version_is_not_taken_for_another_model(name: str) -> None:
    # "-v9" is a model version, not a snapshot suffix: stripping it resolved these
    # to deepseek-chat and grok-latest, silently, with other windows.
    with pytest.raises(UnknownNameError, match=f"unknown model '{name}'"):
        get_model(name)
