"""pydantic-ai: a history processor that packs the message history within a budget.

`history_processor` returns a history processor: pass it as
``Agent(capabilities=[ProcessHistory(processor)])`` (pydantic-ai 2; in 1.x,
``Agent(history_processors=[processor])``). Before each model request,
pydantic-ai hands it the message history, and it
returns the history packed (and, where packing would drop, compressed) so the
request fits the budget. pydantic-ai's own message types are read part by part
into an ``openai-chat`` body (each request part one message; a response one
assistant message with its text and tool calls), packed with `aifkit.pack`, and
mapped back: kept messages are the objects given, a request that lost some parts
is a copy holding the rest, and only compressed text becomes new parts. Parts
with nothing to send (thinking, files, instruction deltas) travel with their
message; a message made only of them is always kept.

The request's instructions (of the last request) are counted; tool definitions
are not: leave room for them in the budget.

``pip install "aifkit[pydantic-ai]"``.

Examples:
    >>> from pydantic_ai import Agent
    >>> from pydantic_ai.capabilities import ProcessHistory
    >>> from pydantic_ai.messages import ModelRequest, ModelResponse, TextPart, UserPromptPart
    >>> from pydantic_ai.models.function import AgentInfo, FunctionModel
    >>> seen = []
    >>> def model(messages, info: AgentInfo) -> ModelResponse:
    ...     seen.append(messages)
    ...     return ModelResponse(parts=[TextPart("It is 4417.")])
    >>> history = [ModelRequest(parts=[UserPromptPart("My locker code is 4417.")]),
    ...            ModelResponse(parts=[TextPart("Noted.")])]
    >>> for i in range(40):
    ...     history += [ModelRequest(parts=[UserPromptPart(f"Weather chatter, day {i}.")]),
    ...                 ModelResponse(parts=[TextPart(f"Day {i} was mild.")])]
    >>> agent = Agent(FunctionModel(model),
    ...               capabilities=[ProcessHistory(history_processor(model="gpt-4o", budget=150))])
    >>> import asyncio
    >>> asyncio.run(agent.run("What is my locker code?", message_history=history)).output
    'It is 4417.'
    >>> len(seen[0]) < len(history), seen[0][0] is history[0]
    (True, True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from aifkit._extras import require
from aifkit.integrations._rejoin import rejoin
from aifkit.integrations._unreadable import READ_ERRORS, unreadable

require("pydantic-ai")

from pydantic_ai.messages import (  # noqa: E402
    BaseToolReturnPart,
    BinaryContent,
    ImageUrl,
    ModelMessage,
    ModelRequest,
    ModelRequestPart,
    ModelResponse,
    ModelResponsePart,
    SystemPromptPart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

if TYPE_CHECKING:
    from aifkit.budget import Compressor, PackReport, Policy

__all__ = ["history_processor", "pack_history"]

_WIRE = "openai-chat"


@dataclass(slots=True)
class _Wire:
    """The history as ``openai-chat`` messages, and where each came from."""

    messages: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    # Per wire message: (index of the ModelMessage, indexes of its parts); None: the instructions.
    origins: list[tuple[int, tuple[int, ...]] | None] = field(
        default_factory=list[tuple[int, tuple[int, ...]] | None]
    )
    tool_names: dict[str, str] = field(default_factory=dict[str, str])  # call id -> tool

    def add(self, message: dict[str, Any], origin: tuple[int, tuple[int, ...]] | None) -> None:
        self.messages.append(message)
        self.origins.append(origin)


def _user_content(content: str | Sequence[Any]) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    parts: list[dict[str, Any]] = []
    for item in content:
        if isinstance(item, str):
            parts.append({"type": "text", "text": item})
        elif isinstance(item, ImageUrl):
            parts.append({"type": "image_url", "image_url": {"url": item.url}})
        elif isinstance(item, BinaryContent) and item.is_image:
            parts.append({"type": "image_url", "image_url": {"url": item.data_uri}})
        else:  # audio, documents, video, cache points: counted by what they say
            text = getattr(item, "content", None)
            parts.append({"type": "text", "text": text if isinstance(text, str) else repr(item)})
    return parts


def _request_part(part: ModelRequestPart) -> dict[str, Any] | None:
    if isinstance(part, SystemPromptPart):
        return {"role": "system", "content": part.content}
    if isinstance(part, UserPromptPart):
        return {"role": "user", "content": _user_content(part.content)}
    if isinstance(part, BaseToolReturnPart):
        return {
            "role": "tool",
            "tool_call_id": part.tool_call_id,
            "content": part.model_response_str(),
        }
    answer = getattr(part, "model_response", None)  # retry prompts and retry feedback
    if callable(answer):
        text = str(answer())
        call_id, tool = getattr(part, "tool_call_id", None), getattr(part, "tool_name", None)
        if isinstance(call_id, str) and tool:
            return {"role": "tool", "tool_call_id": call_id, "content": text}
        return {"role": "user", "content": text}
    return None  # nothing sent on its own: travels with its message


def _response(message: ModelResponse) -> tuple[dict[str, Any] | None, tuple[int, ...]]:
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    used: list[int] = []
    for j, part in enumerate(message.parts):
        if isinstance(part, TextPart):
            texts.append(part.content)
            used.append(j)
        elif isinstance(part, ToolCallPart):
            calls.append(
                {
                    "id": part.tool_call_id,
                    "type": "function",
                    "function": {"name": part.tool_name, "arguments": part.args_as_json_str()},
                }
            )
            used.append(j)
    if not used:
        return None, ()
    out: dict[str, Any] = {"role": "assistant", "content": "".join(texts) or None}
    if calls:
        out["tool_calls"] = calls
    return out, tuple(used)


def _to_wire(messages: Sequence[ModelMessage]) -> _Wire:
    wire = _Wire()
    last_request = next((m for m in reversed(messages) if isinstance(m, ModelRequest)), None)
    if last_request is not None and last_request.instructions:
        wire.add({"role": "system", "content": last_request.instructions}, None)
    for i, message in enumerate(messages):
        try:
            _add(wire, i, message)
        except READ_ERRORS as exc:  # parts built with values pydantic-ai never writes
            raise unreadable(f"/{i}", "pydantic-ai", exc) from None
    return wire


def _add(wire: _Wire, i: int, message: ModelMessage) -> None:
    if isinstance(message, ModelResponse):
        out, used = _response(message)
        if out is not None:
            wire.add(out, (i, used))
        for part in message.parts:
            if isinstance(part, ToolCallPart):
                wire.tool_names[part.tool_call_id] = part.tool_name
        return
    for j, part in enumerate(message.parts):
        out = _request_part(part)
        if out is not None:
            wire.add(out, (i, (j,)))


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    items = cast("list[Any]", content) if isinstance(content, list) else []
    parts = [cast("dict[str, Any]", p) for p in items if isinstance(p, dict)]
    return "".join(str(p.get("text", "")) for p in parts)


def _new_parts(message: dict[str, Any], wire: _Wire) -> ModelRequestPart | ModelResponse:
    """A rewritten (compressed or summary) wire message as pydantic-ai parts."""
    role, text = message.get("role"), _text(message.get("content"))
    if role == "assistant":
        parts: list[ModelResponsePart] = [TextPart(text)] if text else []
        for call in cast("list[dict[str, Any]]", message.get("tool_calls") or []):
            fn = cast("dict[str, Any]", call["function"])
            parts.append(ToolCallPart(fn["name"], fn["arguments"], tool_call_id=call["id"]))
        return ModelResponse(parts=parts)
    if role == "tool":
        call_id = str(message.get("tool_call_id"))
        return ToolReturnPart(wire.tool_names.get(call_id, ""), text, tool_call_id=call_id)
    if role == "system":
        return SystemPromptPart(text)
    return UserPromptPart(text)


@dataclass(slots=True)
class _Entry:
    """One message of the packed history: an original (and which parts it keeps) or a new one."""

    origin: int | None
    parts: list[int] = field(default_factory=list[int])
    extra: list[ModelRequestPart] = field(default_factory=list[ModelRequestPart])
    new: ModelResponse | None = None


def _back(
    messages: Sequence[ModelMessage], wire: _Wire, packed: Sequence[Any]
) -> list[ModelMessage]:
    entries: list[_Entry] = []
    for k, message in rejoin(wire.messages, packed):
        origin = wire.origins[k] if k is not None else None
        if k is not None and origin is None:
            continue  # the instructions, counted only
        if origin is not None:
            i, parts = origin
            if not entries or entries[-1].origin != i:
                entries.append(_Entry(i))
            entries[-1].parts.extend(parts)
            continue
        made = _new_parts(message, wire)
        if isinstance(made, ModelResponse):
            entries.append(_Entry(None, new=made))
        elif entries and entries[-1].new is None and _is_request(messages, entries[-1].origin):
            entries[-1].extra.append(made)  # a compressed part of the request being rebuilt
        else:
            entries.append(_Entry(None, extra=[made]))
    sent = {origin[0] for origin in wire.origins if origin is not None}
    silent = [i for i in range(len(messages)) if i not in sent]  # nothing to send: always kept
    return _merge([_message(messages, e) for e in entries], entries, silent, messages)


def _is_request(messages: Sequence[ModelMessage], i: int | None) -> bool:
    return i is None or isinstance(messages[i], ModelRequest)


def _message(messages: Sequence[ModelMessage], entry: _Entry) -> ModelMessage:
    if entry.new is not None:
        return entry.new
    if entry.origin is None:
        return ModelRequest(parts=entry.extra)
    original = messages[entry.origin]
    if isinstance(original, ModelResponse):
        return original  # one wire message: kept whole or not at all
    keep = set(entry.parts)
    quiet = {j for j, p in enumerate(original.parts) if _request_part(p) is None}
    if keep | quiet == set(range(len(original.parts))) and not entry.extra:
        return original
    parts = [p for j, p in enumerate(original.parts) if j in keep or j in quiet]
    return dataclasses.replace(original, parts=[*parts, *entry.extra])


def _merge(
    out: list[ModelMessage],
    entries: list[_Entry],
    silent: list[int],
    messages: Sequence[ModelMessage],
) -> list[ModelMessage]:
    """Put the messages that send nothing back where they were, among the packed ones."""
    if not silent:
        return out
    merged: list[ModelMessage] = []
    s = 0
    for message, entry in zip(out, entries, strict=True):
        while entry.origin is not None and s < len(silent) and silent[s] < entry.origin:
            merged.append(messages[silent[s]])
            s += 1
        merged.append(message)
    merged.extend(messages[i] for i in silent[s:])
    return merged


def pack_history(
    messages: Sequence[ModelMessage],
    *,
    model: str,
    budget: int | None = None,
    reserve: int | None = None,
    policy: Policy | None = None,
    compress: str | Compressor | None = "auto",
) -> tuple[list[ModelMessage], PackReport]:
    """Pack a pydantic-ai message history within ``budget`` tokens (`aifkit.pack`).

    Returns:
        The packed history and the `PackReport` (pointers into the ``openai-chat``
        messages the history reads as).
    """
    from aifkit.budget import pack

    listed = list(messages)
    wire = _to_wire(listed)
    out, report = pack(
        {"model": model, "messages": wire.messages},
        format=_WIRE,
        model=model,
        budget=budget,
        reserve=reserve,
        policy=policy,
        compress=compress,
    )
    return _back(listed, wire, out["messages"]), report


def history_processor(
    *,
    model: str,
    budget: int | None = None,
    reserve: int | None = None,
    policy: Policy | None = None,
    compress: str | Compressor | None = "auto",
    on_pack: Callable[[PackReport], object] | None = None,
) -> Callable[[list[ModelMessage]], list[ModelMessage]]:
    """A pydantic-ai history processor that packs the history before each model request.

    Args:
        model: The model whose tokenizer, window and rules apply (an aifkit name).
        budget: The most prompt tokens the history and instructions may take;
            default: the model's window minus the reply reserve.
        reserve: Tokens kept for the reply; default: estimated from the request.
        policy: How to pack; default `Policy()`.
        compress: Compress before dropping (see `aifkit.pack`); None drops only.
        on_pack: Called with each pack's `PackReport` (to log or meter it).

    Returns:
        ``process(messages) -> messages``, for ``ProcessHistory(process)`` (or, in
        pydantic-ai 1.x, ``Agent(history_processors=[process])``).
    """
    from aifkit.budget import Packer

    Packer(model)  # an unknown model is refused now, not at the first request

    def process(messages: list[ModelMessage]) -> list[ModelMessage]:
        packed, report = pack_history(
            messages, model=model, budget=budget, reserve=reserve, policy=policy, compress=compress
        )
        if on_pack is not None:
            on_pack(report)
        return packed

    return process
