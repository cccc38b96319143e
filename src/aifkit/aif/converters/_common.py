"""Helpers every converter shares: typed reads with pointers, id remapping,
data URLs, tool arguments, reasoning replay and foreign extensions."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, cast

from pydantic import JsonValue, ValidationError

from aifkit._json import canonical_json, format_pointer, type_name
from aifkit._limits import MAX_DEPTH, check_json
from aifkit.aif._loss import LossLog, Path, SourceMap
from aifkit.aif._schema import Document, Extensions, ReasoningPart, document_adapter
from aifkit.errors import InvalidInputError

__all__ = [
    "IdMapper",
    "build_data_url",
    "ensure_json",
    "expect_bool",
    "expect_list",
    "expect_obj",
    "expect_str",
    "fail",
    "is_json",
    "model_family",
    "own_extra",
    "own_form",
    "parse_arguments",
    "parse_data_url",
    "plain_data_url",
    "read_int",
    "read_number",
    "reasoning_replayable",
    "report_foreign_extensions",
    "required",
    "url_source",
    "validate_body",
    "validate_document",
    "write_arguments",
]


def fail(path: Path, problem: str, hint: str | None = None) -> InvalidInputError:
    """Return (for ``raise``) an `InvalidInputError` at ``path``."""
    return InvalidInputError(format_pointer(path), problem, hint=hint)


def expect_obj(value: Any, path: Path) -> dict[str, Any]:
    """Return ``value`` if it is a JSON object, else raise an error naming ``path``."""
    if not isinstance(value, dict):
        raise fail(path, f"expected an object, got {type_name(value)}")
    return cast("dict[str, Any]", value)


def expect_list(value: Any, path: Path) -> list[Any]:
    """Return ``value`` if it is a JSON array, else raise an error naming ``path``."""
    if not isinstance(value, list):
        raise fail(path, f"expected an array, got {type_name(value)}")
    return cast("list[Any]", value)


def expect_str(value: Any, path: Path) -> str:
    """Return ``value`` if it is a string, else raise an error naming ``path``."""
    if not isinstance(value, str):
        raise fail(path, f"expected a string, got {type_name(value)}")
    return value


def expect_bool(value: Any, path: Path) -> bool:
    """Return ``value`` if it is a boolean, else raise an error naming ``path``."""
    if not isinstance(value, bool):
        raise fail(path, f"expected a boolean, got {type_name(value)}")
    return value


def read_int(value: Any, path: Path) -> int:
    """Return ``value`` if it is an integer, else raise an error naming ``path``."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise fail(path, f"expected an integer, got {type_name(value)}")
    return value


