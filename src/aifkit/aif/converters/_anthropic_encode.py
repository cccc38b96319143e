"""Writing any AIF document as an Anthropic Messages request body.

The encoder reads the frozen models directly and builds wire dicts. It enforces
the Messages API's rules and logs every change against the AIF path (the rules
are listed in ``_anthropic_blocks.RULES``):

* system and developer text goes to the top-level ``system``: instructions in
  order, then system/developer messages lifted out of the conversation;
* turns alternate: consecutive same-role turns are merged and AIF ``tool`` messages
  are user turns (a conversation may start with the assistant: the API takes it);
* every ``tool_use`` is answered by ``tool_result`` blocks first in the next user
  turn: a result is paired with its call by id wherever it is and moved there; a
  call with no result gets an error result reading `MISSING_RESULT_TEXT`; a
  result whose call is nowhere in the conversation (or a second result for one
  call) becomes text;
* tool ids outside ``[a-zA-Z0-9_-]`` are remapped bijectively (`IdMapper`), and a
  call id used twice gets a new id the second time (with its result);
* empty or whitespace-only text blocks are dropped, and so is a message left with
  nothing in it (its neighbours may then merge);
* what the API cannot take is dropped (audio, another provider's file ids or
  blocks, image ``detail``, message ``name``, ``seed``, foreign ``extra``) or
  carried in another shape (refusals as text; reasoning that cannot be replayed
  as ``<reasoning>`` text when `EncodeOptions.reasoning` is ``"text"``).

A document this format produced is written back exactly: its ``form`` and
``extra`` hints (see ``_anthropic_decode``) restore the wire's shape.

A conversation as agents send it (text, images, function calls answered in the
next turn) needs none of these rules but turn merging; `_AgentTurns` writes it
in one pass, and the general path (segments, turns, pairing) writes any other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final, cast

from aifkit.aif._loss import Path
from aifkit.aif._schema import (
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
from aifkit.aif.converters._anthropic_blocks import REPEAT, BlockWriter, Seg, image_block, quiet
from aifkit.aif.converters._anthropic_decode import NAME, SETTINGS, TOOL_ID, is_plain_text
from aifkit.aif.converters._base import Encoded, EncodeOptions
from aifkit.aif.converters._reasoning import anthropic_write
from aifkit.aif.converters._settings import as_number, write_settings
from aifkit.aif.converters._wire import AgentTurns, hint_keys

__all__ = ["MISSING_RESULT_TEXT", "encode_document"]

MISSING_RESULT_TEXT: Final = "No result was recorded for this tool call."
"""The content of the error result written for a tool call that had none."""

_SERVER_TOOL: Final = re.compile(r"^[a-z][a-z0-9_]*_\d{8}$")  # web_search_20250305, ...

_Answers = dict[str, tuple[dict[str, Any], Path]]  # call key -> (result block, its path)


def encode_document(document: Document, options: EncodeOptions) -> Encoded:
    """Write ``document`` as an Anthropic Messages request body (see the module docstring)."""
    enc = _Encoder(document, options)
    return Encoded(enc.run(), enc.losses)


class _Encoder(BlockWriter):
    def __init__(self, document: Document, options: EncodeOptions) -> None:
        super().__init__(document, options)
        self.system: list[dict[str, Any]] = []

    def run(self) -> dict[str, Any]:
        doc = self.doc
        settings = doc.settings
        body: dict[str, Any] = {}
        if settings.model is not None:
            body["model"] = settings.model
        max_tokens = settings.max_tokens
        default = self.options.default_max_tokens
        body["max_tokens"] = max_tokens if max_tokens is not None else default
        for k, instruction in enumerate(doc.instructions):
            self.instruction(instruction, ("instructions", k))
        messages = self.messages(doc.messages)
        form, extra = self.ext(doc.extensions, ())
        system = self.system
        if form.get("system") == "blocks":
            body["system"] = system
        elif len(system) == 1 and is_plain_text(system[0]):
            body["system"] = system[0]["text"]
        elif system:
            body["system"] = system
        body["messages"] = messages
        tools = self.tools(doc.tools) if doc.tools else None
        if tools:
            body["tools"] = tools
        self.settings(settings, body, tools)
        for key, value in extra.items():
            body.setdefault(key, value)
        if max_tokens is None:
            self.log(("max_tokens",), "max-tokens-required", default)
        return body

    def instruction(self, ins: Instruction, path: Path) -> None:
        self.ext(ins.extensions, path)
        if ins.name is not None:
            self.log((*path, "name"), "no-field", "the name of system text")
        if ins.role == "developer":
            self.log(path, "developer-instructions")
        for j, part in enumerate(ins.parts):
            block = self.text(part, (*path, "parts", j))
            if block is not None:
                self.system.append(block)

    # -- settings and tools --------------------------------------------------------

    def settings(
        self, s: Settings, body: dict[str, Any], tools: list[dict[str, Any]] | None
    ) -> None:
        form, extra = self.ext(s.extensions, ("settings",))
        write_settings(s, SETTINGS, form, body, skip=("model", "max_tokens"))
        if s.temperature is not None and s.temperature > 1:
            self.log(("settings", "temperature"), "temperature-range", s.temperature)
            body["temperature"] = as_number(1.0, "temperature" in hint_keys(form, "int"))
        if s.seed is not None:
            self.log(("settings", "seed"), "no-field", "seed", severity="info")
        if s.reasoning is not None:
            thinking = anthropic_write(s.reasoning, form, body["max_tokens"], self)
            if thinking is not None:
                body["thinking"] = thinking
        choice = self.tool_choice(s, tools)
        nested = extra.get("tool_choice")  # unknown keys of the wire's tool_choice
        if isinstance(nested, dict):
            choice = choice if choice is not None else {}
            for key, value in cast("dict[str, Any]", nested).items():
                choice.setdefault(key, value)
        if choice:
            body["tool_choice"] = choice
        for key, value in extra.items():
            if key != "tool_choice":
                body.setdefault(key, value)

    def tool_choice(self, s: Settings, tools: list[dict[str, Any]] | None) -> dict[str, Any] | None:
        tc = s.tool_choice
        parallel = s.parallel_tool_calls
        if tc is None:
            if parallel is False:
                msg = 'parallel_tool_calls false sent as tool_choice "auto" without parallel use'
                path = ("settings", "parallel_tool_calls")
                self.log(path, "tool-choice", msg, action="transformed", severity="info")
                return {"type": "auto", "disable_parallel_tool_use": True}
            return None
        if self.doc.tools and (not tools or self.dropped_tool(tc.name, tools)):
            self.log(("settings", "tool_choice"), "tool-choice", "the tools it names were dropped")
            return None
        if tc.mode == "tool":
            out: dict[str, Any] = {"type": "tool", "name": tc.name or ""}
        else:
            out = {"type": "any" if tc.mode == "required" else tc.mode}
        if parallel is not None:
            out["disable_parallel_tool_use"] = not parallel
        return out

    def dropped_tool(self, name: str | None, tools: list[dict[str, Any]]) -> bool:
        """True when tool ``name`` was in the document but was not written."""
        if name is None or any(t.get("name") == name for t in tools):
            return False
        return any(t.name == name for t in self.doc.tools)

    def tools(self, tools: Sequence[Tool]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for k, t in enumerate(tools):
            path: Path = ("tools", k)
            form, extra = self.ext(t.extensions, path)
            if t.kind == "function":
                d: dict[str, Any] = {"name": t.name}
                if form.get("type") is not None:
                    d["type"] = form["type"]
                if t.description is not None:
                    d["description"] = t.description
                if t.parameters is None:
                    self.log((*path, "parameters"), "tool-input-schema")
                    d["input_schema"] = {"type": "object", "properties": {}}
                else:
                    d["input_schema"] = t.parameters
                if t.strict is not None:
                    d["strict"] = t.strict
            elif NAME in t.extensions or _SERVER_TOOL.match(t.kind):
                d = {"type": t.kind, "name": t.name}  # the definition is in extra
            else:
                self.log(path, "tool-kind", t.kind)
                continue
            self.decorate(d, t.cache, form, extra, path)
            out.append(d)
        return out

    # -- messages ------------------------------------------------------------------

    def messages(self, messages: Sequence[Message]) -> list[dict[str, Any]]:
        simple = _AgentTurns().write(messages)
        if simple is not None:
            out, merged = simple
            self.log_merged(merged)
            return out
        segs: list[Seg] = []
        for i, m in enumerate(messages):
            role = m.role
            seg = Seg(i, "assistant" if role == "assistant" else "user")
            if m.extensions or m.name is not None:
                seg.form, seg.extra = self.ext(m.extensions, ("messages", i))
                if m.name is not None:
                    self.log(("messages", i, "name"), "no-field", "the name of a message")
            if role == "system" or role == "developer":
                self.lift(m, ("messages", i), bool(segs))
                continue
            blocks = seg.blocks
            for j, part in enumerate(m.parts):
                # Plain text, the common case, runs inline.
                if isinstance(part, TextPart) and part.cache is None and not part.extensions:
                    text = part.text
                    if text and not text.isspace():
                        blocks.append({"type": "text", "text": text})
                        continue
                self.part(part, seg, ("messages", i, "parts", j))
            if blocks or seg.results:
                segs.append(seg)
            else:
                self.log(("messages", i), "empty-message")
        turns = self.turns(segs)
        if self.paired:
            turns = self.pair(turns)
        return _emit(turns)

    def lift(self, m: Message, path: Path, after_turns: bool) -> None:
        """Move a system or developer message's text to the top-level system."""
        where = ", ahead of the conversation" if after_turns else ""
        self.log(path, "system-position", m.role, where, severity=None if after_turns else "info")
        for j, part in enumerate(m.parts):
            ppath: Path = (*path, "parts", j)
            if isinstance(part, TextPart):
                block = self.text(part, ppath)
                if block is not None:
                    self.system.append(block)
            else:
                self.log(ppath, "system-content", part.type)

    def turns(self, segs: list[Seg]) -> list[list[Seg]]:
        """Group segments into alternating turns, merging consecutive same-role ones."""
        turns: list[list[Seg]] = []
        for seg in segs:
            if turns and turns[-1][0].role == seg.role:
                if not seg.form.get("split"):
                    self.log(("messages", seg.index), "alternating-roles", seg.role)
                turns[-1].append(seg)
            else:
                turns.append([seg])
        return turns

    # -- tool calls and results ------------------------------------------------------

    def pair(self, turns: list[list[Seg]]) -> list[list[Seg]]:
        """Put each call's result first in the next user turn; settle the rest."""
        calls: dict[str, list[tuple[str, int]]] = {}  # id -> [(occurrence key, turn)]
        for t, turn in enumerate(turns):
            for seg in turn:
                for key, _ in seg.calls:
                    calls.setdefault(key.partition(REPEAT)[0], []).append((key, t))
        answers: _Answers = {}
        for t, turn in enumerate(turns):
            others_before = False
            for seg in turn:
                self.settle(seg, t, others_before, calls, answers)
                others_before = others_before or bool(seg.blocks)
        for t, turn in enumerate(turns):
            lead = self.lead(turn, answers) if turn[0].role == "assistant" else None
            if lead:
                if t + 1 == len(turns):
                    turns.append([Seg(turn[-1].index, "user")])
                turns[t + 1][0].lead = lead
        # A turn whose only content moved away is gone; its neighbours now meet.
        out: list[list[Seg]] = []
        for turn in turns:
            kept = [seg for seg in turn if seg.blocks or seg.lead]
            if kept and out and out[-1][0].role == kept[0].role:
                for seg in kept:
                    self.log(("messages", seg.index), "alternating-roles", seg.role)
                out[-1].extend(kept)
            elif kept:
                out.append(kept)
        return out

    def settle(
        self,
        seg: Seg,
        t: int,
        others_before: bool,
        calls: dict[str, list[tuple[str, int]]],
        answers: _Answers,
    ) -> None:
        """Pair the results of segment ``seg`` (in turn ``t``) with their calls.

        A result answers the first open call with its id in the latest turn before
        it (ids may repeat across turns), else the first open call with its id.
        """
        orphans: list[tuple[int, list[dict[str, Any]]]] = []
        for call_id, block, path, first, pos, part in seg.results:
            best: tuple[str, int] | None = None
            for key, ct in calls.get(call_id, ()):
                if key in answers:
                    continue
                if best is None or (ct < t and (best[1] >= t or ct > best[1])):
                    best = (key, ct)
            if best is None:
                orphans.append((pos, self.orphan(part, path, call_id in calls)))
                continue
            key, target = best
            answers[key] = (block, path)
            if target + 1 != t:
                self.log(path, "tool-result-placement", "to the user turn right after its call")
            elif not first or others_before:
                what = "ahead of the other content of its turn"
                self.log(path, "tool-result-placement", what, severity="info")
        for pos, blocks in reversed(orphans):
            seg.blocks[pos:pos] = blocks

    def lead(self, turn: list[Seg], answers: _Answers) -> list[dict[str, Any]]:
        """The tool_result blocks answering the calls of an assistant turn, in call order."""
        lead: list[dict[str, Any]] = []
        for seg in turn:
            for key, path in seg.calls:
                answer = answers.get(key)
                if answer is None:
                    self.log(path, "tool-result-missing")
                    block = {
                        "type": "tool_result",
                        "tool_use_id": self.tool_id(key, None),
                        "content": MISSING_RESULT_TEXT,
                        "is_error": True,
                    }
                else:
                    block, rpath = answer
                    block["tool_use_id"] = self.tool_id(key, rpath)
                lead.append(block)
        return lead

    def orphan(self, part: ToolResultPart, path: Path, duplicate: bool) -> list[dict[str, Any]]:
        """Write a result that answers no call as text (and its images and documents)."""
        why = "a second result for the same call" if duplicate else "no call has this id"
        self.log(path, "orphan-tool-result", why)
        error = " (error)" if part.is_error else ""
        texts = [p.text for p in part.content if isinstance(p, TextPart)]
        head = f"Result of tool call {part.call_id}{error}:"
        out: list[dict[str, Any]] = [{"type": "text", "text": "\n".join([head, *texts])}]
        for k, item in enumerate(part.content):
            if not isinstance(item, TextPart):
                block = self.media(item, (*path, "content", k))
                if block is not None:
                    out.append(block)
        return out


