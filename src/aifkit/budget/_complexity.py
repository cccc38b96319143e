"""An explainable estimate of how demanding a request is.

The estimate reads the current turn only: its size, its kind (a question, code,
analysis, writing, ...), the code it carries, the entities it names, the
constraints it sets and any length it asks for. From these it derives the
expected reply length (which sets the reply reserve) and a score in ``[0, 1]``
(which, without an explicit budget, scales how much history a request gets).
Every figure it used is in `Complexity.factors`, and so in the pack report.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["KINDS", "Complexity", "estimate_complexity"]

KINDS: Mapping[str, tuple[float, int]] = {
    "qa": (0.1, 150),
    "chat": (0.2, 250),
    "extraction": (0.4, 300),
    "summary": (0.4, 350),
    "writing": (0.6, 1000),
    "analysis": (0.8, 900),
    "code": (0.8, 1200),
}
"""Task kind -> (its weight in the score, the reply tokens it usually needs)."""

_KIND_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        ("code", r"\b(code|function|implement|refactor|bug|debug|compile|script|regex|sql|"
                 r"python|javascript|typescript|rust|class|method|api|stack ?trace|exception)\b"),
        ("analysis", r"\b(analy[sz]e|compare|evaluate|assess|trade-?offs?|pros and cons|why|"
                     r"design|architecture|plan|strategy|reason)\b"),
        ("writing", r"\b(write|draft|compose|essay|story|poem|email|letter|blog|article|rewrite)\b"),
        ("summary", r"\b(summari[sz]e|summary|tl;?dr|recap|condense|shorten)\b"),
        ("extraction", r"\b(extract|list all|find all|classify|label|categori[sz]e|parse)\b"),
    )
)  # fmt: skip
_QUESTION = re.compile(
    r"^\s*(what|who|when|where|which|how (many|much|old|long)|is|are|does|do|can)\b", re.I
)
# Line-anchored patterns skip only spaces and tabs (``[^\S\n]``), never newlines: a
# ``^\s*`` would rescan a whole run of blank lines from each of its line starts, which
# makes a turn of n newlines cost n^2 (issue 11).
_FENCE = re.compile(r"^[^\S\n]*```", re.MULTILINE)
_CODE_LINE = re.compile(
    r"^[^\S\n]*(def |class |import |from \S+ import|function |const |let |var |#include|"
    r"public |SELECT |return\b)|[;{}][^\S\n]*$|^[^\S\n]{4,}\S",
    re.MULTILINE,
)
_ENTITY = re.compile(
    r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z]+\b|\b\d[\d.,:/-]*\b|\"[^\"]{1,80}\"|"
    r"\b[a-z]+[A-Z_]\w*\b"
)
_CONSTRAINT = re.compile(
    r"\b(must|should|exactly|at least|at most|no more than|no less than|without|only|"
    r"don'?t|do not|never|always|ensure|require[sd]?|avoid|limit)\b|^[^\S\n]*([-*•]|\d+[.)])\s",
    re.IGNORECASE | re.MULTILINE,
)
_SHORT = re.compile(r"\b(brief(ly)?|short|concise(ly)?|one (line|word)|yes or no|tl;?dr)\b", re.I)
_LONG = re.compile(r"\b(detailed|in (depth|detail)|comprehensive|thorough(ly)?|step[- ]by[- ]step|"
                   r"full|complete|exhaustive)\b", re.I)  # fmt: skip
_COUNTED = re.compile(
    r"\b(\d{1,5})\s*(words?|sentences?|paragraphs?|pages?|bullet points?|bullets|items|"
    r"examples|steps|lines)\b",
    re.IGNORECASE,
)
_UNIT_TOKENS = {"word": 1.35, "sentence": 30, "paragraph": 120, "page": 650, "line": 15}
_WEIGHTS = {"size": 0.2, "code": 0.15, "entities": 0.15, "constraints": 0.15, "kind": 0.2,
            "answer": 0.15}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Complexity:
    """How demanding a request is, and every figure that says so.

    Attributes:
        score: In ``[0, 1]``: the weighted components in ``factors``.
        kind: The task class (a key of `KINDS`); reply lengths are observed per class.
        reply_tokens: The reply length the request is expected to need.
        factors: Every figure the estimate used, by name.
    """

    score: float
    kind: str
    reply_tokens: int
    factors: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        """Return the estimate as JSON-ready data."""
        return {
            "score": round(self.score, 4),
            "kind": self.kind,
            "reply_tokens": self.reply_tokens,
            "factors": dict(self.factors),
        }


def estimate_complexity(text: str, *, tools: int = 0) -> Complexity:
    """Estimate how demanding a request is from its current turn.

    Args:
        text: The text of the current turn.
        tools: How many tools the request offers (agents tend to reply longer).

    Examples:
        >>> c = estimate_complexity("What is the capital of France?")
        >>> c.kind, c.reply_tokens, c.score < 0.2
        ('qa', 150, True)
        >>> c = estimate_complexity("Implement a Python function that parses ISO dates. "
        ...                         "It must handle time zones and should not use dateutil.")
        >>> c.kind, c.factors["constraints"], c.score > 0.3
        ('code', 2, True)
    """
    words = len(text.split())
    fences = len(_FENCE.findall(text)) // 2
    code_lines = len(_CODE_LINE.findall(text))
    entities = len(_ENTITY.findall(text))
    constraints = len(_CONSTRAINT.findall(text))
    kind = _kind(text, fences, code_lines, words)
    weight, base = KINDS[kind]
    length, hint = _length(text, base)
    reply = (
        length + 20 * constraints + (code_lines * 12 if kind == "code" else 0) + 40 * min(tools, 5)
    )
    parts = {
        "size": min(1.0, words / 400),
        "code": min(1.0, code_lines / 40 + fences * 0.25),
        "entities": min(1.0, entities / 15),
        "constraints": min(1.0, constraints / 6),
        "kind": weight,
        "answer": min(1.0, math.log1p(reply) / math.log1p(4000)),
    }
    score = sum(_WEIGHTS[k] * v for k, v in parts.items())
    factors: dict[str, Any] = {
        "words": words,
        "code_blocks": fences,
        "code_lines": code_lines,
        "entities": entities,
        "constraints": constraints,
        "tools": tools,
        "kind": kind,
        "kind_reply_tokens": base,
        "length_hint": hint,
        "reply_tokens": reply,
        "components": {k: round(v, 4) for k, v in parts.items()},
        "weights": dict(_WEIGHTS),
    }
    return Complexity(score, kind, reply, factors)


def _kind(text: str, fences: int, code_lines: int, words: int) -> str:
    if fences or code_lines >= 3:
        return "code"
    for kind, pattern in _KIND_WORDS:
        if pattern.search(text):
            return kind
    if words <= 25 and (_QUESTION.search(text) or text.rstrip().endswith("?")):
        return "qa"
    return "chat"


def _length(text: str, base: int) -> tuple[int, str]:
    counted = _COUNTED.search(text)
    if counted:
        n, unit = int(counted.group(1)), counted.group(2).lower().rstrip("s")
        per = _UNIT_TOKENS.get(unit, 45)  # bullets, items, examples, steps: ~45 tokens each
        return max(16, round(n * per)), counted.group(0)
    if _SHORT.search(text):
        return max(16, base // 3), "short"
    if _LONG.search(text):
        return base * 2, "long"
    return base, "none"
