"""What each piece of a request costs: the `MessageCounter` seam and its `aifkit.tokens` adapter.

The allocator never tokenizes by itself. It asks a `MessageCounter` for the tokens
of each message (framing included), of each instruction, of the tool block and of
the request's fixed overhead, and for the token ids of each message's text, which
relevance scoring reuses as BM25 terms so that no text is tokenized twice.

`TokensCounter` counts exactly as `aifkit.tokens.count_tokens` does: the total of a
request equals ``overhead + tools + sum(instructions) + sum(messages)``, so the sum
of what the allocator keeps is the count the provider bills for the packed request.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import numpy as np

from aifkit.aif._schema import (
    Document,
    Instruction,
    Message,
    Part,
    ReasoningPart,
    RefusalPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)

if TYPE_CHECKING:
    import numpy.typing as npt

    from aifkit.tokens import TokenCount, Tokenizer

__all__ = ["EMPTY_TERMS", "Batch", "Measure", "MessageCounter", "TokensCounter"]

_canonical_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
"""`aifkit._json.canonical_json`, with the encoder built once."""

EMPTY_TERMS: npt.NDArray[np.uint32] = np.zeros(0, dtype=np.uint32)
"""The terms of a message without text."""


class Measure(NamedTuple):
    """What one message costs and the token ids of its text.

    Attributes:
        tokens: Tokens the message adds to a request, framing included.
        terms: Token ids of its searchable text (text, tool arguments, tool results).
    """

    tokens: int
    terms: npt.NDArray[np.uint32]


class Batch(NamedTuple):
    """Many messages measured at once.

    Attributes:
        tokens: Tokens of each message.
        terms: The token ids of every message's text, one after another.
        lengths: How many of ``terms`` each message has.
    """

    tokens: list[int]
    terms: npt.NDArray[np.uint32]
    lengths: list[int]


class MessageCounter(Protocol):
    """Counts what each piece of a request costs, in the provider's tokens.

    ``overhead + tools + sum(instructions) + sum(messages)`` must equal the count of
    the whole request; the allocator relies on it to stay within a budget. A
    counter may also offer ``measure_many(messages) -> Batch``, which the
    allocator prefers for many new messages.
    """

    @property
    def name(self) -> str:
        """Names the counting rules, e.g. ``"gpt-4o/o200k_base"``; part of cache keys."""
        ...

    @property
    def exact(self) -> bool:
        """Whether counts are what the provider bills (``False``: an estimate)."""
        ...

    def measure(self, message: Message) -> Measure:
        """Return the tokens of ``message`` and the token ids of its text."""
        ...

    def count_instruction(self, instruction: Instruction) -> int:
        """Return the tokens of one instruction block."""
        ...

    def count_tools(self, document: Document) -> int:
        """Return the tokens of the document's tool definitions (0 without tools)."""
        ...

    def overhead(self, document: Document) -> int:
        """Return the tokens a request costs once, whatever it holds (reply priming)."""
        ...

    def terms(self, text: str) -> list[int]:
        """Return the token ids of ``text``, as `measure` would give them."""
        ...


