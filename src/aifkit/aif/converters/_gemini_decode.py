"""Reading a Gemini ``generateContent`` request body (REST, camelCase) into AIF.

``systemInstruction`` becomes a system instruction; each entry of ``contents`` one
message (``model`` turns are assistant messages; a user turn holding only
``functionResponse`` parts is a ``tool`` message); each part one AIF part:

* ``text`` is a `TextPart`; with ``thought: true`` it is a `ReasoningPart` valid
  for Google, its ``thoughtSignature`` as the signature;
* ``inlineData`` is an image, audio or document part by its MIME type (base64);
  ``fileData`` the same by URI: a Gemini Files API or ``gs://`` URI is a
  `FileSource` of Google, any other a URL;
* ``functionCall`` is a `ToolCallPart`. Gemini calls may have no ``id``: one is
  synthesized (``gemini_<turn>_<part>``) and reported in `Decoded.losses`; a
  ``functionResponse`` without an ``id`` answers the first open call of its name;
* ``functionResponse`` is a `ToolResultPart`: ``{"output": text}`` and
  ``{"error": text}`` (an error result) as their text, any other ``response`` as
  its JSON text; images and documents of its ``parts`` as media content;
* any other part (``executableCode``, ``codeExecutionResult``, ...) a `ProviderPart`.

A ``thoughtSignature`` on any other part stays on that part (``extra``). What AIF
has no field for is kept under ``extensions["gemini"]``: ``extra`` for wire fields,
``form`` for presentation (only where it differs from the encoder's default):

* document: ``system: {"role": ...}`` for a role given on ``systemInstruction``;
  ``tools: [[kind, ...], ...]`` the layout of ``tools`` when not one object
  holding every function declaration;
* message: ``role: "absent"`` for a content without a role;
* part: ``id: "absent"`` for a call or response without an id (the id is
  synthesized); ``response: "json"`` for a response kept as JSON text; ``name``
  for a response naming another function than its call; ``thought: false`` for a
  text part that said so; ``uri: true`` for a Files API URI kept as a URL;
* part: a ``fileData``'s ``mimeType`` is ``extra`` (``{"fileData": {"mimeType":
  ...}}``): AIF's URL and file sources have no media type, so a target that cannot
  send it reports it;
* part: ``case: "snake"`` for a part spelled as google-genai sends it
  (``function_call``, ``inline_data``, ...; see ``_gemini_forms``); ``b64`` for
  inline data in URL-safe or unpadded base64 (AIF holds standard base64);
* tool: ``schema: "parameters"`` when the schema was in ``parameters`` (the
  OpenAPI subset) rather than ``parametersJsonSchema`` (``"parameters_json_schema"``
  for google-genai's spelling); ``openapi`` the body's own schema when its
  upper-case type names (``"OBJECT"``) were read as JSON Schema's;
* settings: ``int`` lists float settings given as integers; ``allowed`` the
  ``allowedFunctionNames`` of a ``mode: ANY`` that lists every declared function
  (read as ``required``); ``tool_config: "snake"`` for ``function_calling_config``.
"""

from __future__ import annotations

import json
from typing import Any, Final, cast

from aifkit._json import type_name
from aifkit.aif._loss import LossLog, Path, SourceMap
from aifkit.aif.converters._base import Decoded
from aifkit.aif.converters._common import (
    expect_bool,
    expect_list,
    expect_obj,
    expect_str,
    fail,
    read_int,
    read_number,
    required,
    validate_document,
)
from aifkit.aif.converters._gemini_forms import (
    SNAKE_PART,
    camel_part,
    json_schema,
    standard_b64,
)
from aifkit.aif.converters._reasoning import gemini_read, gemini_write, needs_form
from aifkit.aif.converters._settings import SettingsTable, read_settings, read_strings
from aifkit.aif.converters._wire import MISSING, make_ext, unknown_keys

__all__ = ["FILES_PREFIXES", "NAME", "PROVIDER", "SETTINGS", "decode_body", "response_text"]


