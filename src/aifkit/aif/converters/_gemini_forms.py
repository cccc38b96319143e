"""The other spellings of a Gemini body that the API accepts, read into one form and
written back as they came.

* **snake_case keys**: google-genai (``Part.model_dump()``), LiteLLM and many hand-written
  clients send ``function_call``, ``function_response``, ``inline_data``, ``file_data``,
  ``thought_signature`` (and ``mime_type``, ``file_uri`` inside the blobs); the REST API
  takes both spellings, as protobuf's JSON mapping accepts the field names and their
  lowerCamelCase forms (https://protobuf.dev/programming-guides/json/).
* **OpenAPI schema types**: ``parameters`` is Gemini's OpenAPI ``Schema``, whose ``type``
  is the upper-case enum (``"OBJECT"``, ``"STRING"``); JSON Schema targets need it in
  lower case (https://ai.google.dev/api/caching#Type).
* **URL-safe base64**: bytes fields are base64 in protobuf's JSON mapping, which accepts
  the URL-safe alphabet and missing padding; targets that require standard base64 get
  it (https://protobuf.dev/programming-guides/json/, "bytes").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

__all__ = [
    "SNAKE_BLOB",
    "SNAKE_PART",
    "camel_part",
    "json_schema",
    "openapi_schema",
    "snake_part",
    "standard_b64",
    "wire_b64",
]

SNAKE_PART: Final = {
    "function_call": "functionCall",
    "function_response": "functionResponse",
    "inline_data": "inlineData",
    "file_data": "fileData",
    "thought_signature": "thoughtSignature",
}
"""A part's snake_case keys and the camelCase keys they stand for."""
SNAKE_BLOB: Final = {"mime_type": "mimeType", "file_uri": "fileUri"}
"""The snake_case keys of ``inline_data`` and ``file_data``."""
_CAMEL_PART: Final = {v: k for k, v in SNAKE_PART.items()}
_CAMEL_BLOB: Final = {v: k for k, v in SNAKE_BLOB.items()}
_BLOBS: Final = frozenset({"inlineData", "fileData"})


