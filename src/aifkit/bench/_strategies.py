"""Strategies: what makes a context fit its budget (packing, compression, baselines).

A strategy is named in a suite either by a built-in name or by a mapping::

    - truncate-front                    # baseline: drop the oldest messages
    - pack:recency                      # built-in policies (see STRATEGIES)
    - compress:truncate                 # aifkit.budget.compressors, when installed
    - {name: my-pack, pack: {relevance: none, half_life: 8, rules: {history: {cap: 2000}}}}
    - {name: my-compress, compress: {method: truncate}}
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from aifkit.errors import BudgetError, InvalidInputError, UnknownNameError, UsageError

if TYPE_CHECKING:
    from aifkit.budget import Policy

__all__ = [
    "STRATEGIES",
    "Applied",
    "Strategy",
    "apply_strategy",
    "apply_turns",
    "compress_methods",
    "conversation_turns",
    "orphaned_tool_messages",
    "parse_strategy",
    "prefix_kept",
    "previous_turn",
    "unavailable_compress_methods",
]


@dataclass(frozen=True, slots=True)
class Strategy:
    """A resolved strategy: its name, kind and options (plain data, so it pickles and prints).

    Attributes:
        name: The name cells carry.
        kind: ``"none"``, ``"truncate-front"``, ``"pack"`` or ``"compress"``.
        options: Policy fields for ``pack``; ``{"method": ...}`` for ``compress``.
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
        Strategy("pack", "pack", {}),
        Strategy("pack:recency", "pack", {"relevance": "none"}),
        Strategy("pack:relevance", "pack", {"relevance": "bm25", "half_life": 1e9}),
        Strategy(
            "pack:priority",
            "pack",
            {
                "relevance": "none",
                "rules": {
                    "tool_results": {"priority": 2.0, "share": 1.0},
                    "documents": {"priority": 2.0, "share": 1.0},
                },
            },
        ),
    )
}
"""The built-in strategies by name (``compress:<method>`` names are resolved at run time)."""


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


