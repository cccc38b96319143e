"""The openai-chat converter: golden fixtures, exact round trips, the API's rules."""

from __future__ import annotations

import functools
import json
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from aifkit._limits import check_json
from aifkit.aif import (
    AudioPart,
    Base64Source,
    CacheHint,
    Document,
    DocumentPart,
    EncodeOptions,
    FileSource,
    ImagePart,
    Instruction,
    Message,
    ProviderPart,
    ReasoningPart,
    ReasoningScope,
    RefusalPart,
    Settings,
    TextPart,
    TextSource,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    UrlSource,
    convert,
    dump_document,
    encode,
    load_document,
)
from aifkit.aif._codec import check_inline_data
from aifkit.aif.converters.openai_chat import OpenAIChatConverter
from aifkit.errors import InvalidInputError
from tests.aif.recorded import today

FIXTURES = Path(__file__).parents[2] / "fixtures" / "openai-chat"
CASES = sorted(p.stem for p in FIXTURES.glob("*.json"))
CONV = OpenAIChatConverter()
DROP = EncodeOptions()
TEXT = EncodeOptions(reasoning="text")
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
PDF = "JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2cvUGFnZXMgMiAwIFI+PgplbmRvYmoK"

# Fixtures the API's published types reject on purpose (a future part type, nulls
# where the SDK wants a value): they show the round trip keeps even those.
SDK_REJECTS = {"unknown-part-type", "nulls"}
RULES_REJECT = {"nulls"}


def load_case(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


@functools.cache
def _sdk_adapter(streaming: bool) -> TypeAdapter[Any]:
    from openai.types.chat import completion_create_params as params

    kind = (
        params.CompletionCreateParamsStreaming
        if streaming
        else params.CompletionCreateParamsNonStreaming
    )
    return TypeAdapter(kind)


def _drain(value: Any) -> None:
    # The SDK types use Iterable[...], which pydantic validates lazily: iterate
    # every nested iterator so each message and part is really checked.
    if value is None or isinstance(value, str | int | float | bool):
        return
    if isinstance(value, dict):
        for item in value.values():
            _drain(item)
        return
    for item in value:
        _drain(item)


def sdk_check(body: dict[str, Any]) -> None:
    """Validate ``body`` against the official SDK's request type (raises if invalid)."""
    _drain(_sdk_adapter(bool(body.get("stream"))).validate_python(body))


def accepted(body: dict[str, Any]) -> None:
    """The body passes both the SDK's types and this converter's rules."""
    sdk_check(body)
    assert CONV.validate(body) == []


def losses(doc: Document, options: EncodeOptions = DROP) -> list[tuple[str, str, str, str]]:
    _, report = encode(doc, "openai-chat", options=options)
    return [(e.pointer, e.action, e.rule, e.severity) for e in report]


def body_of(doc: Document, options: EncodeOptions = DROP) -> dict[str, Any]:
    body = CONV.encode(doc, options).body
    accepted(body)
    return body


def text(t: str) -> TextPart:
    return TextPart(text=t)


def msg(role: Any, *parts: Any, **kw: Any) -> Message:
    return Message(role=role, parts=parts, **kw)


def doc_of(*messages: Message, **kw: Any) -> Document:
    kw.setdefault("settings", Settings(model="gpt-4o"))
    return Document(messages=messages, **kw)


# -- golden fixtures -----------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_decode_matches_golden_aif(name: str) -> None:
    case = load_case(name)
    assert dump_document(CONV.decode(case["body"]).document) == today(case["aif"])


@pytest.mark.parametrize("name", CASES)
def test_fixture_round_trip_is_exact(name: str) -> None:
    body = load_case(name)["body"]
    encoded = CONV.encode(CONV.decode(body).document, DROP)
    assert encoded.body == body
    assert not encoded.losses


@pytest.mark.parametrize("name", CASES)
def test_fixture_round_trip_through_aif_json(name: str) -> None:
    case = load_case(name)
    doc = load_document(json.loads(json.dumps(case["aif"])))
    assert CONV.encode(doc, DROP).body == case["body"]


@pytest.mark.parametrize("name", CASES)
def test_fixture_output_is_accepted(name: str) -> None:
    body = CONV.encode(CONV.decode(load_case(name)["body"]).document, DROP).body
    assert bool(CONV.validate(body)) == (name in RULES_REJECT)
    if name in SDK_REJECTS:
        with pytest.raises(ValidationError):
            sdk_check(body)
    else:
        sdk_check(body)


def test_ids_reused_across_turns_stay_as_they_are() -> None:
    # Some servers number calls per response ("call_0" in every turn); OpenAI pairs a
    # tool message with the preceding assistant message only, so that is valid.
    turn = [
        {"role": "user", "content": "again"},
        {"role": "assistant", "tool_calls": [{**_CALL, "id": "call_0"}]},
        {"role": "tool", "tool_call_id": "call_0", "content": "ok"},
    ]
    body = _body(*turn, *turn)
    accepted(body)
    assert CONV.encode(CONV.decode(body).document, DROP).body == body


def test_registered_and_public_api() -> None:
    body = load_case("tool-calls")["body"]
    out, report = convert(body, source="openai-chat", target="openai-chat")
    assert out == body
    assert report.lossless


# -- source map ----------------------------------------------------------------------


def test_source_map_points_into_the_body() -> None:
    body = {
        "model": "gpt-4o",
        "max_tokens": 5,
        "messages": [
            {"role": "system", "content": "s"},
            {"role": "user", "content": "hi", "name": "ada"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "a"},
                    {"type": "image_url", "image_url": {"url": "https://x/y.png", "detail": "low"}},
                ],
                "x": 1,
            },
            {
                "role": "assistant",
                "content": "ok",
                "tool_calls": [
                    {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "c", "content": [{"type": "text", "text": "r"}]},
        ],
        "tools": [{"type": "function", "function": {"name": "f", "strict": True}}],
        "n": 2,
    }
    sm = CONV.decode(body).source_map
    expected = {
        ("instructions", 0, "parts", 0): ("messages", 0, "content"),
        ("messages", 0, "name"): ("messages", 1, "name"),
        ("messages", 0, "parts", 0): ("messages", 1, "content"),
        ("messages", 1, "parts", 1): ("messages", 2, "content", 1),
        ("messages", 1, "parts", 1, "detail"): ("messages", 2, "content", 1, "image_url", "detail"),
        ("messages", 1, "extensions", "openai-chat", "extra", "x"): ("messages", 2, "x"),
        ("messages", 2, "parts", 0): ("messages", 3, "content"),
        ("messages", 2, "parts", 1): ("messages", 3, "tool_calls", 0),
        ("messages", 2, "parts", 1, "arguments"): (
            "messages",
            3,
            "tool_calls",
            0,
            "function",
            "arguments",
        ),
        ("messages", 3, "parts", 0, "call_id"): ("messages", 4, "tool_call_id"),
        ("messages", 3, "parts", 0, "content", 0): ("messages", 4, "content", 0),
        ("tools", 0, "strict"): ("tools", 0, "function", "strict"),
        ("settings", "max_tokens"): ("max_tokens",),
        ("extensions", "openai-chat", "extra", "n"): ("n",),
    }
    assert {path: sm.translate(path) for path in expected} == expected


# -- round trip over generated bodies --------------------------------------------------

_names = st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=8)
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
_unknown = st.dictionaries(
    st.sampled_from(["x_a", "x_b", "cache_control", "metadata"]), _json, max_size=2
)


