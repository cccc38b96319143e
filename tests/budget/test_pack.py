"""`pack` on wire bodies: same format out, kept messages unchanged, within the budget."""

from __future__ import annotations

import copy
import json
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifkit.aif import Document, convert, encode
from aifkit.budget import Packer, pack
from aifkit.errors import AifkitError, BudgetError, UnknownNameError, UsageError
from aifkit.tokens import count_tokens
from tests.aif.strategies import documents
from tests.budget.strategies import conversations


def _chat(n: int) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": "You are terse."}]
    for i in range(n):
        messages.append({"role": "user", "content": f"Question {i} about the weather in town {i}?"})
        messages.append({"role": "assistant", "content": None, "tool_calls": [
            {"id": f"call_{i}", "type": "function",
             "function": {"name": "weather", "arguments": f'{{"town": {i}}}'}}]})  # fmt: skip
        messages.append(
            {"role": "tool", "tool_call_id": f"call_{i}", "content": f"Sunny, {i} degrees."}
        )
        messages.append({"role": "assistant", "content": f"It is sunny and {i} degrees."})
    messages.append({"role": "user", "content": "What about town 3 again?"})
    return {"model": "gpt-4o", "messages": messages}


def _subsequence(small: list[Any], big: list[Any]) -> bool:
    """Whether ``small`` is ``big`` with some items left out."""
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


@pytest.mark.parametrize("budget", [60, 150, 400, 10_000])
def test_openai_chat_in_openai_chat_out(budget: int) -> None:
    body = _chat(12)
    before = copy.deepcopy(body)
    out, report = pack(body, format="openai-chat", model="gpt-4o", budget=budget)
    assert body == before  # the input is not touched
    assert (
        count_tokens(out, format="openai-chat", model="gpt-4o").total
        == report.tokens_after
        <= budget
    )
    assert out["messages"][0] == body["messages"][0]
    assert out["messages"][-1] == body["messages"][-1]
    assert _subsequence(out["messages"], body["messages"])  # kept messages come back unchanged
    assert {k: v for k, v in out.items() if k != "messages"} == {
        k: v for k, v in body.items() if k != "messages"
    }
    if budget >= report.tokens_before:
        assert out == body


def test_anthropic_in_anthropic_out() -> None:
    body, _ = convert(_chat(8), source="openai-chat", target="anthropic")
    out, report = pack(body, format="anthropic", model="claude-sonnet-4-5", budget=200)
    assert report.exact is False
    assert count_tokens(out, format="anthropic", model="claude-sonnet-4-5").total <= 200
    assert out["system"] == body["system"]
    # Anthropic alternates roles: messages that dropping made adjacent are merged, so the
    # last user message may now begin with the tool result kept before it.
    last = out["messages"][-1]["content"]
    assert (
        last == body["messages"][-1]["content"]
        or last[-1]["text"] == body["messages"][-1]["content"]
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(), st.integers(30, 600), st.sampled_from(["openai-chat", "anthropic"]))
def test_any_conversation_in_any_format_stays_within_the_budget(
    doc: Document, budget: int, fmt: str
) -> None:
    model = "gpt-4o" if fmt == "openai-chat" else "claude-haiku-4-5"
    body, _ = encode(doc, fmt)
    try:
        out, report = pack(body, format=fmt, model=model, budget=budget)
    except BudgetError:
        needed = count_tokens(body, format=fmt, model=model).total
        assert needed > budget
        return
    assert count_tokens(out, format=fmt, model=model).total <= budget
    assert report.tokens_after <= budget


def test_unknown_model_and_impossible_budget_are_clear_errors() -> None:
    with pytest.raises(UnknownNameError, match="unknown model 'gpt-9'"):
        pack(_chat(1), format="openai-chat", model="gpt-9", budget=100)
    with pytest.raises(BudgetError, match="over by"):
        pack(_chat(1), format="openai-chat", model="gpt-4o", budget=10)


