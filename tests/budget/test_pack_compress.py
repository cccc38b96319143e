"""`pack(compress=...)`: compress before dropping, and say which messages were compressed."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifkit.aif import Document, decode, encode
from aifkit.budget import pack
from aifkit.budget.compressors import (
    CompressionAction,
    CompressionResult,
    CompressionTarget,
    compress,
)
from aifkit.budget.memory import SummaryCompressor
from aifkit.errors import BudgetError
from aifkit.testing import FakeSummarizer
from aifkit.tokens import count_tokens
from tests.budget.strategies import conversations

FILLER = " ".join(f"Day {i}: the nightly build passed all checks." for i in range(60))


def _body() -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": "Be brief."}]
    for i in range(6):
        text = FILLER + (" The vault code is 8812." if i == 1 else "")
        messages.append({"role": "user", "content": f"Log {i}: {text}"})
        messages.append({"role": "assistant", "content": f"Stored log {i}."})
    messages.append({"role": "user", "content": "What is the vault code?"})
    return {"model": "gpt-4o", "messages": messages}


def test_compressing_first_keeps_the_fact_dropping_loses() -> None:
    body = _body()
    dropped, plain = pack(body, format="openai-chat", model="gpt-4o", budget=900, compress=None)
    kept, report = pack(body, format="openai-chat", model="gpt-4o", budget=900, compress="extract")
    assert count_tokens(kept, format="openai-chat", model="gpt-4o").total <= 900
    assert len(kept["messages"]) > len(dropped["messages"])
    assert any("8812" in str(m["content"]) for m in kept["messages"])
    decisions = {i.pointer: i.decision for i in report.items}
    assert "compressed" in decisions.values()
    assert report.tokens_before == plain.tokens_before
    assert set(report.compressed) <= {int(p.split("/")[2]) for p, d in decisions.items()
                                      if d == "compressed" and p.startswith("/messages/")}  # fmt: skip
    assert all(i.decision != "dropped" for i in report.kept)
    assert report.to_json()["items"][1]["decision"] in {"kept", "compressed", "dropped"}


def test_nothing_is_compressed_when_everything_fits() -> None:
    body = _body()
    out, report = pack(
        body, format="openai-chat", model="gpt-4o", budget=100_000, compress="extract"
    )
    assert out == body
    assert report.compressed == frozenset()
    assert {i.decision for i in report.items} == {"kept"}


def test_a_partial_compressor_still_drops_what_does_not_fit() -> None:
    body = _body()
    out, report = pack(body, format="openai-chat", model="gpt-4o", budget=600, compress="dedupe")
    assert count_tokens(out, format="openai-chat", model="gpt-4o").total <= 600
    assert report.dropped


WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
]


def _chatter() -> dict[str, Any]:
    """Twelve old messages (no figures, so a summary can keep every fact) and a short turn."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": "Be brief."}]
    for i, word in enumerate(WORDS):
        line = f"Step {word}: we checked the pipeline again and nothing notable happened. "
        messages.append({"role": "user" if i % 2 == 0 else "assistant", "content": line * 3})
    messages.append({"role": "user", "content": "Status?"})
    return {"model": "gpt-4o", "messages": messages}


def _fake_summary() -> SummaryCompressor:
    text = "We went through the steps alpha to lima of the pipeline; nothing notable happened."
    return SummaryCompressor(FakeSummarizer([text]), checks="lenient")


