"""The shared readers in `aifkit.aif.converters._common`."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from aifkit._limits import MAX_DEPTH, check_json
from aifkit.aif.converters._common import parse_arguments

# JSON values with what `check_json` refuses mixed in: lone surrogates, NaN and
# Infinity, and nesting around the depth limit.
LEAVES = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
VALUES = st.recursive(
    LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=12,
)


def _reference(text: str) -> tuple[Any, str | None]:
    """What parse_arguments returned before it skipped the walk: parse, then always check."""
    try:
        value = json.loads(text)
        check_json(value)
    except (ValueError, RecursionError):
        return None, text
    return value, None


@given(VALUES, st.booleans(), st.integers(min_value=0, max_value=2))
def test_arguments_are_refused_exactly_as_the_full_check_refuses(
    value: Any, ascii_only: bool, nest: int
) -> None:
    for _ in range(nest * MAX_DEPTH // 2):  # some at, around and past the depth limit
        value = [value]
    text = json.dumps(value, ensure_ascii=ascii_only)
    arguments, raw, _ = parse_arguments(text)
    expected, expected_raw = _reference(text)
    assert raw == expected_raw
    if raw is None:  # NaN != NaN never arises: a NaN is refused and kept as text
        assert arguments == expected


def test_texts_too_deep_for_the_check_are_too_long_to_skip_it() -> None:
    # The skip rests on this: the shortest text nested past what check_json takes
    # (an empty innermost array is not entered) is longer than the texts it skips.
    def nested(levels: int) -> str:
        return "[" * levels + "]" * levels

    deepest = next(k for k in range(1, 3 * MAX_DEPTH) if _reference(nested(k))[1] is not None)
    assert len(nested(deepest)) >= 2 * MAX_DEPTH
    assert parse_arguments(nested(deepest))[1] == nested(deepest)
    assert parse_arguments(nested(deepest - 1))[1] is None
    assert parse_arguments('{"a": "\\ud800"}')[1] is not None
    assert parse_arguments('{"a": NaN}')[1] is not None
