"""The AIF 1.1 document model.

An AIF document is a provider-neutral request: instructions (system and developer
text, in order), messages made of typed parts, tool definitions and the generation
settings the source carried. Every model is frozen; parts are a discriminated union
on ``type``.

Two fields carry what is not neutral:

* ``extensions`` — a namespaced mapping (``{"openai-chat": {...}}``) on every
  element. A converter keeps under its own namespace what only its format has:
  ``form`` holds presentation choices needed for an exact round trip (a string
  content vs. a list of parts), never reported when dropped; ``extra`` holds wire
  fields AIF has no place for, reported as dropped by every other format.
* unknown fields — a document from a newer minor version may carry fields this
  version does not know; they are kept (``extra="allow"``) and written back.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal, NoReturn, TypeVar, cast, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    SkipValidation,
    TypeAdapter,
    WithJsonSchema,
    model_serializer,
)

__all__ = [
    "AIF_VERSION",
    "MAX_INLINE_CHARS",
    "AudioPart",
    "Base64Source",
    "CacheHint",
    "ConversionStep",
    "Document",
    "DocumentPart",
    "Extensions",
    "FileSource",
    "ImagePart",
    "Instruction",
    "Message",
    "Part",
    "Provenance",
    "ProviderPart",
    "Reasoning",
    "ReasoningPart",
    "ReasoningScope",
    "RefusalPart",
    "ResultPart",
    "Role",
    "Settings",
    "Source",
    "TextPart",
    "TextSource",
    "Tool",
    "ToolCallPart",
    "ToolChoice",
    "ToolResultPart",
    "UrlSource",
    "build",
    "document_adapter",
    "json_schema",
    "message",
    "text_part",
]

AIF_VERSION = "1.1.0"
"""The version of the AIF schema this aifkit writes."""

MAX_INLINE_CHARS = 64 * 1024 * 1024
"""The longest base64 payload a document may carry inline (about 48 MiB of data).

