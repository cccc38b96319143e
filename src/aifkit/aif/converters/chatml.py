"""The ``chatml`` format: the prompt text an open-weights model sees.

A local model (llama.cpp, vLLM, a raw ``/completion`` endpoint) is given one string:
the conversation rendered through the model's chat template. This format renders
any AIF document that way, so prompts can be produced and counted for local
models. It is **render-only**: text cannot be read back into a conversation, and
`ChatMLConverter.decode` raises `RenderOnlyError`.

Templates are Hugging Face chat templates (Jinja), rendered in jinja2's
``ImmutableSandboxedEnvironment`` as ``transformers`` does. Built in: ``chatml``
(the default; Qwen, Hermes, ...), ``llama-3``, ``mistral`` and ``gemma``; a model
name picks one (``llama-3.1-8b`` -> ``llama-3``), and any template text (a
``tokenizer_config.json`` ``chat_template``) can be given to `render_prompt`.

The body is ``{"prompt": str, "template": name, "model"?: str}``. Needs the
``templates`` extra: ``pip install "aifkit[templates]"``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final, cast

from aifkit._json import canonical_json, type_name
from aifkit.aif._features import STRUCTURE, Capabilities
from aifkit.aif._loss import LossEntry, LossLog, Path
from aifkit.aif._schema import (
    AudioPart,
    Document,
    DocumentPart,
    ImagePart,
    Message,
    Part,
    ProviderPart,
    ReasoningPart,
    RefusalPart,
    TextPart,
    TextSource,
    ToolCallPart,
    ToolResultPart,
)
from aifkit.aif.converters._base import Decoded, Encoded, EncodeOptions, Violation
from aifkit.aif.converters._chatml_templates import BUILTIN, Template
from aifkit.aif.converters._wire import RuleLog, RuleTable
from aifkit.errors import MissingDependencyError, UsageError

__all__ = ["TEMPLATES", "ChatMLConverter", "RenderOnlyError", "Rendered", "render_prompt"]

NAME: Final = "chatml"
TEMPLATES: Final = tuple(BUILTIN)
"""The names of the built-in templates."""

_FAMILIES: Final = (("llama-3", "llama-3"), ("llama3", "llama-3"), ("mistral", "mistral"))
_FAMILIES_MORE: Final = (("mixtral", "mistral"), ("ministral", "mistral"), ("gemma", "gemma"))

RULES: Final[RuleTable] = {
    "alternating-roles": ("transformed", "info", "merged into the previous {} turn; the template needs alternating turns"),
    "cache": ("dropped", "info", "a prompt has no cache hints"),
    "developer-instructions": ("transformed", "info", "developer text rendered as system text"),
    "document-text": ("transformed", "info", "plain-text document rendered as text"),
    "media": ("dropped", "error", "a text prompt cannot hold {}"),
    "message-name": ("dropped", "warning", "the template has no participant names"),
    "no-field": ("dropped", "warning", "{} has no place in a prompt"),
    "provider-part": ("dropped", "warning", "a {} block has no place in a prompt"),
    "reasoning": ("dropped", "warning", "reasoning is not rendered back into the prompt"),
    "reasoning-text": ("transformed", "info", "reasoning rendered as <think> text"),
    "refusal": ("transformed", "info", "refusal rendered as text"),
    "setting": ("dropped", "info", "{} is a sampling setting, not part of the prompt"),
    "system-as-user": ("transformed", "info", "the {} template has no system role; the text opens the first user turn"),
    "system-position": ("transformed", "warning", "the {} template has no system role; rendered as a user turn"),
    "text-joined": ("transformed", "info", "system text joined into one system turn"),
    "tool-call-id": ("dropped", "info", "the {} template does not render tool-call ids"),
    "tool-call-role": ("transformed", "warning", "only the assistant calls tools; rendered as text"),
    "tool-choice": ("dropped", "warning", "a prompt cannot force or forbid tool use"),
    "tool-error-flag": ("transformed", "warning", "error result rendered with an 'Error: ' prefix"),
    "tool-kind": ("dropped", "warning", "the template renders function tools only, not {!r}"),
    "tool-result-media": ("dropped", "error", "a text prompt cannot hold the {} of a tool result"),
    "tool-role": ("transformed", "info", "the {} template has no tool role; the result is a user turn"),
    "tools-strict": ("dropped", "info", "strict schemas are not part of the prompt"),
}  # fmt: skip

CAPABILITIES: Final = Capabilities(
    carries={
        "instructions": "yes",
        "text": "yes",
        "document.text": "partial",
        "tool_call": "yes",
        "tool_call.parallel": "yes",
        "tool_result": "yes",
        "reasoning.text": "partial",
        "refusal": "partial",
        "tools": "yes",
    },
    rules={
        "reasoning-setting": "settings.reasoning",
        "alternating-roles": STRUCTURE,
        "cache": "cache",
        "developer-instructions": "instructions.developer",
        "document-text": "document.text",
        "media": "image.base64",
        "message-name": "message.name",
        "no-field": "extensions",
        "provider-part": "provider_part",
        "reasoning": "reasoning.text",
        "reasoning-text": "reasoning.text",
        "refusal": "refusal",
        "setting": STRUCTURE,
        "system-as-user": STRUCTURE,
        "system-position": STRUCTURE,
        "text-joined": STRUCTURE,
        "tool-call-id": "tool_call.id",
        "tool-call-role": STRUCTURE,
        "tool-choice": "tool_choice",
        "tool-error-flag": "tool_result.error",
        "tool-kind": "provider_part",
        "tool-result-media": "tool_result.media",
        "tool-role": STRUCTURE,
        "tools-strict": "tools.strict",
    },
    notes={
        "document.text": "rendered as text",
        "reasoning.text": "as <think> text when EncodeOptions.reasoning is 'text'",
        "refusal": "rendered as text",
        "tool_call": "in the template's tool-call convention",
        "tools": "rendered into the prompt by the template",
    },
)


class RenderOnlyError(UsageError):
    """A render-only format (``chatml``) was asked to read a body back."""

    def __init__(self, name: str = NAME) -> None:
        super().__init__(
            f"{name} is render-only: a rendered prompt cannot be read back into a conversation",
            hint=f"convert from the request body the prompt was rendered from; use {name} "
            "only as a target (--to chatml)",
        )


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered prompt.

    Attributes:
        prompt: The text the model sees.
        template: The template's name (``"custom"`` for template text given by the caller).
        losses: What the prompt could not carry (pointers into AIF).
    """

    prompt: str
    template: str
    losses: tuple[LossEntry, ...] = field(default=())


