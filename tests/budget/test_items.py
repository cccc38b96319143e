"""Items and atomic groups, kept in step with a growing conversation."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifkit.aif import (
    AudioPart,
    Document,
    DocumentPart,
    ImagePart,
    Message,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    UrlSource,
)
from aifkit.budget._items import CATEGORIES, CODES, Conversation, Shape, shape
from tests.aif.strategies import documents
from tests.budget import oracle
from tests.budget.fakes import WordCounter
from tests.budget.strategies import conversations


def _same_partition(a: list[int], b: list[int]) -> bool:
    return all((a[i] == a[j]) == (b[i] == b[j]) for i in range(len(a)) for j in range(len(a)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(), st.data())
def test_groups_match_the_oracle_whatever_order_messages_arrive_in(
    doc: Document, data: st.DataObject
) -> None:
    conv = Conversation(WordCounter())
    cut = data.draw(st.integers(0, len(doc.messages)))
    conv.sync(doc.messages[:cut])
    conv.sync(doc.messages)  # appended
    assert _same_partition(conv.group.view.tolist(), oracle.groups(doc))
    assert all(g <= i for i, g in enumerate(conv.group.view.tolist()))  # named by first message
    fresh = Conversation(WordCounter())
    fresh.sync(doc.messages)
    assert conv.tokens.view.tolist() == fresh.tokens.view.tolist()
    assert conv.terms.view.tolist() == fresh.terms.view.tolist()
    assert conv.term_starts.view.tolist() == fresh.term_starts.view.tolist()
    assert conv.turns == fresh.turns


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(), st.data())
def test_a_rebuild_after_an_edit_equals_a_fresh_sync(doc: Document, data: st.DataObject) -> None:
    conv = Conversation(WordCounter())
    conv.sync(doc.messages)
    k = data.draw(st.integers(0, len(doc.messages) - 1))
    edited = (*doc.messages[:k], *doc.messages[k + 1 :])  # drop one message
    conv.sync(edited)
    fresh = Conversation(conv.counter)  # the same word ids
    fresh.sync(edited)
    assert conv.stable >= k
    assert conv.group.view.tolist() == fresh.group.view.tolist()
    assert conv.tokens.view.tolist() == fresh.tokens.view.tolist()
    assert conv.terms.view.tolist() == fresh.terms.view.tolist()
    assert conv.measured == len(doc.messages)
    assert conv.reused == len(edited)


def test_shapes() -> None:
    image = ImagePart(source=UrlSource(url="https://example.com/a.png"))
    call = ToolCallPart(id="c", name="f", arguments={})
    result = ToolResultPart(call_id="c", content=(TextPart(text="ok"),))
    assert shape(Message(role="user", parts=(image,))).attachments
    assert shape(Message(role="assistant", parts=(TextPart(text="x"), call))).calls == ("c",)
    mixed = shape(Message(role="user", parts=(result, TextPart(text="and then?"))))
    assert (mixed.category, mixed.turn, mixed.results) == ("tool_results", True, ("c",))
    assert not shape(Message(role="tool", parts=(result,))).turn
    assert [CODES[c] for c in CATEGORIES] == list(range(len(CATEGORIES)))


def _shape_of(message: Message) -> Shape:
    # The rule in full, without the fast paths `shape` takes for one-part messages;
    # a system or developer message is category system wherever it is, except a
    # summary note (`summary_message`), which stands for history whatever its role.
    parts = message.parts
    results = tuple(p.call_id for p in parts if isinstance(p, ToolResultPart))
    calls = tuple(p.id for p in parts if isinstance(p, ToolCallPart))
    documents = sum(isinstance(p, DocumentPart) for p in parts)
    attachments = sum(isinstance(p, ImagePart | AudioPart | DocumentPart) for p in parts)
    category = "tool_results" if results else "documents" if documents else "history"
    note = "summary" in message.extensions.get("aifkit", {})
    if message.role in ("system", "developer") and not note:
        category = "system"
    turn = message.role == "user" and len(results) < len(parts)
    only = bool(attachments) and attachments == len(parts)
    return Shape(message.role, category, turn, only, calls, results)


_ROLES = st.sampled_from(["system", "developer", "user", "assistant", "tool"])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(documents(), conversations()), st.lists(_ROLES, max_size=40))
def test_shape_equals_the_rule_in_full(doc: Document, roles: list[str]) -> None:
    messages = [*doc.messages]
    messages += [
        m.model_copy(update={"role": r}) for m, r in zip(doc.messages, roles, strict=False)
    ]
    for message in messages:
        assert shape(message) == _shape_of(message)


def test_a_result_answers_the_latest_call_with_its_id() -> None:
    def call(i: str) -> Message:
        return Message(role="assistant", parts=(ToolCallPart(id=i, name="f", arguments={}),))

    def result(i: str) -> Message:
        return Message(role="tool", parts=(ToolResultPart(call_id=i),))

    user = Message(role="user", parts=(TextPart(text="go"),))
    conv = Conversation(WordCounter())
    conv.sync((user, call("c0"), result("c0"), user, call("c0"), result("c0"), result("zz")))
    assert conv.group.view.tolist() == [0, 1, 1, 3, 4, 4, 6]


def test_a_system_message_mid_conversation_is_never_dropped() -> None:
    from aifkit.budget import pack

    body = {
        "model": "gpt-4o",
        "messages": [
            {"role": "user", "content": "hello " * 30},
            {"role": "system", "content": "From now on answer in French."},
            {"role": "assistant", "content": "ok " * 30},
            {"role": "user", "content": "Bonjour?"},
        ],
    }
    out, report = pack(body, format="openai-chat", model="gpt-4o", budget=40)
    assert {"role": "system", "content": "From now on answer in French."} in out["messages"]
    assert report.tokens_after <= 40


def test_a_system_note_standing_for_history_is_weighed_as_history() -> None:
    from aifkit.budget.memory import summary_message

    note = summary_message("Dana owes 40 EUR.", [], role="system", keep_originals=False)
    plain = Message(role="system", parts=(TextPart(text="Answer in French."),))
    assert shape(note).category == "history"
    assert shape(plain).category == "system"
    assert shape(plain.model_copy(update={"role": "developer"})).category == "system"
