"""Parsed vocabularies come from the user cache after the first parse, and only for that file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aifkit.errors import TokenizerDataError
from aifkit.tokens._openai_files import bundled_data_dir, load_encoding
from aifkit.tokens._vocab_cache import cached_ranks

RANKS = {b"a": 0, b"b": 1, b"ab": 2}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AIFKIT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def vocab(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.tiktoken.gz"
    path.write_bytes(b"stand-in")
    return path


class Parser:
    def __init__(self, ranks: dict[bytes, int]) -> None:
        self.ranks = ranks
        self.calls = 0

    def __call__(self) -> dict[bytes, int]:
        self.calls += 1
        return dict(self.ranks)


def test_the_second_load_reads_the_cache(cache: Path, vocab: Path) -> None:
    parse = Parser(RANKS)
    assert cached_ranks(vocab, "h", parse) == RANKS
    assert cached_ranks(vocab, "h", parse) == RANKS
    assert parse.calls == 1
    assert len(list(cache.glob("ranks-tiny-*.marshal"))) == 1


def test_a_changed_file_or_hash_is_parsed_again(cache: Path, vocab: Path) -> None:
    parse = Parser(RANKS)
    cached_ranks(vocab, "h", parse)
    cached_ranks(vocab, "other-hash", parse)
    assert parse.calls == 2
    vocab.write_bytes(b"another stand-in, longer")
    os.utime(vocab, ns=(1, 1))
    cached_ranks(vocab, "h", parse)
    assert parse.calls == 3
    assert len(list(cache.glob("ranks-tiny-*.marshal"))) == 1  # outdated entries are removed


def test_a_damaged_entry_is_parsed_again(cache: Path, vocab: Path) -> None:
    parse = Parser(RANKS)
    cached_ranks(vocab, "h", parse)
    [entry] = cache.glob("ranks-tiny-*.marshal")
    entry.write_bytes(entry.read_bytes()[:-3])
    assert cached_ranks(vocab, "h", parse) == RANKS
    assert parse.calls == 2


def test_a_missing_file_still_fails_as_before(cache: Path, tmp_path: Path) -> None:
    with pytest.raises(TokenizerDataError, match="no such file"):
        load_encoding("o200k_base", data_dir=tmp_path / "empty")


def test_a_cached_vocabulary_encodes_like_a_parsed_one(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed = load_encoding("cl100k_base")  # parses, checks the hash, fills the cache
    assert list(cache.glob("ranks-cl100k_base-*.marshal"))
    from aifkit.tokens import _openai_files

    def no_parse(*args: object) -> dict[bytes, int]:
        raise AssertionError("the cached vocabulary should have been used")

    monkeypatch.setattr(_openai_files, "_read_ranks", no_parse)
    cached = load_encoding("cl100k_base")
    text = "Caching must not change a single token: héllo 世界 <|endoftext|> 12345"
    assert cached.encode_ordinary(text) == parsed.encode_ordinary(text)
    assert cached._mergeable_ranks == parsed._mergeable_ranks  # pyright: ignore[reportPrivateUsage]
    assert bundled_data_dir().is_dir()


def test_two_installs_sharing_the_cache_keep_their_own_entries(cache: Path, tmp_path: Path) -> None:
    # Two venvs alternating on one user cache replaced each other's entry on every switch.
    other = tmp_path / "other" / "tiny.tiktoken.gz"
    other.parent.mkdir()
    other.write_bytes(b"stand-in, elsewhere")
    mine = tmp_path / "tiny.tiktoken.gz"
    mine.write_bytes(b"stand-in")
    parse = Parser(RANKS)
    for path in (mine, other, mine, other):
        assert cached_ranks(path, "h", parse) == RANKS
    assert parse.calls == 2
    assert len(list(cache.glob("ranks-tiny-*.marshal"))) == 2
