"""Telling which wire format a request body is in.

Each format leaves marks no other format leaves in the same place: Gemini's
``contents``, Bedrock's ``modelId`` and ``toolUse`` blocks without a ``type``,
Ollama's ``options`` and ``images``, MCP's one-block ``content`` objects, ... .
`detect_format` weighs the marks a body carries (top-level keys, message keys, and
the shape of message content), keeps the formats whose converter reads the body,
and ranks them: most marks first, then fewest rule violations. One look at each
message, so linear in the body.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, cast

from aifkit.errors import AifkitError, UnsupportedVersionError

__all__ = ["FormatGuess", "detect_format", "family_of", "model_families"]


@dataclass(frozen=True)
class FormatGuess:
    """One format a body may be in.

    Attributes:
        format: The format's name, e.g. ``"openai-chat"``.
        score: How many marks of the format the body carries (weighted).
        evidence: The marks found, most telling first, e.g. ``("contents", ...)``.
        violations: How many of the format's rules the body breaks.
    """

    format: str
    score: int
    evidence: tuple[str, ...]
    violations: int


# format -> top-level key -> weight (3: only this format uses it; 1: a hint)
_TOP: Final[Mapping[str, Mapping[str, int]]] = {
    "aif": {"aif_version": 9},
    "gemini": {
        "contents": 5,
        "systemInstruction": 3,
        "system_instruction": 3,
        "generationConfig": 3,
        "generation_config": 3,
        "safetySettings": 2,
        "toolConfig": 1,
        "cachedContent": 2,
    },
    "bedrock-converse": {
        "modelId": 4,
        "inferenceConfig": 4,
        "toolConfig": 1,
        "additionalModelRequestFields": 4,
        "guardrailConfig": 3,
        "performanceConfig": 3,
        "promptVariables": 3,
    },
    "openai-responses": {
        "input": 4,
        "instructions": 2,
        "max_output_tokens": 3,
        "previous_response_id": 4,
        "reasoning": 2,
        "truncation": 2,
        "include": 2,
        "text": 1,
    },
    "openai-chat": {
        "messages": 1,  # the lingua franca of chat bodies: the guess when nothing else shows
        "max_completion_tokens": 3,
        "response_format": 1,
        "reasoning_effort": 3,
        "stream_options": 2,
        "logprobs": 1,
        "n": 1,
        "logit_bias": 2,
        "modalities": 2,
        "prediction": 3,
        "audio": 2,
        "web_search_options": 3,
        "verbosity": 2,
    },
    "anthropic": {
        "max_tokens": 1,
        "system": 1,
        "stop_sequences": 1,
        "thinking": 1,
        "mcp_servers": 3,
        "container": 2,
        "context_management": 3,
        "top_k": 1,
    },
    "mistral": {"random_seed": 4, "safe_prompt": 4, "prompt_mode": 4, "prediction": 1},
    "ollama": {"options": 3, "keep_alive": 4, "think": 3, "format": 1},
    "cohere": {
        "documents": 2,
        "citation_options": 4,
        "safety_mode": 4,
        "strict_tools": 4,
        "p": 2,
        "k": 2,
    },
    "mcp": {
        "maxTokens": 4,
        "systemPrompt": 4,
        "modelPreferences": 4,
        "includeContext": 4,
        "toolChoice": 2,
        "stopSequences": 2,
    },
    "mcp-prompt": {"description": 1, "_meta": 1},
    "a2a": {
        "messageId": 5,
        "parts": 3,
        "contextId": 3,
        "taskId": 3,
        "history": 2,
        "artifacts": 3,
        "status": 1,
        "kind": 2,
        "jsonrpc": 4,
    },
}

# format -> the family of model the body names (``model`` or ``modelId``)
_MODEL: Final[Mapping[str, Mapping[str, int]]] = {
    "anthropic": {"claude": 3},
    "openai-chat": {"gpt": 2, "o-series": 2},
    "openai-responses": {"gpt": 2, "o-series": 2},
    "gemini": {"gemini": 2},
    "mistral": {"mistral": 3},
    "cohere": {"command": 3},
    "ollama": {"tagged": 3},
    "bedrock-converse": {"bedrock": 3},
}
_FAMILIES: Final = (
    ("claude", "claude"),
    ("gpt-", "gpt"),
    ("chatgpt", "gpt"),
    ("gemini", "gemini"),
    ("models/gemini", "gemini"),
    ("command", "command"),
    ("mistral", "mistral"),
    ("magistral", "mistral"),
    ("codestral", "mistral"),
    ("ministral", "mistral"),
    ("pixtral", "mistral"),
    ("devstral", "mistral"),
    ("open-mistral", "mistral"),
)
_BEDROCK_PREFIXES: Final = ("anthropic.", "amazon.", "meta.", "us.", "eu.", "apac.", "arn:aws:")


def family_of(model: Any) -> str | None:
    """The family a model name belongs to (``"gpt"``, ``"claude"``, ...), None if unknown.

    Examples:
        >>> family_of("gpt-4o"), family_of("anthropic.claude-3"), family_of("my-model")
        ('gpt', 'bedrock', None)
    """
    return _family(model)


def model_families(format: str) -> frozenset[str] | None:
    """The model families ``format``'s API serves; None when it names no model or any."""
    families = _MODEL.get(format)
    return None if families is None or format == "ollama" else frozenset(families)


