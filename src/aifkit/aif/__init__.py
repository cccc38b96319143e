"""The Assistant Interchange Format: a provider-neutral conversation document,
converters to and from wire formats, and loss reports.

The hand-off envelope lives in `aifkit.handoff`. Its names (`pack_handoff`,
`verify_handoff`, `Envelope`, ...) still resolve here for code written before it
moved, but only on first use: ``import aifkit.aif`` loads neither `aifkit.handoff`
nor `aifkit.budget`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from aifkit.aif._codec import dump_document, load_document
from aifkit.aif._convert import (
    FORMATS,
    Conversion,
    capabilities,
    convert,
    decode,
    encode,
    formats,
    validate,
)
from aifkit.aif._detect import FormatGuess, detect_format
from aifkit.aif._events import (
    PartDelta,
    PartEnd,
    PartKind,
    PartStart,
    ResponseEnd,
    ResponseStart,
    StreamError,
    StreamEvent,
    UsageUpdate,
)
from aifkit.aif._features import FEATURES, Capabilities, capability_table
from aifkit.aif._framing import EventStreamParser, NDJSONParser
from aifkit.aif._loss import LossEntry, LossReport
from aifkit.aif._migrate import register_upgrader, upgrade
from aifkit.aif._response import FinishReason, Response, Usage
from aifkit.aif._response_convert import (
    RESPONSES,
    convert_response,
    decode_response,
    decode_usage,
    encode_response,
    response_formats,
)
from aifkit.aif._schema import (
    AIF_VERSION,
    AudioPart,
    Base64Source,
    CacheHint,
    ConversionStep,
    Document,
    DocumentPart,
    FileSource,
    ImagePart,
    Instruction,
    Message,
    Part,
    Provenance,
    ProviderPart,
    Reasoning,
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
    json_schema,
)
from aifkit.aif._sse_codec import (
    STREAM_FORMATS,
    StreamCodec,
    StreamDecoder,
    StreamEncoder,
    atranslate_stream,
    decode_stream,
    encode_stream,
    translate_stream,
)
from aifkit.aif._stream import SSEEvent, SSEParser, assemble
from aifkit.aif.converters._base import Converter, EncodeOptions, Violation
from aifkit.aif.converters._response_base import DecodedResponse, ResponseConverter

if TYPE_CHECKING:
    from aifkit.handoff import Envelope as Envelope
    from aifkit.handoff import HandoffKey as HandoffKey
    from aifkit.handoff import HandoffPlan as HandoffPlan
    from aifkit.handoff import Party as Party
    from aifkit.handoff import Task as Task
    from aifkit.handoff import VerifyReport as VerifyReport
    from aifkit.handoff import generate_key as generate_key
    from aifkit.handoff import load_envelope as load_envelope
    from aifkit.handoff import load_key as load_key
    from aifkit.handoff import pack_handoff as pack_handoff
    from aifkit.handoff import plan_handoff as plan_handoff
    from aifkit.handoff import unpack_handoff as unpack_handoff
    from aifkit.handoff import verify_handoff as verify_handoff

__all__ = [
    "AIF_VERSION",
    "FEATURES",
    "FORMATS",
    "RESPONSES",
    "STREAM_FORMATS",
    "AudioPart",
    "Base64Source",
    "CacheHint",
    "Capabilities",
    "Conversion",
    "ConversionStep",
    "Converter",
    "DecodedResponse",
    "Document",
    "DocumentPart",
    "EncodeOptions",
    "EventStreamParser",
    "FileSource",
    "FinishReason",
    "FormatGuess",
    "ImagePart",
    "Instruction",
    "LossEntry",
    "LossReport",
    "Message",
    "NDJSONParser",
    "Part",
    "PartDelta",
    "PartEnd",
    "PartKind",
    "PartStart",
    "Provenance",
    "ProviderPart",
    "Reasoning",
    "ReasoningPart",
    "ReasoningScope",
    "RefusalPart",
    "Response",
    "ResponseConverter",
    "ResponseEnd",
    "ResponseStart",
    "SSEEvent",
    "SSEParser",
    "Settings",
    "StreamCodec",
    "StreamDecoder",
    "StreamEncoder",
    "StreamError",
    "StreamEvent",
    "TextPart",
    "TextSource",
    "Tool",
    "ToolCallPart",
    "ToolChoice",
    "ToolResultPart",
    "UrlSource",
    "Usage",
    "UsageUpdate",
    "Violation",
    "assemble",
    "atranslate_stream",
    "capabilities",
    "capability_table",
    "convert",
    "convert_response",
    "decode",
    "decode_response",
    "decode_stream",
    "decode_usage",
    "detect_format",
    "dump_document",
    "encode",
    "encode_response",
    "encode_stream",
    "formats",
    "json_schema",
    "load_document",
    "register_upgrader",
    "response_formats",
    "translate_stream",
    "upgrade",
    "validate",
]

_MOVED_TO_HANDOFF = frozenset(
    [
        "Envelope",
        "HandoffKey",
        "HandoffPlan",
        "Party",
        "Task",
        "VerifyReport",
        "generate_key",
        "load_envelope",
        "load_key",
        "pack_handoff",
        "plan_handoff",
        "unpack_handoff",
        "verify_handoff",
    ]
)
"""Names that moved to `aifkit.handoff`; they resolve here on first use, lazily."""


def __getattr__(name: str) -> Any:
    # Importing the hand-off package here, at the top, would run the one arrow
    # of the house backwards (handoff -> budget -> aif): resolve old names late.
    if name not in _MOVED_TO_HANDOFF:
        raise AttributeError(f"module 'aifkit.aif' has no attribute {name!r}")
    value = getattr(importlib.import_module("aifkit.handoff"), name)
    globals()[name] = value
    return value
