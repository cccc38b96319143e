"""Running one job: generate the task, apply the strategy, ask each reader, measure.

This runs in worker processes (local pool or Dask), so it takes and returns plain
data: a `Job` in, cell JSON objects out. Errors become failed cells that say
what went wrong; nothing raises out of `execute_job`.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from aifkit.bench._metrics import MetricValue
from aifkit.bench._readers import (
    READERS,
    Answer,
    Reader,
    context_text,
    exact_match,
    expand_calls,
    f1,
    string_match_all,
)
from aifkit.bench._strategies import (
    Applied,
    apply_strategy,
    apply_turns,
    conversation_turns,
    count_body,
    has_sessions,
    orphaned_tool_messages,
    prefix_kept,
)
from aifkit.bench._suite import Job, budget_tokens
from aifkit.bench._tasks import TaskInstance, generate
from aifkit.errors import BudgetError

if TYPE_CHECKING:
    from aifkit.bench._model_reader import Endpoint

__all__ = ["execute_job", "execute_jobs"]


@functools.lru_cache(maxsize=64)
def _instance(kind: str, params_key: str, seed: int, model: str) -> TaskInstance:
    import json

    return generate(kind, json.loads(params_key), seed, model)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _cell(job: Job, reader: str, cid: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "cell_id": cid,
        "task": job.task,
        "kind": job.kind,
        "params": dict(job.params),
        "strategy": job.strategy.name,
        "budget": {"spec": job.budget, "tokens": None},
        "seed": job.seed,
        "reader": reader,
        "status": "ok",
        "error": None,
        "metrics": {},
        "report": None,
        "answer": None,
        "elapsed_ms": 0.0,
        "finished_at": _now(),
    }
    base.update(fields)
    return base


def _error(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, Exception) and str(exc) else type(exc).__name__


def execute_jobs(jobs: list[Job]) -> list[dict[str, Any]]:
    """Run several jobs (best: of one task instance, which is then generated once)."""
    return [cell for job in jobs for cell in execute_job(job)]


def execute_job(job: Job) -> list[dict[str, Any]]:
    """Run a job; return one cell (JSON) per reader, failed cells included."""
    start = time.perf_counter()
    try:
        import json

        task = _instance(
            job.kind, json.dumps(dict(job.params), sort_keys=True), job.seed, job.model
        )
        if job.kind == "conversion":
            return [_conversion_cell(job, task, start)]
        before = count_body(task.body, job.model)
        budget = budget_tokens(job.budget, before)
    except Exception as exc:
        elapsed = (time.perf_counter() - start) * 1000
        return [
            _cell(
                job,
                r,
                cid,
                status="failed",
                error=_error(exc),
                error_type=type(exc).__name__,
                elapsed_ms=elapsed,
            )
            for r, cid in job.readers
        ]
    base: dict[str, MetricValue] = {
        "tokens_before": before,
        "ratio_requested": round(budget / before, 6) if before else None,
    }
    try:
        applied = apply_strategy(job.strategy, task.body, budget, job.model)
        metrics = {**base, **_context_metrics(job, task, applied, before, budget)}
    except Exception as exc:
        elapsed = (time.perf_counter() - start) * 1000
        budget_json = {"spec": job.budget, "tokens": budget}
        return [
            _cell(job, r, cid, status="failed", error=_error(exc), error_type=type(exc).__name__,
                  metrics=dict(base), budget=budget_json, elapsed_ms=elapsed)
            for r, cid in job.readers
        ]  # fmt: skip
    setup_ms = (time.perf_counter() - start) * 1000
    return [
        _read(job, task, applied, reader, cid, metrics, budget, setup_ms)
        for reader, cid in job.readers
    ]


def _context_metrics(
    job: Job, task: TaskInstance, applied: Applied, before: int, budget: int
) -> dict[str, MetricValue]:
    context = context_text(applied.body)
    survival = string_match_all(context, task.gold)
    return {
        "tokens_after": applied.tokens_after,
        "ratio_achieved": round(applied.tokens_after / before, 6) if before else None,
        "budget_violations": int(applied.tokens_after > budget),
        "orphaned_tool_messages": orphaned_tool_messages(applied.body),
        "evidence_survival": round(survival, 6),
        "facts_kept": round(string_match_all(context, task.facts), 6) if task.facts else None,
        "expand_calls": expand_calls(applied.body, applied.elided, task.question, task.gold),
        "pack_latency_ms": round(applied.latency_ms, 3),
        "pack_cpu_ms": round(applied.cpu_ms, 3),
        "prefix_stability": _prefix_stability(job, task, budget),
        "conversion_losses": None,
    }


def _reader(job: Job, name: str) -> Reader:
    if name.startswith("model"):
        from aifkit.bench._model_reader import Endpoint

        return _model_reader(Endpoint.from_config(job.endpoint))
    return READERS.get(name)


@functools.cache
def _model_reader(endpoint: Endpoint) -> Reader:
    """One reader (and response cache) per endpoint in this process."""
    from aifkit.bench._model_reader import ModelReader

    return ModelReader(endpoint)


def _read(
    job: Job,
    task: TaskInstance,
    applied: Applied,
    reader_name: str,
    cid: str,
    metrics: Mapping[str, MetricValue],
    budget: int,
    setup_ms: float,
) -> dict[str, Any]:
    start = time.perf_counter()
    out: dict[str, MetricValue] = dict(metrics)
    fields: dict[str, Any] = {
        "budget": {"spec": job.budget, "tokens": budget},
        "report": applied.report,
    }
    followups = _followups(task)
    later: list[bool] = []
    try:
        reader = _reader(job, reader_name)
        answer = reader.read(applied.body, task.question)
        for question, answers in followups:  # the same fitted context, a later question
            asked = {**applied.body, "messages": [*applied.body["messages"][:-1],
                                                  {"role": "user", "content": question}]}  # fmt: skip
            text = reader.read(asked, question).text
            seen = context_text(applied.body) if text is None else text
            later.append(string_match_all(seen, answers) == 1.0)
    except Exception as exc:
        answer, fields["status"], fields["error"] = Answer(None), "failed", _error(exc)
        fields["error_type"] = type(exc).__name__
    reader_ms = (time.perf_counter() - start) * 1000
    out["reader_latency_ms"] = round(reader_ms, 3)
    if fields.get("status") == "failed":  # no answer: nothing to score, and not a pass
        out.update(exact_match=None, f1=None, passed=None, answer_tokens=None)
    else:
        out.update(_score(answer, task, out))
        if followups:
            out["followups_passed"] = round(sum(later) / len(later), 6)
            out["passed"] = bool(out["passed"]) and all(later)
    out["cost_usd"] = _cost(job.model, int(out.get("tokens_after") or 0), answer.output_tokens)
    return _cell(
        job, reader_name, cid, metrics=out, answer=answer.text,
        elapsed_ms=round(setup_ms + reader_ms, 3), **fields,
    )  # fmt: skip


def _followups(task: TaskInstance) -> list[tuple[str, tuple[str, ...]]]:
    """A session's later questions and their answers (none for a one-question task)."""
    data = cast("list[dict[str, Any]]", task.extra.get("followups") or [])
    return [(str(f["question"]), tuple(str(a) for a in f["answers"])) for f in data]


