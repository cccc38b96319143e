"""What each wire format looks like on HTTP: upstream URLs and headers, error bodies.

Kept apart from the app so a format's HTTP conventions are in one table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import quote

__all__ = [
    "client_key",
    "error_body",
    "error_message",
    "set_stream",
    "stream_codec",
    "upstream_headers",
    "upstream_url",
]

_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
}
_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def error_body(format: str, status: int, message: str, code: str | None = None) -> dict[str, Any]:
    """Return an error body in ``format``'s shape, the one its SDK parses.

    Examples:
        >>> error_body("anthropic", 429, "slow down")
        {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'slow down'}}
        >>> error_body("openai-chat", 502, "bad gateway", "upstream_error")["error"]["type"]
        'server_error'
        >>> error_body("ollama", 404, "model 'x' not found"), error_body("bedrock-converse", 400, "bad")
        ({'error': "model 'x' not found"}, {'message': 'bad'})
    """
    if format == "anthropic":
        kind = _ANTHROPIC_TYPES.get(status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": message}}
    if format == "gemini":
        return {"error": {"code": status, "message": message, "status": code or "UNAVAILABLE"}}
    if format in ("cohere", "bedrock-converse"):  # Bedrock names the kind in x-amzn-ErrorType
        return {"message": message}
    if format == "ollama":
        return {"error": message}
    kind = _OPENAI_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def error_message(body: Any) -> str | None:
    """Return the message of an upstream error body in any format's shape, if it has one.

    Examples:
        >>> error_message({"type": "error", "error": {"type": "x", "message": "boom"}})
        'boom'
        >>> error_message({"error": "plain"}), error_message([1])
        ('plain', None)
        >>> error_message({"Message": "The security token included in the request is invalid."})
        'The security token included in the request is invalid.'
    """
    if not isinstance(body, Mapping):
        return None
    data = cast("Mapping[str, Any]", body)
    err = data.get("error")
    if isinstance(err, str):
        return err
    if isinstance(err, Mapping):
        msg = cast("Mapping[str, Any]", err).get("message")
        return msg if isinstance(msg, str) else None
    msg = data.get("message", data.get("Message"))  # AWS services write either
    return msg if isinstance(msg, str) else None


def upstream_url(format: str, base: str, model: str, *, stream: bool) -> str:
    """Return the URL a ``format`` upstream at ``base`` takes a request on.

    Examples:
        >>> upstream_url("anthropic", "https://api.anthropic.com/v1", "claude-x", stream=True)
        'https://api.anthropic.com/v1/messages'
        >>> upstream_url("gemini", "http://h/v1beta", "gemini-2.5-flash", stream=True)
        'http://h/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse'
        >>> base = "https://bedrock-runtime.us-east-1.amazonaws.com"
        >>> upstream_url("bedrock-converse", base, "anthropic.claude-sonnet-4-5-v1:0", stream=True)
        'https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-sonnet-4-5-v1%3A0/converse-stream'
        >>> upstream_url("ollama", "http://127.0.0.1:11434", "llama3.2", stream=False)
        'http://127.0.0.1:11434/api/chat'
        >>> upstream_url("cohere", "https://api.cohere.com", "command-a-03-2025", stream=True)
        'https://api.cohere.com/v2/chat'

        The model is one path segment: a client's ``/``, ``?`` or ``#`` cannot reach
        another upstream path.

        >>> upstream_url("gemini", "http://h/v1beta", "../files?x#", stream=False)
        'http://h/v1beta/models/..%2Ffiles%3Fx%23:generateContent'
    """
    if format == "bedrock-converse":  # the model is in the path, escaped (ids hold ":")
        verb = "converse-stream" if stream else "converse"
        return f"{base}/model/{quote(model, safe='')}/{verb}"
    if format == "ollama":
        return f"{base}/api/chat"
    if format == "cohere":
        return f"{base}/v2/chat"
    if format == "anthropic":
        return f"{base}/messages"
    if format == "openai-responses":
        return f"{base}/responses"
    if format == "gemini":
        verb = "streamGenerateContent?alt=sse" if stream else "generateContent"
        return f"{base}/models/{quote(model, safe='')}:{verb}"
    return f"{base}/chat/completions"


def upstream_headers(format: str, key: str | None, client: Mapping[str, str]) -> dict[str, str]:
    """Return the headers for a ``format`` upstream: its auth header, and version headers.

    ``client`` is the client's request headers (lower-case names); only the
    protocol headers an upstream needs are taken from it, never its credentials.
    Cohere and Bedrock (its API keys) take ``Authorization: Bearer``; Ollama takes
    no credentials, and none is sent to it.

    Examples:
        >>> upstream_headers("bedrock-converse", "ABSK-key", {})["authorization"]
        'Bearer ABSK-key'
        >>> "authorization" in upstream_headers("ollama", "sk-client", {})
        False
    """
    headers = {"content-type": "application/json", "accept-encoding": "identity"}
    if format == "anthropic":
        headers["anthropic-version"] = client.get("anthropic-version", "2023-06-01")
        if "anthropic-beta" in client:
            headers["anthropic-beta"] = client["anthropic-beta"]
        if key:
            headers["x-api-key"] = key
    elif format == "gemini":
        if key:
            headers["x-goog-api-key"] = key
    elif format == "ollama":
        pass  # a local server: the client's key is not passed on
    elif key:
        headers["authorization"] = f"Bearer {key}"
    return headers


def client_key(headers: Mapping[str, str]) -> str | None:
    """Return the API key a client sent, in whichever header its SDK uses.

    Examples:
        >>> client_key({"authorization": "Bearer sk-1"}), client_key({"x-api-key": "k"})
        ('sk-1', 'k')
    """
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return headers.get("x-api-key") or headers.get("x-goog-api-key") or None


def set_stream(format: str, body: dict[str, Any], *, stream: bool) -> None:
    """Set (or clear) the request's streaming flag, in place, as ``format`` spells it.

    Gemini and Bedrock say it in the URL (Bedrock's body names no model either: the
    URL does); Ollama streams unless told ``"stream": false``.

    Examples:
        >>> body = {"model": "m", "modelId": "m", "messages": [], "stream": True}
        >>> set_stream("bedrock-converse", body, stream=True); body
        {'messages': []}
        >>> body = {"model": "m", "messages": []}
        >>> set_stream("ollama", body, stream=False); body["stream"]
        False
    """
    if format == "gemini":
        body.pop("stream", None)
        return
    if format == "bedrock-converse":
        for key in ("stream", "stream_options", "model", "modelId"):
            body.pop(key, None)
        return
    body.pop("stream_options", None)
    if format == "ollama":
        body["stream"] = stream
        return
    if not stream:
        body.pop("stream", None)
        return
    body["stream"] = True
    if format == "openai-chat":
        body["stream_options"] = {"include_usage": True}


def stream_codec(format: str) -> str:
    """Return the stream codec that reads ``format``'s stream (Mistral streams as OpenAI
    does: the same chunks, whole tool calls and the usage on the finish chunk included)."""
    return "openai-chat" if format == "mistral" else format
