"""`OpenAISummarizer`: summaries from any OpenAI-compatible chat endpoint.

Goes through the official ``openai`` client (the ``llm`` extra), so it works with
OpenAI, vLLM, llama.cpp's server, Ollama, LiteLLM's proxy and anything else that
serves ``/v1/chat/completions``. Nothing is sent unless an endpoint is configured:
a model and either a base URL or an API key must be given, as arguments or in the
environment (read when the summarizer is made, never at import).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from aifkit.aif._schema import Message
from aifkit.budget.memory._summarizer import transcript
from aifkit.errors import MissingDependencyError, ModelCallError, UsageError

if TYPE_CHECKING:
    import openai

__all__ = ["DEFAULT_PROMPT", "OpenAISummarizer"]

DEFAULT_PROMPT = (
    "You condense conversation history for an assistant that will continue the "
    "conversation. Write a faithful, dense summary of at most {max_words} words. Keep "
    "every name, number, date, file path, URL, e-mail address and identifier exactly "
    "as written, and every decision, open question and pending task. Write only the "
    "summary: no preamble, no apology, no commentary."
)
"""The system prompt; ``{max_words}`` is filled from ``max_tokens``."""

_OPENAI_DEFAULT = "https://api.openai.com/v1"


class OpenAISummarizer:
    """A `Summarizer` that asks a chat model at an OpenAI-compatible endpoint.

    Args:
        model: The model; default: ``$AIFKIT_SUMMARY_MODEL``.
        base_url: The endpoint, e.g. ``http://localhost:11434/v1``; default:
            ``$AIFKIT_SUMMARY_BASE_URL``, else OpenAI's when an API key is given.
        api_key: The key; default: ``$OPENAI_API_KEY`` (a local server needs none).
        timeout: Seconds to wait for one attempt.
        max_retries: Retries on connection errors, 408, 409, 429 and 5xx (with backoff).
        temperature: Sampling temperature.
        prompt: The system prompt (see `DEFAULT_PROMPT`).
        env: Where to read the defaults; default: ``os.environ``.

    Raises:
        UsageError: no model, or neither a base URL nor a key, is configured.
        MissingDependencyError: ``openai`` is not installed (the ``llm`` extra).

    Examples:
        >>> OpenAISummarizer(env={})
        Traceback (most recent call last):
        ...
        aifkit.errors.UsageError: no summary model is configured; pass model= or set \
AIFKIT_SUMMARY_MODEL
        >>> s = OpenAISummarizer("llama3.1", base_url="http://localhost:11434/v1", env={})
        >>> s.base_url, s.model
        ('http://localhost:11434/v1', 'llama3.1')
    """

    name = "openai"

    def __init__(
        self,
        model: str | None = None,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
        temperature: float = 0.0,
        prompt: str = DEFAULT_PROMPT,
        env: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if env is None else env
        self.model = model or env.get("AIFKIT_SUMMARY_MODEL") or ""
        if not self.model:
            raise UsageError(
                "no summary model is configured",
                hint="pass model= or set AIFKIT_SUMMARY_MODEL",
                cli_hint="pass --summary-model or set AIFKIT_SUMMARY_MODEL",
            )
        key = api_key or env.get("OPENAI_API_KEY")
        url = base_url or env.get("AIFKIT_SUMMARY_BASE_URL") or (_OPENAI_DEFAULT if key else "")
        if not url:
            raise UsageError(
                "no summary endpoint is configured",
                hint="pass base_url= (or set AIFKIT_SUMMARY_BASE_URL), or an OpenAI key",
                cli_hint="pass --summary-base-url (or set AIFKIT_SUMMARY_BASE_URL), "
                "or set OPENAI_API_KEY",
            )
        self.base_url = url.rstrip("/")
        self.timeout = timeout
        self.temperature = temperature
        self.prompt = prompt
        self._client = _make_client(self.base_url, key or "unused", timeout, max_retries)

    def summarize(
        self, source: Sequence[Message] | str, *, max_tokens: int, focus: str | None = None
    ) -> str:
        """Return the model's summary of ``source`` (``""`` when it answered nothing).

        Raises:
            ModelCallError: the endpoint failed, timed out or could not be reached.
        """
        import openai

        system = self.prompt.format(max_words=max(1, max_tokens * 3 // 4))
        if focus:
            system += f" Above all, keep what bears on: {focus}"
        request: list[dict[str, Any]] = [
            {"role": "system", "content": system},
            {"role": "user", "content": transcript(source)},
        ]
        try:
            reply = self._client.chat.completions.create(
                model=self.model,
                messages=request,  # pyright: ignore[reportArgumentType]
                max_tokens=max_tokens,
                temperature=self.temperature,
            )
        except openai.APITimeoutError:
            raise _failed(self.base_url, f"timed out after {self.timeout:g}s") from None
        except openai.APIStatusError as exc:
            raise _failed(self.base_url, f"HTTP {exc.status_code}: {_message(exc)}") from None
        except openai.APIConnectionError as exc:
            raise _failed(self.base_url, f"could not connect: {exc}") from None
        except openai.OpenAIError as exc:
            raise _failed(self.base_url, f"{type(exc).__name__}: {exc}") from None
        if not reply.choices:
            return ""
        return (reply.choices[0].message.content or "").strip()

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def __repr__(self) -> str:
        return f"OpenAISummarizer({self.model!r}, base_url={self.base_url!r})"


def _make_client(base_url: str, key: str, timeout: float, retries: int) -> openai.OpenAI:
    try:
        import openai
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise MissingDependencyError("openai", "llm") from None
    return openai.OpenAI(api_key=key, base_url=base_url, timeout=timeout, max_retries=retries)


def _message(exc: openai.APIStatusError) -> str:
    """The server's own error message: the client hands over ``body["error"]`` or the body."""
    body: object = exc.body
    if isinstance(body, dict):
        data = cast("dict[str, Any]", body)
        inner = data.get("error", data)
        if isinstance(inner, dict):
            message = cast("dict[str, Any]", inner).get("message")
            if isinstance(message, str) and message:
                return message
        elif isinstance(inner, str) and inner:
            return inner
    return exc.message


def _failed(endpoint: str, problem: str) -> ModelCallError:
    return ModelCallError(
        endpoint, problem, settings="AIFKIT_SUMMARY_BASE_URL, AIFKIT_SUMMARY_MODEL, OPENAI_API_KEY"
    )