_SOURCE_FIELDS: Final[dict[str, tuple[Path, ...]]] = {
    "instructions": (("systemInstruction",), ("system_instruction",)),
    "id": (
        ("functionCall", "id"),
        ("functionResponse", "id"),
        ("function_call", "id"),
        ("function_response", "id"),
    ),
    "call_id": (("functionResponse", "id"), ("function_response", "id")),
    "name": (
        ("functionCall", "name"),
        ("functionResponse", "name"),
        ("function_call", "name"),
        ("function_response", "name"),
    ),
    "content": (("functionResponse", "response"), ("function_response", "response")),
    "is_error": (("functionResponse", "response"), ("function_response", "response")),
    "signature": (("thoughtSignature",), ("thought_signature",)),
    "source": (("inlineData",), ("fileData",), ("inline_data",), ("file_data",)),
    "media_type": (("mimeType",), ("mime_type",)),
    "url": (("fileUri",), ("file_uri",)),
    "parameters": (("parametersJsonSchema",), ("parameters_json_schema",)),
    # extra keys kept in camelCase, from a body in google-genai's snake_case
    "thoughtSignature": (("thought_signature",),),
    "functionCall": (("function_call",),),
    "functionResponse": (("function_response",),),
    "inlineData": (("inline_data",),),
    "fileData": (("file_data",),),
    "mimeType": (("mime_type",),),
}
"""AIF fields this format spells otherwise, for loss pointers (`SourceMap.fields`)."""

NAME: Final = "gemini"
PROVIDER: Final = "google"
FILES_PREFIXES: Final = ("https://generativelanguage.googleapis.com/", "gs://")
"""URIs of files uploaded to Google: provider file ids rather than public URLs."""

_TOP_KEYS: Final = frozenset(
    {"contents", "systemInstruction", "tools", "toolConfig", "generationConfig"}
)
_DATA_KEYS: Final = ("text", "inlineData", "fileData", "functionCall", "functionResponse")
_CHOICE_MODES: Final = {"AUTO": "auto", "ANY": "required", "NONE": "none"}


def response_text(response: dict[str, Any]) -> tuple[str, bool, bool]:
    """A function response as AIF text: ``(text, is_error, kept_as_json)``.

    Examples:
        >>> response_text({"output": "18C"})
        ('18C', False, False)
        >>> response_text({"error": "not found"})
        ('not found', True, False)
        >>> response_text({"temperature": 18})
        ('{"temperature":18}', False, True)
    """
    if len(response) == 1:
        ((key, value),) = response.items()
        if key in ("output", "error") and isinstance(value, str):
            return value, key == "error", False
    return json.dumps(response, ensure_ascii=False, separators=(",", ":")), False, True


def decode_body(body: Any) -> Decoded:
    """Read a ``generateContent`` request body (see the module docstring)."""
    root = expect_obj(body, ())
    sm = SourceMap(fields=_SOURCE_FIELDS)
    losses = LossLog()
    doc: dict[str, Any] = {}
    doc_form: dict[str, Any] = {}
    settings = _settings(root, sm)
    if settings:
        doc["settings"] = settings
    if "systemInstruction" in root:
        doc["instructions"] = [_system(root["systemInstruction"], sm, doc_form)]
    contents = expect_list(required(root, "contents", ()), ("contents",))
    doc["messages"] = _Reader(sm, losses).contents(contents)
    if "tools" in root:
        doc["tools"] = _tools(expect_list(root["tools"], ("tools",)), sm, doc_form)
    extra = _unknown(root, _TOP_KEYS)
    if extra:
        sm.add(("extensions", NAME, "extra"), ())
    ext = make_ext(NAME, doc_form, extra)
    if ext:
        doc["extensions"] = ext
    document = validate_document(doc, sm)
    return Decoded(document, sm, losses)


# -- small readers -------------------------------------------------------------------


# -- settings, system, tools -----------------------------------------------------------

SETTINGS: Final[SettingsTable] = (
    ("maxOutputTokens", "max_tokens", read_int),
    ("temperature", "temperature", read_number),
    ("topP", "top_p", read_number),
    ("topK", "top_k", read_int),
    ("stopSequences", "stop", read_strings),
    ("seed", "seed", read_int),
)
"""The ``generationConfig`` settings, both directions (the encoder clamps
``temperature`` and ``stopSequences``); ``thinkingConfig`` and ``toolConfig`` are
read and written on their own."""
_GEN_KEYS: Final = frozenset(wire for wire, _, _ in SETTINGS)


