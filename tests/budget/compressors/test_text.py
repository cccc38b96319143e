"""Text helpers: kinds, chunks that rebuild the text, head and tail cuts, gists."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from aifkit.budget.compressors._text import chunks, gist, head_tail, kind_of, prefix
from aifkit.tokens import get_tokenizer

TOK = get_tokenizer("o200k_base")


@given(st.text(max_size=2000), st.sampled_from(["prose", "code", "json"]))
def test_chunks_concatenate_back_to_the_text(text: str, kind: str) -> None:
    assert "".join(chunks(text, kind)) == text  # type: ignore[arg-type]


def test_kinds() -> None:
    assert kind_of('[{"a": 1}]') == "json"
    assert (
        kind_of("public class A {\n  private int x;\n  public int get() {\n    return x;\n  }\n}")
        == "code"
    )
    assert kind_of("Hello there.\nHow are you?") == "prose"


def test_head_tail_marks_what_it_cut() -> None:
    text = "\n".join(f"line {i}" for i in range(300))
    out, cut = head_tail(text, 60, TOK)
    assert out.startswith("line 0\n")
    assert out.endswith("line 299")
    assert f"[… {cut:,} tokens cut" in out
    assert TOK.count(out) <= 60 + 2


def test_head_tail_leaves_short_text_alone() -> None:
    assert head_tail("short", 50, TOK) == ("short", 0)


@given(st.text(min_size=1, max_size=300), st.integers(1, 40))
def test_prefix_is_a_start_within_the_tokens(text: str, n: int) -> None:
    head = prefix(text, n, TOK)
    assert text.startswith(head)
    assert TOK.count(head) <= n


def test_gist_of_empty_and_long_lines() -> None:
    assert gist("   \n  ") == "(empty)"
    assert gist("x" * 200, width=10) == "xxxxxxxxx…"
    assert gist("[1, 2, 3]") == "JSON array of 3 items"


# The sentence splitter as it was before issue 11: ``\n\s*\n`` rescans a run of blank
# lines from each of its newlines (n^2 on n newlines).
_QUADRATIC_SENTENCE = re.compile(
    r"(?<=[.!?])(?=\s+[\"'(\[]?[A-Z0-9])|(?=\n\s*\n)|(?=\n\s*(?:[-*•]|\d+[.)])\s)"
)


@given(st.text(alphabet=st.sampled_from(list('\n\r\t \x0b\x85-*•1.)!?aA"(')), max_size=80))
def test_prose_splits_fall_where_the_quadratic_pattern_put_them(text: str) -> None:
    # Splits at m.start() > previous split, as chunks() takes them.
    expected: list[str] = []
    start = 0
    for m in _QUADRATIC_SENTENCE.finditer(text):
        if m.start() > start:
            expected.append(text[start : m.start()])
            start = m.start()
    if start < len(text):
        expected.append(text[start:])
    assert chunks(text, "prose") == expected
