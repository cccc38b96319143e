"""The long fuzz run (``make fuzz``): mutate every format's fixtures, feed every entry point.

    python -m tests.fuzz.run --bodies 1000000 --workers 2

Prints the bodies tried, the operations run, and the failures counted by class
(exception type or ``non-json-output``/``slow``/``Hang``) and code site, with one
reproducer each; failures on edge-class inputs (see `tests.fuzz.mutate.EDGE`) are
listed apart. Exits 1 when any non-edge failure was found.

Each body runs under a wall-clock alarm of ``--hang`` seconds (a ``Hang``); an
operation over one CPU second is ``slow``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import signal
import sys
import time
from collections import Counter
from multiprocessing import Pool
from types import FrameType
from typing import Any

from tests.fuzz.harness import Failure, run, seeds, warm
from tests.fuzz.mutate import is_edge, mutate

CHUNK = 200
MAX_BYTES = 1_000_000
"""The promises hold for inputs under 1 MB; larger mutated bodies are skipped (and counted)."""


class Hang(BaseException):
    """One body ran past the alarm."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Hang


def _work(args: tuple[int, int, int, float, tuple[str, ...]]) -> dict[str, Any]:
    """Run bodies ``start .. start+count`` of run ``seed``; return counts and reproducers."""
    seed, start, count, hang, kinds_wanted = args
    signal.signal(signal.SIGALRM, _alarm)
    pool = [s for s in seeds() if not kinds_wanted or s.kind in kinds_wanted]
    warm()
    ops = 0
    counts: Counter[str] = Counter()
    examples: dict[str, dict[str, Any]] = {}
    for n in range(start, start + count):
        rng = random.Random(seed * 1_000_003 + n)
        item = pool[rng.randrange(len(pool))]
        text, kinds = mutate(item.body, rng.randrange)
        if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
            counts["(skipped: over 1 MB)"] += 1
            continue
        edge = is_edge(kinds)
        signal.setitimer(signal.ITIMER_REAL, hang)
        try:
            done, failures = run(item, text, edge, salt=n)
        except Hang:
            done, failures = 0, [Failure("body", "Hang", f">{hang:g}s", edge)]
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        ops += done
        for f in {f.key: f for f in failures}.values():
            key = ("edge " if f.edge else "") + f.key
            counts[key] += 1
            if key not in examples or len(text) < len(examples[key]["text"]):
                examples[key] = {
                    "seed": f"{item.kind}:{item.format}:{item.name}",
                    "salt": n,
                    "operation": f.operation,
                    "kinds": kinds,
                    "message": f.message,
                    "text": text if len(text) < 2_000 else text[:2_000] + "...",
                }
    return {"bodies": count, "ops": ops, "counts": counts, "examples": examples}


def main(argv: list[str] | None = None) -> int:
    """Run the fuzzer; print the figures; exit 1 on any non-edge failure."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bodies", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--hang", type=float, default=10.0, help="wall-clock seconds per body")
    ap.add_argument("--json", help="also write the figures and reproducers to this file")
    ap.add_argument(
        "--kind",
        action="append",
        default=[],
        help="only seeds of this kind (body, stream, envelope, response, sse, suite, "
        "integration, gateway); repeatable; default: all",
    )
    args = ap.parse_args(argv)

    jobs = [
        (args.seed, start, min(CHUNK, args.bodies - start), args.hang, tuple(args.kind))
        for start in range(0, args.bodies, CHUNK)
    ]
    total: Counter[str] = Counter()
    examples: dict[str, dict[str, Any]] = {}
    bodies = ops = 0
    began = time.monotonic()
    with Pool(args.workers) as pool:
        for i, res in enumerate(pool.imap_unordered(_work, jobs), 1):
            bodies += res["bodies"]
            ops += res["ops"]
            total.update(res["counts"])
            for key, ex in res["examples"].items():
                examples.setdefault(key, ex)
            if i % 50 == 0 or i == len(jobs):
                skipped = total["(skipped: over 1 MB)"]
                print(
                    f"{bodies:,} bodies, {ops:,} operations, "
                    f"{sum(total.values()) - skipped:,} failures, {skipped:,} skipped "
                    f"({time.monotonic() - began:.0f}s)",
                    file=sys.stderr,
                    flush=True,
                )
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    skipped = total.pop("(skipped: over 1 MB)", 0)
    real = {k: v for k, v in total.items() if not k.startswith("edge ")}
    edge = {k: v for k, v in total.items() if k.startswith("edge ")}
    print(
        f"bodies tried: {bodies - skipped:,} ({skipped:,} over 1 MB skipped); "
        f"operations: {ops:,}; peak worker RSS: {peak_mb:.0f} MB"
    )
    print(f"failures (bodies) by class and site: {sum(real.values()):,} in {len(real)} classes")
    for key, n in sorted(real.items(), key=lambda kv: -kv[1]):
        ex = examples[key]
        print(f"  {n:7,}  {key}\n           e.g. {ex['seed']} {ex['operation']} {ex['kinds']}")
    print(f"edge-class failures (the JSON edge's pre-check): {sum(edge.values()):,} in {len(edge)}")
    for key, n in sorted(edge.items(), key=lambda kv: -kv[1]):
        print(f"  {n:7,}  {key}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {"bodies": bodies, "operations": ops, "failures": total, "examples": examples},
                fh,
                indent=1,
            )
    return 1 if real else 0


if __name__ == "__main__":
    sys.exit(main())
