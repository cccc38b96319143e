"""Short ASCII texts encoded without building tiktoken's encoder.

Building a `tiktoken.Encoding` for ``o200k_base`` means reading 200,000 ranks into
a dict and handing them to tiktoken's Rust core, which copies them into its own
tables: over 150 ms, most of what ``aif count`` spends on a one-message body. A
`QuickBPE` answers the same question for a short ASCII text without either step:
the ranks live in a hash table kept in the user cache (`aifkit.tokens._disk_cache`)
that is looked up in place, and the merge is tiktoken's own algorithm (split with
the encoding's pattern; a pre-token that is a whole token is that token; otherwise
merge the lowest-ranked adjacent pair, leftmost first, until no pair is a token).

It declines (returns None) whatever it is not made for: non-ASCII text, where
Unicode tables of two regex engines could disagree, text past `MAX_CHARS`, a
merge past `MAX_WORK`, or any text once `MAX_TOTAL_CHARS` are spent (a large body
is tokenized faster by the real encoder); the caller then builds the real encoding. The table is
written by the process that builds the encoding first and named after what its
content depends on (tiktoken's encoding definitions and the vocabulary files), so
an upgrade of either builds a new one.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import os
import struct
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from aifkit.tokens._disk_cache import cache_dir, read_entry, write_entry

if TYPE_CHECKING:
    import regex

__all__ = ["MAX_CHARS", "MAX_TOTAL_CHARS", "MAX_WORK", "QuickBPE", "load_quick", "store_quick"]

MAX_CHARS = 4096
"""The longest text a `QuickBPE` encodes; longer ones pay for the real encoder once."""
MAX_TOTAL_CHARS = 50_000
"""The characters one `QuickBPE` encodes in all (~40 ms); then the real encoder is cheaper."""
MAX_WORK = 50_000
"""Merge work one text may take: the squared lengths of the pre-tokens that are not one
token, summed (the merge rescans a pre-token after each step). 50,000 is a few ms."""

_MAGIC = b"aifkit-bpe-1\n"
_HEAD = struct.Struct("<II")  # slot count, pattern length
_SLOT = struct.Struct("<II")  # key offset << 8 | key length (0: empty), rank
_FORMAT = 1


class QuickBPE:
    """Encode short ASCII texts with a vocabulary table built by `build_table`.

    Examples:
        >>> quick = QuickBPE(build_table({b"a": 0, b"b": 1, b"ab": 2, b" ": 3}, r"\\w+| "))
        >>> quick.encode("ab a b")
        [2, 3, 0, 3, 1]
        >>> quick.encode("é") is None  # not ASCII: declined
        True
    """

    def __init__(self, table: bytes) -> None:
        if not table.startswith(_MAGIC):
            raise ValueError("not a vocabulary table")
        slots, pattern_length = _HEAD.unpack_from(table, len(_MAGIC))
        start = len(_MAGIC) + _HEAD.size
        self._pat_str = table[start : start + pattern_length].decode()
        self._pattern: regex.Pattern[str] | None = None
        self._table = table
        self._slots = start + pattern_length
        self._blob = self._slots + slots * _SLOT.size
        self._mask = slots - 1
        self._spent = 0

    def encode(self, text: str) -> list[int] | None:
        """Return the token ids of ``text`` as tiktoken's ``encode_ordinary`` does, or None."""
        if len(text) > MAX_CHARS or not text.isascii():
            return None
        self._spent += len(text)
        if self._spent > MAX_TOTAL_CHARS:
            return None
        if self._pattern is None:
            import regex  # tiktoken's own dependency, and its reference implementation's engine

            self._pattern = regex.compile(self._pat_str)
        rank = self._rank
        budget = MAX_WORK
        ids: list[int] = []
        for piece in self._pattern.findall(text):
            key = piece.encode()
            whole = rank(key)
            if whole is not None:
                ids.append(whole)
                continue
            budget -= len(key) ** 2
            if budget < 0:
                return None
            ids.extend(self._merge(key))
        return ids

    def _merge(self, piece: bytes) -> list[int]:
        # tiktoken's _byte_pair_merge: parts[i] = (start, rank of parts i and i+1 joined).
        rank = self._rank
        none = 1 << 32
        parts = [(i, rank(piece[i : i + 2])) for i in range(len(piece) - 1)]
        parts = [(i, none if r is None else r) for i, r in parts]
        parts += [(len(piece) - 1, none), (len(piece), none)]

        def joined(i: int) -> int:
            if i + 3 < len(parts):
                found = rank(piece[parts[i][0] : parts[i + 3][0]])
                return none if found is None else found
            return none

        while True:
            best, at = none, -1
            for i in range(len(parts) - 1):
                if parts[i][1] < best:
                    best, at = parts[i][1], i
            if at < 0:
                break
            if at > 0:
                parts[at - 1] = (parts[at - 1][0], joined(at - 1))
            parts[at] = (parts[at][0], joined(at))
            del parts[at + 1]
        ids: list[int] = []
        for (start, _), (end, _) in itertools.pairwise(parts):
            found = rank(piece[start:end])
            if found is None:  # every single byte is a token in a byte-level BPE
                raise ValueError(f"vocabulary table has no token for {piece[start:end]!r}")
            ids.append(found)
        return ids

    def _rank(self, key: bytes) -> int | None:
        table, mask, base = self._table, self._mask, self._slots
        wanted = len(key)
        i = zlib.crc32(key) & mask
        while True:
            packed, rank = _SLOT.unpack_from(table, base + i * _SLOT.size)
            if not packed:
                return None
            if packed & 0xFF == wanted:
                offset = self._blob + (packed >> 8)
                if table[offset : offset + wanted] == key:
                    return rank
            i = (i + 1) & mask


