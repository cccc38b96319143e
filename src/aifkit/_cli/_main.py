"""Entry point and error handling for ``aif``.

Exit codes: 0 success; 2 invalid input or usage (one line on stderr, never a
traceback); 3 a ``--strict`` conversion would drop data; 4 a verification
failed; 70 an internal error (a bug).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from typing import ParamSpec, TypeVar

import typer

from aifkit.errors import AifkitError

__all__ = ["EXIT_INTERNAL", "guard", "main"]

EXIT_INTERNAL = 70

P = ParamSpec("P")
R = TypeVar("R")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``aif`` with ``argv`` (default: ``sys.argv[1:]``).

    Called by the console script (which exits with the code) and by tests (which
    pass ``argv`` and get the code back).
    """
    from aifkit._cli.app import app_for

    args = list(argv) if argv is not None else sys.argv[1:]
    try:
        app_for(args)(args=args, prog_name="aif")  # imports only the command it runs
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    if argv is None:
        sys.exit(code)
    return code


def guard(command: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so errors end it with an exit code and one line on stderr.

    A command may return an int to choose its exit code.
    """

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = command(*args, **kwargs)
        except AifkitError as exc:
            _say(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except BrokenPipeError:
            raise typer.Exit(0) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:  # a bug: say so in one line, never a traceback
            _say(f"internal error: {type(exc).__name__}: {exc} (please report this as a bug)")
            raise typer.Exit(EXIT_INTERNAL) from None
        if isinstance(result, int) and result:
            raise typer.Exit(result)
        return result

    return wrapper


def _say(message: str) -> None:
    print(f"aif: {message}", file=sys.stderr)
