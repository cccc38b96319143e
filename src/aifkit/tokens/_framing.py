"""Chat framing: the tokens a conversation costs beyond its text.

OpenAI documents how chat messages are framed in the cookbook "How to count tokens
with tiktoken" (https://github.com/openai/openai-cookbook/blob/main/examples/How_to_count_tokens_with_tiktoken.ipynb):
every message costs 3 tokens plus its role and content, a ``name`` costs 1 more
plus its text, and every reply is primed with 3 (``<|start|>assistant<|message|>``).
The same notebook gives the widely used approximation for function definitions
(`Framing.tools` ``"openai"``), which it checks against the API for its example.

A `Piece` keeps base-tokenizer tokens (``text``, which an estimator may scale)
apart from tokens a provider rule gives directly (``fixed``: images, Anthropic's
tool-use system prompt), which are never scaled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast

from aifkit._json import canonical_json
from aifkit.aif._schema import (
    Base64Source,
    DocumentPart,
    ImagePart,
    Instruction,
    Message,
    Part,
    ProviderPart,
    ReasoningPart,
    RefusalPart,
    TextPart,
    TextSource,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    UrlSource,
)
from aifkit.tokens._images import ImageRule, image_size
from aifkit.tokens._tokenizer import Tokenizer

__all__ = ["UNKNOWN_MEDIA_TOKENS", "Framing", "Piece", "count_item", "count_tools"]

UNKNOWN_MEDIA_TOKENS = 1000
"""Assumed for a document or audio whose content cannot be read here (bound: as much again)."""


@dataclass(frozen=True, slots=True)
class Piece:
    """The count of one element: base tokens, rule tokens, and how sure it is."""

    text: int = 0
    fixed: int = 0
    exact: bool = True
    bound: int = 0

    def __add__(self, other: Piece) -> Piece:
        return Piece(
            self.text + other.text,
            self.fixed + other.fixed,
            self.exact and other.exact,
            self.bound + other.bound,
        )


@dataclass(frozen=True, slots=True)
class Framing:
    """How a model family frames messages and tools, in tokens.

    Args:
        name: Names the rule set (part of cache keys).
        per_message: Tokens around every message.
        per_name: Tokens for a message's ``name`` field, besides its text.
        reply: Tokens priming the reply.
        verified: Whether the provider's billed counts were checked to equal this
            framing for text conversations; if not, each message may be off by
            ``unverified_bound`` tokens.
        tools: ``"openai"``: the cookbook approximation; ``"json"``: the tool's JSON.
        tool_prompt: Tokens of a system prompt the provider adds when tools are given,
            for tool choice auto/none and for any/tool.
    """

    name: str
    per_message: int = 3
    per_name: int = 1
    reply: int = 3
    verified: bool = False
    unverified_bound: int = 2
    tools: Literal["openai", "json"] = "openai"
    func_init: int = 7
    prop_init: int = 3
    prop_key: int = 3
    enum_init: int = -3
    enum_item: int = 3
    func_end: int = 12
    tool_prompt: tuple[int, int] = (0, 0)


def count_item(
    item: Instruction | Message, tok: Tokenizer, framing: Framing, images: ImageRule
) -> Piece:
    """Count one instruction block or message, framing included."""
    piece = Piece(framing.per_message + tok.count(item.role))
    if item.name:
        piece += Piece(tok.count(item.name) + framing.per_name)
    for part in item.parts:
        piece += _part(part, tok, images)
    if len(item.parts) > 1:
        # Several parts travel as a list; how the provider joins them is not documented.
        piece += Piece(exact=False, bound=len(item.parts) - 1)
    if not framing.verified:
        piece += Piece(exact=False, bound=framing.unverified_bound)
    return piece


def _part(part: Part, tok: Tokenizer, images: ImageRule) -> Piece:
    if isinstance(part, TextPart | RefusalPart):
        return Piece(tok.count(part.text))
    if isinstance(part, ImagePart):
        return _image(part, images)
    if isinstance(part, DocumentPart):
        return _document(part, tok)
    if isinstance(part, ToolCallPart):
        # Not documented: the name and arguments as the model wrote them, and a wrapper.
        args = (
            part.raw_arguments if part.raw_arguments is not None else canonical_json(part.arguments)
        )
        return Piece(tok.count(part.name) + tok.count(args) + 3, exact=False, bound=4)
    if isinstance(part, ToolResultPart):
        inner = Piece(exact=False, bound=2)
        for sub in part.content:
            inner += _part(sub, tok, images)
        return inner
    if isinstance(part, ReasoningPart):
        # Providers drop or keep earlier reasoning by their own rules: all of it may go.
        n = tok.count(part.text) if part.text else 0
        return Piece(n, exact=False, bound=round(n * 1.25))
    if isinstance(part, ProviderPart):
        n = tok.count(canonical_json(part.data))
        return Piece(n, exact=False, bound=n)
    # AudioPart: its length is not known here.
    return Piece(fixed=UNKNOWN_MEDIA_TOKENS, exact=False, bound=UNKNOWN_MEDIA_TOKENS)


def _image(part: ImagePart, rule: ImageRule) -> Piece:
    size = None
    source = part.source
    if isinstance(source, Base64Source):
        size = image_size(source.data)
    elif isinstance(source, UrlSource) and source.url.startswith("data:"):
        size = image_size(source.url)
    width, height = size if size else (None, None)
    counted = rule.count(width, height, part.detail)
    return Piece(fixed=counted.tokens, exact=counted.exact, bound=counted.bound)


def _document(part: DocumentPart, tok: Tokenizer) -> Piece:
    if isinstance(part.source, TextSource):
        extra = sum(tok.count(t) for t in (part.title, part.context) if t)
        n = tok.count(part.source.text) + extra
        return Piece(n, exact=False, bound=8)
    return Piece(fixed=UNKNOWN_MEDIA_TOKENS, exact=False, bound=UNKNOWN_MEDIA_TOKENS)


def count_tools(
    tools: tuple[Tool, ...], choice: ToolChoice | None, tok: Tokenizer, framing: Framing
) -> Piece:
    """Count the tool definitions of a request (an approximation; never exact)."""
    if not tools:
        return Piece()
    piece = Piece()
    for tool in tools:
        if framing.tools == "openai" and tool.kind == "function":
            piece += _openai_function(tool, tok, framing)
        else:
            schema = {
                "name": tool.name,
                "description": tool.description,
                "input_schema": tool.parameters,
            }
            piece += Piece(tok.count(canonical_json(schema)))
    if framing.tools == "openai":
        piece += Piece(framing.func_end)
    auto = choice is None or choice.mode in ("auto", "none")
    prompt = framing.tool_prompt[0] if auto else framing.tool_prompt[1]
    # The cookbook checks the approximation on one flat schema; allow a tenth either way.
    return Piece(piece.text, prompt, exact=False, bound=max(2, round(piece.text / 10)))


def _openai_function(tool: Tool, tok: Tokenizer, f: Framing) -> Piece:
    # The cookbook's num_tokens_for_tools(): "name:description" (one trailing period
    # dropped), then per property "key:type:description" and its enum items.
    n = f.func_init + tok.count(f"{tool.name}:{_no_period(tool.description or '')}")
    schema = tool.parameters or {}
    properties = schema.get("properties")
    if isinstance(properties, dict) and properties:
        n += f.prop_init
        for key, prop in cast("dict[str, Any]", properties).items():
            n += f.prop_key
            spec = cast("dict[str, Any]", prop) if isinstance(prop, dict) else {}
            enum = spec.get("enum")
            if isinstance(enum, list):
                n += f.enum_init
                for item in cast("list[Any]", enum):
                    n += f.enum_item + tok.count(
                        item if isinstance(item, str) else canonical_json(item)
                    )
            kind, desc = spec.get("type", ""), spec.get("description", "")
            kind = kind if isinstance(kind, str) else canonical_json(kind)
            desc = desc if isinstance(desc, str) else ""
            n += tok.count(f"{key}:{kind}:{_no_period(desc)}")
            nested = {k: v for k, v in spec.items() if k not in ("type", "description", "enum")}
            if nested:  # beyond the cookbook's flat schemas: count the rest as JSON
                n += tok.count(canonical_json(nested))
    return Piece(n)


def _no_period(text: str) -> str:
    return text[:-1] if text.endswith(".") else text
