"""``aif stream``: streamed replies (raw streams), translated between formats as they arrive."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from aifkit._cli._io import read_chunks
from aifkit._cli._main import guard

__all__ = ["stream_app"]

stream_app = typer.Typer(
    name="stream",
    help="Streamed replies (raw streams): translate one provider's stream to another's.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@stream_app.command("translate")
@guard
def translate_command(
    source: Annotated[
        str, typer.Option("--from", metavar="STREAM_FORMAT", help="The stream's format.")
    ],
    target: Annotated[
        str, typer.Option("--to", metavar="STREAM_FORMAT", help="The format to write.")
    ],
    input: Annotated[
        str, typer.Argument(help="The raw stream: a path, or - for stdin (the default).")
    ] = "-",
) -> None:
    """Translate a streamed reply from one format's stream to another's; write it to stdout.

    Each event is written (and flushed) as soon as the input completes it, so a
    live stream piped through keeps its time to first byte. A malformed or
    cut-short stream exits 2 naming the event at fault, after what was written.
    """
    from aifkit.aif import translate_stream

    out = sys.stdout.buffer
    for frames in translate_stream(read_chunks(input), source=source, target=target):
        out.write(frames)
        out.flush()
