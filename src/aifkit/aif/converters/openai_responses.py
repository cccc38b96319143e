"""The ``openai-responses`` format: OpenAI Responses API request bodies (``POST /v1/responses``).

Decoding lives in ``_openai_responses_decode``, encoding (and the table of every
rule the encoder logs) in ``_openai_responses_encode``; this module holds the
converter, its capabilities and the format's rules.

`OpenAIResponsesConverter.validate` reports, each under its rule id:

* ``openai-responses/schema`` — a wrong type or a missing required key;
* ``openai-responses/reasoning-position`` — a ``reasoning`` item not followed by
  the model-side item it produced (a message of the assistant, a call, ...);
* ``openai-responses/tool-call-without-result`` — a ``function_call`` with no
  ``function_call_output`` after it;
* ``openai-responses/tool-result-without-call`` — a ``function_call_output`` that
  answers no earlier ``function_call`` (unless ``previous_response_id`` or
  ``conversation`` carries the earlier turns);
* ``openai-responses/part-not-allowed`` — ``input_*`` content in an assistant
  message, or ``output_text`` / ``refusal`` content in any other;
* ``openai-responses/file-name`` — ``file_data`` without a ``filename``;
* ``openai-responses/max-tokens-minimum``, ``openai-responses/temperature-range``
  — ``max_output_tokens`` below 16, a temperature outside 0 to 2;
* ``openai-responses/tool-choice-needs-tools`` — ``tool_choice`` forcing a tool
  the body does not declare.
"""

from __future__ import annotations

from typing import Any, Final

from aifkit.aif._features import STRUCTURE, Capabilities
from aifkit.aif._loss import Path
from aifkit.aif.converters._base import FormatConverter
from aifkit.aif.converters._checks import RuleChecker, as_list, as_obj, as_str
from aifkit.aif.converters._openai_responses_decode import NAME, decode_body
from aifkit.aif.converters._openai_responses_encode import (
    MAX_TEMPERATURE,
    MIN_OUTPUT_TOKENS,
    encode_document,
    model_side,
)

__all__ = ["OPENAI_RESPONSES", "OpenAIResponsesConverter"]

OPENAI_RESPONSES: Final = Capabilities(
    carries={
        "settings.reasoning": "partial",
        "instructions": "yes",
        "instructions.developer": "yes",
        "text": "yes",
        "image.url": "yes",
        "image.base64": "yes",
        "image.file": "partial",
        "image.detail": "yes",
        "document.base64": "yes",
        "document.url": "yes",
        "document.file": "partial",
        "tool_call": "yes",
        "tool_call.parallel": "yes",
        "tool_call.id": "yes",
        "tool_result": "yes",
        "tool_result.media": "yes",
        "reasoning.text": "partial",
        "reasoning.signed": "partial",
        "reasoning.redacted": "partial",
        "refusal": "yes",
        "tools": "yes",
        "tools.strict": "yes",
        "tool_choice": "partial",
        "settings.max_tokens": "partial",
        "settings.temperature": "partial",
        "settings.top_p": "yes",
    },
    rules={
        "reasoning-approximated": "settings.reasoning",
        "model-not-carried": STRUCTURE,
        "cache": "cache",
        "document-text": "document.text",
        "empty-message": STRUCTURE,
        "file-id": STRUCTURE,
        "file-name": STRUCTURE,
        "image-source": STRUCTURE,
        "max-tokens-minimum": "settings.max_tokens",
        "message-name": "message.name",
        "no-audio": "audio",
        "no-field": "extensions",
        "orphan-tool-result": STRUCTURE,
        "part-not-allowed": STRUCTURE,
        "provider-part": "provider_part",
        "reasoning-position": STRUCTURE,
        "reasoning-replay": STRUCTURE,
        "refusal-role": STRUCTURE,
        "seed": "settings.seed",
        "stop": "settings.stop",
        "temperature-range": "settings.temperature",
        "tool-choice-needs-tools": "tool_choice",
        "tool-error-flag": "tool_result.error",
        "tool-kind": "provider_part",  # another provider's own tool
        "tool-result-missing": STRUCTURE,
        "tool-role": STRUCTURE,
        "top-k": "settings.top_k",
    },
    notes={
        "image.file": "OpenAI file ids",
        "document.file": "OpenAI file ids",
        "reasoning.text": "OpenAI's own reasoning items (summaries)",
        "reasoning.signed": "OpenAI's own reasoning item ids",
        "reasoning.redacted": "OpenAI's own encrypted_content",
        "tool_choice": "needs the tools it names",
        "settings.max_tokens": "at least 16",
        "settings.temperature": "0 to 2",
    },
)


# -- rules -------------------------------------------------------------------------


