"""Peers as strategy kinds: the tools people use instead of aifkit, measured on the same cells.

Each factory imports its package when first asked for, and raises
`MissingDependencyError` (naming ``pip install "aifkit[bench-peers]"``) when it is
not installed, so built-in suites leave the peer out and ``aif bench list`` says why.

Peers that count with tiktoken get OpenAI's vocabularies from the files aifkit reads
(tiktoken would download them, fail offline, and the peer fall back to an estimate).

* ``headroom``: Headroom's ``compress()`` (``headroom-ai``) at ``target_ratio =
  budget / tokens before``; options ``{"target_ratio": r}`` ask for ``r`` instead,
  ``{"target": "default"}`` use its own default. It runs offline, without telemetry,
  on a workspace of its own for the process (see `headroom_settings`); its report
  names the compressors Headroom applied.
* ``langchain-trim``: LangChain's ``trim_messages`` (``langchain-core``), keeping the
  last messages, the system message, starting on a human turn, counted exactly.
* ``litellm-compress``: LiteLLM's ``compress()`` (BM25 relevance; dropped messages
  become stubs whose originals it returns, so the expand reader can recover them).
* ``litellm-trim``: LiteLLM's ``litellm.utils.trim_messages``.
"""

from __future__ import annotations

import atexit
import importlib
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Mapping
from typing import Any, cast

from aifkit.bench._kinds import Fitted, StrategyKind, count_body
from aifkit.errors import MissingDependencyError

__all__ = [
    "REQUIRES",
    "headroom",
    "headroom_settings",
    "langchain_trim",
    "litellm_compress",
    "litellm_trim",
]

_EXTRA = "bench-peers"

REQUIRES: Mapping[str, str] = {
    "headroom": "headroom",
    "langchain-trim": "langchain_core",
    "litellm-compress": "litellm",
    "litellm-trim": "litellm",
}
"""The module each peer kind imports: listing what can run looks it up without importing it
(LiteLLM takes seconds to import)."""