def read_number(value: Any, path: Path) -> float:
    """Return ``value`` if it is a number, else raise an error naming ``path``."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise fail(path, f"expected a number, got {type_name(value)}")
    return value


def required(obj: Mapping[str, Any], key: str, path: Path) -> Any:
    """Return ``obj[key]``, else raise a "missing required field" error at ``path``/``key``.

    Examples:
        >>> required({"role": "user"}, "role", ("messages", 0))
        'user'
        >>> required({}, "role", ("messages", 0))
        Traceback (most recent call last):
        ...
        aifkit.errors.InvalidInputError: /messages/0/role: missing required field
    """
    try:
        return obj[key]
    except KeyError:
        raise fail((*path, key), "missing required field") from None


def validate_document(
    doc: dict[str, Any],
    sm: SourceMap,
    locate: Callable[[tuple[int | str, ...]], Path] = tuple,
    *,
    lower: bool = False,
) -> Document:
    """Validate a decoded ``doc``; a value AIF refuses is an error at its source pointer.

    ``locate`` turns pydantic's error location into the AIF path that ``sm``
    translates; ``lower`` starts the problem with a lower-case letter.
    """
    try:
        return document_adapter().validate_python(doc)
    except ValidationError as exc:  # only values that are not JSON get this far
        err = exc.errors(include_url=False)[0]
        problem = err["msg"][:1].lower() + err["msg"][1:] if lower else err["msg"]
        raise fail(sm.translate(locate(err["loc"])), problem) from None


def validate_body(doc: dict[str, Any]) -> Document:
    """Validate a decoded ``doc``; a value AIF refuses is an error about the whole body."""
    try:
        return document_adapter().validate_python(doc)
    except ValidationError as exc:  # pragma: no cover - the decoders' checks come first
        raise fail((), f"the body does not map to AIF: {exc.errors()[0]['msg']}") from exc


# -- tool arguments -------------------------------------------------------------


def parse_arguments(raw: str) -> tuple[JsonValue, str | None, bool]:
    """Parse a tool call's arguments text.

    Returns ``(arguments, raw_arguments, keep_text)``: the parsed JSON (``None`` when
    the text is not valid JSON), the text itself when it is not valid JSON, and
    whether the exact text must be kept to write it back byte for byte (valid JSON
    not written in aifkit's canonical form).

    Examples:
        >>> parse_arguments('{"a":1}')
        ({'a': 1}, None, False)
        >>> parse_arguments('{"a": 1}')
        ({'a': 1}, None, True)
        >>> parse_arguments('{"a": 1')
        (None, '{"a": 1', False)
    """
    try:
        value = cast("JsonValue", _loads(raw))
        if not _plainly_json(raw):
            check_json(value)  # NaN, lone surrogates, too deep: kept as text, like invalid JSON
    except (ValueError, RecursionError):  # InvalidInputError is a ValueError
        return None, raw, False
    return value, None, _canonical(value) != raw


def _plainly_json(text: str) -> bool:
    """Whether parsed ``text`` holds nothing `check_json` refuses, seen from the text alone.

    Short ASCII text without ``\\u`` escapes, ``NaN`` or ``Infinity`` parses to no
    lone surrogate and no non-finite number, and nests at most half its length deep
    (each level is a bracket pair); the parser itself refuses over-long integers.
    Most tool calls' arguments are such texts; they skip the walk.
    """
    return (
        len(text) < 2 * MAX_DEPTH
        and text.isascii()
        and "\\u" not in text
        and "NaN" not in text
        and "Infinity" not in text
    )


# Every tool call is parsed and re-serialized; json.loads and json.dumps set up a
# decoder/encoder on each call, which costs more than the work on a short text.
# These are the same C scanner and encoder, set up once.
_scan_once: Callable[[str, int], tuple[Any, int]] = cast("Any", json.JSONDecoder()).scan_once


def _loads(text: str) -> Any:
    """``json.loads(text)``."""
    try:
        value, end = _scan_once(text, 0)
    except (StopIteration, ValueError):
        return json.loads(text)  # leading whitespace, or the error to raise
    return value if end == len(text) else json.loads(text)


def _refuse(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON")


def _encoder(fallback: Callable[[Any], str]) -> Callable[[Any], str]:
    """A compact JSON serializer without cycle checks (``fallback`` without the C one)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return fallback
    # markers, default, encoder, indent, key_separator, item_separator, sort_keys,
    # skipkeys, allow_nan: what json.dumps passes for canonical_json's options.
    encode = make(None, _refuse, json.encoder.encode_basestring, None, ":", ",", False, False, True)

    def dumps(value: Any) -> str:
        return "".join(encode(value, 0))

    return dumps


_canonical = _encoder(canonical_json)
"""`canonical_json` for a value parsed from JSON."""


def write_arguments(arguments: JsonValue, raw_arguments: str | None) -> str:
    """Return the arguments text for formats that carry arguments as a JSON string."""
    if raw_arguments is not None:
        return raw_arguments
    return canonical_json(arguments)


# -- data URLs ------------------------------------------------------------------

_DATA_URL = re.compile(r"^data:(?P<mt>[^;,]*)(?P<params>(?:;[^;,]*)*?);base64,(?P<data>.*)$", re.S)


def parse_data_url(url: str) -> tuple[str, str] | None:
    """Split a base64 ``data:`` URL into ``(media_type, data)``; ``None`` for other URLs.

    Examples:
        >>> parse_data_url("data:image/png;base64,iVBORw0KGgo=")
        ('image/png', 'iVBORw0KGgo=')
        >>> parse_data_url("https://example.com/cat.png") is None
        True
    """
    m = _DATA_URL.match(url)
    if m is None:
        return None
    return m.group("mt"), m.group("data")


def plain_data_url(url: str) -> tuple[str, str] | None:
    """``(media_type, data)`` of a data URL that `build_data_url` writes back exactly.

    Examples:
        >>> plain_data_url("data:image/png;base64,AAAA")
        ('image/png', 'AAAA')
        >>> plain_data_url("data:image/png;charset=x;base64,AAAA") is None
        True
    """
    if not url.startswith("data:"):
        return None
    media_type, sep, data = url[5:].partition(";base64,")
    if not sep or not media_type or ";" in media_type or "," in media_type:
        return None
    return media_type, data


def url_source(url: str) -> dict[str, Any]:
    """An AIF source for ``url``: base64 when `plain_data_url` reads it, else a URL.

    Examples:
        >>> url_source("data:image/png;base64,AAAA")
        {'kind': 'base64', 'media_type': 'image/png', 'data': 'AAAA'}
        >>> url_source("https://example.com/cat.png")
        {'kind': 'url', 'url': 'https://example.com/cat.png'}
    """
    parsed = plain_data_url(url)
    if parsed is not None:
        return {"kind": "base64", "media_type": parsed[0], "data": parsed[1]}
    return {"kind": "url", "url": url}


def build_data_url(media_type: str | None, data: str) -> str:
    """Return a base64 ``data:`` URL.

    Examples:
        >>> build_data_url("image/png", "iVBORw0KGgo=")
        'data:image/png;base64,iVBORw0KGgo='
    """
    return f"data:{media_type or 'application/octet-stream'};base64,{data}"


# -- tool-call ids ---------------------------------------------------------------


class IdMapper:
    """Rewrites tool-call ids a target cannot accept, bijectively.

    An id the target accepts is kept. Any other id becomes a sanitized prefix plus a
    hash of the original, so two different ids never map to the same one (the
    mapping is checked against every id in the document), and the call and its
    result get the same new id.

    Args:
        accepts: Whether the target accepts an id as it is.
        sanitize: Turns an id into an acceptable stem (the hash is appended after it).
        max_len: Longest id the target accepts.

    Examples:
        >>> m = IdMapper(lambda s: s.isalnum(), lambda s: "".join(c for c in s if c.isalnum()), 40)
        >>> m.map("call1")
        'call1'
        >>> a, b = m.map("call.1"), m.map("call:1")
        >>> a != b and a.isalnum() and b.isalnum()
        True
    """

    def __init__(
        self, accepts: Callable[[str], bool], sanitize: Callable[[str], str], max_len: int
    ) -> None:
        self._accepts = accepts
        self._sanitize = sanitize
        self._max_len = max_len
        self._forward: dict[str, str] = {}
        self._taken: set[str] = set()

    def reserve(self, ids: set[str]) -> None:
        """Declare the ids already in the document, so no new id collides with one."""
        self._taken |= ids

    def map(self, original: str) -> str:
        """Return the id to write for ``original`` (the same every time)."""
        hit = self._forward.get(original)
        if hit is not None:
            return hit
        if self._accepts(original) and len(original) <= self._max_len:
            new = original
        else:
            new = self._fresh(original)
        self._forward[original] = new
        self._taken.add(new)
        return new

    def changed(self, original: str) -> bool:
        """True when ``original`` was rewritten."""
        return self.map(original) != original

    def _fresh(self, original: str) -> str:
        digest = hashlib.sha256(original.encode()).hexdigest()
        stem = self._sanitize(original)
        for n in range(8, len(digest) + 1, 4):
            suffix = digest[:n]
            room = self._max_len - len(suffix) - 1
            candidate = f"{stem[:room]}_{suffix}" if stem and room > 0 else suffix[: self._max_len]
            if candidate not in self._taken and self._accepts(candidate):
                return candidate
        raise AssertionError(f"no free id for {original!r}")  # 2^-256: unreachable


# -- reasoning --------------------------------------------------------------------

_DATE_SUFFIX = re.compile(r"(-\d{8}|-\d{4}-\d{2}-\d{2}|-latest|@\d{8})$")


def model_family(model: str) -> str:
    """Strip a model name's snapshot suffix (date or ``-latest``).

    Examples:
        >>> model_family("claude-sonnet-4-5-20250929")
        'claude-sonnet-4-5'
        >>> model_family("gpt-4o-2024-08-06")
        'gpt-4o'
    """
    return _DATE_SUFFIX.sub("", model)


def reasoning_replayable(part: ReasoningPart, provider: str, model: str | None) -> bool:
    """True when ``part`` may be sent back to ``provider``/``model``.

    Signed or redacted reasoning is only valid where it was produced: the same
    provider and, when both models are known, the same model family. Plain,
    unsigned reasoning text is valid anywhere that accepts reasoning input.
    """
    if part.signature is None and part.redacted is None:
        return True
    scope = part.valid_for
    if scope is None or scope.provider != provider:
        return False
    if scope.model is None or model is None:
        return True
    return model_family(scope.model) == model_family(model)


# -- extensions --------------------------------------------------------------------


def own_form(extensions: Extensions, namespace: str) -> Mapping[str, JsonValue]:
    """Return the ``form`` hints this format left on an element (empty when none)."""
    ns = extensions.get(namespace)
    if not ns:
        return {}
    form = ns.get("form")
    return cast("Mapping[str, JsonValue]", form) if isinstance(form, dict) else {}


def own_extra(extensions: Extensions, namespace: str) -> Mapping[str, JsonValue]:
    """Return the wire fields this format kept on an element (empty when none)."""
    ns = extensions.get(namespace)
    if not ns:
        return {}
    extra = ns.get("extra")
    return cast("Mapping[str, JsonValue]", extra) if isinstance(extra, dict) else {}


def report_foreign_extensions(
    extensions: Extensions, namespace: str, path: Path, losses: LossLog
) -> None:
    """Log as dropped every ``extra`` field another format kept on an element.

    ``form`` hints are presentation only and are not reported.
    """
    for ns, data in extensions.items():
        if ns == namespace:
            continue
        extra = data.get("extra")
        if isinstance(extra, dict):
            for key in cast("dict[str, Any]", extra):
                losses.add(
                    (*path, "extensions", ns, "extra", key),
                    "dropped",
                    f"{namespace}/no-field",
                    "warning",
                    f"{ns} field {key!r} has no equivalent in {namespace}",
                )
        elif data and "form" not in data:
            losses.add(
                (*path, "extensions", ns),
                "dropped",
                f"{namespace}/no-field",
                "warning",
                f"{ns} extension data has no equivalent in {namespace}",
            )


# -- JSON values -------------------------------------------------------------------


def ensure_json(body: Any) -> None:
    """Raise an `InvalidInputError` at the first value in ``body`` that is not JSON.

    AIF does not validate vendor data and arguments value by value (it would cost
    more than the rest of a conversion); one pass of the C serializer proves the
    whole body is JSON, and only a failure pays for the walk that finds where.
    """
    if not is_json(body):
        raise fail(_first_non_json(body, ()) or (), "input was not a valid JSON value")


def is_json(value: Any) -> bool:
    """True when the C serializer takes ``value`` (the test `ensure_json` applies)."""
    try:
        _serialize(value)
    except (TypeError, ValueError, RecursionError):
        return False
    return True


_serialize = _encoder(json.JSONEncoder(check_circular=False).encode)
"""Takes and refuses what ``json.dumps(value, check_circular=False)`` does (a cycle
recurses until RecursionError)."""


def _first_non_json(value: Any, path: Path) -> Path | None:
    if value is None or isinstance(value, str | bool | int | float):
        return None
    if isinstance(value, list | tuple):
        items = cast("list[Any]", value)
        for i, item in enumerate(items):
            hit = _first_non_json(item, (*path, i))
            if hit is not None:
                return hit
        return None
    if isinstance(value, dict):
        for key, item in cast("dict[Any, Any]", value).items():
            if not isinstance(key, str):
                return (*path, str(key))
            hit = _first_non_json(item, (*path, key))
            if hit is not None:
                return hit
        return None
    return path
