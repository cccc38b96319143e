"""Rolling memory and transactional summaries on long generated conversations with planted facts.

Run with ``.venv/bin/python benchmarks/memory.py`` (needs ``aifkit[budget]``; about
half a minute; ``--help`` for sizes).

Conversations are generated with the benchmark runner's filler text
(`aifkit.bench` haystack sentences, sized in o200k tokens): user turns and
assistant replies of ~60 tokens each, and every ``--every`` turns the user states
a fact — "For the record, the locker code for misty-otter is 4417." — whose value
must stay in what the memory sends. Four tables:

* ``survival`` — `RollingMemory` (extractive summarizer, ``normal`` checks) fed the
  conversation message by message; after 1, 5, 10, 20 and 40 folds: the share of
  the facts said so far whose value is still in the memory's messages, and of
  those already folded into the summary (the ones the summary alone carries);
* ``hysteresis`` — for several marks: the peak of the memory's tokens, the tokens
  right after a fold (against ``low_water``), messages added per fold, and the
  folds rejected (a rejected fold leaves the memory over its mark; after one, the
  memory backs off until it has grown by ``retry_growth`` of ``max_tokens``, so
  this counts summarizer runs that were refused, not messages added while over);
* ``time`` — feeding a ~100k-token conversation into a fresh memory (counting,
  folding, SQLite writes, in memory), per 100k tokens, beside the tokenize-once
  floor (the model's tokenizer over every message text once, nothing else);
* ``checks`` — `summarize_span` on random spans holding planted facts with lossy
  `aifkit.testing.FakeSummarizer` scripts and the extractive summarizer: the share
  of summaries the offline checks reject, of those that lost a planted value
  (should be 100 %), and of those that kept every planted value.
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from aifkit.aif import Document, Message, TextPart
from aifkit.bench._haystack import Haystack, key_word
from aifkit.budget.memory import (
    ExtractiveSummarizer,
    RollingMemory,
    Strictness,
    Summarizer,
    summarize_span,
)
from aifkit.testing import FakeSummarizer
from aifkit.tokens import get_model, get_tokenizer

MODEL = "gpt-4o"
TURN_TOKENS = 60
_LABELS = ("locker code", "gate number", "booking reference", "room number")


@dataclass(frozen=True, slots=True)
class Planted:
    index: int  # the message that states it
    value: str


def conversation(tokens: int, every: int, seed: int) -> tuple[list[Message], list[Planted]]:
    """User/assistant turns of filler (about ``tokens`` in all); a fact every ``every`` turns."""
    rng = random.Random(f"memory:{seed}")
    hay = Haystack(rng, MODEL)
    messages: list[Message] = []
    planted: list[Planted] = []
    turn = 0
    total = 0
    while total < tokens:
        said = " ".join(hay.sentences(TURN_TOKENS))
        if turn % every == every // 2:
            value = str(rng.randrange(1000, 100_000))
            label = _LABELS[rng.randrange(len(_LABELS))]
            said = f"For the record, the {label} for {key_word(rng)} is {value}. {said}"
            planted.append(Planted(len(messages), value))
        reply = " ".join(hay.sentences(TURN_TOKENS))
        messages += [_msg("user", said), _msg("assistant", reply)]
        total += 2 * TURN_TOKENS + 8
        turn += 1
    return messages, planted


def _msg(role: Literal["user", "assistant"], text: str) -> Message:
    return Message(role=role, parts=(TextPart(text=text),))


def _text(messages: Sequence[Message]) -> str:
    return "\n".join(p.text for m in messages for p in m.parts if isinstance(p, TextPart))


def survival(messages: list[Message], planted: list[Planted], max_tokens: int) -> list[str]:
    """Fact survival in a rolling memory after N committed folds (and at the end)."""
    mem = RollingMemory(max_tokens=max_tokens)
    marks = [1, 5, 10, 20, 40]
    rows: list[str] = []
    done = rejected = 0

    def row(i: int) -> str:
        said = [p for p in planted if p.index <= i]
        folded = [p for p in said if p.index < mem.folded]
        text = _text(mem.messages())
        kept = sum(p.value in text for p in said) / len(said) if said else 1.0
        in_summary = sum(p.value in mem.summary for p in folded) / len(folded) if folded else 1.0
        return (
            f"{done:>6} {rejected:>8} {i + 1:>9} {len(said):>6} {kept:>9.0%} "
            f"{len(folded):>7} {in_summary:>11.0%} {mem.tokens:>7}"
        )

    for i, message in enumerate(messages):
        fold = mem.add(message)
        if fold is None:
            continue
        if not fold.committed:
            rejected += 1
            continue
        done += 1
        if marks and done >= marks[0]:
            marks.pop(0)
            rows.append(row(i))
    rows.append(row(len(messages) - 1) + "  (end)")
    return rows


def hysteresis(messages: list[Message], max_tokens: int, low_water: int | None) -> str:
    """Peak tokens, tokens after each fold, messages per fold, rejected folds."""
    mem = RollingMemory(max_tokens=max_tokens, low_water=low_water)
    peak = 0
    after: list[int] = []
    rejected = 0
    for message in messages:
        fold = mem.add(message)
        peak = max(peak, mem.tokens)
        if fold is None:
            continue
        if fold.committed:
            after.append(fold.tokens_after)
        else:
            rejected += 1
    commits = len(after)
    per_fold = len(messages) / commits if commits else float("inf")
    mean_after = statistics.fmean(after) if after else float("nan")
    return (
        f"{max_tokens:>7} {mem.low_water:>9} {peak:>6} {mean_after:>11.0f} "
        f"{max(after, default=0):>10} {commits:>6} {per_fold:>10.1f} {rejected:>9}"
    )


def timing(label: str, messages: list[Message], max_tokens: int, repeat: int) -> str:
    """Fold time per 100k tokens beside the tokenize-once floor."""
    tokenizer = get_tokenizer(get_model(MODEL).tokenizer)
    texts = [p.text for m in messages for p in m.parts if isinstance(p, TextPart)]
    total = sum(tokenizer.count(t) for t in texts)
    floors: list[float] = []
    runs: list[float] = []
    folds = rejected = 0
    for _ in range(repeat):
        start = time.perf_counter()
        for t in texts:
            tokenizer.count(t)
        floors.append(time.perf_counter() - start)
        mem = RollingMemory(max_tokens=max_tokens)
        start = time.perf_counter()
        rejected = 0
        for message in messages:
            fold = mem.add(message)
            rejected += fold is not None and not fold.committed
        runs.append(time.perf_counter() - start)
        folds = mem.folded
    scale = 100_000 / total
    floor, run = min(floors) * scale, min(runs) * scale
    return (
        f"{label:<24} {total:>8} {len(messages):>8} {folds:>7} {rejected:>8} "
        f"{run * 1000:>8.0f} ms {floor * 1000:>6.1f} ms {run / floor:>6.0f}x"
    )


_NUMBER = re.compile(r"\b\d{2,}\b")


def _drop_numbers(text: str) -> str:
    return _NUMBER.sub("several", text[: len(text) // 3])


def _half_sentences(text: str) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", text)
    return " ".join(sentences[::2])[: len(text) // 3]


def _first_third(text: str) -> str:
    return text[: len(text) // 3]


def _facts_only(text: str) -> str:
    # A faithful summary: only the sentences with the planted facts (what a careful model keeps).
    keep = [s for s in re.split(r"(?<=[.!?])\s+", text) if "For the record" in s]
    return " ".join(keep) or text[:200]


LOSSY: dict[str, Callable[[str], str]] = {
    "numbers -> 'several'": _drop_numbers,
    "every other sentence": _half_sentences,
    "first third": _first_third,
    "planted facts only": _facts_only,
}


def checks(messages: list[Message], planted: list[Planted], spans: int, seed: int) -> list[str]:
    """Rejection rates of the offline checks, per summarizer and strictness."""
    rng = random.Random(f"checks:{seed}")
    doc = Document(messages=tuple(messages))
    with_fact = [p.index for p in planted if 4 <= p.index < len(messages) - 4]
    picks = []
    for _ in range(spans):
        at = rng.choice(with_fact)
        start = max(0, at - rng.randrange(0, 12))
        picks.append((start, min(len(messages), at + 1 + rng.randrange(0, 12))))
    rows: list[str] = []
    summarizers: list[tuple[str, Callable[[], Summarizer]]] = [
        *((name, lambda f=fn: FakeSummarizer([f], repeat=True)) for name, fn in LOSSY.items()),
        ("extractive (default)", lambda: ExtractiveSummarizer(get_tokenizer("o200k_base"))),
    ]
    strictness: Strictness
    for strictness in ("normal", "lenient"):
        for name, make in summarizers:
            summarizer = make()
            lost = lost_rejected = kept = kept_rejected = 0
            for start, end in picks:
                values = [p.value for p in planted if start <= p.index < end]
                done = summarize_span(
                    doc, start, end, summarizer, checks=strictness,
                    raise_on_reject=False, keep_originals=False,
                )  # fmt: skip
                lost_one = any(v not in done.summary for v in values)
                if lost_one:
                    lost += 1
                    lost_rejected += not done.committed
                else:
                    kept += 1
                    kept_rejected += not done.committed
            total_rejected = lost_rejected + kept_rejected
            rows.append(
                f"{strictness:<8} {name:<22} {total_rejected / len(picks):>9.0%} "
                f"{_rate(lost_rejected, lost):>14} {_rate(kept_rejected, kept):>14}"
            )
    return rows


def _rate(part: int, whole: int) -> str:
    return f"{part / whole:.0%} of {whole}" if whole else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tokens", type=int, default=100_000, help="timed conversation size")
    parser.add_argument(
        "--fact-tokens", type=int, default=20_000, help="size of the conversation with facts"
    )
    parser.add_argument("--every", type=int, default=5, help="turns between planted facts")
    parser.add_argument("--repeat", type=int, default=1, help="timing runs (best is shown)")
    parser.add_argument("--spans", type=int, default=60, help="spans per summarizer")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    short, planted = conversation(args.fact_tokens, args.every, args.seed)

    sections = [time.perf_counter()]
    print(f"fact survival (RollingMemory max_tokens=2000; a fact every {args.every} turns)")
    print(" folds rejected  messages  facts in memory  folded  in summary  tokens")
    for row in survival(short, planted, 2000):
        print(row)
    sections.append(time.perf_counter())

    print("\nhysteresis (tokens of the memory's messages)")
    print("    max low_water   peak after fold max after  folds msgs/fold  rejected")
    for max_tokens, low in ((1000, None), (2000, None), (4000, None), (4000, 3600)):
        print(hysteresis(short, max_tokens, low))
    sections.append(time.perf_counter())

    print("\nfold time per 100k tokens (max_tokens=4000), beside the tokenize-once floor")
    print("conversation               tokens messages  folded rejected    aifkit    floor  ratio")
    plain, _ = conversation(args.tokens, 10**9, args.seed)
    print(timing("filler only", plain, 4000, args.repeat))
    print(timing(f"a fact every {args.every} turns", short, 4000, args.repeat))
    sections.append(time.perf_counter())

    print(f"\noffline checks on {args.spans} random spans holding planted facts")
    print("checks   summarizer             rejected  lost a fact:rej  kept all:rej")
    for row in checks(short, planted, args.spans, args.seed):
        print(row)
    sections.append(time.perf_counter())
    took = ", ".join(f"{b - a:.1f}" for a, b in itertools.pairwise(sections))
    print(f"\n({time.perf_counter() - start:.1f} s in all; sections: {took} s)")


if __name__ == "__main__":
    main()
