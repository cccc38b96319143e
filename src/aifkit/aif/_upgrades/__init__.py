"""The upgrade steps, one module per version; importing this package registers them."""

from aifkit.aif._upgrades import v0_9, v1_0

__all__ = ["v0_9", "v1_0"]
