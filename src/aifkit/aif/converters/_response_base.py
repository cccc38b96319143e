"""The `ResponseConverter` protocol and what the per-format response codecs share.

A response's assistant message is written in the same blocks a request's
assistant turn is, so the response codecs reuse the request converters for it:
the message is read as the assistant turn of a minimal request body and written
as the assistant turn of a minimal document. Loss paths are moved from those
synthetic request paths onto the response (``("message", "parts", 2)``) and
from there, through the response's `SourceMap`, into the source body.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, cast

from aifkit.aif._loss import LossLog, Path, SourceMap
from aifkit.aif._response import FinishReason, Response, Usage
from aifkit.aif._schema import (
    Document,
    Extensions,
    Message,
    Provenance,
    TextPart,
    Tool,
    ToolCallPart,
    ToolResultPart,
)
from aifkit.aif.converters._base import Encoded, EncodeOptions, Violation
from aifkit.aif.converters._checks import RuleChecker
from aifkit.aif.converters._common import fail, own_extra, own_form

__all__ = [
    "DecodedResponse",
    "ResponseConverter",
    "UsageField",
    "decode_message",
    "encode_message",
]

Obj = dict[str, Any]

UsageField = str
"""A `Usage` attribute name: ``input_tokens``, ``cache_read_tokens``, ..."""

_USAGE_FIELDS: tuple[UsageField, ...] = (
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "total_tokens",
)


@dataclass(frozen=True, slots=True)
class DecodedResponse:
    """What `ResponseConverter.decode_response` returns.

    Attributes:
        response: The AIF response.
        source_map: AIF response paths -> source paths, for loss pointers.
        losses: What decoding itself changed (paths are source paths).
    """

    response: Response
    source_map: SourceMap = field(default_factory=SourceMap)
    losses: LossLog = field(default_factory=LossLog)


class ResponseConverter(Protocol):
    """A wire format's non-streamed response body, read into AIF and written back.

    ``decode_response(body)`` then ``encode_response(response)`` must return a body
    equal to ``body``; ``encode_response`` logs, against AIF response paths,
    everything the format cannot carry.
    """

    name: str
    """The format's name, the same as its request `Converter`'s."""

    def decode_response(self, body: Any) -> DecodedResponse:
        """Read a response body.

        Raises:
            InvalidInputError: the body is malformed; the pointer names where.
        """
        ...

    def encode_response(self, response: Response, options: EncodeOptions) -> Encoded:
        """Write an AIF response as this format's response body."""
        ...

    def validate_response(self, body: Any) -> list[Violation]:
        """Return every rule of this format's responses that ``body`` breaks."""
        ...


