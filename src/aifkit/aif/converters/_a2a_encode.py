"""Writing any AIF document as an A2A ``Message`` (or back as the ``Task`` it came from).

A document read from a native A2A message or task (``form["shape"]``) is written
back natively when that is exact: the native body is decoded again and compared
with the document. Every other document travels whole in an **AIF envelope**: a
message whose parts are a text summary (`summarize`, for agents that do not know
AIF) and a ``data`` part of media type ``application/vnd.aif+json`` holding the
document, with the aifkit extension URI in its ``extensions``. Nothing is lost
either way, so the encoder logs nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, Final, cast

from aifkit._json import canonical_json
from aifkit.aif._codec import dump_document
from aifkit.aif._schema import (
    AudioPart,
    Base64Source,
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
    UrlSource,
)
from aifkit.aif.converters._a2a_decode import AIF_MEDIA_TYPE, EXTENSION_URI, NAME
from aifkit.aif.converters._base import Encoded, EncodeOptions
from aifkit.aif.converters._common import own_extra, own_form

__all__ = ["SUMMARY_MESSAGES", "SUMMARY_TEXT", "encode_document", "summarize"]

SUMMARY_MESSAGES: Final = 20
"""The summary shows at most this many of the last messages."""
SUMMARY_TEXT: Final = 400
"""Characters of each text the summary shows before cutting it with an ellipsis."""

_ROLES: Final = {"user": "ROLE_USER", "assistant": "ROLE_AGENT"}
_LABELS: Final = {
    "system": "System",
    "developer": "Developer",
    "user": "User",
    "assistant": "Assistant",
    "tool": "Tool",
}


def encode_document(
    document: Document, options: EncodeOptions, decode: Callable[[Any], Document]
) -> Encoded:
    """Write ``document`` as an A2A body (see the module docstring).

    ``decode`` reads a native body back, to check that writing natively is exact.
    """
    shape = own_form(document.extensions, NAME).get("shape")
    if shape in ("message", "task") and "message" not in own_extra(document.extensions, NAME):
        body = _native(document, shape == "task")
        if body is not None and _same(decode(body), document):
            return Encoded(body)
    return Encoded(_envelope(document))


def _same(a: Document, b: Document) -> bool:
    # Provenance records that the document was read (from this very body, or
    # handed on since); a native body has no place for it, so it does not count.
    x, y = dump_document(a), dump_document(b)
    x.pop("provenance", None)
    y.pop("provenance", None)
    return x == y


# -- the summary ----------------------------------------------------------------------


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_TEXT else text[: SUMMARY_TEXT - 1] + "…"


def _describe(part: Part) -> str:
    match part:
        case TextPart(text=text) | RefusalPart(text=text):
            return _cut(text)
        case ToolCallPart():
            args = part.raw_arguments or canonical_json(part.arguments)
            return f"[called {part.name}({_cut(args)})]"
        case ToolResultPart():
            texts = " ".join(p.text for p in part.content if isinstance(p, TextPart))
            error = " error" if part.is_error else ""
            return f"[tool{error} result: {_cut(texts)}]"
        case ReasoningPart():
            return "[reasoning]"
        case DocumentPart(filename=name, title=title):
            return f"[document {name or title or ''}]".replace(" ]", "]")
        case _:
            return f"[{part.type}]"


def summarize(document: Document) -> str:
    """The text summary sent beside the AIF data part, for agents that do not know AIF.

    Examples:
        >>> from aifkit.aif import load_document
        >>> print(summarize(load_document({"messages": [
        ...     {"role": "user", "parts": [{"type": "text", "text": "Weather in Oslo?"}]}]})))
        Conversation handed over in AIF (application/vnd.aif+json): 1 message.
        User: Weather in Oslo?
    """
    messages = document.messages
    n = len(messages)
    head = f"Conversation handed over in AIF ({AIF_MEDIA_TYPE}): {n} message{'s' * (n != 1)}."
    lines = [head]
    for ins in document.instructions:
        lines.append(f"{_LABELS[ins.role]}: " + " ".join(_cut(p.text) for p in ins.parts))
    shown = messages[-SUMMARY_MESSAGES:]
    if len(shown) < n:
        lines.append(f"({n - len(shown)} earlier messages not shown)")
    for m in shown:
        lines.append(f"{_LABELS[m.role]}: " + " ".join(_describe(p) for p in m.parts))
    return "\n".join(lines)


# -- the envelope -----------------------------------------------------------------------


def _envelope(document: Document) -> dict[str, Any]:
    data = dump_document(document)
    stored = _strip(data)
    summary = summarize(document)
    if stored is not None:
        message, form = stored
        parts = cast("list[Any]", message["parts"])
        # The stored form is AIF extension data, any JSON: read what has the right type.
        summary_parts = form.get("summary")
        listed = cast("list[Any]", summary_parts) if isinstance(summary_parts, list) else []
        generated = {j for j in listed if isinstance(j, int)}
        k = form.get("aif_part", 0)
        _restore_provenance(data, form.get("provenance"))
        for j, part in enumerate(parts):
            if j == k:
                kept = cast("dict[str, Any]", part) if isinstance(part, dict) else {}
                parts[j] = {**kept, "data": data}
            elif j in generated:
                parts[j] = {"text": summary}
        return message
    digest = hashlib.sha256(canonical_json(data).encode()).hexdigest()[:32]
    message: dict[str, Any] = {"messageId": f"aif-{digest}", "role": "ROLE_USER"}
    if document.id is not None:
        message["contextId"] = document.id
    message["parts"] = [{"text": summary}, {"data": data, "mediaType": AIF_MEDIA_TYPE}]
    message["extensions"] = [EXTENSION_URI]
    return message


def _restore_provenance(data: dict[str, Any], kept: Any) -> None:
    """Leave out of ``data``'s provenance the steps that recorded reading the envelope.

    ``kept`` is the number of steps the embedded document had (``"absent"``: no
    provenance at all); later ``a2a -> aif`` steps are those readings (an
    ``a2a -> aif -> a2a`` round trip gives back the body it read), other later steps
    are kept.
    """
    prov = data.get("provenance")
    if not isinstance(prov, dict) or not (kept == "absent" or isinstance(kept, int)):
        return
    prov = cast("dict[str, Any]", prov)
    raw_steps = prov.get("conversions", [])
    steps = cast("list[Any]", raw_steps) if isinstance(raw_steps, list) else []
    n = kept if isinstance(kept, int) else 0
    later = [s for s in steps[n:] if not _reads_a2a(s)]
    if kept == "absent" and not later:
        del data["provenance"]
        return
    kept_steps: list[Any] = [*steps[:n], *later]
    if kept_steps:
        prov["conversions"] = kept_steps
    else:
        prov.pop("conversions", None)


def _reads_a2a(step: Any) -> bool:
    if not isinstance(step, dict):
        return False
    s = cast("dict[str, Any]", step)
    return s.get("source") == NAME and s.get("target") == "aif"


def _strip(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Take the stored envelope (message, form) out of ``data`` (a dumped document)."""
    ext = data.get("extensions")
    ns = cast("dict[str, Any]", ext).get(NAME) if isinstance(ext, dict) else None
    if not isinstance(ns, dict):
        return None
    ns = cast("dict[str, Any]", ns)
    extra = ns.get("extra")
    if not isinstance(extra, dict):
        return None
    extra = dict(cast("dict[str, Any]", extra))
    stored = extra.get("message")
    if not isinstance(stored, dict) or not isinstance(
        cast("dict[str, Any]", stored).get("parts"), list
    ):
        return None
    message = cast("dict[str, Any]", extra.pop("message"))
    raw_form = ns.get("form")
    form = dict(cast("dict[str, Any]", raw_form)) if isinstance(raw_form, dict) else {}
    stored_form = {
        key: form.pop(key) for key in ("summary", "aif_part", "provenance") if key in form
    }
    new_ns = {**ns}
    for key, value in (("extra", extra), ("form", form)):
        if value:
            new_ns[key] = value
        else:
            new_ns.pop(key, None)
    ext_out = dict(cast("dict[str, Any]", ext))
    if new_ns:
        ext_out[NAME] = new_ns
    else:
        del ext_out[NAME]
    if ext_out:
        data["extensions"] = ext_out
    else:
        del data["extensions"]
    return {**message, "parts": list(cast("list[Any]", message.get("parts", [])))}, stored_form