Every provider refuses inline media far smaller than this; larger data belongs
behind a URL or a provider file id.
"""

JsonData = Annotated[Any, WithJsonSchema({"description": "Any JSON value."})]
"""A JSON value, not validated further: it came from JSON or from a converter that
checked it, and walking every nested value would cost more than the rest of a
conversion (see benchmarks/convert.py)."""

Extensions = Annotated[
    dict[str, dict[str, Any]],
    SkipValidation,  # written by converters; load_document checks the shape of user input
    WithJsonSchema(
        {
            "type": "object",
            "additionalProperties": {"type": "object"},
            "description": "Vendor-only data by namespace: {namespace: {form, extra}}.",
        }
    ),
]
"""Namespaced, vendor-only data: ``{namespace: {"form": {...}, "extra": {...}}}``."""

_TAGS = frozenset({"type", "kind"})

Role = Literal["system", "developer", "user", "assistant", "tool"]


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="allow",  # unknown fields from a newer minor version survive a round trip
        populate_by_name=True,
        defer_build=True,  # keeps `import aifkit` fast; schemas build on first use
        allow_inf_nan=False,  # JSON has no NaN or Infinity, and no provider accepts them
    )

    @model_serializer(mode="wrap")
    def _drop_defaults(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Documents stay small: a field left at its default is not written, except
        # the tags that say what a value is.
        data: dict[str, Any] = handler(self)
        for name, key, default in _omittable(type(self)):
            if key in data and getattr(self, name) == default:
                del data[key]
        return data


@functools.cache
def _omittable(cls: type[BaseModel]) -> tuple[tuple[str, str, Any], ...]:
    """The fields of ``cls`` omitted when at their default: ``(name, key, default)``."""
    out: list[tuple[str, str, Any]] = []
    for name, field in cls.model_fields.items():
        if field.is_required() or name == "aif_version":
            continue
        if name in _TAGS and get_origin(field.annotation) is Literal:
            continue
        out.append((name, field.alias or name, field.get_default(call_default_factory=True)))
    return tuple(out)


class ConversionStep(_Model):
    """One conversion an element went through."""

    source: str = Field(description="Format converted from, e.g. 'openai-chat'.")
    target: str = Field(description="Format converted to.")
    at: datetime | None = Field(default=None, description="When the conversion ran.")
    tool: str | None = Field(default=None, description="What converted it, e.g. 'aifkit 0.1.0'.")


class Provenance(_Model):
    """Where an element came from: format, provider, model, time and conversions."""

    format: str | None = Field(default=None, description="Wire format it was read from.")
    provider: str | None = Field(default=None, description="Provider that produced it.")
    model: str | None = Field(default=None, description="Model that produced it.")
    created_at: datetime | None = None
    conversions: tuple[ConversionStep, ...] = ()


class CacheHint(_Model):
    """A prompt-cache breakpoint: cache the request up to and including this element."""

    ttl: str | None = Field(default=None, description="Time to live, e.g. '5m' or '1h'.")


class _Element(_Model):
    provenance: Provenance | None = None
    extensions: Extensions = Field(default_factory=dict)


class Base64Source(_Model):
    """Inline binary data."""

    kind: Literal["base64"] = "base64"
    media_type: str | None = Field(default=None, description="IANA media type, e.g. 'image/png'.")
    data: str = Field(max_length=MAX_INLINE_CHARS, description="Base64 without a data: prefix.")


class UrlSource(_Model):
    """Data behind a URL."""

    kind: Literal["url"] = "url"
    url: str


class FileSource(_Model):
    """A file uploaded to a provider; the id is only meaningful there."""

    kind: Literal["file"] = "file"
    file_id: str
    provider: str | None = Field(default=None, description="Provider the id belongs to.")


class TextSource(_Model):
    """Plain text carried as a document."""

    kind: Literal["text"] = "text"
    media_type: str = "text/plain"
    text: str


Source = Annotated[Base64Source | UrlSource | FileSource | TextSource, Field(discriminator="kind")]


class _Part(_Element):
    cache: CacheHint | None = Field(default=None, description="Prompt-cache breakpoint.")


class TextPart(_Part):
    """Text."""

    type: Literal["text"] = "text"
    text: str


class ImagePart(_Part):
    """An image."""

    type: Literal["image"] = "image"
    source: Source
    detail: Literal["auto", "low", "high"] | None = None


class DocumentPart(_Part):
    """A document or file, e.g. a PDF or plain text."""

    type: Literal["document"] = "document"
    source: Source
    filename: str | None = None
    title: str | None = None
    context: str | None = None


class AudioPart(_Part):
    """Audio input."""

    type: Literal["audio"] = "audio"
    source: Source
    format: str | None = Field(default=None, description="Encoding, e.g. 'wav' or 'mp3'.")


class ToolCallPart(_Part):
    """A call the assistant made to a tool.

    ``arguments`` holds the parsed JSON; when the model produced text that is not
    valid JSON, ``arguments`` is ``None`` and ``raw_arguments`` keeps the text as is.
    """

    type: Literal["tool_call"] = "tool_call"
    id: str
    name: str
    arguments: JsonData = None
    raw_arguments: str | None = Field(
        default=None, description="The arguments text when it was not valid JSON."
    )


ResultPart = Annotated[TextPart | ImagePart | DocumentPart, Field(discriminator="type")]


class ToolResultPart(_Part):
    """The result of a tool call."""

    type: Literal["tool_result"] = "tool_result"
    call_id: str
    content: tuple[ResultPart, ...] = ()
    is_error: bool | None = None


class ReasoningScope(_Model):
    """The provider and model a reasoning signature is valid for."""

    provider: str
    model: str | None = None


class ReasoningPart(_Part):
    """Model reasoning: readable text and/or a redacted (encrypted) payload, with a signature."""

    type: Literal["reasoning"] = "reasoning"
    text: str | None = None
    redacted: str | None = Field(default=None, description="Encrypted or redacted payload.")
    signature: str | None = None
    valid_for: ReasoningScope | None = None


class RefusalPart(_Part):
    """The model declined to answer."""

    type: Literal["refusal"] = "refusal"
    text: str


class ProviderPart(_Part):
    """Content only one format has (e.g. Anthropic's server tool blocks), kept verbatim.

    Its own format writes ``data`` back as it was; every other format drops it and
    says so in the loss report.
    """

    type: Literal["provider"] = "provider"
    format: str = Field(description="The wire format the block belongs to.")
    data: dict[str, JsonData] = Field(description="The block as the format wrote it.")


Part = Annotated[
    TextPart
    | ImagePart
    | DocumentPart
    | AudioPart
    | ToolCallPart
    | ToolResultPart
    | ReasoningPart
    | RefusalPart
    | ProviderPart,
    Field(discriminator="type"),
]


class Instruction(_Element):
    """A block of system or developer text sent ahead of the conversation."""

    role: Literal["system", "developer"]
    parts: tuple[TextPart, ...] = ()
    name: str | None = None


class Message(_Element):
    """One turn. Tool results travel as `ToolResultPart`s in ``tool`` or ``user`` messages."""

    role: Role
    parts: tuple[Part, ...] = ()
    name: str | None = None


class Tool(_Element):
    """A tool the model may call.

    ``kind`` is ``"function"`` for a function described by a JSON Schema; any other
    kind (``"web_search_20250305"``, ``"custom"``, ...) is a provider's own tool whose
    definition lives in the extensions of the format that declared it.
    """

    kind: str = "function"
    name: str
    description: str | None = None
    parameters: dict[str, JsonData] | None = Field(
        default=None, description="JSON Schema of the arguments."
    )
    strict: bool | None = None
    cache: CacheHint | None = None


class ToolChoice(_Model):
    """Whether and which tool the model must call."""

    mode: Literal["auto", "none", "required", "tool"]
    name: str | None = Field(default=None, description="The tool, when mode is 'tool'.")


class Reasoning(_Model):
    """How much the model should think before it answers, in neutral terms.

    Each format writes this its own way (Anthropic ``thinking``, Gemini
    ``thinkingConfig``, OpenAI ``reasoning_effort`` / ``reasoning``); where a format
    takes an effort and the document gives a token budget (or the reverse), the
    encoder converts through one documented table and reports the approximation.
    Both ``effort`` and ``budget_tokens`` None means "on, at the provider's default".
    """

    effort: Literal["none", "minimal", "low", "medium", "high"] | None = Field(
        default=None, description="Reasoning effort; 'none' turns reasoning off."
    )
    budget_tokens: int | None = Field(
        default=None, ge=0, description="Token budget for reasoning (0 turns it off)."
    )
    summary: str | None = Field(
        default=None,
        description="Ask for reasoning summaries or thoughts: auto, concise, detailed.",
    )


class Settings(_Model):
    """Generation settings the source request carried."""

    model: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: tuple[str, ...] | None = None
    seed: int | None = None
    stream: bool | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    reasoning: Reasoning | None = None
    extensions: Extensions = Field(default_factory=dict)


class Document(_Model):
    """An AIF document: one conversation, ready to be sent to any provider."""

    aif_version: str = Field(default=AIF_VERSION, description="Semver of the AIF schema.")
    id: str | None = Field(default=None, description="Conversation id.")
    instructions: tuple[Instruction, ...] = ()
    messages: tuple[Message, ...] = ()
    tools: tuple[Tool, ...] = ()
    settings: Settings = Field(default_factory=Settings)
    metadata: dict[str, JsonData] = Field(default_factory=dict)
    provenance: Provenance | None = None
    extensions: Extensions = Field(default_factory=dict)


_M = TypeVar("_M", bound=BaseModel)

_new = object.__new__
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def build(cls: type[_M], /, **fields: Any) -> _M:
    """Make a ``cls`` from field values that are already what validation would make.

    For decoders only, on their fast paths: they check every value they read, so
    validating the model again repeats work, and building it here allocates less:
    a model's empty ``extensions`` and extra fields are shared empty dicts (the
    ``extensions`` one refuses writes), and
    models given the same fields share one set of their names (nothing writes to
    either: models are frozen, and pydantic copies the set before it changes it). The values must be exactly what
    validation produces: nested models built (or validated), tuples for tuple
    fields, every required field given. The result equals the validated model,
    field by field and in its dumps (tests/aif/test_schema.py proves it for the
    shapes decoders build). Documents from users are never built this way:
    `load_document` and ``model_validate`` validate them.

    Examples:
        >>> part = build(TextPart, type="text", text="hi")
        >>> part == TextPart(type="text", text="hi"), part.model_dump()
        (True, {'type': 'text', 'text': 'hi'})
    """
    try:
        template, factories = _TEMPLATES[cls]
    except KeyError:
        template, factories = _TEMPLATES[cls] = _template(cls)
    values = {**template, **fields}
    for name, factory in factories:
        if name not in fields:
            values[name] = factory()
    names = tuple(fields)
    given = _GIVEN.get(names)
    if given is None:
        given = _GIVEN[names] = set(names)
    return _made(cls, values, given)


def _made(cls: type[_M], values: dict[str, Any], given: set[str]) -> _M:
    """A ``cls`` holding ``values`` (every field, in order) and fields-set ``given``."""
    obj = _new(cls)
    _set_dict(obj, values)
    _set_fields_set(obj, given)
    _set_extra(obj, _NOTHING)
    _set_private(obj, None)
    return obj


def text_part(text: str) -> TextPart:
    """``build(TextPart, type="text", text=text)``: the model decoders make most, made faster.

    Examples:
        >>> text_part("hi") == TextPart(type="text", text="hi")
        True
    """
    obj = _new(TextPart)
    _set_dict(obj, {**_TEXT_PART, "text": text})
    _set_fields_set(obj, _TEXT_GIVEN)
    _set_extra(obj, _NOTHING)
    _set_private(obj, None)
    return obj


def message(role: Role, parts: tuple[Part, ...], extensions: Extensions | None = None) -> Message:
    """``build(Message, role=role, parts=parts[, extensions=extensions])``, made faster.

    Examples:
        >>> message("user", (text_part("hi"),)) == Message(role="user", parts=[TextPart(text="hi")])
        True
    """
    if extensions is None:
        return _made(Message, {**_MESSAGE, "role": role, "parts": parts}, _MESSAGE_GIVEN)
    values = {**_MESSAGE, "extensions": extensions, "role": role, "parts": parts}
    return _made(Message, values, _MESSAGE_EXT_GIVEN)


def tool_call_part(
    call_id: str,
    name: str,
    arguments: JsonData,
    raw_arguments: str | None = None,
    extensions: Extensions | None = None,
) -> ToolCallPart:
    """``build(ToolCallPart, type="tool_call", id=..., name=..., ...)``, made faster.

    ``arguments`` is given when not None, and so are ``raw_arguments`` and
    ``extensions``, as the build call would name them.

    Examples:
        >>> part = tool_call_part("c1", "f", {"a": 1})
        >>> part == ToolCallPart(id="c1", name="f", arguments={"a": 1}), sorted(part.model_fields_set)
        (True, ['arguments', 'id', 'name', 'type'])
        >>> tool_call_part("c1", "f", None, "{") == ToolCallPart(id="c1", name="f", raw_arguments="{")
        True
    """
    values = {**_TOOL_CALL_PART, "id": call_id, "name": name}
    key = 0
    if arguments is not None:
        values["arguments"] = arguments
        key = 1
    if raw_arguments is not None:
        values["raw_arguments"] = raw_arguments
        key |= 2
    if extensions is not None:
        values["extensions"] = extensions
        key |= 4
    return _made(ToolCallPart, values, _TOOL_CALL_GIVEN[key])


def tool_result_part(call_id: str, content: tuple[ResultPart, ...]) -> ToolResultPart:
    """``build(ToolResultPart, type="tool_result", call_id=..., content=...)``, made faster.

    Examples:
        >>> part = tool_result_part("c1", (text_part("12"),))
        >>> part == ToolResultPart(call_id="c1", content=[TextPart(text="12")])
        True
    """
    values = {**_TOOL_RESULT_PART, "call_id": call_id, "content": content}
    return _made(ToolResultPart, values, _TOOL_RESULT_GIVEN)


def base64_image_part(media_type: str | None, data: str) -> ImagePart:
    """``build(ImagePart, type="image", source=build(Base64Source, kind="base64", ...))``, faster.

    Examples:
        >>> part = base64_image_part("image/png", "AAAA")
        >>> part == ImagePart(source=Base64Source(media_type="image/png", data="AAAA"))
        True
    """
    values = {**_BASE64_SOURCE, "media_type": media_type, "data": data}
    source = _made(Base64Source, values, _BASE64_GIVEN)
    return _made(ImagePart, {**_IMAGE_PART, "source": source}, _IMAGE_GIVEN)


_NOTHING: dict[str, Any] = {}
"""The empty extra-fields dict `build` shares between models (pydantic copies a
model's extra fields before it writes to them, in ``model_copy``)."""


class _SharedEmpty(dict[str, Any]):
    """The empty dict `build` shares as a default value (``extensions``): it refuses
    writes, since a write would reach every model built this way (a validated model
    holds a dict of its own; models are frozen, so neither is meant to be written)."""

    __slots__ = ()

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError(
            "this empty dict is shared by decoded AIF models and is read-only; "
            "make a new model instead: model.model_copy(update={'extensions': {...}})"
        )

    __setitem__ = __delitem__ = __ior__ = _refuse  # pyright: ignore[reportAssignmentType]
    setdefault = update = pop = popitem = clear = _refuse  # pyright: ignore[reportAssignmentType]


_EMPTY = _SharedEmpty()

_GIVEN: dict[tuple[str, ...], set[str]] = {}
"""The fields-set `build` shares between models given the same fields, by their names."""

_Template = tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...]]
_TEMPLATES: dict[type[BaseModel], _Template] = {}


