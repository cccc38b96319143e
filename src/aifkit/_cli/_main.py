"""Entry point and error handling for ``aif``.

Exit codes: 0 success; 2 invalid input or usage (one line on stderr, never a
traceback); 3 a ``--strict`` conversion would drop data; 4 a verification
failed; 70 an internal error (a bug).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

from aifkit._json import one_line
from aifkit.errors import AifkitError

__all__ = ["EXIT_INTERNAL", "guard", "main"]

EXIT_INTERNAL = 70

P = ParamSpec("P")
R = TypeVar("R")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``aif`` with ``argv`` (default: ``sys.argv[1:]``).

    Called by the console script (which exits with the code) and by tests (which
    pass ``argv`` and get the code back). A bad option or argument is one line on
    stderr, ``aif: <what>; see aif COMMAND --help``, and exit 2, as every other
    bad input is; only ``aif`` or a group with nothing after it prints its help.
    """
    # pydantic looks for its plugins in every installed distribution's entry points the
    # first time it builds a model (~50 ms, a sixth of `aif count`); aif uses none. A
    # value the caller set wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    args = list(argv) if argv is not None else sys.argv[1:]
    code = _run_fast(args)
    if code is None:
        code = _run_typer(args)
    if argv is None:
        sys.exit(code)
    return code


def _run_fast(args: list[str]) -> int | None:
    # `aif count` on a small body is over before typer and click (~80 ms of imports
    # and parsing) would be ready: a plain `aif count` command line is read here, and
    # anything else (help, an unknown or repeated option, a missing one) goes to typer,
    # which answers it as it always has. tests/_cli/test_fast.py holds the two equal.
    from aifkit._cli._count_fast import count, parse_count

    parsed = parse_count(args)
    if parsed is None:
        return None
    try:
        count(*parsed)
    except Exception as exc:
        return _failed(exc)
    return 0


def _run_typer(args: list[str]) -> int:
    from typer.main import get_command

    from aifkit._cli._help import polish
    from aifkit._cli.app import app_for

    try:
        command = get_command(app_for(args))
        polish(command, for_help=not args or "--help" in args)
        result = command.main(args=args, prog_name="aif", standalone_mode=False)
        code = result if isinstance(result, int) and not isinstance(result, bool) else 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except Exception as exc:
        code = _parse_error(exc)
    return code


def _parse_error(exc: Exception) -> int:
    """Say what went wrong while reading the command line; return the exit code."""
    import typer

    click = _click_exceptions()
    error: Any = exc  # click's exceptions, from whichever click typer uses
    if isinstance(exc, getattr(click, "NoArgsIsHelpError", ())):
        error.show()  # the help, asked for by giving nothing
        return 2
    if isinstance(exc, click.UsageError):
        where = error.ctx.command_path if error.ctx is not None else "aif"
        _say(f"{_sentence(error.format_message())}; see {where} --help")
        return 2
    if isinstance(exc, click.ClickException):
        _say(_sentence(error.format_message()))
        return int(error.exit_code)
    if isinstance(exc, click.Abort | typer.Abort):
        _say("aborted")
        return 1
    # A bug outside any command (commands are guarded): one line, never a traceback.
    _say(f"internal error: {type(exc).__name__}: {exc} (please report this as a bug)")
    return EXIT_INTERNAL


def _click_exceptions() -> Any:
    # Typer 0.2x parses with its own copy of click (typer._click); earlier ones with click.
    name = "typer._click" if importlib.util.find_spec("typer._click") else "click"
    return importlib.import_module(f"{name}.exceptions")


def _sentence(message: str) -> str:
    # Click's "Invalid value for '-b': 'x' is not a valid integer." in aifkit's voice.
    message = message.strip().removesuffix(".")
    return message[:1].lower() + message[1:]


def guard(command: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so errors end it with an exit code and one line on stderr.

    A command may return an int to choose its exit code.
    """

    import typer

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            raise typer.Exit(_failed(exc)) from None
        if isinstance(result, int) and result:
            raise typer.Exit(result)
        return result

    return wrapper


def _failed(exc: Exception) -> int:
    """Say in one line why a command failed; return its exit code."""
    if isinstance(exc, AifkitError):
        _say(exc.for_cli())
        return exc.exit_code
    if isinstance(exc, BrokenPipeError):
        return 0
    # A bug: say so in one line, never a traceback.
    _say(f"internal error: {type(exc).__name__}: {exc} (please report this as a bug)")
    return EXIT_INTERNAL


def _say(message: str) -> None:
    # One line whatever the message holds (errors are capped and escaped already).
    print(f"aif: {one_line(message, _LINE_LIMIT)}", file=sys.stderr)


_LINE_LIMIT = 2000
