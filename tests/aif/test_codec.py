"""Reading JSON: syntax errors, hostile sizes and nesting give clear errors."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aifkit.aif._codec import base64_problem, parse_json
from aifkit.errors import InvalidInputError


def test_syntax_error_names_line_and_column() -> None:
    with pytest.raises(InvalidInputError, match="not valid JSON at line 2, column 3"):
        parse_json('{"a":\n  }')


def test_oversized_input_is_refused_before_parsing() -> None:
    with pytest.raises(InvalidInputError, match="over the limit of 10"):
        parse_json(b"[" + b"1," * 20 + b"1]", max_bytes=10)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(InvalidInputError, match="nested more than 128 levels deep"):
        parse_json("[" * 200_000 + "]" * 200_000)


def test_an_oversized_inline_payload_names_its_pointer_and_the_way_out() -> None:
    from aifkit.aif import load_document
    from aifkit.aif._schema import MAX_INLINE_CHARS

    image = {"type": "image", "source": {"kind": "base64", "media_type": "image/png",
                                         "data": "A" * (MAX_INLINE_CHARS + 4)}}  # fmt: skip
    doc = {"messages": [{"role": "user", "parts": [{"type": "text", "text": "see"}, image]}]}
    with pytest.raises(InvalidInputError) as info:
        load_document(doc)
    assert info.value.pointer == "/messages/0/parts/1/source/data"
    assert f"over the limit of {MAX_INLINE_CHARS:,}" in str(info.value)
    assert "by URL or provider file id" in str(info.value)


def test_bytes_that_are_not_utf8_say_where() -> None:
    with pytest.raises(InvalidInputError, match=r"not UTF-8 text .* at byte 14"):
        parse_json(b'{"messages": "\xff"}')


def test_an_integer_too_long_to_read_says_where() -> None:
    text = '{"a": 1,\n "seed": ' + "7" * 5000 + "}"
    with pytest.raises(InvalidInputError, match="line 2, column 10: a number has more than 4,300"):
        parse_json(text)


@pytest.mark.parametrize(
    ("text", "pointer", "problem"),
    [
        ('{"temperature": NaN}', "/temperature", "NaN is not a JSON number"),
        ('{"a": [1, -Infinity]}', "/a/1", "-Infinity is not a JSON number"),
        ('{"top_p": 1e400}', "/top_p", "Infinity is not a JSON number"),
        ('{"text": "\\ud800"}', "/text", "lone surrogate"),
        ('{"text": "ok \\ud83d\\ude00"}', None, None),  # a pair is a character
    ],
)
def test_json_that_no_provider_reads_is_refused_with_a_pointer(
    text: str, pointer: str | None, problem: str | None
) -> None:
    if pointer is None:
        assert parse_json(text) == {"text": "ok \U0001f600"}
        return
    with pytest.raises(InvalidInputError) as info:
        parse_json(text)
    assert info.value.pointer == pointer
    assert problem is not None
    assert problem in info.value.problem


# -- inline data -------------------------------------------------------------------


@given(st.binary(max_size=64), st.booleans(), st.booleans())
def test_base64_of_any_bytes_is_accepted_in_either_alphabet(
    data: bytes, urlsafe: bool, unpadded: bool
) -> None:
    text = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(data).decode()
    assert base64_problem(text.rstrip("=") if unpadded else text) is None


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("cat.png", "'.' at character 3"),
        ("AA\nAA", "'\\n' at character 2"),
        ("AA=A", "'=' at character 2"),
        ("a+_b", "mixes the standard"),
        ("AAAAA", "a length of 5 is not whole bytes"),
        ("AAAAAA=", "a length of 7 is not whole bytes"),
    ],
)
def test_data_that_is_not_base64_is_named(data: str, problem: str) -> None:
    assert problem in (base64_problem(data) or "")


def test_inline_data_that_is_not_base64_is_refused_at_the_part_in_every_reader() -> None:
    from aifkit.aif import convert, decode, load_document, validate

    bad = "data:image/png;base64,not base64!"
    body = {"model": "gpt-4o", "messages": [
        {"role": "user", "content": "hi"},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": bad}}]}]}  # fmt: skip
    for call in (
        lambda: convert(body, source="openai-chat", target="anthropic"),
        lambda: decode(body, "openai-chat"),
    ):
        with pytest.raises(InvalidInputError, match="inline data is not base64") as info:
            call()
        assert info.value.pointer == "/messages/1/content/0"
    assert [v.pointer for v in validate(body, "openai-chat")] == ["/messages/1/content/0"]
    doc = {"messages": [{"role": "tool", "parts": [{"type": "tool_result", "call_id": "c", "content": [
        {"type": "image", "source": {"kind": "base64", "data": "@@"}}]}]}]}  # fmt: skip
    with pytest.raises(InvalidInputError, match="'@' at character 0") as info:
        load_document(doc)
    assert info.value.pointer == "/messages/0/parts/0/content/0/source/data"
