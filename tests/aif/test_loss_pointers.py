"""Loss reports point into the source body and name every drop.

Every fixture body of every format (``tests/fixtures``, see `test_matrix.corpus`) is
converted to every format, and two properties are checked on each conversion:

1. **Every pointer resolves.** Each loss entry's pointer is an RFC 6901 JSON pointer
   that names a value in the *source* body (not an AIF path such as
   ``/messages/0/content/0/cache``): the value lost, or, for what the source never
   held (a ``max_tokens`` the target requires), the element it belongs to.
2. **Nothing is dropped silently.** Every value *present* in the source is either
   *carried* (it appears in the output) or *covered* (a loss entry points at it or
   at an element that holds it).

What "present" and "carried" mean, so that the check is about data and not about
spelling:

* A value is present when it is a string or a number of the body, and not
  ``""``: ``null``, ``""`` and empty containers say nothing a target could lose.
  Booleans are flags that formats invert or leave out at their default
  (Anthropic's ``disable_parallel_tool_use`` is OpenAI's ``parallel_tool_calls``,
  ``is_error: false`` is an absent flag), so they are not compared; nor are
  leaves under `STRUCTURE` keys (``role``, ``type``: every format spells roles
  and kinds its own way) or at `MAPPED` places (a value the converters translate
  into another vocabulary, each with its reason).
* A value is carried when the output holds it:

  - as a leaf, numbers compared as numbers (``1`` is ``1.0``);
  - inside a string, without case (texts joined, ``data:`` URLs, Gemini's
    ``"OBJECT"`` is JSON Schema's ``"object"``), or escaped inside JSON text (a
    rendered template), or inside an output string that is base64 of UTF-8 text
    (a text document sent as inline data);
  - a string holding JSON (tool arguments) when each of its leaves is; a
    ``data:`` URL when its payload is;
  - a media type and a file extension carry each other when one is a whole value
    of the output (Bedrock's ``"png"`` is ``"image/png"``, OpenAI's ``"mp3"`` is
    ``"audio/mpeg"``, ``"audio/wav"`` is ``"wav"``); ``text/plain`` (``txt``), the
    media type AIF gives text when none is named, is carried by any text; an
    image's media type is carried by image data whose first bytes declare it
    (Ollama sends images as bare base64 and reads the type from the bytes).
"""

from __future__ import annotations

import base64
import json
import mimetypes
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifkit.aif import convert, formats
from aifkit.aif._loss import LossReport
from aifkit.aif.converters._wire import sniff_image
from tests.aif.test_matrix import corpus

Path = tuple[str | int, ...]

STRUCTURE = frozenset({"role", "type"})
"""Keys whose values name a role or a kind of element, spelled by each format."""

MAPPED: dict[Path, str] = {
    ("toolResult", "status"): "Bedrock's 'success' / 'error' is AIF's is_error (a flag)",
    ("tool_choice",): "'auto' / 'any' / 'required' / 'none' are one vocabulary per format",
    ("functionCallingConfig", "mode"): "Gemini's AUTO / ANY / NONE are tool_choice values",
    ("function_calling_config", "mode"): "the same in google-genai's snake_case",
    ("toolChoice", "mode"): "MCP's auto / required / none are tool_choice values",
}
"""Places (path suffixes) whose value a converter translates, and why."""


def _targets() -> list[str]:
    return [f for f in formats() if f != "aif"]


@cache
def _cases() -> tuple[tuple[str, str, Any], ...]:
    return tuple((fmt, name, body) for fmt, name, body, _ in corpus())


# -- JSON pointers (RFC 6901) ---------------------------------------------------------


def resolves(body: Any, pointer: str) -> bool:
    """Whether ``pointer`` names a value in ``body``."""
    if pointer == "":
        return True
    if not pointer.startswith("/"):
        return False
    node = body
    for token in pointer[1:].split("/"):
        key = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return False
    return True


def pointer(path: Path) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


# -- present and carried --------------------------------------------------------------


