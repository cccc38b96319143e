"""OpenAI Agents SDK: AifkitSession, in the style of the SDK's own session tests.

The session round trips run against the real ``agents`` package; the last test runs
a real ``Runner`` over the session with a local ``Model`` that records its input
(no network, tracing off).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest
from agents import Agent, RunConfig, Runner
from agents.items import ModelResponse, TResponseInputItem
from agents.memory import Session, SessionSettings
from agents.models.interface import Model
from agents.usage import Usage
from openai.types.responses import ResponseOutputMessage, ResponseOutputText

from aifkit.errors import UnknownNameError
from aifkit.integrations.openai_agents import AifkitSession


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def _user(text: str) -> TResponseInputItem:
    return cast("TResponseInputItem", {"role": "user", "content": text})


def _assistant(text: str, n: int) -> TResponseInputItem:
    return cast(
        "TResponseInputItem",
        {
            "id": f"msg_{n}",
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        },
    )


def test_the_session_satisfies_the_sdk_protocol() -> None:
    assert isinstance(AifkitSession("s"), Session)


def test_add_get_pop_clear_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    session = AifkitSession("chat", path)
    items = [_user("Hello"), _assistant("Hi there!", 1), _user("How are you?")]
    _run(session.add_items(items))
    assert _run(session.get_items()) == items
    assert _run(session.get_items(limit=2)) == items[1:]
    assert _run(session.pop_item()) == items[-1]
    assert _run(session.get_items()) == items[:2]
    # Another session in the same file is separate; a new object sees what was stored.
    other = AifkitSession("other", path)
    assert _run(other.get_items()) == []
    again = AifkitSession("chat", path)
    assert _run(again.get_items()) == items[:2]
    _run(session.clear_session())
    assert _run(again.get_items()) == []
    assert _run(session.pop_item()) is None
    for s in (session, other, again):
        s.close()


def test_session_settings_limit_applies_when_no_limit_is_given() -> None:
    session = AifkitSession("s", session_settings=SessionSettings(limit=1))
    _run(session.add_items([_user("one"), _user("two")]))
    assert _run(session.get_items()) == [_user("two")]
    assert _run(session.get_items(limit=2)) == [_user("one"), _user("two")]


def test_tool_calls_and_their_outputs_are_kept_or_dropped_together() -> None:
    session = AifkitSession("tools", budget=120)
    items: list[TResponseInputItem] = [_user("Open locker 4417.")]
    for i in range(12):
        call = {
            "type": "function_call",
            "call_id": f"call_{i}",
            "name": "open_locker",
            "arguments": f'{{"code": "{4400 + i}"}}',
        }
        out = {"type": "function_call_output", "call_id": f"call_{i}", "output": f"opened {i}"}
        items += [cast("TResponseInputItem", call), cast("TResponseInputItem", out)]
    items.append(_user("Which lockers are open?"))
    _run(session.add_items(items))
    got = _run(session.get_items())
    report = session.last_report
    assert report is not None
    assert report.tokens_after <= 120
    assert len(got) < len(items)
    assert got[-1] == items[-1]
    calls = {i["call_id"] for i in got if i.get("type") == "function_call"}
    outputs = {i["call_id"] for i in got if i.get("type") == "function_call_output"}
    assert calls == outputs
    assert calls  # something of the tool work fits
    # Kept items are the stored items, unchanged, in order.
    positions = [items.index(i) for i in got]
    assert positions == sorted(positions)


def test_unknown_items_are_stored_and_returned_as_they_were() -> None:
    session = AifkitSession("odd")
    odd = cast("TResponseInputItem", {"type": "item_reference", "id": "ref_1"})
    _run(session.add_items([_user("hi"), odd, _user("and?")]))
    assert _run(session.get_items()) == [_user("hi"), odd, _user("and?")]


def test_an_unknown_model_is_refused_at_once() -> None:
    with pytest.raises(UnknownNameError):
        AifkitSession("s", model="no-such-model")


class _Recorder(Model):
    """A local model: answers with a fixed text and records the input it was given."""

    def __init__(self) -> None:
        self.inputs: list[list[TResponseInputItem]] = []

    async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
        given = args[1] if len(args) > 1 else kwargs["input"]
        self.inputs.append(list(given) if isinstance(given, list) else [_user(given)])
        text = ResponseOutputText(type="output_text", text="The code is 4417.", annotations=[])
        message = ResponseOutputMessage(
            id=f"msg_r{len(self.inputs)}",
            type="message",
            role="assistant",
            status="completed",
            content=[text],
        )
        return ModelResponse(output=[message], usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        raise NotImplementedError


def test_the_runner_sends_the_packed_history_and_stores_the_turn(tmp_path: Path) -> None:
    model = _Recorder()
    agent = Agent(name="lockers", instructions="Answer briefly.", model=model)
    session = AifkitSession("run", tmp_path / "m.db", budget=80)
    history = [_user("My locker code is 4417."), _assistant("Noted.", 0)]
    history += [_user(f"Some chatter about the weather on day {i}.") for i in range(30)]
    _run(session.add_items(history))
    config = RunConfig(tracing_disabled=True)
    result = _run(Runner.run(agent, "What is my locker code?", session=session, run_config=config))
    assert result.final_output == "The code is 4417."
    sent = model.inputs[0]
    assert session.last_report is not None
    assert session.last_report.tokens_after <= 80
    assert len(sent) < len(history) + 1  # the history was packed before the new input
    assert sent[-1] == {"role": "user", "content": "What is my locker code?"}
    # The session now holds the whole conversation: the history, the turn and the answer.
    stored = AifkitSession("run", tmp_path / "m.db")
    everything = _run(stored.get_items())
    assert everything[: len(history)] == history
    assert everything[-1]["role"] == "assistant"
    assert len(everything) == len(history) + 2


@pytest.mark.parametrize(
    ("item", "match"),
    [
        (5, r"^/1: expected an input item \(a JSON object\), got int"),
        ("hello", r"^/1: expected an input item"),
        ({"role": "user", "content": float("nan")}, r"^/1: not an OpenAI Agents message"),
        ({"role": "user", "content": {1, 2}}, r"^/1: not an OpenAI Agents message"),
    ],
)
def test_items_that_are_not_json_objects_are_refused_with_their_index(
    item: Any, match: str
) -> None:
    """Found by tests/fuzz: an AttributeError on ``.get`` before."""
    from aifkit.errors import InvalidInputError

    session = AifkitSession("s")
    with pytest.raises(InvalidInputError, match=match):
        _run(session.add_items([_user("Hello"), item]))
    assert _run(session.get_items()) == []  # nothing of a refused batch is stored
