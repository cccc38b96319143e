"""What the converters' ``validate`` methods share: a violation collector that runs
the decoder as the schema check, and lenient readers that never raise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from aifkit._json import format_pointer
from aifkit.aif._loss import Path
from aifkit.aif.converters._base import Violation
from aifkit.aif.converters._common import ensure_json
from aifkit.errors import InvalidInputError

__all__ = [
    "PairingWords",
    "RuleChecker",
    "ToolPairing",
    "as_list",
    "as_obj",
    "as_str",
    "is_blank",
]


class RuleChecker:
    """Collects one format's violations; never raises, whatever the body holds.

    Examples:
        >>> checker = RuleChecker("demo")
        >>> checker.schema(lambda body: body["model"], {})
        Traceback (most recent call last):
        ...
        KeyError: 'model'
        >>> checker.flag(("messages", 0), "first-turn-user", "start with a user turn")
        >>> [str(v) for v in checker.found]
        ['/messages/0: start with a user turn [demo/first-turn-user]']
    """

    def __init__(self, name: str, found: list[Violation] | None = None) -> None:
        self.name = name
        self.found: list[Violation] = [] if found is None else found

    def flag(self, path: Path, rule: str, message: str) -> None:
        """Record a violation of ``<name>/<rule>`` at AIF-free wire ``path``."""
        self.found.append(Violation(format_pointer(path), f"{self.name}/{rule}", message))

    def schema(self, decode: Callable[[Any], object], body: Any) -> None:
        """Record the error `ensure_json` or ``decode`` raises as ``schema``.

        The same checks the converter's own ``decode`` runs first, so a body that
        validates always decodes.
        """
        try:
            ensure_json(body)
            decode(body)
        except InvalidInputError as exc:
            self.found.append(Violation(exc.pointer, f"{self.name}/schema", exc.problem))


Calls = list[tuple[str, Path]]
"""A turn's tool calls: each id and the path of its block."""


def _never(block: dict[str, Any]) -> bool:
    return False


@dataclass(frozen=True, slots=True)
class PairingWords:
    """How one block format spells the tool-pairing rule (see `ToolPairing`).

    Attributes:
        call: The call block's name, as messages say it (``tool_use``).
        result_id: A block's answered call id and its path inside the block when the
            block is a tool result, else None.
        unanswered: The message for a call no result answers (``{!r}``: the id).
        placement: The message for a result after other content.
        neutral: Blocks that are not content a result must come before (Bedrock's
            ``cachePoint`` marks).
    """

    call: str
    result_id: Callable[[dict[str, Any]], tuple[Any, Path] | None]
    unanswered: str
    placement: str
    neutral: Callable[[dict[str, Any]], bool] = _never


class ToolPairing:
    """The rule that each tool call of an assistant turn is answered by a result in the
    next user turn, the results before any other content (Anthropic's and Bedrock's
    APIs reject anything else): rules ``orphan-tool-result``, ``tool-result-placement``
    and ``tool-result-missing``. One per body; feed it every turn in order, then `end`.

    Examples:
        >>> words = PairingWords(
        ...     call="call",
        ...     result_id=lambda b: (b.get("id"), ("id",)) if b.get("type") == "result" else None,
        ...     unanswered="call {!r} has no result",
        ...     placement="results come first",
        ... )
        >>> checker = RuleChecker("demo")
        >>> pairing = ToolPairing(checker, words, lambda call_id, path: None)
        >>> def calls(blocks, path):
        ...     return [(b["id"], (*path, j)) for j, b in enumerate(blocks) if b["type"] == "call"]
        >>> pairing.turn("assistant", [{"type": "call", "id": "a"}, {"type": "call", "id": "b"}], ("m", 0), calls)
        >>> pairing.turn("user", [{"type": "text"}, {"type": "result", "id": "a"}], ("m", 1), calls)
        >>> pairing.end()
        >>> [str(v) for v in checker.found]  # doctest: +NORMALIZE_WHITESPACE
        ['/m/1/1: results come first [demo/tool-result-placement]',
         "/m/0/1: call 'b' has no result [demo/tool-result-missing]"]
    """

    def __init__(
        self, checker: RuleChecker, words: PairingWords, tool_id: Callable[[str, Path], None]
    ) -> None:
        self.checker = checker
        self.words = words
        self.tool_id = tool_id
        """Checks an answered id's spelling (the format's own rule)."""
        self.pending: Calls = []
        """The previous assistant turn's calls."""

    def turn(
        self, role: Any, blocks: list[Any], path: Path, calls: Callable[[list[Any], Path], Calls]
    ) -> None:
        """Check one message's ``blocks`` (at ``path``): a user turn answers the calls of
        the assistant turn before it; ``calls`` reads an assistant turn's calls."""
        if role == "user":
            self._answers(blocks, path)
        else:
            self.end()
        self.pending = calls(blocks, path) if role == "assistant" else []

    def end(self) -> None:
        """Flag the calls still waiting (the conversation ended, or no user turn came)."""
        for call_id, where in self.pending:
            self._unanswered(call_id, where)

    def _unanswered(self, call_id: str, where: Path) -> None:
        self.checker.flag(where, "tool-result-missing", self.words.unanswered.format(call_id))

    def _answers(self, blocks: list[Any], path: Path) -> None:
        words = self.words
        open_ids = {call_id for call_id, _ in self.pending}
        answered: set[str] = set()
        other = False
        for j, raw in enumerate(blocks):
            b = as_obj(raw)
            found = words.result_id(b) if b is not None else None
            if found is None:
                other = other or b is None or not words.neutral(b)
                continue
            call_id, inner = found
            if not isinstance(call_id, str):
                continue
            where: Path = (*path, j, *inner)
            self.tool_id(call_id, where)
            if call_id not in open_ids or call_id in answered:
                msg = f"no {words.call} {call_id!r} in the previous assistant message awaits this result"  # fmt: skip
                self.checker.flag(where, "orphan-tool-result", msg)
                continue
            answered.add(call_id)
            if other:
                self.checker.flag((*path, j), "tool-result-placement", words.placement)
        for call_id, where in self.pending:
            if call_id not in answered:
                self._unanswered(call_id, where)


def as_obj(value: Any) -> dict[str, Any] | None:
    """``value`` if it is a JSON object, else None."""
    return cast("dict[str, Any]", value) if isinstance(value, dict) else None


def as_str(value: Any) -> str | None:
    """``value`` if it is a string, else None: a wire value safe to look up in a set or dict.

    Examples:
        >>> as_str("user"), as_str(["user"]) in {"user"}
        ('user', False)
    """
    return value if isinstance(value, str) else None


def as_list(value: Any) -> list[Any]:
    """``value`` if it is a JSON array, else an empty list."""
    return cast("list[Any]", value) if isinstance(value, list) else []


def is_blank(text: Any) -> bool:
    """True for an empty or all-whitespace string."""
    return isinstance(text, str) and (not text or text.isspace())
