"""µs per message for openai-chat -> every wire format, beside LiteLLM and lower bounds.

Run with ``make bench`` (installs LiteLLM into ``.venv-peers``), or with any Python
that has aifkit: peers that are not installed are reported as such.

The conversation mixes what agents send: user text, images, assistant tool calls
(two in parallel), tool results and assistant text. Tables:

* openai-chat -> anthropic: aifkit, LiteLLM's ``AnthropicConfig.transform_request`` and
  two lower bounds: ``json.loads`` (parsing the body once, the least any converter
  reading JSON pays) and ``bare walk`` (a hand-written openai -> anthropic dict walk
  with no validation, no loss report and no rules: touching every message once);
* openai-chat -> every other registered format, with the ratio to ``json.loads`` and
  to the decode-only pass (openai-chat -> an AIF document, the half every target
  shares), and each format's same-format round trip (its own body back to itself);
* openai-chat -> gemini beside LiteLLM's Gemini request transform, and
  openai-chat -> bedrock-converse beside LiteLLM's ``AmazonConverseConfig``;
* response bodies: the recorded fixtures of every format, converted to their own
  format and to every other (every pair), beside ``json.loads`` + ``json.dumps`` of
  the body, and anthropic -> openai-chat beside LiteLLM's
  ``AnthropicConfig.transform_parsed_response``;
* SSE re-encoding (``benchmarks/stream.py``): µs per event of ``translate_stream``,
  the path of ``aif stream translate``, for every pair of stream formats, as a ratio
  to ``json.loads`` + ``json.dumps`` of each event.

Peers run with the network blocked: a peer that reaches for it is reported as
``needs network`` instead of timed.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import logging
import os
import socket
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aifkit.aif import FORMATS, convert, decode, formats, validate
from aifkit.errors import MissingDependencyError

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


Fn = Callable[[Any], Any]
GEMINI_MODEL = "gemini-2.5-flash"
BEDROCK_MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"


class NeedsNetwork(RuntimeError):
    """A peer tried to open a connection while the network was blocked."""


@contextlib.contextmanager
def no_network() -> Iterator[None]:
    """Make every connection attempt in the block raise :class:`NeedsNetwork`."""

    def refuse(*_args: object, **_kwargs: object) -> Any:
        raise NeedsNetwork

    targets: list[Any] = [socket.socket, socket]
    names = [(0, "connect"), (0, "connect_ex"), (1, "getaddrinfo"), (1, "create_connection")]
    saved = [(targets[i], name, vars(targets[i]).get(name)) for i, name in names]
    for owner, name, _ in saved:
        setattr(owner, name, refuse)
    try:
        yield
    finally:
        for owner, name, original in saved:
            if original is None:
                delattr(owner, name)  # it was inherited: uncover the base class's
            else:
                setattr(owner, name, original)


def timeit(fn: Fn, arg: Any, repeat: int, copies: bool) -> float:
    """Median seconds of ``fn(arg)`` over ``repeat`` runs (deep-copy time excluded)."""
    times: list[float] = []
    for _ in range(repeat):
        a = copy.deepcopy(arg) if copies else arg
        t0 = time.perf_counter()
        fn(a)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def failure(exc: BaseException) -> str:
    """A table cell saying why something could not be timed."""
    if isinstance(exc, NeedsNetwork):
        return "needs network"
    if isinstance(exc, MissingDependencyError):
        return f"needs {exc.package}"
    if isinstance(exc, ImportError):
        return f"import fails: {exc.name or exc}"
    return f"fails: {type(exc).__name__}"


@dataclass
class Contender:
    """One column of a comparison: a function timed at each size, or why it is not."""

    name: str
    short: str
    fn: Fn | None
    status: str = "not installed"
    copies: bool = False  # it mutates its input: time it on fresh deep copies
    peer: bool = False  # a third party: run it with the network blocked
    text: bool = False  # it takes the JSON text (json.loads), not the parsed body

    def run(self, body: dict[str, Any], text: str, repeat: int) -> float | None:
        """Median seconds at this body, or None (and a status) when it cannot run."""
        if self.fn is None:
            return None
        guard = no_network() if self.peer else contextlib.nullcontext()
        try:
            with guard:
                return timeit(self.fn, text if self.text else body, repeat, self.copies)
        except Exception as exc:  # any failure becomes a cell, not a crash
            self.fn, self.status = None, failure(exc)
            return None


def aifkit_to(target: str) -> Contender:
    """aifkit's openai-chat -> ``target`` conversion."""

    def run(body: dict[str, Any]) -> Any:
        return convert(body, source="openai-chat", target=target)

    return Contender(f"aifkit -> {target}", "aifkit", run)


