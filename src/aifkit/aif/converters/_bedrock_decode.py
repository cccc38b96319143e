"""Reading an AWS Bedrock Converse request body into AIF.

The body is the JSON form of a ``Converse`` request (binary fields as base64
strings, as the AWS CLI and the HTTP API take them). The document is built as plain
dicts in AIF's JSON shape and validated once at the end. What AIF has no field for
is kept under ``extensions["bedrock-converse"]``: ``extra`` for wire fields
(``additionalModelRequestFields``, ``guardrailConfig``, a block's ``citations``, a
future key), ``form`` for presentation choices an exact round trip needs. ``top_k``
is read from ``additionalModelRequestFields`` where the body's model documents it
(`top_k_path`); the other keys there stay in ``extra``. Presentation choices:

* settings: ``inferenceConfig: "empty"`` for an empty ``inferenceConfig`` object;
  ``int`` lists float settings given as integers.
* document part: ``format: "absent"`` when the block named no format.
* tool result text: ``json: true`` for a ``{"json": ...}`` item (kept as its JSON text).

A ``cachePoint`` block becomes the cache hint of the element before it; blocks AIF
has no neutral form for (video, S3 sources, guard content, citations, ...) are
`ProviderPart`s; tools other than ``toolSpec`` keep their definition under
``extra.definition``.
"""

from __future__ import annotations

import re
from typing import Any, Final, cast

from aifkit._json import canonical_json
from aifkit.aif._loss import Path, SourceMap
from aifkit.aif.converters._base import Decoded
from aifkit.aif.converters._common import (
    expect_list,
    expect_obj,
    expect_str,
    fail,
    read_int,
    read_number,
    validate_body,
)
from aifkit.aif.converters._reasoning import (
    anthropic_read,
    anthropic_write,
    needs_form,
    nova_read,
    nova_write,
)
from aifkit.aif.converters._settings import SettingsTable, read_settings, read_strings
from aifkit.aif.converters._wire import RuleLog, merge_ns

__all__ = [
    "AUDIO_FORMATS",
    "DOCUMENT_FORMATS",
    "DOCUMENT_NAME",
    "IMAGE_FORMATS",
    "INFERENCE",
    "NAME",
    "TOOL_ID",
    "TOOL_NAME",
    "Obj",
    "decode_body",
    "top_k_path",
]


_SOURCE_FIELDS: Final[dict[str, tuple[Path, ...]]] = {
    "instructions": (("system",),),
    "model": (("modelId",),),
    "id": (("toolUse", "toolUseId"), ("toolResult", "toolUseId")),
    "call_id": (("toolResult", "toolUseId"),),
    "is_error": (("toolResult", "status"),),
    "content": (("toolResult", "content"),),
    "name": (("toolUse", "name"), ("toolSpec", "name")),
    "arguments": (("toolUse", "input"),),
    "description": (("toolSpec", "description"),),
    "parameters": (("toolSpec", "inputSchema"),),
    "strict": (("toolSpec", "strict"),),
    "source": (("image", "source"), ("document", "source"), ("video", "source")),
    "media_type": (("image", "format"), ("document", "format"), ("video", "format")),
    "filename": (("document", "name"),),
    "context": (("document", "context"),),
    "signature": (("reasoningContent", "reasoningText", "signature"),),
    "redacted": (("reasoningContent", "redactedContent"),),
}
"""AIF fields this format spells otherwise, for loss pointers (`SourceMap.fields`)."""

NAME: Final = "bedrock-converse"
TOOL_ID: Final = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
"""Tool-use ids Bedrock accepts."""
TOOL_NAME: Final = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
"""Tool names Bedrock accepts."""
DOCUMENT_NAME: Final = re.compile(r"^(?!.*\s\s)[A-Za-z0-9\s()\[\]-]{1,200}$")
"""Document names: alphanumerics, whitespace, hyphens, parentheses, square brackets;
no two whitespace characters in a row."""

