"""The rules the ``gemini`` encoder logs, its limits and texts, and small helpers
(the ``tools`` layout, kept wire keys)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

from aifkit.aif._loss import Action, Severity

__all__ = [
    "CONTINUE_TEXT",
    "MAGIC",
    "MAX_STOP",
    "MAX_TEMPERATURE",
    "MISSING_RESULT_TEXT",
    "RULES",
    "SKIP_SIGNATURE",
    "SYNTHESIZED_USER_TEXT",
    "lay_out",
    "merge_extra",
]


SYNTHESIZED_USER_TEXT: Final = "(continued)"
"""The user turn put before a conversation that starts with the model."""
CONTINUE_TEXT: Final = "Continue."
"""The user turn put after a conversation that ends with the model."""
MISSING_RESULT_TEXT: Final = "No result was recorded for this tool call."
MAX_STOP: Final = 5
SKIP_SIGNATURE: Final = "skip_thought_signature_validator"
"""The placeholder Google documents for a function call Gemini 3 did not produce."""
MAX_TEMPERATURE: Final = 2.0

RULES: Final[dict[str, tuple[Action, Severity, str]]] = {
    "model-not-carried": ("transformed", "warning", "{}"),  # logged by convert()
    "reasoning-approximated": ("transformed", "info", "{}"),  # logged by _reasoning
    # rule (after "gemini/"): action, severity, message ({} filled in by the caller)
    "alternating-roles": ("transformed", "info", "merged into the previous {} turn"),
    "cache": ("dropped", "info", "Gemini has no cache breakpoints in a request"),
    "data-url": ("transformed", "info", "a data: URL sent as inlineData"),
    "developer-instructions": ("transformed", "info", "developer text sent as systemInstruction"),
    "empty-message": ("dropped", "info", "the message has no content Gemini can take"),
    "file-id": ("dropped", "error", "a {} file id means nothing to Gemini"),
    "first-turn-user": ("synthesized", "warning", "the conversation must start with a user turn; inserted {!r}"),
    "image-detail": ("dropped", "info", "Gemini parts have no image detail"),
    "last-turn-user": ("synthesized", "warning", "a request ends on a user turn; appended {!r}"),
    "media-type": ("synthesized", "info", "inlineData needs a MIME type; sent {!r}"),
    "message-name": ("dropped", "warning", "Gemini contents have no name"),
    "model-in-url": ("dropped", "info", "the model goes in the URL (models/{}:generateContent)"),
    "no-field": ("dropped", "warning", "{} has no equivalent in Gemini"),
    "orphan-tool-result": ("transformed", "warning", "{}; sent as text"),
    "parallel-tool-calls": ("dropped", "info", "Gemini has no parallel_tool_calls setting"),
    "provider-part": ("dropped", "warning", "a {} block has no Gemini equivalent"),
    "reasoning-replay": ("dropped", "warning", "{}"),
    "refusal": ("transformed", "info", "refusal sent as text"),
    "stop-limit": ("dropped", "warning", "Gemini takes at most 5 stop sequences; dropped the rest"),
    "system-content": ("dropped", "error", "systemInstruction holds text only, not a {} part"),
    "system-position": ("transformed", "warning", "{} message moved to systemInstruction"),
    "temperature-range": ("transformed", "warning", "temperature {} is above the maximum of 2; sent 2"),
    "tool-call-role": ("transformed", "warning", "only the model calls functions; sent as text"),
    "tool-choice": ("dropped", "warning", "{}"),
    "tool-kind": ("dropped", "warning", "Gemini has no {!r} tool"),
    "tool-result-missing": ("synthesized", "warning", "the call had no result; wrote an error response"),
    "tool-result-placement": ("transformed", "info", "function response moved first in its turn"),
    "thought-signature": ("synthesized", "info", "Gemini 3 wants a thought signature on a turn's first function call; sent Google's documented placeholder"),
    "tool-strict": ("dropped", "info", "Gemini function declarations have no strict mode"),
}  # fmt: skip

MAGIC: Final = (
    ("iVBOR", "image/png"),
    ("/9j/", "image/jpeg"),
    ("R0lGOD", "image/gif"),
    ("UklGR", "image/webp"),
    ("JVBER", "application/pdf"),
)


def merge_extra(block: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Add a part's kept wire keys (nested ones into ``inlineData``, ``functionCall``, ...)."""
    for key, value in extra.items():
        inner = block.get(key)
        if isinstance(inner, dict) and isinstance(value, dict):
            cast("dict[str, Any]", inner).update(cast("dict[str, Any]", value))
        else:
            block.setdefault(key, value)
    return block


def lay_out(
    layout: list[Any], functions: list[dict[str, Any]], others: list[dict[str, Any]]
) -> list[dict[str, Any]] | None:
    """The ``tools`` array in the layout the body had; None when the tools do not fit it."""
    fn, ot = iter(functions), iter(others)
    out: list[dict[str, Any]] = []
    try:
        for slot in layout:
            if not isinstance(slot, list):  # a hint from an AIF document: any JSON
                return None
            obj: dict[str, Any] = {}
            for kind in cast("list[str]", slot):
                if kind == "function":
                    obj.setdefault("functionDeclarations", []).append(next(fn))
                else:
                    obj.update(next(ot))
            out.append(obj)
    except StopIteration:
        return None
    if next(fn, None) is not None or next(ot, None) is not None:
        return None
    return out