def json_loads() -> Contender:
    """Parsing the openai-chat body once: the least any converter reading JSON pays."""
    return Contender("json.loads (lower bound)", "json.loads", json.loads, text=True)


def import_litellm(name: str, module: str, short: str) -> tuple[Contender, Any]:
    """A LiteLLM contender with no function yet, and ``module`` (None when unavailable)."""
    # LiteLLM fetches a price map over the network at import unless told not to.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    contender = Contender(name, short, None, copies=True, peer=True)
    try:
        with no_network():
            mod = __import__(module, fromlist=["_"])
    except ModuleNotFoundError:
        return contender, None
    except Exception as exc:
        contender.status = failure(exc)
        return contender, None
    # LiteLLM logs a warning per merged turn; printing them would be timed too.
    logging.getLogger("LiteLLM").setLevel(logging.ERROR)
    return contender, mod


def litellm_anthropic() -> Contender:
    """LiteLLM's full Anthropic request transform (it mutates its input: copies are fresh)."""
    contender, mod = import_litellm(
        "litellm transform_request", "litellm.llms.anthropic.chat.transformation", "litellm"
    )
    if mod is None:
        return contender
    config = mod.AnthropicConfig()

    def run(body: dict[str, Any]) -> Any:
        return config.transform_request(
            model=body["model"],
            messages=body["messages"],
            optional_params={"max_tokens": body["max_tokens"], "tools": body["tools"]},
            litellm_params={},
            headers={},
        )

    contender.fn = run
    return contender


def litellm_gemini() -> Contender:
    """LiteLLM's Gemini (Google AI Studio) request body: tool mapping plus the messages."""
    contender, mod = import_litellm(
        "litellm gemini request", "litellm.llms.vertex_ai.gemini.transformation", "litellm"
    )
    if mod is None:
        return contender
    from litellm.llms.gemini.chat.transformation import (  # pyright: ignore[reportMissingImports]
        GoogleAIStudioGeminiConfig,  # pyright: ignore[reportUnknownVariableType]
    )

    config = GoogleAIStudioGeminiConfig()

    def run(body: dict[str, Any]) -> Any:
        params = {"tools": body["tools"], "max_tokens": body["max_tokens"]}
        optional = config.map_openai_params(params, {}, GEMINI_MODEL, False)
        return mod.sync_transform_request_body(
            gemini_api_key=None,
            messages=body["messages"],
            api_base=None,
            model=GEMINI_MODEL,
            client=None,
            timeout=None,
            extra_headers=None,
            optional_params=optional,
            logging_obj=None,
            custom_llm_provider="gemini",
            litellm_params={},
            vertex_project=None,
            vertex_location=None,
            vertex_auth_header=None,
        )

    contender.fn = run
    return contender


