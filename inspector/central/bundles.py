"""Importing a device's USB bundle on the server, and writing signed receipt files.

Staged: limits, trailer, manifest hash, signer and audience first; then a full decryption pass
that checks every chunk, the events and every blob hash while writing nothing; only then are the
blobs placed in the content-addressed store (under the hash computed here, never under a name from
the bundle) and the events committed in one transaction together with the bundle id.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from inspector.central.enrollment import open_bundle
from inspector.central.policy import Forbidden
from inspector.central.schema import device_record
from inspector.central.server import Central
from inspector.sync.bundle import (
    PiecesReader,
    drain,
    new_manifest,
    read_payload,
    record_import,
    write_file,
)
from inspector.sync.bundle_keys import require_recipient
from inspector.sync.receipts import Receipt
from inspector.sync.wire import EventBatch, WireError, blob_refs, decode_batch


@dataclass(frozen=True)
class BundleImport:
    bundle_id: str
    device_id: str
    imported: bool  # False: this bundle was imported before (a no-op)
    events_inserted: int
    blobs_stored: int
    receipt: Receipt


def _refuse(message: str, **params: object) -> WireError:
    return WireError(message, code="bundle", hint="Liên hệ văn phòng trung tâm.", **params)


def check_ranges(manifest_ranges: list[dict[str, object]], batch: EventBatch, event_count: int) -> None:
    described = [{"device": r.head.device_id, "epoch": r.head.epoch, "from": r.first_seq,
                  "to": r.head.seq, "head_hash": r.head.hash} for r in batch.ranges]
    if described != manifest_ranges or batch.event_count != event_count:
        raise _refuse("Nội dung thay đổi trong gói không khớp phần mô tả.")


def import_bundle(central: Central, path: Path) -> BundleImport:
    """Import a device's bundle: staged, verified before any write, idempotent (see module doc)."""
    env = open_bundle(central, path)  # a laptop enrolled from a file is registered here
    m = env.manifest
    if env.kind != "device-to-server":
        raise _refuse("Gói loại “{kind}” không nhập được vào máy chủ.", kind=env.kind)
    source = device_record(central.store.conn, env.source_device)
    if source is None:
        raise _refuse("Gói đến từ thiết bị chưa đăng ký ({device}…); không nhập.",
                      device=env.source_device[:12])
    if not source.active:
        raise _refuse("Gói đến từ thiết bị đã bị thu hồi ({device}…); không nhập.",
                      device=env.source_device[:12])
    if (m["source"]["public_key"] != source.public_key.hex() or m["source"]["epoch"] > source.epoch
            or not env.signature_valid(source.public_key)):
        raise _refuse("Chữ ký của gói không hợp lệ; gói có thể đã bị sửa.")
    if central.server_id not in m["audience"]:
        raise _refuse("Gói này không được gửi cho máy chủ này.")
    if central.store.scalar("SELECT 1 FROM imported_bundles WHERE bundle_id = ?", (m["bundle_id"],)):
        chains = {(r["device"], r["epoch"]): r["to"] for r in m["event_ranges"]}
        receipt = central.build_receipt(source.device_id, chains, m["bundle_id"])
        return BundleImport(m["bundle_id"], source.device_id, False, 0, 0, receipt)
    require_recipient(m, central.signer)
    events = read_payload(env, central.signer, drain)  # pass 1: authenticate everything, write nothing
    batch = decode_batch(events, max_events=max(1, m["event_count"])) if events else EventBatch([])
    check_ranges(m["event_ranges"], batch, m["event_count"])
    where = f"bundle:{m['bundle_id']}"
    try:
        with central.quarantining(batch, where):
            central.precheck(batch, source)  # everything the commit would refuse, before blobs go in
    except Forbidden as refused:
        raise refused.error from refused
    needed = {sha for e in batch.events() for sha in blob_refs(e)}
    needed |= {b["sha256"] for b in m["blobs"] if b["sha256"] not in needed and central.store.scalar(
        "SELECT 1 FROM blob_refs WHERE sha256 = ? LIMIT 1", (b["sha256"],))}
    stored: list[tuple[str, int]] = []

    def place(sha: str, size: int, pieces: Iterator[bytes]) -> None:
        if sha not in needed or central.vault.verify(sha, size):
            return  # unreferenced (never stored) or already here: read through, write nothing
        central.vault.put_stream(PiecesReader(pieces), expected_sha256=sha)  # type: ignore[arg-type]
        stored.append((sha, size))

    read_payload(env, central.signer, place)  # pass 2: blobs into the store (content-addressed, verified)
    now = central.now()
    try:
        inserted = central.store_batch(batch, source, where, lambda conn: record_import(conn, env, stored, now))
    except Forbidden as refused:
        raise refused.error from refused
    chains = {r.chain: r.head.seq for r in batch.ranges}
    receipt = central.build_receipt(source.device_id, chains, m["bundle_id"])
    return BundleImport(m["bundle_id"], source.device_id, True, inserted, len(stored), receipt)


def write_receipt_file(central: Central, receipt: Receipt, path: Path) -> int:
    """A receipt travels back to the device as a bundle of kind "receipt", signed by the server."""
    manifest = new_manifest(
        bundle_id=secrets.token_hex(16), kind="receipt", created_at=central.now(),
        source=central.signer, epoch=central.identity.epoch, audience=[receipt.device_id],
        encryption=None, ranges=[], event_count=0, events=b"", blobs=[], receipt={
            "body": receipt.body(), "sig": receipt.sign(central.signer).hex()})
    return write_file(path, manifest, central.signer, b"", [])
