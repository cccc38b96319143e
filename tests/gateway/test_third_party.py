"""A third-party OpenAI-compatible upstream nobody here wrote: LiteLLM's proxy.

The test starts ``litellm --config`` on 127.0.0.1 with mock responses (LiteLLM's
``mock_response`` and ``mock_tool_calls``: the proxy answers without calling any
provider), puts the gateway in front of it, and drives the gateway with the
official SDKs. So the gateway reads replies and streams in LiteLLM's own wire
shape (its ids, its chunking, its usage chunk with an extra ``cost`` field),
not in the shape of aifkit's fakes.

LiteLLM's proxy pins versions the dev venv cannot take, so it lives in the peers
venv (``make .venv-peers/.installed``, which ``make unit`` builds). Without it the
tests skip, saying so; under CI (``CI`` set) its absence is a failure.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import openai
import pytest

from aifkit.gateway import GatewayConfig, Route, create_app
from tests.gateway.conftest import Served, record, running
from tests.gateway.test_sdk_matrix import TOOL, WEATHER

ROOT = Path(__file__).resolve().parents[2]
TEXT = "Hello from LiteLLM's proxy"
CALL = {
    "id": "call_lite_1",
    "type": "function",
    "function": {"name": TOOL[0], "arguments": json.dumps(TOOL[1])},
}


def _litellm() -> Path | None:
    named = os.environ.get("AIFKIT_LITELLM")
    path = Path(named) if named else ROOT / ".venv-peers" / "bin" / "litellm"
    return path if path.is_file() else None


def _config(tmp: Path) -> Path:
    mock = {"model": "openai/gpt-4o", "api_key": "sk-none"}
    models = [
        {"model_name": "lite-text", "litellm_params": {**mock, "mock_response": TEXT}},
        {
            "model_name": "lite-tool",
            "litellm_params": {**mock, "mock_response": "", "mock_tool_calls": [CALL]},
        },
    ]
    path = tmp / "litellm.json"  # YAML is a superset of JSON: litellm --config reads it
    path.write_text(json.dumps({"model_list": models, "litellm_settings": {"telemetry": False}}))
    return path


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def litellm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = _litellm()
    if binary is None:
        reason = (
            "LiteLLM's proxy is not installed: `make .venv-peers/.installed` builds the "
            "peers venv with litellm[proxy] (or set AIFKIT_LITELLM to a litellm binary)"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("litellm")
    port = _port()
    env = {
        **os.environ,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # its price table from the package, not the web
        "LITELLM_TELEMETRY": "False",
        "NO_DOCS": "True",
    }
    log = (tmp / "litellm.log").open("w")
    args = [str(binary), "--config", str(_config(tmp)), "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError(f"litellm did not start:\n{(tmp / 'litellm.log').read_text()[-2000:]}")  # fmt: skip
            try:
                if httpx2.get(url + "/health/liveliness", timeout=2).status_code == 200:
                    break
            except httpx2.HTTPError:
                pass
            time.sleep(0.2)
        yield url + "/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def gateway(litellm: str) -> Iterator[Served]:
    route = Route(models=("lite-*",), upstream=litellm, format="openai-chat")
    with running(create_app(GatewayConfig(routes=(route,))), {}) as served:
        yield served


@pytest.fixture
def served(gateway: Served) -> Served:  # the gateway the oai and ant fixtures call
    return gateway


def _usage_recorded(gateway: Served, request_id: str) -> Any:
    rec = record(gateway.app, request_id)
    assert rec.status == 200, rec.error
    assert rec.input_tokens > 0
    assert rec.output_tokens > 0
    return rec


def test_openai_client_plain(gateway: Served, oai: openai.OpenAI) -> None:
    raw = oai.chat.completions.with_raw_response.create(
        model="lite-text", messages=[{"role": "user", "content": "Hi"}]
    )
    assert raw.parse().choices[0].message.content == TEXT
    _usage_recorded(gateway, raw.headers["x-aif-request-id"])


def test_openai_client_streamed_passes_litellms_bytes(gateway: Served, oai: openai.OpenAI) -> None:
    text = ""
    stream = oai.chat.completions.with_raw_response.create(
        model="lite-text",
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    usage = None
    for chunk in stream.parse():
        text += "".join(c.delta.content or "" for c in chunk.choices)
        usage = chunk.usage or usage
    assert text == TEXT
    assert usage is not None  # LiteLLM's usage chunk reaches the client that asked for it
    _usage_recorded(gateway, stream.headers["x-aif-request-id"])


def test_openai_client_streamed_without_usage_still_records_it(
    gateway: Served, oai: openai.OpenAI
) -> None:
    # The client did not ask for the usage chunk: the gateway asks LiteLLM for it
    # (the ledger needs it) and leaves it out of the client's stream.
    stream = oai.chat.completions.with_raw_response.create(
        model="lite-text", messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    chunks = list(stream.parse())
    assert "".join(c.delta.content or "" for ch in chunks for c in ch.choices) == TEXT
    assert all(ch.usage is None for ch in chunks)
    _usage_recorded(gateway, stream.headers["x-aif-request-id"])


def test_openai_client_tool_call(oai: openai.OpenAI) -> None:
    tools: Any = [{"type": "function", "function": WEATHER}]
    reply = oai.chat.completions.create(
        model="lite-tool", messages=[{"role": "user", "content": "Weather?"}], tools=tools
    )
    (call,) = reply.choices[0].message.tool_calls or []
    assert reply.choices[0].finish_reason == "stop"  # LiteLLM's mock, as it sent it
    assert call.type == "function"
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == ("call_lite_1", *TOOL)  # fmt: skip


def test_anthropic_client_plain_translated(gateway: Served, ant: anthropic.Anthropic) -> None:
    raw = ant.messages.with_raw_response.create(
        model="lite-text", max_tokens=64, messages=[{"role": "user", "content": "Hi"}]
    )
    reply = raw.parse()
    assert reply.content[0].type == "text"
    assert reply.content[0].text == TEXT
    assert reply.stop_reason == "end_turn"
    assert reply.usage.output_tokens > 0
    _usage_recorded(gateway, raw.headers["x-aif-request-id"])


def test_anthropic_client_streamed_translated(ant: anthropic.Anthropic) -> None:
    messages: Any = [{"role": "user", "content": "Hi"}]
    with ant.messages.stream(model="lite-text", max_tokens=64, messages=messages) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == TEXT
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 0


def test_anthropic_client_tool_use_translated(ant: anthropic.Anthropic) -> None:
    # Not streamed: LiteLLM's mock streams a tool call as an empty delta (no call).
    tools: Any = [{"name": WEATHER["name"], "input_schema": WEATHER["parameters"]}]
    messages: Any = [{"role": "user", "content": "Weather?"}]
    reply = ant.messages.create(model="lite-tool", max_tokens=64, messages=messages, tools=tools)
    (use,) = [b for b in reply.content if b.type == "tool_use"]
    assert (use.id, use.name, use.input) == ("call_lite_1", *TOOL)
    # LiteLLM's mock ends a tool call with finish_reason "stop" (OpenAI sends
    # "tool_calls"); the gateway passes the reason on as it came: end_turn.
    assert reply.stop_reason == "end_turn"


def test_responses_client_translated(oai: openai.OpenAI) -> None:
    assert oai.responses.create(model="lite-text", input="Hi").output_text == TEXT
    with oai.responses.stream(model="lite-text", input="Hi") as stream:
        assert stream.get_final_response().output_text == TEXT
