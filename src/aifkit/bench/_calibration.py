"""How fast the machine runs Python right now: a fixed workload timed alongside a run.

Wall times measured on a shared machine move with the load other jobs put on
it; CPU times move with the machine (another CPU, another clock speed). The
runner times `workload` a few times at the start and at the end of a run and
once every `Sampler.interval` seconds between results (the load changes while
the cells run), on both clocks, and records the samples in the run's manifest
(``run.json``, key ``calibration``); when two runs' calibrations differ significantly,
`aifkit.bench.regress` scales the run's timings by the ratio of the medians.

The workload uses no aifkit code on purpose: a calibration that packed with
aifkit would slow down with a packing regression and hide it.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any, Literal, cast

__all__ = ["WORKLOAD", "Sampler", "calibration_ms", "measure", "record", "samples", "workload"]

WORKLOAD = "json-sort-count-v1"
"""The name of the workload; runs timed with another workload are not normalized."""

_REPEATS = 3

Clock = Literal["wall", "cpu"]
_KEYS: dict[Clock, str] = {"wall": "samples_ms", "cpu": "cpu_samples_ms"}


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


def measure(repeats: int = _REPEATS, *, warm_up: bool = True) -> tuple[list[float], list[float]]:
    """Time `workload` ``repeats`` times: wall and thread CPU milliseconds (to the microsecond).

    Examples:
        >>> wall, cpu = measure(3)
        >>> len(wall), len(cpu), all(ms > 0 for ms in wall)
        (3, 3, True)
    """
    if warm_up:  # the first call pays for imports and allocation
        workload()
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.thread_time()
        workload()
        cpu.append(round((time.thread_time() - start_cpu) * 1000, 3))
        wall.append(round((time.perf_counter() - start) * 1000, 3))
    return wall, cpu


class Sampler:
    """Calibration samples taken alongside a run: at its start, between results, at its end.

    Args:
        interval: At most one sample per this many seconds between results (a
            sample costs a few ms, so this keeps the overhead near 2 %).

    Examples:
        >>> sampler = Sampler(interval=0.0)
        >>> sampler.tick()
        >>> sampler.finish()
        >>> len(sampler.wall) == len(sampler.cpu) == 2 * 3 + 1
        True
    """

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.wall, self.cpu = measure()
        self._last = time.perf_counter()

    def tick(self) -> None:
        """Take one sample if ``interval`` has passed since the last."""
        if time.perf_counter() - self._last >= self.interval:
            wall, cpu = measure(1, warm_up=False)
            self.wall += wall
            self.cpu += cpu
            self._last = time.perf_counter()

    def finish(self) -> None:
        """Take the samples of the run's end."""
        wall, cpu = measure()
        self.wall += wall
        self.cpu += cpu


def calibration_ms(meta: Mapping[str, Any], clock: Clock = "wall") -> float | None:
    """The median calibration time on ``clock`` a run's manifest records, or None.

    None when the run has no calibration (runs from before it was recorded) or
    one of another workload.

    Examples:
        >>> calibration_ms({"calibration": {"workload": WORKLOAD, "samples_ms": [3.0, 2.0, 9.0]}})
        3.0
        >>> calibration_ms({"run_id": "old"}) is None
        True
    """
    values = samples(meta, clock)
    return statistics.median(values) if values else None


def samples(meta: Mapping[str, Any], clock: Clock = "wall") -> list[float]:
    """The calibration samples in a run's manifest, in ms (none when absent or another workload).

    Examples:
        >>> samples({"calibration": {"workload": WORKLOAD, "samples_ms": [3.0, -1, "x"]}})
        [3.0]
    """
    found: object = meta.get("calibration")
    if not isinstance(found, Mapping):
        return []
    calibration = cast("Mapping[str, object]", found)
    values = calibration.get(_KEYS[clock])
    if calibration.get("workload") != WORKLOAD or not isinstance(values, list):
        return []
    return [float(v) for v in cast("list[object]", values) if isinstance(v, int | float) and v > 0]


def record(meta: dict[str, Any], wall: list[float], cpu: list[float]) -> None:
    """Add samples to the calibration in ``meta`` (a resumed run keeps its earlier ones).

    Examples:
        >>> meta = {}
        >>> record(meta, [4.0, 6.0], [3.0, 3.0])
        >>> meta["calibration"]["median_ms"], calibration_ms(meta, "cpu")
        (5.0, 3.0)
    """
    all_wall, all_cpu = [*samples(meta), *wall], [*samples(meta, "cpu"), *cpu]
    meta["calibration"] = {
        "workload": WORKLOAD,
        "samples_ms": all_wall,
        "cpu_samples_ms": all_cpu,
        "median_ms": statistics.median(all_wall) if all_wall else None,
        "cpu_median_ms": statistics.median(all_cpu) if all_cpu else None,
    }
