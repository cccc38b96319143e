"""Reading an A2A ``Message`` or ``Task`` into AIF.

The JSON is the one the ``a2a-sdk`` 1.x protobuf types read and write (camelCase
keys, ``ROLE_USER`` / ``ROLE_AGENT``); a ``Part`` holds exactly one of ``text``,
``raw`` (base64 bytes), ``url`` or ``data`` (any JSON), with optional
``mediaType``, ``filename`` and ``metadata``.

Two readings:

* **AIF envelope** — a message holding a ``data`` part whose ``mediaType`` is
  `AIF_MEDIA_TYPE` carries a whole AIF document (the aifkit A2A extension,
  `EXTENSION_URI`). That document is restored exactly; the message around it
  (ids, the text summary beside it, other parts) is kept under
  ``extensions["a2a"]["extra"]["message"]`` with the document's data left out, and
  the positions of summary parts that `summarize` would write again are kept in
  ``form["summary"]``, and the number of conversion steps the document's
  provenance held in ``form["provenance"]`` (``"absent"`` when it had none), so
  that writing it back leaves out the step that recorded this reading.
* **native** — any other message is a one-message document, and a task's
  ``history`` is the conversation. A task without ``history`` (a server may leave
  it out: A2A spec §3.2.4 ``historyLength`` 0, the task lists of §6.5) is read from
  what it carries instead: each of its ``artifacts`` (the task's output, §3.7) is
  an assistant message, its ``artifactId``, ``name``, ... that message's extra,
  then ``status.message``; ``form["messages_from"]`` says where each came from.
  ``ROLE_USER`` is ``user``, ``ROLE_AGENT`` ``assistant``. Parts: ``text`` -> `TextPart` (a `DocumentPart` of plain text
  when it has a ``mediaType``); ``raw`` / ``url`` -> `ImagePart` for ``image/*``,
  `AudioPart` for ``audio/*``, else `DocumentPart` (``filename`` kept; a ``url``
  part's ``mediaType`` is extra);
  ``data`` -> `ProviderPart`. Message fields (``messageId``, ``contextId``, ...)
  the task's (``id``, ``status``, ``artifacts``, ...) are kept as the
  document's extra; the
  document's ``form["shape"]`` says ``message`` or ``task``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Final, cast

from aifkit._json import type_name
from aifkit.aif._codec import dump_document, load_document
from aifkit.aif._loss import Path, SourceMap
from aifkit.aif._schema import document_adapter
from aifkit.aif.converters._base import Decoded
from aifkit.aif.converters._common import (
    expect_list,
    expect_obj,
    expect_str,
    fail,
    required,
    validate_document,
)
from aifkit.aif.converters._wire import MISSING, make_ext, unknown_keys
from aifkit.errors import InvalidInputError

__all__ = [
    "AIF_MEDIA_TYPE",
    "EXTENSION_URI",
    "NAME",
    "ROLES",
    "aif_part_index",
    "decode_body",
    "is_task",
]

NAME: Final = "a2a"
AIF_MEDIA_TYPE: Final = "application/vnd.aif+json"
"""The media type of a data part holding a whole AIF document."""
EXTENSION_URI: Final = "https://aifkit.dev/a2a/aif/v1"
"""The A2A extension that declares AIF data parts, listed in a message's ``extensions``."""
ROLES: Final = {"ROLE_USER": "user", "ROLE_AGENT": "assistant"}

_CONTENT: Final = ("text", "raw", "url", "data")
_PART_KEYS: Final = frozenset({"text", "raw", "url", "mediaType", "filename"})
_MESSAGE_KEYS: Final = frozenset({"role", "parts"})
_ARTIFACT_KEYS: Final = frozenset({"parts"})
_ENVELOPE_ROOTS: Final = ("id", "instructions", "messages", "tools", "settings", "metadata")


_SOURCE_FIELDS: Final[dict[str, tuple[Path, ...]]] = {"media_type": (("mediaType",),)}
"""AIF fields this format spells otherwise, for loss pointers (`SourceMap.fields`)."""


def is_task(root: dict[str, Any]) -> bool:
    """True when ``root`` is a Task (it has no ``parts`` but a ``history``, ``status`` or ``id``)."""
    return (
        "parts" not in root
        and "role" not in root
        and bool(root.keys() & {"history", "status", "id"})
    )


