"""Writing any AIF document as a Mistral chat completions request body.

Mistral's chat endpoint is OpenAI-like with stricter rules: tool call ids are
exactly nine alphanumerics (remapped bijectively here, calls and results alike),
every call is answered by a tool message right after its assistant message, a user
message never follows a tool message directly, and the last message is a user or
tool message (or an assistant message with ``prefix: true``). `RULES` lists every
rule the encoder applies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, cast

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
from aifkit.aif.converters._common import (
    build_data_url,
    own_extra,
    own_form,
    write_arguments,
)
from aifkit.aif.converters._mistral_decode import NAME, SETTINGS, Obj
from aifkit.aif.converters._mistral_ids import NineCharIds
from aifkit.aif.converters._settings import write_settings
from aifkit.aif.converters._wire import call_ids

__all__ = [
    "BRIDGE_TEXT",
    "MISSING_RESULT_TEXT",
    "RULES",
    "encode_document",
]

BRIDGE_TEXT: Final = "(tool results received)"
"""The assistant text put between tool results and a user message."""

RULES: Final = rule_table(
    "Mistral",
    {
        # rule (after "mistral/"): action, severity, message ({} filled in by the caller);
        # rule_table adds the rules of the steps shared with cohere
        "document-text": ("transformed", "info", "a text document sent as a text chunk"),
        "document-title": ("dropped", "info", "the document's name is its filename; title dropped"),
        "document-context": ("dropped", "info", "Mistral documents have no context field"),
        "empty-message": ("dropped", "info", "an assistant message needs content or tool calls"),
        "file-source": ("dropped", "error", "a {} file id is not valid on Mistral"),
        "last-role": ("transformed", "info", "{}"),
        "no-audio": ("dropped", "error", "Mistral audio is base64 data"),
        "audio-format": (
            "dropped",
            "info",
            "Mistral's input_audio is the data alone; {!r} is not sent",
        ),
        "part-not-allowed": ("dropped", "error", "{} parts cannot be sent in a {} message"),
        "prefix-position": ("dropped", "warning", "prefix is only allowed on the last message"),
        "provider-part": ("dropped", "error", "a {} block has no equivalent in Mistral"),
        "tool-choice": ("dropped", "warning", "{}"),
        "tool-error-flag": ("transformed", "warning", "the error flag became an 'Error: ' prefix"),
        "tool-id": ("transformed", "info", "tool call id rewritten to nine alphanumerics"),
        "tool-result-media": ("dropped", "error", "Mistral tool results are text"),
        "tool-result-missing": ("synthesized", "warning", "an error result was sent for the call"),
        "tool-then-user": (
            "synthesized",
            "info",
            "an assistant turn was put between tool and user",
        ),
    },
)


def encode_document(document: Document, options: EncodeOptions) -> Encoded:
    """Write ``document`` as a chat completions body Mistral accepts; log every change."""
    return _Encoder(document, options).run()


class _Encoder(ChatlikeEncoder):
    display = "Mistral"

    def __init__(self, doc: Document, options: EncodeOptions) -> None:
        super().__init__(NAME, RULES, doc, options)
        self.ids = NineCharIds(call_ids(doc))
        self.paths: list[Path] = []  # the AIF path each written message came from

    # -- the body -----------------------------------------------------------------------

    def run(self) -> Encoded:
        body: Obj = {}
        self.head(body)
        self.last_role()
        body["messages"] = self.out
        self.settings(body)
        self.tools(body)
        merge(body, self.ext(self.doc.extensions, ())[1])
        return Encoded(body, self.losses)

    def emit(self, message: Obj, path: Path) -> None:
        if self.out and self.out[-1]["role"] == "tool" and message["role"] == "user":
            self.log(path, "tool-then-user")
            self.out.append({"role": "assistant", "content": BRIDGE_TEXT})
            self.paths.append(path)
        self.out.append(message)
        self.paths.append(path)

    def instruction(self, ins: Instruction, path: Path) -> None:
        form, extra = self.instruction_head(ins, path)
        chunks: list[Obj] = []
        for j, part in enumerate(ins.parts):
            chunks.append(self.text(part, (*path, "parts", j)))
        message: Obj = {"role": "system", "content": content(chunks, form)}
        if form.get("content") == "absent":
            del message["content"]
        merge(message, extra)
        self.emit(message, path)

    def plain(
        self,
        msg: Message,
        path: Path,
        form: Mapping[str, Any],
        extra: Mapping[str, Any],
        rest: Sequence[tuple[int, Part]],
    ) -> None:
        role = "system" if msg.role in ("system", "developer") else "user"
        chunks: list[Obj] = []
        for j, part in rest:
            chunk = self.part(part, role, (*path, "parts", j))
            if chunk is not None:
                chunks.append(chunk)
        message: Obj = {"role": role, "content": content(chunks, form)}
        if form.get("content") == "absent" and not chunks:
            del message["content"]
        elif form.get("content") == "null" and not chunks:
            message["content"] = None
        merge(message, extra)
        self.emit(message, path)

    def assistant(
        self, msg: Message, path: Path, form: Mapping[str, Any], extra: Mapping[str, Any]
    ) -> None:
        chunks: list[Obj] = []
        calls: list[Obj] = []
        for j, part in enumerate(msg.parts):
            ppath: Path = (*path, "parts", j)
            if isinstance(part, ToolCallPart):
                calls.append(self.call(part, ppath))
                self.open.append((part.id, ppath))
            elif isinstance(part, ToolResultPart):
                self.orphan(part, ppath, chunks)
            else:
                chunk = self.part(part, "assistant", ppath)
                if chunk is not None:
                    chunks.append(chunk)
        message: Obj = {"role": "assistant"}
        content_form = form.get("content")
        if content_form == "null" and not chunks:
            message["content"] = None
        elif content_form != "absent" or chunks:
            message["content"] = content(chunks, form)
        if calls:
            message["tool_calls"] = calls
        elif form.get("tool_calls") == "null":
            message["tool_calls"] = None
        elif form.get("tool_calls") == "empty":
            message["tool_calls"] = []
        if not calls and all(c.get("type") == "text" and not c.get("text") for c in chunks):
            self.log(path, "empty-message")
            return
        merge(message, extra)
        self.emit(message, path)

    # -- tool calls and results ---------------------------------------------------------------

    def call(self, part: ToolCallPart, path: Path) -> Obj:
        form, extra = self.ext(part.extensions, path)
        call_id = self.ids.map(part.id)
        if call_id != part.id:
            self.log((*path, "id"), "tool-id")
        arguments: Any
        arg_form = form.get("arguments")
        if isinstance(arg_form, dict) and part.raw_arguments is None:
            arguments = part.arguments
        else:
            text = arg_form if isinstance(arg_form, str) else None
            arguments = text or write_arguments(part.arguments, part.raw_arguments)
        if part.cache is not None:
            self.log((*path, "cache"), "cache")
        fn: Obj = {"name": part.name, "arguments": arguments}
        return self.function({"id": call_id}, fn, form, extra)

    def result(
        self, part: ToolResultPart, path: Path, form: Mapping[str, Any], extra: Mapping[str, Any]
    ) -> None:
        own = self.claim(part, path)
        if own is None:
            return
        chunks: list[Obj] = []
        if "content" in own:
            wire: Any = own["content"]
        else:
            for k, item in enumerate(part.content):
                ipath: Path = (*path, "content", k)
                self.ext(item.extensions, ipath)
                if item.cache is not None:
                    self.log((*ipath, "cache"), "cache")
                if isinstance(item, TextPart):
                    chunks.append({"type": "text", "text": item.text})
                elif isinstance(item, DocumentPart) and isinstance(item.source, TextSource):
                    self.log(ipath, "document-text")
                    chunks.append({"type": "text", "text": item.source.text})
                else:
                    self.log(ipath, "tool-result-media")
            if part.is_error:
                self.log((*path, "is_error"), "tool-error-flag")
                first = chunks[0]["text"] if chunks else ""
                chunks[:1] = [{"type": "text", "text": f"Error: {first}".rstrip()}]
            wire = content(chunks, form)
        if part.cache is not None:
            self.log((*path, "cache"), "cache")
        call_id = self.ids.map(part.call_id)
        if call_id != part.call_id:
            self.log((*path, "call_id"), "tool-id")
        message: Obj = {"role": "tool", "content": wire, "tool_call_id": call_id}
        if form.get("content") == "absent" and not chunks and "content" not in own:
            del message["content"]
        elif form.get("content") == "null" and not chunks and "content" not in own:
            message["content"] = None
        if "name" in form:
            message["name"] = form["name"]
        merge(message, extra)
        self.emit(message, path)

    def close_calls(self) -> None:
        """Answer every call still open with an error result."""
        for call_id, path in self.open:
            self.log(path, "tool-result-missing")
            message = {
                "role": "tool",
                "content": MISSING_RESULT_TEXT,
                "tool_call_id": self.ids.map(call_id),
            }
            self.out.append(message)
            self.paths.append(path)
        self.open = []

    def last_role(self) -> None:
        """The last message is user or tool, or an assistant prefix."""
        for k, message in enumerate(self.out):
            if message.get("prefix") and k != len(self.out) - 1:
                self.log(self.paths[k], "prefix-position")
                del message["prefix"]
        if not self.out:
            return
        last = self.out[-1]
        path = self.paths[-1]
        if last["role"] == "assistant" and not last.get("prefix"):
            if last.get("tool_calls"):  # pragma: no cover - close_calls answered them
                return
            self.log(path, "last-role", "the final assistant message is sent with prefix: true")
            last["prefix"] = True
        elif last["role"] == "system":
            self.log(path, "last-role", "the final system message is sent as a user message")
            last["role"] = "user"

    # -- parts ---------------------------------------------------------------------------------

    def text(self, part: TextPart, path: Path) -> Obj:
        extra = self.ext(part.extensions, path)[1]
        if part.cache is not None:
            self.log((*path, "cache"), "cache")
        chunk: Obj = {"type": "text", "text": part.text}
        merge(chunk, extra)
        return chunk

    def part(self, part: Part, role: str, path: Path) -> Obj | None:
        if isinstance(part, TextPart):
            return self.text(part, path)
        form, extra = self.ext(part.extensions, path)
        if part.cache is not None:
            self.log((*path, "cache"), "cache")
        chunk: Obj | None
        if isinstance(part, ToolCallPart):
            return self.call_text(part, path)
        if isinstance(part, ProviderPart):
            if part.format == NAME:
                return dict(part.data)
            self.log(path, "provider-part", part.format)
            return None
        if isinstance(part, RefusalPart):
            return self.refusal(part, path)
        if isinstance(part, ReasoningPart):
            chunk = self.reasoning(part, role, path)
        elif isinstance(part, ToolResultPart):  # pragma: no cover - callers route results
            return None
        elif role == "assistant":
            self.log(path, "part-not-allowed", part.type, role)
            return None
        elif isinstance(part, ImagePart):
            chunk = self.image(part, form, extra, path)
        elif isinstance(part, DocumentPart):
            chunk = self.document(part, path)
        else:
            chunk = self.audio(part, path)
        if chunk is not None and not isinstance(part, ImagePart):
            merge(chunk, extra)
        return chunk

    def image(
        self, part: ImagePart, form: Mapping[str, Any], extra: Mapping[str, Any], path: Path
    ) -> Obj | None:
        url = self.url(part.source, path)
        if url is None:
            return None
        nested = extra.get("image_url")
        if part.detail is not None or form.get("image_url") == "object" or nested:
            image: Any = {"url": url}
            if part.detail is not None:
                image["detail"] = part.detail
            if isinstance(nested, dict):
                for key, value in cast("Obj", nested).items():
                    image.setdefault(key, value)
        else:
            image = url
        chunk: Obj = {"type": "image_url", "image_url": image}
        for key, value in extra.items():
            if key != "image_url":
                chunk.setdefault(key, value)
        return chunk

    def url(self, src: Any, path: Path) -> str | None:
        if isinstance(src, UrlSource):
            return src.url
        if isinstance(src, Base64Source):
            return build_data_url(src.media_type, src.data)
        if isinstance(src, FileSource):
            self.log(path, "file-source", src.provider or "provider")
        else:
            self.log(path, "part-not-allowed", "text-source image", "user")
        return None

    def document(self, part: DocumentPart, path: Path) -> Obj | None:
        src = part.source
        if isinstance(src, TextSource):
            self.log(path, "document-text")
            return {"type": "text", "text": src.text}
        if isinstance(src, FileSource):
            if src.provider not in (None, NAME):
                self.log(path, "file-source", src.provider)
                return None
            chunk: Obj = {"type": "file", "file_id": src.file_id}
        else:
            url = self.url(src, path)
            if url is None:  # pragma: no cover - url and base64 always give one
                return None
            chunk = {"type": "document_url", "document_url": url}
            name = part.filename if part.filename is not None else part.title
            if name is not None:
                chunk["document_name"] = name
        if part.title is not None and (part.filename is not None or "file_id" in chunk):
            self.log((*path, "title"), "document-title")
        if part.context is not None:
            self.log((*path, "context"), "document-context")
        return chunk

    def audio(self, part: AudioPart, path: Path) -> Obj | None:
        src = part.source
        if isinstance(src, Base64Source):
            # Mistral's input_audio is the data alone: the encoding is not sent.
            if part.format is not None:
                self.log((*path, "format"), "audio-format", part.format)
            elif src.media_type is not None:
                self.log((*path, "source", "media_type"), "audio-format", src.media_type)
            return {"type": "input_audio", "input_audio": src.data}
        self.log(path, "no-audio")
        return None

    def reasoning(self, part: ReasoningPart, role: str, path: Path) -> Obj | None:
        text = part.text
        if role == "assistant" and text is not None:
            chunk: Obj = {"type": "thinking", "thinking": [{"type": "text", "text": text}]}
            scope = part.valid_for
            if part.signature is not None and scope is not None and scope.provider == NAME:
                chunk["signature"] = part.signature
            elif part.signature is not None:
                self.log(
                    (*path, "signature"),
                    "reasoning-signature",
                    scope.provider if scope else "unknown",
                )
            if part.redacted is not None:
                self.log((*path, "redacted"), "reasoning-replay", "redacted reasoning dropped")
            return chunk
        return self.unreplayable(part, role, path)

    # -- settings and tools ------------------------------------------------------------------

    def settings(self, body: Obj) -> None:
        s = self.doc.settings
        form, extra = self.ext(s.extensions, ("settings",))
        write_settings(s, SETTINGS, form, body, skip=("model",))
        if s.stop is not None:
            body["stop"] = (
                s.stop[0] if form.get("stop") == "string" and len(s.stop) == 1 else list(s.stop)
            )
        for key, value in extra.items():
            if key != "tool_choice":
                body.setdefault(key, value)

    def tools(self, body: Obj) -> None:
        tools: list[Obj] = []
        names: set[str] = set()
        for k, tool in enumerate(self.doc.tools):
            out = self.tool(tool, ("tools", k))
            if out is not None:
                tools.append(out)
                names.add(tool.name)
        if tools:
            body["tools"] = tools
        choice = self.doc.settings.tool_choice
        form, extra = (
            own_form(self.doc.settings.extensions, NAME),
            own_extra(self.doc.settings.extensions, NAME),
        )
        path: Path = ("settings", "tool_choice")
        if choice is None:
            if "tool_choice" in extra:
                body["tool_choice"] = extra["tool_choice"]
            return
        if choice.mode != "none" and not tools:
            self.log(path, "tool-choice", "there are no tools to choose from")
        elif choice.mode == "tool":
            if choice.name in names:
                fn = {"type": "function", "function": {"name": choice.name}}
                if form.get("tool_choice") == "untyped":
                    del fn["type"]
                body["tool_choice"] = fn
            else:
                self.log(path, "tool-choice", f"the tool {choice.name!r} is not among the tools")
        elif choice.mode == "required" and form.get("tool_choice") == "any":
            body["tool_choice"] = "any"
        else:
            body["tool_choice"] = choice.mode

    def tool(self, tool: Tool, path: Path) -> Obj | None:
        form, extra = self.ext(tool.extensions, path)
        if tool.cache is not None:
            self.log((*path, "cache"), "cache")
        if tool.kind != "function":
            definition = extra.get("definition")
            if isinstance(definition, dict):
                return dict(cast("Obj", definition))
            self.log(path, "tool-kind", tool.kind)
            return None
        fn = self.function_tool(tool, path)
        if tool.strict is not None:
            fn["strict"] = tool.strict
        return self.function({}, fn, form, extra)
