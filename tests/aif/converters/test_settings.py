"""Each format's settings table, read then written back, gives the wire settings exactly.

The tables are the ones the decoders and encoders use (`read_settings` and
`write_settings`), so this is the settings half of the exact same-format round
trip, over every value each reader accepts: integers stay integers, a float
written as an integer comes back as one, ``stop`` lists stay lists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aifkit.aif import Settings
from aifkit.aif._loss import SourceMap
from aifkit.aif.converters import (
    _anthropic_decode,
    _bedrock_decode,
    _cohere_decode,
    _gemini_decode,
    _mcp_decode,
    _mistral_decode,
    _ollama_decode,
    _openai_responses_decode,
)
from aifkit.aif.converters._common import expect_bool, expect_str, read_int, read_number
from aifkit.aif.converters._settings import (
    SettingsTable,
    read_settings,
    read_strings,
    write_settings,
)
from aifkit.errors import InvalidInputError

TABLES: dict[str, SettingsTable] = {
    "anthropic": _anthropic_decode.SETTINGS,
    "bedrock-converse": _bedrock_decode.INFERENCE,
    "cohere": _cohere_decode.SETTINGS,
    "gemini": _gemini_decode.SETTINGS,
    "mcp": _mcp_decode.SETTINGS,
    "mistral": _mistral_decode.SETTINGS,
    "ollama": _ollama_decode.OPTIONS,
    "openai-responses": _openai_responses_decode.SETTINGS,
}

_NUMBERS = st.floats(min_value=0, max_value=2, allow_nan=False) | st.integers(0, 2)
VALUES: dict[Callable[..., Any], st.SearchStrategy[Any]] = {
    read_int: st.integers(0, 2**31),
    read_number: _NUMBERS,
    expect_str: st.text(max_size=8),
    expect_bool: st.booleans(),
    read_strings: st.lists(st.text(max_size=8), max_size=3),
}


def wire_settings(table: SettingsTable) -> st.SearchStrategy[dict[str, Any]]:
    """Some of ``table``'s wire keys, each with a value its reader accepts."""
    return st.fixed_dictionaries({}, optional={wire: VALUES[read] for wire, _, read in table})


@pytest.mark.parametrize("fmt", sorted(TABLES))
def test_every_reader_has_values(fmt: str) -> None:
    assert {read for _, _, read in TABLES[fmt]} <= VALUES.keys()


@pytest.mark.parametrize("fmt", sorted(TABLES))
@given(data=st.data())
def test_read_then_write_is_exact(fmt: str, data: st.DataObject) -> None:
    table = TABLES[fmt]
    wire = data.draw(wire_settings(table))
    sm = SourceMap()
    fields, ints = read_settings(wire, table, sm)
    out: dict[str, Any] = {}
    write_settings(Settings(**fields), table, {"int": ints}, out)
    assert out == wire
    assert [type(out[k]) for k in wire] == [type(v) for v in wire.values()]
    assert {sm.translate(("settings", field)) for field in fields} == {(k,) for k in wire}


@pytest.mark.parametrize("fmt", sorted(TABLES))
def test_a_wrong_type_names_the_key(fmt: str) -> None:
    wire, _, _ = TABLES[fmt][0]
    with pytest.raises(InvalidInputError) as caught:
        read_settings({wire: object()}, TABLES[fmt], SourceMap(), ("config",))
    assert caught.value.pointer == f"/config/{wire}"
    assert "got" in caught.value.problem