def _score(
    answer: Answer, task: TaskInstance, metrics: Mapping[str, MetricValue]
) -> dict[str, MetricValue]:
    if answer.text is None:  # the evidence reader
        survived = metrics.get("evidence_survival") == 1.0
        return {"exact_match": None, "f1": None, "passed": survived, "answer_tokens": None}
    return {
        "exact_match": exact_match(answer.text, task.answers),
        "f1": round(f1(answer.text, task.answers), 6),
        "passed": string_match_all(answer.text, task.answers) == 1.0,
        "answer_tokens": answer.output_tokens,
    }


@functools.lru_cache(maxsize=16)
def _price(model: str) -> tuple[float, float] | None:
    """USD per input and output token, from genai-prices (None when unknown)."""
    try:
        from aifkit.tokens import get_model

        info = get_model(model)
        million = 1_000_000
        return float(info.cost(million)) / million, float(info.cost(0, million)) / million
    except Exception:
        return None


def _cost(model: str, input_tokens: int, output_tokens: int | None) -> float | None:
    price = _price(model)
    if price is None:
        return None
    return round(input_tokens * price[0] + (output_tokens or 0) * price[1], 8)


def _prefix_stability(job: Job, task: TaskInstance, budget: int) -> float | None:
    """For conversations: the share of the previous turn's request the last one repeats first.

    Both turns go through the strategy as an application would run it (pack
    strategies: one `Packer` session that has packed every earlier turn too;
    others: each turn on its own), and the share is counted in tokens of
    byte-identical leading content (`prefix_kept`).
    None for a task that is not a conversation, or whose previous turn alone
    cannot fit the budget.
    """
    turns = conversation_turns(task.body)
    if len(turns) < 2:
        return None
    if not has_sessions(job.strategy):
        turns = turns[-2:]  # each turn on its own: the earlier ones change nothing
    try:
        *_, before, after = apply_turns(job.strategy, turns, budget, job.model)
    except BudgetError:
        return None
    return prefix_kept(before, after, job.model)


def _conversion_cell(job: Job, task: TaskInstance, start: float) -> dict[str, Any]:
    from aifkit.bench._conversion import run_conversion, surviving

    reader, cid = job.readers[0]
    try:
        out, losses, report = run_conversion(task)
    except Exception as exc:
        elapsed = (time.perf_counter() - start) * 1000
        return _cell(job, reader, cid, status="failed", error=_error(exc),
                     error_type=type(exc).__name__, elapsed_ms=elapsed)  # fmt: skip
    survival = surviving(out, task.gold)
    metrics: dict[str, MetricValue] = {
        "conversion_losses": losses,
        "evidence_survival": round(survival, 6),
        "passed": survival == 1.0,
    }
    elapsed = (time.perf_counter() - start) * 1000
    return _cell(job, reader, cid, metrics=metrics, report=report, elapsed_ms=round(elapsed, 3))