IMAGE_FORMATS: Final = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}
DOCUMENT_FORMATS: Final = {
    "pdf": "application/pdf",
    "csv": "text/csv",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html",
    "txt": "text/plain",
    "md": "text/markdown",
}
AUDIO_FORMATS: Final = frozenset(
    {
        "mp3",
        "opus",
        "wav",
        "aac",
        "flac",
        "mp4",
        "ogg",
        "mkv",
        "mka",
        "x-aac",
        "m4a",
        "mpeg",
        "mpga",
        "pcm",
        "webm",
    }
)

_ANTHROPIC: Final = re.compile(r"(?:^|[./:])anthropic\.|claude", re.IGNORECASE)
_NOVA: Final = re.compile(r"(?:^|[./:])amazon\.nova-", re.IGNORECASE)
_TOP_K: Final = "additionalModelRequestFields"
_TOP_KEYS: Final = frozenset({"modelId", "messages", "system", "inferenceConfig", "toolConfig"})
INFERENCE: Final[SettingsTable] = (
    ("maxTokens", "max_tokens", read_int),
    ("temperature", "temperature", read_number),
    ("topP", "top_p", read_number),
    ("stopSequences", "stop", read_strings),
)
"""The ``inferenceConfig`` settings, both directions (the encoder keeps them in the
ranges Converse accepts); ``top_k`` and reasoning travel in
``additionalModelRequestFields`` and are read and written on their own."""
_INFERENCE_KEYS: Final = frozenset(wire for wire, _, _ in INFERENCE)
_KINDS: Final = (
    "text",
    "image",
    "document",
    "audio",
    "toolUse",
    "toolResult",
    "reasoningContent",
    "cachePoint",
)
_CHOICES: Final = {"auto": "auto", "any": "required"}

Obj = dict[str, Any]


def decode_body(body: Any) -> Decoded:
    """Read a Converse request body (already checked to be JSON) into AIF."""
    root = expect_obj(body, ())
    sm = SourceMap(fields=_SOURCE_FIELDS)
    doc: Obj = {}
    settings: Obj = {}
    extra = {k: v for k, v in root.items() if k not in _TOP_KEYS}
    model = root.get("modelId")
    _top_k(extra, model if isinstance(model, str) else None, settings, sm)
    _reasoning_setting(extra, model if isinstance(model, str) else None, root, settings, sm)
    if extra:
        doc["extensions"] = {NAME: {"extra": extra}}
        for key in extra:
            sm.add(("extensions", NAME, "extra", key), (key,))
    if "modelId" in root:
        settings["model"] = expect_str(root["modelId"], ("modelId",))
        sm.add(("settings", "model"), ("modelId",))
    if "system" in root:
        doc["instructions"] = _system(expect_list(root["system"], ("system",)), sm)
        if not root["system"]:
            merge_ns(NAME, doc, "form", {"system": "empty"})
    if "messages" in root:
        messages = expect_list(root["messages"], ("messages",))
        doc["messages"] = [_message(m, i, sm) for i, m in enumerate(messages)]
        if not messages:
            merge_ns(NAME, doc, "form", {"messages": "empty"})
    extra_path: Path = ("settings", "extensions", NAME, "extra")
    sm.add((*extra_path, "inferenceConfig"), ("inferenceConfig",))
    sm.add((*extra_path, "toolConfig"), ("toolConfig",))
    sm.add((*extra_path, "toolChoice"), ("toolConfig", "toolChoice"))
    if "inferenceConfig" in root:
        _inference(expect_obj(root["inferenceConfig"], ("inferenceConfig",)), settings, sm)
    if "toolConfig" in root:
        doc["tools"] = _tool_config(expect_obj(root["toolConfig"], ("toolConfig",)), settings, sm)
    if settings:
        doc["settings"] = settings
    _scope_reasoning(doc.get("messages", []), settings.get("model"))
    document = validate_body(doc)
    return Decoded(document, sm)


