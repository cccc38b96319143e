"""Reversible elision through the gateway: the model's ``aif_expand`` calls answered upstream.

The upstream is a small model stand-in (an ``httpx2.MockTransport`` handler that
speaks openai-chat with aifkit's own response encoder): when it is offered the
``aif_expand`` tool and sees a marker's ref in the prompt, it calls the tool once;
given the tool's result, it answers with the log line the question asks about.
The client is the official openai SDK against the gateway served by uvicorn.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx2
import openai
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aifkit.aif import (
    Document,
    Message,
    Response,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
    decode,
    encode_response,
)
from aifkit.budget.compressors import EXPAND_TOOL
from aifkit.gateway import UPSTREAM_FORMATS, GatewayConfig, Route, create_app
from aifkit.gateway._expand import continued, expand_calls, with_tool
from aifkit.gateway._wire import stream_codec
from tests.gateway.conftest import record, records, running

_MARKER = re.compile(r"ref ([0-9a-f]{10}): expand to see")
_FACT = "INFO [worker] job 300 finished in 2200ms"


def _log_request() -> dict[str, Any]:
    lines = [f"INFO [worker] job {i} finished in {100 + i * 7}ms" for i in range(400)]
    assert lines[300] == _FACT
    return {
        "model": "gpt-4o",
        "messages": [
            {"role": "user", "content": "Here is the worker log:\n" + "\n".join(lines)},
            {"role": "assistant", "content": "Noted."},
            {"role": "user", "content": "How long did the job numbered three hundred take?"},
        ],
    }


class Model:
    """The upstream: records each request, answers as ``decide`` says, reports usage.

    It speaks ``fmt``: requests are read and replies written with aifkit's codecs.
    ``decide`` reads openai-chat bodies; an upstream of another format answers as
    `_decide_aif` does.
    """

    def __init__(
        self,
        decide: Callable[[dict[str, Any]], ToolCallPart | list[Any] | str],
        fmt: str = "openai-chat",
    ) -> None:
        self.decide = decide
        self.fmt = fmt
        self.requests: list[dict[str, Any]] = []
        self.documents: list[Document] = []
        self.usage: list[Usage] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        self.documents.append(decode(body, self.fmt)[0])
        answer = self.decide(body) if self.fmt == "openai-chat" else _decide_aif(self.documents[-1])  # fmt: skip
        parts: tuple[Any, ...] = tuple(answer) if isinstance(answer, list) else (answer,) if isinstance(answer, ToolCallPart) else (TextPart(text=str(answer)),)  # fmt: skip
        calls = [p for p in parts if isinstance(p, ToolCallPart)]
        usage = Usage(input_tokens=len(request.content) // 4, output_tokens=7 + len(self.requests))
        self.usage.append(usage)
        reply = Response(
            id=f"reply-{len(self.requests)}",
            model=str(body.get("model") or "gpt-4o"),
            message=Message(role="assistant", parts=parts),
            finish_reason="tool_calls" if calls else "stop",
            usage=usage,
        )
        if body.get("stream") or "stream" in request.url.path.lower():
            return httpx2.Response(200, stream=_Stream(_sse(reply, self.fmt)), headers={"content-type": "text/event-stream"})  # fmt: skip
        return httpx2.Response(200, json=encode_response(reply, self.fmt)[0])


class _Stream(httpx2.AsyncByteStream):
    """A reply body streamed as a server sends it (``content=`` bytes would be read at once)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for i in range(0, len(self.data), 97):  # cut anywhere, as a network may
            yield self.data[i : i + 97]


def _sse(reply: Response, fmt: str) -> bytes:
    """``reply`` as a ``fmt`` stream, each tool call's arguments in two deltas."""
    from aifkit.aif import PartDelta, PartEnd, PartStart, ResponseEnd, ResponseStart, encode_stream

    events: list[Any] = [ResponseStart(id=reply.id, model=reply.model, created=0)]
    for i, part in enumerate(reply.message.parts):
        if isinstance(part, ToolCallPart):
            text = json.dumps(part.arguments)
            events += [PartStart(i, "tool_call", id=part.id, name=part.name), PartDelta(i, text[:5]), PartDelta(i, text[5:])]  # fmt: skip
        else:
            assert isinstance(part, TextPart)
            events += [PartStart(i, "text"), PartDelta(i, part.text)]
        events.append(PartEnd(i))
    events.append(ResponseEnd(reply.finish_reason, None, reply.usage))
    encoder = encode_stream(stream_codec(fmt))  # Mistral streams as openai-chat does
    return b"".join(encoder.encode(e) for e in events) + encoder.close()


