"""The ``aif`` application imports only the command a command line runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from aifkit._cli import main
from aifkit._cli.app import COMMANDS, app, app_for


def _names(application: typer.Typer) -> list[str]:
    commands = [c.name for c in application.registered_commands]
    groups = [g.name for g in application.registered_groups]
    return sorted(str(n) for n in commands + groups)


def test_the_full_app_has_every_command() -> None:
    assert _names(app) == sorted(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_command_line_gets_only_its_command(command: str) -> None:
    assert _names(app_for([command, "--help"])) == [command]
    assert _names(app_for(["--version", command])) == [command]


@pytest.mark.parametrize("argv", [[], ["--help"], ["cuont"]])
def test_no_command_or_an_unknown_one_gets_them_all(argv: list[str]) -> None:
    assert _names(app_for(argv)) == sorted(COMMANDS)


def test_an_unknown_command_is_still_answered_with_the_near_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["cuont"]) == 2
    assert "no such command 'cuont'" in capsys.readouterr().err.lower()


def test_count_does_not_import_the_other_commands() -> None:
    code = (
        "import sys, json; from aifkit._cli.app import app_for; app_for(['count', 'x']); "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('aifkit'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(json.loads(out))
    assert "aifkit._cli.count" in loaded
    for other in ("aifkit._cli.handoff", "aifkit._cli.memory", "aifkit._cli.bench", "aifkit.bench",
                  "aifkit.budget", "aifkit._cli.demo"):  # fmt: skip
        assert other not in loaded, other


def test_count_and_pack_load_no_plugin_scan_and_no_scipy(tmp_path: Path) -> None:
    # Start-up (benchmarks/cli_startup.py): a built-in format or model never reads the
    # installed distributions' entry points, pydantic's plugin scan is off in aif, and
    # pack reads bm25s's stop words without importing bm25s (scipy, tqdm).
    body = tmp_path / "b.json"
    body.write_text(
        json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]})
    )
    code = (
        "import importlib.metadata as md, json, sys\n"
        "scans = []\n"
        "real = md.distributions\n"
        "md.distributions = lambda *a, **k: scans.append(1) or real(*a, **k)\n"
        "from aifkit._cli import main\n"
        "assert main(sys.argv[1:]) == 0\n"
        "heavy = [m for m in ('scipy', 'bm25s', 'tqdm', 'tomllib') if m in sys.modules]\n"
        "print(json.dumps([len(scans), heavy]), file=sys.stderr)\n"
    )
    for argv in (["count", str(body), "-f", "openai-chat"],
                 ["pack", str(body), "-f", "openai-chat", "-m", "gpt-4o", "-b", "100"]):  # fmt: skip
        env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
        done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True,
                              text=True, check=True, env=env)  # fmt: skip
        assert json.loads(done.stderr.splitlines()[-1]) == [0, []], argv