def _family(model: Any) -> str | None:
    """The family a model name belongs to, as far as it shows which format sent it."""
    if not isinstance(model, str):
        return None
    name = model.lower()
    if name.startswith(_BEDROCK_PREFIXES):
        return "bedrock"
    for prefix, family in _FAMILIES:
        if name.startswith(prefix):
            return family
    if len(name) > 1 and name[0] == "o" and name[1].isdigit():
        return "o-series"
    if ":" in name:  # llama3.2:latest, qwen3:8b: an Ollama tag
        return "tagged"
    return None


# format -> message key -> weight
_MESSAGE: Final[Mapping[str, Mapping[str, int]]] = {
    "openai-chat": {"tool_call_id": 1, "refusal": 2, "function_call": 2, "name": 1},
    "mistral": {"prefix": 3, "tool_call_id": 1},
    "ollama": {"images": 4, "tool_name": 4, "thinking": 2},
    "cohere": {"tool_plan": 4, "citations": 3},
    "openai-responses": {"call_id": 3, "type": 1},
    "gemini": {"parts": 2},
    "aif": {"parts": 2},
}

# format -> the role a message may have that few other formats know
_ROLES: Final[Mapping[str, Mapping[str, int]]] = {
    "openai-chat": {"system": 1, "developer": 2, "tool": 1},
    "mistral": {"system": 1, "tool": 1},
    "ollama": {"system": 1, "tool": 1},
    "cohere": {"system": 1, "tool": 1},
    "gemini": {"model": 4},
    "openai-responses": {"developer": 1},
    "aif": {"tool": 1},
}

# format -> the ``type`` of a content block (or a block's only key) it uses
_BLOCK: Final[Mapping[str, Mapping[str, int]]] = {
    "openai-chat": {"image_url": 1, "input_audio": 3, "file": 1},
    "mistral": {"image_url": 1, "document_url": 4, "reference": 4},
    "cohere": {"image_url": 1, "document": 1},
    "anthropic": {
        "tool_use": 2,
        "tool_result": 2,
        "thinking": 1,
        "redacted_thinking": 4,
        "server_tool_use": 4,
        "image": 1,
        "document": 1,
    },
    "openai-responses": {
        "input_text": 4,
        "output_text": 4,
        "input_image": 4,
        "input_file": 4,
        "function_call": 3,
        "function_call_output": 4,
        "message": 1,
    },
    "bedrock-converse": {
        "@text": 1,
        "@toolUse": 4,
        "@toolResult": 4,
        "@cachePoint": 4,
        "@reasoningContent": 4,
        "@image": 2,
        "@document": 2,
        "@video": 2,
    },
    "gemini": {
        "@text": 1,
        "@inlineData": 4,
        "@fileData": 4,
        "@functionCall": 4,
        "@functionResponse": 4,
        "@inline_data": 4,
        "@file_data": 4,
        "@function_call": 4,
        "@function_response": 4,
    },
    "mcp": {"{tool_use": 3, "{tool_result": 3, "{text": 1, "{image": 1, "{audio": 1},
    "mcp-prompt": {"{text": 1, "{image": 1, "{audio": 1, "{resource": 4, "{resource_link": 4},
    "aif": {"tool_call": 3, "reasoning": 3},
}


