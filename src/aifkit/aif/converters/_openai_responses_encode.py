"""Writing any AIF document as an OpenAI Responses API request body.

The encoder reads the frozen models and builds wire dicts, enforcing the API's
rules and logging every change against the AIF path (`RULES` lists them):

* the first system instruction of plain text is ``instructions``; other
  instructions are ``system`` / ``developer`` message items ahead of the input;
* user, system and developer parts are ``input_*`` content; assistant text and
  refusals are ``output_text`` / ``refusal`` content; each tool call is a
  ``function_call`` item and each tool result a ``function_call_output`` item
  (images and files inside it as ``input_image`` / ``input_file``);
* every ``function_call`` has an output: a result is written where it is when its
  call came before it; a result whose call is nowhere before it is sent as user
  text, and a call with no result gets one reading `MISSING_RESULT_TEXT`;
* reasoning is replayed only when it came from OpenAI (a ``reasoning`` item needs
  its id) and only right before the item it produced; any other reasoning is
  dropped or, with `EncodeOptions.reasoning` ``"text"``, sent as text;
* what the API cannot take is dropped: audio, message names, cache hints,
  ``top_k``, ``stop``, ``seed``, another format's provider parts, tools and fields.

A document this format produced is written back exactly through its ``form`` and
``extra`` hints (see ``_openai_responses_decode``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

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
    Settings,
    TextPart,
    TextSource,
    Tool,
    ToolCallPart,
    ToolResultPart,
    UrlSource,
)
from aifkit.aif.converters._base import Encoded, EncodeOptions
from aifkit.aif.converters._common import (
    build_data_url,
    reasoning_replayable,
    write_arguments,
)
from aifkit.aif.converters._openai_responses_decode import NAME, PROVIDER, SETTINGS
from aifkit.aif.converters._openai_responses_rules import (
    ABSENT,
    MAX_TEMPERATURE,
    MIN_OUTPUT_TOKENS,
    MISSING_RESULT_TEXT,
    RULES,
    content_of,
    empty_schema,
    model_side,
    presence,
    quiet,
    user_string,
    with_extra,
)
from aifkit.aif.converters._reasoning import responses_write
from aifkit.aif.converters._settings import as_number, write_settings
from aifkit.aif.converters._wire import EMPTY, RuleLog, hint_keys, own_hints, sub_hint

__all__ = [
    "MAX_TEMPERATURE",
    "MIN_OUTPUT_TOKENS",
    "MISSING_RESULT_TEXT",
    "RULES",
    "encode_document",
    "model_side",
    "quiet",
]


def encode_document(document: Document, options: EncodeOptions) -> Encoded:
    """Write ``document`` as a Responses request body (see the module docstring)."""
    enc = _Encoder(document, options)
    return Encoded(enc.run(), enc.losses)


class _Encoder(RuleLog):
    def __init__(self, document: Document, options: EncodeOptions) -> None:
        self.doc = document
        self.options = options
        self.model = document.settings.model
        super().__init__(NAME, RULES)
        self.items: list[dict[str, Any]] = []
        self.paths: list[Path] = []  # the AIF path each item came from
        self.calls: set[str] = set()  # call ids written so far
        self.answered: set[str] = set()
        self.results = {
            p.call_id for m in document.messages for p in m.parts if isinstance(p, ToolResultPart)
        }
        _, extra = own_hints(document.extensions, NAME)
        # Earlier turns given by reference: a result may answer a call not in the input.
        self.by_reference = extra.get("previous_response_id") is not None or "conversation" in extra

    def emit(self, item: dict[str, Any], path: Path) -> None:
        self.items.append(item)
        self.paths.append(path)

    # -- the body ----------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        doc = self.doc
        body: dict[str, Any] = {}
        form, extra = self.ext(doc.extensions, ())
        for k, ins in enumerate(doc.instructions):
            self.instruction(ins, ("instructions", k), body)
        for null in hint_keys(form, "null"):
            body.setdefault(null, None)
        for i, m in enumerate(doc.messages):
            self.message(m, ("messages", i))
        self.place_reasoning()
        items = self.items
        one = items[0] if len(items) == 1 else None
        if form.get("input") == "string" and user_string(one):
            body["input"] = cast("dict[str, Any]", one)["content"]
        body.setdefault("input", items)
        tools = self.tools(doc.tools)
        if tools:
            body["tools"] = tools
        self.settings(doc.settings, body, tools)
        for key, value in extra.items():
            body.setdefault(key, value)
        return body

    def instruction(self, ins: Instruction, path: Path, body: dict[str, Any]) -> None:
        self.ext(ins.extensions, path)
        if ins.name is not None:
            self.log((*path, "name"), "message-name")
        parts = ins.parts
        plain = len(parts) == 1 and parts[0].cache is None and quiet(parts[0].extensions)
        if ins.role == "system" and plain and "instructions" not in body and not self.items:
            body["instructions"] = parts[0].text
            return
        content = [c for j, p in enumerate(parts) if (c := self.user_part(p, (*path, "parts", j)))]
        if not content:
            self.log(path, "empty-message")
            return
        self.emit({"role": ins.role, "content": content_of(content, EMPTY)}, path)

    # -- settings and tools ------------------------------------------------------------

    def settings(self, s: Settings, body: dict[str, Any], tools: list[dict[str, Any]]) -> None:
        form, extra = self.ext(s.extensions, ("settings",))
        write_settings(s, SETTINGS, form, body)
        if s.max_tokens is not None and s.max_tokens < MIN_OUTPUT_TOKENS:
            self.log(("settings", "max_tokens"), "max-tokens-minimum", s.max_tokens)
            body["max_output_tokens"] = MIN_OUTPUT_TOKENS
        if s.temperature is not None and s.temperature > MAX_TEMPERATURE:
            self.log(("settings", "temperature"), "temperature-range", s.temperature)
            body["temperature"] = as_number(
                MAX_TEMPERATURE, "temperature" in hint_keys(form, "int")
            )
        self.unsent(s)
        if s.reasoning is not None:
            body["reasoning"] = responses_write(s.reasoning, form, self)
        tc = s.tool_choice
        if tc is not None:
            names = {t.get("name") for t in tools}
            if tc.mode in ("none", "auto") or (tc.mode == "required" and tools):
                body["tool_choice"] = tc.mode
            elif tc.mode == "tool" and tc.name in names:
                body["tool_choice"] = {"type": "function", "name": tc.name}
            else:
                self.log(("settings", "tool_choice"), "tool-choice-needs-tools")
        for key, value in extra.items():
            body.setdefault(key, value)

    def unsent(self, s: Settings) -> None:
        """Log the settings the Responses API has no field for."""
        for name, rule in (("top_k", "top-k"), ("stop", "stop"), ("seed", "seed")):
            if getattr(s, name) is not None:
                self.log(("settings", name), rule)

    def tools(self, tools: Sequence[Tool]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for k, t in enumerate(tools):
            path: Path = ("tools", k)
            form, extra = self.ext(t.extensions, path)
            if t.cache is not None:
                self.log((*path, "cache"), "cache")
            if t.kind == "function":
                d: dict[str, Any] = {"type": "function", "name": t.name}
                if t.description is not None:
                    d["description"] = t.description
                d["parameters"] = presence(t.parameters, form.get("parameters"), empty_schema())
                d["strict"] = presence(t.strict, form.get("strict"), False)
                for key in hint_keys(form, "null"):
                    d.setdefault(key, None)
            elif NAME in t.extensions:
                d = {"type": t.kind}  # a hosted tool: its definition is in extra
            else:
                self.log(path, "tool-kind", t.kind)
                continue
            for key in ("parameters", "strict"):
                if d.get(key, 0) is ABSENT:
                    del d[key]
            for key, value in extra.items():
                d.setdefault(key, value)
            out.append(d)
        return out

    # -- messages ----------------------------------------------------------------------

    def message(self, m: Message, path: Path) -> None:
        form, extra = self.ext(m.extensions, path)
        if m.name is not None:
            self.log((*path, "name"), "message-name")
        start = len(self.items)
        if m.role == "assistant":
            self.assistant(m.parts, path)
        else:
            self.user(m, form, extra, path)
        if len(self.items) == start and not (m.role == "tool" and m.parts):
            self.log(path, "empty-message")

    def user(
        self, m: Message, form: Mapping[str, Any], extra: Mapping[str, Any], path: Path
    ) -> None:
        """Write a user, tool, system or developer message's parts as items."""
        role = "user" if m.role == "tool" else m.role
        content: list[dict[str, Any]] = []
        told = False
        for j, part in enumerate(m.parts):
            ppath: Path = (*path, "parts", j)
            if isinstance(part, ToolResultPart):
                self.flush(role, content, form, extra, path)
                content = []
                self.result(part, ppath)
            elif isinstance(part, ToolCallPart | ReasoningPart):
                self.flush(role, content, form, extra, path)
                content = []
                self.assistant((part,), path, j)
            else:
                if m.role == "tool" and not told:
                    self.log(ppath, "tool-role")
                    told = True
                block = self.user_part(part, ppath)
                if block is not None:
                    content.append(block)
        self.flush(role, content, form, extra, path)

    def flush(
        self,
        role: str,
        content: list[dict[str, Any]],
        form: Mapping[str, Any],
        extra: Mapping[str, Any],
        path: Path,
    ) -> None:
        """Write the content gathered so far as one message item (if any)."""
        if not content and form.get("content") != "list":
            return
        item: dict[str, Any] = {"type": "message"} if form.get("type") else {}
        item["role"] = role
        item["content"] = content_of(content, form)
        for key, value in extra.items():
            item.setdefault(key, value)
        self.emit(item, path)

    def assistant(self, parts: Sequence[Part], path: Path, offset: int = 0) -> None:
        """Write an assistant message's parts as model-side items."""
        current: dict[str, Any] | None = None  # the open message item
        cform: Mapping[str, Any] = EMPTY
        for j, part in enumerate(parts, offset):
            ppath: Path = (*path, "parts", j)
            form, extra = self.ext(part.extensions, ppath)
            if part.cache is not None:
                self.log((*ppath, "cache"), "cache")
            block = self.assistant_content(part, form, extra, ppath)
            if block is not None:
                if current is None or form.get("start"):
                    cform = sub_hint(form, "item")
                    current = {"type": "message"} if cform.get("type") else {}
                    current.update({"role": "assistant", "content": []})
                    for key, value in sub_hint(extra, "item").items():
                        current.setdefault(key, value)
                    self.emit(current, ppath)
                current["content"].append(block)
                continue
            current = self.finish(current, cform)
            self.model_item(part, form, extra, ppath)
        self.finish(current, cform)

    def finish(self, current: dict[str, Any] | None, form: Mapping[str, Any]) -> None:
        """Close the open message item (its content may become a string)."""
        if current is not None:
            current["content"] = content_of(current["content"], form, assistant=True)

    def assistant_content(
        self, part: Part, form: Mapping[str, Any], extra: Mapping[str, Any], path: Path
    ) -> dict[str, Any] | None:
        """The content part for text, a refusal or an own content block; else None."""
        if isinstance(part, TextPart):
            block = {"type": form.get("kind") or "output_text", "text": part.text}
            if block["type"] == "output_text" and form.get("annotations") != "absent":
                block["annotations"] = extra.get("annotations", [])
        elif isinstance(part, RefusalPart):
            block = {"type": "refusal", "refusal": part.text}
        elif isinstance(part, ProviderPart) and part.format == NAME and form.get("content"):
            return dict(part.data)
        else:
            return None
        for key, value in extra.items():
            if key != "item":
                block.setdefault(key, value)
        return block

    def model_item(
        self, part: Part, form: Mapping[str, Any], extra: Mapping[str, Any], path: Path
    ) -> None:
        """Write a call, reasoning or an own item; log whatever else."""
        if isinstance(part, ToolCallPart):
            text = form.get("arguments")
            if not isinstance(text, str):
                text = write_arguments(part.arguments, part.raw_arguments)
            item = {
                "type": "function_call",
                "call_id": part.id,
                "name": part.name,
                "arguments": text,
            }
            self.emit(with_extra(item, extra), path)
            self.calls.add(part.id)
            if part.id not in self.results:
                self.log(path, "tool-result-missing")
                output = {
                    "type": "function_call_output",
                    "call_id": part.id,
                    "output": MISSING_RESULT_TEXT,
                }
                self.emit(output, path)
        elif isinstance(part, ReasoningPart):
            self.reasoning(part, form, extra, path)
        elif isinstance(part, ProviderPart):
            if part.format == NAME:
                self.emit(dict(part.data), path)
            else:
                self.log(path, "provider-part", part.format)
        elif isinstance(part, ToolResultPart):
            self.result(part, path)
        else:
            self.log(path, "part-not-allowed", part.type)

    def reasoning(
        self, part: ReasoningPart, form: Mapping[str, Any], extra: Mapping[str, Any], path: Path
    ) -> None:
        own = part.valid_for is not None and part.valid_for.provider == PROVIDER
        if own and part.signature is not None and reasoning_replayable(part, PROVIDER, self.model):
            item: dict[str, Any] = {"type": "reasoning", "id": part.signature}
            summary = form.get("summary")
            if summary is None:
                summary = [{"type": "summary_text", "text": part.text}] if part.text else []
            item["summary"] = summary
            if part.redacted is not None:
                item["encrypted_content"] = part.redacted
            for key in hint_keys(form, "null"):
                item.setdefault(key, None)
            self.emit(with_extra(item, extra), path)
            return
        why = "only OpenAI's own reasoning items (with their id) can be replayed"
        if self.options.reasoning == "text" and part.text:
            self.log(path, "reasoning-replay", why + "; sent as text", action="transformed")
            text = f"<reasoning>{part.text}</reasoning>"
            self.emit({"role": "assistant", "content": text}, path)
        else:
            self.log(path, "reasoning-replay", why)

    def place_reasoning(self) -> None:
        """Drop reasoning items not followed by the model-side item they produced."""
        keep: list[dict[str, Any]] = []
        for n, item in enumerate(self.items):
            if item.get("type") == "reasoning":
                nxt = self.items[n + 1] if n + 1 < len(self.items) else None
                if nxt is None or not model_side(nxt):
                    self.log(self.paths[n], "reasoning-position")
                    continue
            keep.append(item)
        self.items = keep

    def result(self, part: ToolResultPart, path: Path) -> None:
        form, extra = self.ext(part.extensions, path)
        if part.cache is not None:
            self.log((*path, "cache"), "cache")
        if part.is_error:
            self.log((*path, "is_error"), "tool-error-flag")
        call_id = part.call_id
        if (call_id not in self.calls and not self.by_reference) or call_id in self.answered:
            self.log(path, "orphan-tool-result", call_id)
            texts = [p.text for p in part.content if isinstance(p, TextPart)]
            content = [
                {
                    "type": "input_text",
                    "text": "\n".join([f"Result of tool call {call_id}:", *texts]),
                }
            ]
            for k, p in enumerate(part.content):
                if not isinstance(p, TextPart):
                    block = self.user_part(p, (*path, "content", k))
                    if block is not None:
                        content.append(block)
            self.emit({"role": "user", "content": content}, path)
            return
        self.answered.add(call_id)
        wire = extra.get("output")
        if wire is None:
            blocks = [
                b
                for k, p in enumerate(part.content)
                if (b := self.user_part(p, (*path, "content", k)))
            ]
            plain = len(blocks) == 1 and blocks[0] == {
                "type": "input_text",
                "text": blocks[0].get("text"),
            }
            if form.get("output") == "list":
                wire = blocks
            elif not blocks:
                wire = ""
            else:
                wire = blocks[0]["text"] if plain else blocks
        item = {"type": "function_call_output", "call_id": call_id, "output": wire}
        self.emit(with_extra(item, extra), path)

    # -- parts on the user side --------------------------------------------------------

    def user_part(self, part: Part, path: Path) -> dict[str, Any] | None:
        """An ``input_*`` content part (or text for what reads as text); None when dropped."""
        form, extra = self.ext(part.extensions, path)
        if part.cache is not None:
            self.log((*path, "cache"), "cache")
        if isinstance(part, TextPart):
            block: dict[str, Any] | None = {
                "type": form.get("kind") or "input_text",
                "text": part.text,
            }
            if form.get("kind") == "output_text" and form.get("annotations") != "absent":
                block["annotations"] = extra.get("annotations", [])
        elif isinstance(part, RefusalPart):
            self.log(path, "refusal-role")
            block = {"type": "input_text", "text": part.text}
        elif isinstance(part, ImagePart):
            block = self.image(part, form, path)
            if block is not None and "detail" in extra:  # a level AIF has no name for
                block["detail"] = extra["detail"]
        elif isinstance(part, DocumentPart):
            block = self.file(part, form, path)
        elif isinstance(part, ProviderPart):
            if part.format != NAME:
                self.log(path, "provider-part", part.format)
                return None
            return dict(part.data)
        elif isinstance(part, AudioPart):
            self.log(path, "no-audio")
            return None
        else:
            self.log(path, "part-not-allowed", part.type)
            return None
        return with_extra(block, extra) if block is not None else None

    def image(self, part: ImagePart, form: Mapping[str, Any], path: Path) -> dict[str, Any] | None:
        src = part.source
        block: dict[str, Any] = {"type": "input_image"}
        if form.get("detail") != "absent":
            block["detail"] = part.detail or "auto"
        if isinstance(src, UrlSource):
            block["image_url"] = src.url
        elif isinstance(src, Base64Source):
            block["image_url"] = build_data_url(src.media_type, src.data)
        elif isinstance(src, FileSource):
            if not self.own_file(src, path):
                return None
            block["file_id"] = src.file_id
        else:
            self.log(path, "image-source")
            return None
        for key in hint_keys(form, "null"):
            block.setdefault(key, None)
        return block

    def file(
        self, part: DocumentPart, form: Mapping[str, Any], path: Path
    ) -> dict[str, Any] | None:
        src = part.source
        block: dict[str, Any] = {"type": "input_file"}
        if isinstance(src, TextSource):
            self.log(path, "document-text")
            return {"type": "input_text", "text": src.text}
        if isinstance(src, UrlSource):
            block["file_url"] = src.url
        elif isinstance(src, FileSource):
            if not self.own_file(src, path):
                return None
            block["file_id"] = src.file_id
        else:
            block["file_data"] = (
                src.data if form.get("raw") else build_data_url(src.media_type, src.data)
            )
            if part.filename is None:
                name = "document.pdf" if src.media_type == "application/pdf" else "document"
                self.log((*path, "filename"), "file-name", name)
                block["filename"] = name
        if part.filename is not None:
            block["filename"] = part.filename
        for key in hint_keys(form, "null"):
            block.setdefault(key, None)
        if part.title is not None or part.context is not None:
            self.log(path, "no-field", "a document title or context")
        return block

    def own_file(self, src: FileSource, path: Path) -> bool:
        if src.provider not in (None, PROVIDER):
            self.log(path, "file-id", src.provider)
            return False
        return True
