"""Strategy kinds: the plugins that make a context fit its budget, one method each.

A suite names strategies (``pack:recency``, ``compress:auto``, ``headroom``, or a
mapping ``{name: mine, <kind>: {options}}``); each names a *kind* registered in
`STRATEGY_KINDS`, and the kind's one method, ``fit(body, budget, model,
options)``, does the work. aifkit's own kinds (``none``, ``truncate-front``,
``pack``, ``compress``) are registered the same way as peers (``headroom``,
``langchain-trim``, ``litellm-compress``, ``litellm-trim``) and as third-party
plugins, which register under the ``aifkit.bench.strategies`` entry-point group::

    [project.entry-points."aifkit.bench.strategies"]
    my-trim = "my_package.bench:MyTrim"      # a class or factory: called with no arguments

A kind whose factory raises (a missing optional dependency) cannot run here:
built-in suites leave its strategies out and ``aif bench list`` says why.

Two optional methods refine a kind, found by name: ``check(options, pointer)``
validates a suite's options when it is loaded (not in every cell), and
``fit_turns(bodies, budget, model, options)`` fits successive turns as one
session would (``pack``: one `aifkit.budget.Packer`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

from aifkit._json import quote
from aifkit._registry import Registry
from aifkit.errors import BudgetError, InvalidInputError, UsageError

if TYPE_CHECKING:
    from aifkit.budget import Policy

__all__ = [
    "STRATEGY_KINDS",
    "Fitted",
    "StrategyKind",
    "count_body",
    "pack_options",
    "policy_from_options",
]


@dataclass(frozen=True, slots=True)
class Fitted:
    """What a strategy kind returns: the ``openai-chat`` body, its report, what it elided.

    Attributes:
        body: The fitted request body.
        report: JSON-ready data the cell keeps (``None``: nothing to say).
        elided: Texts a reversible strategy left out, by the ref its markers name
            (``[… elided, ref 0123456789: expand to see]``); empty otherwise.
    """

    body: dict[str, Any]
    report: dict[str, Any] | None = None
    elided: Mapping[str, str] = field(default_factory=dict[str, str])


@runtime_checkable
class StrategyKind(Protocol):
    """Makes an ``openai-chat`` body fit a token budget on a model."""

    def fit(
        self, body: Mapping[str, Any], budget: int, model: str, options: Mapping[str, Any]
    ) -> Fitted:
        """Return ``body`` fitted to ``budget`` tokens of ``model`` (it may fall short)."""
        ...


STRATEGY_KINDS: Registry[StrategyKind] = Registry("strategy kind", group="aifkit.bench.strategies")
"""Strategy kinds by name: built-ins, peers and ``aifkit.bench.strategies`` plugins."""


def count_body(body: Mapping[str, Any], model: str) -> int:
    """Tokens of an ``openai-chat`` body on ``model``.

    Examples:
        >>> count_body({"messages": [{"role": "user", "content": "Hi"}]}, "gpt-4o")
        8
    """
    from aifkit.tokens import count_tokens

    return count_tokens(dict(body), format="openai-chat", model=model).total


class Unchanged:
    """``none``: the body as it is (the unpacked reference)."""

    def fit(
        self, body: Mapping[str, Any], budget: int, model: str, options: Mapping[str, Any]
    ) -> Fitted:
        """Return ``body`` unchanged."""
        return Fitted(dict(body))


class TruncateFront:
    """``truncate-front``: drop the oldest messages until the rest fits (the client default).

    System messages and the last message stay; tool results may lose their calls.
    """

    def fit(
        self, body: Mapping[str, Any], budget: int, model: str, options: Mapping[str, Any]
    ) -> Fitted:
        """Return the newest messages that fit, with a report of how many were dropped."""
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
        out = {**body, "messages": head + rest[low:] + last}
        report = {"strategy": "truncate-front", "dropped_messages": low,
                  "kept_messages": len(out["messages"])}  # fmt: skip
        return Fitted(out, report)


def policy_from_options(options: Mapping[str, Any], pointer: str = "") -> Policy:
    """Build an `aifkit.budget.Policy` from a suite's ``pack`` options.

    Raises:
        InvalidInputError: the options are not a valid policy (``pointer`` says where).

    Examples:
        >>> policy_from_options({"relevance": "none"}).relevance
        'none'
    """
    from aifkit.budget import CacheRule, Policy, ReserveRule, Rule, Thresholds

    data = dict(options)
    _check_scalars(data, f"{pointer}/pack")
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
    except (TypeError, AttributeError, UsageError) as exc:
        raise InvalidInputError(f"{pointer}/pack", f"not a valid policy: {exc}") from None


_POLICY_NUMBERS = ("k1", "b", "relevance_floor", "half_life", "recency_floor")


def _check_scalars(data: Mapping[str, Any], pointer: str) -> None:
    # Policy takes these as given (it is built in code); from a suite file they are
    # checked here, before a cell meets a string where a number goes.
    for key in _POLICY_NUMBERS:
        value = data.get(key, 1.0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf or (key == "half_life" and value == 0):  # fmt: skip
            raise InvalidInputError(f"{pointer}/{key}", f"expected a finite {'positive' if key == 'half_life' else 'non-negative'} number, got {quote(value)}", hint="see aifkit.budget.Policy")  # fmt: skip
    if data.get("relevance", "none") not in ("bm25", "none"):
        raise InvalidInputError(f"{pointer}/relevance", f"expected bm25 or none, got {quote(data['relevance'])}")  # fmt: skip
    if not isinstance(data.get("scale_by_complexity", True), bool):
        raise InvalidInputError(f"{pointer}/scale_by_complexity", "expected true or false")


def pack_options(options: Mapping[str, Any], pointer: str = "") -> tuple[Policy, str | None]:
    """The policy and the compression method (``options["compress"]``) of a ``pack`` strategy.

    ``compress`` defaults to ``"auto"``, as `aifkit.pack`'s does; None drops only.

    Raises:
        InvalidInputError: the options are not a policy, or ``compress`` is neither
            None nor a string.

    Examples:
        >>> pack_options({})[1], pack_options({"compress": None, "relevance": "none"})[1]
        ('auto', None)
    """
    data = dict(options)
    method = data.pop("compress", "auto")
    if method is not None and not isinstance(method, str):
        raise InvalidInputError(
            f"{pointer}/pack/compress",
            f"expected a compression method's name or null, got {method!r:.40}",
            hint="e.g. compress: auto, or compress: null to drop only",
        )
    return policy_from_options(data, pointer), method


class Pack:
    """``pack``: `aifkit.pack` as users call it; ``compress`` in the options picks the method.

    The options are `aifkit.budget.Policy` fields and ``compress``: ``"auto"`` (the
    default, as `aifkit.pack`'s), another method's name, or None to drop only.
    """

    def check(self, options: Mapping[str, Any], pointer: str) -> None:
        """Fail at load time on options that are not a policy and a method."""
        pack_options(options, pointer)

    def fit(
        self, body: Mapping[str, Any], budget: int, model: str, options: Mapping[str, Any]
    ) -> Fitted:
        """Pack ``body`` with the policy and compression ``options`` describe."""
        from aifkit.budget import pack

        policy, method = pack_options(options)
        packed, report = pack(
            dict(body), format="openai-chat", model=model, budget=budget, policy=policy,
            compress=method,
        )  # fmt: skip
        return Fitted(cast("dict[str, Any]", packed), report.to_json())

    def fit_turns(
        self,
        bodies: Sequence[Mapping[str, Any]],
        budget: int,
        model: str,
        options: Mapping[str, Any],
    ) -> list[dict[str, Any]]:
        """Pack successive turns in one `aifkit.budget.Packer` session, each extending the last.

        A session packs as `Packer.pack` does, without compression (what it sends
        stays a prefix the provider's cache matches), whatever ``compress`` says.
        """
        from aifkit.aif import decode, encode
        from aifkit.budget import Packer

        packer = Packer(model, policy=pack_options(options)[0])
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


class Compress:
    """``compress``: an `aifkit.budget.compressors` method (``options["method"]``) to the budget."""

    def check(self, options: Mapping[str, Any], pointer: str) -> None:
        """The options must name a method."""
        if not isinstance(options.get("method"), str):
            raise InvalidInputError(f"{pointer}/compress/method", "expected a string")

    def fit(
        self, body: Mapping[str, Any], budget: int, model: str, options: Mapping[str, Any]
    ) -> Fitted:
        """Compress ``body`` with the method; what it elides comes back in ``elided``."""
        from aifkit.aif import decode, encode
        from aifkit.budget import compressors

        target = compressors.CompressionTarget(model, budget=budget)
        document, _ = decode(dict(body), "openai-chat")
        result = compressors.compress(document, target, method=str(options["method"]))
        out, _ = encode(result.document, "openai-chat")
        return Fitted(cast("dict[str, Any]", out), result.to_json(), dict(result.elided))


def compress_kind() -> StrategyKind:
    """The ``compress`` kind (needs `aifkit.budget.compressors` to import)."""
    try:
        import aifkit.budget.compressors  # noqa: F401  # pyright: ignore[reportUnusedImport]
    except ImportError as exc:
        raise UsageError(
            f"the compress strategies need aifkit.budget.compressors, which cannot be imported: "
            f"{exc}"
        ) from None
    return Compress()


for _name, _factory in (
    ("none", "aifkit.bench._kinds:Unchanged"),
    ("truncate-front", "aifkit.bench._kinds:TruncateFront"),
    ("pack", "aifkit.bench._kinds:Pack"),
    ("compress", "aifkit.bench._kinds:compress_kind"),
    ("headroom", "aifkit.bench._peers:headroom"),
    ("langchain-trim", "aifkit.bench._peers:langchain_trim"),
    ("litellm-compress", "aifkit.bench._peers:litellm_compress"),
    ("litellm-trim", "aifkit.bench._peers:litellm_trim"),
):
    STRATEGY_KINDS.register(_name, _factory)
