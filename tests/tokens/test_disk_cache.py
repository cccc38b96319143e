"""The user cache on disk: atomic entries, damaged ones ignored, never required."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aifkit.tokens._disk_cache import cache_dir, read_entry, write_entry


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AIFKIT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@given(payload=st.binary(max_size=2000))
def test_what_is_written_is_read_back(payload: bytes) -> None:
    with pytest.MonkeyPatch.context() as patch:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            patch.setenv("AIFKIT_CACHE_DIR", tmp)
            assert write_entry("entry", payload)
            assert read_entry("entry") == payload


@pytest.mark.parametrize("cut", [1, 10, 47, 60])
def test_a_damaged_entry_is_ignored(folder: Path, cut: int) -> None:
    assert write_entry("entry", b"x" * 100)
    path = folder / "entry"
    data = path.read_bytes()
    path.write_bytes(data[:-cut])
    assert read_entry("entry") is None
    path.write_bytes(data[:-1] + b"y")  # same length, one byte changed
    assert read_entry("entry") is None


def test_a_foreign_file_is_ignored(folder: Path) -> None:
    folder.mkdir()
    (folder / "entry").write_bytes(b"not an aifkit cache entry at all, but long enough" * 3)
    assert read_entry("entry") is None


def test_an_unwritable_cache_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    monkeypatch.setenv("AIFKIT_CACHE_DIR", str(blocker / "cache"))
    assert write_entry("entry", b"payload") is False
    assert read_entry("entry") is None


def test_an_empty_setting_turns_the_cache_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIFKIT_CACHE_DIR", "")
    assert cache_dir() is None
    assert write_entry("entry", b"payload") is False
    assert read_entry("entry") is None


def test_the_default_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("AIFKIT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "aifkit"


def test_a_new_version_replaces_the_outdated_ones(folder: Path) -> None:
    assert write_entry("models-old", b"1")
    assert write_entry("other-kept", b"2")
    assert write_entry("models-new", b"3", replaces="models-")
    assert sorted(p.name for p in folder.iterdir()) == ["models-new", "other-kept"]