def aif_part_index(parts: list[Any]) -> int | None:
    """The index of the first data part holding an AIF document, or None."""
    for k, part in enumerate(parts):
        if isinstance(part, dict):
            p = cast("dict[str, Any]", part)
            if p.get("mediaType") == AIF_MEDIA_TYPE and "data" in p:
                return k
    return None


def decode_body(body: Any, summarize: Any) -> Decoded:
    """Read a Message or a Task (see the module docstring).

    ``summarize`` renders a document's text summary (from ``_a2a_encode``), used to
    recognize summary parts that can be written again.
    """
    root = expect_obj(body, ())
    if is_task(root):
        return _task(root)
    parts = expect_list(required(root, "parts", ()), ("parts",))
    k = aif_part_index(parts)
    if k is not None:
        return _envelope(root, parts, k, summarize)
    sm = SourceMap(fields=_SOURCE_FIELDS)
    message = _message(root, (), ("messages", 0), sm)
    doc = {"messages": [message], "extensions": {NAME: {"form": {"shape": "message"}}}}
    return Decoded(validate_document(doc, sm), sm)


# -- the AIF envelope ------------------------------------------------------------------


def _envelope(root: dict[str, Any], parts: list[Any], k: int, summarize: Any) -> Decoded:
    dpath: Path = ("parts", k, "data")
    data = parts[k]["data"]
    try:
        document = load_document(data)
    except InvalidInputError as exc:
        pointer = "/parts/" + str(k) + "/data" + exc.pointer
        raise InvalidInputError(pointer, exc.problem, hint=exc.hint) from None
    summary = summarize(document)
    stored_parts: list[Any] = []
    generated: list[int] = []
    for j, part in enumerate(parts):
        if j == k:
            stored_parts.append({key: v for key, v in part.items() if key != "data"})
        elif isinstance(part, dict) and cast("dict[str, Any]", part) == {"text": summary}:
            generated.append(j)
            stored_parts.append({})
        else:
            stored_parts.append(part)
    stored = {**root, "parts": stored_parts}
    out = dump_document(document)
    ext = cast("dict[str, Any]", out.setdefault("extensions", {}))
    ns = cast("dict[str, Any]", ext.setdefault(NAME, {}))
    cast("dict[str, Any]", ns.setdefault("extra", {}))["message"] = stored
    form = cast("dict[str, Any]", ns.setdefault("form", {}))
    form["summary"] = generated
    form["aif_part"] = k
    prov = document.provenance
    form["provenance"] = "absent" if prov is None else len(prov.conversions)
    sm = SourceMap(fields=_SOURCE_FIELDS)
    for key in (*_ENVELOPE_ROOTS, "extensions", "provenance"):
        sm.add((key,), (*dpath, key))
    sm.add(("extensions", NAME, "extra", "message"), ())
    return Decoded(document_adapter().validate_python(out), sm)


# -- native messages and tasks -----------------------------------------------------------


def _task(root: dict[str, Any]) -> Decoded:
    sm = SourceMap(fields=_SOURCE_FIELDS)
    form: dict[str, Any] = {"shape": "task"}
    history = root.get("history", MISSING)
    messages: list[dict[str, Any]] = []
    rest = {key: v for key, v in root.items() if key != "history"}
    status = rest.get("status")
    if status is not None:
        expect_obj(status, ("status",))
    if history is MISSING:
        form["history"] = "absent"
        origins = _carried(rest, messages, sm)
        if origins:
            form["messages_from"] = origins
    else:
        for i, raw in enumerate(expect_list(history, ("history",))):
            src: Path = ("history", i)
            messages.append(_message(expect_obj(raw, src), src, ("messages", i), sm))
    if rest:
        sm.add(("extensions", NAME, "extra"), ())
    doc = {
        "messages": messages,
        "extensions": make_ext(NAME, form, rest),
    }
    return Decoded(validate_document(doc, sm), sm)


