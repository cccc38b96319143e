"""Tool-output clearing: oldest first, the last N kept, at least K at a time, named tools never."""

from __future__ import annotations

from aifkit.aif import Document, Message, TextPart, ToolCallPart, ToolResultPart
from aifkit.budget import CompressionTarget, ToolOutputClearer
from aifkit.budget.compressors._clear import placeholder


def _agent(outputs: list[tuple[str, str]]) -> Document:
    messages = [Message(role="user", parts=(TextPart(text="Fix the failing test."),))]
    for i, (tool, text) in enumerate(outputs):
        messages.append(Message(role="assistant", parts=(ToolCallPart(id=f"c{i}", name=tool),)))
        messages.append(
            Message(role="tool", parts=(ToolResultPart(call_id=f"c{i}", content=(TextPart(text=text),)),))
        )  # fmt: skip
    messages.append(Message(role="assistant", parts=(TextPart(text="Working on it."),)))
    return Document(messages=tuple(messages))


def _text(doc: Document, i: int) -> str:
    part = doc.messages[i].parts[0]
    assert isinstance(part, ToolResultPart)
    first = part.content[0]
    assert isinstance(first, TextPart)
    return first.text


BIG = "\n".join(f"tests/test_{i}.py::test_case PASSED" for i in range(150))


def test_the_oldest_outputs_go_first_and_keep_their_call_id() -> None:
    doc = _agent([("run", BIG), ("run", BIG), ("run", BIG), ("run", BIG)])
    result = ToolOutputClearer(keep_last=1).compress(doc, CompressionTarget("gpt-4o", ratio=0.6))
    cleared = [a.pointer for a in result.actions]
    assert cleared == ["/messages/2/parts/0", "/messages/4/parts/0"]
    assert _text(result.document, 2).startswith("[tool output cleared: run,")
    assert "began: tests/test_0.py::test_case PASSED" in _text(result.document, 2)
    assert result.document.messages[2].parts[0].call_id == "c0"  # type: ignore[union-attr]
    assert _text(result.document, 8) == BIG
    assert result.restore() == doc


def test_the_last_n_are_kept_even_when_the_goal_is_missed() -> None:
    doc = _agent([("run", BIG), ("run", BIG), ("run", BIG)])
    result = ToolOutputClearer(keep_last=2).compress(doc, CompressionTarget("gpt-4o", ratio=0.1))
    assert [a.pointer for a in result.actions] == ["/messages/2/parts/0"]
    assert result.ratio > 0.1  # a partial method: it says what it reached


def test_named_tools_are_never_cleared() -> None:
    doc = _agent([("read_spec", BIG), ("run", BIG), ("run", BIG)])
    result = ToolOutputClearer(keep_last=0, never={"read_spec"}).compress(
        doc, CompressionTarget("gpt-4o", ratio=0.3)
    )
    assert "/messages/2/parts/0" not in [a.pointer for a in result.actions]
    assert _text(result.document, 2) == BIG


def test_a_gain_below_clear_at_least_clears_nothing() -> None:
    doc = _agent([("run", "short output " * 30), ("run", BIG)])
    clearer = ToolOutputClearer(keep_last=1, clear_at_least=500)
    result = clearer.compress(doc, CompressionTarget("gpt-4o", ratio=0.9))
    assert result.actions == ()
    assert result.document == doc


def test_clear_at_least_clears_past_the_goal() -> None:
    doc = _agent([("run", BIG)] * 4)
    before = ToolOutputClearer(keep_last=0).compress(doc, CompressionTarget("gpt-4o", ratio=0.9))
    more = ToolOutputClearer(keep_last=0, clear_at_least=2000).compress(
        doc, CompressionTarget("gpt-4o", ratio=0.9)
    )
    assert len(before.actions) == 1
    assert sum(a.saved for a in more.actions) >= 2000


def test_nothing_is_cleared_when_the_budget_already_fits() -> None:
    doc = _agent([("run", BIG)])
    result = ToolOutputClearer().compress(doc, CompressionTarget("gpt-4o", budget=100_000))
    assert result.document is doc
    assert result.ratio == 1.0


def test_the_placeholder_gist_of_json_names_its_keys() -> None:
    text = '{"files": ["a.py", "b.py"], "count": 2}'
    assert placeholder("ls", 12, text) == (
        "[tool output cleared: ls, 12 tokens; began: JSON object with keys files, count]"
    )