def leaves(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every scalar in ``value`` with its path."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, (*path, i))
    else:
        yield path, value


def present(body: Any) -> Iterator[tuple[Path, Any]]:
    """The leaves of ``body`` that hold data (see the module docstring)."""
    for path, value in leaves(body):
        if value is None or value == "" or isinstance(value, bool):
            continue
        if path and path[-1] in STRUCTURE:
            continue
        if any(path[-len(s) :] == s for s in MAPPED):
            continue
        yield path, value


class Output:
    """What a converted body holds, to ask whether a source value was carried."""

    def __init__(self, body: Any) -> None:
        self.strings: list[str] = []
        self.scalars: set[str] = set()
        for _, value in leaves(body):
            if isinstance(value, str):
                self.strings.append(value)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                self.scalars.add(json.dumps(float(value)))
        decoded = [t for t in map(_unbase64, self.strings) if t is not None]
        self.text = "\x00".join([*self.strings, *decoded]).lower()
        self.exact = {t.lower() for t in self.strings}

    def carries(self, value: Any) -> bool:
        if isinstance(value, str):
            return self._string(value)
        return json.dumps(float(value)) in self.scalars or json.dumps(value) in self.text

    def _string(self, value: str) -> bool:
        if value.lower() in self.text:
            return True
        if value.startswith("data:") and "," in value:
            return self._string(value.split(",", 1)[1])
        if json.dumps(value, ensure_ascii=False)[1:-1].lower() in self.text:
            return True
        if value[:1] in "{[":
            try:
                parsed = json.loads(value)
            except ValueError:
                return False
            return all(self.carries(v) for _, v in present(parsed))
        if value in _PLAIN_TEXT and self.strings:
            return True
        if value.startswith("image/") and any(sniff_image(s) == value for s in self.strings):
            return True
        return any(alias.lower() in self.exact for alias in _media_aliases(value))


_PLAIN_TEXT = frozenset({"text/plain", "txt"})


def _unbase64(value: str) -> str | None:
    """The text a base64 string holds (a text document sent as inline data), if any."""
    if len(value) < 8 or len(value) % 4:
        return None
    try:
        return base64.b64decode(value, validate=True).decode()
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        return None


@cache
def _media_aliases(value: str) -> tuple[str, ...]:
    """The file extensions of a media type, or the media type of an extension."""
    if "/" in value:
        found = [e.lstrip(".") for e in mimetypes.guess_all_extensions(value.lower())]
        return (*found, value.split("/", 1)[1].split(";")[0])
    media, _ = mimetypes.guess_type(f"x.{value}")
    return (media,) if media else ()


# -- the properties -------------------------------------------------------------------


def _convert(fmt: str, body: Any, target: str) -> tuple[Any, LossReport]:
    out, report = convert(body, source=fmt, target=target)
    return out, report


def unresolved(fmt: str, body: Any, target: str) -> list[str]:
    """The pointers of ``fmt -> target``'s report that name nothing in ``body``."""
    _, report = _convert(fmt, body, target)
    return [f"{e.pointer} ({e.rule})" for e in report if not resolves(body, e.pointer)]


def unreported(fmt: str, body: Any, target: str) -> list[str]:
    """The source values ``fmt -> target`` neither carried nor reported."""
    out, report = _convert(fmt, body, target)
    held = Output(out)
    covered = [e.pointer for e in report]
    missing: list[str] = []
    for path, value in present(body):
        if held.carries(value):
            continue
        at = pointer(path)
        if not any(at == p or at.startswith(p + "/") or p == "" for p in covered):
            missing.append(f"{at} = {value!r}")
    return missing


_CASE = st.tuples(st.sampled_from(_cases()), st.sampled_from(_targets()))
_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(_CASE)
def test_every_loss_pointer_resolves_in_the_source(case: Any) -> None:
    (fmt, name, body), target = case
    bad = unresolved(fmt, body, target)
    assert not bad, f"{fmt}/{name} -> {target}: pointers outside the source: {bad}"


@_SETTINGS
@given(_CASE)
def test_nothing_is_dropped_without_a_loss_entry(case: Any) -> None:
    (fmt, name, body), target = case
    missing = unreported(fmt, body, target)
    assert not missing, f"{fmt}/{name} -> {target}: dropped without a report: {missing}"


@pytest.mark.parametrize("target", _targets())
def test_both_properties_hold_for_every_fixture(target: str) -> None:
    # The same checks over the whole corpus, so that no pair is left to chance.
    problems: list[str] = []
    for fmt, name, body in _cases():
        where = f"{fmt}/{name} -> {target}"
        problems += [f"{where}: {p} is outside the source" for p in unresolved(fmt, body, target)]
        problems += [f"{where}: {m} dropped unreported" for m in unreported(fmt, body, target)]
    assert not problems, "\n".join(problems)


def test_the_checks_catch_what_they_look_for() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi", "name": "ada"}]}
    assert resolves(body, "/messages/0/name")
    assert not resolves(body, "/messages/0/parts")
    assert not resolves(body, "/messages/1")
    assert [p for p, _ in present(body)] == [("model",), ("messages", 0, "content"), ("messages", 0, "name")]  # fmt: skip
    out = Output({"contents": [{"parts": [{"text": "hi"}, {"inlineData": {"mimeType": "image/png"}}]}], "t": 1.0})  # fmt: skip
    assert [out.carries(v) for v in ("hi", "png", "image/png", 1, '{"a": "HI"}')] == [True] * 5
    assert [out.carries(v) for v in ("ada", 2, '{"a": "bye"}', "audio/wav")] == [False] * 4


@pytest.mark.parametrize(
    ("pointer_", "problem"),
    [("/messages/0/parts/0/cache", "outside"), ("/messages/0/content", "unreported")],
)
def test_a_wrong_report_fails_the_checks(
    monkeypatch: pytest.MonkeyPatch, pointer_: str, problem: str
) -> None:
    # A report that names an AIF path, or names the wrong value, is caught.
    from aifkit.aif import LossEntry

    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi", "name": "ada"}]}
    entry = LossEntry(pointer_, "dropped", "anthropic/no-field", "info")

    def wrong(*_: Any) -> tuple[Any, LossReport]:
        out = {"model": "gpt-4o", "max_tokens": 9, "messages": [{"role": "user", "content": "Hi"}]}
        return out, LossReport("openai-chat", "anthropic", (entry,))

    monkeypatch.setattr(__name__ + "._convert", wrong)
    assert unresolved("openai-chat", body, "anthropic") == ([f"{pointer_} (anthropic/no-field)"] if problem == "outside" else [])  # fmt: skip
    assert unreported("openai-chat", body, "anthropic") == ["/messages/0/name = 'ada'"]


# -- the drops issue 12 named ---------------------------------------------------------


def _fixture(fmt: str, name: str) -> Any:
    return next(body for f, n, body in _cases() if (f, n) == (fmt, name))


def _entries(body: Any, source: str, target: str) -> list[tuple[str, str]]:
    return [(e.pointer, e.rule) for e in convert(body, source=source, target=target).report]


def test_a_prompt_reports_the_model_it_cannot_carry() -> None:
    found = _entries(_fixture("bedrock-converse", "tool-use"), "bedrock-converse", "mcp-prompt")
    assert ("/modelId", "mcp-prompt/settings") in found
    found = _entries(_fixture("openai-chat", "tool-calls"), "openai-chat", "mcp-prompt")
    assert ("/model", "mcp-prompt/settings") in found


def test_a_responses_call_id_is_reported_on_call_id_not_on_the_item_id() -> None:
    body = _fixture("openai-responses", "function-calling")
    found = _entries(body, "openai-responses", "ollama")
    assert ("/input/1/call_id", "ollama/tool-call-id") in found
    assert ("/input/3/call_id", "ollama/tool-call-id") in found  # the result's reference
    assert ("/input/1/id", "ollama/tool-call-id") not in found


def test_ids_the_source_never_had_are_not_reported_dropped() -> None:
    body = _fixture("gemini", "function-calling")  # function calls without ids
    assert not [e for e in _entries(body, "gemini", "ollama") if e[1] == "ollama/tool-call-id"]


def test_a_video_url_keeps_or_reports_its_mime_type() -> None:
    # Google's REST sample (tests/fixtures/gemini/SOURCES.md) with a plain URL
    # instead of a Files API one: AIF's URL source has no media type.
    body = {"contents": [{"parts": [{"text": "Please describe this file."}, {"fileData": {"mimeType": "video/mp4", "fileUri": "https://example.com/big-buck-bunny"}}]}]}  # fmt: skip
    for target in ("openai-responses", "mistral"):
        assert ("/contents/0/parts/1/fileData", f"{target}/no-field") in _entries(body, "gemini", target)  # fmt: skip
    assert convert(body, source="gemini", target="gemini").body == body


def test_an_audio_format_mistral_cannot_send_is_reported() -> None:
    body = {"model": "gpt-4o-audio-preview", "messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "SUQzBAAAAAAAI1RTU0UAAAAPAAADTGF2ZjU4Ljc2LjEwMAAAAAAAAAAAAAAA", "format": "mp3"}}]}]}  # fmt: skip
    found = _entries(body, "openai-chat", "mistral")
    assert ("/messages/0/content/0/input_audio/format", "mistral/audio-format") in found
