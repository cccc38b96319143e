"""Truncation: head and tail with a marker, valid shortened JSON, code signatures kept."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.aif import Document, Message, TextPart
from aifkit.budget import CompressionTarget, Truncator
from aifkit.budget.compressors._truncate import _cap, truncate_code, truncate_json
from aifkit.tokens import get_tokenizer

TOK = get_tokenizer("o200k_base")


def _doc(*texts: str) -> Document:
    return Document(
        messages=(
            *(Message(role="user", parts=(TextPart(text=t),)) for t in texts),
            Message(role="user", parts=(TextPart(text="Now what?"),)),
        )
    )


def _text(doc: Document, i: int) -> str:
    part = doc.messages[i].parts[0]
    assert isinstance(part, TextPart)
    return part.text


def test_a_log_keeps_its_head_and_tail_around_a_marker() -> None:
    log = "\n".join(f"step {i}: ok" for i in range(500))
    result = Truncator().compress(_doc(log), CompressionTarget("gpt-4o", ratio=0.2))
    out = _text(result.document, 0)
    assert out.startswith("step 0: ok\n")
    assert out.endswith("step 499: ok")
    assert "tokens cut (" in out
    assert result.ratio <= 0.2


def test_the_longest_texts_are_cut_first_and_short_ones_kept() -> None:
    short = "A short note about lunch."
    long = "\n".join(f"row {i}: value {i * 3}" for i in range(400))
    result = Truncator().compress(_doc(short, long), CompressionTarget("gpt-4o", ratio=0.5))
    assert _text(result.document, 0) == short
    assert [a.pointer for a in result.actions] == ["/messages/1/parts/0"]


def test_json_stays_valid_and_keeps_its_structure() -> None:
    value = {"status": "ok", "items": [{"id": i, "name": f"item {i}"} for i in range(300)]}
    result = Truncator().compress(_doc(json.dumps(value)), CompressionTarget("gpt-4o", ratio=0.1))
    out = json.loads(_text(result.document, 0))
    assert out["status"] == "ok"
    assert out["items"][0] == {"id": 0, "name": "item 0"}
    assert any(isinstance(x, str) and "more items" in x for x in out["items"])
    assert out["items"][-1] == {"id": 299, "name": "item 299"}
    assert result.actions[0].detail.startswith("json:")


def test_code_keeps_its_signatures() -> None:
    code = "import os\n\n" + "".join(
        f"def step_{i}(x):\n" + "".join(f"    x = x * {k} + {i}\n" for k in range(20)) + "    return x\n\n"
        for i in range(10)
    )  # fmt: skip
    result = Truncator().compress(_doc(code), CompressionTarget("gpt-4o", ratio=0.4))
    out = _text(result.document, 0)
    for i in range(10):
        assert f"def step_{i}(x):" in out
    assert "lines cut …" in out
    assert result.actions[0].detail.startswith("code:")


def test_truncate_json_cuts_long_strings_in_the_middle() -> None:
    out = truncate_json({"log": "x" * 5000}, 60, TOK)
    assert out is not None
    assert "chars cut]" in json.loads(out)["log"]


def test_truncate_code_gives_up_when_the_signatures_do_not_fit() -> None:
    code = "\n".join(f"def f{i}(a, b, c):\n    return a" for i in range(50))
    assert truncate_code(code, 10, TOK) is None


@given(sizes=st.lists(st.integers(1, 5000), min_size=1, max_size=30), need=st.integers(1, 50_000))
def test_the_cap_saves_what_is_needed_when_it_can(sizes: list[int], need: int) -> None:
    cap = _cap(sizes, need)

    def saved(c: int) -> int:
        return sum(s - max(c, 14) for s in sizes if s > max(c, 14))

    if cap > 0:
        assert saved(cap) >= need
        assert saved(cap + 1) < need  # the largest such cap
    else:
        assert saved(0) < need  # out of reach


@settings(max_examples=20, deadline=None)
@given(lines=st.integers(50, 400), budget=st.integers(60, 400))
def test_never_above_the_budget(lines: int, budget: int) -> None:
    text = "\n".join(f"entry {i} with some words in it" for i in range(lines))
    result = Truncator().compress(_doc(text), CompressionTarget("gpt-4o", budget=budget))
    assert result.tokens_after <= budget


class _Superadditive:
    """Counts a text as more than its parts: every estimate truncate_code makes falls short."""

    name = "superadditive"

    def count(self, text: str) -> int:
        return len(text) + len(text) ** 2 // 200_000

    def encode(self, text: str) -> list[int]:
        return [0] * self.count(text)


def test_code_takes_bodies_back_in_doubling_batches_when_its_estimate_misses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One render per body taken back made a miss over many bodies n^2 (issue 11).
    from aifkit.budget.compressors import _truncate

    renders = 0
    render = _truncate._render  # pyright: ignore[reportPrivateUsage]

    def counted(*args: Any) -> str:
        nonlocal renders
        renders += 1
        return render(*args)

    monkeypatch.setattr(_truncate, "_render", counted)
    body = "".join(f"    y = y * x + {j}\n" for j in range(6))
    code = "".join(f"def f{i}(x):\n    y = {i}\n{body}    return y\n" for i in range(400))
    tok = _Superadditive()
    cap = tok.count(code) // 2
    out = truncate_code(code, cap, tok)  # type: ignore[arg-type]
    assert out is not None
    assert tok.count(out) <= cap
    assert renders <= 2 + math.ceil(math.log2(400)) + 1
