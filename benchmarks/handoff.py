"""µs per message to pack and verify a hand-off envelope, beside two lower bounds.

Run with any Python that has aifkit (``python benchmarks/handoff.py``). Figures:

* ``pack`` — `pack_handoff` of an AIF document (hash chain, open calls, context hash);
* ``pack+sign`` — the same, signed with Ed25519 (one signature over the canonical envelope);
* ``verify`` — `verify_handoff` of the envelope's JSON (reads the envelope, rehashes
  every message, checks the signature);
* ``sha256 floor`` — hashing each message's canonical JSON once, the least any
  message-by-message chain pays;
* ``tokenize floor`` — tokenizing each message's text once with tiktoken
  (o200k_base), the cost a receiver pays anyway to count its prompt;
* ``load floor`` — parsing and validating the AIF document once (`load_document`),
  which any receiver of an AIF conversation pays.

Ratios are against the floors: how much the envelope costs beyond what any
receiver spends reading the conversation once.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from aifkit.aif import decode, dump_document, load_document
from aifkit.handoff import generate_key, pack_handoff, verify_handoff


def conversation(n: int) -> dict[str, Any]:
    """An AIF document of ``n`` messages: user turns, tool calls, tool results, replies."""
    messages: list[dict[str, Any]] = []
    i = 0
    while len(messages) < n:
        messages += [
            {"role": "user", "content": f"Question {i}: what is the weather in city {i}?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"call_{i}",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": json.dumps({"city": i})},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": f"call_{i}", "content": f"Sunny, {20 + i % 10} C."},
            {"role": "assistant", "content": f"It is sunny in city {i}. " * 3},
        ]
        i += 1
    body = {"model": "gpt-4o", "messages": messages[:n]}
    doc, _ = decode(body, "openai-chat")
    return dump_document(doc)


def best(fn: Callable[[], object], repeat: int) -> float:
    times: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    from aifkit.tokens import get_tokenizer
    from aifkit.tokens._tokenizer import TiktokenTokenizer

    tokenizer = get_tokenizer("o200k_base")  # aifkit's offline copy of the vocabulary
    assert isinstance(tokenizer, TiktokenTokenizer)
    enc = tokenizer.encoding
    private, _ = generate_key()
    print(f"{'messages':>8} {'pack':>8} {'+sign':>8} {'verify':>8} {'sha256':>8} "
          f"{'tokenize':>8} {'load':>8}   µs/msg; ratios: pack, verify vs floors")  # fmt: skip
    for n in args.messages:
        measure(n, args.repeat, private, enc)


def measure(n: int, repeat: int, private: bytes, enc: Any) -> None:
    """Print one row: µs per message for ``n`` messages, and the ratios."""
    doc = conversation(n)
    env = pack_handoff(doc, key=private)
    text = json.dumps(env.to_json())
    loaded = load_document(doc)
    canon = [json.dumps(m, sort_keys=True, separators=(",", ":")).encode() for m in doc["messages"]]
    texts = [" ".join(p.get("text", "") for p in m["parts"]) for m in doc["messages"]]
    pack = best(lambda: pack_handoff(loaded), repeat)
    signed = best(lambda: pack_handoff(loaded, key=private), repeat)
    verify = best(lambda: verify_handoff(text, private), repeat)
    sha = best(lambda: [hashlib.sha256(c).digest() for c in canon], repeat)
    tok = best(lambda: [enc.encode_ordinary(t) for t in texts], repeat)
    doc_text = json.dumps(doc)
    load = best(lambda: load_document(json.loads(doc_text)), repeat)
    us = [x / n * 1e6 for x in (pack, signed, verify, sha, tok, load)]
    print(
        f"{n:>8} " + " ".join(f"{u:>8.2f}" for u in us)
        + f"   {pack / tok:.1f}x, {verify / tok:.1f}x tokenize; {verify / load:.1f}x load"
    )  # fmt: skip


if __name__ == "__main__":
    main()
