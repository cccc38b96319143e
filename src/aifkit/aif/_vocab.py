"""Each format's response vocabulary: its finish words and its usage fields.

One table per format, read by both the response codec (``converters/_*_response.py``)
and the stream codec (``_sse_*.py``), so a finish reason or a token count means the
same whether a reply came whole or streamed.

Examples:
    >>> GEMINI_FINISH.reason("SAFETY"), GEMINI_FINISH.reason("STOP", calls=True)
    ('content_filter', 'tool_calls')
    >>> GEMINI_FINISH.word("tool_calls", None)
    ('STOP', True)
    >>> ANTHROPIC_USAGE.to_aif({"input_tokens": 10, "cache_read_input_tokens": 90})
    {'input_tokens': 100, 'cache_read_tokens': 90}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, cast

from aifkit.aif._response import FinishReason, Usage

__all__ = [
    "ANTHROPIC_FINISH",
    "ANTHROPIC_USAGE",
    "BEDROCK_FINISH",
    "BEDROCK_USAGE",
    "COHERE_FINISH",
    "COHERE_USAGE",
    "GEMINI_FINISH",
    "GEMINI_USAGE",
    "MISTRAL_FINISH",
    "OLLAMA_FINISH",
    "OLLAMA_USAGE",
    "OPENAI_CHAT_FINISH",
    "OPENAI_CHAT_USAGE",
    "OPENAI_RESPONSES_FINISH",
    "OPENAI_RESPONSES_USAGE",
    "FinishWords",
    "UsageField",
    "UsageFields",
]

UsageField = Literal[
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "total_tokens",
]
"""A `Usage` count's name."""


@dataclass(frozen=True, slots=True)
class FinishWords:
    """A format's words for why a reply stopped.

    Attributes:
        read: Every word the format sends -> AIF's reason (an unlisted word is ``other``).
        write: The word written for an AIF reason, where the format has one that means it.
        near: The word written for a reason the format has no word for, as the
            nearest (an approximation the caller reports).
        default: The word written for any other reason (also reported).
        calls: The word that, on a reply that called tools, means ``tool_calls``
            (formats that have no word of their own for it: Gemini ``STOP``).
    """

    read: Mapping[str, FinishReason]
    write: Mapping[FinishReason, str]
    default: str
    near: Mapping[FinishReason, str] = field(default_factory=dict[FinishReason, str])
    calls: str | None = None

    def reason(self, word: str, *, calls: bool = False) -> FinishReason:
        """AIF's reason for ``word``; ``calls``: the reply called tools."""
        if calls and word == self.calls:
            return "tool_calls"
        return self.read.get(word, "other")

    def word(
        self, reason: FinishReason | None, raw: str | None, *, own: bool = False
    ) -> tuple[str | None, bool]:
        """The word to write for ``reason`` (``raw``: the source's own word), and whether
        it means exactly that.

        The source's word is kept where it means the same here (so a same-format
        round trip is exact); ``own``: the source is this format, so a word it did
        not list (a new provider word, read as ``other``) is still its own.

        Examples:
            >>> ANTHROPIC_FINISH.word("stop", "stop_sequence")
            ('stop_sequence', True)
            >>> ANTHROPIC_FINISH.word("content_filter", "SAFETY")
            ('refusal', False)
        """
        if raw is not None and self.read.get(raw, "other" if own else None) == (reason or "other"):
            return raw, True
        if reason is None:
            return None, True
        exact = self.write.get(reason)
        if exact is not None:
            return exact, True
        return self.near.get(reason, self.default), False


