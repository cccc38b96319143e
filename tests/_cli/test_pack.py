"""The CLI contract of `aif pack`: same format out, within the budget, clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aifkit._cli import main

pytestmark = pytest.mark.skipif(
    "pack"
    not in {
        c.name for c in __import__("aifkit._cli.app", fromlist=["app"]).app.registered_commands
    },
    reason="`aif pack` is not wired into _cli/app.py yet",
)

BODY: dict[str, Any] = {
    "model": "gpt-4o",
    "messages": [
        {"role": "system", "content": "Be brief."},
        *[
            {
                "role": "user" if i % 2 else "assistant",
                "content": f"Chatter number {i} about nothing.",
            }
            for i in range(40)
        ],
        {"role": "user", "content": "What now?"},
    ],
}


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def body_file(tmp_path: Path) -> Path:
    path = tmp_path / "body.json"
    path.write_text(json.dumps(BODY))
    return path


def test_pack_prints_the_body_within_the_budget_as_aif_count_counts_it(
    body_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    explain = tmp_path / "report.json"
    code, out, err = run(capsys, ["pack", str(body_file), "--format", "openai-chat", "--model", "gpt-4o",
                                  "--budget", "120", "--explain", str(explain)])  # fmt: skip
    assert code == 0
    packed = json.loads(out)
    assert packed["messages"][0] == BODY["messages"][0]
    assert packed["messages"][-1] == BODY["messages"][-1]
    assert "dropped" in err
    out_file = tmp_path / "packed.json"
    out_file.write_text(out)
    code, counted, _ = run(
        capsys, ["count", str(out_file), "--format", "openai-chat", "--model", "gpt-4o"]
    )
    assert code == 0
    assert json.loads(counted)["total"] <= 120
    report = json.loads(explain.read_text())
    assert report["tokens_after"] == json.loads(counted)["total"]
    assert len(report["items"]) == len(BODY["messages"])


def test_a_budget_everything_fits_in_prints_the_body_unchanged(
    body_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, ["pack", str(body_file), "-f", "openai-chat", "-m", "gpt-4o", "-b", "100000"]
    )
    assert (code, err) == (0, "")
    assert json.loads(out) == BODY


def test_an_impossible_budget_exits_2_with_one_line(
    body_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, ["pack", str(body_file), "-f", "openai-chat", "-m", "gpt-4o", "-b", "5"]
    )
    assert (code, out) == (2, "")
    assert err.startswith("aif: the items that must be kept need ")
    assert "over by" in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_an_unknown_model_exits_2_with_one_line(
    body_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, ["pack", str(body_file), "-f", "openai-chat", "-m", "gpt-9", "-b", "100"]
    )
    assert (code, out) == (2, "")
    assert err.startswith("aif: unknown model 'gpt-9'; nearest known: ")
    assert err.count("\n") == 1


def logs_body() -> dict[str, Any]:
    """Long logs, one holding a fact the last turn asks for (as in docs/compress.md)."""
    filler = " ".join(f"Day {i}: the nightly build passed all checks." for i in range(60))
    messages: list[dict[str, Any]] = [{"role": "system", "content": "Be brief."}]
    for i in range(6):
        fact = " The vault code is 8812." if i == 1 else ""
        messages += [
            {"role": "user", "content": f"Log {i}: {filler}{fact}"},
            {"role": "assistant", "content": f"Stored log {i}."},
        ]
    messages.append({"role": "user", "content": "What is the vault code?"})
    return {"model": "gpt-4o", "messages": messages}


@pytest.mark.parametrize(("flags", "method"), [([], "auto"), (["--compress", "none"], None)])
def test_pack_gives_what_aifkit_pack_gives_compressing_by_default(
    flags: list[str], method: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from aifkit import pack
    from aifkit.bench._agent import transcript

    body = transcript(5, scale=0.1).body  # an agent transcript: four long tool outputs
    path = tmp_path / "agent.json"
    path.write_text(json.dumps(body))
    code, out, err = run(capsys, ["pack", str(path), "-f", "openai-chat", "-m", "gpt-4o",
                                  "-b", "1500", *flags])  # fmt: skip
    assert code == 0, err
    expected, report = pack(body, format="openai-chat", model="gpt-4o", budget=1500,
                            compress=method)  # fmt: skip
    assert json.loads(out) == expected
    assert ("compressed" in err) is (method is not None)
    assert ("dropped" in err) is bool(report.dropped)


def test_compress_keeps_messages_shortened_and_explain_marks_them_compressed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = logs_body()
    path = tmp_path / "logs.json"
    path.write_text(json.dumps(body))
    argv = ["pack", str(path), "-f", "openai-chat", "-m", "gpt-4o", "-b", "900"]
    code, plain, _ = run(capsys, [*argv, "--compress", "none"])
    assert code == 0
    explain = tmp_path / "report.json"
    code, out, err = run(capsys, [*argv, "--compress", "extract", "--explain", str(explain)])
    assert code == 0, err
    packed = json.loads(out)
    assert len(packed["messages"]) > len(json.loads(plain)["messages"])
    assert any("8812" in m["content"] for m in packed["messages"])
    items = json.loads(explain.read_text())["items"]
    compressed = [i["pointer"] for i in items if i["decision"] == "compressed"]
    assert compressed
    assert all(p.startswith("/messages/") for p in compressed)
    assert f"{len(compressed)} item(s) compressed" in err
    # Here every message fits once compressed: each one marked compressed (AIF pointers:
    # the system message is an instruction) is shorter than it was; none is dropped.
    assert len(packed["messages"]) == len(body["messages"])
    assert "dropped" not in err
    for pointer in compressed:
        k = int(pointer.rsplit("/", 1)[1]) + 1
        assert len(packed["messages"][k]["content"]) < len(body["messages"][k]["content"])
    assert json.loads(explain.read_text())["tokens_after"] <= 900


def test_an_unknown_compress_method_exits_2_listing_the_known_ones(
    body_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, ["pack", str(body_file), "-f", "openai-chat", "-m", "gpt-4o",
                                  "-b", "100", "--compress", "shrink"])  # fmt: skip
    assert (code, out) == (2, "")
    assert err.startswith("aif: unknown compressor 'shrink'; known compressors: ")
    assert "extract" in err
    assert "truncate" in err
    assert err.count("\n") == 1


def test_compress_summary_explain_accounts_for_every_message_it_folded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    words = [
        "alpha",
        "bravo",
        "charlie",
        "delta",
        "echo",
        "foxtrot",
        "golf",
        "hotel",
        "india",
        "juliet",
        "kilo",
        "lima",
    ]
    messages: list[dict[str, Any]] = [{"role": "system", "content": "Be brief."}]
    for i, word in enumerate(words):
        line = f"Step {word}: we checked the pipeline again and nothing notable happened. "
        messages.append({"role": "user" if i % 2 == 0 else "assistant", "content": line * 3})
    messages.append({"role": "user", "content": "Status?"})
    path = tmp_path / "chat.json"
    path.write_text(json.dumps({"model": "gpt-4o", "messages": messages}))
    explain = tmp_path / "report.json"
    code, out, err = run(capsys, ["pack", str(path), "-f", "openai-chat", "-m", "gpt-4o", "-b", "200",
                                  "--compress", "summary", "--explain", str(explain)])  # fmt: skip
    assert code == 0, err
    packed = json.loads(out)["messages"]
    assert [m["role"] for m in packed][::2] == ["system", "user"]
    assert packed[1]["content"].startswith("[Summary of 12 earlier messages]")
    report = json.loads(explain.read_text())
    items = {i["pointer"]: i for i in report["items"] if i["kind"] == "message"}
    assert list(items) == [f"/messages/{k}" for k in range(13)]  # every message as given
    assert [items[f"/messages/{k}"]["decision"] for k in range(12)] == ["summarized"] * 12
    assert all("summary" in items[f"/messages/{k}"]["detail"] for k in range(12))
    assert items["/messages/12"]["decision"] == "kept"
    assert report["tokens_after"] <= 200
    assert (
        err
        == f"aif: {report['tokens_before']} -> {report['tokens_after']} tokens; 12 item(s) summarized\n"
    )
