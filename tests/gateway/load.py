"""Load: many concurrent streaming clients through one gateway, none failed or mixed up.

``python -m tests.gateway.load --clients 64 --seconds 60`` (``make load-gateway``).
The gateway (uvicorn, in a thread) stands in front of the fake OpenAI, Anthropic and
Gemini servers; each client streams request after request through the official async
``openai`` SDK, to models routed to all three upstreams, each request carrying a nonce
that the fake echoes back, so a reply delivered to the wrong client is caught. The
resident memory is sampled as requests complete, to show whether it stays flat (the
ledger is a file, as deployed; the fakes forget the requests they saw).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import tempfile
import time
from pathlib import Path
from typing import Any

from aifkit.gateway import create_app
from aifkit.testing import FakeAnthropicServer, FakeGeminiServer, FakeOpenAIServer, FakeReply
from tests.gateway.conftest import matrix_config, serve

MODELS = ("m-chat", "m-claude", "m-gemini")


def _rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 2**20


def run(clients: int, seconds: float) -> dict[str, Any]:
    """Run the load; return counts, failures, mix-ups and memory samples."""
    import openai

    fakes: dict[str, Any] = {
        "openai": FakeOpenAIServer().start(),
        "anthropic": FakeAnthropicServer().start(),
        "gemini": FakeGeminiServer().start(),
    }
    reply = FakeReply("echo ", echo=True)
    for fake in fakes.values():
        fake.script(reply, repeat=True)
    # A ledger file, as deployed: an in-memory ledger grows by every record it keeps.
    ledger = Path(tempfile.mkdtemp(prefix="aifkit-load-")) / "ledger.db"
    app = create_app(matrix_config(fakes).model_copy(update={"ledger": str(ledger)}))
    url, server, thread = serve(app)
    counter = itertools.count()
    done = failed = mixed = 0
    memory: list[tuple[int, float]] = []

    async def client(i: int, deadline: float) -> None:
        nonlocal done, failed, mixed
        async with openai.AsyncOpenAI(base_url=url + "/v1", api_key="k", max_retries=0) as oai:
            while time.monotonic() < deadline:
                n = next(counter)
                nonce = f"client {i} request {n}"
                try:
                    stream = await oai.chat.completions.create(
                        model=MODELS[n % 3],
                        messages=[{"role": "user", "content": nonce}],
                        stream=True,
                    )
                    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])  # fmt: skip
                except openai.APIError:
                    failed += 1
                    continue
                if text != f"echo {nonce}":
                    mixed += 1
                done += 1
                if done % 500 == 0:
                    memory.append((done, round(_rss_mb(), 1)))
                    for fake in fakes.values():  # the fakes keep every request; forget them
                        fake.script(reply, repeat=True)

    async def main() -> None:
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(client(i, deadline) for i in range(clients)))

    try:
        asyncio.run(main())
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        for fake in fakes.values():
            fake.close()
    return {"clients": clients, "requests": done, "failed": failed, "mixed": mixed, "rss_mb": memory}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    result = run(args.clients, args.seconds)
    print(result)
    if result["failed"] or result["mixed"] or not result["requests"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