class _Validator(RuleChecker):
    """Collects violations; never raises, whatever the body holds."""

    def body(self, body: Any) -> None:
        self.schema(decode_body, body)
        root = as_obj(body)
        if root is None:
            return
        limit = root.get("max_output_tokens")
        if isinstance(limit, int) and limit < MIN_OUTPUT_TOKENS:
            msg = f"max_output_tokens must be at least {MIN_OUTPUT_TOKENS}"
            self.flag(("max_output_tokens",), "max-tokens-minimum", msg)
        temperature = root.get("temperature")
        if isinstance(temperature, int | float) and not 0 <= temperature <= MAX_TEMPERATURE:
            self.flag(("temperature",), "temperature-range", "temperature must be 0 to 2")
        self.tool_choice(root)
        context = root.get("previous_response_id") is not None or "conversation" in root
        items = [(n, as_obj(i)) for n, i in enumerate(as_list(root.get("input")))]
        self.items([(n, i) for n, i in items if i is not None], context)

    def tool_choice(self, root: dict[str, Any]) -> None:
        choice = root.get("tool_choice")
        names = {
            as_str(t.get("name")) for t in map(as_obj, as_list(root.get("tools"))) if t is not None
        }
        if choice == "required" and not names:
            self.flag(("tool_choice",), "tool-choice-needs-tools", "tool_choice needs tools")
        fn = as_obj(choice)
        if fn is not None and fn.get("type") == "function" and as_str(fn.get("name")) not in names:
            msg = f"tool_choice names {fn.get('name')!r}, which tools does not declare"
            self.flag(("tool_choice", "name"), "tool-choice-needs-tools", msg)

    def items(self, items: list[tuple[int, dict[str, Any]]], context: bool) -> None:
        calls: dict[str, int] = {}  # call id -> item index
        answered: set[str] = set()
        for k, (n, item) in enumerate(items):
            kind = item.get("type", "message")
            call_id = item.get("call_id")
            if kind == "reasoning":
                nxt = items[k + 1][1] if k + 1 < len(items) else None
                if nxt is None or not model_side(nxt):
                    msg = "a reasoning item must be followed by the item it produced"
                    self.flag(("input", n), "reasoning-position", msg)
            elif kind == "function_call" and isinstance(call_id, str):
                calls[call_id] = n
            elif kind == "function_call_output" and isinstance(call_id, str):
                answered.add(call_id)
                if call_id not in calls and not context:
                    msg = f'no earlier function_call has call_id "{call_id}"'
                    self.flag(("input", n, "call_id"), "tool-result-without-call", msg)
                self.contents(as_list(item.get("output")), ("input", n, "output"), "tool")
            elif kind == "message":
                role = item.get("role")
                self.contents(as_list(item.get("content")), ("input", n, "content"), role)
        for call_id, n in calls.items():
            if call_id not in answered:
                msg = f'function_call "{call_id}" has no function_call_output'
                self.flag(("input", n), "tool-call-without-result", msg)

    def contents(self, parts: list[Any], path: Path, role: Any) -> None:
        for j, raw in enumerate(parts):
            p = as_obj(raw)
            if p is None:
                continue
            kind = p.get("type")
            model = kind in ("output_text", "refusal")
            if isinstance(kind, str) and kind.startswith("input_") and role == "assistant":
                self.flag(
                    (*path, j), "part-not-allowed", f"an assistant message cannot hold {kind}"
                )
            elif model and role != "assistant":
                self.flag((*path, j), "part-not-allowed", f"only the assistant writes {kind}")
            if kind == "input_file" and "file_data" in p and not p.get("filename"):
                self.flag((*path, j, "filename"), "file-name", "file_data needs a filename")


class OpenAIResponsesConverter(FormatConverter):
    """Reads and writes OpenAI Responses API request bodies.

    ``instructions`` is the document's system instruction; ``input`` items become
    messages: a user, system or developer ``message`` item is one message; a run
    of model-side items (assistant messages, ``function_call``, ``reasoning``) is
    one assistant message; a run of ``function_call_output`` items is one ``tool``
    message holding a `ToolResultPart` per item. Wire fields AIF has no place for
    are kept under ``extensions["openai-responses"]``, so a body that `validate`
    accepts encodes back exactly as it was.

    Examples:
        >>> from aifkit.aif import EncodeOptions
        >>> conv = OpenAIResponsesConverter()
        >>> body = {"model": "gpt-5", "instructions": "Be brief.", "store": False,
        ...     "input": [{"role": "user", "content": "Weather in Paris?"},
        ...               {"type": "function_call", "call_id": "c1", "name": "weather",
        ...                "arguments": '{"city":"Paris"}'},
        ...               {"type": "function_call_output", "call_id": "c1", "output": "18C"}]}
        >>> doc = conv.decode(body).document
        >>> [m.role for m in doc.messages], doc.messages[1].parts[0].arguments
        (['user', 'assistant', 'tool'], {'city': 'Paris'})
        >>> conv.encode(doc, EncodeOptions()).body == body
        True
        >>> [str(v) for v in conv.validate({"model": "gpt-5", "input": [
        ...     {"type": "function_call_output", "call_id": "c9", "output": "42"}]})]
        ['/input/0/call_id: no earlier function_call has call_id "c9" [openai-responses/tool-result-without-call]']
    """

    name = NAME
    capabilities = OPENAI_RESPONSES
    read = staticmethod(decode_body)
    write = staticmethod(encode_document)
    checker = _Validator
