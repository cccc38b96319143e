"""`pack(compress=...)`: compress before dropping, and say which messages were compressed."""

from __future__ import annotations

from typing import Any

from aifkit.budget import pack
from aifkit.tokens import count_tokens

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
    dropped, plain = pack(body, format="openai-chat", model="gpt-4o", budget=900)
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