def _decide_aif(document: Document) -> ToolCallPart | str:
    """`_expand_once` on the AIF document, for an upstream of any format."""
    results = [p for p in document.messages[-1].parts if isinstance(p, ToolResultPart)]
    if results:
        text = "".join(c.text for c in results[0].content if isinstance(c, TextPart))
        found = [line for line in text.splitlines() if "job 300 " in line]
        return f"From the log: {found[0]}" if found else f"Not found: {text}"
    texts = [p.text for m in document.messages for p in m.parts if isinstance(p, TextPart)]
    refs = _MARKER.findall("\n".join(texts))
    if any(t.name == EXPAND_TOOL for t in document.tools) and refs:
        return ToolCallPart(id="call_x1", name=EXPAND_TOOL, arguments={"ref": refs[0]})
    return "I cannot see job 300."


def _tools(body: dict[str, Any]) -> list[str]:
    return [t["function"]["name"] for t in body.get("tools", [])]


def _expand_once(body: dict[str, Any]) -> ToolCallPart | str:
    """Call aif_expand on the first marker once; then answer from the tool's result."""
    last = body["messages"][-1]
    if last["role"] == "tool":
        found = [line for line in str(last["content"]).splitlines() if "job 300 " in line]
        return f"From the log: {found[0]}" if found else f"Not found: {last['content']}"
    refs = _MARKER.findall(json.dumps(body["messages"]))
    if EXPAND_TOOL in _tools(body) and refs:
        return ToolCallPart(id="call_x1", name=EXPAND_TOOL, arguments={"ref": refs[0]})
    return "I cannot see job 300."


def _served(model: Model, elision_store: str | None = None, **route: Any) -> Any:
    config = GatewayConfig(
        elision_store=elision_store,
        routes=(
            Route(
                models=("gpt-4o",),
                upstream="http://upstream.test/v1",
                format=model.fmt,
                policy="always",
                budget=600,
                **route,
            ),
        ),
    )
    return running(create_app(config, transport=httpx2.MockTransport(model)), {})


@pytest.fixture
def sdk() -> Iterator[Callable[[str], openai.OpenAI]]:
    made: list[openai.OpenAI] = []

    def make(url: str) -> openai.OpenAI:
        made.append(openai.OpenAI(base_url=url + "/v1", api_key="sk-c", max_retries=0))
        return made[-1]

    yield make
    for client in made:
        client.close()


def test_the_gateway_answers_aif_expand_and_the_client_sees_only_the_answer(sdk: Any) -> None:
    model = Model(_expand_once)
    with _served(model, expand=True) as served:
        raw = sdk(served.url).chat.completions.with_raw_response.create(**_log_request())
        reply = raw.parse()
        rec = record(served.app, raw.headers["x-aif-request-id"])
    choice = reply.choices[0]
    assert choice.message.content == f"From the log: {_FACT}"
    assert not choice.message.tool_calls
    assert choice.finish_reason == "stop"
    first, second = model.requests
    assert _tools(first) == [EXPAND_TOOL]
    assert _FACT not in json.dumps(first)  # the pack elided it; the model asked for it back
    assert second["messages"][-2]["tool_calls"][0]["function"]["name"] == EXPAND_TOOL
    assert _FACT in second["messages"][-1]["content"]
    assert rec.upstream_calls == 2
    assert rec.reports["expand"]["answered"] == 1
    assert rec.reports["expand"]["rounds"][0]["calls"][0]["found"] is True
    assert rec.input_tokens == sum(u.input_tokens or 0 for u in model.usage)
    assert rec.output_tokens == sum(u.output_tokens or 0 for u in model.usage)
    assert reply.usage is not None  # the client's usage is the final round's, as sent
    assert reply.usage.completion_tokens == model.usage[-1].output_tokens


