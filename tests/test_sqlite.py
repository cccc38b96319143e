"""Every SQLite store refuses a path it cannot open with one StoreError naming the file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aifkit._sqlite import connect
from aifkit.bench._index import RunIndex
from aifkit.bench._model_reader import ResponseCache
from aifkit.budget.compressors._elide import ElisionStore
from aifkit.budget.memory import MemoryStore
from aifkit.errors import StoreError
from aifkit.gateway import GatewayLedger

STORES: dict[str, Callable[[Path], Any]] = {
    "the elision store": ElisionStore,
    "the memory file": MemoryStore,
    "the gateway ledger": GatewayLedger,
    "the index": lambda path: RunIndex(path.parent),
    "the model-answer cache": ResponseCache,
}


@pytest.mark.parametrize("what", sorted(STORES))
def test_a_store_under_a_file_is_a_store_error(tmp_path: Path, what: str) -> None:
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    with pytest.raises(StoreError, match=f"cannot open {what}") as caught:
        STORES[what](afile / "sub" / "index.sqlite")
    assert str(afile) in str(caught.value)


@pytest.mark.parametrize("what", sorted(STORES))
def test_a_store_creates_its_folders(tmp_path: Path, what: str) -> None:
    path = tmp_path / "a" / "b" / "index.sqlite"
    store = STORES[what](path)
    assert path.is_file()
    close = getattr(store, "close", None)
    if close is not None:
        close()


def test_connect_opens_memory_without_touching_the_disk(tmp_path: Path) -> None:
    db = connect(":memory:", "a test database")
    assert db.execute("SELECT 1").fetchone() == (1,)
    db.close()
