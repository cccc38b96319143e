"""The checks a summary must pass before it is committed.

A summary is refused when it is empty, when it is an error message posing as a
summary (an apology, ``Error: ...``, HTTP error text, a traceback that the
original did not contain), when it lost facts the original had (entities,
numbers, paths, URLs, e-mail addresses, ids; see `extract_facts`), or when it is
over its token budget. How strict the fact check is, is a choice: `SummaryChecks`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from aifkit.budget.memory._facts import FACT_KINDS, FactKind, extract_facts, missing_facts
from aifkit.errors import UsageError

__all__ = ["STRICTNESS", "Strictness", "SummaryChecks", "check_summary"]

Strictness = Literal["strict", "normal", "lenient", "off"]

# Checked against the start of a summary: a model that apologizes there did not summarize.
_LEADING = re.compile(
    r"^\W*(?:i'?m sorry|i am sorry|sorry,|i apologi[sz]e|unfortunately,? i|i (?:can ?not|can't|"
    r"am unable|was unable|couldn't|could not)|as an ai\b|error\b|exception\b|fatal\b|"
    r"request failed|failed to)",
    re.IGNORECASE,
)
# Checked anywhere: error text a summary should only carry if the original did.
_ANYWHERE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a traceback", re.compile(r"Traceback \(most recent call last\)")),
    (
        "HTTP error text",
        re.compile(
            r"\b(?:HTTP/\d(?:\.\d)?\s+)?[45]\d\d\s+(?:Bad Request|Unauthorized|Forbidden|Not Found|"
            r"Method Not Allowed|Request Timeout|Conflict|Payload Too Large|Too Many Requests|"
            r"Internal Server Error|Bad Gateway|Service Unavailable|Gateway Time-?out)\b",
            re.IGNORECASE,
        ),
    ),
    ("an error payload", re.compile(r"[{,]\s*\"error\"\s*:\s*[{\"]")),
    (
        "an API error",
        re.compile(
            r"\b(?:rate limit(?:ed| exceeded)?|context_length_exceeded|invalid_api_key|"
            r"insufficient_quota|model_not_found|overloaded_error|connection (?:refused|reset))\b",
            re.IGNORECASE,
        ),
    ),
    ("an error line", re.compile(r"(?m)^\s*(?:error|exception|fatal)\s*:", re.IGNORECASE)),
    ("an HTML page", re.compile(r"<!DOCTYPE html|<html[\s>]", re.IGNORECASE)),
)


@dataclass(frozen=True, slots=True)
class SummaryChecks:
    """What a summary must keep of its original to be committed.

    Attributes:
        kinds: The kinds of facts that must survive (see `aifkit.budget.memory.FACT_KINDS`).
        min_number_digits: Numbers with fewer digits need not survive (``2``: "3 files"
            may become "three files").
        max_lost: How many facts may be lost before the summary is refused.
        reject_errors: Refuse summaries that look like an error message.

    Examples:
        >>> SummaryChecks.preset("lenient").kinds
        ('url', 'email', 'path', 'id')
        >>> SummaryChecks.preset("loose")
        Traceback (most recent call last):
        ...
        aifkit.errors.UsageError: unknown strictness 'loose'; use one of: strict, normal, lenient, off
    """

    kinds: tuple[FactKind, ...] = FACT_KINDS
    min_number_digits: int = 2
    max_lost: int = 0
    reject_errors: bool = True

    @classmethod
    def preset(cls, strictness: Strictness | str) -> SummaryChecks:
        """Return the checks for a strictness.

        ``strict``: every fact, every number. ``normal`` (default): every fact, numbers
        of two digits or more. ``lenient``: URLs, e-mail addresses, paths and ids only.
        ``off``: no fact check (empty, error-like and over-budget summaries are still refused).
        """
        factory = STRICTNESS.get(strictness)
        if factory is None:
            raise UsageError(
                f"unknown strictness {strictness!r}", hint="use one of: " + ", ".join(STRICTNESS)
            )
        return factory()


STRICTNESS: dict[str, Callable[[], SummaryChecks]] = {
    "strict": lambda: SummaryChecks(min_number_digits=1),
    "normal": SummaryChecks,
    "lenient": lambda: SummaryChecks(kinds=("url", "email", "path", "id")),
    "off": lambda: SummaryChecks(kinds=()),
}
"""Strictness name -> its `SummaryChecks`."""


def check_summary(
    original: str,
    summary: str,
    *,
    checks: SummaryChecks,
    max_tokens: int | None = None,
    count: Callable[[str], int] | None = None,
) -> str | None:
    """Return why ``summary`` must not replace ``original``, or ``None`` when it may.

    Args:
        original: The text summarized (with any earlier summary it folds in).
        summary: The candidate summary.
        checks: What must survive.
        max_tokens: The summary's token budget, if any.
        count: Counts tokens; needed with ``max_tokens``.

    Examples:
        >>> checks = SummaryChecks()
        >>> original = "Order ord_77 for 1,200 units ships from /srv/out.csv."
        >>> check_summary(original, "ord_77: 1200 units, /srv/out.csv.", checks=checks) is None
        True
        >>> check_summary(original, "An order ships soon.", checks=checks)
        'lost 3 facts the original had: ord_77 (id), 1200 (number), /srv/out.csv (path)'
        >>> check_summary(original, "I'm sorry, I can't help with that.", checks=checks)
        'the summary looks like an error message, not a summary (an apology or error at the start)'
    """
    if not summary.strip():
        return "the summary is empty"
    if checks.reject_errors:
        posing = _error_posing(original, summary)
        if posing:
            return f"the summary looks like an error message, not a summary ({posing})"
    if max_tokens is not None and count is not None:
        used = count(summary)
        if used > max_tokens:
            return f"the summary takes {used} tokens, over its budget of {max_tokens}"
    if checks.kinds:
        facts = extract_facts(
            original, kinds=checks.kinds, min_number_digits=checks.min_number_digits
        )
        lost = missing_facts(facts, summary)
        if len(lost) > checks.max_lost:
            listed = ", ".join(f"{f.value} ({f.kind})" for f in lost[:8])
            more = f" and {len(lost) - 8} more" if len(lost) > 8 else ""
            return f"lost {len(lost)} facts the original had: {listed}{more}"
    return None


def _error_posing(original: str, summary: str) -> str:
    head = summary.lstrip()[:200]
    if _LEADING.search(head) and not _LEADING.search(original.lstrip()[:200]):
        return "an apology or error at the start"
    for what, pattern in _ANYWHERE:
        if pattern.search(summary) and not pattern.search(original):
            return what
    return ""
