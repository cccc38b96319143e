"""`detect_format`: every recorded body is told apart, and no body makes it fail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aifkit.aif
from aifkit.aif import FormatGuess, decode, detect_format

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# Fixture folders that hold request bodies of one format each.
BODIES = sorted(
    (path.parent.name, path)
    for path in FIXTURES.glob("*/*.json")
    if ".aif." not in path.name
    and path.parent.name not in ("aif", "handoff", "responses", "streams", "chatml")
)


def body_of(fmt: str, path: Path) -> Any:
    data = json.loads(path.read_text("utf-8"))
    return data["body"] if fmt == "openai-chat" and "body" in data else data


def test_detect_format_is_public() -> None:
    assert "detect_format" in aifkit.aif.__all__
    assert "FormatGuess" in aifkit.aif.__all__


@pytest.mark.parametrize(("fmt", "path"), BODIES, ids=[f"{f}/{p.stem}" for f, p in BODIES])
def test_every_recorded_body_is_read_as_its_own_format(fmt: str, path: Path) -> None:
    guesses = detect_format(body_of(fmt, path))
    assert guesses, "no format guessed"
    assert guesses[0].format == fmt, guesses[:3]
    assert guesses[0].evidence  # it says why


def test_guesses_are_ranked_and_each_reads_the_body() -> None:
    body = {
        "model": "mistral-large-latest",
        "messages": [{"role": "user", "content": "Hi"}],
        "random_seed": 7,
    }
    guesses = detect_format(body)
    assert guesses[0] == FormatGuess("mistral", 7, ("random_seed", "mistral"), 0)
    keys = [(-g.score, g.violations, g.format) for g in guesses]
    assert keys == sorted(keys)
    for guess in guesses:
        decode(body, guess.format)  # every format listed reads the body


@pytest.mark.parametrize("body", [None, [], "text", 3, {}, {"unrelated": True}])
def test_a_body_of_no_format_gets_no_guess(body: Any) -> None:
    assert detect_format(body) == []


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "messages",
                    "contents",
                    "input",
                    "role",
                    "content",
                    "parts",
                    "type",
                    "text",
                    "model",
                    "modelId",
                    "toolUse",
                    "max_tokens",
                    "options",
                    "images",
                    "tool_choice",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(body=JSON)
def test_any_json_gets_an_answer_not_an_exception(body: Any) -> None:
    for guess in detect_format(body):
        assert guess.score > 0
