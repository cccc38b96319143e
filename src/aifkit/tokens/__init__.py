"""Exact token counts: tokenizers, chat framing, model limits and prices.

OpenAI models are counted with their own vocabularies (``o200k_base``,
``cl100k_base``) through tiktoken, loaded from local files; nothing is downloaded.
Models whose tokenizer is not shipped here (Claude, Gemini, and the open-weight and
other models the registry finds through genai-prices) get estimates that say so
(``exact=False``) and how far off they may be (``error_bound``).

Part of the default install: ``pip install aifkit``.

Examples:
    >>> from aifkit.tokens import count_tokens, get_model
    >>> from aifkit.aif import Document, Message, TextPart
    >>> doc = Document(messages=(Message(role="user", parts=(TextPart(text="Hi there"),)),))
    >>> count_tokens(doc, model="gpt-4o-2024-08-06").total
    9
    >>> get_model("gpt-4o").context_window
    128000
"""

from aifkit.tokens._cache import CountCache
from aifkit.tokens._count import TokenCount, calibrate, count_tokens
from aifkit.tokens._estimate import Estimator
from aifkit.tokens._models import ModelInfo, get_model, load_models, models, register_model
from aifkit.tokens._openai_files import TokenizerDataError
from aifkit.tokens._tokenizer import Tokenizer, get_tokenizer, tokenizers

__all__ = [
    "CountCache",
    "Estimator",
    "ModelInfo",
    "TokenCount",
    "Tokenizer",
    "TokenizerDataError",
    "calibrate",
    "count_tokens",
    "get_model",
    "get_tokenizer",
    "load_models",
    "models",
    "register_model",
    "tokenizers",
]
