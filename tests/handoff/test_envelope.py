"""Hand-off envelopes: the hash chain names every tampering, signatures bind the envelope,
the planner reports before sending, unpack writes the receiver's request."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.errors import InvalidInputError, UsageError, VerificationError
from aifkit.handoff import (
    Envelope,
    Party,
    Task,
    generate_key,
    load_envelope,
    load_key,
    pack_handoff,
    plan_handoff,
    unpack_handoff,
    verify_handoff,
)
from aifkit.handoff._envelope import chain

SECRET = load_key(b"a shared secret that is long enough", "hmac-sha256")


def text(role: str, value: str) -> dict[str, Any]:
    return {"role": role, "parts": [{"type": "text", "text": value}]}


DOC: dict[str, Any] = {
    "instructions": [{"role": "system", "parts": [{"type": "text", "text": "Be brief."}]}],
    "messages": [
        text("user", "Book me a table for two in Paris."),
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": "c1", "name": "search", "arguments": {"city": "Paris"}}
            ],
        },
        {
            "role": "tool",
            "parts": [
                {
                    "type": "tool_result",
                    "call_id": "c1",
                    "content": [{"type": "text", "text": "Chez Ada"}],
                }
            ],
        },
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "id": "c2",
                    "name": "book",
                    "arguments": {"place": "Chez Ada"},
                }
            ],
        },
    ],
    "settings": {"model": "gpt-4o"},
}


def packed(**kwargs: Any) -> dict[str, Any]:
    return pack_handoff(DOC, **kwargs).to_json()


def test_envelope_carries_parties_open_calls_tasks_state_and_survives_json() -> None:
    env = pack_handoff(
        DOC,
        sender=Party(agent="concierge", model="gpt-4o", provider="openai", format="openai-chat"),
        receiver=Party(agent="booker", model="claude-sonnet-4-5", provider="anthropic"),
        tasks=[Task(id="t1", description="confirm the booking")],
        state={"party_size": 2, "prefs": None},
        now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    assert [(c.id, c.name, c.message) for c in env.open_calls] == [("c2", "book", 3)]
    assert env.integrity.messages == 4
    assert len(env.integrity.digests) == 4
    again = load_envelope(json.dumps(env.to_json()))
    assert again == env
    assert again.to_json() == env.to_json()
    assert verify_handoff(again).ok


def test_chain_head_follows_the_documented_recurrence() -> None:
    import hashlib

    msgs = [b'{"a":1}', b'{"b":2}']
    _, heads = chain(msgs)
    h = hashlib.sha256(b"aifkit/handoff/v1").digest()
    for m in msgs:
        h = hashlib.sha256(h + m).digest()
    assert heads[-1] == h.hex()


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda m: m[2]["parts"][0]["content"][0].update(text="Chez Bob"),
            ["/conversation/messages/2: altered"],
        ),
        (lambda m: m.insert(0, m.pop(1)), ["/conversation/messages: reordered: messages 0, 1"]),
        (lambda m: m.pop(1), ["/conversation/messages/1: dropped"]),
        (lambda m: m.append(text("user", "and wine")), ["/conversation/messages/4: appended"]),
        (lambda m: m.insert(1, text("user", "psst")), ["/conversation/messages/1: inserted"]),
    ],
)
def test_each_kind_of_tampering_is_named(mutate: Any, expected: list[str]) -> None:
    data = packed()
    mutate(data["conversation"]["messages"])
    report = verify_handoff(data)
    assert not report.ok
    for want in expected:
        assert any(f.startswith(want) for f in report.failures), report.failures
    with pytest.raises(VerificationError) as info:
        report.raise_for_failures()
    assert info.value.exit_code == 4
    assert info.value.failures == list(report.failures)


def test_changes_outside_messages_are_caught() -> None:
    data = packed()
    data["conversation"]["instructions"][0]["parts"][0]["text"] = "Be verbose."
    assert verify_handoff(data).failures == (
        "/conversation: altered: its instructions, tools or settings do not match the context hash",
    )
    data = packed()
    data["integrity"]["head"] = "0" * 64
    assert verify_handoff(data).failures[0].startswith("/integrity/head")
    data = packed()
    data["open_calls"] = []
    assert verify_handoff(data).failures[0].startswith("/open_calls")


def test_malformed_envelope_is_a_failure_with_a_pointer() -> None:
    data = packed()
    data["conversation"]["messages"][0]["role"] = "hacker"
    (failure,) = verify_handoff(data).failures
    assert failure.startswith("/conversation/messages/0/role: malformed")
    with pytest.raises(InvalidInputError):
        load_envelope({"id": 3})


def test_hmac_signature_binds_the_whole_envelope() -> None:
    data = packed(key=SECRET)
    assert verify_handoff(data, SECRET).ok
    changed = copy.deepcopy(data)
    changed["state"] = {"admin": True}
    assert verify_handoff(changed, SECRET).failures == (
        f"/signature: bad signature: the envelope was changed after key "
        f"{data['signature']['key_id']} signed it",
    )
    # Tamper and recompute the chain: only the signature catches it.
    forged = copy.deepcopy(data)
    forged["conversation"]["messages"][0]["parts"][0]["text"] = "Book three."
    doc = {k: v for k, v in forged["conversation"].items()}
    forged["integrity"] = pack_handoff(doc).to_json()["integrity"]
    (failure,) = verify_handoff(forged, SECRET).failures
    assert "bad signature" in failure


def test_missing_wrong_and_stripped_keys_are_named() -> None:
    data = packed(key=SECRET)
    assert verify_handoff(data).failures[0].startswith("/signature: missing key")
    other = load_key(b"another secret that is long enough", "hmac-sha256")
    assert verify_handoff(data, other).failures[0].startswith("/signature: wrong key")
    del data["signature"]
    assert verify_handoff(data, SECRET).failures[0].startswith("/signature: missing:")


def test_ed25519_signs_with_private_and_verifies_with_public() -> None:
    private, public = generate_key()
    data = packed(key=private)
    assert data["signature"]["algorithm"] == "ed25519"
    assert verify_handoff(data, public).ok
    assert verify_handoff(data, private).ok
    data["summary"] = "forged"
    assert "bad signature" in verify_handoff(data, public).failures[0]
    with pytest.raises(UsageError, match="cannot sign"):
        pack_handoff(DOC, key=public)


def test_short_hmac_secret_is_refused() -> None:
    with pytest.raises(UsageError, match="at least 16 bytes"):
        load_key(b"short", "hmac-sha256")


def test_provenance_chains_earlier_handoffs() -> None:
    first = pack_handoff(DOC, sender=Party(agent="a"), receiver=Party(agent="b"), key=SECRET)
    longer = {**DOC, "messages": [*DOC["messages"], text("user", "thanks")]}
    second = pack_handoff(
        longer, sender=Party(agent="b"), receiver=Party(agent="c"), previous=first
    )
    third = pack_handoff(
        longer, sender=Party(agent="c"), receiver=Party(agent="d"), previous=second
    )
    hops = third.provenance
    assert [(h.sender.agent, h.receiver.agent) for h in hops] == [("a", "b"), ("b", "c")]
    assert first.signature is not None
    assert hops[0].key_id == first.signature.key_id
    assert hops[0].head == first.integrity.head
    assert hops[0].messages == 4
    assert verify_handoff(third).warnings == ()
    rewritten = {**DOC, "messages": [text("user", "something else")]}
    odd = pack_handoff(rewritten, previous=first)
    assert verify_handoff(odd).warnings[0].startswith("/provenance/0")


def test_plan_reports_losses_before_sending_and_unpack_follows_it() -> None:
    doc = {**DOC, "messages": [{**DOC["messages"][0], "name": "ada"}, *DOC["messages"][1:]]}
    plan = plan_handoff(doc, "anthropic")
    assert plan.moved == (0, 1, 2, 3)
    assert plan.summarized == ()
    assert ("/messages/0/name", "dropped") in [(e.pointer, e.action) for e in plan.report]
    env = pack_handoff(doc, target="anthropic")
    assert env.plan is not None
    assert env.receiver.format == "anthropic"
    body, report = unpack_handoff(env.to_json(), "anthropic")
    assert body["system"] == "Be brief."
    assert [e.pointer for e in report.dropped] == [e.pointer for e in plan.dropped]


def test_plan_within_a_budget_summarizes_what_it_leaves_out() -> None:
    chatter = [
        text("user" if i % 2 == 0 else "assistant", f"Chatter number {i} about the weather today.")
        for i in range(30)
    ]
    doc = {"messages": [text("user", "My locker code is 4417."), text("assistant", "Noted."),
                        *chatter, text("user", "What now?")]}  # fmt: skip
    plan = plan_handoff(doc, "openai-chat", model="gpt-4o", budget=120)
    assert plan.summarized
    assert plan.moved[-1] == 32
    assert set(plan.moved) | set(plan.summarized) == set(range(33))
    assert plan.summary is not None
    assert plan.summary.count("\n") == len(plan.summarized) - 1
    assert plan.pack is not None
    assert plan.pack.tokens_after <= 120
    env = pack_handoff(
        doc, target="openai-chat", model="gpt-4o", budget=120, sender=Party(agent="a")
    )
    assert env.summary == plan.summary
    body, _ = unpack_handoff(env, "openai-chat")
    assert body["messages"][0]["role"] == "system"
    assert body["messages"][0]["content"].startswith(
        "Summary of the earlier conversation, handed off from a:"
    )
    assert len(body["messages"]) == len(plan.moved) + 1
    whole, _ = unpack_handoff(env, "openai-chat", whole=True)
    assert len(whole["messages"]) == 33
    with pytest.raises(UsageError, match="model"):
        plan_handoff(doc, "openai-chat", budget=100)


def test_unpack_refuses_a_tampered_envelope() -> None:
    data = packed()
    data["conversation"]["messages"].pop()
    with pytest.raises(VerificationError) as info:
        unpack_handoff(data, "openai-chat")
    assert "dropped" in info.value.failures[0]


def test_unpack_of_a_malformed_envelope_fails_verification_or_says_where() -> None:
    data = packed()
    data["conversation"]["messages"][0]["role"] = "hacker"
    with pytest.raises(VerificationError) as failed:
        unpack_handoff(data, "openai-chat")
    assert failed.value.failures[0].startswith("/conversation/messages/0/role: malformed")
    with pytest.raises(InvalidInputError) as invalid:
        unpack_handoff(data, "openai-chat", verify=False)
    assert invalid.value.pointer == "/conversation/messages/0/role"


# Any single alteration, reorder, drop or append is detected and named.

_TEXTS = st.lists(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
    min_size=2,
    max_size=8,
    unique=True,
)


def _envelope(texts: list[str]) -> dict[str, Any]:
    roles = ("user", "assistant")
    doc = {"messages": [text(roles[i % 2], t) for i, t in enumerate(texts)]}
    return pack_handoff(doc).to_json()


@settings(max_examples=60, deadline=None)
@given(_TEXTS, st.data())
def test_any_single_change_is_detected_and_named(texts: list[str], data: st.DataObject) -> None:
    env = _envelope(texts)
    msgs: list[dict[str, Any]] = env["conversation"]["messages"]
    n = len(msgs)
    op = data.draw(st.sampled_from(["alter", "reorder", "drop", "append"]))
    if op == "alter":
        i = data.draw(st.integers(0, n - 1))
        msgs[i]["parts"][0]["text"] += data.draw(st.text(min_size=1, max_size=3))
        want = f"/conversation/messages/{i}: altered"
    elif op == "reorder":
        i = data.draw(st.integers(0, n - 1))
        j = data.draw(st.integers(0, n - 1).filter(lambda j: j != i))
        msgs.insert(j, msgs.pop(i))
        want = "/conversation/messages: reordered"
    elif op == "drop":
        i = data.draw(st.integers(0, n - 1))
        msgs.pop(i)
        want = f"/conversation/messages/{i}: dropped"
    else:
        msgs.append(text("user", data.draw(st.text(max_size=5))))
        want = f"/conversation/messages/{n}: appended"
    report = verify_handoff(env)
    assert not report.ok
    assert report.failures[0].startswith(want), (op, report.failures)


@settings(max_examples=25, deadline=None)
@given(_TEXTS)
def test_untouched_envelopes_verify(texts: list[str]) -> None:
    env = _envelope(texts)
    assert verify_handoff(json.dumps(env, ensure_ascii=False)).ok
    assert isinstance(load_envelope(env), Envelope)


def test_a_plan_that_does_not_cover_the_conversation_fails() -> None:
    data = pack_handoff(DOC, target="openai-chat").to_json()
    data["plan"]["moved"] = [0, 1, 2, 9]
    (failure,) = verify_handoff(data).failures
    assert failure.startswith("/plan:")
    with pytest.raises(VerificationError):
        unpack_handoff(data, "openai-chat")
