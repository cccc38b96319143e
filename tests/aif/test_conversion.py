"""Conversions across formats: every AIF document reaches each format with its rules met,
and whatever does not survive the trip there and back is named in the loss report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from aifkit.aif import (
    AudioPart,
    Document,
    DocumentPart,
    ImagePart,
    LossReport,
    ReasoningPart,
    RefusalPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    convert,
    decode,
    encode,
    validate,
)
from aifkit.errors import InvalidInputError
from aifkit.examples import example, examples

from .strategies import documents

WIRE_FORMATS = ["openai-chat", "anthropic"]

Atom = tuple[str, str]


def _atoms(doc: Document) -> Iterator[tuple[str, Atom]]:
    """Every piece of content in a document, with the JSON pointer it sits at."""
    for i, ins in enumerate(doc.instructions):
        for j, part in enumerate(ins.parts):
            yield f"/instructions/{i}/parts/{j}", ("text", part.text)
    for i, msg in enumerate(doc.messages):
        for j, part in enumerate(msg.parts):
            yield from _part_atoms(f"/messages/{i}/parts/{j}", part)
    for i, tool in enumerate(doc.tools):
        yield f"/tools/{i}", ("tool", tool.name)


def _part_atoms(path: str, part: Any) -> Iterator[tuple[str, Atom]]:
    match part:
        case TextPart(text=text) | RefusalPart(text=text):
            yield path, ("text", text)
        case ImagePart(source=src) | DocumentPart(source=src) | AudioPart(source=src):
            yield path, (part.type, src.model_dump_json(exclude={"provider"}))
        case ToolCallPart():
            yield path, ("call", part.name)
            args = part.raw_arguments or json.dumps(part.arguments, sort_keys=True)
            yield path, ("arguments", args)
        case ToolResultPart(content=content):
            for k, inner in enumerate(content):
                yield from _part_atoms(f"{path}/content/{k}", inner)
        case ReasoningPart(text=text, redacted=redacted):
            yield path, ("text", text or redacted or "")
        case _:
            yield path, ("other", part.model_dump_json())


def _covered(pointer: str, report: LossReport, actions: set[str]) -> bool:
    return any(
        e.action in actions and (pointer == e.pointer or pointer.startswith(e.pointer + "/"))
        for e in report
    )


def _round_trip(doc: Document, fmt: str) -> tuple[Document, LossReport]:
    body, report = encode(doc, fmt)
    assert validate(body, fmt) == [], f"{fmt} output breaks its own rules"
    back, _ = decode(body, fmt)
    return back, report


def _survives(atom: Atom, after: list[Atom]) -> bool:
    kind, value = atom
    if atom in after:
        return True
    # Merged turns, reasoning or refusals kept as text: the text is still there.
    return kind == "text" and any(k == "text" and value in v for k, v in after)


@pytest.mark.parametrize("fmt", WIRE_FORMATS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents())
def test_aif_documents_survive_or_are_reported(fmt: str, doc: Document) -> None:
    back, report = _round_trip(doc, fmt)
    after = [atom for _, atom in _atoms(back)]
    for pointer, atom in _atoms(doc):
        if not _survives(atom, after):
            assert _covered(pointer, report, {"dropped", "transformed"}), (
                f"{fmt}: {atom} at {pointer} was lost without a loss entry"
            )
    if report.lossless:
        assert [a for _, a in _atoms(back)] == [a for _, a in _atoms(doc)]


@pytest.mark.parametrize("fmt", WIRE_FORMATS)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents())
def test_tool_calls_stay_paired_with_results(fmt: str, doc: Document) -> None:
    back, _ = _round_trip(doc, fmt)
    calls = [p.id for m in back.messages for p in m.parts if isinstance(p, ToolCallPart)]
    results = [p.call_id for m in back.messages for p in m.parts if isinstance(p, ToolResultPart)]
    assert sorted(calls) == sorted(results)
    assert len(set(calls)) == len(calls), "two calls were mapped to one id"


@pytest.mark.parametrize(("source", "name"), examples())
@pytest.mark.parametrize("target", ["aif", *WIRE_FORMATS])
def test_bundled_examples_convert_everywhere(source: str, name: str, target: str) -> None:
    body = example(source, name)
    out, report = convert(body, source=source, target=target)
    assert validate(out, target) == []
    if target == source:
        assert out == body
        assert report.lossless
    for entry in report:
        assert entry.pointer == "" or entry.pointer.startswith("/")
        _resolve(body, entry.pointer)  # every pointer names a place in the source body


def _resolve(body: Any, pointer: str) -> Any:
    node = body
    for token in pointer.split("/")[1:]:
        key = token.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def test_openai_to_anthropic_report_is_exact() -> None:
    body = example("openai-chat", "weather-agent")
    _, report = convert(body, source="openai-chat", target="anthropic")
    got = {(e.pointer, e.action, e.rule.split("/")[0]) for e in report}
    # The user's name, OpenAI-only settings and the image detail do not exist in
    # Anthropic; ids with '.' and ':' are remapped; the developer text is lifted.
    assert ("/messages/2/name", "dropped", "anthropic") in got
    assert ("/n", "dropped", "anthropic") in got
    assert ("/user", "dropped", "anthropic") in got
    assert any(p.startswith("/messages/3/tool_calls/0") and a == "transformed" for p, a, _ in got)
    assert any(p.startswith("/messages/3/tool_calls/1") and a == "transformed" for p, a, _ in got)
    assert all(a != "dropped" or not p.startswith("/messages/4") for p, a, _ in got)


# -- the edge: what no body may hold -------------------------------------------------

EDGE_BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.parametrize("target", ["a2a", "gemini", "anthropic", "aif", "mistral"])
def test_a_lone_surrogate_is_refused_before_any_converter_hashes_it(target: str) -> None:
    body = {**EDGE_BODY, "messages": [{"role": "user", "content": "a\ud800b"}]}
    with pytest.raises(InvalidInputError, match="lone surrogate") as info:
        convert(body, source="openai-chat", target=target)
    assert info.value.pointer == "/messages/0/content"


@pytest.mark.parametrize("target", ["anthropic", "aif", "gemini"])
def test_nan_is_refused_not_written_as_nan_or_null(target: str) -> None:
    with pytest.raises(InvalidInputError, match="NaN is not a JSON number") as info:
        convert({**EDGE_BODY, "temperature": float("nan")}, source="openai-chat", target=target)
    assert info.value.pointer == "/temperature"


def test_tool_arguments_that_are_not_strict_json_are_kept_as_text() -> None:
    for text in ('{"x": NaN}', '{"x": "\\ud800"}', "[" * 5000 + "]" * 5000):
        body = {**EDGE_BODY, "messages": [
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": text}}]}]}  # fmt: skip
        doc, _ = convert(body, source="openai-chat", target="aif")
        part = doc["messages"][0]["parts"][0]
        assert part["raw_arguments"] == text
        json.dumps(doc, allow_nan=False).encode("utf-8")


def test_python_api_nesting_past_the_limit_is_refused() -> None:
    schema: dict[str, object] = {"type": "object"}
    for _ in range(2000):
        schema = {"type": "object", "properties": {"a": schema}}
    body = {**EDGE_BODY, "tools": [{"type": "function", "function": {"name": "f", "parameters": schema}}]}  # fmt: skip
    for call in (
        lambda: convert(body, source="openai-chat", target="anthropic"),
        lambda: decode(body, "openai-chat"),
    ):
        with pytest.raises(InvalidInputError, match="nested more than 128 levels"):
            call()
    assert "nested more than 128" in str(validate(body, "openai-chat")[0])


def test_a_legacy_document_of_the_wrong_shape_is_an_error() -> None:
    with pytest.raises(InvalidInputError, match="/messages: expected an array"):
        convert({"aif_version": "0.9", "messages": 5}, source="aif", target="openai-chat")


def test_a_document_built_in_code_cannot_hold_a_nan_setting() -> None:
    from pydantic import ValidationError

    from aifkit.aif import Settings

    with pytest.raises(ValidationError, match="finite number"):
        Settings(temperature=float("nan"))