def test_a_route_without_expand_adds_no_tool(sdk: Any) -> None:
    model = Model(_expand_once)
    with _served(model) as served:
        raw = sdk(served.url).chat.completions.with_raw_response.create(**_log_request())
        rec = record(served.app, raw.headers["x-aif-request-id"])
    assert raw.parse().choices[0].message.content == "I cannot see job 300."
    (only,) = model.requests
    assert "tools" not in only
    assert rec.upstream_calls == 1
    assert "expand" not in rec.reports


def test_an_unknown_ref_is_answered_as_such_and_the_loop_ends(sdk: Any) -> None:
    def decide(body: dict[str, Any]) -> ToolCallPart | str:
        if body["messages"][-1]["role"] == "tool":
            return f"Not found: {body['messages'][-1]['content']}"
        return ToolCallPart(id="call_u", name=EXPAND_TOOL, arguments={"ref": "0000000000"})

    model = Model(decide)
    with _served(model, expand=True) as served:
        raw = sdk(served.url).chat.completions.with_raw_response.create(**_log_request())
        rec = record(served.app, raw.headers["x-aif-request-id"])
    text = raw.parse().choices[0].message.content or ""
    assert text.startswith("Not found: ")
    assert "no elided text under ref '0000000000'" in text
    assert len(model.requests) == 2
    assert rec.upstream_calls == 2
    assert rec.reports["expand"]["rounds"][0]["calls"] == [{"ref": "0000000000", "found": False}]


def _never_satisfied(body: dict[str, Any]) -> ToolCallPart:
    """Call aif_expand on every turn, whatever the tool answered."""
    refs = _MARKER.findall(json.dumps(body["messages"]))
    return ToolCallPart(id=f"call_{len(body['messages'])}", name=EXPAND_TOOL, arguments={"ref": refs[0]})  # fmt: skip


def test_expand_rounds_are_bounded(sdk: Any) -> None:
    # Past the bound, a reply that only calls aif_expand has nothing the client may
    # see (it never declared the tool): the client is answered 502, not sent the call.
    model = Model(_never_satisfied)
    with _served(model, expand=True, expand_rounds=2) as served:
        with pytest.raises(openai.InternalServerError) as failed:
            sdk(served.url).chat.completions.create(**_log_request())
        rec = record(served.app, failed.value.response.headers["x-aif-request-id"])
    assert failed.value.status_code == 502
    error = failed.value.response.json()["error"]
    assert error["code"] == "aif_expand_unanswered"
    assert "after 2 answered round(s)" in error["message"]
    assert len(model.requests) == 3
    assert rec.upstream_calls == 3
    assert rec.status == 502
    assert rec.reports["expand"]["answered"] == 2
    assert rec.reports["expand"]["unanswered"] == 1
    assert rec.output_tokens == sum(u.output_tokens or 0 for u in model.usage)


def _lookup_too(body: dict[str, Any]) -> list[Any]:
    """Call aif_expand and the client's lookup together until the log line is in view."""
    if body["messages"][-1]["role"] == "tool" and _FACT in body["messages"][-1]["content"]:
        return [ToolCallPart(id="call_l2", name="lookup", arguments={"line": _FACT})]
    ref = _MARKER.findall(json.dumps(body["messages"]))[0]
    return [
        TextPart(text="Checking the elided log."),
        ToolCallPart(id="call_a", name=EXPAND_TOOL, arguments={"ref": ref}),
        ToolCallPart(id="call_b", name="lookup", arguments={"job": 300}),
    ]


_LOOKUP = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}


