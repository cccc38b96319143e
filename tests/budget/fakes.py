"""A `MessageCounter` that counts words, so the allocator can be tested without tiktoken."""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

from aifkit.aif import (
    Document,
    Instruction,
    Message,
    ReasoningPart,
    RefusalPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from aifkit.budget import Measure

_WORD = re.compile(r"\w+")


class WordCounter:
    """Counts a message as 3 + its words (+2 per tool call, +1 for a name); terms are words.

    Counts are additive by construction, like `aifkit.tokens`'. ``calls`` counts
    `measure` calls, so tests can see what an incremental pack measured.
    """

    name = "words"
    exact = True

    def __init__(self) -> None:
        self.calls = 0
        self._ids: dict[str, int] = {}

    def _words(self, text: str) -> list[int]:
        ids = self._ids
        return [ids.setdefault(w, len(ids) + 1) for w in _WORD.findall(text.lower())]

    def measure(self, message: Message) -> Measure:
        self.calls += 1
        words: list[int] = []
        extra = 3
        for part in message.parts:
            if isinstance(part, TextPart | RefusalPart):
                words += self._words(part.text)
            elif isinstance(part, ToolCallPart):
                words += self._words(part.name + " " + str(part.arguments))
                extra += 2
            elif isinstance(part, ToolResultPart):
                for sub in part.content:
                    words += self._words(sub.text) if isinstance(sub, TextPart) else [0]
            elif isinstance(part, ReasoningPart):
                words += self._words(part.text or "")
            else:
                extra += 10  # images, documents, audio
        if message.name:
            extra += 1
        terms: npt.NDArray[np.uint32] = np.array(words, dtype=np.uint32)
        return Measure(extra + len(words), terms)

    def count_instruction(self, instruction: Instruction) -> int:
        return 3 + sum(len(_WORD.findall(p.text)) for p in instruction.parts)

    def count_tools(self, document: Document) -> int:
        return 10 * len(document.tools)

    def overhead(self, document: Document) -> int:
        return 3

    def terms(self, text: str) -> list[int]:
        return self._words(text)

    def total(self, document: Document) -> int:
        """The whole request, counted from scratch (what the packed request must fit)."""
        fixed = sum(self.count_instruction(i) for i in document.instructions)
        return (
            fixed
            + self.count_tools(document)
            + self.overhead(document)
            + sum(WordCounter.measure(self, m).tokens for m in document.messages)
        )
