"""How fast the machine runs Python right now: a fixed workload timed alongside a run.

Wall times measured on a shared machine move with the load other jobs put on
it. The runner times `workload` several times at the start and at the end of a
run and records the median in the run's manifest (``run.json``, key
``calibration``); `aifkit.bench.regress` divides each run's timings by it, so a
machine that is twice as busy does not read as code twice as slow.

The workload uses no aifkit code on purpose: a calibration that packed with
aifkit would slow down with a packing regression and hide it.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any, cast

__all__ = ["WORKLOAD", "calibration_ms", "measure", "record", "workload"]

WORKLOAD = "json-sort-count-v1"
"""The name of the workload; runs timed with another workload are not normalized."""

_REPEATS = 5


def workload() -> int:
    """Run the fixed workload once: encode, decode, sort and count a synthetic conversation.

    Returns:
        A checksum, so the work cannot be skipped.

    Examples:
        >>> workload() == workload()
        True
    """
    words = [f"w{(i * 7919) % 997}" for i in range(6000)]
    text = " ".join(words)
    chunks = [text[i : i + 240] for i in range(0, len(text), 240)]
    body = {"messages": [{"role": "user", "content": chunk} for chunk in chunks]}
    decoded = cast("dict[str, list[dict[str, str]]]", json.loads(json.dumps(body)))
    counts = Counter[str](" ".join(m["content"] for m in decoded["messages"]).split())
    ordered = sorted(words, key=lambda w: (counts[w], w))
    return len(ordered) + len(counts)


def measure(repeats: int = _REPEATS) -> list[float]:
    """Time `workload` ``repeats`` times; milliseconds, rounded to the microsecond.

    Examples:
        >>> len(measure(3)), all(ms > 0 for ms in measure(2))
        (3, True)
    """
    samples: list[float] = []
    for _ in range(repeats):
        start = time.perf_counter()
        workload()
        samples.append(round((time.perf_counter() - start) * 1000, 3))
    return samples


def calibration_ms(meta: Mapping[str, Any]) -> float | None:
    """The median calibration time a run's manifest records, or None.

    None when the run has no calibration (runs from before it was recorded) or
    one of another workload.

    Examples:
        >>> calibration_ms({"calibration": {"workload": WORKLOAD, "samples_ms": [3.0, 2.0, 9.0]}})
        3.0
        >>> calibration_ms({"run_id": "old"}) is None
        True
    """
    values = [v for v in _samples(meta) if v > 0]
    return statistics.median(values) if values else None


def _samples(meta: Mapping[str, Any]) -> list[float]:
    """The calibration samples in ``meta`` of this workload (none when absent or another)."""
    found: object = meta.get("calibration")
    if not isinstance(found, Mapping):
        return []
    calibration = cast("Mapping[str, object]", found)
    samples = calibration.get("samples_ms")
    if calibration.get("workload") != WORKLOAD or not isinstance(samples, list):
        return []
    return [float(v) for v in cast("list[object]", samples) if isinstance(v, int | float)]


def record(meta: dict[str, Any], samples: list[float]) -> None:
    """Add ``samples`` to the calibration in ``meta`` (a resumed run keeps its earlier ones)."""
    all_samples = [*_samples(meta), *samples]
    meta["calibration"] = {
        "workload": WORKLOAD,
        "samples_ms": all_samples,
        "median_ms": statistics.median(all_samples) if all_samples else None,
    }