class ResponseCodec:
    """The parts of a `ResponseConverter` every format shares.

    A subclass sets ``name``, its finish-reason table and implements
    ``_decode`` / ``_encode``.
    """

    name: str = ""
    finish_reasons: ClassVar[Mapping[str, FinishReason]] = {}
    """The format's finish words -> AIF's; the first word listed for an AIF reason
    is the one written for it."""

    def decode_response(self, body: Any) -> DecodedResponse:
        """Read a response body (see `ResponseConverter.decode_response`)."""
        obj = _expect_obj(body, ())
        sm = SourceMap()
        losses = LossLog()
        response = self._decode(obj, sm, losses)
        prov = Provenance(format=self.name, model=response.model, created_at=response.created_at)
        return DecodedResponse(response.model_copy(update={"provenance": prov}), sm, losses)

    def encode_response(self, response: Response, options: EncodeOptions) -> Encoded:
        """Write a response body (see `ResponseConverter.encode_response`)."""
        losses = LossLog()
        body = self._encode(response, options, losses)
        return Encoded(body, losses)

    def validate_response(self, body: Any) -> list[Violation]:
        """Return the rules ``body`` breaks: for now, whatever stops it decoding."""
        checker = RuleChecker(self.name)
        checker.schema(self.decode_response, body)
        return checker.found

    def _decode(self, body: Obj, sm: SourceMap, losses: LossLog) -> Response:
        raise NotImplementedError

    def _encode(self, response: Response, options: EncodeOptions, losses: LossLog) -> Obj:
        raise NotImplementedError

    # -- finish reasons --------------------------------------------------------

    def read_finish(self, raw: Any, path: Path) -> tuple[FinishReason | None, str | None]:
        """Map the format's finish word to AIF's; keep the word itself."""
        if raw is None:
            return None, None
        word = _expect_str(raw, path)
        return self.finish_reasons.get(word, "other"), word

    def write_finish(self, response: Response, losses: LossLog) -> str | None:
        """Return the format's word for ``response``'s finish reason.

        The provider's own word is written back when this format has it with the
        same meaning (so a same-format round trip is exact); a reason the format
        has no word for is written as its nearest word and reported.
        """
        reason, raw = response.finish_reason, response.raw_finish_reason
        own = response.provenance is not None and response.provenance.format == self.name
        if raw is not None and (own or self.finish_reasons.get(raw) == (reason or "other")):
            return raw
        if reason is None:
            return None
        for word, mapped in self.finish_reasons.items():
            if mapped == reason:
                return word
        fallback = next(iter(self.finish_reasons))
        losses.add(
            ("finish_reason",),
            "transformed",
            f"{self.name}/finish-reason",
            "warning",
            f"finish reason {raw or reason!r} has no equivalent in {self.name}; "
            f"written as {fallback!r}",
        )
        return fallback

    # -- usage and extensions --------------------------------------------------

    def drop_usage(
        self, usage: Usage | None, carried: Sequence[UsageField], losses: LossLog
    ) -> None:
        """Report every usage count set on ``usage`` that this format has no field for."""
        if usage is None:
            return
        implied = usage.total_tokens == add(usage.input_tokens, usage.output_tokens)
        for name in _USAGE_FIELDS:
            if name == "total_tokens" and implied:
                continue  # the sum of the two counts every format carries
            if name not in carried and getattr(usage, name) is not None:
                losses.add(
                    ("usage", name),
                    "dropped",
                    f"{self.name}/no-usage-field",
                    "info",
                    f"{self.name} responses carry no {name.replace('_', ' ')} count",
                )

    def drop_fields(self, response: Response, carried: Sequence[str], losses: LossLog) -> None:
        """Report the reply's id, model and creation time where this format has no field."""
        for name in ("id", "model", "created_at"):
            if name not in carried and getattr(response, name) is not None:
                losses.add(
                    (name,),
                    "dropped",
                    f"{self.name}/no-field",
                    "info",
                    f"{self.name} responses carry no {name.replace('_', ' ')}",
                )

    def foreign(self, extensions: Extensions, path: Path, losses: LossLog) -> None:
        """Report as dropped the ``extra`` fields another format kept at ``path``."""
        for ns, data in extensions.items():
            if ns == self.name:
                continue
            extra = data.get("extra")
            if isinstance(extra, dict):
                for key in cast("dict[str, Any]", extra):
                    losses.add(
                        (*path, "extensions", ns, "extra", key),
                        "dropped",
                        f"{self.name}/no-field",
                        "warning",
                        f"{ns} response field {key!r} has no equivalent in {self.name}",
                    )

    def read_usage(
        self, obj: Obj, path: Path, spec: Mapping[str, str], sm: SourceMap
    ) -> tuple[dict[str, int | None], Extensions]:
        """Read a usage object: the counts ``spec`` names (dotted wire key -> name),
        and every other field, flattened, as ``extra``."""
        counts: dict[str, int | None] = {}
        extra: Obj = {}
        nulls: list[str] = []
        flat = flatten(obj)
        for key, value in flat.items():
            name = spec.get(key)
            if name is None:
                extra[key] = value
                sm.add(("usage", "extensions", self.name, "extra", key), dotted(path, key))
                continue
            if value is None:
                nulls.append(key)
            elif isinstance(value, bool) or not isinstance(value, int):
                raise fail(
                    dotted(path, key), f"expected an integer token count, got {_kind(value)}"
                )
            counts[name] = value
            if name in _USAGE_FIELDS:
                sm.add(("usage", name), dotted(path, key))
        form: Obj = {"keys": list(flat)}
        if nulls:
            form["null"] = nulls
        return counts, self.ext(extra, form)

    def write_usage(
        self,
        usage: Usage,
        spec: Mapping[str, str],
        counts: Mapping[str, int | None],
        losses: LossLog,
    ) -> Obj:
        """Write a usage object from wire ``counts`` (by ``spec`` name) and this format's extras.

        Reports the `Usage` counts ``spec`` has no key for and other formats' extras.
        """
        form, extra = self.own(usage.extensions)
        nulls = set(cast("list[str]", form.get("null", [])))
        flat: Obj = {}
        for key, name in spec.items():
            value = counts.get(name)
            if value is not None or key in nulls:
                flat[key] = value
        flat.update(extra)
        self.drop_usage(usage, tuple(spec.values()), losses)
        self.foreign(usage.extensions, ("usage",), losses)
        return unflatten(shape(flat, form.get("keys")))

    def keep_extra(self, extra: Obj, aif: Path, source: Path, sm: SourceMap) -> None:
        """Map each kept ``extra`` field of the element at ``aif`` to its source path."""
        for key in extra:
            sm.add((*aif, "extensions", self.name, "extra", key), (*source, key))

    turns_key: str = "messages"
    """Where the request body lists its turns."""
    empty_turn: ClassVar[Mapping[str, Any]] = {"role": "assistant", "content": ""}
    """The assistant turn written for a reply with no content."""

    def assistant_turn(self, message: Message, options: EncodeOptions, losses: LossLog) -> Obj:
        """Write ``message`` as this format's assistant turn, through the request encoder.

        A turn the request rules drop (no content left) is written as `empty_turn`:
        a response may be empty where a request turn may not.
        """
        scratch = LossLog()
        body = encode_message(self.name, message, options, scratch)
        turns = body.get(self.turns_key)
        if isinstance(turns, list) and len(cast("list[Any]", turns)) > 1:
            turn = cast("list[Any]", turns)[1]
            if isinstance(turn, dict) and cast("Obj", turn).get("role") in ("assistant", "model"):
                losses.raw.extend(scratch.raw)
                return cast("Obj", turn)
        losses.raw.extend(r for r in scratch.raw if r.path != ("message",))
        return {k: (list(v) if isinstance(v, list) else v) for k, v in self.empty_turn.items()}  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]

    def fill(self, value: Any, default: Any, path: Path, what: str, losses: LossLog) -> Any:
        """Return ``value``, or ``default`` (reported as synthesized) when it is unset."""
        if value is not None:
            return value
        losses.add(
            path,
            "synthesized",
            f"{self.name}/required-field",
            "info",
            f"{self.name} responses require {what}; wrote {default!r}",
        )
        return default

    def ext(self, extra: Obj, form: Obj | None = None) -> Extensions:
        """Return extensions holding ``extra`` and ``form`` under this format's name."""
        data: Obj = {}
        if extra:
            data["extra"] = extra
        if form:
            data["form"] = form
        return {self.name: data} if data else {}

    def own(self, extensions: Extensions) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        """Return this format's ``(form, extra)`` on an element."""
        return own_form(extensions, self.name), own_extra(extensions, self.name)


