"""Conversions of non-streamed response bodies between wire formats, through AIF.

`RESPONSES` is the response counterpart of `FORMATS`: one `ResponseConverter` per
format that has response bodies, under the same names.
"""

from __future__ import annotations

from typing import Any, cast

from aifkit._json import format_pointer
from aifkit._registry import Registry
from aifkit.aif._loss import LossLog, LossReport, SourceMap
from aifkit.aif._migrate import readable_version
from aifkit.aif._response import Response, Usage, response_adapter
from aifkit.aif.converters._base import EncodeOptions
from aifkit.aif.converters._response_base import ResponseConverter
from aifkit.errors import InvalidInputError, LossyConversionError

__all__ = [
    "RESPONSES",
    "convert_response",
    "decode_response",
    "decode_usage",
    "encode_response",
    "response_formats",
]

RESPONSES: Registry[ResponseConverter] = Registry(
    "response format", group="aifkit.response_formats"
)
"""Every format with response bodies, by name. Plugins register under the
``aifkit.response_formats`` entry point."""

_M = "aifkit.aif.converters"
RESPONSES.register("openai-chat", f"{_M}._openai_chat_response:OpenAIChatResponses")
RESPONSES.register("anthropic", f"{_M}._anthropic_response:AnthropicResponses")
RESPONSES.register("openai-responses", f"{_M}._openai_responses_response:OpenAIResponsesResponses")
RESPONSES.register("gemini", f"{_M}._gemini_response:GeminiResponses")
RESPONSES.register("bedrock-converse", f"{_M}._bedrock_response:BedrockResponses")
RESPONSES.register("ollama", f"{_M}._ollama_response:OllamaResponses")
RESPONSES.register("mistral", f"{_M}._mistral_response:MistralResponses")
RESPONSES.register("cohere", f"{_M}._cohere_response:CohereResponses")


def response_formats() -> list[str]:
    """Return the names of the formats whose response bodies aifkit converts.

    Examples:
        >>> {"anthropic", "gemini", "openai-chat"} <= set(response_formats())
        True
    """
    return RESPONSES.names()


def decode_response(body: Any, format: str) -> tuple[Response, LossReport]:
    """Read a ``format`` response body into an AIF `Response`.

    ``format`` ``"aif"`` reads an AIF response as JSON.

    Raises:
        UnknownNameError: ``format`` has no response bodies.
        InvalidInputError: the body is malformed; the pointer says where.

    Examples:
        >>> body = {"id": "msg_1", "type": "message", "role": "assistant",
        ...         "model": "claude-sonnet-4-5", "content": [{"type": "text", "text": "Hi"}],
        ...         "stop_reason": "end_turn", "stop_sequence": None,
        ...         "usage": {"input_tokens": 3, "cache_read_input_tokens": 7, "output_tokens": 2}}
        >>> response, _ = decode_response(body, "anthropic")
        >>> response.finish_reason, response.usage.input_tokens, response.usage.cache_read_tokens
        ('stop', 10, 7)
    """
    if format == "aif":
        return _load(body), LossReport("aif", "aif")
    decoded = RESPONSES.get(format).decode_response(body)
    return decoded.response, LossReport(format, "aif", tuple(decoded.losses.resolve(None, body)))


def decode_usage(body: Any, format: str) -> Usage | None:
    """Read only the usage of a ``format`` response body (None when it has none).

    What `decode_response` would put in ``response.usage``, without reading the
    message: a proxy that passes a reply on unchanged records its usage this way.

    Raises:
        UnknownNameError: ``format`` has no response bodies.
        InvalidInputError: the usage is malformed; the pointer says where.

    Examples:
        >>> body = {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o",
        ...         "choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 2,
        ...         "prompt_tokens_details": {"cached_tokens": 4}}}
        >>> usage = decode_usage(body, "openai-chat")
        >>> usage.input_tokens, usage.output_tokens, usage.cache_read_tokens
        (9, 2, 4)
        >>> decode_usage({"usage": None}, "openai-chat") is None
        True
    """
    if format == "aif":
        return _load(body).usage
    converter = RESPONSES.get(format)
    read = getattr(converter, "decode_usage", None)  # plugins may only decode whole bodies
    if read is not None:
        return cast("Usage | None", read(body))
    return converter.decode_response(body).response.usage


