"""AIF 1.0 -> 1.1.

1.1 only adds: ``settings.reasoning`` (a `Reasoning`: ``effort``,
``budget_tokens``, ``summary``), and its schema states the inline-data limit
(``maxLength`` of a base64 source's ``data``: `MAX_INLINE_CHARS`, a limit aifkit
enforces on documents of every version, like the size of its input). A 1.0
document is a valid 1.1 document, so the step changes nothing but the version
`upgrade` writes.

aifkit 0.1.0 wrote ``settings.reasoning`` into documents it still labelled
``1.0.0`` before the version was raised; such documents read as what they are,
1.1 documents, and are not refused for the field.
"""

from __future__ import annotations

from typing import Any

from aifkit.aif._migrate import register_upgrader

__all__ = ["upgrade_1_0"]


@register_upgrader((1, 0), (1, 1))
def upgrade_1_0(data: dict[str, Any]) -> dict[str, Any]:
    """Upgrade one AIF 1.0 document to 1.1 (every 1.0 document is valid 1.1)."""
    return data
