"""`TokensCounter` counts every message exactly as `aifkit.tokens.count_tokens` does."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifkit.aif import Document, Message, TextPart
from aifkit.budget import TokensCounter
from aifkit.errors import UnknownNameError
from aifkit.tokens import CountCache, count_tokens, get_tokenizer
from tests.aif.strategies import documents
from tests.budget.strategies import conversations

MODELS = ["gpt-4o", "gpt-4.1", "gpt-4", "claude-sonnet-4-5", "gemini-2.5-pro"]


def _parts(doc: Document, counter: TokensCounter) -> tuple[int, list[int]]:
    fixed = sum(counter.count_instruction(i) for i in doc.instructions)
    fixed += counter.count_tools(doc) + counter.overhead(doc)
    return fixed, [counter.measure(m).tokens for m in doc.messages]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(documents(), conversations()), st.sampled_from(MODELS))
def test_the_parts_add_up_to_count_tokens(doc: Document, model: str) -> None:
    counter = TokensCounter(model)
    expected = count_tokens(doc, model=model, cache=CountCache(maxsize=0))
    fixed, messages = _parts(doc, counter)
    assert messages == list(expected.messages)
    assert fixed + sum(messages) == expected.total
    assert counter.exact == (model.startswith("gpt"))


@given(st.text(max_size=60))
def test_terms_are_the_tokenizers_ids(text: str) -> None:
    counter = TokensCounter("gpt-4o")
    measured = counter.measure(Message(role="user", parts=(TextPart(text=text),)))
    assert measured.terms.tolist() == get_tokenizer("o200k_base").encode(text)
    assert counter.terms(text) == measured.terms.tolist()


def test_special_token_lookalikes_and_lone_surrogates_are_plain_text() -> None:
    counter = TokensCounter("gpt-4o")
    doc = Document(messages=(Message(role="user", parts=(TextPart(text="<|endoftext|> hi"),)),))
    assert counter.measure(doc.messages[0]).tokens == count_tokens(doc, model="gpt-4o").messages[0]
    odd = "bad \ud800 surrogate"  # tiktoken's list path repairs it; so does the counter
    measured = counter.measure(Message(role="user", parts=(TextPart(text=odd),)))
    assert measured.terms.tolist() == get_tokenizer("o200k_base").encode(odd)
    assert measured.tokens == 3 + 1 + len(measured.terms)


def test_names_and_limits() -> None:
    counter = TokensCounter("gpt-4o-2024-08-06")
    assert (counter.name, counter.context_window, counter.max_output) == (
        "gpt-4o/o200k_base",
        128_000,
        16_384,
    )
    with pytest.raises(UnknownNameError):
        TokensCounter("no-such-model")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(documents(), conversations()), st.sampled_from(["gpt-4o", "claude-haiku-4-5"]))
def test_measuring_many_at_once_equals_one_by_one(doc: Document, model: str) -> None:
    counter = TokensCounter(model)
    batch = counter.measure_many(doc.messages)
    one_by_one = [counter.measure(m) for m in doc.messages]
    assert batch.tokens == [m.tokens for m in one_by_one]
    assert batch.lengths == [len(m.terms) for m in one_by_one]
    assert batch.terms.tolist() == [t for m in one_by_one for t in m.terms.tolist()]


def test_terms_of_text_with_a_lone_surrogate() -> None:
    counter = TokensCounter("gpt-4o")
    assert counter.terms("a \ud800 b") == get_tokenizer("o200k_base").encode("a \ud800 b")
