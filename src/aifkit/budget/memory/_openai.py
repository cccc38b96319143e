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
from typing import TYPE_CHECKING, Any, Literal, cast, overload

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
        self._key, self._retries = key or "unused", max_retries
        self._client = _make_client(self.base_url, self._key, timeout, max_retries)
        self._async: openai.AsyncOpenAI | None = None

    def summarize(
        self, source: Sequence[Message] | str, *, max_tokens: int, focus: str | None = None
    ) -> str:
        """Return the model's summary of ``source`` (``""`` when it answered nothing).

        Raises:
            ModelCallError: the endpoint failed, timed out or could not be reached.
        """
        import openai

        request = self._request(source, max_tokens, focus)
        try:
            reply = self._client.chat.completions.create(**request)  # pyright: ignore[reportUnknownVariableType]
        except openai.OpenAIError as exc:
            raise self._failure(exc) from None
        return _text(reply)

    async def asummarize(
        self, source: Sequence[Message] | str, *, max_tokens: int, focus: str | None = None
    ) -> str:
        """`summarize` without blocking the event loop: the same request, on ``openai``'s
        async client (made on first use, in the running loop).

        Raises:
            ModelCallError: the endpoint failed, timed out or could not be reached.

        Examples:
            >>> import asyncio
            >>> from aifkit.testing import FakeOpenAIServer, FakeReply
            >>> async def main(s: OpenAISummarizer) -> str:
            ...     try:
            ...         return await s.asummarize("user: my order ord_4471 is lost", max_tokens=32)
            ...     finally:
            ...         await s.aclose()
            >>> with FakeOpenAIServer() as server:
            ...     server.replies.append(FakeReply("Dana's order ord_4471 was lost."))
            ...     asyncio.run(main(OpenAISummarizer("local", base_url=server.base_url, env={})))
            "Dana's order ord_4471 was lost."
        """
        import openai

        if self._async is None:
            self._async = _make_client(self.base_url, self._key, self.timeout, self._retries, aio=True)  # fmt: skip
        request = self._request(source, max_tokens, focus)
        try:
            reply = await self._async.chat.completions.create(**request)  # pyright: ignore[reportUnknownVariableType]
        except openai.OpenAIError as exc:
            raise self._failure(exc) from None
        return _text(reply)

    def _request(
        self, source: Sequence[Message] | str, max_tokens: int, focus: str | None
    ) -> dict[str, Any]:
        system = self.prompt.format(max_words=max(1, max_tokens * 3 // 4))
        if focus:
            system += f" Above all, keep what bears on: {focus}"
        return {
            "model": self.model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": transcript(source)},
            ],
            "max_tokens": max_tokens,
            "temperature": self.temperature,
        }

    def _failure(self, exc: openai.OpenAIError) -> ModelCallError:
        import openai

        if isinstance(exc, openai.APITimeoutError):
            return _failed(self.base_url, f"timed out after {self.timeout:g}s")
        if isinstance(exc, openai.APIStatusError):
            return _failed(self.base_url, f"HTTP {exc.status_code}: {_message(exc)}")
        if isinstance(exc, openai.APIConnectionError):
            return _failed(self.base_url, f"could not connect: {exc}")
        return _failed(self.base_url, f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        """Close the HTTP connections of `summarize` (async code awaits `aclose`)."""
        self._client.close()

    async def aclose(self) -> None:
        """Close the HTTP connections, of `asummarize` too (in the loop that used them)."""
        self._client.close()
        if self._async is not None:
            await self._async.close()
            self._async = None

    def __repr__(self) -> str:
        return f"OpenAISummarizer({self.model!r}, base_url={self.base_url!r})"


@overload
def _make_client(
    base_url: str, key: str, timeout: float, retries: int, *, aio: Literal[False] = False
) -> openai.OpenAI: ...
@overload
def _make_client(
    base_url: str, key: str, timeout: float, retries: int, *, aio: Literal[True]
) -> openai.AsyncOpenAI: ...
def _make_client(
    base_url: str, key: str, timeout: float, retries: int, *, aio: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    try:
        import openai
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise MissingDependencyError("openai", "llm") from None
    make = openai.AsyncOpenAI if aio else openai.OpenAI
    return make(api_key=key, base_url=base_url, timeout=timeout, max_retries=retries)


def _text(reply: Any) -> str:
    if not reply.choices:
        return ""
    return (reply.choices[0].message.content or "").strip()


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
