"""The edge check: what no body may hold is refused with a pointer, in one linear pass."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aifkit._limits import MAX_DEPTH, MAX_INT_DIGITS, check_document, check_json, loads
from aifkit.aif import Document, Message, Settings, TextPart, ToolCallPart
from aifkit.errors import InvalidInputError


def nest(depth: int) -> Any:
    """A value ``depth`` arrays deep: ``nest(2) == [[1]]``."""
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def test_depth_up_to_the_limit_is_read_and_one_more_is_refused() -> None:
    assert check_json(nest(MAX_DEPTH)) == MAX_DEPTH + 1
    with pytest.raises(InvalidInputError, match=f"nested more than {MAX_DEPTH} levels") as info:
        check_json({"tools": nest(MAX_DEPTH)})
    assert info.value.pointer == "/tools" + "/0" * (MAX_DEPTH - 1)


def test_depth_far_past_the_recursion_limit_is_an_error_not_a_crash() -> None:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(InvalidInputError, match="nested more than"):
        check_json(deep)


def test_a_cycle_is_refused_as_too_deep() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(InvalidInputError, match="nested more than"):
        check_json(loop)


@pytest.mark.parametrize(
    ("value", "pointer"),
    [
        ({"messages": [{"content": "ok \ud800"}]}, "/messages/0/content"),
        ({"a": ("\udfff",)}, "/a/0"),
        ("\udc80", ""),
    ],
)
def test_a_lone_surrogate_is_refused_where_it_is(value: Any, pointer: str) -> None:
    with pytest.raises(InvalidInputError, match="lone surrogate") as info:
        check_json(value)
    assert info.value.pointer == pointer
    str(info.value).encode("utf-8")  # the message itself is printable UTF-8


def test_a_lone_surrogate_in_a_key_points_at_its_object() -> None:
    with pytest.raises(InvalidInputError, match="key '\\\\ud800x' holds a lone surrogate") as info:
        check_json({"metadata": {"\ud800x": 1}})
    assert info.value.pointer == "/metadata"


@pytest.mark.parametrize(
    ("number", "name"), [(math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "-Infinity")]
)
def test_non_finite_numbers_are_refused(number: float, name: str) -> None:
    with pytest.raises(InvalidInputError, match=f"{name} is not a JSON number") as info:
        check_json({"settings": {"temperature": number}})
    assert info.value.pointer == "/settings/temperature"
    assert "no provider accepts them" in str(info.value)


def test_integers_past_the_digit_limit_are_refused_and_big_ones_are_not() -> None:
    assert check_json({"seed": 2**200, "n": -(10 ** (MAX_INT_DIGITS - 1))}) == 3
    with pytest.raises(InvalidInputError, match="more than 4,300 digits") as info:
        check_json({"seed": 10**MAX_INT_DIGITS})
    assert info.value.pointer == "/seed"


def test_pointers_start_where_the_value_sits() -> None:
    with pytest.raises(InvalidInputError) as info:
        check_json({"x": math.nan}, at=("events", 3))
    assert info.value.pointer == "/events/3/x"


def test_values_that_are_not_json_types_are_left_to_the_reader() -> None:
    assert check_json({"a": b"bytes", "b": object(), "c": True, "d": None}) == 5


def test_loads_turns_parser_recursion_into_an_error_with_the_pointer() -> None:
    with pytest.raises(InvalidInputError, match="nested more than") as info:
        loads("[" * 100_000 + "]" * 100_000, at=("events", 0))
    assert info.value.pointer == "/events/0"
    with pytest.raises(ValueError, match="Expecting value"):
        loads("[")


def test_check_document_finds_what_code_put_in_a_document() -> None:
    doc = Document(
        messages=(
            Message(role="user", parts=(TextPart(text="hi"),)),
            Message(
                role="assistant",
                parts=(ToolCallPart(id="c1", name="f", arguments={"x": [math.inf]}),),
            ),
        )
    )
    with pytest.raises(InvalidInputError, match="Infinity") as info:
        check_document(doc)
    assert info.value.pointer == "/messages/1/parts/0/arguments/x/0"
    with pytest.raises(InvalidInputError, match="lone surrogate"):
        check_document(Document(settings=Settings(model="gpt-\ud800")))
    assert check_document(Document()) > 0


def test_compress_refuses_a_document_that_no_body_could_carry() -> None:
    from aifkit.budget import CompressionTarget, compress

    doc = Document(messages=(Message(role="user", parts=(TextPart(text="a \ud800 b"),)),))
    with pytest.raises(InvalidInputError, match=r"/messages/0/parts/0/text: .*lone surrogate"):
        compress(doc, CompressionTarget("gpt-4o", ratio=0.5), method="dedupe")


# -- invariants -------------------------------------------------------------------------

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(0, 2).map(lambda k: 10 ** (MAX_INT_DIGITS + k))
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=3) | st.sampled_from(["\ud800"]), inner, max_size=4)
    ),
    max_leaves=40,
)


def _count(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + sum(_count(v) for v in value.values())  # pyright: ignore[reportUnknownVariableType,reportUnknownArgumentType]
    if isinstance(value, list | tuple):
        return 1 + sum(_count(v) for v in value)  # pyright: ignore[reportUnknownVariableType,reportUnknownArgumentType]
    return 1


def _is_clean(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_is_clean(k) and _is_clean(v) for k, v in value.items())  # pyright: ignore[reportUnknownVariableType,reportUnknownArgumentType]
    if isinstance(value, list | tuple):
        return all(_is_clean(v) for v in value)  # pyright: ignore[reportUnknownVariableType,reportUnknownArgumentType]
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) < 10**MAX_INT_DIGITS
    return True


@given(VALUES)
def test_the_check_refuses_exactly_what_is_unclean_and_nothing_else_escapes(value: Any) -> None:
    if not _is_clean(value):
        with pytest.raises(InvalidInputError) as info:
            check_json(value)
        assert "\n" not in str(info.value)
        return
    assert check_json(value) == _count(value)  # every value visited exactly once: linear work


@given(st.integers(min_value=1, max_value=MAX_DEPTH), st.integers(min_value=1, max_value=50))
def test_work_is_the_number_of_values_whatever_the_shape(depth: int, width: int) -> None:
    deep = nest(depth)
    wide = {"items": [{"k": "v"}] * width}
    assert check_json(deep) == depth + 1
    assert check_json(wide) == 2 + 2 * width


def _reference(text: str | bytes) -> Any:
    """What `loads` did before its fast path: parse, then walk every value."""
    value = json.loads(text)
    check_json(value)
    return value


def _outcome(read: Callable[[str | bytes], Any], text: str | bytes) -> tuple[str, Any]:
    try:
        return "value", read(text)
    except ValueError as exc:  # InvalidInputError and json's errors both are
        return type(exc).__name__, str(exc)


def _dump(value: Any, ascii: bool) -> str:
    try:
        return json.dumps(value, ensure_ascii=ascii)
    except ValueError:  # an integer Python will not write: the text holds it as written
        return "[" + "9" * (MAX_INT_DIGITS + 1) + "]"


TEXTS = st.one_of(
    st.builds(_dump, VALUES, st.booleans()),
    # Floats that overflow to inf, a BOM, brackets around the depth limit, surrogate
    # escapes (lone, paired and merely quoted), text that only looks like them, and
    # texts longer than the fast path reads.
    st.sampled_from(
        ["[1e999]", "{\"a\": -1E400}", "\ufeff{}", "[\"\\ud83d\\ude00\"]", "[\"\\\\ud800\"]",
         "[\"NaN\"]", "[\"Infinity\"]", "{\"x\": 1.5e3}", "[" * MAX_DEPTH + "]" * MAX_DEPTH,
         "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "{\"a\": [" + "1" * (MAX_INT_DIGITS + 1) + "]}",
         "[" + "\"a\"," * 3000 + "NaN]", "[" + "\"a\"," * 3000 + "1]"]
    ),
)  # fmt: skip


@given(TEXTS, st.booleans())
def test_loads_reads_and_refuses_exactly_as_parsing_then_walking_does(text: str, raw: bool) -> None:
    data: str | bytes = text.encode("utf-8", "surrogatepass") if raw else text
    assert _outcome(loads, data) == _outcome(_reference, data)
