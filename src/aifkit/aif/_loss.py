"""Loss reports: what a conversion dropped, transformed or synthesized, and where.

Converters speak of AIF locations (``("messages", 3, "parts", 1)``); `SourceMap`
translates them back to JSON pointers into the body the user gave, so every
entry of a report points into the source.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aifkit._json import format_pointer

__all__ = ["Action", "LossEntry", "LossLog", "LossReport", "Path", "Severity", "SourceMap"]

Action = Literal["dropped", "transformed", "synthesized"]
Severity = Literal["info", "warning", "error"]
Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class LossEntry:
    """One thing a conversion could not carry as it was.

    Attributes:
        pointer: JSON pointer into the source body.
        action: ``dropped`` (gone), ``transformed`` (carried in another shape) or
            ``synthesized`` (added to satisfy the target's rules).
        rule: The rule that forced it, e.g. ``anthropic/alternating-roles``.
        severity: ``info`` (no meaning lost), ``warning`` (meaning may change) or
            ``error`` (content lost).
        detail: A sentence for people.
    """

    pointer: str
    action: Action
    rule: str
    severity: Severity
    detail: str = ""

    def to_json(self) -> dict[str, str]:
        """Return the entry as a JSON object."""
        return {
            "pointer": self.pointer,
            "action": self.action,
            "rule": self.rule,
            "severity": self.severity,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class LossReport:
    """Everything one conversion could not carry as it was.

    Attributes:
        source: The format converted from.
        target: The format converted to.
        entries: One entry per loss, in source order of discovery.
    """

    source: str
    target: str
    entries: tuple[LossEntry, ...] = ()

    @property
    def dropped(self) -> tuple[LossEntry, ...]:
        """The entries whose data did not reach the target at all."""
        return tuple(e for e in self.entries if e.action == "dropped")

    @property
    def lossless(self) -> bool:
        """True when nothing was dropped, transformed or synthesized."""
        return not self.entries

    def __iter__(self) -> Iterator[LossEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON: ``{"source", "target", "lossless", "entries": [...]}``."""
        return {
            "source": self.source,
            "target": self.target,
            "lossless": self.lossless,
            "entries": [e.to_json() for e in self.entries],
        }


@dataclass(slots=True)
class _Raw:
    path: Path
    action: Action
    rule: str
    severity: Severity
    detail: str


@dataclass(slots=True)
class LossLog:
    """Collects losses during one decode or encode, against AIF or source paths."""

    raw: list[_Raw] = field(default_factory=list[_Raw])

    def add(
        self,
        path: Sequence[str | int],
        action: Action,
        rule: str,
        severity: Severity,
        detail: str = "",
    ) -> None:
        """Record one loss at ``path``."""
        self.raw.append(_Raw(tuple(path), action, rule, severity, detail))

    def __bool__(self) -> bool:
        return bool(self.raw)

    def resolve(self, source_map: SourceMap | None) -> list[LossEntry]:
        """Turn the recorded paths into JSON pointers, through ``source_map`` when given."""
        out: list[LossEntry] = []
        for r in self.raw:
            path = source_map.translate(r.path) if source_map is not None else r.path
            out.append(LossEntry(format_pointer(path), r.action, r.rule, r.severity, r.detail))
        return out


@dataclass(slots=True)
class SourceMap:
    """Maps AIF paths to the source-body paths they were read from.

    Decoders record one entry per element they create (a message, a part, a tool,
    an extra field); a lookup uses the longest recorded prefix and keeps the rest
    of the path as is.

    Examples:
        >>> sm = SourceMap()
        >>> sm.add(("messages", 2), ("messages", 1))
        >>> sm.translate(("messages", 2, "parts", 0))
        ('messages', 1, 'parts', 0)
    """

    entries: dict[Path, Path] = field(default_factory=dict[Path, Path])

    def add(self, aif_path: Path, source_path: Path) -> None:
        """Record that the AIF element at ``aif_path`` came from ``source_path``."""
        self.entries[aif_path] = source_path

    def translate(self, path: Path) -> Path:
        """Return the source path for an AIF path (the path itself when nothing maps it)."""
        for cut in range(len(path), 0, -1):
            hit = self.entries.get(path[:cut])
            if hit is not None:
                return hit + path[cut:]
        return path
