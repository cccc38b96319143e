"""Logs: errors, warnings, traces and the edges outrank repeated traffic; templates collapse."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from aifkit.budget.compressors._layout import render
from aifkit.budget.compressors._logs import log_layout, template


def _log(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [
        f"2026-03-04T10:{i // 60 % 60:02d}:{i % 60:02d}Z INFO served /api/{rng.randint(1, 999)} "
        f"in {rng.randint(1, 90)}ms"
        for i in range(n)
    ]


def test_lines_score_by_level_the_fatal_line_highest_then_errors_and_their_traces() -> None:
    lines = _log(300)
    lines[150] = "2026-03-04T10:02:30Z ERROR payment failed: card declined"
    lines.insert(151, "  at charge (billing.py:42)")
    lines[200] = "2026-03-04T10:03:20Z FATAL ledger checksum mismatch, aborting"
    lines[250] = "2026-03-04T10:04:10Z WARN slow query took 3200ms"
    lay = log_layout("\n".join(lines) + "\n")
    scores = {p.text.strip(): p.score for p in lay.pieces}
    assert max(scores.values()) == scores[lines[200]] == 1.0
    assert scores["2026-03-04T10:02:30Z ERROR payment failed: card declined"] == 0.9
    assert scores["at charge (billing.py:42)"] == 0.9
    assert scores[lines[250]] == 0.7
    assert scores[lines[0]] >= 0.8
    assert scores[lines[-1]] >= 0.8
    assert sorted(p.score for p in lay.pieces)[len(lay.pieces) // 2] < 0.1  # traffic is cheap


def test_a_repeated_template_collapses_into_one_marker_with_its_count_and_fields() -> None:
    lines = _log(200)
    lay = log_layout("\n".join(lines) + "\n")
    keep = [p.score >= 0.8 for p in lay.pieces]
    text, elided = render(lay, keep)
    markers = [line for line in text.splitlines() if "elided, ref" in line]
    assert len(markers) == 1
    assert "196 log lines like" in markers[0]
    assert "ms" in markers[0]
    assert template(lines[0]) == "INFO served /api/<*> in <*>ms"
    (body,) = elided.values()
    assert body.splitlines() == lines[2:-2]  # exactly what was left out, in order


_LEVELS = {"FATAL": 1.0, "panic": 1.0, "corrupted": 1.0, "ERROR": 0.9, "failed": 0.9,
           "timed out": 0.9, "WARN": 0.7, "retrying": 0.7, "slow": 0.7}  # fmt: skip


@given(st.lists(st.sampled_from([*_LEVELS, "INFO", "served", "x=1", "ok."]), max_size=6))
def test_a_line_scores_as_the_highest_level_it_names(words: list[str]) -> None:
    lines = _log(40)
    lines[20] = "2026-03-04T10:00:20Z " + " ".join(words)
    score = log_layout("\n".join(lines) + "\n").pieces[20].score
    named = [_LEVELS[w] for w in words if w in _LEVELS]
    assert score == max(named) if named else score < 0.7
