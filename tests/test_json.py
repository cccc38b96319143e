"""Quoting values in messages: one line, capped, whatever the value holds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from aifkit._json import format_pointer, one_line, quote


def test_control_characters_and_surrogates_are_escaped() -> None:
    assert one_line("a\nb\r\tc\x1b[31m\u202e\ud800", 80) == "a\\nb\\r\\tc\\x1b[31m\\u202e\\ud800"


def test_long_text_is_cut_with_an_ellipsis() -> None:
    assert one_line("x" * 1_000_000, 10) == "x" * 9 + "…"
    assert quote("y" * 1_000_000) == "'" + "y" * 80 + "…'"


def test_containers_and_huge_integers_are_named_not_shown() -> None:
    assert quote({"a": "b" * 1000}) == "an object"
    assert quote([1, 2]) == "an array"
    assert quote(10**5000) == "a large integer"


@given(st.text(), st.integers(min_value=2, max_value=200))
def test_one_line_is_one_printable_line_within_the_limit(text: str, limit: int) -> None:
    line = one_line(text, limit)
    assert len(line) <= limit
    assert line.isprintable()
    line.encode("utf-8")


@given(st.text() | st.integers() | st.floats() | st.none())
def test_quote_is_one_short_printable_line(value: object) -> None:
    text = quote(value)
    assert text.isprintable()
    assert len(text) <= 4 * 80


@given(st.lists(st.integers(min_value=0) | st.text(alphabet="ab/~0 1", max_size=4), max_size=6))
def test_a_pointer_escapes_each_token_and_reads_back_to_the_path(path: list[str | int]) -> None:
    pointer = format_pointer(path)
    tokens = pointer.split("/")[1:] if pointer else []
    assert [t.replace("~1", "/").replace("~0", "~") for t in tokens] == [str(p) for p in path]