def test_an_estimated_count_that_disagrees_with_count_tokens_is_repaired(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An estimated count (a model without its own tokenizer) is verified on the packed
    # body: if per-message counts ever undercount, the pack is redone with the
    # difference taken off.
    from aifkit.budget import Measure, TokensCounter

    real = TokensCounter.measure

    def undercount(self: TokensCounter, message: Any) -> Measure:
        tokens, terms = real(self, message)
        return Measure(tokens - 2, terms)

    monkeypatch.setattr(TokensCounter, "measure", undercount)
    monkeypatch.delattr(TokensCounter, "measure_many")
    body = _chat(12)
    out, _ = pack(body, format="openai-chat", model="claude-haiku-4-5", budget=150)
    assert count_tokens(out, format="openai-chat", model="claude-haiku-4-5").total <= 150


def test_a_packed_body_that_reads_back_as_packed_is_not_counted_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Count once: the packer's per-message counts are count_tokens' (proven in
    # test_measure), so the packed body is neither re-checked nor tokenized again.
    # The Chat Completions reader checks the limits as it reads (checks_json): the
    # request is read (and so checked) once, the packed body read back once, and
    # nothing is walked up front.
    import aifkit.aif._convert
    import aifkit.tokens
    from aifkit.aif.converters.openai_chat import OpenAIChatConverter

    counted: list[Document] = []
    checked: list[object] = []
    read: list[object] = []
    real, check = aifkit.tokens.count_tokens, aifkit.aif._convert.check_json
    decode = OpenAIChatConverter.decode

    def count(doc: Any, **kwargs: Any) -> Any:
        counted.append(doc)
        return real(doc, **kwargs)

    def check_json(value: Any, **kwargs: Any) -> int:
        checked.append(value)
        return check(value, **kwargs)

    def reads(self: OpenAIChatConverter, value: Any) -> Any:
        read.append(value)
        return decode(self, value)

    monkeypatch.setattr(aifkit.tokens, "count_tokens", count)
    monkeypatch.setattr(aifkit.aif._convert, "check_json", check_json)
    monkeypatch.setattr(OpenAIChatConverter, "decode", reads)
    body = _chat(12)
    out, report = pack(body, format="openai-chat", model="gpt-4o", budget=150, compress=None)
    assert [doc.messages for doc in counted if doc.messages] == []  # only the fixed parts
    assert read == [body, out]
    assert read[0] is body  # the request as given, once
    assert checked == []
    assert report.tokens_after == real(out, format="openai-chat", model="gpt-4o").total <= 150


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(), st.integers(30, 600))
def test_the_reported_tokens_are_the_packed_bodys_count(doc: Document, budget: int) -> None:
    body, _ = encode(doc, "openai-chat")
    try:
        out, report = pack(body, format="openai-chat", model="gpt-4o", budget=budget, compress=None)
    except BudgetError:
        return
    assert count_tokens(out, format="openai-chat", model="gpt-4o").total == report.tokens_after


class _Unreadable:
    """A body that fails loudly if anything reads it."""

    def __getattribute__(self, name: str) -> Any:
        raise AssertionError(f"the body was read ({name}) before the arguments were checked")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"budget": 0}, UsageError),
        ({"budget": -5}, UsageError),
        ({"budget": 1.5}, UsageError),
        ({"budget": True}, UsageError),
        ({"budget": "100"}, UsageError),
        ({"reserve": -1}, UsageError),
        ({"reserve": 2.5}, UsageError),
        ({"pinned": ["0"]}, UsageError),
        ({"model": "no-such-model"}, UnknownNameError),
        ({"model": "gpt-4o" + "-0000" * 10_000}, UnknownNameError),
        ({"compress": "no-such-method"}, UnknownNameError),
        ({"format": "no-such-format"}, UnknownNameError),
    ],
)
def test_bad_arguments_are_refused_before_the_body_is_read(
    kwargs: dict[str, Any], error: type[Exception]
) -> None:
    # Issue 11: an invalid budget used to pay for the whole pack before it was refused.
    args: dict[str, Any] = {"format": "openai-chat", "model": "gpt-4o", "budget": 100, **kwargs}
    with pytest.raises(error):
        pack(_Unreadable(), **args)


