"""`aif compress --store` and `aif pack --store` keep what they elided; `aif expand REF
--store PATH` prints it back."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from aifkit._cli import main
from aifkit.tokens import count_tokens

LOG = "\n".join(f"2026-03-04T10:{i // 60:02d}:{i % 60:02d}Z INFO served /a/{i} in {i % 90}ms"
                for i in range(600))  # fmt: skip
BODY = {"model": "gpt-4o", "messages": [
    {"role": "user", "content": "Read the log."},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "read_log", "arguments": "{}"}}]},
    {"role": "tool", "tool_call_id": "c1", "content": LOG},
    {"role": "assistant", "content": "Done."},
    {"role": "user", "content": "Anything odd?"}]}  # fmt: skip


def test_compress_then_expand_gives_back_exactly_the_elided_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body, store = tmp_path / "body.json", tmp_path / "elided.db"
    body.write_text(json.dumps(BODY))
    code = main(["compress", str(body), "-f", "openai-chat", "-m", "gpt-4o", "--ratio", "0.1",
                 "--store", str(store), "--expand-tool"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    small = json.loads(out)
    assert small["tools"][0]["function"]["name"] == "aif_expand"
    before = count_tokens(BODY, format="openai-chat", model="gpt-4o").total
    assert count_tokens(small, format="openai-chat", model="gpt-4o").total <= before * 0.1
    assert "over the goal" not in err  # the tool's own tokens were made room for
    text = small["messages"][2]["content"]
    refs = re.findall(r"ref ([0-9a-f]{10}): expand to see", text)
    assert refs
    shown = [ln for ln in text.splitlines() if "expand to see" not in ln]
    gone: list[str] = []
    for ref in refs:
        assert main(["expand", ref, "--store", str(store)]) == 0
        gone += capsys.readouterr().out.splitlines()
    assert sorted(shown + gone) == sorted(LOG.splitlines())


def test_pack_keeps_what_it_elided_for_expand(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body, store = tmp_path / "body.json", tmp_path / "elided.db"
    body.write_text(json.dumps(BODY))
    code = main(["pack", str(body), "-f", "openai-chat", "-m", "gpt-4o", "--budget", "1500",
                 "--store", str(store)])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    text = json.loads(out)["messages"][2]["content"]
    refs = re.findall(r"ref ([0-9a-f]{10}): expand to see", text)
    assert refs  # the default pack compressed the log, marking what it left out
    shown = [ln for ln in text.splitlines() if "expand to see" not in ln]
    gone: list[str] = []
    for ref in refs:
        assert main(["expand", ref, "--store", str(store)]) == 0
        gone += capsys.readouterr().out.splitlines()
    assert sorted(shown + gone) == sorted(LOG.splitlines())


def test_an_unknown_ref_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "elided.db"
    assert main(["expand", "0123456789", "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert "no elision store" in err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1


def test_expand_tool_without_a_store_is_refused_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Refs nobody can answer would reach the model: refuse, one line, exit 2.
    assert main(["compress", str(tmp_path / "unread.json"), "-f", "openai-chat", "-m", "gpt-4o",
                 "--ratio", "0.5", "--expand-tool"]) == 2  # fmt: skip
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("aif: --expand-tool needs --store PATH")
