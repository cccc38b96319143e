"""The CLI contract of `aif stream translate`: raw SSE in, the other format's SSE out,
each event written as soon as the input completes it."""

from __future__ import annotations

import io
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from aifkit._cli import main
from aifkit.aif import STREAM_FORMATS, assemble

STREAMS = Path(__file__).parents[1] / "fixtures" / "streams"


def run(
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    stdin: bytes,
) -> tuple[int, bytes, str]:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = main(argv)
    out, err = capsysbinary.readouterr()
    return code, out, err.decode()


@pytest.mark.parametrize("target", sorted(STREAM_FORMATS.names()))
def test_translate_reads_stdin_and_writes_the_targets_sse(
    target: str, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = (STREAMS / "openai-chat__parallel-tools.sse").read_bytes()
    argv = ["stream", "translate", "--from", "openai-chat", "--to", target]
    code, out, err = run(capsysbinary, monkeypatch, argv, raw)
    assert (code, err) == (0, "")
    message = assemble(out, target)
    assert [p.type for p in message.parts] == ["text", "tool_call", "tool_call"]


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("bedrock-converse", "bedrock-converse__pydantic-ai-nova-tool.eventstream"),
        ("ollama", "ollama__docs-tool-call.ndjson"),
        ("cohere", "cohere__docs-tool-plan.sse"),
    ],
)
def test_translate_reads_the_new_framings_from_stdin(
    source: str,
    name: str,
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw = (STREAMS / name).read_bytes()
    argv = ["stream", "translate", "--from", source, "--to", "openai-chat"]
    code, out, err = run(capsysbinary, monkeypatch, argv, raw)
    assert (code, err) == (0, "")
    assert [p.type for p in assemble(out, "openai-chat").parts] == [
        p.type for p in assemble(raw, source).parts
    ]


def test_translate_reads_a_file_too(
    capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = STREAMS / "anthropic__thinking-tool.sse"
    argv = ["stream", "translate", "--from", "anthropic", "--to", "openai-chat", str(path)]
    code, out, _ = run(capsysbinary, monkeypatch, argv, b"")
    assert code == 0
    assert out.endswith(b"data: [DONE]\n\n")


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["--from", "anthropic", "--to", "nope"], b"", "unknown stream format 'nope'"),
        (["--from", "anthropic", "--to", "gemini", "/no/such/file"], b"", "no such file"),
        (["--from", "openai-chat", "--to", "gemini"], b"data: {oops\n\n", "/events/0"),
        (["--from", "anthropic", "--to", "gemini"], b'data: {"type":"ping"}\n\n', "cut short"),
        (
            ["--from", "bedrock-converse", "--to", "anthropic"],
            b"\x00\x00\x00\x10" + bytes(12),
            "prelude CRC does not match",
        ),
        (["--from", "ollama", "--to", "anthropic"], b'{"model":"m","done":false}\n', "cut short"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    argv: list[str],
    stdin: bytes,
    message: str,
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, _, err = run(capsysbinary, monkeypatch, ["stream", "translate", *argv], stdin)
    assert code == 2
    assert err.startswith("aif: ")
    assert message in err
    assert err.count("\n") == 1


def _read_available(fd: int, wait: float) -> bytes:
    ready, _, _ = select.select([fd], [], [], wait)
    return os.read(fd, 1 << 16) if ready else b""


def test_each_event_is_flushed_before_the_input_ends() -> None:
    # A live pipe: the first text must come out while the input is still open.
    code = "from aifkit._cli import main; main()"
    argv = [
        sys.executable,
        "-c",
        code,
        "stream",
        "translate",
        "--from",
        "anthropic",
        "--to",
        "openai-chat",
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    assert proc.stdin is not None
    assert proc.stdout is not None
    try:
        head = (
            b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"m"}}\n\n'
            b'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
            b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}\n\n'
        )
        proc.stdin.write(head)
        proc.stdin.flush()
        seen = b""
        for _ in range(100):  # bounded: up to 100 waits of 0.2 s for the first bytes
            seen += _read_available(proc.stdout.fileno(), 0.2)
            if b'"content":"Hel"' in seen:
                break
        assert b'"content":"Hel"' in seen
    finally:
        proc.stdin.close()
        proc.stdout.close()
        proc.wait(timeout=30)
