"""Tokens/s of `count_tokens` on a long conversation, beside a lower bound.

The conversation is ``--messages`` (default 10,000) user and assistant messages of
varied English text. Measured, each as the median of ``--repeat`` runs:

* ``tiktoken, concatenated`` — the lower bound: encoding all the text once, as one
  string, with the same tiktoken encoding (no framing, no per-message work);
* ``cookbook loop`` — OpenAI's cookbook ``num_tokens_from_messages()`` on the same
  messages as dicts: per-message tiktoken calls, the usual way to count;
* ``count_tokens, cold`` — aifkit with an empty cache (hashing, framing, counting);
* ``count_tokens, warm`` — aifkit again on the unchanged conversation (every
  message a cache hit).

Run: ``.venv/bin/python benchmarks/count.py``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from aifkit.aif import Document, Message, TextPart
from aifkit.tokens import CountCache, count_tokens, get_tokenizer
from aifkit.tokens._tokenizer import TiktokenTokenizer

WORDS = [
    "the", "model", "reads", "every", "message", "of", "the", "conversation", "and", "answers",
    "with", "a", "short", "summary", "of", "what", "changed", "since", "the", "last", "request",
    "including", "tool", "calls", "results", "and", "errors",
]  # fmt: skip


def texts(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct texts of 5 to 120 words each."""
    rng = random.Random(seed)
    return [f"{i}: " + " ".join(rng.choices(WORDS, k=rng.randint(5, 120))) for i in range(n)]


def conversation(bodies: list[str]) -> Document:
    """Alternating user/assistant messages with ``bodies`` as their text."""
    roles = ("user", "assistant")
    return Document(
        messages=tuple(
            Message(role=roles[i % 2], parts=(TextPart(text=t),)) for i, t in enumerate(bodies)
        )
    )


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    times: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--model", default="gpt-4o")
    args = parser.parse_args()

    bodies = texts(args.messages)
    doc = conversation(bodies)
    tok = get_tokenizer("o200k_base")
    assert isinstance(tok, TiktokenTokenizer)
    encoding = tok.encoding
    joined = "\n".join(bodies)
    dicts = [{"role": m.role, "content": t} for m, t in zip(doc.messages, bodies, strict=True)]
    total = count_tokens(doc, model=args.model, cache=CountCache(0)).total

    def cookbook() -> int:
        n = 3
        for message in dicts:
            n += 3 + sum(len(encoding.encode(v)) for v in message.values())
        return n

    assert cookbook() == total  # the same count, computed the cookbook's way

    warm_cache = CountCache()
    count_tokens(doc, model=args.model, cache=warm_cache)
    rows = [
        ("tiktoken, concatenated (lower bound)", lambda: encoding.encode_ordinary(joined)),
        ("cookbook loop (tiktoken per message)", cookbook),
        ("count_tokens, cold", lambda: count_tokens(doc, model=args.model, cache=CountCache())),
        ("count_tokens, warm", lambda: count_tokens(doc, model=args.model, cache=warm_cache)),
    ]
    print(f"{args.messages:,} messages, {total:,} tokens ({args.model}, median of {args.repeat})")
    base = None
    for name, run in rows:
        seconds = median_seconds(run, args.repeat)
        base = base or seconds
        print(
            f"  {name:<40} {seconds * 1000:8.1f} ms  {total / seconds / 1e6:6.2f} M tokens/s"
            f"  {seconds / base:5.2f}x the lower bound"
        )


if __name__ == "__main__":
    main()
