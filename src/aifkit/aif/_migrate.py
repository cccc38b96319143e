"""Upgrades of older AIF documents, one registered step per version.

Each step takes the JSON of a document at one version and returns it at the next;
`upgrade` chains the steps until the document is at the current major version.
Steps never lose data: a field the new version has no place for moves into
``extensions["aif-<old version>"]["extra"]``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from aifkit.aif._schema import AIF_VERSION
from aifkit.errors import InvalidInputError, UnsupportedVersionError

__all__ = ["Upgrader", "parse_version", "register_upgrader", "upgrade", "upgraders"]

Upgrader = Callable[[dict[str, Any]], dict[str, Any]]

_STEPS: dict[tuple[int, int], tuple[tuple[int, int], Upgrader]] = {}


def parse_version(text: object) -> tuple[int, int, int]:
    """Parse a semver ``aif_version`` (``"1.0"`` means ``"1.0.0"``).

    Examples:
        >>> parse_version("1.2.3"), parse_version("0.9")
        ((1, 2, 3), (0, 9, 0))
    """
    if not isinstance(text, str):
        raise InvalidInputError("/aif_version", f"expected a version string, got {text!r}")
    parts = text.split(".")
    if not 2 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise InvalidInputError(
            "/aif_version", f"{text!r} is not a version", hint="write it as MAJOR.MINOR.PATCH"
        )
    major, minor, *rest = (int(p) for p in parts)
    return major, minor, rest[0] if rest else 0


def register_upgrader(
    from_version: tuple[int, int], to_version: tuple[int, int]
) -> Callable[[Upgrader], Upgrader]:
    """Register a step that upgrades documents at ``from_version`` (major, minor)."""

    def deco(fn: Upgrader) -> Upgrader:
        if from_version in _STEPS:
            raise ValueError(f"an upgrader from {from_version} is already registered")
        _STEPS[from_version] = (to_version, fn)
        return fn

    return deco


def upgraders() -> dict[tuple[int, int], tuple[int, int]]:
    """Return the registered steps as ``{from: to}``."""
    return {k: v[0] for k, v in _STEPS.items()}


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a document's JSON up to the current major version.

    Documents of the current major version, including newer minor versions, are
    returned as they are.

    Raises:
        UnsupportedVersionError: the document is from a newer major version.
        InvalidInputError: no upgrade path exists from its version.
    """
    current = parse_version(AIF_VERSION)
    version = parse_version(data.get("aif_version", AIF_VERSION))
    if version[0] < current[0]:
        importlib.import_module("aifkit.aif._upgrades")  # registers the built-in steps

    if version[0] > current[0]:
        raise UnsupportedVersionError(
            "/aif_version",
            f"AIF {data['aif_version']} is newer than this aifkit reads (AIF {AIF_VERSION})",
            hint="upgrade aifkit: pip install -U aifkit",
        )
    while version[0] < current[0]:
        step = _STEPS.get(version[:2])
        if step is None:
            raise InvalidInputError(
                "/aif_version",
                f"no upgrade path from AIF {data.get('aif_version')}",
                hint=f"known upgrades start at: {sorted(_STEPS) or 'none'}",
            )
        target, fn = step
        data = fn(dict(data))
        data["aif_version"] = f"{target[0]}.{target[1]}.0"
        version = (*target, 0)
    return data
