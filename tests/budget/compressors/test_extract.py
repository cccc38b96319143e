"""Extractive compression: relevant sentences survive, and the requested ratio is hit within ±5 %."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from aifkit.aif import Document, Message, TextPart, ToolCallPart, ToolResultPart
from aifkit.budget import CompressionTarget, ExtractiveCompressor, SemanticScorer
from aifkit.budget.compressors._extract import MAX_CHUNK
from aifkit.errors import MissingDependencyError
from aifkit.tokens import count_tokens
from tests.budget.compressors.strategies import floor, long_conversations


def _msg(role: Any, text: str) -> Message:
    return Message(role=role, parts=(TextPart(text=text),))


def _haystack(needle: str, depth: float, sentences: int = 300) -> str:
    filler = [
        f"On day {i} the team reviewed ticket {i * 7} and closed it." for i in range(sentences)
    ]
    filler.insert(int(depth * sentences), needle)
    return " ".join(filler)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=long_conversations(), ratio=st.floats(0.1, 0.9))
def test_the_requested_ratio_is_hit_within_five_percent(doc: Document, ratio: float) -> None:
    before = count_tokens(doc, model="gpt-4o").total
    target = CompressionTarget("gpt-4o", ratio=ratio)
    # Meaningful when what is never compressed, with a marker for each text cut
    # away, is well within the goal.
    assume(before >= 1500 and floor(doc, target) <= target.goal(before) * 0.5)
    result = ExtractiveCompressor().compress(doc, target)
    assert result.ratio <= ratio
    assert result.ratio >= ratio * 0.95


@pytest.mark.parametrize("depth", [0.0, 0.25, 0.5, 0.75, 1.0])
@pytest.mark.parametrize("ratio", [0.5, 0.25, 0.1])
def test_a_needle_at_any_depth_survives(depth: float, ratio: float) -> None:
    needle = "The staging database password is tulip-42."
    doc = Document(
        messages=(
            _msg("user", _haystack(needle, depth)),
            _msg("assistant", "I have read the log."),
            _msg("user", "What is the staging database password?"),
        )
    )
    result = ExtractiveCompressor().compress(doc, CompressionTarget("gpt-4o", ratio=ratio))
    assert "tulip-42" in result.document.messages[0].parts[0].text  # type: ignore[union-attr]
    assert 0.95 * ratio <= result.ratio <= ratio


def test_kept_chunks_stay_in_order_with_gap_markers() -> None:
    text = " ".join(f"Sentence {i} talks about topic {i}." for i in range(100))
    doc = Document(messages=(_msg("user", text), _msg("user", "What about topic 42 and 77?")))
    result = ExtractiveCompressor().compress(doc, CompressionTarget("gpt-4o", ratio=0.2))
    part = result.document.messages[0].parts[0]
    assert isinstance(part, TextPart)
    out = part.text
    assert "[…]" in out
    assert out.index("topic 42") < out.index("topic 77")
    action = result.actions[0]
    assert action.method == "extract"
    assert action.original == {"type": "text", "text": text}


def test_tool_results_are_extracted_in_place_and_stay_paired() -> None:
    log = "\n".join(f"INFO request {i} served in {i % 17} ms" for i in range(300))
    log = log.replace("request 150 served", "ERROR request 150 failed: disk quota exceeded")
    doc = Document(
        messages=(
            _msg("user", "Check the server log."),
            Message(role="assistant", parts=(ToolCallPart(id="c1", name="read_log"),)),
            Message(
                role="tool",
                parts=(ToolResultPart(call_id="c1", content=(TextPart(text=log),)),),
            ),
            _msg("assistant", "I read it."),
            _msg("user", "Why did request 150 fail? Which error?"),
        )
    )
    result = ExtractiveCompressor().compress(doc, CompressionTarget("gpt-4o", ratio=0.2))
    part = result.document.messages[2].parts[0]
    assert isinstance(part, ToolResultPart)
    assert part.call_id == "c1"
    kept = part.content[0]
    assert isinstance(kept, TextPart)
    assert "disk quota exceeded" in kept.text
    assert result.actions[0].pointer == "/messages/2/parts/0/content/0"


def test_a_sentence_longer_than_a_chunk_is_split() -> None:
    words = " ".join(f"word{i}" for i in range(2000))
    doc = Document(messages=(_msg("user", words), _msg("user", "word1500?")))
    result = ExtractiveCompressor().compress(doc, CompressionTarget("gpt-4o", ratio=0.1))
    assert "word1500" in result.document.messages[0].parts[0].text  # type: ignore[union-attr]
    assert MAX_CHUNK < 2000


def test_semantic_without_its_extra_names_the_install() -> None:
    with pytest.raises(MissingDependencyError, match=r"aifkit\[semantic\]"):
        ExtractiveCompressor(scorer="semantic")


def test_any_scorer_can_be_given() -> None:
    def embed(texts: Any) -> Any:  # a toy embedding: which of a few topics a text names
        topics = ["invoice", "holiday", "password"]
        return np.array([[t.lower().count(w) for w in topics] + [0.01] for t in texts])

    text = " ".join(
        ["The invoice is due Monday."] * 20 + ["The password is kept in the safe."]
        + ["The holiday starts in June."] * 20
    )  # fmt: skip
    doc = Document(messages=(_msg("user", text), _msg("user", "Where is the password?")))
    compressor = ExtractiveCompressor(scorer=SemanticScorer(embed))
    result = compressor.compress(doc, CompressionTarget("gpt-4o", ratio=0.15))
    assert "kept in the safe" in result.document.messages[0].parts[0].text  # type: ignore[union-attr]
