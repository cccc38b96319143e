"""AIF 0.9 -> 1.0.

AIF 0.9 was the pre-release layout: ``system`` as a top-level string or list of
strings; messages with ``content`` as a string or a list of ``text``/``image``
parts; assistant ``tool_calls`` as ``{id, name, arguments}`` with arguments a JSON
string; tool results as separate messages with role ``tool`` and a
``tool_call_id``; ``model``, ``max_tokens`` and ``temperature`` at the top level;
no provenance. 1.0 moves the system text into ``instructions``, content into typed
``parts``, results into `ToolResultPart`s, and settings into ``settings``.
Anything else a 0.9 document carried is kept under ``extensions["aif-0.9"]``.
"""

from __future__ import annotations

import json
from typing import Any, cast

from aifkit.aif._migrate import register_upgrader

__all__ = ["upgrade_0_9"]

_SETTINGS = ("model", "max_tokens", "temperature", "top_p", "stop", "seed")
_KNOWN = {"aif_version", "id", "system", "messages", "tools", "metadata", *_SETTINGS}


@register_upgrader((0, 9), (1, 0))
def upgrade_0_9(data: dict[str, Any]) -> dict[str, Any]:
    """Upgrade one AIF 0.9 document to 1.0."""
    out: dict[str, Any] = {"aif_version": "1.0.0"}
    if "id" in data:
        out["id"] = data["id"]
    # A value of the wrong type is passed on as it is, for 1.0 validation to name.
    system = data.get("system")
    if isinstance(system, str | list):
        texts = [system] if isinstance(system, str) else cast("list[Any]", system)
        out["instructions"] = [
            {"role": "system", "parts": [{"type": "text", "text": t}]} for t in texts
        ]
    elif system is not None:
        out["instructions"] = system
    messages = data.get("messages", [])
    out["messages"] = (
        [_message(m) for m in cast("list[Any]", messages)]
        if isinstance(messages, list)
        else messages
    )
    if "tools" in data:
        out["tools"] = data["tools"]
    settings = {k: data[k] for k in _SETTINGS if k in data}
    if settings:
        out["settings"] = settings
    if "metadata" in data:
        out["metadata"] = data["metadata"]
    rest = {k: v for k, v in data.items() if k not in _KNOWN}
    if rest:
        out["extensions"] = {"aif-0.9": {"extra": rest}}
    return out


def _message(m: Any) -> Any:
    if not isinstance(m, dict):
        return m  # let 1.0 validation name the problem
    msg = cast("dict[str, Any]", m)
    role = msg.get("role")
    if role == "tool":
        result = {
            "type": "tool_result",
            "call_id": msg.get("tool_call_id"),
            "content": _parts(msg.get("content")),
        }
        return {"role": "tool", "parts": [result]}
    parts = _parts(msg.get("content"))
    calls: Any = msg.get("tool_calls") or []
    out: dict[str, Any] = {"role": role}
    if not isinstance(calls, list):
        out["tool_calls"] = calls  # an unknown field to 1.0: validation names it
        calls = []
    if isinstance(parts, list):
        parts = [*cast("list[Any]", parts), *(_call(c) for c in cast("list[Any]", calls))]
    out["parts"] = parts
    if "name" in msg:
        out["name"] = msg["name"]
    return out


def _parts(content: Any) -> Any:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    if not isinstance(content, list):
        return content  # let 1.0 validation name the problem
    parts: list[Any] = []
    for p in cast("list[Any]", content):
        if isinstance(p, dict) and p.get("type") == "image":  # pyright: ignore[reportUnknownMemberType]
            img = cast("dict[str, Any]", p)
            if "url" in img:
                source: dict[str, Any] = {"kind": "url", "url": img["url"]}
            else:
                source = {
                    "kind": "base64",
                    "media_type": img.get("media_type"),
                    "data": img.get("data"),
                }
            parts.append({"type": "image", "source": source})
        else:
            parts.append(p)
    return parts


def _call(call: Any) -> Any:
    if not isinstance(call, dict):
        return call
    c = cast("dict[str, Any]", call)
    raw = c.get("arguments", "{}")
    part: dict[str, Any] = {"type": "tool_call", "id": c.get("id"), "name": c.get("name")}
    try:
        part["arguments"] = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        part["raw_arguments"] = raw  # never repaired: kept as the model wrote it
    return part