def _rename(obj: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    return {names.get(k, k): v for k, v in obj.items()}


def camel_part(p: dict[str, Any]) -> dict[str, Any] | None:
    """The part in camelCase when it spells a key in snake_case (None when it does not).

    A part that gives one key in both spellings is left alone (it is not one part).

    Examples:
        >>> camel_part({"inline_data": {"mime_type": "image/png", "data": "iVBO"}})
        {'inlineData': {'mimeType': 'image/png', 'data': 'iVBO'}}
        >>> camel_part({"text": "hi"}) is None
        True
    """
    snake = [k for k in p if k in SNAKE_PART]
    if not snake or any(SNAKE_PART[k] in p for k in snake):
        return None
    out = _rename(p, SNAKE_PART)
    for key in _BLOBS:
        blob = out.get(key)
        if isinstance(blob, dict):
            out[key] = _rename(cast("dict[str, Any]", blob), SNAKE_BLOB)
    response = out.get("functionResponse")
    parts = cast("dict[str, Any]", response).get("parts") if isinstance(response, dict) else None
    if isinstance(parts, list):
        fr = dict(cast("dict[str, Any]", response))
        fr["parts"] = [
            (camel_part(cast("dict[str, Any]", q)) or q) if isinstance(q, dict) else q
            for q in cast("list[Any]", parts)
        ]
        out["functionResponse"] = fr
    return out


def snake_part(block: dict[str, Any]) -> dict[str, Any]:
    """A part the encoder built, spelled in snake_case again (the inverse of `camel_part`).

    Examples:
        >>> snake_part({"fileData": {"mimeType": "video/mp4", "fileUri": "gs://b/v.mp4"}})
        {'file_data': {'mime_type': 'video/mp4', 'file_uri': 'gs://b/v.mp4'}}
    """
    out = _rename(block, _CAMEL_PART)
    for key in ("inline_data", "file_data"):
        blob = out.get(key)
        if isinstance(blob, dict):
            out[key] = _rename(cast("dict[str, Any]", blob), _CAMEL_BLOB)
    response = out.get("function_response")
    parts = cast("dict[str, Any]", response).get("parts") if isinstance(response, dict) else None
    if isinstance(parts, list):
        fr = dict(cast("dict[str, Any]", response))
        fr["parts"] = [
            snake_part(cast("dict[str, Any]", q)) if isinstance(q, dict) else q
            for q in cast("list[Any]", parts)
        ]
        out["function_response"] = fr
    return out


# -- schemas --------------------------------------------------------------------------

_TYPES: Final = frozenset({"STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"})
_ONE: Final = ("items", "additionalProperties", "not")
_MANY: Final = ("anyOf", "oneOf", "allOf", "prefixItems")
_NAMED: Final = ("properties", "$defs", "definitions")


def _lower(schema: Any, changed: list[bool]) -> Any:
    """``schema`` with its OpenAPI type names in lower case (walking schema keys only)."""
    if not isinstance(schema, dict):
        return schema
    s = cast("dict[str, Any]", schema)
    out = dict(s)
    kind = s.get("type")
    if isinstance(kind, str) and kind in _TYPES:
        out["type"] = kind.lower()
        changed[0] = True
    elif isinstance(kind, list):
        kinds = cast("list[Any]", kind)
        if any(isinstance(k, str) and k in _TYPES for k in kinds):
            out["type"] = [k.lower() if isinstance(k, str) and k in _TYPES else k for k in kinds]
            changed[0] = True
    for key in _ONE:
        if key in s:
            out[key] = _lower(s[key], changed)
    for key in _MANY:
        value = s.get(key)
        if isinstance(value, list):
            out[key] = [_lower(v, changed) for v in cast("list[Any]", value)]
    for key in _NAMED:
        value = s.get(key)
        if isinstance(value, dict):
            named = cast("dict[str, Any]", value)
            out[key] = {k: _lower(v, changed) for k, v in named.items()}
    return out


def json_schema(schema: dict[str, Any]) -> dict[str, Any] | None:
    """``schema`` with OpenAPI's upper-case type names as JSON Schema's; None if it has none.

    Examples:
        >>> json_schema({"type": "OBJECT", "properties": {"city": {"type": "STRING"}}})
        {'type': 'object', 'properties': {'city': {'type': 'string'}}}
        >>> json_schema({"type": "object"}) is None
        True
    """
    changed = [False]
    out = _lower(schema, changed)
    return cast("dict[str, Any]", out) if changed[0] else None


def openapi_schema(schema: Mapping[str, Any], original: Any) -> Any:
    """``original`` (the body's own upper-case schema) when ``schema`` is still its JSON
    Schema reading, else ``schema`` as it is now (an edited schema is written as edited)."""
    if isinstance(original, dict):
        given = cast("dict[str, Any]", original)
        if json_schema(given) == schema:
            return given
    return dict(schema)


# -- base64 ---------------------------------------------------------------------------

_TO_STANDARD: Final = str.maketrans("-_", "+/")
_TO_URL: Final = str.maketrans("+/", "-_")


def standard_b64(data: str) -> tuple[str, str | None]:
    """``data`` in standard, padded base64, and the form it had (None when it was so).

    Examples:
        >>> standard_b64("_-8")
        ('/+8=', 'url-nopad')
        >>> standard_b64("iVBORw==")
        ('iVBORw==', None)
    """
    url = ("-" in data or "_" in data) and "+" not in data and "/" not in data
    missing = -len(data) % 4
    # only a body without any padding is padded (1 or 2 "="; 3 is never valid base64)
    padded = "=" * missing if missing in (1, 2) and not data.endswith("=") else ""
    if not url and not padded:
        return data, None
    out = (data.translate(_TO_STANDARD) if url else data) + padded
    form = ("url" if url else "std") + ("-nopad" if padded else "")
    return out, form


def wire_b64(data: str, form: Any) -> str:
    """Standard base64 written back in the form `standard_b64` read it from.

    Examples:
        >>> wire_b64("/+8=", "url-nopad")
        '_-8'
    """
    if not isinstance(form, str):
        return data
    if form.startswith("url"):
        data = data.translate(_TO_URL)
    if form.endswith("-nopad"):
        data = data.rstrip("=")
    return data
