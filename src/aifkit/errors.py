"""Every error aifkit raises, in one tree.

Catch `AifkitError` to handle them all. Each message says what was wrong and
what to do next; errors about a document also carry a JSON pointer to the
offending place.

```text
AifkitError
├── UsageError                 the caller asked for something that cannot be done
│   ├── UnknownNameError       an unknown format, model, ... (lists the known ones)
│   └── MissingDependencyError an optional extra is not installed (names the pip command)
├── InvalidInputError          a body or document is malformed (has .pointer)
│   └── UnsupportedVersionError an AIF document from a newer major version
├── ConversionError            a conversion could not be done as asked
│   └── LossyConversionError   strict mode refused a conversion that would drop data
├── BudgetError                what must be kept does not fit the token budget (says by how much)
├── VerificationError          a hand-off envelope failed verification (names what failed)
├── SummaryRejectedError       a summary failed its checks and was not committed (says why)
├── ModelCallError             a call to a configured model endpoint failed (after retries)
├── StoreError                 a history or memory store cannot be read or written
└── TokenizerDataError         a vocabulary file is missing or corrupt
```

The command line maps them to exit codes: `UsageError`, `InvalidInputError` and
`BudgetError` exit 2, `LossyConversionError` exits 3, `VerificationError` exits 4.

A message is always one line, whatever the input held: characters a terminal
would not print as they are (newlines, escape sequences, lone surrogates, ...)
are escaped, and the message and the hint are each cut at a bounded length
(`MESSAGE_LIMIT`, `HINT_LIMIT`), so a megabyte of hostile input never becomes a
megabyte of error.

A hint speaks to the caller of the Python API (``pass strict=False``); an error
that a command line reaches can carry a ``cli_hint`` too, naming the flags
instead (``run without --strict``). ``aif`` prints `AifkitError.for_cli`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from aifkit._json import one_line

if TYPE_CHECKING:
    from pathlib import Path

    from aifkit.aif._loss import LossReport

__all__ = [
    "AifkitError",
    "BudgetError",
    "ConversionError",
    "InvalidInputError",
    "LossyConversionError",
    "MissingDependencyError",
    "ModelCallError",
    "StoreError",
    "SummaryRejectedError",
    "TokenizerDataError",
    "UnknownNameError",
    "UnsupportedVersionError",
    "UsageError",
    "VerificationError",
]

MESSAGE_LIMIT = 500
"""The most characters of an error's message (its hint is cut apart)."""

HINT_LIMIT = 1000
"""The most characters of an error's hint."""


class AifkitError(Exception):
    """Root of every error raised by aifkit.

    Args:
        message: What was wrong.
        hint: What to do about it, said to a Python caller; appended to the message.
        cli_hint: What to do about it on the command line (flags, not arguments),
            when that differs from ``hint``.

    Examples:
        >>> error = AifkitError("no model", hint="pass model=...", cli_hint="pass --model")
        >>> str(error)
        'no model; pass model=...'
        >>> error.for_cli()
        'no model; pass --model'
    """

    exit_code: int = 2

    def __init__(
        self, message: str, *, hint: str | None = None, cli_hint: str | None = None
    ) -> None:
        self.message = message = one_line(message, MESSAGE_LIMIT)
        self.hint = hint = None if hint is None else one_line(hint, HINT_LIMIT)
        self.cli_hint = None if cli_hint is None else one_line(cli_hint, HINT_LIMIT)
        super().__init__(f"{message}; {hint}" if hint else message)

    def for_cli(self) -> str:
        """The message with the hint for a command line (`cli_hint`, else `hint`)."""
        if self.cli_hint is None:
            return str(self)
        return f"{self.message}; {self.cli_hint}"


class UsageError(AifkitError):
    """The caller asked for something that cannot be done (a bad argument or option)."""


class UnknownNameError(UsageError, KeyError):
    """A name (format, model, method, ...) is not registered.

    Args:
        kind: What kind of name, e.g. ``"format"``.
        name: The name that was asked for.
        known: The names that are registered (or, with ``hint``, the nearest of them).
        hint: What to say instead of listing ``known``, e.g. when there are thousands.
    """

    def __init__(
        self, kind: str, name: str, known: Iterable[str], *, hint: str | None = None
    ) -> None:
        self.kind = kind
        self.name = name
        self.known = sorted(known)
        super().__init__(
            f"unknown {kind} {name!r}",
            hint=hint or f"known {_plural(kind)}: {', '.join(self.known) or '(none)'}",
        )

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return Exception.__str__(self)


def _plural(noun: str) -> str:
    """``strategy`` -> ``strategies``, ``format`` -> ``formats``."""
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "o", "u"):
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s")


