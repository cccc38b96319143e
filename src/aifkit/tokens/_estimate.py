"""Estimating counts for models whose tokenizer is not public (Claude, Gemini).

An `Estimator` scales a count made with a public tokenizer (``o200k_base``) by a
per-family ratio and declares how far off the result may be. Its defaults are
rough; `Estimator.fit` replaces them with a ratio fitted to counts a provider
reported (``usage.input_tokens``) for requests you sent, and an error bound that
covers every one of those samples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from aifkit.errors import UsageError

__all__ = ["ANTHROPIC_ESTIMATOR", "GEMINI_ESTIMATOR", "OTHER_ESTIMATOR", "Estimator"]

MIN_RELATIVE_ERROR = 0.01
"""The smallest error bound a fitted estimator declares, however well it fits."""


@dataclass(frozen=True, slots=True)
class Estimator:
    """Scales a public tokenizer's count to a model family's tokens.

    Args:
        family: What it estimates, e.g. ``"anthropic"``.
        ratio: Provider tokens per base-tokenizer token.
        relative_error: The declared bound: the true count is within
            ``estimate * relative_error`` of the estimate.
        samples: How many reported counts the ratio was fitted to (0: a default).

    Examples:
        >>> est = Estimator("demo", ratio=1.2, relative_error=0.1)
        >>> est.scale(100)
        (120, 12)
    """

    family: str
    ratio: float
    relative_error: float
    samples: int = 0

    def scale(self, base_tokens: int) -> tuple[int, int]:
        """Return ``(estimate, bound)`` for a count of ``base_tokens`` base tokens."""
        estimate = round(base_tokens * self.ratio)
        return estimate, math.ceil(estimate * self.relative_error)

    def fit(self, pairs: Sequence[tuple[int, int]]) -> Estimator:
        """Return an estimator fitted to ``(base_tokens, reported_tokens)`` pairs.

        The ratio minimises the squared relative error over the pairs (so long and
        short requests weigh alike); the bound is the largest relative error left,
        at least `MIN_RELATIVE_ERROR`.

        Raises:
            UsageError: no pair has a positive count on both sides.

        Examples:
            >>> est = Estimator("demo", 1.0, 0.5).fit([(100, 118), (200, 242), (50, 60)])
            >>> round(est.ratio, 3), est.relative_error, est.samples
            (1.196, 0.014, 3)
        """
        usable = [(x, y) for x, y in pairs if x > 0 and y > 0]
        if not usable:
            raise UsageError(
                "calibration needs at least one sample with a positive count",
                hint="pass (text or document, reported input tokens) pairs from real requests",
            )
        # minimise sum(((r*x - y) / y)^2)  =>  r = sum(x/y) / sum((x/y)^2)
        ratios = [x / y for x, y in usable]
        ratio = sum(ratios) / sum(q * q for q in ratios)
        worst = max(abs(ratio * x - y) / y for x, y in usable)
        bound = max(MIN_RELATIVE_ERROR, math.ceil(worst * 1000) / 1000)
        return Estimator(self.family, ratio, bound, len(usable))


# Defaults before calibration: deliberately wide bounds. Claude's tokenizer yields
# more tokens than o200k_base for the same English text; Gemini's is close to it.
ANTHROPIC_ESTIMATOR = Estimator("anthropic", ratio=1.2, relative_error=0.25)
GEMINI_ESTIMATOR = Estimator("gemini", ratio=1.05, relative_error=0.2)

# Every other model (Llama, Mistral, Qwen, DeepSeek, ...): its own tokenizer is not
# shipped here. Their vocabularies (Llama 3's 128k tiktoken-style BPE, Mistral's
# Tekken, Qwen's 151k BPE) split English text much like o200k_base, and older
# 32k SentencePiece vocabularies (Llama 2, Mistral 7B) into up to ~30 % more tokens:
# a ratio a little above 1 and a bound wide enough for both.
OTHER_ESTIMATOR = Estimator("other", ratio=1.1, relative_error=0.3)
