"""Prompt-cache economics."""

from __future__ import annotations

import numpy as np

from aifkit.aif import Message, TextPart
from aifkit.budget import CacheRule
from aifkit.budget._prefix import choose, common_prefix


def test_within_the_trigger_the_prefix_is_kept() -> None:
    keep, reason = choose(
        sticky_tokens=90, fresh_tokens=10, rewrite_tokens=10, trigger=100, rule=CacheRule()
    )
    assert keep
    assert "within the trigger" in reason


def test_past_the_trigger_a_fresh_pack_must_pay_for_the_cache_rewrite() -> None:
    rule = CacheRule(read=0.1, write=1.25, horizon=10)
    # saves 1000 x 0.1 x 10 = 1000 > rewriting 500 x 1.25 = 625: repack
    assert not choose(
        sticky_tokens=3000, fresh_tokens=2000, rewrite_tokens=500, trigger=2500, rule=rule
    )[0]
    # saves 1000 < rewriting 2000 x 1.25: keep
    assert choose(
        sticky_tokens=3000, fresh_tokens=2000, rewrite_tokens=2000, trigger=2500, rule=rule
    )[0]


def test_common_prefix_counts_shared_leading_messages() -> None:
    a, b, c = (Message(role="user", parts=(TextPart(text=t),)) for t in "abc")
    tokens = np.array([5, 7, 9])
    assert common_prefix((a, b, c), (a, b, a), tokens) == 12
    assert common_prefix((), (a,), tokens) == 0
