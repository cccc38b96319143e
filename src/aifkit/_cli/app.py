"""The typer application: one module per command group registers its commands here.

Each command module imports what its command needs (the AIF schema, the counters,
the benchmark runner, ...), so importing them all costs more than most commands
take to run. `COMMANDS` names where each command lives, and `app_for` builds an
application holding only the command a command line invokes: ``aif count`` imports
the count module, not the hand-off, memory or benchmark ones. A command line with
no command (``aif``, ``aif --help``) or an unknown one gets every command, so the
help lists them all and a typo is answered by typer's "No such command".
``app`` (the full application) is built on first access, for tests and embedders.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import typer

from aifkit._version import __version__

__all__ = ["COMMANDS", "app", "app_for", "build_app"]

COMMANDS: dict[str, tuple[str, str]] = {
    "convert": ("aifkit._cli.aif", "convert_command"),
    "validate": ("aifkit._cli.aif", "validate_command"),
    "schema": ("aifkit._cli.aif", "schema_command"),
    "formats": ("aifkit._cli.aif", "formats_command"),
    "count": ("aifkit._cli.count", "count_command"),
    "pack": ("aifkit._cli.pack", "pack_command"),
    "trim": ("aifkit._cli.pack", "trim_command"),
    "compress": ("aifkit._cli.compress", "compress_command"),
    "expand": ("aifkit._cli.compress", "expand_command"),
    "usage": ("aifkit._cli.usage", "usage_command"),
    "demo": ("aifkit._cli.demo", "demo_command"),
    "serve": ("aifkit._cli.serve", "serve_command"),
    "assemble": ("aifkit._cli.assemble", "assemble_command"),
    "bench": ("aifkit._cli.bench", "bench_app"),
    "handoff": ("aifkit._cli.handoff", "handoff_app"),
    "memory": ("aifkit._cli.memory", "memory_app"),
    "stream": ("aifkit._cli.stream", "stream_app"),
}
"""Every command (or command group, a `typer.Typer`): its module and attribute, in help order."""


def _version(value: bool) -> None:
    if value:
        print(f"aif {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """aifkit: the context layer between an application and its models."""


def build_app(names: Sequence[str] | None = None) -> typer.Typer:
    """Return the ``aif`` application with the commands ``names`` (default: all)."""
    from aifkit._cli._main import guard

    application = typer.Typer(
        name="aif",
        help="aifkit: token budgets, the Assistant Interchange Format, and benchmarks.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    # The callback keeps the application a group even when it holds one command.
    application.callback()(_root)
    for name, (module, attribute) in COMMANDS.items():
        if names is not None and name not in names:
            continue
        command = getattr(importlib.import_module(module), attribute)
        if isinstance(command, typer.Typer):
            application.add_typer(command, name=name)
        else:
            application.command(name)(guard(command))
    return application


def app_for(argv: Sequence[str]) -> typer.Typer:
    """Return an application holding only the command ``argv`` invokes (all when it names none).

    Examples:
        >>> [c.name for c in app_for(["count", "body.json", "-f", "openai-chat"]).registered_commands]
        ['count']
        >>> len(app_for(["--help"]).registered_commands) > 5
        True
    """
    # The root takes no option with a value (only --version and --help), so the first
    # word that is not an option is the command.
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    if command is None and "--version" in argv and "--help" not in argv:
        return build_app([])
    return build_app([command] if command in COMMANDS else None)


_built: list[typer.Typer] = []

if TYPE_CHECKING:
    app: typer.Typer
    """The full application, every command imported (built on first access)."""


def __getattr__(name: str) -> Any:
    if name == "app":
        if not _built:
            _built.append(build_app())
        return _built[0]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
