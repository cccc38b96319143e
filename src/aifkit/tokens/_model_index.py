"""The models genai-prices knows, indexed by a spelling-insensitive name.

genai-prices (a dependency, for prices) lists ~2,300 models of ~50 providers,
~1,400 of them with a context window. This module turns that list into an index
from a *key* (the name lowercased, without its provider or vendor prefix, its
``:variant`` suffix and every ``-``, ``.``, ``_`` or space: ``gpt4o`` and
``GPT-4o`` are one key) to one entry. When several providers serve a model, the
entry kept is the model maker's own if genai-prices has one, else the host entry
whose name matches exactly, else the one with the largest window. ``provider/name``
keys keep each provider's own entry.

Importing genai-prices' data costs a few hundred milliseconds, so nothing here runs
until a name misses the hand-entered models, and the index built from it is kept
in the user cache (see `aifkit.tokens._disk_cache`), keyed by the data file it
was built from: the next process reads the index in a few milliseconds.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from aifkit.tokens._disk_cache import read_entry, write_entry

__all__ = [
    "SNAPSHOT",
    "IndexedModel",
    "ModelIndex",
    "base_name",
    "build_index",
    "model_index",
    "squash",
    "stem",
    "strip_snapshot",
]

_FORMAT = 5
"""Bumped whenever the index layout or the key rules change (invalidates cached indexes)."""

FIRST_PARTY = (
    "openai", "anthropic", "google", "mistral", "cohere", "deepseek", "x-ai", "meta",
    "moonshotai", "zhipuai", "minimax", "perplexity",
)  # fmt: skip
"""Providers that make the models they serve: their entry wins over a host's."""

_VENDOR_DOT = re.compile(r"^(?:[a-z]+\.)+(?=[a-z])")  # "global.anthropic.", "mistral."
_VARIANT = re.compile(r":[^/]*$")  # ":free", ":batch", ":0"
_SEPARATORS = re.compile(r"[-._ ]+")
_STEM = re.compile(r"^meta-|(-(?:instruct|chat|it|hf))+$")


def base_name(name: str) -> str:
    """Return ``name`` lowercased, without provider path, vendor prefix or ``:variant``.

    Examples:
        >>> base_name("meta-llama/Llama-3.1-8B-Instruct")
        'llama-3.1-8b-instruct'
        >>> base_name("global.anthropic.claude-sonnet-4-5-20250929-v1:0")
        'claude-sonnet-4-5-20250929-v1'
        >>> base_name("gpt-4.1")
        'gpt-4.1'
    """
    last = name.strip().lower().rsplit("/", 1)[-1]
    return _VARIANT.sub("", _VENDOR_DOT.sub("", last))


def squash(name: str) -> str:
    """Return the spelling-insensitive key of a base name.

    Examples:
        >>> squash("GPT-4o"), squash("gpt4o"), squash("claude-3.5-sonnet")
        ('gpt4o', 'gpt4o', 'claude35sonnet')
    """
    return _SEPARATORS.sub("", name.lower())


SNAPSHOT = re.compile(
    r"(-\d{4}-\d{2}-\d{2}|-\d{8}(-v\d+)?|-\d{4}|-\d{3}|-latest|-preview(-\d{2}-\d{2})?|-exp(-\d{4})?)$"
)
"""What makes a name a snapshot of a model: a date, a version number, ``-latest``, ..."""


def strip_snapshot(name: str) -> str:
    """Return ``name`` without every snapshot suffix (``-2024-08-06``, ``-latest``, ``-v1``, ...).

    Examples:
        >>> strip_snapshot("claude-sonnet-4-5-20250929-v1"), strip_snapshot("mistral-large-latest")
        ('claude-sonnet-4-5', 'mistral-large')
    """
    while True:
        shorter = SNAPSHOT.sub("", name)
        if shorter == name or not shorter:
            return name
        name = shorter


def stem(name: str) -> str:
    """Return a base name without a ``meta-`` prefix and ``-instruct``/``-chat``/``-it`` suffixes.

    Examples:
        >>> stem("meta-llama-3.1-8b-instruct")
        'llama-3.1-8b'
    """
    return _STEM.sub("", name)


@dataclass(frozen=True, slots=True)
class IndexedModel:
    """One genai-prices entry.

    Args:
        name: The name aifkit gives it: its base name, ``provider/base`` for a
            provider's own entry.
        provider: The genai-prices provider id.
        price_id: The genai-prices model id (prices are looked up under it).
        context_window: Its context window, per genai-prices.
    """

    name: str
    provider: str
    price_id: str
    context_window: int