def encode_response(
    response: Response, format: str, *, options: EncodeOptions | None = None
) -> tuple[Any, LossReport]:
    """Write an AIF `Response` as a ``format`` response body; loss pointers point into AIF.

    Examples:
        >>> from aifkit.aif import Message, TextPart
        >>> reply = Response(message=Message(role="assistant", parts=(TextPart(text="Hi"),)),
        ...                  finish_reason="length", model="gpt-4o")
        >>> body, _ = encode_response(reply, "openai-chat")
        >>> body["choices"][0]["finish_reason"], body["choices"][0]["message"]["content"]
        ('length', 'Hi')
    """
    if format == "aif":
        return _dump(response), LossReport("aif", "aif")
    encoded = RESPONSES.get(format).encode_response(response, options or EncodeOptions())
    return encoded.body, LossReport("aif", format, tuple(encoded.losses.resolve(None)))


def convert_response(
    body: Any,
    *,
    source: str,
    target: str,
    strict: bool = False,
    options: EncodeOptions | None = None,
) -> tuple[Any, LossReport]:
    """Convert a response body from one wire format to another.

    Every loss entry points into ``body``. ``source`` or ``target`` may be
    ``"aif"`` (an AIF response as JSON).

    Raises:
        UnknownNameError: ``source`` or ``target`` has no response bodies.
        InvalidInputError: ``body`` is malformed; the pointer says where.
        LossyConversionError: ``strict`` is set and something would be dropped.

    Examples:
        >>> body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1741569952,
        ...         "model": "gpt-4o", "choices": [{"index": 0, "message": {
        ...             "role": "assistant", "content": "Hi", "refusal": None},
        ...             "logprobs": None, "finish_reason": "stop"}],
        ...         "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10},
        ...         "system_fingerprint": "fp_1"}
        >>> out, report = convert_response(body, source="openai-chat", target="anthropic")
        >>> out["content"], out["stop_reason"], out["usage"]
        ([{'type': 'text', 'text': 'Hi'}], 'end_turn', {'input_tokens': 9, 'output_tokens': 1})
        >>> [(e.pointer, e.action) for e in report]
        [('/system_fingerprint', 'dropped'), ('/created', 'dropped')]
    """
    options = options or EncodeOptions()
    if source == "aif":
        response, sm, decode_losses = _load(body), SourceMap(), LossLog()
    else:
        decoded = RESPONSES.get(source).decode_response(body)
        response, sm, decode_losses = decoded.response, decoded.source_map, decoded.losses
    if target == "aif":
        out, encode_losses = _dump(response), LossLog()
    else:
        encoded = RESPONSES.get(target).encode_response(response, options)
        out, encode_losses = encoded.body, encoded.losses
    # Every pointer names something in the source body (`SourceMap.locate`).
    entries = decode_losses.resolve(None, body) + encode_losses.resolve(sm, body)
    report = LossReport(source, target, tuple(entries))
    if strict and report.dropped:
        raise LossyConversionError(report)
    return out, report


def _load(body: Any) -> Response:
    from pydantic import ValidationError

    if isinstance(body, dict):  # responses have had no layout change: only a newer major is refused
        readable_version(cast("dict[str, Any]", body))
    try:
        return response_adapter().validate_python(body)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = format_pointer(tuple(err["loc"]))
        raise InvalidInputError(where, err["msg"], hint="see the AIF Response model") from None


def _dump(response: Response) -> Any:
    return response_adapter().dump_python(response, mode="json", by_alias=True)