@dataclass(frozen=True, slots=True)
class UsageFields:
    """A format's usage counts: the wire key of each (dotted for a nested one).

    Attributes:
        keys: Dotted wire key -> the AIF `Usage` field it holds.
        input_excludes_cache: The wire's input count leaves out the cached tokens
            (Anthropic, Bedrock); AIF's includes them.
        output_excludes_reasoning: The wire's output count leaves out the reasoning
            tokens (Gemini); AIF's includes them.
        required: The AIF fields a body must have: written 0 when unknown (the
            total as the sum) when the writer is asked to fill them.
    """

    keys: Mapping[str, UsageField]
    input_excludes_cache: bool = False
    output_excludes_reasoning: bool = False
    required: tuple[UsageField, ...] = ()

    def to_aif(self, counts: Mapping[str, int | None]) -> dict[str, int | None]:
        """AIF usage fields from wire ``counts`` (by wire key; other keys are ignored)."""
        out: dict[str, int | None] = {}
        for key, value in counts.items():
            name = self.keys.get(key)
            if name is not None:
                out[name] = value
        inp = out.get("input_tokens")
        if self.input_excludes_cache and inp is not None:
            out["input_tokens"] = (
                inp + (out.get("cache_read_tokens") or 0) + (out.get("cache_write_tokens") or 0)
            )
        if self.output_excludes_reasoning:
            shown, thoughts = out.get("output_tokens"), out.get("reasoning_tokens")
            if shown is not None or thoughts is not None:
                out["output_tokens"] = (shown or 0) + (thoughts or 0)
        return out

    def to_wire(self, usage: Usage, *, fill: bool = False) -> dict[str, int | None]:
        """Wire counts (by dotted key) for ``usage``; ``fill``: write the `required` ones."""
        values: dict[str, int | None] = {
            name: getattr(usage, name) for name in set(self.keys.values())
        }
        if self.input_excludes_cache and usage.input_tokens is not None:
            cached = (usage.cache_read_tokens or 0) + (usage.cache_write_tokens or 0)
            values["input_tokens"] = max(usage.input_tokens - cached, 0)
        if self.output_excludes_reasoning and usage.output_tokens is not None:
            values["output_tokens"] = max(usage.output_tokens - (usage.reasoning_tokens or 0), 0)
        if fill:
            for name in self.required:
                if values.get(name) is None:
                    values[name] = 0
            if "total_tokens" in self.required and usage.total_tokens is None:
                values["total_tokens"] = (usage.input_tokens or 0) + (usage.output_tokens or 0)
        return {key: values.get(name) for key, name in self.keys.items()}

    def derived_zero(self, usage: Usage) -> str | None:
        """The wire key of an output count that `to_wire` derives as 0 (all of the output
        was reasoning), which a format that leaves out reasoning may have omitted."""
        if not self.output_excludes_reasoning or usage.output_tokens is None:
            return None
        if usage.output_tokens - (usage.reasoning_tokens or 0) > 0:
            return None
        return next((k for k, v in self.keys.items() if v == "output_tokens"), None)

    def read_lenient(self, raw: Mapping[str, Any]) -> Usage:
        """A stream's usage object as AIF `Usage`; a count of the wrong type is ignored
        (a stream is not rejected for its accounting)."""
        counts: dict[str, int | None] = {}
        for key in self.keys:
            value: Any = raw
            for step in key.split("."):
                value = (
                    cast("Mapping[str, Any]", value).get(step) if isinstance(value, dict) else None
                )
            if isinstance(value, int) and not isinstance(value, bool):
                counts[key] = value
        return Usage(**self.to_aif(counts))  # pyright: ignore[reportArgumentType]

    def write_nested(self, usage: Usage, *, fill: bool = False) -> dict[str, Any]:
        """``usage`` as the format's (nested) usage object, unknown counts left out."""
        out: dict[str, Any] = {}
        for key, value in self.to_wire(usage, fill=fill).items():
            if value is None:
                continue
            *parents, last = key.split(".")
            node = out
            for p in parents:
                node = node.setdefault(p, {})
            node[last] = value
        return out


ANTHROPIC_FINISH: Final = FinishWords(
    read={
        "end_turn": "stop",
        "stop_sequence": "stop",
        "max_tokens": "length",
        "model_context_window_exceeded": "length",
        "tool_use": "tool_calls",
        "refusal": "refusal",
        "pause_turn": "pause",
    },
    write={
        "stop": "end_turn",
        "length": "max_tokens",
        "tool_calls": "tool_use",
        "refusal": "refusal",
        "pause": "pause_turn",
    },
    near={"content_filter": "refusal"},
    default="end_turn",
)
ANTHROPIC_USAGE: Final = UsageFields(
    {
        "input_tokens": "input_tokens",
        "cache_creation_input_tokens": "cache_write_tokens",
        "cache_read_input_tokens": "cache_read_tokens",
        "output_tokens": "output_tokens",
        "output_tokens_details.thinking_tokens": "reasoning_tokens",
    },
    input_excludes_cache=True,
    required=("input_tokens", "output_tokens"),
)

OPENAI_CHAT_FINISH: Final = FinishWords(
    read={
        "stop": "stop",
        "length": "length",
        "tool_calls": "tool_calls",
        "content_filter": "content_filter",
        "function_call": "tool_calls",
    },
    write={
        "stop": "stop",
        "length": "length",
        "tool_calls": "tool_calls",
        "content_filter": "content_filter",
    },
    default="stop",
)
OPENAI_CHAT_USAGE: Final = UsageFields(
    {
        "prompt_tokens": "input_tokens",
        "completion_tokens": "output_tokens",
        "total_tokens": "total_tokens",
        "prompt_tokens_details.cached_tokens": "cache_read_tokens",
        "completion_tokens_details.reasoning_tokens": "reasoning_tokens",
    },
    required=("input_tokens", "output_tokens", "total_tokens"),
)

MISTRAL_FINISH: Final = FinishWords(
    read={
        "stop": "stop",
        "length": "length",
        "tool_calls": "tool_calls",
        "error": "error",
        "model_length": "length",
    },
    write={"stop": "stop", "length": "length", "tool_calls": "tool_calls", "error": "error"},
    default="stop",
)