def top_k_path(model: str | None) -> tuple[str, ...] | None:
    """Where ``top_k`` goes inside ``additionalModelRequestFields`` for ``model``.

    Anthropic (Claude) models take ``top_k``; Amazon Nova models take
    ``inferenceConfig.topK``. None when the model is unknown or its family documents
    no top-k field for Converse.

    Examples:
        >>> top_k_path("us.anthropic.claude-sonnet-4-20250514-v1:0")
        ('top_k',)
        >>> top_k_path("amazon.nova-pro-v1:0")
        ('inferenceConfig', 'topK')
        >>> top_k_path("meta.llama3-70b-instruct-v1:0") is None
        True
    """
    if model is None:
        return None
    if _ANTHROPIC.search(model):
        return ("top_k",)
    if _NOVA.search(model):
        return ("inferenceConfig", "topK")
    return None


def reasoning_field(model: str | None) -> str | None:
    """The ``additionalModelRequestFields`` key of ``model``'s reasoning setting.

    Examples:
        >>> reasoning_field("anthropic.claude-sonnet-4-5-20250929-v1:0")
        'thinking'
        >>> reasoning_field("amazon.nova-2-lite-v1:0"), reasoning_field("meta.llama3") is None
        ('reasoningConfig', True)
    """
    if model is None:
        return None
    if _ANTHROPIC.search(model):
        return "thinking"
    if _NOVA.search(model):
        return "reasoningConfig"
    return None


def _reasoning_setting(
    extra: Obj, model: str | None, root: Obj, settings: Obj, sm: SourceMap
) -> None:
    """Lift the model's reasoning setting out of ``additionalModelRequestFields``."""
    key = reasoning_field(model)
    fields = extra.get(_TOP_K)
    if key is None or not isinstance(fields, dict) or key not in fields:
        return
    rest = dict(cast("Obj", fields))
    wire = rest[key]
    reasoning = anthropic_read(wire) if key == "thinking" else nova_read(wire)
    if reasoning is None:  # a shape this version does not know stays in extra
        return
    config = root.get("inferenceConfig")
    limit = cast("Obj", config).get("maxTokens") if isinstance(config, dict) else None
    max_tokens = limit if type(limit) is int else 0
    r = reasoning

    def write(log: RuleLog) -> Obj | None:
        return (
            anthropic_write(r, {}, max_tokens, log) if key == "thinking" else nova_write(r, {}, log)
        )

    del rest[key]
    if rest:
        extra[_TOP_K] = rest
    else:
        del extra[_TOP_K]
    settings["reasoning"] = reasoning.model_dump(exclude_none=True)
    if needs_form(wire, write):
        settings["extensions"] = {NAME: {"form": {"reasoning": wire}}}
    sm.add(("settings", "reasoning"), (_TOP_K, key))


def _top_k(extra: Obj, model: str | None, settings: Obj, sm: SourceMap) -> None:
    """Lift the model's documented top-k field out of ``additionalModelRequestFields``."""
    where = top_k_path(model)
    fields = extra.get(_TOP_K)
    if where is None or not isinstance(fields, dict):
        return
    rest = dict(cast("Obj", fields))
    holder = rest
    if len(where) == 2:
        inner = rest.get(where[0])
        if not isinstance(inner, dict):
            return
        holder = dict(cast("Obj", inner))
    value = holder.get(where[-1])
    if not isinstance(value, int) or isinstance(value, bool):
        return
    del holder[where[-1]]
    if len(where) == 2:
        if holder:
            rest[where[0]] = holder
        else:
            del rest[where[0]]
    if rest:
        extra[_TOP_K] = rest
    else:
        del extra[_TOP_K]
    settings["top_k"] = value
    sm.add(("settings", "top_k"), (_TOP_K, *where))


def _scope_reasoning(messages: list[Obj], model: str | None) -> None:
    """Reasoning read here replays only on Bedrock, with the body's model."""
    if model is None:
        return
    for msg in messages:
        for part in msg["parts"]:
            if part["type"] == "reasoning":
                part["valid_for"]["model"] = model


# -- helpers --------------------------------------------------------------------------


