"""OpenAISummarizer over real HTTP against FakeOpenAIServer on localhost."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from aifkit.budget.memory import OpenAISummarizer, summarize_span
from aifkit.errors import MissingDependencyError, ModelCallError, SummaryRejectedError, UsageError
from aifkit.testing import FakeOpenAIServer, FakeReply
from tests.budget.memory.helpers import support_chat

GOOD = (
    "Dana Reyes reported order ord_4471 missing; lookup_order showed it lost in transit "
    "(tracking 1Z999AA10123456784). A replacement ships to 221 Baker Street, London."
)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as srv:
        yield srv


def _summarizer(server: FakeOpenAIServer, **kw: float) -> OpenAISummarizer:
    options = {"timeout": 2.0, "max_retries": 0, **kw}
    return OpenAISummarizer(
        "local-model",
        base_url=server.base_url,
        env={},
        timeout=float(options["timeout"]),
        max_retries=int(options["max_retries"]),
    )


def test_it_sends_a_chat_completion_and_returns_the_text(server: FakeOpenAIServer) -> None:
    server.replies.append(FakeReply("  A short summary.  "))
    s = _summarizer(server)
    out = s.summarize(support_chat().messages[:3], max_tokens=64, focus="the order")
    assert out == "A short summary."
    (request,) = server.requests
    assert request["model"] == "local-model"
    assert request["max_tokens"] == 64
    system, user = request["messages"]
    assert system["role"] == "system"
    assert "at most 48 words" in system["content"]
    assert system["content"].endswith("keep what bears on: the order")
    assert user == {
        "role": "user",
        "content": "user: Hi! My name is Dana Reyes and my order ord_4471 never arrived.\n"
        "assistant: I am sorry to hear that. Let me look the order up for you.\n"
        'assistant: called lookup_order({"order": "ord_4471"})',
    }
    s.close()


def test_a_server_error_is_a_model_call_error(server: FakeOpenAIServer) -> None:
    server.replies.append(FakeReply(status=500))
    with pytest.raises(ModelCallError, match="HTTP 500: scripted status 500") as caught:
        _summarizer(server).summarize("some text", max_tokens=10)
    assert caught.value.endpoint == server.base_url


def test_retries_reach_a_later_success(server: FakeOpenAIServer) -> None:
    server.replies += [FakeReply(status=503), FakeReply("Recovered.")]
    assert _summarizer(server, max_retries=1).summarize("text", max_tokens=10) == "Recovered."
    assert len(server.requests) == 2


def test_a_timeout_is_a_model_call_error(server: FakeOpenAIServer) -> None:
    server.replies.append(FakeReply("too late", delay=5))
    began = time.monotonic()
    with pytest.raises(ModelCallError, match=r"timed out after 0.3s"):
        _summarizer(server, timeout=0.3).summarize("text", max_tokens=10)
    assert time.monotonic() - began < 3


def test_an_unreachable_endpoint_is_a_model_call_error() -> None:
    with FakeOpenAIServer() as srv:
        url = srv.base_url
    s = OpenAISummarizer("m", base_url=url, env={}, max_retries=0, timeout=2)
    with pytest.raises(ModelCallError, match="could not connect"):
        s.summarize("text", max_tokens=10)


def test_null_content_is_an_empty_summary(server: FakeOpenAIServer) -> None:
    server.replies.append(FakeReply(None))
    assert _summarizer(server).summarize("text", max_tokens=10) == ""


def test_configuration_comes_from_arguments_or_the_environment() -> None:
    env = {"AIFKIT_SUMMARY_MODEL": "qwen2.5", "AIFKIT_SUMMARY_BASE_URL": "http://h:1/v1/"}
    s = OpenAISummarizer(env=env)
    assert (s.model, s.base_url) == ("qwen2.5", "http://h:1/v1")
    s = OpenAISummarizer("gpt-4o-mini", env={"OPENAI_API_KEY": "sk-test"})
    assert s.base_url == "https://api.openai.com/v1"  # made, not called: nothing was sent
    assert "sk-test" not in repr(s)


def test_nothing_is_configured_nothing_is_sent() -> None:
    with pytest.raises(UsageError, match="no summary model"):
        OpenAISummarizer(env={})
    with pytest.raises(UsageError, match="no summary endpoint"):
        OpenAISummarizer("m", env={})


def test_without_openai_it_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)
    with pytest.raises(MissingDependencyError, match=r'pip install "aifkit\[llm\]"'):
        OpenAISummarizer("m", base_url="http://h:1/v1", env={})


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (FakeReply(status=500), "the summarizer failed: ModelCallError"),
        (FakeReply("I'm sorry, I cannot help with that request."), "error message"),
        (FakeReply(""), "the summary is empty"),
        (FakeReply("Dana had an order issue."), "lost"),
    ],
)
def test_a_bad_endpoint_reply_changes_nothing(
    server: FakeOpenAIServer, reply: FakeReply, reason: str
) -> None:
    server.replies.append(reply)
    doc = support_chat()
    with pytest.raises(SummaryRejectedError, match=reason):
        summarize_span(doc, 0, 7, _summarizer(server), max_tokens=80)


def test_a_good_endpoint_reply_is_committed(server: FakeOpenAIServer) -> None:
    server.replies.append(FakeReply(GOOD))
    done = summarize_span(support_chat(), 0, 7, _summarizer(server), max_tokens=80)
    assert done.committed
    assert done.summary == GOOD


def test_asummarize_sends_the_same_request_and_does_not_block_the_loop(
    server: FakeOpenAIServer,
) -> None:
    import asyncio

    server.replies += [FakeReply("Summary 0.")] + [
        FakeReply(f"Summary {i}.", delay=0.4) for i in range(4)
    ]
    s = _summarizer(server)
    assert s.summarize("text 0", max_tokens=16, focus="x") == "Summary 0."

    async def main() -> tuple[list[str], float]:
        began = time.monotonic()
        try:
            done = await asyncio.gather(
                *(s.asummarize(f"text {i}", max_tokens=16, focus="x") for i in range(4))
            )
        finally:
            await s.aclose()
        return list(done), time.monotonic() - began

    summaries, took = asyncio.run(main())
    assert sorted(summaries) == [f"Summary {i}." for i in range(4)]
    assert took < 1.2  # four 0.4 s replies at once, not one after another
    bodies = [r for r in server.requests if r["messages"][1]["content"] == "text 0"]
    assert len(bodies) == 2
    assert bodies[0] == bodies[1]  # the sync and async paths send the same request


def test_asummarize_failures_are_model_call_errors(server: FakeOpenAIServer) -> None:
    import asyncio

    server.replies.append(FakeReply(status=500))
    s = _summarizer(server)

    async def main() -> None:
        try:
            await s.asummarize("text", max_tokens=10)
        finally:
            await s.aclose()

    with pytest.raises(ModelCallError, match="HTTP 500: scripted status 500"):
        asyncio.run(main())


def test_a_rolling_memory_folds_through_a_slow_model_without_blocking_the_loop(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    # aadd runs the fold (a 0.5 s model call, then SQLite) in a worker thread: a task
    # that ticks every 20 ms keeps ticking, and the fold is committed to the file.
    import asyncio

    from aifkit.budget.memory import RollingMemory

    server.replies.append(FakeReply(GOOD, delay=0.5))
    chat = support_chat().messages
    mem = RollingMemory(
        tmp_path / "memory.sqlite",
        summarizer=_summarizer(server),
        max_tokens=130,
        summary_tokens=60,
        low_water=90,
        keep_last=2,
    )

    async def main() -> tuple[int, Sequence[object]]:
        ticks = 0
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                await asyncio.sleep(0.02)

        task = asyncio.create_task(ticker())
        folds = [await mem.aadd(m) for m in chat]
        stop.set()
        await task
        return ticks, folds

    ticks, folds = asyncio.run(main())
    assert server.requests
    assert any(getattr(f, "committed", False) for f in folds)
    assert ticks >= 15  # the loop ran on while the model answered
    mem.close()
    with RollingMemory(tmp_path / "memory.sqlite", max_tokens=130, keep_last=2) as again:
        assert again.summary == mem.summary
        assert "ord_4471" in again.summary
