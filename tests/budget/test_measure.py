"""`TokensCounter` counts every message exactly as `aifkit.tokens.count_tokens` does."""

from __future__ import annotations

from functools import cache
from unittest.mock import patch

import pytest
import tiktoken
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifkit.aif import Document, Message, TextPart
from aifkit.budget import TokensCounter
from aifkit.errors import UnknownNameError
from aifkit.tokens import CountCache, count_tokens, get_tokenizer
from aifkit.tokens._openai_files import load_encoding
from aifkit.tokens._quick_bpe import QuickBPE, build_table
from aifkit.tokens._tokenizer import _QuickStartTokenizer  # pyright: ignore[reportPrivateUsage]
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


@cache
def _o200k() -> tuple[bytes, tiktoken.Encoding]:
    encoding = load_encoding("o200k_base")
    return build_table(encoding._mergeable_ranks, encoding._pat_str), encoding  # pyright: ignore[reportPrivateUsage]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(documents(), conversations()))
def test_a_tokenizer_without_its_encoding_yet_measures_the_same(doc: Document) -> None:
    # The CLI's tokenizers start from the cached table (aifkit.tokens._quick_bpe) and
    # build the encoding on the first text the table declines, mid-measure.
    table, encoding = _o200k()
    quick = _QuickStartTokenizer("o200k_base", QuickBPE(table))
    with patch("aifkit.tokens._openai_files.load_encoding", lambda name: encoding):
        early = TokensCounter("gpt-4o", tokenizer=quick)
        batch = early.measure_many(doc.messages)
        one_by_one = [early.measure(m) for m in doc.messages]
        terms = [early.terms(text) for text in _texts(doc)]
    counter = TokensCounter("gpt-4o")
    assert batch.tokens == counter.measure_many(doc.messages).tokens
    assert [m.tokens for m in one_by_one] == [counter.measure(m).tokens for m in doc.messages]
    assert batch.terms.tolist() == counter.measure_many(doc.messages).terms.tolist()
    assert terms == [counter.terms(text) for text in _texts(doc)]


def _texts(doc: Document) -> list[str]:
    return [p.text for m in doc.messages for p in m.parts if isinstance(p, TextPart)]
