"""Enrolling this device from an enrollment file, with no network at all (issue 13).

The laptop checks the file (the server's signature over it, its expiry by the laptop's clock),
pins the server's keys exactly as a network enrollment does and keeps a request (a proof of the
token bound to its keys, never the token) that goes into every bundle it exports until the
central's receipt comes back. Bundles can be exported at once; the central registers the device
when it imports the first one (`inspector.central.enrollment`).
"""

from __future__ import annotations

from pathlib import Path

from inspector import canonical
from inspector.sync import state, steps
from inspector.sync.enrollment import (
    Enrollment,
    EnrollmentFileError,
    EnrollmentOffer,
    decode_offer,
    proof,
    token_digest,
)
from inspector.sync.keys import fingerprint
from inspector.sync.steps import SyncContext
from inspector.sync.wire import PROTOCOL
from inspector.text import ui_datetime


def read_offer(path: Path) -> EnrollmentOffer:
    try:
        with path.open("rb") as fh:
            data = fh.read(64 * 1024 + 1)
    except OSError as exc:
        raise EnrollmentFileError("Không đọc được tệp đăng ký {path}: {reason}.",
                                  hint="Kiểm tra USB và tên tệp rồi thử lại.", path=str(path),
                                  reason=exc.strerror or str(exc)) from exc
    return decode_offer(data)


def enroll_from_file(ctx: SyncContext, path: Path, label: str | None = None) -> Enrollment:
    offer = read_offer(path)
    if offer.expired(ctx.clock.now()):
        raise EnrollmentFileError("Tệp đăng ký đã hết hạn lúc {at}.", at=ui_datetime(offer.expires_at),
                                  hint="Xin văn phòng trung tâm tệp đăng ký mới.")
    device, identity = ctx.device, ctx.identity
    conn = ctx.store.conn
    old, waiting = state.load_link(conn), state.load_pending(conn)
    # Known to this server already (a real registration, not a request still on its way): a new
    # chain, as the network path gives a known key (max + 1). Otherwise the device keeps its epoch.
    known = old is not None and old.server_id == offer.server_id and waiting is None
    epoch = device.epoch + 1 if known else device.epoch
    x25519 = ctx.signer.x25519_public()
    request = {"server": offer.server_id,
               "proof": proof(token_digest(offer.token), offer.server_id, device.public_key, x25519),
               "x25519_public": x25519.hex(), "label": canonical.nfc(label or device.label)[:120],
               "person": {"id": identity.id, "name": canonical.nfc(identity.name)[:200]},
               "protocol": PROTOCOL}
    link = state.ServerLink(offer.url.rstrip("/"), offer.server_id, offer.server_public_key, offer.server_x25519,
                            offer.team, ctx.now(), 0, None, offer.tls_fingerprint)
    pending = state.PendingEnrollment(offer.server_id, request, offer.expires_at, ctx.now())
    ctx.write(lambda c: steps.save_enrollment(c, link, epoch, pending))
    return Enrollment(offer.server_id, device.device_id, epoch, offer.team, fingerprint(offer.server_public_key),
                      pending=True, expires_at=offer.expires_at, tls_fingerprint=offer.tls_fingerprint)