def _with(base: dict[str, Any], draw: Any, extra: bool = True) -> dict[str, Any]:
    return {**draw(_unknown), **base} if extra and draw(st.booleans()) else base


@st.composite
def _arguments(draw: Any) -> str:
    value = draw(st.dictionaries(st.text(max_size=4), _json, max_size=3))
    return draw(
        st.sampled_from(
            [
                json.dumps(value, separators=(",", ":"), ensure_ascii=False),
                json.dumps(value),
                json.dumps(value, indent=2),
                json.dumps(value)[:-1],  # truncated: not JSON
            ]
        )
        | st.text(max_size=12)
    )


@st.composite
def _text_part(draw: Any) -> dict[str, Any]:
    return _with({"type": "text", "text": draw(st.text(max_size=12))}, draw)


@st.composite
def _user_part(draw: Any) -> dict[str, Any]:
    kind = draw(st.sampled_from(["text", "image", "audio", "file", "unknown"]))
    if kind == "text":
        return draw(_text_part())
    if kind == "image":
        url = draw(
            st.sampled_from(
                [
                    f"data:image/png;base64,{PNG}",
                    "data:image/png;charset=x;base64,AAAA",
                    "data:;base64,AAAA",
                    "https://example.com/cat.jpg",
                ]
            )
        )
        image: dict[str, Any] = {"url": url}
        detail = draw(st.sampled_from([None, "auto", "low", "high", "original"]))
        if detail is not None:
            image["detail"] = detail
        return _with({"type": "image_url", "image_url": _with(image, draw)}, draw)
    if kind == "audio":
        audio = {"data": "UklGRg==", "format": draw(st.sampled_from(["wav", "mp3"]))}
        return _with({"type": "input_audio", "input_audio": audio}, draw)
    if kind == "file":
        file = draw(
            st.sampled_from(
                [
                    {"file_data": f"data:application/pdf;base64,{PDF}", "filename": "a.pdf"},
                    {"file_id": "file-abc"},
                    {"file_id": "file-abc", "filename": "b.pdf"},
                ]
            )
        )
        return _with({"type": "file", "file": _with(file, draw)}, draw)
    return {"type": "input_" + draw(_names), "data": draw(_json)}


def _content(draw: Any, part: Any) -> Any:
    return draw(st.text(max_size=12) | st.lists(part, max_size=3))


@st.composite
def _plain_message(draw: Any, role: str) -> dict[str, Any]:
    part = _user_part() if role == "user" else _text_part()
    m: dict[str, Any] = {"role": role, "content": _content(draw, part)}
    if draw(st.booleans()):
        m["name"] = draw(_names)
    return _with(m, draw)


@st.composite
def _assistant(draw: Any, calls: list[dict[str, Any]]) -> dict[str, Any]:
    m: dict[str, Any] = {"role": "assistant"}
    content = draw(
        st.sampled_from(["absent", "null", "value"])
        if calls
        else st.sampled_from(["null", "value"])
    )
    refusal = draw(st.sampled_from(["absent", "null", "value"]))
    if content == "value":
        part = st.one_of(
            _text_part(),
            st.builds(lambda t: {"type": "refusal", "refusal": t}, st.text(max_size=8)),
        )
        m["content"] = _content(draw, part)
    elif content == "null":
        m["content"] = None
    if refusal != "absent":
        m["refusal"] = draw(st.text(max_size=8)) if refusal == "value" else None
    if calls:
        m["tool_calls"] = calls
    elif draw(st.booleans()):
        m["tool_calls"] = []
    if draw(st.booleans()):
        m["name"] = draw(_names)
    return _with(m, draw)


@st.composite
def _call(draw: Any, call_id: str) -> dict[str, Any]:
    if draw(st.integers(0, 5)) == 0:
        return {"id": call_id, "type": "custom", "custom": {"name": draw(_names), "input": "x"}}
    fn = _with({"name": draw(_names), "arguments": draw(_arguments())}, draw)
    return _with({"id": call_id, "type": "function", "function": fn}, draw)


