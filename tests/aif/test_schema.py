"""The AIF schema: published JSON Schemas, one per minor version, and what a version means."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from pydantic import BaseModel

from aifkit.aif import (
    AIF_VERSION,
    Base64Source,
    Document,
    ImagePart,
    Message,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    _schema,
    dump_document,
    encode,
    json_schema,
    load_document,
)
from aifkit.aif._migrate import parse_version
from aifkit.aif._schema import (
    base64_image_part,
    build,
    message,
    text_part,
    tool_call_part,
    tool_result_part,
)
from aifkit.aif.converters._openai_chat_decode import _Decoder  # pyright: ignore[reportPrivateUsage]
from aifkit.errors import InvalidInputError

from .strategies import documents

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


def _rebuilt(value: Any) -> Any:
    """``value`` made again with `build` from its fields, models within models too."""
    if isinstance(value, BaseModel):
        fields = {name: _rebuilt(getattr(value, name)) for name in value.model_fields_set}
        return build(type(value), **fields)
    if isinstance(value, tuple):
        return tuple(_rebuilt(v) for v in cast("tuple[Any, ...]", value))
    return value


def _same_model(built: Any, validated: Any) -> None:
    if type(validated) is dict and not validated:  # a default left empty: the shared one
        assert built == {}
        assert isinstance(built, dict)
        return
    assert type(built) is type(validated)
    if isinstance(validated, BaseModel):
        assert built.__dict__.keys() == validated.__dict__.keys()  # field order: the dump's
        assert built.model_fields_set == validated.model_fields_set
        assert built.model_extra == validated.model_extra
        for name in validated.__dict__:
            _same_model(getattr(built, name), getattr(validated, name))
    elif isinstance(validated, tuple):
        assert len(built) == len(validated)
        for b, v in zip(built, cast("tuple[Any, ...]", validated), strict=True):
            _same_model(b, v)
    else:
        assert built == validated


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_built_models_are_the_validated_ones(doc: Document) -> None:
    # build (the decoders' fast constructor) makes what validation makes, of any shape.
    built = _rebuilt(doc)
    _same_model(built, doc)
    assert built == doc
    assert built.model_dump() == doc.model_dump()
    assert built.model_dump_json() == doc.model_dump_json()
    assert dump_document(built) == dump_document(doc)
    for target in ("anthropic", "gemini", "openai-chat"):
        assert encode(built, target) == encode(doc, target)
    assert _schema._NOTHING == {}  # the empty dict models share was not written to
    assert all(set(names) == given for names, given in _schema._GIVEN.items())  # nor these
    copied = built.model_copy(update={"id": "x"})
    assert copied.model_fields_set == {*doc.model_fields_set, "id"}
    assert built.model_fields_set == doc.model_fields_set


@given(st.text())
def test_text_part_is_the_built_and_the_validated_text_part(text: str) -> None:
    _same_model(text_part(text), TextPart(type="text", text=text))
    _same_model(text_part(text), build(TextPart, type="text", text=text))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.booleans())
def test_message_is_the_validated_message(doc: Document, with_extensions: bool) -> None:
    for m in doc.messages:
        ext = {"openai-chat": {"form": {"content": "parts"}}} if with_extensions else None
        data: dict[str, Any] = {"role": m.role, "parts": m.parts}
        if ext is not None:
            data["extensions"] = ext
        _same_model(message(m.role, m.parts, ext), Message.model_validate(data))


_ARGUMENTS = st.one_of(
    st.none(), st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3)
)


@given(
    st.text(max_size=8),
    st.text(max_size=8),
    _ARGUMENTS,
    st.none() | st.text(max_size=8),
    st.booleans(),
)
def test_tool_call_part_is_the_built_and_the_validated_call(
    call_id: str, name: str, arguments: Any, raw: str | None, with_extensions: bool
) -> None:
    ext = {"openai-chat": {"form": {"arguments": "{}"}}} if with_extensions else None
    fields: dict[str, Any] = {"type": "tool_call", "id": call_id, "name": name}
    for key, value in (("arguments", arguments), ("raw_arguments", raw), ("extensions", ext)):
        if value is not None:
            fields[key] = value
    made = tool_call_part(call_id, name, arguments, raw, ext)
    _same_model(made, ToolCallPart.model_validate(fields))
    _same_model(made, build(ToolCallPart, **fields))


@given(st.text(max_size=8), st.lists(st.text(max_size=5), max_size=3))
def test_tool_result_part_is_the_built_and_the_validated_result(
    call_id: str, texts: list[str]
) -> None:
    content = tuple(text_part(t) for t in texts)
    made = tool_result_part(call_id, content)
    fields: dict[str, Any] = {"type": "tool_result", "call_id": call_id, "content": content}
    _same_model(made, ToolResultPart.model_validate(fields))
    _same_model(made, build(ToolResultPart, **fields))


@given(
    st.none() | st.sampled_from(["image/png", "image/jpeg"]),
    st.sampled_from(["", "AAAA", "iVBORw0KGgo="]),
)
def test_base64_image_part_is_the_built_and_the_validated_image(
    media_type: str | None, data: str
) -> None:
    made = base64_image_part(media_type, data)
    source = {"kind": "base64", "media_type": media_type, "data": data}
    _same_model(made, ImagePart.model_validate({"type": "image", "source": source}))
    _same_model(made, build(ImagePart, type="image", source=build(Base64Source, **source)))


_CHAT_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
_CHAT_ID = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_ARGS = st.one_of(
    st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3).map(
        json.dumps
    ),
    st.sampled_from(['{"a": 1}', '{"a":1}', "not json", "", "[1, NaN]", '"x"', "{}"]),
)
_URL = st.one_of(
    st.sampled_from(
        ["data:image/png;base64,iVBORw0KGgo=", "data:image/gif;base64,R0lG", "data:,x"]
    ),
    st.builds(lambda u: f"https://example.com/{u}", st.text(max_size=8)),
)
_CHAT_PART = st.one_of(
    st.builds(lambda t: {"type": "text", "text": t}, _CHAT_TEXT),
    st.builds(lambda u: {"type": "image_url", "image_url": {"url": u}}, _URL),
)
_CALL = st.builds(
    lambda i, n, a: {"id": i, "type": "function", "function": {"name": n, "arguments": a}},
    _CHAT_ID,
    _CHAT_ID,
    _ARGS,
)
_CHAT_MESSAGE = st.one_of(
    st.builds(
        lambda r, c: {"role": r, "content": c},
        st.sampled_from(["system", "developer", "user", "assistant"]),
        _CHAT_TEXT | st.lists(_CHAT_PART, max_size=3),
    ),
    st.builds(lambda i, c: {"role": "tool", "tool_call_id": i, "content": c}, _CHAT_ID, _CHAT_TEXT),
    st.builds(
        lambda c, calls: {"role": "assistant", "content": c, "tool_calls": calls},
        st.none() | _CHAT_TEXT,
        st.lists(_CALL, min_size=1, max_size=3),
    ),
)


@settings(max_examples=200, deadline=None)
@given(_CHAT_MESSAGE)
def test_chat_fast_path_builds_what_the_general_path_validates(message: dict[str, Any]) -> None:
    # The Chat Completions decoder builds the messages of common shapes itself (with
    # `build`) and validates the others: both make the same model.
    dec = _Decoder()
    fast = dec._fast(message)  # pyright: ignore[reportPrivateUsage]
    validated = Message.model_validate(dec.message(message, ("messages", 0)))
    assert fast is not None
    _same_model(fast, validated)
    assert fast.model_dump_json() == validated.model_dump_json()


def test_a_built_models_shared_empty_extensions_refuse_writes() -> None:
    # One empty dict serves every built model's default extensions: a write to it
    # would reach them all, so it is refused, and a new model is made instead.
    part, other = text_part("hi"), build(TextPart, type="text", text="yo")
    with pytest.raises(TypeError, match="model_copy"):
        part.extensions["mine"] = {}
    with pytest.raises(TypeError, match="model_copy"):
        part.extensions.setdefault("mine", {})
    assert other.extensions == {}
    assert part.model_copy(update={"extensions": {"mine": {}}}).extensions == {"mine": {}}
    assert message("user", (part,)).model_dump() == {
        "role": "user",
        "parts": ({"type": "text", "text": "hi"},),
    }
