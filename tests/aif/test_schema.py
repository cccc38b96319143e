"""The AIF 1.0 schema: published JSON Schema, documents that load forever, versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aifkit.aif import (
    AIF_VERSION,
    Document,
    Message,
    TextPart,
    ToolCallPart,
    dump_document,
    json_schema,
    load_document,
)
from aifkit.errors import InvalidInputError, UnsupportedVersionError

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "aif"


def test_published_json_schema_is_current() -> None:
    published = json.loads((ROOT / "schemas" / "aif-1.0.schema.json").read_text())
    assert published == json_schema(), "run `make schema` to regenerate schemas/aif-1.0.schema.json"


def test_schema_version_is_semver() -> None:
    assert len(AIF_VERSION.split(".")) == 3
    assert json_schema()["properties"]["aif_version"]["default"] == AIF_VERSION


@pytest.mark.parametrize("path", sorted((FIXTURES / "1.0").glob("*.json")), ids=lambda p: p.name)
def test_documents_load_forever_and_write_back_unchanged(path: Path) -> None:
    data = json.loads(path.read_text())
    doc = load_document(data)
    assert dump_document(doc) == data
    assert load_document(dump_document(doc)) == doc


def test_every_part_type_appears_in_the_fixture_corpus() -> None:
    data = json.loads((FIXTURES / "1.0" / "everything.json").read_text())
    seen = {p["type"] for m in data["messages"] for p in m["parts"]}
    part_union = json_schema()["$defs"]["Message"]["properties"]["parts"]["items"]
    declared = set(part_union["discriminator"]["mapping"])
    assert seen == declared


def test_newer_minor_version_keeps_unknown_fields() -> None:
    data = json.loads((FIXTURES / "1.3" / "newer-minor.json").read_text())
    doc = load_document(data)
    assert doc.messages[0].parts[0].text == "Hi"  # type: ignore[union-attr]
    assert dump_document(doc) == data


def test_unknown_field_in_current_version_is_an_error_with_pointer() -> None:
    data = {"messages": [{"role": "user", "parts": [{"type": "text", "text": "x", "txet": 1}]}]}
    with pytest.raises(InvalidInputError) as info:
        load_document(data)
    assert info.value.pointer == "/messages/0/parts/0/txet"


def test_newer_major_version_is_refused() -> None:
    with pytest.raises(UnsupportedVersionError, match="upgrade aifkit"):
        load_document({"aif_version": "2.0.0", "messages": []})


@pytest.mark.parametrize(
    ("data", "pointer", "problem"),
    [
        ({"messages": 3}, "/messages", "expected an array, got a number"),
        (
            {"messages": [{"role": "user", "parts": [{"type": "text"}]}]},
            "/messages/0/parts/0/text",
            "missing required field",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "parts": [{"type": "image", "source": {"kind": "url", "url": 5}}],
                    }
                ]
            },
            "/messages/0/parts/0/source/url",
            "expected a string, got a number",
        ),
        (
            {"instructions": [{"role": "system", "parts": [{"text": 3}]}]},
            "/instructions/0/parts/0/text",
            "expected a string, got a number",
        ),
        ({"aif_version": "one"}, "/aif_version", "'one' is not a version"),
        ([], "", "expected an AIF document object, got an array"),
    ],
)
def test_malformed_documents_name_the_pointer(data: object, pointer: str, problem: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        load_document(data)
    assert (info.value.pointer, info.value.problem) == (pointer, problem)


def test_models_are_frozen() -> None:
    part = TextPart(text="x")
    with pytest.raises(Exception, match="frozen"):
        part.text = "y"  # type: ignore[misc]


def test_user_content_shaped_like_schema_keys_stays_content() -> None:
    # Arguments and metadata are user data: keys that look like AIF's own
    # (type, aif_version, parts) must come back as data, never be interpreted.
    tricky = {"type": "tool_result", "aif_version": "9.9", "parts": [{"type": "text"}]}
    doc = Document(
        messages=(
            Message(
                role="assistant",
                parts=(ToolCallPart(id="c", name="f", arguments=tricky),),
            ),
        ),
        metadata={"type": "image", "messages": []},
    )
    again = load_document(json.loads(json.dumps(dump_document(doc))))
    assert again == doc
    assert again.messages[0].parts[0].arguments == tricky  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("extensions", "pointer"),
    [(5, "/messages/0/extensions"), ({"openai-chat": []}, "/messages/0/extensions/openai-chat")],
)
def test_extensions_shape_is_checked(extensions: object, pointer: str) -> None:
    data = {"messages": [{"role": "user", "parts": [], "extensions": extensions}]}
    with pytest.raises(InvalidInputError) as info:
        load_document(data)
    assert info.value.pointer == pointer
