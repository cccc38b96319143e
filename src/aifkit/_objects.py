"""Formats whose bodies are a framework's objects, not JSON: a list of LangChain messages.

`aifkit.pack` and `aifkit.convert` hand such a body to the integration module that
reads it (imported only then, see `aifkit.integrations`), and refuse one given under
a JSON format's name with a hint naming the right one, instead of failing on the
first object as "not a valid JSON value".
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from types import ModuleType
from typing import Any, cast

from aifkit.errors import InvalidInputError

__all__ = ["OBJECT_FORMATS", "check_not_objects", "integration"]

OBJECT_FORMATS: dict[str, str] = {"langchain": "aifkit.integrations.langchain"}
"""Format name -> the integration module that packs and converts its bodies."""

_PACKAGES = {"langchain_core.messages": "langchain"}
"""Where a format's objects are defined -> the format."""


def integration(format: str) -> ModuleType | None:
    """The integration module for an object format, imported now; None for a JSON format."""
    module = OBJECT_FORMATS.get(format)
    return None if module is None else importlib.import_module(module)


def check_not_objects(body: Any, format: str) -> None:
    """Refuse a list of framework objects given as a ``format`` body, naming the right format.

    Only the first element's class is looked at: nothing is imported.

    Examples:
        >>> check_not_objects([{"role": "user", "content": "hi"}], "openai-chat")
    """
    items = cast("Sequence[object]", body) if isinstance(body, list | tuple) else ()
    first = items[0] if items else None
    module = type(first).__module__
    for package, name in _PACKAGES.items():
        if module == package or module.startswith(package + "."):
            raise InvalidInputError(
                "/0",
                f"a list of {type(first).__name__} objects is not a {format} body",
                hint=f'pass format="{name}" (source/target "{name}" to convert)',
                # Framework objects only reach aifkit from Python; the CLI reads JSON.
                cli_hint="the command line reads JSON bodies: pass the conversation as JSON",
            )
