"""The gateway ledger: records round-trip, stats add up, the schema migrates in steps."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aifkit.errors import StoreError
from aifkit.gateway import GatewayLedger, RequestRecord

records = st.lists(
    st.builds(
        RequestRecord,
        id=st.uuids().map(str),
        started=st.floats(0, 1e9),
        model=st.sampled_from(["a", "b", "c"]),
        status=st.sampled_from([200, 429, 500]),
        input_tokens=st.integers(0, 10**6),
        output_tokens=st.integers(0, 10**5),
        tokens_saved=st.integers(0, 10**6),
        reports=st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    ),
    max_size=12,
    unique_by=lambda r: r.id,
)


@given(records)
def test_stats_add_up_and_records_round_trip(recs: list[RequestRecord]) -> None:
    ledger = GatewayLedger(":memory:")
    for rec in recs:
        ledger.record(rec)
    stats = ledger.stats()
    assert stats["totals"]["requests"] == len(recs)
    assert stats["totals"]["tokens_saved"] == sum(r.tokens_saved for r in recs)
    assert stats["totals"]["errors"] == sum(r.status >= 400 for r in recs)
    assert sum(m["input_tokens"] for m in stats["models"].values()) == sum(r.input_tokens for r in recs)  # fmt: skip
    for rec in recs:
        assert ledger.get(rec.id) == rec
    # The usage fold takes the answered requests, every prompt token of each once.
    answered = [r for r in recs if r.status == 200]
    book = ledger.usage()
    assert len(book) == len(answered)
    assert sum(u.prompt_tokens for u in book) == sum(r.input_tokens for r in answered)


def test_a_packed_request_brings_its_categories_into_the_usage_summary() -> None:
    from aifkit.budget import pack

    turns = [{"role": "user" if i % 2 else "assistant", "content": f"Turn {i} of the plan. " * 20} for i in range(40)]  # fmt: skip
    body = {"model": "gpt-4o", "messages": [{"role": "system", "content": "Be brief."}, *turns]}
    _, report = pack(body, format="openai-chat", model="gpt-4o", budget=600)
    ledger = GatewayLedger(":memory:")
    rec = RequestRecord(id="p", started=0.0, model="gpt-4o", status=200, input_tokens=report.tokens_after, reports={"pack": report.to_json()})  # fmt: skip
    ledger.record(rec)
    usage = ledger.summary()["usage"]
    dropped = {d["category"]: d["items"] for d in usage["dropped_most"]}
    assert dropped == {c: v["dropped"] for c, v in report.categories().items() if v["dropped"]}
    kept = {c: v["kept_tokens"] for c, v in report.categories().items()}
    assert usage["category_share"] == {c: round(n / sum(kept.values()), 4) for c, n in sorted(kept.items(), key=lambda kv: -kv[1])}  # fmt: skip


def test_an_old_ledger_migrates_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    ledger = GatewayLedger(path)
    ledger.record(RequestRecord(id="r1", started=1.0, model="gpt-4o", tokens_saved=1_000_000))
    ledger.close()
    db = sqlite3.connect(path)  # roll back the last steps, as a ledger written before them
    db.execute("DELETE FROM migrations WHERE step >= 2")
    db.execute("ALTER TABLE requests DROP COLUMN cost_saved")
    db.execute("ALTER TABLE requests DROP COLUMN upstream_calls")
    db.commit()
    db.close()
    again = GatewayLedger(path)
    rec = again.get("r1")
    assert rec is not None
    assert (rec.tokens_saved, rec.cost_saved, rec.upstream_calls) == (1_000_000, None, 0)
    assert [r[0] for r in again._db.execute("SELECT step FROM migrations ORDER BY step")] == [0, 1, 2, 3]  # pyright: ignore[reportPrivateUsage]  # fmt: skip
    again.close()


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    path.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(StoreError, match="gateway ledger"):
        GatewayLedger(path)


def test_two_gateways_share_one_ledger_file(tmp_path: Path) -> None:
    from aifkit.gateway import GatewayConfig, Route, create_app
    from aifkit.testing import FakeOpenAIServer
    from tests.gateway.conftest import call

    path = str(tmp_path / "shared.db")
    with FakeOpenAIServer(["ok"], repeat=True) as fake:
        config = GatewayConfig(routes=(Route(upstream=fake.base_url),), ledger=path)
        apps = [create_app(config), create_app(config)]  # as two worker processes would
        body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
        for app in apps * 2:
            assert call(app, "POST", "/v1/chat/completions", json=body).status_code == 200
        assert [call(app, "GET", "/stats").json()["totals"]["requests"] for app in apps] == [4, 4]
