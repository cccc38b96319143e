"""Hand-off input the fuzzer found crashing (issue 11): each is now an aifkit error with a pointer.

Data read from JSON text is checked when it is read; these cases reach the
hand-off code as Python values (a dict, a `Document` built in code, a ``state``
argument), where nothing had checked them.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aifkit._json import format_pointer
from aifkit.aif import Document, Message, TextPart
from aifkit.errors import InvalidInputError, UsageError, VerificationError
from aifkit.handoff import Task, load_envelope, pack_handoff, unpack_handoff, verify_handoff
from aifkit.handoff._envelope import canonical_bytes


def text(role: str, value: str) -> dict[str, Any]:
    return {"role": role, "parts": [{"type": "text", "text": value}]}


DOC: dict[str, Any] = {"messages": [text("user", "Book a table."), text("assistant", "Done.")]}


def planned() -> dict[str, Any]:
    return pack_handoff(DOC, target="anthropic").to_json()


# (a) a plan that names messages the conversation does not have


def test_plan_moving_a_message_of_an_empty_conversation_is_refused_not_a_crash() -> None:
    # The fuzzer's case: plan.moved == [0], the conversation has no messages.
    data = pack_handoff({"messages": [text("user", "hi")]}, target="anthropic").to_json()
    data["conversation"] = {"aif_version": "1.0.0"}
    with pytest.raises(InvalidInputError) as caught:
        unpack_handoff(data, "openai-responses", verify=False)
    assert caught.value.pointer == "/plan/moved/0"
    assert "not in the conversation (0 messages)" in caught.value.problem
    with pytest.raises(VerificationError):  # verified (the default), the plan fails the check
        unpack_handoff(data, "openai-responses")


def test_plan_moving_messages_out_of_order_is_refused() -> None:
    data = planned()
    data["plan"]["moved"] = [1, 0]
    with pytest.raises(InvalidInputError, match="out of order or repeated") as caught:
        unpack_handoff(data, "openai-chat", verify=False)
    assert caught.value.pointer == "/plan/moved/1"
    body, _ = unpack_handoff(data, "openai-chat", verify=False, whole=True)  # the way out
    assert len(body["messages"]) == 2


@settings(max_examples=60, deadline=None)
@given(moved=st.lists(st.integers(-3, 4), max_size=5))
def test_any_plan_unpacks_or_is_refused(moved: list[int]) -> None:
    data = planned()
    data["plan"]["moved"] = moved
    fits = moved == sorted(set(moved)) and all(0 <= i < 2 for i in moved)
    if fits:
        body, _ = unpack_handoff(data, "openai-chat", verify=False)
        assert len(body["messages"]) == len(moved)
    else:
        with pytest.raises(InvalidInputError, match=r"^/plan/moved/\d+: message "):
            unpack_handoff(data, "openai-chat", verify=False)


# (b) state that is not a JSON object


@pytest.mark.parametrize("state", [["a", "b"], [("a", 1)], "a=1", 42])
def test_state_that_is_not_a_mapping_is_a_usage_error(state: Any) -> None:
    with pytest.raises(UsageError, match=r"^state= must be a mapping .*not (list|str|int)"):
        pack_handoff(DOC, state=state)


def test_state_keys_must_be_strings() -> None:
    with pytest.raises(UsageError, match="state= keys must be strings"):
        pack_handoff(DOC, state={1: "x"})  # pyright: ignore[reportArgumentType]


@pytest.mark.parametrize(
    ("value", "problem"), [(math.nan, "NaN"), ("\ud800", "lone surrogate"), (math.inf, "Infinity")]
)
def test_state_values_json_cannot_carry_are_named(value: Any, problem: str) -> None:
    with pytest.raises(InvalidInputError, match=problem) as caught:
        pack_handoff(DOC, state={"order": {"note": value}})
    assert caught.value.pointer == "/state/order/note"


def test_state_given_as_a_mapping_is_kept() -> None:
    env = pack_handoff(DOC, state={"order": [1, {"x": None}]})
    assert env.to_json()["state"] == {"order": [1, {"x": None}]}


# (c) an envelope given as a dict: every field is checked, not only the conversation


@pytest.mark.parametrize(
    ("where", "value", "pointer"),
    [
        (("state",), {"k": "\ud800"}, "/state/k"),
        (("state",), {"k": [math.nan]}, "/state/k/0"),
        (("tasks",), [{"id": "t1", "description": "\udfff"}], "/tasks/0/description"),
        (("tasks",), [{"id": "t1", "data": {"n": math.inf}}], "/tasks/0/data/n"),
        (("sender",), {"agent": "\ud83d"}, "/sender/agent"),
        (("summary",), "\ud800", "/summary"),
    ],
)
def test_envelope_fields_json_cannot_carry_are_named(
    where: tuple[str], value: Any, pointer: str
) -> None:
    data = planned()
    data[where[0]] = value
    with pytest.raises(InvalidInputError) as caught:
        load_envelope(data)
    assert caught.value.pointer == pointer
    (failure,) = verify_handoff(data).failures
    assert failure.startswith(f"{pointer}: malformed:")
    with pytest.raises(VerificationError):
        unpack_handoff(data, "chatml")


# (d) a Document built in code holding a lone surrogate


def surrogate_document() -> Document:
    return Document(messages=(Message(role="user", parts=(TextPart(text="caf\udce9"),)),))


def test_pack_of_a_built_document_with_a_lone_surrogate_names_it() -> None:
    with pytest.raises(InvalidInputError, match="lone surrogate") as caught:
        pack_handoff(surrogate_document())
    assert caught.value.pointer == "/messages/0/parts/0/text"


def test_verify_of_a_built_envelope_with_a_lone_surrogate_reports_it() -> None:
    env = pack_handoff(DOC).model_copy(update={"conversation": surrogate_document()})
    (failure,) = verify_handoff(env).failures
    assert failure.startswith("/conversation/messages/0/parts/0/text: malformed:")
    with pytest.raises(VerificationError):
        unpack_handoff(env, "openai-chat")


def test_pack_of_built_tasks_json_cannot_carry_names_them() -> None:
    with pytest.raises(InvalidInputError, match="lone surrogate") as caught:
        pack_handoff(DOC, tasks=[Task(id="t0"), Task(id="t1", description="\ud800")])
    assert caught.value.pointer == "/tasks/1/description"
    with pytest.raises(InvalidInputError, match="NaN") as caught:
        pack_handoff(DOC, tasks=[Task(id="t0", data={"x": [math.nan]})])
    assert caught.value.pointer == "/tasks/0/data/x/0"


@pytest.mark.parametrize(
    ("value", "pointer"),
    [({"a": ["\ud800"]}, "/a/0"), ({"b": math.nan}, "/b"), ([1, {"c": -math.inf}], "/1/c")],
)
def test_canonical_bytes_names_what_json_cannot_carry(value: Any, pointer: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        canonical_bytes(value)
    assert caught.value.pointer == pointer


# Every place at once: a lone surrogate in each string, NaN in each number, of an envelope


FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "aif" / "1.0" / "everything.json"


def _places(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, dict):
        for k, v in cast("dict[str, Any]", value).items():
            yield from _places(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(cast("list[Any]", value)):
            yield from _places(v, (*path, i))
    elif isinstance(value, str | float) or (isinstance(value, int) and not isinstance(value, bool)):
        yield path


def _replaced(data: Any, path: tuple[str | int, ...]) -> Any:
    out = copy.deepcopy(data)
    parent = out
    for step in path[:-1]:
        parent = parent[step]
    old = parent[path[-1]]
    parent[path[-1]] = "\ud800" if isinstance(old, str) else math.nan
    return out


def test_json_no_encoder_can_carry_anywhere_in_an_envelope_is_an_aifkit_error() -> None:
    doc = json.loads(FIXTURE.read_text())
    data = pack_handoff(doc, target="anthropic", state={"n": 1}, tasks=[Task(id="t")]).to_json()
    places = list(_places(data))
    assert len(places) > 50  # the fixture reaches every kind of part
    for path in places:
        hostile = _replaced(data, path)
        with pytest.raises(VerificationError):
            unpack_handoff(hostile, "openai-chat")
        with pytest.raises(InvalidInputError) as caught:
            unpack_handoff(hostile, "openai-chat", verify=False)
        assert caught.value.pointer == format_pointer(path)
