"""Counting the input tokens of a whole request: `count_tokens` and `calibrate`."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from aifkit.aif._schema import Document
from aifkit.errors import UsageError
from aifkit.tokens._cache import DEFAULT_CACHE, CountCache
from aifkit.tokens._estimate import Estimator
from aifkit.tokens._framing import Piece, count_item, count_tools
from aifkit.tokens._models import ModelInfo, get_model
from aifkit.tokens._tokenizer import Tokenizer, get_tokenizer

if TYPE_CHECKING:
    import httpx2

__all__ = ["TokenCount", "calibrate", "count_tokens"]

Method = Literal["tokenizer", "estimate", "provider"]


@dataclass(frozen=True, slots=True)
class TokenCount:
    """The input tokens of a request, as the provider counts them, and their parts.

    ``total`` equals ``instructions + sum(messages) + tools + overhead``, except when
    ``method`` is ``"provider"``: then ``total`` is the provider's own count and the
    parts are estimates. The true count lies within ``total ± error_bound``; an
    ``exact`` count has a bound of 0.

    Attributes:
        total: Input tokens of the whole request.
        messages: Tokens of each message, in order.
        instructions: Tokens of the system and developer instructions.
        tools: Tokens of the tool definitions (and any tool-use prompt they add).
        overhead: Tokens the framing adds once (priming the reply).
        exact: Whether ``total`` is what the provider bills.
        error_bound: How far from ``total`` the true count may be.
        tokenizer: The tokenizer that counted the text.
        model: The model's canonical name.
        method: ``"tokenizer"`` (the model's own), ``"estimate"`` or ``"provider"``.
    """

    total: int
    messages: tuple[int, ...]
    instructions: int
    tools: int
    overhead: int
    exact: bool
    error_bound: int
    tokenizer: str
    model: str
    method: Method

    def to_json(self) -> dict[str, Any]:
        """Return the count as a JSON-ready dict."""
        return {
            "model": self.model,
            "tokenizer": self.tokenizer,
            "method": self.method,
            "total": self.total,
            "exact": self.exact,
            "error_bound": self.error_bound,
            "instructions": self.instructions,
            "tools": self.tools,
            "overhead": self.overhead,
            "messages": list(self.messages),
        }


@dataclass(frozen=True, slots=True)
class _Raw:
    instructions: tuple[Piece, ...]
    messages: tuple[Piece, ...]
    tools: Piece
    overhead: Piece

    def pieces(self) -> Iterable[Piece]:
        yield from self.instructions
        yield from self.messages
        yield self.tools
        yield self.overhead


def count_tokens(
    body_or_document: Document | Mapping[str, Any],
    *,
    format: str | None = None,
    model: str | None = None,
    estimator: Estimator | None = None,
    tokenizer: Tokenizer | None = None,
    api_key: str | None = None,
    http_client: httpx2.Client | None = None,
    cache: CountCache | None = None,
) -> TokenCount:
    """Count the input tokens a request costs on ``model``.

    Args:
        body_or_document: An AIF `Document`, or a request body in ``format``.
        format: The wire format of a body (see `aifkit.aif.formats`).
        model: The model; default: the one the request names.
        estimator: Replaces the model's estimator (e.g. one from `calibrate`).
        tokenizer: Replaces the model's tokenizer (tests pass counting fakes).
        api_key: For Anthropic models only: ask the provider's count endpoint for
            the exact total. Without it, nothing leaves the process.
        http_client: The client for that call; default: a new one.
        cache: Where per-message counts are kept; default: a process-wide LRU.

    Raises:
        UsageError: no model is given or named; a body comes without its format.
        UnknownNameError: the model or format is unknown.
        InvalidInputError: the body is malformed.

    Examples:
        >>> from aifkit.aif import Document, Message, TextPart
        >>> doc = Document(messages=(Message(role="user", parts=(TextPart(text="Hello!"),)),))
        >>> n = count_tokens(doc, model="gpt-4o")
        >>> n.total, n.messages, n.overhead, n.exact
        (9, (6,), 3, True)
        >>> count_tokens(doc, model="claude-sonnet-4-5").method
        'estimate'
    """
    # A model given is checked before the body is read: an unknown one costs nothing.
    info = get_model(model) if model else None
    doc = _as_document(body_or_document, format)
    name = model or doc.settings.model
    if not name:
        raise UsageError(
            "no model given and the request names none",
            hint="pass model=...",
            cli_hint="pass --model",
        )
    info = info or get_model(name)
    tok = tokenizer or get_tokenizer(info.tokenizer)
    raw = _raw_count(doc, info, tok, cache if cache is not None else DEFAULT_CACHE)
    result = _scale(raw, info, tok, estimator or info.estimator)
    if api_key is not None and info.provider == "anthropic":
        from aifkit.tokens._remote import anthropic_count

        total = anthropic_count(doc, name, api_key, client=http_client)
        return TokenCount(
            total, result.messages, result.instructions, result.tools, result.overhead,
            True, 0, result.tokenizer, result.model, "provider",
        )  # fmt: skip
    return result


def calibrate(samples: Iterable[tuple[str | Document, int]], *, model: str) -> Estimator:
    """Fit ``model``'s estimator to token counts its provider reported.

    Args:
        samples: ``(text or document, reported input tokens)`` pairs, e.g. requests
            you sent with the ``usage.input_tokens`` the response gave.
        model: The model they were sent to.

    Returns:
        A new estimator: pass it to `count_tokens` (``estimator=``).

    Raises:
        UsageError: no sample has a positive count.

    Examples:
        >>> est = calibrate([("Hello, world", 5), ("How are you today?", 7)], model="claude-haiku-4-5")
        >>> round(est.ratio, 2), est.samples
        (1.51, 2)
    """
    info = get_model(model)
    tok = get_tokenizer(info.tokenizer)
    pairs: list[tuple[int, int]] = []
    for sample, reported in samples:
        if isinstance(sample, str):
            pairs.append((tok.count(sample), reported))
            continue
        raw = _raw_count(sample, info, tok, DEFAULT_CACHE)
        text = sum(p.text for p in raw.pieces())
        fixed = sum(p.fixed for p in raw.pieces())  # images etc. are counted by rule, not scaled
        pairs.append((text, reported - fixed))
    base = info.estimator or Estimator(info.provider, 1.0, 0.0)
    return base.fit(pairs)


def _as_document(body: Document | Mapping[str, Any], format: str | None) -> Document:
    if isinstance(body, Document):
        return body
    if format is None:
        raise UsageError(
            "a request body needs its format",
            hint='pass format="openai-chat" (or another format)',
            cli_hint="pass --format",
        )
    from aifkit.aif import decode

    document, _ = decode(body, format)
    return document


def _raw_count(doc: Document, info: ModelInfo, tok: Tokenizer, cache: CountCache) -> _Raw:
    framing, images = info.framing, info.images
    salt = f"{tok.name}|{framing!r}|{images.key}"
    instructions = tuple(
        cache.get(item, salt, lambda item=item: count_item(item, tok, framing, images))
        for item in doc.instructions
    )
    messages = tuple(
        cache.get(item, salt, lambda item=item: count_item(item, tok, framing, images))
        for item in doc.messages
    )
    tools = count_tools(doc.tools, doc.settings.tool_choice, tok, framing)
    return _Raw(instructions, messages, tools, Piece(framing.reply))


def _scale(raw: _Raw, info: ModelInfo, tok: Tokenizer, est: Estimator | None) -> TokenCount:
    def tokens(piece: Piece) -> int:
        return (round(piece.text * est.ratio) if est else piece.text) + piece.fixed

    messages = tuple(tokens(p) for p in raw.messages)
    instructions = sum(tokens(p) for p in raw.instructions)
    tools, overhead = tokens(raw.tools), tokens(raw.overhead)
    total = instructions + sum(messages) + tools + overhead
    bound = sum(p.bound for p in raw.pieces())
    exact = all(p.exact for p in raw.pieces())
    if est is not None:
        scaled_text = sum(round(p.text * est.ratio) for p in raw.pieces())
        bound += math.ceil(scaled_text * est.relative_error)
        exact = False
    return TokenCount(
        total, messages, instructions, tools, overhead, exact and bound == 0, bound,
        tok.name, info.name, "estimate" if est else "tokenizer",
    )  # fmt: skip
