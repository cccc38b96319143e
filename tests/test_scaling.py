"""Everything on the request path is linear in its input (issue 11).

`count_tokens`, `pack`, `convert` and every `compress` method run on inputs of
size n, 2n and 4n of one shape: runs of newlines, long strings without spaces,
many messages, tool arguments nested deep (within the 128 levels a body may
have), and a long current turn over a long history. What is compared is how the cost grows, never a time: the cost at each
size is the least CPU time (``time.process_time``) of a few runs, and the growth
exponent from n to 4n must stay under 1.5. Linear work gives 1 (less while a
fixed cost dominates), quadratic work 2: with the patterns issue 11 fixed put
back, `pack` on newline runs grows as n^1.75 here, ``compress extract`` as n^1.9,
and the near-duplicate search dedupe had before as n^1.67 on many messages.

The cyclic garbage collector is off while a run is timed: how often it runs
depends on every object the test process holds, not on the input. A case that
looks super-linear is measured again with more runs before it fails, so one
busy moment on a shared machine does not fail it.
"""

from __future__ import annotations

import gc
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from aifkit.aif import assemble, convert, decode
from aifkit.budget import SummaryCompressor, pack
from aifkit.budget.compressors import CompressionTarget, compress
from aifkit.tokens import CountCache, count_tokens
from aifkit.tokens._cache import DEFAULT_CACHE

MODEL = "gpt-4o"
MAX_EXPONENT = 1.5  # cost(4n) / cost(n) < 8: linear is 4, quadratic 16
SAMPLE = 0.002  # seconds of CPU a sample takes at least (calls are repeated to get there)

Body = dict[str, Any]


# Shapes: a body in openai-chat of "size" n; the current turn is at most a fifth
# of it, so that packing and compressing to half have something to take.