def _messages(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [dict(m) for m in cast("list[dict[str, Any]]", body.get("messages") or [])]


class Headroom:
    """Headroom's ``compress()`` aimed at the budget's share of the input."""

    def __init__(self, compress: Any) -> None:
        self._compress = compress

    def fit(
        self, body: Mapping[str, Any], budget: int, model: str, options: Mapping[str, Any]
    ) -> Fitted:
        """Compress the messages; the ratio asked for is budget / tokens before."""
        kwargs: dict[str, Any] = {}
        if "target_ratio" in options:
            kwargs["target_ratio"] = float(options["target_ratio"])
        elif options.get("target", "budget") != "default":
            kwargs["target_ratio"] = min(1.0, budget / max(1, count_body(body, model)))
        result: Any = self._compress(_messages(body), model=model, **kwargs)
        report: dict[str, Any] = {
            "strategy": "headroom",
            **{k: round(v, 4) for k, v in kwargs.items()},
            "applied": _applied(result.transforms_applied),
        }
        return Fitted({**body, "messages": list(result.messages)}, report)


def _applied(transforms: list[str]) -> list[str]:
    """The compressors Headroom's router used (``router:log:0.11`` -> ``log``), sorted.

    >>> _applied(["router:protected:user_message", "router:log:0.11", "router:mixed:0.34"])
    ['log', 'mixed']
    """
    used = {t.split(":")[1] for t in transforms if t.count(":") == 2 and t.startswith("router:")}
    return sorted(used - {"excluded", "protected"})


def _offline_tiktoken() -> None:
    """Give tiktoken OpenAI's vocabularies from the files aifkit reads, so a peer that calls
    ``tiktoken.get_encoding`` counts exactly instead of failing to download and estimating."""
    try:
        import tiktoken.registry
    except ImportError:  # the peer brings its own counting, or none
        return
    from aifkit.tokens._openai_files import load_encoding

    for name in ("o200k_base", "cl100k_base"):
        if name not in tiktoken.registry.ENCODINGS:
            tiktoken.registry.ENCODINGS[name] = load_encoding(name)


def headroom_settings() -> dict[str, str]:
    """Set, where the user has not, the environment Headroom runs with in the bench.

    Headroom's defaults reach the network (a background download of its Kompress model
    from huggingface.co, an anonymous usage beacon) and keep state across runs in
    ``~/.headroom``. ``HEADROOM_OFFLINE=1`` is its own switch refusing every connection
    it would make by itself (a model already in the Hugging Face cache still loads);
    ``HF_HUB_OFFLINE=1`` keeps ``huggingface_hub`` to its cache;
    ``HEADROOM_TELEMETRY=off`` turns off its local stats and the beacon; and
    ``HEADROOM_WORKSPACE_DIR`` (its state and, unless ``HEADROOM_CONFIG_DIR`` says
    otherwise, its configuration) is a temporary folder made once per process and
    removed at its exit, so every run starts from the same empty state. A variable the
    user set is left as it is; a second call keeps the first call's folder.

    Returns:
        The settings now in effect, by variable.
    """
    defaults = {"HEADROOM_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HEADROOM_TELEMETRY": "off"}
    # Blank counts as unset, as Headroom reads it.
    settings = {name: os.environ.get(name, "").strip() or value for name, value in defaults.items()}
    workspace = os.environ.get("HEADROOM_WORKSPACE_DIR", "").strip()
    if not workspace:
        workspace = tempfile.mkdtemp(prefix="aifkit-headroom-")
        atexit.register(shutil.rmtree, workspace, ignore_errors=True)
    settings["HEADROOM_WORKSPACE_DIR"] = workspace
    os.environ.update(settings)
    return settings


def headroom() -> StrategyKind:
    """The ``headroom`` kind (needs ``headroom-ai``), run as `headroom_settings` says."""
    if importlib.util.find_spec("headroom") is None:  # no settings made for nothing
        raise MissingDependencyError("headroom", _EXTRA)
    _offline_tiktoken()
    headroom_settings()  # before the import: huggingface_hub reads HF_HUB_OFFLINE then
    try:
        module = importlib.import_module("headroom")
    except ImportError:
        raise MissingDependencyError("headroom", _EXTRA) from None
    return Headroom(module.compress)


class LangChainTrim:
    """LangChain's ``trim_messages``: the last messages that fit, counted by aifkit exactly."""

    def __init__(self, module: Any) -> None:
        self._lc = module

    def fit(
        self, body: Mapping[str, Any], budget: int, model: str, options: Mapping[str, Any]
    ) -> Fitted:
        """Trim to ``budget`` as LangChain's documentation shows for chat history."""
        lc = self._lc

        def counter(messages: list[Any]) -> int:
            return count_body({**body, "messages": lc.convert_to_openai_messages(messages)}, model)

        trimmed = lc.trim_messages(
            lc.convert_to_messages(_messages(body)), max_tokens=budget, token_counter=counter,
            strategy="last", include_system=True, start_on="human", allow_partial=False,
        )  # fmt: skip
        out = cast("list[dict[str, Any]]", lc.convert_to_openai_messages(trimmed))
        report = {"strategy": "langchain-trim", "kept_messages": len(out)}
        return Fitted({**body, "messages": out}, report)


def langchain_trim() -> StrategyKind:
    """The ``langchain-trim`` kind (needs ``langchain-core``)."""
    try:
        from langchain_core import messages  # pyright: ignore[reportMissingImports]
    except ImportError:
        raise MissingDependencyError("langchain_core", _EXTRA) from None
    return LangChainTrim(messages)


def _litellm() -> Any:
    # LiteLLM fetches a price table over the network on import unless told to use its own copy.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    try:
        import litellm  # pyright: ignore[reportMissingImports]
    except ImportError:
        raise MissingDependencyError("litellm", _EXTRA) from None
    return litellm


class LiteLLMCompress:
    """LiteLLM's ``compress()`` with its trigger and target at the budget."""

    def __init__(self, compress: Any) -> None:
        self._compress = compress

    def fit(
        self, body: Mapping[str, Any], budget: int, model: str, options: Mapping[str, Any]
    ) -> Fitted:
        """Stub low-relevance messages until the budget; the stubs' originals are kept."""
        # Its stubbing reads every message's text: a tool call's null content becomes "".
        messages = [{**m, "content": m.get("content") or ""} for m in _messages(body)]
        result: Any = self._compress(
            messages, model=model, compression_trigger=budget, compression_target=budget
        )
        out = {**body, "messages": list(result["messages"])}
        tools = list(result.get("tools") or [])
        if tools:  # the retrieval tool it adds, as a user of it sends it
            out["tools"] = [*cast("list[Any]", body.get("tools") or []), *tools]
        report = {"strategy": "litellm-compress", "stubbed": len(result.get("cache") or {})}
        return Fitted(out, report, dict(result.get("cache") or {}))


def litellm_compress() -> StrategyKind:
    """The ``litellm-compress`` kind (needs ``litellm`` with ``compress``)."""
    litellm = _litellm()
    compress = getattr(litellm, "compress", None)
    if not callable(compress):
        raise MissingDependencyError("litellm.compress (a newer litellm)", _EXTRA)
    return LiteLLMCompress(compress)


class LiteLLMTrim:
    """LiteLLM's ``trim_messages`` to ``max_tokens = budget``."""

    def __init__(self, trim: Any) -> None:
        self._trim = trim

    def fit(
        self, body: Mapping[str, Any], budget: int, model: str, options: Mapping[str, Any]
    ) -> Fitted:
        """Trim the messages with LiteLLM's own counter."""
        out = cast("list[dict[str, Any]]", self._trim(_messages(body), model, max_tokens=budget))
        return Fitted({**body, "messages": list(out)}, {"strategy": "litellm-trim"})


def litellm_trim() -> StrategyKind:
    """The ``litellm-trim`` kind (needs ``litellm``)."""
    from_utils = _litellm().utils
    return LiteLLMTrim(from_utils.trim_messages)
