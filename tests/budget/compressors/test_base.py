"""The compressor interface: targets, results that restore, pointers, the registry."""

from __future__ import annotations

import pytest

from aifkit.aif import Document, Message, TextPart
from aifkit.budget import (
    COMPRESSORS,
    CompressionAction,
    CompressionResult,
    CompressionTarget,
    Compressor,
    Truncator,
)
from aifkit.budget.compressors._base import apply_pointer, get_pointer
from aifkit.errors import InvalidInputError, UnknownNameError, UsageError


def _doc(*texts: str) -> Document:
    return Document(messages=tuple(Message(role="user", parts=(TextPart(text=t),)) for t in texts))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "exactly one of ratio and budget"),
        ({"ratio": 0.5, "budget": 10}, "exactly one of ratio and budget"),
        ({"ratio": 0.0}, "between 0 and 1"),
        ({"ratio": 1.0}, "between 0 and 1"),
        ({"budget": 0}, "positive whole number of tokens"),
        ({"budget": 2.5}, "positive whole number of tokens"),
        ({"budget": True}, "positive whole number of tokens"),
        ({"ratio": True}, "between 0 and 1"),
        ({"ratio": "0.5"}, "between 0 and 1"),
        ({"ratio": float("nan")}, "between 0 and 1"),
        ({"ratio": 0.5, "protect_last": -1}, "protect_last"),
        ({"ratio": 0.5, "protect_last": 1.5}, "protect_last"),
    ],
)
def test_a_target_rejects_what_cannot_be_done(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(UsageError, match=match):
        CompressionTarget("gpt-4o", **kwargs)  # type: ignore[arg-type]


def test_a_ratio_goal_never_rounds_up() -> None:
    assert CompressionTarget("gpt-4o", ratio=0.125).goal(1500) == 187
    assert CompressionTarget("gpt-4o", ratio=0.1).goal(5) == 1


def test_restore_undoes_stacked_actions_in_reverse() -> None:
    doc = _doc("original text", "keep")
    step1 = apply_pointer(doc, "/messages/0/parts/0", {"type": "text", "text": "shorter"})
    step2 = apply_pointer(step1, "/messages/0/parts/0", {"type": "text", "text": "s"})
    actions = (
        CompressionAction("/messages/0/parts/0", "a", 2, 1, "", {"type": "text", "text": "original text"}),
        CompressionAction("/messages/0/parts/0", "b", 1, 1, "", {"type": "text", "text": "shorter"}),
    )  # fmt: skip
    result = CompressionResult(step2, 10, 8, actions)
    assert result.restore() == doc
    assert result.ratio == 0.8
    assert result.to_json()["actions"][1] == {
        "pointer": "/messages/0/parts/0", "method": "b", "tokens_before": 1,
        "tokens_after": 1, "detail": "",
    }  # fmt: skip


def test_an_action_on_a_whole_array_restores_it() -> None:
    doc = _doc("one", "two", "three")
    folded = apply_pointer(
        doc, "/messages", [{"role": "user", "parts": [{"type": "text", "text": "1-3"}]}]
    )
    original = get_pointer(doc, "/messages")
    result = CompressionResult(
        folded, 9, 3, (CompressionAction("/messages", "summary", 9, 3, "", original),)
    )
    assert len(result.document.messages) == 1
    assert result.restore() == doc


def test_restore_leaves_the_originals_as_they_were() -> None:
    # An edit inside a message, then a fold of the list: undoing the edit writes
    # inside the list the fold's original holds, which must stay as the fold saw it.
    doc = _doc("one", "two", "three")
    edited = apply_pointer(doc, "/messages/1/parts/0", {"type": "text", "text": "2"})
    folded_from = get_pointer(edited, "/messages")
    folded = apply_pointer(
        edited, "/messages", [{"role": "user", "parts": [{"type": "text", "text": "1-3"}]}]
    )
    actions = (
        CompressionAction("/messages/1/parts/0", "edit", 1, 1, "", {"type": "text", "text": "two"}),
        CompressionAction("/messages", "fold", 9, 3, "", folded_from),
    )  # fmt: skip
    result = CompressionResult(folded, 9, 3, actions)
    assert result.restore() == doc
    assert result.actions[1].original == get_pointer(edited, "/messages")
    assert result.restore() == doc


def test_an_empty_prompt_has_ratio_one() -> None:
    assert CompressionResult(Document(), 0, 0, ()).ratio == 1.0


@pytest.mark.parametrize("pointer", ["/messages/7/parts/0", "/nothing", "messages/0"])
def test_a_bad_pointer_is_an_invalid_input_error(pointer: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        apply_pointer(_doc("x"), pointer, {"type": "text", "text": "y"})
    assert info.value.pointer == pointer


def test_pointer_tokens_are_unescaped() -> None:
    doc = Document(metadata={"a/b": {"c~d": 1}})
    assert get_pointer(doc, "/metadata/a~1b/c~0d") == 1


def test_builtins_satisfy_the_protocol_and_resolve_lazily() -> None:
    assert isinstance(Truncator(), Compressor)
    for name in ("auto", "clear-tool-output", "dedupe", "extract", "truncate"):
        compressor = COMPRESSORS.get(name)
        assert isinstance(compressor, Compressor)
        assert compressor.name == name
    assert "summary" in COMPRESSORS.names()


def test_restore_brings_back_a_list_emptied_by_a_compressor() -> None:
    doc = _doc("one", "two")
    emptied = doc.model_copy(update={"messages": ()})
    action = CompressionAction("/messages", "drop", 5, 0, "", get_pointer(doc, "/messages"))
    assert CompressionResult(emptied, 5, 0, (action,)).restore() == doc


def test_a_target_on_an_unknown_model_is_refused_when_made() -> None:
    with pytest.raises(UnknownNameError):
        CompressionTarget("no-such-model", ratio=0.5)