class ModelIndex:
    """Look up genai-prices models by key; built by `model_index`.

    Args:
        models: Each entry by name.
        keys: Entry names by key (``squash`` of a name), best key first.
        providers: Provider ids genai-prices knows.
        source: Where the data came from, e.g. ``"genai-prices 0.2.5"``.
    """

    def __init__(
        self,
        models: dict[str, IndexedModel],
        keys: dict[str, str],
        providers: Iterable[str],
        source: str,
    ) -> None:
        self.models = models
        self.keys = keys
        self.providers = frozenset(providers)
        self.source = source

    def __len__(self) -> int:
        return len(self.models)

    def __iter__(self) -> Iterator[str]:
        return iter(self.models)

    def find(self, base: str, provider: str | None = None) -> IndexedModel | None:
        """Return the entry for base name ``base`` (of ``provider``, when given), if any."""
        key = squash(base)
        name = self.keys.get(key) or self.keys.get(squash(stem(base)))
        general = self.models[name] if name is not None else None
        if provider is not None:
            name = self.keys.get(f"{provider}/{key}") or self.keys.get(
                f"{provider}/{squash(stem(base))}"
            )
            own = self.models[name] if name is not None else None
            if own is not None and (general is None or _ident(own) != _ident(general)):
                return own
        return general

    def nearest(self, name: str, extra: Iterable[str] = (), n: int = 5) -> list[str]:
        """Return up to ``n`` known names closest to ``name`` (difflib's ratio)."""
        import difflib  # only an unknown name needs it

        pool = {m for m in self.models if "/" not in m} | set(extra)
        return difflib.get_close_matches(base_name(name), sorted(pool), n=n, cutoff=0.6)

    def to_json(self) -> dict[str, Any]:
        """Return the index as plain data (what the disk cache keeps)."""
        return {
            "format": _FORMAT,
            "source": self.source,
            "providers": sorted(self.providers),
            "models": {
                n: [m.provider, m.price_id, m.context_window] for n, m in self.models.items()
            },
            "keys": self.keys,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelIndex:
        """Rebuild an index written by `to_json`."""
        models = {
            name: IndexedModel(name, provider, price_id, window)
            for name, (provider, price_id, window) in data["models"].items()
        }
        return cls(models, data["keys"], data["providers"], data["source"])


def _ident(model: IndexedModel) -> tuple[str, str]:
    return model.provider, model.price_id


def build_index(providers: Iterable[Any], source: str) -> ModelIndex:
    """Build the index from genai-prices ``Provider`` objects (or look-alikes).

    Examples:
        >>> from types import SimpleNamespace as NS
        >>> host = NS(id="host", models=[NS(id="org/Big-Model-Instruct", context_window=8000)])
        >>> maker = NS(id="mistral", models=[NS(id="big-model", context_window=32000)])
        >>> index = build_index([host, maker], "demo")
        >>> index.find("big-model").price_id, index.find("BigModel").context_window
        ('big-model', 32000)
        >>> index.find("big-model", provider="host").name
        'host/big-model-instruct'
    """
    rank = {p: i for i, p in enumerate(FIRST_PARTY)}
    candidates: dict[str, list[tuple[tuple[int, int, int], IndexedModel]]] = {}
    models: dict[str, IndexedModel] = {}
    keys: dict[str, str] = {}
    provider_ids: list[str] = []
    for provider in providers:
        pid = str(provider.id)
        provider_ids.append(pid)
        maker = rank.get(pid, len(rank))
        for model in provider.models:
            window = model.context_window
            if not isinstance(window, int) or window <= 0:
                continue
            base = base_name(str(model.id))
            own = IndexedModel(f"{pid}/{base}", pid, str(model.id), window)
            entry = IndexedModel(base, pid, str(model.id), window)
            undated = strip_snapshot(base)
            forms = {squash(base): 0}
            for form in (stem(base), undated, stem(undated)):
                forms.setdefault(squash(form), 1)
            for key, loose in forms.items():
                # The maker's own entry first, then the exact name, then the largest window.
                order = (maker, loose, -window)
                candidates.setdefault(key, []).append((order, entry))
                candidates.setdefault(f"{pid}/{key}", []).append(((0, loose, -window), own))
    for key, found in candidates.items():
        best = min(found, key=lambda pair: pair[0])[1]
        keys[key] = models.setdefault(best.name, best).name
    return ModelIndex(models, keys, provider_ids, source)


_LOCK = threading.Lock()
_loaded: list[ModelIndex] = []  # the index, once built: one per process


def model_index() -> ModelIndex:
    """Return the index of genai-prices' models, built once per process (and cached on disk).

    Returns an empty index when genai-prices is not installed.

    Examples:
        >>> len(model_index()) > 1000
        True
        >>> model_index().find("GPT4o").name
        'gpt-4o'
    """
    with _LOCK:
        if not _loaded:
            _loaded.append(_load())
        return _loaded[0]


def _data_file() -> Path | None:
    spec = importlib.util.find_spec("genai_prices")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data.py"
    return path if path.is_file() else None


def _load() -> ModelIndex:
    data_file = _data_file()
    if data_file is None:
        return ModelIndex({}, {}, (), "genai-prices (not installed)")
    stat = data_file.stat()
    ident = f"{_FORMAT}|{data_file}|{stat.st_size}|{stat.st_mtime_ns}"
    # One entry per genai-prices install (see the vocabulary cache): the path names the prefix.
    prefix = f"models-{hashlib.blake2b(str(data_file).encode(), digest_size=4).hexdigest()}-"
    entry = f"{prefix}{hashlib.blake2b(ident.encode(), digest_size=8).hexdigest()}.json"
    cached = read_entry(entry)
    if cached is not None:
        try:
            data = cast("dict[str, Any]", json.loads(cached))
            if data.get("format") == _FORMAT:
                return ModelIndex.from_json(data)
        except (ValueError, KeyError, TypeError):
            pass  # not ours or damaged: rebuild it
    from importlib.metadata import version

    from genai_prices import data as genai_data  # the slow import this cache avoids

    index = build_index(genai_data.providers, f"genai-prices {version('genai-prices')}")
    write_entry(entry, json.dumps(index.to_json(), separators=(",", ":")).encode(), replaces=prefix)
    return index
