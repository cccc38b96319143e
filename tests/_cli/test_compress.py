"""The CLI contract of `aif compress`: same format out, within the goal, a report, clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aifkit._cli import main
from aifkit.tokens import count_tokens

NOTES = " ".join(f"On day {i} the team closed ticket {i * 7}." for i in range(120))
BODY: dict[str, Any] = {
    "model": "gpt-4o",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": NOTES + " The staging password is tulip-42. " + NOTES},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "read_log", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "\n".join(
            f"INFO request {i} ok" for i in range(200))},
        {"role": "assistant", "content": "Read both."},
        {"role": "user", "content": "What is the staging password?"},
    ],
}  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def body_file(tmp_path: Path) -> Path:
    path = tmp_path / "body.json"
    path.write_text(json.dumps(BODY))
    return path


def test_compress_prints_the_same_format_within_the_ratio(
    body_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    code, out, err = run(capsys, ["compress", str(body_file), "--format", "openai-chat",
                                  "--model", "gpt-4o", "--ratio", "0.1", "--report", str(report)])  # fmt: skip
    assert code == 0, err
    body = json.loads(out)
    before = count_tokens(BODY, format="openai-chat", model="gpt-4o").total
    after = count_tokens(body, format="openai-chat", model="gpt-4o").total
    assert after <= before * 0.1
    assert body["messages"][0] == BODY["messages"][0]  # the system prompt
    assert body["messages"][-1] == BODY["messages"][-1]  # the current turn
    assert body["messages"][2] == BODY["messages"][2]  # the call, still paired
    assert body["messages"][3]["tool_call_id"] == "call_1"
    assert "tulip-42" in body["messages"][1]["content"]
    data = json.loads(report.read_text())
    assert data["requested"] == {"ratio": 0.1}
    assert data["met"] is True
    assert data["tokens_before"] == before
    assert data["tokens_after"] == after
    assert {a["pointer"] for a in data["actions"]} >= {"/messages/0/parts/0"}


@pytest.mark.parametrize("method", ["truncate", "extract", "auto"])
def test_a_budget_is_never_passed(
    body_file: Path, capsys: pytest.CaptureFixture[str], method: str
) -> None:
    code, out, err = run(capsys, ["compress", str(body_file), "-f", "openai-chat", "-m", "gpt-4o",
                                  "--budget", "300", "--method", method])  # fmt: skip
    assert code == 0, err
    after = count_tokens(json.loads(out), format="openai-chat", model="gpt-4o").total
    assert after <= 300
    # one summary line on stderr: before -> after, the goal, what it did and how long it took
    [line] = err.splitlines()
    before = count_tokens(BODY, format="openai-chat", model="gpt-4o").total
    assert line.startswith(f"aif: {before} -> {after} tokens (goal 300) with {method}: ")
    assert line.endswith(" s; see --report for each")


def test_a_partial_method_says_it_missed_the_goal(
    body_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, ["compress", str(body_file), "-f", "openai-chat", "-m", "gpt-4o",
                                  "--ratio", "0.1", "--method", "dedupe"])  # fmt: skip
    assert code == 0
    assert json.loads(out) == BODY  # nothing repeated: nothing to take
    assert "over the goal" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "exactly one of --ratio and --budget"),
        (["--ratio", "0.5", "--budget", "10"], "exactly one of --ratio and --budget"),
        (["--ratio", "2"], "between 0 and 1"),
        (["--ratio", "0.5", "--method", "zip"], "unknown compressor 'zip'"),
        (["--budget", "5"], "over by"),
    ],
)
def test_errors_exit_2_with_one_line(
    body_file: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    code, out, err = run(capsys, ["compress", str(body_file), "-f", "openai-chat", "-m", "gpt-4o",
                                  *extra])  # fmt: skip
    assert code == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err


def test_summary_with_an_endpoint_calls_it_and_keeps_the_history_when_lossy(
    body_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from aifkit.testing import FakeOpenAIServer

    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    with FakeOpenAIServer(["All good, nothing to note."]) as server:
        code, out, err = run(capsys, ["compress", str(body_file), "--format", "openai-chat",
                                      "--model", "gpt-4o", "--ratio", "0.3",
                                      "--method", "summary", "--summary-model", "llama3.1",
                                      "--summary-base-url", server.base_url])  # fmt: skip
    assert [r["model"] for r in server.requests] == ["llama3.1"]
    assert "tulip-42" in json.dumps(server.requests[0]["messages"])
    assert code == 2
    assert not out
    assert "summary rejected" in err


def test_summary_options_need_the_summary_method(
    body_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["compress", str(body_file), "--format", "openai-chat", "--model", "gpt-4o",
            "--ratio", "0.3"]  # fmt: skip
    code, _, err = run(capsys, [*base, "--summary-model", "m"])
    assert code == 2
    assert "go with --method summary" in err
    code, _, err = run(capsys, [*base, "--method", "summary", "--summary-base-url", "http://x"])
    assert code == 2
    assert "needs --summary-model" in err
