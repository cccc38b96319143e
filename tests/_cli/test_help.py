"""Every ``aif ... --help`` reads as help: placeholders, not Python types; flags, not arguments.

The walk covers every command and subcommand the full application holds, so a
command added later is checked without being listed here.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

from aifkit._cli._help import LISTS, polish
from aifkit._cli._main import main
from aifkit._cli.app import build_app

SRC = Path(__file__).resolve().parents[2] / "src" / "aifkit"

# What must never show in help: a Python type as placeholder (<str>, <list[str]>,
# <int range>, <path>), typer's braces around a required argument ({input}), raw
# reStructuredText (``literal``, :role:`x`, .. directive::), a Python keyword
# argument (base_url=, strict=False).
_PYTHON_TYPE = re.compile(r"<[a-z][a-z_ ]*(\[[^\]]*\])?>")
_BRACES = re.compile(r"\{[A-Za-z_]+\}")
_RST = re.compile(r"``|:[a-z]+:`|^\s*\.\. ", re.MULTILINE)
PYTHON_ARGUMENT = re.compile(r"(?<![\w.-])[a-z][a-z_]*=(?!=)")


def _paths(command: Any, path: list[str]) -> Iterator[list[str]]:
    yield path
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _paths(sub, [*path, name])


COMMAND_PATHS = list(_paths(get_command(build_app()), []))


def _help(capsys: pytest.CaptureFixture[str], path: list[str]) -> str:
    assert main([*path, "--help"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


def test_the_walk_reaches_the_subcommands() -> None:
    assert {"count", "pack", "compress"} <= {p[0] for p in COMMAND_PATHS if p}
    assert ["bench", "run"] in COMMAND_PATHS
    assert ["handoff", "unpack"] in COMMAND_PATHS


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=lambda p: " ".join(p) or "aif")
def test_help_has_no_python_types_rst_or_arguments(
    capsys: pytest.CaptureFixture[str], path: list[str]
) -> None:
    text = _help(capsys, path)
    assert text.startswith(f"Usage: aif {' '.join(path)}".rstrip())
    for pattern in (_PYTHON_TYPE, _BRACES, _RST, PYTHON_ARGUMENT):
        found = pattern.search(text)
        assert found is None, f"aif {' '.join(path)} --help shows {found.group()!r}:\n{text}"


@pytest.mark.parametrize(
    ("path", "option", "names"),
    [
        (["convert"], "--from FORMAT", "aifkit.aif._convert:FORMATS"),
        (["convert"], "--to FORMAT", "aifkit.aif._convert:FORMATS"),
        (["count"], "-f, --format FORMAT", "aifkit.aif._convert:FORMATS"),
        (["compress"], "--method METHOD", "aifkit.budget.compressors._base:COMPRESSORS"),
        (["pack"], "--compress METHOD", "aifkit.budget.compressors._base:COMPRESSORS"),
        (["stream", "translate"], "--from STREAM_FORMAT", "aifkit.aif._sse_codec:STREAM_FORMATS"),
        (["assemble"], "-f, --format STREAM_FORMAT", "aifkit.aif._sse_codec:STREAM_FORMATS"),
        (["handoff", "unpack"], "--to FORMAT", "aifkit.aif._convert:FORMATS"),
    ],
)
def test_registry_valued_options_list_every_known_name(
    capsys: pytest.CaptureFixture[str], path: list[str], option: str, names: str
) -> None:
    text = _help(capsys, path)
    assert option in text
    word = option.rsplit(" ", 1)[1]
    module, _, attribute = names.partition(":")
    known = getattr(importlib.import_module(module), attribute).names()
    listed = " ".join(text.split(f"{word} is one of: ", 1)[1].split()).split(".", 1)[0]
    assert listed.split(", ") == known


def _closed(metavar: str) -> list[str]:
    return metavar.strip("[]").split("|")


def test_closed_choices_are_the_ones_the_code_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    from aifkit.budget.memory import STRICTNESS
    from aifkit.gateway import UPSTREAM_FORMATS

    options = _options()
    assert _closed(options["convert", "--reasoning"]) == ["drop", "text"]
    assert _closed(options["memory add", "--strictness"]) == list(STRICTNESS)
    assert _closed(options["serve", "--upstream-format"]) == list(UPSTREAM_FORMATS)
    # ... and an unlisted value is refused, naming the choices
    assert main(["convert", "-", "--from", "aif", "--to", "aif", "--reasoning", "keep"]) == 2
    assert "drop or text" in capsys.readouterr().err


def _options() -> dict[tuple[str, str], str]:
    command = get_command(build_app())
    polish(command, for_help=False)
    found: dict[tuple[str, str], str] = {}
    for path in COMMAND_PATHS:
        node: Any = command
        for name in path:
            node = node.commands[name]
        for param in node.params:
            for opt in getattr(param, "opts", []):
                if param.metavar is not None:
                    found[" ".join(path), opt] = param.metavar
    return found


def test_every_placeholder_is_a_word_or_a_list_of_choices() -> None:
    for (path, option), metavar in _options().items():
        assert re.fullmatch(r"[A-Z][A-Z_]*|\[[a-z0-9-]+(\|[a-z0-9-]+)+\]", metavar), (
            f"aif {path} {option} {metavar}"
        )
        assert not metavar.startswith("[") or metavar not in LISTS


# --- hints: a hint that names a Python argument (model=, strict=False) has a
# cli_hint naming the flag, and a cli_hint never names a Python argument.


def _text(node: ast.expr) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join("{}" if isinstance(v, ast.FormattedValue) else _text(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _text(node.left) + _text(node.right)
    if isinstance(node, ast.IfExp):
        return f"{_text(node.body)} | {_text(node.orelse)}"
    return ""


def _hints() -> Iterator[tuple[str, str, str | None]]:
    """(where, hint, cli_hint) of every error raised with a literal hint under src/aifkit."""
    for path in sorted(SRC.rglob("*.py")):
        # Fakes for Python tests and framework integrations: no command reaches them.
        if path.name == "testing.py" or path.parent.name == "integrations":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                keywords = {k.arg: k.value for k in node.keywords}
                if "hint" in keywords or "cli_hint" in keywords:
                    hint = _text(keywords["hint"]) if "hint" in keywords else ""
                    cli = _text(keywords["cli_hint"]) if "cli_hint" in keywords else None
                    yield f"{path.relative_to(SRC)}:{node.lineno}", hint, cli


def test_the_hint_scan_sees_the_hints() -> None:
    hints = list(_hints())
    assert len(hints) > 50
    assert any(cli is not None for _, _, cli in hints)


def test_a_hint_naming_python_arguments_has_a_cli_hint_naming_flags() -> None:
    for where, hint, cli in _hints():
        if cli is not None:
            assert not PYTHON_ARGUMENT.search(cli), f"{where}: cli_hint {cli!r}"
        elif hint:
            assert not PYTHON_ARGUMENT.search(hint), f"{where}: {hint!r} needs a cli_hint"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["pack", "{body}", "-f", "openai-chat", "-m", "gpt-4o", "--budget", "5"], "--reserve"),
        (["pack", "{body}", "-f", "openai-chat", "-m", "gpt-4o", "--budget", "0"], "--budget"),
        (["compress", "{body}", "-f", "openai-chat", "-m", "gpt-4o", "--ratio", "3"], "0.25"),
        (["compress", "{body}", "-f", "openai-chat", "-m", "gpt-4o", "--budget", "3"], "--budget"),
        (["count", "{nomodel}", "-f", "openai-chat"], "--model"),
        (
            ["handoff", "plan", "{body}", "-f", "openai-chat", "--to", "anthropic", "-b", "5"],
            "--model",
        ),
        (
            [
                "handoff",
                "plan",
                "{body}",
                "-f",
                "openai-chat",
                "--to",
                "anthropic",
                "-b",
                "5",
                "-m",
                "gpt-4o",
            ],
            "--budget",
        ),
        (
            ["convert", "{named}", "--from", "openai-chat", "--to", "anthropic", "--strict"],
            "--strict",
        ),
    ],
)
def test_cli_errors_name_flags_not_python_arguments(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], says: str
) -> None:
    system = {"role": "system", "content": "You are a careful assistant with several rules."}
    user = {"role": "user", "content": "Hello there, please tell me a long story", "name": "ann"}
    bodies = {
        "body": {"model": "gpt-4o", "messages": [system, user]},
        "nomodel": {"messages": [user]},
        "named": {"model": "gpt-4o", "messages": [user]},
    }
    for name, body in bodies.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(body))
    args = [a.format(**{n: str(tmp_path / f"{n}.json") for n in bodies}) for a in argv]
    code = main(args)
    err = capsys.readouterr().err
    assert code in (2, 3), err
    [line] = err.splitlines()
    assert says in line
    assert not PYTHON_ARGUMENT.search(line), line
    assert "reply reserve" not in line


def test_placeholders_for_annotations_cover_the_types_used() -> None:
    from aifkit._cli._help import placeholder

    assert [placeholder("x", t) for t in (int, float, str, Path)] == ["N", "NUMBER", "TEXT", "FILE"]
