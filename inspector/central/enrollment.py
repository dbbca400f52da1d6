"""Offline enrollment on the central: the enrollment file, and completing a laptop's registration
when its first bundle is imported (`central import-bundle`). Same rules as `POST /sync/v1/enroll`:
the token is single-use (a second device with the same file is refused, the same device again is
a no-op), it expires (checked with the server's clock when the bundle arrives), a revoked device
never comes back, a person holds one active device. See `inspector.sync.enrollment`.
"""

from __future__ import annotations

import hmac
import os
from datetime import timedelta
from pathlib import Path

from inspector.central.auth import create_token
from inspector.central.schema import DeviceRecord, active_keys, device_record, remember_name
from inspector.central.server import Central
from inspector.clock import parse_rfc3339, to_rfc3339
from inspector.sync.bundle import Envelope, read_envelope
from inspector.sync.enrollment import EnrollmentOffer, decode_offer, encode_offer, proof
from inspector.sync.tls import CertificateError, fingerprint_of_pem
from inspector.sync.wire import WireError
from inspector.text import clean
from inspector.vault import fsync_dir

FILE_TOKEN_LIFETIME = timedelta(days=7)  # a stick travels: a week to bring the first bundle back
MAX_FILE_TOKEN_LIFETIME = timedelta(days=30)
_OFFICE = "Liên hệ văn phòng trung tâm."


SERVED_CERTIFICATE = "tls-certificate.pem"


def record_served_certificate(data_dir: Path, cert: Path | None, fingerprint: str | None) -> None:
    """`central serve` keeps a copy of the certificate it serves (public data) in its directory."""
    target = data_dir / SERVED_CERTIFICATE
    data_dir.mkdir(parents=True, exist_ok=True)
    if cert is None:
        target.unlink(missing_ok=True)
        return
    data = cert.read_bytes()
    if fingerprint is not None and fingerprint_of_pem(data) != fingerprint:
        raise CertificateError("Tệp chứng chỉ TLS {cert} vừa thay đổi; hãy chạy lại.", cert=str(cert))
    part = target.with_name(target.name + ".part")
    part.write_bytes(data)
    part.replace(target)


def served_fingerprint(data_dir: Path) -> str | None:
    """The SHA-256 fingerprint of the certificate `central serve` last served, if it serves HTTPS."""
    try:
        data = (data_dir / SERVED_CERTIFICATE).read_bytes()
    except FileNotFoundError:
        return None
    return fingerprint_of_pem(data)


def enrollment_file(central: Central, team: str, *, url: str = "", tls_fingerprint: str | None = None,
                    lifetime: timedelta = FILE_TOKEN_LIFETIME) -> bytes:
    """A new one-time token for `team` and the enrollment file carrying it (signed by the server):
    its keys, the token, expiry, the address and TLS certificate fingerprint when known (by
    default the certificate `central serve --tls-cert` serves)."""
    tls_fingerprint = tls_fingerprint or served_fingerprint(central.data_dir)
    team = clean(team, label="Đoàn", max_length=120)
    if not team:
        raise WireError("Chưa nhập tên đoàn cho tệp đăng ký.", hint="Nhập tên đoàn rồi thử lại.")
    if not timedelta(hours=1) <= lifetime <= MAX_FILE_TOKEN_LIFETIME:
        raise WireError("Thời hạn của tệp đăng ký phải từ 1 giờ đến 30 ngày.", hint="Chọn thời hạn khác.")
    token = create_token(central.store, team, central.clock, lifetime)
    offer = EnrollmentOffer(central.server_id, central.identity.public_key, central.signer.x25519_public(),
                            team, token.token, to_rfc3339(token.expires_at), central.now(), url.strip(),
                            tls_fingerprint)
    return encode_offer(offer, central.signer)


def write_enrollment_file(central: Central, team: str, path: Path, *, url: str = "",
                          tls_fingerprint: str | None = None,
                          lifetime: timedelta = FILE_TOKEN_LIFETIME) -> EnrollmentOffer:
    """`enroll-token --out FILE`: the file written durably (`.part`, fsync, rename)."""
    data = enrollment_file(central, team, url=url, tls_fingerprint=tls_fingerprint, lifetime=lifetime)
    part = path.with_name(path.name + ".part")
    try:
        with part.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        part.replace(path)
        fsync_dir(path.parent)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise WireError("Không ghi được tệp đăng ký vào {path}: {reason}.", code="storage",
                        hint="Kiểm tra USB (đã cắm chắc, còn chỗ, không bị khóa ghi) rồi thử lại.",
                        path=str(path), reason=exc.strerror or str(exc)) from exc
    return decode_offer(data)


def _refuse(message: str, hint: str = _OFFICE, **params: object) -> WireError:
    return WireError(message, code="enrollment", hint=hint, **params)


