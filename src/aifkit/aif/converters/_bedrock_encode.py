"""Writing any AIF document as a Bedrock Converse request body.

`_Writer` turns parts into content blocks (`_bedrock_blocks`), builds alternating
turns starting with a user turn, pairs every ``toolUse`` with a ``toolResult`` at
the head of the next user turn, and writes settings and tools. Every change is
logged at the AIF path of what it changed; `RULES` lists every rule it applies.

A conversation as agents send it (text, images, function calls answered in the
next turn) needs none of these rules but turn merging; `_AgentTurns` writes it in
one pass, and the general path (`_general`: turns, pairing) writes any other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from aifkit.aif._loss import LossLog, Path
from aifkit.aif._schema import (
    Base64Source,
    Document,
    ImagePart,
    Instruction,
    Message,
    Part,
    Settings,
    TextPart,
    Tool,
    ToolCallPart,
    ToolResultPart,
)
from aifkit.aif.converters._base import Encoded, EncodeOptions
from aifkit.aif.converters._bedrock_blocks import (
    IMAGE_MEDIA,
    MISSING_RESULT,
    BlockWriter,
    Unit,
    text_of,
)
from aifkit.aif.converters._bedrock_decode import (
    INFERENCE,
    NAME,
    TOOL_ID,
    Obj,
    reasoning_field,
    top_k_path,
)
from aifkit.aif.converters._checks import as_obj
from aifkit.aif.converters._common import own_extra, own_form
from aifkit.aif.converters._reasoning import anthropic_write, nova_write
from aifkit.aif.converters._settings import as_number, write_settings
from aifkit.aif.converters._wire import EMPTY, AgentTurns, hint_keys, quiet_for

__all__ = ["MISSING_RESULT_TEXT", "SYNTHESIZED_USER_TEXT", "encode_document"]

MISSING_RESULT_TEXT: Final = MISSING_RESULT
SYNTHESIZED_USER_TEXT: Final = "(conversation continues)"
_CHOICES: Final = {"auto": "auto", "required": "any"}


@dataclass(slots=True)
class _Turn:
    role: str
    units: list[Unit] = field(default_factory=list[Unit])
    extra: Obj = field(default_factory=dict[str, Any])


def encode_document(document: Document, options: EncodeOptions) -> Encoded:
    """Write ``document`` as a Converse request body the API accepts; log every change."""
    losses = LossLog()
    writer = BlockWriter(options, losses, document)
    body: Obj = {}
    settings = document.settings
    if settings.model is not None:
        body["modelId"] = settings.model
    system: list[Obj] = []
    for k, ins in enumerate(document.instructions):
        system += _instruction(writer, ins, ("instructions", k))
    messages = _messages(writer, document.messages, system)
    if system or own_form(document.extensions, NAME).get("system") == "empty":
        body["system"] = system
    form = writer.ext(document.extensions, ())[0]
    if messages or form.get("messages") == "empty":
        body["messages"] = messages
    _settings(writer, document, body)
    for key, value in own_extra(document.extensions, NAME).items():
        body.setdefault(key, value)
    return Encoded(body, losses)


def _messages(writer: BlockWriter, messages: Sequence[Message], system: list[Obj]) -> list[Obj]:
    """The wire messages; system and developer messages' text joins ``system``."""
    simple = _AgentTurns().write(messages)
    if simple is not None:
        out, merged = simple
        writer.log_merged(merged)
        return out
    return _general(writer, messages, system)


def _general(writer: BlockWriter, messages: Sequence[Message], system: list[Obj]) -> list[Obj]:
    """`_messages` for any conversation: turns, then pairing."""
    turns: list[_Turn] = []
    for i, msg in enumerate(messages):
        path: Path = ("messages", i)
        if msg.role in ("system", "developer"):
            system += _lift(writer, msg, path)
        else:
            _add_turn(writer, turns, msg, path)
    _pair(writer, turns)
    if turns and turns[0].role != "user":
        writer.log(("messages", 0), "first-turn-user")
        turns.insert(0, _Turn("user", [Unit([{"text": SYNTHESIZED_USER_TEXT}])]))
    return [_flatten(t) for t in turns]


