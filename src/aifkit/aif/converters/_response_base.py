"""The `ResponseConverter` protocol and `ResponseCodec`, the base every format's
response codec builds on: finish reasons, usage, extensions and the assistant
turn (written through the format's request converter, see `_response_message`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol, cast, get_args

from pydantic import ValidationError

from aifkit._json import type_name
from aifkit.aif._loss import LossLog, Path, SourceMap
from aifkit.aif._response import FinishReason, Response, Usage
from aifkit.aif._schema import Message, Provenance
from aifkit.aif._vocab import FinishWords, UsageField, UsageFields
from aifkit.aif.converters._base import Encoded, EncodeOptions, Violation
from aifkit.aif.converters._checks import RuleChecker
from aifkit.aif.converters._common import expect_obj, expect_str, fail
from aifkit.aif.converters._response_message import decode_message, encode_message
from aifkit.aif.converters._response_wire import (
    Obj,
    add,
    dotted,
    flatten,
    shape,
    unflatten,
)
from aifkit.aif.converters._wire import ext, hint_keys, make_ext, unknown_keys

__all__ = ["DecodedResponse", "ResponseCodec", "ResponseConverter"]

_MEDIA = frozenset({"image", "document", "audio"})

_USAGE_FIELDS: tuple[str, ...] = get_args(UsageField)


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

    A subclass sets ``name``, its vocabulary (`finish`, `usage_fields`, shared with
    its stream codec, see `aifkit.aif._vocab`) and implements ``_decode`` / ``_encode``.
    """

    name: str = ""
    finish: ClassVar[FinishWords]
    """The format's finish words."""
    usage_fields: ClassVar[UsageFields]
    """The format's usage counts."""
    usage_key: ClassVar[str] = "usage"
    """Where a body holds its usage object."""
    reply_keys: ClassVar[Mapping[str, str]] = {}
    """Where a body holds the reply's ``id``, ``model`` and ``created_at``: AIF field ->
    the body's key (Gemini's id is ``responseId``); see `reply`."""

    def decode_response(self, body: Any) -> DecodedResponse:
        """Read a response body (see `ResponseConverter.decode_response`)."""
        obj = expect_obj(body, ())
        sm = SourceMap()
        losses = LossLog()
        try:
            response = self._decode(obj, sm, losses)
        except ValidationError as exc:  # a top-level value of the wrong type (a model of 5)
            err = exc.errors()[0]
            where = sm.translate(tuple(err["loc"]))
            problem = f"{err['msg'].lower()}, got {type_name(err['input'])}"
            raise fail(where, problem, hint=f"send what {self.name} responses hold there") from None
        prov = Provenance(format=self.name, model=response.model, created_at=response.created_at)
        return DecodedResponse(response.model_copy(update={"provenance": prov}), sm, losses)

    def decode_usage(self, body: Any) -> Usage | None:
        """Read only a response body's usage, without the rest of it (what a proxy
        passing the body on unchanged needs); raises as `decode_response` would
        on a malformed usage."""
        return self._read_usage(expect_obj(body, ()), SourceMap())

    def _read_usage(self, body: Obj, sm: SourceMap) -> Usage | None:
        # The usage object alone: a proxy reads it off a reply it passes on, whatever
        # the rest holds. A format whose counts live elsewhere overrides this.
        return self.read_usage(body, sm)

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

    def read_finish(
        self, raw: Any, path: Path, *, calls: bool = False
    ) -> tuple[FinishReason | None, str | None]:
        """Map the format's finish word to AIF's (``calls``: the reply called tools);
        keep the word itself."""
        if raw is None:
            return None, None
        word = expect_str(raw, path)
        return self.finish.reason(word, calls=calls), word

    def write_finish(self, response: Response, losses: LossLog) -> str | None:
        """Return the format's word for ``response``'s finish reason.

        The provider's own word is written back when this format has it with the
        same meaning (so a same-format round trip is exact); a reason the format
        has no word for is written as its nearest word and reported.
        """
        reason, raw = response.finish_reason, response.raw_finish_reason
        own = response.provenance is not None and response.provenance.format == self.name
        word, exact = self.finish.word(reason, raw, own=own)
        if not exact:
            losses.add(
                ("finish_reason",),
                "transformed",
                f"{self.name}/finish-reason",
                "warning",
                f"finish reason {raw or reason!r} has no equivalent in {self.name}; "
                f"written as {word!r}",
            )
        return word

    # -- usage and extensions --------------------------------------------------

    def drop_usage(self, usage: Usage | None, carried: Sequence[str], losses: LossLog) -> None:
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

    def read_usage(self, body: Obj, sm: SourceMap) -> Usage | None:
        """Read the usage object at ``usage_key``: the counts `usage_fields` names, and
        every other field, flattened, as ``extra``."""
        if body.get(self.usage_key) is None:
            return None
        path: Path = (self.usage_key,)
        obj = expect_obj(body[self.usage_key], path)
        fields = self.usage_fields.keys
        counts: dict[str, int | None] = {}
        extra: Obj = {}
        nulls: list[str] = []
        flat = flatten(obj)
        for key, value in flat.items():
            name = fields.get(key)
            if name is None:
                extra[key] = value
                sm.add(("usage", "extensions", self.name, "extra", key), dotted(path, key))
                continue
            if value is None:
                nulls.append(key)
            elif isinstance(value, bool) or not isinstance(value, int):
                raise fail(
                    dotted(path, key), f"expected an integer token count, got {type_name(value)}"
                )
            counts[key] = value
            sm.add(("usage", name), dotted(path, key))
        form: Obj = {"keys": list(flat)}
        if nulls:
            form["null"] = nulls
        return Usage(
            **self.usage_fields.to_aif(counts),  # pyright: ignore[reportArgumentType]
            extensions=make_ext(self.name, form, extra),
        )

    def write_usage(self, usage: Usage, losses: LossLog, *, fill: bool = False) -> Obj:
        """Write a usage object: the counts `usage_fields` names and this format's extras
        (``fill``: write the counts the format requires, 0 when unknown).

        Reports the `Usage` counts the format has no key for and other formats' extras.
        """
        form, extra = ext(usage.extensions, self.name, ("usage",), losses)
        nulls = set(hint_keys(form, "null"))
        listed = form.get("keys")
        flat: Obj = {}
        for key, value in self.usage_fields.to_wire(usage, fill=fill).items():
            if value is not None or key in nulls:
                flat[key] = value
        if isinstance(listed, list):
            # Gemini leaves out a count of 0 (a reply that was all reasoning).
            shown = self.usage_fields.derived_zero(usage)
            if shown is not None and shown not in listed:
                flat.pop(shown, None)
        flat.update(extra)
        self.drop_usage(usage, tuple(self.usage_fields.keys.values()), losses)
        return unflatten(shape(flat, listed))

    def keep_alternatives(
        self, alternatives: list[Any], key: str, extra: Obj, sm: SourceMap
    ) -> None:
        """Keep the replies after the first (``n > 1``) verbatim as ``extra[key]``.

        An AIF response holds one reply; the others travel as this format's data, so
        a same-format round trip is exact and any other target reports them dropped
        at their source pointer (``/choices/1``).
        """
        if len(alternatives) > 1:
            extra[key] = alternatives[1:]
            sm.add(("extensions", self.name, "extra", key), (key, 1))

    def top_extra(
        self, body: Obj, known: frozenset[str], sm: SourceMap, *, nulls: bool = True
    ) -> Obj:
        """The fields of ``body`` not in ``known`` (``nulls``: also those set to null), kept
        as this format's extra data and mapped to their source keys."""
        extra = unknown_keys(body, known)
        if not nulls:
            extra = {k: v for k, v in extra.items() if v is not None}
        self.keep_extra(extra, (), (), sm)
        return extra

    def reply(
        self,
        body: Obj,
        message: Message,
        finish: tuple[FinishReason | None, str | None],
        sm: SourceMap,
        *,
        extra: Obj,
        form: Obj | None = None,
    ) -> Response:
        """The decoded `Response`: ``message``, ``finish`` (`read_finish`'s pair), the id,
        model and creation time at `reply_keys` (each mapped for loss pointers), the
        usage, and this format's ``form`` (default: the body's key order) and ``extra``."""
        for name, key in self.reply_keys.items():
            sm.add((name,), (key,))
        keys = self.reply_keys
        usage = self._read_usage(body, sm)  # before the time: the first error is the same
        return Response(
            id=body.get(keys["id"]) if "id" in keys else None,
            model=body.get(keys["model"]) if "model" in keys else None,
            message=message,
            finish_reason=finish[0],
            raw_finish_reason=finish[1],
            usage=usage,
            created_at=self.read_created(body),
            extensions=make_ext(self.name, {"keys": list(body)} if form is None else form, extra),
        )

    def read_created(self, body: Obj) -> datetime | None:
        """The reply's creation time, read from ``reply_keys["created_at"]`` as the format
        writes it (none, unless a format says how)."""
        return None

    def keep_extra(self, extra: Obj, aif: Path, source: Path, sm: SourceMap) -> None:
        """Map each kept ``extra`` field of the element at ``aif`` to its source path."""
        for key in extra:
            sm.add((*aif, "extensions", self.name, "extra", key), (*source, key))

    turns_key: str = "messages"
    """Where the request body lists its turns."""
    user_turn: ClassVar[Mapping[str, Any]] = {"role": "user", "content": "."}
    """The user turn a synthetic request opens with, before the reply's turn."""

    def decode_turn(self, turn: Obj, at: Path, sm: SourceMap, losses: LossLog) -> Message:
        """Read the reply's assistant ``turn`` (at ``at`` in the body) through the request
        converter, as the turn after `user_turn` (see `decode_message`)."""
        request = {self.turns_key: [self.user_turn, turn]}
        return decode_message(self.name, request, 1, (self.turns_key, 1), at, sm, losses)

    empty_turn: ClassVar[Mapping[str, Any]] = {"role": "assistant", "content": ""}
    """The assistant turn written for a reply with no content."""

    output_media: ClassVar[bool] = False
    """Whether the format's replies may hold images, documents or audio (Gemini's do)."""

    def request_with(self, message: Message, options: EncodeOptions, losses: LossLog) -> Obj:
        """Write ``message`` as the assistant turn of a synthetic request (see `encode_message`).

        Media a reply of this format cannot hold are dropped first and reported;
        the encoder's losses keep the part indices of ``message``.
        """
        kept = [
            (k, p) for k, p in enumerate(message.parts) if self.output_media or p.type not in _MEDIA
        ]
        for k, p in enumerate(message.parts):
            if not self.output_media and p.type in _MEDIA:
                losses.add(
                    ("message", "parts", k),
                    "dropped",
                    f"{self.name}/no-output-media",
                    "error",
                    f"{self.name} replies cannot hold {p.type} content",
                )
        if len(kept) < len(message.parts):
            message = message.model_copy(update={"parts": tuple(p for _, p in kept)})
        scratch = LossLog()
        body = encode_message(self.name, message, options, scratch)
        index = [k for k, _ in kept]
        for r in scratch.raw:
            at = r.path[2] if r.path[:2] == ("message", "parts") and len(r.path) > 2 else None
            if isinstance(at, int) and at < len(index):
                r.path = ("message", "parts", index[at], *r.path[3:])
        losses.raw.extend(scratch.raw)
        return body

    def assistant_turn(self, message: Message, options: EncodeOptions, losses: LossLog) -> Obj:
        """Write ``message`` as this format's assistant turn, through the request encoder.

        A turn the request rules drop (no content left) is written as `empty_turn`:
        a response may be empty where a request turn may not.
        """
        scratch = LossLog()
        body = self.request_with(message, options, scratch)
        turns = body.get(self.turns_key)
        if isinstance(turns, list) and len(cast("list[Any]", turns)) > 1:
            turn = cast("list[Any]", turns)[1]
            if isinstance(turn, dict) and cast("Obj", turn).get("role") in ("assistant", "model"):
                losses.raw.extend(scratch.raw)
                return cast("Obj", turn)
        losses.raw.extend(r for r in scratch.raw if r.path != ("message",))
        return {k: (list(v) if isinstance(v, list) else v) for k, v in self.empty_turn.items()}  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]

    def keep_blank_text(
        self, blocks: list[Any], message: Message, losses: LossLog, block: str
    ) -> list[Any]:
        """Put back the blank text blocks the request rules dropped from ``blocks``.

        A request may not carry a whitespace-only text block; a reply may, and
        does (Claude opens some replies with ``"\\n\\n"``). Each part is one block
        here, so the dropped ones go back where their parts were.
        """
        rule = f"{self.name}/empty-text"
        dropped = {
            cast("int", r.path[2])
            for r in losses.raw
            if r.rule == rule and r.path[:2] == ("message", "parts") and len(r.path) == 3
        }
        if not dropped or len(blocks) + len(dropped) != len(message.parts):
            return blocks
        losses.raw[:] = [
            r for r in losses.raw if not (r.rule == rule and r.path[2:3] and r.path[2] in dropped)
        ]
        out = list(blocks)
        for k in sorted(dropped):
            part = message.parts[k]
            text = getattr(part, "text", "")
            out.insert(
                k, {"type": "text", "text": text} if block == "anthropic" else {"text": text}
            )
        return out

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