def open_bundle(central: Central, path: Path) -> Envelope:
    """The bundle's envelope, its signer trusted: an active device, or a laptop that enrolled from
    a file and whose first bundle this is (registered here, before anything of the bundle is
    stored). Any other signer is refused before the manifest is parsed, as always."""
    env = read_envelope(path, signers=[key for _, key in active_keys(central.store.conn)], enrolling=True)
    if env.manifest.get("enrollment") is not None:
        complete(central, env)
    return env


def complete(central: Central, env: Envelope) -> DeviceRecord:
    """Register the device of an enrollment request (the bundle signature already checked against
    the manifest's key: proof of possession). Idempotent for the device that used the token."""
    m = env.manifest
    request = m["enrollment"]
    device_id, public = env.source_device, bytes.fromhex(m["source"]["public_key"])
    x25519 = bytes.fromhex(request["x25519_public"])
    if (env.kind != "device-to-server" or request["server"] != central.server_id
            or central.server_id not in m["audience"]):
        raise _refuse("Gói này được đăng ký với một máy chủ khác; không nhập.")
    conn = central.store.conn
    existing = device_record(conn, device_id)
    if existing is not None and not existing.active:
        raise _refuse("Gói đến từ thiết bị đã bị thu hồi ({device}…); không nhập.", device=device_id[:12])
    token = None
    for digest, team, expires, used_by in conn.execute(
            "SELECT token_sha256, team, expires_at, used_by FROM enroll_tokens"):
        if hmac.compare_digest(proof(digest, central.server_id, public, x25519), request["proof"]):
            token = (digest, team, expires, used_by)
            break
    if token is None:
        raise _refuse("Tệp đăng ký mà thiết bị đã dùng không do máy chủ này cấp; không nhập.",
                      hint="Xin văn phòng trung tâm tệp đăng ký mới và đăng ký lại thiết bị.")
    digest, team, expires, used_by = token
    if used_by == device_id and existing is not None:
        return existing  # a later bundle exported before the receipt came back: already registered
    if used_by is not None:
        raise _refuse("Tệp đăng ký này đã được dùng cho một thiết bị khác; gói không được nhập.",
                      hint="Mỗi tệp đăng ký chỉ dùng cho một máy. Xin văn phòng trung tâm tệp mới.")
    if parse_rfc3339(expires) < central.clock.now():
        raise _refuse("Tệp đăng ký của thiết bị đã hết hạn trước khi gói đầu tiên về tới văn phòng.",
                      hint="Xin văn phòng trung tâm tệp đăng ký mới, đăng ký lại thiết bị và xuất lại gói.")
    epoch = int(m["source"]["epoch"])
    if existing is not None and epoch <= existing.epoch:
        raise _refuse("Yêu cầu đăng ký lại của thiết bị không hợp lệ (kỷ nguyên {epoch}).", epoch=epoch)
    person_id = request["person"]["id"]
    person_name = clean(request["person"]["name"], label="Tên người dùng", max_length=120) or "người dùng"
    if central.store.scalar("SELECT 1 FROM central_devices WHERE person_id = ? AND device_id != ?"
                            " AND status = 'active'", (person_id, device_id)):
        raise _refuse("Người dùng của máy này đã được đăng ký với một thiết bị khác.",
                      hint="Mỗi người dùng đăng ký một thiết bị; liên hệ văn phòng trung tâm để thu hồi"
                           " thiết bị cũ.")
    label = clean(request["label"][:120], label="Tên thiết bị", max_length=120) or "thiết bị"
    now = central.now()
    with central.store.transaction() as tx:
        cur = tx.execute("UPDATE enroll_tokens SET used_at = ?, used_by = ? WHERE token_sha256 = ?"
                         " AND used_at IS NULL", (now, device_id, digest))
        if cur.rowcount != 1:
            raise _refuse("Tệp đăng ký này đã được dùng cho một thiết bị khác; gói không được nhập.")
        tx.execute(
            "INSERT INTO central_devices (device_id, public_key, x25519_public, team, label, epoch,"
            " status, enrolled_at, person_id, person_name) VALUES (?,?,?,?,?,?, 'active', ?,?,?)"
            " ON CONFLICT (device_id) DO UPDATE SET epoch = excluded.epoch, team = excluded.team,"
            " label = excluded.label, x25519_public = excluded.x25519_public,"
            " enrolled_at = excluded.enrolled_at, person_id = excluded.person_id,"
            " person_name = excluded.person_name",
            (device_id, public, x25519, team, label, epoch, now, person_id, person_name))
        remember_name(tx, person_id, person_name, device_id, now)
        central.ctx.record(tx, "device.enrolled", device_id, {
            "epoch": epoch, "team": team, "label": label, "public_key": public.hex(),
            "x25519_public": x25519.hex()})
    record = device_record(central.store.conn, device_id)
    assert record is not None
    return record
