"""What the ``cohere`` and ``mistral`` converters share: both speak an OpenAI-chat-like
wire (``messages`` with ``tool_calls`` and ``tool`` messages).

`ChatlikeEncoder` holds the encoder steps whose logic is the same for both: routing
a message's tool results, orphaned results, function calls and tools, and the
reasoning replay fallback (settings are written from each format's table, see
``_settings``). Each format keeps its own rules (content shapes, ids, documents,
images, tool choice) in its ``_<format>_encode`` module.
`ChatlikeChecker` holds the validation rules both formats' ``tool`` messages follow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, cast

from aifkit.aif._loss import Action, Path, Severity
from aifkit.aif._schema import (
    Document,
    Instruction,
    Message,
    Part,
    ReasoningPart,
    RefusalPart,
    TextPart,
    Tool,
    ToolCallPart,
    ToolResultPart,
)
from aifkit.aif.converters._base import EncodeOptions
from aifkit.aif.converters._checks import RuleChecker, as_str
from aifkit.aif.converters._common import write_arguments
from aifkit.aif.converters._wire import RuleLog, RuleTable

__all__ = [
    "MISSING_RESULT_TEXT",
    "ChatlikeChecker",
    "ChatlikeEncoder",
    "Obj",
    "content",
    "merge",
    "rule_table",
    "unfilled",
]

Obj = dict[str, Any]

MISSING_RESULT_TEXT: Final = "Error: no result was recorded for this tool call."
"""The content of the ``tool`` message sent for a call that has no result."""


def rule_table(
    display: str, own: Mapping[str, tuple[Action, Severity, str]]
) -> dict[str, tuple[Action, Severity, str]]:
    """A format's rules: those `ChatlikeEncoder` logs and the format's ``own``, sorted.

    Examples:
        >>> rules = rule_table("Demo", {"no-audio": ("dropped", "error", "Demo takes no audio")})
        >>> rules["cache"], list(rules) == sorted(rules)
        (('dropped', 'info', 'Demo has no cache hints'), True)
    """
    shared: dict[str, tuple[Action, Severity, str]] = {
        "cache": ("dropped", "info", f"{display} has no cache hints"),
        "developer-instructions": ("transformed", "info", "developer instructions sent as system"),
        "message-name": ("dropped", "warning", f"{display} messages have no participant name"),
        "no-field": ("dropped", "warning", "no equivalent field"),
        "orphan-tool-result": (
            "transformed",
            "warning",
            "no call awaits this result; sent as text",
        ),
        "reasoning-replay": ("dropped", "info", "{}"),
        "reasoning-signature": ("dropped", "info", f"the {{}} signature is not valid on {display}"),
        "refusal": ("transformed", "info", "refusal sent as assistant text"),
        "tool-call-role": (
            "transformed",
            "warning",
            "only the assistant calls tools; sent as text",
        ),
        "tool-kind": ("dropped", "error", f"{{}} tools have no equivalent in {display}"),
        "tool-parameters": ("synthesized", "info", "an empty object schema was sent"),
    }
    return dict(sorted({**shared, **own}.items()))


def unfilled(message: str) -> str:
    """A rule message logged without arguments: its ``{}`` left out.

    Examples:
        >>> unfilled("{} parts cannot be sent")
        'parts cannot be sent'
    """
    return message.replace("{}", "").strip()


def content(items: list[Obj], form: Mapping[str, Any]) -> Any:
    """Content as a string when it is one plain text item (or none), else the list.

    Examples:
        >>> content([{"type": "text", "text": "Hi"}], {})
        'Hi'
        >>> content([], {}), content([], {"content": "parts"})
        ('', [])
    """
    if form.get("content") == "parts":
        return items
    if not items:
        return ""
    # A provider chunk written back verbatim may be {"type": "text", <other key>}.
    only = items[0]
    if len(items) == 1 and only.get("type") == "text" and len(only) == 2 and "text" in only:
        return only["text"]
    return items


def merge(target: Obj, extra: Mapping[str, Any]) -> None:
    """Add the entries of ``extra`` whose keys ``target`` does not have yet.

    Examples:
        >>> item = {"type": "text"}
        >>> merge(item, {"type": "x", "cache": 1}); item
        {'type': 'text', 'cache': 1}
    """
    for key, value in extra.items():
        target.setdefault(key, value)


class ChatlikeEncoder(RuleLog):
    """The encoder steps the OpenAI-chat-like formats share.

    A subclass writes messages to ``out`` (through `emit`), keeps the calls of the
    last assistant message in ``open`` until their results come, and implements
    `instruction`, `plain`, `assistant`, `result`, `close_calls` and `part`; its rule
    table (`rule_table`) has the rules these steps log.
    """

    display: str = ""
    """The provider's name in messages (``Cohere``)."""

    def __init__(self, name: str, rules: RuleTable, doc: Document, options: EncodeOptions) -> None:
        self.doc = doc
        self.options = options
        super().__init__(name, rules, unfilled=unfilled)
        self.out: list[Obj] = []
        self.open: list[tuple[str, Path]] = []

    # -- steps a format implements ---------------------------------------------------------

    def emit(self, message: Obj, path: Path) -> None:
        """Write ``message`` (from AIF ``path``) to the body's messages."""
        del path
        self.out.append(message)

    def assistant(
        self, msg: Message, path: Path, form: Mapping[str, Any], extra: Mapping[str, Any]
    ) -> None:
        """Write an assistant message."""
        raise NotImplementedError

    def result(
        self, part: ToolResultPart, path: Path, form: Mapping[str, Any], extra: Mapping[str, Any]
    ) -> None:
        """Write a tool result as a ``tool`` message."""
        raise NotImplementedError

    def close_calls(self) -> None:
        """Answer every call still open with an error result."""
        raise NotImplementedError

    def part(self, part: Part, role: str, path: Path) -> Obj | None:
        """The wire item of a part in a ``role`` message, or None (logged) if none."""
        raise NotImplementedError

    # -- messages --------------------------------------------------------------------------

    def head(self, body: Obj) -> None:
        """Write the model and every message to ``body``; answer the calls left open."""
        doc = self.doc
        if doc.settings.model is not None:
            body["model"] = doc.settings.model
        for k, ins in enumerate(doc.instructions):
            self.instruction(ins, ("instructions", k))
        for i, msg in enumerate(doc.messages):
            self.message(msg, ("messages", i))
        self.close_calls()

    def instruction(self, ins: Instruction, path: Path) -> None:
        """Write an instruction as a ``system`` message."""
        raise NotImplementedError

    def instruction_head(
        self, ins: Instruction, path: Path
    ) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        """Log what an instruction's role and name lose; return its ``(form, extra)``."""
        if ins.role == "developer":
            self.log((*path, "role"), "developer-instructions")
        if ins.name is not None:
            self.log((*path, "name"), "message-name")
        return self.ext(ins.extensions, path)

    def message(self, msg: Message, path: Path) -> None:
        """Write a message: assistant, or its tool results then the rest of it."""
        if msg.name is not None:
            self.log((*path, "name"), "message-name")
        form, extra = self.ext(msg.extensions, path)
        if msg.role == "assistant":
            self.close_calls()
            self.assistant(msg, path, form, extra)
            return
        results = [(j, p) for j, p in enumerate(msg.parts) if isinstance(p, ToolResultPart)]
        for j, part in results:
            self.result(part, (*path, "parts", j), form if msg.role == "tool" else {}, extra)
        rest = [(j, p) for j, p in enumerate(msg.parts) if not isinstance(p, ToolResultPart)]
        if results and not rest:
            return
        self.close_calls()
        if msg.role == "developer":
            self.log((*path, "role"), "developer-instructions")
        self.plain(msg, path, form, extra if not results else {}, rest)

    def plain(
        self,
        msg: Message,
        path: Path,
        form: Mapping[str, Any],
        extra: Mapping[str, Any],
        rest: Sequence[tuple[int, Part]],
    ) -> None:
        """Write the parts of a user, tool or system message that are not tool results."""
        raise NotImplementedError

    # -- tool calls and results ------------------------------------------------------------

    def claim(self, part: ToolResultPart, path: Path) -> Mapping[str, Any] | None:
        """Close the open call ``part`` answers and return the result's own ``extra``.

        A result no open call awaits is sent as text (`orphan`) and None returned.
        """
        own = self.ext(part.extensions, path)[1]
        waiting = [k for k, (call_id, _) in enumerate(self.open) if call_id == part.call_id]
        if not waiting:
            self.orphan(part, path, None)
            return None
        self.open.pop(waiting[0])
        return own

    def orphan(self, part: ToolResultPart, path: Path, into: list[Obj] | None) -> None:
        """A result no open call awaits, as user text (or a text item of ``into``)."""
        self.log(path, "orphan-tool-result")
        texts = [c.text for c in part.content if isinstance(c, TextPart)]
        item: Obj = {"type": "text", "text": f"[tool result {part.call_id}]\n" + "\n".join(texts)}
        if into is not None:
            into.append(item)
            return
        self.close_calls()
        self.emit({"role": "user", "content": item["text"]}, path)

    def call_text(self, part: ToolCallPart, path: Path) -> Obj:
        """A call outside an assistant message, as a text item."""
        self.log(path, "tool-call-role")
        args = write_arguments(part.arguments, part.raw_arguments)
        return {"type": "text", "text": f"[tool call {part.name}({args})]"}

    def refusal(self, part: RefusalPart, path: Path) -> Obj:
        """A refusal, as a text item."""
        self.log(path, "refusal")
        return {"type": "text", "text": part.text}

    def unreplayable(self, part: ReasoningPart, role: str, path: Path) -> Obj | None:
        """Reasoning the wire cannot carry: dropped, or text when the options say so."""
        text = part.text
        why = (
            "reasoning can only be sent in an assistant message"
            if role != "assistant"
            else f"{self.display} has no redacted reasoning"
        )
        if self.options.reasoning == "text" and text and not text.isspace():
            self.log(path, "reasoning-replay", f"{why}; sent as text", action="transformed")
            return {"type": "text", "text": f"<reasoning>{text}</reasoning>"}
        self.log(path, "reasoning-replay", why)
        return None

    # -- functions, tools and settings -----------------------------------------------------

    def function(
        self, head: Obj, fn: Obj, form: Mapping[str, Any], extra: Mapping[str, Any]
    ) -> Obj:
        """``{**head, "type": "function", "function": fn}`` with ``extra`` merged in.

        ``extra["function"]`` goes into ``fn``; ``form["type"] == "absent"`` drops ``type``.
        """
        out: Obj = {**head, "type": "function", "function": fn}
        if form.get("type") == "absent":
            del out["type"]
        nested = extra.get("function")
        if isinstance(nested, dict):
            merge(fn, cast("Obj", nested))
        merge(out, {k: v for k, v in extra.items() if k != "function"})
        return out

    def function_tool(self, tool: Tool, path: Path) -> Obj:
        """The ``function`` object of a function tool (an empty schema if it has none)."""
        fn: Obj = {"name": tool.name}
        if tool.description is not None:
            fn["description"] = tool.description
        if tool.parameters is not None:
            fn["parameters"] = tool.parameters
        else:
            self.log((*path, "parameters"), "tool-parameters")
            fn["parameters"] = {"type": "object", "properties": {}}
        return fn