@st.composite
def _tool_turn(draw: Any) -> list[dict[str, Any]]:
    ids = draw(
        st.lists(
            st.text(string.ascii_letters + "_", min_size=1, max_size=40),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    calls = [draw(_call(i)) for i in ids]
    answers = []
    for call_id in draw(st.permutations(ids)):
        content = _content(draw, _text_part())
        answers.append(_with({"role": "tool", "tool_call_id": call_id, "content": content}, draw))
    return [draw(_assistant(calls)), *answers]


@st.composite
def bodies(draw: Any) -> dict[str, Any]:
    messages = [
        draw(_plain_message(draw(st.sampled_from(["system", "developer"]))))
        for _ in range(draw(st.integers(0, 2)))
    ]
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["user", "user", "assistant", "tools", "system", "developer"]))
        if kind == "tools":
            messages += draw(_tool_turn())
        elif kind == "assistant":
            messages.append(draw(_assistant([])))
        else:
            messages.append(draw(_plain_message(kind)))
    body: dict[str, Any] = {"model": draw(_names), "messages": messages}
    for key, value in draw(
        st.dictionaries(
            st.sampled_from(
                [
                    "max_completion_tokens",
                    "max_tokens",
                    "temperature",
                    "top_p",
                    "stop",
                    "seed",
                    "stream",
                ]
            ),
            st.none(),
            max_size=4,
        )
    ).items():
        body[key] = value if draw(st.integers(0, 3)) == 0 else draw(_SETTINGS[key])
    if draw(st.booleans()):
        tools = [{"type": "function", "function": _with({"name": draw(_names)}, draw)}]
        if draw(st.booleans()):
            tools.append({"type": "custom", "custom": {"name": "c"}})
        body["tools"] = tools
        body["tool_choice"] = draw(
            st.sampled_from(
                [
                    "auto",
                    "none",
                    "required",
                    {"type": "function", "function": {"name": "f"}},
                    {"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": []}},
                ]
            )
        )
        body["parallel_tool_calls"] = draw(st.booleans())
    return _with(body, draw)


_SETTINGS: dict[str, Any] = {
    "max_completion_tokens": st.integers(1, 10**6),
    "max_tokens": st.integers(1, 10**6),
    "temperature": st.floats(0, 2) | st.integers(0, 2),
    "top_p": st.floats(0, 1) | st.integers(0, 1),
    "stop": st.text(min_size=1, max_size=3) | st.lists(st.text(min_size=1, max_size=3), max_size=4),
    "seed": st.integers(-(2**31), 2**31),
    "stream": st.booleans(),
}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies())
def test_generated_bodies_round_trip_exactly(body: dict[str, Any]) -> None:
    assert CONV.validate(body) == []  # the strategy makes bodies the API accepts
    doc = CONV.decode(body).document
    encoded = CONV.encode(doc, DROP)
    assert encoded.body == body
    assert not encoded.losses
    assert CONV.encode(load_document(dump_document(doc)), DROP).body == body


# -- any AIF document encodes to a body the API accepts --------------------------------

_ids = st.sampled_from(["a", "call_1", "x" * 41, "x" * 40 + "y", "toolu_" + "9" * 40])
_b64 = st.builds(
    Base64Source,
    media_type=st.sampled_from([None, "image/png", "application/pdf", "audio/wav", "audio/ogg"]),
    data=st.sampled_from([PNG, PDF, "UklGRg=="]),
)
_source = st.one_of(
    _b64,
    st.builds(
        UrlSource,
        url=st.sampled_from(["https://example.com/f", f"data:application/pdf;base64,{PDF}"]),
    ),
    st.builds(
        FileSource,
        file_id=st.just("file-1"),
        provider=st.sampled_from([None, "openai", "anthropic"]),
    ),
    st.builds(TextSource, text=st.text(max_size=8)),
)
_foreign = st.sampled_from(
    [{}, {"anthropic": {"extra": {"citations": {"enabled": True}}}}, {"gemini": {"form": {"x": 1}}}]
)
_cache = st.sampled_from([None, CacheHint(ttl="5m")])
_result_content = st.lists(
    st.one_of(
        st.builds(TextPart, text=st.text(max_size=8), cache=_cache, extensions=_foreign),
        st.builds(ImagePart, source=_source, detail=st.sampled_from([None, "low"])),
        st.builds(
            DocumentPart,
            source=_source,
            filename=st.sampled_from([None, "f.pdf"]),
            title=st.sampled_from([None, "T"]),
        ),
    ),
    max_size=3,
).map(tuple)
_parts = st.one_of(
    st.builds(TextPart, text=st.text(max_size=8), cache=_cache, extensions=_foreign),
    st.builds(ImagePart, source=_source),
    st.builds(DocumentPart, source=_source, filename=st.sampled_from([None, "f.pdf"])),
    st.builds(AudioPart, source=_source, format=st.sampled_from([None, "wav", "flac"])),
    st.builds(
        ToolCallPart,
        id=_ids,
        name=_names,
        arguments=_json,
        raw_arguments=st.sampled_from([None, "{bad"]),
    ),
    st.builds(
        ToolResultPart,
        call_id=_ids,
        content=_result_content,
        is_error=st.sampled_from([None, True, False]),
    ),
    st.builds(
        ReasoningPart,
        text=st.sampled_from([None, "hmm"]),
        redacted=st.sampled_from([None, "enc"]),
        signature=st.sampled_from([None, "sig"]),
    ),
    st.builds(RefusalPart, text=st.text(max_size=8)),
    st.builds(
        ProviderPart,
        format=st.just("anthropic"),
        data=st.just({"type": "server_tool_use", "id": "s"}),
    ),
)
_messages = st.lists(
    st.builds(
        Message,
        role=st.sampled_from(["system", "developer", "user", "assistant", "tool"]),
        parts=st.lists(_parts, max_size=4).map(tuple),
        name=st.sampled_from([None, "ada"]),
        extensions=_foreign,
    ),
    max_size=6,
).map(lambda ms: (*ms, Message(role="user", parts=(TextPart(text="end"),))))
_tools = st.lists(
    st.builds(
        Tool,
        kind=st.sampled_from(["function", "function", "web_search_20250305"]),
        name=_names,
        parameters=st.sampled_from([None, {"type": "object"}]),
        cache=_cache,
    ),
    max_size=2,
).map(tuple)
_settings = st.builds(
    Settings,
    model=st.just("gpt-4o"),
    max_tokens=st.sampled_from([None, 100]),
    top_k=st.sampled_from([None, 5]),
    stop=st.sampled_from([None, ("a",), tuple("abcdef")]),
    stream=st.sampled_from([None, True, False]),
    tool_choice=st.sampled_from(
        [None, ToolChoice(mode="auto"), ToolChoice(mode="tool", name="f"), ToolChoice(mode="tool")]
    ),
    parallel_tool_calls=st.sampled_from([None, False]),
    extensions=_foreign,
)
documents = st.builds(
    Document,
    instructions=st.lists(
        st.builds(
            Instruction,
            role=st.sampled_from(["system", "developer"]),
            parts=st.lists(st.builds(TextPart, text=st.text(max_size=5)), max_size=2).map(tuple),
        ),
        max_size=2,
    ).map(tuple),
    messages=_messages,
    tools=_tools,
    settings=_settings,
    extensions=_foreign,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.sampled_from([DROP, TEXT]))
