"""Vocabularies load offline from bpe-openai's files, and only if their hash is right."""

from __future__ import annotations

import gzip
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from aifkit.errors import AifkitError
from aifkit.tokens import TokenizerDataError
from aifkit.tokens._openai_files import bundled_data_dir, load_encoding


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.usefixtures("no_network")
def test_encodings_load_with_the_network_cut() -> None:
    enc = load_encoding("cl100k_base")  # not the registry: a fresh load from the files
    assert enc.name == "cl100k_base"
    assert enc.decode(enc.encode("offline")) == "offline"


@pytest.mark.usefixtures("no_network")
def test_an_encoding_without_a_local_file_is_refused_not_downloaded() -> None:
    with pytest.raises(TokenizerDataError, match="no such file"):
        load_encoding("r50k_base")  # tiktoken would fetch it from a URL
    with pytest.raises(AifkitError, match="never downloads"):
        load_encoding("gpt2")  # fetched through another tiktoken loader


def _tampered_copy(tmp_path: Path) -> Path:
    raw = gzip.decompress((bundled_data_dir() / "cl100k_base.tiktoken.gz").read_bytes())
    first, rest = raw.split(b"\n", 1)
    token, rank = first.split()
    changed = token + b" " + str(int(rank) + 1).encode()  # one rank off: a wrong vocabulary
    (tmp_path / "cl100k_base.tiktoken.gz").write_bytes(gzip.compress(changed + b"\n" + rest))
    return tmp_path


def test_a_tampered_vocabulary_fails_its_hash_check(tmp_path: Path) -> None:
    folder = _tampered_copy(tmp_path)
    with pytest.raises(TokenizerDataError, match="does not match tiktoken's expected") as info:
        load_encoding("cl100k_base", data_dir=folder)
    assert info.value.path == folder / "cl100k_base.tiktoken.gz"
    assert "pip install" in str(info.value)  # says what to do next


def test_an_untouched_copy_loads(tmp_path: Path) -> None:
    shutil.copy(bundled_data_dir() / "cl100k_base.tiktoken.gz", tmp_path)
    assert load_encoding("cl100k_base", data_dir=tmp_path).n_vocab > 100_000


def test_a_missing_vocabulary_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TokenizerDataError, match="no such file"):
        load_encoding("o200k_base", data_dir=tmp_path)


def test_a_corrupt_archive_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "o200k_base.tiktoken.gz").write_bytes(b"not gzip")
    with pytest.raises(TokenizerDataError, match="gzip"):
        load_encoding("o200k_base", data_dir=tmp_path)


def test_the_files_are_found_without_importing_bpe_openai() -> None:
    code = (
        "import sys; from aifkit.tokens._openai_files import bundled_data_dir; "
        "d = bundled_data_dir(); "
        "print((d / 'o200k_base.tiktoken.gz').is_file(), 'bpe_openai' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]
