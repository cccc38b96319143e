"""Tokenizers: known counts, cross-checked by a second implementation, and round trips."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.errors import UnknownNameError
from aifkit.tokens import Tokenizer, get_tokenizer, tokenizers
from aifkit.tokens._tokenizer import TiktokenTokenizer

ENCODINGS = ["o200k_base", "cl100k_base"]

SAMPLES = [
    "",
    "hello world",
    "tiktoken is great!",
    "antidisestablishmentarianism",
    "2 + 2 = 4",
    "お誕生日おめでとう",
    "def f(x):\n    return x ** 2\n\n\n",
    "   leading and trailing spaces   ",
    "emoji 🧪🚀 and accents: naïve café Zürich",
    "<|endoftext|> is only text here",
    "https://example.com/a?b=c&d=e#f",
    "1234567890 3.14159 -42 1e10",
]


@pytest.fixture(scope="module")
def second_opinion() -> Any:
    # bpe-openai's own tokenizer: an independent (Rust) implementation of the same
    # vocabularies; imported only here, never by aifkit.
    bindings = pytest.importorskip("bpe_openai._bindings")
    return {name: bindings.tokenizer_for_encoding(name) for name in ENCODINGS}


@pytest.mark.parametrize("name", ENCODINGS)
def test_counts_agree_with_an_independent_implementation(name: str, second_opinion: Any) -> None:
    tok = get_tokenizer(name)
    for sample in SAMPLES:
        assert tok.encode(sample) == second_opinion[name].encode(sample), sample
        assert tok.count(sample) == len(tok.encode(sample)) == second_opinion[name].count(sample)


def test_counts_published_in_the_cookbook() -> None:
    # OpenAI cookbook, "How to count tokens with tiktoken", sections 4 and 5
    # (https://github.com/openai/openai-cookbook/blob/main/examples/How_to_count_tokens_with_tiktoken.ipynb).
    o200k, cl100k = get_tokenizer("o200k_base"), get_tokenizer("cl100k_base")
    assert o200k.count("tiktoken is great!") == 6
    assert o200k.encode("2 + 2 = 4") == [17, 659, 220, 17, 314, 220, 19]
    assert cl100k.encode("2 + 2 = 4") == [17, 489, 220, 17, 284, 220, 19]
    assert o200k.encode("お誕生日おめでとう") == [8930, 9697, 243, 128225, 8930, 17693, 4344, 48669]
    assert cl100k.count("お誕生日おめでとう") == 9


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=200))
def test_decode_inverts_encode(text: str) -> None:
    tok = get_tokenizer("o200k_base")
    assert isinstance(tok, TiktokenTokenizer)
    assert tok.decode(tok.encode(text)) == text
    assert tok.count(text) == len(tok.encode(text))


def test_tokenizers_satisfy_the_protocol_and_are_loaded_once() -> None:
    tok = get_tokenizer("cl100k_base")
    assert isinstance(tok, Tokenizer)
    assert get_tokenizer("cl100k_base") is tok
    assert {"o200k_base", "cl100k_base"} <= set(tokenizers())


def test_an_unknown_tokenizer_lists_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match="known tokenizers: cl100k_base, o200k_base"):
        get_tokenizer("p50k_base")
