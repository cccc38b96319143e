"""Facts a summary must keep: entities, numbers, paths, URLs, e-mail addresses and ids.

Found offline with regular expressions, so a summary can be checked without a
model: every fact of the original that the summary no longer mentions is a loss.
Longer, more specific kinds are found first and masked, so ``/srv/app-2/run.log``
is one path, not a path, an id and a number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = ["FACT_KINDS", "Fact", "FactKind", "extract_facts", "missing_facts"]

FactKind = Literal["url", "email", "path", "id", "number", "entity"]

FACT_KINDS: tuple[FactKind, ...] = ("url", "email", "path", "id", "number", "entity")
"""Every kind of fact, in the order they are looked for."""

_EXT = (
    "py|pyi|js|ts|tsx|jsx|json|jsonl|yaml|yml|toml|ini|cfg|conf|md|rst|txt|csv|tsv|log|sql|"
    "sh|bash|html|css|xml|go|rs|java|kt|c|h|cc|cpp|hpp|rb|php|swift|lock|env|pdf|png|jpg|zip"
)
_PATTERNS: tuple[tuple[FactKind, re.Pattern[str]], ...] = (
    ("url", re.compile(r"\b(?:https?|ftp|s3|gs|file)://[^\s<>\"'`)\]]+")),
    ("email", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    (
        "path",
        re.compile(
            r"(?<![\w/:.])(?:~|\.{1,2})?/(?:[\w.@+-]+/)*[\w@+-][\w.@+-]*/?"
            r"|\b[A-Za-z]:\\(?:[\w .@+-]+\\)*[\w.@+-]+"
            rf"|\b[\w-]+(?:/[\w.-]+)*\.(?:{_EXT})\b"
        ),
    ),
    (
        "id",
        re.compile(
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
            r"|\b(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[A-Za-z0-9][\w-]{3,}\b"
        ),
    ),
    ("number", re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?\b")),
    ("number", re.compile(r"(?<![\w.,])\d+(?:[.,:]\d+)*%?")),
)
_CAP = r"[A-Z][\w'&-]*"
_ENTITY = re.compile(rf"\b{_CAP}(?:[ \t]+(?:of|de|van|von|the|&)?[ \t]*{_CAP})*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n]\s*|[\"'(\[]\s*)$")
_COMMON = frozenset(
    """a an and are as at be but by can could did do does done for from had has have he her
    hers him his how i i'd i'll i'm i've if in is it it's its let let's may me my no not now of
    ok okay on or our please she should so sure thank thanks that that's the their them then
    there these they this those to too under up us was we well were what when where which who
    why will with would yes you your hi hello hey dear note see also here user assistant tool
    system summary error warning info debug true false none null""".split()  # noqa: SIM905 - a word list reads better as text
)
_TRAILING = ".,;:!?)]}'\""


@dataclass(frozen=True, slots=True, order=True)
class Fact:
    """A fact found in text.

    Attributes:
        kind: What it is (see `FACT_KINDS`).
        value: The text as found (numbers without thousands separators).
    """

    kind: FactKind
    value: str

    def __str__(self) -> str:
        return self.value


def extract_facts(
    text: str, *, kinds: Iterable[FactKind] = FACT_KINDS, min_number_digits: int = 1
) -> frozenset[Fact]:
    """Return the facts in ``text`` of the given kinds.

    Args:
        text: The text.
        kinds: The kinds to look for; the others are still masked so that, say, the
            digits of a path are not also counted as a number.
        min_number_digits: Numbers with fewer digits are ignored (``2`` skips "3 files").

    Examples:
        >>> facts = extract_facts("Alice Smith moved ord_4521 to /srv/data/out.csv on 2024-05-01.")
        >>> sorted((f.kind, f.value) for f in facts)  # doctest: +NORMALIZE_WHITESPACE
        [('entity', 'Alice Smith'), ('id', 'ord_4521'), ('number', '2024-05-01'),
         ('path', '/srv/data/out.csv')]
        >>> sorted(f.value for f in extract_facts("It costs $1,250.50, 3 items", min_number_digits=2))
        ['1250.50']
    """
    wanted = frozenset(kinds)
    found: set[Fact] = set()
    masked = text
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(masked):
            value = match.group().rstrip(_TRAILING) if kind in ("url", "path") else match.group()
            if kind == "number":
                value = _number(value, min_number_digits)
            if value and kind in wanted:
                found.add(Fact(kind, value))
        masked = pattern.sub(lambda m: "\x1f" * len(m.group()), masked)  # not a word gap
    if "entity" in wanted:
        found |= {Fact("entity", e) for e in _entities(masked)}
    return frozenset(found)


def _number(value: str, min_digits: int) -> str:
    digits = sum(c.isdigit() for c in value)
    if digits < min_digits:
        return ""
    return (
        value.replace(",", "")
        if re.fullmatch(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?%?", value)
        else value
    )


def _entities(text: str) -> set[str]:
    out: set[str] = set()
    for match in _ENTITY.finditer(text):
        words = match.group().split()
        while words and words[0].lower() in _COMMON:
            words.pop(0)
        while words and words[-1].lower() in _COMMON | {"of", "de", "van", "von", "and", "&"}:
            words.pop()
        if not words:
            continue
        if len(words) == 1 and not _distinctive(words[0], text, match.start()):
            continue
        out.add(" ".join(words).rstrip("'"))
    return out


def _distinctive(word: str, text: str, start: int) -> bool:
    """A lone capitalized word is a name unless it merely starts a sentence."""
    if len(word) < 2 or word.lower() in _COMMON:
        return False
    inner_caps = any(c.isupper() for c in word[1:])
    if inner_caps and len(word) >= 3:  # OpenAI, PostgreSQL, NASA
        return True
    return not _SENTENCE_START.search(text[max(0, start - 3) : start]) and start > 0


def missing_facts(facts: Iterable[Fact], summary: str) -> list[Fact]:
    """Return the ``facts`` that ``summary`` no longer mentions, sorted.

    Numbers match as numbers (``1,250`` is ``1250``); entities match ignoring case;
    everything else must appear verbatim.

    Examples:
        >>> facts = extract_facts("Bob paid 1,250 for INV-2024-77 at /billing/q3.pdf")
        >>> [f.value for f in missing_facts(facts, "bob paid 1250 for INV-2024-77.")]
        ['/billing/q3.pdf']
    """
    folded = summary.casefold()
    numbers = {f.value for f in extract_facts(summary, kinds=("number",))}
    lost: list[Fact] = []
    for fact in facts:
        if fact.kind == "number":
            kept = fact.value in numbers or fact.value in summary
        elif fact.kind == "entity":
            kept = fact.value.casefold() in folded
        else:
            kept = fact.value in summary
        if not kept:
            lost.append(fact)
    return sorted(lost)
