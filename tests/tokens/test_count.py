"""count_tokens on documents and wire bodies; the provider count endpoint, offline."""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import httpx2
import pytest

import aifkit.aif
from aifkit.aif import Document, Message, Settings
from aifkit.errors import AifkitError, UnknownNameError, UsageError
from aifkit.tokens import TokenCount, count_tokens

from .helpers import COOKBOOK_CHAT, text

HELLO = Document(messages=(Message(role="user", parts=text("Hello!")),))


def _has_format(name: str) -> bool:
    module = {"openai-chat": "openai_chat", "anthropic": "anthropic"}[name]
    return importlib.util.find_spec(f"aifkit.aif.converters.{module}") is not None


def test_the_model_comes_from_the_request_when_not_given() -> None:
    doc = HELLO.model_copy(update={"settings": Settings(model="gpt-4o-2024-08-06")})
    assert count_tokens(doc).model == "gpt-4o"
    with pytest.raises(UsageError, match="no model given"):
        count_tokens(HELLO)


def test_a_body_needs_its_format() -> None:
    with pytest.raises(UsageError, match="needs its format"):
        count_tokens({"messages": []}, model="gpt-4o")


def test_aif_bodies_are_decoded() -> None:
    body = json.loads(json.dumps(aifkit.aif.dump_document(COOKBOOK_CHAT)))
    assert count_tokens(body, format="aif", model="gpt-4o").total == 124


@pytest.mark.skipif(not _has_format("openai-chat"), reason="openai-chat converter not built yet")
def test_openai_chat_bodies_count_like_the_cookbook() -> None:
    body = {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
            {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
            {"role": "system", "name": "example_assistant", "content": "Things working well together will increase revenue."},
            {"role": "system", "name": "example_user", "content": "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
            {"role": "system", "name": "example_assistant", "content": "Let's talk later when we're less busy about how to do better."},
            {"role": "user", "content": "This late pivot means we don't have time to boil the ocean for the client deliverable."},
        ],
    }  # fmt: skip
    assert count_tokens(body, format="openai-chat").total == 124


def test_to_json_has_the_total_the_parts_and_exactness() -> None:
    n = count_tokens(COOKBOOK_CHAT, model="gpt-4o")
    data = n.to_json()
    assert (data["total"], data["exact"], data["error_bound"]) == (124, True, 0)
    assert data["messages"] == list(n.messages)
    assert json.loads(json.dumps(data)) == data


def _fake_anthropic(
    seen: list[httpx2.Request], status: int = 200, answer: Any = None
) -> httpx2.Client:
    def handle(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(status, json=answer if answer is not None else {"input_tokens": 42})

    return httpx2.Client(transport=httpx2.MockTransport(handle))


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> None:
    # The anthropic converter is another module's job; here only the HTTP call is under test.
    def encode(document: Document, format: str, **_: Any) -> tuple[dict[str, Any], None]:
        assert format == "anthropic"
        messages = [{"role": m.role, "content": "Hello!"} for m in document.messages]
        return {"model": "x", "max_tokens": 1024, "system": "Be brief.", "messages": messages}, None

    monkeypatch.setattr(aifkit.aif, "encode", encode)


@pytest.mark.usefixtures("wire")
def test_an_api_key_asks_anthropic_for_the_exact_count() -> None:
    seen: list[httpx2.Request] = []
    n = count_tokens(
        HELLO, model="claude-sonnet-4-5", api_key="sk-test", http_client=_fake_anthropic(seen)
    )
    assert (n.total, n.exact, n.error_bound, n.method) == (42, True, 0, "provider")
    [request] = seen
    assert request.url == "https://api.anthropic.com/v1/messages/count_tokens"
    assert request.headers["x-api-key"] == "sk-test"
    assert request.headers["anthropic-version"] == "2023-06-01"
    payload = json.loads(request.content)
    assert payload == {"model": "claude-sonnet-4-5", "system": "Be brief.",
                       "messages": [{"role": "user", "content": "Hello!"}]}  # fmt: skip


@pytest.mark.usefixtures("wire")
def test_provider_errors_are_reported_with_their_reason() -> None:
    answer = {
        "type": "error",
        "error": {"type": "authentication_error", "message": "invalid x-api-key"},
    }
    client = _fake_anthropic([], status=401, answer=answer)
    with pytest.raises(AifkitError, match="HTTP 401: invalid x-api-key"):
        count_tokens(HELLO, model="claude-sonnet-4-5", api_key="bad", http_client=client)


def test_without_a_key_nothing_is_sent() -> None:
    seen: list[httpx2.Request] = []
    n = count_tokens(HELLO, model="claude-sonnet-4-5", http_client=_fake_anthropic(seen))
    assert (n.method, seen) == ("estimate", [])
    m = count_tokens(HELLO, model="gpt-4o", api_key="sk-x", http_client=_fake_anthropic(seen))
    assert (m.method, seen) == ("tokenizer", [])  # OpenAI counts are local and exact already


def test_token_count_is_frozen() -> None:
    n = count_tokens(HELLO, model="gpt-4o")
    assert isinstance(n, TokenCount)
    with pytest.raises(AttributeError):
        n.total = 0  # type: ignore[misc]


@pytest.mark.skipif(not _has_format("anthropic"), reason="anthropic converter not built yet")
def test_the_endpoint_gets_the_anthropic_body_without_generation_settings() -> None:
    body = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 100,
        "temperature": 0.2,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Hi"}],
    }
    seen: list[httpx2.Request] = []
    n = count_tokens(body, format="anthropic", api_key="k", http_client=_fake_anthropic(seen))
    assert n.total == 42
    payload = json.loads(seen[0].content)
    assert payload["model"] == "claude-sonnet-4-5"
    assert payload["messages"] == [{"role": "user", "content": "Hi"}]
    assert "max_tokens" not in payload
    assert "temperature" not in payload


def test_an_unknown_model_is_refused_before_the_body_is_read() -> None:
    class Unreadable(dict[str, Any]):
        def get(self, *_: object) -> Any:  # type: ignore[override]
            raise AssertionError("the body was read before the model was checked")

    with pytest.raises(UnknownNameError):
        count_tokens(Unreadable(), format="openai-chat", model="no-such-model")