OPENAI_RESPONSES_FINISH: Final = FinishWords(
    # A response's status, or the reason it is incomplete.
    read={
        "completed": "stop",
        "max_output_tokens": "length",
        "content_filter": "content_filter",
        "failed": "error",
        "cancelled": "other",
        "in_progress": "other",
        "queued": "other",
        "incomplete": "other",
    },
    write={
        "stop": "completed",
        "tool_calls": "completed",
        "length": "max_output_tokens",
        "content_filter": "content_filter",
        "error": "failed",
    },
    default="completed",
    calls="completed",
)
OPENAI_RESPONSES_USAGE: Final = UsageFields(
    {
        "input_tokens": "input_tokens",
        "input_tokens_details.cached_tokens": "cache_read_tokens",
        "output_tokens": "output_tokens",
        "input_tokens_details.cache_write_tokens": "cache_write_tokens",
        "output_tokens_details.reasoning_tokens": "reasoning_tokens",
        "total_tokens": "total_tokens",
    },
    required=(
        "input_tokens",
        "cache_read_tokens",
        "output_tokens",
        "cache_write_tokens",
        "reasoning_tokens",
        "total_tokens",
    ),
)

GEMINI_FINISH: Final = FinishWords(
    # google-genai's FinishReason enum.
    read={
        "STOP": "stop",
        "MAX_TOKENS": "length",
        "SAFETY": "content_filter",
        "RECITATION": "content_filter",
        "BLOCKLIST": "content_filter",
        "PROHIBITED_CONTENT": "content_filter",
        "SPII": "content_filter",
        "IMAGE_SAFETY": "content_filter",
        "IMAGE_PROHIBITED_CONTENT": "content_filter",
        "IMAGE_RECITATION": "content_filter",
        "MALFORMED_FUNCTION_CALL": "error",
        "UNEXPECTED_TOOL_CALL": "error",
        "TOO_MANY_TOOL_CALLS": "error",
        "MISSING_THOUGHT_SIGNATURE": "error",
        "MALFORMED_RESPONSE": "error",
        "LANGUAGE": "other",
        "OTHER": "other",
        "IMAGE_OTHER": "other",
        "NO_IMAGE": "other",
        "FINISH_REASON_UNSPECIFIED": "other",
    },
    write={
        "stop": "STOP",
        "tool_calls": "STOP",
        "length": "MAX_TOKENS",
        "content_filter": "SAFETY",
        "other": "OTHER",
    },
    near={"refusal": "SAFETY"},
    default="OTHER",
    calls="STOP",
)
GEMINI_USAGE: Final = UsageFields(
    {
        "promptTokenCount": "input_tokens",
        "cachedContentTokenCount": "cache_read_tokens",
        "candidatesTokenCount": "output_tokens",
        "thoughtsTokenCount": "reasoning_tokens",
        "totalTokenCount": "total_tokens",
    },
    output_excludes_reasoning=True,
)

BEDROCK_FINISH: Final = FinishWords(
    read={
        "end_turn": "stop",
        "max_tokens": "length",
        "tool_use": "tool_calls",
        "guardrail_intervened": "content_filter",
        "stop_sequence": "stop",
        "content_filtered": "content_filter",
        "malformed_model_output": "error",
        "malformed_tool_use": "error",
        "model_context_window_exceeded": "length",
    },
    write={
        "stop": "end_turn",
        "length": "max_tokens",
        "tool_calls": "tool_use",
        "content_filter": "guardrail_intervened",
        "error": "malformed_model_output",
    },
    default="end_turn",
)
BEDROCK_USAGE: Final = UsageFields(
    {
        "inputTokens": "input_tokens",
        "outputTokens": "output_tokens",
        "totalTokens": "total_tokens",
        "cacheReadInputTokens": "cache_read_tokens",
        "cacheWriteInputTokens": "cache_write_tokens",
    },
    input_excludes_cache=True,
    required=("input_tokens", "output_tokens", "total_tokens"),
)

COHERE_FINISH: Final = FinishWords(
    read={
        "COMPLETE": "stop",
        "MAX_TOKENS": "length",
        "TOOL_CALL": "tool_calls",
        "ERROR": "error",
        "STOP_SEQUENCE": "stop",
        "TIMEOUT": "error",
    },
    write={"stop": "COMPLETE", "length": "MAX_TOKENS", "tool_calls": "TOOL_CALL", "error": "ERROR"},
    default="COMPLETE",
)
COHERE_USAGE: Final = UsageFields(
    {
        "tokens.input_tokens": "input_tokens",
        "tokens.output_tokens": "output_tokens",
        "cached_tokens": "cache_read_tokens",
    }
)

OLLAMA_FINISH: Final = FinishWords(
    read={"stop": "stop", "length": "length", "load": "other", "unload": "other"},
    write={"stop": "stop", "tool_calls": "stop", "length": "length"},
    default="stop",
    calls="stop",
)
OLLAMA_USAGE: Final = UsageFields(
    {"prompt_eval_count": "input_tokens", "eval_count": "output_tokens"}
)
