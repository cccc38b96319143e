"""A route's context policy on one request body: count it, and pack it when the policy says.

Runs synchronously; the app calls it in a worker thread for large bodies so that
counting and packing never hold the event loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from aifkit.gateway._config import Route
from aifkit.gateway._sessions import Sessions, conversation_key

if TYPE_CHECKING:
    from aifkit.budget import Packer

__all__ = ["Fitted", "apply_policy"]

_DEFAULT_RESERVE = 4096


@dataclass(frozen=True, slots=True)
class Fitted:
    """The body to send, and what the policy did.

    Attributes:
        body: The request body, packed or as given (same format as given).
        tokens_before: Its prompt tokens as given; None when it was not counted.
        tokens_after: Prompt tokens of ``body``; None when not counted.
        limit: The most prompt tokens the policy allowed; None when not counted.
        report: The pack report as JSON, when it packed.
        note: Why the policy did not count, if it did not.
        elided: What packing's compression left out, by the ref its markers name.
    """

    body: Any
    tokens_before: int | None = None
    tokens_after: int | None = None
    limit: int | None = None
    report: dict[str, Any] | None = None
    note: str | None = None
    elided: Mapping[str, str] = field(default_factory=dict[str, str])

    @property
    def saved(self) -> int:
        """Prompt tokens packing removed."""
        if self.tokens_before is None or self.tokens_after is None:
            return 0
        return max(0, self.tokens_before - self.tokens_after)


def apply_policy(
    body: Any,
    *,
    format: str,
    route: Route,
    model: str,
    bound: int | None = None,
    sessions: Sessions | None = None,
) -> Fitted:
    """Count ``body`` and pack it as ``route``'s policy says.

    Args:
        body: The client's request body, in ``format``.
        format: The client's format.
        route: The route serving it.
        model: The model sent upstream.
        bound: A bound on the prompt's tokens known without counting: the body's
            size in bytes, for a body without images, audio or files (every token
            is at least one byte of text). Under ``fit``, a body whose bound plus
            framing is within the limit is not counted at all.
        sessions: Pack with the conversation's own `Packer` from these, so its
            prefix stays stable across turns; None packs each request afresh.

    Raises:
        AifkitError: counting or packing failed (the app fails open or answers 400).

    Examples:
        >>> route = Route(upstream="http://x/v1", context_window=60, reserve=10)
        >>> body = {"model": "gpt-4o", "messages": [
        ...     {"role": "user", "content": "old words " * 40},
        ...     {"role": "assistant", "content": "ok"},
        ...     {"role": "user", "content": "Now?"}]}
        >>> fitted = apply_policy(body, format="openai-chat", route=route, model="gpt-4o")
        >>> fitted.tokens_after <= 50 < fitted.tokens_before  # old text compressed before any drop
        True
        >>> [m["content"][-5:] for m in fitted.body["messages"]]
        [' old…', 'ok', 'Now?']
    """
    if route.policy == "off":
        return Fitted(body)
    from aifkit.errors import UnknownNameError
    from aifkit.tokens import get_model

    counter = route.count_as or model
    try:
        info = get_model(counter)
    except UnknownNameError:
        note = f"model {counter!r} is not in the registry: not counted (set count_as)"
        return Fitted(body, note=note)
    window = route.context_window or info.context_window
    reserve = route.reserve
    if reserve is None:
        reserve = _asked_max_tokens(body) or min(_DEFAULT_RESERVE, info.max_output)
    limit = max(1, window - reserve)
    if route.policy == "fit" and bound is not None and bound + _framing(body) <= limit:
        return Fitted(body, limit=limit, note="within the window by size: not counted")
    from aifkit.budget import Packer

    if sessions is not None and not route.expand:  # a session drops; expand needs compression
        packer, lock = sessions.get(conversation_key(body, format, counter), counter)
        with lock:  # the session's packer decodes and measures only the turn's new messages
            return _fit(packer, body, format, route, limit, reserve, None)
    room = 0  # kept for the aif_expand tool, added when the pack elides anything
    if route.expand:
        from aifkit.gateway._expand import tool_tokens

        room = tool_tokens(counter)
    return _fit(Packer(counter), body, format, route, limit, reserve, room)


def _fit(
    packer: Packer, body: Any, format: str, route: Route, limit: int, reserve: int, room: int | None
) -> Fitted:
    # The body is decoded and counted once, by the packer; a pack reuses both.
    # ``room`` is kept for the aif_expand tool; None packs as a session (no compression).
    packer.read(body, format=format)
    count = packer.count()
    target = _target(route, limit, count)
    if count <= target:
        return Fitted(body, count, count, target)
    if room is None:
        done = packer.pack_body(format=format, budget=target, reserve=reserve)
    else:
        done = packer.pack_body(format=format, budget=max(1, target - room), reserve=reserve, compress="auto")  # fmt: skip
    report = done.report
    return Fitted(done.body, count, report.tokens_after, target, report.to_json(), elided=done.elided)  # fmt: skip


def _target(route: Route, limit: int, count: int) -> int:
    target = limit
    if route.policy == "always":
        if route.budget is not None:
            target = min(target, route.budget)
        if route.ratio is not None:
            target = min(target, max(1, int(count * route.ratio)))
    return target


def _framing(body: Any) -> int:
    # What counting adds beyond the text: per-message framing and a tool-use
    # preamble (at most a few hundred tokens on any model in the registry).
    if not isinstance(body, Mapping):
        return 1024
    messages = cast("Mapping[str, Any]", body).get("messages")
    n = len(cast("list[Any]", messages)) if isinstance(messages, list) else 0
    return 1024 + 16 * n


def _asked_max_tokens(body: Any) -> int | None:
    if not isinstance(body, Mapping):
        return None
    data = cast("Mapping[str, Any]", body)
    for key in ("max_tokens", "max_completion_tokens", "max_output_tokens"):
        value = data.get(key)
        if isinstance(value, int) and value > 0:
            return value
    return None
