"""Strategies: what makes a context fit its budget (packing, compression, peers, baselines).

A strategy is named in a suite either by a built-in name or by a mapping::

    - truncate-front                    # baseline: drop the oldest messages
    - pack:recency                      # built-in policies (see STRATEGIES)
    - compress:auto                     # aifkit.budget.compressors methods
    - headroom                          # peers (see aifkit.bench._peers), when installed
    - {name: my-pack, pack: {relevance: none, half_life: 8, rules: {history: {cap: 2000}}}}
    - {name: my-compress, compress: {method: truncate}}
    - {name: mine, my-kind: {some: option}}   # any kind in STRATEGY_KINDS, plugins too

Every strategy names a *kind* registered in `STRATEGY_KINDS` and carries its
options; the kind's one method fits the body (see `aifkit.bench._kinds`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.util import find_spec
from typing import Any, cast

from aifkit.bench._kinds import STRATEGY_KINDS, StrategyKind, count_body
from aifkit.bench._peers import REQUIRES as PEER_REQUIRES
from aifkit.errors import InvalidInputError, MissingDependencyError, UnknownNameError, UsageError

__all__ = [
    "PEERS",
    "STRATEGIES",
    "Applied",
    "Strategy",
    "apply_strategy",
    "apply_turns",
    "compress_methods",
    "conversation_turns",
    "count_body",
    "has_sessions",
    "orphaned_tool_messages",
    "parse_strategy",
    "prefix_kept",
    "previous_turn",
    "require_strategies",
    "strategy_available",
    "unavailable_compress_methods",
    "unavailable_strategies",
]


@dataclass(frozen=True, slots=True)
class Strategy:
    """A resolved strategy: its name, kind and options (plain data, so it pickles and prints).

    Attributes:
        name: The name cells carry.
        kind: A name in `STRATEGY_KINDS` (``"none"``, ``"truncate-front"``, ``"pack"``,
            ``"compress"``, ``"headroom"``, a plugin's, ...).
        options: What the kind reads: policy fields for ``pack``; ``{"method": ...}``
            for ``compress``.
    """

    name: str
    kind: str
    options: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        """Return the strategy as suite data."""
        return {"name": self.name, "kind": self.kind, "options": dict(self.options)}


STRATEGIES: Mapping[str, Strategy] = {
    s.name: s
    for s in (
        Strategy("none", "none", {}),
        Strategy("truncate-front", "truncate-front", {}),
        Strategy("pack", "pack", {}),  # what aifkit.pack does by default: compress "auto"
        Strategy("pack:drop", "pack", {"compress": None}),
        # The policy variants drop only: the order they drop in is what they measure.
        Strategy("pack:recency", "pack", {"relevance": "none", "compress": None}),
        Strategy(
            "pack:relevance", "pack", {"relevance": "bm25", "half_life": 1e9, "compress": None}
        ),
        Strategy(
            "pack:priority",
            "pack",
            {
                "relevance": "none",
                "compress": None,
                "rules": {
                    "tool_results": {"priority": 2.0, "share": 1.0},
                    "documents": {"priority": 2.0, "share": 1.0},
                },
            },
        ),
        Strategy("headroom", "headroom", {}),
        Strategy("langchain-trim", "langchain-trim", {}),
        Strategy("litellm-compress", "litellm-compress", {}),
        Strategy("litellm-trim", "litellm-trim", {}),
    )
}
"""The built-in strategies by name (``compress:<method>`` names are resolved at run time)."""

PEERS: tuple[str, ...] = tuple(PEER_REQUIRES)  # the peer kinds, by the module each imports
"""The built-in strategies that run another project's code (installed with ``bench-peers``)."""


def compress_methods() -> list[str]:
    """Return the compression methods `aifkit.budget.compressors` can build here (none if absent).

    A method whose implementation fails to import or build is left out; see
    `unavailable_compress_methods` for which and why.

    Examples:
        >>> isinstance(compress_methods(), list)
        True
    """
    return [name for name, reason in _probe_compress_methods().items() if reason is None]


def unavailable_compress_methods() -> dict[str, str]:
    """Return the ``compress:<method>`` strategies that cannot run here, with the reason.

    Built-in suites leave these out, so their cell counts differ between installs;
    ``aif bench list`` prints this to say why.

    Examples:
        >>> unavailable_compress_methods()  # the default install builds every built-in method
        {}
    """
    return {
        f"compress:{name}": reason
        for name, reason in _probe_compress_methods().items()
        if reason is not None
    }


def _probe_compress_methods() -> dict[str, str | None]:
    try:
        from aifkit.budget.compressors import COMPRESSORS
    except ImportError as exc:
        return {"*": str(exc)}
    found: dict[str, str | None] = {}
    for name in COMPRESSORS.names():
        try:
            COMPRESSORS.get(name)
        except Exception as exc:  # a plugin or a method whose own dependencies are missing
            found[name] = str(exc) or type(exc).__name__
        else:
            found[name] = None
    return found


def _kind_problem(kind: str) -> str | None:
    """Why strategies of ``kind`` cannot run here (its factory failed), or None.

    A peer is looked up by its module, not imported: listing must stay fast.
    """
    from aifkit.bench._peers import REQUIRES

    if kind in REQUIRES:
        if find_spec(REQUIRES[kind]) is None:
            return str(MissingDependencyError(REQUIRES[kind], "bench-peers"))
        return None
    try:
        STRATEGY_KINDS.get(kind)
    except Exception as exc:  # a peer or plugin whose dependencies are missing
        return str(exc) or type(exc).__name__
    return None


def strategy_available(name: str) -> bool:
    """Whether the built-in strategy ``name`` can run here (its kind builds).

    Examples:
        >>> strategy_available("pack:recency")
        True
    """
    return _kind_problem(STRATEGIES[name].kind) is None


def unavailable_strategies() -> dict[str, str]:
    """Return every built-in strategy that cannot run here, with the reason.

    The compress methods that cannot build, and the peers whose package is not
    installed (``pip install "aifkit[bench-peers]"``); ``aif bench list`` prints it.
    """
    out = unavailable_compress_methods()
    for name, strategy in STRATEGIES.items():
        problem = _kind_problem(strategy.kind)
        if problem is not None:
            out[name] = problem
    return out


def require_strategies(strategies: Iterable[Strategy]) -> None:
    """Raise, before any cell runs, when a strategy's kind cannot be built here.

    A peer named in a suite whose package is missing is one line, not a run of
    failed cells. (A ``compress:<method>`` that cannot build fails its cells, as before.)

    Raises:
        UsageError: the first such strategy, with what to install.

    Examples:
        >>> require_strategies([STRATEGIES["pack"], STRATEGIES["truncate-front"]])
    """
    for strategy in strategies:
        problem = _kind_problem(strategy.kind)
        if problem is not None:
            raise UsageError(f"strategy {strategy.name!r} cannot run here: {problem}")


def parse_strategy(spec: object, pointer: str = "") -> Strategy:
    """Resolve a suite's strategy entry (a name or a mapping).

    A mapping has a ``name`` and exactly one more key: a registered kind, whose
    value is the mapping of options that kind reads.

    Raises:
        UnknownNameError: an unknown built-in name.
        InvalidInputError: a malformed mapping.

    Examples:
        >>> parse_strategy("pack:recency").options
        {'relevance': 'none', 'compress': None}
        >>> parse_strategy({"name": "mine", "pack": {"half_life": 4}}).kind
        'pack'
    """
    if isinstance(spec, str):
        if spec.startswith("compress:"):
            return Strategy(spec, "compress", {"method": spec.partition(":")[2]})
        if spec not in STRATEGIES:
            raise UnknownNameError("strategy", spec, [*STRATEGIES, "compress:<method>"])
        return STRATEGIES[spec]
    if not isinstance(spec, dict):
        raise InvalidInputError(pointer, "expected a strategy name or a mapping")
    data = cast("dict[str, Any]", spec)
    name = data.get("name")
    if not isinstance(name, str):
        raise InvalidInputError(f"{pointer}/name", "expected a string")
    kinds = [k for k in data if k != "name"]
    if len(kinds) != 1 or not isinstance(data[kinds[0]], dict):
        raise InvalidInputError(
            pointer,
            "expected exactly one strategy kind besides 'name' (pack, compress, ...), "
            "a mapping of its options",
        )
    kind = kinds[0]
    if kind not in STRATEGY_KINDS:
        raise UnknownNameError("strategy kind", kind, STRATEGY_KINDS.names())
    options = dict(cast("dict[str, Any]", data[kind]))
    check = getattr(_kind_or_none(kind), "check", None)
    if callable(check):  # fail at load time, not in every cell
        check(options, pointer)
    return Strategy(name, kind, options)


def _kind_or_none(kind: str) -> StrategyKind | None:
    try:
        return STRATEGY_KINDS.get(kind)
    except Exception:  # not installed here: its cells fail saying why
        return None


@dataclass(frozen=True, slots=True)
class Applied:
    """A strategy's output: the body, its tokens, the report and the time it took.

    ``latency_ms`` is wall time; ``cpu_ms`` the CPU time of the thread that packed,
    which other processes taking the core do not inflate. ``elided`` holds what a
    reversible strategy left out, by the ref its markers name.
    """

    body: dict[str, Any]
    tokens_after: int
    report: dict[str, Any] | None
    latency_ms: float
    cpu_ms: float = 0.0
    elided: Mapping[str, str] = field(default_factory=dict[str, str])


def apply_strategy(strategy: Strategy, body: Mapping[str, Any], budget: int, model: str) -> Applied:
    """Make ``body`` (``openai-chat``) fit ``budget`` tokens on ``model`` with ``strategy``.

    Raises:
        BudgetError: what must be kept alone exceeds the budget.
        UnknownNameError: a kind or compression method that is not registered.
        MissingDependencyError: the kind's package is not installed.
    """
    kind = STRATEGY_KINDS.get(strategy.kind)  # built once per process, outside the timing
    start, start_cpu = time.perf_counter(), time.thread_time()
    fitted = kind.fit(body, budget, model, strategy.options)
    elapsed = (time.perf_counter() - start) * 1000
    cpu = (time.thread_time() - start_cpu) * 1000
    return Applied(
        fitted.body, count_body(fitted.body, model), fitted.report, elapsed, cpu, fitted.elided
    )


def previous_turn(body: Mapping[str, Any]) -> dict[str, Any] | None:
    """The request of the turn before an ``openai-chat`` body's last one, or None.

    A conversation's previous request ended at the last user message before the
    final question that the assistant then answered; a body without such a
    message (one prompt, or passages without replies) has no previous turn.

    Examples:
        >>> body = {"messages": [{"role": "user", "content": "Hi."},
        ...     {"role": "assistant", "content": "Hello."},
        ...     {"role": "user", "content": "Bye?"}]}
        >>> previous_turn(body)["messages"]
        [{'role': 'user', 'content': 'Hi.'}]
        >>> previous_turn({"messages": [{"role": "user", "content": "A"},
        ...     {"role": "user", "content": "B?"}]}) is None
        True
    """
    messages = cast("list[dict[str, Any]]", list(body.get("messages") or []))
    replied = False
    for i in range(len(messages) - 2, -1, -1):
        role = messages[i].get("role")
        if role == "assistant":
            replied = True
        elif role == "user":
            return {**body, "messages": messages[: i + 1]} if replied else None
    return None


def conversation_turns(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The requests of every turn of an ``openai-chat`` conversation, ``body`` last.

    Examples:
        >>> body = {"messages": [{"role": "user", "content": "Hi."},
        ...     {"role": "assistant", "content": "Hello."},
        ...     {"role": "user", "content": "Bye?"}]}
        >>> [len(turn["messages"]) for turn in conversation_turns(body)]
        [1, 3]
    """
    turns = [dict(body)]
    while (earlier := previous_turn(turns[-1])) is not None:
        turns.append(earlier)
    return turns[::-1]


def apply_turns(
    strategy: Strategy, bodies: Sequence[Mapping[str, Any]], budget: int, model: str
) -> list[dict[str, Any]]:
    """Fit successive turns' bodies (``openai-chat``) to ``budget`` as an application would.

    A kind with ``fit_turns`` fits them as one session (``pack``: one
    `aifkit.budget.Packer`, each turn's conversation extending the previous one's,
    so its cache-aware prefix and hysteresis apply); any other fits each body on its own.

    Raises:
        BudgetError: what must be kept alone exceeds the budget in some turn.

    Examples:
        >>> turns = [{"model": "gpt-4o", "messages": [
        ...     {"role": "user", "content": f"Message {i}. " * 20} for i in range(n)]}
        ...     for n in (6, 8)]
        >>> first, second = apply_turns(STRATEGIES["pack"], turns, 120, "gpt-4o")
        >>> second["messages"][: len(first["messages"]) - 1] == first["messages"][:-1]
        True
    """
    fit_turns = getattr(STRATEGY_KINDS.get(strategy.kind), "fit_turns", None)
    if callable(fit_turns):
        return cast("list[dict[str, Any]]", fit_turns(bodies, budget, model, strategy.options))
    return [apply_strategy(strategy, body, budget, model).body for body in bodies]


def has_sessions(strategy: Strategy) -> bool:
    """Whether ``strategy``'s kind fits successive turns as one session (``fit_turns``)."""
    return callable(getattr(_kind_or_none(strategy.kind), "fit_turns", None))


def prefix_kept(before: Mapping[str, Any], after: Mapping[str, Any], model: str) -> float:
    """The share of ``before``'s prompt tokens that ``after`` repeats byte for byte first.

    Both are ``openai-chat`` bodies. The prompt cache reads tools first, then the
    messages in order; a message counts as kept when its JSON is identical, and
    the prefix ends at the first message that differs (different tools: nothing
    is kept). The framing that primes the reply is not part of either.

    Examples:
        >>> a = {"messages": [{"role": "system", "content": "Be brief."},
        ...     {"role": "user", "content": "Hello there."}]}
        >>> prefix_kept(a, {"messages": [*a["messages"], {"role": "user", "content": "?"}]},
        ...     "gpt-4o")
        1.0
        >>> 0 < prefix_kept(a, {"messages": a["messages"][:1]}, "gpt-4o") < 1
        True
    """
    from aifkit.tokens import count_tokens

    def tokens(messages: list[Any]) -> int:
        counted = count_tokens({**before, "messages": messages}, format="openai-chat", model=model)
        return counted.total - counted.overhead

    old: list[Any] = list(before.get("messages") or [])
    total = tokens(old)
    if not total:
        return 1.0
    if _bytes(before.get("tools")) != _bytes(after.get("tools")):
        return 0.0
    new: list[Any] = list(after.get("messages") or [])
    shared = 0
    for a, b in zip(old, new, strict=False):
        if _bytes(a) != _bytes(b):
            break
        shared += 1
    return round(tokens(old[:shared]) / total, 6)


def _bytes(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def orphaned_tool_messages(body: Mapping[str, Any]) -> int:
    """Tool results without their call plus tool calls without a result, in an ``openai-chat`` body.

    Examples:
        >>> orphaned_tool_messages({"messages": [
        ...     {"role": "tool", "tool_call_id": "a", "content": "x"},
        ...     {"role": "assistant", "tool_calls": [{"id": "b", "type": "function",
        ...         "function": {"name": "f", "arguments": "{}"}}]}]})
        2
    """
    called: set[str] = set()
    answered: set[str] = set()
    orphans = 0
    for message in cast("list[dict[str, Any]]", body.get("messages") or []):
        for call in cast("list[dict[str, Any]]", message.get("tool_calls") or []):
            called.add(str(call.get("id")))
        if message.get("role") == "tool":
            ident = str(message.get("tool_call_id"))
            if ident in called:
                answered.add(ident)
            else:
                orphans += 1
    return orphans + len(called - answered)
