"""Mistral chat completion responses <-> AIF.

Mistral's response is an OpenAI ``chat.completion`` in shape (choices, usage with
``prompt_tokens``), with its own message blocks (thinking chunks) and finish words.
"""

from __future__ import annotations

from aifkit.aif._vocab import MISTRAL_FINISH
from aifkit.aif.converters._openai_chat_response import OpenAIChatResponses

__all__ = ["MistralResponses"]


class MistralResponses(OpenAIChatResponses):
    """``ChatCompletionResponse`` bodies (``POST /v1/chat/completions``)."""

    name = "mistral"
    string_content = False
    usage_required = True
    finish = MISTRAL_FINISH
