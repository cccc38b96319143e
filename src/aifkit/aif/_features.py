"""The features an AIF document can use, and which of them a document uses.

Each converter declares, feature by feature, whether its format carries it
(`Capabilities`). The conversion matrix test checks the declarations against
what the converters do, and the docs' capability table is generated from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from aifkit.aif._loss import Path
from aifkit.aif._schema import (
    AudioPart,
    Document,
    DocumentPart,
    ImagePart,
    Part,
    ProviderPart,
    ReasoningPart,
    RefusalPart,
    ToolCallPart,
    ToolResultPart,
)

__all__ = ["FEATURES", "Capabilities", "Support", "capability_table", "document_features"]

Support = Literal["yes", "partial", "no"]

FEATURES: Final[dict[str, str]] = {
    # feature: what it means (one line, shown in the docs' capability table)
    "instructions": "a system prompt",
    "instructions.developer": "developer instructions, distinct from system ones",
    "message.name": "a participant name on a message",
    "text": "text parts",
    "image.url": "an image given by URL",
    "image.base64": "an image given inline as base64",
    "image.file": "an image given by a provider file id",
    "image.detail": "an image's detail setting (low/high/auto)",
    "document.base64": "a document (PDF, ...) given inline as base64",
    "document.url": "a document given by URL",
    "document.file": "a document given by a provider file id",
    "document.text": "a plain-text document",
    "audio": "audio input",
    "tool_call": "tool (function) calls",
    "tool_call.parallel": "several tool calls in one assistant turn",
    "tool_call.id": "caller-chosen tool call ids, kept as they were",
    "tool_result": "tool results",
    "tool_result.error": "a tool result flagged as an error",
    "tool_result.media": "images or documents inside a tool result",
    "reasoning.text": "reasoning text (thinking, summaries)",
    "reasoning.signed": "signed reasoning that can be replayed (signature)",
    "reasoning.redacted": "encrypted or redacted reasoning",
    "refusal": "a refusal part",
    "cache": "prompt-cache breakpoints",
    "tools": "tool definitions",
    "tools.strict": "strict tool schemas",
    "tool_choice": "forcing or forbidding tool use",
    "settings.max_tokens": "max_tokens",
    "settings.temperature": "temperature",
    "settings.top_p": "top_p",
    "settings.top_k": "top_k",
    "settings.stop": "stop sequences",
    "settings.seed": "seed",
    "settings.reasoning": "reasoning effort or budget (thinking)",
    "provider_part": "another format's provider-only blocks",
    "extensions": "another format's fields AIF has no place for",
}  # fmt: skip

STRUCTURE: Final = "structure"
"""The feature of a rule about shape alone (alternating turns, a required field)."""


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a wire format carries, feature by feature.

    Attributes:
        carries: Support for each feature of `FEATURES` (absent means ``"no"``):
            ``"yes"`` (always carried as it is), ``"partial"`` (carried with
            limits, see `notes`), ``"no"``.
        rules: Every loss rule the encoder can log (without the ``<format>/``
            prefix) and the feature it concerns, or ``"structure"`` for rules
            about shape alone.
        notes: A short note per feature for the docs (``"base64 only"``).
    """

    carries: Mapping[str, Support]
    rules: Mapping[str, str]
    notes: Mapping[str, str] = field(default_factory=dict[str, str])

    def support(self, feature: str) -> Support:
        """Return how this format supports ``feature``."""
        return self.carries.get(feature, "no")


def document_features(document: Document) -> dict[str, list[Path]]:
    """Return each feature ``document`` uses and the AIF paths that use it.

    Examples:
        >>> from aifkit.aif import Document, Message, TextPart
        >>> doc = Document(messages=(Message(role="user", parts=(TextPart(text="hi"),)),))
        >>> document_features(doc)
        {'text': [('messages', 0, 'parts', 0)]}
    """
    used = _Used()
    for k, ins in enumerate(document.instructions):
        path: Path = ("instructions", k)
        used.add("instructions.developer" if ins.role == "developer" else "instructions", path)
        if ins.name is not None:
            used.add("message.name", path)
        for j, part in enumerate(ins.parts):
            if part.cache is not None:
                used.add("cache", (*path, "parts", j))
        used.extensions(ins.extensions, path)
    for i, msg in enumerate(document.messages):
        path = ("messages", i)
        if msg.name is not None:
            used.add("message.name", path)
        if msg.role in ("system", "developer"):
            used.add("instructions" if msg.role == "system" else "instructions.developer", path)
        for j, part in enumerate(msg.parts):
            used.part(part, (*path, "parts", j))
        if sum(isinstance(p, ToolCallPart) for p in msg.parts) > 1:
            used.add("tool_call.parallel", path)
        used.extensions(msg.extensions, path)
    for k, tool in enumerate(document.tools):
        used.add("tools", ("tools", k))
        if tool.strict:
            used.add("tools.strict", ("tools", k))
        if tool.cache is not None:
            used.add("cache", ("tools", k))
    used.settings(document)
    return dict(used)


