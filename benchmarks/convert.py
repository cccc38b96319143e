"""µs per message for openai-chat -> anthropic, beside LiteLLM and two lower bounds.

Run with ``make bench`` (installs LiteLLM into ``.venv-peers``), or with any Python
that has aifkit: peers that are not installed are reported as such.

The conversation mixes what agents send: user text, images, assistant tool calls
(two in parallel), tool results and assistant text. Lower bounds:

* ``json.loads`` — parsing the body once, the least any converter reading JSON pays;
* ``bare walk`` — a hand-written openai -> anthropic dict walk with no validation,
  no loss report and no rules (the cost of touching every message once).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from aifkit.aif import convert, validate

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def conversation(n: int) -> dict[str, Any]:
    """An OpenAI Chat Completions body of ``n`` messages (plus a system message)."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": "You are a helpful agent."}]
    i = 0
    while len(messages) - 1 < n:
        k = len(messages)
        block: list[dict[str, Any]] = [
            {"role": "user", "content": f"Question {i}: what is the weather in city {i}?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"call_{k}_a",
                        "type": "function",
                        "function": {
                            "name": "get_weather",
                            "arguments": json.dumps({"city": f"c{i}"}),
                        },
                    },
                    {
                        "id": f"call_{k}_b",
                        "type": "function",
                        "function": {
                            "name": "get_time",
                            "arguments": json.dumps({"city": f"c{i}"}),
                        },
                    },
                ],
            },
            {"role": "tool", "tool_call_id": f"call_{k}_a", "content": f'{{"celsius": {i % 30}}}'},
            {"role": "tool", "tool_call_id": f"call_{k}_b", "content": '"12:00"'},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "And what is in this picture?"},
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                ],
            },
            {
                "role": "assistant",
                "content": f"It is {i % 30} degrees; the picture is a single pixel.",
            },
        ]
        messages.extend(block)
        i += 1
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "messages": messages[: n + 1],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": name,
                    "description": "Look it up.",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                },
            }
            for name in ("get_weather", "get_time")
        ],
    }


def bare_walk(body: dict[str, Any]) -> dict[str, Any]:
    """The least work an openai -> anthropic conversion does: one pass, no checks."""
    system = ""
    out: list[dict[str, Any]] = []
    for m in body["messages"]:
        role = m["role"]
        if role == "system":
            system = m["content"]
        elif role == "tool":
            block = {
                "type": "tool_result",
                "tool_use_id": m["tool_call_id"],
                "content": m["content"],
            }
            if out and out[-1]["role"] == "user":
                out[-1]["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
        elif role == "assistant":
            blocks: list[dict[str, Any]] = []
            if m.get("content"):
                blocks.append({"type": "text", "text": m["content"]})
            for c in m.get("tool_calls") or ():
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": c["id"],
                        "name": c["function"]["name"],
                        "input": json.loads(c["function"]["arguments"]),
                    }
                )
            out.append({"role": "assistant", "content": blocks})
        else:
            content = m["content"]
            if isinstance(content, str):
                blocks = [{"type": "text", "text": content}]
            else:
                blocks = []
                for p in content:
                    if p["type"] == "text":
                        blocks.append({"type": "text", "text": p["text"]})
                    else:
                        mt, _, data = p["image_url"]["url"][5:].partition(";base64,")
                        blocks.append(
                            {
                                "type": "image",
                                "source": {"type": "base64", "media_type": mt, "data": data},
                            }
                        )
            if out and out[-1]["role"] == "user":
                out[-1]["content"].extend(blocks)
            else:
                out.append({"role": "user", "content": blocks})
    return {
        "model": body["model"],
        "max_tokens": body["max_tokens"],
        "system": system,
        "messages": out,
    }


def litellm_transform() -> Callable[[dict[str, Any]], Any] | None:
    """LiteLLM's full Anthropic request transform, or None when LiteLLM is not installed."""
    # LiteLLM fetches a price map over the network at import unless told not to.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    try:
        from litellm.llms.anthropic.chat.transformation import (  # pyright: ignore[reportMissingImports]
            AnthropicConfig,  # pyright: ignore[reportUnknownVariableType]
        )
    except ImportError:
        return None
    config = AnthropicConfig()

    def run(body: dict[str, Any]) -> Any:
        # LiteLLM mutates its input; give it a fresh copy (copy time is subtracted).
        return config.transform_request(
            model=body["model"],
            messages=body["messages"],
            optional_params={"max_tokens": body["max_tokens"], "tools": body["tools"]},
            litellm_params={},
            headers={},
        )

    return run


def timeit(fn: Callable[[Any], Any], body: Any, repeat: int, copies: bool) -> float:
    """Median seconds of ``fn(body)`` over ``repeat`` runs (deep-copy time excluded)."""
    times: list[float] = []
    for _ in range(repeat):
        arg = copy.deepcopy(body) if copies else body
        t0 = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 10_000])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    def aifkit_convert(body: dict[str, Any]) -> Any:
        return convert(body, source="openai-chat", target="anthropic")

    peers: dict[str, tuple[Callable[[dict[str, Any]], Any] | None, bool]] = {
        "aifkit convert": (aifkit_convert, False),
        "litellm transform_request": (litellm_transform(), True),
        "bare walk (lower bound)": (bare_walk, False),
    }
    # Warm up: the first call builds pydantic's validators and imports converters.
    small = conversation(20)
    out, _ = aifkit_convert(small)
    assert validate(out, "anthropic") == [], "aifkit's output must be a valid Anthropic body"

    print(f"python {sys.version.split()[0]}; median of {args.repeat} runs; µs per message")
    header = f"{'messages':>9} | " + " | ".join(
        f"{name:>26}" for name in [*peers, "json.loads (lower bound)"]
    )
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        body = conversation(n)
        text = json.dumps(body)
        cells: dict[str, float | None] = {}
        for name, (fn, copies) in peers.items():
            cells[name] = None if fn is None else timeit(fn, body, args.repeat, copies) / n * 1e6
        cells["json.loads"] = timeit(json.loads, text, args.repeat, False) / n * 1e6
        print(
            f"{n:>9} | "
            + " | ".join(
                f"{'not installed':>26}" if v is None else f"{v:>26.2f}" for v in cells.values()
            )
        )
        ours, lite, bare = (
            cells["aifkit convert"],
            cells["litellm transform_request"],
            cells["bare walk (lower bound)"],
        )
        ratios = [f"aifkit/bare walk = {ours / bare:.2f}x" if ours and bare else ""]
        if ours and lite:
            ratios.append(f"aifkit/litellm = {ours / lite:.2f}x")
        print(f"{'':>9}   " + "; ".join(r for r in ratios if r))


if __name__ == "__main__":
    main()