class _AgentTurns(AgentTurns):
    """Writes a conversation as agents send it, in one pass (`_messages`' fast path).

    Such a conversation starts with the user and has user, assistant and tool
    messages of non-blank text, images Bedrock takes, function calls with object
    arguments and ids and names Bedrock takes as they are, distinct in their turn,
    and results holding text only that answer each call of the turn before, once,
    ahead of any other content of their turn; no names, cache hints, image details
    or extensions but other formats' ``form`` hints. The general path would only
    merge consecutive messages of a role into one turn (logged by the caller),
    and this does the same. For any other conversation `write` returns None.
    """

    name = NAME

    def __init__(self) -> None:
        super().__init__()
        self.calls: set[str] = set()  # the ids of the last assistant turn's calls
        self.results: set[str] = set()  # the calls this user turn answered

    def start_user(self) -> None:
        self.results = set()

    def start_assistant(self) -> None:
        self.calls = set()

    def answered(self) -> bool:
        return len(self.results) == len(self.calls)

    def assistant(self, parts: Sequence[Part]) -> bool:
        return self.parts(parts, True)

    def user(self, parts: Sequence[Part]) -> bool:
        return self.parts(parts, False)

    def parts(self, parts: Sequence[Part], assistant: bool) -> bool:
        """Write a message's parts; False for one the fast path does not take."""
        blocks = self.blocks
        for part in parts:
            if part.cache is not None or (part.extensions and not quiet_for(part.extensions, NAME)):
                return False
            if type(part) is TextPart:
                text = part.text
                if not text or text.isspace():
                    return False
                blocks.append({"text": text})
                self.others = True
            elif type(part) is ImagePart:
                src = part.source
                if type(src) is not Base64Source or part.detail is not None:
                    return False
                fmt = IMAGE_MEDIA.get(src.media_type or "")
                if fmt is None:
                    return False
                blocks.append({"image": {"format": fmt, "source": {"bytes": src.data}}})
                self.others = True
            elif type(part) is ToolCallPart and assistant:
                call_id, args = part.id, part.arguments
                if type(args) is not dict or call_id in self.calls:
                    return False
                if not TOOL_ID.match(call_id) or not TOOL_ID.match(part.name):
                    return False  # sent with a new id or name (logged)
                self.calls.add(call_id)
                use: Obj = {"toolUseId": call_id, "name": part.name, "input": args}
                blocks.append({"toolUse": use})
            elif type(part) is ToolResultPart and not assistant:
                if not self.result(part):
                    return False
            else:
                return False
        return True

    def result(self, part: ToolResultPart) -> bool:
        """Write a result answering a call of the turn before; False for any other."""
        call_id = part.call_id
        if self.others or call_id not in self.calls or call_id in self.results:
            return False
        content: list[Obj] = []
        for item in part.content:
            if type(item) is not TextPart or item.extensions or item.cache is not None:
                return False
            content.append({"text": item.text})
        self.results.add(call_id)
        inner: Obj = {"toolUseId": call_id, "content": content}
        if part.is_error is not None:
            inner["status"] = "error" if part.is_error else "success"
        self.blocks.append({"toolResult": inner})
        return True


# -- instructions ---------------------------------------------------------------------


def _instruction(writer: BlockWriter, ins: Instruction, path: Path) -> list[Obj]:
    if ins.role == "developer":
        writer.log((*path, "role"), "developer-instructions")
    if ins.name is not None:
        writer.log((*path, "name"), "message-name")
    extra = writer.ext(ins.extensions, path)[1]
    blocks: list[Obj] = []
    for j, part in enumerate(ins.parts):
        blocks += writer.system_text(part, (*path, "parts", j))
    if not ins.parts and extra:  # a system block AIF has no part for (guardContent, ...)
        blocks.append(dict(extra))
    elif blocks and extra:
        blocks[0].update({k: v for k, v in extra.items() if k not in blocks[0]})
    return blocks


