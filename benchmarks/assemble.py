"""µs per event to assemble a streamed reply, beside the SDKs' own accumulators and a floor.

Run with any Python that has aifkit (``python benchmarks/assemble.py``); SDKs that
are not installed are reported as such. Streams are synthetic but shaped like the
recorded transcripts in tests/fixtures/streams: many small text deltas, then a
tool call whose arguments arrive in many fragments.

* ``aifkit raw`` — `assemble` on the raw SSE bytes (parsing SSE and JSON included);
* ``aifkit parsed`` — `assemble` on payloads already parsed (what an SDK hands you);
* ``SDK`` — the provider SDK's accumulator on the same parsed payloads, building its
  typed events first as the SDK does (``openai``: ``ChatCompletionStreamState``;
  ``anthropic``: ``accumulate_event``);
* ``floor`` — splitting the raw stream on blank lines and ``json.loads`` of every
  data line: the least any consumer of the stream pays.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from aifkit.aif import assemble


def openai_chat(n: int) -> list[dict[str, Any]]:
    """``n`` chunks: text deltas, then one tool call's argument fragments, then the end."""
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o"}
    text = n * 3 // 4
    out = [
        {
            **base,
            "choices": [{"index": 0, "delta": {"content": f"word{i} "}, "finish_reason": None}],
        }
        for i in range(text)
    ]
    args = ['{"items": ['] + [f"{i}, " for i in range(n - text - 3)] + ["0]}"]
    for k, frag in enumerate(args):
        call: dict[str, Any] = {"index": 0, "function": {"arguments": frag}}
        if k == 0:
            call |= {
                "id": "call_1",
                "type": "function",
                "function": {"name": "f", "arguments": frag},
            }
        out.append(
            {
                **base,
                "choices": [{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": None}],
            }
        )
    out.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    return out


def anthropic(n: int) -> list[dict[str, Any]]:
    """``n`` events: a text block of deltas, then a tool_use block of JSON fragments."""
    text = n * 3 // 4
    out: list[dict[str, Any]] = [
        {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
         "content": [], "model": "claude-sonnet-4-5", "stop_reason": None, "stop_sequence": None,
         "usage": {"input_tokens": 10, "output_tokens": 1}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    ]  # fmt: skip
    out += [
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": f"w{i} "},
        }
        for i in range(text)
    ]
    out += [
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1,
         "content_block": {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}},
    ]  # fmt: skip
    frags = ['{"items": ['] + [f"{i}, " for i in range(max(n - text - 7, 0))] + ["0]}"]
    out += [
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": f},
        }
        for f in frags
    ]
    out += [
        {"type": "content_block_stop", "index": 1},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
         "usage": {"output_tokens": n}},
        {"type": "message_stop"},
    ]  # fmt: skip
    return out


def to_sse(payloads: list[dict[str, Any]], named: bool) -> bytes:
    lines = []
    for p in payloads:
        head = f"event: {p['type']}\n" if named else ""
        lines.append(f"{head}data: {json.dumps(p)}\n\n")
    if not named:
        lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


def floor(raw: bytes) -> None:
    for block in raw.split(b"\n\n"):
        for line in block.split(b"\n"):
            if line.startswith(b"data: ") and line != b"data: [DONE]":
                json.loads(line[6:])


def openai_sdk(payloads: list[dict[str, Any]]) -> Callable[[], object] | None:
    try:
        from openai.lib.streaming.chat._completions import ChatCompletionStreamState
        from openai.types.chat import ChatCompletionChunk
    except ImportError:
        return None

    def run() -> object:
        state: Any = ChatCompletionStreamState()
        for p in payloads:
            for _ in state.handle_chunk(ChatCompletionChunk.model_validate(p)):
                pass
        return state.get_final_completion()

    return run


def anthropic_sdk(payloads: list[dict[str, Any]]) -> Callable[[], object] | None:
    try:
        from anthropic.lib.streaming._messages import accumulate_event
        from anthropic.types import RawMessageStreamEvent
        from pydantic import TypeAdapter
    except ImportError:
        return None
    adapter: Any = TypeAdapter(RawMessageStreamEvent)

    def run() -> object:
        snapshot = None
        bufs: dict[int, bytes] = {}
        for p in payloads:
            event = adapter.validate_python(p)
            snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=bufs)
        return snapshot

    return run


def median(fn: Callable[[], object], repeat: int) -> float:
    times: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    n = args.events
    print(f"{n} events; µs per event")
    print(f"{'format':<12} {'aifkit raw':>10} {'parsed':>8} {'SDK':>8} {'floor':>8}   ratios")
    cases = [
        ("openai-chat", openai_chat(n), False, openai_sdk),
        ("anthropic", anthropic(n), True, anthropic_sdk),
    ]
    for name, payloads, named, sdk in cases:
        raw = to_sse(payloads, named)
        events = len(payloads)
        raw_t = median(lambda: assemble(raw, name), args.repeat)  # noqa: B023
        parsed_t = median(lambda: assemble(payloads, name), args.repeat)  # noqa: B023
        floor_t = median(lambda: floor(raw), args.repeat)  # noqa: B023
        peer = sdk(payloads)
        sdk_t = median(peer, args.repeat) if peer is not None else None
        us = [t / events * 1e6 for t in (raw_t, parsed_t)]
        sdk_s = f"{sdk_t / events * 1e6:>8.2f}" if sdk_t is not None else f"{'n/a':>8}"
        ratio = f"raw {raw_t / floor_t:.1f}x floor"
        if sdk_t is not None:
            ratio += f"; parsed {parsed_t / sdk_t:.2f}x SDK"
        print(
            f"{name:<12} {us[0]:>10.2f} {us[1]:>8.2f} {sdk_s} {floor_t / events * 1e6:>8.2f}   {ratio}"
        )


if __name__ == "__main__":
    main()
