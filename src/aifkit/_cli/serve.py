"""``aif serve``: run the gateway (an OpenAI/Anthropic-speaking proxy) with uvicorn."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer

from aifkit.errors import MissingDependencyError, UsageError

__all__ = ["serve_command", "worker_app"]


def serve_command(
    config: Annotated[
        str | None, typer.Option("--config", help="A gateway config file (TOML).")
    ] = None,
    upstream: Annotated[
        str | None,
        typer.Option(help="Quick start: send every model to this base URL (no --config)."),
    ] = None,
    upstream_format: Annotated[
        str,
        typer.Option(
            # The same list as aifkit.gateway.UPSTREAM_FORMATS (a test holds them equal).
            metavar="[openai-chat|openai-responses|anthropic|gemini|mistral|bedrock-converse|ollama|cohere]",
            help="The quick-start upstream's format.",
        ),
    ] = "openai-chat",
    api_key_env: Annotated[
        str | None,
        typer.Option(
            help="Quick start: the variable holding the upstream key (default: the client's)."
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="The address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to bind.")] = 8787,
    ledger: Annotated[
        str | None, typer.Option(help="Record requests in this SQLite file (overrides the config).")
    ] = None,
    elision_store: Annotated[
        str | None,
        typer.Option(
            metavar="PATH",
            help="Keep every text a pack elided in this SQLite file, for aif expand REF "
            "--store PATH (overrides the config).",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1, help="Worker processes (uvicorn's); more than one shares the --ledger file."
        ),
    ] = 1,
) -> None:
    """Serve the gateway: point OPENAI_BASE_URL or ANTHROPIC_BASE_URL at it."""
    from aifkit.gateway import GatewayConfig, create_app, load_config

    if (config is None) == (upstream is None):
        raise UsageError("give either --config FILE or --upstream URL", hint="see aif serve --help")
    if config is not None:
        settings = load_config(config)
    else:
        assert upstream is not None
        settings = GatewayConfig.single(upstream, format=upstream_format, api_key_env=api_key_env)
    if ledger is not None:
        settings = settings.model_copy(update={"ledger": ledger})
    if elision_store is not None:
        settings = settings.model_copy(update={"elision_store": elision_store})
    if workers > 1 and settings.ledger is None:
        raise UsageError(
            f"--workers {workers} needs a ledger file: the workers share their records through it",
            hint="add --ledger gateway.db (or ledger = ... in the config)",
        )
    app = create_app(settings)  # checks the settings (keys set, extra installed) up front
    try:
        import uvicorn
    except ImportError:
        raise MissingDependencyError("uvicorn", "gateway") from None
    print(f"aif serve: http://{host}:{port} ({len(settings.routes)} route(s), {workers} worker(s))", file=sys.stderr)  # fmt: skip
    target: Any = app
    if workers > 1:
        # Each worker process builds its own app from the same settings, handed over
        # in the environment that uvicorn's worker processes inherit.
        os.environ[_SETTINGS] = settings.model_dump_json()
        target = f"{__name__}:worker_app"
    uvicorn.run(
        target,
        factory=workers > 1,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=30,
        access_log=False,
    )


_SETTINGS = "AIFKIT_GATEWAY_SETTINGS"


def worker_app() -> Any:
    """The app of one ``aif serve --workers N`` worker (uvicorn calls this in each)."""
    from aifkit.gateway import GatewayConfig, create_app

    return create_app(GatewayConfig.model_validate_json(os.environ[_SETTINGS]))
