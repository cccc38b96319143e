"""The rules the ``openai-responses`` encoder logs, its limits, and the small helpers it
shares with the converter (extension hints, content shapes, item kinds)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from aifkit.aif._loss import Action, Severity
from aifkit.aif._schema import Extensions
from aifkit.aif.converters._openai_responses_decode import NAME

__all__ = [
    "ABSENT",
    "MAX_TEMPERATURE",
    "MIN_OUTPUT_TOKENS",
    "MISSING_RESULT_TEXT",
    "RULES",
    "content_of",
    "empty_schema",
    "model_side",
    "presence",
    "quiet",
    "user_string",
    "with_extra",
]


MISSING_RESULT_TEXT: Final = "No result was recorded for this tool call."
"""The output written for a tool call that had none."""
MIN_OUTPUT_TOKENS: Final = 16
"""The smallest ``max_output_tokens`` the API accepts."""
MAX_TEMPERATURE: Final = 2.0

RULES: Final[dict[str, tuple[Action, Severity, str]]] = {
    "model-not-carried": ("transformed", "warning", "{}"),  # logged by convert()
    "reasoning-approximated": ("transformed", "info", "{}"),  # logged by _reasoning
    # rule (after "openai-responses/"): action, severity, message ({} filled in by the caller)
    "cache": ("dropped", "info", "the Responses API has no cache breakpoints here"),
    "document-text": ("transformed", "info", "a plain-text document sent as input_text"),
    "empty-message": ("dropped", "info", "the message has no content the API can take"),
    "file-id": ("dropped", "error", "a {} file id means nothing to OpenAI"),
    "file-name": ("synthesized", "info", "file_data needs a filename; wrote {!r}"),
    "image-source": ("dropped", "error", "an image cannot be given as text"),
    "max-tokens-minimum": ("transformed", "warning", "max_output_tokens {} is below the minimum of 16; sent 16"),
    "message-name": ("dropped", "warning", "Responses messages have no name"),
    "no-audio": ("dropped", "error", "Responses input messages take no audio"),
    "no-field": ("dropped", "warning", "{} has no equivalent in the Responses API"),
    "orphan-tool-result": ("transformed", "warning", "no earlier call has id {!r}; sent as user text"),
    "part-not-allowed": ("dropped", "error", "an assistant message cannot hold a {} part"),
    "provider-part": ("dropped", "warning", "a {} block has no Responses equivalent"),
    "reasoning-position": ("dropped", "warning", "a reasoning item must come right before the item it produced"),
    "reasoning-replay": ("dropped", "warning", "{}"),
    "refusal-role": ("transformed", "info", "a refusal outside an assistant message sent as text"),
    "seed": ("dropped", "warning", "the Responses API has no seed"),
    "stop": ("dropped", "warning", "the Responses API has no stop sequences"),
    "temperature-range": ("transformed", "warning", "temperature {} is above the maximum of 2; sent 2"),
    "tool-choice-needs-tools": ("dropped", "warning", "tool_choice without the tools it needs"),
    "tool-error-flag": ("dropped", "warning", "function_call_output has no error flag"),
    "tool-kind": ("dropped", "warning", "the Responses API has no {!r} tool"),
    "tool-result-missing": ("synthesized", "warning", "the call had no result; wrote one"),
    "tool-role": ("transformed", "info", "content of a tool message sent as a user message"),
    "top-k": ("dropped", "warning", "the Responses API has no top_k"),
}  # fmt: skip


def quiet(ext: Extensions) -> bool:
    """True when no extension but this format's own and other formats' ``form`` is set."""
    return all(ns == NAME or set(data) <= {"form"} for ns, data in ext.items())


def empty_schema() -> dict[str, Any]:
    """A fresh schema of an object with no properties (for a tool without parameters)."""
    return {"type": "object", "properties": {}}


ABSENT: Final[Any] = object()


def presence(value: Any, form: Any, default: Any) -> Any:
    """A tool key's value: as given, null or absent as the form says, else ``default``."""
    if value is not None:
        return value
    if form == "null":
        return None
    if form == "absent":
        return ABSENT
    return default


def with_extra(block: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Add the wire keys an element kept (``extra``) to its block."""
    for key, value in extra.items():
        block.setdefault(key, value)
    return block


def content_of(
    blocks: list[dict[str, Any]], form: Mapping[str, Any], *, assistant: bool = False
) -> str | list[dict[str, Any]]:
    """A message item's content: one plain text as a string unless the form says a list."""
    if len(blocks) == 1 and form.get("content") != "list":
        block = blocks[0]
        plain = {"type", "text", "annotations"} if assistant else {"type", "text"}
        kind = "output_text" if assistant else "input_text"
        if block["type"] == kind and set(block) == plain and block.get("annotations", []) == []:
            return block["text"]
    return blocks


def model_side(item: dict[str, Any]) -> bool:
    """True for an item the model produced (what a reasoning item must precede)."""
    kind = item.get("type", "message")
    if kind == "message" or "role" in item:
        return item.get("role") == "assistant"
    if not isinstance(kind, str):
        return False
    return kind not in ("function_call_output", "item_reference") and not kind.endswith("_output")


def user_string(item: dict[str, Any] | None) -> bool:
    """True for ``{"role": "user", "content": "..."}`` (what a string ``input`` was)."""
    if item is None or set(item) != {"role", "content"}:
        return False
    return item["role"] == "user" and isinstance(item["content"], str)