def _settings(root: dict[str, Any], sm: SourceMap) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ints: list[str] = []
    extra: dict[str, Any] = {}
    thinking: Any = None
    if "generationConfig" in root:
        path: Path = ("generationConfig",)
        gen = expect_obj(root["generationConfig"], path)
        out, ints = read_settings(gen, SETTINGS, sm, path)
        reasoning = gemini_read(gen.get("thinkingConfig"))
        if reasoning is not None:  # a shape this version does not know stays in extra
            out["reasoning"] = reasoning.model_dump(exclude_none=True)
            wire = gen["thinkingConfig"]
            model = root.get("model")
            levels = isinstance(model, str) and model.removeprefix("models/").startswith("gemini-3")
            if needs_form(wire, lambda log: gemini_write(reasoning, {}, levels, log)):
                thinking = wire
            sm.add(("settings", "reasoning"), (*path, "thinkingConfig"))
        rest = _unknown(gen, (_GEN_KEYS | {"thinkingConfig"}) if reasoning else _GEN_KEYS)
        if rest is not None or not gen:
            extra["generationConfig"] = rest or {}
            sm.add(("settings", "extensions", NAME, "extra", "generationConfig"), path)
    form: dict[str, Any] = {"int": ints} if ints else {}
    if thinking is not None:
        form["reasoning"] = thinking
    if "toolConfig" in root:
        _tool_config(root, out, extra, form, sm)
    ext = make_ext(NAME, form, extra)
    if ext:
        out["extensions"] = ext
    return out


def _declared(root: dict[str, Any]) -> list[Any]:
    """The names of the functions the body declares (whatever their types)."""
    names: list[Any] = []
    tools: Any = root.get("tools")
    for t in cast("list[Any]", tools) if isinstance(tools, list) else []:
        decls: Any = (
            cast("dict[str, Any]", t).get("functionDeclarations") if isinstance(t, dict) else None
        )
        for d in cast("list[Any]", decls) if isinstance(decls, list) else []:
            if isinstance(d, dict):
                names.append(cast("dict[str, Any]", d).get("name"))
    return names


def _tool_config(
    root: dict[str, Any],
    out: dict[str, Any],
    extra: dict[str, Any],
    form: dict[str, Any],
    sm: SourceMap,
) -> None:
    path: Path = ("toolConfig",)
    tc = expect_obj(root["toolConfig"], path)
    # google-genai spells it in snake_case; both spellings reach the same proto field.
    key, names_key = "functionCallingConfig", "allowedFunctionNames"
    if key not in tc and "function_calling_config" in tc:
        key, names_key = "function_calling_config", "allowed_function_names"
    fcc = tc.get(key, MISSING)
    choice: dict[str, Any] | None = None
    if isinstance(fcc, dict):
        fcc = cast("dict[str, Any]", fcc)
        mode, names = fcc.get("mode"), fcc.get(names_key, MISSING)
        plain = (
            fcc.keys() <= {"mode", names_key} and isinstance(mode, str) and mode in _CHOICE_MODES
        )
        if plain and names is MISSING:
            choice = {"mode": _CHOICE_MODES[cast("str", mode)]}
        elif plain and mode == "ANY" and isinstance(names, list):
            listed = cast("list[Any]", names)
            declared = _declared(root)
            known = {n for n in declared if isinstance(n, str)}
            name = listed[0] if len(listed) == 1 else None
            if isinstance(name, str):
                choice = {"mode": "tool", "name": name}
            elif (
                listed
                and all(isinstance(n, str) and n in known for n in listed)
                and len(set(listed)) == len(listed) == len(declared)
            ):  # every declared function is allowed: a call of any, exactly "required"
                choice = {"mode": "required"}
                form["allowed"] = listed
    elif fcc is not MISSING:
        expect_obj(fcc, (*path, key))
    if choice is not None:
        out["tool_choice"] = choice
        sm.add(("settings", "tool_choice"), (*path, key))
        if key != "functionCallingConfig":
            form["tool_config"] = "snake"
        rest = {k: v for k, v in tc.items() if k != key}
    else:
        rest = tc
    if rest or choice is None:
        extra["toolConfig"] = rest
        sm.add(("settings", "extensions", NAME, "extra", "toolConfig"), path)


