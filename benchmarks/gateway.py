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

Peers: Headroom's proxy (``headroom proxy --no-optimize``, its pass-through mode) and
LiteLLM's proxy (``litellm --config``, one model routed to the same fake) do the same
pass-through in the same run, against the same fake upstream, when their commands sit
beside this interpreter (``make bench`` runs it with the peers venv, which has both);
otherwise a line says they were skipped. Each is given the settings that keep it from
doing extra work (no rate limit, cache, telemetry or compression) and off the network
(Headroom's ``HEADROOM_OFFLINE=1`` unless set); their logging stays at its default. Ratios are a peer's added latency over aifkit's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
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
def _process(
    args: list[str], env: dict[str, str] | None = None, cwd: str | None = None
) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=cwd
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait(url: str) -> None:
    deadline = time.monotonic() + 180
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
) -> tuple[list[float], float, int]:
    """Times of the answered requests, the wall time, and how many failed (an error
    status, or no answer within 30 s): a proxy that drops requests is reported, not
    waited for."""
    times: list[float] = []
    failed = 0
    left = total
    limits = httpx2.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx2.AsyncClient(limits=limits, timeout=30, transport=_transport()) as client:

        async def worker() -> None:
            nonlocal left, failed
            while left > 0:
                left -= 1
                t = time.perf_counter()
                try:
                    r = await client.post(url, content=body, headers=headers)
                except httpx2.HTTPError:
                    failed += 1
                    continue
                if r.status_code != 200:
                    failed += 1
                    continue
                times.append(time.perf_counter() - t)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return times or [float("nan")], time.perf_counter() - start, failed


async def _ttfb(url: str, body: bytes, n: int, headers: dict[str, str]) -> list[float]:
    """Times to the first byte of ``n`` streamed replies (NaN for one that failed or
    took over 30 s)."""
    out: list[float] = []
    async with httpx2.AsyncClient(timeout=30, transport=_transport()) as client:
        for _ in range(n):
            t = time.perf_counter()
            first = float("nan")
            try:
                async with client.stream("POST", url, content=body, headers=headers) as r:
                    async for _chunk in r.aiter_raw():
                        if r.status_code == 200 and math.isnan(first):
                            first = time.perf_counter() - t
            except httpx2.HTTPError:
                first = float("nan")
            out.append(first)
    return out


def _transport() -> httpx2.AsyncHTTPTransport:
    # TCP_NODELAY as the gateway sets it upstream: without it a request's headers and
    # body may leave a delayed ACK apart, which would swamp what is measured.
    return httpx2.AsyncHTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(v for v in values if not math.isnan(v)) or [float("nan")]  # failures are NaN
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


@dataclass
class Proxy:
    """One proxy under test: its name and its chat-completions URL."""

    name: str
    url: str


