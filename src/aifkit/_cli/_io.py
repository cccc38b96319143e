"""Reading inputs and writing outputs for commands.

Input is read with its limit: at most `MAX_INPUT_BYTES` + 1 bytes are read from a
file or stdin, so ``aif count /dev/zero`` fails at once instead of reading forever.
Output is JSON or nothing: a value JSON cannot carry is an error before a byte
is written.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

from aifkit.aif._codec import MAX_INPUT_BYTES, parse_json
from aifkit.errors import InvalidInputError, UsageError

__all__ = [
    "MAX_INPUT_BYTES",
    "dumps",
    "read_bytes",
    "read_chunks",
    "read_json",
    "read_json_object",
    "read_lines",
    "write_json",
]

_CHUNK = 64 * 1024


def read_bytes(source: str, *, max_bytes: int | None = None) -> bytes:
    """Read a path, or stdin when ``source`` is ``-``, refusing more than ``max_bytes``.

    Raises:
        UsageError: the file does not exist or cannot be read.
        InvalidInputError: it holds more than ``max_bytes`` (default `MAX_INPUT_BYTES`).
    """
    limit = MAX_INPUT_BYTES if max_bytes is None else max_bytes
    if source == "-":
        return _read_limited(sys.stdin.buffer, source, limit)
    try:
        with Path(source).open("rb") as f:
            return _read_limited(f, source, limit)
    except FileNotFoundError:
        raise UsageError(f"{source}: no such file", hint="pass a path, or - for stdin") from None
    except IsADirectoryError:
        raise UsageError(f"{source}: is a directory", hint="pass a file, or - for stdin") from None
    except OSError as exc:
        raise UsageError(f"{source}: cannot read ({exc.strerror})") from None


def _read_limited(stream: BinaryIO, source: str, limit: int) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        name = "stdin" if source == "-" else source
        raise InvalidInputError(
            "",
            f"{name} is over the limit of {limit:,} bytes",
            hint="split the input; aifkit reads at most this much",
        )
    return data


def read_json(source: str) -> Any:
    """Read JSON from a path, or from stdin when ``source`` is ``-``.

    Raises:
        UsageError: the file does not exist or cannot be read.
        InvalidInputError: it is too large, not UTF-8, not JSON, or holds what
            `aifkit.aif._codec.parse_json` refuses.
    """
    return parse_json(read_bytes(source))


def read_json_object(source: str, what: str) -> dict[str, Any]:
    """Read a JSON object (as `read_json`); anything else is an error naming ``what``."""
    from aifkit._json import type_name

    value = read_json(source)
    if not isinstance(value, dict):
        raise UsageError(
            f"{source}: {what} must be a JSON object, not {type_name(value)}",
            hint='e.g. {"ticket": 42}',
        )
    return cast("dict[str, Any]", value)


def read_lines(source: str) -> list[Any]:
    """Read JSON Lines (one JSON value a line; blank lines skipped), as `read_json` reads.

    Errors point at the line: ``/3`` is the fourth line.
    """
    data = read_bytes(source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            "", f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start:,})"
        ) from None
    out: list[Any] = []
    for i, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            out.append(parse_json(line))
        except InvalidInputError as exc:
            raise InvalidInputError(
                f"/{i}{exc.pointer}", f"line {i + 1}: {exc.problem}", hint=exc.hint
            ) from None
    return out


def dumps(value: Any) -> str:
    """Serialize ``value`` as the CLI prints JSON: indented, UTF-8 as is.

    Raises:
        InvalidInputError: ``value`` holds NaN or Infinity, or a lone surrogate,
            which JSON text cannot carry (the input check should have refused it).
    """
    try:
        text = json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        raise InvalidInputError(
            "", f"the result cannot be written as JSON ({exc})", hint="check the input"
        ) from None
    surrogate = None if text.isascii() else _SURROGATE.search(text)
    if surrogate is not None:
        raise InvalidInputError(
            "",
            f"the result holds a lone surrogate (U+{ord(surrogate.group()):04X})",
            hint="check the input for \\ud800-\\udfff escapes",
        )
    return text


_SURROGATE = re.compile("[\ud800-\udfff]")


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


def read_chunks(source: str, *, max_bytes: int | None = None) -> Iterator[bytes]:
    """Yield the bytes of a path, or of stdin when ``source`` is ``-``, as they arrive.

    ``read1`` returns what a pipe has now rather than waiting for a full chunk, so a
    live stream is passed on as it comes. More than ``max_bytes`` (default
    `MAX_INPUT_BYTES`) is refused as soon as it is read, as `read_bytes` refuses it.
    """
    limit = MAX_INPUT_BYTES if max_bytes is None else max_bytes
    seen = 0
    for chunk in _chunks(source):
        seen += len(chunk)
        if seen > limit:
            name = "stdin" if source == "-" else source
            raise InvalidInputError(
                "",
                f"{name} is over the limit of {limit:,} bytes",
                hint="split the input; aifkit reads at most this much",
            )
        yield chunk


def _chunks(source: str) -> Iterator[bytes]:
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
