"""What the gateway adds to a request: latency (p50/p99), time to first byte, requests/s.

Run with any Python that has ``aifkit[gateway]`` (``python benchmarks/gateway.py``;
``--quick`` for a smaller run). The upstream is aifkit's `FakeOpenAIServer` in its own
process; the gateway (``aif serve``) runs in another, as it would in production; the
load comes from this process with httpx2's async client. Each figure is the gateway's
time minus the time of the same request sent straight to the fake upstream, so the
fake's own cost cancels out:

* ``1k pass-through``: an openai-chat request of about 1,000 tokens, within its window;
* ``100k packed``: a request of about 100,000 tokens to a route whose window is 32,000,
  which the gateway must pack (beside the time `aifkit.budget.pack` takes in process);
* ``TTFB``: time to the first byte of a streamed reply, same format (bytes passed
  through) and translated (an Anthropic client in front of the OpenAI upstream).

Peers (Headroom's and LiteLLM's proxies) are measured only when installed; otherwise
a line says they were skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2

FAKE = (
    "import time; from aifkit.testing import FakeOpenAIServer, FakeReply; "
    "s = FakeOpenAIServer([FakeReply('The launch is at noon, on schedule, as planned.')], repeat=True).start(); "
    "s.requests = type('Nothing', (list,), {'append': lambda self, x: None})(); "
    "print(s.base_url, flush=True); time.sleep(1e9)"
)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _process(args: list[str]) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _wait(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx2.get(url, timeout=1)
            return
        except httpx2.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"nothing answers at {url}")


def chat(tokens: int, stream: bool = False) -> dict[str, Any]:
    """An openai-chat request of about ``tokens`` tokens (about 50 tokens a message)."""
    sentence = "The quarterly report covers revenue, hiring and the launch plan in detail. "
    n = max(1, tokens // 50)
    messages: list[dict[str, Any]] = [{"role": "system", "content": "You answer briefly."}]
    for i in range(n):
        role = "user" if i % 2 == 0 else "assistant"
        messages.append({"role": role, "content": f"Turn {i}. " + sentence * 3})
    messages.append({"role": "user", "content": "When is the launch?"})
    body: dict[str, Any] = {"model": "gpt-4o", "messages": messages}
    if stream:
        body["stream"] = True
    return body


async def _load(
    url: str, body: bytes, clients: int, total: int, headers: dict[str, str]
) -> tuple[list[float], float]:
    times: list[float] = []
    left = total
    limits = httpx2.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx2.AsyncClient(limits=limits, timeout=120, transport=_transport()) as client:

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                t = time.perf_counter()
                r = await client.post(url, content=body, headers=headers)
                r.raise_for_status()
                times.append(time.perf_counter() - t)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return times, time.perf_counter() - start


async def _ttfb(url: str, body: bytes, n: int, headers: dict[str, str]) -> list[float]:
    out: list[float] = []
    async with httpx2.AsyncClient(timeout=60, transport=_transport()) as client:
        for _ in range(n):
            t = time.perf_counter()
            first = None
            async with client.stream("POST", url, content=body, headers=headers) as r:
                async for _chunk in r.aiter_raw():
                    first = first or time.perf_counter() - t
            out.append(first or 0.0)
    return out


def _transport() -> httpx2.AsyncHTTPTransport:
    # TCP_NODELAY as the gateway sets it upstream: without it a request's headers and
    # body may leave a delayed ACK apart, which would swamp what is measured.
    return httpx2.AsyncHTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _pack_ms(body: dict[str, Any], budget: int, n: int) -> float:
    from aifkit.budget import pack

    pack(body, format="openai-chat", model="gpt-4o", budget=budget)  # warm the tokenizer
    times: list[float] = []
    for _ in range(n):
        t = time.perf_counter()
        pack(body, format="openai-chat", model="gpt-4o", budget=budget)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests per cell")
    args = parser.parse_args()
    per = 60 if args.quick else 400
    json_h = {"content-type": "application/json"}
    with _process([sys.executable, "-c", FAKE]) as fake:
        assert fake.stdout is not None
        upstream = fake.stdout.readline().strip()
        config = Path(tempfile.mkdtemp()) / "gateway.toml"
        config.write_text(
            f'[[routes]]\nmodels = ["gpt-4o"]\nupstream = "{upstream}"\n'
            "context_window = 32000\nreserve = 1000\n"
        )
        port = _port()
        gw = f"http://127.0.0.1:{port}"
        serve = [sys.executable, "-c", "from aifkit._cli import main; main()", "serve"]
        with _process([*serve, "--config", str(config), "--port", str(port)]):
            _wait(gw + "/stats")
            print(f"gateway {gw} -> fake upstream {upstream} (separate processes)")
            print(
                f"{'case':<18}{'clients':>8}{'direct p50':>12}{'gw p50':>9}{'added p50':>11}{'added p99':>11}{'gw req/s':>10}"
            )
            for label, tokens, n in (
                ("1k pass-through", 1_000, per),
                ("100k packed", 100_000, max(8, per // 20)),
            ):
                body = json.dumps(chat(tokens)).encode()
                for clients in (1, 16, 64):
                    count = max(n, clients * 2)
                    asyncio.run(
                        _load(gw + "/v1/chat/completions", body, clients, min(count, 8), json_h)
                    )
                    d, _ = asyncio.run(
                        _load(upstream + "/chat/completions", body, clients, count, json_h)
                    )
                    g, wall = asyncio.run(
                        _load(gw + "/v1/chat/completions", body, clients, count, json_h)
                    )
                    print(
                        f"{label:<18}{clients:>8}{_pct(d, 0.5):>11.2f} {_pct(g, 0.5):>8.2f}"
                        f"{_pct(g, 0.5) - _pct(d, 0.5):>11.2f}{_pct(g, 0.99) - _pct(d, 0.99):>11.2f}"
                        f"{count / wall:>10.0f}"
                    )
            big = chat(100_000)
            print(f"pack() in process, 100k -> 31k tokens: {_pack_ms(big, 31_000, 3):.1f} ms p50")
            stream = json.dumps(chat(1_000, stream=True)).encode()
            n = 30 if args.quick else 200
            direct = asyncio.run(_ttfb(upstream + "/chat/completions", stream, n, json_h))
            same = asyncio.run(_ttfb(gw + "/v1/chat/completions", stream, n, json_h))
            ant = chat(1_000, stream=True)
            ant_body = {
                "model": "gpt-4o",
                "max_tokens": 64,
                "stream": True,
                "system": "You answer briefly.",
                "messages": ant["messages"][1:],
            }
            translated = asyncio.run(
                _ttfb(gw + "/v1/messages", json.dumps(ant_body).encode(), n, json_h)
            )
            base = _pct(direct, 0.5)
            print(f"TTFB p50: direct {base:.2f} ms; pass-through +{_pct(same, 0.5) - base:.2f} ms; "
                  f"anthropic client, translated +{_pct(translated, 0.5) - base:.2f} ms")  # fmt: skip
    for peer, module in (("Headroom proxy", "headroom"), ("LiteLLM proxy", "litellm")):
        if importlib.util.find_spec(module) is None:
            print(f"{peer}: skipped ({module} is not installed here)")
        else:
            print(f"{peer}: installed, but its proxy run is not wired into this script yet")


if __name__ == "__main__":
    main()
