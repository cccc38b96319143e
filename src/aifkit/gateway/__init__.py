"""The gateway: an HTTP proxy that speaks the providers' APIs and puts aifkit in the path.

Point any OpenAI- or Anthropic-speaking client at it (change one base URL):
each request is counted, fitted to its route's context window, converted to the
upstream's format, and recorded; replies, streamed or not, come back in the
client's own format. ``aif serve`` runs it; `create_app` returns the ASGI app to
mount in an existing Starlette or FastAPI service.

Needs the ``gateway`` extra: ``pip install "aifkit[gateway]"``.

Examples:
    >>> from aifkit.gateway import GatewayConfig, Route, create_app
    >>> config = GatewayConfig(routes=(
    ...     Route(models=("claude-*",), upstream="https://api.anthropic.com/v1",
    ...           format="anthropic", api_key_env="ANTHROPIC_API_KEY"),
    ...     Route(upstream="https://api.openai.com/v1", api_key_env="OPENAI_API_KEY")))
    >>> app = create_app(config, environ={"ANTHROPIC_API_KEY": "k1", "OPENAI_API_KEY": "k2"})
    >>> config.route_for("claude-sonnet-4-5").format
    'anthropic'
"""

from aifkit.gateway._app import create_app
from aifkit.gateway._config import (
    UPSTREAM_FORMATS,
    GatewayConfig,
    PolicyName,
    Route,
    load_config,
)
from aifkit.gateway._ledger import GatewayLedger, RequestRecord

__all__ = [
    "UPSTREAM_FORMATS",
    "GatewayConfig",
    "GatewayLedger",
    "PolicyName",
    "RequestRecord",
    "Route",
    "create_app",
    "load_config",
]
