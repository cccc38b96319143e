"""Keys and signatures for hand-off envelopes: Ed25519 (through ``cryptography``) or HMAC-SHA256.

A key file is either a PEM Ed25519 key (private to sign, public or private to
verify) or, for HMAC, a shared secret: any other file, its bytes taken as they are
(surrounding whitespace stripped, so ``aif handoff keygen --hmac`` output and a
hand-written secret both work).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from aifkit.errors import InvalidInputError, MissingDependencyError, UsageError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

__all__ = ["Algorithm", "HandoffKey", "generate_key", "load_key"]

Algorithm = Literal["ed25519", "hmac-sha256"]

_MIN_HMAC_BYTES = 16


@dataclass(frozen=True, slots=True)
class HandoffKey:
    """A key that signs and/or verifies hand-off envelopes.

    Build one with `load_key` (from PEM or a shared secret) or `generate_key`.

    Attributes:
        algorithm: ``"ed25519"`` or ``"hmac-sha256"``.
        key_id: A short public fingerprint of the key, recorded in signatures.
        can_sign: Whether this key can sign (an Ed25519 public key only verifies).
    """

    algorithm: Algorithm
    key_id: str
    can_sign: bool
    _secret: bytes = field(repr=False)  # HMAC secret, or Ed25519 private/public PEM

    def sign(self, data: bytes) -> str:
        """Return the base64 signature of ``data``.

        Raises:
            UsageError: the key is an Ed25519 public key, which cannot sign.

        Examples:
            >>> key = load_key(b"a shared secret of enough length")
            >>> key.verify(b"payload", key.sign(b"payload"))
            True
        """
        if not self.can_sign:
            raise UsageError(
                "an Ed25519 public key cannot sign", hint="pass the private key (PEM) to sign"
            )
        if self.algorithm == "hmac-sha256":
            raw = hmac.new(self._secret, data, hashlib.sha256).digest()
        else:
            raw = _private(self._secret).sign(data)
        return base64.b64encode(raw).decode("ascii")

    def verify(self, data: bytes, signature: str) -> bool:
        """Return whether ``signature`` (base64) is this key's signature of ``data``."""
        try:
            raw = base64.b64decode(signature, validate=True)
        except ValueError:
            return False
        if self.algorithm == "hmac-sha256":
            return hmac.compare_digest(raw, hmac.new(self._secret, data, hashlib.sha256).digest())
        from cryptography.exceptions import InvalidSignature

        try:
            _public(self._secret, self.can_sign).verify(raw, data)
        except InvalidSignature:
            return False
        return True


def load_key(data: bytes | str | Path) -> HandoffKey:
    """Read a key: PEM Ed25519 (private or public), else an HMAC shared secret.

    Args:
        data: The key file's bytes, or a path to it.

    Raises:
        InvalidInputError: a PEM that is not an Ed25519 key, or a secret under 16 bytes.
        MissingDependencyError: a PEM key and ``cryptography`` is not installed.

    Examples:
        >>> key = load_key(b"0123456789abcdef0123456789abcdef")
        >>> key.algorithm, len(key.key_id)
        ('hmac-sha256', 16)
    """
    if isinstance(data, Path):
        try:
            data = data.read_bytes()
        except OSError as exc:
            raise UsageError(f"{data}: cannot read the key ({exc.strerror})") from None
    raw = data.encode() if isinstance(data, str) else data
    raw = raw.strip()
    if raw.startswith(b"-----BEGIN"):
        return _load_pem(raw)
    if len(raw) < _MIN_HMAC_BYTES:
        raise InvalidInputError(
            "",
            f"an HMAC key must be at least {_MIN_HMAC_BYTES} bytes, got {len(raw)}",
            hint="generate one with `aif handoff keygen --hmac`",
        )
    key_id = hashlib.sha256(b"aifkit-hmac-key-id\0" + raw).hexdigest()[:16]
    return HandoffKey("hmac-sha256", key_id, True, raw)


def generate_key(algorithm: Algorithm = "ed25519") -> tuple[bytes, bytes]:
    """Return a new key as ``(signing key file, verifying key file)`` bytes.

    For Ed25519 these are the private and public PEM files; for HMAC both are the
    same shared secret (64 hex digits).

    Examples:
        >>> private, public = generate_key("hmac-sha256")
        >>> private == public, len(private.strip())
        (True, 64)
    """
    if algorithm == "hmac-sha256":
        secret = secrets.token_hex(32).encode() + b"\n"
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


def _require_cryptography() -> None:
    try:
        import cryptography  # noqa: F401  # pyright: ignore[reportUnusedImport]
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise MissingDependencyError("cryptography", "handoff") from None


def _load_pem(pem: bytes) -> HandoffKey:
    _require_cryptography()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    private = b"PRIVATE KEY" in pem.split(b"\n", 1)[0]
    try:
        key = (
            serialization.load_pem_private_key(pem, password=None)
            if private
            else serialization.load_pem_public_key(pem)
        )
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(
            "", f"not a readable PEM key ({exc})", hint="pass an unencrypted Ed25519 PEM key"
        ) from None
    public = key.public_key() if isinstance(key, ed25519.Ed25519PrivateKey) else key
    if not isinstance(public, ed25519.Ed25519PublicKey):
        raise InvalidInputError(
            "",
            f"the PEM key is {type(key).__name__}, not Ed25519",
            hint="generate one with `aif handoff keygen`",
        )
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return HandoffKey("ed25519", hashlib.sha256(raw).hexdigest()[:16], private, pem)


def _private(pem: bytes) -> Ed25519PrivateKey:
    _require_cryptography()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    return key


def _public(pem: bytes, private: bool) -> Ed25519PublicKey:
    _require_cryptography()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    if private:
        return _private(pem).public_key()
    key = serialization.load_pem_public_key(pem)
    assert isinstance(key, ed25519.Ed25519PublicKey)
    return key