def _ask_with_lookup(served: Any, sdk: Any, stream: bool) -> dict[str, Any]:
    """Ask with the client's lookup tool; what the client saw, the same streamed or not."""
    client = sdk(served.url).chat.completions
    if stream:
        chunks = list(client.create(**_log_request(), tools=[_LOOKUP], stream=True))
        (rec,) = records(served.app, "gpt-4o")
        calls = [t for c in chunks if c.choices for t in c.choices[0].delta.tool_calls or []]
        return {
            "rec": rec,
            "names": [t.function.name for t in calls if t.function and t.function.name],
            "indexes": {t.index for t in calls},
            "text": "".join(c.choices[0].delta.content or "" for c in chunks if c.choices),
            "finish": [
                c.choices[0].finish_reason
                for c in chunks
                if c.choices and c.choices[0].finish_reason
            ],
        }
    raw = client.with_raw_response.create(**_log_request(), tools=[_LOOKUP])
    choice = raw.parse().choices[0]
    return {
        "rec": record(served.app, raw.headers["x-aif-request-id"]),
        "names": [c.function.name for c in choice.message.tool_calls or []],  # pyright: ignore[reportAttributeAccessIssue]
        "indexes": set(range(len(choice.message.tool_calls or []))),
        "text": choice.message.content or "",
        "finish": [choice.finish_reason],
    }


@pytest.mark.parametrize("stream", [False, True])
def test_a_reply_that_also_calls_the_clients_tools_is_answered_with_those_calls_withheld(
    sdk: Any, stream: bool
) -> None:
    model = Model(_lookup_too)
    with _served(model, expand=True) as served:
        seen = _ask_with_lookup(served, sdk, stream)
    assert _tools(model.requests[0]) == ["lookup", EXPAND_TOOL]
    # The client sees the final round only: the lookup the model asked for once the
    # elided line was in view; not the aif_expand call, nor the first round's text.
    assert seen["names"] == ["lookup"]
    assert seen["text"] == ""
    assert seen["finish"] == ["tool_calls"]
    _, second = model.requests
    turn, result = second["messages"][-2:]
    assert turn["content"] == "Checking the elided log."
    assert [c["function"]["name"] for c in turn["tool_calls"]] == [EXPAND_TOOL]  # lookup withheld
    assert result["tool_call_id"] == "call_a"
    assert _FACT in result["content"]
    rec = seen["rec"]
    assert rec.upstream_calls == 2
    (round_,) = rec.reports["expand"]["rounds"]
    assert round_["withheld"] == ["lookup"]
    assert round_["calls"][0]["found"] is True


@pytest.mark.parametrize("stream", [False, True])
def test_after_the_last_round_the_client_gets_the_reply_without_aif_expand(
    sdk: Any, stream: bool
) -> None:
    def decide(body: dict[str, Any]) -> list[Any]:  # never satisfied, and calls lookup too
        return _lookup_too({**body, "messages": body["messages"][:1]})

    model = Model(decide)
    with _served(model, expand=True, expand_rounds=1) as served:
        seen = _ask_with_lookup(served, sdk, stream)
    rec, names, indexes, text = seen["rec"], seen["names"], seen["indexes"], seen["text"]
    assert seen["finish"] == ["tool_calls"]
    assert len(model.requests) == 2
    assert names == ["lookup"]
    assert indexes == {0}  # numbered from 0 again once the aif_expand call is cut
    assert text == "Checking the elided log."
    assert rec.status == 200
    assert rec.reports["expand"]["answered"] == 1
    assert rec.reports["expand"]["unanswered"] == 1


@given(
    st.dictionaries(
        st.from_regex(r"[0-9a-f]{10}", fullmatch=True), st.text(min_size=1), max_size=4
    ),
    st.lists(st.from_regex(r"[0-9a-f]{10}", fullmatch=True), min_size=1, max_size=4),
)
def test_each_expand_call_gets_one_result_saying_whether_it_was_found(
    elided: dict[str, str], asked: list[str]
) -> None:
    refs = [*list(elided)[:2], *asked]
    calls = tuple(ToolCallPart(id=f"c{i}", name=EXPAND_TOOL, arguments={"ref": r}) for i, r in enumerate(refs))  # fmt: skip
    response = Response(message=Message(role="assistant", parts=calls))
    assert expand_calls(response) == list(calls)
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "q"}]}
    out, report = continued(body, "openai-chat", "gpt-4o", response, elided, stream=False)
    assert [n["found"] for n in report["calls"]] == [r in elided for r in refs]
    assert report["withheld"] == []
    results = out["messages"][2:]
    assert [m["tool_call_id"] for m in results] == [c.id for c in calls]
    for r, m in zip(refs, results, strict=True):
        assert m["content"] == elided[r] if r in elided else "no elided text" in m["content"]


