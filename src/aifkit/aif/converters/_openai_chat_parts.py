"""Writing AIF content parts as Chat Completions content parts.

`PartWriter` holds what every part needs (the options and the loss log); the
encoder builds on it. Images, files and audio go only in user messages; a source
the API cannot read (a file id of another provider, a document behind a URL) is
dropped and logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import JsonValue

from aifkit.aif._loss import Action, LossLog, Path
from aifkit.aif._schema import (
    AudioPart,
    Base64Source,
    DocumentPart,
    FileSource,
    ImagePart,
    Part,
    ProviderPart,
    ReasoningPart,
    RefusalPart,
    ResultPart,
    TextPart,
    TextSource,
    Tool,
    UrlSource,
)
from aifkit.aif.converters._base import EncodeOptions
from aifkit.aif.converters._common import (
    build_data_url,
    own_extra,
    parse_data_url,
    report_foreign_extensions,
)
from aifkit.aif.converters._openai_chat_decode import NAME

__all__ = ["PartWriter", "put_extra"]

_AUDIO_FORMATS = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
}
_AUDIO_INPUTS = frozenset({"wav", "mp3"})
_SNIFF = (
    ("iVBORw0KGgo", "image/png"),
    ("/9j/", "image/jpeg"),
    ("R0lGOD", "image/gif"),
    ("UklGR", "image/webp"),
    ("JVBERi0", "application/pdf"),
)
_EXTENSIONS = {"application/pdf": "pdf", "text/plain": "txt", "text/markdown": "md"}


def _sniff(data: str, default: str) -> str:
    # A source without a media type: name it from the data's magic bytes.
    for prefix, media_type in _SNIFF:
        if data.startswith(prefix):
            return media_type
    return default


def put_extra(target: dict[str, Any], extra: Mapping[str, JsonValue], nested: str = "") -> None:
    """Put this format's own wire fields back on ``target`` (under ``nested`` for its key).

    They never override a key the encoder wrote.
    """
    for key, value in extra.items():
        if nested and key == nested and isinstance(value, dict):
            inner: dict[str, Any] = target[nested]
            for k, v in value.items():
                inner.setdefault(k, v)
        else:
            target.setdefault(key, value)


class PartWriter:
    """Writes content parts, logging what the API cannot take."""

    def __init__(self, options: EncodeOptions) -> None:
        self.options = options
        self.losses = LossLog()

    def _check(self, p: Part | Tool, path: Path) -> None:
        """Report a part's or tool's foreign extensions and cache hint."""
        if p.extensions:
            report_foreign_extensions(p.extensions, NAME, path, self.losses)
        if p.cache is not None:
            self.losses.add(
                (*path, "cache"),
                "dropped",
                "openai-chat/cache",
                "info",
                "OpenAI caches prompts automatically; cache breakpoints are not sent",
            )

    def _text(self, p: TextPart, path: Path) -> dict[str, Any]:
        part: dict[str, Any] = {"type": "text", "text": p.text}
        if p.extensions or p.cache is not None:
            self._check(p, path)
            if p.extensions:
                put_extra(part, own_extra(p.extensions, NAME))
        return part

    def _other_part(self, p: Part, path: Path, role: str) -> dict[str, Any] | None:
        """Write a part of a user, assistant or system message (not a tool result)."""
        if type(p) is TextPart:
            return self._text(p, path)
        if type(p) is ReasoningPart:
            return self._reasoning(p, path)
        if type(p) is ProviderPart:
            if p.format == NAME:
                return dict(p.data)
            self.losses.add(
                path,
                "dropped",
                "openai-chat/provider-part",
                "error",
                f"a {p.format} {p.data.get('type', 'block')!r} block has no OpenAI equivalent",
            )
            return None
        if type(p) is RefusalPart:
            if role == "assistant":
                part: dict[str, Any] = {"type": "refusal", "refusal": p.text}
                if p.extensions or p.cache is not None:
                    self._check(p, path)
                    put_extra(part, own_extra(p.extensions, NAME))
                return part
            self._check(p, path)
            self._not_allowed(p, path, role, "transformed", "sent as text")
            return {"type": "text", "text": p.text}
        if role == "user" and isinstance(p, ImagePart | DocumentPart | AudioPart):
            return self._media(p, path)
        self._not_allowed(p, path, role, "dropped", "dropped")
        return None

    def _not_allowed(self, p: Part, path: Path, role: str, action: Action, what: str) -> None:
        self.losses.add(
            path,
            action,
            "openai-chat/part-not-allowed",
            "warning" if action == "transformed" else "error",
            f"{role} messages cannot hold {p.type} parts; {what}",
        )

    def _reasoning(self, p: ReasoningPart, path: Path) -> dict[str, Any] | None:
        if self.options.reasoning == "text" and p.text:
            self._check(p, path)
            self.losses.add(
                path,
                "transformed",
                "openai-chat/reasoning",
                "info",
                "Chat Completions takes no reasoning input; sent as text in <reasoning> tags",
            )
            return {"type": "text", "text": f"<reasoning>{p.text}</reasoning>"}
        self.losses.add(
            path,
            "dropped",
            "openai-chat/reasoning",
            "info",
            "redacted reasoning cannot be sent to OpenAI"
            if p.text is None
            else "Chat Completions takes no reasoning input",
        )
        return None

    def _media(self, p: ResultPart | AudioPart, path: Path) -> dict[str, Any] | None:
        """Write an image, document or audio part (user content)."""
        if p.extensions or p.cache is not None:
            self._check(p, path)
        if type(p) is ImagePart:
            return self._image(p, path)
        if type(p) is DocumentPart:
            return self._document(p, path)
        if type(p) is AudioPart:
            return self._audio(p, path)
        assert type(p) is TextPart
        return self._text(p, path)

    def _unsupported_source(self, path: Path, what: str) -> None:
        self.losses.add(path, "dropped", "openai-chat/unsupported-source", "error", what)

    def _image(self, p: ImagePart, path: Path) -> dict[str, Any] | None:
        src = p.source
        if type(src) is Base64Source:
            url = build_data_url(src.media_type or _sniff(src.data, "image/png"), src.data)
        elif type(src) is UrlSource:
            url = src.url
        else:
            self._unsupported_source(path, f"images cannot be sent from a {src.kind} source")
            return None
        image: dict[str, Any] = {"url": url}
        if p.detail is not None:
            image["detail"] = p.detail
        part: dict[str, Any] = {"type": "image_url", "image_url": image}
        if p.extensions:
            put_extra(part, own_extra(p.extensions, NAME), "image_url")
        return part

    def _document(self, p: DocumentPart, path: Path) -> dict[str, Any] | None:
        src = p.source
        if type(src) is TextSource:
            return self._text_document(p, src, path)
        parsed = parse_data_url(src.url) if type(src) is UrlSource else None
        media_type = ""
        if type(src) is Base64Source:
            media_type = src.media_type or _sniff(src.data, "application/octet-stream")
            file: dict[str, Any] = {"file_data": build_data_url(media_type, src.data)}
        elif type(src) is FileSource and src.provider in (None, "openai"):
            file = {"file_id": src.file_id}
        elif type(src) is UrlSource and parsed is not None:
            media_type = parsed[0]
            file = {"file_data": src.url}
        elif type(src) is FileSource:
            self._unsupported_source(
                path, f"file ids of {src.provider} do not travel to OpenAI; upload the file there"
            )
            return None
        else:
            self._unsupported_source(path, "Chat Completions cannot read a document from a URL")
            return None
        if p.filename is not None:
            file["filename"] = p.filename
        elif "file_data" in file:
            ext = _EXTENSIONS.get(media_type, "bin")
            file["filename"] = f"document.{ext}"
            self.losses.add(
                (*path, "filename"),
                "synthesized",
                "openai-chat/file-name",
                "info",
                "OpenAI requires a filename with file data",
            )
        for key in ("title", "context"):
            if getattr(p, key) is not None:
                self.losses.add(
                    (*path, key),
                    "dropped",
                    "openai-chat/no-field",
                    "info",
                    f"OpenAI file inputs have no {key}",
                )
        part: dict[str, Any] = {"type": "file", "file": file}
        if p.extensions:
            put_extra(part, own_extra(p.extensions, NAME), "file")
        return part

    def _text_document(self, p: DocumentPart, src: TextSource, path: Path) -> dict[str, Any]:
        self.losses.add(
            path,
            "transformed",
            "openai-chat/document-text",
            "info",
            "OpenAI file inputs take no plain text; sent as a text part",
        )
        heading = "\n".join(x for x in (p.title, p.context) if x)
        return {"type": "text", "text": f"{heading}\n\n{src.text}" if heading else src.text}

    def _audio(self, p: AudioPart, path: Path) -> dict[str, Any] | None:
        src = p.source
        if type(src) is not Base64Source:
            self._unsupported_source(path, f"audio cannot be sent from a {src.kind} source")
            return None
        fmt = p.format if p.format in _AUDIO_INPUTS else _AUDIO_FORMATS.get(src.media_type or "")
        if fmt is None:
            self._unsupported_source(
                path, f"audio in {p.format or src.media_type!r} is not wav or mp3"
            )
            return None
        part: dict[str, Any] = {
            "type": "input_audio",
            "input_audio": {"data": src.data, "format": fmt},
        }
        if p.extensions:
            put_extra(part, own_extra(p.extensions, NAME), "input_audio")
        return part
