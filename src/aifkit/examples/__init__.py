"""Example request bodies shipped with aifkit (used by ``aif demo`` and the docs)."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

__all__ = ["example", "examples"]


def examples() -> list[tuple[str, str]]:
    """Return ``(format, name)`` for every bundled example, sorted.

    Examples:
        >>> ("openai-chat", "weather-agent") in examples()
        True
    """
    out: list[tuple[str, str]] = []
    for entry in files(__name__).iterdir():
        if entry.name.endswith(".json"):
            fmt, _, name = entry.name.removesuffix(".json").partition("__")
            out.append((fmt, name))
    return sorted(out)


def example(format: str, name: str) -> Any:
    """Return a bundled example body (parsed JSON)."""
    return json.loads(files(__name__).joinpath(f"{format}__{name}.json").read_text("utf-8"))
