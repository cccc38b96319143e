"""Issue 11: a receiver's copy of the sender's Ed25519 public key, with a byte-order
mark or a comment line on top, must never act as an HMAC secret: an envelope forged
by "signing" with it must not verify, and unpack must print nothing."""

from __future__ import annotations

import json
from pathlib import Path

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

    from aifkit.aif import pack_handoff
    from aifkit.aif._handoff import Signature, signed_bytes

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