def test_any_document_encodes_to_an_accepted_body(doc: Document, options: EncodeOptions) -> None:
    body = CONV.encode(doc, options).body
    accepted(body)
    # What the encoder writes is a fixed point: it decodes and encodes back unchanged.
    again = CONV.encode(CONV.decode(body).document, options)
    assert again.body == body
    assert not again.losses


# -- cross-format rules ------------------------------------------------------------------


def _call_turn(*ids: str) -> Message:
    return msg("assistant", *(ToolCallPart(id=i, name="look", arguments={"q": i}) for i in ids))


def test_images_in_a_tool_result_move_to_a_following_user_message() -> None:
    image = ImagePart(source=Base64Source(media_type="image/png", data=PNG))
    doc = doc_of(
        msg("user", text("Take a photo.")),
        _call_turn("c1", "c2"),
        msg(
            "user",
            ToolResultPart(call_id="c1", content=(text("Here it is."), image)),
            ToolResultPart(call_id="c2", content=(text("nothing"),)),
            text("What do you see?"),
        ),
    )
    assert body_of(doc)["messages"][2:] == [
        {"role": "tool", "tool_call_id": "c1", "content": "Here it is."},
        {"role": "tool", "tool_call_id": "c2", "content": "nothing"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Attachments of tool result c1:"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                {"type": "text", "text": "What do you see?"},
            ],
        },
    ]
    assert losses(doc) == [
        (
            "/messages/2/parts/0/content/1",
            "transformed",
            "openai-chat/tool-result-text-only",
            "warning",
        )
    ]


def test_media_moved_out_of_separate_tool_messages_wait_for_the_tool_run_to_end() -> None:
    doc = doc_of(
        msg("user", text("go")),
        _call_turn("c1", "c2"),
        msg(
            "tool",
            ToolResultPart(
                call_id="c1", content=(ImagePart(source=UrlSource(url="https://x/a.png")),)
            ),
        ),
        msg("tool", ToolResultPart(call_id="c2", content=(text("ok"),))),
    )
    assert body_of(doc)["messages"][2:] == [
        {
            "role": "tool",
            "tool_call_id": "c1",
            "content": "(attachments follow in the next user message)",
        },
        {"role": "tool", "tool_call_id": "c2", "content": "ok"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Attachments of tool result c1:"},
                {"type": "image_url", "image_url": {"url": "https://x/a.png"}},
            ],
        },
    ]


def test_long_ids_are_remapped_identically_on_call_and_result() -> None:
    a, b = "toolu_" + "a" * 40 + "1", "toolu_" + "a" * 40 + "2"
    doc = doc_of(
        msg("user", text("go")),
        _call_turn(a, b, "short"),
        msg("user", *(ToolResultPart(call_id=i, content=(text(i[-1]),)) for i in (b, a, "short"))),
    )
    body = body_of(doc)
    calls = [c["id"] for c in body["messages"][1]["tool_calls"]]
    results = [m["tool_call_id"] for m in body["messages"][2:]]
    assert len(set(calls)) == 3
    assert all(len(i) <= 40 for i in calls)
    assert calls[2] == "short"
    assert results == [calls[1], calls[0], "short"]
    assert losses(doc) == [
        ("/messages/1/parts/0/id", "transformed", "openai-chat/tool-id-length", "info"),
        ("/messages/1/parts/1/id", "transformed", "openai-chat/tool-id-length", "info"),
        ("/messages/2/parts/0/call_id", "transformed", "openai-chat/tool-id-length", "info"),
        ("/messages/2/parts/1/call_id", "transformed", "openai-chat/tool-id-length", "info"),
    ]


