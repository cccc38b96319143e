"""`compress` and `Pipeline`: every method keeps pairs, protected messages and restorability."""

from __future__ import annotations

from typing import cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifkit.aif import Document, Message, TextPart
from aifkit.aif._schema import Role
from aifkit.budget import (
    COMPRESSORS,
    CompressionTarget,
    Deduplicator,
    ExtractiveCompressor,
    Pipeline,
    compress,
)
from aifkit.budget.compressors._work import current_turn
from aifkit.errors import BudgetError, UnknownNameError
from aifkit.tokens import count_tokens
from tests.budget.compressors.strategies import floor, long_conversations, pairing

METHODS = ["auto", "clear-tool-output", "dedupe", "truncate", "extract"]
STRICT = {"auto", "truncate", "extract"}  # always reach the goal unless it is impossible


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    doc=long_conversations(),
    method=st.sampled_from(METHODS),
    ratio=st.floats(0.05, 0.95),
    by_budget=st.booleans(),
)
def test_every_method_keeps_pairs_and_protected_parts_and_restores(
    doc: Document, method: str, ratio: float, by_budget: bool
) -> None:
    before = count_tokens(doc, model="gpt-4o").total
    target = (
        CompressionTarget("gpt-4o", budget=max(1, int(before * ratio)))
        if by_budget
        else CompressionTarget("gpt-4o", ratio=ratio)
    )
    goal = target.goal(before)
    try:
        result = compress(doc, target, method=method)
    except BudgetError as exc:
        needed = exc.needed
        assert method in STRICT
        assert needed > goal
        assert floor(doc, target) > goal  # only when the goal is truly out of reach
        return
    out = result.document
    assert result.tokens_before == before
    assert result.tokens_after == count_tokens(out, model="gpt-4o").total
    assert pairing(out) == pairing(doc)  # same messages, parts, calls and results, in order
    assert out.instructions == doc.instructions
    turn = current_turn(doc.messages)
    assert turn is not None
    assert out.messages[turn] == doc.messages[turn]
    assert out.messages[-1] == doc.messages[-1]
    assert result.restore() == doc
    if method in STRICT:
        assert result.tokens_after <= goal  # never above the budget
    assert result.tokens_after <= before


def test_a_pipeline_stops_once_the_goal_is_met() -> None:
    page = "Revenue grew in every region last quarter, said the report. " * 40
    doc = Document(
        messages=(
            Message(role="user", parts=(TextPart(text=page),)),
            Message(role="assistant", parts=(TextPart(text="Noted."),)),
            Message(role="user", parts=(TextPart(text=page),)),
            Message(role="user", parts=(TextPart(text="How did revenue do?"),)),
        )
    )
    result = Pipeline(["dedupe", "extract"]).compress(doc, CompressionTarget("gpt-4o", ratio=0.6))
    assert {a.method for a in result.actions} == {"dedupe"}
    assert result.ratio <= 0.6


@pytest.mark.parametrize("method", ["auto", "summary", ("dedupe", "extract")])
def test_every_method_counts_with_the_targets_tokenizer(method: str | tuple[str, ...]) -> None:
    from aifkit.tokens import get_tokenizer
    from tests.tokens.helpers import CountingTokenizer

    page = "Revenue grew in every region last quarter, said the report. " * 40
    doc = Document(messages=tuple(
        Message(role=r, parts=(TextPart(text=t),)) for r, t in
        cast("list[tuple[Role, str]]", [("user", page), ("assistant", "Noted."), ("user", page + " Again."),
         ("assistant", "Noted again."), ("user", "How did revenue do?")])))  # fmt: skip
    # A name of its own: counts cached under another tokenizer's name are not its.
    tok = CountingTokenizer(get_tokenizer("o200k_base"), name=f"counting-{method}")
    counted = compress(doc, CompressionTarget("gpt-4o", ratio=0.3, tokenizer=tok), method)
    assert tok.texts[page] >= 1  # counted by the given tokenizer, which is o200k_base here
    plain = compress(doc, CompressionTarget("gpt-4o", ratio=0.3), method)
    assert counted.document == plain.document
    assert (counted.tokens_before, counted.tokens_after) == (
        plain.tokens_before,
        plain.tokens_after,
    )


def test_compress_accepts_a_name_a_compressor_or_a_sequence() -> None:
    doc = Document(
        messages=(
            Message(role="user", parts=(TextPart(text="The vault code is 5521. " * 80),)),
            Message(role="user", parts=(TextPart(text="What is the vault code?"),)),
        )
    )
    target = CompressionTarget("gpt-4o", ratio=0.2)
    by_name = compress(doc, target, method="extract")
    by_object = compress(doc, target, method=ExtractiveCompressor())
    by_list = compress(doc, target, method=[Deduplicator(), "extract"])
    assert by_name.document == by_object.document
    assert by_list.ratio <= 0.2
    assert "5521" in by_name.document.messages[0].parts[0].text  # type: ignore[union-attr]


def test_an_unknown_method_lists_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match="known compressors: auto, clear-tool-output"):
        compress(Document(), CompressionTarget("gpt-4o", ratio=0.5), method="zip")


def test_the_registry_names_every_builtin_including_summary() -> None:
    assert {"auto", "clear-tool-output", "dedupe", "extract", "summary", "truncate"} <= set(
        COMPRESSORS.names()
    )


def test_an_unreachable_goal_says_by_how_much() -> None:
    doc = Document(
        messages=(
            Message(role="user", parts=(TextPart(text="Filler text here. " * 20),)),
            Message(role="user", parts=(TextPart(text="A long current turn. " * 50),)),
        )
    )
    with pytest.raises(BudgetError, match="never compressed") as info:
        compress(doc, CompressionTarget("gpt-4o", budget=50))
    assert info.value.needed > 50