def _newlines(n: int) -> Body:
    return _chat(
        [
            ("user", "Here is the log." + "\n" * n + "End of log."),
            ("assistant", "Noted." + "\n" * n),
            ("user", "What" + "\n" * (n // 4) + "failed?"),
        ]
    )


def _long(n: int) -> Body:
    return _chat([("user", "a" * n), ("assistant", "b" * n), ("user", "x" * (n // 4))])


def _messages(n: int) -> Body:
    # Alike (a shared report) but no near duplicates (each adds its own words): what
    # looks for similar texts meets every pair here.
    turns = [
        (
            "user" if i % 2 == 0 else "assistant",
            f"{_REPORT} Message {i} adds: " + " ".join(f"note{i}x{k}" for k in range(12)) + ".",
        )
        for i in range(n)
    ]
    return _chat([*turns, ("user", "Which topic came up most?")])


_REPORT = (
    "It goes on for a while, so that there is something to cut: the weather held, the "
    "build passed, and the team met at noon to plan the next release."
)


def _nested(n: int) -> Body:
    value: Any = {"leaf": "the end"}
    for level in range(n):
        value = {"level": level, "note": f"level {level} of the tree", "next": value}
    arguments = json.dumps(value)
    messages: list[dict[str, Any]] = [{"role": "system", "content": "You call tools."}]
    for i in range(6):
        call = {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": "walk", "arguments": arguments},
        }
        messages.append({"role": "user", "content": f"Walk tree {i}."})
        messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        messages.append({"role": "tool", "tool_call_id": f"call_{i}", "content": arguments})
    messages.append({"role": "user", "content": "Which level is deepest?"})
    return {"model": MODEL, "messages": messages, "tools": [_WALK]}


_WALK = {
    "type": "function",
    "function": {
        "name": "walk",
        "parameters": {"type": "object", "properties": {"next": {"type": "object"}}},
    },
}


def _chat(turns: list[tuple[str, str]]) -> Body:
    system = {"role": "system", "content": "Answer briefly."}
    return {"model": MODEL, "messages": [system, *({"role": r, "content": t} for r, t in turns)]}


def _wordy(n: int) -> Body:
    # A long current turn of distinct words over a long history: relevance to the
    # current turn must not cost its words times the history's sentences.
    history = [
        (
            "user" if m % 2 == 0 else "assistant",
            " ".join(f"Note {i} says w{i} and w{i + 1} matter." for i in range(m, n // 2, 8)),
        )
        for m in range(8)
    ]
    return _chat([*history, ("user", " ".join(f"w{i}" for i in range(n // 5)))])


# Per shape: the builder and its smallest size (newlines / characters / messages / levels).
SHAPES: dict[str, tuple[Callable[[int], Body], int]] = {
    "newline runs": (_newlines, 3_000),
    "long strings": (_long, 20_000),
    "many messages": (_messages, 100),
    "deep nesting": (_nested, 24),
    "long turn": (_wordy, 2_000),  # 4n = 96 levels of arguments, within the 128 allowed
}


@dataclass(frozen=True, slots=True)
class Operation:
    """What is timed (``run``) on what is prepared, untimed, from a body (``prepare``)."""

    prepare: Callable[[Body], Any]
    run: Callable[[Any], object]


def _count(body: Body) -> object:
    return count_tokens(body, format="openai-chat", model=MODEL, cache=CountCache(maxsize=0))


def _packable(body: Body) -> tuple[Body, int]:
    total = count_tokens(body, format="openai-chat", model=MODEL).total
    return body, total * 3 // 4  # the history must be cut


def _pack(arg: tuple[Body, int]) -> object:
    body, budget = arg
    return pack(body, format="openai-chat", model=MODEL, budget=budget)


def _as_anthropic(body: Body) -> Body:
    return convert(body, source="openai-chat", target="anthropic").body


def _document(body: Body) -> Any:
    return decode(body, "openai-chat")[0]


def _compressor(method: str) -> Callable[[Any], object]:
    # A summary that fails its checks is work done all the same: keep the document.
    chosen = SummaryCompressor(on_reject="keep") if method == "summary" else method

    def run(document: Any) -> object:
        return compress(document, CompressionTarget(MODEL, ratio=0.5), method=chosen)

    return run


OPERATIONS: dict[str, Operation] = {
    "count_tokens": Operation(lambda body: body, _count),
    "pack": Operation(_packable, _pack),
    "convert openai-chat -> anthropic": Operation(lambda body: body, _as_anthropic),
    "convert anthropic -> gemini": Operation(
        _as_anthropic, lambda body: convert(body, source="anthropic", target="gemini")
    ),
    **{
        f"compress {method}": Operation(_document, _compressor(method))
        for method in ("truncate", "extract", "dedupe", "clear-tool-output", "auto", "summary")
    },
}


def _sample(run: Callable[[Any], object], arg: Any, calls: int) -> float:
    DEFAULT_CACHE.clear()  # counts made by an earlier run would make this one cheaper
    start = time.process_time()
    for _ in range(calls):
        run(arg)
    return (time.process_time() - start) / calls


def _calls(run: Callable[[Any], object], arg: Any) -> int:
    """How many calls make a sample long enough to time (like `timeit.Timer.autorange`)."""
    calls = 1
    while calls < 1000 and _sample(run, arg, calls) * calls < SAMPLE:
        calls *= 4
    return calls


def _costs(operation: Operation, build: Callable[[int], Body], n: int, runs: int) -> list[float]:
    args = [operation.prepare(build(n * k)) for k in (1, 2, 4)]
    gc.collect()
    gc.disable()
    try:
        calls = _calls(operation.run, args[0])  # also warms up (tokenizer, schemas)
        return [min(_sample(operation.run, arg, calls) for _ in range(runs)) for arg in args]
    finally:
        gc.enable()


def growth(costs: list[float]) -> float:
    """The exponent of the least-squares line through log cost over log size (n, 2n, 4n).

    Examples:
        >>> round(growth([1.0, 2.0, 4.0]), 2), round(growth([1.0, 4.0, 16.0]), 2)
        (1.0, 2.0)
    """
    return math.log2(costs[-1] / costs[0]) / 2  # the middle point has no weight on x = 0, 1, 2


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("op", OPERATIONS)
def test_cost_grows_linearly_with_the_input(op: str, shape: str) -> None:
    operation = OPERATIONS[op]
    build, n = SHAPES[shape]
    costs = _costs(operation, build, n, runs=2)
    if growth(costs) >= MAX_EXPONENT:  # a busy moment, or the real thing: look again, longer
        costs = _costs(operation, build, n, runs=5)
    shown = ", ".join(f"{c * 1000:.2f} ms" for c in costs)
    assert growth(costs) < MAX_EXPONENT, (
        f"{op} on {shape} grows as n^{growth(costs):.2f} (n, 2n, 4n: {shown})"
    )


# The request paths added after issue 11: response bodies, streams (many tiny events,
# one huge event, fed in small chunks), the integrations and the gateway. Each case
# builds its own input of size n (untimed) and times one call on it.


def _chunked(raw: bytes, size: int = 64) -> list[bytes]:
    return [raw[i : i + size] for i in range(0, len(raw), size)]


def _chat_stream(n: int) -> list[bytes]:
    head = b'data: {"id":"c1","model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n'  # fmt: skip
    tiny = b'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"a\\n"}}]}\n\n: ping\n\n'
    tail = b'data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'  # fmt: skip
    return _chunked(head + tiny * n + tail)


def _anthropic_stream(n: int, huge: bool) -> list[bytes]:
    def event(kind: str, data: Any) -> bytes:
        return f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()

    start = {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "content": [], "stop_reason": None, "usage": {"input_tokens": 3, "output_tokens": 1}}}  # fmt: skip
    deltas = [{"type": "text_delta", "text": "x" * 8 * n}] if huge else [{"type": "text_delta", "text": "a "}] * n  # fmt: skip
    raw = event("message_start", start) + event("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})  # fmt: skip
    raw += b"".join(event("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": d}) for d in deltas)  # fmt: skip
    raw += event("content_block_stop", {"type": "content_block_stop", "index": 0})
    raw += event("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": n}})  # fmt: skip
    return _chunked(raw + event("message_stop", {"type": "message_stop"}))


def _translate(source: str, target: str) -> Callable[[Any], object]:
    from aifkit.aif import translate_stream

    return lambda chunks: b"".join(translate_stream(iter(chunks), source=source, target=target))


def _response_body(n: int) -> Body:
    calls = [{"id": f"call_{i}", "type": "function", "function": {"name": "look", "arguments": json.dumps({"q": f"item {i}"})}} for i in range(n)]  # fmt: skip
    message = {"role": "assistant", "content": "Line.\n" * n, "tool_calls": calls}
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": MODEL, "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}], "usage": {"prompt_tokens": 9, "completion_tokens": n, "total_tokens": 9 + n}}  # fmt: skip


def _parallel(n: int) -> Body:
    # One turn of n parallel calls answered by n results: matching each result to its
    # call was a search of the turn's calls (n^2 in the Anthropic encoder, found by the
    # convert_response case above: a reply's calls are answered in a synthetic turn).
    calls = _response_body(n)["choices"][0]["message"]["tool_calls"]
    results = [{"role": "tool", "tool_call_id": c["id"], "content": f"result {i}"} for i, c in enumerate(calls)]  # fmt: skip
    turns = [{"role": "user", "content": "Look them up."}, {"role": "assistant", "content": None, "tool_calls": calls}]  # fmt: skip
    return {"model": MODEL, "messages": [*turns, *results]}


def _convert_response(body: Body) -> object:
    from aifkit.aif import convert_response

    return convert_response(body, source="openai-chat", target="anthropic")


def _langchain_pack(n: int) -> Any:
    from langchain_core.messages import convert_to_messages

    return convert_to_messages(_messages(n)["messages"])


def _lc_pack(messages: Any) -> object:
    from aifkit.integrations import langchain

    return langchain.pack(messages, model=MODEL, budget=2_000, compress=None)


def _gateway(n: int) -> Any:
    import httpx2

    from aifkit.gateway import GatewayConfig, create_app

    reply = _response_body(1)

    def upstream(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json=reply)

    config = GatewayConfig.model_validate(
        {"routes": [{"upstream": "http://up.invalid/v1", "policy": "always", "budget": 2_000}]}
    )
    app = create_app(config, transport=httpx2.MockTransport(upstream))
    return app, json.dumps(_messages(n)).encode()


def _gateway_call(arg: Any) -> object:
    from tests.gateway.conftest import call

    app, data = arg
    r = call(app, "POST", "/v1/chat/completions", content=data)
    assert r.status_code == 200, r.text[:200]
    return r


# name -> (build an input of size n, the call timed on it, the smallest n)
PATHS: dict[str, tuple[Callable[[int], Any], Callable[[Any], object], int]] = {
    "convert_response openai-chat -> anthropic": (_response_body, _convert_response, 1_000),
    "convert openai-chat -> anthropic, parallel tool calls": (_parallel, _as_anthropic, 3_000),
    "translate_stream openai-chat -> anthropic, tiny events": (
        _chat_stream,
        _translate("openai-chat", "anthropic"),
        1_000,
    ),
    "translate_stream anthropic -> gemini, tiny events": (
        lambda n: _anthropic_stream(n, huge=False),
        _translate("anthropic", "gemini"),
        1_000,
    ),
    "translate_stream anthropic -> openai-responses, one huge event": (
        lambda n: _anthropic_stream(n, huge=True),
        _translate("anthropic", "openai-responses"),
        20_000,
    ),
    "assemble openai-chat, tiny events": (
        _chat_stream,
        lambda chunks: assemble(iter(chunks), "openai-chat"),
        1_000,
    ),
    "langchain.pack, many messages": (_langchain_pack, _lc_pack, 100),
    "gateway /v1/chat/completions, many messages": (_gateway, _gateway_call, 100),
}


@pytest.mark.parametrize("path", PATHS)
def test_the_newer_request_paths_grow_linearly(path: str) -> None:
    build, run, n = PATHS[path]
    operation = Operation(lambda arg: arg, run)
    costs = _costs(operation, build, n, runs=2)
    if growth(costs) >= MAX_EXPONENT:
        costs = _costs(operation, build, n, runs=5)
    shown = ", ".join(f"{c * 1000:.2f} ms" for c in costs)
    assert growth(costs) < MAX_EXPONENT, (
        f"{path} grows as n^{growth(costs):.2f} (n, 2n, 4n: {shown})"
    )