class _Used(dict[str, list[Path]]):
    def add(self, feature: str, path: Path) -> None:
        self.setdefault(feature, []).append(path)

    def extensions(self, extensions: Mapping[str, object], path: Path) -> None:
        for namespace, value in extensions.items():
            if isinstance(value, Mapping) and value.get("extra"):  # pyright: ignore[reportUnknownMemberType]
                self.add("extensions", (*path, "extensions", namespace))

    def settings(self, document: Document) -> None:
        settings = document.settings
        for name in ("max_tokens", "temperature", "top_p", "top_k", "stop", "seed", "reasoning"):
            if getattr(settings, name) is not None:
                self.add(f"settings.{name}", ("settings", name))
        if settings.tool_choice is not None:
            self.add("tool_choice", ("settings", "tool_choice"))

    def part(self, part: Part, path: Path) -> None:
        if part.cache is not None:
            self.add("cache", path)
        match part:
            case ImagePart(source=src):
                self.add(f"image.{src.kind}" if src.kind != "text" else "document.text", path)
                if part.detail is not None:
                    self.add("image.detail", path)
            case DocumentPart(source=src):
                self.add(f"document.{src.kind}", path)
            case AudioPart():
                self.add("audio", path)
            case ToolCallPart():
                self.add("tool_call", path)
                self.add("tool_call.id", path)
            case ToolResultPart(content=content):
                self.add("tool_result", path)
                if part.is_error:
                    self.add("tool_result.error", path)
                if any(c.type != "text" for c in content):
                    self.add("tool_result.media", path)
            case ReasoningPart():
                self.reasoning(part, path)
            case RefusalPart():
                self.add("refusal", path)
            case ProviderPart():
                self.add("provider_part", path)
            case _:
                self.add("text", path)

    def reasoning(self, part: ReasoningPart, path: Path) -> None:
        if part.text is not None:
            self.add("reasoning.text", path)
        if part.signature is not None:
            self.add("reasoning.signed", path)
        if part.redacted is not None:
            self.add("reasoning.redacted", path)


_MARK: Final[dict[Support, str]] = {"yes": "✓", "partial": "◐", "no": "—"}


def capability_table(capabilities: Mapping[str, Capabilities]) -> str:
    """Render what each format carries as a Markdown table, features by formats.

    ``✓`` carried as it is, ``◐`` carried with limits (the notes under the table
    say which), ``—`` not carried (a conversion to it lists the loss).

    Examples:
        >>> caps = Capabilities(carries={"text": "yes", "audio": "partial"},
        ...                     rules={}, notes={"audio": "wav only"})
        >>> table = capability_table({"demo": caps}).splitlines()
        >>> for row in [table[0], *(row for row in table if "audio" in row)]:
        ...     print(row)
        | feature | meaning | `demo` |
        | `audio` | audio input | ◐ |
        - `demo`: `audio` wav only
    """
    names = list(capabilities)
    lines = [
        "| feature | meaning | " + " | ".join(f"`{n}`" for n in names) + " |",
        "| --- | --- | " + " | ".join(":-:" for _ in names) + " |",
    ]
    for feature, meaning in FEATURES.items():
        marks = " | ".join(_MARK[capabilities[n].support(feature)] for n in names)
        lines.append(f"| `{feature}` | {meaning} | {marks} |")
    notes = [
        f"- `{name}`: " + "; ".join(f"`{feature}` {note}" for feature, note in caps.notes.items())
        for name, caps in capabilities.items()
        if caps.notes
    ]
    if notes:
        lines += ["", "Limits of the partly carried (◐) features:", "", *notes]
    return "\n".join(lines)
