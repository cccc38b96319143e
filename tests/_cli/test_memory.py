"""The CLI contract of `aif memory`: add, pin, show, export; clear errors, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aifkit._cli import main
from aifkit.aif import Message, TextPart

MOODS = ("mild", "warm", "cool", "grey", "windy", "sunny", "humid", "calm", "foggy", "crisp")

BODY: dict[str, Any] = {
    "model": "gpt-4o",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Track order ord_9001 for Dana Reyes."},
        *[
            {
                "role": "assistant" if i % 2 else "user",
                "content": f"We chatted about the {MOODS[i % 10]} weather; nothing else happened.",
            }
            for i in range(30)
        ],
        {"role": "user", "content": "Where is my order?"},
    ],
}


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def body(tmp_path: Path) -> str:
    path = tmp_path / "body.json"
    path.write_text(json.dumps(BODY))
    return str(path)


def test_add_folds_and_a_later_run_continues(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, body: str
) -> None:
    db = str(tmp_path / "m.sqlite")
    code, out, err = run(
        capsys, ["memory", "add", db, body, "-f", "openai-chat", "--max-tokens", "300"]
    )
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert report["added"] == 32
    assert report["not_added"] == {"instructions": 1, "tools": 0}
    assert report["fold"]["committed"] is True
    assert report["tokens"] <= 300

    assert run(capsys, ["memory", "pin", db, "Dana is a VIP."])[:2] == (0, "1\n")
    code, out, _ = run(capsys, ["memory", "show", db])
    (listed,) = json.loads(out)
    assert listed["messages"] == 32
    assert listed["pins"] == 1
    code, out, _ = run(capsys, ["memory", "show", db, "--session", "default"])
    state = json.loads(out)
    assert "ord_9001" in state["summary"]
    assert state["pins"] == [{"id": 1, "text": "Dana is a VIP."}]
    assert state["recent"][-1]["parts"][0]["text"] == "Where is my order?"


def test_export_writes_the_memory_in_any_format(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, body: str
) -> None:
    db = str(tmp_path / "m.sqlite")
    run(capsys, ["memory", "add", db, body, "-f", "openai-chat", "--max-tokens", "300"])
    code, out, err = run(capsys, ["memory", "export", db, "-f", "openai-chat"])
    assert (code, err) == (0, "")
    exported = json.loads(out)
    assert exported["model"] == "gpt-4o"
    assert exported["messages"][0]["content"].startswith("[Summary of ")
    assert exported["messages"][-1] == {"role": "user", "content": "Where is my order?"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["memory", "show", "{tmp}/none.sqlite"], "no such memory file"),
        (["memory", "export", "{tmp}/none.sqlite", "-f", "anthropic"], "no such memory file"),
        (
            ["memory", "add", "{tmp}/m.sqlite", "{body}", "-f", "openai-chat", "--strictness", "x"],
            "unknown strictness 'x'",
        ),
        (["memory", "add", "{tmp}/m.sqlite", "{body}", "-f", "nope"], "unknown format 'nope'"),
    ],
)
def test_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, body: str, argv: list[str], message: str
) -> None:
    args = [a.format(tmp=tmp_path, body=body) for a in argv]
    code, out, err = run(capsys, args)
    assert code == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err


def test_show_names_the_known_sessions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, body: str
) -> None:
    db = str(tmp_path / "m.sqlite")
    run(capsys, ["memory", "add", db, body, "-f", "openai-chat", "-s", "alpha"])
    code, _, err = run(capsys, ["memory", "show", db, "-s", "beta"])
    assert code == 2
    assert "no session 'beta'; sessions: alpha" in err


def test_compress_method_summary_goes_through_the_registry(
    capsys: pytest.CaptureFixture[str], body: str
) -> None:
    argv = [
        "compress",
        body,
        "-f",
        "openai-chat",
        "-m",
        "gpt-4o",
        "--ratio",
        "0.4",
        "--method",
        "summary",
    ]
    code, out, err = run(capsys, argv)
    assert code == 0
    assert err.startswith("aif: ")
    assert " with summary: " in err  # the summary line
    messages = json.loads(out)["messages"]
    assert messages[0] == {"role": "system", "content": "Be brief."}
    assert messages[1]["content"].startswith("[Summary of ")
    assert "ord_9001" in messages[1]["content"]
    assert messages[-1] == {"role": "user", "content": "Where is my order?"}


def test_add_and_show_report_the_back_off_and_add_honours_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from aifkit.budget.memory import RollingMemory
    from aifkit.testing import FakeSummarizer

    db = tmp_path / "m.sqlite"
    fake = FakeSummarizer([""], repeat=True)
    with RollingMemory(db, max_tokens=300, summarizer=fake) as mem:
        i = 0
        while mem.retry_at is None:  # a rejected fold, as an earlier run might have left
            mem.add(Message(role="user", parts=(TextPart(text=f"The {MOODS[i % 10]} weather."),)))
            i += 1
        retry_at = mem.retry_at
    code, out, err = run(
        capsys, ["memory", "show", str(db), "-s", "default", "--max-tokens", "300"]
    )
    assert (code, err) == (0, "")
    state = json.loads(out)
    assert (state["over"], state["retry_at"]) == (True, retry_at)
    assert state["last_rejection"] == "the summary is empty"

    def add(content: str) -> tuple[dict[str, Any], str]:
        path = tmp_path / "turn.json"
        path.write_text(json.dumps({"messages": [{"role": "user", "content": content}]}))
        argv = ["memory", "add", str(db), str(path), "-f", "openai-chat", "--max-tokens", "300"]
        code, out, err = run(capsys, argv)
        assert code == 0
        return json.loads(out), err

    report, err = add("Still chatting.")  # a new process, yet no fold tried: backing off
    assert "fold" not in report
    [line] = err.splitlines()  # said on stderr too, with the reason
    assert line.startswith(f"aif: the memory stays over --max-tokens ({report['tokens']} > 300): ")
    assert line.endswith(
        f"backing off after a rejected summary (the summary is empty); "
        f"the next fold is tried past {retry_at} tokens"
    )
    assert report["tokens"] <= retry_at
    assert (report["over"], report["retry_at"]) == (True, retry_at)
    assert report["last_rejection"] == "the summary is empty"

    report, err = add("We chatted about the weather; nothing else happened. " * 12)  # past retry_at
    assert (report["fold"]["committed"], err) == (True, "")
    assert (report["over"], report["retry_at"], report["last_rejection"]) == (False, None, None)
    code, out, _ = run(capsys, ["memory", "show", str(db), "-s", "default", "--max-tokens", "300"])
    assert json.loads(out)["retry_at"] is None


def test_a_rejected_fold_says_why_on_stderr(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Turns dense with identifiers: the offline summary keeps none of them under the
    # strict checks, so the fold is rejected and the turns stay as they are.
    turns = [
        {"role": "user" if i % 2 == 0 else "assistant",
         "content": " ".join(f"order ord_{i}{j:03d} ships to /srv/p{i}_{j} at 10.0.{i}.{j}"
                             for j in range(8))}
        for i in range(12)
    ]  # fmt: skip
    body = tmp_path / "turns.json"
    body.write_text(json.dumps({"messages": turns}))
    argv = ["memory", "add", str(tmp_path / "m.db"), str(body), "-f", "openai-chat",
            "--max-tokens", "600", "--strictness", "strict"]  # fmt: skip
    code, out, err = run(capsys, argv)
    report = json.loads(out)
    assert (code, report["over"], report["fold"]["committed"]) == (0, True, False)
    [line] = err.splitlines()
    fold = report["fold"]
    assert line == (
        f"aif: could not fold {fold['messages']} old message(s): summary rejected: "
        f"{fold['reason']}; they are kept verbatim and the memory stays over --max-tokens "
        f"({report['tokens']} > 600); the next fold is tried past {report['retry_at']} tokens"
    )
