"""Reversible elision in the gateway: the ``aif_expand`` tool, added upstream and answered here.

When a route's pack elided content (its markers name refs), `with_tool` adds the
``aif_expand(ref)`` tool to the request. The client never declared that tool, so
no reply it receives may call it:

- A reply that calls ``aif_expand`` is answered by `continued`: the assistant turn
  and one tool result per ``aif_expand`` call are appended to the request, which goes
  upstream again; the client sees only the final reply. Calls of the client's own
  tools in that reply are withheld: left out of the turn sent back, so the model,
  with the elided text now in view, calls again whatever it still needs.
- After the route's last answered round, a reply still calling ``aif_expand`` reaches
  the client without those calls (`stripped`; with no other call left its finish
  reason is ``stop``); one with nothing else for the client (no text, no other call)
  is answered with an error instead (`EXHAUSTED`).
- A streamed reply is read with `peek` until it is known whether it must be
  answered here: reasoning, tool calls and up to `HOLD_CHARS` of text are held; a
  reply whose text runs longer goes on to the client at once, and `DropExpandCalls`
  cuts any later ``aif_expand`` call out of what the client receives (it cannot be
  answered once the client has the text).

Everything here works on AIF (`aifkit.aif`), so it is the same for every upstream format.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, cast

from aifkit.budget.compressors._elide import EXPAND_TOOL, answer_expand, expand_tool

if TYPE_CHECKING:
    from aifkit.aif import Response, StreamEvent, ToolCallPart

__all__ = [
    "EXHAUSTED",
    "HOLD_CHARS",
    "DropExpandCalls",
    "chain",
    "continued",
    "expand_calls",
    "peek",
    "place_model",
    "stripped",
    "tool_tokens",
    "with_tool",
]

HOLD_CHARS = 400
"""The text a streamed reply may open with before it goes on to the client: a model's
preamble to a tool call ("Let me look at the elided log.") is shorter, an answer longer."""

EXHAUSTED = "aif_expand_unanswered"
"""The error code of a reply that still called only ``aif_expand`` after the last round."""


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
    """The reply's ``aif_expand`` calls (those of the client's own tools are not among them)."""
    from aifkit.aif import ToolCallPart

    return [p for p in response.message.parts if isinstance(p, ToolCallPart) and p.name == EXPAND_TOOL]  # fmt: skip


def stripped(response: Response) -> Response | None:
    """The reply without its ``aif_expand`` calls: what the client may see of it.

    With no tool call left, its finish reason becomes ``stop``. None when nothing
    is left for the client (only reasoning, or nothing).

    Examples:
        >>> from aifkit.aif import Message, Response, TextPart, ToolCallPart
        >>> call = ToolCallPart(id="c1", name="aif_expand", arguments={"ref": "0123456789"})
        >>> said = Message(role="assistant", parts=(TextPart(text="Let me look."), call))
        >>> out = stripped(Response(message=said, finish_reason="tool_calls"))
        >>> [type(p).__name__ for p in out.message.parts], out.finish_reason
        (['TextPart'], 'stop')
        >>> stripped(Response(message=Message(role="assistant", parts=(call,)))) is None
        True
    """
    from aifkit.aif import ReasoningPart, ToolCallPart

    parts = tuple(p for p in response.message.parts if not (isinstance(p, ToolCallPart) and p.name == EXPAND_TOOL))  # fmt: skip
    if all(isinstance(p, ReasoningPart) for p in parts):
        return None
    update: dict[str, Any] = {"message": response.message.model_copy(update={"parts": parts})}
    if not any(isinstance(p, ToolCallPart) for p in parts):
        update |= {"finish_reason": "stop", "raw_finish_reason": None}
    return response.model_copy(update=update)


def continued(
    body: dict[str, Any],
    format: str,
    model: str,
    response: Response,
    elided: Mapping[str, str],
    *,
    stream: bool,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Append the reply's turn and the answers to its ``aif_expand`` calls to ``body``.

    The turn keeps the reply's text and reasoning; its calls of the client's own
    tools are withheld (the client cannot be asked to answer them here, and the
    model, given the elided text, calls again what it still needs).

    Returns:
        The next upstream body, ready to send (the format's streaming flag set, and
        for Bedrock no model in the body), and the round's report: per call its ref
        and whether it was found (``calls``), and the client's tools whose calls
        were withheld (``withheld``).
    """
    from aifkit.aif import Message, TextPart, ToolCallPart, ToolResultPart, decode
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
    parts = response.message.parts
    withheld = [p.name for p in parts if isinstance(p, ToolCallPart) and p.name != EXPAND_TOOL]
    said = response.message.model_copy(update={"parts": tuple(p for p in parts if not isinstance(p, ToolCallPart) or p.name == EXPAND_TOOL)})  # fmt: skip
    turns = (said, Message(role="tool", parts=tuple(results)))
    next_document = document.model_copy(update={"messages": (*document.messages, *turns)})
    # Every round goes out as the first did (Ollama streams unless told not to; Bedrock
    # names the model in the URL only).
    out = _encode(next_document, format, model)
    set_stream(format, out, stream=stream)
    return out, {"calls": notes, "withheld": withheld}


