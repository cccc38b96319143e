"""`ExtractiveSummarizer`: an offline summary made of the source's own sentences.

Sentences that carry facts (entities, numbers, paths, URLs, ids) are chosen first,
greedily by new facts per token, so a summary keeps as many facts as its budget
allows; what budget is left goes to the most central sentences (those whose words
the whole text uses most, SumBasic-style), boosted by overlap with ``focus``.
The chosen sentences are written in their original order, each line under its
speaker, so the summary reads as a condensed transcript.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aifkit.aif._schema import Message
from aifkit.budget.memory._facts import Fact, extract_facts
from aifkit.budget.memory._summarizer import transcript
from aifkit.tokens import Tokenizer, get_tokenizer

__all__ = ["ExtractiveSummarizer"]

_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_SPEAKER = re.compile(r"^([a-z]+(?: \([^)]*\))?): ")
_WORD = re.compile(r"[a-z0-9]{3,}")
_STOP = frozenset(
    """the and for are but not you all any can had her was one our out has him his how its may
    new now old see two who did get got let put say she too use that with have this will your
    from they been were said each which their there what about would make like into than them
    then these some could other only also just more most such when where while over after""".split()  # noqa: SIM905 - a word list reads better as text
)
_MAX_PIECE = 60  # words; longer sentences are cut into pieces so budgets can take part of them


@dataclass(slots=True)
class _Sentence:
    index: int
    line: int
    speaker: str
    text: str
    tokens: int
    facts: frozenset[Fact]
    terms: frozenset[str]


class ExtractiveSummarizer:
    """An offline `Summarizer` that keeps the sentences carrying facts and the most central ones.

    Args:
        tokenizer: Counts tokens against ``max_tokens``, or the name of a registered
            tokenizer; default ``"o200k_base"``.

    Examples:
        >>> s = ExtractiveSummarizer()
        >>> text = ("We talked about the weather for a while. It was nice. "
        ...         "Then Dana asked to move invoice INV-3391 to /finance/2024/q3.csv. "
        ...         "Everyone agreed that the weather was nice.")
        >>> s.summarize(text, max_tokens=30)
        'It was nice. Then Dana asked to move invoice INV-3391 to /finance/2024/q3.csv.'
    """

    name = "extractive"

    def __init__(self, tokenizer: Tokenizer | str = "o200k_base") -> None:
        self._tokenizer = tokenizer

    @property
    def tokenizer(self) -> Tokenizer:
        """The tokenizer counting against ``max_tokens`` (loaded on first use)."""
        if isinstance(self._tokenizer, str):
            self._tokenizer = get_tokenizer(self._tokenizer)
        return self._tokenizer

    def summarize(
        self, source: Sequence[Message] | str, *, max_tokens: int, focus: str | None = None
    ) -> str:
        """Return the chosen sentences of ``source``, in order, within ``max_tokens``."""
        text = transcript(source)
        count = self.tokenizer.count
        if count(text) <= max_tokens:
            return text.strip()
        sentences = _sentences(text, count)
        chosen = _choose(sentences, max_tokens, focus)
        out = _render(sentences, set(chosen))
        while chosen and count(out) > max_tokens:  # speakers and joins cost a little
            chosen.pop()  # the last chosen is the least wanted
            out = _render(sentences, set(chosen))
        return out


def _sentences(text: str, count: Callable[[str], int]) -> list[_Sentence]:
    out: list[_Sentence] = []
    for line_no, raw in enumerate(text.splitlines()):
        match = _SPEAKER.match(raw)
        speaker = match.group(1) if match else ""
        body = raw[match.end() :] if match else raw
        for piece in _pieces(body):
            out.append(
                _Sentence(
                    index=len(out),
                    line=line_no,
                    speaker=speaker,
                    text=piece,
                    tokens=count(piece) + 1,
                    facts=extract_facts(piece),
                    terms=frozenset(w for w in _WORD.findall(piece.lower()) if w not in _STOP),
                )
            )
    return out


def _pieces(body: str) -> list[str]:
    out: list[str] = []
    for sentence in _SPLIT.split(body.strip()):
        words = sentence.split()
        for i in range(0, len(words), _MAX_PIECE):
            piece = " ".join(words[i : i + _MAX_PIECE])
            if piece:
                out.append(piece)
    return out


def _choose(sentences: list[_Sentence], budget: int, focus: str | None) -> list[int]:
    """Sentence indexes, most wanted first: facts by new facts per token, then centrality."""
    chosen: list[int] = []
    left = budget
    covered: set[Fact] = set()
    # Lazy greedy set cover: a sentence's gain only shrinks as facts get covered, so a
    # stale heap entry is re-scored when it reaches the top instead of re-scoring all.
    heap = [(-len(s.facts) / s.tokens, s.index) for s in sentences if s.facts]
    heapq.heapify(heap)
    while heap:
        _, i = heapq.heappop(heap)
        s = sentences[i]
        new = len(s.facts - covered)
        if not new:
            continue
        gain = -new / s.tokens
        if heap and gain > heap[0][0]:  # worse than the next best now: back in the queue
            heapq.heappush(heap, (gain, i))
            continue
        if s.tokens <= left:
            chosen.append(i)
            covered |= s.facts
            left -= s.tokens
    scores = _centrality(sentences, focus)
    taken = set(chosen)
    seen = {sentences[i].text.casefold() for i in chosen}  # a repeated sentence says nothing new
    for s in sorted(sentences, key=lambda s: (-scores[s.index], s.index)):
        if s.index not in taken and s.tokens <= left and s.text.casefold() not in seen:
            chosen.append(s.index)
            seen.add(s.text.casefold())
            left -= s.tokens
    return chosen


def _centrality(sentences: list[_Sentence], focus: str | None) -> list[float]:
    freq: Counter[str] = Counter()
    for s in sentences:
        freq.update(s.terms)
    total = sum(freq.values()) or 1
    wanted = frozenset(_WORD.findall(focus.lower())) - _STOP if focus else frozenset[str]()
    scores: list[float] = []
    for s in sentences:
        base = sum(freq[t] for t in s.terms) / total / (len(s.terms) or 1) if s.terms else 0.0
        scores.append(base * (1.0 + 2.0 * len(s.terms & wanted)))
    return scores


def _render(sentences: list[_Sentence], chosen: set[int]) -> str:
    lines: list[str] = []
    current: int | None = None
    for s in sentences:
        if s.index not in chosen:
            continue
        if s.line != current:
            lines.append(f"{s.speaker}: {s.text}" if s.speaker else s.text)
            current = s.line
        else:
            lines[-1] += " " + s.text
    return "\n".join(lines)
