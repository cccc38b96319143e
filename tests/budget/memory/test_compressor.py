"""SummaryCompressor: the "summary" compressor, through the registry, transactional."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from aifkit.aif import Document, ToolCallPart, ToolResultPart
from aifkit.budget.compressors import COMPRESSORS, CompressionTarget, Compressor
from aifkit.budget.memory import SummaryCompressor, is_summary
from aifkit.errors import SummaryRejectedError
from aifkit.testing import FakeSummarizer
from aifkit.tokens import count_tokens
from tests.budget.memory.helpers import call, result, support_chat, text
from tests.budget.strategies import conversations

MOODS = ("mild", "warm", "cool", "grey", "windy", "sunny", "humid", "calm", "foggy", "crisp")


def long_chat(turns: int = 30) -> Document:
    msgs = [text("user", "Please track order ord_9001 for Dana Reyes.")]
    for i in range(turns):
        msgs.append(text("assistant" if i % 2 else "user",
                         f"We chatted about the {MOODS[i % 10]} weather and how {MOODS[(i + i // 10 + 3) % 10]} "
                         "the afternoon felt; nothing else of note happened in this part."))  # fmt: skip
    msgs.append(text("user", "So, where is my order?"))
    return Document(messages=tuple(msgs))


def test_it_is_registered_as_summary() -> None:
    made = COMPRESSORS.get("summary")
    assert isinstance(made, SummaryCompressor)
    assert isinstance(made, Compressor)
    assert made.name == "summary"


@pytest.mark.parametrize("ratio", [0.5, 0.25])
def test_it_reaches_the_ratio_and_restores(ratio: float) -> None:
    doc = long_chat()
    out = SummaryCompressor().compress(doc, CompressionTarget("gpt-4o", ratio=ratio))
    assert out.tokens_before == count_tokens(doc, model="gpt-4o").total
    assert out.tokens_after == count_tokens(out.document, model="gpt-4o").total
    assert ratio - 0.1 <= out.ratio <= ratio  # fills its budget, never over it
    first, last = out.document.messages[0], out.document.messages[-1]
    assert is_summary(first)
    assert "ord_9001" in first.parts[0].text  # type: ignore[union-attr]
    assert last == doc.messages[-1]  # the current turn is never summarized
    (action,) = out.actions
    assert action.pointer == "/messages"
    assert action.method == "summary"
    assert action.saved > 0
    assert out.restore() == doc
    assert out.to_json()["actions"][0]["detail"].startswith("summarized messages 0-30 (31)")


def test_protect_last_keeps_the_tail() -> None:
    doc = long_chat()
    out = SummaryCompressor().compress(doc, CompressionTarget("gpt-4o", ratio=0.5, protect_last=4))
    assert out.document.messages[-4:] == doc.messages[-4:]
    assert len(out.document.messages) == 5


def test_a_document_already_within_the_goal_is_left_alone() -> None:
    doc = support_chat()
    out = SummaryCompressor().compress(doc, CompressionTarget("gpt-4o", budget=10_000))
    assert out.document is doc
    assert out.actions == ()
    assert out.ratio == 1.0


def test_a_lossy_summary_is_refused_or_kept_out() -> None:
    doc = support_chat()
    lossy = FakeSummarizer(["Someone had a delivery problem."], repeat=True)
    with pytest.raises(SummaryRejectedError, match="lost"):
        SummaryCompressor(lossy).compress(doc, CompressionTarget("gpt-4o", ratio=0.5))
    out = SummaryCompressor(lossy, on_reject="keep").compress(
        doc, CompressionTarget("gpt-4o", ratio=0.5)
    )
    assert out.document is doc
    assert out.actions == ()
    assert out.ratio == 1.0


def test_an_impossible_ratio_is_refused_rather_than_losing_facts() -> None:
    with pytest.raises(SummaryRejectedError, match="lost"):
        SummaryCompressor().compress(support_chat(), CompressionTarget("gpt-4o", ratio=0.35))


def test_a_goal_leaving_no_room_for_a_summary_says_so() -> None:
    target = CompressionTarget("gpt-4o", ratio=0.03)
    with pytest.raises(SummaryRejectedError, match=r"leaves 0 for a summary of 31 messages"):
        SummaryCompressor().compress(long_chat(), target)
    doc = long_chat()
    assert SummaryCompressor(on_reject="keep").compress(doc, target).document is doc


def test_the_focus_is_the_current_turn_or_the_query() -> None:
    fake = FakeSummarizer([lambda t: t[:40]], repeat=True)
    doc = long_chat()
    SummaryCompressor(fake, checks="off").compress(doc, CompressionTarget("gpt-4o", ratio=0.5))
    SummaryCompressor(fake, checks="off").compress(
        doc, CompressionTarget("gpt-4o", ratio=0.5, query="the weather")
    )
    assert [c.focus for c in fake.calls] == ["So, where is my order?", "the weather"]


def test_a_trailing_tool_exchange_stays_whole() -> None:
    doc = long_chat()
    doc = doc.model_copy(
        update={
            "messages": (
                *doc.messages,
                call("c9", "track", order="ord_9001"),
                result("c9", "in transit"),
            )
        }
    )
    out = SummaryCompressor().compress(doc, CompressionTarget("gpt-4o", ratio=0.5))
    assert out.document.messages[-3:] == doc.messages[-3:]


def _paired(doc: Document) -> bool:
    calls = {p.id for m in doc.messages for p in m.parts if isinstance(p, ToolCallPart)}
    results = {p.call_id for m in doc.messages for p in m.parts if isinstance(p, ToolResultPart)}
    return calls == results


@settings(max_examples=30, deadline=None)
@given(doc=conversations())
def test_tool_pairs_survive_compression(doc: Document) -> None:
    out = SummaryCompressor(checks="lenient", on_reject="keep").compress(
        doc, CompressionTarget("gpt-4o", ratio=0.5)
    )
    assert _paired(out.document)
    assert out.restore() == doc
