"""LiteLLM: AifkitCallback packs requests and records usage, run inside the real litellm.

The provider is a LiteLLM ``CustomLLM`` registered for this test (no network): it
records the messages it was sent and answers with a response whose usage counts
them, so what LiteLLM actually sent and what the ledger recorded can be checked.
The price map is LiteLLM's bundled copy (``LITELLM_LOCAL_MODEL_COST_MAP``, set in
the root conftest).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import litellm
import pytest
from litellm.caching.dual_cache import DualCache
from litellm.llms.custom_llm import CustomLLM
from litellm.proxy._types import UserAPIKeyAuth

from aifkit.budget import Ledger
from aifkit.errors import UnknownNameError
from aifkit.integrations.litellm import AifkitCallback
from aifkit.tokens import count_tokens

# LiteLLM's GitHub Copilot device-code types use ReadOnly, which pydantic warns about
# when LiteLLM builds their schema on the first call: theirs, not ours.
pytestmark = pytest.mark.filterwarnings("ignore:Item.* `ReadOnly` qualifier:UserWarning")


def _answer(messages: list[dict[str, Any]]) -> litellm.ModelResponse:
    prompt = count_tokens(
        {"model": "gpt-4o", "messages": messages}, format="openai-chat", model="gpt-4o"
    ).total
    return litellm.ModelResponse(
        model="gpt-4o",
        choices=[{"index": 0, "message": {"role": "assistant", "content": "It is 4417."}}],
        usage=litellm.Usage(prompt_tokens=prompt, completion_tokens=5, total_tokens=prompt + 5),
    )


class _Provider(CustomLLM):
    """A local provider: records what it was sent, answers with usage that counts it."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[list[dict[str, Any]]] = []

    def completion(self, *args: Any, **kwargs: Any) -> litellm.ModelResponse:
        self.sent.append(list(kwargs["messages"]))
        return _answer(kwargs["messages"])

    async def acompletion(self, *args: Any, **kwargs: Any) -> litellm.ModelResponse:
        return self.completion(*args, **kwargs)


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> _Provider:
    local = _Provider()
    monkeypatch.setattr(
        litellm, "custom_provider_map", [{"provider": "local", "custom_handler": local}]
    )
    return local


def _messages(n: int) -> list[dict[str, Any]]:
    out = [{"role": "system", "content": "Answer from the conversation."}]
    out.append({"role": "user", "content": "My locker code is 4417."})
    out += [
        {"role": "user", "content": f"Some chatter about the weather on day {i}."} for i in range(n)
    ]
    out.append({"role": "user", "content": "What is my locker code?"})
    return out


def _wait_for(ledger: Ledger, n: int) -> None:
    deadline = time.monotonic() + 10  # LiteLLM logs success on a background thread
    while len(ledger) < n and time.monotonic() < deadline:
        time.sleep(0.02)