@pytest.mark.parametrize("method", ["summary", "fake"])
def test_a_summary_pack_reports_every_original_message(method: str) -> None:
    body = _chatter()
    compress = "summary" if method == "summary" else _fake_summary()
    out, report = pack(body, format="openai-chat", model="gpt-4o", budget=200, compress=compress)
    assert count_tokens(out, format="openai-chat", model="gpt-4o").total <= 200
    assert len(out["messages"]) == 3  # the system message, the summary, the current turn
    assert out["messages"][1]["content"].startswith("[Summary of 12 earlier messages]")
    messages = [i for i in report.items if i.kind == "message"]
    # One item per message of the request as given (the system message is an instruction).
    assert [i.pointer for i in messages] == [f"/messages/{k}" for k in range(13)]
    folded, current = messages[:12], messages[12]
    assert {i.decision for i in folded} == {"summarized"}
    assert {i.group for i in folded} == {"/messages/0"}
    assert all(i.detail is not None and "/messages/0-/messages/11" in i.detail for i in folded)
    assert (current.decision, current.detail) == ("kept", None)
    assert report.summarized == frozenset(range(12))
    assert report.compressed == frozenset()
    assert not report.dropped
    # The summary's tokens are counted once, on the first message it stands for.
    assert folded[0].tokens > 0
    assert [i.tokens for i in folded[1:]] == [0] * 11
    assert sum(i.tokens for i in report.kept) + report.fixed["overhead"] == report.tokens_after
    plain = pack(body, format="openai-chat", model="gpt-4o", budget=200).report
    assert report.tokens_before == plain.tokens_before  # of the request as given
    assert report.categories()["history"]["kept"] == 12
    assert report.to_json()["items"][1]["decision"] == "summarized"
    assert "detail" in report.to_json()["items"][1]


def test_the_summary_compression_behind_the_pack_restores_exactly() -> None:
    document, _ = decode(_chatter(), "openai-chat")
    result = compress(document, CompressionTarget("gpt-4o", budget=180), method=_fake_summary())
    assert len(result.document.messages) == 2
    assert result.restore() == document


def test_a_pinned_message_is_never_folded_into_a_summary() -> None:
    body = _chatter()
    out, report = pack(
        body, format="openai-chat", model="gpt-4o", budget=200, compress="summary", pinned=[3]
    )
    assert body["messages"][4] in out["messages"]  # AIF message 3, word for word
    assert not report.summarized
    assert {i.decision for i in report.items} == {"kept", "dropped"}
    assert next(i for i in report.items if i.pointer == "/messages/3").decision == "kept"


class _Reverser:
    """Rewrites the message list in a way that is no fold (it reverses the old messages)."""

    name = "reverse"

    def compress(self, document: Document, target: CompressionTarget) -> CompressionResult:
        old = document.messages
        new = document.model_copy(update={"messages": (*reversed(old[:-1]), old[-1])})
        original = [m.model_dump(mode="json", by_alias=True) for m in old]
        action = CompressionAction("/messages", self.name, 10, 5, "reversed", original)
        return CompressionResult(new, 10, 5, (action,))


def test_a_list_change_no_report_can_follow_is_not_used() -> None:
    body = _chatter()
    out, report = pack(body, format="openai-chat", model="gpt-4o", budget=200, compress=_Reverser())
    plain, _ = pack(body, format="openai-chat", model="gpt-4o", budget=200, compress=None)
    assert out == plain
    assert {i.decision for i in report.items} == {"kept", "dropped"}


@given(document=conversations(), share=st.floats(0.1, 0.9))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_message_as_given_has_one_item_whatever_was_summarized(
    document: Document, share: float
) -> None:
    body, _ = encode(document, "openai-chat")
    given_doc, _ = decode(body, "openai-chat")
    budget = max(1, int(count_tokens(body, format="openai-chat", model="gpt-4o").total * share))
    summary = SummaryCompressor(
        FakeSummarizer(["Earlier turns, in short."], repeat=True), checks="off", on_reject="keep"
    )
    try:
        out, report = pack(
            body, format="openai-chat", model="gpt-4o", budget=budget, compress=summary
        )
    except BudgetError:
        return  # what must be kept alone passes the budget
    messages = [i for i in report.items if i.kind == "message"]
    assert [i.pointer for i in messages] == [
        f"/messages/{k}" for k in range(len(given_doc.messages))
    ]
    assert sum(i.tokens for i in report.kept) + report.fixed["overhead"] == report.tokens_after
    summarized = [i for i in messages if i.decision == "summarized"]
    assert {int(i.pointer.rsplit("/", 1)[1]) for i in summarized} <= report.summarized
    for item in messages:
        folded = int(item.pointer.rsplit("/", 1)[1]) in report.summarized
        assert folded == (item.detail is not None and "summary message" in item.detail)
        if folded:
            assert item.tokens == 0 or item.group == item.pointer  # counted once, on the first
    wrote = any("[Summary of" in str(m.get("content")) for m in out["messages"])
    assert wrote == bool(summarized)
