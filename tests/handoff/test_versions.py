"""Envelopes recorded before a schema bump verify forever: a signature covers the bytes as signed.

The recorded envelopes carry conversations at AIF 1.0.0, signed by earlier aifkits
(`tests/fixtures/handoff/SOURCES.md`). Reading one upgrades its conversation to
the current version; verifying it checks the JSON as read, never this aifkit's
re-serialization of it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aifkit.aif import AIF_VERSION
from aifkit.handoff import (
    HandoffKey,
    Party,
    load_envelope,
    load_key,
    pack_handoff,
    unpack_handoff,
    verify_handoff,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "handoff"


def _key(name: str) -> HandoffKey:
    if name == "legacy-hmac":
        return load_key((FIXTURES / "legacy-hmac.secret").read_bytes(), "hmac-sha256")
    return load_key((FIXTURES / f"{name}.public.pem").read_bytes())


RECORDED = ["legacy-hmac", "ed25519-aif-1.0"]


def _text(name: str) -> str:
    return (FIXTURES / f"{name}.envelope.json").read_text("utf-8")


@pytest.mark.parametrize("name", RECORDED)
def test_a_recorded_envelope_verifies_as_text_json_and_loaded_object(name: str) -> None:
    text, key = _text(name), _key(name)
    assert json.loads(text)["conversation"]["aif_version"] == "1.0.0"  # an old document
    assert verify_handoff(text, key).failures == ()
    assert verify_handoff(json.loads(text), key).failures == ()
    env = load_envelope(text)
    assert env.conversation.aif_version == AIF_VERSION  # upgraded as read
    assert verify_handoff(env, key).failures == ()


@pytest.mark.parametrize("name", RECORDED)
def test_a_recorded_envelope_unpacks_into_a_request(name: str) -> None:
    env = json.loads(_text(name))
    body, _ = unpack_handoff(_text(name), "openai-chat", key=_key(name), whole=True)
    assert len(body["messages"]) == len(env["conversation"]["messages"])


@pytest.mark.parametrize("name", RECORDED)
def test_the_recorded_bytes_are_what_verifies(name: str) -> None:
    key = _key(name)
    data = json.loads(_text(name))
    # Even relabelling the conversation as the version it is read as breaks the signature.
    data["conversation"]["aif_version"] = AIF_VERSION
    failures = verify_handoff(data, key).failures
    assert any(f.startswith("/conversation: altered") for f in failures)
    assert any(f.startswith("/signature: bad signature") for f in failures)
    data = json.loads(_text(name))
    data["conversation"]["messages"][0]["parts"][0]["text"] += "!"
    assert verify_handoff(data, key).failures[0].startswith("/conversation/messages/0: altered")


def test_a_changed_copy_of_a_loaded_envelope_is_checked_as_it_now_is() -> None:
    key = _key("ed25519-aif-1.0")
    env = load_envelope(_text("ed25519-aif-1.0"))
    forged = env.model_copy(update={"receiver": Party(agent="mallory")})
    assert any("bad signature" in f for f in verify_handoff(forged, key).failures)
    assert verify_handoff(env.model_copy(), key).ok  # an unchanged copy is the same envelope


def test_a_loaded_envelope_written_back_is_a_new_envelope() -> None:
    # to_json writes the conversation at the current version: forward the JSON you
    # received, or pack a new envelope with previous= (below).
    key = _key("ed25519-aif-1.0")
    rewritten = load_envelope(_text("ed25519-aif-1.0")).to_json()
    assert rewritten["conversation"]["aif_version"] == AIF_VERSION
    assert not verify_handoff(rewritten, key).ok


def test_new_envelopes_carry_the_current_version_and_chain_from_recorded_ones() -> None:
    previous = load_envelope(_text("ed25519-aif-1.0"))
    old_conversation = json.loads(_text("ed25519-aif-1.0"))["conversation"]
    secret = load_key(b"a shared secret of enough length", "hmac-sha256")
    env = pack_handoff(
        old_conversation,
        previous=previous,
        key=secret,
        now=datetime(2026, 12, 9, tzinfo=UTC),
    )
    data = env.to_json()
    assert data["conversation"]["aif_version"] == AIF_VERSION
    assert [h["envelope_id"] for h in data["provenance"]][-1] == previous.id
    assert data["provenance"][-1]["head"] == previous.integrity.head
    report = verify_handoff(json.dumps(data), secret)
    assert (report.failures, report.warnings) == ((), ())


def test_nulls_in_a_newer_minor_conversation_are_written_as_hashed() -> None:
    # Unknown fields of a newer minor version may be null; to_json once left them out,
    # so the envelope it wrote did not match its own hash chain.
    doc: dict[str, Any] = {
        "aif_version": "1.4.0",
        "routing": None,
        "messages": [{"role": "user", "hint": None, "parts": [{"type": "text", "text": "x"}]}],
    }
    data = pack_handoff(doc).to_json()
    assert data["conversation"] == doc
    assert verify_handoff(json.dumps(data)).ok