# -- the assistant message, through the request converters --------------------------


def decode_message(
    format: str,
    request: Obj,
    index: int,
    wire_prefix: Path,
    source_prefix: Path,
    sm: SourceMap,
    losses: LossLog,
) -> Message:
    """Read the assistant turn ``index`` of a synthetic ``format`` request body.

    ``wire_prefix`` is where the turn sits in ``request`` (``("messages", 1)``);
    ``source_prefix`` where it sits in the response body (``("choices", 0,
    "message")``). Source-map entries and decode losses are moved accordingly.
    """
    from aifkit.aif._convert import FORMATS  # the registry imports this module's users

    decoded = FORMATS.get(format).decode(request)
    messages = decoded.document.messages
    if index >= len(messages):  # pragma: no cover - the wrapper always yields the turn
        raise fail(source_prefix, "the reply has no assistant message")
    own: Path = ("messages", index)
    for aif_path, wire_path in decoded.source_map.entries.items():
        if aif_path[:2] == own:
            sm.add(("message", *aif_path[2:]), _move(wire_path, wire_prefix, source_prefix))
    sm.add(("message",), source_prefix)
    message = messages[index]
    # Extra fields kept on the message and its parts point at the wire key they came from.
    for at, element in (
        (("message",), message),
        *((("message", "parts", k), p) for k, p in enumerate(message.parts)),
    ):
        for key in own_extra(element.extensions, format):
            path = (*at, "extensions", format, "extra", key)
            wire = _move(sm.translate(path), source_prefix, wire_prefix)
            if not _exists(request, wire):
                sm.add(path, (*sm.translate(at), key))
    for raw in decoded.losses.raw:
        losses.add(
            _move(_existing(request, raw.path), wire_prefix, source_prefix),
            raw.action,
            raw.rule,
            raw.severity,
            raw.detail,
        )
    return message


def encode_message(
    format: str,
    message: Message,
    options: EncodeOptions,
    losses: LossLog,
    *,
    user_text: str = ".",
) -> Obj:
    """Write ``message`` as the assistant turn of a synthetic ``format`` request.

    The document around it (a user turn before, results for its tool calls after,
    a declaration for each tool it calls) exists only so the request encoder's
    rules hold; the caller picks the assistant turn out of the returned body.
    Only losses inside the message are kept, moved to ``("message", ...)``.
    """
    from aifkit.aif._convert import FORMATS

    calls = [p for p in message.parts if isinstance(p, ToolCallPart)]
    turns = [Message(role="user", parts=(TextPart(text=user_text),)), message]
    if calls:
        results = tuple(ToolResultPart(call_id=c.id, content=(TextPart(text="."),)) for c in calls)
        turns.append(Message(role="tool", parts=results))
    else:  # formats that want a conversation to end on a user turn
        turns.append(Message(role="user", parts=(TextPart(text=user_text),)))
    names = dict.fromkeys(c.name for c in calls)
    tools = tuple(Tool(name=n, parameters={"type": "object"}) for n in names)
    doc = Document(messages=tuple(turns), tools=tools)
    encoded = FORMATS.get(format).encode(doc, options)
    own: Path = ("messages", 1)
    for raw in encoded.losses.raw:
        if raw.path[:2] == own:
            losses.add(("message", *raw.path[2:]), raw.action, raw.rule, raw.severity, raw.detail)
    return cast("Obj", encoded.body)


