"""The ``openai-chat`` format: OpenAI Chat Completions request bodies.

Decoding lives in ``_openai_chat_decode``, encoding in ``_openai_chat_encode`` and
``_openai_chat_parts``; this module holds the converter and the format's rules.

`OpenAIChatConverter.validate` reports, each under its rule id:

* ``openai-chat/schema`` — a wrong type or a missing required key;
* ``openai-chat/role`` — a role other than system, developer, user, assistant, tool;
* ``openai-chat/tool-result-without-call`` — a tool message that answers no call of
  the preceding assistant message;
* ``openai-chat/tool-call-without-result`` — a tool call not answered before the
  next non-tool message;
* ``openai-chat/tool-id-length`` — a tool-call id longer than 40 characters;
* ``openai-chat/arguments-string`` — tool-call arguments that are not a string;
* ``openai-chat/part-not-allowed`` — a content part the role cannot hold (images,
  audio and files only from the user, refusals only from the assistant, text only
  in system, developer and tool messages);
* ``openai-chat/file-data``, ``openai-chat/file-name``, ``openai-chat/audio-format``
  — file data that is not a data URL, file data without a filename, audio that is
  not wav or mp3;
* ``openai-chat/tool-choice-needs-tools``, ``openai-chat/stop-limit``,
  ``openai-chat/tool-name`` — tool_choice or parallel_tool_calls without tools,
  more than 4 stop sequences, a function name outside ``[A-Za-z0-9_-]{1,64}``.

Unknown keys and content part types newer than these rules are not reported.
"""

from __future__ import annotations

import re
from typing import Any, Final, cast

from aifkit._json import format_pointer, type_name
from aifkit.aif._loss import Path
from aifkit.aif.converters._base import Decoded, FormatConverter, Violation
from aifkit.aif.converters._capabilities import OPENAI_CHAT
from aifkit.aif.converters._checks import RuleChecker
from aifkit.aif.converters._common import ensure_json, parse_data_url
from aifkit.aif.converters._openai_chat_decode import NAME, decode_body
from aifkit.aif.converters._openai_chat_encode import MAX_STOP, MAX_TOOL_ID, encode_document
from aifkit.errors import InvalidInputError

__all__ = ["OpenAIChatConverter"]


# -- rules -------------------------------------------------------------------------

_SCHEMA: Final = "openai-chat/schema"
_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
_PART_TYPES = frozenset({"text", "image_url", "input_audio", "file", "refusal"})
_ALLOWED_PARTS = {
    "system": frozenset({"text"}),
    "developer": frozenset({"text"}),
    "tool": frozenset({"text"}),
    "user": frozenset({"text", "image_url", "input_audio", "file"}),
    "assistant": frozenset({"text", "refusal"}),
}
_CHOICES = frozenset({"auto", "none", "required"})
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}
_SETTING_TYPES = {
    "model": "string",
    "max_tokens": "integer",
    "max_completion_tokens": "integer",
    "temperature": "number",
    "top_p": "number",
    "seed": "integer",
    "stream": "boolean",
    "parallel_tool_calls": "boolean",
}


