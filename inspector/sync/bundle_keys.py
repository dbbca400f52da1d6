"""Bundle encryption keys: a fresh data key per bundle, wrapped for each recipient.

One ephemeral X25519 key per bundle; for each recipient, KEK = HKDF-SHA256(X25519 shared
secret, salt = ephemeral ‖ recipient public key, info = "inspector/bundle-kek/v1" ‖ bundle_id),
and wrap = AES-256-GCM(KEK, data key, AAD = bundle_id). The wrapped keys sit in the (signed)
manifest; each identity's X25519 key is derived from its Ed25519 key (`sync.keys`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from inspector.sync.keys import Signer, x25519_public_from
from inspector.sync.wire import WireError

ENCRYPTION_ALG = "x25519-hkdf-sha256+aes-256-gcm"
CHUNK_SIZE = 1024 * 1024


def bad(message: str, **params: Any) -> WireError:
    return WireError(message, hint="Xuất lại gói từ máy gửi rồi chép lại vào USB.", code="bundle",
                     **params)


def _kek(shared: bytes, ephemeral: bytes, recipient: bytes, bundle_id: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient,
                info=b"inspector/bundle-kek/v1" + bundle_id.encode()).derive(shared)


def wrap_key(data_key: bytes, bundle_id: str, recipients: Sequence[tuple[str, bytes]]) -> dict[str, Any]:
    eph = X25519PrivateKey.generate()
    eph_pub = eph.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    wrapped = []
    for recipient_id, public in recipients:
        kek = _kek(eph.exchange(x25519_public_from(public)), eph_pub, public, bundle_id)
        nonce = os.urandom(12)
        wrapped.append({"id": recipient_id,
                        "wrap": (nonce + AESGCM(kek).encrypt(nonce, data_key, bundle_id.encode())).hex()})
    return {"alg": ENCRYPTION_ALG, "ephemeral": eph_pub.hex(), "chunk_size": CHUNK_SIZE,
            "recipients": wrapped}


def unwrap_key(manifest: dict[str, Any], recipient: Signer) -> bytes:
    enc = manifest["encryption"]
    if enc is None:
        raise bad("Gói này không có dữ liệu mã hóa.")
    mine = [r for r in enc["recipients"] if r["id"] == recipient.device_id]
    if not mine:
        raise WireError("Gói này không được gửi cho máy này nên không mở được.", code="audience",
                        hint="Kiểm tra lại: gói xuất cho máy chủ trung tâm chỉ nhập được ở máy chủ.")
    eph_pub = bytes.fromhex(enc["ephemeral"])
    own = recipient.x25519_private()
    own_pub = own.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    blob = bytes.fromhex(mine[0]["wrap"])
    kek = _kek(own.exchange(x25519_public_from(eph_pub)), eph_pub, own_pub, manifest["bundle_id"])
    try:
        return AESGCM(kek).decrypt(blob[:12], blob[12:], manifest["bundle_id"].encode())
    except InvalidTag as exc:
        raise bad("Không giải mã được khóa của gói (gói hỏng hoặc không dành cho máy này).") from exc


