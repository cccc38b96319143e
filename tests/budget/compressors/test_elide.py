"""The elision store: content-addressed, gives back exactly what was put, migrates, and the
expand tool answers from it."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aifkit.aif import Document, Message, TextPart, ToolCallPart
from aifkit.budget import CompressionTarget, ElisionStore, compress, expand, expand_tool
from aifkit.budget.compressors import EXPAND_TOOL, answer_expand
from aifkit.budget.compressors._layout import make_ref
from aifkit.errors import StoreError, UsageError


@given(st.lists(st.text(), max_size=5))
def test_what_is_put_comes_back_byte_for_byte(texts: list[str]) -> None:
    store = ElisionStore()
    refs = [store.put(t) for t in texts]
    assert [store.get(r) for r in refs] == texts
    assert refs == [make_ref(t) for t in texts]
    assert len(store) == len(set(texts))


def test_a_ref_that_does_not_address_its_text_is_refused() -> None:
    with pytest.raises(StoreError, match="does not address"):
        ElisionStore().put("abc", "0000000000")


def test_an_unknown_ref_says_where_refs_come_from(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no elided text under ref 'ffff'"):
        ElisionStore().get("ffff")
    with pytest.raises(UsageError, match="no elision store"):
        expand("ffff", tmp_path / "missing.db")


def test_a_newer_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "e.db"
    ElisionStore(path).close()
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO elision_schema VALUES (99)")
    with pytest.raises(StoreError, match="newer aifkit"):
        ElisionStore(path)


def _doc() -> Document:
    log = "".join(f"12:{i // 60:02d}:{i % 60:02d} INFO ok item={i}\n" for i in range(400))
    return Document(messages=(
        Message(role="user", parts=(TextPart(text=log),)),
        Message(role="assistant", parts=(TextPart(text="Read."),)),
        Message(role="user", parts=(TextPart(text="Anything odd?"),))))  # fmt: skip


def test_a_saved_result_is_expanded_from_the_file_and_the_tool_answers(tmp_path: Path) -> None:
    result = compress(_doc(), CompressionTarget("gpt-4o", ratio=0.2))
    assert result.elided
    path = tmp_path / "elided.db"
    store = ElisionStore(path)
    assert sorted(store.save(result)) == sorted(result.elided)
    store.close()
    for ref, text in result.elided.items():
        assert expand(ref, path) == text == expand(ref, result)
        call = ToolCallPart(id="c1", name=EXPAND_TOOL, arguments={"ref": ref})
        assert answer_expand(call, ElisionStore(path)) == text
    assert "no text was elided" in answer_expand(
        ToolCallPart(id="c2", name=EXPAND_TOOL, arguments={"ref": "nope"}), result
    )


def test_the_tool_definition_is_an_aif_tool() -> None:
    tool = expand_tool()
    assert tool.name == "aif_expand"
    assert tool.kind == "function"
    assert tool.parameters is not None
    assert tool.parameters["required"] == ["ref"]


@given(st.lists(st.text(min_size=1), min_size=1, max_size=6))
def test_texts_by_ref_are_saved_all_or_none_and_expand_from_the_mapping(texts: list[str]) -> None:
    store = ElisionStore()
    elided = {make_ref(t): t for t in texts}
    assert sorted(store.save(elided)) == sorted(elided)
    assert all(expand(r, store) == expand(r, elided) == t for r, t in elided.items())
    other = ElisionStore()
    with pytest.raises(StoreError, match="does not address"):
        other.save({**elided, "0000000000": "not its text"})
    assert len(other) == 0
    with pytest.raises(UsageError, match="no elided text"):
        expand("0000000000", elided)


def test_one_store_is_shared_by_threads(tmp_path: Path) -> None:
    import threading

    store = ElisionStore(tmp_path / "elided.db")
    texts = [[f"thread {t} text {i}" for i in range(50)] for t in range(4)]
    wrong: list[str] = []  # an assert in a thread would not fail the test

    def run(batch: list[str]) -> None:
        for text in batch:
            store.save({make_ref(text): text})
            if store.get(make_ref(text)) != text:
                wrong.append(text)

    threads = [threading.Thread(target=run, args=(b,)) for b in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
    assert len(store) == sum(len(b) for b in texts)
    store.close()
