"""ExtractiveSummarizer: offline, within budget, facts first, then the central sentences."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.budget.memory import ExtractiveSummarizer, Summarizer, extract_facts, missing_facts
from aifkit.tokens import get_tokenizer
from tests.budget.memory.helpers import support_chat

TOK = get_tokenizer("o200k_base")

FILLER = [
    "We talked about the weather for a while and it was pleasant.",
    "The weather was pleasant again and everyone enjoyed the pleasant weather.",
    "Somebody mentioned lunch, which was also pleasant.",
]


def test_it_is_a_summarizer() -> None:
    assert isinstance(ExtractiveSummarizer(), Summarizer)


def test_short_text_comes_back_whole() -> None:
    assert ExtractiveSummarizer().summarize("One line. Two lines.", max_tokens=50) == (
        "One line. Two lines."
    )


def test_facts_come_first_and_the_budget_holds() -> None:
    facts = "Ship order ord_5521 to /srv/out/manifest.csv before 2025-03-14."
    text = " ".join([*FILLER, facts, *FILLER])
    out = ExtractiveSummarizer().summarize(text, max_tokens=TOK.count(facts) + 2)
    assert out == facts


def test_central_sentences_fill_what_is_left() -> None:
    text = " ".join([*FILLER, "Zebras xylophone quantum."])
    out = ExtractiveSummarizer().summarize(text, max_tokens=20)
    assert "pleasant" in out
    assert "Zebras" not in out
    assert TOK.count(out) <= 20


def test_focus_steers_the_choice() -> None:
    text = "Lunch was pasta with friends. The quarterly budget review slipped again."
    s = ExtractiveSummarizer()
    assert s.summarize(text, max_tokens=12, focus="budget review") == (
        "The quarterly budget review slipped again."
    )
    assert s.summarize(text, max_tokens=12, focus="pasta lunch") == "Lunch was pasta with friends."


def test_messages_are_summarized_as_a_condensed_transcript() -> None:
    out = ExtractiveSummarizer().summarize(support_chat().messages[:7], max_tokens=70)
    lines = out.splitlines()
    assert all(line.split(":", 1)[0] in ("user", "assistant", "tool") for line in lines)
    assert "ord_4471" in out
    assert "1Z999AA10123456784" in out
    assert "221 Baker Street" in out


def test_a_sentence_longer_than_the_budget_is_cut_into_pieces() -> None:
    long = " ".join(["chatter"] * 200) + " INC-99887 " + " ".join(["filler"] * 100)
    out = ExtractiveSummarizer().summarize(long, max_tokens=150)
    assert "INC-99887" in out
    assert TOK.count(out) <= 150


_SENTENCE = st.lists(
    st.sampled_from(["alpha", "beta", "Gamma", "ord_123", "/a/b.py", "42", "delta", "echo"]),
    min_size=2,
    max_size=12,
).map(lambda ws: " ".join(ws).capitalize() + ".")


@settings(max_examples=40, deadline=None)
@given(sentences=st.lists(_SENTENCE, min_size=1, max_size=20), budget=st.integers(5, 200))
def test_it_never_exceeds_its_budget_and_keeps_everything_when_it_fits(
    sentences: list[str], budget: int
) -> None:
    text = " ".join(sentences)
    out = ExtractiveSummarizer(TOK).summarize(text, max_tokens=budget)
    assert TOK.count(out) <= budget
    if TOK.count(text) <= budget:
        assert missing_facts(extract_facts(text), out) == []
