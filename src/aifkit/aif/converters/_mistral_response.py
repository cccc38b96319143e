"""Mistral chat completion responses <-> AIF.

Mistral's response is an OpenAI ``chat.completion`` in shape (choices, usage with
``prompt_tokens``), with its own message blocks (thinking chunks) and finish words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from aifkit.aif._response import FinishReason
from aifkit.aif.converters._openai_chat_response import OpenAIChatResponses

__all__ = ["MistralResponses"]


class MistralResponses(OpenAIChatResponses):
    """``ChatCompletionResponse`` bodies (``POST /v1/chat/completions``)."""

    name = "mistral"
    string_content = False
    usage_required = True
    finish_reasons: ClassVar[Mapping[str, FinishReason]] = {
        "stop": "stop",
        "length": "length",
        "tool_calls": "tool_calls",
        "error": "error",
        "model_length": "length",
    }