def _extra(element: Obj, raw: Obj, known: frozenset[str] | tuple[str, ...]) -> None:
    extra = {k: v for k, v in raw.items() if k not in known}
    if extra:
        merge_ns(NAME, element, "extra", extra)


def _cache(point: Obj, path: Path) -> Obj:
    """The AIF cache hint of a ``cachePoint`` object."""
    if point.get("type") != "default":
        raise fail((*path, "type"), "a cachePoint's type must be 'default'")
    hint: Obj = {}
    if "ttl" in point:
        hint["ttl"] = expect_str(point["ttl"], (*path, "ttl"))
    return hint


def _attach_cache(target: Obj | None, block: Obj, path: Path) -> bool:
    """Make a ``cachePoint`` block the cache hint of the element before it.

    Returns False (the block is kept as it is) when nothing cacheable precedes it.
    """
    point = expect_obj(block["cachePoint"], (*path, "cachePoint"))
    if target is None or "cache" in target:
        return False
    target["cache"] = _cache(point, (*path, "cachePoint"))
    rest = {k: v for k, v in point.items() if k not in ("type", "ttl")}
    others = {k: v for k, v in block.items() if k != "cachePoint"}
    if rest:
        others["cachePoint"] = rest
    if others:  # unknown keys of the cache point travel with the cached element
        merge_ns(NAME, target, "extra", {"cachePoint": others})
    return True


def _kind(block: Obj) -> str | None:
    for kind in _KINDS:
        if kind in block:
            return kind
    return None


# -- system ---------------------------------------------------------------------------


def _system(blocks: list[Any], sm: SourceMap) -> list[Obj]:
    out: list[Obj] = []
    last: Obj | None = None
    for k, raw in enumerate(blocks):
        path: Path = ("system", k)
        block = expect_obj(raw, path)
        if "cachePoint" in block and "text" not in block and _attach_cache(last, block, path):
            sm.add(("instructions", len(out) - 1, "parts", 0, "cache"), path)
            continue
        ins: Obj = {"role": "system"}
        if "text" in block:
            last = {"type": "text", "text": expect_str(block["text"], (*path, "text"))}
            ins["parts"] = [last]
        else:
            last = None
        _extra(ins, block, ("text",))
        sm.add(("instructions", len(out)), path)
        sm.add(("instructions", len(out), "extensions", NAME, "extra"), path)
        out.append(ins)
    return out


# -- messages -------------------------------------------------------------------------


def _message(raw: Any, i: int, sm: SourceMap) -> Obj:
    path: Path = ("messages", i)
    msg = expect_obj(raw, path)
    if "role" not in msg:
        raise fail(path, "a message needs a role")
    role = expect_str(msg["role"], (*path, "role"))
    if role not in ("user", "assistant"):
        raise fail((*path, "role"), f"role must be 'user' or 'assistant', not {role!r}")
    if "content" not in msg:
        raise fail(path, "a message needs content")
    blocks = expect_list(msg["content"], (*path, "content"))
    sm.add(("messages", i), path)
    sm.add(("messages", i, "extensions", NAME, "extra"), path)
    parts: list[Obj] = []
    for j, raw_block in enumerate(blocks):
        bpath: Path = (*path, "content", j)
        block = expect_obj(raw_block, bpath)
        if _kind(block) == "cachePoint" and _attach_cache(
            parts[-1] if parts else None, block, bpath
        ):
            sm.add(("messages", i, "parts", len(parts) - 1, "cache"), bpath)
            continue
        at: Path = ("messages", i, "parts", len(parts))
        sm.add(at, bpath)
        sm.add((*at, "extensions", NAME, "extra"), bpath)
        parts.append(_block(block, bpath))
    out: Obj = {"role": role, "parts": parts}
    _extra(out, msg, ("role", "content"))
    return out


