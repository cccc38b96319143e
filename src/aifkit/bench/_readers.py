"""The reader ladder: evidence survival, a rule-based extractive reader, a real model.

A reader answers the task's question from the packed context. Scoring is the
same for all: exact match and token F1 as SQuAD normalizes them, and
``passed`` when every gold answer appears in the answer (RULER's
``string_match_all``). The evidence reader gives no answer: it passes when every
gold answer survived in the packed context.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from aifkit._registry import Registry

__all__ = [
    "READERS",
    "Answer",
    "EvidenceReader",
    "ExtractiveReader",
    "Reader",
    "context_text",
    "exact_match",
    "expand_calls",
    "f1",
    "string_match_all",
]


@dataclass(frozen=True, slots=True)
class Answer:
    """A reader's answer (``None`` for the evidence reader) and what it cost.

    Attributes:
        text: The answer.
        output_tokens: Tokens the model wrote, when a model answered.
        input_tokens: Tokens the model read, as it reported them.
        cached: The answer came from the response cache.
    """

    text: str | None
    output_tokens: int | None = None
    input_tokens: int | None = None
    cached: bool = False


class Reader(Protocol):
    """Answers a question from a packed request body (``openai-chat``)."""

    name: str

    def read(self, body: Mapping[str, Any], question: str) -> Answer:
        """Answer ``question`` (the body's last message) from ``body``."""
        ...


READERS: Registry[Reader] = Registry("reader", group="aifkit.bench.readers")
"""Readers by name; the model reader is configured per suite (see `ModelReader`)."""


def context_text(body: Mapping[str, Any]) -> str:
    """Return the text of every message but the last (the question), tool calls included.

    Examples:
        >>> context_text({"messages": [{"role": "user", "content": "a"},
        ...     {"role": "user", "content": [{"type": "text", "text": "b"}]},
        ...     {"role": "user", "content": "question?"}]})
        'a\\nb'
    """
    messages = cast("list[Any]", body.get("messages") or [])
    return "\n".join(_texts(messages[:-1]))


def _texts(values: Iterable[Any]) -> Iterable[str]:
    for message in values:
        if not isinstance(message, dict):
            continue
        message = cast("dict[str, Any]", message)
        content = message.get("content")
        if isinstance(content, str):
            yield content
        elif isinstance(content, list):
            for part in cast("list[Any]", content):
                text = cast("dict[str, Any]", part).get("text") if isinstance(part, dict) else None
                if isinstance(text, str):
                    yield text
        for call in cast("list[dict[str, Any]]", message.get("tool_calls") or []):
            function = cast("dict[str, Any]", call.get("function") or {})
            yield f"{function.get('name', '')} {function.get('arguments', '')}"


def normalize(text: str) -> str:
    """Lower-case, drop punctuation, articles and extra spaces (SQuAD).

    Examples:
        >>> normalize("The  Rusty-Juniper!")
        'rustyjuniper'
    """
    text = "".join(c for c in text.lower() if c not in string.punctuation)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def string_match_all(prediction: str, answers: Sequence[str]) -> float:
    """RULER's metric: the share of answers found (case-insensitively) in ``prediction``.

    Examples:
        >>> string_match_all("codes 12 and 34", ["12", "34", "56"])
        0.6666666666666666
    """
    if not answers:
        return 1.0
    low = prediction.lower()
    return sum(a.lower() in low for a in answers) / len(answers)


def exact_match(prediction: str, answers: Sequence[str]) -> bool:
    """Whether the normalized prediction is a gold answer, or (several) all of them in any order.

    Examples:
        >>> exact_match("the Rusty Juniper.", ["Rusty Juniper"])
        True
        >>> exact_match("34, 12", ["12", "34"])
        True
    """
    norm = normalize(prediction)
    if len(answers) > 1:
        return sorted(norm.split()) == sorted(normalize(" ".join(answers)).split())
    return any(norm == normalize(a) for a in answers)


def f1(prediction: str, answers: Sequence[str]) -> float:
    """Token F1 of the prediction against the gold answers taken together.

    Examples:
        >>> round(f1("Rusty Juniper tree", ["Rusty Juniper"]), 3)
        0.8
    """
    pred = normalize(prediction).split()
    gold = normalize(" ".join(answers)).split()
    if not pred or not gold:
        return float(pred == gold)
    common = sum((Counter(pred) & Counter(gold)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(gold)
    return 2 * precision * recall / (precision + recall)


class EvidenceReader:
    """No model: gives no answer; the runner checks that the evidence survived."""

    name = "evidence"

    def read(self, body: Mapping[str, Any], question: str) -> Answer:
        """Return no answer."""
        del body, question
        return Answer(None)


_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "for",
        "in",
        "on",
        "at",
        "to",
        "is",
        "are",
        "was",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "all",
        "and",
        "or",
        "mentioned",
        "text",
        "above",
        "provided",
        "using",
        "documents",
        "document",
        "find",
        "that",
        "assigned",
        "value",
        "variables",
        "me",
        "my",
        "please",
        "tell",
    ]
)
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?](?=\s|$)|$)")
_ASSIGN = re.compile(r"VAR (\w+) = (?:VAR (\w+)|(\d+))")
_ASKED_VALUE = re.compile(r"assigned the value (\S+?)[.?]?(?:\s|$)")


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP}


