"""The official SDKs' response types, as validators for encoded response bodies."""

from __future__ import annotations

import base64
from functools import cache
from typing import Any

import botocore.session
import botocore.validate


@cache
def _converse_output() -> Any:
    return (
        botocore.session.get_session()
        .get_service_model("bedrock-runtime")
        .operation_model("Converse")
        .output_shape
    )


def _blobs(value: Any) -> Any:
    """The body as boto3 hands it over: blob fields as bytes."""
    if isinstance(value, dict):
        return {
            k: base64.b64decode(v)
            if k in ("bytes", "redactedContent") and isinstance(v, str)
            else _blobs(v)
            for k, v in value.items()  # pyright: ignore[reportUnknownVariableType]
        }
    if isinstance(value, list):
        return [_blobs(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
    return value


def check(format: str, body: Any) -> None:
    """Raise when ``body`` is not a valid response of ``format`` for its official SDK."""
    if format == "openai-chat":
        from openai.types.chat import ChatCompletion

        ChatCompletion.model_validate(body)
    elif format == "openai-responses":
        from openai.types.responses import Response

        Response.model_validate(body)
    elif format == "anthropic":
        from anthropic.types import Message

        Message.model_validate(body)
    elif format == "gemini":
        from google.genai.types import GenerateContentResponse

        GenerateContentResponse.model_validate(body)
    elif format == "mistral":
        from mistralai.client.models import ChatCompletionResponse

        ChatCompletionResponse.model_validate(body)
    elif format == "cohere":
        from cohere.v2.types.v2chat_response import V2ChatResponse

        V2ChatResponse.model_validate(body)
    elif format == "ollama":
        from ollama import ChatResponse

        ChatResponse.model_validate(body)
    elif format == "bedrock-converse":
        report = botocore.validate.ParamValidator().validate(_blobs(body), _converse_output())
        if report.has_errors():
            raise AssertionError(report.generate_report())
    else:  # pragma: no cover - a format without a validator is a test bug
        raise AssertionError(f"no SDK validator for {format}")