def _server_tool(block: Obj, kind: str | None) -> bool:
    """Whether ``block`` is a server tool's call or result (Nova's code interpreter, ...).

    The model ran it, not the caller: the call says ``"type": "server_tool_use"`` and
    its result, in the same assistant turn, has a ``type`` of its own
    (``"nova_code_interpreter_result"``). Recorded: ``pydantic-ai__nova-code-interpreter``.
    """
    if kind not in ("toolUse", "toolResult"):
        return False
    inner: Any = block[kind]
    if not isinstance(inner, dict):
        return False
    kind_of: Any = cast("dict[str, Any]", inner).get("type")
    if kind == "toolUse":
        return kind_of == "server_tool_use"
    return isinstance(kind_of, str)


def _block(block: Obj, path: Path) -> Obj:
    kind = _kind(block)
    part: Obj | None = None
    if _server_tool(block, kind):  # carried as it is; no other format runs Bedrock's tools
        return {"type": "provider", "format": NAME, "data": block}
    if kind == "text":
        part = {"type": "text", "text": expect_str(block["text"], (*path, "text"))}
    elif kind == "image":
        part = _image(expect_obj(block["image"], (*path, "image")), (*path, "image"))
    elif kind == "document":
        part = _document(expect_obj(block["document"], (*path, "document")), (*path, "document"))
    elif kind == "audio":
        part = _audio(expect_obj(block["audio"], (*path, "audio")), (*path, "audio"))
    elif kind == "toolUse":
        part = _tool_use(expect_obj(block["toolUse"], (*path, "toolUse")), (*path, "toolUse"))
    elif kind == "toolResult":
        part = _tool_result(block["toolResult"], (*path, "toolResult"))
    elif kind == "reasoningContent":
        part = _reasoning(block["reasoningContent"], (*path, "reasoningContent"))
    if part is None or kind is None:
        return {"type": "provider", "format": NAME, "data": block}
    _extra(part, block, (kind,))
    return part


def _format(obj: Obj, path: Path) -> str | None:
    if "format" not in obj:
        return None
    return expect_str(obj["format"], (*path, "format"))


def _bytes_source(obj: Obj, path: Path) -> str | None:
    """The base64 data of a ``{"bytes": ...}`` source; None for other sources."""
    source = expect_obj(obj.get("source"), (*path, "source"))
    if set(source) != {"bytes"}:
        return None
    return expect_str(source["bytes"], (*path, "source", "bytes"))


def _image(image: Obj, path: Path) -> Obj | None:
    fmt = _format(image, path)
    data = _bytes_source(image, path)
    if data is None or fmt not in IMAGE_FORMATS or set(image) - {"format", "source"}:
        return None
    return {
        "type": "image",
        "source": {"kind": "base64", "media_type": IMAGE_FORMATS[fmt], "data": data},
    }


def _audio(audio: Obj, path: Path) -> Obj | None:
    fmt = _format(audio, path)
    data = _bytes_source(audio, path)
    if data is None or fmt not in AUDIO_FORMATS or set(audio) - {"format", "source"}:
        return None
    source = {"kind": "base64", "media_type": f"audio/{fmt}", "data": data}
    return {"type": "audio", "source": source, "format": fmt}


def _document(document: Obj, path: Path) -> Obj | None:
    fmt = _format(document, path)
    if fmt is not None and fmt not in DOCUMENT_FORMATS:
        return None
    if "name" not in document:
        raise fail(path, "a document needs a name")
    name = expect_str(document["name"], (*path, "name"))
    source = expect_obj(document.get("source"), (*path, "source"))
    media_type = DOCUMENT_FORMATS[fmt] if fmt is not None else None
    if set(source) == {"bytes"}:
        data = expect_str(source["bytes"], (*path, "source", "bytes"))
        src: Obj = {"kind": "base64", "data": data}
        if media_type is not None:
            src["media_type"] = media_type
    elif set(source) == {"text"}:
        text = expect_str(source["text"], (*path, "source", "text"))
        src = {"kind": "text", "media_type": media_type or "text/plain", "text": text}
    else:
        return None
    part: Obj = {"type": "document", "source": src, "filename": name}
    if "context" in document:
        part["context"] = expect_str(document["context"], (*path, "context"))
    if fmt is None:
        merge_ns(NAME, part, "form", {"format": "absent"})
    rest = {k: v for k, v in document.items() if k not in ("format", "name", "source", "context")}
    if rest:  # e.g. citations: kept with the part, written back inside the document
        merge_ns(NAME, part, "extra", {"document": rest})
    return part