def _exists(body: Any, path: Path) -> bool:
    node = body
    for step in path:
        if (
            isinstance(node, list)
            and isinstance(step, int)
            and 0 <= step < len(cast("list[Any]", node))
        ):
            node = cast("list[Any]", node)[step]
        elif isinstance(node, dict) and step in node:
            node = cast("Obj", node)[cast("str", step)]
        else:
            return False
    return True


def _existing(body: Any, path: Path) -> Path:
    """The longest prefix of ``path`` that names something in ``body``."""
    for cut in range(len(path), 0, -1):
        if _exists(body, path[:cut]):
            return path[:cut]
    return ()


def nearest(body: Any, pointer_path: Path) -> Path:
    """The longest prefix of a loss path that names something in the source body."""
    return _existing(body, pointer_path)


def _move(path: Path, old: Path, new: Path) -> Path:
    n = len(old)
    return (*new, *path[n:]) if path[:n] == old else path


# -- small readers ----------------------------------------------------------------


def _expect_obj(value: Any, path: Path) -> Obj:
    if not isinstance(value, dict):
        raise fail(path, f"expected an object, got {_kind(value)}")
    return cast("Obj", value)


def _expect_str(value: Any, path: Path) -> str:
    if not isinstance(value, str):
        raise fail(path, f"expected a string, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def expect_obj(value: Any, path: Path) -> Obj:
    """Return ``value`` as an object, or raise an `InvalidInputError` at ``path``."""
    return _expect_obj(value, path)


def expect_list(value: Any, path: Path) -> list[Any]:
    """Return ``value`` as an array, or raise an `InvalidInputError` at ``path``."""
    if not isinstance(value, list):
        raise fail(path, f"expected an array, got {_kind(value)}")
    return cast("list[Any]", value)


def read_count(obj: Mapping[str, Any], key: str, path: Path) -> int | None:
    """Return the token count at ``obj[key]`` (``None`` when absent or null)."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail((*path, key), f"expected an integer token count, got {_kind(value)}")
    return value


def rest(obj: Mapping[str, Any], known: frozenset[str]) -> Obj:
    """Return the fields of ``obj`` not in ``known`` (kept as ``extra``)."""
    return {k: v for k, v in obj.items() if k not in known}


def put(out: Obj, key: str, value: Any, present: bool) -> None:
    """Set ``out[key]`` when ``value`` is set or the source had the key (as null)."""
    if value is not None or present:
        out[key] = value


def epoch(value: Any, path: Path) -> datetime | None:
    """Read a Unix-seconds timestamp."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(path, f"expected Unix seconds, got {_kind(value)}")
    return datetime.fromtimestamp(value, UTC)


def to_epoch(value: datetime | None) -> int | None:
    """Write a timestamp as Unix seconds."""
    return None if value is None else int(value.timestamp())


def sub(a: int | None, *b: int | None) -> int | None:
    """``a`` minus every set ``b`` (``None`` when ``a`` is)."""
    if a is None:
        return None
    return a - sum(x for x in b if x is not None)


def add(*values: int | None) -> int | None:
    """The sum of the set ``values`` (``None`` when none is)."""
    got = [v for v in values if v is not None]
    return sum(got) if got else None


def flatten(obj: Mapping[str, Any], prefix: str = "") -> Obj:
    """Return ``obj`` with nested objects flattened to dotted keys (``a.b``).

    An empty nested object stays a value, so `unflatten` restores it.
    """
    out: Obj = {}
    for key, value in obj.items():
        if isinstance(value, dict) and value:
            out.update(flatten(cast("Obj", value), f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def unflatten(flat: Mapping[str, Any]) -> Obj:
    """Undo `flatten`."""
    out: Obj = {}
    for key, value in flat.items():
        *parents, last = key.split(".")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return out


def shape(full: Mapping[str, Any], keys: Any, fixed: frozenset[str] = frozenset()) -> Obj:
    """Lay out an object: the source's ``keys`` first, in order, as they were (null
    included), then every other field of ``full`` that is set.

    A ``fixed`` field (a constant such as ``object`` or ``index``) is written only
    when the source had it, or when there is no source layout.
    """
    out: Obj = {}
    given = isinstance(keys, list)
    if given:
        for k in cast("list[Any]", keys):
            if isinstance(k, str):
                out[k] = full.get(k)
    for k, v in full.items():
        if k not in out and v is not None and not (given and k in fixed):
            out[k] = v
    return out


def dotted(path: Path, key: str) -> Path:
    """The source path of a dotted key under ``path``."""
    return (*path, *key.split("."))
