"""What the converters' ``validate`` methods share: a violation collector that runs
the decoder as the schema check, and lenient readers that never raise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from aifkit._json import format_pointer
from aifkit.aif._loss import Path
from aifkit.aif.converters._base import Violation
from aifkit.aif.converters._common import ensure_json
from aifkit.errors import InvalidInputError

__all__ = ["RuleChecker", "as_list", "as_obj", "as_str", "is_blank"]


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