def _tool_use(use: Obj, path: Path) -> Obj:
    for key in ("toolUseId", "name", "input"):
        if key not in use:
            raise fail(path, f"a toolUse needs {key}")
    part: Obj = {
        "type": "tool_call",
        "id": expect_str(use["toolUseId"], (*path, "toolUseId")),
        "name": expect_str(use["name"], (*path, "name")),
        "arguments": use["input"],
    }
    rest = {k: v for k, v in use.items() if k not in ("toolUseId", "name", "input")}
    if rest:
        merge_ns(NAME, part, "extra", {"toolUse": rest})
    return part


def _tool_result(raw: Any, path: Path) -> Obj:
    result = expect_obj(raw, path)
    if "toolUseId" not in result:
        raise fail(path, "a toolResult needs toolUseId")
    if "content" not in result:
        raise fail(path, "a toolResult needs content")
    items = expect_list(result["content"], (*path, "content"))
    part: Obj = {
        "type": "tool_result",
        "call_id": expect_str(result["toolUseId"], (*path, "toolUseId")),
    }
    content: list[Obj] = []
    whole = True
    for k, raw_item in enumerate(items):
        item = _result_item(expect_obj(raw_item, (*path, "content", k)), (*path, "content", k))
        if item is None:
            whole = False
        else:
            content.append(item)
    part["content"] = content
    if "status" in result:
        status = expect_str(result["status"], (*path, "status"))
        if status not in ("success", "error"):
            raise fail((*path, "status"), f"status is 'success' or 'error', not {status!r}")
        part["is_error"] = status == "error"
    rest = {k: v for k, v in result.items() if k not in ("toolUseId", "content", "status")}
    if not whole:  # an item AIF cannot hold: the wire content is written back as it was
        rest["content"] = items
    if rest:
        merge_ns(NAME, part, "extra", {"toolResult": rest})
    return part


def _result_item(item: Obj, path: Path) -> Obj | None:
    if set(item) == {"text"}:
        return {"type": "text", "text": expect_str(item["text"], (*path, "text"))}
    if set(item) == {"json"}:
        part: Obj = {"type": "text", "text": canonical_json(item["json"])}
        merge_ns(NAME, part, "form", {"json": True})
        return part
    if set(item) == {"image"}:
        return _image(expect_obj(item["image"], (*path, "image")), (*path, "image"))
    if set(item) == {"document"}:
        doc = _document(expect_obj(item["document"], (*path, "document")), (*path, "document"))
        extended = doc is not None and "extra" in doc.get("extensions", {}).get(NAME, {})
        return None if extended else doc
    return None


def _reasoning(raw: Any, path: Path) -> Obj | None:
    content = expect_obj(raw, path)
    if set(content) == {"redactedContent"}:
        data = expect_str(content["redactedContent"], (*path, "redactedContent"))
        return {"type": "reasoning", "redacted": data, "valid_for": {"provider": NAME}}
    if set(content) != {"reasoningText"}:
        return None
    rt = expect_obj(content["reasoningText"], (*path, "reasoningText"))
    if set(rt) - {"text", "signature"} or "text" not in rt:
        return None
    text = expect_str(rt["text"], (*path, "reasoningText", "text"))
    part: Obj = {"type": "reasoning", "text": text}
    if "signature" in rt:
        part["signature"] = expect_str(rt["signature"], (*path, "reasoningText", "signature"))
    part["valid_for"] = {"provider": NAME}
    return part


# -- settings and tools ---------------------------------------------------------------


