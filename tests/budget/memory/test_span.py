"""Transactional summaries: a bad summary never replaces anything; tool pairs stay whole."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.aif import Document, ToolCallPart, ToolResultPart
from aifkit.budget.memory import (
    SummaryChecks,
    align_span,
    is_summary,
    restore_summaries,
    summarize_span,
)
from aifkit.errors import ModelCallError, SummaryRejectedError, UsageError
from aifkit.testing import FakeSummarizer
from tests.budget.memory.helpers import support_chat
from tests.budget.strategies import conversations

GOOD = (
    "Dana Reyes reported order ord_4471 missing; lookup_order showed it lost in transit "
    "(tracking 1Z999AA10123456784). A replacement ships to 221 Baker Street, London."
)


def test_a_good_summary_is_committed_and_restorable() -> None:
    doc = support_chat()
    done = summarize_span(doc, 0, 7, FakeSummarizer([GOOD]))
    assert done.committed
    assert done.reason is None
    # The span opens the conversation before a user turn: a system note, not two user turns.
    assert [m.role for m in done.document.messages] == ["system", "user"]
    note = done.document.messages[0]
    assert is_summary(note)
    assert GOOD in note.parts[0].text  # type: ignore[union-attr]
    assert done.document.messages[1] == doc.messages[7]
    assert done.tokens_after < done.tokens_before
    assert restore_summaries(done.document) == doc


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        ("", "the summary is empty"),
        ("   \n ", "the summary is empty"),
        ("I'm sorry, but I can't summarize this conversation.", "error message"),
        ("Error: 503 Service Unavailable", "error message"),
        ('{"error": {"message": "Rate limit reached", "type": "requests"}}', "error message"),
        (
            "Traceback (most recent call last):\n  File 'x.py', line 1\nKeyError: 'choices'",
            "error message",
        ),
        ("Dana Reyes had an order problem; a replacement ships to London.", "lost"),
        (GOOD + " " + "More words to pad the summary beyond its budget. " * 40, "over its budget"),
    ],
)
def test_a_bad_summary_leaves_the_history_unchanged(output: str, reason: str) -> None:
    doc = support_chat()
    with pytest.raises(SummaryRejectedError) as caught:
        summarize_span(doc, 0, 7, FakeSummarizer([output]), max_tokens=60)
    assert reason in caught.value.reason
    # the same call, asked to return the rejection instead
    done = summarize_span(doc, 0, 7, FakeSummarizer([output]), max_tokens=60, raise_on_reject=False)
    assert not done.committed
    assert done.document is doc
    assert reason in (done.reason or "")
    assert done.originals == doc.messages[:7]


@pytest.mark.parametrize(
    "error",
    [ModelCallError("http://localhost:1/v1", "HTTP 500"), TimeoutError("slow"), KeyError("x")],
)
def test_a_failing_summarizer_leaves_the_history_unchanged(error: Exception) -> None:
    doc = support_chat()
    done = summarize_span(doc, 0, 7, FakeSummarizer([error]), raise_on_reject=False)
    assert not done.committed
    assert done.document is doc
    assert f"the summarizer failed: {type(error).__name__}" in (done.reason or "")
    with pytest.raises(SummaryRejectedError, match="the summarizer failed"):
        summarize_span(doc, 0, 7, FakeSummarizer([error]))


def test_the_lossy_check_lists_what_was_lost() -> None:
    doc = support_chat()
    lossy = GOOD.replace("1Z999AA10123456784", "a tracking number")
    with pytest.raises(SummaryRejectedError, match=r"lost 1 facts .*1Z999AA10123456784 \(id\)"):
        summarize_span(doc, 0, 7, FakeSummarizer([lossy]))
    # a lenient caller accepts the loss of an id? No: ids are kept even when lenient.
    with pytest.raises(SummaryRejectedError):
        summarize_span(doc, 0, 7, FakeSummarizer([lossy]), checks="lenient")
    # but may allow one loss explicitly
    done = summarize_span(doc, 0, 7, FakeSummarizer([lossy]), checks=SummaryChecks(max_lost=1))
    assert done.committed


def test_a_summary_as_long_as_the_original_is_refused() -> None:
    doc = support_chat()
    with pytest.raises(SummaryRejectedError, match="not shorter than the original"):
        summarize_span(doc, 5, 6, FakeSummarizer([lambda original: original]), max_tokens=500)


def test_the_summarizer_gets_the_span_budget_and_focus() -> None:
    fake = FakeSummarizer([GOOD])
    summarize_span(support_chat(), 0, 7, fake, max_tokens=80, focus="when will it arrive")
    (seen,) = fake.calls
    assert seen.max_tokens == 80
    assert seen.focus == "when will it arrive"
    assert "called lookup_order" in seen.text
    assert "1Z999AA10123456784" in seen.text


def test_a_boundary_inside_a_tool_pair_moves() -> None:
    doc = support_chat()
    # [0, 3) would take the call (2) without its result (3): it shrinks to [0, 2)
    done = summarize_span(
        doc, 0, 3, FakeSummarizer(["Dana Reyes: ord_4471 missing."]), raise_on_reject=False
    )
    assert (done.start, done.end) == (0, 2)
    assert done.committed
    assert [type(p) for m in done.document.messages for p in m.parts].count(ToolCallPart) == 1
    # [3, 5) starts at the result without its call: it shrinks to [4, 5), or expands to [2, 5)
    assert align_span(doc.messages, 3, 5) == (4, 5)
    assert align_span(doc.messages, 3, 5, mode="expand") == (2, 5)


def test_a_span_with_only_half_a_pair_is_rejected() -> None:
    with pytest.raises(SummaryRejectedError, match="nothing to summarize"):
        summarize_span(support_chat(), 2, 3, FakeSummarizer(["x"]))


@pytest.mark.parametrize(("start", "end"), [(-1, 2), (3, 2), (0, 99)])
def test_a_span_outside_the_document_is_a_usage_error(start: int, end: int) -> None:
    with pytest.raises(UsageError, match="is not within the 8 messages"):
        summarize_span(support_chat(), start, end, FakeSummarizer([]))


def test_summaries_of_summaries_restore_all_the_way() -> None:
    doc = support_chat()
    once = summarize_span(
        doc, 0, 4, FakeSummarizer(["Dana Reyes: ord_4471 lost, 1Z999AA10123456784."])
    )
    twice = summarize_span(once.document, 0, 4, FakeSummarizer([GOOD]), max_tokens=100)
    assert len(twice.document.messages) == 2
    assert restore_summaries(twice.document) == doc


def _pairs(doc: Document) -> tuple[set[str], set[str]]:
    calls = {p.id for m in doc.messages for p in m.parts if isinstance(p, ToolCallPart)}
    results = {p.call_id for m in doc.messages for p in m.parts if isinstance(p, ToolResultPart)}
    return calls, results


@settings(max_examples=60, deadline=None)
@given(doc=conversations(), data=st.data(), mode=st.sampled_from(["shrink", "expand"]))
def test_tool_calls_and_results_are_never_separated(
    doc: Document, data: st.DataObject, mode: str
) -> None:
    n = len(doc.messages)
    start = data.draw(st.integers(0, n))
    end = data.draw(st.integers(start, n))
    done = summarize_span(
        doc,
        start,
        end,
        FakeSummarizer(["Condensed."], repeat=True),
        checks="off",
        max_tokens=50,
        align=mode,  # type: ignore[arg-type]
        raise_on_reject=False,
    )
    if mode == "shrink":
        assert start <= done.start <= done.end <= end
    else:
        assert done.start <= start
        assert done.end >= end
    calls, results = _pairs(done.document)
    assert calls == results  # every call kept with all its results, or both summarized
    if done.committed:
        assert restore_summaries(done.document) == doc
    else:
        assert done.document is doc


def _side(role: str) -> str:
    return "user" if role in ("user", "tool") else role


@settings(max_examples=60, deadline=None)
@given(conversations(), st.data())
def test_an_auto_summary_keeps_user_and_assistant_turns_alternating(
    doc: Document, data: st.DataObject
) -> None:
    n = len(doc.messages)
    start = data.draw(st.integers(0, n))
    end = data.draw(st.integers(start, n))
    originals = doc.messages
    done = summarize_span(
        doc, start, end, FakeSummarizer(["ok"]), checks="off", raise_on_reject=False
    )
    if not done.committed:
        return
    messages = done.document.messages
    note = messages[done.start]
    assert is_summary(note)
    neighbours = [originals[i].role for i in (done.start - 1, done.end) if 0 <= i < n]
    if note.role != "system":
        # never the same side as a neighbour, and never an assistant opening the conversation
        assert _side(note.role) not in {_side(r) for r in neighbours}
        assert note.role == "user" or done.start > 0
    else:
        # a system note only where neither user nor assistant could stand
        assert "user" in {_side(r) for r in neighbours}
    assert restore_summaries(done.document) == doc


@pytest.mark.parametrize("role", ["user", "assistant", "system"])
def test_an_explicit_role_is_used_and_restored_exactly(role: str) -> None:
    doc = support_chat()
    done = summarize_span(doc, 0, 7, FakeSummarizer([GOOD]), role=role)  # type: ignore[arg-type]
    assert done.document.messages[0].role == role
    assert restore_summaries(done.document) == doc
