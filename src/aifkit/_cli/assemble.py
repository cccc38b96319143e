"""``aif assemble``: a streamed response (its raw stream) in, one AIF assistant message out."""

from __future__ import annotations

from typing import Annotated

import typer

from aifkit._cli._io import read_chunks, write_json

__all__ = ["assemble_command"]


def assemble_command(
    format: Annotated[
        str,
        typer.Option("--format", "-f", metavar="STREAM_FORMAT", help="The stream's format."),
    ],
    input: Annotated[
        str,
        typer.Argument(
            help="The raw stream (SSE; Ollama's lines; Bedrock's binary event stream): "
            "a path, or - for stdin (the default)."
        ),
    ] = "-",
) -> None:
    """Assemble a streamed response (its raw stream) into one AIF assistant message; print it.

    Reads the stream as it arrives; a malformed or cut-short stream exits 2 naming
    the event at fault. See also `aif stream translate`.
    """
    from aifkit.aif import assemble

    message = assemble(read_chunks(input), format)
    write_json(message.model_dump(mode="json", by_alias=True))
