"""``aif compress``: a request body compressed toward a ratio or budget, in the same format."""

from __future__ import annotations

import sys
import time
from typing import Annotated, Any

import typer

from aifkit._cli._io import read_json, write_json

__all__ = ["compress_command", "expand_command"]


def compress_command(
    input: Annotated[str, typer.Argument(help="A JSON request body: a path, or - for stdin.")],
    format: Annotated[str, typer.Option("--format", "-f", help="Format of INPUT.")],
    model: Annotated[str, typer.Option("--model", "-m", help="The model whose tokens count.")],
    ratio: Annotated[
        float | None,
        typer.Option(
            "--ratio",
            "-r",
            help="Fraction of the prompt tokens to keep, between 0 and 1 (0.25 keeps a quarter).",
        ),
    ] = None,
    budget: Annotated[
        int | None,
        typer.Option("--budget", "-b", help="The most prompt tokens the result may take."),
    ] = None,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="How to compress (listed below); auto tries them in turn.",
        ),
    ] = "auto",
    query: Annotated[
        str | None,
        typer.Option(
            "--query", help="What kept text should be relevant to; default: the current turn."
        ),
    ] = None,
    protect_last: Annotated[
        int, typer.Option("--protect-last", help="How many of the last messages are never touched.")
    ] = 1,
    report: Annotated[
        str | None,
        typer.Option("--report", help="Write the compression report (JSON) here: every change."),
    ] = None,
    output: Annotated[
        str | None, typer.Option("-o", "--output", help="Write the body here, not stdout.")
    ] = None,
    summary_model: Annotated[
        str | None,
        typer.Option(
            "--summary-model",
            help="With --method summary: summarize with this model on an OpenAI-compatible "
            "endpoint (--summary-base-url or AIFKIT_SUMMARY_BASE_URL; key: OPENAI_API_KEY) "
            "instead of the offline extractive summarizer.",
        ),
    ] = None,
    summary_base_url: Annotated[
        str | None,
        typer.Option("--summary-base-url", help="The endpoint for --summary-model."),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="Keep every elided text in this SQLite file, for aif expand REF --store PATH.",
        ),
    ] = None,
    expand_tool: Annotated[
        bool,
        typer.Option(
            "--expand-tool",
            help="Add the aif_expand(ref) tool to the request, so the model can ask for "
            "elided content (answer it from --store).",
        ),
    ] = False,
) -> None:
    """Compress a request body toward --ratio or --budget; print it in the same format.

    The instructions and the current turn are never compressed, and tool calls keep
    their results. A method that cannot reach the goal (dedupe and clear-tool-output
    only take what they find) says so on stderr; a goal below what is never
    compressed exits 2 saying by how much it is short.
    """
    from aifkit.aif import decode, encode
    from aifkit.budget import CompressionTarget, compress
    from aifkit.errors import UsageError
    from aifkit.tokens import count_tokens

    if (ratio is None) == (budget is None):
        raise UsageError("give exactly one of --ratio and --budget", hint="e.g. --ratio 0.25")
    target = CompressionTarget(
        model, ratio=ratio, budget=budget, query=query, protect_last=protect_last
    )
    if (summary_model or summary_base_url) and method != "summary":
        raise UsageError("--summary-model and --summary-base-url go with --method summary")
    if summary_base_url and not summary_model:
        raise UsageError("--summary-base-url needs --summary-model", hint="e.g. llama3.1")
    if expand_tool and store is None:  # refs nobody can answer: refuse before any work
        raise UsageError(
            "--expand-tool needs --store PATH", hint="the tool is answered from the elision store"
        )
    started = time.perf_counter()
    document, _ = decode(read_json(input), format)
    requested = target
    if expand_tool:  # the tool takes room too: compress toward the goal less its tokens
        from aifkit.budget import expand_tool as tool

        before = count_tokens(document, model=model).total
        with_tool = document.model_copy(update={"tools": (*document.tools, tool())})
        extra = count_tokens(with_tool, model=model).total - before
        target = CompressionTarget(
            model, budget=max(1, target.goal(before) - extra), query=query,
            protect_last=protect_last,
        )  # fmt: skip
    result = compress(document, target, method=_method(method, summary_model, summary_base_url))
    if store is not None:
        from aifkit.budget import ElisionStore

        kept = ElisionStore(store)
        try:
            kept.save(result)
        finally:
            kept.close()
    out = result.document
    if expand_tool:
        from aifkit.budget import expand_tool as tool

        out = out.model_copy(update={"tools": (*out.tools, tool())})
    body, _ = encode(out, format)
    after = count_tokens(body, format=format, model=model).total
    goal = requested.goal(result.tokens_before)
    write_json(body, output)
    if report is not None:
        write_json(_report(result.to_json(), method, model, ratio, budget, goal, after), report)
    if after > goal:
        print(
            f"aif: {method} reached {after} tokens, over the goal of {goal} "
            f"({result.tokens_before} before); try --method auto or extract",
            file=sys.stderr,
        )
    else:  # a long compression says what it did, not only when it falls short
        print(
            f"aif: {result.tokens_before} -> {after} tokens (goal {goal}) with {method}: "
            f"{len(result.actions)} change(s) in {time.perf_counter() - started:.1f} s"
            + ("" if report else "; see --report for each"),
            file=sys.stderr,
        )


def _method(name: str, model: str | None, base_url: str | None) -> Any:
    if model is None:
        return name
    from aifkit.budget import OpenAISummarizer, SummaryCompressor

    return SummaryCompressor(OpenAISummarizer(model, base_url=base_url))


def _report(
    data: dict[str, Any], method: str, model: str, ratio: float | None, budget: int | None,
    goal: int, after: int,
) -> dict[str, Any]:  # fmt: skip
    return {
        "method": method,
        "model": model,
        "requested": {"ratio": ratio} if ratio is not None else {"budget": budget},
        "goal": goal,
        "met": after <= goal,
        **data,
        "tokens_after": after,
    }


def expand_command(
    ref: Annotated[str, typer.Argument(help="The ref a marker names: [... elided, ref REF: ...].")],
    store: Annotated[
        str, typer.Option("--store", help="The SQLite file aif compress --store wrote.")
    ],
) -> None:
    """Print exactly the text that was elided under REF."""
    from aifkit.budget import expand

    sys.stdout.write(expand(ref, store))
