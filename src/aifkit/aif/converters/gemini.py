"""The ``gemini`` format: Gemini ``generateContent`` request bodies (REST, camelCase).

``POST https://generativelanguage.googleapis.com/v1beta/models/{model}:generateContent``:
the model is in the URL, not the body. Decoding lives in ``_gemini_decode``,
encoding (and the table of every rule the encoder logs) in ``_gemini_encode``;
this module holds the converter, its capabilities and the format's rules.

`GeminiConverter.validate` reports, each under its rule id:

* ``gemini/schema`` — a wrong type or a missing required key;
* ``gemini/first-turn-user``, ``gemini/alternating-roles``, ``gemini/last-turn-user``
  — the contents must start with a user turn, must not hold two model turns in a
  row, and end on a user (or function-response) turn. Two user turns in a row are
  accepted (recorded: pydantic-ai's ``test_google_tool_call_id_wire_format``
  cassette, a function-response turn then a text turn answered by gemini-2.5-flash;
  ``tests/fixtures/gemini/pydantic-ai__two-user-turns.json``);
* ``gemini/empty-message`` — a content without parts;
* ``gemini/part-data`` — a part holding more than one of text, inlineData,
  fileData, functionCall and functionResponse;
* ``gemini/tool-result-missing`` — a function call not answered in the next turn;
* ``gemini/orphan-tool-result`` — a function response that answers no call of the
  turn before (by id, or by name when it has none);
* ``gemini/tool-result-name`` — a response whose name is not its call's;
* ``gemini/stop-limit``, ``gemini/temperature-range`` — more than 5 stop
  sequences, a temperature outside 0 to 2;
* ``gemini/tool-choice`` — ``allowedFunctionNames`` naming an undeclared function.
"""

from __future__ import annotations

from typing import Any, Final, cast

from aifkit.aif._features import STRUCTURE, Capabilities
from aifkit.aif._loss import Path
from aifkit.aif.converters._base import FormatConverter
from aifkit.aif.converters._checks import RuleChecker, as_list, as_obj, as_str
from aifkit.aif.converters._gemini_decode import NAME, decode_body
from aifkit.aif.converters._gemini_encode import MAX_STOP, MAX_TEMPERATURE, encode_document
from aifkit.aif.converters._gemini_forms import SNAKE_PART, camel_part

__all__ = ["GEMINI", "GeminiConverter"]

GEMINI: Final = Capabilities(
    carries={
        "settings.reasoning": "partial",
        "instructions": "yes",
        "text": "yes",
        "image.url": "partial",
        "image.base64": "yes",
        "image.file": "partial",
        "document.base64": "yes",
        "document.url": "partial",
        "document.file": "partial",
        "document.text": "yes",
        "audio": "yes",
        "tool_call": "yes",
        "tool_call.parallel": "yes",
        "tool_call.id": "yes",
        "tool_result": "yes",
        "tool_result.error": "yes",
        "tool_result.media": "partial",
        "reasoning.text": "partial",
        "reasoning.signed": "partial",
        "tools": "yes",
        "tool_choice": "partial",
        "settings.max_tokens": "yes",
        "settings.temperature": "partial",
        "settings.top_p": "yes",
        "settings.top_k": "yes",
        "settings.stop": "partial",
        "settings.seed": "yes",
    },
    rules={
        "reasoning-approximated": "settings.reasoning",
        "model-not-carried": STRUCTURE,
        "alternating-roles": STRUCTURE,
        "cache": "cache",
        "data-url": STRUCTURE,
        "developer-instructions": "instructions.developer",
        "empty-message": STRUCTURE,
        "file-id": STRUCTURE,
        "first-turn-user": STRUCTURE,
        "image-detail": "image.detail",
        "last-turn-user": STRUCTURE,
        "media-type": STRUCTURE,
        "message-name": "message.name",
        "model-in-url": STRUCTURE,
        "no-field": "extensions",
        "orphan-tool-result": STRUCTURE,
        "parallel-tool-calls": STRUCTURE,
        "provider-part": "provider_part",
        "reasoning-replay": STRUCTURE,
        "refusal": "refusal",
        "stop-limit": "settings.stop",
        "system-content": STRUCTURE,
        "system-position": STRUCTURE,
        "temperature-range": "settings.temperature",
        "tool-call-role": STRUCTURE,
        "tool-choice": "tool_choice",
        "synthesized-id": STRUCTURE,  # logged by the decoder: a call without an id
        "tool-kind": "provider_part",  # another provider's own tool
        "tool-result-missing": STRUCTURE,
        "tool-result-placement": STRUCTURE,
        "thought-signature": STRUCTURE,
        "tool-strict": "tools.strict",
    },
    notes={
        "image.url": "fileData URIs Gemini can fetch",
        "image.file": "Gemini Files API and gs:// URIs",
        "document.url": "fileData URIs Gemini can fetch",
        "document.file": "Gemini Files API and gs:// URIs",
        "tool_result.media": "functionResponse parts (Gemini 3)",
        "reasoning.text": "Google's own thoughts",
        "reasoning.signed": "Google's own thought signatures",
        "tool_choice": "needs the functions it names",
        "settings.temperature": "0 to 2",
        "settings.stop": "at most 5",
    },
)


