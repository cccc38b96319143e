"""Provider-neutral stream events: one model reply, cut into the pieces every format streams.

A stream is ``ResponseStart``, then parts, each ``PartStart``, ``PartDelta``... and
``PartEnd`` (parts may overlap: OpenAI interleaves parallel tool calls), then
``ResponseEnd``; ``UsageUpdate`` may come anywhere in between and ``StreamError``
ends a stream the provider reported failed. A decoder (`aifkit.aif.decode_stream`)
turns one format's SSE into these events as soon as each is complete; an encoder
(`aifkit.aif.encode_stream`) writes each event as another format's SSE frames, so
a reply is translated without waiting for its end.

Events are frozen dataclasses, not pydantic models: a stream makes one per
token or so, and building them must cost next to nothing.

Examples:
    >>> events = [ResponseStart(id="r1", model="m"), PartStart(0, "text"),
    ...           PartDelta(0, "Hi"), PartEnd(0), ResponseEnd("stop", "stop")]
    >>> [e.type for e in events]
    ['response_start', 'part_start', 'part_delta', 'part_end', 'response_end']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from aifkit.aif._response import FinishReason, Usage
from aifkit.aif._schema import ReasoningScope

__all__ = [
    "PartDelta",
    "PartEnd",
    "PartKind",
    "PartStart",
    "ResponseEnd",
    "ResponseStart",
    "StreamError",
    "StreamEvent",
    "UsageUpdate",
]

PartKind = Literal["text", "reasoning", "tool_call", "refusal"]
"""What a streamed part holds: visible text, reasoning (thinking, a summary), a tool
call (its arguments stream as JSON text) or a refusal."""


@dataclass(frozen=True, slots=True)
class ResponseStart:
    """The reply began.

    Attributes:
        id: The provider's response id, if it sent one.
        model: The model that answers.
        created: When the reply was created, in Unix seconds.
        usage: Usage known at the start (Anthropic counts the prompt here).
    """

    id: str | None = None
    model: str | None = None
    created: int | None = None
    usage: Usage | None = None
    type: Literal["response_start"] = "response_start"


@dataclass(frozen=True, slots=True)
class PartStart:
    """Part ``index`` of the reply began.

    Attributes:
        index: The part's position in the reply (0, 1, ...), unique in the stream.
        kind: What the part holds.
        id: A tool call's id.
        name: A tool call's function name.
    """

    index: int
    kind: PartKind
    id: str | None = None
    name: str | None = None
    type: Literal["part_start"] = "part_start"


@dataclass(frozen=True, slots=True)
class PartDelta:
    """More of part ``index``.

    Attributes:
        index: The part it extends.
        text: The next fragment: text, reasoning or refusal text, or a fragment of a
            tool call's arguments JSON.
        signature: An opaque token the provider attached to the part (an Anthropic
            thinking signature, a Gemini ``thoughtSignature``, an OpenAI reasoning
            item's id, as the converters read them).
        valid_for: The provider (and model) the signature or redacted payload is valid
            for, as on a `ReasoningPart`: an encoder writes either only for its own
            provider (an Anthropic signature sent to Gemini is rejected), and neither
            without a scope.
        redacted: A fragment of reasoning the provider sent encrypted or redacted (a
            Bedrock ``redactedContent``, an Anthropic ``redacted_thinking`` block's
            ``data``, an OpenAI reasoning item's ``encrypted_content``),
            `ReasoningPart.redacted` once assembled; the fragments of a part are
            joined as its text is.
    """

    index: int
    text: str = ""
    signature: str | None = None
    valid_for: ReasoningScope | None = None
    redacted: str | None = None
    type: Literal["part_delta"] = "part_delta"


@dataclass(frozen=True, slots=True)
class PartEnd:
    """Part ``index`` is complete."""

    index: int
    type: Literal["part_end"] = "part_end"


@dataclass(frozen=True, slots=True)
class UsageUpdate:
    """Token usage so far (each update replaces the one before)."""

    usage: Usage
    type: Literal["usage_update"] = "usage_update"


@dataclass(frozen=True, slots=True)
class ResponseEnd:
    """The reply is complete.

    Attributes:
        finish_reason: Why generation stopped, normalized.
        raw_finish_reason: The source format's own word for it.
        usage: The final usage, when the provider reported it.
        extensions: Provider data the other events have no place for, namespaced as
            `Message.extensions` and carried by the assembled message, as the format's
            response converter keeps it (Cohere's citations:
            ``{"cohere": {"extra": {"citations": [...]}}}``). An encoder writes only its
            own format's namespace.
    """

    finish_reason: FinishReason | None = None
    raw_finish_reason: str | None = None
    usage: Usage | None = None
    extensions: Mapping[str, Mapping[str, Any]] | None = None
    type: Literal["response_end"] = "response_end"


@dataclass(frozen=True, slots=True)
class StreamError:
    """The provider reported an error mid-stream; nothing follows.

    Attributes:
        error_type: The provider's error type or code (``overloaded_error``, ...).
        message: What it said.
    """

    error_type: str
    message: str
    type: Literal["stream_error"] = "stream_error"


StreamEvent = (
    ResponseStart | PartStart | PartDelta | PartEnd | UsageUpdate | ResponseEnd | StreamError
)
"""Any stream event; ``event.type`` tells which."""
