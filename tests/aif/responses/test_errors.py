"""Malformed response bodies: an `InvalidInputError` whose pointer names the place in
the response body (not in the request the message is read through)."""

from __future__ import annotations

from typing import Any

import pytest

from aifkit.aif import decode_response, encode_response, response_formats
from aifkit.aif._response_convert import RESPONSES, convert_response
from aifkit.errors import InvalidInputError, UnknownNameError

_TEXT = {"role": "assistant", "content": "hi"}


@pytest.mark.parametrize(
    ("fmt", "body", "pointer"),
    [
        ("openai-chat", {"choices": "x"}, "/choices"),
        ("openai-chat", {"choices": []}, "/choices"),
        ("openai-chat", {"choices": [{"message": 3}]}, "/choices/0/message"),
        (
            "openai-chat",
            {"choices": [{"message": {"role": "assistant", "content": 3}}]},
            "/choices/0/message/content",
        ),
        (
            "openai-chat",
            {"choices": [{"message": _TEXT}], "usage": {"prompt_tokens": "9"}},
            "/usage/prompt_tokens",
        ),
        (
            "openai-chat",
            {"choices": [{"message": _TEXT, "finish_reason": 3}]},
            "/choices/0/finish_reason",
        ),
        ("openai-chat", {"choices": [{"message": _TEXT}], "created": "x"}, "/created"),
        ("anthropic", {"content": {}}, "/content"),
        ("anthropic", {"content": [{"type": "text", "text": 1}]}, "/content/0/text"),
        ("anthropic", {"content": [], "usage": {"input_tokens": True}}, "/usage/input_tokens"),
        ("gemini", {"candidates": {}}, "/candidates"),
        ("gemini", {"candidates": [3]}, "/candidates/0"),
        ("bedrock-converse", {}, "/output"),
        ("bedrock-converse", {"output": {"message": 3}}, "/output/message"),
        ("ollama", {"message": _TEXT, "prompt_eval_count": "x"}, "/prompt_eval_count"),
        (
            "cohere",
            {"message": {"role": "assistant"}, "usage": {"tokens": {"input_tokens": 1.5}}},
            "/usage/tokens/input_tokens",
        ),
        ("openai-responses", {"output": [3]}, "/output/0"),
        ("mistral", {"choices": None}, "/choices"),
        # found by tests/fuzz: a top-level value of the wrong type was a pydantic ValidationError
        ("ollama", {"model": {"a": 1}, "message": _TEXT, "done": True}, "/model"),
        ("anthropic", {"model": 5, "content": []}, "/model"),
        ("openai-chat", {"model": [], "choices": [{"message": _TEXT}]}, "/model"),
        ("gemini", {"modelVersion": 1.5, "candidates": []}, "/modelVersion"),
    ],
)
def test_malformed_bodies_name_the_place(fmt: str, body: Any, pointer: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        decode_response(body, fmt)
    assert info.value.pointer == pointer
    # validate_response says the same, as a violation.
    assert [v.pointer for v in RESPONSES.get(fmt).validate_response(body)] == [pointer]


@pytest.mark.parametrize("fmt", response_formats())
@pytest.mark.parametrize("body", [[], "reply", None])
def test_a_body_that_is_not_an_object_is_refused(fmt: str, body: Any) -> None:
    with pytest.raises(InvalidInputError) as info:
        decode_response(body, fmt)
    assert info.value.pointer == ""


def test_formats_without_responses_answer_with_the_known_ones() -> None:
    with pytest.raises(UnknownNameError) as info:
        convert_response({}, source="a2a", target="anthropic")
    assert "openai-chat" in str(info.value)


def test_an_aif_response_is_checked_against_the_model() -> None:
    with pytest.raises(InvalidInputError) as info:
        convert_response({"message": {"role": "nobody"}}, source="aif", target="anthropic")
    assert info.value.pointer == "/message/role"
    reply, _ = decode_response({"message": {"role": "assistant"}}, "aif")
    body, report = encode_response(reply, "anthropic")
    assert body["content"] == []
    assert not report.lossless  # id and model synthesized