def _lift(writer: BlockWriter, msg: Message, path: Path) -> list[Obj]:
    """A system or developer message mid-conversation: its text joins ``system``."""
    writer.log(path, "system-position")
    if msg.name is not None:
        writer.log((*path, "name"), "message-name")
    writer.ext(msg.extensions, path)
    blocks: list[Obj] = []
    for j, part in enumerate(msg.parts):
        text = text_of(part)
        if text is None:
            writer.log((*path, "parts", j), "system-content")
            continue
        blocks += writer.system_text(text, (*path, "parts", j))
    return blocks


# -- turns ----------------------------------------------------------------------------


def _add_turn(writer: BlockWriter, turns: list[_Turn], msg: Message, path: Path) -> None:
    role = "assistant" if msg.role == "assistant" else "user"
    if msg.name is not None:
        writer.log((*path, "name"), "message-name")
    extra = writer.ext(msg.extensions, path)[1] if msg.extensions else EMPTY
    units: list[Unit] = []
    write = writer.part
    for j, part in enumerate(msg.parts):
        unit = write(part, role, (*path, "parts", j))
        if unit is not None:
            units.append(unit)
    if not units:
        writer.log(path, "empty-message")
        return
    if turns and turns[-1].role == role:
        writer.log(path, "alternating-roles", role)
        turns[-1].units += units
        return
    turns.append(_Turn(role, units, dict(extra)))


def _pair(writer: BlockWriter, turns: list[_Turn]) -> None:
    """Answer every ``toolUse`` at the head of the next user turn; orphans become text."""
    n = 0
    while n < len(turns):
        turn = turns[n]
        if turn.role == "user":
            _orphans(writer, turn, set())
            n += 1
            continue
        calls = [u for u in turn.units if u.call_id is not None and u.kind == "toolUse"]
        if not calls:
            n += 1
            continue
        if n + 1 == len(turns) or turns[n + 1].role != "user":
            turns.insert(n + 1, _Turn("user"))
        nxt = turns[n + 1]
        ids = {u.call_id for u in calls}
        _orphans(writer, nxt, ids)
        head = [u for u in nxt.units if u.kind == "toolResult"]
        answered = {u.call_id for u in head}
        for call in calls:
            if call.call_id not in answered:
                writer.log(call.path or (), "tool-result-missing")
                head.append(Unit([writer.missing_result(call.call_id or "")], kind="toolResult"))
        rest = [u for u in nxt.units if u.kind != "toolResult"]
        _placement(writer, nxt.units)
        nxt.units = head + rest
        n += 2


def _placement(writer: BlockWriter, units: list[Unit]) -> None:
    """Log each result that had to move ahead of other content of its turn."""
    seen_other = False
    for unit in units:
        if unit.kind != "toolResult":
            seen_other = True
        elif seen_other and unit.path is not None:
            writer.log(unit.path, "tool-result-placement")


def _orphans(writer: BlockWriter, turn: _Turn, ids: set[str | None]) -> None:
    """Turn results that answer no call of the previous assistant turn into text."""
    seen: set[str | None] = set()
    for k, unit in enumerate(turn.units):
        if unit.kind != "toolResult":
            continue
        if unit.call_id in ids and unit.call_id not in seen:
            seen.add(unit.call_id)
            continue
        turn.units[k] = writer.orphan(unit)


def _flatten(turn: _Turn) -> Obj:
    content: list[Obj] = []
    for unit in turn.units:
        content += unit.blocks
    out: Obj = {"role": turn.role, "content": content}
    for key, value in turn.extra.items():
        out.setdefault(key, value)
    return out