def _system(value: Any, sm: SourceMap, doc_form: dict[str, Any]) -> dict[str, Any]:
    path: Path = ("systemInstruction",)
    si = expect_obj(value, path)
    sm.add(("instructions", 0), path)
    if "role" in si:
        doc_form["system"] = {"role": si["role"]}
    parts: list[dict[str, Any]] = []
    for j, raw in enumerate(expect_list(required(si, "parts", path), (*path, "parts"))):
        ppath = (*path, "parts", j)
        p = expect_obj(raw, ppath)
        text = expect_str(required(p, "text", ppath), (*ppath, "text"))
        part: dict[str, Any] = {"type": "text", "text": text}
        extra = _unknown(p, frozenset({"text"}))
        if extra:
            part["extensions"] = make_ext(NAME, None, extra)
        sm.add(("instructions", 0, "parts", j), ppath)
        parts.append(part)
    extra = _unknown(si, frozenset({"role", "parts"}))
    out: dict[str, Any] = {"role": "system", "parts": parts}
    if extra:
        out["extensions"] = make_ext(NAME, None, extra)
    return out


_DECL_KEYS: Final = frozenset(
    {"name", "description", "parameters", "parametersJsonSchema", "parameters_json_schema"}
)


def _tools(raw: list[Any], sm: SourceMap, doc_form: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    layout: list[list[str]] = []
    for k, value in enumerate(raw):
        path: Path = ("tools", k)
        t = expect_obj(value, path)
        slot: list[str] = []
        for key, spec in t.items():
            if key != "functionDeclarations":  # a Google tool: googleSearch, codeExecution, ...
                sm.add(("tools", len(out)), (*path, key))
                ext = {NAME: {"extra": {key: spec}}}
                out.append({"kind": key, "name": key, "extensions": ext})
                slot.append(key)
                continue
            decls = expect_list(spec, (*path, key))
            for d, decl in enumerate(decls):
                out.append(_declaration(decl, (*path, key, d), len(out), sm))
            slot.extend(["function"] * len(decls))
        layout.append(slot)
    functions = sum(s.count("function") for s in layout)
    default = [["function"] * functions] if functions else []
    default += [[t["kind"]] for t in out if t.get("kind", "function") != "function"]
    if layout != default:
        doc_form["tools"] = layout
    return out


_JSON_SCHEMA_KEYS: Final = ("parametersJsonSchema", "parameters_json_schema")


def _declaration(raw: Any, path: Path, k: int, sm: SourceMap) -> dict[str, Any]:
    decl = expect_obj(raw, path)
    sm.add(("tools", k), path)
    out: dict[str, Any] = {"name": expect_str(required(decl, "name", path), (*path, "name"))}
    form: dict[str, Any] = {}
    if "description" in decl:
        out["description"] = expect_str(decl["description"], (*path, "description"))
    # google-genai sends ``parameters_json_schema`` (snake_case), the REST docs the camelCase.
    json_key = next((k for k in _JSON_SCHEMA_KEYS if k in decl), None)
    if json_key is not None:
        out["parameters"] = expect_obj(decl[json_key], (*path, json_key))
        if json_key != "parametersJsonSchema":
            form["schema"] = json_key
        sm.add(("tools", k, "parameters"), (*path, json_key))
    elif "parameters" in decl:
        schema = expect_obj(decl["parameters"], (*path, "parameters"))
        # OpenAPI's upper-case type names are JSON Schema's in lower case; the body's own
        # spelling is kept to be written back.
        lowered = json_schema(schema)
        out["parameters"] = schema if lowered is None else lowered
        form["schema"] = "parameters"
        if lowered is not None:
            form["openapi"] = schema
        sm.add(("tools", k, "parameters"), (*path, "parameters"))
    else:
        form["schema"] = "none"
    extra = _unknown(decl, _DECL_KEYS)
    for key in _JSON_SCHEMA_KEYS:
        if key != json_key and key in decl:  # both spellings: the second travels as extra
            extra = {**(extra or {}), key: decl[key]}
    if json_key is not None and "parameters" in decl:  # both: one travels as extra
        extra = {**(extra or {}), "parameters": decl["parameters"]}
    if extra:
        sm.add(("tools", k, "extensions", NAME, "extra"), path)
    ext = make_ext(NAME, form, extra)
    if ext:
        out["extensions"] = ext
    return out


# -- contents ---------------------------------------------------------------------------

_CALL_KEYS: Final = frozenset({"id", "name", "args"})
_RESPONSE_KEYS: Final = frozenset({"id", "name", "response", "parts"})
_SNAKE_KEYS: Final = {v: k for k, v in SNAKE_PART.items()}
_BLOB_KEYS: Final = frozenset({"mimeType", "data"})
_FILE_KEYS: Final = frozenset({"mimeType", "fileUri"})


class _Reader:
    """Decodes contents and parts, pairing responses with calls and recording the map."""

    def __init__(self, sm: SourceMap, losses: LossLog) -> None:
        self.sm = sm
        self.losses = losses
        self.scope = {"provider": PROVIDER}
        self.ids: set[str] = set()
        self.open: list[tuple[str, str]] = []  # (name, id) of calls not yet answered
        self.names: dict[str, str] = {}  # call id -> function name

    def contents(self, raw: list[Any]) -> list[dict[str, Any]]:
        self.ids = _given_ids(raw)
        return [self.content(c, i) for i, c in enumerate(raw)]

    def content(self, raw: Any, i: int) -> dict[str, Any]:
        path: Path = ("contents", i)
        c = expect_obj(raw, path)
        self.sm.add(("messages", i), path)
        role = c.get("role", MISSING)
        form: dict[str, Any] = {}
        if role is MISSING:
            form["role"] = "absent"
            role = "user"
        elif role not in ("user", "model"):
            got = repr(role) if isinstance(role, str) else type_name(role)
            raise fail((*path, "role"), f"expected 'user' or 'model', got {got}")
        blocks = expect_list(required(c, "parts", path), (*path, "parts"))
        parts = [
            self.part(p, (*path, "parts", j), ("messages", i, "parts", j))
            for j, p in enumerate(blocks)
        ]
        if role == "model":
            aif_role = "assistant"
        elif parts and all(p["type"] == "tool_result" for p in parts):
            aif_role = "tool"
        else:
            aif_role = "user"
        msg: dict[str, Any] = {"role": aif_role, "parts": parts}
        extra = _unknown(c, frozenset({"role", "parts"}))
        if extra:
            self.sm.add(("messages", i, "extensions", NAME, "extra"), path)
        ext = make_ext(NAME, form, extra)
        if ext:
            msg["extensions"] = ext
        return msg

    def part(self, raw: Any, src: Path, aif: Path) -> dict[str, Any]:
        p = expect_obj(raw, src)
        self.sm.add(aif, src)
        self.sm.add((*aif, "extensions", NAME, "extra"), src)
        camel = camel_part(p)  # google-genai's snake_case spelling, read as the REST one
        if camel is not None:
            part = self.part_of(camel, src, aif, _SNAKE_KEYS)
            if part["type"] != "provider":
                return _finish(part, {}, frozenset(), {}, {"case": "snake"})
            return {"type": "provider", "format": NAME, "data": p}
        return self.part_of(p, src, aif, {})

    def part_of(
        self, p: dict[str, Any], src: Path, aif: Path, wire: dict[str, str]
    ) -> dict[str, Any]:
        kinds = [k for k in _DATA_KEYS if k in p]
        if len(kinds) != 1:
            return {"type": "provider", "format": NAME, "data": p}
        kind = kinds[0]
        value = p[kind]
        at: Path = (*src, wire.get(kind, kind))  # the key as the body spells it
        if kind == "text":
            return self.text(p, src)
        if kind in ("inlineData", "fileData"):
            part, extra = self.media(expect_obj(value, at), kind, at)
        elif kind == "functionCall":
            part, extra = self.call(expect_obj(value, at), at, aif)
        else:
            part, extra = self.response(expect_obj(value, at), at, aif)
        return _finish(part, p, frozenset({kind}), extra)

    def text(self, p: dict[str, Any], src: Path) -> dict[str, Any]:
        text = expect_str(p["text"], (*src, "text"))
        thought = p.get("thought", MISSING)
        if thought is not MISSING:
            thought = expect_bool(thought, (*src, "thought"))
        if thought is True:
            part: dict[str, Any] = {"type": "reasoning", "text": text, "valid_for": self.scope}
            known = {"text", "thought"}
            if "thoughtSignature" in p:
                part["signature"] = expect_str(p["thoughtSignature"], (*src, "thoughtSignature"))
                known.add("thoughtSignature")
            return _finish(part, p, frozenset(known), {})
        form = {"thought": False} if thought is False else None
        return _finish({"type": "text", "text": text}, p, frozenset({"text", "thought"}), {}, form)

    def media(
        self, blob: dict[str, Any], kind: str, src: Path
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        mime = blob.get("mimeType")
        extra: dict[str, Any] = {}
        form: dict[str, Any] = {}
        if kind == "inlineData":
            data, b64 = standard_b64(expect_str(required(blob, "data", src), (*src, "data")))
            if b64 is not None:  # URL-safe or unpadded: AIF holds standard base64
                form["b64"] = b64
            mime = expect_str(required(blob, "mimeType", src), (*src, "mimeType"))
            source: dict[str, Any] = {"kind": "base64", "media_type": mime, "data": data}
            nested = _unknown(blob, _BLOB_KEYS)
        else:
            uri = expect_str(required(blob, "fileUri", src), (*src, "fileUri"))
            if uri.startswith(FILES_PREFIXES):
                source = {"kind": "file", "file_id": uri, "provider": PROVIDER}
            else:
                source = {"kind": "url", "url": uri}
            nested = unknown_keys(blob, _FILE_KEYS)
            if mime is None and "mimeType" in blob:
                form["mime"] = None
            elif mime is not None:  # data AIF has no field for: kept as the wire had it
                nested["mimeType"] = expect_str(mime, (*src, "mimeType"))
        if nested:
            extra[kind] = nested
        media = mime if isinstance(mime, str) else ""
        if media.startswith("image/"):
            part: dict[str, Any] = {"type": "image", "source": source}
        elif media.startswith("audio/"):
            part = {"type": "audio", "source": source}
        else:  # a PDF, plain text, ... (video too: AIF has no video part)
            part = {"type": "document", "source": source}
        if form:
            part["extensions"] = {NAME: {"form": form}}
        return part, extra

    def new_id(self, src: Path, what: str) -> str:
        n = 0
        stem = f"gemini_{src[1]}_{src[3]}"
        candidate = stem
        while candidate in self.ids:
            n += 1
            candidate = f"{stem}_{n}"
        self.ids.add(candidate)
        detail = f"the {what} had no id; synthesized {candidate!r}"
        self.losses.add((*src, "id"), "synthesized", f"{NAME}/synthesized-id", "info", detail)
        return candidate

    def call(
        self, fc: dict[str, Any], src: Path, aif: Path
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        name = expect_str(required(fc, "name", src), (*src, "name"))
        form: dict[str, Any] = {}
        if "id" in fc:
            call_id = expect_str(fc["id"], (*src, "id"))
        else:
            call_id = self.new_id(src, "function call")
            form["id"] = "absent"
            self.sm.invent((*aif, "id"))
        self.open.append((name, call_id))
        self.names[call_id] = name
        part: dict[str, Any] = {"type": "tool_call", "id": call_id, "name": name}
        args = fc.get("args", MISSING)
        if args is MISSING:
            form["args"] = "absent"
            part["arguments"] = {}
        else:
            part["arguments"] = expect_obj(args, (*src, "args"))
        self.sm.add((*aif, "arguments"), (*src, "args"))
        if form:
            part["extensions"] = {NAME: {"form": form}}
        nested = _unknown(fc, _CALL_KEYS)
        return part, {"functionCall": nested} if nested else {}

    def response(
        self, fr: dict[str, Any], src: Path, aif: Path
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        name = expect_str(required(fr, "name", src), (*src, "name"))
        form: dict[str, Any] = {}
        if "id" in fr:
            call_id = expect_str(fr["id"], (*src, "id"))
            self.open = [c for c in self.open if c[1] != call_id]
        else:
            form["id"] = "absent"
            self.sm.invent((*aif, "call_id"))
            match = next((c for c in self.open if c[0] == name), None)
            if match is None:
                call_id = self.new_id(src, "function response")
            else:
                call_id = match[1]
                self.open.remove(match)
        if self.names.get(call_id) != name:
            form["name"] = name
        response = expect_obj(required(fr, "response", src), (*src, "response"))
        text, is_error, as_json = response_text(response)
        content: list[dict[str, Any]] = [{"type": "text", "text": text}]
        if as_json:
            form["response"] = "json"
        self.sm.add((*aif, "content", 0), (*src, "response"))
        nested = _unknown(fr, _RESPONSE_KEYS) or {}
        if "parts" in fr:
            media = self.response_parts(expect_list(fr["parts"], (*src, "parts")), src, aif)
            if media is None:  # a part AIF cannot hold: the wire parts are kept as is
                nested["parts"] = fr["parts"]
            else:
                content.extend(media)
        part: dict[str, Any] = {"type": "tool_result", "call_id": call_id, "content": content}
        if is_error:
            part["is_error"] = True
        if form:
            part["extensions"] = {NAME: {"form": form}}
        return part, {"functionResponse": nested} if nested else {}

    def response_parts(self, raw: list[Any], src: Path, aif: Path) -> list[dict[str, Any]] | None:
        """The images and documents of a response's ``parts``; None if one is anything else."""
        out: list[dict[str, Any]] = []
        for k, value in enumerate(raw):
            ppath = (*src, "parts", k)
            blob = expect_obj(value, ppath)
            camel = camel_part(blob)
            blob = blob if camel is None else camel
            kind = next(iter(blob), None) if len(blob) == 1 else None
            if kind not in ("inlineData", "fileData"):
                return None
            media, nested = self.media(expect_obj(blob[kind], (*ppath, kind)), kind, (*ppath, kind))
            if media["type"] == "audio":
                return None
            self.sm.add((*aif, "content", 1 + k), ppath)
            form = None if camel is None else {"case": "snake"}
            out.append(_finish(media, blob, frozenset({kind}), nested, form))
        return out


def _given_ids(raw: list[Any]) -> set[str]:
    """Every call and response id the body gives (synthesized ids avoid them)."""
    ids: set[str] = set()
    for c in raw:
        parts: Any = cast("dict[str, Any]", c).get("parts") if isinstance(c, dict) else None
        for p in cast("list[Any]", parts) if isinstance(parts, list) else []:
            if not isinstance(p, dict):
                continue
            for key in ("functionCall", "functionResponse", "function_call", "function_response"):
                inner: Any = cast("dict[str, Any]", p).get(key)
                given = cast("dict[str, Any]", inner).get("id") if isinstance(inner, dict) else None
                if isinstance(given, str):
                    ids.add(given)
    return ids


def _finish(
    part: dict[str, Any],
    p: dict[str, Any],
    known: frozenset[str],
    extra: dict[str, Any],
    form: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Add the part's other keys (``thoughtSignature``, ``videoMetadata``, ...) as extra."""
    unknown = _unknown(p, known)
    if unknown:
        extra = {**unknown, **extra}
    if not extra and not form:
        return part
    own = part.setdefault("extensions", {}).setdefault(NAME, {})
    if form:
        own.setdefault("form", {}).update(form)
    if extra:
        own["extra"] = extra
    return part


def _unknown(obj: dict[str, Any], known: frozenset[str]) -> dict[str, Any] | None:
    return unknown_keys(obj, known) or None
