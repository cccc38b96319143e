"""Writing any AIF document as an OpenAI Chat Completions request body.

The encoder reads the frozen models directly and writes plain dicts. It enforces
the rules the API checks and logs each change against the AIF path:

* tool messages carry text only: each `ToolResultPart` becomes one ``tool``
  message where it stood; its images and documents move to a ``user`` message
  after the run of tool messages, behind a line naming the result
  (``openai-chat/tool-result-text-only``); ``is_error`` becomes an ``"Error: "``
  prefix on the result text (``openai-chat/tool-error-flag``).
* every tool call is answered before the next non-tool message: a call with no
  result gets a ``tool`` message saying ``(no result was recorded)``
  (``openai-chat/tool-call-without-result``); a result whose call is not in the
  preceding assistant turn becomes user text ``Tool result for <id>: ...``
  (``openai-chat/tool-result-without-call``).
* tool-call ids are at most 40 characters (``openai-chat/tool-id-length``).
* reasoning has no input field: ``EncodeOptions.reasoning`` drops it or keeps it
  as ``<reasoning>`` text; redacted reasoning is dropped (``openai-chat/reasoning``).
* a body that `validate` accepts comes back exactly as it was decoded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pydantic import JsonValue

from aifkit._json import canonical_json
from aifkit._limits import loads
from aifkit.aif._loss import Path
from aifkit.aif._schema import (
    Document,
    Extensions,
    Instruction,
    Message,
    ProviderPart,
    RefusalPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from aifkit.aif.converters._base import Encoded, EncodeOptions
from aifkit.aif.converters._common import (
    IdMapper,
    own_extra,
    own_form,
    report_foreign_extensions,
    write_arguments,
)
from aifkit.aif.converters._openai_chat_decode import NAME, SETTINGS
from aifkit.aif.converters._openai_chat_parts import PartWriter, put_extra
from aifkit.aif.converters._reasoning import chat_write
from aifkit.aif.converters._settings import write_settings
from aifkit.aif.converters._wire import RuleLog

__all__ = ["MAX_STOP", "MAX_TOOL_ID", "encode_document"]

MAX_TOOL_ID: Final = 40
"""Longest tool-call id the API accepts."""
MAX_STOP: Final = 4
"""Most stop sequences the API accepts."""

NO_RESULT: Final = "(no result was recorded)"
_ABSENT: Any = object()


def encode_document(document: Document, options: EncodeOptions) -> Encoded:
    """Write ``document`` as a Chat Completions body; see the module docstring."""
    enc = _Encoder(document, options)
    return Encoded(enc.run(), enc.losses)


def _content(parts: list[dict[str, Any]], form: Mapping[str, JsonValue], empty: Any) -> Any:
    """Return the ``content`` value for ``parts``: a string where it can be one."""
    mode = form.get("content")
    if mode == "parts":
        return parts
    if not parts:
        if mode == "null":
            return None
        if mode == "absent":
            return _ABSENT
        return empty
    if len(parts) == 1:
        only = parts[0]
        if len(only) == 2 and only.get("type") == "text":
            return only["text"]
    return parts


class _Encoder(PartWriter):
    """One encoding run: the output messages, the tool-call bookkeeping and the losses."""

    def __init__(self, doc: Document, options: EncodeOptions) -> None:
        super().__init__(options)
        self.doc = doc
        self.out: list[dict[str, Any]] = []
        self.open: dict[str, Path] = {}  # unanswered calls of the last assistant turn
        self.deferred: list[dict[str, Any]] = []  # user content waiting for the tool run to end
        self.ids: IdMapper | None = None  # made when the first over-long id shows up

    def run(self) -> dict[str, Any]:
        doc = self.doc
        body: dict[str, Any] = {}
        if doc.settings.model is not None:
            body["model"] = doc.settings.model
        for k, ins in enumerate(doc.instructions):
            self._instruction(ins, k)
        out = self.out
        for i, m in enumerate(doc.messages):
            parts = m.parts
            if (
                len(parts) == 1
                and m.name is None
                and not m.extensions
                and m.role != "tool"
                and not (self.open or self.deferred)
            ):
                p = parts[0]
                if type(p) is TextPart and not p.extensions and p.cache is None:
                    out.append({"role": m.role, "content": p.text})  # the common case, fast
                    continue
            self._message(m, i)
        self._end_tool_run()
        body["messages"] = out
        if doc.tools:
            self._tools(body)
        self._settings(body)
        if doc.extensions:
            report_foreign_extensions(doc.extensions, NAME, (), self.losses)
            put_extra(body, own_extra(doc.extensions, NAME))
        return body

    # -- turns ---------------------------------------------------------------------

    def _end_tool_run(self, merge: bool = False) -> list[dict[str, Any]]:
        """Close the tool run before a non-tool message: answer open calls, flush user content.

        With ``merge``, the waiting user content is returned to head the next user
        message instead of being written as a message of its own.
        """
        if self.open:
            for wire_id, path in self.open.items():
                self.out.append({"role": "tool", "tool_call_id": wire_id, "content": NO_RESULT})
                self.losses.add(
                    path,
                    "synthesized",
                    "openai-chat/tool-call-without-result",
                    "warning",
                    f"tool call {wire_id!r} has no result before the next message; "
                    f"OpenAI requires one, so {NO_RESULT!r} was sent",
                )
            self.open = {}
        if not self.deferred:
            return []
        parts, self.deferred = self.deferred, []
        if merge:
            return parts
        self.out.append({"role": "user", "content": _content(parts, {}, "")})
        return []

    def _instruction(self, ins: Instruction, k: int) -> None:
        path: Path = ("instructions", k)
        content = [self._text(p, (*path, "parts", j)) for j, p in enumerate(ins.parts)]
        form: Mapping[str, JsonValue] = {}
        msg: dict[str, Any] = {"role": ins.role}
        if ins.extensions:
            report_foreign_extensions(ins.extensions, NAME, path, self.losses)
            form = own_form(ins.extensions, NAME)
        self._finish(msg, content, form, "", ins.name, ins.extensions)

    def _finish(
        self,
        msg: dict[str, Any],
        content: list[dict[str, Any]],
        form: Mapping[str, JsonValue],
        empty: Any,
        name: str | None,
        extensions: Extensions,
    ) -> None:
        value = _content(content, form, empty)
        if value is not _ABSENT:
            msg["content"] = value
        if name is not None:
            msg["name"] = name
        if form:
            nulls = form.get("null")
            if isinstance(nulls, list):
                for key in nulls:
                    if isinstance(key, str):
                        msg.setdefault(key, None)
        if extensions:
            put_extra(msg, own_extra(extensions, NAME))
        self.out.append(msg)

    def _message(self, m: Message, i: int) -> None:
        path: Path = ("messages", i)
        form: Mapping[str, JsonValue] = {}
        if m.extensions:
            report_foreign_extensions(m.extensions, NAME, path, self.losses)
            form = own_form(m.extensions, NAME)
        if m.role == "assistant":
            self._assistant(m, path, form)
        elif m.role == "user" or m.role == "tool":
            self._user(m, path, form)
        else:
            content: list[dict[str, Any]] = []
            for j, p in enumerate(m.parts):
                part = self._other_part(p, (*path, "parts", j), m.role)
                if part is not None:
                    content.append(part)
            self._end_tool_run()
            self._finish({"role": m.role}, content, form, "", m.name, m.extensions)

    def _assistant(self, m: Message, path: Path, form: Mapping[str, JsonValue]) -> None:
        content: list[dict[str, Any]] = []
        calls: list[dict[str, Any]] = []
        call_paths: list[Path] = []
        refusal: str | None = None
        moved = False  # content that came after a call is sent before it
        for j, p in enumerate(m.parts):
            ppath = (*path, "parts", j)
            if type(p) is ToolCallPart:
                calls.append(self._call(p, ppath))
                call_paths.append(ppath)
            elif (
                type(p) is RefusalPart
                and refusal is None
                and own_form(p.extensions, NAME).get("field") is True
            ):
                self._check(p, ppath)
                refusal = p.text  # the message's `refusal` field
            elif (
                type(p) is ProviderPart
                and p.format == NAME
                and own_form(p.extensions, NAME).get("tool_call") is True
            ):
                calls.append(dict(p.data))  # a tool call of another type, e.g. custom
                call_paths.append(ppath)
            else:
                part = self._other_part(p, ppath, "assistant")
                if part is not None:
                    if calls and not moved:
                        moved = True
                        self.losses.add(
                            ppath,
                            "transformed",
                            "openai-chat/tool-calls-last",
                            "info",
                            "tool calls are sent after the message's content",
                        )
                    content.append(part)
        self._end_tool_run()
        msg: dict[str, Any] = {"role": "assistant"}
        if refusal is not None:
            msg["refusal"] = refusal
        if calls:
            msg["tool_calls"] = calls
            for call, cpath in zip(calls, call_paths, strict=True):
                call_id = call.get("id")
                if isinstance(call_id, str):
                    self.open[call_id] = cpath
        elif form.get("tool_calls") == "empty":
            msg["tool_calls"] = []
        empty = None if calls or refusal is not None else ""
        self._finish(msg, content, form, empty, m.name, m.extensions)

    def _user(self, m: Message, path: Path, form: Mapping[str, JsonValue]) -> None:
        content: list[dict[str, Any]] = []
        results = 0
        start = len(self.out)
        for j, p in enumerate(m.parts):
            ppath = (*path, "parts", j)
            if type(p) is ToolResultPart:
                if content and not results:
                    self.losses.add(
                        path,
                        "transformed",
                        "openai-chat/tool-results-first",
                        "info",
                        "tool results are sent before the rest of the message",
                    )
                results += 1
                self._result(p, ppath, form if m.role == "tool" and len(m.parts) == 1 else {})
            else:
                part = self._other_part(p, ppath, "user")
                if part is not None:
                    content.append(part)
        if content or not results:
            content = self._end_tool_run(merge=True) + content
            if m.role == "tool" and not content:
                return  # an empty tool message: nothing to send
            if m.role == "tool" and not results:
                self.losses.add(
                    path,
                    "transformed",
                    "openai-chat/tool-role",
                    "warning",
                    "a tool message without a tool result is sent as a user message",
                )
            self._finish({"role": "user"}, content, form, "", m.name, m.extensions)
            return
        if m.name is not None:
            self.losses.add(
                (*path, "name"),
                "dropped",
                "openai-chat/tool-message-name",
                "warning",
                "tool messages have no name",
            )
        if m.extensions and start < len(self.out):
            put_extra(self.out[start], own_extra(m.extensions, NAME))

    # -- tool calls and results ---------------------------------------------------------

    def _wire_id(self, original: str, path: Path) -> str:
        ids = self.ids
        if ids is None:
            if len(original) <= MAX_TOOL_ID:
                return original
            ids = self.ids = self._make_mapper()
        new = ids.map(original)
        if new != original:
            self.losses.add(
                path,
                "transformed",
                "openai-chat/tool-id-length",
                "info",
                f"tool-call id {original!r} is longer than {MAX_TOOL_ID} characters; "
                f"sent as {new!r}",
            )
        return new

    def _make_mapper(self) -> IdMapper:
        mapper = IdMapper(lambda _: True, lambda s: s, MAX_TOOL_ID)
        kept: set[str] = set()
        for m in self.doc.messages:
            for p in m.parts:
                if type(p) is ToolCallPart:
                    kept.add(p.id)
                elif type(p) is ToolResultPart:
                    kept.add(p.call_id)
        mapper.reserve({i for i in kept if len(i) <= MAX_TOOL_ID})
        return mapper

    def _call(self, p: ToolCallPart, path: Path) -> dict[str, Any]:
        form: Mapping[str, JsonValue] = {}
        if p.extensions or p.cache is not None:
            self._check(p, path)
            form = own_form(p.extensions, NAME)
        text = form.get("arguments")
        if not (isinstance(text, str) and _same_json(text, p.arguments)):
            text = write_arguments(p.arguments, p.raw_arguments)
        call: dict[str, Any] = {
            "id": self._wire_id(p.id, (*path, "id")),
            "type": "function",
            "function": {"name": p.name, "arguments": text},
        }
        if p.extensions:
            put_extra(call, own_extra(p.extensions, NAME), "function")
        return call

    def _result(self, p: ToolResultPart, path: Path, form: Mapping[str, JsonValue]) -> None:
        if p.extensions or p.cache is not None:
            self._check(p, path)
        wire_id = self._wire_id(p.call_id, (*path, "call_id"))
        texts: list[dict[str, Any]] = []
        media: list[dict[str, Any]] = []
        for k, c in enumerate(p.content):
            cpath = (*path, "content", k)
            part = self._text(c, cpath) if type(c) is TextPart else self._media(c, cpath)
            if part is None:
                continue
            if part["type"] == "text":
                texts.append(part)
            else:
                media.append(part)
                self.losses.add(
                    cpath,
                    "transformed",
                    "openai-chat/tool-result-text-only",
                    "warning",
                    "tool messages carry text only; moved to a user message after the tool results",
                )
        if p.is_error:
            self._error_prefix(texts, path)
        if wire_id in self.open:
            del self.open[wire_id]
            empty = "(attachments follow in the next user message)" if media else ""
            msg: dict[str, Any] = {"role": "tool", "tool_call_id": wire_id}
            value = _content(texts, form, empty)
            if value is not _ABSENT:
                msg["content"] = value
            self.out.append(msg)
            if media:
                label = f"Attachments of tool result {wire_id}:"
                self.deferred += [{"type": "text", "text": label}, *media]
            return
        self.losses.add(
            path,
            "transformed",
            "openai-chat/tool-result-without-call",
            "warning",
            f"no call {p.call_id!r} in the preceding assistant turn; sent as user text",
        )
        joined = "\n".join(t["text"] for t in texts)
        self.deferred += [
            {"type": "text", "text": f"Tool result for {p.call_id}: {joined}"},
            *media,
        ]

    def _error_prefix(self, texts: list[dict[str, Any]], path: Path) -> None:
        self.losses.add(
            (*path, "is_error"),
            "transformed",
            "openai-chat/tool-error-flag",
            "info",
            "tool messages have no error flag; the result text starts with 'Error: '",
        )
        if texts:
            texts[0] = {**texts[0], "text": "Error: " + texts[0]["text"]}
        else:
            texts.append({"type": "text", "text": "Error"})

    # -- tools and settings --------------------------------------------------------------

    def _tools(self, body: dict[str, Any]) -> None:
        tools: list[dict[str, Any]] = []
        for k, t in enumerate(self.doc.tools):
            path: Path = ("tools", k)
            extra = own_extra(t.extensions, NAME)
            if t.kind == "function":
                fn: dict[str, Any] = {"name": t.name}
                if t.description is not None:
                    fn["description"] = t.description
                if t.parameters is not None:
                    fn["parameters"] = t.parameters
                if t.strict is not None:
                    fn["strict"] = t.strict
                tool: dict[str, Any] = {"type": "function", "function": fn}
                put_extra(tool, extra, "function")
            elif extra:
                tool = {"type": t.kind, **extra}  # OpenAI's own tool type, e.g. custom
            else:
                self.losses.add(
                    path,
                    "dropped",
                    "openai-chat/tool-kind",
                    "warning",
                    f"OpenAI has no {t.kind!r} tool",
                )
                continue
            self._check(t, path)
            tools.append(tool)
        if tools:
            body["tools"] = tools

    def _settings(self, body: dict[str, Any]) -> None:
        s = self.doc.settings
        form: Mapping[str, JsonValue] = {}
        if s.extensions:
            report_foreign_extensions(s.extensions, NAME, ("settings",), self.losses)
            form = own_form(s.extensions, NAME)
        if s.max_tokens is not None:
            key = (
                "max_tokens"
                if form.get("max_tokens_key") == "max_tokens"
                else "max_completion_tokens"
            )
            body[key] = s.max_tokens
        write_settings(s, SETTINGS, form, body, skip=("model", "max_tokens", "parallel_tool_calls"))
        if s.top_k is not None:
            self.losses.add(
                ("settings", "top_k"),
                "dropped",
                "openai-chat/top-k",
                "warning",
                "OpenAI has no top_k",
            )
        if s.stop is not None:  # a string, or fewer sequences, in the place written above
            self._stop(body, s.stop, form)
        if s.reasoning is not None:
            log = RuleLog(NAME, {}, self.losses)
            body["reasoning_effort"] = chat_write(s.reasoning, form, log)
        self._tool_settings(body)
        if form:
            nulls = form.get("null")
            if isinstance(nulls, list):
                for key in nulls:
                    if isinstance(key, str):
                        body.setdefault(key, None)
        if s.extensions:
            put_extra(body, own_extra(s.extensions, NAME))

    def _stop(
        self, body: dict[str, Any], stop: tuple[str, ...], form: Mapping[str, JsonValue]
    ) -> None:
        if len(stop) > MAX_STOP:
            self.losses.add(
                ("settings", "stop"),
                "dropped",
                "openai-chat/stop-limit",
                "warning",
                f"OpenAI takes at most {MAX_STOP} stop sequences; sent the first {MAX_STOP}",
            )
            stop = stop[:MAX_STOP]
        if len(stop) == 1 and form.get("stop") == "string":
            body["stop"] = stop[0]
        else:
            body["stop"] = list(stop)

    def _tool_settings(self, body: dict[str, Any]) -> None:
        s = self.doc.settings
        for key in ("tool_choice", "parallel_tool_calls"):
            if getattr(s, key) is not None and "tools" not in body:
                self.losses.add(
                    ("settings", key),
                    "dropped",
                    "openai-chat/tool-choice-needs-tools",
                    "info",
                    f"OpenAI accepts {key} only with tools",
                )
        if "tools" not in body:
            return
        if s.parallel_tool_calls is not None:
            body["parallel_tool_calls"] = s.parallel_tool_calls
        choice = s.tool_choice
        if choice is None:
            return
        if choice.mode != "tool":
            body["tool_choice"] = choice.mode
        elif choice.name is not None:
            body["tool_choice"] = {"type": "function", "function": {"name": choice.name}}
        else:
            body["tool_choice"] = "required"


def _same_json(text: str, arguments: JsonValue) -> bool:
    # The kept text is only used while it still says what `arguments` says.
    try:
        return canonical_json(loads(text)) == canonical_json(arguments)
    except ValueError:
        return False
