"""Reading inputs and writing outputs for commands."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

from aifkit.aif._codec import parse_json
from aifkit.errors import UsageError

__all__ = ["read_chunks", "read_json", "write_json"]

_CHUNK = 64 * 1024


def read_json(source: str) -> Any:
    """Read JSON from a path, or from stdin when ``source`` is ``-``."""
    if source == "-":
        return parse_json(sys.stdin.buffer.read())
    path = Path(source)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{source}: no such file", hint="pass a path, or - for stdin") from None
    except OSError as exc:
        raise UsageError(f"{source}: cannot read ({exc.strerror})") from None
    return parse_json(data)


def dumps(value: Any) -> str:
    """Serialize ``value`` as the CLI prints JSON: indented, UTF-8 as is."""
    return json.dumps(value, indent=2, ensure_ascii=False)


def write_json(value: Any, path: str | None = None) -> None:
    """Write ``value`` as JSON to ``path``, or to stdout when ``path`` is None or ``-``."""
    text = dumps(value) + "\n"
    if path is None or path == "-":
        sys.stdout.write(text)
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot write ({exc.strerror})") from None


def read_chunks(source: str) -> Iterator[bytes]:
    """Yield the bytes of a path, or of stdin when ``source`` is ``-``, as they arrive.

    ``read1`` returns what a pipe has now rather than waiting for a full chunk, so a
    live stream is passed on as it comes.
    """
    if source == "-":
        stdin = sys.stdin.buffer
        read = cast("Callable[[int], bytes]", getattr(stdin, "read1", stdin.read))
        yield from iter(functools.partial(read, _CHUNK), b"")
        return
    try:
        with Path(source).open("rb") as f:
            yield from iter(functools.partial(f.read1, _CHUNK), b"")
    except FileNotFoundError:
        raise UsageError(f"{source}: no such file", hint="pass a path, or - for stdin") from None
    except OSError as exc:
        raise UsageError(f"{source}: cannot read ({exc.strerror})") from None