def litellm_bedrock() -> Contender:
    """LiteLLM's Bedrock Converse request transform: tool mapping plus the messages."""
    contender, mod = import_litellm(
        "litellm converse request", "litellm.llms.bedrock.chat.converse_transformation", "litellm"
    )
    if mod is None:
        return contender
    config = mod.AmazonConverseConfig()

    def run(body: dict[str, Any]) -> Any:
        params = {"tools": body["tools"], "max_tokens": body["max_tokens"]}
        optional = config.map_openai_params(params, {}, BEDROCK_MODEL, False)
        return config._transform_request(
            model=BEDROCK_MODEL,
            messages=body["messages"],
            optional_params=optional,
            litellm_params={},
            headers={},
        )

    contender.fn = run
    return contender


def cell(value: float | None, status: str, width: int) -> str:
    """A right-aligned figure, or the reason there is none."""
    return f"{status[:width]:>{width}}" if value is None else f"{value:>{width}.2f}"


def compare(title: str, contenders: list[Contender], sizes: list[int], repeat: int) -> None:
    """Print µs per message for each contender, then the first's ratio to each other."""
    small = conversation(20)
    for c in contenders:  # warm up: imports, pydantic validators, first-call caches
        c.run(small, json.dumps(small), 1)
    width = max(14, *(len(c.name) for c in contenders))
    header = f"{'messages':>9} | " + " | ".join(f"{c.name:>{width}}" for c in contenders)
    print(f"\n{title}\n{header}\n{'-' * len(header)}")
    for n in sizes:
        body = conversation(n)
        text = json.dumps(body)
        per_msg = [
            None if (t := c.run(body, text, repeat)) is None else t / n * 1e6 for c in contenders
        ]
        cells = [cell(v, c.status, width) for c, v in zip(contenders, per_msg, strict=True)]
        print(f"{n:>9} | " + " | ".join(cells))
        ours = per_msg[0]
        ratios = [
            f"{contenders[0].short}/{c.short} = {ours / v:.2f}x"
            for c, v in zip(contenders[1:], per_msg[1:], strict=True)
            if ours and v
        ]
        print(f"{'':>9}   " + "; ".join(ratios))


@dataclass
class Target:
    """One format of the every-format table and what the probe found."""

    name: str
    status: str = ""  # why it cannot be converted to; empty when it can
    round_trip: str = ""  # why its round trip cannot be timed; empty when it can
    warnings: list[str] | None = None


def probe(name: str) -> Target:
    """Convert a small conversation to ``name`` and back, noting what fails."""
    target = Target(name)
    small = conversation(20)
    try:
        out, _ = convert(small, source="openai-chat", target=name)
    except Exception as exc:
        target.status = failure(exc)
        return target
    target.warnings = [str(v) for v in validate(out, name)]
    if getattr(FORMATS.get(name), "render_only", False):
        target.round_trip = "render-only"
        return target
    try:
        convert(out, source=name, target=name)
    except Exception as exc:
        target.round_trip = failure(exc)
    return target


def micros(fn: Fn, arg: Any, n: int, repeat: int) -> float:
    """µs per message of ``fn(arg)`` on an ``n``-message conversation."""
    return timeit(fn, arg, repeat, copies=False) / n * 1e6


def round_trip_cells(target: Target, out: Any, n: int, repeat: int) -> list[str]:
    """Same-format round trip: µs per message, ratio to json.loads of that body, exact?"""
    if target.round_trip:
        return [f"{target.round_trip:>12}", f"{'':>11}", f"{'':>6}"]

    def back(body: Any) -> Any:
        return convert(body, source=target.name, target=target.name)

    try:
        t = micros(back, out, n, repeat)
        again, _ = back(out)
    except Exception as exc:
        return [f"{failure(exc)[:12]:>12}", f"{'':>11}", f"{'':>6}"]
    floor = micros(json.loads, json.dumps(out), n, repeat)
    return [f"{t:>12.2f}", f"{t / floor:>10.1f}x", f"{'yes' if again == out else 'NO':>6}"]


