"""Conversions between wire formats, through AIF."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from aifkit._gc import no_cycle_collection
from aifkit._limits import check_json
from aifkit._objects import check_not_objects
from aifkit._registry import Registry
from aifkit._version import __version__
from aifkit.aif._codec import check_inline_data
from aifkit.aif._detect import family_of, model_families
from aifkit.aif._features import Capabilities
from aifkit.aif._loss import LossReport
from aifkit.aif._schema import ConversionStep, Document, Provenance
from aifkit.aif.converters._base import Converter, Decoded, EncodeOptions, Violation
from aifkit.aif.converters._reasoning import report_unsent
from aifkit.errors import InvalidInputError, LossyConversionError, UsageError

__all__ = [
    "FORMATS",
    "Conversion",
    "capabilities",
    "convert",
    "decode",
    "encode",
    "formats",
    "validate",
]

FORMATS: Registry[Converter] = Registry("format", group="aifkit.formats")
"""Every wire format, by name. Plugins register under the ``aifkit.formats`` entry point."""

FORMATS.register("aif", "aifkit.aif.converters.aif:AifConverter")
FORMATS.register("openai-chat", "aifkit.aif.converters.openai_chat:OpenAIChatConverter")
FORMATS.register("anthropic", "aifkit.aif.converters.anthropic:AnthropicConverter")
FORMATS.register(
    "openai-responses", "aifkit.aif.converters.openai_responses:OpenAIResponsesConverter"
)
FORMATS.register("gemini", "aifkit.aif.converters.gemini:GeminiConverter")
FORMATS.register("ollama", "aifkit.aif.converters.ollama:OllamaConverter")
FORMATS.register("mcp", "aifkit.aif.converters.mcp:McpConverter")
FORMATS.register("mcp-prompt", "aifkit.aif.converters.mcp:McpPromptConverter")
FORMATS.register("a2a", "aifkit.aif.converters.a2a:A2AConverter")
FORMATS.register("chatml", "aifkit.aif.converters.chatml:ChatMLConverter")
FORMATS.register("bedrock-converse", "aifkit.aif.converters.bedrock_converse:BedrockConverseConverter")  # fmt: skip
FORMATS.register("mistral", "aifkit.aif.converters.mistral:MistralConverter")
FORMATS.register("cohere", "aifkit.aif.converters.cohere:CohereConverter")


@dataclass(frozen=True, slots=True)
class Conversion:
    """A converted body and the report of what it lost; unpacks as ``body, report``."""

    body: Any
    report: LossReport

    def __iter__(self) -> Iterator[Any]:
        yield self.body
        yield self.report


def formats() -> list[str]:
    """Return the names of every known wire format.

    Examples:
        >>> {"aif", "anthropic", "openai-chat"} <= set(formats())
        True
    """
    return FORMATS.names()


def capabilities(format: str) -> Capabilities:
    """Return what ``format`` carries, feature by feature, and the feature of each loss rule.

    Raises:
        UnknownNameError: ``format`` is not a known format.

    Examples:
        >>> capabilities("anthropic").support("audio")
        'no'
    """
    caps: Capabilities = FORMATS.get(format).capabilities
    return caps


def decode(body: Any, format: str) -> tuple[Document, LossReport]:
    """Read a ``format`` request body into an AIF document.

    The document's provenance records the source format and this conversion.

    Raises:
        UnknownNameError: ``format`` is not a known format.
        InvalidInputError: the body is malformed, or holds what no body may (see
            `aifkit._limits`: nesting, lone surrogates, NaN and Infinity).
    """
    conv = FORMATS.get(format)
    check_not_objects(body, format)
    _check(body, format, conv)
    with no_cycle_collection():
        decoded = conv.decode(body)
        _check_decoded(decoded, format)
    doc = decoded.document if format == "aif" else _record_step(decoded.document, format)
    entries = tuple(decoded.losses.resolve(None, body))
    return doc, LossReport(format, "aif", entries)


def encode(
    document: Document, format: str, *, options: EncodeOptions | None = None
) -> tuple[Any, LossReport]:
    """Write an AIF document as a ``format`` request body; loss pointers point into AIF."""
    conv = FORMATS.get(format)
    options = options or EncodeOptions()
    with no_cycle_collection():
        encoded = conv.encode(_with_model(document, options), options)
        report_unsent(document, format, conv.capabilities, encoded.losses)
    return encoded.body, LossReport("aif", format, tuple(encoded.losses.resolve(None)))


def convert(
    body: Any,
    *,
    source: str,
    target: str,
    strict: bool = False,
    options: EncodeOptions | None = None,
    kind: Literal["request", "response"] = "request",
) -> Conversion:
    """Convert a request (or, with ``kind="response"``, a response) body between formats.

    Args:
        body: The request body, as parsed JSON.
        source: Its format, e.g. ``"openai-chat"``; ``"langchain"`` for a list of
            LangChain messages (see `aifkit.integrations.langchain`).
        target: The format to write, e.g. ``"anthropic"``; ``"langchain"`` returns a
            list of LangChain messages.
        strict: Raise instead of returning a body that lost data.
        options: Choices for what the target cannot carry as it is.
        kind: ``"response"`` converts a non-streamed response body (a
            ``chat.completion``, an Anthropic ``message``, ...); see `convert_response`.

    Returns:
        The converted body and a loss report whose pointers point into ``body``.

    Raises:
        UnknownNameError: ``source`` or ``target`` is not a known format.
        InvalidInputError: ``body`` is malformed, or holds what no body may (nesting
            deeper than 128 levels, a lone surrogate, NaN or Infinity); the pointer
            says where.
        LossyConversionError: ``strict`` is set and something would be dropped.

    Examples:
        >>> body = {"model": "gpt-4o", "messages": [
        ...     {"role": "system", "content": "Be brief."},
        ...     {"role": "user", "content": "Hi", "name": "ada"}]}
        >>> out, report = convert(body, source="openai-chat", target="anthropic")
        >>> out["system"], out["messages"]
        ('Be brief.', [{'role': 'user', 'content': 'Hi'}])
        >>> [(e.pointer, e.action) for e in report]  # doctest: +NORMALIZE_WHITESPACE
        [('/messages/1/name', 'dropped'), ('', 'synthesized'),
         ('/model', 'transformed')]
        >>> report.entries[-1].rule  # gpt-4o is no Anthropic model: name one
        'anthropic/model-not-carried'
        >>> out, _ = convert(body, source="openai-chat", target="anthropic",
        ...                  options=EncodeOptions(model="claude-sonnet-4-5"))
        >>> out["model"]
        'claude-sonnet-4-5'
    """
    if kind == "response":
        from aifkit.aif._response_convert import convert_response

        out, report = convert_response(body, source=source, target=target, strict=strict, options=options)  # fmt: skip
        return Conversion(out, report)
    from aifkit._objects import integration

    objects = integration(source) or integration(target)
    if objects is not None:  # framework objects: the integration reads or writes them
        done: Conversion = objects.convert(
            body, source=source, target=target, strict=strict, options=options
        )
        return done
    src = FORMATS.get(source)
    dst = FORMATS.get(target)
    check_not_objects(body, source)
    _check(body, source, src)
    with no_cycle_collection():
        decoded = src.decode(body)
        _check_decoded(decoded, source)
        doc = decoded.document
        if target == "aif" and source != "aif":
            doc = _record_step(doc, source)
        options = options or EncodeOptions()
        foreign = source != target and _foreign_model(doc, target)
        encoded = dst.encode(_with_model(doc, options, foreign), options)
        report_unsent(doc, target, dst.capabilities, encoded.losses)
        if foreign and options.model is None:
            detail = f"{doc.settings.model!r} is not a model the {target} API serves; sent as it is: pass EncodeOptions.model (--model) to name one"  # fmt: skip
            encoded.losses.add(("settings", "model"), "transformed", f"{target}/model-not-carried", "warning", detail)  # fmt: skip
        entries = decoded.losses.resolve(None, body) + encoded.losses.resolve(decoded.source_map, body)  # fmt: skip
        report = LossReport(source, target, tuple(entries))
        out = encoded.body
        # Free the intermediate document by reference counting while the collector
        # is off; otherwise its first run afterwards rescans every part of it.
        del decoded, doc, encoded
    if strict and report.dropped:
        raise LossyConversionError(report)
    return Conversion(out, report)


def _check(body: Any, format: str, reader: Converter | None = None) -> None:
    # Once, before any converter walks the body. The aif format's reader
    # (load_document) checks the documents it is given itself, and so does the
    # ``reader`` about to decode the body when it says so (`FormatConverter`).
    if format != "aif" and not getattr(reader, "checks_json", False):
        check_json(body)


def _check_decoded(decoded: Decoded, format: str) -> None:
    # Inline data is read as base64 by every provider: refuse what is not, pointing
    # at the part in the body (load_document checks AIF documents itself).
    if format != "aif":
        locate = decoded.source_map.translate
        check_inline_data(decoded.document, locate, messages=decoded.unchecked)


def _with_model(doc: Document, options: EncodeOptions, foreign: bool = False) -> Document:
    # The model the caller names replaces none (an A2A or MCP source carries no
    # model; most targets require one) or another provider's model; a foreign
    # model with no replacement is kept (and reported by the caller).
    if options.model is None or (doc.settings.model is not None and not foreign):
        return doc
    settings = doc.settings.model_copy(update={"model": options.model})
    return doc.model_copy(update={"settings": settings})


def _foreign_model(doc: Document, target: str) -> bool:
    # Whether the document names a model of a family the target's API does not
    # serve (gpt-4o in an Anthropic body). Only families the detector knows count:
    # an unknown name, or a target that serves any model (Ollama), is left alone.
    accepted = model_families(target)
    if accepted is None:
        return False
    family = family_of(doc.settings.model)
    return family is not None and family not in accepted


def _record_step(doc: Document, source: str) -> Document:
    # Provenance says where the document came from and which conversions made it.
    step = ConversionStep(source=source, target="aif", tool=f"aifkit {__version__}")
    prov = doc.provenance or Provenance(format=source, model=doc.settings.model)
    prov = prov.model_copy(update={"conversions": (*prov.conversions, step)})
    return doc.model_copy(update={"provenance": prov})


def validate(body: Any, format: str) -> list[Violation]:
    """Check a body against ``format``'s rules; return every violation (empty when valid).

    A body that holds what no body may (see `decode`), or inline data that is not
    base64, breaks the ``FORMAT/schema`` rule.

    Examples:
        >>> [str(v) for v in validate({"messages": "hi"}, "aif")]
        ['/messages: expected an array, got a string [aif/schema]']
        >>> [str(v) for v in validate({"temperature": float("nan")}, "openai-chat")]
        ['/temperature: NaN is not a JSON number [openai-chat/schema]']
    """
    conv = FORMATS.get(format)
    violations: list[Violation] = []
    try:
        _check(body, format)
        violations = conv.validate(body)
        if not violations and format != "aif":  # so that a body that validates decodes
            _check_decoded(conv.decode(body), format)
    except InvalidInputError as exc:
        return [Violation(exc.pointer, f"{format}/schema", exc.problem)]
    except UsageError:  # a render-only format (chatml) cannot be read back to check further
        pass
    return violations
