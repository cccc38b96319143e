"""Version compatibility: old documents upgrade through the migration registry, step by step."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from aifkit.aif import (
    AIF_VERSION,
    Document,
    convert,
    convert_response,
    decode_response,
    detect_format,
    dump_document,
    load_document,
)
from aifkit.aif._migrate import parse_version, register_upgrader, upgrade, upgraders
from aifkit.aif._upgrades.v0_9 import upgrade_0_9
from aifkit.errors import InvalidInputError, UnsupportedVersionError
from tests.aif.strategies import documents

FIXTURES = Path(__file__).parents[1] / "fixtures"
LEGACY = FIXTURES / "aif" / "0.9"
CURRENT = parse_version(AIF_VERSION)


def _recorded_1_0() -> dict[str, dict[str, Any]]:
    """Every recorded document labelled 1.0.0: the 1.0 corpus, what the 0.9 step wrote,
    and the golden AIF of each format."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(FIXTURES.rglob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        if path.parent.name == "openai-chat":  # a case: the body and its golden AIF together
            data = data.get("aif", {})
        if isinstance(data, dict) and data.get("aif_version") == "1.0.0":
            out[str(path.relative_to(FIXTURES))] = data
    return out


RECORDED_1_0 = _recorded_1_0()


@pytest.mark.parametrize(
    "path",
    sorted(p for p in LEGACY.glob("*.json") if ".expected" not in p.name),
    ids=lambda p: p.name,
)
def test_0_9_documents_upgrade_through_1_0_to_the_current_version(path: Path) -> None:
    legacy = json.loads(path.read_text())
    at_1_0 = json.loads(path.with_name(path.stem + ".expected-1.0.json").read_text())
    assert {**upgrade_0_9(dict(legacy)), "aif_version": "1.0.0"} == at_1_0  # the 0.9 step alone
    doc = load_document(legacy)
    assert doc.aif_version == AIF_VERSION
    assert doc == load_document(at_1_0)


def test_the_registry_has_a_step_for_every_version_up_to_the_current_one() -> None:
    load_document({"aif_version": "0.9", "messages": []})  # imports the built-in steps
    steps = upgraders()
    assert steps[(0, 9)] == (1, 0)
    # Every minor version of the current major before this one has its step, so the
    # chain from 1.0 is complete (an additive minor version's step changes only the version).
    for minor in range(CURRENT[1]):
        assert steps[(CURRENT[0], minor)] == (CURRENT[0], minor + 1)


@pytest.mark.parametrize("name", sorted(RECORDED_1_0))
def test_recorded_1_0_documents_load_forever_and_only_their_version_changes(name: str) -> None:
    data = RECORDED_1_0[name]
    doc = load_document(data)
    assert doc.aif_version == AIF_VERSION
    assert dump_document(doc) == {**data, "aif_version": AIF_VERSION}
    assert load_document(dump_document(doc)) == doc


def test_the_recorded_1_0_corpus_is_real() -> None:
    # The golden documents of the format converters are in it, not only the 1.0 corpus.
    assert len(RECORDED_1_0) > 50
    assert any("reasoning" in d.get("settings", {}) for d in RECORDED_1_0.values())


def test_a_1_0_document_with_1_1_fields_loads() -> None:
    # aifkit wrote settings.reasoning under 1.0.0 before the version was raised: such
    # documents are read as the 1.1 documents they are, not refused.
    recorded = json.loads((FIXTURES / "anthropic" / "thinking.aif.json").read_text("utf-8"))
    assert recorded["aif_version"] == "1.0.0"
    doc = load_document(recorded)
    assert doc.settings.reasoning is not None
    assert (
        doc.settings.reasoning.budget_tokens == recorded["settings"]["reasoning"]["budget_tokens"]
    )


def test_a_typo_in_a_1_0_document_is_still_an_error_after_the_upgrade() -> None:
    with pytest.raises(InvalidInputError) as info:
        load_document({"aif_version": "1.0.0", "settings": {"modle": "gpt-4o"}})
    assert info.value.pointer == "/settings/modle"


@given(documents())
def test_the_1_0_step_changes_nothing_but_the_version(doc: Document) -> None:
    data = dump_document(doc)
    old = {**data, "aif_version": "1.0.0"}
    assert upgrade(dict(old)) == data
    assert load_document(old) == doc


