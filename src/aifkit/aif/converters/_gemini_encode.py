"""Writing any AIF document as a Gemini ``generateContent`` request body.

The encoder reads the frozen models and builds wire dicts (camelCase, as on the
REST wire), enforcing the API's rules and logging every change against the AIF
path (`RULES` lists them):

* system and developer text goes to ``systemInstruction`` (instructions in order,
  then system/developer messages lifted out of the conversation);
* turns are ``user`` and ``model`` and start with the user: consecutive model turns
  are merged (consecutive user turns are not: Gemini takes them), a tool message's
  results join the user turn after the calls, and a conversation starting with the
  model gets a user turn reading `SYNTHESIZED_USER_TEXT` before it;
* the turn after a model turn with function calls starts with one
  ``functionResponse`` per call, in call order, each named after its call: a call
  with no result gets an error response reading `MISSING_RESULT_TEXT`, and a
  result that answers no call of the turn before is sent as text;
* the request ends on a user or function-response turn: a trailing model turn
  gets a user turn reading `CONTINUE_TEXT` after it;
* when the document's model is a Gemini 3 model, the first function call of a
  model turn without a ``thoughtSignature`` gets Google's documented placeholder
  (`SKIP_SIGNATURE`), as Gemini 3 rejects it otherwise;
* reasoning is replayed as ``thought`` parts only when it came from Google;
  elsewhere it is dropped or, with `EncodeOptions.reasoning` ``"text"``, sent as
  text; a ``thoughtSignature`` kept on any other part is written back on it;
* what the API cannot take is dropped: other providers' file ids and blocks,
  redacted reasoning, message names, cache hints, image detail, strict schemas,
  more than 5 stop sequences, foreign fields.

A document this format produced is written back exactly through its ``form`` and
``extra`` hints (see ``_gemini_decode``).

A conversation as agents send it (text, images, function calls answered by the
next tool messages) needs none of these rules; `_AgentTurns` writes it in one
pass, and the general path (turns, pairing) writes any other.
"""

from __future__ import annotations

import base64
import json
import mimetypes
from collections.abc import Mapping, Sequence
from typing import Any, cast

from aifkit._limits import loads
from aifkit.aif._loss import Path
from aifkit.aif._schema import (
    AudioPart,
    Base64Source,
    Document,
    DocumentPart,
    FileSource,
    ImagePart,
    Message,
    Part,
    ProviderPart,
    ReasoningPart,
    RefusalPart,
    Settings,
    TextPart,
    Tool,
    ToolCallPart,
    ToolResultPart,
    UrlSource,
)
from aifkit.aif.converters._base import Encoded, EncodeOptions
from aifkit.aif.converters._common import (
    parse_data_url,
    reasoning_replayable,
)
from aifkit.aif.converters._gemini_decode import NAME, PROVIDER, SETTINGS
from aifkit.aif.converters._gemini_forms import openapi_schema, snake_part, wire_b64
from aifkit.aif.converters._gemini_rules import (
    CONTINUE_TEXT,
    MAGIC,
    MAX_STOP,
    MAX_TEMPERATURE,
    MISSING_RESULT_TEXT,
    RULES,
    SKIP_SIGNATURE,
    SYNTHESIZED_USER_TEXT,
    lay_out,
    merge_extra,
)
from aifkit.aif.converters._reasoning import gemini_write
from aifkit.aif.converters._settings import as_number, write_settings
from aifkit.aif.converters._wire import (
    EMPTY,
    MEDIA_TYPES,
    NO_HINTS,
    RuleLog,
    hint_keys,
    own_hints,
    part_type,
    quiet_for,
)

__all__ = [
    "CONTINUE_TEXT",
    "MAX_STOP",
    "MISSING_RESULT_TEXT",
    "RULES",
    "SYNTHESIZED_USER_TEXT",
    "encode_document",
]


def encode_document(document: Document, options: EncodeOptions) -> Encoded:
    """Write ``document`` as a ``generateContent`` body (see the module docstring)."""
    enc = _Encoder(document, options)
    return Encoded(enc.run(), enc.losses)