class MissingDependencyError(UsageError, ImportError):
    """An optional dependency is not installed.

    Args:
        package: The module that failed to import.
        extra: The aifkit extra that provides it.
    """

    def __init__(self, package: str, extra: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(
            f"{package!r} is not installed",
            hint=f'install it with: pip install "aifkit[{extra}]"',
        )


class InvalidInputError(AifkitError, ValueError):
    """A request body or AIF document is malformed.

    Args:
        pointer: JSON pointer (RFC 6901) to the offending value; ``""`` is the whole document.
        problem: What is wrong there, e.g. ``"expected a string"``.
        hint: What to do about it.
    """

    def __init__(
        self, pointer: str, problem: str, *, hint: str | None = None, cli_hint: str | None = None
    ) -> None:
        self.pointer = pointer
        self.problem = problem = one_line(problem, MESSAGE_LIMIT)
        if len(pointer) > _POINTER_SHOWN:  # a deep pointer: its start and its end, and the problem
            half = _POINTER_SHOWN // 2
            pointer = f"{pointer[:half]}…{pointer[-half:]}"
        super().__init__(f"{pointer or '/'}: {problem}", hint=hint, cli_hint=cli_hint)


_POINTER_SHOWN = 200


class UnsupportedVersionError(InvalidInputError):
    """An AIF document was written by a newer major version than this aifkit reads."""


class ConversionError(AifkitError):
    """A conversion could not be carried out as asked."""


class LossyConversionError(ConversionError):
    """Strict mode refused a conversion that would drop data.

    Args:
        report: The loss report of the refused conversion; its ``dropped`` entries say what.
    """

    exit_code = 3

    def __init__(self, report: LossReport) -> None:
        self.report = report
        dropped = report.dropped
        first = dropped[0] if dropped else None
        where = f"; first: {first.pointer or '/'} ({first.rule})" if first else ""
        super().__init__(
            f"{report.source} -> {report.target} would drop {len(dropped)} item(s){where}",
            hint="pass strict=False to convert anyway, and read the loss report",
            cli_hint="run without --strict to convert anyway, and read --loss-report",
        )


class BudgetError(AifkitError):
    """What must be kept (instructions, tools, the current turn, ...) exceeds the token budget.

    Args:
        needed: Tokens the mandatory items take, request framing included.
        budget: Tokens allowed.
        detail: What the mandatory tokens are made of, e.g. ``"current turn 900"``.
        cli_hint: What to do on the command line; default: raise --budget or
            shorten the current turn (a command with ``--reserve`` names it too).
    """

    def __init__(
        self, needed: int, budget: int, detail: str = "", *, cli_hint: str | None = None
    ) -> None:
        self.needed = needed
        self.budget = budget
        self.excess = needed - budget
        what = f" ({detail})" if detail else ""
        super().__init__(
            f"the items that must be kept need {needed} tokens{what}, "
            f"but the budget is {budget}: over by {self.excess}",
            hint="raise the budget, lower the reply reserve, or shorten the current turn",
            cli_hint=cli_hint or "raise --budget, or shorten the current turn",
        )


class TokenizerDataError(AifkitError):
    """A tokenizer vocabulary file is missing or is not the file tiktoken expects.

    Args:
        path: The file that was read (or looked for).
        problem: What is wrong with it.
    """

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(
            f"{path}: {problem}",
            hint='reinstall the vocabulary files with: pip install --force-reinstall "bpe-openai>=0.1.4"',
        )


class VerificationError(AifkitError):
    """A hand-off envelope failed verification.

    Args:
        failures: One line per check that failed, e.g.
            ``"/conversation/messages/3: hash does not match the chain (altered)"``.
    """

    exit_code = 4

    def __init__(self, failures: Iterable[str]) -> None:
        self.failures = list(failures)
        first = self.failures[0] if self.failures else "unknown failure"
        more = f" (and {len(self.failures) - 1} more)" if len(self.failures) > 1 else ""
        missing_key = all(f.startswith("/signature: missing key") for f in self.failures)
        super().__init__(
            f"the envelope failed verification: {first}{more}",
            hint="pass the sender's key (key=...)"
            if self.failures and missing_key
            else "do not use this conversation; ask the sender for a fresh envelope",
            cli_hint="pass the sender's key: --key FILE or --hmac-secret FILE"
            if self.failures and missing_key
            else None,
        )


class SummaryRejectedError(AifkitError):
    """A summary failed its checks and was not committed; the history is unchanged.

    Args:
        reason: Why it was rejected, e.g. ``"lost 2 identifiers: ord_123, /etc/hosts"``.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"summary rejected: {reason}",
            hint="the original messages are kept; retry, or use another summarizer",
        )


class ModelCallError(AifkitError):
    """A call to a configured model endpoint failed, after any retries.

    Args:
        endpoint: The base URL (never the key).
        problem: What went wrong, e.g. ``"HTTP 503 after 4 attempts"``.
        settings: The settings that configure this endpoint, named in the hint
            (e.g. ``"AIFKIT_SUMMARY_BASE_URL, AIFKIT_SUMMARY_MODEL, OPENAI_API_KEY"``).
    """

    def __init__(self, endpoint: str, problem: str, *, settings: str | None = None) -> None:
        self.endpoint = endpoint
        self.problem = problem
        where = f" ({settings})" if settings else ""
        super().__init__(f"{endpoint}: {problem}", hint=f"check the base URL, model and key{where}")


class StoreError(AifkitError):
    """A history or memory store (SQLite, JSONL) cannot be read or written.

    Args:
        path: The store's file.
        problem: What is wrong with it.
    """

    def __init__(self, path: Path | str, problem: str, *, hint: str | None = None) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}", hint=hint or "check the path and its permissions")
