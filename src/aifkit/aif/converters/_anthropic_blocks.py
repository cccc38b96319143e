"""Writing AIF parts as Anthropic content blocks, and the rules the encoder logs.

`BlockWriter` turns one part into one wire block (or none, or text) and logs every
change at the part's AIF path, so a loss entry always covers the content it
changed. `RULES` lists every rule the encoder applies, with its action, severity
and message; `_anthropic_encode` builds the conversation on top of it.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any, Final, cast

from aifkit._json import canonical_json
from aifkit.aif._loss import Action, Path, Severity
from aifkit.aif._schema import (
    Base64Source,
    CacheHint,
    Document,
    DocumentPart,
    Extensions,
    FileSource,
    ImagePart,
    Part,
    ProviderPart,
    ReasoningPart,
    RefusalPart,
    ResultPart,
    Source,
    TextPart,
    TextSource,
    ToolCallPart,
    ToolResultPart,
    UrlSource,
)
from aifkit.aif.converters._anthropic_decode import IMAGE_MEDIA_TYPES, NAME, TOOL_ID
from aifkit.aif.converters._base import EncodeOptions
from aifkit.aif.converters._common import (
    IdMapper,
    parse_data_url,
    reasoning_replayable,
    report_foreign_extensions,
)
from aifkit.aif.converters._wire import RuleLog, call_ids, hint_keys, part_type, quiet_for

__all__ = ["CACHE_TTLS", "EMPTY", "REPEAT", "RULES", "BlockWriter", "Seg", "image_block", "quiet"]

RULES: Final[dict[str, tuple[Action, Severity, str]]] = {
    # rule (after "anthropic/"): action, severity, message ({} filled in by the caller)
    "alternating-roles": ("transformed", "info", "merged into the previous {} turn"),
    "cache-ttl": ("transformed", "info", "cache ttl {!r} is not 5m or 1h; sent the default (5m)"),
    "data-url": ("transformed", "info", "a data: URL sent as base64 data"),
    "developer-instructions": ("transformed", "info", "developer text sent as system text"),
    "document-filename": ("dropped", "info", "Anthropic documents have no filename"),
    "document-media-type": ("dropped", "error", "{}"),
    "empty-message": ("dropped", "info", "the message has no content Anthropic can take"),
    "empty-text": ("dropped", "info", "Anthropic rejects empty text blocks"),
    "file-id": ("dropped", "error", "a {} file id means nothing to Anthropic"),
    "image-detail": ("dropped", "info", "Anthropic images have no detail setting"),
    "image-media-type": ("dropped", "error", "the image {}"),
    "image-source": ("dropped", "error", "an image cannot be given as text"),
    "max-tokens-required": ("synthesized", "info", "max_tokens is required; wrote the default {}"),
    "no-audio": ("dropped", "error", "Anthropic takes no audio input"),
    "no-field": ("dropped", "warning", "{} has no equivalent in Anthropic"),
    "orphan-tool-result": ("transformed", "warning", "{}; sent as text"),
    "provider-part": ("dropped", "warning", "a {} block has no Anthropic equivalent"),
    "reasoning-replay": ("dropped", "warning", "{}"),
    "refusal": ("transformed", "info", "refusal sent as text"),
    "system-content": ("dropped", "error", "system text cannot hold a {} part"),
    "system-position": ("transformed", "warning", "{} message moved to the top-level system{}"),
    "temperature-range": ("transformed", "warning", "temperature {} is above Anthropic's maximum of 1; sent 1"),
    "tool-call-role": ("transformed", "warning", "only the assistant calls tools; sent as text"),
    "tool-choice": ("dropped", "warning", "{}"),
    "tool-id-charset": ("transformed", "info", "tool id {!r} has characters outside [a-zA-Z0-9_-]; sent {!r}"),
    "tool-id-unique": ("transformed", "info", "tool id {!r} repeats an earlier call's id; sent {!r}"),
    "tool-input-object": ("dropped", "error", "tool input must be an object; {}, sent {{}}"),
    "tool-input-schema": ("synthesized", "info", "input_schema is required; wrote an empty object schema"),
    "tool-kind": ("dropped", "warning", "Anthropic has no {!r} tool"),
    "tool-result-missing": ("synthesized", "warning", "the call had no result; wrote an error result"),
    "tool-result-placement": ("transformed", "warning", "tool result moved {}"),
}  # fmt: skip

EMPTY: Final[Mapping[str, Any]] = {}
CACHE_TTLS: Final = frozenset({"5m", "1h"})
_ID_CHARS: Final = re.compile(r"[^a-zA-Z0-9_-]")
_MAX_ID: Final = 1 << 16  # Anthropic documents no length limit for tool ids
REPEAT: Final = "\x00"  # joins a repeated call id and its count (never a valid id)

# (call id, block, path, first in its message, position among the blocks, part)
_Result = tuple[str, dict[str, Any], Path, bool, int, ToolResultPart]


class Seg:
    """The wire content one AIF message produced, before turns are formed."""

    __slots__ = ("blocks", "calls", "extra", "form", "index", "lead", "results", "role")

    def __init__(self, index: int, role: str) -> None:
        self.index = index
        self.role = role
        self.blocks: list[dict[str, Any]] = []
        self.lead: list[dict[str, Any]] = []  # tool results placed first
        self.calls: list[tuple[str, Path]] = []  # (occurrence key, path); see tool_call
        self.results: list[_Result] = []
        self.form: Mapping[str, Any] = EMPTY
        self.extra: Mapping[str, Any] = EMPTY


class BlockWriter(RuleLog):
    """Writes parts as blocks into a `Seg`, logging what the API cannot take as it is."""

    def __init__(self, document: Document, options: EncodeOptions) -> None:
        self.doc = document
        self.options = options
        self.model = document.settings.model
        super().__init__(NAME, RULES)
        self.mapper: IdMapper | None = None
        self.paired = False  # the document has tool calls or results
        self.call_ids: dict[str, int] = {}  # times each call id was seen

    def ext(
        self, extensions: Extensions, path: Path
    ) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        """Return this format's (form, extra) of an element; report other formats' extra."""
        ext = extensions
        if not ext or quiet(ext):
            return EMPTY, EMPTY
        own = ext.get(NAME)
        if len(ext) > (own is not None):
            report_foreign_extensions(ext, NAME, path, self.losses)
        if own is None:
            return EMPTY, EMPTY
        form = own.get("form")
        extra = own.get("extra")
        return (
            cast("Mapping[str, Any]", form) if isinstance(form, dict) else EMPTY,
            cast("Mapping[str, Any]", extra) if isinstance(extra, dict) else EMPTY,
        )

    def tool_id(self, key: str, path: Path | None) -> str:
        """The wire id of a call (``key``: its id, or the id and a count when it repeats)."""
        if self.mapper is None:
            if TOOL_ID.match(key):
                return key
            self.mapper = IdMapper(
                lambda s: TOOL_ID.match(s) is not None, lambda s: _ID_CHARS.sub("_", s), _MAX_ID
            )
            self.mapper.reserve(call_ids(self.doc))
        new = self.mapper.map(key)
        if new != key and path is not None:
            original, repeat, _ = key.partition(REPEAT)
            self.log(path, "tool-id-unique" if repeat else "tool-id-charset", original, new)
        return new

    def decorate(
        self,
        block: dict[str, Any],
        cache: CacheHint | None,
        form: Mapping[str, Any],
        extra: Mapping[str, Any],
        path: Path,
    ) -> None:
        """Add ``cache_control``, the keys given as null and this format's extra keys."""
        if cache is not None:
            raw = form.get("cache_control")
            if isinstance(raw, dict):
                block["cache_control"] = raw
            elif cache.ttl is None:
                block["cache_control"] = {"type": "ephemeral"}
            elif cache.ttl in CACHE_TTLS:
                block["cache_control"] = {"type": "ephemeral", "ttl": cache.ttl}
            else:
                self.log((*path, "cache"), "cache-ttl", cache.ttl)
                block["cache_control"] = {"type": "ephemeral"}
        for key in hint_keys(form, "null"):
            block.setdefault(key, None)
        for key, value in extra.items():
            block.setdefault(key, value)

    # -- parts -----------------------------------------------------------------------

    def part(self, part: Part, seg: Seg, path: Path) -> None:
        kind = part_type(part)
        if kind is TextPart:
            block = self.text(cast("TextPart", part), path)
            if block is not None:
                seg.blocks.append(block)
        elif kind is ToolCallPart:
            self.tool_call(cast("ToolCallPart", part), seg, path)
        elif kind is ToolResultPart:
            self.tool_result(cast("ToolResultPart", part), seg, path)
        elif kind is ImagePart or kind is DocumentPart:
            block = self.media(cast("ImagePart | DocumentPart", part), path)
            if block is not None:
                seg.blocks.append(block)
        elif kind is ReasoningPart:
            self.reasoning(cast("ReasoningPart", part), seg, path)
        elif kind is RefusalPart:
            refusal = cast("RefusalPart", part)
            self.log(path, "refusal")
            self.ext(part.extensions, path)
            block = self.text(TextPart(text=refusal.text, cache=part.cache), path)
            if block is not None:
                seg.blocks.append(block)
        elif kind is ProviderPart:
            provider = cast("ProviderPart", part)
            if provider.format == NAME:
                seg.blocks.append(dict(provider.data))
            else:
                self.log(path, "provider-part", provider.format)
        else:
            self.log(path, "no-audio")

    def text(self, part: TextPart, path: Path) -> dict[str, Any] | None:
        text = part.text
        if not text or text.isspace():
            self.log(path, "empty-text")
            return None
        block = {"type": "text", "text": text}
        if part.cache is not None or part.extensions:
            self.decorate(block, part.cache, *self.ext(part.extensions, path), path)
        return block

    def tool_call(self, part: ToolCallPart, seg: Seg, path: Path) -> None:
        if seg.role != "assistant":
            self.log(path, "tool-call-role")
            raw = part.raw_arguments
            args = raw if raw is not None else canonical_json(part.arguments)
            seg.blocks.append(
                {"type": "text", "text": f"Tool call {part.name} ({part.id}): {args}"}
            )
            return
        args = part.arguments
        if not isinstance(args, dict):
            args = self.bad_arguments(part, path)
        key = part.id
        seen = self.call_ids.get(key, 0)
        self.call_ids[key] = seen + 1
        if seen:  # ids are unique in a request: a repeated one gets an id of its own
            key = f"{key}{REPEAT}{seen}"
        block: dict[str, Any] = {
            "type": "tool_use",
            "id": self.tool_id(key, (*path, "id")),
            "name": part.name,
            "input": args,
        }
        if part.cache is not None or part.extensions:
            self.decorate(block, part.cache, *self.ext(part.extensions, path), path)
        seg.blocks.append(block)
        seg.calls.append((key, path))
        self.paired = True

    def bad_arguments(self, part: ToolCallPart, path: Path) -> dict[str, Any]:
        raw = part.raw_arguments
        if raw is not None:
            lost, detail = raw.strip() != "", "the arguments were not valid JSON"
        else:
            lost, detail = part.arguments is not None, "the arguments were not a JSON object"
        self.log(path, "tool-input-object", detail, severity="error" if lost else "info")
        return {}

    def tool_result(self, part: ToolResultPart, seg: Seg, path: Path) -> None:
        form, extra = self.ext(part.extensions, path)
        block: dict[str, Any] = {"type": "tool_result", "tool_use_id": part.call_id}
        content = part.content
        if "content" in extra:  # held a block AIF cannot: the wire content as it was
            block["content"] = extra["content"]
        elif len(content) == 1 and isinstance(content[0], TextPart) and not form.get("content"):
            # A lone text may be a string, even a blank one (a string is not a text block).
            item = content[0]
            cpath: Path = (*path, "content", 0)
            text = {"type": "text", "text": item.text}
            if item.cache is not None or item.extensions:
                self.decorate(text, item.cache, *self.ext(item.extensions, cpath), cpath)
            if len(text) == 2:
                block["content"] = item.text
            elif item.text and not item.text.isspace():
                block["content"] = [text]
            else:
                self.log(cpath, "empty-text")
        else:
            items: list[dict[str, Any]] = []
            for k, item in enumerate(content):
                out = self.media(item, (*path, "content", k))
                if out is not None:
                    items.append(out)
            if items or form.get("content") == "blocks":
                block["content"] = items
        if part.is_error is not None:
            block["is_error"] = part.is_error
        self.decorate(block, part.cache, form, extra, path)
        seg.results.append((part.call_id, block, path, not seg.blocks, len(seg.blocks), part))
        self.paired = True

    def media(self, part: ResultPart, path: Path) -> dict[str, Any] | None:
        """Write a text, image or document part (in a message or a tool result)."""
        if isinstance(part, TextPart):
            return self.text(part, path)
        form, extra = self.ext(part.extensions, path)
        if isinstance(part, ImagePart):
            source = self.image_source(part.source, path)
            if source is None:
                return None
            if part.detail is not None:
                self.log((*path, "detail"), "image-detail")
            block: dict[str, Any] = {"type": "image", "source": source}
        else:
            source = self.document_source(part.source, path)
            if source is None:
                return None
            block = {"type": "document", "source": source}
            title = part.title
            if part.filename is not None and title is None:
                title = part.filename
                self.log((*path, "filename"), "document-filename", action="transformed")
            elif part.filename is not None:
                self.log((*path, "filename"), "document-filename")
            if title is not None:
                block["title"] = title
            if part.context is not None:
                block["context"] = part.context
        nested = extra.get("source")
        if isinstance(nested, dict):
            for key, value in cast("dict[str, Any]", nested).items():
                source.setdefault(key, value)
        self.decorate(block, part.cache, form, extra, path)
        return block

    def inline(self, src: Source, path: Path) -> Source:
        """Turn a ``data:`` URL into base64 data (Anthropic fetches only http(s) URLs)."""
        if isinstance(src, UrlSource):
            parsed = parse_data_url(src.url)
            if parsed is not None:
                self.log(path, "data-url")
                return Base64Source(media_type=parsed[0] or None, data=parsed[1])
        return src

    def image_source(self, src: Source, path: Path) -> dict[str, Any] | None:
        src = self.inline(src, path)
        if isinstance(src, UrlSource):
            return {"type": "url", "url": src.url}
        if isinstance(src, Base64Source):
            if src.media_type in IMAGE_MEDIA_TYPES:
                return {"type": "base64", "media_type": src.media_type, "data": src.data}
            mt = src.media_type
            problem = f"is {mt}, which Anthropic does not take" if mt else "has no media type"
            self.log(path, "image-media-type", problem)
            return None
        if isinstance(src, FileSource):
            return self.file_source(src, path)
        self.log(path, "image-source")
        return None

    def document_source(self, src: Source, path: Path) -> dict[str, Any] | None:
        src = self.inline(src, path)
        if isinstance(src, UrlSource):
            return {"type": "url", "url": src.url}
        if isinstance(src, TextSource):
            if src.media_type != "text/plain":
                msg = f"{src.media_type} text sent as text/plain"
                self.log(path, "document-media-type", msg, action="transformed", severity="info")
            return {"type": "text", "media_type": "text/plain", "data": src.text}
        if isinstance(src, FileSource):
            return self.file_source(src, path)
        media_type = src.media_type or ""
        if media_type == "application/pdf":
            return {"type": "base64", "media_type": media_type, "data": src.data}
        if media_type.startswith("text/"):
            try:
                text = base64.b64decode(src.data, validate=True).decode()
            except (binascii.Error, ValueError):
                pass
            else:
                msg = f"base64 {media_type} sent as a plain-text document"
                self.log(path, "document-media-type", msg, action="transformed", severity="info")
                return {"type": "text", "media_type": "text/plain", "data": text}
        msg = f"Anthropic documents are PDF or plain text, not {media_type or 'untyped data'}"
        self.log(path, "document-media-type", msg)
        return None

    def file_source(self, src: FileSource, path: Path) -> dict[str, Any] | None:
        if src.provider is None or src.provider == NAME:
            return {"type": "file", "file_id": src.file_id}
        self.log(path, "file-id", src.provider)
        return None

    def reasoning(self, part: ReasoningPart, seg: Seg, path: Path) -> None:
        signed = part.signature is not None or part.redacted is not None
        if signed and seg.role == "assistant" and reasoning_replayable(part, NAME, self.model):
            if part.redacted is not None:
                block: dict[str, Any] = {"type": "redacted_thinking", "data": part.redacted}
            else:
                text = part.text or ""
                block = {"type": "thinking", "thinking": text, "signature": part.signature}
            if part.cache is not None or part.extensions:
                self.decorate(block, part.cache, *self.ext(part.extensions, path), path)
            seg.blocks.append(block)
            return
        self.ext(part.extensions, path)
        scope = part.valid_for
        if seg.role != "assistant":
            why = "thinking can only be replayed in an assistant turn"
        elif not signed:
            why = "Anthropic replays only signed thinking"
        elif scope is None:
            why = "the signature's provider is unknown"
        else:
            why = f"the signature is only valid for {scope.provider} {scope.model or ''}".rstrip()
        text = part.text
        if self.options.reasoning == "text" and text and not text.isspace():
            self.log(path, "reasoning-replay", f"{why}; sent as text", action="transformed")
            seg.blocks.append({"type": "text", "text": f"<reasoning>{text}</reasoning>"})
        else:
            self.log(path, "reasoning-replay", why)


def image_block(part: ImagePart) -> dict[str, Any] | None:
    """The block `BlockWriter.media` writes for a plain image, or None.

    A plain image has no detail and is base64 data of a type Anthropic takes or a
    URL other than ``data:``; the caller checks that it has no cache hint and
    `quiet` extensions.
    """
    if part.detail is not None:
        return None
    src = part.source
    if type(src) is Base64Source:
        if src.media_type not in IMAGE_MEDIA_TYPES:
            return None
        source = {"type": "base64", "media_type": src.media_type, "data": src.data}
    elif type(src) is UrlSource and not src.url.startswith("data:"):
        source = {"type": "url", "url": src.url}
    else:
        return None
    return {"type": "image", "source": source}


def quiet(ext: Extensions) -> bool:
    """True when ``ext`` holds only other formats' ``form`` hints: nothing to write or report.

    Such extensions (e.g. openai-chat's exact arguments text on every tool call)
    can be skipped without `BlockWriter.ext`; see `report_foreign_extensions`.
    """
    return quiet_for(ext, NAME)
