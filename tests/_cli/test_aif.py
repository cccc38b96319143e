"""The CLI contract of `aif convert/validate/schema/formats`: output, exit codes, errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from aifkit._cli import main
from aifkit.aif import AIF_VERSION, json_schema

DOC = {
    "aif_version": AIF_VERSION,
    "messages": [{"role": "user", "parts": [{"type": "text", "text": "Hi"}]}],
}


def run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    stdin: str | None = None,
) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_convert_reads_stdin_and_prints_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(
        capsys, monkeypatch, ["convert", "-", "--from", "aif", "--to", "aif"], json.dumps(DOC)
    )
    assert (code, err) == (0, "")
    assert json.loads(out) == DOC


def test_convert_writes_output_and_loss_report_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "in.json"
    src.write_text(json.dumps(DOC))
    out_file, report_file = tmp_path / "out.json", tmp_path / "loss.json"
    code, out, _ = run(
        capsys,
        monkeypatch,
        [
            "convert",
            str(src),
            "--from",
            "aif",
            "--to",
            "aif",
            "-o",
            str(out_file),
            "--loss-report",
            str(report_file),
        ],
    )
    assert (code, out) == (0, "")
    assert json.loads(out_file.read_text()) == DOC
    report = json.loads(report_file.read_text())
    assert report["entries"] == []
    assert report["lossless"] is True


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ('{"messages": 3}', "aif: /messages: expected an array, got a number"),
        ('{"messages": [', "aif: /: not valid JSON at line 1, column 15"),
    ],
)
def test_invalid_input_exits_2_with_one_line(
    stdin: str, message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(
        capsys, monkeypatch, ["convert", "-", "--from", "aif", "--to", "aif"], stdin
    )
    assert code == 2
    assert out == ""
    assert err.startswith(message)
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_unknown_format_exits_2_and_lists_formats(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(capsys, monkeypatch, ["convert", "-", "--from", "aif", "--to", "nope"], "{}")
    assert code == 2
    from aifkit.aif import formats

    assert f"unknown format 'nope'; known formats: {', '.join(formats())}" in err


def test_missing_file_and_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        run(capsys, monkeypatch, ["convert", "/no/such.json", "--from", "aif", "--to", "aif"])[0]
        == 2
    )
    assert run(capsys, monkeypatch, ["convert", "--from", "aif"])[0] == 2


def test_validate_reports_violations(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(
        capsys, monkeypatch, ["validate", "-", "--format", "aif"], '{"messages": [{"role": "bot"}]}'
    )
    assert code == 2
    report = json.loads(out)
    assert report["valid"] is False
    assert report["violations"][0]["pointer"] == "/messages/0/role"
    assert err.startswith("aif: /messages/0/role:")
    assert run(capsys, monkeypatch, ["validate", "-", "--format", "aif"], json.dumps(DOC))[0] == 0


def test_schema_and_formats(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(capsys, monkeypatch, ["schema"])
    assert code == 0
    assert json.loads(out) == json_schema()
    code, out, _ = run(capsys, monkeypatch, ["formats"])
    assert code == 0
    assert {"aif", "openai-chat", "anthropic"} <= set(out.split())


def test_formats_capabilities_as_markdown_and_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from aifkit.aif import capabilities, formats

    code, out, _ = run(capsys, monkeypatch, ["formats", "--capabilities"])
    assert code == 0
    header = out.splitlines()[0]
    assert all(f"`{name}`" in header for name in formats())
    assert "| `audio` | audio input |" in out
    code, out, _ = run(capsys, monkeypatch, ["formats", "--json"])
    assert code == 0
    declared = json.loads(out)
    assert set(declared) == set(formats())
    assert declared["anthropic"]["carries"] == dict(capabilities("anthropic").carries)
    assert declared["anthropic"]["rules"]["no-audio"] == "audio"


def test_convert_names_the_model_a_source_lacks(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"messages": [{"role": "user", "content": {"type": "text", "text": "Hi"}}],
            "maxTokens": 100}  # fmt: skip
    args = ["convert", "-", "--from", "mcp", "--to", "openai-chat"]
    code, out, _ = run(capsys, monkeypatch, [*args, "--model", "gpt-4o"], json.dumps(body))
    assert code == 0
    assert json.loads(out)["model"] == "gpt-4o"
    code, out, _ = run(capsys, monkeypatch, args, json.dumps(body))
    assert code == 0
    assert "model" not in json.loads(out)


OPENAI_BODY = {
    "model": "gpt-4o",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}],
        },
    ],
}


def test_a_wrong_from_says_which_format_the_body_looks_like(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["convert", "-", "--from", "gemini", "--to", "anthropic"]
    code, out, err = run(capsys, monkeypatch, argv, json.dumps(OPENAI_BODY))
    assert (code, out) == (2, "")
    assert err == (
        "aif: /contents: missing required field; "
        "this looks like openai-chat, not gemini (try --from openai-chat)\n"
    )
    # A body the wrong reader takes, losing most of it, gets the same hint.
    argv = ["convert", "-", "--from", "anthropic", "--to", "gemini"]
    code, _, err = run(capsys, monkeypatch, argv, json.dumps(OPENAI_BODY))
    assert code == 0
    assert err.endswith(
        "aif: this looks like openai-chat, not anthropic (try --from openai-chat)\n"
    )


def test_from_auto_guesses_and_says_what_it_guessed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["convert", "-", "--from", "auto", "--to", "openai-chat"]
    code, out, err = run(capsys, monkeypatch, argv, json.dumps(OPENAI_BODY))
    assert code == 0
    assert json.loads(out) == OPENAI_BODY
    assert err == "aif: --from auto: reading it as openai-chat (it has gpt, messages, system)\n"
    code, out, err = run(capsys, monkeypatch, argv, "[1, 2]")
    assert (code, out) == (2, "")
    assert err == "aif: --from auto: no format reads this body; give --from (see `aif formats`)\n"


def test_validate_says_which_format_the_body_looks_like(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["validate", "-", "--format", "anthropic"]
    code, _, err = run(capsys, monkeypatch, argv, json.dumps(OPENAI_BODY))
    assert code == 2
    assert err.splitlines()[-1] == (
        "aif: this looks like openai-chat, not anthropic (try --format openai-chat)"
    )
    argv = ["validate", "-", "--format", "auto"]
    code, out, err = run(capsys, monkeypatch, argv, json.dumps(OPENAI_BODY))
    assert (code, json.loads(out)["valid"]) == (0, True)
    assert err.startswith("aif: --format auto: reading it as openai-chat")


def test_convert_upgrades_an_older_document_and_refuses_a_newer_major(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["convert", "-", "--from", "aif", "--to", "aif"]
    code, out, err = run(capsys, monkeypatch, argv, json.dumps({**DOC, "aif_version": "1.0.0"}))
    assert (code, err) == (0, "")
    assert json.loads(out) == DOC  # read, and written, at the current version
    code, out, err = run(capsys, monkeypatch, argv, json.dumps({**DOC, "aif_version": "2.0.0"}))
    assert (code, out) == (2, "")
    assert err == (
        f"aif: /aif_version: AIF 2.0.0 is newer than this aifkit reads (AIF {AIF_VERSION}); "
        "upgrade aifkit: pip install -U aifkit\n"
    )