def test_acompletion_sends_the_packed_request_and_records_its_usage(
    provider: _Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    callback = AifkitCallback(model="gpt-4o", budget=120)
    monkeypatch.setattr(litellm, "callbacks", [callback])
    messages = _messages(40)

    async def call() -> Any:
        response = await litellm.acompletion(model="local/gpt-4o", messages=messages)
        deadline = time.monotonic() + 10  # success is logged by a task on this loop
        while not len(callback.ledger) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return response

    response = asyncio.run(call())
    assert response.choices[0].message.content == "It is 4417."
    (sent,) = provider.sent
    assert len(sent) < len(messages)
    assert sent[0] == messages[0]
    assert sent[-1] == messages[-1]
    assert count_tokens({"messages": sent}, format="openai-chat", model="gpt-4o").total <= 120
    (record,) = callback.ledger
    assert record.model == "gpt-4o"
    assert record.prompt_tokens == response.usage.prompt_tokens
    assert record.output_tokens == 5
    assert record.dropped.get("history", 0) > 0  # the pack's drops travel with the usage
    assert callback.ledger.summary()["requests"] == 1


def test_sync_completion_packs_through_fit_and_records_usage(
    provider: _Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    callback = AifkitCallback(budget=100)  # the model comes from each request
    monkeypatch.setattr(litellm, "callbacks", [callback])
    messages = _messages(30)
    litellm.completion(
        **callback.fit({"model": "openai/gpt-4o", "messages": messages}),
        custom_llm_provider="local",
    )
    (sent,) = provider.sent
    assert len(sent) < len(messages)
    _wait_for(callback.ledger, 1)
    assert len(callback.ledger) == 1


def test_the_proxy_hook_packs_the_request_body() -> None:
    callback = AifkitCallback(budget=100)
    data = {"model": "gpt-4o", "messages": _messages(30), "litellm_call_id": "call-1"}
    out = asyncio.run(
        callback.async_pre_call_hook(UserAPIKeyAuth(), DualCache(), data, "completion")
    )
    assert len(out["messages"]) < len(data["messages"])
    assert data["messages"] == _messages(30)  # the caller's body is not changed in place
    # The Router's hook then sees a request already packed: it is not packed again.
    again = asyncio.run(callback.async_pre_call_deployment_hook(out, None))
    assert again["messages"] == out["messages"]


def test_requests_it_cannot_pack_pass_through(caplog: pytest.LogCaptureFixture) -> None:
    callback = AifkitCallback(budget=100)
    assert callback.fit({"model": "x", "input": ["embed me"]}) == {
        "model": "x",
        "input": ["embed me"],
    }
    body = {"model": "no-such-model", "messages": _messages(30)}
    with caplog.at_level("WARNING", logger="aifkit.integrations.litellm"):
        assert callback.fit(body) == body
    assert "sent unpacked" in caplog.text


def test_an_unknown_model_is_warned_about_once_per_name(caplog: pytest.LogCaptureFixture) -> None:
    callback = AifkitCallback(budget=100)
    usage = {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}
    with caplog.at_level("WARNING", logger="aifkit.integrations.litellm"):
        for model in ["no-such-model", "no-such-model", "no-such-model", "other-model"]:
            kwargs = {"model": model, "messages": _messages(3), "litellm_call_id": "c"}
            assert callback.fit(kwargs) == kwargs  # the request hook, then the success log
            callback.log_success_event(kwargs, {"model": model, "usage": usage}, None, None)
    warned = [r.getMessage() for r in caplog.records if "sent unpacked" in r.getMessage()]
    assert len(warned) == 2
    assert "'no-such-model'" in warned[0]
    assert "'other-model'" in warned[1]
    assert not callback.ledger  # nothing recorded for a model it cannot count


_PROBE = """
import json, os, socket
tried = []
def refuse(host, *args, **kwargs):
    tried.append(host)
    raise OSError("the test lets nothing reach the network")
socket.getaddrinfo = refuse
import aifkit.integrations.litellm
print(json.dumps({"tried": tried, "set": os.environ.get("LITELLM_LOCAL_MODEL_COST_MAP")}))
"""


@pytest.mark.parametrize("preset", [None, "False"])
def test_importing_the_integration_keeps_litellm_off_the_network(preset: str | None) -> None:
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "LITELLM_LOCAL_MODEL_COST_MAP"}
    if preset is not None:  # the user's own setting is kept: then LiteLLM does try to fetch
        env["LITELLM_LOCAL_MODEL_COST_MAP"] = preset
    done = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.splitlines()[-1])
    if preset is None:
        assert seen == {"tried": [], "set": "True"}
    else:
        assert seen["set"] == "False"
        assert seen["tried"]  # the probe does see LiteLLM's fetch when it is asked for


def test_an_unknown_fixed_model_is_refused_at_once() -> None:
    with pytest.raises(UnknownNameError):
        AifkitCallback(model="no-such-model")


def test_a_mock_response_is_recorded_with_its_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    callback = AifkitCallback(budget=120)
    monkeypatch.setattr(litellm, "callbacks", [callback])

    async def call() -> Any:
        response = await litellm.acompletion(
            model="gpt-4o", messages=_messages(40), mock_response="It is 4417."
        )
        deadline = time.monotonic() + 10
        while not len(callback.ledger) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return response

    response = asyncio.run(call())
    assert response.choices[0].message.content == "It is 4417."
    (record,) = callback.ledger
    assert record.model == "gpt-4o"
    assert record.output_tokens == response.usage.completion_tokens
    assert record.dropped.get("history", 0) > 0  # the request was packed before the mock answered
