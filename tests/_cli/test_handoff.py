"""The CLI contract of `aif handoff`: pack prints JSON, verify exits 0 or 4 naming the
failure, unpack prints the request body, `-` reads stdin."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from aifkit._cli import main

BODY: dict[str, Any] = {
    "model": "gpt-4o",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?", "name": "ada"},
        {"role": "assistant", "content": "Sunny."},
        {"role": "user", "content": "And tomorrow?"},
    ],
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


@pytest.fixture
def body_file(tmp_path: Path) -> Path:
    path = tmp_path / "body.json"
    path.write_text(json.dumps(BODY))
    return path


def test_pack_verify_unpack_with_an_ed25519_key(
    body_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = tmp_path / "hk"
    code, out, _ = run(capsys, monkeypatch, ["handoff", "keygen", str(key)])
    assert code == 0
    assert out.split() == [str(key), f"{key}.pub"]
    code, out, err = run(capsys, monkeypatch, ["handoff", "pack", str(body_file), "--format",
                         "openai-chat", "--to", "anthropic", "--sign-key", str(key)])  # fmt: skip
    assert code == 0
    env = json.loads(out)
    assert env["signature"]["algorithm"] == "ed25519"
    assert env["plan"]["target"] == "anthropic"
    assert "cannot carry" in err  # the loss report is announced before anything is sent
    envelope = tmp_path / "env.json"
    envelope.write_text(out)

    code, out, _ = run(
        capsys, monkeypatch, ["handoff", "verify", str(envelope), "--key", f"{key}.pub"]
    )
    assert code == 0
    assert json.loads(out)["ok"] is True

    code, out, _ = run(capsys, monkeypatch, ["handoff", "unpack", "-", "--to", "anthropic",
                                             "--key", f"{key}.pub"], stdin=envelope.read_text())  # fmt: skip
    assert code == 0
    body = json.loads(out)
    assert body["system"] == "Be brief."
    assert [m["content"] for m in body["messages"]][-1] == "And tomorrow?"


@pytest.mark.parametrize(
    ("mutate", "named"),
    [
        (lambda e: e["conversation"]["messages"].pop(0), "/conversation/messages/0: dropped"),
        (lambda e: e["conversation"]["messages"].reverse(), "reordered"),
        (lambda e: e["conversation"]["messages"][1]["parts"][0].update(text="Rainy."), "altered"),
        (
            lambda e: e["conversation"]["messages"].append(e["conversation"]["messages"][0]),
            "appended",
        ),
    ],
)
def test_verify_exits_4_naming_what_failed(
    body_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    mutate: Any,
    named: str,
) -> None:
    code, out, _ = run(
        capsys, monkeypatch, ["handoff", "pack", str(body_file), "--format", "openai-chat"]
    )
    assert code == 0
    env = json.loads(out)
    mutate(env)
    code, out, err = run(capsys, monkeypatch, ["handoff", "verify", "-"], stdin=json.dumps(env))
    assert code == 4
    assert json.loads(out)["ok"] is False
    assert named in err
    assert "Traceback" not in err
    code, _, err = run(capsys, monkeypatch, ["handoff", "unpack", "-", "--to", "openai-chat"],
                       stdin=json.dumps(env))  # fmt: skip
    assert code == 4
    assert "failed verification" in err


def test_hmac_keys_and_missing_key(
    body_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = tmp_path / "secret"
    assert run(capsys, monkeypatch, ["handoff", "keygen", "--hmac", str(key)])[0] == 0
    assert not (tmp_path / "secret.pub").exists()
    code, out, _ = run(capsys, monkeypatch, ["handoff", "pack", "-", "--format", "openai-chat",
                                             "--sign-key", str(key)], stdin=json.dumps(BODY))  # fmt: skip
    assert code == 0
    envelope = tmp_path / "env.json"
    envelope.write_text(out)
    code, _, err = run(capsys, monkeypatch, ["handoff", "verify", str(envelope)])
    assert code == 4
    assert "missing key" in err
    for argv in (["verify"], ["unpack", "--to", "anthropic"]):  # the receiver's to fix: say how
        code, _, err = run(capsys, monkeypatch, ["handoff", *argv, str(envelope)])
        assert code == 4
        assert "pass the sender's key: --key FILE or --hmac-secret FILE" in err
        assert "key=" not in err  # a flag, not the Python argument
        assert "ask the sender" not in err
    assert run(capsys, monkeypatch, ["handoff", "verify", str(envelope), "--key", str(key)])[0] == 0
    code, _, err = run(capsys, monkeypatch, ["handoff", "keygen", "--hmac", str(key)])
    assert code == 2
    assert "exists" in err


def test_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(capsys, monkeypatch, ["handoff", "verify", str(tmp_path / "nope.json")])
    assert code == 2
    assert err.startswith("aif: ")
    assert "no such file" in err
    code, _, err = run(capsys, monkeypatch, ["handoff", "pack", "-"], stdin="{not json")
    assert code == 2
    assert "not valid JSON" in err


def test_plan_prints_the_loss_report_before_sending(
    body_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(capsys, monkeypatch, ["handoff", "plan", str(body_file), "--format",
                                             "openai-chat", "--to", "anthropic"])  # fmt: skip
    assert code == 0
    plan = json.loads(out)
    assert plan["moved"] == [0, 1, 2]
    assert ("/messages/0/name", "dropped") in [
        (e["pointer"], e["action"]) for e in plan["report"]["entries"]
    ]
    code, _, err = run(capsys, monkeypatch, ["handoff", "plan", str(body_file), "--format",
                                             "openai-chat", "--to", "anthropic", "--budget", "9"])  # fmt: skip
    assert code == 2
    assert "needs the receiver's model" in err


def test_aif_handoff_verify_accepts_a_recorded_envelope(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Envelopes signed over AIF 1.0.0 conversations, before the 1.1 bump (see
    # tests/handoff/test_versions.py).
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "handoff"
    envelope, secret = fixtures / "ed25519-aif-1.0.envelope.json", fixtures / "legacy-hmac.secret"
    argv = ["handoff", "verify", str(envelope), "--key", str(fixtures / "ed25519-aif-1.0.public.pem")]  # fmt: skip
    code, out, err = run(capsys, monkeypatch, argv)
    assert (code, json.loads(out)["ok"], err) == (0, True, "")
    code, _, err = run(capsys, monkeypatch, ["handoff", "verify", "-", "--hmac-secret", str(secret)], stdin=envelope.read_text())  # fmt: skip
    assert code == 4
    assert "algorithm mismatch" in err
    legacy = fixtures / "legacy-hmac.envelope.json"
    code, _, _ = run(capsys, monkeypatch, ["handoff", "verify", str(legacy), "--hmac-secret", str(secret)])  # fmt: skip
    assert code == 0
    code, out, _ = run(capsys, monkeypatch, ["handoff", "unpack", str(legacy), "--to", "anthropic", "--hmac-secret", str(secret)])  # fmt: skip
    assert code == 0
    assert json.loads(out)["messages"] == [{"role": "user", "content": "Book a table for two."}]