def pick_template(model: str | None) -> str:
    """The built-in template for a model name (``chatml`` when no family matches).

    Examples:
        >>> pick_template("meta-llama/Llama-3.1-8B-Instruct"), pick_template("gemma-3-4b-it")
        ('llama-3', 'gemma')
        >>> pick_template("Qwen2.5-7B-Instruct"), pick_template(None)
        ('chatml', 'chatml')
    """
    name = (model or "").lower()
    for key, template in _FAMILIES + _FAMILIES_MORE:
        if key in name:
            return template
    return "chatml"


def render_prompt(
    document: Document,
    template: str | None = None,
    *,
    add_generation_prompt: bool = True,
    options: EncodeOptions | None = None,
    bos_token: str | None = None,
    eos_token: str | None = None,
) -> Rendered:
    """Render ``document`` through a chat template, as an open-weights model sees it.

    Args:
        document: The conversation.
        template: A built-in template name (`TEMPLATES`), or Jinja template text
            (a Hugging Face ``chat_template``); default: the one the document's model
            names (`pick_template`).
        add_generation_prompt: End with the header of the assistant's next turn.
        options: What to do with reasoning (``options.reasoning``).
        bos_token: ``bos_token`` for the template (default: the built-in's, else "").
        eos_token: ``eos_token`` for the template (default: the built-in's, else "").

    Raises:
        MissingDependencyError: jinja2 (the ``templates`` extra) is not installed.
        UsageError: the template text is not valid Jinja or fails while rendering.

    Examples:
        >>> from aifkit.aif import load_document
        >>> doc = load_document({"instructions": [{"role": "system", "parts": [
        ...     {"type": "text", "text": "Be brief."}]}], "messages": [
        ...     {"role": "user", "parts": [{"type": "text", "text": "Hi"}]}]})
        >>> print(render_prompt(doc).prompt)
        <|im_start|>system
        Be brief.<|im_end|>
        <|im_start|>user
        Hi<|im_end|>
        <|im_start|>assistant
        <BLANKLINE>
    """
    spec = _template(template, document.settings.model)
    if bos_token is not None or eos_token is not None:
        spec = replace(
            spec,
            bos_token=spec.bos_token if bos_token is None else bos_token,
            eos_token=spec.eos_token if eos_token is None else eos_token,
        )
    prompt, losses = _prompt(document, spec, options or EncodeOptions(), add_generation_prompt)
    return Rendered(prompt, spec.name, tuple(losses.resolve(None)))