def parse_strategy(spec: object, pointer: str = "") -> Strategy:
    """Resolve a suite's strategy entry (a name or a mapping).

    Raises:
        UnknownNameError: an unknown built-in name.
        InvalidInputError: a malformed mapping.

    Examples:
        >>> parse_strategy("pack:recency").options
        {'relevance': 'none'}
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
    kinds = [k for k in ("pack", "compress") if k in data]
    if len(kinds) != 1 or not isinstance(data[kinds[0]], dict):
        raise InvalidInputError(
            pointer, "expected exactly one of 'pack' or 'compress', a mapping of options"
        )
    options = dict(cast("dict[str, Any]", data[kinds[0]]))
    if kinds[0] == "pack":
        _policy(options, pointer)  # fail at load time, not in every cell
    elif not isinstance(options.get("method"), str):
        raise InvalidInputError(f"{pointer}/compress/method", "expected a string")
    return Strategy(name, kinds[0], options)


def _policy(options: Mapping[str, Any], pointer: str = "") -> Policy:
    from aifkit.budget import CacheRule, Policy, ReserveRule, Rule, Thresholds

    data = dict(options)
    try:
        if "rules" in data:
            rules = cast("dict[str, Any]", data["rules"])
            data["rules"] = {k: Rule(**v) for k, v in rules.items()}
        for key, kind in (
            ("thresholds", Thresholds),
            ("cache", CacheRule),
            ("reserve", ReserveRule),
        ):
            if key in data:
                data[key] = kind(**data[key])
        return Policy(**data)
    except (TypeError, UsageError) as exc:
        raise InvalidInputError(f"{pointer}/pack", f"not a valid policy: {exc}") from None


@dataclass(frozen=True, slots=True)
class Applied:
    """A strategy's output: the body, its tokens, the report and the time it took.

    ``latency_ms`` is wall time; ``cpu_ms`` the CPU time of the thread that packed,
    which other processes taking the core do not inflate.
    """

    body: dict[str, Any]
    tokens_after: int
    report: dict[str, Any] | None
    latency_ms: float
    cpu_ms: float = 0.0


def count_body(body: Mapping[str, Any], model: str) -> int:
    """Tokens of an ``openai-chat`` body on ``model``."""
    from aifkit.tokens import count_tokens

    return count_tokens(dict(body), format="openai-chat", model=model).total


def apply_strategy(strategy: Strategy, body: Mapping[str, Any], budget: int, model: str) -> Applied:
    """Make ``body`` (``openai-chat``) fit ``budget`` tokens on ``model`` with ``strategy``.

    Raises:
        BudgetError: what must be kept alone exceeds the budget.
        UnknownNameError: a compression method that is not installed.
    """
    start, start_cpu = time.perf_counter(), time.thread_time()
    report: dict[str, Any] | None = None
    if strategy.kind == "none":
        out = dict(body)
    elif strategy.kind == "truncate-front":
        out = _truncate_front(body, budget, model)
        dropped = len(cast("list[Any]", body.get("messages") or [])) - len(out["messages"])
        report = {"strategy": "truncate-front", "dropped_messages": dropped,
                  "kept_messages": len(out["messages"])}  # fmt: skip
    elif strategy.kind == "pack":
        from aifkit.budget import pack

        packed, pack_report = pack(  # drop only: compression strategies are their own kind
            dict(body), format="openai-chat", model=model, budget=budget,
            policy=_policy(strategy.options), compress=None,
        )  # fmt: skip
        out, report = cast("dict[str, Any]", packed), pack_report.to_json()
    else:
        out, report = _compress(strategy, body, budget, model)
    elapsed = (time.perf_counter() - start) * 1000
    cpu = (time.thread_time() - start_cpu) * 1000
    return Applied(out, count_body(out, model), report, elapsed, cpu)


def _truncate_front(body: Mapping[str, Any], budget: int, model: str) -> dict[str, Any]:
    messages = cast("list[dict[str, Any]]", list(body.get("messages") or []))
    head = [m for m in messages[:-1] if m.get("role") in ("system", "developer")]
    rest = [m for m in messages[:-1] if m.get("role") not in ("system", "developer")]
    last = messages[-1:]

    def fits(drop: int) -> bool:
        return count_body({**body, "messages": head + rest[drop:] + last}, model) <= budget

    if not fits(len(rest)):
        needed = count_body({**body, "messages": head + last}, model)
        raise BudgetError(needed, budget, "the system messages and the question alone")
    low, high = 0, len(rest)  # the fewest dropped messages that fit
    while low < high:
        mid = (low + high) // 2
        if fits(mid):
            high = mid
        else:
            low = mid + 1
    return {**body, "messages": head + rest[low:] + last}


def _compress(
    strategy: Strategy, body: Mapping[str, Any], budget: int, model: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    from aifkit.aif import decode, encode

    try:
        from aifkit.budget import compressors
    except ImportError:
        raise UsageError(
            f"strategy {strategy.name!r} needs aifkit.budget.compressors, which is not installed"
        ) from None
    method = str(strategy.options["method"])
    target = compressors.CompressionTarget(model, budget=budget)
    document, _ = decode(dict(body), "openai-chat")
    compress: Any = getattr(compressors, "compress", None)  # newer versions: compress(method=)
    if callable(compress):
        result = cast("compressors.CompressionResult", compress(document, target, method=method))
    else:
        result = compressors.COMPRESSORS.get(method).compress(document, target)
    out, _ = encode(result.document, "openai-chat")
    return cast("dict[str, Any]", out), result.to_json()


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

    A pack strategy packs them with one `aifkit.budget.Packer` session, each turn's
    conversation extending the previous one's (so its cache-aware prefix and
    hysteresis apply); any other strategy applies to each body on its own.

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
    if strategy.kind != "pack":
        return [apply_strategy(strategy, body, budget, model).body for body in bodies]
    from aifkit.aif import decode, encode
    from aifkit.budget import Packer

    packer = Packer(model, policy=_policy(strategy.options))
    out: list[dict[str, Any]] = []
    previous = None
    for body in bodies:
        document, _ = decode(dict(body), "openai-chat")
        if previous is not None:
            document = _extend(previous, document)
        packed = packer.pack(document, budget=budget)
        wire, _ = encode(packed.document, "openai-chat")
        out.append(cast("dict[str, Any]", wire))
        previous = document
    return out


def _extend(previous: Any, document: Any) -> Any:
    """``document`` sharing ``previous``'s objects where they are equal (as a session's would)."""
    old, new = previous.messages, document.messages
    update: dict[str, Any] = {}
    if new[: len(old)] == old:
        update["messages"] = old + new[len(old) :]
    for name in ("instructions", "tools", "settings"):
        if getattr(document, name) == getattr(previous, name):
            update[name] = getattr(previous, name)
    return document.model_copy(update=update)


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
