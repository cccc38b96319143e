"""The AIF response model: one model reply, provider-neutral.

A request is a `Document`; what a model sends back is a `Response`: the assistant
message (text, tool calls, reasoning with signatures, refusals), why generation
stopped, what it cost in tokens, and the ids a client needs. Streams are the same
response cut into events (see `aifkit.aif._events`).

Finish reasons are normalized to a small vocabulary every provider maps onto; the
provider's own word is kept in ``raw_finish_reason`` so a same-format round trip is
exact.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Literal

from pydantic import Field, TypeAdapter

# The document model's base (frozen, unknown fields kept, defaults omitted) is shared on purpose.
from aifkit.aif._schema import (
    AIF_VERSION,
    Extensions,
    Message,
    Provenance,
    _Model,  # pyright: ignore[reportPrivateUsage]
)

__all__ = ["FinishReason", "Response", "Usage", "response_adapter"]

FinishReason = Literal[
    "stop", "length", "tool_calls", "content_filter", "refusal", "pause", "error", "other"
]
"""Why generation stopped, in AIF's words.

* ``stop``: a natural end or a stop sequence (OpenAI ``stop``, Anthropic ``end_turn`` and
  ``stop_sequence``, Gemini ``STOP``, Bedrock ``end_turn``).
* ``length``: the output token limit (``length``, ``max_tokens``, ``MAX_TOKENS``).
* ``tool_calls``: the model asked for tools (``tool_calls``, ``tool_use``).
* ``content_filter``: a safety or policy filter stopped it (``content_filter``, ``SAFETY``, ``guardrail_intervened``).
* ``refusal``: the model declined (Anthropic ``refusal``).
* ``pause``: a long turn paused to be continued (Anthropic ``pause_turn``).
* ``error``: generation failed (Cohere ``ERROR``).
* ``other``: anything else; ``raw_finish_reason`` says what.
"""


class Usage(_Model):
    """Tokens a reply cost, as the provider counted them.

    ``input_tokens`` counts every prompt token, cached or not (providers that report
    uncached input separately, like Anthropic, are summed on decode and split again on
    encode), so totals compare across providers.
    """

    input_tokens: int | None = Field(default=None, description="Prompt tokens, cached included.")
    output_tokens: int | None = Field(default=None, description="Generated tokens, reasoning included.")  # fmt: skip
    cache_read_tokens: int | None = Field(default=None, description="Prompt tokens read from cache.")  # fmt: skip
    cache_write_tokens: int | None = Field(default=None, description="Prompt tokens written to cache.")  # fmt: skip
    reasoning_tokens: int | None = Field(default=None, description="Output tokens spent reasoning.")  # fmt: skip
    total_tokens: int | None = None
    extensions: Extensions = Field(default_factory=dict)


class Response(_Model):
    """One model reply.

    Attributes:
        id: The provider's response id (``chatcmpl-...``, ``msg_...``, ``resp_...``).
        model: The model that answered.
        message: The assistant message.
        finish_reason: Why generation stopped, normalized (see `FinishReason`).
        raw_finish_reason: The provider's own word for it.
        usage: Token usage, when the provider reported it.
        created_at: When the provider created the reply.
    """

    aif_version: str = Field(default=AIF_VERSION, description="Semver of the AIF schema.")
    id: str | None = None
    model: str | None = None
    message: Message
    finish_reason: FinishReason | None = None
    raw_finish_reason: str | None = None
    usage: Usage | None = None
    created_at: datetime | None = None
    provenance: Provenance | None = None
    extensions: Extensions = Field(default_factory=dict)


@functools.cache
def response_adapter() -> TypeAdapter[Response]:
    """Return the one `TypeAdapter` for AIF responses (built on first use)."""
    return TypeAdapter(Response)