def test_a_remapped_id_never_takes_an_id_already_in_the_document() -> None:
    long_id = "x" * 50
    first = CONV.encode(doc_of(msg("user", text("go")), _call_turn(long_id)), DROP).body
    taken = first["messages"][1]["tool_calls"][0]["id"]
    # The same long id, in a document that already uses its would-be replacement.
    doc = doc_of(
        msg("user", text("go")),
        _call_turn(taken),
        msg("tool", ToolResultPart(call_id=taken, content=(text("1"),))),
        _call_turn(long_id),
        msg("tool", ToolResultPart(call_id=long_id, content=(text("2"),))),
    )
    body = body_of(doc)
    assert body["messages"][1]["tool_calls"][0]["id"] == taken
    new = body["messages"][3]["tool_calls"][0]["id"]
    assert new != taken
    assert body["messages"][4]["tool_call_id"] == new


def test_reasoning_is_dropped_or_kept_as_text() -> None:
    signed = ReasoningPart(
        text="The user wants a number.",
        signature="sig",
        valid_for=ReasoningScope(provider="anthropic", model="claude-sonnet-4-5"),
    )
    redacted = ReasoningPart(redacted="ENCRYPTED")
    doc = doc_of(msg("user", text("pick")), msg("assistant", signed, redacted, text("7")))
    assert body_of(doc)["messages"][1] == {"role": "assistant", "content": "7"}
    assert losses(doc) == [
        ("/messages/1/parts/0", "dropped", "openai-chat/reasoning", "info"),
        ("/messages/1/parts/1", "dropped", "openai-chat/reasoning", "info"),
    ]
    assert body_of(doc, TEXT)["messages"][1] == {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "<reasoning>The user wants a number.</reasoning>"},
            {"type": "text", "text": "7"},
        ],
    }
    assert losses(doc, TEXT) == [
        ("/messages/1/parts/0", "transformed", "openai-chat/reasoning", "info"),
        ("/messages/1/parts/1", "dropped", "openai-chat/reasoning", "info"),
    ]


def test_developer_instructions_and_settings_from_another_format() -> None:
    doc = Document(
        instructions=(
            Instruction(role="system", parts=(text("You are terse."),)),
            Instruction(role="developer", parts=(text("Rule 1."), text("Rule 2."))),
        ),
        messages=(msg("user", text("hi")),),
        tools=(Tool(name="f", parameters={"type": "object"}),),
        settings=Settings(
            model="gpt-4o",
            max_tokens=64,
            top_k=40,
            stop=("a", "b", "c", "d", "e"),
            tool_choice=ToolChoice(mode="tool", name="f"),
            extensions={"anthropic": {"extra": {"thinking": {"type": "enabled"}}}},
        ),
    )
    assert body_of(doc) == {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {
                "role": "developer",
                "content": [
                    {"type": "text", "text": "Rule 1."},
                    {"type": "text", "text": "Rule 2."},
                ],
            },
            {"role": "user", "content": "hi"},
        ],
        "tools": [
            {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
        ],
        "max_completion_tokens": 64,
        "stop": ["a", "b", "c", "d"],
        "tool_choice": {"type": "function", "function": {"name": "f"}},
    }
    assert losses(doc) == [
        (
            "/settings/extensions/anthropic/extra/thinking",
            "dropped",
            "openai-chat/no-field",
            "warning",
        ),
        ("/settings/top_k", "dropped", "openai-chat/top-k", "warning"),
        ("/settings/stop", "dropped", "openai-chat/stop-limit", "warning"),
    ]


def test_anthropic_only_content_is_reported() -> None:
    doc = Document(
        messages=(
            msg(
                "user",
                TextPart(
                    text="hi",
                    cache=CacheHint(),
                    extensions={"anthropic": {"extra": {"citations": []}}},
                ),
                DocumentPart(source=TextSource(text="Plain notes."), title="Notes"),
                DocumentPart(source=UrlSource(url="https://example.com/a.pdf")),
                DocumentPart(source=FileSource(file_id="file_011", provider="anthropic")),
                DocumentPart(source=Base64Source(media_type="application/pdf", data=PDF)),
                ProviderPart(format="anthropic", data={"type": "container_upload", "file_id": "f"}),
                AudioPart(source=UrlSource(url="https://x/a.wav")),
            ),
        ),
        tools=(
            Tool(kind="web_search_20250305", name="web_search"),
            Tool(name="f", cache=CacheHint()),
        ),
        settings=Settings(model="gpt-4o", parallel_tool_calls=False),
        extensions={"anthropic": {"extra": {"mcp_servers": []}}},
    )
    body = body_of(doc)
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "hi"},
                {"type": "text", "text": "Notes\n\nPlain notes."},
                {
                    "type": "file",
                    "file": {
                        "file_data": f"data:application/pdf;base64,{PDF}",
                        "filename": "document.pdf",
                    },
                },
            ],
        }
    ]
    assert body["parallel_tool_calls"] is False
    assert losses(doc) == [
        (
            "/messages/0/parts/0/extensions/anthropic/extra/citations",
            "dropped",
            "openai-chat/no-field",
            "warning",
        ),
        ("/messages/0/parts/0/cache", "dropped", "openai-chat/cache", "info"),
        ("/messages/0/parts/1", "transformed", "openai-chat/document-text", "info"),
        ("/messages/0/parts/2", "dropped", "openai-chat/unsupported-source", "error"),
        ("/messages/0/parts/3", "dropped", "openai-chat/unsupported-source", "error"),
        ("/messages/0/parts/4/filename", "synthesized", "openai-chat/file-name", "info"),
        ("/messages/0/parts/5", "dropped", "openai-chat/provider-part", "error"),
        ("/messages/0/parts/6", "dropped", "openai-chat/unsupported-source", "error"),
        ("/tools/0", "dropped", "openai-chat/tool-kind", "warning"),
        ("/tools/1/cache", "dropped", "openai-chat/cache", "info"),
        ("/extensions/anthropic/extra/mcp_servers", "dropped", "openai-chat/no-field", "warning"),
    ]


