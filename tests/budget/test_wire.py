"""`WireReader` and `Packer.pack_body`: a session's bodies, decoding only the new messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifkit.aif import Document, convert, decode, encode
from aifkit.budget import Packer, pack
from aifkit.budget._wire import WireReader
from aifkit.errors import InvalidInputError, UsageError
from tests.budget.strategies import conversations

RESPONSES = Path(__file__).parents[1] / "fixtures" / "responses"
INCREMENTAL = ["openai-chat", "anthropic", "mistral"]
HISTORY: dict[str, str] = {}


def _same(a: Document, b: Document) -> bool:
    return (a.messages, a.instructions, a.tools, a.settings) == (
        b.messages,
        b.instructions,
        b.tools,
        b.settings,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(), st.sampled_from(INCREMENTAL), st.data())
def test_reading_appended_items_equals_reading_the_whole_body(
    doc: Document, fmt: str, data: st.DataObject
) -> None:
    body, _ = encode(doc, fmt)
    key = HISTORY.get(fmt, "messages")
    if not isinstance(body.get(key), list) or not body[key]:
        return
    items = body[key]
    cut = data.draw(st.integers(0, len(items)), label="cut")
    reader = WireReader()
    try:
        reader.read({**body, key: items[:cut]}, fmt)
    except InvalidInputError:  # a prefix a provider would refuse (e.g. a dangling result)
        return
    got = reader.read(body, fmt)
    assert _same(got, decode(body, fmt)[0])
    assert reader.decoded <= len(items)


def test_only_the_new_messages_are_decoded_and_old_ones_keep_their_objects() -> None:
    body: dict[str, Any] = {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello."},
        ],
    }
    reader = WireReader()
    first = reader.read(body, "openai-chat")
    assert reader.decoded == 3
    assert reader.read(body, "openai-chat") is first
    assert reader.decoded == 0
    body["messages"] = [*body["messages"], {"role": "user", "content": "Bye"}]  # a new list
    second = reader.read(body, "openai-chat")
    assert reader.decoded == 1
    assert second.messages[:2] == first.messages
    assert second.messages[0] is first.messages[0]
    assert _same(second, decode(body, "openai-chat")[0])


@pytest.mark.parametrize(
    "change",
    [
        lambda b: {**b, "temperature": 0.5},  # a setting changed
        lambda b: {**b, "messages": [{"role": "user", "content": "Other"}, *b["messages"][1:]]},
        lambda b: {**b, "messages": [*b["messages"], {"role": "system", "content": "Now terse."}]},
        lambda b: {**b, "messages": b["messages"][:1]},  # the history got shorter
    ],
)
def test_anything_but_appended_messages_is_decoded_whole(change: Any) -> None:
    body = {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}],
    }
    reader = WireReader()
    reader.read(body, "openai-chat")
    changed = change(body)
    got = reader.read(changed, "openai-chat")
    assert reader.decoded == len(changed["messages"])
    assert _same(got, decode(changed, "openai-chat")[0])


def _turns(n: int) -> list[dict[str, Any]]:
    turns: list[dict[str, Any]] = []
    for i in range(n):
        turns.append({"role": "user", "content": f"Question {i} about the harbour, berth {i}?"})
        turns.append({"role": "assistant", "content": f"Berth {i} is free until noon. " * 8})
    return turns


@pytest.mark.parametrize("fmt", ["openai-chat", "anthropic"])
def test_a_session_of_bodies_packs_as_the_same_session_of_documents(fmt: str) -> None:
    # pack_body = read + the packer's pack + encode: turn after turn, the same
    # selection and work as packing the decoded documents, with one decode per turn.
    model = "gpt-4o" if fmt == "openai-chat" else "claude-sonnet-4-5"
    wire, aif = Packer(model), Packer(model)
    measured: list[int] = []
    chat: dict[str, Any] = {"model": model, "messages": [{"role": "system", "content": "Be brief."}]}  # fmt: skip
    for turn in _turns(30):
        chat["messages"].append(turn)
        if turn["role"] != "user":
            continue
        body = (
            chat if fmt == "openai-chat" else convert(chat, source="openai-chat", target=fmt).body
        )
        out, report = wire.pack_body(body, format=fmt, budget=400)
        assert wire._reader.decoded == (len(body["messages"]) if len(chat["messages"]) == 2 else 2)  # pyright: ignore[reportPrivateUsage]
        doc, _ = decode(body, fmt)
        packed, expected = aif.pack(doc, budget=400)
        assert out == encode(packed, fmt)[0]
        assert report.work == expected.work
        assert report.prefix == expected.prefix
        assert report.tokens_after == expected.tokens_after <= 400
        measured.append(report.work["measured"])
    assert measured[1:] == [2] * 29  # each turn: the reply and the new question


def test_pack_body_compresses_like_pack_when_asked() -> None:
    body = {"model": "gpt-4o", "messages": [*_turns(12), {"role": "user", "content": "Berth 3?"}]}
    out, report = Packer("gpt-4o").pack_body(
        body, format="openai-chat", budget=300, compress="auto"
    )
    assert (out, report.tokens_after) == (
        (expected := pack(body, format="openai-chat", model="gpt-4o", budget=300)).body,
        expected.report.tokens_after,
    )


def _response(fmt: str, name: str) -> Any:
    return json.loads((RESPONSES / fmt / name).read_text())["body"]


def test_a_response_joins_the_session_and_its_output_tokens_are_observed() -> None:
    packer = Packer("gpt-4o")
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "How do I cross a river safely?"}]}  # fmt: skip
    _, first = packer.pack_body(body, format="openai-chat", budget=2000)
    recorded = _response("openai-chat", "reasoning-tokens.json")
    reply = packer.add_response(recorded, format="openai-chat")
    session = packer.session
    assert session is not None
    assert session.messages[-1] == reply.message
    assert packer.tracker.samples(first.complexity.kind) == 1  # its completion tokens
    out, report = packer.pack_body(format="openai-chat", budget=2000)  # the session itself
    assert out["messages"][-1]["content"] == recorded["choices"][0]["message"]["content"]
    assert report.work["measured"] == 1


def test_a_tool_call_response_then_the_clients_next_body() -> None:
    # The client appends the reply (as it sends it back) and the tool's result: the
    # packer decodes those two and measures what it has not seen.
    packer = Packer("gpt-4o")
    body: dict[str, Any] = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Read the PDF."}]}  # fmt: skip
    packer.pack_body(body, format="openai-chat", budget=2000)
    recorded = _response("openai-chat", "tool-calls.json")  # gpt-4o, recorded by pydantic-ai
    reply = packer.add_response(recorded, format="openai-chat")
    call = recorded["choices"][0]["message"]["tool_calls"][0]
    body["messages"] += [
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "The PDF says: hello."},
    ]
    out, report = packer.pack_body(body, format="openai-chat", budget=2000)
    assert out == pack(body, format="openai-chat", model="gpt-4o", budget=2000).body
    assert packer._reader.decoded == 2  # pyright: ignore[reportPrivateUsage]
    assert report.work["measured"] + report.work["reused"] <= 3
    assert reply.message.parts[0].type == "tool_call"


def test_a_response_in_another_format_joins_the_session_too() -> None:
    packer = Packer("claude-sonnet-4-5")
    body = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": "Who is the youngest?"}],
    }
    packer.read(body, format="anthropic")
    reply = packer.add_response(_response("anthropic", "parallel-tool-use.json"), format="anthropic")  # fmt: skip
    out, _ = packer.pack_body(format="anthropic", budget=4000)
    calls = [b for b in out["messages"][1]["content"] if b["type"] == "tool_use"]
    assert len(calls) == sum(1 for p in reply.message.parts if p.type == "tool_call") == 4


def test_pack_body_without_a_body_or_a_model_says_what_to_pass() -> None:
    with pytest.raises(UsageError, match="nothing to pack"):
        Packer("gpt-4o").pack_body(format="openai-chat", budget=100)
    with pytest.raises(UsageError, match="nothing to pack"):
        Packer("gpt-4o").pack(budget=100)
    counter = Packer("gpt-4o").counter
    with pytest.raises(UsageError, match="needs the packer's model"):
        Packer(counter=counter, window=1000).pack_body({"messages": []}, format="openai-chat")


class _Undercounting:
    """A custom counter that calls itself exact but counts a token fewer a message."""

    def __init__(self) -> None:
        from aifkit.budget import TokensCounter

        self._real = TokensCounter("gpt-4o")
        self.name, self.exact = "undercounting", True
        self.measure_many = None  # every message through `measure`

    def measure(self, message: Any) -> Any:
        from aifkit.budget import Measure

        tokens, terms = self._real.measure(message)
        return Measure(tokens - 1, terms)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def test_a_custom_counter_is_verified_on_the_packed_body() -> None:
    # Only aifkit's own TokensCounter counts as count_tokens does: the packed body of
    # a packer with another counter is counted, and repacked when over.
    from aifkit.tokens import count_tokens

    packer = Packer("gpt-4o", counter=_Undercounting(), window=128_000)  # pyright: ignore[reportArgumentType]
    body = {"model": "gpt-4o", "messages": [*_turns(12), {"role": "user", "content": "Berth 3?"}]}
    out, _ = packer.pack_body(body, format="openai-chat", budget=300)
    assert count_tokens(out, format="openai-chat", model="gpt-4o").total <= 300
