"""A per-user cache on disk for data that is slow to build and the same in every process.

The parsed vocabularies and the model index are built once and kept here, so the
next process reads them instead of rebuilding them. Each entry is a file named by
what it was built from (its inputs' hash), holding a payload and its BLAKE2b
digest: a truncated, corrupted or foreign file is ignored and rebuilt. The cache
is an optimisation only: when it cannot be written (a read-only home, a full
disk), everything still works, just slower.

The folder is ``$AIFKIT_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/aifkit``, else
the platform's cache folder (``~/.cache/aifkit`` on Linux,
``~/Library/Caches/aifkit`` on macOS, ``%LOCALAPPDATA%\\aifkit\\Cache`` on Windows).
Setting ``AIFKIT_CACHE_DIR`` to an empty string turns the cache off.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["cache_dir", "read_entry", "write_entry"]

_MAGIC = b"aifkit-cache-1\n"
_DIGEST = 32


def cache_dir() -> Path | None:
    """Return the cache folder (not created), or None when caching is turned off.

    Examples:
        >>> import os
        >>> os.environ["AIFKIT_CACHE_DIR"] = "/tmp/aifkit-doctest-cache"
        >>> str(cache_dir())
        '/tmp/aifkit-doctest-cache'
        >>> os.environ["AIFKIT_CACHE_DIR"] = ""
        >>> cache_dir() is None
        True
        >>> del os.environ["AIFKIT_CACHE_DIR"]
    """
    explicit = os.environ.get("AIFKIT_CACHE_DIR")
    if explicit is not None:
        return Path(explicit) if explicit else None
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "aifkit"
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return Path(base) / "aifkit" / "Cache" if base else None
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "aifkit"
    return Path.home() / ".cache" / "aifkit"


def read_entry(name: str) -> bytes | None:
    """Return the payload stored under ``name``, or None if absent or not intact.

    Examples:
        >>> import os, tempfile
        >>> os.environ["AIFKIT_CACHE_DIR"] = tempfile.mkdtemp()
        >>> read_entry("demo") is None
        True
        >>> write_entry("demo", b"payload")
        True
        >>> read_entry("demo")
        b'payload'
        >>> del os.environ["AIFKIT_CACHE_DIR"]
    """
    folder = cache_dir()
    if folder is None:
        return None
    try:
        data = (folder / name).read_bytes()
    except OSError:
        return None
    head = len(_MAGIC) + _DIGEST
    if len(data) < head or not data.startswith(_MAGIC):
        return None
    digest, payload = data[len(_MAGIC) : head], data[head:]
    if hashlib.blake2b(payload, digest_size=_DIGEST).digest() != digest:
        return None
    return payload


def write_entry(name: str, payload: bytes, *, replaces: str | None = None) -> bool:
    """Store ``payload`` under ``name`` atomically; return whether it was stored.

    A concurrent reader sees the old entry or the new one, never half of one.

    Args:
        name: The entry's file name.
        payload: What to keep.
        replaces: A name prefix: other entries starting with it are outdated versions
            of this one (built from an older file) and are deleted.
    """
    folder = cache_dir()
    if folder is None:
        return False
    digest = hashlib.blake2b(payload, digest_size=_DIGEST).digest()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(_MAGIC + digest + payload)
            os.replace(tmp, folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    if replaces:
        for stale in folder.glob(f"{replaces}*"):
            if stale.name != name:
                stale.unlink(missing_ok=True)
    return True
