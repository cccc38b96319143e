"""Writing any AIF document as a Cohere v2 chat request body.

User messages hold text and images; documents travel in the request's top-level
``documents`` (or inside tool results); an assistant message holds text, thinking,
``tool_calls`` with string arguments and the ``tool_plan`` that precedes them; each
call is answered by a ``tool`` message right after its assistant message. `RULES`
lists every rule the encoder applies.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any, Final, cast

from aifkit.aif._loss import Action, Path, Severity
from aifkit.aif._schema import (
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
    TextPart,
    TextSource,
    Tool,
    ToolCallPart,
    ToolResultPart,
    UrlSource,
)
from aifkit.aif.converters._base import Encoded, EncodeOptions
from aifkit.aif.converters._cohere_decode import NAME, Obj
from aifkit.aif.converters._common import (
    build_data_url,
    write_arguments,
)
from aifkit.aif.converters._wire import RuleLog

__all__ = ["MISSING_RESULT_TEXT", "RULES", "encode_document"]

MISSING_RESULT_TEXT: Final = "Error: no result was recorded for this tool call."

RULES: Final[dict[str, tuple[Action, Severity, str]]] = {
    # rule (after "cohere/"): action, severity, message ({} filled in by the caller)
    "assistant-text": ("transformed", "info", "several texts joined into one tool_plan"),
    "cache": ("dropped", "info", "Cohere has no cache hints"),
    "developer-instructions": ("transformed", "info", "developer instructions sent as system"),
    "document-base64": ("transformed", "info", "base64 {} sent as document text"),
    "document-context": ("dropped", "info", "Cohere documents have no context field"),
    "document-position": ("transformed", "info", "moved to the request's documents"),
    "document-source": ("dropped", "error", "Cohere documents are text or JSON data, not {}"),
    "empty-message": ("dropped", "info", "an assistant message needs content or tool calls"),
    "image-source": ("dropped", "error", "Cohere images are URLs or data URLs, not {}"),
    "message-name": ("dropped", "warning", "Cohere messages have no participant name"),
    "no-audio": ("dropped", "error", "Cohere takes no audio"),
    "no-field": ("dropped", "warning", "no equivalent field"),
    "orphan-tool-result": ("transformed", "warning", "no call awaits this result; sent as text"),
    "parallel-tool-calls": ("dropped", "info", "Cohere has no parallel_tool_calls setting"),
    "part-not-allowed": ("dropped", "error", "{} parts cannot be sent in a {} message"),
    "provider-part": ("dropped", "error", "a {} block has no equivalent in Cohere"),
    "reasoning-replay": ("dropped", "info", "{}"),
    "reasoning-signature": ("dropped", "info", "the {} signature is not valid on Cohere"),
    "refusal": ("transformed", "info", "refusal sent as assistant text"),
    "strict-tools": ("transformed", "warning", "strict applies to every tool on Cohere"),
    "tool-call-role": ("transformed", "warning", "only the assistant calls tools; sent as text"),
    "tool-choice": ("transformed", "warning", "{}"),
    "tool-error-flag": ("transformed", "warning", "the error flag became an 'Error: ' prefix"),
    "tool-kind": ("dropped", "error", "{} tools have no equivalent in Cohere"),
    "tool-parameters": ("synthesized", "info", "an empty object schema was sent"),
    "tool-result-media": ("dropped", "error", "Cohere tool results are text or documents"),
    "tool-result-missing": ("synthesized", "warning", "an error result was sent for the call"),
}


def encode_document(document: Document, options: EncodeOptions) -> Encoded:
    """Write ``document`` as a v2 chat body Cohere accepts; log every change."""
    return _Encoder(document, options).run()


def _unfilled(message: str) -> str:
    return message.replace("{}", "").strip()


class _Encoder(RuleLog):
    def __init__(self, doc: Document, options: EncodeOptions) -> None:
        self.doc = doc
        self.options = options
        super().__init__(NAME, RULES, unfilled=_unfilled)
        self.out: list[Obj] = []
        self.documents: list[Any] = []
        self.open: list[tuple[str, Path]] = []
        self.leading = True  # still at the head of the first user message

    def run(self) -> Encoded:
        doc = self.doc
        body: Obj = {}
        if doc.settings.model is not None:
            body["model"] = doc.settings.model
        for k, ins in enumerate(doc.instructions):
            self.instruction(ins, ("instructions", k))
        for i, msg in enumerate(doc.messages):
            self.message(msg, ("messages", i))
        self.close_calls()
        body["messages"] = self.out
        form, extra = self.ext(doc.extensions, ())
        del form
        if self.documents:
            body["documents"] = self.documents
        self.tools(body)
        self.settings(body)
        for key, value in extra.items():
            body.setdefault(key, value)
        return Encoded(body, self.losses)

    # -- messages ---------------------------------------------------------------------------

    def texts(self, parts: list[tuple[int, Part]], path: Path) -> list[Obj]:
        items: list[Obj] = []
        for j, part in parts:
            ppath: Path = (*path, "parts", j)
            extra = self.ext(part.extensions, ppath)[1]
            if part.cache is not None:
                self.log((*ppath, "cache"), "cache")
            if isinstance(part, TextPart):
                items.append({"type": "text", "text": part.text, **extra})
        return items

    def instruction(self, ins: Instruction, path: Path) -> None:
        if ins.role == "developer":
            self.log((*path, "role"), "developer-instructions")
        if ins.name is not None:
            self.log((*path, "name"), "message-name")
        form, extra = self.ext(ins.extensions, path)
        items = self.texts(list(enumerate(ins.parts)), path)
        message: Obj = {"role": "system"}
        if form.get("content") != "absent":
            message["content"] = _content(items, form)
        _merge(message, extra)
        self.out.append(message)

    def message(self, msg: Message, path: Path) -> None:
        if msg.name is not None:
            self.log((*path, "name"), "message-name")
        form, extra = self.ext(msg.extensions, path)
        if msg.role == "assistant":
            self.close_calls()
            self.leading = False
            self.assistant(msg, path, form, extra)
            return
        results = [(j, p) for j, p in enumerate(msg.parts) if isinstance(p, ToolResultPart)]
        for j, part in results:
            self.result(part, (*path, "parts", j), form if msg.role == "tool" else {}, extra)
        rest = [(j, p) for j, p in enumerate(msg.parts) if not isinstance(p, ToolResultPart)]
        if results and not rest:
            return
        self.close_calls()
        role = "user" if msg.role in ("user", "tool") else "system"
        if msg.role == "developer":
            self.log((*path, "role"), "developer-instructions")
        items: list[Obj] = []
        for j, part in rest:
            item = self.part(part, role, (*path, "parts", j))
            if item is not None:
                items.append(item)
        if role == "user":
            self.leading = False
        if rest and not items and all(isinstance(p, DocumentPart) for _, p in rest):
            return  # only documents, now in the request's documents
        message: Obj = {"role": role}
        if form.get("content") != "absent" or items:
            message["content"] = _content(items, form)
        if not results:
            _merge(message, extra)
        self.out.append(message)

    def assistant(
        self, msg: Message, path: Path, form: Mapping[str, Any], extra: Mapping[str, Any]
    ) -> None:
        has_calls = any(isinstance(p, ToolCallPart) for p in msg.parts)
        content: list[Obj] = []
        plans: list[tuple[Path, str]] = []
        calls: list[Obj] = []
        for j, part in enumerate(msg.parts):
            ppath: Path = (*path, "parts", j)
            if isinstance(part, ToolCallPart):
                calls.append(self.call(part, ppath))
                self.open.append((part.id, ppath))
            elif isinstance(part, ToolResultPart):
                self.orphan(part, ppath, content)
            elif isinstance(part, TextPart):
                pform, pextra = self.ext(part.extensions, ppath)
                if part.cache is not None:
                    self.log((*ppath, "cache"), "cache")
                field = pform.get("field") or ("tool_plan" if has_calls else "content")
                if field == "tool_plan":
                    plans.append((ppath, part.text))
                else:
                    content.append({"type": "text", "text": part.text, **pextra})
            else:
                item = self.part(part, "assistant", ppath)
                if item is not None:
                    content.append(item)
        message: Obj = {"role": "assistant"}
        if calls:
            message["tool_calls"] = calls
        elif form.get("tool_calls") == "empty":
            message["tool_calls"] = []
        if plans:
            if len(plans) > 1:
                self.log(plans[1][0], "assistant-text")
            message["tool_plan"] = "\n".join(t for _, t in plans)
        shape = form.get("content")
        if (
            content
            or shape in ("parts", "empty")
            or (shape != "absent" and not calls and not plans)
        ):
            message["content"] = _content(content, form)
        if (
            not calls
            and not plans
            and all(c.get("type") == "text" and not c.get("text") for c in content)
        ):
            self.log(path, "empty-message")
            return
        _merge(message, extra)
        self.out.append(message)

    # -- tool calls and results ----------------------------------------------------------------

    def call(self, part: ToolCallPart, path: Path) -> Obj:
        form, extra = self.ext(part.extensions, path)
        if part.cache is not None:
            self.log((*path, "cache"), "cache")
        text = form.get("arguments")
        arguments = (
            text if isinstance(text, str) else write_arguments(part.arguments, part.raw_arguments)
        )
        out: Obj = {
            "id": part.id,
            "type": "function",
            "function": {"name": part.name, "arguments": arguments},
        }
        if form.get("type") == "absent":
            del out["type"]
        nested = extra.get("function")
        if isinstance(nested, dict):
            out["function"].update(
                {k: v for k, v in cast("Obj", nested).items() if k not in out["function"]}
            )
        _merge(out, {k: v for k, v in extra.items() if k != "function"})
        return out

    def result(
        self, part: ToolResultPart, path: Path, form: Mapping[str, Any], extra: Mapping[str, Any]
    ) -> None:
        self.ext(part.extensions, path)
        waiting = [k for k, (call_id, _) in enumerate(self.open) if call_id == part.call_id]
        if not waiting:
            self.orphan(part, path, None)
            return
        self.open.pop(waiting[0])
        items: list[Obj] = []
        for k, item in enumerate(part.content):
            ipath: Path = (*path, "content", k)
            iform, iextra = self.ext(item.extensions, ipath)
            if item.cache is not None:
                self.log((*ipath, "cache"), "cache")
            if isinstance(item, TextPart):
                items.append({"type": "text", "text": item.text, **iextra})
            elif isinstance(item, DocumentPart):
                document = self.document(item, iform, iextra, ipath)
                if document is not None:
                    items.append({"type": "document", "document": document})
            else:
                self.log(ipath, "tool-result-media")
        if part.is_error:
            self.log((*path, "is_error"), "tool-error-flag")
            if items and items[0]["type"] == "text":
                items[0] = {**items[0], "text": f"Error: {items[0]['text']}"}
            else:
                items.insert(0, {"type": "text", "text": "Error:"})
        if part.cache is not None:
            self.log((*path, "cache"), "cache")
        message: Obj = {"role": "tool", "tool_call_id": part.call_id}
        if form.get("content") != "absent" or items:
            message["content"] = _content(items, form)
        _merge(message, extra)
        self.out.append(message)

    def orphan(self, part: ToolResultPart, path: Path, into: list[Obj] | None) -> None:
        self.log(path, "orphan-tool-result")
        texts = [c.text for c in part.content if isinstance(c, TextPart)]
        text = f"[tool result {part.call_id}]\n" + "\n".join(texts)
        if into is not None:
            into.append({"type": "text", "text": text})
            return
        self.close_calls()
        self.out.append({"role": "user", "content": text})

    def close_calls(self) -> None:
        for call_id, path in self.open:
            self.log(path, "tool-result-missing")
            self.out.append(
                {"role": "tool", "tool_call_id": call_id, "content": MISSING_RESULT_TEXT}
            )
        self.open = []

    # -- parts ----------------------------------------------------------------------------------

    def part(self, part: Part, role: str, path: Path) -> Obj | None:
        form, extra = self.ext(part.extensions, path)
        if part.cache is not None:
            self.log((*path, "cache"), "cache")
        if isinstance(part, TextPart):
            return {"type": "text", "text": part.text, **extra}
        if isinstance(part, ToolCallPart):
            self.log(path, "tool-call-role")
            args = write_arguments(part.arguments, part.raw_arguments)
            return {"type": "text", "text": f"[tool call {part.name}({args})]"}
        if isinstance(part, RefusalPart):
            self.log(path, "refusal")
            return {"type": "text", "text": part.text}
        if isinstance(part, ReasoningPart):
            return self.reasoning(part, role, extra, path)
        if isinstance(part, ProviderPart):
            self.log(path, "provider-part", part.format)
            return None
        if isinstance(part, DocumentPart) and role == "user":
            document = self.document(part, form, extra, path)
            if document is not None:
                if not self.leading:
                    self.log(path, "document-position")
                self.documents.append(document)
            return None
        if isinstance(part, ImagePart) and role == "user":
            return self.image(part, extra, path)
        if part.type == "audio":
            self.log(path, "no-audio")
            return None
        self.log(path, "part-not-allowed", part.type, role)
        return None

    def image(self, part: ImagePart, extra: Mapping[str, Any], path: Path) -> Obj | None:
        src = part.source
        if isinstance(src, UrlSource):
            url = src.url
        elif isinstance(src, Base64Source):
            url = build_data_url(src.media_type, src.data)
        else:
            self.log(path, "image-source", "a file id" if isinstance(src, FileSource) else "text")
            return None
        image: Obj = {"url": url}
        if part.detail is not None:
            image["detail"] = part.detail
        nested = extra.get("image_url")
        if isinstance(nested, dict):
            _merge(image, cast("Obj", nested))
        item: Obj = {"type": "image_url", "image_url": image}
        _merge(item, {k: v for k, v in extra.items() if k != "image_url"})
        return item

    def document(
        self, part: DocumentPart, form: Mapping[str, Any], extra: Mapping[str, Any], path: Path
    ) -> Any:
        """The wire document for a part: a string, or ``{"data": {...}, "id"}``."""
        src = part.source
        text: str | None = None
        if isinstance(src, TextSource):
            text = src.text
        elif isinstance(src, Base64Source) and (src.media_type or "").startswith("text/"):
            try:
                text = base64.b64decode(src.data, validate=True).decode()
            except (binascii.Error, ValueError):
                text = None
            else:
                self.log(path, "document-base64", src.media_type)
        if text is None:
            what = {"base64": "binary data", "url": "a URL", "file": "a file id"}.get(src.kind, "")
            self.log(path, "document-source", what or "this source")
            return None
        if part.context is not None:
            self.log((*path, "context"), "document-context")
        title = part.title
        if title is None and part.filename is not None:
            title = part.filename
        if form.get("document") == "string" and title is None and not extra:
            return text
        data: Obj
        if form.get("data") == "json":
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            data = cast("Obj", parsed) if isinstance(parsed, dict) else {"text": text}
        else:
            data = {"text": text}
            if title is not None:
                data["title"] = title
        out: Obj = {"data": data}
        _merge(out, extra)
        return out

    def reasoning(
        self, part: ReasoningPart, role: str, extra: Mapping[str, Any], path: Path
    ) -> Obj | None:
        text = part.text
        if role == "assistant" and text is not None:
            scope = part.valid_for
            if part.signature is not None:
                self.log(
                    (*path, "signature"),
                    "reasoning-signature",
                    scope.provider if scope else "unknown",
                )
            if part.redacted is not None:
                self.log((*path, "redacted"), "reasoning-replay", "redacted reasoning dropped")
            return {"type": "thinking", "thinking": text, **extra}
        why = (
            "reasoning can only be sent in an assistant message"
            if role != "assistant"
            else "Cohere has no redacted reasoning"
        )
        if self.options.reasoning == "text" and text and not text.isspace():
            self.log(path, "reasoning-replay", f"{why}; sent as text", action="transformed")
            return {"type": "text", "text": f"<reasoning>{text}</reasoning>"}
        self.log(path, "reasoning-replay", why)
        return None

    # -- tools and settings ---------------------------------------------------------------------

    def tools(self, body: Obj) -> None:
        tools: list[Obj] = []
        stricts: list[bool] = []
        for k, tool in enumerate(self.doc.tools):
            out = self.tool(tool, ("tools", k))
            if out is not None:
                tools.append(out)
                if tool.strict is not None:
                    stricts.append(tool.strict)
        if tools:
            body["tools"] = tools
            if stricts:
                strict = all(stricts) if len(stricts) == len(tools) else any(stricts)
                if len(set(stricts)) > 1 or len(stricts) != len(tools):
                    self.log(("tools",), "strict-tools")
                body["strict_tools"] = strict

    def tool(self, tool: Tool, path: Path) -> Obj | None:
        form, extra = self.ext(tool.extensions, path)
        if tool.cache is not None:
            self.log((*path, "cache"), "cache")
        if tool.kind != "function":
            self.log(path, "tool-kind", tool.kind)
            return None
        fn: Obj = {"name": tool.name}
        if tool.description is not None:
            fn["description"] = tool.description
        if tool.parameters is not None:
            fn["parameters"] = tool.parameters
        else:
            self.log((*path, "parameters"), "tool-parameters")
            fn["parameters"] = {"type": "object", "properties": {}}
        nested = extra.get("function")
        if isinstance(nested, dict):
            _merge(fn, cast("Obj", nested))
        out: Obj = {"type": "function", "function": fn}
        if form.get("type") == "absent":
            del out["type"]
        _merge(out, {k: v for k, v in extra.items() if k != "function"})
        return out

    def settings(self, body: Obj) -> None:
        s = self.doc.settings
        form = self.ext(s.extensions, ("settings",))[0]
        ints = cast("list[Any]", form.get("int") or [])
        for field, wire in (
            ("max_tokens", "max_tokens"),
            ("temperature", "temperature"),
            ("top_p", "p"),
            ("top_k", "k"),
            ("seed", "seed"),
            ("stream", "stream"),
        ):
            value = getattr(s, field)
            if value is None:
                continue
            if field in ints and isinstance(value, float) and value.is_integer():
                value = int(value)
            body[wire] = value
        if s.stop is not None:
            body["stop_sequences"] = list(s.stop)
        if s.parallel_tool_calls is not None:
            self.log(("settings", "parallel_tool_calls"), "parallel-tool-calls")
        self.tool_choice(body)

    def tool_choice(self, body: Obj) -> None:
        choice = self.doc.settings.tool_choice
        if choice is None or choice.mode == "auto":
            return
        path: Path = ("settings", "tool_choice")
        if choice.mode == "none":
            body["tool_choice"] = "NONE"
        elif "tools" not in body:
            self.log(path, "tool-choice", "there are no tools to choose from", action="dropped")
        elif choice.mode == "required":
            body["tool_choice"] = "REQUIRED"
        else:
            self.log(path, "tool-choice", f"Cohere cannot force {choice.name!r}; sent REQUIRED")
            body["tool_choice"] = "REQUIRED"


def _content(items: list[Obj], form: Mapping[str, Any]) -> Any:
    """A string for one plain text item (or none), else the list of items."""
    if form.get("content") == "parts":
        return items
    if not items:
        return ""
    if len(items) == 1 and items[0].get("type") == "text" and len(items[0]) == 2:
        return items[0]["text"]
    return items


def _merge(target: Obj, extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        target.setdefault(key, value)