class _Turn:
    """One wire content being built: its role, parts, and the calls it makes."""

    __slots__ = ("calls", "extra", "form", "index", "late", "parts", "results", "role")

    def __init__(self, role: str, index: int) -> None:
        self.role = role
        self.index = index  # the AIF message it starts at
        self.parts: list[dict[str, Any]] = []
        # (id, name, path, the id on the wire: None when the call is sent without one)
        self.calls: list[tuple[str, str, Path, str | None]] = []
        self.results: list[tuple[ToolResultPart, Path]] = []
        self.late = False  # a result came after other content
        self.form: Mapping[str, Any] = EMPTY
        self.extra: Mapping[str, Any] = EMPTY


class _Encoder(RuleLog):
    def __init__(self, document: Document, options: EncodeOptions) -> None:
        self.doc = document
        self.options = options
        super().__init__(NAME, RULES)
        self.system: list[dict[str, Any]] = []
        self.system_extra: Mapping[str, Any] = EMPTY  # systemInstruction's own keys
        # Gemini 3 rejects a turn's first function call without a thought signature.
        self.gemini3 = (
            (document.settings.model or "").removeprefix("models/").startswith("gemini-3")
        )

    # -- the body ----------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        doc = self.doc
        body: dict[str, Any] = {}
        form, extra = self.ext(doc.extensions, ())
        for k, ins in enumerate(doc.instructions):
            path: Path = ("instructions", k)
            _, iextra = self.ext(ins.extensions, path)
            if ins.name is not None:
                self.log((*path, "name"), "message-name")
            if ins.role == "developer":
                self.log(path, "developer-instructions")
            for j, part in enumerate(ins.parts):
                self.system.append(self.system_text(part, (*path, "parts", j)))
            if k == 0:
                self.system_extra = iextra
        # Gemini 3 calls need a signature, which the general path adds.
        simple = None if self.gemini3 else _AgentTurns().write(doc.messages)
        body["contents"] = self.contents(doc.messages) if simple is None else simple
        if self.system:
            si: dict[str, Any] = {}
            system_form = form.get("system")
            if isinstance(system_form, dict):
                si.update(cast("dict[str, Any]", system_form))
            si["parts"] = self.system
            for key, value in self.system_extra.items():
                si.setdefault(key, value)
            body["systemInstruction"] = si
        tools = self.tools(doc.tools, form.get("tools"))
        if tools:
            body["tools"] = tools
        self.settings(doc.settings, body)
        for key, value in extra.items():
            body.setdefault(key, value)
        return body

    def system_text(self, part: TextPart, path: Path) -> dict[str, Any]:
        _, extra = self.ext(part.extensions, path)
        if part.cache is not None:
            self.log((*path, "cache"), "cache")
        return {"text": part.text, **extra}

    # -- settings and tools ------------------------------------------------------------

    def settings(self, s: Settings, body: dict[str, Any]) -> None:
        form, extra = self.ext(s.extensions, ("settings",))
        gen: dict[str, Any] = {}
        write_settings(s, SETTINGS, form, gen)
        if s.temperature is not None and s.temperature > MAX_TEMPERATURE:
            self.log(("settings", "temperature"), "temperature-range", s.temperature)
            gen["temperature"] = as_number(MAX_TEMPERATURE, "temperature" in hint_keys(form, "int"))
        if s.stop is not None and len(s.stop) > MAX_STOP:
            self.log(("settings", "stop"), "stop-limit")
            gen["stopSequences"] = list(s.stop[:MAX_STOP])
        if s.reasoning is not None:
            gen["thinkingConfig"] = gemini_write(s.reasoning, form, self.gemini3, self)
        self.unsent(s)
        nested = extra.get("generationConfig")
        if isinstance(nested, dict):
            gen.update(cast("dict[str, Any]", nested))
        if gen or isinstance(nested, dict):
            body["generationConfig"] = gen
        self.tool_config(s, body, extra.get("toolConfig"))
        for key, value in extra.items():
            if key not in ("generationConfig", "toolConfig"):
                body.setdefault(key, value)

    def unsent(self, s: Settings) -> None:
        """Log the settings Gemini has no place for in the body."""
        if s.model is not None:
            self.log(("settings", "model"), "model-in-url", s.model)
        if s.stream is not None:
            what = "stream (streamGenerateContent is its own endpoint)"
            self.log(("settings", "stream"), "no-field", what, severity="info")
        if s.parallel_tool_calls is not None:
            self.log(("settings", "parallel_tool_calls"), "parallel-tool-calls")

    def tool_config(self, s: Settings, body: dict[str, Any], nested: Any) -> None:
        tc = dict(cast("dict[str, Any]", nested)) if isinstance(nested, dict) else None
        choice = s.tool_choice
        if choice is not None:
            names = {
                d["name"] for t in body.get("tools", ()) for d in t.get("functionDeclarations", ())
            }
            if choice.mode == "tool" and choice.name not in names:
                self.log(
                    ("settings", "tool_choice"), "tool-choice", "the tool it names is not declared"
                )
            elif choice.mode in ("required", "tool") and not names:
                self.log(("settings", "tool_choice"), "tool-choice", "no function is declared")
            else:
                form = own_hints(s.extensions, NAME)[0]
                snake = form.get("tool_config") == "snake"
                names_key = "allowed_function_names" if snake else "allowedFunctionNames"
                mode = {"auto": "AUTO", "none": "NONE"}.get(choice.mode, "ANY")
                fcc: dict[str, Any] = {"mode": mode}
                allowed = form.get("allowed")
                if choice.mode == "tool":
                    fcc[names_key] = [choice.name]
                elif choice.mode == "required" and isinstance(allowed, list):
                    listed = cast("list[Any]", allowed)
                    if len(listed) == len(names) and set(listed) <= names:
                        fcc[names_key] = listed  # every function, listed as the body did
                tc = tc if tc is not None else {}
                tc["function_calling_config" if snake else "functionCallingConfig"] = fcc
        if tc is not None:
            body["toolConfig"] = tc

    def tools(self, tools: Sequence[Tool], layout: Any) -> list[dict[str, Any]]:
        functions: list[dict[str, Any]] = []
        others: list[dict[str, Any]] = []
        for k, t in enumerate(tools):
            path: Path = ("tools", k)
            form, extra = self.ext(t.extensions, path)
            if t.cache is not None:
                self.log((*path, "cache"), "cache")
            if t.kind == "function":
                functions.append(self.declaration(t, form, extra, path))
            elif NAME in t.extensions and extra:
                others.append(dict(extra))
            else:
                self.log(path, "tool-kind", t.kind)
        if isinstance(layout, list):
            laid = lay_out(cast("list[Any]", layout), functions, others)
            if laid is not None:
                return laid
        out: list[dict[str, Any]] = [{"functionDeclarations": functions}] if functions else []
        return out + others

    def declaration(
        self, t: Tool, form: Mapping[str, Any], extra: Mapping[str, Any], path: Path
    ) -> dict[str, Any]:
        d: dict[str, Any] = {"name": t.name}
        if t.description is not None:
            d["description"] = t.description
        schema = form.get("schema")
        if t.parameters is not None and schema != "none":
            if schema == "parameters":  # the OpenAPI subset, in the case the body gave it
                d["parameters"] = openapi_schema(t.parameters, form.get("openapi"))
            elif schema == "parameters_json_schema":
                d["parameters_json_schema"] = t.parameters
            else:
                d["parametersJsonSchema"] = t.parameters
        if t.strict:
            self.log((*path, "strict"), "tool-strict")
        for key, value in extra.items():
            d.setdefault(key, value)
        return d

    # -- contents ----------------------------------------------------------------------

    def contents(self, messages: Sequence[Message]) -> list[dict[str, Any]]:
        turns: list[_Turn] = []
        run = 0  # the first of the user turns that end ``turns`` (the one after the calls)
        part = self.part
        for i, m in enumerate(messages):
            path: Path = ("messages", i)
            form, extra = self.ext(m.extensions, path) if m.extensions else NO_HINTS
            if m.name is not None:
                self.log((*path, "name"), "message-name")
            if m.role in ("system", "developer"):
                self.lift(m, path)
                continue
            turn = _Turn("model" if m.role == "assistant" else "user", i)
            turn.form, turn.extra = form, extra
            for j, p in enumerate(m.parts):
                part(p, turn, (*path, "parts", j))
            if not turn.parts and not turn.results:
                if m.parts or m.role != "tool":
                    self.log(path, "empty-message")
                continue
            if turns and turns[-1].role == turn.role and (turn.role == "model" or turn.results):
                # Results of parallel calls belong in one turn: the one after the calls.
                into = turns[run] if m.role == "tool" else turns[-1]
                if m.role != "tool":
                    self.log(path, "alternating-roles", turn.role)
                into.late = into.late or (bool(turn.results) and bool(into.parts))
                into.late = into.late or turn.late or into is not turns[-1]
                into.parts.extend(turn.parts)
                into.calls.extend(turn.calls)
                into.results.extend(turn.results)
            else:  # Gemini takes consecutive user turns (see gemini.py, "validate")
                if not turns or turns[-1].role != turn.role:
                    run = len(turns)  # the first turn of a run of one role
                turns.append(turn)
        turns = self.pair(turns)
        if turns and turns[0].role == "model":
            self.log(("messages", turns[0].index), "first-turn-user", SYNTHESIZED_USER_TEXT)
            first = _Turn("user", turns[0].index)
            first.parts.append({"text": SYNTHESIZED_USER_TEXT})
            turns.insert(0, first)
        if turns and turns[-1].role == "model":
            self.log(("messages", turns[-1].index), "last-turn-user", CONTINUE_TEXT)
            last = _Turn("user", turns[-1].index)
            last.parts.append({"text": CONTINUE_TEXT})
            turns.append(last)
        out: list[dict[str, Any]] = []
        for turn in turns:
            content: dict[str, Any] = (
                {} if turn.form.get("role") == "absent" else {"role": turn.role}
            )
            content["parts"] = turn.parts
            for key, value in turn.extra.items():
                content.setdefault(key, value)
            out.append(content)
        return out

    def lift(self, m: Message, path: Path) -> None:
        self.log(path, "system-position", m.role)
        for j, part in enumerate(m.parts):
            ppath: Path = (*path, "parts", j)
            if isinstance(part, TextPart):
                self.system.append(self.system_text(part, ppath))
            else:
                self.log(ppath, "system-content", part.type)

    def pair(self, turns: list[_Turn]) -> list[_Turn]:
        """Answer every call of a model turn first in the next user turn, in call order."""
        full: list[_Turn] = []
        for n, turn in enumerate(turns):
            full.append(turn)
            last = n + 1 == len(turns)
            if turn.role == "model" and turn.calls and (last or turns[n + 1].role != "user"):
                full.append(_Turn("user", turn.index))  # the function-response turn
        out: list[_Turn] = []
        for turn in full:
            if turn.role == "model":
                out.append(turn)
                continue
            prev = out[-1] if out and out[-1].role == "model" else None
            calls = prev.calls if prev is not None else []
            if not calls and not turn.results:  # nothing to answer: the turn as it is
                if turn.parts:
                    out.append(turn)
                continue
            by_id = {res.call_id: (res, path) for res, path in reversed(turn.results)}
            lead: list[dict[str, Any]] = []
            used: set[int] = set()
            for call_id, name, cpath, wire_id in calls:
                hit = by_id.get(call_id)
                if hit is None:
                    self.log(cpath, "tool-result-missing")
                    # The made-up response carries exactly the id its call carries on the wire.
                    fr = {} if wire_id is None else {"id": wire_id}
                    response = {"name": name, "response": {"error": MISSING_RESULT_TEXT}}
                    lead.append({"functionResponse": {**fr, **response}})
                    continue
                res, rpath = hit
                used.add(id(res))
                lead.append(self.response(res, rpath, name, wire_id))
            orphans: list[dict[str, Any]] = []
            for res, rpath in turn.results:
                if id(res) not in used:
                    orphans.extend(self.orphan(res, rpath))
            if lead and turn.late:
                self.log(("messages", turn.index), "tool-result-placement")
            turn.parts[:0] = lead
            turn.parts.extend(orphans)
            if turn.parts:
                out.append(turn)
        return out

    def response(
        self, res: ToolResultPart, path: Path, name: str, wire_id: str | None
    ) -> dict[str, Any]:
        form, extra = self.ext(res.extensions, path) if res.extensions else NO_HINTS
        if res.cache is not None:
            self.log((*path, "cache"), "cache")
        texts = [p.text for p in res.content if isinstance(p, TextPart)]
        text = "\n".join(texts)
        response: Any = None
        if form and form.get("response") == "json":
            try:
                response = loads(text)  # strict: no NaN, bounded depth
            except ValueError:
                response = None
        if not isinstance(response, dict):
            response = {"error" if res.is_error else "output": text}
        fr: dict[str, Any] = {}
        if wire_id is not None and form.get("id") != "absent":
            # Never an id the call does not carry (one synthesized when it was decoded).
            fr["id"] = wire_id
        fr["name"] = form.get("name") or name
        fr["response"] = response
        parts: list[dict[str, Any]] = []
        for k, p in enumerate(res.content):
            if not isinstance(p, TextPart):
                block = self.result_media(p, (*path, "content", k))
                if block is not None:
                    parts.append(block)
        if parts:
            fr["parts"] = parts
        if not extra and not form:
            return {"functionResponse": fr}
        nested = extra.get("functionResponse")
        if isinstance(nested, dict):
            fr.update(cast("dict[str, Any]", nested))
        block = {
            "functionResponse": fr,
            **{k: v for k, v in extra.items() if k != "functionResponse"},
        }
        return snake_part(block) if form.get("case") == "snake" else block

    def orphan(self, res: ToolResultPart, path: Path) -> list[dict[str, Any]]:
        self.log(path, "orphan-tool-result", f"no call of the turn before has id {res.call_id!r}")
        error = " (error)" if res.is_error else ""
        texts = [p.text for p in res.content if isinstance(p, TextPart)]
        out: list[dict[str, Any]] = [
            {"text": "\n".join([f"Result of tool call {res.call_id}{error}:", *texts])}
        ]
        for k, p in enumerate(res.content):
            if not isinstance(p, TextPart):
                block = self.result_media(p, (*path, "content", k))
                if block is not None:
                    out.append(block)
        return out

    def result_media(self, part: Part, path: Path) -> dict[str, Any] | None:
        """An image or document inside a tool result (its extensions checked here)."""
        form, extra = self.ext(part.extensions, path)
        if part.cache is not None:
            self.log((*path, "cache"), "cache")
        block = self.media(part, path)
        if block is not None:
            merge_extra(block, extra)
            if form.get("case") == "snake":
                block = snake_part(block)
        return block

    # -- parts -------------------------------------------------------------------------

    def part(self, part: Part, turn: _Turn, path: Path) -> None:
        kind = part_type(part)
        if kind is ToolResultPart:
            turn.results.append((cast("ToolResultPart", part), path))
            turn.late = turn.late or bool(turn.parts)
            return
        form, extra = self.ext(part.extensions, path) if part.extensions else NO_HINTS
        if part.cache is not None:
            self.log((*path, "cache"), "cache")
        block: dict[str, Any] | None
        if kind is TextPart:
            block = {"text": cast("TextPart", part).text}
            if form and form.get("thought") is False:
                block["thought"] = False
        elif kind is ToolCallPart:
            block = self.call(cast("ToolCallPart", part), turn, form, path)
        elif kind is ReasoningPart:
            block = self.reasoning(cast("ReasoningPart", part), turn, path)
        elif kind is RefusalPart:
            self.log(path, "refusal")
            block = {"text": cast("RefusalPart", part).text}
        elif kind is ProviderPart:
            provider = cast("ProviderPart", part)
            if provider.format != NAME:
                self.log(path, "provider-part", provider.format)
                return
            block = dict(provider.data)
        else:
            block = self.media(part, path)
        if block is None:
            return
        if extra:
            block = merge_extra(block, extra)
        first_call = self.gemini3 and "functionCall" in block and len(turn.calls) == 1
        if first_call and "thoughtSignature" not in block:
            self.log(path, "thought-signature")
            block["thoughtSignature"] = SKIP_SIGNATURE
        if form and form.get("case") == "snake":  # google-genai's spelling, as the body had it
            block = snake_part(block)
        turn.parts.append(block)

    def call(
        self, part: ToolCallPart, turn: _Turn, form: Mapping[str, Any], path: Path
    ) -> dict[str, Any]:
        args = part.arguments
        if turn.role != "model":
            self.log(path, "tool-call-role")
            text = part.raw_arguments if part.raw_arguments is not None else json.dumps(args)
            return {"text": f"Call to {part.name}: {text}"}
        fc: dict[str, Any] = {}
        if form.get("id") != "absent":
            fc["id"] = part.id
        fc["name"] = part.name
        if not isinstance(args, dict):
            shown = part.raw_arguments if part.raw_arguments is not None else json.dumps(args)
            self.log(path, "no-field", f"arguments that are not an object ({shown[:40]})")
            args = {}
        if form.get("args") != "absent":
            fc["args"] = args
        turn.calls.append((part.id, part.name, path, fc.get("id")))
        return {"functionCall": fc}

    def reasoning(self, part: ReasoningPart, turn: _Turn, path: Path) -> dict[str, Any] | None:
        own = part.valid_for is not None and part.valid_for.provider == PROVIDER
        model = self.doc.settings.model
        if (
            own
            and turn.role == "model"
            and part.redacted is None
            and reasoning_replayable(part, PROVIDER, model)
        ):
            block: dict[str, Any] = {"text": part.text or "", "thought": True}
            if part.signature is not None:
                block["thoughtSignature"] = part.signature
            return block
        why = "only Google's own thoughts can be replayed"
        if self.options.reasoning == "text" and part.text:
            self.log(path, "reasoning-replay", why + "; sent as text", action="transformed")
            return {"text": f"<reasoning>{part.text}</reasoning>"}
        self.log(path, "reasoning-replay", why)
        return None

    def media(self, part: Part, path: Path) -> dict[str, Any] | None:
        """An ``inlineData`` or ``fileData`` part for an image, document or audio."""
        kind = part_type(part)
        if kind not in MEDIA_TYPES:
            self.log(path, "provider-part", part.type)
            return None
        media = cast("ImagePart | DocumentPart | AudioPart", part)
        form = own_hints(part.extensions, NAME)[0] if part.extensions else EMPTY
        if kind is ImagePart and cast("ImagePart", part).detail is not None:
            self.log((*path, "detail"), "image-detail")
        if kind is DocumentPart:
            doc = cast("DocumentPart", part)
            if doc.title or doc.context or doc.filename:
                self.log(
                    path, "no-field", "a document's filename, title or context", severity="info"
                )
        src = media.source
        if isinstance(src, Base64Source):  # the most common source, checked first
            mime = src.media_type or self.sniff(src, part, path)
            return {"inlineData": {"mimeType": mime, "data": wire_b64(src.data, form.get("b64"))}}
        if isinstance(src, UrlSource):
            parsed = parse_data_url(src.url)
            if parsed is not None:
                self.log(path, "data-url")
                return {
                    "inlineData": {
                        "mimeType": parsed[0] or "application/octet-stream",
                        "data": parsed[1],
                    }
                }
            return {"fileData": self.file_data(src.url, form, part)}
        if isinstance(src, FileSource):
            if src.provider not in (None, PROVIDER):
                self.log(path, "file-id", src.provider)
                return None
            return {"fileData": self.file_data(src.file_id, form, part)}
        data = base64.b64encode(src.text.encode()).decode()  # a TextSource
        return {"inlineData": {"mimeType": src.media_type, "data": data}}

    def file_data(self, uri: str, form: Mapping[str, Any], part: Part) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "mime" in form:
            if form["mime"] is not None:
                out["mimeType"] = form["mime"]
            else:
                out["mimeType"] = None
        else:
            guess = mimetypes.guess_type(uri)[0]
            if guess is None and isinstance(part, AudioPart) and part.format:
                guess = f"audio/{part.format}"
            if guess is not None:
                out["mimeType"] = guess
        out["fileUri"] = uri
        return out

    def sniff(self, src: Base64Source, part: Part, path: Path) -> str:
        mime = next((m for magic, m in MAGIC if src.data.startswith(magic)), None)
        if mime is None:
            fmt = part.format if isinstance(part, AudioPart) else None
            mime = f"audio/{fmt}" if fmt else "application/octet-stream"
        self.log(path, "media-type", mime)
        return mime