def test_a_newer_minor_document_keeps_what_this_version_does_not_know() -> None:
    data = json.loads((FIXTURES / "aif" / "1.2" / "newer-minor.json").read_text("utf-8"))
    doc = load_document(data)
    assert doc.aif_version == "1.2.0"  # not rewritten: this aifkit cannot write 1.2
    assert doc.settings.reasoning is not None
    assert doc.settings.reasoning.effort == "low"
    assert doc.model_extra == {"retention": {"days": 30, "region": None}}
    assert dump_document(doc) == data
    out, report = convert(data, source="aif", target="aif")
    assert out == data
    assert report.lossless


def test_a_newer_major_document_is_refused_with_what_to_do() -> None:
    with pytest.raises(UnsupportedVersionError) as info:
        load_document({"aif_version": "2.0.0", "messages": []})
    err = info.value
    assert err.pointer == "/aif_version"
    assert f"AIF 2.0.0 is newer than this aifkit reads (AIF {AIF_VERSION})" in err.problem
    assert err.hint == "upgrade aifkit: pip install -U aifkit"
    with pytest.raises(UnsupportedVersionError):
        convert({"aif_version": "2.1", "messages": []}, source="aif", target="openai-chat")
    # Still recognized as AIF, so `--from auto` and the CLI's hints say "upgrade aifkit".
    newer = {"aif_version": "2.0.0", "messages": [{"role": "user", "parts": []}]}
    assert detect_format(newer)[0].format == "aif"


def test_an_aif_response_of_a_newer_major_is_refused_and_an_older_one_read_as_it_is() -> None:
    # Responses have not changed since they were added under 1.0.0: no step rewrites them.
    with pytest.raises(UnsupportedVersionError, match="pip install -U aifkit"):
        decode_response({"aif_version": "2.0.0", "message": {"role": "assistant"}}, "aif")
    old = {
        "aif_version": "1.0.0",
        "message": {"role": "assistant", "parts": [{"type": "text", "text": "Hi"}]},
    }
    response, _ = decode_response(old, "aif")
    assert response.aif_version == "1.0.0"
    assert convert_response(old, source="aif", target="aif")[0] == old


def test_an_aif_document_inside_another_format_is_upgraded_too() -> None:
    body = json.loads((FIXTURES / "a2a" / "envelope.json").read_text("utf-8"))
    embedded = body["parts"][1]["data"]
    old = {**body, "parts": [body["parts"][0], {**body["parts"][1], "data": {**embedded, "aif_version": "1.0.0"}}]}  # fmt: skip
    document, _ = convert(old, source="a2a", target="aif")
    assert document["aif_version"] == AIF_VERSION
    again, _ = convert(old, source="a2a", target="a2a")
    assert again == body  # written back at the current version, nothing else changed


def test_an_unknown_old_version_says_so() -> None:
    with pytest.raises(InvalidInputError, match=r"no upgrade path from AIF 0\.5"):
        load_document({"aif_version": "0.5", "messages": []})


def test_a_step_must_move_forward_and_be_the_only_one_from_its_version() -> None:
    def step(data: dict[str, Any]) -> dict[str, Any]:
        return data

    with pytest.raises(ValueError, match="must move forward"):
        register_upgrader((1, 1), (1, 1))
    load_document({"aif_version": "1.0", "messages": []})  # imports the built-in steps
    with pytest.raises(ValueError, match="already registered"):
        register_upgrader((1, 0), (1, 1))(step)


def test_a_malformed_legacy_message_is_reported_at_its_pointer() -> None:
    with pytest.raises(InvalidInputError) as info:
        load_document({"aif_version": "0.9", "messages": [{"role": "user", "content": 7}]})
    assert info.value.pointer.startswith("/messages/0")


@pytest.mark.parametrize(
    ("doc", "pointer"),
    [
        ({"aif_version": "0.9", "messages": 5}, "/messages"),
        ({"aif_version": "0.9", "system": {"a": 1}}, "/system"),
        ({"aif_version": "0.9", "messages": [{"role": "assistant", "tool_calls": 3}]},
         "/messages/0/tool_calls"),
    ],
)  # fmt: skip
def test_legacy_fields_of_the_wrong_type_are_errors_not_crashes(
    doc: dict[str, object], pointer: str
) -> None:
    with pytest.raises(InvalidInputError, match="expected") as info:
        load_document(doc)
    assert info.value.pointer == pointer
