"""µs per event to translate a streamed reply between formats, beside a bare re-encoding floor.

Run with any Python that has aifkit (``python benchmarks/stream.py``). Each source
stream is synthetic but shaped like the recorded transcripts in
tests/fixtures/streams: many small text deltas, then a tool call whose arguments
arrive in many fragments; it is written in each format by aifkit's own encoders.

* ``translate`` — `translate_stream` (the path of ``aif stream translate``) from the
  source's raw SSE, fed one event per chunk as a live stream arrives, to the
  target's (SSE parsing, JSON decoding, neutral events, JSON encoding, framing);
* ``floor`` — cutting the raw stream into its events (SSE: on blank lines; Ollama's
  NDJSON: on newlines; Bedrock's event stream: by each message's length prefix), then
  ``json.loads`` and ``json.dumps`` of every payload: the least any re-encoding proxy
  pays;
* ratios are translate / floor, each translation timed beside a floor run (the
  median of those ratios), so a busy machine slows both sides alike.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from aifkit.aif import (
    PartDelta,
    PartEnd,
    PartStart,
    ResponseEnd,
    ResponseStart,
    StreamEvent,
    encode_stream,
    translate_stream,
)
from aifkit.aif._response import Usage

FORMATS = [
    "openai-chat",
    "anthropic",
    "openai-responses",
    "gemini",
    "cohere",
    "ollama",
    "bedrock-converse",
]


def events(n: int) -> list[StreamEvent]:
    """About ``n`` neutral events: text deltas, then one tool call's argument fragments."""
    text = n * 3 // 4
    out: list[StreamEvent] = [ResponseStart(id="r_1", model="m", created=1), PartStart(0, "text")]
    out += [PartDelta(0, f"word{i} ") for i in range(text)]
    out += [
        PartEnd(0),
        PartStart(1, "tool_call", id="call_1", name="f"),
        PartDelta(1, '{"items": ['),
    ]
    out += [PartDelta(1, f"{i}, ") for i in range(max(n - text - 6, 0))]
    out += [PartDelta(1, "0]}"), PartEnd(1)]
    out.append(ResponseEnd("tool_calls", None, Usage(input_tokens=10, output_tokens=n)))
    return out


def written(fmt: str, stream: list[StreamEvent]) -> bytes:
    encoder = encode_stream(fmt)
    return b"".join(encoder.encode(e) for e in stream) + encoder.close()


def floor(raw: bytes, fmt: str = "openai-chat") -> None:
    if fmt == "ollama":
        for line in raw.split(b"\n"):
            if line:
                json.dumps(json.loads(line))
        return
    if fmt == "bedrock-converse":  # the prelude's lengths locate each payload
        at = 0
        while at < len(raw):
            total = int.from_bytes(raw[at : at + 4], "big")
            headers = int.from_bytes(raw[at + 4 : at + 8], "big")
            json.dumps(json.loads(raw[at + 12 + headers : at + total - 4]))
            at += total
        return
    for block in raw.split(b"\n\n"):
        for line in block.split(b"\n"):
            if line.startswith(b"data: ") and line != b"data: [DONE]":
                json.dumps(json.loads(line[6:]))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def frames(raw: bytes, fmt: str = "openai-chat") -> list[bytes]:
    """The stream cut into its events, one chunk each, as a live provider sends them (and
    as `aif stream translate` reads a pipe: whatever has arrived)."""
    if fmt == "ollama":
        return raw.splitlines(keepends=True)
    if fmt == "bedrock-converse":
        out: list[bytes] = []
        at = 0
        while at < len(raw):
            total = int.from_bytes(raw[at : at + 4], "big")
            out.append(raw[at : at + total])
            at += total
        return out
    return [block + b"\n\n" for block in raw.split(b"\n\n") if block.strip()]


def table(n_events: int, repeat: int) -> None:
    """Print µs per source event for every source -> target pair, and the ratio to the floor."""
    neutral = events(n_events)
    print(
        f"\nStream re-encoding: ~{n_events} events per stream, fed one event per chunk as "
        "`aif stream translate` reads a live stream; µs per source event (ratio to the "
        "floor: json.loads + json.dumps of each event)"
    )
    print("from -> to".ljust(17) + "".join(f"{t:>20}" for t in FORMATS) + f"{'floor':>10}")
    for source in FORMATS:
        raw = written(source, neutral)
        chunks = frames(raw, source)
        n = len(chunks)
        cells = ""
        floors: list[float] = []
        for target in FORMATS:
            # Each translation is timed right after a floor run and compared with it, so a
            # busy machine slows both sides of every ratio alike.
            times: list[float] = []
            ratios: list[float] = []
            for _ in range(repeat):
                f = timed(lambda: floor(raw, source))  # noqa: B023
                t = timed(lambda: b"".join(translate_stream(chunks, source=source, target=target)))  # noqa: B023
                floors.append(f)
                times.append(t)
                ratios.append(t / f)
            us = statistics.median(times) / n * 1e6
            cells += f"{us:>11.2f} ({statistics.median(ratios):>4.1f}x)"
        print(f"{source:<17}{cells}{statistics.median(floors) / n * 1e6:>10.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    table(args.events, args.repeat)


if __name__ == "__main__":
    main()