# -- settings and tools ---------------------------------------------------------------


def _settings(writer: BlockWriter, document: Document, body: Obj) -> None:
    settings = document.settings
    form, extra = writer.ext(settings.extensions, ("settings",))
    config: Obj = {}
    write_settings(settings, INFERENCE, form, config)
    _ranges(writer, settings, form, config)
    if settings.top_k is not None:
        _top_k(writer, document, body, settings.top_k)
    if settings.reasoning is not None:
        _reasoning(writer, document, body, form)
    for name in ("seed", "parallel_tool_calls", "stream"):
        if getattr(settings, name) is not None:
            writer.log(("settings", name), name.replace("_", "-"))
    inference = as_obj(extra.get("inferenceConfig"))
    if inference is not None:
        for key, value in inference.items():
            config.setdefault(key, value)
    if config or form.get("inferenceConfig") == "empty":
        body["inferenceConfig"] = config
    _tool_config(writer, document, body, extra)


def _ranges(writer: BlockWriter, settings: Settings, form: Mapping[str, Any], config: Obj) -> None:
    """Keep the written ``inferenceConfig`` in the ranges Converse accepts; log each change."""
    if settings.max_tokens is not None and settings.max_tokens < 1:
        writer.log(("settings", "max_tokens"), "max-tokens-range")
        del config["maxTokens"]
    for name, wire in (("temperature", "temperature"), ("top_p", "topP")):
        value = getattr(settings, name)
        if value is not None and not 0 <= value <= 1:
            writer.log(("settings", name), f"{name.replace('_', '-')}-range", value)
            config[wire] = as_number(min(max(value, 0.0), 1.0), name in hint_keys(form, "int"))
    if settings.stop is not None and not all(settings.stop):
        writer.log(("settings", "stop"), "stop-empty")
        config["stopSequences"] = [s for s in settings.stop if s]


def _top_k(writer: BlockWriter, document: Document, body: Obj, top_k: int) -> None:
    """Write ``top_k`` where the model takes it in ``additionalModelRequestFields``.

    The other keys of that field (kept in the document's ``extra``) stay as they were;
    ``settings.top_k`` wins over a top-k value among them.
    """
    path: Path = ("settings", "top_k")
    model = document.settings.model
    where = top_k_path(model)
    if where is None:
        why = f"no documented field for model {model!r}" if model else "no modelId to pick a field"
        writer.log(path, "top-k", why)
        return
    fields = own_extra(document.extensions, NAME).get("additionalModelRequestFields", {})
    given = as_obj(fields)
    out = None if given is None else dict(given)
    holder = out if len(where) == 1 or out is None else as_obj(out.get(where[0], {}))
    if out is None or holder is None:
        writer.log(path, "top-k", "additionalModelRequestFields is not an object to hold it")
        return
    if len(where) == 2:
        holder = out[where[0]] = dict(holder)
    holder[where[-1]] = top_k
    body["additionalModelRequestFields"] = out


_FIELDS: Final = "additionalModelRequestFields"


def _reasoning(writer: BlockWriter, document: Document, body: Obj, form: Mapping[str, Any]) -> None:
    """Write the reasoning setting where the model takes it in ``additionalModelRequestFields``."""
    path: Path = ("settings", "reasoning")
    reasoning = document.settings.reasoning
    model = document.settings.model
    key = reasoning_field(model)
    if reasoning is None:
        return
    if key is None:
        why = f"no documented field for model {model!r}" if model else "no modelId to pick a field"
        writer.log(path, "reasoning-setting", why)
        return
    fields = body.get(_FIELDS)
    if fields is None:
        fields = own_extra(document.extensions, NAME).get(_FIELDS, {})
    given = as_obj(fields)
    if given is None:
        writer.log(
            path, "reasoning-setting", "additionalModelRequestFields is not an object to hold it"
        )
        return
    if key == "thinking":
        limit = document.settings.max_tokens or writer.options.default_max_tokens
        wire = anthropic_write(reasoning, form, limit, writer)
        if wire is None:
            return
    else:
        wire = nova_write(reasoning, form, writer)
    body[_FIELDS] = {**given, key: wire}


