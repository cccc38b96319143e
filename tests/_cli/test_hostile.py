"""Every `aif` command on hostile input: exit 2 (or a documented 4) with one line on
stderr, never 70, never a traceback; stdout holds nothing or JSON.

The commands are enumerated from the Typer app, so a new command must say here how
it reads input (or that it reads none).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer

from aifkit._cli import main
from aifkit._cli.app import app
from aifkit.aif._codec import parse_json
from aifkit.errors import InvalidInputError

# How each command reads a hostile INPUT ({input}); {tmp} is a scratch directory.
READERS: dict[str, list[str]] = {
    "convert": ["convert", "{input}", "--from", "openai-chat", "--to", "anthropic"],
    "validate": ["validate", "{input}", "-f", "openai-chat"],
    "count": ["count", "{input}", "-f", "openai-chat", "-m", "gpt-4o"],
    "pack": ["pack", "{input}", "-f", "openai-chat", "-m", "gpt-4o", "-b", "100"],
    "trim": ["trim", "{input}", "-f", "openai-chat", "-m", "gpt-4o", "-b", "100"],
    "compress": ["compress", "{input}", "-f", "openai-chat", "-m", "gpt-4o", "--ratio", "0.5"],
    "usage": ["usage", "{input}"],
    "assemble": ["assemble", "-f", "openai-chat", "{sse}"],
    "stream translate": [
        "stream",
        "translate",
        "--from",
        "openai-chat",
        "--to",
        "anthropic",
        "{sse}",
    ],
    "bench run": ["bench", "run", "{yaml}", "--out", "{tmp}/run", "-q", "-w", "1"],
    "bench compare": ["bench", "compare", "{input}", "{input}"],
    "bench regress": ["bench", "regress", "{input}", "--baseline", "{input}"],
    "bench report": ["bench", "report", "{input}", "-o", "{tmp}/report.html"],
    "handoff pack": ["handoff", "pack", "{input}", "-f", "openai-chat"],
    "handoff plan": ["handoff", "plan", "{input}", "-f", "openai-chat", "--to", "anthropic"],
    "handoff verify": ["handoff", "verify", "{input}"],
    "handoff unpack": ["handoff", "unpack", "{input}", "--to", "anthropic"],
    "memory add": ["memory", "add", "{tmp}/memory.db", "{input}", "-f", "openai-chat"],
}
# Other readers: options that read a JSON file (with a good INPUT), other source formats.
OPTION_READERS: dict[str, list[str]] = {
    "convert --from aif": ["convert", "{input}", "--from", "aif", "--to", "gemini"],
    "convert --from gemini": ["convert", "{input}", "--from", "gemini", "--to", "a2a"],
    "handoff pack --state": ["handoff", "pack", "{good}", "--state", "{input}"],
    "handoff pack --previous": ["handoff", "pack", "{good}", "--previous", "{input}"],
    "count --models": ["count", "{good}", "-f", "aif", "-m", "gpt-4o", "--models", "{input}"],
}
# Commands that read no body, envelope, stream or suite from the user.
NO_INPUT = {
    "schema", "formats", "demo", "bench list", "handoff keygen",
    "memory pin", "memory show", "memory export", "expand", "serve",
}  # fmt: skip

GOOD = {"messages": [{"role": "user", "parts": [{"type": "text", "text": "hi"}]}]}

HOSTILE: dict[str, bytes] = {
    "empty": b"",
    "not json": b"{nope",
    "not utf-8": b'{"messages": "\xff\xfe"}',
    "nan": b'{"model": "gpt-4o", "temperature": NaN, "messages": [{"role": "user", "content": "hi"}]}',
    "infinity": b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi", "x": -Infinity}]}',
    "overflow": b'{"model": "gpt-4o", "top_p": 1e999, "messages": []}',
    "deep": b"[" * 50_000 + b"]" * 50_000,
    "deep in a key": b'{"model": "gpt-4o", "messages": []'
    + b', "a": {"b":' * 300
    + b"1"
    + b"}" * 301,
    "surrogate": b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "\\ud800"}]}',
    "surrogate key": b'{"model": "gpt-4o", "messages": [], "\\udfff": 1}',
    "long integer": b'{"model": "gpt-4o", "seed": ' + b"9" * 5000 + b', "messages": []}',
    "array": b"[1, 2]",
    "string": b'"hello"',
    "wrong types": b'{"aif_version": "0.9", "messages": 5, "model": 7}',
    "wrong nested types": b'{"model": "gpt-4o", "messages": [5, {"role": ["user"], "content": {}}]}',
    "bad base64": (
        b'{"model": "gpt-4o", "messages": [{"role": "user", "content": [{"type": "image_url",'
        b' "image_url": {"url": "data:image/png;base64,@@@"}}]}]}'
    ),
    "huge value in an error": b'{"model": "gpt-4o", "messages": [{"role": "'
    + b"x\\n" * 200_000
    + b'", "content": "hi"}]}',
}

EXIT_VERIFY = 4


def _commands() -> Iterator[str]:
    def walk(command: object, prefix: tuple[str, ...]) -> Iterator[str]:
        subs: dict[str, object] | None = getattr(command, "commands", None)
        if not subs:
            yield " ".join(prefix)
            return
        for name, sub in subs.items():
            yield from walk(sub, (*prefix, name))

    yield from walk(typer.main.get_command(app), ())


def test_every_command_is_covered() -> None:
    assert set(_commands()) == set(READERS) | NO_INPUT


def _argv(template: list[str], tmp_path: Path, data: bytes) -> list[str]:
    body = tmp_path / "input.json"
    body.write_bytes(data)
    sse = tmp_path / "input.sse"
    sse.write_bytes(b"data: " + data.replace(b"\n", b" ") + b"\n\n")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(GOOD))
    names = {"input": body, "sse": sse, "yaml": body, "tmp": tmp_path, "good": good}
    return [arg.format(**{k: str(v) for k, v in names.items()}) for arg in template]


def _assert_refused(command: str, code: int, out: str, err: str) -> None:
    assert "Traceback" not in err
    assert "internal error" not in err, err
    lines = err.splitlines()
    assert lines, f"{command}: nothing on stderr"
    assert all(line.startswith("aif: ") for line in lines), err
    if command != "validate":  # validate prints one line per violation
        assert len(lines) == 1, err
    assert all(len(line) < 3000 for line in lines)
    allowed = {2, EXIT_VERIFY} if command.startswith("handoff") else {2}
    assert code in allowed, (command, code, err)
    if command == "stream translate":  # streams SSE: whatever was written ends at an event
        assert not out or out.endswith("\n\n"), out[-200:]
    elif out.strip():
        json.loads(out)


def _is_object(data: bytes) -> bool:
    try:
        return isinstance(parse_json(data), dict)
    except InvalidInputError:
        return False


@pytest.mark.parametrize("kind", sorted(HOSTILE))
@pytest.mark.parametrize("command", sorted(READERS | OPTION_READERS))
def test_hostile_input_is_one_line_and_exit_2(
    command: str, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = (READERS | OPTION_READERS)[command]
    if command == "handoff pack --state" and _is_object(HOSTILE[kind]):
        pytest.skip("any JSON object is valid application state")
    code = main(_argv(template, tmp_path, HOSTILE[kind]))
    out, err = capsys.readouterr()
    _assert_refused(command, code, out, err)


@pytest.mark.parametrize("command", sorted(READERS))
def test_input_over_the_limit_is_refused_without_reading_it_all(
    command: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("aifkit._cli._io.MAX_INPUT_BYTES", 1000)
    template = [a.replace("{sse}", "{input}") for a in READERS[command]]
    argv = _argv(template, tmp_path, b"")
    zero = Path("/dev/zero")
    if zero.exists() and command not in ("bench run", "assemble"):
        argv = [str(zero) if a == str(tmp_path / "input.json") else a for a in argv]
    else:  # a regular file over the limit
        (tmp_path / "input.json").write_bytes(b" " * 5000 + b"{}")
    code = main(argv)
    out, err = capsys.readouterr()
    _assert_refused(command, code, out, err)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["pack", "x.json", "-f", "aif", "-m", "gpt-4o", "--budget", "abc"], "aif pack --help"),
        (["convert", "x.json", "--to", "aif"], "aif convert --help"),
        (["convert", "x.json", "--from", "aif", "--to", "aif", "--bogus"], "aif convert --help"),
        (["nope"], "aif --help"),
        (["bench", "run", "quick", "--workers", "0"], "aif bench run --help"),
        (["count", "x.json", "-f", "aif", "-m", "x" * 100_000 + "\n"], ""),
    ],
)
def test_a_bad_option_is_one_line(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(argv)
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.count("\n") == 1, err
    assert err.startswith("aif: ")
    assert expected in err
    assert "Usage:" not in err
    assert "Traceback" not in err


def test_no_command_still_prints_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "Usage: aif" in capsys.readouterr().err
