"""Writing any AIF document as an Ollama ``/api/chat`` request body.

Ollama messages carry one ``content`` string, raw base64 ``images``, assistant
``thinking`` and ``tool_calls`` (object arguments, no ids), and a ``tool_name`` on
tool messages. The encoder writes each AIF message as one wire message, except
that every `ToolResultPart` becomes a ``tool`` message of its own where it stood.
Everything it changes is logged under `RULES`:

* several text parts are joined with a newline; images and thinking go where the
  wire puts them (``part-order`` when that changes the order);
* images are sent as raw base64: ``data:`` URLs are unpacked, other URLs and file
  ids are dropped (Ollama fetches nothing), as are audio and binary documents;
  plain-text documents and refusals become text;
* tool-call ids are not sent (``tool-call-id``); a result's ``tool_name`` is the
  name of the call it answers; ``is_error`` becomes an ``Error:`` prefix;
* reasoning text is ``thinking``; signatures and redacted reasoning cannot be
  sent; reasoning outside assistant turns follows `EncodeOptions.reasoning`;
* settings go to ``options`` (``max_tokens`` is ``num_predict``); ``tool_choice``,
  ``parallel_tool_calls``, cache hints, names and strict schemas are dropped.
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
    Instruction,
    Message,
    Part,
    ProviderPart,
    ReasoningPart,
    RefusalPart,
    ResultPart,
    Settings,
    TextPart,
    TextSource,
    Tool,
    ToolCallPart,
    ToolResultPart,
    UrlSource,
)
from aifkit.aif.converters._base import Encoded, EncodeOptions
from aifkit.aif.converters._common import own_form, parse_data_url
from aifkit.aif.converters._ollama_decode import NAME, OPTIONS
from aifkit.aif.converters._settings import write_settings
from aifkit.aif.converters._wire import RuleLog, RuleTable, b64_ok, hint_keys, sniff_image

__all__ = ["RULES", "encode_document"]

RULES: Final[RuleTable] = {
    # rule (after "ollama/"): action, severity, message ({} filled in by the caller)
    "arguments-object": ("dropped", "error", "tool arguments must be an object; {}, sent {{}}"),
    "cache": ("dropped", "info", "Ollama has no prompt cache hints"),
    "data-url": ("transformed", "info", "data: URL sent as raw base64"),
    "developer-instructions": ("transformed", "info", "developer text sent as a system message"),
    "document-text": ("transformed", "info", "plain-text document sent as text"),
    "image-base64": ("dropped", "error", "image data is not valid base64"),
    "image-detail": ("dropped", "info", "Ollama images have no detail setting"),
    "image-file": ("dropped", "error", "a file id means nothing to Ollama"),
    "image-media-type": ("dropped", "info", "Ollama images carry no media type; {} is not recognizable from the data"),
    "image-url": ("dropped", "error", "Ollama takes images as base64 only; a URL is not fetched"),
    "message-name": ("dropped", "warning", "Ollama messages have no name"),
    "no-audio": ("dropped", "error", "Ollama takes no audio input"),
    "no-document": ("dropped", "error", "Ollama takes no {} documents"),
    "no-field": ("dropped", "warning", "{} has no equivalent in Ollama"),
    "parallel-tool-calls": ("dropped", "info", "Ollama has no parallel_tool_calls setting"),
    "part-order": ("transformed", "info", "{} (Ollama's order: thinking, text, images, tool calls)"),
    "provider-part": ("dropped", "warning", "a {} block has no Ollama equivalent"),
    "reasoning-redacted": ("dropped", "warning", "redacted reasoning cannot be sent to Ollama"),
    "reasoning-role": ("dropped", "warning", "thinking belongs to assistant messages"),
    "reasoning-signed": ("dropped", "info", "the reasoning signature is not sent (its text is)"),
    "refusal": ("transformed", "info", "refusal sent as text"),
    "result-media": ("dropped", "error", "Ollama tool results hold text and base64 images only"),
    "text-joined": ("transformed", "info", "text parts joined into one content string"),
    "tool-call-id": ("dropped", "info", "Ollama tool calls have no ids; results pair by tool_name and order"),
    "tool-call-role": ("transformed", "warning", "only the assistant calls tools; sent as text"),
    "tool-choice": ("dropped", "warning", "Ollama has no tool_choice"),
    "tool-error-flag": ("transformed", "warning", "error result sent with an 'Error: ' prefix"),
    "tool-kind": ("dropped", "warning", "Ollama has no {!r} tool"),
    "tools-strict": ("dropped", "info", "Ollama has no strict tool schemas"),
}  # fmt: skip


def encode_document(document: Document, options: EncodeOptions) -> Encoded:
    """Write ``document`` as an Ollama chat body (see the module docstring)."""
    enc = _Encoder(document, options)
    return Encoded(enc.run(), enc.losses)


class _Wire:
    """One wire message being built."""

    __slots__ = ("calls", "images", "role", "texts", "thinking")

    def __init__(self, role: str) -> None:
        self.role = role
        self.texts: list[str] = []
        self.thinking: list[str] = []
        self.images: list[str] = []
        self.calls: list[dict[str, Any]] = []


class _Encoder(RuleLog):
    def __init__(self, document: Document, options: EncodeOptions) -> None:
        super().__init__(NAME, RULES)
        self.doc = document
        self.options = options
        self.names: dict[str, str] = {}
        self.made_up: set[str] = set()  # ids an Ollama body never had (read back from one)
        for m in document.messages:
            for p in m.parts:
                if isinstance(p, ToolCallPart):
                    self.names.setdefault(p.id, p.name)
                    if own_form(p.extensions, NAME).get("id") == "synthesized":
                        self.made_up.add(p.id)

    def run(self) -> dict[str, Any]:
        doc = self.doc
        body: dict[str, Any] = {}
        form, extra = self.ext(doc.extensions, ())
        if doc.settings.model is not None:
            body["model"] = doc.settings.model
        messages: list[dict[str, Any]] = []
        for k, ins in enumerate(doc.instructions):
            messages.append(self.instruction(ins, ("instructions", k)))
        for i, m in enumerate(doc.messages):
            messages.extend(self.message(m, ("messages", i)))
        body["messages"] = messages
        if doc.tools:
            body["tools"] = self.tools(doc.tools)
        elif "tools" in hint_keys(form, "null"):
            body["tools"] = None
        self.settings(doc.settings, body)
        for key, value in extra.items():
            body.setdefault(key, value)
        return body

    # -- messages --------------------------------------------------------------------

    def instruction(self, ins: Instruction, path: Path) -> dict[str, Any]:
        form, extra = self.ext(ins.extensions, path)
        if ins.role == "developer":
            self.log(path, "developer-instructions")
        if ins.name is not None:
            self.log((*path, "name"), "message-name")
        wire = _Wire("system")
        for j, part in enumerate(ins.parts):
            if part.cache is not None:
                self.log((*path, "parts", j, "cache"), "cache")
            self.text(part, wire, (*path, "parts", j))
        return self.finish(wire, form, extra, path)

    def message(self, m: Message, path: Path) -> list[dict[str, Any]]:
        form, extra = self.ext(m.extensions, path)
        if m.name is not None:
            self.log((*path, "name"), "message-name")
        role = m.role
        if role == "developer":
            self.log(path, "developer-instructions")
            role = "system"
        out: list[dict[str, Any]] = []
        wire = _Wire(role)
        for j, part in enumerate(m.parts):
            ppath: Path = (*path, "parts", j)
            if isinstance(part, ToolResultPart):
                if wire.texts or wire.images or wire.calls or wire.thinking:
                    out.append(self.finish(wire, {}, {}, path))
                    wire = _Wire(role)
                out.append(self.result(part, ppath, form if not out else {}))
            else:
                self.part(part, wire, ppath)
        if not out or wire.texts or wire.images or wire.calls or wire.thinking:
            out.append(self.finish(wire, form if not out else {}, {}, path))
        for key, value in extra.items():
            out[0].setdefault(key, value)
        return out

    def finish(
        self, wire: _Wire, form: Mapping[str, Any], extra: Mapping[str, Any], path: Path
    ) -> dict[str, Any]:
        msg: dict[str, Any] = {"role": wire.role}
        if form.get("content") != "absent" or wire.texts:
            if len(wire.texts) > 1:
                self.log(path, "text-joined")
            msg["content"] = "\n".join(wire.texts)
        if wire.thinking:
            if len(wire.thinking) > 1:
                self.log(path, "text-joined")
            msg["thinking"] = "\n".join(wire.thinking)
        if wire.images or form.get("images") == "empty":
            msg["images"] = wire.images
        if wire.calls or form.get("tool_calls") == "empty":
            msg["tool_calls"] = wire.calls
        _nulls(msg, form)
        for key, value in extra.items():
            msg.setdefault(key, value)
        return msg

    def part(self, part: Part, wire: _Wire, path: Path) -> None:
        if part.cache is not None:
            self.log((*path, "cache"), "cache")
        if isinstance(part, TextPart):
            if wire.images or wire.calls:
                self.log(path, "part-order", "text moved ahead of the images or calls before it")
            self.text(part, wire, path)
        elif isinstance(part, ImagePart):
            if wire.calls:
                self.log(path, "part-order", "image moved ahead of the tool calls before it")
            self.image(part, wire, path)
        elif isinstance(part, ToolCallPart):
            self.tool_call(part, wire, path)
        elif isinstance(part, ReasoningPart):
            self.reasoning(part, wire, path)
        elif isinstance(part, RefusalPart):
            self.ext(part.extensions, path)
            self.log(path, "refusal")
            wire.texts.append(part.text)
        elif isinstance(part, DocumentPart):
            self.document(part, wire.texts, path)
        elif isinstance(part, AudioPart):
            self.ext(part.extensions, path)
            self.log(path, "no-audio")
        elif isinstance(part, ProviderPart):
            self.log(path, "provider-part", part.format)
        else:  # a result inside a result: not reachable through the schema
            raise AssertionError(part)

    def text(self, part: TextPart, wire: _Wire, path: Path) -> None:
        if part.extensions:
            self.ext(part.extensions, path)
        wire.texts.append(part.text)

    def image(self, part: ImagePart, wire: _Wire, path: Path) -> None:
        self.ext(part.extensions, path)
        data = self.image_data(part, path)
        if data is not None:
            wire.images.append(data)

    def image_data(self, part: ImagePart, path: Path) -> str | None:
        src = part.source
        if part.detail is not None:
            self.log((*path, "detail"), "image-detail")
        if isinstance(src, UrlSource):
            parsed = parse_data_url(src.url)
            if parsed is None:
                self.log(path, "image-url")
                return None
            self.log(path, "data-url")
            src = Base64Source(media_type=parsed[0] or None, data=parsed[1])
        if isinstance(src, FileSource):
            self.log(path, "image-file")
            return None
        if isinstance(src, TextSource):
            self.log(path, "image-base64")
            return None
        if not b64_ok(src.data):
            self.log(path, "image-base64")
            return None
        if src.media_type is not None and sniff_image(src.data) != src.media_type:
            self.log((*path, "source", "media_type"), "image-media-type", src.media_type)
        return src.data

    def document(self, part: DocumentPart, texts: list[str], path: Path) -> None:
        self.ext(part.extensions, path)
        src = part.source
        if isinstance(src, TextSource):
            self.log(path, "document-text")
            title = part.title or part.filename
            texts.append(f"{title}\n\n{src.text}" if title else src.text)
            return
        kind = {"base64": "binary", "url": "URL", "file": "file id"}[src.kind]
        self.log(path, "no-document", kind)

    def tool_call(self, part: ToolCallPart, wire: _Wire, path: Path) -> None:
        form, extra = self.ext(part.extensions, path)
        args = part.raw_arguments if part.raw_arguments is not None else part.arguments
        if wire.role != "assistant":
            self.log(path, "tool-call-role")
            text = args if isinstance(args, str) else canonical_json(args)
            wire.texts.append(f"Tool call {part.name} ({part.id}): {text}")
            return
        if form.get("id") != "synthesized":
            self.log((*path, "id"), "tool-call-id")
        if not isinstance(args, dict):
            lost = args is not None and (not isinstance(args, str) or args.strip() != "")
            why = "the arguments were not valid JSON" if isinstance(args, str) else "not an object"
            self.log(path, "arguments-object", why, severity="error" if lost else "info")
            args = {}
        fn: dict[str, Any] = {"name": part.name, "arguments": args}
        if "index" in form:
            fn["index"] = form["index"]
        nested = extra.get("function")
        if isinstance(nested, dict):
            for key, value in cast("dict[str, Any]", nested).items():
                fn.setdefault(key, value)
        call: dict[str, Any] = {"function": fn}
        for key, value in extra.items():
            if key != "function":
                call.setdefault(key, value)
        wire.calls.append(call)

    def reasoning(self, part: ReasoningPart, wire: _Wire, path: Path) -> None:
        self.ext(part.extensions, path)
        text = part.text
        if wire.role != "assistant":
            if self.options.reasoning == "text" and text:
                self.log(path, "reasoning-role", action="transformed", severity="info")
                wire.texts.append(f"<reasoning>{text}</reasoning>")
            else:
                self.log(path, "reasoning-role")
            return
        if part.redacted is not None:
            self.log((*path, "redacted"), "reasoning-redacted")
        if part.signature is not None:
            self.log((*path, "signature"), "reasoning-signed")
        if text is not None:
            if wire.texts or wire.images or wire.calls:
                self.log(path, "part-order", "thinking moved ahead of the content before it")
            wire.thinking.append(text)

    def result(self, part: ToolResultPart, path: Path, form: Mapping[str, Any]) -> dict[str, Any]:
        self.ext(part.extensions, path)
        if part.call_id not in self.made_up and form.get("id") != "synthesized":
            self.log((*path, "call_id"), "tool-call-id")
        wire = _Wire("tool")
        if part.is_error:
            self.log((*path, "is_error"), "tool-error-flag")
            wire.texts.append("Error: ")
        for k, item in enumerate(part.content):
            self.result_item(item, wire, (*path, "content", k))
        if part.is_error:
            wire.texts[:2] = ["".join(wire.texts[:2])]
        if part.cache is not None:
            self.log((*path, "cache"), "cache")
        msg = self.finish(wire, form, {}, path)
        name = form.get("tool_name", self.names.get(part.call_id))
        if isinstance(name, str):
            msg["tool_name"] = name
        return msg

    def result_item(self, item: ResultPart, wire: _Wire, path: Path) -> None:
        if item.cache is not None:
            self.log((*path, "cache"), "cache")
        if isinstance(item, TextPart):
            self.text(item, wire, path)
        elif isinstance(item, ImagePart):
            self.image(item, wire, path)
        elif isinstance(item.source, TextSource):
            self.document(item, wire.texts, path)
        else:
            self.ext(item.extensions, path)
            self.log(path, "result-media")

    # -- tools and settings -------------------------------------------------------------

    def tools(self, tools: tuple[Tool, ...]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for k, t in enumerate(tools):
            path: Path = ("tools", k)
            form, extra = self.ext(t.extensions, path)
            if t.cache is not None:
                self.log((*path, "cache"), "cache")
            whole = extra.get("tool")
            if t.kind != "function":
                if isinstance(whole, dict):
                    out.append(cast("dict[str, Any]", whole))
                else:
                    self.log(path, "tool-kind", t.kind)
                continue
            if t.strict:
                self.log((*path, "strict"), "tools-strict")
            fn: dict[str, Any] = {}
            if form.get("name") != "absent":
                fn["name"] = t.name
            if t.description is not None:
                fn["description"] = t.description
            if t.parameters is not None:
                fn["parameters"] = t.parameters
            nested = extra.get("function")
            if isinstance(nested, dict):
                fn.update(cast("dict[str, Any]", nested))
            tool: dict[str, Any] = {} if form.get("type") == "absent" else {"type": "function"}
            tool["function"] = fn
            for key, value in extra.items():
                if key not in ("function", "tool"):
                    tool.setdefault(key, value)
            out.append(tool)
        return out

    def settings(self, s: Settings, body: dict[str, Any]) -> None:
        form, extra = self.ext(s.extensions, ("settings",))
        options: dict[str, Any] = {}
        write_settings(s, OPTIONS, form, options)
        nested = extra.get("options")
        if isinstance(nested, dict):
            options.update(cast("dict[str, Any]", nested))
        if options or form.get("options") == "empty":
            body["options"] = options
        if s.stream is not None:
            body["stream"] = s.stream
        if s.tool_choice is not None:
            self.log(("settings", "tool_choice"), "tool-choice")
        if s.parallel_tool_calls is not None:
            self.log(("settings", "parallel_tool_calls"), "parallel-tool-calls")


def _nulls(msg: dict[str, Any], form: Mapping[str, Any]) -> None:
    for key in hint_keys(form, "null"):
        msg.setdefault(key, None)
