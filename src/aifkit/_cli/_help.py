"""What ``--help`` shows: placeholders people read, not Python types.

Typer (0.2x) writes an option's or argument's Python type as its placeholder
(``--model <str>``, ``RUN <list[str]>``, ``-w <int range>``) and wraps required
arguments in braces. `polish` walks the click command tree before it runs and
gives every value a word: ``FILE`` for a file written or read, ``FORMAT`` for a
wire format, ``MODEL``, ``N`` for counts, ``TEXT`` otherwise. An option that
names its own ``metavar`` (``[drop|text]``, ``RUN``) keeps it. A placeholder
that stands for a registry's names (`LISTS`: formats, stream formats,
compression methods, which plugins can extend) is followed, when help is shown,
by the names known on this install. The command line's meaning is unchanged:
only help and usage text change.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, cast

__all__ = ["FORMAT", "LISTS", "METAVARS", "placeholder", "polish"]

FORMAT = "FORMAT"
"""The placeholder of an option naming a wire format; help lists the known ones."""

LISTS: dict[str, str] = {
    FORMAT: "aifkit.aif._convert:FORMATS",
    "STREAM_FORMAT": "aifkit.aif._sse_codec:STREAM_FORMATS",
    "METHOD": "aifkit.budget.compressors._base:COMPRESSORS",
}
"""Placeholders whose values are a registry's names: ``"module:attribute"`` of the registry."""

METAVARS: dict[str, str] = {
    # parameter name -> placeholder
    "output": "FILE",
    "out": "DIR",
    "loss_report": "FILE",
    "report": "FILE",
    "explain": "FILE",
    "ledger": "FILE",
    "gateway_ledger": "FILE",
    "config": "FILE",
    "store": "FILE",
    "state": "FILE",
    "previous": "FILE",
    "models_file": "FILE",
    "runs": "DIR",
    "format": FORMAT,
    "source": FORMAT,
    "target": FORMAT,
    "to": FORMAT,
    "upstream_format": FORMAT,
    "model": "MODEL",
    "summary_model": "MODEL",
    "budget": "TOKENS",
    "reserve": "TOKENS",
    "max_tokens": "TOKENS",
    "method": "METHOD",
    "upstream": "URL",
    "summary_base_url": "URL",
    "api_key_env": "VAR",
    "session": "NAME",
    "sender": "NAME",
    "receiver": "NAME",
    "host": "ADDRESS",
    "dask": "ADDRESS",
}
"""Placeholders by parameter name, for options that do not name their own."""

_BY_TYPE: dict[object, str] = {int: "N", float: "NUMBER", Path: "FILE"}


def placeholder(name: str, annotation: object) -> str:
    """Return the help placeholder for a parameter ``name`` of type ``annotation``.

    Examples:
        >>> placeholder("output", str), placeholder("workers", int), placeholder("alpha", float)
        ('FILE', 'N', 'NUMBER')
        >>> placeholder("query", str)
        'TEXT'
    """
    return METAVARS.get(name) or _BY_TYPE.get(annotation) or "TEXT"


def polish(command: Any, *, for_help: bool) -> None:
    """Give every parameter under ``command`` a readable placeholder (in place).

    ``for_help``: help will be shown, so list the names a `LISTS` placeholder
    stands for under the options (that loads the registries, which a run does not need).
    """
    listed: list[str] = []
    for param in command.params:
        if param.param_type_name == "argument":
            _plain_argument(param)
        elif not (getattr(param, "is_flag", False) or getattr(param, "count", False)):
            if param.metavar is None:
                param.metavar = placeholder(param.name or "", _annotation(param))
            if param.metavar in LISTS and param.metavar not in listed:
                listed.append(param.metavar)
    if for_help and listed:
        command.epilog = "\n\n".join(_names_line(word) for word in listed)
    for sub in getattr(command, "commands", {}).values():
        polish(sub, for_help=for_help)


def _annotation(param: Any) -> object:
    # Typer 0.2x keeps the Python type on the parameter; earlier ones, on click's type.
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is not None:
        return descriptor.annotation
    return {"integer": int, "float": float}.get(getattr(param.type, "name", ""), str)


_plain_classes: dict[type[object], type[object]] = {}


def _plain_argument(param: Any) -> None:
    if param.metavar is None:
        param.metavar = (param.name or "").upper()
    cls = cast("type[object]", type(param))
    if not hasattr(cls, "display_type_rich"):  # click's own help shows no type
        return
    plain = _plain_classes.get(cls)
    if plain is None:
        plain = type(
            cls.__name__, (cls,), {"display_type_rich": _no_type, "get_usage_pieces": _usage}
        )
        _plain_classes[cls] = plain
    param.__class__ = plain


def _no_type(self: Any, ctx: Any) -> None:
    return None


def _usage(self: Any, ctx: Any) -> list[str]:
    # click's classic form: REQUIRED, [OPTIONAL], MANY...
    name = self.metavar if self.required else f"[{self.metavar}]"
    return [name + ("..." if self.nargs != 1 else "")]


def _names_line(word: str) -> str:
    module, _, attribute = LISTS[word].partition(":")
    names: list[str] = getattr(importlib.import_module(module), attribute).names()
    return f"{word} is one of: {', '.join(names)}."
