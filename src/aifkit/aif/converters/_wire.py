"""Small helpers shared by the converters.

`RuleLog` logs losses from a format's rule table (``{rule: (action, severity,
message)}``); `ext` returns a format's own ``form`` and ``extra`` of an element
and reports every other format's ``extra`` as dropped (`own_hints` only returns
them); `sniff_image` guesses an image's media type from its first base64
characters; `b64_ok` checks raw base64. The strict readers that raise with a
pointer (`expect_*`, `required`, `read_int`, `read_number`) are in ``_common``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, cast

from aifkit.aif._loss import Action, LossLog, Path, Severity
from aifkit.aif._schema import (
    AudioPart,
    Document,
    DocumentPart,
    Extensions,
    ImagePart,
    Message,
    Part,
    ProviderPart,
    ReasoningPart,
    RefusalPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from aifkit.aif.converters._common import report_foreign_extensions

__all__ = [
    "CHAT_FIELDS",
    "EMPTY",
    "MEDIA_TYPES",
    "MISSING",
    "NO_HINTS",
    "AgentTurns",
    "RuleLog",
    "RuleTable",
    "b64_ok",
    "call_ids",
    "ext",
    "hint_keys",
    "make_ext",
    "merge_ns",
    "own_hints",
    "part_type",
    "quiet_for",
    "sniff_image",
    "sub_hint",
    "unknown_keys",
]

RuleTable = Mapping[str, tuple[Action, Severity, str]]
"""A format's rules: rule id (after ``<format>/``) -> action, severity, message."""

EMPTY: Final[Mapping[str, Any]] = {}
MISSING: Final[Any] = object()
"""Marks a key that is absent (``dict.get(key, MISSING)``)."""
NO_HINTS: Final[tuple[Mapping[str, Any], Mapping[str, Any]]] = (EMPTY, EMPTY)
"""The ``(form, extra)`` of an element with no extensions: most elements, which an
encoder's hot path skips `ext` for (``ext(...) if element.extensions else NO_HINTS``)."""

MEDIA_TYPES: Final = frozenset({ImagePart, DocumentPart, AudioPart})
"""The part classes whose content is a `Source` (``part_type(p) in MEDIA_TYPES``)."""
_PART_TYPES: Final = MEDIA_TYPES | {
    TextPart,
    ToolCallPart,
    ToolResultPart,
    ReasoningPart,
    RefusalPart,
    ProviderPart,
}


def part_type(part: Part) -> type[Part]:
    """Return the AIF class of ``part``, to dispatch on with ``is`` (``isinstance`` is slower).

    An encoder asks each part what it is several times; ``isinstance`` on a pydantic
    model that is not of the class costs as much as writing a small block. A
    subclass of a part class answers with the AIF class it derives from.

    Examples:
        >>> part_type(TextPart(text="hi")) is TextPart
        True
    """
    kind = part.__class__
    if kind in _PART_TYPES:
        return kind
    return next(c for c in kind.__mro__ if c in _PART_TYPES)


def call_ids(document: Document) -> set[str]:
    """Every tool call id and result call id in ``document``'s messages.

    The id mappers reserve them, so that an id made up for one never takes another's.

    Examples:
        >>> from aifkit.aif import Message, ToolCallPart, ToolResultPart
        >>> doc = Document(messages=(
        ...     Message(role="assistant", parts=(ToolCallPart(id="a", name="f"),)),
        ...     Message(role="tool", parts=(ToolResultPart(call_id="b"),))))
        >>> sorted(call_ids(doc))
        ['a', 'b']
    """
    ids: set[str] = set()
    for m in document.messages:
        for p in m.parts:
            kind = part_type(p)
            if kind is ToolCallPart:
                ids.add(cast("ToolCallPart", p).id)
            elif kind is ToolResultPart:
                ids.add(cast("ToolResultPart", p).call_id)
    return ids


CHAT_FIELDS: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "call_id": (("tool_call_id",),),
    "detail": (("image_url", "detail"),),
    "name": (("function", "name"),),
    "arguments": (("function", "arguments"),),
    "description": (("function", "description"),),
    "parameters": (("function", "parameters"),),
    "strict": (("function", "strict"),),
}
"""How the chat-completions family (OpenAI Chat, Mistral, Cohere, Ollama) spells AIF
fields of tool calls, results, tools and images (`SourceMap.fields`)."""

_SNIFF: Final = (
    ("iVBORw0KGgo", "image/png"),
    ("/9j/", "image/jpeg"),
    ("R0lGOD", "image/gif"),
    ("UklGR", "image/webp"),
)


