"""Hostile Python objects for the integrations, built from a mutated ``openai-chat`` body.

The integrations take framework objects, not JSON: LangChain messages, pydantic-ai
messages, OpenAI Agents items, LiteLLM request arguments. Each builder below turns
a mutated body's messages into that framework's objects *without* the framework's
own validation (``model_construct``, plain dataclasses), so a wrong type, huge
content, a tool call without a result or a cyclic value reaches aifkit as a user's
code could hand it over.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network on import

Obj = dict[str, Any]


def messages_of(body: Any) -> list[Any]:
    """The body's ``messages`` (or ``input``) as a list; anything else as one item."""
    if isinstance(body, dict):
        found = body.get("messages", body.get("input"))  # pyright: ignore[reportUnknownMemberType]
        return list(found) if isinstance(found, list) else [found]  # pyright: ignore[reportUnknownArgumentType]
    return list(body) if isinstance(body, list) else [body]  # pyright: ignore[reportUnknownArgumentType]


def _get(m: Any, key: str, default: Any = None) -> Any:
    return m.get(key, default) if isinstance(m, dict) else default  # pyright: ignore[reportUnknownMemberType]


def langchain_messages(body: Any, cyclic: bool = False) -> list[Any]:
    """LangChain messages, unvalidated: content and tool calls are whatever the body holds."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    out: list[Any] = []
    for m in messages_of(body):
        role, content = _get(m, "role"), _get(m, "content", m)
        if cyclic and isinstance(content, list):
            content.append(content)  # pyright: ignore[reportUnknownMemberType]
        if role == "system":
            out.append(SystemMessage.model_construct(content=content, type="system"))
        elif role == "assistant":
            calls = (
                [
                    {
                        "name": _get(_get(c, "function"), "name"),
                        "args": _get(_get(c, "function"), "arguments"),
                        "id": _get(c, "id"),
                        "type": "tool_call",
                    }
                    for c in (_get(m, "tool_calls") or [])
                ]
                if isinstance(_get(m, "tool_calls"), list)
                else _get(m, "tool_calls")
            )
            out.append(
                AIMessage.model_construct(content=content, tool_calls=calls or [], type="ai")
            )
        elif role == "tool":
            out.append(
                ToolMessage.model_construct(
                    content=content, tool_call_id=_get(m, "tool_call_id"), type="tool"
                )
            )
        elif isinstance(m, dict):
            out.append(HumanMessage.model_construct(content=content, type="human"))
        else:
            out.append(m)  # not a message at all
    return out


def _forced(part: Any, **values: Any) -> Any:
    """``part`` with ``values`` set past its own checks (pydantic-ai validates some fields)."""
    for key, value in values.items():
        object.__setattr__(part, key, value)
    return part


def pydantic_ai_messages(body: Any) -> list[Any]:
    """pydantic-ai messages (dataclasses: no validation), parts as the body holds them."""
    from pydantic_ai.messages import (
        ModelRequest,
        ModelResponse,
        SystemPromptPart,
        TextPart,
        ToolCallPart,
        ToolReturnPart,
        UserPromptPart,
    )

    out: list[Any] = []
    for m in messages_of(body):
        role, content = _get(m, "role"), _get(m, "content", m)
        if role == "system":
            out.append(ModelRequest(parts=[_forced(SystemPromptPart(""), content=content)]))
        elif role == "assistant":
            parts: list[Any] = [_forced(TextPart(""), content=content)]
            calls = _get(m, "tool_calls")
            for c in calls if isinstance(calls, list) else []:  # pyright: ignore[reportUnknownVariableType]
                fn = _get(c, "function")
                call = _forced(ToolCallPart("t"), tool_name=_get(fn, "name"), args=_get(fn, "arguments"))  # fmt: skip
                parts.append(_forced(call, tool_call_id=_get(c, "id")))
            out.append(ModelResponse(parts=parts))
        elif role == "tool":
            part = _forced(ToolReturnPart("t", ""), tool_name=_get(m, "name"), content=content)
            out.append(ModelRequest(parts=[_forced(part, tool_call_id=_get(m, "tool_call_id"))]))
        else:
            out.append(ModelRequest(parts=[_forced(UserPromptPart(""), content=content)]))
    return out