def test_unanswered_calls_and_orphan_results() -> None:
    doc = doc_of(
        msg("user", text("go")),
        _call_turn("c1", "c2"),
        msg("tool", ToolResultPart(call_id="c2", content=(text("two"),), is_error=True)),
        msg("user", ToolResultPart(call_id="zz", content=(text("late"),)), text("and?")),
    )
    assert body_of(doc)["messages"][2:] == [
        {"role": "tool", "tool_call_id": "c2", "content": "Error: two"},
        {"role": "tool", "tool_call_id": "c1", "content": "(no result was recorded)"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Tool result for zz: late"},
                {"type": "text", "text": "and?"},
            ],
        },
    ]
    assert losses(doc) == [
        ("/messages/2/parts/0/is_error", "transformed", "openai-chat/tool-error-flag", "info"),
        ("/messages/3/parts/0", "transformed", "openai-chat/tool-result-without-call", "warning"),
        ("/messages/1/parts/0", "synthesized", "openai-chat/tool-call-without-result", "warning"),
    ]


def test_a_call_at_the_end_of_the_conversation_is_answered() -> None:
    doc = doc_of(msg("user", text("go")), _call_turn("c1"))
    assert body_of(doc)["messages"][-1] == {
        "role": "tool",
        "tool_call_id": "c1",
        "content": "(no result was recorded)",
    }


def test_parts_a_role_cannot_hold() -> None:
    image = ImagePart(source=UrlSource(url="https://x/a.png"))
    doc = doc_of(
        msg("user", text("a"), RefusalPart(text="no"), ToolCallPart(id="c", name="f")),
        msg("assistant", text("b"), image),
        msg("system", text("c"), image, ToolResultPart(call_id="c")),
        msg("tool", text("d"), name="bob"),
    )
    assert body_of(doc)["messages"] == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "no"}],
        },
        {"role": "assistant", "content": "b"},
        {"role": "system", "content": "c"},
        {"role": "user", "content": "d", "name": "bob"},
    ]
    assert [(p, a, r) for p, a, r, _ in losses(doc)] == [
        ("/messages/0/parts/1", "transformed", "openai-chat/part-not-allowed"),
        ("/messages/0/parts/2", "dropped", "openai-chat/part-not-allowed"),
        ("/messages/1/parts/1", "dropped", "openai-chat/part-not-allowed"),
        ("/messages/2/parts/1", "dropped", "openai-chat/part-not-allowed"),
        ("/messages/2/parts/2", "dropped", "openai-chat/part-not-allowed"),
        ("/messages/3", "transformed", "openai-chat/tool-role"),
    ]


def test_tool_choice_without_tools_is_dropped() -> None:
    doc = doc_of(
        msg("user", text("hi")),
        settings=Settings(model="m", tool_choice=ToolChoice(mode="none"), parallel_tool_calls=True),
    )
    body = body_of(doc)
    assert "tool_choice" not in body
    assert "parallel_tool_calls" not in body
    assert [p for p, *_ in losses(doc)] == [
        "/settings/tool_choice",
        "/settings/parallel_tool_calls",
    ]


def test_cross_format_pointers_resolve_into_the_source_body() -> None:
    body = {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "s"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "a"},
                    {"type": "input_audio", "input_audio": {"data": "AA==", "format": "flac"}},
                ],
            },
        ],
    }
    _, report = convert(body, source="openai-chat", target="openai-chat")
    assert [(e.pointer, e.rule) for e in report] == [
        ("/messages/1/content/1", "openai-chat/unsupported-source")
    ]


# -- malformed input ---------------------------------------------------------------------

_CALL = {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}


def _body(*messages: Any, **top: Any) -> dict[str, Any]:
    return {"model": "gpt-4o", "messages": list(messages), **top}


