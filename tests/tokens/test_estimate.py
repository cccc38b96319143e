"""Estimators for models without a public tokenizer, and their calibration."""

from __future__ import annotations

import random

import pytest

from aifkit.aif import Document, Message
from aifkit.errors import UsageError
from aifkit.tokens import Estimator, calibrate, count_tokens, get_tokenizer

from .helpers import conversation, text

WORDS = ["the", "of", "and", "to", "in", "is", "was", "for", "on", "that", "with", "as", "by",
         "at", "from", "this", "be", "are", "it", "an"]  # fmt: skip


def _texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choices(WORDS, k=rng.randint(30, 200))) for _ in range(n)]


def test_calibration_converges_on_the_true_ratio() -> None:
    # Synthetic provider: 1.37 tokens per o200k token, +-3% noise per request.
    tok = get_tokenizer("o200k_base")
    rng = random.Random(7)
    true_ratio = 1.37
    samples = [
        (t, round(tok.count(t) * true_ratio * rng.uniform(0.97, 1.03))) for t in _texts(400, 1)
    ]
    est = calibrate(samples, model="claude-sonnet-4-5")
    assert est.ratio == pytest.approx(true_ratio, rel=0.01)
    assert est.samples == 400
    assert 0.02 < est.relative_error <= 0.05  # covers the noise, and not much more
    for sample, reported in samples:  # the declared bound holds on every sample
        estimate, bound = est.scale(tok.count(sample))
        assert abs(estimate - reported) <= bound + 1


def test_more_samples_fit_better() -> None:
    tok = get_tokenizer("o200k_base")
    rng = random.Random(3)

    def fitted(n: int) -> float:
        texts = _texts(n, n)
        samples = [(t, round(tok.count(t) * 0.9 * rng.gauss(1, 0.05))) for t in texts]
        return abs(calibrate(samples, model="gemini-2.5-flash").ratio - 0.9)

    assert fitted(1000) < 0.01
    assert fitted(1000) <= max(fitted(10), 0.01)


def test_documents_calibrate_their_text_and_leave_rule_counted_tokens_alone() -> None:
    raw = count_tokens(
        conversation(4), model="claude-haiku-4-5", estimator=Estimator("x", 1.0, 0.0)
    )
    est = calibrate([(conversation(4), round(raw.total * 1.5))], model="claude-haiku-4-5")
    assert est.ratio == pytest.approx(1.5, rel=0.01)
    calibrated = count_tokens(conversation(4), model="claude-haiku-4-5", estimator=est)
    assert calibrated.total == pytest.approx(raw.total * 1.5, abs=3)


def test_estimated_counts_say_so_and_carry_a_bound() -> None:
    doc = Document(messages=(Message(role="user", parts=text("Hello, Claude. " * 50)),))
    exact = count_tokens(doc, model="gpt-4o")
    claude = count_tokens(doc, model="claude-sonnet-4-5")
    gemini = count_tokens(doc, model="gemini-2.5-pro")
    assert (exact.exact, exact.method) == (True, "tokenizer")
    for n in (claude, gemini):
        assert (n.exact, n.method) == (False, "estimate")
        assert n.error_bound >= round(n.total * 0.15)
    assert claude.total > exact.total  # the default Claude ratio is above 1


def test_calibration_needs_a_usable_sample() -> None:
    with pytest.raises(UsageError, match="at least one sample"):
        calibrate([("", 0)], model="claude-sonnet-4-5")
    with pytest.raises(UsageError):
        Estimator("x", 1.0, 0.1).fit([])
