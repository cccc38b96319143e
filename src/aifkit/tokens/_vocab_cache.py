"""Parsed vocabularies kept on disk, so a process does not parse them again.

Building ``o200k_base`` from its file means decompressing 3.6 MB, hashing it and
decoding 200,000 base64 lines: most of what ``aif count`` spent before counting.
The first process that does it stores the resulting ``{token bytes: rank}`` table
in the user cache (`aifkit.tokens._disk_cache`) with `marshal`, which reads back
several times faster than the text can be parsed. An entry is named after the
vocabulary file it came from (path, size, modification time) and the SHA-256
tiktoken expects of it, so a changed or different file is parsed (and checked)
again; the payload carries its own digest, so a damaged entry is ignored.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from aifkit.tokens._disk_cache import read_entry, write_entry

__all__ = ["cached_ranks"]

_FORMAT = 1


def cached_ranks(
    path: Path, expected_hash: str | None, parse: Callable[[], dict[bytes, int]]
) -> dict[bytes, int]:
    """Return the ranks of vocabulary file ``path``: from the cache, or ``parse()`` and keep them.

    ``parse`` must check the file (it raises when the file is missing or wrong); it
    is called whenever no intact entry exists for this exact file.

    Examples:
        >>> import os, tempfile
        >>> os.environ["AIFKIT_CACHE_DIR"] = tempfile.mkdtemp()
        >>> vocab = Path(tempfile.mkdtemp()) / "tiny.tiktoken.gz"
        >>> _ = vocab.write_bytes(b"demo")
        >>> cached_ranks(vocab, "abc", lambda: {b"a": 0, b"b": 1})
        {b'a': 0, b'b': 1}
        >>> cached_ranks(vocab, "abc", lambda: {})  # read back: not parsed again
        {b'a': 0, b'b': 1}
        >>> del os.environ["AIFKIT_CACHE_DIR"]
    """
    try:
        stat = path.stat()
    except OSError:
        return parse()  # parse says what is wrong with the file
    ident = f"{_FORMAT}|{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{expected_hash}"
    # One entry per vocabulary file: another install's copy (another venv sharing the
    # user cache) keeps its own entry instead of replacing this one on every switch.
    where = hashlib.blake2b(str(path.resolve()).encode(), digest_size=4).hexdigest()
    prefix = f"ranks-{path.name.split('.', 1)[0]}-{where}-"
    name = f"{prefix}{hashlib.blake2b(ident.encode(), digest_size=12).hexdigest()}.marshal"
    payload = read_entry(name)
    if payload is not None:
        try:
            ranks: Any = marshal.loads(payload)
        except (ValueError, EOFError, TypeError):
            ranks = None
        if isinstance(ranks, dict):
            return cast("dict[bytes, int]", ranks)
    ranks = parse()
    write_entry(name, marshal.dumps(ranks), replaces=prefix)
    return ranks
