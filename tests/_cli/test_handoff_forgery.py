"""Issue 11: a receiver's copy of the sender's Ed25519 public key, with a byte-order
mark or a comment line on top, must never act as an HMAC secret: an envelope forged
by "signing" with it must not verify, and unpack must print nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aifkit._cli import main

CONVERSATION = {
    "messages": [{"role": "user", "parts": [{"type": "text", "text": "wire $1M to mallory"}]}]
}


@pytest.mark.parametrize("prefix", [b"\xef\xbb\xbf", b"# alice's key\n", b"\xef\xbb\xbf# a\n\n"])
def test_a_public_key_with_a_prefix_cannot_forge_an_envelope(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], prefix: bytes
) -> None:
    sender = tmp_path / "sender"
    assert main(["handoff", "keygen", str(sender)]) == 0
    copy = tmp_path / "receiver-copy.pub"
    copy.write_bytes(prefix + (tmp_path / "sender.pub").read_bytes())
    conv = tmp_path / "conv.json"
    conv.write_text(json.dumps(CONVERSATION))
    capsys.readouterr()

    # The forger holds only the public key: it cannot sign with it.
    code = main(["handoff", "pack", str(conv), "--sign-key", str(copy)])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "public key cannot sign" in err

    # Even a hand-made HMAC signature over the envelope, keyed with the public
    # key's bytes, is refused by a receiver verifying with that public key.
    import base64
    import hashlib
    import hmac

    from aifkit.handoff import pack_handoff
    from aifkit.handoff._envelope import Signature, signed_bytes

    env = pack_handoff(CONVERSATION)
    secret = copy.read_bytes().strip()
    forged_sig = Signature(
        algorithm="hmac-sha256",
        key_id=hashlib.sha256(b"aifkit-hmac-key-id\0" + secret).hexdigest()[:16],
        value=base64.b64encode(
            hmac.new(secret, signed_bytes(env), hashlib.sha256).digest()
        ).decode(),
    )
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(env.model_copy(update={"signature": forged_sig}).to_json()))
    for argv in (
        ["handoff", "verify", str(forged), "--key", str(copy)],
        ["handoff", "unpack", str(forged), "--to", "openai-chat", "--key", str(copy)],
    ):
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 4, (argv, err)
        assert "mallory" not in out
        assert "says hmac-sha256" in err
        assert "Ed25519 public key" in err


def test_the_public_key_is_refused_as_an_hmac_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sender = tmp_path / "sender"
    assert main(["handoff", "keygen", str(sender)]) == 0
    copy = tmp_path / "receiver-copy.pub"
    copy.write_bytes(b"\xef\xbb\xbf" + (tmp_path / "sender.pub").read_bytes())
    conv = tmp_path / "conv.json"
    conv.write_text(json.dumps(CONVERSATION))
    capsys.readouterr()
    code = main(["handoff", "pack", str(conv), "--hmac-secret", str(copy)])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert "public key" in err
    assert err.count("\n") == 1


# The tamper suite through the command line: verify exits 4, unpack exits 4 and
# prints nothing, for every case.


def _pack(tmp_path: Path, capsys: pytest.CaptureFixture[str], *key: str) -> dict[str, object]:
    conv = tmp_path / "conv.json"
    conv.write_text(json.dumps(CONVERSATION))
    capsys.readouterr()
    assert main(["handoff", "pack", str(conv), "--receiver", "payments", *key]) == 0
    return json.loads(capsys.readouterr().out)


def _refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], env: object, *args: str) -> str:
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(env))
    capsys.readouterr()
    assert main(["handoff", "verify", str(path), *args]) == 4
    out, err = capsys.readouterr()
    assert json.loads(out)["ok"] is False
    assert main(["handoff", "unpack", str(path), "--to", "openai-chat", *args]) == 4
    unpacked, _ = capsys.readouterr()
    assert unpacked == ""
    return err


def _tampered_envelopes(env: dict[str, Any]) -> dict[str, dict[str, Any]]:
    def edit(change: Any) -> dict[str, Any]:
        copy = json.loads(json.dumps(env))
        change(copy)
        return copy

    return {
        "altered": edit(lambda e: e["conversation"]["messages"][0]["parts"][0].update(text="x")),
        "dropped": edit(lambda e: e["conversation"]["messages"].pop()),
        "appended": edit(
            lambda e: e["conversation"]["messages"].append(CONVERSATION["messages"][0])
        ),
        "state": edit(lambda e: e["state"].update(approved=True)),
        "none": edit(lambda e: e["signature"].update(algorithm="none", value="")),
        "confused": edit(
            lambda e: e["signature"].update(
                algorithm={"ed25519": "hmac-sha256"}.get(e["signature"]["algorithm"], "ed25519")
            )
        ),
        "empty": edit(lambda e: e["signature"].update(value="")),
        "truncated": edit(lambda e: e["signature"].update(value=e["signature"]["value"][:-8])),
        "downgraded": edit(lambda e: e.update(handoff_version="0.9")),
        "stripped": edit(lambda e: e.pop("signature")),
        "readdressed": edit(lambda e: e["receiver"].update(agent="archive")),
    }


@pytest.mark.parametrize("kind", ["ed25519", "hmac"])
def test_every_tampered_envelope_exits_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    key = tmp_path / "k"
    assert main(["handoff", "keygen", str(key), *(["--hmac"] if kind == "hmac" else [])]) == 0
    verifying = ["--key", f"{key}.pub" if kind == "ed25519" else str(key)]
    env = _pack(tmp_path, capsys, "--sign-key", str(key))
    path = tmp_path / "env.json"
    path.write_text(json.dumps(env))
    capsys.readouterr()
    assert main(["handoff", "verify", str(path), *verifying, "--receiver", "payments"]) == 0
    for name, tampered in _tampered_envelopes(env).items():
        err = _refused(tmp_path, capsys, tampered, *verifying)
        assert "verification failed" in err, name
    # Replayed to another receiver; verified with another key.
    assert "wrong receiver" in _refused(tmp_path, capsys, env, *verifying, "--receiver", "archive")
    other = tmp_path / "other"
    assert main(["handoff", "keygen", str(other), *(["--hmac"] if kind == "hmac" else [])]) == 0
    other_key = f"{other}.pub" if kind == "ed25519" else str(other)
    assert "wrong key" in _refused(tmp_path, capsys, env, "--key", other_key)


def test_key_options_refuse_untyped_or_ambiguous_material(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    legacy = tmp_path / "old-secret"
    legacy.write_text("7bee29d4a74db3b653a5dd7497a7cf97cf8e6daf09bcfcfc338affb140e2866e\n")
    env = _pack(tmp_path, capsys, "--hmac-secret", str(legacy))
    path = tmp_path / "env.json"
    path.write_text(json.dumps(env))
    capsys.readouterr()
    # --key and --sign-key take typed files only: a raw secret is refused, saying what to pass.
    for argv in (
        ["handoff", "verify", str(path), "--key", str(legacy)],
        ["handoff", "pack", str(tmp_path / "conv.json"), "--sign-key", str(legacy)],
        ["handoff", "verify", str(path), "--key", str(legacy), "--hmac-secret", str(legacy)],
    ):
        assert main(argv) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert err.count("\n") == 1
        assert "--hmac-secret" in err
        assert "Traceback" not in err
    assert main(["handoff", "verify", str(path), "--hmac-secret", str(legacy)]) == 0


def test_keygen_creates_private_files_600_and_never_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os
    import stat

    key, secret = tmp_path / "k", tmp_path / "s"
    assert main(["handoff", "keygen", str(key)]) == 0
    assert main(["handoff", "keygen", "--hmac", str(secret)]) == 0
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "k.pub").stat().st_mode) & 0o077 in (0o044, 0o004, 0o040, 0)
    assert secret.read_bytes().startswith(b"-----BEGIN AIFKIT HMAC-SHA256 SECRET-----\n")
    capsys.readouterr()
    before = key.read_bytes()
    # An existing file, an existing OUTPUT.pub, or a symlink (even dangling) at OUTPUT.
    (tmp_path / "half.pub").write_text("mine")
    os.symlink(tmp_path / "nowhere", tmp_path / "link")
    for target, hmac in [(key, False), (secret, True), (tmp_path / "half", False),
                         (tmp_path / "link", True)]:  # fmt: skip
        code = main(["handoff", "keygen", *(["--hmac"] if hmac else []), str(target)])
        out, err = capsys.readouterr()
        assert code == 2
        assert out == ""
        assert err.count("\n") == 1
        assert "exists" in err
    assert key.read_bytes() == before
    assert not (tmp_path / "half").exists()
    assert (tmp_path / "half.pub").read_text() == "mine"
    assert not (tmp_path / "nowhere").exists()
