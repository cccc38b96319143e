"""The typer application: one module per command group registers its commands here."""

from __future__ import annotations

import typer

from aifkit._cli import aif, assemble, count, demo, pack, serve, usage
from aifkit._cli._main import guard
from aifkit._cli.bench import bench_app
from aifkit._cli.compress import compress_command
from aifkit._cli.handoff import handoff_app
from aifkit._cli.memory import memory_app
from aifkit._cli.stream import stream_app
from aifkit._version import __version__

__all__ = ["app"]

app = typer.Typer(
    name="aif",
    help="aifkit: token budgets, the Assistant Interchange Format, and benchmarks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

app.command("convert")(guard(aif.convert_command))
app.command("validate")(guard(aif.validate_command))
app.command("schema")(guard(aif.schema_command))
app.command("formats")(guard(aif.formats_command))
app.command("count")(guard(count.count_command))
app.command("pack")(guard(pack.pack_command))
app.command("compress")(guard(compress_command))
app.command("usage")(guard(usage.usage_command))
app.command("demo")(guard(demo.demo_command))
app.command("serve")(guard(serve.serve_command))
app.command("assemble")(guard(assemble.assemble_command))
app.add_typer(bench_app, name="bench")
app.add_typer(handoff_app, name="handoff")
app.add_typer(memory_app, name="memory")
app.add_typer(stream_app, name="stream")


def _version(value: bool) -> None:
    if value:
        print(f"aif {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """aifkit: the context layer between an application and its models."""
