"""Build run directories the way `aif bench run` writes them: run.json + cells.jsonl.

The analysis tests build their runs here, straight from the shared run-directory
spec, so they do not depend on the runner. `synthetic_run` simulates a grid of
strategies whose accuracy, tokens and latency the test chooses.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

STRATEGIES = ("full", "recency", "bm25")
BUDGETS = ("0.25", "0.5", "1.0")
DEPTHS = (0.0, 0.5, 1.0)
LENGTHS = (1000, 4000)


def cell_id(task: str, params: Mapping[str, Any], strategy: str, budget: str, seed: int,
            reader: str) -> str:  # fmt: skip
    """The deterministic id of the spec: sha256 of the canonical JSON, first 16 hex chars."""
    key = {"task": task, "params": params, "strategy": strategy, "budget": budget,
           "seed": seed, "reader": reader}  # fmt: skip
    canonical = json.dumps(key, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def make_cell(
    *,
    task: str = "niah",
    kind: str = "niah",
    params: Mapping[str, Any] | None = None,
    strategy: str = "recency",
    budget: str = "0.5",
    budget_tokens: int = 500,
    seed: int = 0,
    reader: str = "evidence",
    status: str = "ok",
    error: str | None = None,
    metrics: Mapping[str, Any] | None = None,
    report: Mapping[str, Any] | None = None,
    answer: str | None = None,
) -> dict[str, Any]:
    """One line of cells.jsonl."""
    params = dict(params or {})
    return {
        "cell_id": cell_id(task, params, strategy, budget, seed, reader),
        "task": task,
        "kind": kind,
        "params": params,
        "strategy": strategy,
        "budget": {"spec": budget, "tokens": budget_tokens},
        "seed": seed,
        "reader": reader,
        "status": status,
        "error": error,
        "metrics": dict(metrics or {}),
        "report": None if report is None else dict(report),
        "answer": answer,
        "elapsed_ms": 3.5,
        "finished_at": "2026-11-24T12:00:00Z",
    }


def write_run(
    path: Path, cells: Iterable[Mapping[str, Any]], *, run_id: str | None = None,
    suite: str = "synthetic", started_at: str = "2026-11-24T12:00:00Z",
) -> Path:  # fmt: skip
    """Write a run directory (run.json + cells.jsonl) and return its path."""
    path.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(dict(c), sort_keys=True) for c in cells]
    meta = {
        "run_id": run_id or path.name,
        "suite": suite,
        "suite_spec": {"name": suite},
        "started_at": started_at,
        "finished_at": started_at,
        "aifkit_version": "0.0.0",
        "git_commit": None,
        "packages": {},
        "machine": {"python": "3.11", "platform": "linux", "cpus": 2},
        "cells_total": len(lines),
    }
    (path / "run.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    (path / "cells.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _pass_probability(strategy: str, budget: float, depth: float) -> float:
    if strategy == "full":
        return 0.97
    # recency keeps the end: deep needles survive; bm25 finds the needle most of the time.
    base = 0.3 + 0.6 * budget if strategy == "recency" else 0.55 + 0.4 * budget
    if strategy == "recency":
        base *= 0.4 + 0.6 * depth
    return min(base, 0.99)


def synthetic_run(
    path: Path,
    *,
    run_id: str | None = None,
    seeds: int = 6,
    quality: Mapping[str, float] | None = None,
    latency: Mapping[str, float] | None = None,
    tokens: Mapping[str, float] | None = None,
    failing: Iterable[str] = (),
    noise_seed: int = 0,
    started_at: str = "2026-11-24T12:00:00Z",
    strategies: Sequence[str] = STRATEGIES,
    conversions: Sequence[str] = (),
) -> Path:
    """Write a simulated run of two tasks x strategies x `BUDGETS` x seeds.

    Args:
        path: The run directory to write.
        run_id: Its id (default: the directory name).
        seeds: Seeds per condition.
        quality: Per strategy, added to the probability that a cell passes.
        latency: Per strategy, a factor on pack latency.
        tokens: Per strategy, a factor on the tokens kept.
        failing: Strategies whose cells all fail (status ``failed``).
        noise_seed: Seed of the simulated noise (latency jitter, pass draws).
        started_at: The run's start time.
        strategies: The strategies simulated (default `STRATEGIES`; others pass like bm25).
        conversions: Formats whose round trips through each other add conversion cells
            (strategy ``none``): a format with more than four letters loses content
            to a shorter one.
    """
    quality, latency, tokens = quality or {}, latency or {}, tokens or {}
    failing = set(failing)
    cells: list[dict[str, Any]] = []
    grid: list[tuple[str, str, dict[str, Any]]] = [
        ("niah", "niah", {"depth": d, "length": n, "needles": 1}) for d in DEPTHS for n in LENGTHS
    ]
    grid += [("retrieval", "retrieval", {"documents": 20, "length": 3000})]
    for task, kind, params in grid:
        length = int(params["length"])
        for strategy in strategies:
            for budget in BUDGETS:
                fraction = float(budget)
                for seed in range(seeds):
                    # one generator per cell, so changing one strategy leaves the others' draws
                    rng = random.Random(f"{noise_seed}:{task}:{params}:{strategy}:{budget}:{seed}")
                    cells.append(_synthetic_cell(
                        rng, task, kind, params, strategy, budget, seed, length, fraction,
                        quality.get(strategy, 0.0), latency.get(strategy, 1.0),
                        tokens.get(strategy, 1.0), strategy in failing,
                    ))  # fmt: skip
    cells += [_conversion_cell(source, target) for source in conversions for target in conversions]
    return write_run(path, cells, run_id=run_id, started_at=started_at)


def _conversion_cell(source: str, target: str) -> dict[str, Any]:
    lossy = len(source) > 4 >= len(target)
    entry = {
        "pointer": "/messages/0",
        "rule": f"{target}/no-field",
        "action": "dropped",
        "severity": "warning",
        "detail": f"{source} field has no equivalent in {target}",
    }
    report = {"conversions": [{"source": source, "target": target, "lossless": not lossy,
                               "entries": [entry] if lossy else []}]}  # fmt: skip
    return make_cell(task="conversion", kind="conversion", strategy="none", budget="1.0",
                     params={"mode": "round_trip", "source": source, "target": target},
                     metrics={"passed": not lossy, "evidence_survival": 0.5 if lossy else 1.0,
                              "conversion_losses": int(lossy)}, report=report)  # fmt: skip


def _synthetic_cell(
    rng: random.Random, task: str, kind: str, params: dict[str, Any], strategy: str,
    budget: str, seed: int, length: int, fraction: float, quality: float, latency: float,
    tokens: float, failing: bool,
) -> dict[str, Any]:  # fmt: skip
    budget_tokens = int(length * fraction)
    if failing:
        return make_cell(task=task, kind=kind, params=params, strategy=strategy, budget=budget,
                         budget_tokens=budget_tokens, seed=seed, status="failed",
                         error="ModelCallError: HTTP 503 after 4 attempts")  # fmt: skip
    depth = float(params.get("depth", 0.5))
    kept = length if strategy == "full" else int(budget_tokens * 0.95 * tokens)
    passed = rng.random() < _pass_probability(strategy, fraction, depth) + quality
    metrics: dict[str, Any] = {
        "tokens_before": length,
        "tokens_after": kept,
        "ratio_requested": fraction,
        "ratio_achieved": kept / length,
        "budget_violations": int(kept > budget_tokens and strategy != "full"),
        "evidence_survival": 1.0 if passed else 0.0,
        "passed": passed,
        "f1": 1.0 if passed else round(rng.random() * 0.3, 3),
        "pack_latency_ms": (2.0 + kept / 1000) * latency * (1 + rng.random() * 0.2),
        "cost_usd": kept * 2.5e-6,
    }
    report = {
        "tokens_before": length,
        "tokens_after": kept,
        "items": [
            {"pointer": "/messages/0", "decision": "kept", "tokens": kept // 2},
            {"pointer": "/messages/1", "decision": "dropped" if fraction < 1 else "kept",
             "tokens": length - kept // 2, "note": "<needle> & 'quotes'"},
        ],
    }  # fmt: skip
    return make_cell(task=task, kind=kind, params=params, strategy=strategy, budget=budget,
                     budget_tokens=budget_tokens, seed=seed, metrics=metrics, report=report,
                     answer="the needle" if passed else None)  # fmt: skip
