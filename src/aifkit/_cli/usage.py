"""``aif usage``: token use, cost and consumption patterns of a session."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from aifkit._cli._io import read_json, read_lines, write_json

__all__ = ["usage_command"]


def usage_command(
    responses: Annotated[
        list[str] | None,
        typer.Argument(help="Provider responses: JSON files, JSONL files (one a line), or -."),
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="The model, when the responses do not name it.")
    ] = None,
    ledger: Annotated[
        str | None, typer.Option(help="Also write the records here as JSON Lines.")
    ] = None,
    otel: Annotated[
        bool, typer.Option("--otel", help="Print OpenTelemetry GenAI attributes per request.")
    ] = False,
    gateway_ledger: Annotated[
        str | None,
        typer.Option(help="Also read every request recorded in this gateway ledger (aif serve)."),
    ] = None,
) -> None:
    """Sum the usage the provider reported, price it, and describe the session.

    Reads the usage of OpenAI (Chat, Responses), Anthropic, Gemini, Bedrock Converse,
    Cohere, Mistral and Ollama responses; Bedrock and Cohere name no model: pass --model.
    """
    from aifkit.budget import Ledger, usage_from_response
    from aifkit.errors import UsageError

    if not responses and gateway_ledger is None:
        raise UsageError("give provider responses, or --gateway-ledger PATH", hint="see aif usage --help")  # fmt: skip
    book = Ledger()
    for source in responses or []:
        for body in _bodies(source):
            book.record(usage_from_response(body, model=model))
    gateway = _gateway(book, gateway_ledger) if gateway_ledger is not None else None
    if ledger is not None:
        book.save(ledger)
    summary = book.summary()
    if gateway is not None:
        summary["gateway"] = gateway
    if otel:
        summary["otel"] = [book.otel_attributes(r) for r in book]
    write_json(summary)


def _gateway(book: Any, path: str) -> dict[str, Any]:
    # The gateway's requests join the session; its own totals (tokens saved by
    # packing, errors, latency) come along as they are.
    from aifkit.errors import UsageError
    from aifkit.gateway import GatewayLedger

    if not Path(path).is_file():
        raise UsageError(f"no gateway ledger at {path!r}", hint="pass the file aif serve --ledger wrote")  # fmt: skip
    ledger = GatewayLedger(path)
    try:
        for usage in ledger.usage():
            book.record(usage)
        return ledger.stats()
    finally:
        ledger.close()


def _bodies(source: str) -> list[Any]:
    if source != "-" and source.endswith(".jsonl"):
        return read_lines(source)
    data = read_json(source)
    return data if isinstance(data, list) else [data]  # pyright: ignore[reportUnknownVariableType]
