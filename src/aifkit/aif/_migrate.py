"""Upgrades of older AIF documents, one registered step per version.

Each step takes the JSON of a document at one ``(major, minor)`` version and
returns it at the next; `upgrade` chains the steps until the document is at the
current version, so every released minor version has a step, even one that only
adds fields (its step changes nothing but the version). Steps never lose data: a
field the new version has no place for moves into
``extensions["aif-<old version>"]["extra"]``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from aifkit.aif._schema import AIF_VERSION
from aifkit.errors import InvalidInputError, UnsupportedVersionError

__all__ = [
    "Upgrader",
    "parse_version",
    "readable_version",
    "register_upgrader",
    "upgrade",
    "upgraders",
]

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


def readable_version(data: dict[str, Any]) -> tuple[int, int, int]:
    """Return the ``aif_version`` of an AIF document or response, if this aifkit reads it.

    A missing version means the current one.

    Raises:
        UnsupportedVersionError: it is from a newer major version.
        InvalidInputError: the version is not ``MAJOR.MINOR[.PATCH]``.

    Examples:
        >>> readable_version({"aif_version": "1.7"}), readable_version({})[0]
        ((1, 7, 0), 1)
    """
    declared = data.get("aif_version", AIF_VERSION)
    version = parse_version(declared)
    if version[0] > parse_version(AIF_VERSION)[0]:
        raise UnsupportedVersionError(
            "/aif_version",
            f"AIF {declared} is newer than this aifkit reads (AIF {AIF_VERSION})",
            hint="upgrade aifkit: pip install -U aifkit",
        )
    return version


def register_upgrader(
    from_version: tuple[int, int], to_version: tuple[int, int]
) -> Callable[[Upgrader], Upgrader]:
    """Register a step that upgrades documents at ``from_version`` (major, minor).

    The step receives a copy of the document's JSON and returns it at
    ``to_version``; `upgrade` writes the new ``aif_version``.

    Raises:
        ValueError: a step from ``from_version`` is already registered, or
            ``to_version`` is not later than ``from_version``.
    """
    if to_version <= from_version:
        raise ValueError(f"an upgrader must move forward: {from_version} -> {to_version}")

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
    """Bring a document's JSON up to the current version, one registered step at a time.

    Documents of the current minor version, and of newer minor versions of the
    current major (which may carry fields this version does not know), are returned
    as they are. Older ones leave at ``AIF_VERSION``'s major and minor.

    Raises:
        UnsupportedVersionError: the document is from a newer major version.
        InvalidInputError: no upgrade path exists from its version.

    Examples:
        >>> upgrade({"aif_version": "1.0.0", "messages": []})
        {'aif_version': '1.1.0', 'messages': []}
        >>> upgrade({"aif_version": "1.4.2", "messages": []})
        {'aif_version': '1.4.2', 'messages': []}
    """
    current = parse_version(AIF_VERSION)
    declared = data.get("aif_version", AIF_VERSION)
    version = readable_version(data)
    if version[:2] >= current[:2]:
        return data
    importlib.import_module("aifkit.aif._upgrades")  # registers the built-in steps
    while version[:2] < current[:2]:
        step = _STEPS.get(version[:2])
        if step is None:
            raise InvalidInputError(
                "/aif_version",
                f"no upgrade path from AIF {declared}",
                hint=f"known upgrades start at: {sorted(_STEPS) or 'none'}",
            )
        target, fn = step
        data = fn(dict(data))
        data["aif_version"] = f"{target[0]}.{target[1]}.0"
        version = (*target, 0)
    return data