class _Validator(RuleChecker):
    """Collects violations; never raises."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.open: dict[str, Path] = {}  # unanswered calls of the preceding assistant message

    def add(self, path: Path, rule: str, message: str) -> None:
        self.found.append(Violation(format_pointer(path), rule, message))

    def typed(self, value: Any, kind: str, path: Path, *, nullable: bool = False) -> bool:
        """True when ``value`` is a ``kind``; else record a schema violation."""
        if value is None and nullable:
            return False
        ok = isinstance(value, _TYPES[kind]) and (kind == "boolean" or not isinstance(value, bool))
        if not ok:
            article = "an" if kind[0] in "aeiou" else "a"
            self.add(path, _SCHEMA, f"expected {article} {kind}, got {type_name(value)}")
        return ok

    def required(self, obj: dict[str, Any], key: str, kind: str, path: Path) -> bool:
        if key not in obj:
            self.add((*path, key), _SCHEMA, "missing required field")
            return False
        return self.typed(obj[key], kind, (*path, key))

    def body(self, body: Any) -> None:
        try:
            ensure_json(body)  # what decode checks first
        except InvalidInputError as exc:
            self.found.append(Violation(exc.pointer, _SCHEMA, exc.problem))
        if not self.typed(body, "object", ()):
            return
        root = cast("dict[str, Any]", body)
        self.required(root, "model", "string", ())
        if self.required(root, "messages", "array", ()):
            messages = cast("list[Any]", root["messages"])
            if not messages:
                self.add(("messages",), _SCHEMA, "at least one message is required")
            for i, m in enumerate(messages):
                self.message(m, ("messages", i))
            self.close_turn()
        self.settings(root)

    # -- messages ------------------------------------------------------------------

    def close_turn(self) -> None:
        for call_id, path in self.open.items():
            self.add(
                path,
                "openai-chat/tool-call-without-result",
                f"tool call {call_id!r} is not answered by a tool message before the next message",
            )
        self.open = {}

    def message(self, raw: Any, path: Path) -> None:
        if not self.typed(raw, "object", path):
            return
        m = cast("dict[str, Any]", raw)
        if not self.required(m, "role", "string", path):
            return
        role: str = m["role"]
        if role not in _ROLES:
            self.add((*path, "role"), "openai-chat/role", f"unknown role {role!r}")
            return
        if "name" in m:
            self.typed(m["name"], "string", (*path, "name"))
        if role == "tool":
            self.tool_message(m, path)
            return
        self.close_turn()
        content = m.get("content")
        if role != "assistant" and "content" not in m:
            self.add((*path, "content"), _SCHEMA, "missing required field")
        elif content is not None or role != "assistant":
            self.content(content, role, path)
        if role == "assistant":
            self.assistant(m, path)

    def content(self, content: Any, role: str, path: Path) -> None:
        cpath = (*path, "content")
        if isinstance(content, str):
            return
        if not isinstance(content, list):
            self.add(cpath, _SCHEMA, f"expected a string or an array, got {type_name(content)}")
            return
        for j, part in enumerate(cast("list[Any]", content)):
            self.part(part, role, (*cpath, j))

    def tool_message(self, m: dict[str, Any], path: Path) -> None:
        if self.required(m, "tool_call_id", "string", path):
            call_id: str = m["tool_call_id"]
            if len(call_id) > MAX_TOOL_ID:
                self.add(
                    (*path, "tool_call_id"),
                    "openai-chat/tool-id-length",
                    f"tool-call ids are at most {MAX_TOOL_ID} characters",
                )
            if self.open.pop(call_id, None) is None:
                self.add(
                    (*path, "tool_call_id"),
                    "openai-chat/tool-result-without-call",
                    f'no tool call "{call_id}" in the preceding assistant message',
                )
        if "content" not in m:
            self.add((*path, "content"), _SCHEMA, "missing required field")
        else:
            self.content(m["content"], "tool", path)

    def assistant(self, m: dict[str, Any], path: Path) -> None:
        if "refusal" in m:
            self.typed(m["refusal"], "string", (*path, "refusal"), nullable=True)
        if "tool_calls" not in m or not self.typed(m["tool_calls"], "array", (*path, "tool_calls")):
            return
        calls = m["tool_calls"]
        for k, raw in enumerate(cast("list[Any]", calls)):
            cpath = (*path, "tool_calls", k)
            if not self.typed(raw, "object", cpath):
                continue
            call = cast("dict[str, Any]", raw)
            self.required(call, "type", "string", cpath)
            if self.required(call, "id", "string", cpath):
                call_id: str = call["id"]
                if len(call_id) > MAX_TOOL_ID:
                    self.add(
                        (*cpath, "id"),
                        "openai-chat/tool-id-length",
                        f"tool-call ids are at most {MAX_TOOL_ID} characters",
                    )
                self.open[call_id] = (*cpath, "id")
            if call.get("type") == "function" and self.required(call, "function", "object", cpath):
                self.function_call(call["function"], (*cpath, "function"))

    def function_call(self, fn: dict[str, Any], path: Path) -> None:
        self.required(fn, "name", "string", path)
        if "arguments" not in fn:
            self.add((*path, "arguments"), _SCHEMA, "missing required field")
        elif not isinstance(fn["arguments"], str):
            self.add(
                (*path, "arguments"),
                "openai-chat/arguments-string",
                f"arguments must be a JSON text in a string, got {type_name(fn['arguments'])}",
            )

    # -- content parts -------------------------------------------------------------

    def part(self, raw: Any, role: str, path: Path) -> None:
        if not self.typed(raw, "object", path):
            return
        p = cast("dict[str, Any]", raw)
        if not self.required(p, "type", "string", path):
            return
        kind: str = p["type"]
        if kind not in _PART_TYPES:
            return  # a part type newer than these rules
        if kind not in _ALLOWED_PARTS[role]:
            self.add(
                (*path, "type"),
                "openai-chat/part-not-allowed",
                f"{role} messages cannot hold {kind} parts",
            )
            return
        if kind == "text" or kind == "refusal":
            self.required(p, kind, "string", path)
        elif kind == "image_url" and self.required(p, kind, "object", path):
            self.required(p[kind], "url", "string", (*path, kind))
        elif kind == "input_audio" and self.required(p, kind, "object", path):
            self.input_audio(p[kind], (*path, kind))
        elif kind == "file" and self.required(p, kind, "object", path):
            self.file(p[kind], (*path, kind))

    def input_audio(self, audio: dict[str, Any], path: Path) -> None:
        self.required(audio, "data", "string", path)
        if self.required(audio, "format", "string", path) and audio["format"] not in ("wav", "mp3"):
            self.add(
                (*path, "format"), "openai-chat/audio-format", "audio format must be wav or mp3"
            )

    def file(self, file: dict[str, Any], path: Path) -> None:
        data, file_id = file.get("file_data"), file.get("file_id")
        if data is None and file_id is None:
            self.add(path, _SCHEMA, "a file part needs file_data or file_id")
        if file_id is not None:
            self.typed(file_id, "string", (*path, "file_id"))
        if "filename" in file:
            self.typed(file["filename"], "string", (*path, "filename"), nullable=True)
        if data is None or not self.typed(data, "string", (*path, "file_data")):
            return
        if parse_data_url(data) is None:
            self.add(
                (*path, "file_data"),
                "openai-chat/file-data",
                "file_data must be a base64 data: URL",
            )
        if file.get("filename") is None:
            self.add((*path, "filename"), "openai-chat/file-name", "file_data needs a filename")

    # -- settings and tools --------------------------------------------------------

    def settings(self, root: dict[str, Any]) -> None:
        for key, kind in _SETTING_TYPES.items():
            if key in root and key != "model":
                self.typed(root[key], kind, (key,), nullable=True)
        stop = root.get("stop")
        if isinstance(stop, list):
            items = cast("list[Any]", stop)
            for k, s in enumerate(items):
                self.typed(s, "string", ("stop", k))
            if len(items) > MAX_STOP:
                self.add(("stop",), "openai-chat/stop-limit", f"at most {MAX_STOP} stop sequences")
        elif stop is not None and not isinstance(stop, str):
            self.add(("stop",), _SCHEMA, f"expected a string or an array, got {type_name(stop)}")
        choice = root.get("tool_choice")
        if isinstance(choice, str) and choice not in _CHOICES:
            self.add(("tool_choice",), _SCHEMA, f"unknown tool_choice {choice!r}")
        elif choice is not None and not isinstance(choice, str):
            self.typed(choice, "object", ("tool_choice",))
        tools = root.get("tools")
        if tools is not None and self.typed(tools, "array", ("tools",)):
            for k, tool in enumerate(cast("list[Any]", tools)):
                self.tool(tool, ("tools", k))
        if not tools:
            for key in ("tool_choice", "parallel_tool_calls"):
                if root.get(key) is not None:
                    self.add((key,), "openai-chat/tool-choice-needs-tools", f"{key} needs tools")

    def tool(self, raw: Any, path: Path) -> None:
        if not self.typed(raw, "object", path):
            return
        tool = cast("dict[str, Any]", raw)
        if not self.required(tool, "type", "string", path) or tool["type"] != "function":
            return
        if not self.required(tool, "function", "object", path):
            return
        fn: dict[str, Any] = tool["function"]
        fpath = (*path, "function")
        if self.required(fn, "name", "string", fpath) and not _TOOL_NAME.match(fn["name"]):
            self.add(
                (*fpath, "name"),
                "openai-chat/tool-name",
                "function names are 1-64 letters, digits, '_' or '-'",
            )
        if fn.get("parameters") is not None:
            self.typed(fn["parameters"], "object", (*fpath, "parameters"))


class OpenAIChatConverter(FormatConverter):
    """Reads and writes OpenAI Chat Completions request bodies.

    The leading system and developer messages become the document's instructions;
    a ``tool`` message becomes a message holding one `ToolResultPart`; an
    assistant's content comes first, then one `ToolCallPart` per tool call. Wire
    fields AIF has no place for are kept under ``extensions["openai-chat"]``, so a
    body that `validate` accepts encodes back exactly as it was.

    Examples:
        >>> from aifkit.aif import EncodeOptions
        >>> conv = OpenAIChatConverter()
        >>> body = {"model": "gpt-4o", "messages": [
        ...     {"role": "developer", "content": "Answer in French."},
        ...     {"role": "user", "content": "Hello"}], "n": 2}
        >>> doc = conv.decode(body).document
        >>> doc.instructions[0].role, doc.messages[0].parts[0].text
        ('developer', 'Hello')
        >>> doc.extensions
        {'openai-chat': {'extra': {'n': 2}}}
        >>> conv.encode(doc, EncodeOptions()).body == body
        True
        >>> [str(v) for v in conv.validate({"model": "gpt-4o", "messages": [
        ...     {"role": "tool", "tool_call_id": "call_1", "content": "42"}]})]
        ['/messages/0/tool_call_id: no tool call "call_1" in the preceding assistant message [openai-chat/tool-result-without-call]']
    """

    name = NAME
    capabilities = OPENAI_CHAT
    read = staticmethod(decode_body)
    write = staticmethod(encode_document)
    checker = _Validator
    checks_json = True

    def decode(self, body: Any) -> Decoded:
        """Read a Chat Completions request body into an AIF document.

        The reader checks that the body is JSON only when it fails (the fast path
        of the most common format), so the base's upfront check is skipped; it
        checks the limits of `aifkit._limits.check_json` as it reads.

        Raises:
            InvalidInputError: the body is malformed; the pointer names where.
        """
        return decode_body(body)
