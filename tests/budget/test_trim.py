"""`trim`: the newest messages that fit, counted lazily and exactly, against a brute force."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifkit.aif import Document, Message, decode, encode
from aifkit.budget import TrimReport, trim
from aifkit.budget._items import shape
from aifkit.budget._measure import TokensCounter
from aifkit.errors import BudgetError, InvalidInputError, UnknownNameError, UsageError
from aifkit.tokens import count_tokens
from tests.budget.strategies import conversations

_MODELS = {"openai-chat": "gpt-4o", "anthropic": "claude-haiku-4-5"}


def _straddled(messages: tuple[Message, ...], k: int) -> bool:
    """Whether cutting before ``messages[k]`` splits a tool call from a result, or a
    user turn from an attachment-only user message next to it (the definition, by brute force)."""
    before = {c for m in messages[:k] for c in shape(m).calls}
    after = {r for m in messages[k:] for r in shape(m).results}
    if before & after:
        return True
    if 0 < k < len(messages):
        a, b = shape(messages[k - 1]), shape(messages[k])
        return a.role == b.role == "user" and (a.attachments or b.attachments)
    return False


def _reference(doc: Document, fmt: str, model: str, budget: int) -> int | type[Exception]:
    """The start of the longest suffix that fits, counting every candidate body whole."""
    messages = doc.messages
    starts = [
        k for k in range(len(messages)) if shape(messages[k]).turn and not _straddled(messages, k)
    ]
    if not starts:
        return InvalidInputError
    for k in starts:  # oldest first: the first that fits is the longest
        body, _ = encode(doc.model_copy(update={"messages": messages[k:]}), fmt)
        if count_tokens(body, format=fmt, model=model).total <= budget:
            return k
    return BudgetError


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(), st.integers(20, 500), st.sampled_from(["openai-chat", "anthropic"]))
def test_the_longest_fitting_suffix_on_a_user_turn_counted_exactly(
    doc: Document, budget: int, fmt: str
) -> None:
    model = _MODELS[fmt]
    body, _ = encode(doc, fmt)
    read, _ = decode(body, fmt)  # the messages as the format carries them
    expected = _reference(read, fmt, model, budget)
    if isinstance(expected, type):
        with pytest.raises(expected):
            trim(body, format=fmt, model=model, budget=budget)
        return
    out, report = trim(body, format=fmt, model=model, budget=budget)
    assert count_tokens(out, format=fmt, model=model).total == report.tokens <= budget
    assert report.dropped == expected
    assert report.kept == report.messages - expected == len(read.messages) - expected
    back, _ = decode(out, fmt)
    assert back.messages == read.messages[expected:]
    assert back.instructions == read.instructions
    assert back.tools == read.tools


def _chat(n: int) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": "You are terse."}]
    for i in range(n):
        messages.append({"role": "user", "content": f"Question {i}: " + "words " * 40})
        messages.append({"role": "assistant", "content": f"Answer {i}: " + "more " * 40})
    messages.append({"role": "user", "content": "And the last one?"})
    return {"model": "gpt-4o", "messages": messages}


def test_older_messages_than_the_first_that_does_not_fit_are_never_tokenized() -> None:
    body = _chat(200)
    seen: list[Message] = []
    measure = TokensCounter.measure

    def spy(self: TokensCounter, message: Message) -> Any:
        seen.append(message)
        return measure(self, message)

    with patch.object(TokensCounter, "measure", spy):
        out, report = trim(body, format="openai-chat", model="gpt-4o", budget=500)
    messages = decode(body, "openai-chat")[0].messages
    assert seen == list(reversed(messages[-len(seen) :]))  # newest first, and nothing older
    # The kept ones, the reply before them (it fits, but a run starts on a user turn)
    # and the user turn that does not fit.
    assert report.counted == len(seen) == report.kept + 2
    assert report.kept < 20 < report.messages
    assert out["messages"][1]["role"] == "user"
    assert out["messages"][-1] == body["messages"][-1]


def test_tool_calls_stay_with_their_results_and_the_run_starts_on_a_user_turn() -> None:
    body = {"model": "gpt-4o", "messages": [
        {"role": "user", "content": "Look up the weather in Paris, please. " * 20},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "w", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "Sunny, 21 degrees."},
        {"role": "assistant", "content": "It is sunny."},
        {"role": "user", "content": "Thanks!"}]}  # fmt: skip
    out, report = trim(body, format="openai-chat", model="gpt-4o", budget=60)
    # The call and its result would fit, but the run must start on a user turn.
    assert [m["role"] for m in out["messages"]] == ["user"]
    assert report == TrimReport(5, 1, 4, report.tokens, 60, 5)  # all counted: 5th over
    out, report = trim(body, format="openai-chat", model="gpt-4o", budget=1000)
    assert out["messages"] == body["messages"]
    assert report.dropped == 0


def test_what_must_be_kept_over_the_budget_and_bad_input_are_clear_errors() -> None:
    with pytest.raises(BudgetError, match="over by"):
        trim(_chat(1), format="openai-chat", model="gpt-4o", budget=10)
    with pytest.raises(InvalidInputError, match="no user turn"):
        trim({"model": "gpt-4o", "messages": [{"role": "assistant", "content": "Hi"}]},
             format="openai-chat", model="gpt-4o", budget=100)  # fmt: skip
    with pytest.raises(UnknownNameError):
        trim(_chat(1), format="openai-chat", model="gpt-9", budget=100)
    with pytest.raises(UsageError):
        trim(_chat(1), format="openai-chat", model="gpt-4o", budget=0)


def test_the_reserve_caps_the_budget_at_the_window_minus_the_reply() -> None:
    window = TokensCounter("gpt-4o").context_window
    _, report = trim(_chat(3), format="openai-chat", model="gpt-4o", budget=window,
                     reserve=window - 100)  # fmt: skip
    assert report.budget == 100
    assert report.tokens <= 100
