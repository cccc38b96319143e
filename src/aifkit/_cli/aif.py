"""``aif convert``, ``aif validate``, ``aif schema`` and ``aif formats``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aifkit._cli._io import read_json, write_json
from aifkit._json import one_line

if TYPE_CHECKING:
    from aifkit.errors import InvalidInputError

__all__ = ["convert_command", "formats_command", "schema_command", "validate_command"]

Input = Annotated[str, typer.Argument(help="A JSON request body: a path, or - for stdin.")]


def convert_command(
    input: Input,
    source: Annotated[
        str,
        typer.Option("--from", help="Format of INPUT (see `aif formats`), or auto to guess it."),
    ],
    target: Annotated[str, typer.Option("--to", help="Format to write.")],
    output: Annotated[
        str | None, typer.Option("-o", "--output", help="Write the body here, not stdout.")
    ] = None,
    loss_report: Annotated[
        str | None, typer.Option("--loss-report", help="Write the loss report (JSON) here.")
    ] = None,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Exit 3, writing nothing, if anything would be dropped."),
    ] = False,
    reasoning: Annotated[
        str,
        typer.Option(
            metavar="[drop|text]",
            help="Reasoning the target cannot replay: drop it, or keep it as text.",
        ),
    ] = "drop",
    model: Annotated[
        str | None,
        typer.Option(
            help="The target's model: for INPUT naming none (a2a, mcp) or another provider's."
        ),
    ] = None,
    response: Annotated[
        bool,
        typer.Option(
            "--response",
            help="INPUT is a non-streamed response body (a chat.completion, a message, ...).",
        ),
    ] = False,
) -> None:
    """Convert a request (or, with --response, a response) body between wire formats."""
    from aifkit.aif import EncodeOptions, convert
    from aifkit.errors import UsageError

    if reasoning not in ("drop", "text"):
        raise UsageError(f"--reasoning must be drop or text, not {reasoning!r}")
    from aifkit.errors import InvalidInputError

    options = EncodeOptions(reasoning="drop" if reasoning == "drop" else "text", model=model)
    given = read_json(input)
    if source == "auto" and response:
        raise UsageError(
            "--from auto guesses request bodies only", hint="name the response's format with --from"
        )
    if source == "auto":
        source = _guess(given, "--from")
    try:
        body, report = convert(
            given,
            source=source,
            target=target,
            strict=strict,
            options=options,
            kind="response" if response else "request",
        )
    except InvalidInputError as exc:
        raise _misread(exc, given, source, "--from") if not response else exc from None
    write_json(body, output)
    if loss_report is not None:
        write_json(report.to_json(), loss_report)
    if report.dropped and not strict:
        print(
            f"aif: {len(report.dropped)} item(s) dropped; see --loss-report for what and where",
            file=sys.stderr,
        )
        other = None if response else _looks_like(given, source)
        if other is not None:
            print(
                f"aif: this looks like {other}, not {source} (try --from {other})", file=sys.stderr
            )


def validate_command(
    input: Input,
    format: Annotated[str, typer.Option("--format", "-f", help="Format of INPUT.")],
) -> int:
    """Check a body against a format's rules; exit 2 naming each violated rule."""
    from aifkit.aif import validate

    body = read_json(input)
    if format == "auto":
        format = _guess(body, "--format")
    violations = validate(body, format)
    write_json({"valid": not violations, "violations": [v.to_json() for v in violations]})
    for v in violations:  # one line each, whatever the body holds
        print(f"aif: {one_line(str(v), 2000)}", file=sys.stderr)
    other = _looks_like(body, format) if violations else None
    if other is not None:
        print(f"aif: this looks like {other}, not {format} (try --format {other})", file=sys.stderr)
    return 2 if violations else 0


def _guess(body: Any, option: str) -> str:
    """The format ``body`` most likely is in, said in one line on stderr."""
    from aifkit.aif import detect_format
    from aifkit.errors import UsageError

    guesses = detect_format(body)
    if not guesses:
        raise UsageError(
            f"{option} auto: no format reads this body", hint=f"give {option} (see `aif formats`)"
        )
    best = guesses[0]
    also = [g.format for g in guesses[1:3] if g.score == best.score]
    why = ", ".join(best.evidence[:3])
    tied = f"; as likely: {', '.join(also)}" if also else ""
    print(f"aif: {option} auto: reading it as {best.format} (it has {why}){tied}", file=sys.stderr)
    return best.format


def _misread(exc: InvalidInputError, body: Any, source: str, option: str) -> InvalidInputError:
    """``exc``, saying which format the body looks like when that is not ``source``."""
    from aifkit.errors import InvalidInputError

    other = _looks_like(body, source)
    if other is None:
        return exc
    hint = f"this looks like {other}, not {source} (try {option} {other})"
    return InvalidInputError(exc.pointer, exc.problem, hint=hint)


def _looks_like(body: Any, source: str) -> str | None:
    """Another format ``body`` more likely is in than ``source``, if there is one."""
    from aifkit.aif import detect_format

    guesses = detect_format(body)
    if not guesses or guesses[0].format == source:
        return None
    given = next((g for g in guesses if g.format == source), None)
    best = guesses[0]
    if given is None or (best.score > given.score and best.violations < given.violations):
        return best.format
    return None


def schema_command() -> None:
    """Print the JSON Schema of AIF documents."""
    from aifkit.aif import json_schema

    write_json(json_schema())


def formats_command(
    capabilities: Annotated[
        bool,
        typer.Option("--capabilities", help="Print what each format carries, as a Markdown table."),
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the capability declarations as JSON (implies --capabilities)."
        ),
    ] = False,
) -> None:
    """List the known wire formats, or what each of them carries (--capabilities)."""
    from aifkit import aif

    names = aif.formats()
    if not (capabilities or as_json):
        for name in names:
            print(name)
        return
    caps = {name: aif.capabilities(name) for name in names}
    if as_json:
        write_json(
            {
                name: {"carries": dict(c.carries), "rules": dict(c.rules), "notes": dict(c.notes)}
                for name, c in caps.items()
            },
            None,
        )
        return
    print(aif.capability_table(caps))
