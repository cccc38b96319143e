"""The built-in suites: ``quick`` (offline, under two minutes on two cores) and ``standard``."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from aifkit.bench._strategies import compress_methods
from aifkit.bench._suite import Suite, TaskSpec

__all__ = ["BUILTIN", "list_suites"]


_QUICK_METHODS = ("auto", "extract")


def _compress_strategies(limit: int | None = None) -> tuple[str, ...]:
    # Added only when aifkit.budget.compressors is importable here, at run time.
    methods = compress_methods()
    if limit is not None:
        preferred = [m for m in _QUICK_METHODS if m in methods]
        methods = (preferred + [m for m in methods if m not in preferred])[:limit]
    return tuple(f"compress:{m}" for m in methods)


def quick() -> Suite:
    """A few hundred small cells: every task kind, three packing strategies and a baseline."""
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
    )  # fmt: skip
    return Suite(
        "quick",
        tasks,
        strategies=("truncate-front", "pack:recency", "pack:relevance", *_compress_strategies(2)),
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
        ),
        budgets=(0.1, 0.25, 0.5, 2000),
        seeds=(0, 1, 2),
        readers=("evidence", "extractive"),
        description="The full grid: contexts up to 16k tokens, every strategy, three seeds.",
    )


BUILTIN: Mapping[str, Callable[[], Suite]] = {"quick": quick, "standard": standard}
"""Built-in suites by name (factories: what is installed is checked when one is built)."""


def list_suites() -> list[str]:
    """Return the names of the built-in suites.

    Examples:
        >>> list_suites()
        ['quick', 'standard']
    """
    return sorted(BUILTIN)