class RuleLog:
    """Records losses under one format's rule table.

    Examples:
        >>> log = RuleLog("demo", {"no-audio": ("dropped", "error", "no audio in {}")})
        >>> log.log(("messages", 0, "parts", 1), "no-audio", "demo")
        >>> [(e.pointer, e.rule, e.detail) for e in log.losses.resolve(None)]
        [('/messages/0/parts/1', 'demo/no-audio', 'no audio in demo')]
    """

    def __init__(
        self,
        name: str,
        rules: RuleTable,
        losses: LossLog | None = None,
        unfilled: Callable[[str], str] | None = None,
    ) -> None:
        self.name = name
        self.rules = rules
        self.losses = LossLog() if losses is None else losses
        self.unfilled = unfilled
        """What a message logged without ``args`` becomes (default: ``str.format()``)."""

    def log(
        self,
        path: Path,
        rule: str,
        *args: object,
        action: Action | None = None,
        severity: Severity | None = None,
    ) -> None:
        """Record one loss at AIF ``path`` under ``rule``."""
        default_action, default_severity, message = self.rules[rule]
        self.losses.add(
            path,
            action or default_action,
            f"{self.name}/{rule}",
            severity or default_severity,
            message.format(*args) if args or self.unfilled is None else self.unfilled(message),
        )

    def log_merged(self, merged: Sequence[tuple[int, str]]) -> None:
        """Log ``alternating-roles`` at each ``(index, role)`` message merged into a turn.

        The same as `log` per message, with the rule looked up and each role's
        detail written once: an agent loop merges every third message or so.

        Examples:
            >>> log = RuleLog("demo", {"alternating-roles": ("transformed", "info", "into {}")})
            >>> log.log_merged([(2, "tool"), (4, "tool")])
            >>> [(e.pointer, e.detail) for e in log.losses.resolve(None)]
            [('/messages/2', 'into tool'), ('/messages/4', 'into tool')]
        """
        action, severity, message = self.rules["alternating-roles"]
        rule, add = f"{self.name}/alternating-roles", self.losses.add
        details: dict[str, str] = {}
        for i, role in merged:
            detail = details.get(role)
            if detail is None:
                detail = details[role] = message.format(role)
            add(("messages", i), action, rule, severity, detail)

    def ext(
        self, extensions: Extensions, path: Path
    ) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        """Return this format's ``(form, extra)`` of an element; report others' extra."""
        return ext(extensions, self.name, path, self.losses)


def ext(
    extensions: Extensions, name: str, path: Path, losses: LossLog
) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """Return format ``name``'s ``(form, extra)`` of an element; report others' extra."""
    if not extensions:
        return EMPTY, EMPTY
    own = extensions.get(name)
    if len(extensions) > (own is not None):
        report_foreign_extensions(extensions, name, path, losses)
    return own_hints(extensions, name)


def quiet_for(extensions: Extensions, name: str) -> bool:
    """Whether ``extensions`` hold only ``form`` hints of formats other than ``name``.

    Such extensions (e.g. openai-chat's exact arguments text on every tool call)
    give format ``name`` nothing to write and `report_foreign_extensions` nothing
    to report, so an encoder's fast path can skip `ext` for them.

    Examples:
        >>> quiet_for({"openai-chat": {"form": {"arguments": "{}"}}}, "gemini")
        True
        >>> quiet_for({"gemini": {"form": {}}}, "gemini"), quiet_for({"x": {"extra": {}}}, "gemini")
        (False, False)
    """
    for ns, data in extensions.items():
        if ns == name or "extra" in data or (data and "form" not in data):
            return False
    return True


class AgentTurns:
    """The walk of an encoder's one-pass path for conversations as agents send them.

    User, assistant and tool messages (tool ones join user turns) become turns of
    consecutive messages of a role, each a wire message ``{"role": ..., "content":
    blocks}``. A subclass writes a message's parts into `blocks` (`assistant`,
    `user`), starts its bookkeeping of a turn (`start_user`, `start_assistant`) and
    says whether a user turn answered every call of the turn before (`answered`).
    Any other conversation (a system message, a name, format ``name``'s hints or
    other formats' extra, an empty message, the assistant first, a call without
    its result, a part the subclass refuses) makes `write` return None, and the
    encoder's general path writes it.
    """

    name = ""
    """The format, whose own extensions need its general path."""

    def __init__(self) -> None:
        self.out: list[dict[str, Any]] = []
        self.merged: list[tuple[int, str]] = []  # (index, role) of messages merged into a turn
        self.role = ""  # of the current turn
        self.blocks: list[dict[str, Any]] = []  # its content
        self.others = False  # this user turn has a block that is not a tool result

    def write(
        self, messages: Sequence[Message]
    ) -> tuple[list[dict[str, Any]], list[tuple[int, str]]] | None:
        """The wire messages and the ``(index, role)`` of each merged message (to log)."""
        merged, assistant, user, name = self.merged, self.assistant, self.user, self.name
        for i, m in enumerate(messages):
            ext = m.extensions
            if m.name is not None or (ext and not quiet_for(ext, name)) or not m.parts:
                return None
            role = m.role
            if role == "tool":
                role = "user"
            elif role != "user" and role != "assistant":
                return None  # system text moves to the top-level system
            if role == self.role:
                merged.append((i, role))
            else:  # a new turn
                if role == "user":
                    self.others = False
                    self.start_user()
                elif not self.role or not self.answered():
                    return None  # the user must speak first; every call needs a result
                else:
                    self.start_assistant()
                self.role = role
                self.blocks = []
                self.out.append({"role": role, "content": self.blocks})
            if not (assistant(m.parts) if role == "assistant" else user(m.parts)):
                return None
        if self.role == "assistant":  # no user turn answers its calls
            self.start_user()
        return (self.out, self.merged) if self.answered() else None

    def start_user(self) -> None:
        """Start a user turn."""

    def start_assistant(self) -> None:
        """Start an assistant turn (the user turn before it `answered`)."""

    def answered(self) -> bool:
        """End a user turn: whether it answered each call of the turn before."""
        return True

    def assistant(self, parts: Sequence[Part]) -> bool:
        """Write an assistant message's parts; False for one the fast path does not take."""
        del parts
        return False

    def user(self, parts: Sequence[Part]) -> bool:
        """Write a user or tool message's parts; False for one the fast path does not take."""
        del parts
        return False