class _AgentTurns:
    """Writes a conversation as agents send it, in one pass (`_Encoder.contents`' fast path).

    Such a conversation starts with a user message and ends with a user or tool
    message. Its user messages hold text and base64 images with a media type; its
    assistant messages follow a user or tool message and hold text and function
    calls with object arguments and distinct ids; the tool messages right after
    an assistant message answer each of its calls once, with results of text
    only. No names, cache hints, image details or extensions but other formats'
    ``form`` hints. The general path logs nothing for such a conversation and
    writes the same contents: each tool message run is one user turn of function
    responses in call order. For any other conversation `write` returns None.
    """

    __slots__ = ("calls", "out", "results")

    def __init__(self) -> None:
        self.out: list[dict[str, Any]] = []
        self.calls: dict[str, str] = {}  # the last model turn's calls: id -> name, in order
        self.results: dict[str, dict[str, Any]] = {}  # their responses so far, by call id

    def write(self, messages: Sequence[Message]) -> list[dict[str, Any]] | None:
        """The wire contents, or None for a conversation the fast path does not take."""
        out = self.out
        prev = ""  # the role of the message before
        for m in messages:
            ext = m.extensions
            if m.name is not None or (ext and not quiet_for(ext, NAME)) or not m.parts:
                return None
            role = m.role
            if role == "tool":
                if (prev != "assistant" and prev != "tool") or not self.answer(m.parts):
                    return None
            else:
                if (prev == "tool" and not self.respond()) or (prev == "assistant" and self.calls):
                    return None  # a call has no result
                if role == "user":
                    parts = _user_parts(m.parts)
                    if parts is None:
                        return None
                    out.append({"role": "user", "parts": parts})
                elif role == "assistant" and (prev == "user" or prev == "tool"):
                    parts = self.model(m.parts)
                    if parts is None:
                        return None
                    out.append({"role": "model", "parts": parts})
                else:  # system text moves; a model turn comes first or after another
                    return None
            prev = role
        if prev == "tool" and self.respond():
            return out
        return out if prev == "user" else None

    def model(self, parts: Sequence[Part]) -> list[dict[str, Any]] | None:
        """An assistant message's parts (its calls noted), or None."""
        out: list[dict[str, Any]] = []
        calls: dict[str, str] = {}
        for part in parts:
            if part.cache is not None or (part.extensions and not quiet_for(part.extensions, NAME)):
                return None
            if type(part) is TextPart:
                out.append({"text": part.text})
            elif type(part) is ToolCallPart:
                call_id, args = part.id, part.arguments
                if type(args) is not dict or call_id in calls:
                    return None
                calls[call_id] = part.name
                out.append({"functionCall": {"id": call_id, "name": part.name, "args": args}})
            else:
                return None
        self.calls, self.results = calls, {}
        return out

    def answer(self, parts: Sequence[Part]) -> bool:
        """Note a tool message's responses; False when one answers no open call."""
        calls, results = self.calls, self.results
        for part in parts:
            if type(part) is not ToolResultPart or part.cache is not None:
                return False
            if part.extensions and not quiet_for(part.extensions, NAME):
                return False
            call_id = part.call_id
            if call_id not in calls or call_id in results:
                return False
            texts: list[str] = []
            for item in part.content:
                if type(item) is not TextPart:
                    return False
                texts.append(item.text)
            response = {"error" if part.is_error else "output": "\n".join(texts)}
            fr = {"id": call_id, "name": calls[call_id], "response": response}
            results[call_id] = {"functionResponse": fr}
        return True

    def respond(self) -> bool:
        """End a run of tool messages: one user turn of responses in call order."""
        calls, results = self.calls, self.results
        if len(results) != len(calls):
            return False
        self.out.append({"role": "user", "parts": [results[call_id] for call_id in calls]})
        self.calls, self.results = {}, {}
        return True


def _user_parts(parts: Sequence[Part]) -> list[dict[str, Any]] | None:
    """A user message's text and base64 images as parts, or None for anything else."""
    out: list[dict[str, Any]] = []
    for part in parts:
        if part.cache is not None or (part.extensions and not quiet_for(part.extensions, NAME)):
            return None
        if type(part) is TextPart:
            out.append({"text": part.text})
        elif type(part) is ImagePart and part.detail is None:
            src = part.source
            if type(src) is not Base64Source or not src.media_type:
                return None
            out.append({"inlineData": {"mimeType": src.media_type, "data": src.data}})
        else:
            return None
    return out