def test_the_cycle_collector_is_paused_while_packing_and_restored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Reading and packing allocate many acyclic objects: collections meanwhile cost
    # about a third of the tokenizing time at 10,000 messages (benchmarks/pack.py).
    import gc

    from aifkit.budget import TokensCounter

    seen: list[bool] = []
    real = TokensCounter.measure_many

    def measure_many(self: TokensCounter, messages: Any) -> Any:
        seen.append(gc.isenabled())
        return real(self, messages)

    monkeypatch.setattr(TokensCounter, "measure_many", measure_many)
    assert gc.isenabled()
    pack(_chat(12), format="openai-chat", model="gpt-4o", budget=150)
    assert seen
    assert not any(seen)
    assert gc.isenabled()
    with pytest.raises(BudgetError):
        pack(_chat(1), format="openai-chat", model="gpt-4o", budget=10)
    assert gc.isenabled()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(documents(), conversations()),
    st.sampled_from(["openai-chat", "anthropic", "mistral", "gemini", "openai-responses"]),
)
def test_a_body_kept_whole_packs_as_a_session_pack_reading_it_back_does(
    doc: Document, fmt: str
) -> None:
    # A body that fits is written back and, when it equals the body given, not read
    # back: the result is the one the read-back path gives (a session's pack of the
    # body read before has no body to compare with, so it reads back).
    model = "gpt-4o"
    try:
        body, _ = encode(doc, fmt)
        budget = 2 * count_tokens(body, format=fmt, model=model).total + 50
    except AifkitError:  # a document this format cannot hold
        return
    out, report = pack(body, format=fmt, model=model, budget=budget, compress=None)
    packer = Packer(model)
    packer.read(body, format=fmt)
    again, reference = packer.pack_body(format=fmt, budget=budget)
    assert json.dumps(out) == json.dumps(again)
    assert report.tokens_after == reference.tokens_after == report.tokens_before
    assert report.tokens_after == count_tokens(out, format=fmt, model=model).total


def test_a_body_kept_whole_and_written_back_unchanged_is_read_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aifkit.aif import FORMATS

    converter = type(FORMATS.get("openai-chat"))
    real = converter.decode
    read: list[object] = []

    def decode(self: Any, body: Any) -> Any:
        read.append(body)
        return real(self, body)

    monkeypatch.setattr(converter, "decode", decode)
    body = _chat(6)
    out, report = pack(body, format="openai-chat", model="gpt-4o", budget=5000, compress=None)
    assert out == body
    assert read == [body]  # the request; the packed body is not read back
    assert report.tokens_after == count_tokens(body, format="openai-chat", model="gpt-4o").total


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(), st.integers(30, 600))
def test_a_single_pack_scans_and_packs_as_a_packer_does(doc: Document, budget: int) -> None:
    # aifkit.pack searches once: it scans the token ids instead of indexing them
    # (a Packer indexes at once); the packed body and the report are the same.
    body, _ = encode(doc, "openai-chat")
    with patch("aifkit.budget._index.TAIL_TOKENS", 1):  # any conversation is indexed
        try:
            out, report = pack(
                body, format="openai-chat", model="gpt-4o", budget=budget, compress=None
            )
        except BudgetError:
            return
        again, indexed = Packer("gpt-4o").pack_body(body, format="openai-chat", budget=budget)
    assert json.dumps(out) == json.dumps(again)
    mine, theirs = report.to_json(), indexed.to_json()
    assert mine.pop("work")["indexed"] == 0
    theirs.pop("work")
    assert mine == theirs
