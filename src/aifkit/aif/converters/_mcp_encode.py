"""Writing any AIF document as MCP sampling params or as MCP prompt messages.

``mcp`` (``sampling/createMessage``) rules, each change logged under `RULES`:

* instructions and system/developer messages become the one ``systemPrompt``
  (joined with blank lines);
* roles are user and assistant: AIF ``tool`` messages are user turns;
* ``tool_use`` blocks only in assistant messages, ``tool_result`` blocks only in
  user messages, and a message with tool results holds nothing else: results are
  split into a message of their own ahead of the rest of their turn;
* every assistant message with tool calls is followed by a user message holding a
  result for each of its calls (a missing one is synthesized as an error result);
  a result that answers no call of the message before it becomes text;
* images and audio are base64 with a MIME type; plain-text documents become text
  in messages and embedded resources in tool results; ``maxTokens`` is required.

``mcp-prompt`` (``prompts/get`` messages): one content block per message (a
message of several parts becomes several messages), roles user and assistant
(instructions become user messages), documents as embedded resources or resource
links; tool calls and results become text; settings and tools are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

from aifkit._json import canonical_json
from aifkit.aif._loss import Path
from aifkit.aif._schema import (
    AudioPart,
    Base64Source,
    Document,
    DocumentPart,
    FileSource,
    ImagePart,
    Part,
    ProviderPart,
    ReasoningPart,
    RefusalPart,
    Settings,
    TextPart,
    TextSource,
    ToolCallPart,
    ToolResultPart,
    UrlSource,
)
from aifkit.aif.converters._base import Encoded, EncodeOptions
from aifkit.aif.converters._common import parse_data_url
from aifkit.aif.converters._mcp_decode import NAME, PROMPT, SETTINGS
from aifkit.aif.converters._settings import write_settings
from aifkit.aif.converters._wire import RuleLog, RuleTable, sniff_image

__all__ = ["MISSING_RESULT_TEXT", "RULES", "encode_params", "encode_prompt"]

MISSING_RESULT_TEXT: Final = "No result was recorded for this tool call."

RULES: Final[RuleTable] = {
    # rule (after "mcp/" or "mcp-prompt/"): action, severity, message
    "arguments-object": ("dropped", "error", "tool input must be an object; {}, sent {{}}"),
    "audio-format": ("dropped", "error", "audio needs base64 data and a MIME type"),
    "cache": ("dropped", "info", "MCP has no prompt cache hints"),
    "data-url": ("transformed", "info", "data: URL sent as base64 data"),
    "developer-instructions": ("transformed", "info", "developer text sent as system text"),
    "document": ("dropped", "error", "MCP messages cannot hold a {} document"),
    "document-text": ("transformed", "info", "plain-text document sent as text"),
    "empty-message": ("dropped", "info", "a prompt message needs one content block; this one had none"),
    "image-detail": ("dropped", "info", "MCP images have no detail setting"),
    "image-source": ("dropped", "error", "MCP images are base64 with a MIME type; {}"),
    "max-tokens-required": ("synthesized", "info", "maxTokens is required; wrote the default {}"),
    "message-name": ("dropped", "warning", "MCP messages have no name"),
    "model-hint": ("transformed", "info", "the model is sent as a model preference hint"),
    "no-field": ("dropped", "warning", "{} has no equivalent in MCP"),
    "one-block": ("transformed", "info", "a prompt message holds one content block; split into {} messages"),
    "orphan-tool-result": ("transformed", "warning", "no tool call in the message before awaits this result; sent as text"),
    "parallel-tool-calls": ("dropped", "info", "MCP has no parallel_tool_calls setting"),
    "provider-part": ("dropped", "warning", "a {} block has no MCP equivalent"),
    "reasoning": ("dropped", "warning", "MCP has no reasoning input"),
    "refusal": ("transformed", "info", "refusal sent as text"),
    "seed": ("dropped", "info", "MCP sampling has no seed"),
    "settings": ("dropped", "info", "MCP prompts carry no {}"),
    "system-position": ("transformed", "warning", "{} message moved into the system prompt"),
    "system-as-user": ("transformed", "warning", "prompts have no system text; sent as a user message"),
    "text-joined": ("transformed", "info", "system text parts joined into one systemPrompt"),
    "tool-call-role": ("transformed", "warning", "only the assistant calls tools; sent as text"),
    "tool-choice": ("transformed", "warning", "MCP cannot force one named tool; sent mode 'required'"),
    "tool-kind": ("dropped", "warning", "MCP has no {!r} tool"),
    "tool-result-alone": ("transformed", "info", "tool results moved into a message of their own, ahead of the rest of the turn"),
    "tool-result-missing": ("synthesized", "warning", "the call had no result in the next message; wrote an error result"),
    "tool-result-role": ("transformed", "warning", "tool results belong to user messages; moved into one"),
    "tool-text": ("transformed", "warning", "prompts carry no tool calls or results; sent as text"),
    "tools": ("dropped", "warning", "MCP prompts carry no tool definitions"),
    "tools-strict": ("dropped", "info", "MCP has no strict tool schemas"),
    "top-k": ("dropped", "info", "MCP sampling has no top_k"),
    "top-p": ("dropped", "info", "MCP sampling has no top_p"),
}  # fmt: skip

_AUDIO_TYPES: Final = {"wav": "audio/wav", "mp3": "audio/mpeg"}


def encode_params(document: Document, options: EncodeOptions) -> Encoded:
    """Write ``document`` as ``sampling/createMessage`` params (see the module docstring)."""
    enc = _Params(document, options)
    return Encoded(enc.run(), enc.losses)


_PROMPT_UNSENT: Final = (
    "model",
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "stop",
    "seed",
    "stream",
    "tool_choice",
    "parallel_tool_calls",
)
"""The settings a prompt drops (reasoning is reported by `report_unsent`)."""


def encode_prompt(document: Document, options: EncodeOptions) -> Encoded:
    """Write ``document`` as ``prompts/get`` result messages (see the module docstring)."""
    enc = _Prompt(document, options)
    return Encoded(enc.run(), enc.losses)


class _Blocks(RuleLog):
    """Writes parts as MCP content blocks."""

    def __init__(self, name: str, document: Document, options: EncodeOptions) -> None:
        super().__init__(name, RULES)
        self.doc = document
        self.options = options

    def decorate(self, block: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
        for key, value in extra.items():
            block.setdefault(key, value)
        return block

    def common(self, part: Part, path: Path) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        if part.cache is not None:
            self.log((*path, "cache"), "cache")
        return self.ext(part.extensions, path)

    def text_block(self, part: TextPart, path: Path) -> dict[str, Any]:
        _, extra = self.common(part, path)
        return self.decorate({"type": "text", "text": part.text}, extra)

    def media(self, part: ImagePart | AudioPart, path: Path) -> dict[str, Any] | None:
        _, extra = self.common(part, path)
        src = part.source
        if isinstance(part, ImagePart) and part.detail is not None:
            self.log((*path, "detail"), "image-detail")
        if isinstance(src, UrlSource):
            parsed = parse_data_url(src.url)
            if parsed is None:
                return self.bad_media(part, path, "a URL is not fetched")
            self.log(path, "data-url")
            src = Base64Source(media_type=parsed[0] or None, data=parsed[1])
        if not isinstance(src, Base64Source):
            return self.bad_media(part, path, f"a {src.kind} source cannot be sent")
        mime = src.media_type
        if mime is None and isinstance(part, ImagePart):
            mime = sniff_image(src.data)
        elif mime is None and isinstance(part, AudioPart) and part.format is not None:
            mime = _AUDIO_TYPES.get(part.format)
        if mime is None:
            return self.bad_media(part, path, "its MIME type is unknown")
        block = {"type": part.type, "data": src.data, "mimeType": mime}
        return self.decorate(block, extra)

    def bad_media(self, part: ImagePart | AudioPart, path: Path, why: str) -> None:
        if isinstance(part, ImagePart):
            self.log(path, "image-source", why)
        else:
            self.log(path, "audio-format")

    def resource(self, part: DocumentPart, path: Path) -> dict[str, Any] | None:
        """An embedded resource or resource link (prompts and tool results)."""
        form, extra = self.common(part, path)
        extra = dict(extra)
        src = part.source
        uri = extra.pop("uri", None)
        nested = extra.pop("resource", None)
        if isinstance(src, UrlSource) and not src.url.startswith("data:"):
            block: dict[str, Any] = {"type": "resource_link", "uri": src.url}
            block["name"] = part.filename or part.title or src.url.rsplit("/", 1)[-1] or src.url
            if part.title is not None:
                block["title"] = part.title
            return self.decorate(block, extra)
        if isinstance(src, UrlSource):
            parsed = parse_data_url(src.url)
            assert parsed is not None
            self.log(path, "data-url")
            src = Base64Source(media_type=parsed[0] or None, data=parsed[1])
        if isinstance(src, FileSource):
            self.log(path, "document", "file id")
            return None
        res: dict[str, Any] = {"uri": uri if isinstance(uri, str) else _uri(part)}
        if isinstance(src, TextSource):
            if form.get("mime") != "absent":
                res["mimeType"] = src.media_type
            res["text"] = src.text
        else:
            if src.media_type is not None:
                res["mimeType"] = src.media_type
            res["blob"] = src.data
        if isinstance(nested, dict):
            res.update(cast("dict[str, Any]", nested))
        return self.decorate({"type": "resource", "resource": res}, extra)

    def simple(self, part: Part, path: Path, role: str) -> dict[str, Any] | None:
        """Blocks every message can hold: text, image, audio; others as text or dropped."""
        if isinstance(part, TextPart):
            return self.text_block(part, path)
        if isinstance(part, ImagePart | AudioPart):
            return self.media(part, path)
        if isinstance(part, RefusalPart):
            self.common(part, path)
            self.log(path, "refusal")
            return {"type": "text", "text": part.text}
        if isinstance(part, ReasoningPart):
            self.common(part, path)
            if self.options.reasoning == "text" and part.text:
                self.log(path, "reasoning", action="transformed", severity="info")
                return {"type": "text", "text": f"<reasoning>{part.text}</reasoning>"}
            self.log(path, "reasoning")
            return None
        if isinstance(part, ProviderPart):
            if part.format == self.name:
                return dict(part.data)
            self.log(path, "provider-part", part.format)
            return None
        return None

    def call_text(self, part: ToolCallPart) -> str:
        args = (
            part.raw_arguments if part.raw_arguments is not None else canonical_json(part.arguments)
        )
        return f"Tool call {part.name} ({part.id}): {args}"

    def result_text(self, part: ToolResultPart) -> str:
        error = " (error)" if part.is_error else ""
        texts = [p.text for p in part.content if isinstance(p, TextPart)]
        return "\n".join([f"Result of tool call {part.call_id}{error}:", *texts])


def _uri(part: DocumentPart) -> str:
    name = part.filename or part.title or "document"
    return f"aif:///{name}"


# -- sampling params -------------------------------------------------------------------


class _Msg:
    __slots__ = ("blocks", "calls", "extra", "form", "index", "results", "role")

    def __init__(self, role: str, index: int) -> None:
        self.role = role
        self.index = index
        self.blocks: list[dict[str, Any]] = []
        self.calls: list[str] = []
        self.results: list[tuple[str, Path, ToolResultPart]] = []
        self.form: Mapping[str, Any] = {}
        self.extra: Mapping[str, Any] = {}


class _Params(_Blocks):
    def __init__(self, document: Document, options: EncodeOptions) -> None:
        super().__init__(NAME, document, options)
        self.system: list[str] = []

    def run(self) -> dict[str, Any]:
        doc = self.doc
        body: dict[str, Any] = {}
        _, extra = self.ext(doc.extensions, ())
        for k, ins in enumerate(doc.instructions):
            path: Path = ("instructions", k)
            self.ext(ins.extensions, path)
            if ins.role == "developer":
                self.log(path, "developer-instructions")
            if ins.name is not None:
                self.log((*path, "name"), "message-name")
            self.system_text(ins.parts, path)
        msgs = self.messages()
        body["messages"] = self.pair(msgs)
        if self.system:
            if len(self.system) > 1:
                self.log(("instructions",), "text-joined")
            body["systemPrompt"] = "\n\n".join(self.system)
        if doc.tools:
            tools = self.tools()
            if tools:
                body["tools"] = tools
        self.settings(doc.settings, body)
        for key, value in extra.items():
            body.setdefault(key, value)
        return body

    def system_text(self, parts: tuple[Part, ...], path: Path) -> None:
        for j, part in enumerate(parts):
            ppath: Path = (*path, "parts", j)
            if isinstance(part, TextPart):
                self.common(part, ppath)
                self.system.append(part.text)
            else:
                self.log(ppath, "provider-part", part.type)

    def messages(self) -> list[_Msg]:
        out: list[_Msg] = []
        for i, m in enumerate(self.doc.messages):
            path: Path = ("messages", i)
            form, extra = self.ext(m.extensions, path)
            if m.name is not None:
                self.log((*path, "name"), "message-name")
            if m.role in ("system", "developer"):
                self.log(path, "system-position", m.role)
                self.system_text(m.parts, path)
                continue
            role = "assistant" if m.role == "assistant" else "user"
            msg = _Msg(role, i)
            msg.form, msg.extra = form, extra
            for j, part in enumerate(m.parts):
                self.part(part, msg, (*path, "parts", j))
            if msg.results:
                out.extend(self.split(msg, path))
            else:
                out.append(msg)
        return out

    def part(self, part: Part, msg: _Msg, path: Path) -> None:
        if isinstance(part, ToolCallPart):
            if msg.role != "assistant":
                self.common(part, path)
                self.log(path, "tool-call-role")
                msg.blocks.append({"type": "text", "text": self.call_text(part)})
                return
            msg.blocks.append(self.tool_use(part, path))
            msg.calls.append(part.id)
        elif isinstance(part, ToolResultPart):
            msg.results.append((part.call_id, path, part))
        elif isinstance(part, DocumentPart):
            self.common(part, path)
            src = part.source
            if isinstance(src, TextSource):
                self.log(path, "document-text")
                msg.blocks.append({"type": "text", "text": src.text})
            else:
                self.log(
                    path,
                    "document",
                    {"base64": "binary", "url": "URL", "file": "file id"}[src.kind],
                )
        else:
            block = self.simple(part, path, msg.role)
            if block is not None:
                msg.blocks.append(block)

    def tool_use(self, part: ToolCallPart, path: Path) -> dict[str, Any]:
        _, extra = self.common(part, path)
        args = part.arguments
        if not isinstance(args, dict):
            raw = part.raw_arguments
            lost = (raw is not None and raw.strip() != "") or (raw is None and args is not None)
            why = "the arguments were not valid JSON" if raw is not None else "not an object"
            self.log(path, "arguments-object", why, severity="error" if lost else "info")
            args = {}
        block: dict[str, Any] = {"type": "tool_use", "id": part.id, "name": part.name}
        block["input"] = args
        return self.decorate(block, extra)

    def split(self, msg: _Msg, path: Path) -> list[_Msg]:
        """A message with results: the results alone first, then the rest as a user turn."""
        if msg.role != "user":
            self.log(path, "tool-result-role")
        elif msg.blocks:
            self.log(path, "tool-result-alone")
        results = _Msg("user", msg.index)
        results.results = msg.results
        results.form, results.extra = msg.form, msg.extra
        if not msg.blocks:
            return [results]
        msg.results = []
        msg.form, msg.extra = {}, {}
        return [msg, results] if msg.role == "assistant" else [results, msg]

    def result_block(self, part: ToolResultPart, path: Path) -> dict[str, Any]:
        form, extra = self.common(part, path)
        block: dict[str, Any] = {"type": "tool_result", "toolUseId": part.call_id}
        if "content" in extra:
            block["content"] = extra["content"]
        elif form.get("content") != "absent" or part.content:
            items: list[dict[str, Any]] = []
            for k, item in enumerate(part.content):
                ipath: Path = (*path, "content", k)
                if isinstance(item, DocumentPart):
                    out = self.resource(item, ipath)
                elif isinstance(item, TextPart):
                    out = self.text_block(item, ipath)
                else:
                    out = self.media(item, ipath)
                if out is not None:
                    items.append(out)
            block["content"] = items
        if part.is_error is not None:
            block["isError"] = part.is_error
        return self.decorate(block, {k: v for k, v in extra.items() if k != "content"})

    def pair(self, msgs: list[_Msg]) -> list[dict[str, Any]]:
        """Emit messages; each assistant turn's calls are answered by the next message."""
        out: list[dict[str, Any]] = []
        k = 0
        while k < len(msgs):
            msg = msgs[k]
            k += 1
            if msg.results:  # results that answer no call just before them
                out.append(self.orphans(msg, msg.results))
                continue
            out.append(self.emit(msg, msg.blocks))
            if not msg.calls:
                continue
            nxt = msgs[k] if k < len(msgs) and msgs[k].results else None
            if nxt is not None:
                k += 1
            out.extend(self.answer(msg, nxt))
        return out

    def answer(self, msg: _Msg, nxt: _Msg | None) -> list[dict[str, Any]]:
        """The user message answering ``msg``'s calls: results in their order, then
        an error result for each call that had none."""
        answered: set[str] = set()
        blocks: list[dict[str, Any]] = []
        stray: list[tuple[str, Path, ToolResultPart]] = []
        for call_id, path, part in nxt.results if nxt is not None else []:
            if call_id in msg.calls and call_id not in answered:
                answered.add(call_id)
                blocks.append(self.result_block(part, path))
            else:
                stray.append((call_id, path, part))
        for n, call_id in enumerate(msg.calls):
            if call_id in answered:
                continue
            answered.add(call_id)
            where: Path = ("messages", msg.index, "parts", self._call_part(msg, n))
            self.log(where, "tool-result-missing")
            blocks.append(
                {
                    "type": "tool_result",
                    "toolUseId": call_id,
                    "content": [{"type": "text", "text": MISSING_RESULT_TEXT}],
                    "isError": True,
                }
            )
        holder = nxt if nxt is not None else _Msg("user", msg.index)
        out = [self.emit(holder, blocks)]
        if stray:
            out.append(self.orphans(_Msg("user", holder.index), stray))
        return out

    def _call_part(self, msg: _Msg, n: int) -> int:
        parts = self.doc.messages[msg.index].parts
        calls = [j for j, p in enumerate(parts) if isinstance(p, ToolCallPart)]
        return calls[n] if n < len(calls) else 0

    def orphans(self, msg: _Msg, results: list[tuple[str, Path, ToolResultPart]]) -> dict[str, Any]:
        blocks: list[dict[str, Any]] = []
        for _, path, part in results:
            self.log(path, "orphan-tool-result")
            self.common(part, path)
            blocks.append({"type": "text", "text": self.result_text(part)})
            for k, item in enumerate(part.content):
                if isinstance(item, ImagePart):
                    block = self.media(item, (*path, "content", k))
                    if block is not None:
                        blocks.append(block)
        return self.emit(_Msg("user", msg.index), blocks)

    def emit(self, msg: _Msg, blocks: list[dict[str, Any]]) -> dict[str, Any]:
        content: Any = blocks
        if len(blocks) == 1 and not msg.form.get("list"):
            content = blocks[0]
        wire: dict[str, Any] = {"role": msg.role, "content": content}
        for key, value in msg.extra.items():
            wire.setdefault(key, value)
        return wire

    # -- tools and settings --------------------------------------------------------------

    def tools(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for k, t in enumerate(self.doc.tools):
            path: Path = ("tools", k)
            _, extra = self.ext(t.extensions, path)
            if t.cache is not None:
                self.log((*path, "cache"), "cache")
            if t.kind != "function":
                self.log(path, "tool-kind", t.kind)
                continue
            if t.strict:
                self.log((*path, "strict"), "tools-strict")
            tool: dict[str, Any] = {"name": t.name}
            if t.description is not None:
                tool["description"] = t.description
            tool["inputSchema"] = t.parameters if t.parameters is not None else {"type": "object"}
            out.append(self.decorate(tool, extra))
        return out

    def settings(self, s: Settings, body: dict[str, Any]) -> None:
        form, extra = self.ext(s.extensions, ("settings",))
        if s.max_tokens is None:
            body["maxTokens"] = self.options.default_max_tokens
            self.log(("max_tokens",), "max-tokens-required", self.options.default_max_tokens)
        write_settings(s, SETTINGS, form, body)
        for name, rule in (("top_p", "top-p"), ("top_k", "top-k"), ("seed", "seed")):
            if getattr(s, name) is not None:
                self.log(("settings", name), rule)
        if s.parallel_tool_calls is not None:
            self.log(("settings", "parallel_tool_calls"), "parallel-tool-calls")
        tc = s.tool_choice
        if tc is not None:
            if tc.mode == "tool":
                self.log(("settings", "tool_choice"), "tool-choice")
            body["toolChoice"] = {"mode": "required" if tc.mode == "tool" else tc.mode}
        if s.model is not None and "modelPreferences" not in extra:
            if form.get("model") != "hint":
                self.log(("settings", "model"), "model-hint")
            body["modelPreferences"] = {"hints": [{"name": s.model}]}
        for key, value in extra.items():
            body.setdefault(key, value)


# -- prompt messages -------------------------------------------------------------------


class _Prompt(_Blocks):
    def __init__(self, document: Document, options: EncodeOptions) -> None:
        super().__init__(PROMPT, document, options)

    def run(self) -> dict[str, Any]:
        doc = self.doc
        body: dict[str, Any] = {}
        _, extra = self.ext(doc.extensions, ())
        messages: list[dict[str, Any]] = []
        for k, ins in enumerate(doc.instructions):
            path: Path = ("instructions", k)
            self.ext(ins.extensions, path)
            self.log(path, "system-as-user")
            for j, part in enumerate(ins.parts):
                block = self.text_block(part, (*path, "parts", j))
                messages.append({"role": "user", "content": block})
        for i, m in enumerate(doc.messages):
            messages.extend(self.message(m, ("messages", i)))
        body["messages"] = messages
        self.dropped(doc)
        for key, value in extra.items():
            body.setdefault(key, value)
        return body

    def message(self, m: Any, path: Path) -> list[dict[str, Any]]:
        _, extra = self.ext(m.extensions, path)
        if m.name is not None:
            self.log((*path, "name"), "message-name")
        role = "assistant" if m.role == "assistant" else "user"
        if m.role in ("system", "developer"):
            self.log(path, "system-as-user")
        blocks: list[dict[str, Any]] = []
        for j, part in enumerate(m.parts):
            ppath: Path = (*path, "parts", j)
            if isinstance(part, ToolCallPart):
                self.common(part, ppath)
                self.log(ppath, "tool-text")
                blocks.append({"type": "text", "text": self.call_text(part)})
            elif isinstance(part, ToolResultPart):
                self.common(part, ppath)
                self.log(ppath, "tool-text")
                blocks.append({"type": "text", "text": self.result_text(part)})
            elif isinstance(part, DocumentPart):
                block = self.resource(part, ppath)
                if block is not None:
                    blocks.append(block)
            else:
                block = self.simple(part, ppath, role)
                if block is not None:
                    blocks.append(block)
        if not blocks:
            self.log(path, "empty-message")
            return []
        if len(blocks) > 1:
            self.log(path, "one-block", len(blocks))
        out = [{"role": role, "content": b} for b in blocks]
        for key, value in extra.items():
            out[0].setdefault(key, value)
        return out

    def dropped(self, doc: Document) -> None:
        s = doc.settings
        for name in _PROMPT_UNSENT:
            if getattr(s, name) is not None:
                self.log(("settings", name), "settings", name)
        self.ext(s.extensions, ("settings",))
        for k, t in enumerate(doc.tools):
            self.ext(t.extensions, ("tools", k))
            self.log(("tools", k), "tools")
