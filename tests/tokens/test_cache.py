"""Counting an unchanged message again is a lookup, not a tokenization."""

from __future__ import annotations

from aifkit.aif import Document, Message
from aifkit.tokens import CountCache, count_tokens

from .helpers import conversation, counting, text


def test_unchanged_messages_are_not_tokenized_again() -> None:
    tok, cache = counting(), CountCache()
    doc = conversation(50)
    first = count_tokens(doc, model="gpt-4o", tokenizer=tok, cache=cache)
    calls = tok.calls
    assert calls > 0
    again = count_tokens(doc, model="gpt-4o", tokenizer=tok, cache=cache)
    assert again == first
    assert tok.calls == calls  # every message was a cache hit
    assert (cache.hits, cache.misses) == (50, 50)


def test_only_the_new_message_is_tokenized() -> None:
    tok, cache = counting(), CountCache()
    doc = conversation(20)
    count_tokens(doc, model="gpt-4o", tokenizer=tok, cache=cache)
    before = tok.calls
    longer = Document(messages=(*doc.messages, Message(role="user", parts=text("And one more?"))))
    count_tokens(longer, model="gpt-4o", tokenizer=tok, cache=cache)
    assert tok.calls - before == 2  # the new message's role and text
    assert cache.misses == 21


def test_the_key_includes_the_tokenizer_and_the_rules() -> None:
    cache = CountCache()
    doc = conversation(3)
    a = count_tokens(doc, model="gpt-4o", cache=cache)
    b = count_tokens(doc, model="gpt-4", cache=cache)  # cl100k_base: counted afresh
    assert cache.misses == 6
    assert a.tokenizer != b.tokenizer


def test_the_lru_evicts_the_oldest_and_can_be_turned_off() -> None:
    tok = counting()
    small = CountCache(maxsize=2)
    count_tokens(conversation(3), model="gpt-4o", tokenizer=tok, cache=small)
    assert len(small) == 2
    off = CountCache(maxsize=0)
    count_tokens(conversation(3), model="gpt-4o", tokenizer=tok, cache=off)
    count_tokens(conversation(3), model="gpt-4o", tokenizer=tok, cache=off)
    assert len(off) == 0
    assert off.hits == 0
    small.clear()
    assert (len(small), small.hits, small.misses) == (0, 0, 0)