# -- native bodies ----------------------------------------------------------------------


def _native(document: Document, task: bool) -> dict[str, Any] | None:
    """The native Message or Task for a document read from one (None when it cannot be)."""
    messages: list[dict[str, Any]] = []
    for m in document.messages:
        wire = _native_message(m)
        if wire is None:
            return None
        messages.append(wire)
    extra = own_extra(document.extensions, NAME)
    if not task:
        return messages[0] if len(messages) == 1 else None
    body: dict[str, Any] = dict(extra)
    form = own_form(document.extensions, NAME)
    origins = form.get("messages_from")
    if isinstance(origins, list) and len(cast("list[Any]", origins)) == len(messages):
        _carry(body, messages, cast("list[Any]", origins))
    elif form.get("history") != "absent" or messages:
        body["history"] = messages
    return body


def _carry(body: dict[str, Any], messages: list[dict[str, Any]], origins: list[Any]) -> None:
    """Put the messages a history-less task was read from back as its artifacts and
    status message (the caller checks that this reads back to the same document)."""
    artifacts: list[dict[str, Any]] = []
    for wire, origin in zip(messages, origins, strict=True):
        if origin == "artifact":
            artifacts.append({key: v for key, v in wire.items() if key != "role"})
        else:
            status = body.get("status")
            head = cast("dict[str, Any]", status) if isinstance(status, dict) else {}
            body["status"] = {**head, "message": wire}
    if artifacts:
        body["artifacts"] = artifacts


def _native_message(m: Message) -> dict[str, Any] | None:
    role = _ROLES.get(m.role)
    if role is None:
        return None
    parts: list[dict[str, Any]] = []
    for part in m.parts:
        wire = _native_part(part)
        if wire is None:
            return None
        parts.append(wire)
    out: dict[str, Any] = {"role": role, "parts": parts}
    for key, value in own_extra(m.extensions, NAME).items():
        out.setdefault(key, value)
    return out


def _native_part(part: Part) -> dict[str, Any] | None:
    out: dict[str, Any]
    if isinstance(part, ProviderPart):
        return dict(part.data) if part.format == NAME else None
    if isinstance(part, TextPart):
        out = {"text": part.text}
    elif isinstance(part, ImagePart | AudioPart | DocumentPart):
        src = part.source
        if isinstance(src, TextSource):
            out = {"text": src.text, "mediaType": src.media_type}
        elif isinstance(src, Base64Source):
            out = {"raw": src.data}
            if src.media_type is not None:
                out["mediaType"] = src.media_type
        elif isinstance(src, UrlSource):
            out = {"url": src.url}
            media = own_form(part.extensions, NAME).get("mediaType")  # as older documents kept it
            if isinstance(media, str):
                out["mediaType"] = media
        else:
            return None
        if isinstance(part, DocumentPart) and part.filename is not None:
            out["filename"] = part.filename
    else:
        return None
    for key, value in own_extra(part.extensions, NAME).items():
        out.setdefault(key, value)
    return out
