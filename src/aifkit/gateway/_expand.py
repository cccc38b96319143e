"""Reversible elision in the gateway: the ``aif_expand`` tool, added upstream and answered here.

When a route's pack elided content (its markers name refs), `with_tool` adds the
``aif_expand(ref)`` tool to the upstream body. A reply whose tool calls are all
``aif_expand`` is answered by `continued`: the assistant turn and one tool result
per call are appended to the request, which goes upstream again; the client sees
only the final reply. A streamed reply is read with `peek` until it is known
whether it only calls ``aif_expand``. Everything here works on AIF (`aifkit.aif`), so it is the
same for every upstream format.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, cast

from aifkit.budget.compressors._elide import EXPAND_TOOL, answer_expand, expand_tool

if TYPE_CHECKING:
    from aifkit.aif import Response, ToolCallPart

__all__ = ["chain", "continued", "expand_calls", "peek", "place_model", "tool_tokens", "with_tool"]


@functools.cache
def tool_tokens(model: str) -> int:
    """The prompt tokens the ``aif_expand`` tool adds to a request for ``model``.

    Examples:
        >>> 0 < tool_tokens("gpt-4o") < 200
        True
    """
    from aifkit.aif import Document, Message, TextPart
    from aifkit.tokens import count_tokens

    plain = Document(messages=(Message(role="user", parts=(TextPart(text="x"),)),))
    tooled = plain.model_copy(update={"tools": (expand_tool(),)})
    return count_tokens(tooled, model=model).total - count_tokens(plain, model=model).total


def place_model(body: dict[str, Any], format: str, model: str) -> dict[str, Any]:
    """Name ``model`` in an upstream ``body`` (Gemini names it in the URL, not the body)."""
    if format == "gemini":
        body.pop("model", None)
    else:
        body["model"] = model
    return body


def _encode(document: Any, format: str, model: str) -> dict[str, Any]:
    from aifkit.aif import EncodeOptions, encode

    out, _ = encode(document, format, options=EncodeOptions(model=model))
    return place_model(dict(out), format, model)


@functools.cache
def _wire_tool(format: str) -> str | None:
    """The ``aif_expand`` tool as ``format`` writes it in a request's ``tools`` list (JSON)."""
    import json

    from aifkit.aif import Document, Message, TextPart, encode

    document = Document(messages=(Message(role="user", parts=(TextPart(text="x"),)),), tools=(expand_tool(),))  # fmt: skip
    tools = dict(encode(document, format)[0]).get("tools")
    return json.dumps(tools[0]) if isinstance(tools, list) and len(cast("list[Any]", tools)) == 1 else None  # fmt: skip


def _tool_name(tool: Any) -> Any:
    # {"name": ...} (Anthropic, Responses) or {"type": "function", "function": {"name": ...}}
    if not isinstance(tool, dict):
        return None
    entry = cast("dict[str, Any]", tool)
    inner = entry.get(str(entry.get("type")))
    return cast("dict[str, Any]", inner).get("name") if isinstance(inner, dict) else entry.get("name")  # fmt: skip


def with_tool(body: dict[str, Any], format: str) -> dict[str, Any]:
    """Return the request ``body`` with the ``aif_expand`` tool added after its tools.

    The tool is added to the client's body, in the client's ``format``, before it
    is converted for the upstream: the body is not decoded and encoded again for
    it. A tool of the client's own named ``aif_expand`` is left as it is.

    Raises:
        ValueError: ``format`` keeps its tools elsewhere than a top-level list
            (Gemini, Bedrock: no client speaks those to the gateway).

    Examples:
        >>> body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}
        >>> [t["function"]["name"] for t in with_tool(body, "openai-chat")["tools"]]
        ['aif_expand']
        >>> lookup = {"name": "lookup", "input_schema": {"type": "object"}}
        >>> [t["name"] for t in with_tool({**body, "tools": [lookup]}, "anthropic")["tools"]]
        ['lookup', 'aif_expand']
    """
    import json

    tool = _wire_tool(format)
    if tool is None:
        raise ValueError(f"{format} requests hold no top-level tools list to add {EXPAND_TOOL} to")
    tools: Any = body.get("tools") or []
    if not isinstance(tools, list):
        raise ValueError(f"/tools is not a list; {EXPAND_TOOL} cannot be added")
    if any(_tool_name(t) == EXPAND_TOOL for t in cast("list[Any]", tools)):
        return body
    return {**body, "tools": [*cast("list[Any]", tools), json.loads(tool)]}


