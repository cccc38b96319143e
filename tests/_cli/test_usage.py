"""`aif usage` on every response format it reads, and a clear line for one it does not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aifkit._cli import main

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "responses"


def test_gemini_usage_metadata_is_summed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bodies = [json.loads((RECORDED / "gemini" / f"{n}.json").read_text())["body"]
              for n in ("cached-content", "function-calls")]  # fmt: skip
    path = tmp_path / "gemini.jsonl"
    path.write_text("".join(json.dumps(b) + "\n" for b in bodies))
    code = main(["usage", str(path)])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    summary = json.loads(out)
    assert summary["requests"] == 2
    prompt = sum(b["usageMetadata"]["promptTokenCount"] for b in bodies)
    assert summary["totals"]["prompt_tokens"] == prompt


def test_a_response_without_its_model_asks_for_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = json.loads((RECORDED / "bedrock-converse" / "cache-read.json").read_text())["body"]
    (tmp_path / "b.json").write_text(json.dumps(body))
    assert main(["usage", str(tmp_path / "b.json")]) == 2
    assert "pass --model" in capsys.readouterr().err
    assert main(["usage", str(tmp_path / "b.json"), "--model", "claude-sonnet-4-5"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["cache_read_tokens"] == 1322


def test_an_unread_format_is_named_with_the_ones_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x.json").write_text(json.dumps({"model": "m", "meta": {"tokens": 3}}))
    assert main(["usage", str(tmp_path / "x.json")]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("aif: /usage: expected the response's usage object; ")
    for name in ("openai-chat", "anthropic", "gemini", "bedrock-converse", "cohere", "ollama"):
        assert name in line