def _prompt(
    document: Document, spec: Template, options: EncodeOptions, add_generation_prompt: bool
) -> tuple[str, LossLog]:
    writer = _Writer(document, options, spec)
    messages, tools = writer.run()
    context = {
        "messages": messages,
        "tools": tools or None,
        "add_generation_prompt": add_generation_prompt,
        "bos_token": spec.bos_token,
        "eos_token": spec.eos_token,
    }
    return _render(spec.source, context), writer.losses


def _template(template: str | None, model: str | None) -> Template:
    if template is None:
        return BUILTIN[pick_template(model)]
    if template in BUILTIN:
        return BUILTIN[template]
    if "{" not in template:
        known = ", ".join(TEMPLATES)
        raise UsageError(
            f"unknown chat template {template!r}",
            hint=f"built-in templates: {known}; or pass Jinja template text",
        )
    return Template("custom", template)


# -- rendering in the sandbox ------------------------------------------------------------


def _tojson(value: Any, indent: int | None = None, ensure_ascii: bool = False) -> str:
    # transformers' tojson: plain json.dumps, not jinja2's HTML-safe one.
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent)


def _raise(message: str) -> Any:
    from jinja2.exceptions import TemplateError

    raise TemplateError(message)


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)  # local time, as transformers passes it


def _render(source: str, context: Mapping[str, Any]) -> str:
    try:
        import jinja2.sandbox  # noqa: F401  # pyright: ignore[reportUnusedImport]
        from jinja2.exceptions import SecurityError, TemplateError
    except ImportError:
        raise MissingDependencyError("jinja2", "templates") from None
    try:
        return _compiled(source).render(**context)
    except SecurityError as exc:
        raise UsageError(
            f"the chat template tried something the sandbox forbids: {exc}",
            hint="use a template that only formats the messages",
        ) from None
    except TemplateError as exc:
        raise UsageError(
            f"the chat template failed: {exc}",
            hint="check the template text (a Hugging Face chat_template)",
        ) from None


@functools.lru_cache(maxsize=32)
def _compiled(source: str) -> Any:
    # Compiling a template costs milliseconds; rendering it, microseconds.
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    filters = cast("dict[str, Any]", env.filters)  # pyright: ignore[reportUnknownMemberType]
    filters["tojson"] = _tojson
    names = cast("dict[str, Any]", env.globals)  # pyright: ignore[reportUnknownMemberType]
    names["raise_exception"] = _raise
    names["strftime_now"] = _strftime_now
    return env.from_string(source)


# -- from AIF to template messages -------------------------------------------------------