class _AgentTurns(AgentTurns):
    """Writes a conversation as agents send it, in one pass (`_Encoder.messages`' fast path).

    Such a conversation starts with the user and has user, assistant and tool
    messages of non-blank text, images Anthropic takes, function calls with object
    arguments and valid, unique ids, and results holding one text that answer each
    call of the turn before, ahead of any other content of their turn; no cache
    hints, names or extensions but other formats' ``form`` hints. The general path
    would only merge consecutive turns of a role (logged by the caller) and put
    each turn's results in call order, and this does the same. For any other
    conversation `write` returns None, and the general path writes it.
    """

    name = NAME

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()  # every call id so far
        # ids of the calls of the last assistant turn, in order (a dict: `in` is O(1))
        self.calls: dict[str, None] = {}
        self.results: dict[str, dict[str, Any]] = {}  # this user turn's results, by call id

    def write(
        self, messages: Sequence[Message]
    ) -> tuple[list[dict[str, Any]], list[tuple[int, str]]] | None:
        simple = super().write(messages)
        if simple is not None:
            for message in simple[0]:  # one plain text is written as a string
                content = message["content"]
                if len(content) == 1 and len(content[0]) == 2 and content[0]["type"] == "text":
                    message["content"] = content[0]["text"]
        return simple

    def start_user(self) -> None:
        self.results = {}

    def start_assistant(self) -> None:
        self.calls = {}

    def answered(self) -> bool:
        return self.lead()

    def lead(self) -> bool:
        """End a user turn: its results go first, in call order; False when a call has none."""
        calls, results = self.calls, self.results
        if len(results) != len(calls):
            return False
        if calls:
            self.blocks[:0] = [results[call_id] for call_id in calls]
        return True

    def assistant(self, parts: Sequence[Part]) -> bool:
        """Write an assistant message's parts; False for one the fast path does not take."""
        blocks, ids, calls = self.blocks, self.ids, self.calls
        for part in parts:
            if part.cache is not None or (part.extensions and not quiet(part.extensions)):
                return False
            if type(part) is TextPart:
                text = part.text
                if not text or text.isspace():
                    return False
                blocks.append({"type": "text", "text": text})
            elif type(part) is ToolCallPart:
                call_id, args = part.id, part.arguments
                if type(args) is not dict or call_id in ids or not TOOL_ID.match(call_id):
                    return False
                ids.add(call_id)
                calls[call_id] = None
                blocks.append({"type": "tool_use", "id": call_id, "name": part.name, "input": args})
            elif not self.image(part):
                return False
        return True

    def user(self, parts: Sequence[Part]) -> bool:
        """Write a user or tool message's parts; False for one the fast path does not take."""
        blocks, calls, results = self.blocks, self.calls, self.results
        for part in parts:
            if part.cache is not None or (part.extensions and not quiet(part.extensions)):
                return False
            if type(part) is ToolResultPart:
                # A result answers one of the last turn's calls, before any other content.
                call_id, content = part.call_id, part.content
                if self.others or call_id not in calls or call_id in results or len(content) != 1:
                    return False
                item = content[0]
                if type(item) is not TextPart or item.cache is not None:
                    return False
                if item.extensions and not quiet(item.extensions):
                    return False
                block: dict[str, Any] = {
                    "type": "tool_result",
                    "tool_use_id": call_id,
                    "content": item.text,
                }
                if part.is_error is not None:
                    block["is_error"] = part.is_error
                results[call_id] = block
            elif type(part) is TextPart:
                text = part.text
                if not text or text.isspace():
                    return False
                blocks.append({"type": "text", "text": text})
                self.others = True
            elif self.image(part):
                self.others = True
            else:
                return False
        return True

    def image(self, part: Part) -> bool:
        """Write an image `image_block` takes; False for any other part."""
        block = image_block(part) if type(part) is ImagePart else None
        if block is None:
            return False
        self.blocks.append(block)
        return True


