"""The `ResponseConverter` protocol and `ResponseCodec`, the base every format's
response codec builds on: finish reasons, usage, extensions and the assistant
turn (written through the format's request converter, see `_response_message`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, cast

from aifkit.aif._loss import LossLog, Path, SourceMap
from aifkit.aif._response import FinishReason, Response, Usage
from aifkit.aif._schema import Extensions, Message, Provenance
from aifkit.aif.converters._base import Encoded, EncodeOptions, Violation
from aifkit.aif.converters._checks import RuleChecker
from aifkit.aif.converters._common import fail, own_extra, own_form
from aifkit.aif.converters._response_message import encode_message
from aifkit.aif.converters._response_wire import (
    Obj,
    add,
    dotted,
    expect_obj,
    expect_str,
    flatten,
    kind,
    shape,
    unflatten,
)

__all__ = ["DecodedResponse", "ResponseCodec", "ResponseConverter"]

_MEDIA = frozenset({"image", "document", "audio"})

_USAGE_FIELDS = (
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
        obj = expect_obj(body, ())
        sm = SourceMap()
        losses = LossLog()
        response = self._decode(obj, sm, losses)
        prov = Provenance(format=self.name, model=response.model, created_at=response.created_at)
        return DecodedResponse(response.model_copy(update={"provenance": prov}), sm, losses)

    def decode_usage(self, body: Any) -> Usage | None:
        """Read only a response body's usage, without the rest of it (what a proxy
        passing the body on unchanged needs); raises as `decode_response` would
        on a malformed usage."""
        return self._read_usage(expect_obj(body, ()), SourceMap())

    def _read_usage(self, body: Obj, sm: SourceMap) -> Usage | None:
        return self._decode(body, sm, LossLog()).usage

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
        word = expect_str(raw, path)
        return self.finish_reasons.get(word, "other"), word

    def write_finish(self, response: Response, losses: LossLog) -> str | None:
        """Return the format's word for ``response``'s finish reason.

        The provider's own word is written back when this format has it with the
        same meaning (so a same-format round trip is exact); a reason the format
        has no word for is written as its nearest word and reported.
        """
        reason, raw = response.finish_reason, response.raw_finish_reason
        # A word this format did not list is still its own when it read it (a new
        # provider word, normalized to "other").
        own = response.provenance is not None and response.provenance.format == self.name
        if raw is not None and self.finish_reasons.get(raw, "other" if own else None) == (
            reason or "other"
        ):
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
                raise fail(dotted(path, key), f"expected an integer token count, got {kind(value)}")
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
