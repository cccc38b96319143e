"""The CLI contract of `aif assemble`: raw SSE on stdin, the AIF message on stdout."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from aifkit._cli import main

STREAMS = Path(__file__).parents[1] / "fixtures" / "streams"
WITHOUT_CALLS = {  # recorded replies that call no tool
    "openai-chat__sdk-refusal.sse": ["refusal"],
    "openai-responses__dotnet-reasoning-text.sse": ["reasoning", "text"],
    "cohere__curl-text.sse": ["text"],
    "cohere__docs-rag-citations.sse": ["text"],
    "cohere__vercel-ai-citations.sse": ["text"],
    "ollama__docs-chat.ndjson": ["text"],
    "bedrock-converse__pydantic-ai-claude-thinking.eventstream": ["reasoning", "text"],
    "anthropic__pydantic-ai-redacted-thinking.sse": ["reasoning", "reasoning", "text"],
}


def run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    stdin: bytes,
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("path", sorted(STREAMS.glob("*__*")), ids=lambda p: p.name)
def test_assemble_reads_stdin_and_prints_the_message(
    path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fmt = path.name.split("__")[0]
    code, out, err = run(capsys, monkeypatch, ["assemble", "--format", fmt], path.read_bytes())
    assert code == 0, err
    message = json.loads(out)
    assert message["role"] == "assistant"
    assert message["provenance"]["format"] == fmt
    kinds = [p["type"] for p in message["parts"]]
    if path.name in WITHOUT_CALLS:
        assert kinds == WITHOUT_CALLS[path.name]
    else:
        assert "tool_call" in kinds
    assert "usage" in message["extensions"]["stream"]["form"]


def test_assemble_reads_a_file_too(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = STREAMS / "anthropic__thinking-tool.sse"
    code, out, _ = run(capsys, monkeypatch, ["assemble", "-f", "anthropic", str(path)], b"")
    assert code == 0
    assert json.loads(out)["parts"][0]["type"] == "reasoning"


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["assemble", "-f", "anthropic"], b'data: {"type":"message_start","message":{}}\n\n',
         "cut short"),
        (["assemble", "-f", "openai-chat"], b"data: {oops\n\n", "/events/0: event data is not JSON"),
        (["assemble", "-f", "nope"], b"", "unknown stream format 'nope'"),
        (["assemble", "-f", "gemini", "/no/such/file.sse"], b"", "no such file"),
    ],
)  # fmt: skip
def test_assemble_errors_exit_2_in_one_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    stdin: bytes,
    message: str,
) -> None:
    code, out, err = run(capsys, monkeypatch, argv, stdin)
    assert code == 2
    assert out == ""
    assert message in err
    assert err.count("\n") == 1
