"""One settings table per format, read by its decoder and written by its encoder.

A format lists its plain settings once, as rows of ``(wire key, AIF settings field,
reader)``: `read_settings` checks and maps the rows present in a body (recording
each in the source map), `write_settings` writes the set fields back under their
wire keys, in the table's order. A number the source wrote as an integer comes
back as one (the ``int`` form hint, see `as_number`), and a tuple (``stop``) is
written as a list. Settings that do not map one to one (a tool choice, reasoning,
a stop given as a string, a value the target clamps) stay explicit in the
format's own modules, next to the table.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any, cast

from aifkit.aif._loss import Path, SourceMap
from aifkit.aif._schema import Settings
from aifkit.aif.converters._common import expect_list, expect_str
from aifkit.aif.converters._wire import MISSING, hint_keys

__all__ = [
    "SettingsTable",
    "as_number",
    "read_settings",
    "read_strings",
    "write_settings",
]

SettingsTable = tuple[tuple[str, str, Callable[[Any, Path], Any]], ...]
"""A format's settings: wire key, AIF setting, reader (value, path) -> value."""

_FLOATS = ("temperature", "top_p")  # the AIF settings that are floats


def read_strings(value: Any, path: Path) -> list[str]:
    """Return ``value`` if it is an array of strings, else raise an error naming the item.

    Examples:
        >>> read_strings(["END"], ("stop",))
        ['END']
    """
    items = expect_list(value, path)
    return [expect_str(s, (*path, i)) for i, s in enumerate(items)]


def read_settings(
    obj: Mapping[str, Any], table: SettingsTable, sm: SourceMap, path: Path = ()
) -> tuple[dict[str, Any], list[str]]:
    """Read the settings of ``table`` present in ``obj`` (at ``path``), mapping each in ``sm``.

    Returns the AIF settings and the float settings written as integers (for the
    ``int`` form hint).

    Examples:
        >>> from aifkit.aif.converters._common import read_int, read_number
        >>> table = (("maxTokens", "max_tokens", read_int), ("temp", "temperature", read_number))
        >>> read_settings({"maxTokens": 9, "temp": 1}, table, SourceMap())
        ({'max_tokens': 9, 'temperature': 1}, ['temperature'])
    """
    out: dict[str, Any] = {}
    ints: list[str] = []
    for wire, aif, read in table:
        value = obj.get(wire, MISSING)
        if value is MISSING:
            continue
        out[aif] = read(value, (*path, wire))
        if aif in _FLOATS and isinstance(value, int):
            ints.append(aif)
        sm.add(("settings", aif), (*path, wire))
    return out, ints


def write_settings(
    settings: Settings,
    table: SettingsTable,
    form: Mapping[str, Any],
    out: dict[str, Any],
    skip: Collection[str] = (),
) -> None:
    """Write the fields of ``table`` set in ``settings`` into ``out``, in table order.

    Fields in ``skip`` are written elsewhere (a required ``max_tokens``, a model
    that an option may override). A float named by ``form``'s ``int`` hint is
    written as an integer when it is one.

    Examples:
        >>> from aifkit.aif.converters._common import read_int, read_number
        >>> table = (("maxTokens", "max_tokens", read_int), ("temp", "temperature", read_number),
        ...          ("stop", "stop", read_strings))
        >>> out: dict[str, Any] = {}
        >>> write_settings(Settings(temperature=1.0, stop=("END",)), table, {"int": ["temperature"]}, out)
        >>> out
        {'temp': 1, 'stop': ['END']}
    """
    ints = hint_keys(form, "int") if form else ()
    for wire, aif, _ in table:
        value = getattr(settings, aif)
        if value is None or aif in skip:
            continue
        if isinstance(value, tuple):
            value = list(cast("tuple[Any, ...]", value))
        elif isinstance(value, float):
            value = as_number(value, aif in ints)
        out[wire] = value


def as_number(value: float, as_int: bool) -> float:
    """``value`` as an int when the source wrote it as one (``as_int``).

    Examples:
        >>> as_number(1.0, True), as_number(1.0, False), as_number(1.5, True)
        (1, 1.0, 1.5)
    """
    return int(value) if as_int and value.is_integer() else value