def build_table(ranks: Mapping[bytes, int], pat_str: str) -> bytes:
    """Return the table `QuickBPE` reads: the pattern, an open-addressing hash of ranks, the keys.

    Examples:
        >>> QuickBPE(build_table({b"hi": 7}, r"\\w+"))._rank(b"hi")
        7
    """
    slots = 8
    while slots < 2 * len(ranks):
        slots *= 2
    mask = slots - 1
    table = bytearray(slots * _SLOT.size)
    blob = bytearray()
    for key, rank in ranks.items():
        if not 0 < len(key) < 256:
            raise ValueError(f"token {key!r} is too long for a vocabulary table")
        i = zlib.crc32(key) & mask
        while _SLOT.unpack_from(table, i * _SLOT.size)[0]:
            i = (i + 1) & mask
        _SLOT.pack_into(table, i * _SLOT.size, len(blob) << 8 | len(key), rank)
        blob += key
    pattern = pat_str.encode()
    return b"".join((_MAGIC, _HEAD.pack(slots, len(pattern)), pattern, table, blob))


def load_quick(name: str) -> QuickBPE | None:
    """Return the `QuickBPE` of built-in encoding ``name`` from the cache, or None if not kept."""
    entry = _entry_name(name)
    payload = read_entry(entry) if entry is not None else None
    if payload is None:
        return None
    try:
        return QuickBPE(payload)
    except (ValueError, struct.error, UnicodeDecodeError):
        return None


def store_quick(name: str, ranks: Mapping[bytes, int], pat_str: str) -> None:
    """Keep the table of built-in encoding ``name`` for the next process (when there is none)."""
    if cache_dir() is None:  # caching is off: the table would be built and thrown away
        return
    entry = _entry_name(name)
    if entry is None or read_entry(entry) is not None:
        return
    try:
        table = build_table(ranks, pat_str)
    except ValueError:
        return  # a vocabulary this table cannot hold: the real encoder serves it
    write_entry(entry, table, replaces=entry.rsplit("-", 1)[0] + "-")


def _entry_name(name: str) -> str | None:
    # What the table holds depends on tiktoken's encoding definitions (the pattern, which
    # file) and on the vocabulary files: their paths, sizes and modification times name it.
    from aifkit.errors import MissingDependencyError
    from aifkit.tokens._openai_files import bundled_data_dir

    spec = importlib.util.find_spec("tiktoken_ext.openai_public")
    if spec is None or spec.origin is None:
        return None
    try:
        files = [Path(spec.origin), *sorted(bundled_data_dir().glob("*.tiktoken.gz"))]
        stats = [(str(path.resolve()), os.stat(path)) for path in files]
    except (MissingDependencyError, OSError):
        return None
    ident = "|".join(f"{path}:{st.st_size}:{st.st_mtime_ns}" for path, st in stats)
    where = hashlib.blake2b(stats[0][0].encode(), digest_size=4).hexdigest()
    digest = hashlib.blake2b(f"{_FORMAT}|{name}|{ident}".encode(), digest_size=12).hexdigest()
    return f"bpe-{name}-{where}-{digest}.table"