def _emit(turns: list[list[Seg]]) -> list[dict[str, Any]]:
    """Write turns as wire messages (a segment marked ``split`` stays a message of its own)."""
    out: list[dict[str, Any]] = []
    for turn in turns:
        if len(turn) == 1 and not turn[0].extra:  # the common case, inline
            seg = turn[0]
            blocks = seg.lead + seg.blocks if seg.lead else seg.blocks
            block = blocks[0]
            plain = len(blocks) == 1 and len(block) == 2 and block["type"] == "text"
            if plain and not (seg.form and seg.form.get("blocks")):
                out.append({"role": seg.role, "content": block["text"]})
            else:
                out.append({"role": seg.role, "content": blocks})
            continue
        current: dict[str, Any] = {}
        first = turn[0]
        for seg in turn:
            if not current or seg.form.get("split"):
                if current:
                    _content(current, first)
                blocks = seg.lead + seg.blocks if seg.lead else seg.blocks
                current = {"role": seg.role, "content": blocks}
                first = seg
                out.append(current)
            else:
                current["content"].extend(seg.lead)
                current["content"].extend(seg.blocks)
            for key, value in seg.extra.items():
                current.setdefault(key, value)
        _content(current, first)
    return out


def _content(message: dict[str, Any], first: Seg) -> None:
    blocks: list[dict[str, Any]] = message["content"]
    if len(blocks) == 1 and is_plain_text(blocks[0]) and not first.form.get("blocks"):
        message["content"] = blocks[0]["text"]
