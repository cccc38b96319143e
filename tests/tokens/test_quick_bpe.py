"""Short ASCII texts encoded from the cached table give exactly tiktoken's ids."""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

import pytest
import tiktoken
from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.tokens import _quick_bpe as quick_bpe
from aifkit.tokens._openai_files import load_encoding
from aifkit.tokens._quick_bpe import (
    MAX_CHARS,
    MAX_TOTAL_CHARS,
    QuickBPE,
    build_table,
    load_quick,
    store_quick,
)
from aifkit.tokens._tokenizer import _local  # pyright: ignore[reportPrivateUsage]

ENCODINGS = ("o200k_base", "cl100k_base", "o200k_harmony")


@cache
def _built(name: str) -> tuple[bytes, tiktoken.Encoding]:
    encoding = load_encoding(name)
    return build_table(encoding._mergeable_ranks, encoding._pat_str), encoding  # pyright: ignore[reportPrivateUsage]


def _pair(name: str) -> tuple[QuickBPE, tiktoken.Encoding]:
    # A new QuickBPE each time: one spends its MAX_TOTAL_CHARS and then declines.
    table, encoding = _built(name)
    return QuickBPE(table), encoding


# Every ASCII character, weighted towards what splits pre-tokens differently: runs of
# spaces, tabs and line breaks, digits, apostrophe suffixes, case changes, punctuation.
_ascii = st.text(alphabet=st.characters(max_codepoint=127), max_size=300)
_tricky = st.lists(
    st.sampled_from(
        [
            "  ",
            " ",
            "\n",
            "\r\n",
            "\t",
            "'s",
            "'LL",
            "'ve",
            "123",
            "4567",
            "aB",
            "Zz",
            "xyz",
            *string.punctuation,
            *string.ascii_letters,
            *string.digits,
        ]
    ),
    max_size=120,
).map("".join)


@pytest.mark.parametrize("name", ENCODINGS)
@settings(max_examples=300, deadline=None)
@given(text=st.one_of(_ascii, _tricky))
def test_ascii_texts_encode_as_tiktoken_does(name: str, text: str) -> None:
    quick, encoding = _pair(name)
    assert quick.encode(text) == encoding.encode_ordinary(text)


def test_long_pieces_merge_as_tiktoken_does() -> None:
    # Runs with no whole-token match go through the pair merge, ties leftmost first.
    quick, encoding = _pair("o200k_base")
    for text in ("a" * 200, "ab" * 100, "zqxj" * 50, "1" * 900, "!@#$%^&*" * 25, " " * 200):
        assert quick.encode(text) == encoding.encode_ordinary(text)


def test_what_it_is_not_made_for_is_declined() -> None:
    quick, _ = _pair("o200k_base")
    assert quick.encode("café") is None
    assert quick.encode("a" * (MAX_CHARS + 1)) is None
    assert quick.encode("x" * 300) is None  # one piece merged pair by pair: over MAX_WORK


def test_a_large_body_goes_to_the_real_encoder() -> None:
    quick = QuickBPE(build_table({b"a": 0, b" ": 1}, "a+| "))
    short = "a " * 1000
    answered = [quick.encode(short) is not None for _ in range(2 * MAX_TOTAL_CHARS // len(short))]
    assert answered[0]
    assert not answered[-1]
    assert answered.index(False) * len(short) <= MAX_TOTAL_CHARS


def test_a_tokenizer_starts_from_the_table_and_builds_the_encoding_when_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIFKIT_CACHE_DIR", str(tmp_path))
    assert load_quick("cl100k_base") is None
    first = _local("cl100k_base")  # builds the encoding and keeps the table
    assert load_quick("cl100k_base") is not None
    second = _local("cl100k_base")
    assert second._built is None  # pyright: ignore[reportAttributeAccessIssue]
    assert second.count("Hello there, world") == first.count("Hello there, world")
    assert second._built is None  # pyright: ignore[reportAttributeAccessIssue]
    assert second.encode("héllo 世界") == first.encode("héllo 世界")  # declined: built now
    assert second._built is not None  # pyright: ignore[reportAttributeAccessIssue]
    assert second.count("Hello there, world") == first.count("Hello there, world")
    assert second.decode(second.encode("abc")) == "abc"


def test_a_damaged_table_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIFKIT_CACHE_DIR", str(tmp_path))
    _, encoding = _pair("cl100k_base")
    store_quick("cl100k_base", encoding._mergeable_ranks, encoding._pat_str)  # pyright: ignore[reportPrivateUsage]
    (table,) = tmp_path.glob("bpe-cl100k_base-*")
    table.write_bytes(table.read_bytes()[:-10])
    assert load_quick("cl100k_base") is None
    # the tokenizer a process loads after the damage still counts right (from tiktoken)
    assert _local("cl100k_base").count("still fine") == len(encoding.encode_ordinary("still fine"))


def test_the_cache_turned_off_keeps_no_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIFKIT_CACHE_DIR", "")

    def build_table(*args: object) -> bytes:
        raise AssertionError("a table was built with the cache off")

    monkeypatch.setattr(quick_bpe, "build_table", build_table)  # nowhere to keep it
    assert load_quick("o200k_base") is None
    assert _local("o200k_base").count("hello world") == 2
