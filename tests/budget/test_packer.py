"""`Packer`: every invariant, for random conversations, budgets and policies."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from aifkit.aif import Document, Instruction, Message, TextPart, ToolCallPart, ToolResultPart
from aifkit.budget import CacheRule, Packer, PackReport, Policy, Thresholds
from aifkit.errors import BudgetError, UsageError
from aifkit.tokens import count_tokens
from tests.budget import oracle
from tests.budget.fakes import WordCounter
from tests.budget.strategies import WORDS, conversations, policies

STATELESS = Policy(thresholds=Thresholds(hysteresis=1.0), cache=CacheRule(enabled=False))


def text(role: str, value: str) -> Message:
    return Message(role=role, parts=(TextPart(text=value),))  # type: ignore[arg-type]


def fake_packer(policy: Policy | None = None) -> tuple[Packer, WordCounter]:
    counter = WordCounter()
    return Packer(counter=counter, window=100_000, policy=policy), counter


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(), st.integers(1, 400), policies())
def test_every_invariant_holds_for_any_conversation_budget_and_policy(
    doc: Document, budget: int, policy: Policy
) -> None:
    packer, counter = fake_packer(policy)
    must = oracle.current(doc)
    needed = counter.total(doc.model_copy(update={"messages": tuple(
        m for i, m in enumerate(doc.messages) if i in must)}))  # fmt: skip
    if needed > budget:  # what must be kept does not fit: the current turn, system, tools
        with pytest.raises(BudgetError) as caught:
            packer.pack(doc, budget=budget)
        assert caught.value.needed == needed
        assert f"but the budget is {budget}: over by {needed - budget}" in str(caught.value)
        return
    packed, report = packer.pack(doc, budget=budget)
    oracle.check(doc, packed)
    assert counter.total(packed) == report.tokens_after <= budget
    assert report.tokens_before == counter.total(doc)
    assert len(report.items) == len(doc.instructions) + bool(doc.tools) + len(doc.messages)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(conversations(max_turns=6), min_size=2, max_size=4), st.integers(40, 300))
def test_a_session_of_growing_packs_keeps_every_invariant(
    parts: list[Document], budget: int
) -> None:
    packer, counter = fake_packer()
    messages: tuple[Message, ...] = ()
    for part in parts:
        messages += part.messages
        doc = parts[0].model_copy(update={"messages": messages})
        try:
            packed, report = packer.pack(doc, budget=budget)
        except BudgetError:
            continue
        oracle.check(doc, packed)
        assert counter.total(packed) == report.tokens_after <= budget
        assert 0 <= report.prefix.stability <= 1


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(conversations(max_turns=6), min_size=2, max_size=4),
    st.integers(40, 300),
    st.lists(st.booleans(), min_size=4, max_size=4),
)
def test_counting_before_packing_changes_no_pack(
    parts: list[Document], budget: int, edits: list[bool]
) -> None:
    # The gateway counts a turn with the packer and packs only when it is over: the
    # pack must be the one packing alone gives (same selection, prefix and report,
    # work included), and the count its tokens_before. Some turns edit the first message.
    counting, _ = fake_packer()
    packing, _ = fake_packer()
    messages: tuple[Message, ...] = ()
    for part, edit in zip(parts, edits, strict=False):
        messages += part.messages
        if edit and messages:
            messages = (text("user", "edited"), *messages[1:])
        doc = parts[0].model_copy(update={"messages": messages})
        total = counting.count(doc)
        try:
            alone = packing.pack(doc, budget=budget)
        except BudgetError:
            with pytest.raises(BudgetError):
                counting.pack(budget=budget)
            continue
        after = counting.pack(budget=budget)
        assert after.document == alone.document
        assert after.report.to_json() == alone.report.to_json()
        assert total == alone.report.tokens_before


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(), st.integers(20, 2000))
def test_packs_are_counted_exactly_as_count_tokens_counts_them(doc: Document, budget: int) -> None:
    packer = Packer("gpt-4o")
    try:
        packed, report = packer.pack(doc, budget=budget)
    except BudgetError:
        return
    oracle.check(doc, packed)
    assert (
        count_tokens(doc, model="gpt-4o").total
        == report.tokens_before
        == Packer("gpt-4o").count(doc)
    )
    assert count_tokens(packed, model="gpt-4o").total == report.tokens_after <= budget


def test_an_old_fact_the_user_asks_about_survives_while_filler_does_not() -> None:
    fact = text("user", "For the record: my locker code is 4417 and the locker is in hall B.")
    filler = [
        text(
            "user" if i % 2 else "assistant",
            f"Some chatter about the weather and sports, part {i}.",
        )
        for i in range(60)
    ]
    question = text("user", "Remind me: what is my locker code?")
    doc = Document(messages=(fact, text("assistant", "Noted."), *filler, question))
    packed, report = Packer("gpt-4o").pack(doc, budget=200)
    assert fact in packed.messages
    kept_filler = [m for m in packed.messages if m in filler]
    assert len(kept_filler) < len(filler) // 2
    item = report.items[0]
    assert (item.decision, item.relevance) == ("kept", 1.0)
    assert "locker" in report.query
    # Without relevance, recency alone drops the fact.
    packed, _ = Packer("gpt-4o", policy=Policy(relevance="none")).pack(doc, budget=200)
    assert fact not in packed.messages


def test_a_budget_the_mandatory_items_exceed_says_by_how_much() -> None:
    doc = Document(
        instructions=(Instruction(role="system", parts=(TextPart(text="Be brief. " * 20),)),),
        messages=(text("user", "old"), text("user", "What now? " * 30)),
    )
    packer = Packer("gpt-4o")
    with pytest.raises(BudgetError) as caught:
        packer.pack(doc, budget=50)
    err = caught.value
    assert err.budget == 50
    assert err.needed == 50 + err.excess
    needed = count_tokens(doc.model_copy(update={"messages": doc.messages[1:]}), model="gpt-4o")
    assert err.needed == needed.total
    assert str(err).startswith(f"the items that must be kept need {needed.total} tokens (")
    assert "current turn" in str(err)
    assert f"over by {needed.total - 50}" in str(err)


def test_system_tools_and_the_current_turn_are_kept_even_when_old_history_is_huge() -> None:
    call = Message(role="assistant", parts=(ToolCallPart(id="c1", name="f", arguments={}),))
    result = Message(
        role="tool", parts=(ToolResultPart(call_id="c1", content=(TextPart(text="ok"),)),)
    )
    doc = Document(messages=(text("user", "x " * 5000), text("user", "run f"), call, result))
    packed, report = Packer("gpt-4o").pack(doc, budget=100)
    assert packed.messages == doc.messages[1:]
    assert [i.constraint for i in report.items] == ["budget", "required", "required", "required"]


def test_repacking_after_an_append_reuses_earlier_work_and_equals_a_cold_pack() -> None:
    base = [
        text("user" if i % 2 else "assistant", " ".join(WORDS[i % 7 : i % 7 + 5]))
        for i in range(40)
    ]
    doc1 = Document(messages=(*base, text("user", "tell me about paris weather")))
    doc2 = doc1.model_copy(update={"messages": (*doc1.messages, text("user", "and the cache?"))})
    warm, counter = fake_packer(STATELESS)
    warm.pack(doc1, budget=150)
    counter.calls = 0
    packed, report = warm.pack(doc2, budget=150)
    assert counter.calls == 1
    assert report.work["measured"] == 1
    assert report.work["reused"] == 0
    cold, _ = fake_packer(STATELESS)
    packed_cold, report_cold = cold.pack(doc2, budget=150)
    assert packed == packed_cold
    assert [i.to_json() | {"change": None} for i in report.items] == [
        i.to_json() | {"change": None} for i in report_cold.items
    ]


def test_an_edit_in_the_middle_remeasures_only_what_changed() -> None:
    msgs = [
        text("user" if i % 2 else "assistant", f"message {i} " + WORDS[i % 9]) for i in range(30)
    ]
    packer, counter = fake_packer(STATELESS)
    packer.pack(Document(messages=tuple(msgs)), budget=120)
    counter.calls = 0
    edited = [*msgs[:10], text("assistant", "an edit"), *msgs[11:]]
    packed, report = packer.pack(Document(messages=tuple(edited)), budget=120)
    assert counter.calls == 1
    assert (report.work["measured"], report.work["reused"]) == (1, 29)
    cold, _ = fake_packer(STATELESS)
    assert cold.pack(Document(messages=tuple(edited)), budget=120).document == packed


def test_a_session_keeps_its_prefix_until_it_must_pack_again() -> None:
    msgs = tuple(text("user" if i % 2 else "assistant", "chatter " * 20) for i in range(20))
    packer, _counter = fake_packer(Policy(relevance="none"))
    first, r1 = packer.pack(Document(messages=msgs), budget=300)
    assert r1.prefix.decision == "first"
    grown = (*msgs, text("assistant", "more"), text("user", "next?"))
    second, r2 = packer.pack(Document(messages=grown), budget=300)
    assert r2.prefix.decision == "kept"
    assert second.messages[: len(first.messages)] == first.messages
    assert r2.prefix.stability == 1.0
    big = (*grown, text("assistant", "chatter " * 60), text("user", "and now?"))
    _third, r3 = packer.pack(Document(messages=big), budget=300)
    assert r3.prefix.decision == "repacked"
    assert "hard limit" in r3.prefix.reason
    assert r3.tokens_after <= round(300 * 0.75)  # packed down to the hysteresis target
    assert r3.prefix.stability < 1
    assert r3.diff()["now_dropped"]


def test_a_dropped_message_the_current_turn_asks_about_is_brought_back() -> None:
    fact = text(
        "user", "The wifi password is zebra-crossing-42. " + "Write it down somewhere. " * 5
    )
    msgs = (fact, *(text("user" if i % 2 else "assistant", "chatter " * 10) for i in range(30)))
    packer, _ = fake_packer()
    packed, _ = packer.pack(Document(messages=(*msgs, text("user", "hello"))), budget=200)
    assert fact not in packed.messages
    asked = (
        *msgs,
        text("user", "hello"),
        text("assistant", "hi"),
        text("user", "the wifi password?"),
    )
    packed, report = packer.pack(Document(messages=asked), budget=200)
    assert fact in packed.messages
    assert report.items[0].constraint == "rescued"
    assert report.prefix.decision == "repacked"
    assert "brought back" in report.prefix.reason


_FILLER = (
    "The river bank was quiet and the morning market opened late near the old bridge.",
    "A long walk along the river bank brought the market crowd to the bridge by noon.",
    "Rain over the old bridge kept the market stalls covered for most of the morning.",
    "By evening the quiet river and the market lights made the bridge look busy again.",
)


def test_filler_that_reuses_words_keeps_the_prefix_yet_a_real_question_rescues() -> None:
    fact = text("user", "For the record, the locker code for Hartwell is 4417.")
    packer, _ = fake_packer()
    messages: tuple[Message, ...] = (fact, text("assistant", "Noted."))
    reports: list[PackReport] = []
    for turn in range(40):  # user filler, assistant filler: the same words, reshuffled
        messages += (text("user", _FILLER[turn % 4]), text("assistant", _FILLER[(turn + 1) % 4]))
        packed, report = packer.pack(Document(messages=messages), budget=600)
        reports.append(report)
        if turn == 20:
            assert fact not in packed.messages  # dropped for the budget by now
    later = [r.prefix for r in reports[10:]]
    assert not [p.reason for p in later if "brought back" in p.reason]
    kept = [p.decision for p in later].count("kept")
    assert kept >= 0.7 * len(later)  # repacks only when the selection no longer fits
    assert all("hard limit" in p.reason for p in later if p.decision == "repacked")
    asked = (*messages, text("user", "What is the locker code for Hartwell?"))
    packed, report = packer.pack(Document(messages=asked), budget=600)
    assert fact in packed.messages
    assert report.items[0].constraint == "rescued"
    assert "no kept item matches" in report.prefix.reason


def test_a_rescue_must_clearly_beat_the_kept_items_and_pay_for_the_cache() -> None:
    fact = text("user", "The wifi password is zebra-crossing-42 for the guest network.")
    chatter = tuple(text("user" if i % 2 else "assistant", "chatter " * 10) for i in range(30))
    hello = (fact, *chatter, text("user", "hello"))
    # A kept message that mentions the wifi too: the fact is not clearly what is asked.
    near = (*hello, text("assistant", "wifi slow"), text("user", "wifi password?"))
    lenient = CacheRule(rescue_margin=1.0, rescue_cooldown=0, write=0.2)  # cheap cache writes
    for rule, rescued in ((CacheRule(), False), (lenient, True)):
        packer, _ = fake_packer(Policy(cache=rule))
        assert fact not in packer.pack(Document(messages=hello), budget=200).document.messages
        packed, report = packer.pack(Document(messages=near), budget=200)
        assert (fact in packed.messages) is rescued, report.prefix.reason
    # Above the margin, but re-writing the cache after it costs more than it is worth.
    pricey = CacheRule(rescue_margin=1.0, rescue_cooldown=0, write=100.0)
    packer, _ = fake_packer(Policy(cache=pricey))
    packer.pack(Document(messages=hello), budget=200)
    packed, report = packer.pack(Document(messages=near), budget=200)
    assert report.prefix.decision == "kept"
    assert fact not in packed.messages
    assert "nothing brought back" in report.prefix.reason
    assert "re-writing" in report.prefix.reason


def test_observed_reply_lengths_set_the_reserve() -> None:
    packer = Packer("gpt-4o")
    doc = Document(messages=(text("user", "What is the capital of France?"),))
    _, report = packer.pack(doc)
    assert report.complexity.kind == "qa"
    assert report.limits.reserve_source.startswith("estimate")
    for n in [100, 120, 90, 3000, 110, 130]:
        packer.observe(n)
    _, report = packer.pack(doc)
    assert report.limits.reserve == 3000
    assert report.limits.reserve_source.startswith("p95 of 6")
    assert report.limits.hard == 128_000 - 3000


def test_hints_pin_and_recategorize_messages() -> None:
    msgs = tuple(text("user" if i % 2 else "assistant", "chatter " * 10) for i in range(20))
    doc = Document(messages=(*msgs, text("user", "go")))
    packer, _ = fake_packer()
    packed, report = packer.pack(doc, budget=60, pinned=[0], categories={1: "documents"})
    assert msgs[0] in packed.messages
    assert report.items[0].category == "pinned"
    assert report.items[0].constraint == "required"
    assert report.items[1].category == "documents"
    with pytest.raises(UsageError, match="out of range"):
        packer.pack(doc, budget=60, pinned=[99])
    with pytest.raises(UsageError, match="unknown category"):
        packer.pack(doc, budget=60, categories={1: "nope"})  # type: ignore[dict-item]


def test_priorities_multiply_scores() -> None:
    msgs = tuple(text("user" if i % 2 else "assistant", "chatter " * 10) for i in range(20))
    doc = Document(messages=(*msgs, text("user", "go")))
    packer, _ = fake_packer(Policy(relevance="none"))
    packed, report = packer.pack(doc, budget=40, priorities={2: 100.0})
    assert msgs[2] in packed.messages
    assert report.items[2].priority == 100.0


def test_everything_fits_under_the_trigger_so_nothing_is_dropped() -> None:
    doc = Document(messages=(text("user", "hi"), text("assistant", "hello"), text("user", "bye")))
    packed, report = fake_packer()[0].pack(doc, budget=1000)
    assert packed is doc
    assert [i.constraint for i in report.items] == ["fits", "fits", "required"]


def test_a_packer_needs_a_model_or_a_counter_and_window() -> None:
    with pytest.raises(UsageError):
        Packer()
    with pytest.raises(UsageError, match="window"):
        Packer(counter=WordCounter())


@given(st.integers(1, 5))
def test_empty_conversations_pack_to_themselves(budget: int) -> None:
    assume(budget >= 3)
    packed, report = fake_packer()[0].pack(Document(), budget=budget)
    assert packed.messages == ()
    assert report.tokens_after == 3


@pytest.mark.parametrize(
    "kwargs",
    [
        {"budget": 0},
        {"budget": -1},
        {"budget": 2.5},
        {"budget": 10, "reserve": -3},
        {"pinned": [5]},
        {"pinned": ["0"]},
        {"categories": {0: "nope"}},
        {"priorities": {-9: 2.0}},
    ],
)
def test_bad_arguments_are_refused_before_any_message_is_measured(kwargs: dict[str, Any]) -> None:
    packer, counter = fake_packer()
    doc = Document(messages=(Message(role="user", parts=(TextPart(text="hi " * 1000),)),))
    with pytest.raises(UsageError):
        packer.pack(doc, **kwargs)
    assert counter.calls == 0


def test_forget_reads_a_body_edited_in_place_whole() -> None:
    # Earlier messages are compared by identity first: an in-place edit is not seen
    # until the packer is told to forget what it read.
    packer = Packer("gpt-4o")
    body = {"model": "gpt-4o", "messages": [
        {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}  # fmt: skip
    packer.read(body, format="openai-chat")
    body["messages"][0]["content"] = "CHANGED"
    body["messages"].append({"role": "user", "content": "And now?"})
    packer.forget()
    document = packer.read(body, format="openai-chat")
    assert [m.parts[0].text for m in document.messages] == ["CHANGED", "Hello", "And now?"]  # pyright: ignore[reportAttributeAccessIssue]


@settings(max_examples=30, deadline=None)
@given(conversations())
def test_the_measured_texts_are_counted_as_the_tokenizer_counts_them(doc: Document) -> None:
    from aifkit.tokens import get_tokenizer

    packer = Packer("gpt-4o")
    packer.count(doc)
    known = packer.measured_texts()
    tok = get_tokenizer("o200k_base")
    assert all(tok.count(text) == n for text, n in known.items())
    single = {
        m.parts[0].text
        for m in doc.messages
        if len(m.parts) == 1 and isinstance(m.parts[0], TextPart)
    }
    assert single <= set(known)
    assert fake_packer()[0].measured_texts() == {}  # another counter's ids are not tokens