@pytest.mark.parametrize("fmt", ["anthropic", "gemini", "openai-responses"])
def test_expand_works_against_an_upstream_of_another_format(sdk: Any, fmt: str) -> None:
    model = Model(_expand_once, fmt)
    with _served(model, expand=True, count_as="gpt-4o") as served:
        raw = sdk(served.url).chat.completions.with_raw_response.create(**_log_request())
        rec = record(served.app, raw.headers["x-aif-request-id"])
    assert raw.parse().choices[0].message.content == f"From the log: {_FACT}"
    first, second = model.documents
    assert [t.name for t in first.tools] == [EXPAND_TOOL]
    (result,) = [p for p in second.messages[-1].parts if isinstance(p, ToolResultPart)]
    assert _FACT in "".join(c.text for c in result.content if isinstance(c, TextPart))
    assert rec.upstream_calls == 2
    assert rec.output_tokens == sum(u.output_tokens or 0 for u in model.usage)


@pytest.mark.parametrize("fmt", ["bedrock-converse", "ollama"])
def test_every_round_goes_upstream_in_the_shape_of_the_first(sdk: Any, fmt: str) -> None:
    # Bedrock names the model in the URL only; Ollama streams unless told not to. The
    # rounds that answer aif_expand are encoded anew, and must keep both rules.
    model = Model(_expand_once, fmt)
    with _served(model, expand=True, count_as="gpt-4o") as served:
        raw = sdk(served.url).chat.completions.with_raw_response.create(**_log_request())
    assert raw.parse().choices[0].message.content == f"From the log: {_FACT}"
    assert len(model.requests) == 2
    for body in model.requests:
        if fmt == "bedrock-converse":
            assert "model" not in body
            assert "modelId" not in body
        else:
            assert body["stream"] is False


def test_an_anthropic_client_gets_the_expanded_answer() -> None:
    import anthropic

    model = Model(_expand_once)
    request = _log_request()
    with (
        _served(model, expand=True) as served,
        anthropic.Anthropic(base_url=served.url, api_key="sk-c", max_retries=0) as client,
    ):
        reply = client.messages.create(model="gpt-4o", max_tokens=256, messages=request["messages"])  # fmt: skip
    assert [b.type for b in reply.content] == ["text"]
    assert reply.content[0].text == f"From the log: {_FACT}"  # pyright: ignore[reportAttributeAccessIssue]
    assert reply.stop_reason == "end_turn"
    assert len(model.requests) == 2