def _tool_config(writer: BlockWriter, document: Document, body: Obj, extra: Any) -> None:
    tools: list[Obj] = []
    names: set[str] = set()
    for k, tool in enumerate(document.tools):
        tools += _tool(writer, tool, ("tools", k), names)
    if not tools:
        tools = _synthesized_tools(writer, body)
    choice = _choice(writer, document, names if tools else set())
    config: Obj = {}
    if tools:
        config["tools"] = tools
        if choice is not None:
            config["toolChoice"] = choice
        elif "toolChoice" in extra:
            config["toolChoice"] = extra["toolChoice"]
        rest = as_obj(extra.get("toolConfig"))
        if rest is not None:
            for key, value in rest.items():
                config.setdefault(key, value)
        body["toolConfig"] = config


def _tool(writer: BlockWriter, tool: Tool, path: Path, names: set[str]) -> list[Obj]:
    form, extra = writer.ext(tool.extensions, path)
    del form
    if tool.kind != "function":
        definition = as_obj(extra.get("definition"))
        if definition is not None:
            out: list[Obj] = [dict(definition)]
        else:
            writer.log(path, "tool-kind", tool.kind)
            return []
    else:
        name = writer.tool_name(tool.name, (*path, "name"))
        names.add(tool.name)
        spec: Obj = {"name": name}
        if tool.description:
            spec["description"] = tool.description
        elif tool.description is not None:
            writer.log((*path, "description"), "empty-text")
        if tool.parameters is not None:
            spec["inputSchema"] = {"json": tool.parameters}
        else:
            writer.log((*path, "parameters"), "tool-input-schema")
            spec["inputSchema"] = {"json": {"type": "object", "properties": {}}}
        if tool.strict is not None:
            spec["strict"] = tool.strict
        nested = as_obj(extra.get("toolSpec"))
        if nested is not None:
            for key, value in nested.items():
                spec.setdefault(key, value)
        item: Obj = {"toolSpec": spec}
        outer = as_obj(extra.get("tool"))
        if outer is not None:
            item.update({k: v for k, v in outer.items() if k != "toolSpec"})
        out = [item]
    if tool.cache is not None:
        out.append(writer.cache_point(tool.cache, tool.extensions, (*path, "cache")))
    return out


def _synthesized_tools(writer: BlockWriter, body: Obj) -> list[Obj]:
    """Bedrock needs ``toolConfig`` whenever the messages hold tool blocks."""
    called: dict[str, None] = {}
    uses = False
    for msg in body.get("messages", []):
        for block in msg["content"]:
            if "toolUse" in block:
                called[block["toolUse"]["name"]] = None
            uses = uses or "toolResult" in block
    if not called and not uses:
        return []
    writer.log(("tools",), "tool-config-required")
    schema: Obj = {"type": "object", "properties": {}}
    return [{"toolSpec": {"name": n, "inputSchema": {"json": schema}}} for n in called or {"tool"}]


def _choice(writer: BlockWriter, document: Document, names: set[str]) -> Obj | None:
    choice = document.settings.tool_choice
    if choice is None:
        return None
    path: Path = ("settings", "tool_choice")
    if not names:
        writer.log(path, "tool-choice", "there are no tools to choose from")
        return None
    if choice.mode in _CHOICES:
        return {_CHOICES[choice.mode]: {}}
    if choice.mode == "tool" and choice.name in names:
        return {"tool": {"name": writer.tool_name(choice.name, (*path, "name"))}}
    why = "Bedrock has no 'none' tool choice" if choice.mode == "none" else "the tool is absent"
    writer.log(path, "tool-choice", why)
    return None
