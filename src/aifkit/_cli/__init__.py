"""The ``aif`` command line: a thin layer over the public API."""

from aifkit._cli._main import main

__all__ = ["main"]
