"""The pack report: every item, its decision and constraint, the diff, JSON."""

from __future__ import annotations

import json

from aifkit.aif import Document, Instruction, Message, TextPart, Tool, ToolCallPart, ToolResultPart
from aifkit.budget import CONSTRAINTS, Packer
from tests.budget.fakes import WordCounter


def _doc(n: int) -> Document:
    msgs = [
        Message(role="user" if i % 2 else "assistant", parts=(TextPart(text=f"turn {i} " * 5),))
        for i in range(n)
    ]
    call = Message(role="assistant", parts=(ToolCallPart(id="c", name="f", arguments={"a": 1}),))
    result = Message(
        role="tool", parts=(ToolResultPart(call_id="c", content=(TextPart(text="ok"),)),)
    )
    return Document(
        instructions=(Instruction(role="system", parts=(TextPart(text="Be kind."),)),),
        tools=(Tool(name="f"),),
        messages=(*msgs, call, result, Message(role="user", parts=(TextPart(text="next"),))),
    )


def test_every_item_is_listed_with_its_decision_and_constraint() -> None:
    doc = _doc(10)
    packed, report = Packer(counter=WordCounter(), window=10_000).pack(doc, budget=60)
    items = report.items
    assert [i.pointer for i in items] == ["/instructions/0", "/tools"] + [
        f"/messages/{k}" for k in range(len(doc.messages))
    ]
    assert {i.decision for i in items} == {"kept", "dropped"}
    assert all(i.constraint in CONSTRAINTS for i in items)
    call, result = items[12], items[13]
    assert call.group == result.group == "/messages/10"
    assert call.decision == result.decision
    assert result.category == "tool_results"
    kept = sum(i.tokens for i in report.kept) + report.fixed["overhead"]
    assert kept == report.tokens_after
    assert len(report.kept) - 2 == len(packed.messages)
    assert report.categories()["system"] == {
        "kept": 1,
        "kept_tokens": 5,
        "dropped": 0,
        "dropped_tokens": 0,
    }
    assert "PackReport(" in repr(report)


def test_the_report_is_json_with_every_figure() -> None:
    _, report = Packer(counter=WordCounter(), window=10_000).pack(_doc(10), budget=60)
    data = json.loads(json.dumps(report.to_json()))
    assert set(data) >= {
        "limits",
        "complexity",
        "prefix",
        "categories",
        "diff",
        "items",
        "policy",
        "query",
    }
    assert data["complexity"]["factors"]["words"] == 1
    assert data["limits"]["hard"] == 60
    assert data["diff"] == {"previous": False, "now_dropped": [], "now_kept": [], "new": []}


def test_the_diff_against_the_previous_pack() -> None:
    packer = Packer(counter=WordCounter(), window=10_000)
    doc = _doc(10)
    packer.pack(doc, budget=60)
    grown = doc.model_copy(update={"messages": (*doc.messages, Message(role="assistant", parts=(TextPart(text="done"),)),
                                                Message(role="user", parts=(TextPart(text="and?"),)))})  # fmt: skip
    _, report = packer.pack(grown, budget=60)
    diff = report.diff()
    assert diff["previous"] is True
    assert diff["new"] == ["/messages/13", "/messages/14"]
    changes = {i.pointer: i.change for i in report.items}
    assert changes["/messages/0"] in {"same", "now kept", "now dropped"}
    assert changes["/instructions/0"] is None