async def peek(
    chunks: AsyncIterator[bytes], codec: str, hold: int = HOLD_CHARS
) -> tuple[list[bytes], Response | None]:
    """Read a streamed reply until it is known whether the gateway must answer it.

    Reads ``chunks`` (in the stream ``codec``) to the end while the reply holds only
    reasoning, tool calls and at most ``hold`` characters of text; it stops at a
    refusal or at more text than that (the client is waiting for it).

    Returns:
        The chunks read, and the whole reply when it was read to its end; None when
        it goes on to the client before its end (the chunks read first).
    """
    from aifkit.aif import (
        PartDelta,
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
    texts: set[int] = set()
    held = 0
    try:
        async for chunk in chunks:
            read.append(chunk)
            for e in decoder.feed(chunk):
                if isinstance(e, PartStart) and e.kind not in ("reasoning", "tool_call"):
                    if e.kind != "text":
                        return read, None
                    texts.add(e.index)
                elif isinstance(e, PartDelta) and e.index in texts:
                    held += len(e.text)
                    if held > hold:
                        return read, None
                elif isinstance(e, UsageUpdate | ResponseEnd | ResponseStart) and e.usage is not None:  # fmt: skip
                    # Providers report parts of it at the start and the rest at the end.
                    known = {k: v for k, v in e.usage if v is not None and k != "extensions"}
                    usage = e.usage if usage is None else usage.model_copy(update=known)
        decoder.close()
        message = assemble(read, codec)
    except (AifkitError, ValueError):  # the client's path reports a broken stream
        return read, None
    return read, AifResponse(message=message, usage=usage)


class DropExpandCalls:
    """Cuts ``aif_expand`` calls out of a reply's stream events on their way to the client.

    The parts left are numbered again from 0 (an SDK indexes them), and a reply
    that called no other tool ends with ``stop``. ``cut`` counts the calls cut.

    Examples:
        >>> from aifkit.aif import PartDelta, PartEnd, PartStart, ResponseEnd
        >>> drop = DropExpandCalls()
        >>> events = [PartStart(0, "text"), PartDelta(0, "Hi"), PartEnd(0),
        ...           PartStart(1, "tool_call", id="c1", name="aif_expand"), PartDelta(1, "{}"),
        ...           PartEnd(1), ResponseEnd("tool_calls", "tool_calls")]
        >>> [(type(e).__name__, getattr(e, "index", None)) for e in drop(events)][-2:]
        [('PartEnd', 0), ('ResponseEnd', None)]
        >>> drop(events[-1:])[0].finish_reason, drop.cut
        ('stop', 1)
    """

    def __init__(self) -> None:
        self.cut = 0
        self._cut: set[int] = set()
        self._index: dict[int, int] = {}  # a kept part's index upstream -> the client's
        self._calls = 0  # tool calls kept

    def __call__(self, events: list[StreamEvent]) -> list[StreamEvent]:
        """The events the client receives of ``events``."""
        from aifkit.aif import PartDelta, PartEnd, PartStart, ResponseEnd

        out: list[StreamEvent] = []
        for e in events:
            if isinstance(e, PartStart):
                if e.kind == "tool_call" and e.name == EXPAND_TOOL:
                    self._cut.add(e.index)
                    self.cut += 1
                    continue
                self._calls += e.kind == "tool_call"
                self._index[e.index] = len(self._index)
                out.append(dataclasses.replace(e, index=self._index[e.index]))
            elif isinstance(e, PartDelta | PartEnd):
                if e.index not in self._cut:
                    out.append(dataclasses.replace(e, index=self._index.get(e.index, e.index)))
            elif isinstance(e, ResponseEnd) and self.cut and not self._calls and e.finish_reason == "tool_calls":  # fmt: skip
                out.append(dataclasses.replace(e, finish_reason="stop", raw_finish_reason=None))
            else:
                out.append(e)
        return out


async def chain(first: list[bytes], rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """``first``'s chunks, then ``rest``'s."""
    for chunk in first:
        yield chunk
    async for chunk in rest:
        yield chunk
