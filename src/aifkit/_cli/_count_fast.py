"""``aif count`` without typer: the command's work, and its plain command lines read directly.

Typer and click take ~80 ms to import and parse, a third of what ``aif count`` on a
one-message body costs. `parse_count` reads the command lines people type, ``aif
count INPUT -f FORMAT [-m MODEL] [--models FILE]`` (an option's value after it or
after ``=``), and returns None for anything else: help, an unknown, repeated or
missing option, a value that starts with ``-``. Those go through typer, which
answers them as it always has, so both paths give the same output and exit codes.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["count", "parse_count"]

_OPTIONS = {"--format": 0, "-f": 0, "--model": 1, "-m": 1, "--models": 2}
"""Each option of ``aif count`` and the place of its value: format, model, models file."""


def parse_count(args: Sequence[str]) -> tuple[str, str, str | None, str | None] | None:
    """Return `count`'s arguments for a plain ``aif count`` command line, else None.

    Examples:
        >>> parse_count(["count", "body.json", "-f", "openai-chat", "--model=gpt-4o"])
        ('body.json', 'openai-chat', 'gpt-4o', None)
        >>> parse_count(["count", "-", "--format", "aif"])
        ('-', 'aif', None, None)
        >>> parse_count(["count", "body.json", "--help"]) is None  # typer answers
        True
    """
    if not args or args[0] != "count":
        return None
    found: list[str | None] = [None, None, None]
    inputs: list[str] = []
    words = iter(args[1:])
    for word in words:
        name, equals, value = word.partition("=") if word.startswith("--") else (word, "", "")
        place = _OPTIONS.get(name)
        if place is None:
            if word.startswith("-") and word != "-":
                return None  # an option this reader does not know, or --
            inputs.append(word)
            continue
        if not equals:
            value = next(words, None)
            if value is None or value.startswith("-"):
                return None
        if found[place] is not None:
            return None
        found[place] = value
    given_format, model, models_file = found
    if len(inputs) != 1 or given_format is None:
        return None
    return inputs[0], given_format, model, models_file


def count(input: str, format: str, model: str | None, models_file: str | None) -> None:
    """Print the counted tokens of request body ``input`` (a path, or ``-`` for stdin) as JSON."""
    from aifkit._cli._io import read_json, write_json
    from aifkit.tokens import count_tokens, get_model, load_models

    if models_file is not None:
        load_models(models_file)
    counted = count_tokens(read_json(input), format=format, model=model)
    info = get_model(counted.model)
    write_json(
        {
            **counted.to_json(),
            "context_window": info.context_window,
            "max_output": info.max_output,
        }
    )
