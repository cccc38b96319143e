"""Reading JSON: syntax errors, hostile sizes and nesting give clear errors."""

from __future__ import annotations

import pytest

from aifkit.aif._codec import parse_json
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
