"""``aif pack`` and ``aif trim``: a request body within a token budget, in the same format."""

from __future__ import annotations

import sys
from collections.abc import Generator
from contextlib import contextmanager
from typing import Annotated

import typer

from aifkit._cli._io import read_json, write_json

__all__ = ["pack_command", "trim_command"]

# The options the two commands share, declared once.
Input = Annotated[str, typer.Argument(help="A JSON request body: a path, or - for stdin.")]
Format = Annotated[str, typer.Option("--format", "-f", help="Format of INPUT.")]
Model = Annotated[str, typer.Option("--model", "-m", help="The model the request is for.")]
Budget = Annotated[
    int,
    typer.Option(
        "--budget",
        "-b",
        help="The most prompt tokens the request may take, as `aif count` counts them.",
    ),
]
Output = Annotated[
    str | None, typer.Option("-o", "--output", help="Write the body here, not stdout.")
]


@contextmanager
def _naming_reserve() -> Generator[None]:
    """A `BudgetError` raised inside names --reserve in its hint: both commands have it."""
    from aifkit.errors import BudgetError

    try:
        yield
    except BudgetError as exc:
        exc.cli_hint = "raise --budget, lower --reserve, or shorten the current turn"
        raise


def pack_command(
    input: Input,
    format: Format,
    model: Model,
    budget: Budget,
    reserve: Annotated[
        int | None,
        typer.Option("--reserve", help="Tokens to keep for the reply; default: estimated."),
    ] = None,
    compress: Annotated[
        str,
        typer.Option(
            "--compress",
            metavar="METHOD",
            help="Compress before dropping, with this method (listed below), as "
            "aifkit.pack does: auto by default, none to drop only; --explain marks "
            "messages kept shortened compressed, those folded into a summary summarized.",
        ),
    ] = "auto",
    explain: Annotated[
        str | None,
        typer.Option("--explain", help="Write the pack report (JSON) here: every item and why."),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="Keep every elided text in this SQLite file, for aif expand REF --store PATH.",
        ),
    ] = None,
    output: Output = None,
) -> None:
    """Pack a request body within a token budget; print it in the same format.

    Keeps the instructions, the tools and the current turn, never splits a tool
    call from its results, never reorders messages, and drops what scores lowest
    (priority x relevance to the current turn x recency). A pack that would drop
    messages first compresses the conversation (--compress METHOD, default auto:
    content-aware, marking what it elides) and drops only what still does not fit;
    --compress none drops only. An impossible budget exits 2 saying by how much it
    is short; an unknown method exits 2 listing the known ones.
    """
    from aifkit.budget import COMPRESSORS, pack

    method = None if compress == "none" else compress
    if method is not None:
        COMPRESSORS.get(method)  # an unknown name fails now, listing the known ones
    with _naming_reserve():
        result = pack(
            read_json(input),
            format=format,
            model=model,
            budget=budget,
            reserve=reserve,
            compress=method,
        )
    if store is not None and result.elided:  # the markers' refs, answerable by aif expand
        from aifkit.budget import ElisionStore

        kept = ElisionStore(store)
        try:
            kept.save(result.elided)
        finally:
            kept.close()
    write_json(result.body, output)
    if explain is not None:
        write_json(result.report.to_json(), explain)
    report = result.report
    changes = [
        f"{n} item(s) {what}"
        for what, n in (
            ("compressed", sum(i.decision == "compressed" for i in report.items)),
            ("summarized", sum(i.decision == "summarized" for i in report.items)),
            ("dropped", len(report.dropped)),
        )
        if n
    ]
    if changes:
        print(
            f"aif: {report.tokens_before} -> {report.tokens_after} tokens; "
            + ", ".join(changes)
            + ("" if explain else "; see --explain for which and why"),
            file=sys.stderr,
        )


def trim_command(
    input: Input,
    format: Format,
    model: Model,
    budget: Budget,
    reserve: Annotated[
        int | None,
        typer.Option("--reserve", help="Tokens to keep for the reply; default: none."),
    ] = None,
    explain: Annotated[
        str | None,
        typer.Option("--explain", help="Write the trim report (JSON) here: what was kept."),
    ] = None,
    output: Output = None,
) -> None:
    """Keep the newest messages that fit within a token budget; print the body in the same format.

    Keeps the instructions and the tools, then the longest run of the newest
    messages that fits, starting on a user turn, never splitting a tool call from
    its results, as LangChain's trim_messages keeps the last messages.
    Counts from the newest message backwards and tokenizes none older than the
    first that does not fit, so it is cheaper than aif pack, which weighs every
    message by relevance and can compress. An impossible budget exits 2 saying by
    how much it is short.
    """
    from aifkit.budget import trim

    with _naming_reserve():
        result = trim(read_json(input), format=format, model=model, budget=budget, reserve=reserve)
    write_json(result.body, output)
    report = result.report
    if explain is not None:
        write_json(report.to_json(), explain)
    if report.dropped:
        print(
            f"aif: kept the newest {report.kept} of {report.messages} messages "
            f"({report.tokens} tokens); {report.dropped} dropped",
            file=sys.stderr,
        )
