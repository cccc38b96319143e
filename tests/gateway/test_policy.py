"""Context policies: an over-window request reaches the upstream packed within its window."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aifkit.gateway import GatewayConfig, Route, create_app
from aifkit.gateway._policy import _framing, apply_policy  # pyright: ignore[reportPrivateUsage]
from aifkit.testing import FakeOpenAIServer
from aifkit.tokens import count_tokens
from tests.gateway.conftest import call

SYSTEM = "You are the support agent for the Acme launch."


def _long_chat(turns: int) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM}]
    for i in range(turns):
        messages.append({"role": "user", "content": f"Question {i} about the schedule. " * 12})
        if i == turns // 2:
            messages.append({"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "launch"}'}}]})  # fmt: skip
            messages.append({"role": "tool", "tool_call_id": "call_1", "content": "Launch is at noon. " * 20})  # fmt: skip
        messages.append({"role": "assistant", "content": f"Answer {i}: it is on track. " * 12})
    messages.append({"role": "user", "content": "So when is the launch?"})
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}}  # fmt: skip
    return {"model": "gpt-4o", "messages": messages, "tools": [tool]}


def _config(url: str, **route: Any) -> GatewayConfig:
    return GatewayConfig(routes=(Route(upstream=url, **route),))


def _tool_pairs_intact(messages: list[dict[str, Any]]) -> bool:
    calls = {c["id"] for m in messages for c in m.get("tool_calls") or []}
    results = {m["tool_call_id"] for m in messages if m["role"] == "tool"}
    return calls == results


@pytest.mark.parametrize("thread_threshold", [0, 1])
def test_an_over_window_request_is_packed_and_reported(thread_threshold: int) -> None:
    body = _long_chat(40)
    window, reserve = 3000, 500
    assert count_tokens(body, format="openai-chat", model="gpt-4o").total > window
    with FakeOpenAIServer(["Noon."]) as fake:
        config = _config(fake.base_url, context_window=window, reserve=reserve)
        app = create_app(config.model_copy(update={"thread_threshold": thread_threshold}))
        r = call(app, "POST", "/v1/chat/completions", json=body)
        assert r.status_code == 200
        (sent,) = fake.requests
    assert count_tokens(sent, format="openai-chat", model="gpt-4o").total <= window - reserve
    assert sent["messages"][0] == {"role": "system", "content": SYSTEM}
    assert sent["messages"][-1]["content"] == "So when is the launch?"
    assert sent["tools"] == body["tools"]
    assert _tool_pairs_intact(sent["messages"])
    saved = int(r.headers["x-aif-tokens-saved"])
    assert saved > 0
    rec = call(app, "GET", f"/requests/{r.headers['x-aif-request-id']}").json()
    assert rec["tokens_saved"] == saved
    assert rec["cost_saved"] > 0  # priced by genai-prices as the input it no longer is
    pack = rec["reports"]["pack"]
    dropped = [i for i in pack["items"] if i["decision"] == "dropped"]
    assert dropped
    assert pack["tokens_after"] <= window - reserve


def test_policy_off_and_a_request_within_the_window_pass_unchanged() -> None:
    body = _long_chat(3)
    with FakeOpenAIServer(["ok"], repeat=True) as fake:
        for route in ({"policy": "off", "context_window": 100}, {"context_window": 100_000}):
            r = call(create_app(_config(fake.base_url, **route)), "POST", "/v1/chat/completions", json=body)  # fmt: skip
            assert r.status_code == 200
            assert r.headers["x-aif-tokens-saved"] == "0"
        assert fake.requests == [body, body]


def test_policy_always_packs_to_a_ratio() -> None:
    body = _long_chat(20)
    before = count_tokens(body, format="openai-chat", model="gpt-4o").total
    with FakeOpenAIServer(["ok"]) as fake:
        app = create_app(_config(fake.base_url, policy="always", ratio=0.5))
        assert call(app, "POST", "/v1/chat/completions", json=body).status_code == 200
        (sent,) = fake.requests
    assert count_tokens(sent, format="openai-chat", model="gpt-4o").total <= before // 2


def test_fail_open_forwards_the_original_when_aifkit_fails() -> None:
    body = _long_chat(40)
    with FakeOpenAIServer(["ok"], repeat=True) as fake:
        app = create_app(_config(fake.base_url, context_window=3000))
        app.state.gateway.inject = "policy"
        r = call(app, "POST", "/v1/chat/completions", json=body)
        assert r.status_code == 200
        assert fake.requests == [body]  # the original, unpacked
        rec = call(app, "GET", f"/requests/{r.headers['x-aif-request-id']}").json()
        assert "injected failure" in rec["error"]
        assert "aif_gateway_internal_errors_total 1.0" in call(app, "GET", "/metrics").text
        strict = create_app(_config(fake.base_url, context_window=3000).model_copy(update={"fail_open": False}))  # fmt: skip
        strict.state.gateway.inject = "policy"
        r = call(strict, "POST", "/v1/chat/completions", json=body)
        assert r.status_code == 400
        assert r.json()["error"]["code"] == "aifkit_error"
        assert len(fake.requests) == 1  # strict sent nothing upstream


def test_an_unknown_model_is_not_counted_and_says_why() -> None:
    with FakeOpenAIServer(["ok"]) as fake:
        app = create_app(_config(fake.base_url))
        body = {"model": "acme-private-1", "messages": [{"role": "user", "content": "hi"}]}
        r = call(app, "POST", "/v1/chat/completions", json=body)
        rec = call(app, "GET", f"/requests/{r.headers['x-aif-request-id']}").json()
    assert "count_as" in rec["reports"]["note"]


@given(
    st.lists(st.text(max_size=300), min_size=1, max_size=8),
    st.sampled_from(["gpt-4o", "gpt-4", "claude-sonnet-4-5", "gemini-2.5-flash"]),
)
def test_the_size_bound_never_undercounts(texts: list[str], model: str) -> None:
    # `fit` skips counting a media-free body whose bytes plus framing fit: that is safe
    # only if no body counts more tokens than that.
    body = {"model": model, "messages": [{"role": "user", "content": t} for t in texts]}
    raw = json.dumps(body).encode()
    counted = count_tokens(body, format="openai-chat", model=model).total
    assert counted <= len(raw) + _framing(body)


def test_a_small_body_is_not_counted_unless_it_carries_media() -> None:
    with FakeOpenAIServer(["ok"], repeat=True) as fake:
        app = create_app(_config(fake.base_url))
        plain = call(app, "POST", "/v1/chat/completions", json=_long_chat(2))
        image = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
        media = {"model": "gpt-4o", "messages": [{"role": "user", "content": [image]}]}
        pictured = call(app, "POST", "/v1/chat/completions", json=media)
        got = [call(app, "GET", f"/requests/{r.headers['x-aif-request-id']}").json() for r in (plain, pictured)]  # fmt: skip
    assert got[0]["tokens_before"] is None
    assert "by size" in got[0]["reports"]["note"]
    assert got[1]["tokens_before"] > 0


def test_a_body_packed_at_once_that_fits_goes_on_as_it_came() -> None:
    # A bound far over the limit says nothing about the tokens (bytes that were not
    # text): the body is counted, and one that fits goes on as it came.
    body = _long_chat(2)
    route = Route(upstream="http://x/v1", context_window=3000, reserve=500)
    fitted = apply_policy(body, format="openai-chat", route=route, model="gpt-4o", bound=10**6)
    assert fitted.body is body
    assert fitted.tokens_before is not None
    assert fitted.tokens_before <= 2500
    assert fitted.report is None


def test_both_ways_of_fitting_agree() -> None:
    body = _long_chat(40)
    route = Route(upstream="http://x/v1", context_window=3000, reserve=500)
    counted = apply_policy(body, format="openai-chat", route=route, model="gpt-4o")
    at_once = apply_policy(body, format="openai-chat", route=route, model="gpt-4o", bound=10**6)
    assert counted.body == at_once.body
    assert (counted.tokens_before, counted.tokens_after) == (at_once.tokens_before, at_once.tokens_after)  # fmt: skip


def test_a_conversation_keeps_its_packed_prefix_across_turns() -> None:
    # Turn after turn over the window, the upstream sees the previous turn's packed
    # messages again as its prefix (what the provider's prompt cache needs). The
    # first pack fills the window; when the next turn overflows it, the session
    # re-packs to its lower target, leaving room, and from then on only appends.
    body = _long_chat(40)
    with FakeOpenAIServer(["Noon."], repeat=True) as fake:
        app = create_app(_config(fake.base_url, context_window=3000, reserve=500))
        for turn in range(5):
            assert call(app, "POST", "/v1/chat/completions", json=body).status_code == 200
            body = {**body, "messages": [*body["messages"], {"role": "assistant", "content": "Noon."}, {"role": "user", "content": f"And follow-up {turn}?"}]}  # fmt: skip
        sent = [r["messages"] for r in fake.requests]
        assert len(app.state.gateway.sessions) == 1
    for earlier, later in itertools.pairwise(sent[1:]):
        assert later[: len(earlier)] == earlier
    for s in sent:
        assert count_tokens({"model": "gpt-4o", "messages": s, "tools": body["tools"]}, format="openai-chat", model="gpt-4o").total <= 2500  # fmt: skip


def test_sessions_are_bounded() -> None:
    from aifkit.gateway._sessions import Sessions  # pyright: ignore[reportPrivateUsage]

    sessions = Sessions(3)
    for i in range(10):
        sessions.get(f"k{i}", "gpt-4o")
    assert len(sessions) == 3
