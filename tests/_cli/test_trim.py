"""The CLI contract of `aif trim`: aifkit.trim's body and report, pack's I/O, one-line errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from aifkit.budget import trim
from aifkit.tokens import count_tokens
from tests._cli import test_pack
from tests._cli.test_pack import BODY, run

ARGS = ["-f", "openai-chat", "-m", "gpt-4o"]
body_file = test_pack.body_file  # the fixture: the request body of test_pack, in a file


def test_trim_prints_what_aifkit_trim_gives_and_explain_writes_its_report(
    body_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    explain = tmp_path / "report.json"
    code, out, err = run(capsys, ["trim", str(body_file), *ARGS, "-b", "120",
                                  "--explain", str(explain)])  # fmt: skip
    assert code == 0, err
    body, report = trim(BODY, format="openai-chat", model="gpt-4o", budget=120)
    assert json.loads(out) == body
    assert json.loads(explain.read_text()) == report.to_json()
    assert count_tokens(body, format="openai-chat", model="gpt-4o").total == report.tokens <= 120
    assert err == (
        f"aif: kept the newest {report.kept} of {report.messages} messages "
        f"({report.tokens} tokens); {report.dropped} dropped\n"
    )


def test_stdin_in_output_file_out_and_a_leading_reply_dropped_even_when_all_fits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(json.dumps(BODY).encode())))
    target = tmp_path / "out.json"
    code, out, err = run(capsys, ["trim", "-", *ARGS, "-b", "100000", "-o", str(target)])
    assert (code, out) == (0, "")
    assert err.endswith("; 1 dropped\n")
    system, reply, *rest = BODY["messages"]
    assert reply["role"] == "assistant"  # the kept run starts on a user turn
    assert json.loads(target.read_text())["messages"] == [system, *rest]


def test_nothing_on_stderr_when_nothing_is_dropped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "body.json"
    body = {**BODY, "messages": [BODY["messages"][0], *BODY["messages"][2:]]}
    path.write_text(json.dumps(body))
    code, out, err = run(capsys, ["trim", str(path), *ARGS, "-b", "100000"])
    assert (code, err) == (0, "")
    assert json.loads(out) == body


@pytest.mark.parametrize(
    ("argv", "start"),
    [
        (["-b", "10"], "aif: the items that must be kept need "),
        (["-b", "0"], "aif: "),
    ],
)
def test_bad_input_exits_2_with_one_line(
    body_file: Path, capsys: pytest.CaptureFixture[str], argv: list[str], start: str
) -> None:
    code, out, err = run(capsys, ["trim", str(body_file), *ARGS, *argv])
    assert (code, out) == (2, "")
    assert err.startswith(start)
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_a_body_without_a_user_turn_exits_2_naming_the_messages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "body.json"
    path.write_text(json.dumps({"model": "gpt-4o", "messages": [
        {"role": "assistant", "content": "Hello."}]}))  # fmt: skip
    code, _, err = run(capsys, ["trim", str(path), *ARGS, "-b", "100"])
    assert code == 2
    assert err.startswith("aif: /messages: no user turn")
    assert err.count("\n") == 1
