"""The fakes shipped in aifkit.testing behave as documented."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from aifkit.aif import Message, TextPart
from aifkit.budget.memory import Summarizer
from aifkit.errors import UsageError
from aifkit.testing import FakeOpenAIServer, FakeReply, FakeSummarizer


def _post(url: str, body: bytes, timeout: float = 5) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def _chat(server: FakeOpenAIServer, **body: Any) -> tuple[int, dict[str, Any]]:
    payload = {"model": "m", "messages": [{"role": "user", "content": "hi there"}], **body}
    return _post(server.base_url + "/chat/completions", json.dumps(payload).encode())


class TestFakeSummarizer:
    def test_it_is_a_summarizer_and_records_calls(self) -> None:
        fake = FakeSummarizer(["one"])
        assert isinstance(fake, Summarizer)
        msgs = [Message(role="user", parts=(TextPart(text="hello"),))]
        assert fake.summarize(msgs, max_tokens=7, focus="f") == "one"
        (seen,) = fake.calls
        assert (seen.text, seen.max_tokens, seen.focus) == ("user: hello", 7, "f")

    def test_repeat_replays_the_last_output(self) -> None:
        fake = FakeSummarizer(["a", "b"], repeat=True)
        assert [fake.summarize("x", max_tokens=1) for _ in range(4)] == ["a", "b", "b", "b"]

    def test_an_empty_script_raises_even_with_repeat(self) -> None:
        with pytest.raises(UsageError, match="no scripted output left"):
            FakeSummarizer([], repeat=True).summarize("x", max_tokens=1)


class TestFakeOpenAIServer:
    def test_it_answers_in_the_chat_completions_shape(self) -> None:
        with FakeOpenAIServer(["Hello back."]) as server:
            status, body = _chat(server, max_tokens=5)
        assert status == 200
        assert body["object"] == "chat.completion"
        assert body["model"] == "m"
        assert body["choices"][0]["message"] == {
            "role": "assistant", "content": "Hello back.", "refusal": None}  # fmt: skip
        assert body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"] + 2
        assert server.requests == [
            {"model": "m", "messages": [{"role": "user", "content": "hi there"}], "max_tokens": 5}
        ]

    def test_the_official_client_reads_it(self) -> None:
        import openai

        with FakeOpenAIServer(["From the fake."]) as server:
            client = openai.OpenAI(api_key="unused", base_url=server.base_url, max_retries=0)
            reply = client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}]
            )
            client.close()
        assert reply.choices[0].message.content == "From the fake."

    def test_scripted_statuses_and_an_exhausted_script(self) -> None:
        with FakeOpenAIServer([FakeReply(status=503), "ok"]) as server:
            status, body = _chat(server)
            assert status == 503
            assert body["error"]["type"] == "server_error"
            assert _chat(server)[0] == 200
            status, body = _chat(server)
        assert status == 500
        assert "no scripted reply left" in body["error"]["message"]

    def test_a_custom_body_is_sent_as_is(self) -> None:
        custom = {"choices": [], "id": "x"}
        with FakeOpenAIServer([FakeReply(body=custom)]) as server:
            assert _chat(server) == (200, custom)

    def test_repeat_and_errors_in_the_request(self) -> None:
        with FakeOpenAIServer([FakeReply(status=429)], repeat=True) as server:
            assert [_chat(server)[0] for _ in range(3)] == [429, 429, 429]
            assert _chat(server)[1]["error"]["type"] == "rate_limit_error"
            status, body = _post(server.base_url + "/chat/completions", b"{not json")
            assert status == 400
            assert body["error"]["message"] == "the body is not JSON"
            status, _ = _post(server.base_url + "/embeddings", b"{}")
            assert status == 404

    def test_a_delayed_reply_times_the_client_out_and_close_does_not_wait(self) -> None:
        server = FakeOpenAIServer([FakeReply("late", delay=30)]).start()
        with pytest.raises(TimeoutError):
            _chat_timeout(server)
        began = time.monotonic()
        server.close()
        assert time.monotonic() - began < 2

    def test_the_base_url_needs_a_running_server(self) -> None:
        with pytest.raises(UsageError, match="not running"):
            _ = FakeOpenAIServer().base_url


def _chat_timeout(server: FakeOpenAIServer) -> None:
    body = json.dumps({"model": "m", "messages": []}).encode()
    req = urllib.request.Request(server.base_url + "/chat/completions", data=body)
    urllib.request.urlopen(req, timeout=0.2)


@pytest.mark.parametrize("kind", ["Anthropic", "Bedrock", "Cohere", "Gemini", "Ollama", "OpenAI"])
def test_every_fake_answers_errors_in_the_shape_the_gateway_writes(kind: str) -> None:
    import aifkit.testing
    from aifkit.gateway._wire import error_body, error_message

    with getattr(aifkit.testing, f"Fake{kind}Server")([]) as server:
        status, body = _post(server.base_url.rstrip("/") + "/no/such/path", b"{}")
        fmt = server.format
    assert status == 404
    message = error_message(body)
    assert message is not None
    assert message.startswith("no route for POST ")
    assert body == error_body(fmt, 404, message)
