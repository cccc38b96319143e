"""Recorded response bodies: exact same-format round trips, every cross-format
conversion valid for the target's official SDK, and loss reports that point into
the source body and name what the target could not carry."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from aifkit.aif import (
    convert,
    convert_response,
    decode_response,
    decode_usage,
    encode_response,
    response_formats,
)
from aifkit.aif._response_convert import RESPONSES
from tests.aif.responses.sdk import check

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "responses"
CASES = sorted(f"{p.parent.name}/{p.stem}" for p in FIXTURES.glob("*/*.json"))
FORMATS = response_formats()


@cache
def load(case: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{case}.json").read_text("utf-8"))
    return data


def resolve(body: Any, pointer: str) -> Any:
    """Return the value ``pointer`` names in ``body``; raise KeyError when it names nothing."""
    node = body
    if not pointer:
        return node
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(token)]  # pyright: ignore[reportUnknownVariableType]
        elif isinstance(node, dict) and token in node:
            node = node[token]  # pyright: ignore[reportUnknownVariableType]
        else:
            raise KeyError(pointer)
    return node  # pyright: ignore[reportUnknownVariableType]


def test_every_format_with_responses_has_recorded_fixtures() -> None:
    assert set(FORMATS) == {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    assert len(FORMATS) == 8


@pytest.mark.parametrize("case", CASES)
def test_fixture_names_its_source(case: str) -> None:
    fixture = load(case)
    assert set(fixture) == {"source", "description", "body"}
    assert fixture["source"].split("@")[0].count("/") == 1  # owner/repo@commit:path
    assert ":" in fixture["source"]


@pytest.mark.parametrize("case", CASES)
def test_same_format_round_trip_is_exact(case: str) -> None:
    fmt = case.split("/")[0]
    body = load(case)["body"]
    response, _ = decode_response(body, fmt)
    out, report = encode_response(response, fmt)
    assert out == body
    assert list(out) == list(body)  # the source's field order too
    assert not report.dropped
    # Through AIF as JSON and back, too.
    as_json, _ = convert_response(body, source=fmt, target="aif")
    again, _ = convert_response(json.loads(json.dumps(as_json)), source="aif", target=fmt)
    assert again == body


@pytest.mark.parametrize("case", CASES)
def test_decode_usage_reads_what_decode_response_reads(case: str) -> None:
    fmt = case.split("/")[0]
    body = load(case)["body"]
    assert decode_usage(body, fmt) == decode_response(body, fmt)[0].usage


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("target", FORMATS)
def test_conversion_is_valid_for_the_target_sdk_and_reports_into_the_source(
    case: str, target: str
) -> None:
    source = case.split("/")[0]
    body = load(case)["body"]
    out, report = convert(body, source=source, target=target, kind="response")
    if target != source:  # a same-format body is the recorded one, checked above
        check(target, out)
    for entry in report:
        resolve(body, entry.pointer)  # raises if the pointer names nothing in the source


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("target", FORMATS)
def test_message_content_that_does_not_arrive_is_reported(case: str, target: str) -> None:
    source = case.split("/")[0]
    body = load(case)["body"]
    decoded = RESPONSES.get(source).decode_response(body)
    before = decoded.response.message
    out, report = convert_response(body, source=source, target=target)
    after, _ = decode_response(out, target)
    pointers = [e.pointer for e in report]
    for k, part in enumerate(before.parts):
        kind = part.type
        arrived = [p for p in after.message.parts if p.type == kind]
        if kind == "text":
            texts = "".join(getattr(p, "text", "") for p in arrived)
            gone = getattr(part, "text", "") not in texts
        elif kind == "tool_call":
            gone = getattr(part, "name", None) not in [getattr(p, "name", None) for p in arrived]
        elif kind == "reasoning":
            signature = getattr(part, "signature", None)
            gone = not arrived or (
                signature is not None
                and signature not in [getattr(p, "signature", None) for p in arrived]
            )
        else:
            gone = not arrived
        if gone:
            where = "/" + "/".join(
                str(p) for p in decoded.source_map.translate(("message", "parts", k))
            )
            assert any(p.startswith(where) or where.startswith(p + "/") for p in pointers if p), (
                f"{source} part {k} ({kind}) lost on the way to {target} without a report"
            )


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("target", FORMATS)
def test_provider_only_fields_are_reported_when_dropped(case: str, target: str) -> None:
    source = case.split("/")[0]
    if target == source:
        return
    body = load(case)["body"]
    decoded = RESPONSES.get(source).decode_response(body)
    _, report = convert_response(body, source=source, target=target)
    pointers = {e.pointer for e in report}
    response = decoded.response
    extras: list[tuple[str | int, ...]] = []
    for key in response.extensions.get(source, {}).get("extra", {}):
        extras.append(("extensions", source, "extra", key))
    if response.usage is not None:
        for key in response.usage.extensions.get(source, {}).get("extra", {}):
            extras.append(("usage", "extensions", source, "extra", key))
    for path in extras:
        where = "/" + "/".join(str(p) for p in decoded.source_map.translate(path))
        assert where in pointers, f"{where} left out of the {target} report"


def test_usage_counts_cross_formats_with_cache_and_reasoning() -> None:
    body = load("anthropic/cache-read")["body"]
    usage = body["usage"]
    out, report = convert_response(body, source="anthropic", target="openai-chat")
    total_in = (
        usage["input_tokens"]
        + usage["cache_read_input_tokens"]
        + usage["cache_creation_input_tokens"]
    )
    assert out["usage"]["prompt_tokens"] == total_in
    assert out["usage"]["prompt_tokens_details"] == {
        "cached_tokens": usage["cache_read_input_tokens"]
    }
    assert ("/usage/cache_creation_input_tokens", "dropped") in {
        (e.pointer, e.action) for e in report
    }
    # Back to Anthropic: the uncached count is split out again.
    back, _ = convert_response(out, source="openai-chat", target="anthropic")
    assert back["usage"]["input_tokens"] == total_in - usage["cache_read_input_tokens"]


def test_gemini_output_counts_include_thoughts() -> None:
    body = load("gemini/thought-signature")["body"]
    meta = body["usageMetadata"]
    response, _ = decode_response(body, "gemini")
    assert response.usage is not None
    assert response.usage.output_tokens == meta["candidatesTokenCount"] + meta["thoughtsTokenCount"]
    assert response.usage.reasoning_tokens == meta["thoughtsTokenCount"]
    out, _ = encode_response(response, "openai-chat")
    assert (
        out["usage"]["completion_tokens_details"]["reasoning_tokens"] == meta["thoughtsTokenCount"]
    )


@pytest.mark.parametrize(
    ("case", "finish"),
    [
        ("anthropic/parallel-tool-use", "tool_calls"),
        ("anthropic/thinking", "stop"),
        ("gemini/function-calls", "tool_calls"),
        ("gemini/max-tokens", "length"),
        ("gemini/safety", "content_filter"),
        ("bedrock-converse/max-tokens", "length"),
        ("openai-responses/function-calls", "tool_calls"),
        ("openai-responses/queued", "other"),
        ("ollama/tool-calls", "tool_calls"),
        ("cohere/plain", "stop"),
        ("cohere/tool-calls", "tool_calls"),
        ("cohere/max-tokens", "length"),
        ("mistral/tool-calls", "tool_calls"),
        ("openai-chat/tool-calls", "tool_calls"),
    ],
)
def test_finish_reasons_are_normalized(case: str, finish: str) -> None:
    fmt = case.split("/")[0]
    response, _ = decode_response(load(case)["body"], fmt)
    assert response.finish_reason == finish
    assert response.raw_finish_reason is not None or fmt == "openai-responses"


def test_reasoning_signature_is_reported_where_the_target_cannot_replay_it() -> None:
    body = load("anthropic/thinking")["body"]
    for target in ("openai-chat", "bedrock-converse", "gemini"):
        out, report = convert_response(body, source="anthropic", target=target)
        assert body["content"][0]["signature"] not in json.dumps(out)
        assert ("/content/0", "dropped") in {(e.pointer, e.action) for e in report}
    # Kept as text when asked to.
    from aifkit.aif import EncodeOptions

    out, report = convert_response(
        body, source="anthropic", target="openai-chat", options=EncodeOptions(reasoning="text")
    )
    assert body["content"][0]["thinking"][:40] in out["choices"][0]["message"]["content"]


def test_media_a_target_reply_cannot_hold_is_reported() -> None:
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    body = {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"text": "Here:"},
                        {"inlineData": {"mimeType": "image/png", "data": png}},
                    ],
                },
                "finishReason": "STOP",
            }
        ]
    }
    for target in ("anthropic", "openai-chat", "openai-responses", "ollama", "cohere", "mistral"):
        out, report = convert_response(body, source="gemini", target=target)
        check(target, out)
        assert png not in json.dumps(out)
        entry = next(e for e in report if e.pointer == "/candidates/0/content/parts/1")
        assert (entry.action, entry.rule) == ("dropped", f"{target}/no-output-media")
    out, report = convert_response(body, source="gemini", target="bedrock-converse")
    assert out["output"]["message"]["content"][1]["image"]["format"] == "png"
    assert not report.dropped


def test_further_choices_are_kept_for_openai_and_reported_elsewhere() -> None:
    body = json.loads(json.dumps(load("openai-chat/reasoning-tokens")["body"]))
    second = {**body["choices"][0], "index": 1}
    body["choices"].append(second)
    again, report = convert_response(body, source="openai-chat", target="openai-chat")
    assert again == body
    assert report.lossless
    _, report = convert_response(body, source="openai-chat", target="anthropic")
    assert ("/choices/1", "dropped") in {(e.pointer, e.action) for e in report}


def test_strict_refuses_a_lossy_response_conversion() -> None:
    from aifkit.errors import LossyConversionError

    body = load("openai-chat/reasoning-tokens")["body"]
    with pytest.raises(LossyConversionError):
        convert(body, source="openai-chat", target="cohere", kind="response", strict=True)
    out, _ = convert(body, source="openai-chat", target="openai-chat", kind="response", strict=True)
    assert out == body


def test_ollama_times_keep_their_nanoseconds_and_offset() -> None:
    body = {
        **load("ollama/structured-output")["body"],
        "created_at": "2023-08-04T08:52:19.385406455-07:00",
    }
    response, _ = decode_response(body, "ollama")
    assert response.created_at is not None
    assert response.created_at.isoformat() == "2023-08-04T08:52:19.385406-07:00"
    out, _ = encode_response(response, "ollama")
    assert out == body
    # Another format writes the instant in its own way.
    chat, _ = convert_response(body, source="ollama", target="openai-chat")
    assert chat["created"] == int(response.created_at.timestamp())


def test_an_edited_finish_reason_wins_over_the_recorded_word() -> None:
    body = load("anthropic/thinking")["body"]
    response, _ = decode_response(body, "anthropic")
    assert response.raw_finish_reason == "end_turn"
    edited = response.model_copy(update={"finish_reason": "length"})
    out, _ = encode_response(edited, "anthropic")
    assert out["stop_reason"] == "max_tokens"
    out, report = encode_response(
        response.model_copy(update={"finish_reason": "error"}), "anthropic"
    )
    assert out["stop_reason"] == "end_turn"
    assert [(e.pointer, e.action) for e in report if e.rule == "anthropic/finish-reason"] == [
        ("/finish_reason", "transformed")
    ]