def _inference(config: Obj, settings: Obj, sm: SourceMap) -> None:
    read, ints = read_settings(config, INFERENCE, sm, ("inferenceConfig",))
    settings.update(read)
    rest = {k: v for k, v in config.items() if k not in _INFERENCE_KEYS}
    if rest:
        merge_ns(NAME, settings, "extra", {"inferenceConfig": rest})
    if not config:
        merge_ns(NAME, settings, "form", {"inferenceConfig": "empty"})
    if ints:
        merge_ns(NAME, settings, "form", {"int": ints})


def _tool_config(config: Obj, settings: Obj, sm: SourceMap) -> list[Obj]:
    tools: list[Obj] = []
    raw_tools = expect_list(config.get("tools", []), ("toolConfig", "tools"))
    for k, raw in enumerate(raw_tools):
        path: Path = ("toolConfig", "tools", k)
        item = expect_obj(raw, path)
        if set(item) == {"cachePoint"}:
            if not _attach_cache(tools[-1] if tools else None, item, path):
                raise fail(path, "a cachePoint must follow the tool it caches")
            sm.add(("tools", len(tools) - 1, "cache"), path)
            continue
        sm.add(("tools", len(tools)), path)
        sm.add(("tools", len(tools), "extensions", NAME, "extra", "tool"), path)
        sm.add(("tools", len(tools), "extensions", NAME, "extra", "definition"), path)
        tools.append(_tool(item, path))
    if "toolChoice" in config:
        choice = expect_obj(config["toolChoice"], ("toolConfig", "toolChoice"))
        mapped = _choice(choice)
        if mapped is None:
            merge_ns(NAME, settings, "extra", {"toolChoice": choice})
        else:
            settings["tool_choice"] = mapped
            sm.add(("settings", "tool_choice"), ("toolConfig", "toolChoice"))
    rest = {k: v for k, v in config.items() if k not in ("tools", "toolChoice")}
    if rest:
        merge_ns(NAME, settings, "extra", {"toolConfig": rest})
    return tools


def _tool(item: Obj, path: Path) -> Obj:
    if "toolSpec" not in item:
        kind = next(iter(item), "unknown")
        inner = item.get(kind)
        name = cast("Obj", inner).get("name") if isinstance(inner, dict) else None
        tool: Obj = {"kind": kind, "name": name if isinstance(name, str) else kind}
        merge_ns(NAME, tool, "extra", {"definition": item})
        return tool
    spath: Path = (*path, "toolSpec")
    spec = expect_obj(item["toolSpec"], spath)
    if "name" not in spec:
        raise fail(spath, "a toolSpec needs a name")
    tool = {"name": expect_str(spec["name"], (*spath, "name"))}
    if "description" in spec:
        tool["description"] = expect_str(spec["description"], (*spath, "description"))
    schema = expect_obj(spec.get("inputSchema"), (*spath, "inputSchema"))
    if set(schema) == {"json"}:
        tool["parameters"] = expect_obj(schema["json"], (*spath, "inputSchema", "json"))
    if "strict" in spec:
        if not isinstance(spec["strict"], bool):
            raise fail((*spath, "strict"), "strict must be a boolean")
        tool["strict"] = spec["strict"]
    rest = {
        k: v for k, v in spec.items() if k not in ("name", "description", "inputSchema", "strict")
    }
    if set(schema) != {"json"}:
        rest["inputSchema"] = schema
    outer = {k: v for k, v in item.items() if k != "toolSpec"}
    extra: Obj = {}
    if rest:
        extra["toolSpec"] = rest
    if outer:
        extra["tool"] = outer
    if extra:
        merge_ns(NAME, tool, "extra", extra)
    return tool


def _choice(choice: Obj) -> Obj | None:
    if len(choice) != 1:
        return None
    key, value = next(iter(choice.items()))
    if key in _CHOICES and value == {}:
        return {"mode": _CHOICES[key]}
    if key == "tool" and isinstance(value, dict):
        tool = cast("Obj", value)
        if set(tool) == {"name"} and isinstance(tool["name"], str):
            return {"mode": "tool", "name": tool["name"]}
    return None
