"""Prometheus metrics of one gateway app, in its own registry (no global state)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aifkit.gateway._ledger import RequestRecord

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

__all__ = ["Metrics"]


class Metrics:
    """Counters and histograms fed by each finished request's record."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry: CollectorRegistry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "aif_gateway_requests", "Requests served.", ("model", "status"), registry=r
        )
        self.tokens = Counter(
            "aif_gateway_tokens", "Tokens, by kind.", ("model", "kind"), registry=r
        )
        self.errors = Counter(
            "aif_gateway_internal_errors", "aifkit failures the gateway failed open on.", registry=r
        )
        self.latency = Histogram(
            "aif_gateway_request_seconds", "Arrival to last byte.", ("model",), registry=r
        )
        self.ttfb = Histogram(
            "aif_gateway_ttfb_seconds", "Arrival to first byte of a stream.", ("model",), registry=r
        )

    def observe(self, rec: RequestRecord) -> None:
        """Count one finished request."""
        self.requests.labels(rec.model, str(rec.status)).inc()
        for kind in ("input", "output", "cache_read", "cache_write", "reasoning"):
            value = getattr(rec, f"{kind}_tokens")
            if value:
                self.tokens.labels(rec.model, kind).inc(value)
        if rec.tokens_saved:
            self.tokens.labels(rec.model, "saved").inc(rec.tokens_saved)
        self.latency.labels(rec.model).observe(rec.latency_ms / 1000)
        if rec.ttfb_ms is not None and rec.stream:
            self.ttfb.labels(rec.model).observe(rec.ttfb_ms / 1000)

    def render(self) -> bytes:
        """The Prometheus text exposition."""
        from prometheus_client import generate_latest

        return generate_latest(self.registry)
