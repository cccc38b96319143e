"""The error tree: one root, exit codes, messages that say what to do."""

from __future__ import annotations

import inspect

import pytest

from aifkit import errors
from aifkit.aif import LossEntry, LossReport
from aifkit.errors import (
    AifkitError,
    InvalidInputError,
    LossyConversionError,
    MissingDependencyError,
    UnknownNameError,
)


def test_every_error_derives_from_the_root() -> None:
    classes = [
        c for _, c in inspect.getmembers(errors, inspect.isclass) if c.__module__ == errors.__name__
    ]
    assert set(errors.__all__) == {c.__name__ for c in classes}
    assert all(issubclass(c, AifkitError) for c in classes)


def test_unknown_name_lists_the_known_ones() -> None:
    err = UnknownNameError("format", "opeani", ["openai-chat", "anthropic"])
    assert str(err) == "unknown format 'opeani'; known formats: anthropic, openai-chat"
    assert isinstance(err, KeyError)


def test_missing_dependency_names_the_pip_command() -> None:
    assert 'pip install "aifkit[tokens]"' in str(MissingDependencyError("tiktoken", "tokens"))


def test_invalid_input_carries_pointer() -> None:
    err = InvalidInputError("/messages/1/id", "expected a string", hint="fix it")
    assert (err.pointer, str(err)) == (
        "/messages/1/id",
        "/messages/1/id: expected a string; fix it",
    )
    assert err.exit_code == 2


def test_lossy_conversion_points_at_first_drop() -> None:
    report = LossReport(
        "openai-chat",
        "anthropic",
        (
            LossEntry("/messages/0", "transformed", "r/a", "info"),
            LossEntry("/messages/1/name", "dropped", "anthropic/no-name", "warning"),
        ),
    )
    err = LossyConversionError(report)
    assert err.exit_code == 3
    assert "/messages/1/name (anthropic/no-name)" in str(err)
    with pytest.raises(AifkitError):
        raise err


def test_a_huge_hostile_value_gives_a_short_single_line_message() -> None:
    from aifkit.errors import HINT_LIMIT, MESSAGE_LIMIT

    value = "x\ny\x1b" * 400_000
    err = InvalidInputError("/messages/0/role", f"unknown role {value!r}", hint=f"not {value}")
    text = str(err)
    assert "\n" not in text
    assert text.isprintable()
    assert len(text) <= MESSAGE_LIMIT + HINT_LIMIT + 2
    assert text.startswith("/messages/0/role: unknown role 'x\\ny\\x1b")
    assert "\n" not in err.problem


def test_unknown_names_list_the_known_ones_in_plain_english() -> None:
    from aifkit.errors import UnknownNameError

    assert "known strategies: a, b" in str(UnknownNameError("strategy", "x", ["b", "a"]))
    assert "known formats: aif" in str(UnknownNameError("format", "x", ["aif"]))
    assert "known keys: k" in str(UnknownNameError("key", "x", ["k"]))
