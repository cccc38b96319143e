"""``aif count``: the input tokens of a request, as the provider counts them."""

from __future__ import annotations

from typing import Annotated

import typer

from aifkit._cli._count_fast import count

__all__ = ["count_command"]


def count_command(
    input: Annotated[str, typer.Argument(help="A JSON request body: a path, or - for stdin.")],
    format: Annotated[str, typer.Option("--format", "-f", help="Format of INPUT.")],
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help="Model to count for; default: the one INPUT names."),
    ] = None,
    models_file: Annotated[
        str | None,
        typer.Option("--models", help="A TOML or JSON file of extra models to know."),
    ] = None,
) -> None:
    """Count the input tokens of a request body: total, per message, and whether exact.

    Prints JSON: "total" (the prompt tokens the provider bills), the parts
    ("instructions", "messages", "tools", "overhead"), "exact" and
    "error_bound" (estimates for models without a public tokenizer), and the
    model's "context_window". Nothing is sent anywhere.
    """
    count(input, format, model, models_file)