class ExtractiveReader:
    """A rule-based reader: the value stated in the sentences that best match the question.

    It scores each sentence of the context by the question words it contains and
    answers with what follows the last ``" is "`` or ``": "`` of every sentence
    tied for the best score. A question about variables assigned a value follows
    the chains of ``VAR X = ...`` assignments instead.

    Examples:
        >>> body = {"messages": [
        ...     {"role": "user", "content": "Noise here. The mascot of Olive Otter is Brisk Falcon."},
        ...     {"role": "user", "content": "The mascot of Amber Otter is Keen Raven."},
        ...     {"role": "user", "content": "What is the mascot of Olive Otter?"}]}
        >>> ExtractiveReader().read(body, "What is the mascot of Olive Otter?").text
        'Brisk Falcon'
    """

    name = "extractive"

    def read(self, body: Mapping[str, Any], question: str) -> Answer:
        """Answer from the packed context."""
        context = context_text(body)
        asked = _ASKED_VALUE.search(question)
        if asked:
            return Answer(" ".join(_chain(context, asked.group(1))))
        wanted = _words(question)
        best, spans = 0, list[str]()
        for match in _SENTENCE.finditer(context):
            sentence = match.group(0).strip()
            score = len(wanted & _words(sentence))
            span = _span(sentence)
            if not span or score == 0 or score < best:
                continue
            if score > best:
                best, spans = score, []
            if span not in spans:
                spans.append(span)
        return Answer(", ".join(spans))


def _span(sentence: str) -> str:
    cut = max(sentence.rfind(" is "), sentence.rfind(": "))
    if cut < 0:
        return ""
    offset = 4 if sentence[cut : cut + 4] == " is " else 2
    return sentence[cut + offset :].strip().rstrip(".!?").strip()


def _chain(context: str, value: str) -> list[str]:
    parents: dict[str, str] = {}
    found: list[str] = []
    for name, source, number in _ASSIGN.findall(context):
        if number == value:
            found.append(name)
        elif source:
            parents[name] = source
    grew = True
    while grew:
        grew = False
        for name, source in parents.items():
            if source in found and name not in found:
                found.append(name)
                grew = True
    return found


def expand_calls(
    body: Mapping[str, Any], elided: Mapping[str, str], question: str, gold: Sequence[str]
) -> int | None:
    """How many expand calls a rule-based reader makes before every gold answer is in view.

    The reader reads the fitted context; while an answer is missing it expands
    the reference (a key of ``elided`` named in what it has read) whose
    surroundings share the most words with the question, the earliest first on a
    tie, and reads what comes back, references in it included.

    Returns:
        0 when the context already holds the answers; the number of calls when
        expanding recovers them; None when the strategy elided nothing
        reversibly, or expanding everything does not bring them back.

    Examples:
        >>> body = {"messages": [
        ...     {"role": "tool", "content": "log [9 lines elided, ref aaaaaaaaaa: expand to see]"},
        ...     {"role": "tool", "content": "code [3 defs elided, ref bbbbbbbbbb: expand to see]"},
        ...     {"role": "user", "content": "Which segment failed in the log?"}]}
        >>> elided = {"aaaaaaaaaa": "FATAL segment seg-42 failed", "bbbbbbbbbb": "def f(): ..."}
        >>> expand_calls(body, elided, "Which segment failed in the log?", ["seg-42"])
        1
        >>> expand_calls(body, elided, "Which segment failed?", ["seg-43"]) is None
        True
    """
    if not elided:
        return None
    seen = [context_text(body)]
    if string_match_all(seen[0], gold) == 1.0:
        return 0
    wanted = _words(question)
    opened: set[str] = set()
    pending = _refs(seen[0], elided, wanted, 0)
    calls = 0
    while pending:
        pending.sort(key=lambda p: (-p[0], p[1]))
        _, order, ref = pending.pop(0)
        if ref in opened:
            continue
        opened.add(ref)
        calls += 1
        text = elided[ref]
        seen.append(text)
        if string_match_all("\n".join(seen), gold) == 1.0:
            return calls
        pending += _refs(text, elided, wanted, order + 1)
    return None


def _refs(
    text: str, elided: Mapping[str, str], wanted: set[str], order: int
) -> list[tuple[int, int, str]]:
    """(question words near it, reading order, ref) for each ref named in ``text``."""
    out: list[tuple[int, int, str]] = []
    for ref in elided:
        at = text.find(ref)
        if at >= 0:
            near = text[max(0, at - 300) : at + len(ref) + 80]
            out.append((len(wanted & _words(near)), order * 1_000_000_000 + at, ref))
    return out


READERS.register("evidence", EvidenceReader)
READERS.register("extractive", ExtractiveReader)
