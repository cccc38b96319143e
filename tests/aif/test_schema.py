"""The AIF schema: published JSON Schemas, one per minor version, and what a version means."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

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
from aifkit.aif._migrate import parse_version
from aifkit.errors import InvalidInputError

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "aif"
SCHEMAS = ROOT / "schemas"


def published(version: str) -> dict[str, Any]:
    """The published JSON Schema of AIF ``major.minor``."""
    return json.loads((SCHEMAS / f"aif-{version}.schema.json").read_text("utf-8"))


def published_versions() -> list[tuple[int, int]]:
    names = (p.name.removeprefix("aif-").removesuffix(".schema.json") for p in SCHEMAS.iterdir())
    return sorted(parse_version(n)[:2] for n in names)


def test_the_current_schema_is_published_and_current() -> None:
    major, minor, _ = parse_version(AIF_VERSION)
    assert published_versions()[-1] == (major, minor)
    assert published(f"{major}.{minor}") == json_schema(), (
        f"run `make schema` to regenerate schemas/aif-{major}.{minor}.schema.json"
    )


@pytest.mark.parametrize("version", published_versions(), ids=lambda v: f"{v[0]}.{v[1]}")
def test_each_published_schema_names_its_version(version: tuple[int, int]) -> None:
    name = f"{version[0]}.{version[1]}"
    schema = published(name)
    assert schema["$id"] == f"https://aifkit.dev/schemas/aif-{name}.schema.json"
    assert schema["title"] == f"AIF {name} document"
    Draft202012Validator.check_schema(schema)


def test_schema_version_is_semver() -> None:
    assert len(AIF_VERSION.split(".")) == 3
    assert json_schema()["properties"]["aif_version"]["default"] == AIF_VERSION


def _shapes(schema: Any, at: str = "") -> Iterator[tuple[str, str, frozenset[Any]]]:
    """Every object's properties and required fields, every enum and every union tag."""
    if isinstance(schema, list):
        for item in schema:
            yield from _shapes(item, at)
    if not isinstance(schema, dict):
        return
    if "properties" in schema:
        yield at, "properties", frozenset(schema["properties"])
        yield at, "required", frozenset(schema.get("required", ()))
    if "enum" in schema:
        yield at, "enum", frozenset(schema["enum"])
    if "discriminator" in schema:
        yield at, "tags", frozenset(schema["discriminator"]["mapping"])
    for key, value in schema.items():
        if key in ("properties", "$defs"):
            for name, sub in value.items():
                yield from _shapes(sub, f"{at}/{key}/{name}")
        elif isinstance(value, dict | list):
            yield from _shapes(value, f"{at}/{key}")


def _additions(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What in ``new`` a reader of ``old`` documents would refuse: [] when ``new`` only adds."""
    after = {(at, kind): values for at, kind, values in _shapes(new)}
    problems: list[str] = []
    for at, kind, values in _shapes(old):
        now = after.get((at, kind))
        if now is None:
            problems.append(f"{at}: its {kind} are gone")
        elif kind == "required" and not now <= values:
            problems.append(f"{at}: newly required: {sorted(now - values)}")
        elif kind != "required" and not values <= now:
            problems.append(f"{at}: {kind} removed: {sorted(values - now)}")
    return problems


def test_each_minor_version_only_adds_to_the_one_before() -> None:
    versions = published_versions()
    pairs = [(a, b) for a, b in itertools.pairwise(versions) if a[0] == b[0]]
    assert pairs, "no two minor versions of one major are published"
    for a, b in pairs:
        old, new = published(f"{a[0]}.{a[1]}"), published(f"{b[0]}.{b[1]}")
        assert _additions(old, new) == [], f"{a} -> {b} is not additive"


def test_the_additive_check_sees_a_breaking_change() -> None:
    old = published("1.0")
    new = json.loads(json.dumps(old))
    new["$defs"]["Settings"]["required"] = ["model"]
    del new["$defs"]["ToolChoice"]["properties"]["mode"]["enum"][-1]
    del new["$defs"]["Message"]["properties"]["parts"]["items"]["discriminator"]["mapping"]["audio"]
    assert _additions(old, new) == [
        "/$defs/Message/properties/parts/items: tags removed: ['audio']",
        "/$defs/Settings: newly required: ['model']",
        "/$defs/ToolChoice/properties/mode: enum removed: ['tool']",
    ]


def test_the_1_1_schema_adds_settings_reasoning_to_1_0() -> None:
    old, new = published("1.0"), published("1.1")
    assert set(new["$defs"]) - set(old["$defs"]) == {"Reasoning"}
    added = set(new["$defs"]["Settings"]["properties"]) - set(
        old["$defs"]["Settings"]["properties"]
    )
    assert added == {"reasoning"}


def _documents(*dirs: str) -> list[Path]:
    return [p for d in dirs for p in sorted((FIXTURES / d).glob("*.json"))]


@pytest.mark.parametrize("path", _documents("1.0"), ids=lambda p: p.name)
def test_1_0_documents_are_valid_under_the_1_0_and_every_later_schema(path: Path) -> None:
    data = json.loads(path.read_text("utf-8"))
    for version in published_versions():
        errors = list(
            Draft202012Validator(published(f"{version[0]}.{version[1]}")).iter_errors(data)
        )
        assert errors == [], f"{path.name} under {version}: {errors[0].message}"


WRITTEN = _documents("1.0", "1.2", "1.3") + sorted(FIXTURES.parent.rglob("*.aif.json"))


@pytest.mark.parametrize("path", WRITTEN, ids=lambda p: p.parent.name + ":" + p.name)
def test_what_this_version_writes_is_valid_under_its_schema(path: Path) -> None:
    written = dump_document(load_document(json.loads(path.read_text("utf-8"))))
    assert list(Draft202012Validator(json_schema()).iter_errors(written)) == []


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