class TokensCounter:
    """A `MessageCounter` on `aifkit.tokens`: counts equal `count_tokens`'s, part by part.

    Text, refusals, reasoning, tool calls and text tool results are counted here by
    the framing rules `aifkit.tokens` publishes for the model, encoding each text
    once (the ids become BM25 terms); any other message is counted by
    `aifkit.tokens.count_tokens` itself. Tests hold the two to equality.

    Args:
        model: A model `aifkit.tokens.get_model` knows.
        tokenizer: Replaces the model's tokenizer (tests pass fakes).

    Raises:
        UnknownNameError: the model is not known.

    Examples:
        >>> from aifkit.aif import Message, TextPart
        >>> counter = TokensCounter("gpt-4o")
        >>> counter.measure(Message(role="user", parts=(TextPart(text="Hello!"),))).tokens
        6
    """

    def __init__(self, model: str, *, tokenizer: Tokenizer | None = None) -> None:
        from aifkit.tokens import get_model, get_tokenizer

        self._info = info = get_model(model)
        self._tok = tok = tokenizer or get_tokenizer(info.tokenizer)
        self._model = model
        self._per_message = info.framing.per_message
        self._per_name = info.framing.per_name
        self._ratio = info.estimator.ratio if info.estimator is not None else None
        roles = ("system", "developer", "user", "assistant", "tool")
        self._base = {r: self._per_message + tok.count(r) for r in roles}
        self._names: dict[str, int] = {}
        self._encode: Callable[[str], npt.NDArray[np.uint32]]
        self._to_buffer: Callable[[str, frozenset[str]], Any] | None = None
        self._terms: Callable[[str], list[int]]
        if getattr(tok, "has_encoding", True):
            self._bind()
        else:
            # A tokenizer that answers short texts before building its encoding (see
            # aifkit.tokens._tokenizer): asking for the encoding would build it, the
            # most of what packing a small body costs. Its own encode serves until the
            # encoding exists; then the encoding's faster paths take over.
            self._encode = self._encode_early
            self._terms = self._terms_early

    def _bind(self) -> None:
        tok = self._tok
        self._encode = _numpy_encoder(tok)
        core = getattr(getattr(tok, "encoding", None), "_core_bpe", None)
        self._to_buffer = getattr(core, "encode_to_tiktoken_buffer", None)
        ordinary = getattr(core, "encode_ordinary", None)  # skips two Python wrappers
        self._terms = ordinary if ordinary is not None else tok.encode

    def _encode_early(self, text: str) -> npt.NDArray[np.uint32]:
        return np.asarray(self._terms_early(text), dtype=np.uint32)

    def _terms_early(self, text: str) -> list[int]:
        ids = self._tok.encode(text)
        if getattr(self._tok, "has_encoding", True):
            self._bind()
        return ids

    @property
    def tokenizer(self) -> Tokenizer:
        """The tokenizer whose ids `measure` returns as terms."""
        return self._tok

    @property
    def name(self) -> str:
        """The model and tokenizer, e.g. ``"gpt-4o/o200k_base"``."""
        return f"{self._info.name}/{self._tok.name}"

    @property
    def exact(self) -> bool:
        """Whether the model's tokenizer is its own (no estimator)."""
        return self._ratio is None

    @property
    def context_window(self) -> int:
        """The model's context window, in tokens."""
        return self._info.context_window

    @property
    def max_output(self) -> int:
        """The most tokens the model writes in one response."""
        return self._info.max_output

    def measure(self, message: Message) -> Measure:
        """Return the tokens of ``message`` (as `count_tokens` counts them) and its term ids."""
        parts = message.parts
        if len(parts) == 1 and type(parts[0]) is TextPart and not message.name:
            # Most messages: one text part. Inlined; this runs once per message.
            terms = self._encode(parts[0].text)
            tokens = len(terms) + self._base[message.role]
            return Measure(tokens if self._ratio is None else round(tokens * self._ratio), terms)
        texts: list[str] = []
        extra = 0
        for part in parts:
            if isinstance(part, TextPart | RefusalPart):
                texts.append(part.text)
            elif isinstance(part, ToolCallPart):
                args = part.raw_arguments
                if args is None:
                    args = _canonical_json(part.arguments)
                extra += self._name_tokens(part.name) + 3
                texts.append(args)
            elif isinstance(part, ToolResultPart) and all(
                type(p) is TextPart for p in part.content
            ):
                texts.extend([p.text for p in part.content if isinstance(p, TextPart)])
            elif isinstance(part, ReasoningPart):
                if part.text:
                    texts.append(part.text)
            else:
                return self._measure_slow(message)
        encode = self._encode
        if len(texts) == 1:
            terms = encode(texts[0])
        elif texts:
            terms = np.concatenate([encode(t) for t in texts])
        else:
            terms = EMPTY_TERMS
        return self._measured(message, extra + len(terms), terms)

    def measure_many(self, messages: Sequence[Message]) -> Batch:
        """Measure many messages at once: `measure` for each, with less overhead per message.

        Messages of text, tool calls and text tool results (most of a conversation)
        skip building an array each: their token buffers are joined once.
        """
        to_buffer = self._to_buffer
        if to_buffer is None:
            measured = [self.measure(m) for m in messages]
            terms = np.concatenate([m.terms for m in measured]) if measured else EMPTY_TERMS
            return Batch([m.tokens for m in measured], terms, [len(m.terms) for m in measured])
        base, ratio, nothing = self._base, self._ratio, frozenset[str]()
        tokens: list[int] = []
        lengths: list[int] = []
        buffers: list[Any] = []
        add_tokens, add_length, add_buffer = tokens.append, lengths.append, buffers.append
        for message in messages:
            # Inlined: the loop runs once per message of a cold pack. One text part
            # first (most messages), then any mix of texts, tool calls and text tool
            # results; anything else (names, images, ...) goes through `measure`.
            parts = message.parts
            if message.name:
                texts, extra = None, 0
            elif len(parts) == 1 and type(parts[0]) is TextPart:
                texts, extra = (parts[0].text,), 0
            else:
                texts, extra = self._plain_texts(parts)
            if texts is None:
                total, buffer = self.measure(message)
                add_tokens(total)
                add_length(len(buffer))
                add_buffer(buffer)
                continue
            count = 0
            for text in texts:
                buffer: Any
                try:
                    buffer = to_buffer(text, nothing)
                except UnicodeEncodeError:
                    buffer = self._encode(text)
                count += memoryview(buffer).nbytes >> 2  # its len() counts bytes
                add_buffer(buffer)
            total = count + extra + base[message.role]
            add_tokens(total if ratio is None else round(total * ratio))
            add_length(count)
        return Batch(tokens, np.frombuffer(b"".join(buffers), dtype=np.uint32), lengths)

    def _plain_texts(self, parts: tuple[Part, ...]) -> tuple[list[str] | None, int]:
        # The texts `measure` encodes for these parts and the framing tokens they add
        # (tool calls: name + 3); None when a part has other rules (`_measure_slow`).
        texts: list[str] = []
        extra = 0
        names = self._names
        for part in parts:
            if type(part) is ToolCallPart:
                args = part.raw_arguments
                texts.append(args if args is not None else _canonical_json(part.arguments))
                name = names.get(part.name)
                extra += (name if name is not None else self._name_tokens(part.name)) + 3
            elif type(part) is ToolResultPart:
                for item in part.content:
                    if type(item) is not TextPart:
                        return None, 0
                    texts.append(item.text)
            elif type(part) is TextPart or type(part) is RefusalPart:
                texts.append(part.text)
            elif type(part) is ReasoningPart:
                if part.text:
                    texts.append(part.text)
            else:
                return None, 0
        return texts, extra

    def _measured(self, message: Message, text: int, terms: npt.NDArray[np.uint32]) -> Measure:
        # aifkit.tokens' count_item: 3 per message, the role, the name (+1), the parts.
        text += self._base[message.role]
        if message.name:
            text += self._name_tokens(message.name) + self._per_name
        return Measure(text if self._ratio is None else round(text * self._ratio), terms)

    def _name_tokens(self, name: str) -> int:
        count = self._names.get(name)
        if count is None:
            count = self._names[name] = self._tok.count(name)
        return count

    def _measure_slow(self, message: Message) -> Measure:
        # Images, documents, audio, provider blocks: their rules live in aifkit.tokens.
        from aifkit.tokens import CountCache, count_tokens

        count = count_tokens(
            Document(messages=(message,)), model=self._model, tokenizer=self._tok,
            cache=CountCache(maxsize=0),
        )  # fmt: skip
        texts = [p.text for p in message.parts if isinstance(p, TextPart | RefusalPart)]
        for part in message.parts:
            if isinstance(part, ToolResultPart):
                texts.extend(p.text for p in part.content if isinstance(p, TextPart))
        terms = self._encode("\n".join(texts)) if texts else EMPTY_TERMS
        return Measure(count.messages[0], terms)

    def count_instruction(self, instruction: Instruction) -> int:
        """Return the tokens of one instruction block, as `count_tokens` counts it."""
        return self._count(Document(instructions=(instruction,))).instructions

    def count_tools(self, document: Document) -> int:
        """Return the tokens of the tool definitions under the document's tool choice."""
        if not document.tools:
            return 0
        return self._count(Document(tools=document.tools, settings=document.settings)).tools

    def overhead(self, document: Document) -> int:
        """Return the reply-priming tokens every request costs."""
        return self._count(Document(settings=document.settings)).overhead

    def terms(self, text: str) -> list[int]:
        """Return the token ids of ``text``."""
        try:
            return self._terms(text)
        except UnicodeEncodeError:  # lone surrogates: the tokenizer's own path repairs them
            return self._tok.encode(text)

    def _count(self, document: Document) -> TokenCount:
        from aifkit.tokens import CountCache, count_tokens

        return count_tokens(
            document, model=self._model, tokenizer=self._tok, cache=CountCache(maxsize=0)
        )


def _numpy_encoder(tok: Tokenizer) -> Callable[[str], npt.NDArray[np.uint32]]:
    # tiktoken can hand back its token buffer as a numpy array without building a
    # Python list; with no special token allowed, the ids are `encode_ordinary`'s.
    # Its core is called directly: the public wrapper's checks cost a tenth of
    # the tokenization of a short message.
    encoding = getattr(tok, "encoding", None)
    core = getattr(encoding, "_core_bpe", None)
    to_buffer = getattr(core, "encode_to_tiktoken_buffer", None)
    if to_buffer is None:
        return lambda text: np.asarray(tok.encode(text), dtype=np.uint32)
    frombuffer, uint32, nothing = np.frombuffer, np.uint32, frozenset[str]()

    def encode(text: str) -> npt.NDArray[np.uint32]:
        try:
            return frombuffer(to_buffer(text, nothing), dtype=uint32)
        except UnicodeEncodeError:  # lone surrogates: tiktoken's list path repairs them
            return np.asarray(tok.encode(text), dtype=np.uint32)

    return encode