@pytest.mark.parametrize(
    ("body", "pointer", "problem"),
    [
        ([], "", "expected an object, got an array"),
        ({"model": "m"}, "/messages", "missing required field"),
        ({"messages": {}}, "/messages", "expected an array, got an object"),
        (_body("hi"), "/messages/0", "expected an object, got a string"),
        (_body({"content": "x"}), "/messages/0/role", "missing required field"),
        (_body({"role": 1, "content": "x"}), "/messages/0/role", "expected a string, got a number"),
        (
            _body({"role": "function", "name": "f", "content": "x"}),
            "/messages/0/role",
            "unknown role 'function'",
        ),
        (
            _body({"role": "user", "content": 3}),
            "/messages/0/content",
            "expected a string or an array, got a number",
        ),
        (
            _body({"role": "user", "content": "x", "name": 1}),
            "/messages/0/name",
            "expected a string, got a number",
        ),
        (
            _body({"role": "user", "content": ["x"]}),
            "/messages/0/content/0",
            "expected an object, got a string",
        ),
        (
            _body({"role": "user", "content": [{"type": "text"}]}),
            "/messages/0/content/0/text",
            "missing required field",
        ),
        (
            _body({"role": "user", "content": [{"type": "image_url", "image_url": {}}]}),
            "/messages/0/content/0/image_url/url",
            "missing required field",
        ),
        (
            _body(
                {
                    "role": "user",
                    "content": [
                        {"type": "input_audio", "input_audio": {"data": "A", "format": None}}
                    ],
                }
            ),
            "/messages/0/content/0/input_audio/format",
            "expected a string, got null",
        ),
        (
            _body({"role": "user", "content": [{"type": "file", "file": {"file_id": 7}}]}),
            "/messages/0/content/0/file/file_id",
            "expected a string, got a number",
        ),
        (
            _body(
                {"role": "user", "content": "q"},
                {"role": "assistant", "tool_calls": [{**_CALL, "id": 12}]},
            ),
            "/messages/1/tool_calls/0/id",
            "expected a string, got a number",
        ),
        (
            _body(
                {
                    "role": "assistant",
                    "tool_calls": [{**_CALL, "function": {"name": "f", "arguments": {}}}],
                }
            ),
            "/messages/0/tool_calls/0/function/arguments",
            "expected a string, got an object",
        ),
        (
            _body({"role": "assistant", "tool_calls": [{"id": "c", "function": {}}]}),
            "/messages/0/tool_calls/0/type",
            "missing required field",
        ),
        (
            _body({"role": "assistant", "tool_calls": {}}),
            "/messages/0/tool_calls",
            "expected an array, got an object",
        ),
        (
            _body({"role": "assistant", "refusal": 1}),
            "/messages/0/refusal",
            "expected a string, got a number",
        ),
        (
            _body({"role": "tool", "content": "x"}),
            "/messages/0/tool_call_id",
            "missing required field",
        ),
        (
            _body(
                {
                    "role": "tool",
                    "tool_call_id": "c",
                    "content": [{"type": "refusal", "refusal": "no"}],
                }
            ),
            "/messages/0/content/0",
            "a tool message cannot hold a 'refusal' part",
        ),
        (_body(max_tokens=1.5), "/max_tokens", "expected an integer, got a number"),
        (_body(x_param={"a": object()}), "/x_param/a", "input was not a valid JSON value"),
        (
            _body(max_completion_tokens=True),
            "/max_completion_tokens",
            "expected an integer, got a boolean",
        ),
        (_body(temperature="hot"), "/temperature", "expected a number, got a string"),
        (_body(stop=["a", 1]), "/stop/1", "expected a string, got a number"),
        (_body(stream="yes"), "/stream", "expected a boolean, got a string"),
        (_body(tool_choice=1), "/tool_choice", "expected an object, got a number"),
        (_body(tools={}), "/tools", "expected an array, got an object"),
        (
            _body(tools=[{"type": "function", "function": {"description": "d"}}]),
            "/tools/0/function/name",
            "missing required field",
        ),
        (
            _body(tools=[{"type": "function", "function": {"name": "f", "parameters": []}}]),
            "/tools/0/function/parameters",
            "expected an object, got an array",
        ),
    ],
)
def test_malformed_input_names_the_pointer(body: Any, pointer: str, problem: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        CONV.decode(body)
    assert (info.value.pointer, info.value.problem) == (pointer, problem)
    assert str(info.value).startswith(f"{pointer or '/'}: {problem}")


# -- validate ----------------------------------------------------------------------------

_IMAGE = {"type": "image_url", "image_url": {"url": "https://x/a.png"}}


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ("text", [("", "openai-chat/schema")]),
        ({"messages": []}, [("/model", "openai-chat/schema"), ("/messages", "openai-chat/schema")]),
        (_body({"role": "robot", "content": "x"}), [("/messages/0/role", "openai-chat/role")]),
        (
            _body({"role": "user"}, 7),
            [("/messages/0/content", "openai-chat/schema"), ("/messages/1", "openai-chat/schema")],
        ),
        (
            _body({"role": "tool", "tool_call_id": "c", "content": "x"}),
            [("/messages/0/tool_call_id", "openai-chat/tool-result-without-call")],
        ),
        (
            _body(
                {"role": "assistant", "tool_calls": [_CALL]},
                {"role": "user", "content": "x"},
                {"role": "tool", "tool_call_id": "c", "content": "x"},
            ),
            [
                ("/messages/0/tool_calls/0/id", "openai-chat/tool-call-without-result"),
                ("/messages/2/tool_call_id", "openai-chat/tool-result-without-call"),
            ],
        ),
        (
            _body({"role": "assistant", "tool_calls": [_CALL]}),
            [("/messages/0/tool_calls/0/id", "openai-chat/tool-call-without-result")],
        ),
        (
            _body(
                {"role": "assistant", "tool_calls": [{**_CALL, "id": "c" * 41}]},
                {"role": "tool", "tool_call_id": "c" * 41, "content": "x"},
            ),
            [
                ("/messages/0/tool_calls/0/id", "openai-chat/tool-id-length"),
                ("/messages/1/tool_call_id", "openai-chat/tool-id-length"),
            ],
        ),
        (
            _body(
                {
                    "role": "assistant",
                    "tool_calls": [{**_CALL, "function": {"name": "f", "arguments": {"a": 1}}}],
                },
                {"role": "tool", "tool_call_id": "c", "content": "x"},
            ),
            [("/messages/0/tool_calls/0/function/arguments", "openai-chat/arguments-string")],
        ),
        (
            _body(
                {"role": "system", "content": [_IMAGE]},
                {"role": "user", "content": [{"type": "refusal", "refusal": "no"}]},
                {"role": "assistant", "content": [_IMAGE]},
            ),
            [
                ("/messages/0/content/0/type", "openai-chat/part-not-allowed"),
                ("/messages/1/content/0/type", "openai-chat/part-not-allowed"),
                ("/messages/2/content/0/type", "openai-chat/part-not-allowed"),
            ],
        ),
        (
            _body(
                {"role": "assistant", "tool_calls": [_CALL]},
                {"role": "tool", "tool_call_id": "c", "content": [_IMAGE]},
            ),
            [("/messages/1/content/0/type", "openai-chat/part-not-allowed")],
        ),
        (
            _body(
                {
                    "role": "user",
                    "content": [
                        {"type": "file", "file": {"file_data": "JVBERi0="}},
                        {"type": "input_audio", "input_audio": {"data": "A", "format": "flac"}},
                    ],
                }
            ),
            [
                ("/messages/0/content/0/file/file_data", "openai-chat/file-data"),
                ("/messages/0/content/0/file/filename", "openai-chat/file-name"),
                ("/messages/0/content/1/input_audio/format", "openai-chat/audio-format"),
            ],
        ),
        (
            _body({"role": "user", "content": "x"}, tool_choice="auto"),
            [("/tool_choice", "openai-chat/tool-choice-needs-tools")],
        ),
        (
            _body({"role": "user", "content": "x"}, stop=list("abcde")),
            [("/stop", "openai-chat/stop-limit")],
        ),
        (
            _body({"role": "user", "content": "x"}, temperature="1"),
            [("/temperature", "openai-chat/schema")],
        ),
        (
            _body(
                {"role": "user", "content": "x"},
                tools=[{"type": "function", "function": {"name": "get weather"}}],
            ),
            [("/tools/0/function/name", "openai-chat/tool-name")],
        ),
    ],
)
def test_validate_names_each_rule(body: Any, found: list[tuple[str, str]]) -> None:
    assert [(v.pointer, v.rule) for v in CONV.validate(body)] == found