def _peer_commands(upstream: str, tmp: Path) -> dict[str, tuple[list[str], dict[str, str], str]]:
    """The peers' start commands (args, environment, the path they answer on), for
    those whose command sits beside this interpreter."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "HOME": str(tmp)}  # their state files go to a scratch home
    out: dict[str, tuple[list[str], dict[str, str], str]] = {}
    if (bin_dir / "headroom").is_file():
        root = upstream.removesuffix("/v1")
        flags = ["--no-optimize", "--no-cache", "--no-rate-limit", "--no-telemetry", "--stateless", "--no-http2", "--no-subscription-tracking", "--no-embedding-server"]  # fmt: skip
        # Its own no-egress switch (model downloads, beacon, update check), unless set.
        headroom_env = {"HEADROOM_OFFLINE": "1", **env}
        out["Headroom proxy"] = ([str(bin_dir / "headroom"), "proxy", "--host", "127.0.0.1", "--openai-api-url", root, *flags], headroom_env, "/livez")  # fmt: skip
    if (bin_dir / "litellm").is_file():
        config = tmp / "litellm.json"  # YAML is a superset of JSON
        model = {"model_name": "gpt-4o", "litellm_params": {"model": "openai/gpt-4o", "api_base": upstream, "api_key": "sk-none"}}  # fmt: skip
        config.write_text(json.dumps({"model_list": [model], "litellm_settings": {"telemetry": False}}))  # fmt: skip
        lite_env = {**env, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR"}
        out["LiteLLM proxy"] = ([str(bin_dir / "litellm"), "--config", str(config), "--host", "127.0.0.1", "--telemetry", "False"], lite_env, "/health/liveliness")  # fmt: skip
    return out


@contextmanager
def _peers(upstream: str, tmp: Path) -> Iterator[list[Proxy]]:
    """Start every installed peer in front of ``upstream``; yield the ones that answer."""
    commands = _peer_commands(upstream, tmp)
    for name in ("Headroom proxy", "LiteLLM proxy"):
        if name not in commands:
            print(f"{name}: skipped (its command is not beside {sys.executable})")
    with ExitStack() as stack:
        started: list[tuple[str, str, str]] = []
        for name, (args, env, health) in commands.items():
            port = _port()
            stack.enter_context(_process([*args, "--port", str(port)], env=env, cwd=str(tmp)))
            started.append((name, f"http://127.0.0.1:{port}", health))
        for _name, url, health in started:
            _wait(url + health)
        yield [Proxy(name, url + "/v1/chat/completions") for name, url, _ in started]


def _cell(
    url: str, body: bytes, clients: int, count: int, headers: dict[str, str]
) -> tuple[list[float], float, int]:
    asyncio.run(_load(url, body, clients, min(count, 8), headers))  # warm its connections
    return asyncio.run(_load(url, body, clients, count, headers))


def _pass_through(
    direct: str, proxies: list[Proxy], per: int, headers: dict[str, str]
) -> dict[str, list[float]]:
    """Added p50 per proxy and client count; prints one row per client count."""
    body = json.dumps(chat(1_000)).encode()
    added: dict[str, list[float]] = {p.name: [] for p in proxies}
    head = "".join(f"{p.name.split()[0] + ' +p50':>16}{'+p99':>8}{'req/s':>7}" for p in proxies)
    print(f"1k pass-through (ms; + = over direct){'':<2}\n{'clients':>7}{'direct p50':>11}{head}")
    for clients in (1, 16, 64):
        count = max(per, clients * 2)
        row, directs = "", list[float]()
        failures: list[str] = []
        for p in proxies:
            d, _, _ = _cell(direct, body, clients, count, headers)  # direct beside each proxy
            g, wall, failed = _cell(p.url, body, clients, count, headers)
            a50, a99 = _pct(g, 0.5) - _pct(d, 0.5), _pct(g, 0.99) - _pct(d, 0.99)
            added[p.name].append(a50)
            directs.append(_pct(d, 0.5))
            row += f"{a50:>16.2f}{a99:>8.2f}{(count - failed) / wall:>7.0f}"
            if failed:
                failures.append(f"{p.name}: {failed} of {count} failed")
        print(f"{clients:>7}{statistics.median(directs):>11.2f}{row}")
        for line in failures:
            print(f"{'':>7}{line}")
    return added


def _ttfb_row(
    direct: str, proxies: list[Proxy], n: int, headers: dict[str, str]
) -> dict[str, float]:
    stream = json.dumps(chat(1_000, stream=True)).encode()
    out: dict[str, float] = {}
    parts: list[str] = []
    bases: list[float] = []
    for p in proxies:
        bases.append(_pct(asyncio.run(_ttfb(direct, stream, n, headers)), 0.5))
        times = asyncio.run(_ttfb(p.url, stream, n, headers))
        out[p.name] = _pct(times, 0.5) - bases[-1]
        failed = sum(math.isnan(t) for t in times)
        parts.append(f"{p.name.split()[0]} +{out[p.name]:.2f} ms" + (f" ({failed} of {n} failed)" if failed else ""))  # fmt: skip
    base = statistics.median(bases)
    print(f"TTFB p50 over direct ({base:.2f} ms), same format: " + "; ".join(parts))
    return out


def _ratios(label: str, added: dict[str, float]) -> None:
    ours = added.get("aifkit")
    if ours is None or len(added) < 2:
        return
    parts: list[str] = []
    for name, value in added.items():
        if name != "aifkit":
            short = name.split()[0]
            parts.append(f"{short} {value / ours:.1f}x" if ours > 0 else f"{short} +{value:.2f} ms, aifkit +{ours:.2f} ms")  # fmt: skip
    print(f"ratio, peer's added {label} over aifkit's: " + ", ".join(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests per cell")
    parser.add_argument("--no-peers", action="store_true", help="aifkit alone")
    parser.add_argument(
        "--only",
        choices=["ttfb"],
        help="ttfb: aifkit's TTFB alone (same format and translated), --rounds times, interleaved",
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds of --only ttfb")
    args = parser.parse_args()
    per = 60 if args.quick else 400
    json_h = {"content-type": "application/json", "authorization": "Bearer sk-bench"}
    tmp = Path(tempfile.mkdtemp())
    with _process([sys.executable, "-c", FAKE]) as fake, ExitStack() as stack:
        assert fake.stdout is not None
        upstream = fake.stdout.readline().strip()
        direct = upstream + "/chat/completions"
        config = tmp / "gateway.toml"
        config.write_text(
            f'[[routes]]\nmodels = ["gpt-4o"]\nupstream = "{upstream}"\n'
            "context_window = 32000\nreserve = 1000\n"
        )
        port = _port()
        gw = f"http://127.0.0.1:{port}"
        serve = [sys.executable, "-c", "from aifkit._cli import main; main()", "serve"]
        stack.enter_context(_process([*serve, "--config", str(config), "--port", str(port)]))
        _wait(gw + "/stats")
        print(f"fake upstream {upstream}; aifkit {gw}; each in its own process, on 2 cores")
        n = 30 if args.quick else 200
        if args.only == "ttfb":
            _ttfb_only(direct, gw, n, json_h, args.rounds)
            return
        _packed(direct, gw, per, n, json_h)  # before the peers start: they idle on the CPU too
        proxies = [Proxy("aifkit", gw + "/v1/chat/completions")]
        if not args.no_peers:
            proxies += stack.enter_context(_peers(upstream, tmp))
        # Streams first: a proxy swamped by the 64-client cell may still be working
        # through abandoned requests after it.
        ttfb = _ttfb_row(direct, proxies, n, json_h)
        # Beside the same-format row, in the same conditions: measured straight after the
        # 64-client packed cell, the upstream and the machine were still settling (+~0.7 ms).
        print(f"TTFB p50, anthropic client translated from the openai-chat upstream: +{_translated_ttfb(direct, gw, n, json_h):.2f} ms")  # fmt: skip
        _ratios("TTFB", ttfb)
        added = _pass_through(direct, proxies, per, json_h)
        for i, clients in enumerate((1, 16, 64)):
            _ratios(f"p50 at {clients} client(s)", {k: v[i] for k, v in added.items()})


def _packed(direct: str, gw: str, per: int, n: int, headers: dict[str, str]) -> None:
    """aifkit alone: a 100k-token request packed to the route's window."""
    body = json.dumps(chat(100_000)).encode()
    print(f"100k packed to 32k, aifkit (ms)\n{'clients':>7}{'direct p50':>11}{'gw p50':>9}{'added p50':>11}{'added p99':>11}{'req/s':>7}")  # fmt: skip
    count = max(8, per // 20)
    for clients in (1, 16, 64):
        c = max(count, clients * 2)
        d, _, _ = _cell(direct, body, clients, c, headers)
        g, wall, failed = _cell(gw + "/v1/chat/completions", body, clients, c, headers)
        if failed:
            print(f"{clients:>7}  {failed} of {c} failed")
        print(
            f"{clients:>7}{_pct(d, 0.5):>11.2f}{_pct(g, 0.5):>9.2f}{_pct(g, 0.5) - _pct(d, 0.5):>11.2f}"
            f"{_pct(g, 0.99) - _pct(d, 0.99):>11.2f}{c / wall:>7.0f}"
        )
    print(f"pack() in process, 100k -> 31k tokens: {_pack_ms(chat(100_000), 31_000, 3):.1f} ms p50\n")  # fmt: skip


def _translated_ttfb(direct: str, gw: str, n: int, headers: dict[str, str]) -> float:
    """Added TTFB p50 (ms) of an Anthropic client's stream translated from the openai-chat upstream."""
    ant = chat(1_000, stream=True)
    ant_body = {"model": "gpt-4o", "max_tokens": 64, "stream": True, "system": "You answer briefly.", "messages": ant["messages"][1:]}  # fmt: skip
    base = _pct(asyncio.run(_ttfb(direct, json.dumps(ant).encode(), n, headers)), 0.5)
    translated = asyncio.run(_ttfb(gw + "/v1/messages", json.dumps(ant_body).encode(), n, headers))
    return _pct(translated, 0.5) - base


def _ttfb_only(direct: str, gw: str, n: int, headers: dict[str, str], rounds: int) -> None:
    """aifkit's added TTFB, same format and translated, alternating for ``rounds`` rounds
    (the machine may be shared: interleaving spreads its noise over both)."""
    gateway = [Proxy("aifkit", gw + "/v1/chat/completions")]
    same: list[float] = []
    translated: list[float] = []
    for _ in range(rounds):
        same.append(_ttfb_row(direct, gateway, n, headers)["aifkit"])
        translated.append(_translated_ttfb(direct, gw, n, headers))
        print(f"TTFB p50, translated for an anthropic client: +{translated[-1]:.2f} ms")
    print(f"median of {rounds} rounds: same format +{statistics.median(same):.2f} ms; translated +{statistics.median(translated):.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
