"""The generic registry: lazy factories, duplicates rejected, unknown names listed."""

from __future__ import annotations

import pytest

from aifkit._registry import Registry
from aifkit.errors import UnknownNameError, UsageError


def test_factories_are_called_once_and_lazily() -> None:
    calls: list[str] = []

    def make() -> str:
        calls.append("made")
        return "value"

    reg: Registry[str] = Registry("thing")
    reg.register("a", make)
    assert calls == []
    assert reg.get("a") == reg.get("a") == "value"
    assert calls == ["made"]


def test_string_factories_import_on_first_use() -> None:
    reg: Registry[object] = Registry("thing")
    reg.register("od", "collections:OrderedDict")
    assert type(reg.get("od")).__name__ == "OrderedDict"


def test_duplicates_are_rejected() -> None:
    reg: Registry[int] = Registry("thing")
    reg.register("a", lambda: 1)
    with pytest.raises(UsageError, match="already registered"):
        reg.register("a", lambda: 2)


def test_unknown_names_list_the_known_ones() -> None:
    reg: Registry[int] = Registry("thing")
    reg.register("b", lambda: 1)
    reg.register("a", lambda: 2)
    with pytest.raises(UnknownNameError) as info:
        reg.get("c")
    assert info.value.known == ["a", "b"]
    assert reg.names() == ["a", "b"]
