"""``aif assemble``: a streamed response (raw SSE) in, one AIF assistant message out."""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from aifkit._cli._io import write_json

__all__ = ["assemble_command"]

_CHUNK = 64 * 1024


def _chunks(source: str) -> Iterator[bytes]:
    from aifkit.errors import UsageError

    if source == "-":
        yield from iter(functools.partial(sys.stdin.buffer.read, _CHUNK), b"")
        return
    try:
        with Path(source).open("rb") as f:
            yield from iter(functools.partial(f.read, _CHUNK), b"")
    except FileNotFoundError:
        raise UsageError(f"{source}: no such file", hint="pass a path, or - for stdin") from None
    except OSError as exc:
        raise UsageError(f"{source}: cannot read ({exc.strerror})") from None


def assemble_command(
    format: Annotated[
        str,
        typer.Option("--format", "-f", help="openai-chat, openai-responses, anthropic or gemini."),
    ],
    input: Annotated[
        str, typer.Argument(help="The raw SSE stream: a path, or - for stdin (the default).")
    ] = "-",
) -> None:
    """Assemble a streamed response (raw SSE) into one AIF assistant message; print it.

    Reads the stream as it arrives; a malformed or cut-short stream exits 2 naming
    the event at fault.
    """
    from aifkit.aif import assemble

    message = assemble(_chunks(input), format)
    write_json(message.model_dump(mode="json", by_alias=True))
