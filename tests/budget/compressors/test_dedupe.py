"""Deduplication: exact and near duplicates point to the copy kept; what differs survives."""

from __future__ import annotations

import pytest

from aifkit.aif import Document, Message, TextPart
from aifkit.budget import CompressionTarget, Deduplicator
from aifkit.budget.compressors._dedupe import jaccard, minhash, shingles

FILE = "\n".join(f"def handler_{i}(event):\n    return process(event, {i})\n" for i in range(40))


def _doc(*texts: str) -> Document:
    msgs = tuple(
        Message(role="user" if i % 2 == 0 else "assistant", parts=(TextPart(text=t),))
        for i, t in enumerate(texts)
    )
    return Document(messages=(*msgs, Message(role="user", parts=(TextPart(text="Go on."),))))


def _text(doc: Document, i: int) -> str:
    part = doc.messages[i].parts[0]
    assert isinstance(part, TextPart)
    return part.text


TARGET = CompressionTarget("gpt-4o", ratio=0.5)


def test_an_exact_duplicate_points_to_the_first_copy() -> None:
    doc = _doc(FILE, "ok", "  " + FILE.replace("\n", "\n "), "ok")
    result = Deduplicator().compress(doc, TARGET)
    assert _text(result.document, 0) == FILE
    assert _text(result.document, 2).startswith("[duplicate of /messages/0/parts/0")
    assert result.restore() == doc


def test_a_near_duplicate_keeps_its_differences_as_a_diff() -> None:
    edited = FILE.replace("process(event, 17)", "process(event, 17, retries=3)")
    doc = _doc(FILE, "ok", edited, "ok")
    result = Deduplicator().compress(doc, TARGET)
    out = _text(result.document, 2)
    assert out.startswith("[near duplicate of /messages/0/parts/0")
    assert "+    return process(event, 17, retries=3)" in out
    assert "-    return process(event, 17)" in out


def test_texts_that_differ_too_much_are_kept() -> None:
    other = FILE.replace("process", "transform").replace("event", "record")
    doc = _doc(FILE, "ok", other, "ok")
    assert Deduplicator().compress(doc, TARGET).actions == ()


def test_a_protected_later_copy_is_kept_and_earlier_ones_point_to_it() -> None:
    doc = Document(
        messages=(
            Message(role="user", parts=(TextPart(text=FILE),)),
            Message(role="assistant", parts=(TextPart(text="Read."),)),
            Message(role="user", parts=(TextPart(text=FILE),)),  # the current turn
        )
    )
    result = Deduplicator().compress(doc, TARGET)
    assert _text(result.document, 2) == FILE
    assert _text(result.document, 0).startswith("[duplicate of /messages/2/parts/0")


def test_short_texts_are_left_alone() -> None:
    doc = _doc("Thanks!", "ok", "Thanks!", "ok")
    assert Deduplicator().compress(doc, TARGET).actions == ()


def test_minhash_estimates_jaccard() -> None:
    a = shingles(" ".join(f"w{i}" for i in range(400)))
    b = shingles(" ".join(f"w{i}" for i in range(40, 440)))
    true = jaccard(a, b)
    estimate = float((minhash(a) == minhash(b)).mean())
    assert abs(estimate - true) < 0.2
    assert true > 0.7


def test_texts_alike_but_not_duplicates_are_compared_a_bounded_number_of_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Sharing 100 of 120 words, they meet in some band but are no near duplicates:
    # each used to be compared with every earlier one, n^2 comparisons (issue 11).
    from aifkit.budget.compressors import _dedupe

    compared = 0

    def counted(a: frozenset[int], b: frozenset[int]) -> float:
        nonlocal compared
        compared += 1
        return jaccard(a, b)

    monkeypatch.setattr(_dedupe, "jaccard", counted)
    shared = " ".join(f"w{k}" for k in range(100))
    n = 600
    doc = _doc(*(f"{shared} " + " ".join(f"u{i}x{k}" for k in range(20)) for i in range(n)), "ok?")
    result = Deduplicator().compress(doc, CompressionTarget("gpt-4o", ratio=0.5))
    assert not result.actions
    assert compared <= _dedupe._CHECKS * n  # pyright: ignore[reportPrivateUsage]
