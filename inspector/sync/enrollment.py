"""Offline enrollment: the enrollment file the central office writes, and the request a laptop
puts in the manifest of its bundles until the central has registered it.

The file (`inspector central enroll-token --out FILE`) is canonical JSON:

    {"format": "inspector.enrollment", "version": 1, "offer": {...}, "sig": hex}

`offer` = {server_id, server_public_key, server_x25519, team, token, expires_at, created_at, url,
tls_fingerprint}; `sig` is the server's Ed25519 signature over "inspector.enrollment.v1\\0" +
canonical(offer). The signature only proves the file is whole and was made by the holder of the
key it names: which server to trust comes from who handed over the stick, as with a printed token.
The token inside is a secret: whoever holds the file can enroll one device with it.

The laptop never puts the token into a bundle. Its request carries a proof bound to its own keys,
HMAC-SHA256(key = SHA-256(token), "inspector.enroll.v1\\0" ‖ server id ‖ device key ‖ X25519 key):
the central keeps only SHA-256(token), so it can check the proof, and a reader of the stick can
neither recover the token nor reuse the proof for another key (the manifest is signed by the
device's key, which proves possession).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from inspector import canonical
from inspector.clock import parse_rfc3339
from inspector.errors import UserError
from inspector.sync.keys import Signer, check_device_key, is_hex, verify_ed25519
from inspector.sync.wire import PROTOCOL, WireError, is_timestamp, parse_json

FILE_FORMAT = "inspector.enrollment"
FILE_VERSION = 1
FILE_DOMAIN = b"inspector.enrollment.v1\x00"
PROOF_DOMAIN = b"inspector.enroll.v1\x00"
MAX_FILE = 64 * 1024
_OFFER_KEYS = frozenset({"server_id", "server_public_key", "server_x25519", "team", "token", "expires_at",
                         "created_at", "url", "tls_fingerprint"})
REQUEST_KEYS = frozenset({"server", "proof", "x25519_public", "label", "person", "protocol"})


@dataclass(frozen=True)
class Enrollment:
    """The outcome of enrolling this device (over the network, or from a file)."""

    server_id: str
    device_id: str
    epoch: int
    team: str
    server_fingerprint: str
    pending: bool = False  # from a file: the central registers it with this device's first bundle
    expires_at: str | None = None  # pending: the first bundle must reach the central before this
    tls_fingerprint: str | None = None  # the server certificate this device pins (HTTPS)


class EnrollmentFileError(UserError):
    """The enrollment file cannot be used: unreadable, not one, damaged or expired. Nothing changed."""


def _file_error(message: str, **params: Any) -> EnrollmentFileError:
    return EnrollmentFileError(message, hint="Xin văn phòng trung tâm tệp đăng ký mới rồi chép lại vào USB.",
                               **params)


@dataclass(frozen=True)
class EnrollmentOffer:
    """What the central office hands a laptop to enroll without any network."""

    server_id: str
    server_public_key: bytes
    server_x25519: bytes
    team: str
    token: str
    expires_at: str
    created_at: str
    url: str  # "" when the office has no server a laptop can reach
    tls_fingerprint: str | None  # SHA-256 of the server's TLS certificate (DER), hex

    def body(self) -> dict[str, Any]:
        return {"server_id": self.server_id, "server_public_key": self.server_public_key.hex(),
                "server_x25519": self.server_x25519.hex(), "team": self.team, "token": self.token,
                "expires_at": self.expires_at, "created_at": self.created_at, "url": self.url,
                "tls_fingerprint": self.tls_fingerprint}

    def expired(self, now: datetime) -> bool:
        return parse_rfc3339(self.expires_at) < now


def encode_offer(offer: EnrollmentOffer, signer: Signer) -> bytes:
    body = offer.body()
    sig = signer.sign(FILE_DOMAIN + canonical.encode(body))
    return canonical.encode({"format": FILE_FORMAT, "version": FILE_VERSION, "offer": body, "sig": sig.hex()})


def decode_offer(data: bytes) -> EnrollmentOffer:
    """Check an enrollment file completely (size, strict JSON, shape, the server's signature)."""
    if len(data) > MAX_FILE:
        raise _file_error("Tệp này quá lớn để là tệp đăng ký thiết bị.")
    try:
        doc = parse_json(data, what="tệp đăng ký")
    except WireError as exc:
        raise _file_error("Tệp này không phải tệp đăng ký thiết bị (không đọc được nội dung).") from exc
    if not (isinstance(doc, dict) and doc.get("format") == FILE_FORMAT and set(doc) == {
            "format", "version", "offer", "sig"}):
        raise _file_error("Tệp này không phải tệp đăng ký thiết bị.")
    if doc["version"] != FILE_VERSION:
        raise EnrollmentFileError("Tệp đăng ký được tạo bởi phiên bản phần mềm khác.",
                                  hint="Cập nhật phần mềm lên phiên bản mới nhất.")
    o = doc["offer"]
    ok = (isinstance(o, dict) and set(o) == _OFFER_KEYS and is_hex(o["server_id"], 32)
          and is_hex(o["server_public_key"], 64) and is_hex(o["server_x25519"], 64)
          and isinstance(o["team"], str) and 0 < len(o["team"]) <= 120
          and isinstance(o["token"], str) and 0 < len(o["token"]) <= 200
          and is_timestamp(o["expires_at"]) and is_timestamp(o["created_at"])
          and isinstance(o["url"], str) and len(o["url"]) <= 500
          and (o["tls_fingerprint"] is None or is_hex(o["tls_fingerprint"], 64))
          and is_hex(doc["sig"], 128))
    if not ok:
        raise _file_error("Tệp đăng ký thiết bị có trường không hợp lệ.")
    key = bytes.fromhex(o["server_public_key"])
    if (not check_device_key(o["server_id"], key)
            or not verify_ed25519(key, bytes.fromhex(doc["sig"]), FILE_DOMAIN + canonical.encode(o))):
        raise _file_error("Tệp đăng ký thiết bị đã bị sửa hoặc hỏng (chữ ký của máy chủ không khớp).")
    return EnrollmentOffer(o["server_id"], key, bytes.fromhex(o["server_x25519"]), o["team"], o["token"],
                           o["expires_at"], o["created_at"], o["url"], o["tls_fingerprint"])


def normalise_token(text: str) -> str:
    return "".join(c for c in text.upper() if c.isalnum())


def token_digest(text: str) -> str:
    """What the central stores of a token (never the token itself)."""
    return hashlib.sha256(normalise_token(text).encode("ascii", "replace")).hexdigest()


def proof(token_sha256: str, server_id: str, public_key: bytes, x25519_public: bytes) -> str:
    """The device's proof that it holds the token, bound to its keys (see the module doc)."""
    message = PROOF_DOMAIN + server_id.encode("ascii") + public_key + x25519_public
    return hmac.new(bytes.fromhex(token_sha256), message, hashlib.sha256).hexdigest()


def check_request(value: Any) -> bool:
    """Shape and bounds of a manifest's enrollment request (the bundle signature covers it)."""
    return (isinstance(value, dict) and set(value) == REQUEST_KEYS and is_hex(value["server"], 32)
            and is_hex(value["proof"], 64) and is_hex(value["x25519_public"], 64)
            and isinstance(value["label"], str) and len(value["label"]) <= 120
            and value["protocol"] == PROTOCOL and isinstance(value["person"], dict)
            and set(value["person"]) == {"id", "name"} and isinstance(value["person"]["id"], str)
            and 0 < len(value["person"]["id"]) <= 64 and isinstance(value["person"]["name"], str)
            and len(value["person"]["name"]) <= 200)