def test_an_elision_store_keeps_what_the_gateway_elided_for_aif_expand(
    sdk: Any, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from aifkit._cli import main

    store = tmp_path / "elided.db"
    model = Model(_expand_once)
    with _served(model, str(store), expand=True) as served:
        raw = sdk(served.url).chat.completions.with_raw_response.create(**_log_request())
        record(served.app, raw.headers["x-aif-request-id"])
    (ref,) = set(_MARKER.findall(json.dumps(model.requests[0]["messages"])))
    assert main(["expand", ref, "--store", str(store)]) == 0
    assert _FACT in capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("fmt", UPSTREAM_FORMATS)
def test_a_streamed_request_is_answered_the_same_way(sdk: Any, tmp_path: Any, fmt: str) -> None:
    from aifkit.budget import ElisionStore, expand

    store = tmp_path / "elided.db"
    model = Model(_expand_once, fmt)
    with _served(model, str(store), expand=True) as served:
        stream = sdk(served.url).chat.completions.create(**_log_request(), stream=True, stream_options={"include_usage": True})  # fmt: skip
        chunks = list(stream)
        (rec,) = records(served.app, "gpt-4o")
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == f"From the log: {_FACT}"
    assert not any(c.choices and c.choices[0].delta.tool_calls for c in chunks)
    assert len(model.requests) == 2
    assert rec.upstream_calls == 2
    assert rec.reports["expand"]["answered"] == 1
    assert rec.output_tokens == sum(u.output_tokens or 0 for u in model.usage)
    (usage,) = [c.usage for c in chunks if c.usage is not None]
    assert usage.completion_tokens == model.usage[-1].output_tokens  # the last round's
    asked = [p.text for m in model.documents[0].messages for p in m.parts if isinstance(p, TextPart)]  # fmt: skip
    (ref,) = set(_MARKER.findall("\n".join(asked)))  # (the tool's description has an example)
    opened = ElisionStore(store)  # kept for aif expand too
    try:
        assert _FACT in expand(ref, opened).splitlines()
    finally:
        opened.close()


def test_streamed_expand_rounds_are_bounded_too(sdk: Any) -> None:
    model = Model(_never_satisfied)
    with _served(model, expand=True, expand_rounds=2) as served:
        with pytest.raises(openai.InternalServerError) as failed:  # before the stream begins
            sdk(served.url).chat.completions.create(**_log_request(), stream=True)
        (rec,) = records(served.app, "gpt-4o")
    assert failed.value.status_code == 502
    assert failed.value.response.json()["error"]["code"] == "aif_expand_unanswered"
    assert len(model.requests) == 3
    assert rec.upstream_calls == 3
    assert rec.reports["expand"]["answered"] == 2
    assert rec.output_tokens == sum(u.output_tokens or 0 for u in model.usage)


def test_a_short_preamble_before_aif_expand_is_held_and_answered(sdk: Any) -> None:
    def decide(body: dict[str, Any]) -> Any:
        answer = _expand_once(body)
        return [TextPart(text="Let me look at the elided log."), answer] if isinstance(answer, ToolCallPart) else answer  # fmt: skip

    model = Model(decide)
    with _served(model, expand=True) as served:
        chunks = list(sdk(served.url).chat.completions.create(**_log_request(), stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == f"From the log: {_FACT}"  # the preamble was the answered round's
    assert len(model.requests) == 2


def test_aif_expand_after_a_long_streamed_text_is_cut_from_the_clients_stream(sdk: Any) -> None:
    from aifkit.gateway._expand import HOLD_CHARS

    said = "The log lists four hundred jobs. " * (HOLD_CHARS // 20)
    assert len(said) > HOLD_CHARS

    def decide(body: dict[str, Any]) -> list[Any]:
        ref = _MARKER.findall(json.dumps(body["messages"]))[0]
        return [TextPart(text=said), ToolCallPart(id="call_late", name=EXPAND_TOOL, arguments={"ref": ref})]  # fmt: skip

    model = Model(decide)
    with _served(model, expand=True) as served:
        chunks = list(sdk(served.url).chat.completions.create(**_log_request(), stream=True))
        (rec,) = records(served.app, "gpt-4o")
    # The text had gone out before the call came: the call cannot be answered, and
    # the client, which never declared the tool, does not see it.
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == said
    assert not any(c.choices and c.choices[0].delta.tool_calls for c in chunks)
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]  # fmt: skip
    assert len(model.requests) == 1
    assert rec.reports["expand"] == {"rounds": [], "answered": 0, "unanswered": 1}


@pytest.mark.parametrize("fmt", ["gemini", "openai-chat"])
def test_the_tool_is_added_before_the_one_encode(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The client's body is decoded once and encoded once for the upstream, the tool
    # included: adding it does not decode and encode the converted body again.
    from aifkit.aif._convert import FORMATS
    from aifkit.gateway._exchange import Upstream, prepare

    calls: list[str] = []
    for name in {"openai-chat", fmt}:
        converter = FORMATS.get(name)
        for step in ("decode", "encode"):
            original = getattr(converter, step)

            def spy(*args: Any, _o: Any = original, _s: str = f"{name} {step}", **kw: Any) -> Any:
                calls.append(_s)
                return _o(*args, **kw)

            monkeypatch.setattr(converter, step, spy)
    route = Route(upstream="http://upstream.test/v1", format=fmt, policy="always", budget=600, expand=True)  # fmt: skip
    config = GatewayConfig(routes=(route,), sessions=0)
    with_tool({}, "openai-chat")  # the tool's wire shape is made once per process: made now
    calls.clear()
    done = prepare(_log_request(), client_format="openai-chat", upstream=Upstream(route, 0, "gpt-4o", None), stream=False, config=config)  # fmt: skip
    # One encode in the upstream's format: the pack's own when it is the client's, else
    # the conversion's (the tool no longer costs a decode and an encode of its own).
    assert calls.count(f"{fmt} encode") == 1
    assert calls[-1] == f"{fmt} encode" or fmt == "openai-chat"
    assert done.fitted.elided
    assert [t.name for t in decode(done.body, fmt)[0].tools] == [EXPAND_TOOL]


def test_an_anthropic_stream_loses_the_aif_expand_block_and_keeps_its_numbering() -> None:
    # The Anthropic SDK files content blocks by index: the block cut out of the
    # stream must leave no gap.
    import anthropic

    def decide(body: dict[str, Any]) -> list[Any]:
        return _lookup_too({**body, "messages": body["messages"][:1]})

    model = Model(decide)
    request = _log_request()
    lookup = {"name": "lookup", "input_schema": {"type": "object"}}
    with (
        _served(model, expand=True, expand_rounds=1) as served,
        anthropic.Anthropic(base_url=served.url, api_key="sk-c", max_retries=0) as client,
        client.messages.stream(
            model="gpt-4o",
            max_tokens=256,
            messages=request["messages"],
            tools=[lookup],  # pyright: ignore[reportArgumentType]
        ) as stream,  # fmt: skip
    ):
        reply = stream.get_final_message()
    assert [b.type for b in reply.content] == ["text", "tool_use"]
    assert reply.content[1].name == "lookup"  # pyright: ignore[reportAttributeAccessIssue]
    assert reply.stop_reason == "tool_use"
    assert len(model.requests) == 2


@given(
    st.booleans(),
    st.lists(st.sampled_from([EXPAND_TOOL, "lookup", "search"]), max_size=5),
    st.sampled_from(["openai-chat", "anthropic", "bedrock-converse"]),
)
def test_a_stream_cut_by_drop_expand_calls_assembles_to_the_stripped_reply(
    text: bool, names: list[str], fmt: str
) -> None:
    from aifkit.aif import (
        PartDelta,
        PartEnd,
        PartStart,
        ResponseEnd,
        ResponseStart,
        assemble,
        encode_stream,
    )
    from aifkit.gateway._expand import DropExpandCalls, stripped

    parts: list[Any] = [TextPart(text="Looking.")] if text else []
    parts += [ToolCallPart(id=f"call_{i}", name=n, arguments={"i": i}) for i, n in enumerate(names)]
    if not parts:
        return
    response = Response(message=Message(role="assistant", parts=tuple(parts)), finish_reason="tool_calls" if names else "stop")  # fmt: skip
    events: list[Any] = [ResponseStart(id="r1", model="gpt-4o", created=0)]
    for i, part in enumerate(parts):
        if isinstance(part, ToolCallPart):
            events += [PartStart(i, "tool_call", id=part.id, name=part.name), PartDelta(i, json.dumps(part.arguments))]  # fmt: skip
        else:
            events += [PartStart(i, "text"), PartDelta(i, part.text)]
        events.append(PartEnd(i))
    events.append(ResponseEnd(response.finish_reason, None, None))
    drop = DropExpandCalls()
    kept = drop(events[:3]) + drop(events[3:])  # state carries across chunks
    rest = stripped(response)
    assert drop.cut == names.count(EXPAND_TOOL)
    starts = [e.index for e in kept if isinstance(e, PartStart)]
    assert starts == list(range(len(starts)))
    if rest is None:
        assert starts == []
        return
    end = kept[-1]
    assert isinstance(end, ResponseEnd)
    assert end.finish_reason == rest.finish_reason
    encoder = encode_stream(fmt)
    message = assemble(b"".join(encoder.encode(e) for e in kept) + encoder.close(), fmt)

    def shape(m: Message) -> list[Any]:
        return [(p.name, p.arguments) if isinstance(p, ToolCallPart) else p.text for p in m.parts]  # type: ignore[union-attr]

    assert shape(message) == shape(rest.message)
