"""The CLI contract of `aif convert --response`: response bodies, loss reports, --strict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests._cli.test_aif import run

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "responses"


def body(case: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{case}.json").read_text("utf-8"))
    return data["body"]


def test_convert_response_writes_the_target_response_and_a_loss_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    report_file = tmp_path / "loss.json"
    args = ["convert", "-", "--from", "anthropic", "--to", "openai-chat", "--response"]
    code, out, err = run(
        capsys,
        monkeypatch,
        [*args, "--loss-report", str(report_file)],
        json.dumps(body("anthropic/thinking")),
    )
    assert code == 0
    completion = json.loads(out)
    assert completion["object"] == "chat.completion"
    assert completion["choices"][0]["finish_reason"] == "stop"
    report = json.loads(report_file.read_text())
    assert {"pointer": "/content/0", "action": "dropped"}.items() <= report["entries"][0].items()
    assert "dropped" in err


def test_convert_response_same_format_is_exact(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = body("gemini/function-calls")
    args = ["convert", "-", "--from", "gemini", "--to", "gemini", "--response"]
    code, out, _ = run(capsys, monkeypatch, args, json.dumps(source))
    assert code == 0
    assert json.loads(out) == source


def test_convert_response_strict_refuses_a_lossy_conversion(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["convert", "-", "--from", "anthropic", "--to", "gemini", "--response", "--strict"]
    code, out, err = run(capsys, monkeypatch, args, json.dumps(body("anthropic/thinking")))
    assert (code, out) == (3, "")
    assert "/content/0" in err


@pytest.mark.parametrize(
    ("stdin", "args", "message"),
    [
        ('{"content": 3}', ["--from", "anthropic", "--to", "gemini"], "/content"),
        ("{}", ["--from", "a2a", "--to", "gemini"], "unknown response format 'a2a'"),
    ],
)
def test_convert_response_bad_input_exits_2_with_one_line(
    stdin: str,
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, err = run(capsys, monkeypatch, ["convert", "-", *args, "--response"], stdin)
    assert (code, out) == (2, "")
    assert message in err
    assert err.count("\n") == 1


def test_convert_response_through_an_aif_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = body("bedrock-converse/thinking-tool-use")
    aif_file = tmp_path / "reply.aif.json"
    args = ["convert", "-", "--from", "bedrock-converse", "--to", "aif", "--response"]
    code, _, _ = run(capsys, monkeypatch, [*args, "-o", str(aif_file)], json.dumps(source))
    assert code == 0
    reply = json.loads(aif_file.read_text())
    assert (reply["finish_reason"], reply["raw_finish_reason"]) == ("tool_calls", "tool_use")
    back = ["convert", str(aif_file), "--from", "aif", "--to", "bedrock-converse", "--response"]
    code, out, _ = run(capsys, monkeypatch, back)
    assert code == 0
    assert json.loads(out) == source


def test_from_auto_with_response_is_refused_with_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(capsys, monkeypatch, ["convert", "-", "--from", "auto", "--to",
                         "anthropic", "--response"], stdin="{}")  # fmt: skip
    assert (code, out) == (2, "")
    [line] = err.splitlines()
    assert line.startswith("aif: --from auto guesses request bodies only")