def own_hints(extensions: Extensions, name: str) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """Return format ``name``'s ``(form, extra)`` of an element, reporting nothing.

    Examples:
        >>> own_hints({"x": {"form": {"a": 1}}, "y": {"extra": {"b": 2}}}, "x")
        ({'a': 1}, {})
    """
    own = extensions.get(name)
    if not own:
        return EMPTY, EMPTY
    form = own.get("form")
    extra = own.get("extra")
    return (
        cast("Mapping[str, Any]", form) if isinstance(form, dict) else EMPTY,
        cast("Mapping[str, Any]", extra) if isinstance(extra, dict) else EMPTY,
    )


def hint_keys(form: Mapping[str, Any], hint: str) -> list[str]:
    """The names a list ``hint`` holds (``null``: keys written as null; ``int``: numbers
    written as integers); none when the hint is malformed.

    Form hints come from an AIF document, so they may be any JSON; a hint of the
    wrong shape is presentation lost, not an error.

    Examples:
        >>> hint_keys({"null": ["a", 1, ["b"]]}, "null"), hint_keys({"int": True}, "int")
        (['a'], [])
    """
    names = form.get(hint)
    if not isinstance(names, list):
        return []
    return [name for name in cast("list[Any]", names) if isinstance(name, str)]


def sub_hint(hints: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """The object under ``key`` of a ``form`` or ``extra`` hint (empty when absent or malformed).

    Examples:
        >>> sub_hint({"item": {"type": "message"}}, "item"), sub_hint({"item": "x"}, "item")
        ({'type': 'message'}, {})
    """
    value = hints.get(key)
    return cast("Mapping[str, Any]", value) if isinstance(value, dict) else EMPTY


def make_ext(
    name: str, form: Mapping[str, Any] | None, extra: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Return ``{name: {"form": ..., "extra": ...}}`` without empty members (``{}`` if none).

    Examples:
        >>> make_ext("x", {"a": 1}, None)
        {'x': {'form': {'a': 1}}}
        >>> make_ext("x", {}, {})
        {}
    """
    ns: dict[str, Any] = {}
    if form:
        ns["form"] = dict(form)
    if extra:
        ns["extra"] = dict(extra)
    return {name: ns} if ns else {}


def merge_ns(name: str, element: dict[str, Any], key: str, value: Mapping[str, Any]) -> None:
    """Add ``value`` to ``extensions[name][key]`` on an element being built.

    Examples:
        >>> part = {"type": "text"}
        >>> merge_ns("x", part, "form", {"a": 1}); merge_ns("x", part, "form", {"b": 2})
        >>> part["extensions"]
        {'x': {'form': {'a': 1, 'b': 2}}}
    """
    ns = element.setdefault("extensions", {}).setdefault(name, {})
    ns[key] = {**ns.get(key, {}), **value}


def unknown_keys(obj: Mapping[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """Return the entries of ``obj`` whose keys are not in ``known``.

    Examples:
        >>> unknown_keys({"a": 1, "b": 2}, frozenset({"a"}))
        {'b': 2}
    """
    if obj.keys() <= known:
        return {}
    return {k: v for k, v in obj.items() if k not in known}


def sniff_image(data: str) -> str | None:
    """Guess an image's media type from the start of its base64 data.

    Examples:
        >>> sniff_image("iVBORw0KGgoAAAA"), sniff_image("AAAA")
        ('image/png', None)
    """
    for prefix, media_type in _SNIFF:
        if data.startswith(prefix):
            return media_type
    return None


def b64_ok(data: str) -> bool:
    """True when ``data`` is raw (not ``data:``) standard base64.

    Examples:
        >>> b64_ok("iVBORw0KGgo="), b64_ok("data:image/png;base64,iVBORw0KGgo="), b64_ok("")
        (True, False, False)
    """
    if not data:
        return False
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True
