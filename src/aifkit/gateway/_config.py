"""Gateway settings: routes from model names to upstreams, typed with pydantic.

A `GatewayConfig` is what `create_app` takes; `load_config` reads one from TOML.
Routes are tried in order; the first whose ``models`` pattern matches the
request's model (after `GatewayConfig.aliases`) serves it.
"""

from __future__ import annotations

import fnmatch
import tomllib
from os import PathLike
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from aifkit.errors import InvalidInputError, UsageError

__all__ = ["UPSTREAM_FORMATS", "GatewayConfig", "PolicyName", "Route", "load_config"]

PolicyName = Literal["off", "fit", "always"]
"""When a route packs: never, only when the request is over its window (the default), always."""

UPSTREAM_FORMATS = (
    "openai-chat",
    "openai-responses",
    "anthropic",
    "gemini",
    "mistral",
    "bedrock-converse",
    "ollama",
    "cohere",
)
"""Formats the gateway can send a request to (each has a URL scheme, a response codec
and a stream codec)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Route(_Frozen):
    """Where the requests for some models go, and what is done to them on the way.

    Attributes:
        models: Model name patterns this route serves (``fnmatch``: ``"gpt-*"``);
            ``"*"`` serves every model.
        upstream: The upstream's base URL, e.g. ``https://api.openai.com/v1``,
            ``https://api.anthropic.com/v1``,
            ``https://generativelanguage.googleapis.com/v1beta``, and with no path
            for the formats whose paths are fixed: ``https://api.cohere.com``
            (``/v2/chat``), ``http://127.0.0.1:11434`` (Ollama's ``/api/chat``),
            ``https://bedrock-runtime.us-east-1.amazonaws.com``
            (``/model/{model}/converse``, ``/converse-stream``).
        format: The wire format the upstream speaks.
        api_key_env: The environment variable holding the upstream's API key,
            read when the app starts. None: pass the client's own key through.
        model: Send this model name upstream instead of the client's.
        context_window: The window to fit requests into; default: the model
            registry's (`aifkit.tokens.get_model`).
        count_as: A model of the registry whose counting rules to use, for an
            upstream model the registry does not know.
        policy: ``off``, ``fit`` or ``always``.
        reserve: Tokens kept for the reply when fitting; default: the request's
            own max_tokens, else 4096 (capped by the model's max output).
        ratio: For ``always``: pack to this fraction of the request's tokens.
        budget: For ``always``: pack to at most this many tokens.
        timeout: Seconds to wait for the upstream (connect, read, each chunk).
        expand: Reversible elision: pack with content-aware compression (``auto``,
            not the conversation's session), and when it elided anything, add the
            ``aif_expand(ref)`` tool to the upstream request and answer the model's
            calls of it from the elided texts, invisibly to the client (streamed
            requests too).
        expand_rounds: The most upstream calls answered with elided content per
            request; after them, a reply's ``aif_expand`` calls are left out of what
            the client receives, and a reply with nothing else is answered 502.
    """

    models: tuple[str, ...] = ("*",)
    upstream: str
    format: str = "openai-chat"
    api_key_env: str | None = None
    model: str | None = None
    context_window: int | None = Field(default=None, gt=0)
    count_as: str | None = None
    policy: PolicyName = "fit"
    reserve: int | None = Field(default=None, ge=0)
    ratio: float | None = Field(default=None, gt=0, le=1)
    budget: int | None = Field(default=None, gt=0)
    timeout: float = Field(default=600.0, gt=0)
    expand: bool = False
    expand_rounds: int = Field(default=3, ge=1, le=16)

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value not in UPSTREAM_FORMATS:
            raise ValueError(f"unknown upstream format {value!r}; known: {', '.join(UPSTREAM_FORMATS)}")  # fmt: skip
        return value

    @field_validator("upstream")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"upstream must be an http(s) URL, got {value!r}")
        return value.rstrip("/")

    def matches(self, model: str) -> bool:
        """Whether this route serves ``model``.

        Examples:
            >>> Route(models=("claude-*",), upstream="http://x").matches("claude-sonnet-4-5")
            True
        """
        return any(fnmatch.fnmatchcase(model, p) for p in self.models)


class GatewayConfig(_Frozen):
    """Everything `create_app` needs.

    Attributes:
        routes: Tried in order; the first that matches the model serves it.
        aliases: Model names clients may use, mapped to the name routes see.
        keys: Gateway keys: when set, a client must send one (as its API key).
        ledger: The SQLite file every request is recorded in; None: in memory.
        fail_open: When aifkit itself fails on a request, forward the original
            (True, the default) instead of answering 400.
        max_body_bytes: Larger request bodies are refused with 413.
        thread_threshold: Requests bodies at least this large are counted and
            packed in a worker thread, off the event loop.
        keep_reports: Keep pack and loss reports for ``GET /requests/{id}``.
        sessions: Conversations whose `Packer` is kept, so that their packed prefix
            stays stable across turns (least recently used evicted); 0 packs every
            request afresh.
        elision_store: A SQLite file that keeps every text the gateway's packs
            elided, by ref (`aifkit.budget.ElisionStore`), so ``aif expand REF
            --store PATH`` gives back what a marker in an upstream request stands
            for; None keeps them only while their request lasts.

    Examples:
        >>> config = GatewayConfig(routes=(Route(upstream="http://127.0.0.1:9/v1"),))
        >>> config.route_for("gpt-4o").format
        'openai-chat'
    """

    routes: tuple[Route, ...] = Field(min_length=1)
    aliases: dict[str, str] = Field(default_factory=dict[str, str])
    keys: tuple[str, ...] = ()
    ledger: str | None = None
    fail_open: bool = True
    max_body_bytes: int = Field(default=32 * 1024 * 1024, gt=0)
    thread_threshold: int = Field(default=64 * 1024, ge=0)
    keep_reports: bool = True
    sessions: int = Field(default=256, ge=0)
    elision_store: str | None = None

    def resolve(self, model: str) -> str:
        """Return the model name after aliases."""
        return self.aliases.get(model, model)

    def route_for(self, model: str) -> Route | None:
        """Return the route serving ``model`` (after aliases), or None."""
        name = self.resolve(model)
        return next((r for r in self.routes if r.matches(name)), None)

    @classmethod
    def single(
        cls, upstream: str, *, format: str = "openai-chat", api_key_env: str | None = None
    ) -> GatewayConfig:
        """The quick start: every model to one upstream.

        Examples:
            >>> GatewayConfig.single("http://127.0.0.1:9/v1", format="anthropic").routes[0].models
            ('*',)
        """
        try:
            return cls(routes=(Route(upstream=upstream, format=format, api_key_env=api_key_env),))
        except ValidationError as exc:
            raise UsageError(_first_error(exc), hint="check --upstream and --upstream-format") from None  # fmt: skip


def load_config(path: str | PathLike[str]) -> GatewayConfig:
    """Read a `GatewayConfig` from a TOML file.

    The file has top-level settings and one ``[[routes]]`` table per route.

    Raises:
        UsageError: the file cannot be read.
        InvalidInputError: the TOML is malformed or a setting is wrong; the
            pointer names it (``/routes/0/format``).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read the gateway config {str(path)!r}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError("", f"the gateway config is not valid TOML: {exc}") from None
    try:
        return GatewayConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        pointer = "".join(f"/{p}" for p in err["loc"])
        raise InvalidInputError(
            pointer, err["msg"], hint="see the configuration reference in docs/gateway.md"
        ) from None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return str(err["msg"])
