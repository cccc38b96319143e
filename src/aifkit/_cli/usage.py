"""``aif usage``: token use, cost and consumption patterns of a session."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from aifkit._cli._io import read_json, read_lines, write_json

__all__ = ["usage_command"]


def usage_command(
    responses: Annotated[
        list[str],
        typer.Argument(help="Provider responses: JSON files, JSONL files (one a line), or -."),
    ],
    model: Annotated[
        str | None, typer.Option(help="The model, when the responses do not name it.")
    ] = None,
    ledger: Annotated[
        str | None, typer.Option(help="Also write the records here as JSON Lines.")
    ] = None,
    otel: Annotated[
        bool, typer.Option("--otel", help="Print OpenTelemetry GenAI attributes per request.")
    ] = False,
) -> None:
    """Sum the usage the provider reported, price it, and describe the session."""
    from aifkit.budget import Ledger, usage_from_response

    book = Ledger()
    for source in responses:
        for body in _bodies(source):
            book.record(usage_from_response(body, model=model))
    if ledger is not None:
        book.save(ledger)
    summary = book.summary()
    if otel:
        summary["otel"] = [book.otel_attributes(r) for r in book]
    write_json(summary)


def _bodies(source: str) -> list[Any]:
    if source != "-" and source.endswith(".jsonl"):
        return read_lines(source)
    data = read_json(source)
    return data if isinstance(data, list) else [data]  # pyright: ignore[reportUnknownVariableType]
