"""Usage metrics: provider usage read exactly, priced by genai-prices, patterns and exports."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from aifkit._cli import main
from aifkit.budget import Ledger, UsageRecord, pack, usage_from_response
from aifkit.errors import InvalidInputError
from aifkit.tokens import get_model

OPENAI = {
    "model": "gpt-4o-2024-08-06",
    "usage": {
        "prompt_tokens": 2000,
        "completion_tokens": 300,
        "prompt_tokens_details": {"cached_tokens": 1536},
        "completion_tokens_details": {"reasoning_tokens": 0},
    },
}
ANTHROPIC = {
    "model": "claude-sonnet-4-5",
    "usage": {
        "input_tokens": 40,
        "cache_creation_input_tokens": 500,
        "cache_read_input_tokens": 3000,
        "output_tokens": 120,
    },
}
RESPONSES = {
    "model": "o3",
    "usage": {
        "input_tokens": 900,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 700,
        "output_tokens_details": {"reasoning_tokens": 512},
    },
}


def test_each_provider_usage_shape_is_read_exactly() -> None:
    o = usage_from_response(OPENAI)
    assert (o.input_tokens, o.cache_read_tokens, o.output_tokens, o.prompt_tokens) == (
        464,
        1536,
        300,
        2000,
    )
    a = usage_from_response(ANTHROPIC)
    assert (a.input_tokens, a.cache_write_tokens, a.cache_read_tokens, a.prompt_tokens) == (
        40,
        500,
        3000,
        3540,
    )
    r = usage_from_response(RESPONSES)
    assert (r.prompt_tokens, r.output_tokens, r.reasoning_tokens) == (900, 700, 512)


def test_bad_usage_names_the_field() -> None:
    with pytest.raises(InvalidInputError) as info:
        usage_from_response({"model": "gpt-4o", "usage": {"prompt_tokens": "many"}})
    assert info.value.pointer == "/usage/prompt_tokens"
    with pytest.raises(InvalidInputError, match="usage"):
        usage_from_response({"model": "gpt-4o"})


def test_cost_is_genai_prices_for_every_record() -> None:
    ledger = Ledger([usage_from_response(OPENAI), usage_from_response(ANTHROPIC)])
    expected = sum(
        (
            get_model(r.model).cost(
                r.prompt_tokens,
                r.output_tokens,
                cache_read_tokens=r.cache_read_tokens,
                cache_write_tokens=r.cache_write_tokens,
            )
            for r in ledger
        ),
        Decimal(0),
    )
    summary = ledger.summary()
    assert Decimal(summary["cost_usd"]) == expected > 0
    # Cached reads are cheaper than fresh input: the same tokens uncached cost more.
    uncached = get_model("gpt-4o").cost(2000, 300)
    assert ledger.cost(usage_from_response(OPENAI)) < uncached


def test_unknown_models_are_reported_not_priced() -> None:
    summary = Ledger([UsageRecord("my-local-model", input_tokens=10)]).summary()
    assert summary["unpriced_models"] == ["my-local-model"]
    assert summary["cost_usd"] == "0"


def test_patterns_growth_shares_drops_and_task_quantiles() -> None:
    body = {
        "model": "gpt-4o",
        "messages": [
            *[{"role": "user", "content": f"filler message {i} " * 20} for i in range(12)],
            {"role": "user", "content": "and now?"},
        ],
    }
    _, report = pack(body, format="openai-chat", model="gpt-4o", budget=200, compress=None)
    ledger = Ledger()
    for i, prompt in enumerate((1000, 1500, 2100)):
        ledger.record(
            UsageRecord(
                "gpt-4o", input_tokens=prompt, output_tokens=10 * (i + 1), task="chat"
            ).with_pack(report)
        )
    s = ledger.summary()
    assert s["growth_per_turn"] == 550.0
    assert s["dropped_most"][0] == {
        "category": "history",
        "items": 3 * report.categories()["history"]["dropped"],
    }
    assert abs(sum(s["category_share"].values()) - 1) < 1e-3
    assert s["per_task"]["chat"] == {"requests": 3, "output_mean": 20.0, "output_p95": 30}


def test_ledger_round_trips_through_jsonl(tmp_path: Path) -> None:
    ledger = Ledger([usage_from_response(OPENAI), usage_from_response(ANTHROPIC)])
    ledger.save(tmp_path / "l.jsonl")
    assert list(Ledger.load(tmp_path / "l.jsonl")) == list(ledger)
    (tmp_path / "bad.jsonl").write_text('{"nope": 1}\n')
    with pytest.raises(InvalidInputError, match=r"bad\.jsonl:1"):
        Ledger.load(tmp_path / "bad.jsonl")


def test_otel_attributes_follow_the_genai_convention() -> None:
    attrs = Ledger().otel_attributes(usage_from_response(ANTHROPIC))
    assert attrs["gen_ai.usage.input_tokens"] == 3540
    assert attrs["gen_ai.usage.output_tokens"] == 120
    assert attrs["gen_ai.request.model"] == "claude-sonnet-4-5"


def test_cli_sums_responses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.json").write_text(json.dumps(OPENAI))
    (tmp_path / "b.jsonl").write_text(json.dumps(ANTHROPIC) + "\n" + json.dumps(RESPONSES) + "\n")
    code = main(
        [
            "usage",
            str(tmp_path / "a.json"),
            str(tmp_path / "b.jsonl"),
            "--ledger",
            str(tmp_path / "out.jsonl"),
            "--otel",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["requests"] == 3
    assert out["totals"]["prompt_tokens"] == 2000 + 3540 + 900
    assert len(out["otel"]) == 3
    assert len(Ledger.load(tmp_path / "out.jsonl")) == 3


RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "responses"


@pytest.mark.parametrize(
    "path",
    sorted(
        p for p in RECORDED.glob("*/*.json") if p.name != "queued.json" and p.name != "load.json"
    ),
    ids=lambda p: f"{p.parent.name}/{p.stem}",
)
def test_every_recorded_response_format_has_its_usage_read(path: Path) -> None:
    from aifkit.aif import decode_response
    from aifkit.budget._ledger import USAGE_FORMATS

    assert path.parent.name in USAGE_FORMATS
    body = json.loads(path.read_text())["body"]
    decoded, _ = decode_response(body, path.parent.name)
    assert decoded.usage is not None
    record = usage_from_response(body, model="gpt-4o" if decoded.model is None else None)
    # one meaning everywhere: prompt tokens counting cached ones, output counting reasoning
    assert record.prompt_tokens == (decoded.usage.input_tokens or 0)
    assert record.output_tokens == (decoded.usage.output_tokens or 0)
    assert record.cache_read_tokens == (decoded.usage.cache_read_tokens or 0)
    assert record.reasoning_tokens == (decoded.usage.reasoning_tokens or 0)


def test_gemini_usage_metadata_is_read_with_cache_and_thoughts() -> None:
    body = json.loads((RECORDED / "gemini" / "cached-content.json").read_text())["body"]
    record = usage_from_response(body)
    meta = body["usageMetadata"]
    assert record.model == body["modelVersion"]
    assert record.prompt_tokens == meta["promptTokenCount"]
    assert record.cache_read_tokens == meta["cachedContentTokenCount"]
    assert record.output_tokens == meta["candidatesTokenCount"] + meta["thoughtsTokenCount"]


def test_a_response_of_no_known_format_names_the_ones_read() -> None:
    with pytest.raises(InvalidInputError) as info:
        usage_from_response({"model": "x", "tokens_used": 12})
    assert "gemini" in str(info.value)
    assert "openai-chat" in str(info.value)
