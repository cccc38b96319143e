"""Provider count endpoints, called only when the caller passes an API key.

Anthropic's ``POST /v1/messages/count_tokens`` returns the exact input tokens of a
request (https://docs.anthropic.com/en/api/messages-count-tokens). The request is
the document written in the ``anthropic`` format, keeping only the fields the
endpoint accepts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from aifkit.errors import AifkitError, MissingDependencyError

if TYPE_CHECKING:
    import httpx2

    from aifkit.aif._schema import Document

__all__ = ["ANTHROPIC_API", "anthropic_count"]

ANTHROPIC_API = "https://api.anthropic.com"
_ACCEPTED = ("system", "messages", "tools", "tool_choice", "thinking", "mcp_servers")


def anthropic_count(
    document: Document,
    model: str,
    api_key: str,
    *,
    client: httpx2.Client | None = None,
    base_url: str = ANTHROPIC_API,
) -> int:
    """Return the input tokens Anthropic counts for ``document`` sent to ``model``.

    Args:
        document: The conversation.
        model: A model id the API knows, e.g. ``"claude-sonnet-4-5"``.
        api_key: An Anthropic API key.
        client: The HTTP client to use (tests pass one with a mock transport).
        base_url: The API's address.

    Raises:
        MissingDependencyError: httpx2 is not installed.
        AifkitError: the request failed; the message gives the status and the API's reason.
    """
    try:
        import httpx2
    except ImportError:
        raise MissingDependencyError("httpx2", "tokens") from None
    from aifkit.aif import encode

    body, _ = encode(document, "anthropic")
    payload: dict[str, Any] = {key: body[key] for key in _ACCEPTED if key in body}
    payload["model"] = model
    headers = {"x-api-key": api_key, "anthropic-version": "2023-06-01"}
    url = f"{base_url.rstrip('/')}/v1/messages/count_tokens"
    http = client if client is not None else httpx2.Client(timeout=30.0)
    try:
        response = http.post(url, json=payload, headers=headers)
    except httpx2.HTTPError as exc:
        raise AifkitError(
            f"could not reach Anthropic's count endpoint ({exc})",
            hint="check the network, or count without an API key for an estimate",
        ) from None
    finally:
        if client is None:
            http.close()
    try:
        data: Any = response.json()
    except ValueError:
        data = None
    answer = cast("dict[str, Any]", data) if isinstance(data, dict) else {}
    tokens = answer.get("input_tokens")
    if response.status_code != 200 or not isinstance(tokens, int):
        error = answer.get("error")
        reason = cast("dict[str, Any]", error).get("message") if isinstance(error, dict) else None
        raise AifkitError(
            f"Anthropic's count endpoint answered HTTP {response.status_code}: {reason or response.text[:200]}",
            hint="check the API key and that the model id is one the API knows",
        )
    return tokens