# -- rules -------------------------------------------------------------------------

_DATA_KEYS: Final = (
    "text",
    *(k for k in SNAKE_PART if k != "thought_signature"),
    *(v for k, v in SNAKE_PART.items() if k != "thought_signature"),
)


class _Validator(RuleChecker):
    """Collects violations; never raises, whatever the body holds."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.snake: set[int] = set()  # the parts of this turn spelled in snake_case

    def body(self, body: Any) -> None:
        self.schema(decode_body, body)
        root = as_obj(body)
        if root is None:
            return
        self.settings(root)
        contents = [(i, c) for i, c in enumerate(as_list(root.get("contents"))) if as_obj(c)]
        self.turns(cast("list[tuple[int, dict[str, Any]]]", contents))

    def settings(self, root: dict[str, Any]) -> None:
        gen = as_obj(root.get("generationConfig")) or {}
        path: Path = ("generationConfig",)
        if len(as_list(gen.get("stopSequences"))) > MAX_STOP:
            msg = f"at most {MAX_STOP} stop sequences"
            self.flag((*path, "stopSequences"), "stop-limit", msg)
        temperature = gen.get("temperature")
        if isinstance(temperature, int | float) and not 0 <= temperature <= MAX_TEMPERATURE:
            self.flag((*path, "temperature"), "temperature-range", "temperature must be 0 to 2")
        declared = {
            as_str(d.get("name"))
            for t in map(as_obj, as_list(root.get("tools")))
            for d in map(as_obj, as_list((t or {}).get("functionDeclarations")))
            if d is not None
        }
        fcc = as_obj((as_obj(root.get("toolConfig")) or {}).get("functionCallingConfig")) or {}
        for k, name in enumerate(as_list(fcc.get("allowedFunctionNames"))):
            if as_str(name) not in declared:
                where = ("toolConfig", "functionCallingConfig", "allowedFunctionNames", k)
                self.flag(where, "tool-choice", f"no function {name!r} is declared")

    def turns(self, contents: list[tuple[int, dict[str, Any]]]) -> None:
        prev: Any = None
        calls: list[tuple[Any, Any, Path]] = []  # (id, name, path) of the last model turn
        for n, (i, c) in enumerate(contents):
            role = c.get("role", "user")
            path: Path = ("contents", i)
            if n == 0 and role == "model":
                self.flag(
                    (*path, "role"), "first-turn-user", "the first content must be a user turn"
                )
            elif role == prev == "model":
                self.flag((*path, "role"), "alternating-roles", f"two {role} turns in a row")
            prev = role
            parts = [(j, p) for j, p in enumerate(as_list(c.get("parts"))) if as_obj(p) is not None]
            if not parts:
                self.flag((*path, "parts"), "empty-message", "a content needs parts")
            for j, p in parts:
                if sum(k in p for k in _DATA_KEYS) > 1:
                    msg = "a part holds one of text, inlineData, fileData, functionCall, ..."
                    self.flag((*path, "parts", j), "part-data", msg)
            # google-genai's snake_case parts are the same parts (see _gemini_forms)
            camel = [(j, camel_part(p)) for j, p in parts]
            self.snake = {j for j, c in camel if c is not None}
            parts = [(j, c or p) for (j, c), (_, p) in zip(camel, parts, strict=True)]
            if role == "model":
                for call_id, name, where in calls:
                    self.unanswered(call_id, name, where)
                calls = [
                    (fc.get("id"), fc.get("name"), (*path, "parts", j))
                    for j, p in parts
                    if (fc := as_obj(p.get("functionCall"))) is not None
                ]
            else:
                self.answers(parts, path, calls)
                calls = []
        for call_id, name, where in calls:
            self.unanswered(call_id, name, where)
        if contents and contents[-1][1].get("role") == "model":
            where = ("contents", contents[-1][0], "role")
            msg = "a request ends on a user or function-response turn"
            self.flag(where, "last-turn-user", msg)

    def unanswered(self, call_id: Any, name: Any, where: Path) -> None:
        msg = f"function call {call_id or name!r} has no response in the next turn"
        self.flag(where, "tool-result-missing", msg)

    def answers(
        self,
        parts: list[tuple[int, dict[str, Any]]],
        path: Path,
        calls: list[tuple[Any, Any, Path]],
    ) -> None:
        open_calls = list(calls)
        for j, p in parts:
            fr = as_obj(p.get("functionResponse"))
            if fr is None:
                continue
            key = "function_response" if j in self.snake else "functionResponse"
            where: Path = (*path, "parts", j, key)
            rid, name = fr.get("id"), fr.get("name")
            if rid is not None:
                match = next((c for c in open_calls if c[0] == rid), None)
            else:
                match = next((c for c in open_calls if c[1] == name), None)
            if match is None:
                msg = "no function call of the turn before awaits this response"
                self.flag(where, "orphan-tool-result", msg)
                continue
            open_calls.remove(match)
            if match[1] != name:
                msg = f"the response is named {name!r}, its call {match[1]!r}"
                self.flag((*where, "name"), "tool-result-name", msg)
        for call_id, name, where in open_calls:
            self.unanswered(call_id, name, where)


class GeminiConverter(FormatConverter):
    """Reads and writes Gemini ``generateContent`` request bodies.

    ``systemInstruction`` is the document's system instruction; each content is a
    message (``model`` is the assistant; a user turn of function responses is a
    ``tool`` message); a thought part is a `ReasoningPart` with its signature, and
    a ``thoughtSignature`` on any other part stays on that part. Calls without an
    id get one on the way in (reported), and responses pair with them by name.
    Wire fields AIF has no place for are kept under ``extensions["gemini"]``, so a
    body that `validate` accepts encodes back exactly as it was.

    Examples:
        >>> from aifkit.aif import EncodeOptions
        >>> conv = GeminiConverter()
        >>> body = {"contents": [
        ...     {"role": "user", "parts": [{"text": "Weather in Paris?"}]},
        ...     {"role": "model", "parts": [{"functionCall": {"name": "weather",
        ...         "args": {"city": "Paris"}}, "thoughtSignature": "c2ln"}]},
        ...     {"role": "user", "parts": [{"functionResponse": {"name": "weather",
        ...         "response": {"output": "18C"}}}]}]}
        >>> decoded = conv.decode(body)
        >>> call, result = decoded.document.messages[1].parts[0], decoded.document.messages[2].parts[0]
        >>> call.id == result.call_id, [e.rule for e in decoded.losses.resolve(None)]
        (True, ['gemini/synthesized-id'])
        >>> conv.encode(decoded.document, EncodeOptions()).body == body
        True
        >>> [str(v) for v in conv.validate({"contents": [
        ...     {"role": "model", "parts": [{"text": "Hi"}]}]})]  # doctest: +NORMALIZE_WHITESPACE
        ['/contents/0/role: the first content must be a user turn [gemini/first-turn-user]',
         '/contents/0/role: a request ends on a user or function-response turn [gemini/last-turn-user]']
    """

    name = NAME
    capabilities = GEMINI
    read = staticmethod(decode_body)
    write = staticmethod(encode_document)
    checker = _Validator