def format_row(
    target: Target, body: dict[str, Any], n: int, repeat: int, floors: tuple[float, float]
) -> str:
    """One row of the every-format table."""
    loads, decoded = floors
    if target.status:
        return f"{n:>9} | {target.name:<17} | {target.status:>52}"

    def there(b: dict[str, Any]) -> Any:
        return convert(b, source="openai-chat", target=target.name)

    t = micros(there, body, n, repeat)
    out, report = there(body)
    cells = [f"{t:>9.2f}", f"{t / loads:>10.1f}x", f"{t / decoded:>8.2f}x", f"{len(report):>6}"]
    cells += round_trip_cells(target, out, n, repeat)
    return f"{n:>9} | {target.name:<17} | " + " | ".join(cells)


def every_format(names: list[str], sizes: list[int], repeat: int) -> None:
    """openai-chat -> each format and each format's own round trip, beside two floors."""
    targets = [probe(name) for name in names]
    decode(conversation(20), "openai-chat")  # warm up: its first call builds provenance models
    print(
        "\nopenai-chat -> each format (µs per message; x = ratio to json.loads of the"
        " openai body / to decode only; round trip: the format's body back to itself, x to"
        " json.loads of that body)"
    )
    header = (
        f"{'messages':>9} | {'target':<17} | {'convert':>9} | {'/json.loads':>11} | "
        f"{'/decode':>9} | {'losses':>6} | {'round trip':>12} | {'/json.loads':>11} | "
        f"{'exact':>6}"
    )
    print(f"{header}\n{'-' * len(header)}")
    for n in sizes:
        body = conversation(n)
        loads = micros(json.loads, json.dumps(body), n, repeat)
        decoded = micros(lambda b: decode(b, "openai-chat"), body, n, repeat)
        print(f"{n:>9} | {'json.loads':<17} | {loads:>9.2f} | {1:>10.1f}x |")
        print(
            f"{n:>9} | {'decode only':<17} | {decoded:>9.2f} | {decoded / loads:>10.1f}x | "
            f"{1:>8.2f}x |"
        )
        for target in targets:
            print(format_row(target, body, n, repeat, (loads, decoded)))
    for target in targets:
        for warning in target.warnings or ():
            print(f"warning: aifkit's {target.name} output is invalid: {warning}")


def main() -> None:
    known = [f for f in formats() if f != "aif"]
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 10_000])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--formats",
        nargs="+",
        choices=known,
        default=known,
        metavar="FORMAT",
        help=f"targets to time (default: all of {', '.join(known)})",
    )
    parser.add_argument(
        "--no-responses",
        dest="responses",
        action="store_false",
        help="skip the response-body table (recorded fixtures, every format pair)",
    )
    parser.add_argument(
        "--no-streams",
        dest="streams",
        action="store_false",
        help="skip the SSE re-encoding table (every stream format pair)",
    )
    parser.add_argument(
        "--events", type=int, default=2000, help="events per stream in the SSE table"
    )
    args = parser.parse_args()
    sizes: list[int] = args.sizes
    repeat: int = args.repeat
    selected: list[str] = args.formats

    print(f"python {sys.version.split()[0]}; median of {repeat} runs; µs per message")
    if "anthropic" in selected:
        bare = Contender("bare walk (lower bound)", "bare walk", bare_walk)
        compare(
            "openai-chat -> anthropic",
            [aifkit_to("anthropic"), litellm_anthropic(), bare, json_loads()],
            sizes,
            repeat,
        )
    if "gemini" in selected:
        compare(
            "openai-chat -> gemini",
            [aifkit_to("gemini"), litellm_gemini(), json_loads()],
            sizes,
            repeat,
        )
    if "bedrock-converse" in selected:
        compare(
            "openai-chat -> bedrock-converse",
            [aifkit_to("bedrock-converse"), litellm_bedrock(), json_loads()],
            sizes,
            repeat,
        )
    every_format(selected, sizes, repeat)
    if args.responses:
        responses(repeat)
    if args.streams:
        from stream import table  # benchmarks/stream.py, beside this script

        table(args.events, repeat)


