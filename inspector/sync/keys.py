"""Key helpers: Ed25519 signatures, the X25519 key each identity derives for bundle encryption.

A device (and the server, which is a device of the event log too) keeps one Ed25519 key pair in
its database. Its X25519 key for receiving encrypted bundles is derived from the Ed25519 private
key with HKDF, so there is no second secret to store, back up or lose.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from inspector.store.device import DeviceIdentity, device_id_for

_X25519_INFO = b"inspector/x25519-from-ed25519/v1"
_RAW = serialization.Encoding.Raw


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


_HEX = re.compile(r"[0-9a-f]*")


def is_hex(text: object, length: int) -> bool:
    """Lower-case hexadecimal of exactly `length` digits (ids, hashes, keys)."""
    return isinstance(text, str) and len(text) == length and _HEX.fullmatch(text) is not None


def fingerprint(public_key: bytes) -> str:
    """Human-comparable key fingerprint: 8 groups of 4 hex digits of SHA-256(key)."""
    digest = hashlib.sha256(public_key).hexdigest()[:32]
    return " ".join(digest[i:i + 4] for i in range(0, 32, 4))


def verify_ed25519(public_key: bytes, signature: bytes, message: bytes) -> bool:
    if len(public_key) != 32 or len(signature) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Signer:
    """An identity that signs: a device, or the central server."""

    device_id: str
    public_key: bytes
    private_key: bytes

    @classmethod
    def of(cls, device: DeviceIdentity) -> Signer:
        return cls(device.device_id, device.public_key, device.private_key)

    def sign(self, message: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.private_key).sign(message)

    def x25519_private(self) -> X25519PrivateKey:
        seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_X25519_INFO).derive(
            self.private_key)
        return X25519PrivateKey.from_private_bytes(seed)

    def x25519_public(self) -> bytes:
        return self.x25519_private().public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)


def x25519_public_from(raw: bytes) -> X25519PublicKey:
    return X25519PublicKey.from_public_bytes(raw)


def check_device_key(device_id: str, public_key: bytes) -> bool:
    return len(public_key) == 32 and device_id_for(public_key) == device_id
