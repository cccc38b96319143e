"""The assistant message of a response, read and written by the request converters.

A response's assistant message is written in the same blocks a request's
assistant turn is, so the response codecs reuse the request converters for it:
the message is read as the assistant turn of a minimal request body and written
as the assistant turn of a minimal document. Loss paths are moved from those
synthetic request paths onto the response (``("message", "parts", 2)``) and
from there, through the response's `SourceMap`, into the source body.
"""

from __future__ import annotations

from typing import Any, cast

from aifkit._json import format_pointer
from aifkit.aif._loss import LossLog, Path, SourceMap
from aifkit.aif._schema import (
    Document,
    Message,
    TextPart,
    Tool,
    ToolCallPart,
    ToolResultPart,
)
from aifkit.aif.converters._base import EncodeOptions
from aifkit.aif.converters._common import fail, own_extra
from aifkit.aif.converters._response_wire import Obj
from aifkit.errors import InvalidInputError

__all__ = ["decode_message", "encode_message"]


def decode_message(
    format: str,
    request: Obj,
    index: int,
    wire_prefix: Path,
    source_prefix: Path,
    sm: SourceMap,
    losses: LossLog,
) -> Message:
    """Read the assistant turn ``index`` of a synthetic ``format`` request body.

    ``wire_prefix`` is where the turn sits in ``request`` (``("messages", 1)``);
    ``source_prefix`` where it sits in the response body (``("choices", 0,
    "message")``). Source-map entries and decode losses are moved accordingly.
    """
    from aifkit.aif._convert import FORMATS  # the registry imports this module's users

    try:
        decoded = FORMATS.get(format).decode(request)
    except InvalidInputError as exc:  # say where in the response, not in the synthetic request
        where = _move(_parse(exc.pointer), wire_prefix, source_prefix)
        raise InvalidInputError(format_pointer(where), exc.problem, hint=exc.hint) from None
    messages = decoded.document.messages
    if index >= len(messages):  # pragma: no cover - the wrapper always yields the turn
        raise fail(source_prefix, "the reply has no assistant message")
    own: Path = ("messages", index)
    for aif_path, wire_path in decoded.source_map.entries.items():
        if aif_path[:2] == own:
            sm.add(("message", *aif_path[2:]), _move(wire_path, wire_prefix, source_prefix))
    sm.add(("message",), source_prefix)
    message = messages[index]
    # Extra fields kept on the message and its parts point at the wire key they came from.
    for at, element in (
        (("message",), message),
        *((("message", "parts", k), p) for k, p in enumerate(message.parts)),
    ):
        for key in own_extra(element.extensions, format):
            path = (*at, "extensions", format, "extra", key)
            wire = _move(sm.translate(path), source_prefix, wire_prefix)
            if len(_existing(request, wire)) != len(wire):  # it is not in the request
                sm.add(path, (*sm.translate(at), key))
    for raw in decoded.losses.raw:
        losses.add(
            _move(_existing(request, raw.path), wire_prefix, source_prefix),
            raw.action,
            raw.rule,
            raw.severity,
            raw.detail,
        )
    return message


def encode_message(
    format: str,
    message: Message,
    options: EncodeOptions,
    losses: LossLog,
    *,
    user_text: str = ".",
) -> Obj:
    """Write ``message`` as the assistant turn of a synthetic ``format`` request.

    The document around it (a user turn before, results for its tool calls after,
    a declaration for each tool it calls) exists only so the request encoder's
    rules hold; the caller picks the assistant turn out of the returned body.
    Only losses inside the message are kept, moved to ``("message", ...)``.
    """
    from aifkit.aif._convert import FORMATS

    calls = [p for p in message.parts if isinstance(p, ToolCallPart)]
    turns = [Message(role="user", parts=(TextPart(text=user_text),)), message]
    if calls:
        results = tuple(ToolResultPart(call_id=c.id, content=(TextPart(text="."),)) for c in calls)
        turns.append(Message(role="tool", parts=results))
    else:  # formats that want a conversation to end on a user turn
        turns.append(Message(role="user", parts=(TextPart(text=user_text),)))
    names = dict.fromkeys(c.name for c in calls)
    tools = tuple(Tool(name=n, parameters={"type": "object"}) for n in names)
    doc = Document(messages=tuple(turns), tools=tools)
    encoded = FORMATS.get(format).encode(doc, options)
    own: Path = ("messages", 1)
    for raw in encoded.losses.raw:
        if raw.path[:2] == own:
            losses.add(("message", *raw.path[2:]), raw.action, raw.rule, raw.severity, raw.detail)
    return cast("Obj", encoded.body)


def _existing(body: Any, path: Path) -> Path:
    """The longest prefix of ``path`` that names something in ``body`` (one walk down)."""
    node = body
    for k, step in enumerate(path):
        if (
            isinstance(node, list)
            and isinstance(step, int)
            and 0 <= step < len(cast("list[Any]", node))
        ):
            node = cast("list[Any]", node)[step]
        elif isinstance(node, dict) and step in node:
            node = cast("Obj", node)[cast("str", step)]
        else:
            return path[:k]
    return path


def _parse(pointer: str) -> Path:
    steps = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    return tuple(int(t) if t.isdigit() else t for t in steps)


def _move(path: Path, old: Path, new: Path) -> Path:
    n = len(old)
    return (*new, *path[n:]) if path[:n] == old else path