def _carried(rest: dict[str, Any], messages: list[dict[str, Any]], sm: SourceMap) -> list[str]:
    """Read a history-less task's artifacts and status message into ``messages`` (taking
    them out of ``rest``, the task's extra); return where each message came from."""
    origins: list[str] = []
    if rest.get("artifacts") not in (None, []):  # a null or empty list stays as it was sent
        for i, raw in enumerate(expect_list(rest.pop("artifacts"), ("artifacts",))):
            src: Path = ("artifacts", i)
            aif: Path = ("messages", len(messages))
            messages.append(_message(expect_obj(raw, src), src, aif, sm, artifact=True))
            origins.append("artifact")
    status = rest.get("status")
    if isinstance(status, dict) and cast("dict[str, Any]", status).get("message") is not None:
        status = cast("dict[str, Any]", status)
        src = ("status", "message")
        messages.append(_message(expect_obj(status["message"], src), src, ("messages", len(messages)), sm))  # fmt: skip
        origins.append("status")
        rest["status"] = {key: v for key, v in status.items() if key != "message"}
    return origins


def _message(
    m: dict[str, Any], src: Path, aif: Path, sm: SourceMap, *, artifact: bool = False
) -> dict[str, Any]:
    """A Message (or an Artifact, the agent's output: an assistant message) as AIF."""
    sm.add(aif, src)
    role = "ROLE_AGENT" if artifact else required(m, "role", src)
    if not isinstance(role, str) or role not in ROLES:
        problem = f"expected 'ROLE_USER' or 'ROLE_AGENT', got {role!r}"
        if not isinstance(role, str):
            problem = f"expected a string, got {type_name(role)}"
        raise fail((*src, "role"), problem)
    parts: list[dict[str, Any]] = []
    for j, raw in enumerate(expect_list(required(m, "parts", src), (*src, "parts"))):
        ppath: Path = (*src, "parts", j)
        sm.add((*aif, "parts", j), ppath)
        parts.append(_part(expect_obj(raw, ppath), ppath))
    out: dict[str, Any] = {"role": ROLES[role], "parts": parts}
    extra = unknown_keys(m, _ARTIFACT_KEYS if artifact else _MESSAGE_KEYS)
    if extra:
        sm.add((*aif, "extensions", NAME, "extra"), src)
        out["extensions"] = make_ext(NAME, None, extra)
    return out


def _part(p: dict[str, Any], src: Path) -> dict[str, Any]:
    present = [key for key in _CONTENT if key in p]
    if len(present) != 1:
        what = "none" if not present else ", ".join(present)
        raise fail(src, f"a part holds exactly one of text, raw, url, data; this one has {what}")
    kind = present[0]
    if kind == "data":
        return {"type": "provider", "format": NAME, "data": p}
    value = expect_str(p[kind], (*src, kind))
    media = p.get("mediaType", MISSING)
    if media is not MISSING:
        media = expect_str(media, (*src, "mediaType"))
    if "filename" in p:
        expect_str(p["filename"], (*src, "filename"))
    form: dict[str, Any] = {}
    extra = unknown_keys(p, _PART_KEYS)
    if kind == "text":
        if media is MISSING:
            part: dict[str, Any] = {"type": "text", "text": value}
        else:
            part = {
                "type": "document",
                "source": {"kind": "text", "media_type": media, "text": value},
            }
    else:
        if kind == "raw":
            _base64(value, (*src, "raw"))
            source: dict[str, Any] = {"kind": "base64", "data": value}
            if media is not MISSING:
                source["media_type"] = media
        else:
            source = {"kind": "url", "url": value}
            if media is not MISSING:  # AIF's URL source has no media type: kept as data
                extra["mediaType"] = media
        family = media.split("/", 1)[0] if media is not MISSING else ""
        ptype = {"image": "image", "audio": "audio"}.get(family, "document")
        part = {"type": ptype, "source": source}
    if "filename" in p:
        if part["type"] == "document":
            part["filename"] = p["filename"]
        else:
            extra["filename"] = p["filename"]
    ext = make_ext(NAME, form, extra)
    if ext:
        part["extensions"] = ext
    return part


def _base64(value: str, path: Path) -> None:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        try:
            base64.urlsafe_b64decode(value)
        except (binascii.Error, ValueError):
            raise fail(path, "raw bytes must be base64") from None