def _marks(body: dict[str, Any]) -> Counter[str]:
    """The marks of ``body``: ``top:key``, ``msg:key``, ``role:r``, ``block:kind``."""
    marks: Counter[str] = Counter(f"top:{k}" for k in body)
    family = _family(body.get("model", body.get("modelId")))
    if family is not None:
        marks[f"model:{family}"] += 1
    messages: Any = body.get("messages", body.get("contents", body.get("input")))
    for raw in cast("list[Any]", messages) if isinstance(messages, list) else []:
        if not isinstance(raw, dict):
            continue
        m = cast("dict[str, Any]", raw)
        marks.update(f"msg:{k}" for k in m)
        role = m.get("role")
        if isinstance(role, str):
            marks[f"role:{role}"] += 1
        kind = m.get("type")
        if isinstance(kind, str):  # a Responses input item
            marks[f"block:{kind}"] += 1
        content: Any = m.get("content", m.get("parts"))
        if isinstance(content, dict):  # MCP: one block, not a list
            block = cast("dict[str, Any]", content)
            marks[f"block:{{{block.get('type')}"] += 1
        elif isinstance(content, list):
            for item in cast("list[Any]", content):
                if not isinstance(item, dict):
                    continue
                block = cast("dict[str, Any]", item)
                kind = block.get("type")
                if isinstance(kind, str):
                    marks[f"block:{kind}"] += 1
                else:  # Bedrock and Gemini blocks are keyed by their kind
                    marks.update(f"block:@{k}" for k in block)
    return marks


def _score(fmt: str, marks: Counter[str]) -> tuple[int, tuple[str, ...]]:
    found: list[tuple[int, str]] = []
    tables = (
        (_TOP, "top"),
        (_MODEL, "model"),
        (_MESSAGE, "msg"),
        (_ROLES, "role"),
        (_BLOCK, "block"),
    )
    for table, prefix in tables:
        for key, weight in table.get(fmt, {}).items():
            if weight and marks[f"{prefix}:{key}"]:
                found.append((weight, key.lstrip("@{")))
    found.sort(key=lambda f: -f[0])
    return sum(w for w, _ in found), tuple(k for _, k in found)


def detect_format(body: Any) -> list[FormatGuess]:
    """Guess the wire format of a request body, most likely first.

    Only formats whose converter reads ``body`` are listed; an empty list means
    none does (or nothing in the body points to any format).

    Args:
        body: A request body, as parsed JSON.

    Returns:
        The candidate formats, ranked by the marks of each the body carries, then
        by the fewest rule violations.

    Examples:
        >>> detect_format({"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]})[0]
        FormatGuess(format='gemini', score=8, evidence=('contents', 'parts', 'text'), violations=0)
        >>> guess = detect_format({"model": "gpt-4o", "max_completion_tokens": 64,
        ...     "messages": [{"role": "system", "content": "Be brief."},
        ...                  {"role": "user", "content": "Hi"}]})[0]
        >>> guess.format, guess.evidence
        ('openai-chat', ('max_completion_tokens', 'gpt', 'messages', 'system'))
    """
    from aifkit.aif._convert import FORMATS, decode, validate

    if not isinstance(body, dict):
        return []
    marks = _marks(cast("dict[str, Any]", body))
    guesses: list[FormatGuess] = []
    for fmt in FORMATS.names():
        score, evidence = _score(fmt, marks)
        if score == 0 or getattr(FORMATS.get(fmt), "render_only", False):
            continue
        try:
            decode(body, fmt)
        except UnsupportedVersionError:
            pass  # its own format, at a version this aifkit cannot read: decoding says so
        except (AifkitError, LookupError, TypeError, ValueError, AttributeError):
            # Not this format. (A reader meeting another format's body may fail on
            # shapes it never expects; that, too, says the body is not its own.)
            continue
        guesses.append(FormatGuess(fmt, score, evidence, len(validate(body, fmt))))
    guesses.sort(key=lambda g: (-g.score, g.violations, g.format))
    return guesses