def _template(cls: type[BaseModel]) -> _Template:
    """The field values of a ``cls`` built from nothing, in field order, and its factories.

    A required field's slot holds None until the caller's value replaces it; a
    field whose default is a new empty dict holds `_EMPTY`; any other default
    factory is called for each model.
    """
    template: dict[str, Any] = {}
    factories: list[tuple[str, Callable[[], Any]]] = []
    for name, field in cls.model_fields.items():
        template[name] = None if field.is_required() else field.default
        if field.default_factory is dict:
            template[name] = _EMPTY
        elif field.default_factory is not None:
            factories.append((name, cast("Callable[[], Any]", field.default_factory)))
    return template, tuple(factories)


_TEXT_PART = {**_template(TextPart)[0], "type": "text"}
_TEXT_GIVEN = _GIVEN.setdefault(("type", "text"), {"type", "text"})
_MESSAGE = _template(Message)[0]
_MESSAGE_GIVEN = _GIVEN.setdefault(("role", "parts"), {"role", "parts"})
_MESSAGE_EXT_GIVEN = _GIVEN.setdefault(
    ("role", "parts", "extensions"), {"role", "parts", "extensions"}
)
_TOOL_CALL_PART = {**_template(ToolCallPart)[0], "type": "tool_call"}
_TOOL_RESULT_PART = {**_template(ToolResultPart)[0], "type": "tool_result"}
_TOOL_RESULT_GIVEN = _GIVEN.setdefault(
    ("type", "call_id", "content"), {"type", "call_id", "content"}
)
_BASE64_SOURCE = {**_template(Base64Source)[0], "kind": "base64"}
_BASE64_GIVEN = _GIVEN.setdefault(("kind", "media_type", "data"), {"kind", "media_type", "data"})
_IMAGE_PART = {**_template(ImagePart)[0], "type": "image"}
_IMAGE_GIVEN = _GIVEN.setdefault(("type", "source"), {"type", "source"})


def _call_given(key: int) -> set[str]:
    names = ("type", "id", "name")
    names += tuple(
        n for b, n in ((1, "arguments"), (2, "raw_arguments"), (4, "extensions")) if key & b
    )
    return _GIVEN.setdefault(names, set(names))


_TOOL_CALL_GIVEN = tuple(_call_given(key) for key in range(8))
"""The fields-set of a `tool_call_part`, by which optional fields it is given (bits)."""


@functools.cache
def document_adapter() -> TypeAdapter[Document]:
    """Return the one `TypeAdapter` for AIF documents (built on first use)."""
    return TypeAdapter(Document)


def json_schema() -> dict[str, Any]:
    """Return the JSON Schema of AIF documents at `AIF_VERSION`.

    It is published as ``schemas/aif-<major>.<minor>.schema.json``, beside the
    schemas of earlier minor versions, which are never regenerated.
    """
    major, minor, _ = AIF_VERSION.split(".")
    schema = document_adapter().json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://aifkit.dev/schemas/aif-{major}.{minor}.schema.json",
        **schema,
        "title": f"AIF {major}.{minor} document",
    }
