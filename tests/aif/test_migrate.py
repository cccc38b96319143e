"""Version compatibility: old documents upgrade through the migration registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aifkit.aif import dump_document, load_document
from aifkit.aif._migrate import upgraders
from aifkit.errors import InvalidInputError

LEGACY = Path(__file__).parents[1] / "fixtures" / "aif" / "0.9"


@pytest.mark.parametrize(
    "path",
    sorted(p for p in LEGACY.glob("*.json") if ".expected" not in p.name),
    ids=lambda p: p.name,
)
def test_0_9_documents_upgrade_to_1_0(path: Path) -> None:
    expected = json.loads(path.with_name(path.stem + ".expected-1.0.json").read_text())
    doc = load_document(json.loads(path.read_text()))
    assert dump_document(doc) == expected


def test_the_registry_knows_the_path_from_0_9() -> None:
    load_document({"aif_version": "0.9", "messages": []})
    assert upgraders()[(0, 9)] == (1, 0)


def test_an_unknown_old_version_says_so() -> None:
    with pytest.raises(InvalidInputError, match=r"no upgrade path from AIF 0\.5"):
        load_document({"aif_version": "0.5", "messages": []})


def test_a_malformed_legacy_message_is_reported_at_its_pointer() -> None:
    with pytest.raises(InvalidInputError) as info:
        load_document({"aif_version": "0.9", "messages": [{"role": "user", "content": 7}]})
    assert info.value.pointer.startswith("/messages/0")


@pytest.mark.parametrize(
    ("doc", "pointer"),
    [
        ({"aif_version": "0.9", "messages": 5}, "/messages"),
        ({"aif_version": "0.9", "system": {"a": 1}, "messages": []}, "/instructions"),
        (
            {
                "aif_version": "0.9",
                "messages": [{"role": "assistant", "content": "x", "tool_calls": 3}],
            },
            "/messages/0/tool_calls",
        ),
    ],
)
def test_a_0_9_document_with_values_of_the_wrong_type_is_an_error(
    doc: dict[str, object], pointer: str
) -> None:
    with pytest.raises(InvalidInputError) as info:
        load_document(doc)
    assert info.value.pointer == pointer
