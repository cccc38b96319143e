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
from collections.abc import Mapping, Sequence
from typing import Any, Final, cast

from aifkit._limits import loads
from aifkit.aif._loss import Path
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
from aifkit.aif.converters._chatlike import (
    MISSING_RESULT_TEXT,
    ChatlikeEncoder,
    content,
    merge,
    rule_table,
)
from aifkit.aif.converters._cohere_decode import NAME, SETTINGS, Obj
from aifkit.aif.converters._common import (
    build_data_url,
    write_arguments,
)
from aifkit.aif.converters._settings import write_settings

__all__ = ["MISSING_RESULT_TEXT", "RULES", "encode_document"]

RULES: Final = rule_table(
    "Cohere",
    {
        # rule (after "cohere/"): action, severity, message ({} filled in by the caller);
        # rule_table adds the rules of the steps shared with mistral
        "assistant-text": ("transformed", "info", "several texts joined into one tool_plan"),
        "document-base64": ("transformed", "info", "base64 {} sent as document text"),
        "document-context": ("dropped", "info", "Cohere documents have no context field"),
        "document-media-type": (
            "dropped",
            "info",
            "Cohere documents are text; the media type {!r} is not sent",
        ),
        "document-position": ("transformed", "info", "moved to the request's documents"),
        "document-source": ("dropped", "error", "Cohere documents are text or JSON data, not {}"),
        "empty-message": ("dropped", "info", "an assistant message needs content or tool calls"),
        "image-source": ("dropped", "error", "Cohere images are URLs or data URLs, not {}"),
        "no-audio": ("dropped", "error", "Cohere takes no audio"),
        "parallel-tool-calls": ("dropped", "info", "Cohere has no parallel_tool_calls setting"),
        "part-not-allowed": ("dropped", "error", "{} parts cannot be sent in a {} message"),
        "provider-part": ("dropped", "error", "a {} block has no equivalent in Cohere"),
        "strict-tools": ("transformed", "warning", "strict applies to every tool on Cohere"),
        "tool-choice": ("transformed", "warning", "{}"),
        "tool-error-flag": ("transformed", "warning", "the error flag became an 'Error: ' prefix"),
        "tool-result-media": ("dropped", "error", "Cohere tool results are text or documents"),
        "tool-result-missing": ("synthesized", "warning", "an error result was sent for the call"),
    },
)


def encode_document(document: Document, options: EncodeOptions) -> Encoded:
    """Write ``document`` as a v2 chat body Cohere accepts; log every change."""
    return _Encoder(document, options).run()


class _Encoder(ChatlikeEncoder):
    display = "Cohere"

    def __init__(self, doc: Document, options: EncodeOptions) -> None:
        super().__init__(NAME, RULES, doc, options)
        self.documents: list[Any] = []
        self.leading = True  # still at the head of the first user message

    def run(self) -> Encoded:
        body: Obj = {}
        self.head(body)
        body["messages"] = self.out
        extra = self.ext(self.doc.extensions, ())[1]
        if self.documents:
            body["documents"] = self.documents
        self.tools(body)
        self.settings(body)
        merge(body, extra)
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
        form, extra = self.instruction_head(ins, path)
        items = self.texts(list(enumerate(ins.parts)), path)
        message: Obj = {"role": "system"}
        if form.get("content") != "absent":
            message["content"] = content(items, form)
        merge(message, extra)
        self.out.append(message)

    def plain(
        self,
        msg: Message,
        path: Path,
        form: Mapping[str, Any],
        extra: Mapping[str, Any],
        rest: Sequence[tuple[int, Part]],
    ) -> None:
        role = "user" if msg.role in ("user", "tool") else "system"
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
            message["content"] = content(items, form)
        merge(message, extra)
        self.out.append(message)

    def assistant(
        self, msg: Message, path: Path, form: Mapping[str, Any], extra: Mapping[str, Any]
    ) -> None:
        self.leading = False
        has_calls = any(isinstance(p, ToolCallPart) for p in msg.parts)
        items: list[Obj] = []
        plans: list[tuple[Path, str]] = []
        calls: list[Obj] = []
        for j, part in enumerate(msg.parts):
            ppath: Path = (*path, "parts", j)
            if isinstance(part, ToolCallPart):
                calls.append(self.call(part, ppath))
                self.open.append((part.id, ppath))
            elif isinstance(part, ToolResultPart):
                self.orphan(part, ppath, items)
            elif isinstance(part, TextPart):
                pform, pextra = self.ext(part.extensions, ppath)
                if part.cache is not None:
                    self.log((*ppath, "cache"), "cache")
                field = pform.get("field") or ("tool_plan" if has_calls else "content")
                if field == "tool_plan":
                    plans.append((ppath, part.text))
                else:
                    items.append({"type": "text", "text": part.text, **pextra})
            else:
                item = self.part(part, "assistant", ppath)
                if item is not None:
                    items.append(item)
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
        if items or shape in ("parts", "empty") or (shape != "absent" and not calls and not plans):
            message["content"] = content(items, form)
        if (
            not calls
            and not plans
            and all(c.get("type") == "text" and not c.get("text") for c in items)
        ):
            self.log(path, "empty-message")
            return
        merge(message, extra)
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
        fn: Obj = {"name": part.name, "arguments": arguments}
        return self.function({"id": part.id}, fn, form, extra)

    def result(
        self, part: ToolResultPart, path: Path, form: Mapping[str, Any], extra: Mapping[str, Any]
    ) -> None:
        if self.claim(part, path) is None:
            return
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
            message["content"] = content(items, form)
        merge(message, extra)
        self.out.append(message)

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
            return self.call_text(part, path)
        if isinstance(part, RefusalPart):
            return self.refusal(part, path)
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
            merge(image, cast("Obj", nested))
        item: Obj = {"type": "image_url", "image_url": image}
        merge(item, {k: v for k, v in extra.items() if k != "image_url"})
        return item

    def document(
        self, part: DocumentPart, form: Mapping[str, Any], extra: Mapping[str, Any], path: Path
    ) -> Any:
        """The wire document for a part: a string, or ``{"data": {...}, "id"}``."""
        src = part.source
        text: str | None = None
        if isinstance(src, TextSource):
            text = src.text
            json_data = src.media_type == "application/json" and form.get("data") == "json"
            if src.media_type != "text/plain" and not json_data:  # JSON data is its own type
                self.log((*path, "source", "media_type"), "document-media-type", src.media_type)
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
                parsed = loads(text)  # strict: no NaN, bounded depth
            except ValueError:
                parsed = None
            data = cast("Obj", parsed) if isinstance(parsed, dict) else {"text": text}
        else:
            data = {"text": text}
            if title is not None:
                data["title"] = title
        out: Obj = {"data": data}
        merge(out, extra)
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
        return self.unreplayable(part, role, path)

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
        return self.function({}, self.function_tool(tool, path), form, extra)

    def settings(self, body: Obj) -> None:
        s = self.doc.settings
        form = self.ext(s.extensions, ("settings",))[0]
        write_settings(s, SETTINGS, form, body, skip=("model",))
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
