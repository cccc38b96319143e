"""Loss reports: what a conversion dropped, transformed or synthesized, and where.

Converters speak of AIF locations (``("messages", 3, "parts", 1)``); `SourceMap`
translates them back to JSON pointers into the body the user gave, so every
entry of a report points into the source: at the value that was lost, or, for
what the source never held (a value synthesized for the target, a setting the
caller named), at the nearest element of the source it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, cast

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


_UNKNOWN: Final[Any] = object()
_ABSENT: Final[Any] = object()


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

    def resolve(self, source_map: SourceMap | None, source: Any = _UNKNOWN) -> list[LossEntry]:
        """Turn the recorded paths into JSON pointers, through ``source_map`` when given.

        With the ``source`` body, each pointer is one that resolves in it (see
        `SourceMap.locate`); recorded source paths (a decoder's) are cut to the
        part of them the body holds. Losses of values the decoder made up
        (`SourceMap.invented`) are left out: the source never had them.
        """
        out: list[LossEntry] = []
        append = out.append
        locator = None if source is _UNKNOWN else (source_map or SourceMap())
        invented = source_map is not None and bool(source_map.invented)
        for r in self.raw:
            path = r.path
            if invented and cast("SourceMap", source_map).made_up(path):
                continue
            if locator is not None:
                path = locator.locate(path, source)
            elif source_map is not None:
                path = source_map.translate(path)
            append(_entry(format_pointer(path), r.action, r.rule, r.severity, r.detail))
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
    fields: dict[str, tuple[Path, ...]] = field(default_factory=dict[str, tuple[Path, ...]])
    """AIF field names the source spells otherwise, each with the source paths
    (relative to the element) to try in order, e.g. ``{"id": (("call_id",),)}``."""
    invented: set[Path] = field(default_factory=set[Path])
    """AIF paths of values the decoder made up (an id the source did not give):
    what a target loses of them, the source never had, so it is not reported."""

    def add(self, aif_path: Path, source_path: Path) -> None:
        """Record that the AIF element at ``aif_path`` came from ``source_path``."""
        self.entries[aif_path] = source_path

    def invent(self, aif_path: Path) -> None:
        """Record that the value at ``aif_path`` is not in the source (see `invented`)."""
        self.invented.add(aif_path)

    def made_up(self, path: Path) -> bool:
        """Whether ``path`` is, or lies inside, a value the decoder made up."""
        invented = self.invented
        return bool(invented) and any(path[:cut] in invented for cut in range(1, len(path) + 1))

    def translate(self, path: Path) -> Path:
        """Return the source path for an AIF path (the path itself when nothing maps it)."""
        for cut in range(len(path), 0, -1):
            hit = self.entries.get(path[:cut])
            if hit is not None:
                return hit + path[cut:]
        return path

    def locate(self, path: Path, source: Any) -> Path:
        """Return the source path for an AIF path, as far as ``source`` holds it.

        The path is translated (`translate`); then its steps are followed in
        ``source``: a step the source does not hold goes to its spelling in
        `fields` (from the nearest element passed that holds it: Bedrock's
        ``source/media_type`` is the block's ``format``), an
        ``extensions/FORMAT/extra/KEY`` step to the ``KEY`` the source had, and the
        walk stops at the first step the source does not hold, so the result is the
        deepest element of the source the loss concerns (the root for a value the
        source never had anywhere).

        Examples:
            >>> sm = SourceMap(fields={"detail": (("image_url", "detail"),)})
            >>> sm.add(("messages", 0, "parts", 0), ("messages", 0, "content", 0))
            >>> body = {"messages": [{"content": [
            ...     {"type": "image_url", "image_url": {"url": "u", "detail": "low"}, "k": 1}]}]}
            >>> sm.locate(("messages", 0, "parts", 0, "detail"), body)
            ('messages', 0, 'content', 0, 'image_url', 'detail')
            >>> sm.locate(("messages", 0, "parts", 0, "extensions", "x", "extra", "k"), body)
            ('messages', 0, 'content', 0, 'k')
            >>> sm.locate(("messages", 0, "parts", 0, "cache"), body)  # never had one
            ('messages', 0, 'content', 0)
            >>> sm.locate(("settings", "max_tokens"), body)
            ()
        """
        mapped = self.translate(path)
        node: Any = source
        for step in mapped:  # the common case, the source holds every step: `_child` inlined
            if type(step) is str:
                if type(node) is not dict:
                    break
                node = cast("dict[str, Any]", node).get(step, _ABSENT)
                if node is _ABSENT:
                    break
            elif type(step) is int and type(node) is list and 0 <= step < len(cast("list[Any]", node)):  # fmt: skip
                node = cast("list[Any]", node)[step]
            else:
                break
        else:
            return tuple(mapped)
        node = source
        out: list[str | int] = []
        seen: list[tuple[int, Any]] = []  # (len(out), node) of each element passed
        i, n = 0, len(mapped)
        while i < n:
            step = mapped[i]
            if (
                i + 2 < n
                and step == "extensions"
                and mapped[i + 2] == "extra"
                and _walk(node, mapped[i : i + 3]) is _ABSENT
            ):
                i += 3  # a key kept as extra sits on the element itself in the source
                continue
            seen.append((len(out), node))
            child = _child(node, step)
            if child is not _ABSENT:
                out.append(step)
                node = child
            else:  # a field the source spells (or nests) otherwise, or never had
                hit = self._spelling(str(step), seen)
                if hit is None:
                    break
                cut, rel, node = hit
                del out[cut:]
                out += rel
            i += 1
        return tuple(out)

    def _spelling(self, step: str, seen: list[tuple[int, Any]]) -> tuple[int, Path, Any] | None:
        """Where `fields` spells ``step``: from the nearest element passed that holds it."""
        spellings = self.fields.get(step, ())
        for cut, node in reversed(seen):
            for rel in spellings:
                found = _walk(node, rel)
                if found is not _ABSENT:
                    return cut, rel, found
        return None


_SetSlot = Callable[[LossEntry, object], None]
_new: Final = object.__new__
_set_pointer: Final = cast("_SetSlot", vars(LossEntry)["pointer"].__set__)
_set_action: Final = cast("_SetSlot", vars(LossEntry)["action"].__set__)
_set_rule: Final = cast("_SetSlot", vars(LossEntry)["rule"].__set__)
_set_severity: Final = cast("_SetSlot", vars(LossEntry)["severity"].__set__)
_set_detail: Final = cast("_SetSlot", vars(LossEntry)["detail"].__set__)


def _entry(pointer: str, action: Action, rule: str, severity: Severity, detail: str) -> LossEntry:
    """``LossEntry(...)`` without the frozen ``__init__``'s five ``object.__setattr__`` calls.

    A report can hold an entry per message (every merged turn), so this is about
    half the cost of building it; the slots are set exactly as ``__init__`` would.
    """
    entry = _new(LossEntry)
    _set_pointer(entry, pointer)
    _set_action(entry, action)
    _set_rule(entry, rule)
    _set_severity(entry, severity)
    _set_detail(entry, detail)
    return entry


def _child(node: Any, step: str | int) -> Any:
    """``node[step]`` in JSON terms, or `_ABSENT`."""
    if type(step) is str:
        return cast("dict[str, Any]", node).get(step, _ABSENT) if type(node) is dict else _ABSENT
    if type(step) is int and type(node) is list and 0 <= step < len(cast("list[Any]", node)):
        return cast("list[Any]", node)[step]
    return _ABSENT


def _walk(node: Any, rel: Path) -> Any:
    for step in rel:
        node = _child(node, step)
        if node is _ABSENT:
            break
    return node