def expand_calls(response: Response) -> list[ToolCallPart]:
    """The reply's ``aif_expand`` calls, when it calls tools and every call is one; else ``[]``.

    A reply that also calls the client's own tools goes to the client as it is.
    """
    from aifkit.aif import ToolCallPart

    calls = [p for p in response.message.parts if isinstance(p, ToolCallPart)]
    if calls and all(c.name == EXPAND_TOOL for c in calls):
        return calls
    return []


def continued(
    body: dict[str, Any],
    format: str,
    model: str,
    response: Response,
    elided: Mapping[str, str],
    *,
    stream: bool,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Append the reply's turn and the answers to its ``aif_expand`` calls to ``body``.

    Returns:
        The next upstream body, ready to send (the format's streaming flag set, and
        for Bedrock no model in the body), and per call its ref and whether it was found.
    """
    from aifkit.aif import Message, TextPart, ToolResultPart, decode
    from aifkit.gateway._wire import set_stream

    document, _ = decode(body, format)
    results: list[ToolResultPart] = []
    notes: list[dict[str, Any]] = []
    for call in expand_calls(response):
        answer = answer_expand(call, elided)
        args: Any = call.arguments
        ref = cast("dict[str, Any]", args).get("ref") if isinstance(args, dict) else None
        found = isinstance(ref, str) and ref.strip() in elided
        notes.append({"ref": ref, "found": found})
        results.append(ToolResultPart(call_id=call.id, content=(TextPart(text=answer),), is_error=None if found else True))  # fmt: skip
    turns = (response.message, Message(role="tool", parts=tuple(results)))
    next_document = document.model_copy(update={"messages": (*document.messages, *turns)})
    # Every round goes out as the first did (Ollama streams unless told not to; Bedrock
    # names the model in the URL only).
    out = _encode(next_document, format, model)
    set_stream(format, out, stream=stream)
    return out, notes


async def peek(chunks: AsyncIterator[bytes], codec: str) -> tuple[list[bytes], Response | None]:
    """Read a streamed reply until it is known whether it only calls ``aif_expand``.

    Reads ``chunks`` (in the stream ``codec``) until a part that is neither
    reasoning nor an ``aif_expand`` call begins, or to the end.

    Returns:
        The chunks read, and the whole reply when it ended calling only
        ``aif_expand``; None when it goes to the client (the chunks read first).
    """
    from aifkit.aif import (
        PartStart,
        ResponseEnd,
        ResponseStart,
        UsageUpdate,
        assemble,
        decode_stream,
    )
    from aifkit.aif import Response as AifResponse
    from aifkit.errors import AifkitError

    read: list[bytes] = []
    decoder = decode_stream(codec)
    usage = None
    try:
        async for chunk in chunks:
            read.append(chunk)
            for e in decoder.feed(chunk):
                if isinstance(e, PartStart) and e.kind != "reasoning" and not (e.kind == "tool_call" and e.name == EXPAND_TOOL):  # fmt: skip
                    return read, None
                if isinstance(e, UsageUpdate | ResponseEnd | ResponseStart) and e.usage is not None:
                    # Providers report parts of it at the start and the rest at the end.
                    known = {k: v for k, v in e.usage if v is not None and k != "extensions"}
                    usage = e.usage if usage is None else usage.model_copy(update=known)
        decoder.close()
        message = assemble(read, codec)
    except (AifkitError, ValueError):  # the client's path reports a broken stream
        return read, None
    response = AifResponse(message=message, usage=usage)
    return read, response if expand_calls(response) else None


async def chain(first: list[bytes], rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """``first``'s chunks, then ``rest``'s."""
    for chunk in first:
        yield chunk
    async for chunk in rest:
        yield chunk
