"""Keys and signatures for hand-off envelopes: Ed25519 (through ``cryptography``) or HMAC-SHA256.

Key material is typed, never guessed from its bytes. A key file holds one armored
block whose label says what it is:

* ``-----BEGIN PRIVATE KEY-----``: an Ed25519 private key (PKCS#8), signs and verifies;
* ``-----BEGIN PUBLIC KEY-----``: an Ed25519 public key, verifies only;
* ``-----BEGIN AIFKIT HMAC-SHA256 SECRET-----``: a shared HMAC secret (base64), as
  ``aif handoff keygen --hmac`` writes it.

A UTF-8 byte-order mark and text around the block (a comment line) are allowed;
two blocks, or any other label, are refused. Bytes without a block are a key only
when the caller says they are an HMAC secret (``load_key(data, "hmac-sha256")``,
``--hmac-secret FILE``): that is how secrets written by older versions (64 hex
digits) and hand-written secrets keep working. Even then, anything that looks like
a public or private key is refused: a public key is never a secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from aifkit.errors import MissingDependencyError, UsageError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = ["HMAC_LABEL", "Algorithm", "HandoffKey", "generate_key", "load_key"]

Algorithm = Literal["ed25519", "hmac-sha256"]

HMAC_LABEL = "AIFKIT HMAC-SHA256 SECRET"
"""The armor label of an HMAC secret file."""

_MIN_HMAC_BYTES = 16
_SIGNATURE_BYTES = {"ed25519": 64, "hmac-sha256": 32}
_BOM = b"\xef\xbb\xbf"
_HINT = (
    "pass an Ed25519 PEM key (`aif handoff keygen`) or an HMAC secret file "
    "(`aif handoff keygen --hmac`)"
)
# Marks of key material that must never be taken for a raw HMAC secret: PEM armor,
# the words of its labels, OpenSSH public keys, and the DER (and base64 DER) prefixes
# of Ed25519 public (SPKI) and private (PKCS#8) keys.
_KEY_MARKS = (
    b"-----BEGIN",
    b"-----END",
    b"PUBLIC KEY",
    b"PRIVATE KEY",
    b"ssh-ed25519",
    b"ssh-rsa",
    b"ecdsa-sha2-",
    b"MCowBQYDK2Vw",
    b"MC4CAQAwBQYDK2Vw",
    bytes.fromhex("302a300506032b6570032100"),
    bytes.fromhex("302e020100300506032b657004220420"),
)


@dataclass(frozen=True, slots=True)
class HandoffKey:
    """A key that signs and/or verifies hand-off envelopes.

    Build one with `load_key` or `generate_key`; its algorithm comes from how the
    key was typed, never from a guess.

    Attributes:
        algorithm: ``"ed25519"`` or ``"hmac-sha256"``.
        key_id: A short public fingerprint of the key, recorded in signatures.
        can_sign: Whether this key can sign (an Ed25519 public key only verifies).
    """

    algorithm: Algorithm
    key_id: str
    can_sign: bool
    _material: bytes = field(repr=False)  # HMAC secret, or raw Ed25519 private/public key

    @property
    def kind(self) -> str:
        """What the key is, in words: ``"Ed25519 private key"``, ``"HMAC-SHA256 secret"``, ..."""
        if self.algorithm == "hmac-sha256":
            return "HMAC-SHA256 secret"
        return "Ed25519 private key" if self.can_sign else "Ed25519 public key"

    def sign(self, data: bytes) -> str:
        """Return the base64 signature of ``data``.

        Raises:
            UsageError: the key is an Ed25519 public key, which cannot sign.

        Examples:
            >>> key = load_key(b"a shared secret of enough length", "hmac-sha256")
            >>> key.verify(b"payload", key.sign(b"payload"))
            True
        """
        if not self.can_sign:
            raise UsageError(
                "an Ed25519 public key cannot sign",
                hint="sign with the private key (PEM), which stays with the sender",
            )
        if self.algorithm == "hmac-sha256":
            raw = hmac.new(self._material, data, hashlib.sha256).digest()
        else:
            _require_cryptography()
            from cryptography.hazmat.primitives.asymmetric import ed25519

            raw = ed25519.Ed25519PrivateKey.from_private_bytes(self._material).sign(data)
        return base64.b64encode(raw).decode("ascii")

    def verify(self, data: bytes, signature: str) -> bool:
        """Return whether ``signature`` (base64) is this key's signature of ``data``.

        A signature of the wrong length (empty, truncated) is not.

        Examples:
            >>> key = load_key(b"a shared secret of enough length", "hmac-sha256")
            >>> key.verify(b"payload", key.sign(b"payload")[:-4]), key.verify(b"payload", "")
            (False, False)
        """
        try:
            raw = base64.b64decode(signature, validate=True)
        except (ValueError, binascii.Error):
            return False
        # Only the canonical encoding of a signature of the right length counts.
        if len(raw) != _SIGNATURE_BYTES[self.algorithm] or base64.b64encode(raw) != (
            signature.encode("ascii", "replace")
        ):
            return False
        if self.algorithm == "hmac-sha256":
            expected = hmac.new(self._material, data, hashlib.sha256).digest()
            return hmac.compare_digest(raw, expected)
        _require_cryptography()
        from cryptography.exceptions import InvalidSignature

        try:
            _public_key(self._material, self.can_sign).verify(raw, data)
        except InvalidSignature:
            return False
        return True


def load_key(data: bytes | str | Path, algorithm: Algorithm | None = None) -> HandoffKey:
    """Read a typed key: an Ed25519 PEM key or an armored HMAC secret.

    Args:
        data: The key file's bytes, or a path to it.
        algorithm: What the key must be. ``None`` takes what the file's armor
            label says, and refuses bytes without one. ``"hmac-sha256"`` also
            takes a raw shared secret (a secret file written by older versions, or
            one written by hand), but never anything that looks like a key.
            ``"ed25519"`` takes only an Ed25519 PEM key.

    Raises:
        UsageError: the material is not typed, is not the ``algorithm`` asked for
            (a public key offered as an HMAC secret), has more than one block, is
            not a readable Ed25519 key, or is a secret under 16 bytes; the file
            cannot be read.
        MissingDependencyError: an Ed25519 key and ``cryptography`` is not installed.

    Examples:
        >>> secret, _ = generate_key("hmac-sha256")
        >>> key = load_key(secret)
        >>> key.algorithm, key.kind, len(key.key_id)
        ('hmac-sha256', 'HMAC-SHA256 secret', 16)
        >>> load_key(b"0123456789abcdef0123456789abcdef", "hmac-sha256").algorithm
        'hmac-sha256'
        >>> load_key(b"0123456789abcdef0123456789abcdef")
        Traceback (most recent call last):
        ...
        aifkit.errors.UsageError: the key: not a typed key (no -----BEGIN ...----- block); \