RESPONSE_FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "responses"


def responses(repeat: int) -> None:
    """µs per recorded response body for every source -> target pair, beside a floor.

    The lower bound is ``json.loads`` + ``json.dumps`` of the body: reading and
    writing it once, what any converter of JSON bodies pays. Each cell is the mean,
    over the source's fixtures, of the median µs of one conversion.
    """
    from aifkit.aif import response_formats

    names = response_formats()
    short = {
        n: n.replace("openai-", "oa-").replace("bedrock-converse", "bedrock")[:9] for n in names
    }
    print(
        "\nresponse bodies (recorded fixtures): µs per response, source (row) -> target"
        " (column); x = the row's mean to the floor (json.loads + json.dumps of the body)"
    )
    print(
        f"{'source':<18}{'n':>3}{'floor':>8}"
        + "".join(f"{short[t]:>10}" for t in names)
        + f"{'mean':>9}{'x':>6}"
    )
    for source in names:
        bodies = [
            json.loads(p.read_text("utf-8"))["body"]
            for p in sorted((RESPONSE_FIXTURES / source).glob("*.json"))
        ]
        if not bodies:
            continue
        floor = _per_body(lambda b: json.loads(json.dumps(b)), bodies, repeat)
        cells = [_per_body(_response_to(source, t), bodies, repeat) for t in names]
        mean = statistics.mean(cells)
        print(
            f"{source:<18}{len(bodies):>3}{floor:>8.1f}"
            + "".join(f"{c:>10.1f}" for c in cells)
            + f"{mean:>9.1f}{mean / floor:>6.0f}"
        )
    litellm_response(repeat)


def litellm_response(repeat: int) -> None:
    """anthropic -> openai-chat response bodies: aifkit beside LiteLLM's transform."""
    bodies = [
        json.loads(p.read_text("utf-8"))["body"]
        for p in sorted((RESPONSE_FIXTURES / "anthropic").glob("*.json"))
    ]
    peer, mod = import_litellm(
        "litellm transform_parsed_response",
        "litellm.llms.anthropic.chat.transformation",
        "litellm",
    )
    if mod is not None:
        import httpx
        from litellm import ModelResponse  # pyright: ignore[reportMissingImports]

        config = mod.AnthropicConfig()
        raw = httpx.Response(200, headers={"content-type": "application/json"})

        def run(body: dict[str, Any]) -> Any:
            # LiteLLM's own path for a non-streamed reply, to the OpenAI body it returns.
            out = config.transform_parsed_response(
                completion_response=body, raw_response=raw, model_response=ModelResponse()
            )
            return out.model_dump()

        peer.fn = run
    ours = _per_body(_response_to("anthropic", "openai-chat"), bodies, repeat)
    theirs: float | None = None
    if peer.fn is not None:
        try:
            with no_network():
                theirs = (
                    statistics.mean(timeit(peer.fn, b, repeat, copies=True) for b in bodies) * 1e6
                )
        except Exception as exc:  # any failure becomes a cell, not a crash
            peer.status = failure(exc)
    print(
        f"\nanthropic -> openai-chat responses ({len(bodies)} recorded bodies): "
        f"aifkit {ours:.1f} µs; {peer.name}: "
        + (
            peer.status
            if theirs is None
            else f"{theirs:.1f} µs; aifkit/litellm = {ours / theirs:.2f}x"
        )
    )


def _response_to(source: str, target: str) -> Fn:
    from aifkit.aif import convert_response

    def run(body: Any) -> Any:
        return convert_response(body, source=source, target=target)

    return run


def _per_body(fn: Fn, bodies: list[Any], repeat: int) -> float:
    """Mean over ``bodies`` of the median µs of ``fn(body)``."""
    return statistics.mean(timeit(fn, b, repeat, copies=False) for b in bodies) * 1e6


if __name__ == "__main__":
    main()
