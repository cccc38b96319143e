"""Offline fact extraction and the summary checks built on it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit.budget.memory import SummaryChecks, check_summary, extract_facts, missing_facts


def _found(text: str, **kw: int) -> set[tuple[str, str]]:
    return {(f.kind, f.value) for f in extract_facts(text, **kw)}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://example.com/a?b=1.", {("url", "https://example.com/a?b=1")}),
        ("mail ops@acme.io now", {("email", "ops@acme.io")}),
        ("open /etc/nginx/nginx.conf, then", {("path", "/etc/nginx/nginx.conf")}),
        ("edit src/app/main.py", {("path", "src/app/main.py")}),
        (r"at C:\Users\dana\report.docx", {("path", r"C:\Users\dana\report.docx")}),
        ("ticket INC-4521 and ord_77x", {("id", "INC-4521"), ("id", "ord_77x")}),
        (
            "uuid 123e4567-e89b-12d3-a456-426614174000",
            {("id", "123e4567-e89b-12d3-a456-426614174000")},
        ),
        (
            "pay 1,250.50 or 99% at 14:30 on 2024-05-01",
            {
                ("number", "1250.50"),
                ("number", "99%"),
                ("number", "14:30"),
                ("number", "2024-05-01"),
            },
        ),
        (
            "we met Alice Smith in Paris with the Ministry of Defence",
            {("entity", "Alice Smith"), ("entity", "Paris"), ("entity", "Ministry of Defence")},
        ),
        ("PostgreSQL and NASA", {("entity", "PostgreSQL"), ("entity", "NASA")}),
        ("The cat sat. It was fine. Yes!", set()),
    ],
)
def test_each_kind_is_found(text: str, expected: set[tuple[str, str]]) -> None:
    assert _found(text) == expected


def test_short_numbers_can_be_ignored_and_paths_are_not_numbers() -> None:
    assert _found("3 files in /srv/app-2/run.log", min_number_digits=2) == {
        ("path", "/srv/app-2/run.log")
    }


def test_missing_facts_match_numbers_as_numbers_and_names_ignoring_case() -> None:
    facts = extract_facts("Alice Smith paid 1,250 for INV-77 to /b/q3.pdf")
    assert missing_facts(facts, "alice smith paid 1250 for INV-77 to /b/q3.pdf") == []
    assert [f.value for f in missing_facts(facts, "Alice paid 1250 for inv-77")] == [
        "Alice Smith", "INV-77", "/b/q3.pdf"]  # fmt: skip


@pytest.mark.parametrize(
    ("original", "summary", "reason"),
    [
        ("ok", "", "the summary is empty"),
        ("ok", "Sorry, the model is overloaded.", "an apology or error at the start"),
        ("ok", "As an AI language model, I cannot", "an apology or error at the start"),
        ("ok", "The reply: 429 Too Many Requests", "HTTP error text"),
        ("ok", "Summary\nerror: context window exceeded", "an error line"),
        ("ok", "rate limit exceeded, retry later", "an API error"),
        ("ok", "<!DOCTYPE html><html>Bad gateway</html>", "an HTML page"),
    ],
)
def test_error_text_posing_as_a_summary_is_refused(
    original: str, summary: str, reason: str
) -> None:
    assert reason in (check_summary(original, summary, checks=SummaryChecks()) or "")


def test_error_text_the_original_had_may_be_summarized() -> None:
    original = "The deploy failed with 503 Service Unavailable.\nError: upstream timed out."
    summary = "Deploy failed: 503 Service Unavailable; Error: upstream timed out."
    assert check_summary(original, summary, checks=SummaryChecks()) is None


def test_strictness_presets() -> None:
    original = "Bob fixed 3 bugs in /src/x.py for Acme Corp."
    summary = "Bugs fixed in /src/x.py."
    assert "Acme Corp" in (check_summary(original, summary, checks=SummaryChecks()) or "")
    assert "3 (number)" in (
        check_summary(original, summary, checks=SummaryChecks.preset("strict")) or ""
    )
    assert check_summary(original, summary, checks=SummaryChecks.preset("lenient")) is None
    assert check_summary(original, "x", checks=SummaryChecks.preset("off")) is None


def test_the_budget_is_checked_with_the_given_counter() -> None:
    def words(s: str) -> int:
        return len(s.split())

    assert check_summary("a b c d", "a b c", checks=SummaryChecks(), max_tokens=2, count=words) == (
        "the summary takes 3 tokens, over its budget of 2"
    )


_TOKEN = st.from_regex(r"[A-Za-z][a-z]{2,8}|[A-Z]{2,4}-\d{2,5}|/[a-z]{1,6}/[a-z]{1,6}\.py|\d{2,6}",
                       fullmatch=True)  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(words=st.lists(_TOKEN, min_size=1, max_size=30))
def test_the_original_itself_always_passes(words: list[str]) -> None:
    # Invariant: a "summary" that is the original loses nothing, so it is never refused for loss.
    original = " ".join(words) + "."
    assert missing_facts(extract_facts(original, min_number_digits=1), original) == []