def test_validate_never_raises() -> None:
    junk: list[Any] = [
        None,
        1,
        [],
        {"model": 1, "messages": [None, [], {"role": None}]},
        _body({"role": "user", "content": [1, {"type": 2}]}),
        _body(tools=[1, {"type": "function", "function": 2}]),
    ]
    for body in junk:
        assert all(v.rule.startswith("openai-chat/") for v in CONV.validate(body))


def _bench_body(n: int) -> dict[str, Any]:
    """A conversation of every shape the decoder's fast path takes (as benchmarks/convert.py's)."""
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    calls = [
        {"id": f"call_{k}", "type": "function", "function": {"name": "f", "arguments": "{}"}}
        for k in range(2)
    ]
    block: list[dict[str, Any]] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": None, "tool_calls": calls},
        {"role": "tool", "tool_call_id": "call_0", "content": "1"},
        {"role": "tool", "tool_call_id": "call_1", "content": "2"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "And this?"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}},
            ],
        },
        {"role": "assistant", "content": "Done.", "tool_calls": calls[:1]},
    ]
    return {"model": "gpt-4o", "messages": [json.loads(json.dumps(m)) for m in block * n]}


def _deep(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = [value]
    return value


_REFUSED = st.one_of(
    st.sampled_from(["\ud800", "a\udfffb", float("nan"), float("inf"), 10**5000, "ok"]),
    st.builds(_deep, st.integers(124, 128)),
)


def _places(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every path in ``value`` (keys of objects and indices of arrays)."""
    out = [path]
    if isinstance(value, dict):
        for k, v in cast("dict[str, Any]", value).items():
            out += _places(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(cast("list[Any]", value)):
            out += _places(v, (*path, i))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_decode_refuses_what_check_json_refuses_with_the_same_error(data: st.DataObject) -> None:
    # The decoder checks the limits as it reads (no walk first): whatever it is given,
    # it raises what checking the body first and then decoding raised.
    body = _bench_body(data.draw(st.integers(1, 2)))
    places = _places(body)[1:]
    for where in data.draw(st.lists(st.sampled_from(places), min_size=1, max_size=2)):
        bad = data.draw(_REFUSED)
        parent: Any = body
        try:
            for step in where[:-1]:
                parent = parent[step]
            parent[where[-1]]  # still there after the first edit?
        except (KeyError, IndexError, TypeError):  # no: under a value the first edit replaced
            continue
        if data.draw(st.booleans()) and isinstance(parent, dict):
            parent[f"{where[-1]}\ud800" if data.draw(st.booleans()) else "x"] = bad  # a new key
        else:
            parent[where[-1]] = bad
    expected = _raised(lambda: check_json(body))
    got = _raised(lambda: OpenAIChatConverter().decode(body))
    if expected is None:  # a body check_json passes: no refusal of its kind from the decoder
        refused = ("lone surrogate", "JSON number", "nested at most", "as a string")
        assert got is None or not any(why in got for why in refused)
    else:
        assert got == expected
        assert _raised(lambda: convert(body, source="openai-chat", target="anthropic")) == expected


def _raised(run: Callable[[], object]) -> str | None:
    """The message of the `InvalidInputError` ``run`` raises, or None."""
    try:
        run()
    except InvalidInputError as exc:
        return str(exc)
    return None


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_inline_data_left_unchecked_is_only_what_the_decoder_checked(data: st.DataObject) -> None:
    # The decoder checks the base64 of the messages its fast path builds and names
    # the others (Decoded.unchecked): checking only those finds what checking all finds.
    body = _bench_body(2)
    for m in body["messages"]:
        if isinstance(m["content"], list):
            image = m["content"][1]["image_url"]
            image["url"] = data.draw(
                st.sampled_from(
                    [image["url"], "data:image/png;base64,a.b", "data:image/png;base64,A"]
                )
            )
        if data.draw(st.integers(0, 3)) == 0:
            m["x"] = 1  # a wire field: the message takes the general path
    decoded = OpenAIChatConverter().decode(body)
    locate = decoded.source_map.translate
    assert decoded.unchecked is not None
    assert list(decoded.unchecked) == sorted(set(decoded.unchecked))
    every = _raised(lambda: check_inline_data(decoded.document, locate))
    some = _raised(lambda: check_inline_data(decoded.document, locate, messages=decoded.unchecked))
    assert some == every
    assert _raised(lambda: convert(body, source="openai-chat", target="gemini")) == every
