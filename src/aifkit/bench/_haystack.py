"""Deterministic filler text, sized in real tokens, and the words tasks draw keys from."""

from __future__ import annotations

import functools
import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aifkit.tokens import Tokenizer

__all__ = ["ADJECTIVES", "NOUNS", "Haystack", "count", "key_word", "tokenizer_for"]

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
