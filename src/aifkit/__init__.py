"""aifkit: the context layer between an application and its models.

``import aifkit`` is cheap: names are imported from their subpackages on first use.

Examples:
    >>> import aifkit
    >>> out, report = aifkit.convert(
    ...     {"messages": [{"role": "user", "content": "Hi"}]}, source="openai-chat", target="aif"
    ... )
    >>> out["messages"]
    [{'role': 'user', 'parts': [{'type': 'text', 'text': 'Hi'}]}]
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from aifkit._version import __version__

if TYPE_CHECKING:
    from aifkit.aif import (
        AIF_VERSION,
        Conversion,
        Document,
        EncodeOptions,
        LossEntry,
        LossReport,
        Message,
        Response,
        Violation,
        convert,
        convert_response,
        formats,
        load_document,
        validate,
    )
    from aifkit.budget import PackReport, PackResult, TrimReport, TrimResult, pack, trim
    from aifkit.errors import (
        AifkitError,
        BudgetError,
        ConversionError,
        InvalidInputError,
        LossyConversionError,
        MissingDependencyError,
        UnknownNameError,
        UnsupportedVersionError,
        UsageError,
    )
    from aifkit.tokens import TokenCount, count_tokens

__all__ = [
    "AIF_VERSION",
    "AifkitError",
    "BudgetError",
    "Conversion",
    "ConversionError",
    "Document",
    "EncodeOptions",
    "InvalidInputError",
    "LossEntry",
    "LossReport",
    "LossyConversionError",
    "Message",
    "MissingDependencyError",
    "PackReport",
    "PackResult",
    "Response",
    "TokenCount",
    "TrimReport",
    "TrimResult",
    "UnknownNameError",
    "UnsupportedVersionError",
    "UsageError",
    "Violation",
    "__version__",
    "convert",
    "convert_response",
    "count_tokens",
    "formats",
    "load_document",
    "pack",
    "trim",
    "validate",
]

_LAZY = {
    **dict.fromkeys(
        [
            "AIF_VERSION",
            "Conversion",
            "Document",
            "EncodeOptions",
            "LossEntry",
            "LossReport",
            "Message",
            "Response",
            "Violation",
            "convert",
            "convert_response",
            "formats",
            "load_document",
            "validate",
        ],
        "aifkit.aif",
    ),
    **dict.fromkeys(
        [
            "AifkitError",
            "BudgetError",
            "ConversionError",
            "InvalidInputError",
            "LossyConversionError",
            "MissingDependencyError",
            "UnknownNameError",
            "UnsupportedVersionError",
            "UsageError",
        ],
        "aifkit.errors",
    ),
    **dict.fromkeys(
        ["PackReport", "PackResult", "TrimReport", "TrimResult", "pack", "trim"], "aifkit.budget"
    ),
    **dict.fromkeys(["TokenCount", "count_tokens"], "aifkit.tokens"),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'aifkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