class ChatlikeChecker(RuleChecker):
    """The rules ``tool`` messages follow on the OpenAI-chat-like formats.

    Examples:
        >>> checker = ChatlikeChecker("demo")
        >>> checker.tool({"tool_call_id": "c1"}, ("messages", 1), {}, "user")
        >>> checker.unanswered({"c2": ("messages", 0, "tool_calls", 0, "id")})
        >>> [v.rule for v in checker.found]
        ['demo/orphan-tool-result', 'demo/tool-result-missing']
    """

    def tool(self, m: dict[str, Any], path: Path, pending: dict[str, Path], prev: Any) -> None:
        """A ``tool`` message answers a call of the assistant message just before it."""
        raw = m.get("tool_call_id")
        call_id = as_str(raw)
        if prev not in ("assistant", "tool") or call_id is None or call_id not in pending:
            msg = f"no call of the previous assistant message awaits {raw!r}"
            self.flag((*path, "tool_call_id"), "orphan-tool-result", msg)
            return
        del pending[call_id]

    def unanswered(self, pending: dict[str, Path]) -> None:
        """Flag every call in ``pending`` as having no ``tool`` message."""
        for call_id, where in pending.items():
            msg = f"tool call {call_id!r} has no tool message after it"
            self.flag(where, "tool-result-missing", msg)
