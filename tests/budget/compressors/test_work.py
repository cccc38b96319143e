"""The workspace: protected messages, units, exact counts, seeking the goal."""

from __future__ import annotations

import pytest

from aifkit.aif import (
    Document,
    DocumentPart,
    Message,
    TextPart,
    TextSource,
    ToolCallPart,
    ToolResultPart,
)
from aifkit.budget import CompressionTarget
from aifkit.budget.compressors._work import Workspace, current_turn, protected_messages
from aifkit.errors import BudgetError
from tests.tokens.helpers import counting


def _m(role: str, *parts: object) -> Message:
    return Message(role=role, parts=parts)  # type: ignore[arg-type]


DOC = Document(
    messages=(
        _m("user", TextPart(text="Read the spec."), DocumentPart(source=TextSource(text="Spec body " * 50))),
        _m("assistant", ToolCallPart(id="c1", name="read")),
        _m("tool", ToolResultPart(call_id="c1", content=(TextPart(text="file body " * 40),))),
        _m("system", TextPart(text="Mid-conversation instruction.")),
        _m("user", TextPart(text="Summarize it.")),
        _m("user", ToolResultPart(call_id="c1", content=(TextPart(text="late"),))),
    )
)  # fmt: skip


def test_the_current_turn_is_the_last_user_message_with_more_than_results() -> None:
    assert current_turn(DOC.messages) == 4
    assert current_turn(()) is None


def test_protected_messages() -> None:
    assert protected_messages(DOC.messages, 1) == {3, 4, 5}
    assert protected_messages(DOC.messages, 0) == {3, 4}


def test_units_cover_text_documents_and_result_text() -> None:
    ws = Workspace(DOC, CompressionTarget("gpt-4o", ratio=0.5), "test")
    units = list(ws.units())
    assert [(u.pointer, u.kind, u.tool) for u in units] == [
        ("/messages/0/parts/0", "text", None),
        ("/messages/0/parts/1", "document", None),
        ("/messages/2/parts/0/content/0", "result_text", "read"),
    ]
    doc_unit = units[1]
    assert doc_unit.replaced("short")["source"] == {"kind": "text", "text": "short"}
    assert ws.query() == "Summarize it."


def test_seek_raises_only_when_strict() -> None:
    ws = Workspace(DOC, CompressionTarget("gpt-4o", budget=5), "test")
    assert ws.seek(lambda need: [], strict=False).tokens_after == ws.before
    with pytest.raises(BudgetError, match="never compressed"):
        ws.seek(lambda need: [], strict=True)


def test_the_workspace_tokenizes_each_text_once_with_the_targets_tokenizer() -> None:
    # Counting the document and listing its units both need every text's tokens.
    tok = counting()
    ws = Workspace(DOC, CompressionTarget("gpt-4o", ratio=0.5, tokenizer=tok), "demo")
    units = list(ws.units())
    assert ws.before == Workspace(DOC, CompressionTarget("gpt-4o", ratio=0.5), "demo").before
    assert units
    assert all(tok.texts[u.text] == 1 for u in units)
    assert max(tok.texts.values()) == 1
    change = ws.change(units[0], "short", "demo")
    ws.finish([change])  # counting the result tokenizes only the new text
    assert tok.texts["short"] == 1
    assert max(tok.texts.values()) == 1