a raw shared HMAC secret must be typed: pass it with --hmac-secret FILE \
(Python: load_key(data, "hmac-sha256"))
    """
    where = "the key"
    if isinstance(data, Path):
        where = str(data)
        try:
            data = data.read_bytes()
        except OSError as exc:
            raise UsageError(f"{where}: cannot read the key ({exc.strerror})") from None
    raw = data.encode() if isinstance(data, str) else data
    armor = _armor(raw, where)
    if armor is None:
        if algorithm == "hmac-sha256":
            return _hmac_key(_not_a_key(raw.strip(), where), where)
        expected = "an Ed25519 PEM key" if algorithm == "ed25519" else "a typed key"
        raise UsageError(
            f"{where}: not {expected} (no -----BEGIN ...----- block)",
            hint=(
                _HINT
                if algorithm == "ed25519"
                else "a raw shared HMAC secret must be typed: pass it with --hmac-secret FILE "
                '(Python: load_key(data, "hmac-sha256"))'
            ),
        )
    label, body = armor
    if label == HMAC_LABEL:
        if algorithm == "ed25519":
            raise UsageError(f"{where}: an HMAC secret, not an Ed25519 key", hint=_HINT)
        return _hmac_key(_not_a_key(_base64(body, where), where), where)
    if label not in ("PRIVATE KEY", "PUBLIC KEY"):
        hint = (
            "decrypt it first: openssl pkey -in KEY -out PLAIN"
            if label == "ENCRYPTED PRIVATE KEY"
            else _HINT
        )
        raise UsageError(f"{where}: a {label} block is not a hand-off key", hint=hint)
    key = _ed25519(label == "PRIVATE KEY", _base64(body, where), where)
    if algorithm == "hmac-sha256":
        raise UsageError(
            f"{where}: an {key.kind}, not an HMAC secret (a key is never used as a secret)",
            hint="pass it as the key it is (--key FILE, load_key(data)); "
            "make a secret with `aif handoff keygen --hmac`",
        )
    return key


def generate_key(algorithm: Algorithm = "ed25519") -> tuple[bytes, bytes]:
    """Return a new key as ``(signing key file, verifying key file)`` bytes.

    For Ed25519 these are the private and public PEM files; for HMAC both are the
    same armored 32-byte secret.

    Examples:
        >>> private, public = generate_key("hmac-sha256")
        >>> private == public, private.splitlines()[0]
        (True, b'-----BEGIN AIFKIT HMAC-SHA256 SECRET-----')
    """
    if algorithm == "hmac-sha256":
        secret = _armored(HMAC_LABEL, secrets.token_bytes(32))
        return secret, secret
    _require_cryptography()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def _armored(label: str, body: bytes) -> bytes:
    text = base64.b64encode(body).decode("ascii")
    return f"-----BEGIN {label}-----\n{text}\n-----END {label}-----\n".encode("ascii")


def _armor(raw: bytes, where: str) -> tuple[str, bytes] | None:
    """Return the one armored block's label and body; None when there is no block.

    A byte-order mark and text outside the block are allowed (RFC 7468 lets
    explanatory text precede it); a second block, or half of one, is refused.
    """
    lines = raw.removeprefix(_BOM).splitlines()
    begins = [i for i, line in enumerate(lines) if line.strip().startswith(b"-----BEGIN ")]
    ends = [i for i, line in enumerate(lines) if line.strip().startswith(b"-----END ")]
    if not begins and not ends:
        return None
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        raise UsageError(
            f"{where}: expected exactly one -----BEGIN ...----- / -----END ...----- block, "
            f"found {len(begins)} BEGIN and {len(ends)} END lines",
            hint="keep one key per file",
        )
    begin, end = lines[begins[0]].strip(), lines[ends[0]].strip()
    label = begin.removeprefix(b"-----BEGIN ").removesuffix(b"-----")
    if not begin.endswith(b"-----") or end != b"-----END " + label + b"-----":
        raise UsageError(f"{where}: the BEGIN and END lines do not match", hint=_HINT)
    try:
        name = label.decode("ascii")
    except UnicodeDecodeError:
        raise UsageError(f"{where}: the block's label is not ASCII", hint=_HINT) from None
    return name, b"".join(line.strip() for line in lines[begins[0] + 1 : ends[0]])


def _base64(body: bytes, where: str) -> bytes:
    try:
        return base64.b64decode(body, validate=True)
    except (ValueError, binascii.Error):
        raise UsageError(f"{where}: the key block is not base64", hint=_HINT) from None


def _not_a_key(secret: bytes, where: str) -> bytes:
    """Return ``secret``, refusing bytes that carry the marks of a key."""
    mark = next((m for m in _KEY_MARKS if m in secret), None)
    if mark is not None:
        raise UsageError(
            f"{where}: looks like a key or a key file ({mark!r} in it), "
            "not a shared secret; a key is never used as an HMAC secret",
            hint="make a secret with `aif handoff keygen --hmac`",
        )
    return secret


def _hmac_key(secret: bytes, where: str) -> HandoffKey:
    if len(secret) < _MIN_HMAC_BYTES:
        raise UsageError(
            f"{where}: an HMAC secret must be at least {_MIN_HMAC_BYTES} bytes, got {len(secret)}",
            hint="generate one with `aif handoff keygen --hmac`",
        )
    key_id = hashlib.sha256(b"aifkit-hmac-key-id\0" + secret).hexdigest()[:16]
    return HandoffKey("hmac-sha256", key_id, True, secret)


def _ed25519(private: bool, der: bytes, where: str) -> HandoffKey:
    _require_cryptography()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    try:
        key = (
            serialization.load_der_private_key(der, password=None)
            if private
            else serialization.load_der_public_key(der)
        )
    except (ValueError, TypeError, NotImplementedError) as exc:
        raise UsageError(f"{where}: not a readable PEM key ({exc})", hint=_HINT) from None
    public = key.public_key() if isinstance(key, ed25519.Ed25519PrivateKey) else key
    if not isinstance(public, ed25519.Ed25519PublicKey):
        raise UsageError(f"{where}: the PEM key is {type(key).__name__}, not Ed25519", hint=_HINT)
    raw_public = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    material = raw_public
    if isinstance(key, ed25519.Ed25519PrivateKey):
        material = key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
    key_id = hashlib.sha256(raw_public).hexdigest()[:16]
    return HandoffKey("ed25519", key_id, private, material)


def _require_cryptography() -> None:
    try:
        import cryptography  # noqa: F401  # pyright: ignore[reportUnusedImport]
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise MissingDependencyError("cryptography", "handoff") from None


def _public_key(material: bytes, private: bool) -> Ed25519PublicKey:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    if private:
        return ed25519.Ed25519PrivateKey.from_private_bytes(material).public_key()
    return ed25519.Ed25519PublicKey.from_public_bytes(material)