class _Writer(RuleLog):
    """Turns a document into the ``messages`` and ``tools`` a chat template reads."""

    def __init__(self, document: Document, options: EncodeOptions, spec: Template) -> None:
        super().__init__(NAME, RULES)
        self.doc = document
        self.options = options
        self.spec = spec
        self.names: dict[str, str] = {}
        for m in document.messages:
            for p in m.parts:
                if isinstance(p, ToolCallPart):
                    self.names.setdefault(p.id, p.name)

    def run(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        doc = self.doc
        self.ext(doc.extensions, ())
        out: list[dict[str, Any]] = []
        system: list[str] = []
        for k, ins in enumerate(doc.instructions):
            path: Path = ("instructions", k)
            self.ext(ins.extensions, path)
            if ins.role == "developer":
                self.log(path, "developer-instructions")
            if ins.name is not None:
                self.log((*path, "name"), "message-name")
            for j, part in enumerate(ins.parts):
                self.common(part, (*path, "parts", j))
                system.append(part.text)
        if system:
            if len(doc.instructions) > 1:
                self.log(("instructions",), "text-joined")
            if not self.spec.system:
                self.log(("instructions",), "system-as-user", self.spec.name)
            out.append({"role": "system", "content": "\n\n".join(system)})
        paths: list[Path] = [("instructions",)] * len(out)
        for i, m in enumerate(doc.messages):
            wire = self.message(m, ("messages", i), first=not out)
            out.extend(wire)
            paths.extend([("messages", i)] * len(wire))
        tools = self.tools()
        self.settings()
        return self.alternate(out, paths), tools

    def common(self, part: Part, path: Path) -> None:
        if part.cache is not None:
            self.log((*path, "cache"), "cache")
        if part.extensions:
            self.ext(part.extensions, path)

    def message(self, m: Message, path: Path, first: bool) -> list[dict[str, Any]]:
        self.ext(m.extensions, path)
        if m.name is not None:
            self.log((*path, "name"), "message-name")
        role = "system" if m.role == "developer" else m.role
        if m.role == "developer":
            self.log(path, "developer-instructions")
        if role == "system" and not self.spec.system:
            if first:
                self.log(path, "system-as-user", self.spec.name)
            else:
                self.log(path, "system-position", self.spec.name)
                role = "user"
        out: list[dict[str, Any]] = []
        texts: list[str] = []
        calls: list[dict[str, Any]] = []
        for j, part in enumerate(m.parts):
            ppath: Path = (*path, "parts", j)
            if isinstance(part, ToolResultPart):
                if texts or calls:
                    out.append(_wire(role, texts, calls))
                    texts, calls = [], []
                out.append(self.result(part, ppath))
            elif isinstance(part, ToolCallPart) and role == "assistant":
                self.common(part, ppath)
                calls.append(self.call(part, ppath))
            else:
                self.part(part, ppath, role, texts)
        if texts or calls or not out:
            out.append(_wire(role, texts, calls))
        return out

    def part(self, part: Part, path: Path, role: str, texts: list[str]) -> None:
        self.common(part, path)
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, ToolCallPart):
            self.log(path, "tool-call-role")
            args = part.raw_arguments or canonical_json(part.arguments)
            texts.append(f"Tool call {part.name} ({part.id}): {args}")
        elif isinstance(part, ReasoningPart):
            if self.options.reasoning == "text" and part.text:
                self.log(path, "reasoning-text")
                texts.append(f"<think>\n{part.text}\n</think>")
            else:
                self.log(path, "reasoning")
        elif isinstance(part, RefusalPart):
            self.log(path, "refusal")
            texts.append(part.text)
        elif isinstance(part, DocumentPart) and isinstance(part.source, TextSource):
            self.log(path, "document-text")
            title = part.title or part.filename
            texts.append(f"{title}\n\n{part.source.text}" if title else part.source.text)
        elif isinstance(part, ImagePart | AudioPart | DocumentPart):
            self.log(path, "media", f"an {part.type}" if part.type != "document" else "a document")
        elif isinstance(part, ProviderPart):
            self.log(path, "provider-part", part.format)

    def call(self, part: ToolCallPart, path: Path) -> dict[str, Any]:
        if self.spec.builtin:
            self.log((*path, "id"), "tool-call-id", self.spec.name)
        args: Any = part.raw_arguments if part.raw_arguments is not None else part.arguments
        return {
            "id": part.id,
            "type": "function",
            "function": {"name": part.name, "arguments": args},
        }

    def result(self, part: ToolResultPart, path: Path) -> dict[str, Any]:
        self.common(part, path)
        texts: list[str] = []
        for k, item in enumerate(part.content):
            ipath: Path = (*path, "content", k)
            self.common(item, ipath)
            if isinstance(item, TextPart):
                texts.append(item.text)
            elif isinstance(item, DocumentPart) and isinstance(item.source, TextSource):
                self.log(ipath, "document-text")
                texts.append(item.source.text)
            else:
                self.log(ipath, "tool-result-media", item.type)
        text = "\n".join(texts)
        if part.is_error:
            self.log((*path, "is_error"), "tool-error-flag")
            text = f"Error: {text}"
        if not self.spec.tool_role:
            self.log(path, "tool-role", self.spec.name)
        if self.spec.builtin:
            self.log((*path, "call_id"), "tool-call-id", self.spec.name)
        msg: dict[str, Any] = {"role": "tool", "content": text, "tool_call_id": part.call_id}
        name = self.names.get(part.call_id)
        if name is not None:
            msg["name"] = name
        return msg

    def alternate(self, messages: list[dict[str, Any]], paths: list[Path]) -> list[dict[str, Any]]:
        """Merge runs of user (or assistant) turns for templates that need alternation."""
        if not self.spec.alternate:
            return messages
        out: list[dict[str, Any]] = []
        for m, path in zip(messages, paths, strict=True):
            prev = out[-1] if out else None
            role = "user" if m["role"] == "tool" and not self.spec.tool_role else m["role"]
            if prev is not None and prev["role"] == role and role in ("user", "assistant"):
                self.log(path, "alternating-roles", role)
                prev["content"] = "\n\n".join(t for t in (prev["content"], m["content"]) if t)
                if m.get("tool_calls"):
                    prev["tool_calls"] = [*prev.get("tool_calls", []), *m["tool_calls"]]
                continue
            out.append({**m, "role": role})
        return out

    def tools(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for k, t in enumerate(self.doc.tools):
            path: Path = ("tools", k)
            self.ext(t.extensions, path)
            if t.cache is not None:
                self.log((*path, "cache"), "cache")
            if t.kind != "function":
                self.log(path, "tool-kind", t.kind)
                continue
            if t.strict:
                self.log((*path, "strict"), "tools-strict")
            fn: dict[str, Any] = {"name": t.name}
            if t.description is not None:
                fn["description"] = t.description
            fn["parameters"] = t.parameters or {"type": "object", "properties": {}}
            out.append({"type": "function", "function": fn})
        return out

    def settings(self) -> None:
        s = self.doc.settings
        self.ext(s.extensions, ("settings",))
        for name in ("max_tokens", "temperature", "top_p", "top_k", "stop", "seed", "stream"):
            if getattr(s, name) is not None:
                self.log(("settings", name), "setting", name)
        if s.parallel_tool_calls is not None:
            self.log(("settings", "parallel_tool_calls"), "setting", "parallel_tool_calls")
        if s.tool_choice is not None:
            self.log(("settings", "tool_choice"), "tool-choice")


def _wire(role: str, texts: list[str], calls: list[dict[str, Any]]) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": role, "content": "\n".join(texts)}
    if calls:
        msg["tool_calls"] = calls
    return msg


# -- the converter -------------------------------------------------------------------------


class ChatMLConverter:
    """Renders AIF documents as prompt text through a chat template (render-only).

    Args:
        template: A built-in template name or Jinja template text; default: the
            one the document's model names (`pick_template`).

    Examples:
        >>> from aifkit.aif import EncodeOptions, load_document
        >>> doc = load_document({"settings": {"model": "llama-3.1-8b-instruct"},
        ...     "messages": [{"role": "user", "parts": [{"type": "text", "text": "Hi"}]}]})
        >>> body = ChatMLConverter().encode(doc, EncodeOptions()).body
        >>> body["template"], body["prompt"]
        ('llama-3', '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\\n\\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\\n\\n')
        >>> ChatMLConverter().decode(body)
        Traceback (most recent call last):
        ...
        aifkit.aif.converters.chatml.RenderOnlyError: chatml is render-only: a rendered prompt cannot be read back into a conversation; convert from the request body the prompt was rendered from; use chatml only as a target (--to chatml)
    """

    name = NAME
    capabilities = CAPABILITIES
    render_only = True

    def __init__(self, template: str | None = None) -> None:
        self.template = template

    def decode(self, body: Any) -> Decoded:
        """Always raises: a rendered prompt cannot be read back.

        Raises:
            RenderOnlyError: always.
        """
        raise RenderOnlyError()

    def encode(self, document: Document, options: EncodeOptions) -> Encoded:
        """Render ``document`` as ``{"prompt", "template", "model"?}``."""
        spec = _template(self.template, document.settings.model)
        prompt, losses = _prompt(document, spec, options, True)
        body: dict[str, Any] = {"prompt": prompt, "template": spec.name}
        if document.settings.model is not None:
            body["model"] = document.settings.model
        return Encoded(body, losses)

    def validate(self, body: Any) -> list[Violation]:
        """Check the shape of a rendered body: a ``prompt`` string and a known template."""
        if not isinstance(body, dict):
            return [Violation("", f"{NAME}/schema", f"expected an object, got {type_name(body)}")]
        root = cast("dict[str, Any]", body)
        found: list[Violation] = []
        if not isinstance(root.get("prompt"), str):
            found.append(Violation("/prompt", f"{NAME}/schema", "prompt must be a string"))
        template = root.get("template")
        if template is not None and template not in (*TEMPLATES, "custom"):
            msg = f"unknown template {template!r}; built-in: {', '.join(TEMPLATES)}, or custom"
            found.append(Violation("/template", f"{NAME}/template", msg))
        model = root.get("model")
        if model is not None and not isinstance(model, str):
            found.append(Violation("/model", f"{NAME}/schema", "model must be a string"))
        return found
