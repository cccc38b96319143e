"""Writing AIF parts as Bedrock Converse content blocks, and the rules the encoder logs.

`BlockWriter` turns one part into one `Unit` (its block and, for a cache hint, the
``cachePoint`` after it) and logs every change at the part's AIF path. `RULES`
lists every rule the encoder applies, with its action, severity and message.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, cast

from aifkit._json import canonical_json
from aifkit._limits import loads
from aifkit.aif._loss import Action, LossLog, Path, Severity
from aifkit.aif._schema import (
    AudioPart,
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
from aifkit.aif.converters._base import EncodeOptions
from aifkit.aif.converters._bedrock_decode import (
    AUDIO_FORMATS,
    DOCUMENT_FORMATS,
    DOCUMENT_NAME,
    IMAGE_FORMATS,
    NAME,
    TOOL_ID,
    Obj,
)
from aifkit.aif.converters._common import (
    IdMapper,
    model_family,
    own_extra,
    parse_data_url,
)
from aifkit.aif.converters._wire import MEDIA_TYPES, NO_HINTS, RuleLog, call_ids, part_type

__all__ = ["IMAGE_MEDIA", "MISSING_RESULT", "RULES", "BlockWriter", "Unit", "text_of"]

RULES: Final[dict[str, tuple[Action, Severity, str]]] = {
    # rule (after "bedrock-converse/"): action, severity, message ({} filled in by the caller)
    "alternating-roles": ("transformed", "info", "merged into the previous {} turn"),
    "audio-format": ("dropped", "error", "Bedrock audio is base64 in a known format ({})"),
    "cache": ("dropped", "info", "Bedrock has no cache point inside a tool result"),
    "cache-ttl": ("transformed", "info", "cache ttl {!r} is not 5m or 1h; sent the default"),
    "data-url": ("transformed", "info", "data: URL sent as bytes"),
    "developer-instructions": ("transformed", "info", "developer instructions sent as system"),
    "document-format": ("dropped", "error", "{}"),
    "document-name": ("transformed", "info", "{}"),
    "document-source": ("dropped", "error", "Bedrock documents are bytes, text or S3, not {}"),
    "document-title": ("dropped", "info", "the document's name is its filename; title dropped"),
    "empty-message": ("dropped", "info", "nothing in this message could be sent"),
    "empty-text": ("dropped", "info", "Bedrock rejects blank text"),
    "file-source": ("dropped", "error", "a {} file id is not valid on Bedrock"),
    "first-turn-user": ("synthesized", "info", "Bedrock conversations start with a user turn"),
    "image-detail": ("dropped", "info", "Bedrock has no image detail setting"),
    "image-format": ("dropped", "error", "Bedrock images are png, jpeg, gif or webp, not {}"),
    "image-source": ("dropped", "error", "Bedrock images are bytes or S3 objects"),
    "image-url": ("dropped", "error", "Bedrock does not fetch image URLs (only s3://)"),
    "max-tokens-range": ("dropped", "warning", "maxTokens must be at least 1"),
    "message-name": ("dropped", "warning", "Bedrock messages have no participant name"),
    "no-audio": ("dropped", "error", "Bedrock audio is base64 data"),
    "orphan-tool-result": ("transformed", "warning", "no toolUse awaits this result; sent as text"),
    "parallel-tool-calls": ("dropped", "info", "Bedrock has no parallel_tool_calls setting"),
    "provider-part": ("dropped", "error", "a {} block has no equivalent in Bedrock"),
    "reasoning-replay": ("dropped", "info", "{}"),
    "refusal": ("transformed", "info", "refusal sent as assistant text"),
    "seed": ("dropped", "warning", "Bedrock Converse has no seed"),
    "stop-empty": ("dropped", "info", "empty stop sequences dropped"),
    "stream": ("dropped", "info", "streaming is the ConverseStream operation, not a field"),
    "system-content": ("dropped", "error", "system content must be text"),
    "system-position": ("transformed", "warning", "system text moved into the system field"),
    "temperature-range": ("transformed", "warning", "temperature {} clamped into 0..1"),
    "tool-call-role": ("transformed", "warning", "only the assistant calls tools; sent as text"),
    "tool-choice": ("dropped", "warning", "{}"),
    "tool-config-required": ("synthesized", "info", "tools declared for the tool blocks"),
    "tool-id": ("transformed", "info", "tool id rewritten to 1-64 of [a-zA-Z0-9_-]"),
    "tool-input-object": ("transformed", "info", "{}"),
    "tool-input-schema": ("synthesized", "info", "an empty object schema was sent"),
    "tool-kind": ("dropped", "error", "{} tools have no equivalent in Bedrock"),
    "tool-name": ("transformed", "info", "tool name rewritten to 1-64 of [a-zA-Z0-9_-]"),
    "tool-result-missing": ("synthesized", "warning", "an error result was sent for the call"),
    "tool-result-placement": ("transformed", "info", "moved first in the turn after its call"),
    "top-k": ("dropped", "warning", "top_k: {}"),
    "reasoning-setting": ("dropped", "warning", "reasoning: {}"),
    "top-p-range": ("transformed", "warning", "top_p {} clamped into 0..1"),
    "no-field": ("dropped", "warning", "no equivalent field"),
}
CACHE_TTLS: Final = frozenset({"5m", "1h"})
_MEDIA_FORMATS: Final = {mt: fmt for fmt, mt in DOCUMENT_FORMATS.items()}
_NOT_NAME: Final = re.compile(r"[^A-Za-z0-9\s()\[\]-]+")
_SPACES: Final = re.compile(r"\s+")


@dataclass(slots=True)
class Unit:
    """One part as written: its blocks (the block, then maybe a cachePoint)."""

    blocks: list[Obj]
    kind: str = "other"
    call_id: str | None = None
    path: Path | None = None
    origin: Any = field(default=None, repr=False)


def text_of(part: Part) -> TextPart | None:
    """The part if it is text (what a system block can hold)."""
    return part if isinstance(part, TextPart) else None


def _unfilled(message: str) -> str:
    return message.replace(" ({})", "").replace("{}", "")


class BlockWriter(RuleLog):
    """Writes parts as blocks for one document, logging every change."""

    def __init__(self, options: EncodeOptions, losses: LossLog, document: Document) -> None:
        super().__init__(NAME, RULES, losses, _unfilled)
        self.options = options
        self.model = document.settings.model
        self.doc = document
        self.ids: IdMapper | None = None  # made for the first id Bedrock does not take
        self.names = IdMapper(_accepts_id, _sanitize, 64)
        self.names.reserve({t.name for t in document.tools})
        self.documents = 0

    # -- logging and extensions ---------------------------------------------------

    # -- parts --------------------------------------------------------------------

    def system_text(self, part: TextPart, path: Path) -> list[Obj]:
        """A system text block (and its cachePoint), or nothing for blank text."""
        extra = self.ext(part.extensions, path)[1]
        if not part.text:
            self.log(path, "empty-text")
            return []
        block: Obj = {"text": part.text}
        return self.finish(block, part.cache, extra, path, top=True)

    def part(self, part: Part, role: str, path: Path) -> Unit | None:
        """Write one message part; None when nothing of it can be sent."""
        kind = part_type(part)
        if kind is TextPart and not part.extensions and part.cache is None:
            text = cast("TextPart", part).text  # plain text, the common case: inline
            if text and not text.isspace():
                return Unit([{"text": text}])
        form, extra = self.ext(part.extensions, path) if part.extensions else NO_HINTS
        if kind is TextPart:
            block = self.text(cast("TextPart", part), path)
            if block is None:
                return None
            return Unit(self.finish(block, part.cache, extra, path, top=True))
        if kind is ToolCallPart:
            return self.tool_call(cast("ToolCallPart", part), role, extra, path)
        if kind is ToolResultPart:
            return self.tool_result(cast("ToolResultPart", part), role, form, extra, path)
        media = kind in MEDIA_TYPES
        block: Obj | None
        if media:
            block = self.media(
                cast("ImagePart | DocumentPart | AudioPart", part), form, extra, path
            )
        elif kind is ReasoningPart:
            block = self.reasoning(cast("ReasoningPart", part), role, path)
        elif kind is RefusalPart:
            self.log(path, "refusal")
            # Written as text, so the text rule holds: Bedrock rejects a blank block.
            block = self.text(TextPart(text=cast("RefusalPart", part).text), path)
        else:
            provider = cast("ProviderPart", part)
            if provider.format == NAME:
                block = dict(provider.data)
            else:
                self.log(path, "provider-part", provider.format)
                block = None
        if block is None:
            return None
        return Unit(self.finish(block, part.cache, extra, path, top=not media), "other")

    def finish(
        self,
        block: Obj,
        cache: CacheHint | None,
        extra: Mapping[str, Any],
        path: Path,
        *,
        top: bool,
    ) -> list[Obj]:
        """Add this format's extra keys to ``block`` and write a cache hint after it."""
        if top and extra:
            for key, value in extra.items():
                if key != "cachePoint":
                    block.setdefault(key, value)
        out = [block]
        if cache is not None:
            out.append(self.cache_point(cache, None, (*path, "cache"), extra))
        return out

    def cache_point(
        self,
        cache: CacheHint,
        extensions: Extensions | None,
        path: Path,
        extra: Mapping[str, Any] | None = None,
    ) -> Obj:
        """The ``cachePoint`` block of a cache hint."""
        if extra is None:
            extra = own_extra(extensions or {}, NAME)
        point: Obj = {"type": "default"}
        if cache.ttl is not None:
            if cache.ttl in CACHE_TTLS:
                point["ttl"] = cache.ttl
            else:
                self.log((*path, "ttl"), "cache-ttl", cache.ttl)
        block: Obj = {"cachePoint": point}
        more = extra.get("cachePoint")
        if isinstance(more, dict):
            for key, value in cast("Obj", more).items():
                if key == "cachePoint" and isinstance(value, dict):
                    point.update(cast("Obj", value))
                else:
                    block.setdefault(key, value)
        return block

    def text(self, part: TextPart, path: Path) -> Obj | None:
        if not part.text or part.text.isspace():
            self.log(path, "empty-text")
            return None
        return {"text": part.text}

    def media(
        self,
        part: ImagePart | DocumentPart | AudioPart,
        form: Mapping[str, Any],
        extra: Mapping[str, Any],
        path: Path,
    ) -> Obj | None:
        """An image, document or audio block (in a message or a tool result)."""
        if isinstance(part, ImagePart):
            inner = self.image(part, path)
            key = "image"
        elif isinstance(part, AudioPart):
            inner = self.audio(part, path)
            key = "audio"
        else:
            inner = self.document(part, form, path)
            key = "document"
        if inner is None:
            return None
        nested = extra.get(key)
        if isinstance(nested, dict):
            for k, v in cast("Obj", nested).items():
                inner.setdefault(k, v)
        block: Obj = {key: inner}
        for k, v in extra.items():
            if k not in (key, "cachePoint"):
                block.setdefault(k, v)
        return block

    def inline(self, src: Source, path: Path) -> Source:
        if src.__class__ is Base64Source:  # the most common: nothing to do
            return src
        if isinstance(src, UrlSource):
            parsed = parse_data_url(src.url)
            if parsed is not None:
                self.log(path, "data-url")
                return Base64Source(media_type=parsed[0] or None, data=parsed[1])
        return src

    def image(self, part: ImagePart, path: Path) -> Obj | None:
        src = self.inline(part.source, path)
        if part.detail is not None:
            self.log((*path, "detail"), "image-detail")
        if isinstance(src, Base64Source):
            fmt = IMAGE_MEDIA.get(src.media_type or "")
            if fmt is None:
                self.log(path, "image-format", src.media_type or "untyped data")
                return None
            return {"format": fmt, "source": {"bytes": src.data}}
        if isinstance(src, UrlSource):
            if src.url.startswith("s3://"):
                fmt = _extension(src.url, IMAGE_FORMATS)
                if fmt is not None:
                    return {"format": fmt, "source": {"s3Location": {"uri": src.url}}}
                self.log(path, "image-format", "an S3 object of unknown type")
                return None
            self.log(path, "image-url")
            return None
        if isinstance(src, FileSource):
            self.log(path, "file-source", src.provider or "provider")
            return None
        self.log(path, "image-source")  # a TextSource
        return None

    def audio(self, part: AudioPart, path: Path) -> Obj | None:
        src = self.inline(part.source, path)
        if not isinstance(src, Base64Source):
            self.log(path, "no-audio")
            return None
        fmt = part.format or (src.media_type or "").removeprefix("audio/")
        if fmt == "mpeg":
            fmt = "mp3"
        if fmt not in AUDIO_FORMATS:
            self.log(path, "audio-format", fmt or "untyped data")
            return None
        return {"format": fmt, "source": {"bytes": src.data}}

    def document(self, part: DocumentPart, form: Mapping[str, Any], path: Path) -> Obj | None:
        src = self.inline(part.source, path)
        source: Obj
        fmt: str | None
        if isinstance(src, TextSource):
            fmt = _MEDIA_FORMATS.get(src.media_type)
            if fmt is None or not src.media_type.startswith("text/"):
                msg = f"{src.media_type} text sent as txt"
                self.log(path, "document-format", msg, action="transformed", severity="info")
                fmt = "txt"
            source = {"text": src.text}
        elif isinstance(src, Base64Source):
            fmt = _MEDIA_FORMATS.get(src.media_type or "")
            if fmt is None and src.media_type is None and form.get("format") == "absent":
                pass
            elif fmt is None:
                fmt = self.text_document(src, path)
                if fmt is None:
                    return None
                source = {"text": base64.b64decode(src.data).decode()}
                return self.named(part, {"format": fmt, "source": source}, path)
            source = {"bytes": src.data}
        elif isinstance(src, UrlSource) and src.url.startswith("s3://"):
            fmt = _extension(src.url, DOCUMENT_FORMATS)
            if fmt is None:
                self.log(path, "document-format", "an S3 object of unknown type")
                return None
            source = {"s3Location": {"uri": src.url}}
        elif isinstance(src, FileSource):
            self.log(path, "file-source", src.provider or "provider")
            return None
        else:
            self.log(path, "document-source", "a URL")
            return None
        if form.get("format") == "absent" and fmt == "txt" and isinstance(src, TextSource):
            fmt = None
        out: Obj = {} if fmt is None else {"format": fmt}
        out["source"] = source
        return self.named(part, out, path)

    def text_document(self, src: Base64Source, path: Path) -> str | None:
        """A base64 text document of a type Bedrock lacks, sent as txt (or None)."""
        mt = src.media_type or ""
        if mt.startswith("text/"):
            try:
                base64.b64decode(src.data, validate=True).decode()
            except (binascii.Error, ValueError):
                pass
            else:
                msg = f"base64 {mt} sent as a txt document"
                self.log(path, "document-format", msg, action="transformed", severity="info")
                return "txt"
        formats = ", ".join(DOCUMENT_FORMATS)
        self.log(path, "document-format", f"Bedrock documents are {formats}, not {mt or 'untyped'}")
        return None

    def named(self, part: DocumentPart, block: Obj, path: Path) -> Obj:
        """Give a document block its name (required, with a restricted alphabet)."""
        given = part.filename if part.filename is not None else part.title
        if part.filename is not None and part.title is not None:
            self.log((*path, "title"), "document-title")
        if given is not None and DOCUMENT_NAME.match(given):
            name = given
        else:
            self.documents += 1
            name = _document_name(given) or f"Document {self.documents}"
            key = "filename" if part.filename is not None else "title"
            if given is None:
                msg = f"a document needs a name; sent {name!r}"
                self.log(path, "document-name", msg, action="synthesized")
            else:
                self.log((*path, key), "document-name", f"name {given!r} sent as {name!r}")
        block["name"] = name
        if part.context is not None:
            block["context"] = part.context
        return block

    def tool_call(
        self, part: ToolCallPart, role: str, extra: Mapping[str, Any], path: Path
    ) -> Unit | None:
        if role != "assistant":
            self.log(path, "tool-call-role")
            args = part.raw_arguments or canonical_json(part.arguments)
            block: Obj = {"text": f"[tool call {part.name}({args})]"}
            return Unit(self.finish(block, part.cache, extra, path, top=False))
        args = part.arguments
        if not isinstance(args, dict):
            raw = part.raw_arguments
            if raw is not None:
                lost, detail = raw.strip() != "", "the arguments were not valid JSON; sent {}"
            else:
                lost, detail = args is not None, "the arguments were not a JSON object; sent {}"
            sev: Severity = "error" if lost else "info"
            self.log((*path, "arguments"), "tool-input-object", detail, severity=sev)
            args = {}
        use: Obj = {
            "toolUseId": self.tool_id(part.id, (*path, "id")),
            "name": self.tool_name(part.name, (*path, "name")),
            "input": args,
        }
        nested = extra.get("toolUse")
        if isinstance(nested, dict):
            for k, v in cast("Obj", nested).items():
                use.setdefault(k, v)
        block = {"toolUse": use}
        blocks = self.finish(block, part.cache, extra, path, top=True)
        return Unit(blocks, "toolUse", part.id, path)

    def wire_id(self, call_id: str) -> str:
        """The id a call and its results are sent with (the call's when Bedrock takes it)."""
        if self.ids is None:
            if TOOL_ID.match(call_id):
                return call_id
            self.ids = IdMapper(_accepts_id, _sanitize, 64)
            self.ids.reserve(call_ids(self.doc))
        return self.ids.map(call_id)

    def tool_id(self, call_id: str, path: Path) -> str:
        new = self.wire_id(call_id)
        if new != call_id:
            self.log(path, "tool-id")
        return new

    def tool_name(self, name: str, path: Path) -> str:
        new = self.names.map(name)
        if new != name:
            self.log(path, "tool-name")
        return new

    def tool_result(
        self,
        part: ToolResultPart,
        role: str,
        form: Mapping[str, Any],
        extra: Mapping[str, Any],
        path: Path,
    ) -> Unit:
        del form
        nested = extra.get("toolResult")
        inner: Obj = {"toolUseId": self.wire_id(part.call_id)}
        if isinstance(nested, dict) and "content" in nested:
            inner["content"] = cast("Obj", nested)["content"]
        else:
            items: list[Obj] = []
            for k, item in enumerate(part.content):
                out = self.result_item(item, (*path, "content", k))
                if out is not None:
                    items.append(out)
            inner["content"] = items
        if part.is_error is not None:
            inner["status"] = "error" if part.is_error else "success"
        if isinstance(nested, dict):
            for k, v in cast("Obj", nested).items():
                inner.setdefault(k, v)
        block: Obj = {"toolResult": inner}
        unit = Unit(
            self.finish(block, part.cache, extra, path, top=True),
            "toolResult",
            part.call_id,
            path,
            part,
        )
        if role == "assistant":  # results belong to user turns: the pairing makes it text
            unit.kind = "misplaced"
            return self.orphan(unit)
        return unit

    def result_item(self, item: ResultPart, path: Path) -> Obj | None:
        form, extra = self.ext(item.extensions, path) if item.extensions else NO_HINTS
        if item.cache is not None:
            self.log((*path, "cache"), "cache")
        if isinstance(item, TextPart):
            if form and form.get("json"):
                try:
                    return {"json": loads(item.text)}  # strict: no NaN, bounded depth
                except ValueError:
                    pass
            return {"text": item.text}
        return self.media(item, form, extra, path)

    def missing_result(self, call_id: str) -> Obj:
        content = [{"text": MISSING_RESULT}]
        return {
            "toolResult": {
                "toolUseId": self.wire_id(call_id),
                "content": content,
                "status": "error",
            }
        }

    def orphan(self, unit: Unit) -> Unit:
        """A result no call awaits, as text."""
        self.log(unit.path or (), "orphan-tool-result")
        part = cast("ToolResultPart | None", unit.origin)
        texts = [c.text for c in part.content if isinstance(c, TextPart)] if part else []
        body = "\n".join(texts) or "(no text)"
        return Unit([{"text": f"[tool result {part.call_id if part else ''}]\n{body}"}], "text")

    def reasoning(self, part: ReasoningPart, role: str, path: Path) -> Obj | None:
        scope = part.valid_for
        if role == "assistant" and scope is not None and scope.provider == NAME:
            same = (
                scope.model is None
                or self.model is None
                or (model_family(scope.model) == model_family(self.model))
            )
            if same and part.redacted is not None:
                return {"reasoningContent": {"redactedContent": part.redacted}}
            if same and part.text is not None:
                rt: Obj = {"text": part.text}
                if part.signature is not None:
                    rt["signature"] = part.signature
                return {"reasoningContent": {"reasoningText": rt}}
        if role != "assistant":
            why = "reasoning can only be replayed in an assistant turn"
        elif scope is None:
            why = "Bedrock replays only reasoning it produced"
        else:
            why = f"the reasoning is only valid for {scope.provider} {scope.model or ''}".rstrip()
        text = part.text
        if self.options.reasoning == "text" and text and not text.isspace():
            self.log(path, "reasoning-replay", f"{why}; sent as text", action="transformed")
            return {"text": f"<reasoning>{text}</reasoning>"}
        self.log(path, "reasoning-replay", why)
        return None


MISSING_RESULT: Final = "No result was recorded for this tool call."
IMAGE_MEDIA: Final = {mt: fmt for fmt, mt in IMAGE_FORMATS.items()} | {"image/jpg": "jpeg"}
"""Bedrock image format by media type."""


def _accepts_id(value: str) -> bool:
    return TOOL_ID.match(value) is not None


def _sanitize(value: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_-]+", "_", value)


def _extension(url: str, formats: Mapping[str, str]) -> str | None:
    ext = url.rsplit(".", 1)[-1].lower() if "." in url.rsplit("/", 1)[-1] else ""
    ext = "jpeg" if ext == "jpg" else ext
    return ext if ext in formats else None


def _document_name(given: str | None) -> str:
    """A valid document name made from a filename or title ('' when nothing is left)."""
    if given is None:
        return ""
    stem = given.rsplit(".", 1)[0] if "." in given else given
    name = _SPACES.sub(" ", _NOT_NAME.sub("-", stem)).strip()
    return name[:200].strip()
