"""Administration of the central server: devices, revocation, catalogs, the inspections overview."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from inspector.central.bundles import write_receipt_file
from inspector.central.schema import DeviceRecord, all_devices, device_record
from inspector.central.server import Central
from inspector.central.storage.audit import verify_central_store
from inspector.errors import NotFoundError, RefusedError
from inspector.services.catalogs import CatalogService, ImportResult
from inspector.store.audit import AuditReport
from inspector.sync.receipts import Receipt
from inspector.text import clean

OPEN_REQUIREMENT = ("open", "in_progress")


PG_INTEGRITY = "do PostgreSQL tự kiểm tra"

@dataclass(frozen=True)
class InspectionReport:
    inspection_id: str
    title: str
    decision_no: str
    unit_name: str
    status: str
    devices: tuple[str, ...]
    events: int
    missing_evidence: int
    complete: bool
    open_requirements: int
    overdue_requirements: int
    next_deadline: str | None


@dataclass(frozen=True)
class QuarantinedEvent:
    """A change the server refused because it contradicts what it already holds for that device
    (a restored backup, a cloned laptop): kept here for the office to compare, never applied."""

    device_id: str
    epoch: int
    seq: int
    type: str
    inspection_id: str | None
    author_name: str
    at: str
    source: str
    received_at: str
    cause: str  # fork | team | author | registry
    detail: str  # the refusal, as the device was told


def quarantined(central: Central) -> list[QuarantinedEvent]:
    return quarantined_in(central.store.conn)


def quarantined_in(conn: sqlite3.Connection) -> list[QuarantinedEvent]:
    """`quarantined` on any connection (the console reads on its reader threads)."""
    out = []
    for device, epoch, seq, wire, source, received, cause, detail in conn.execute(
            "SELECT device_id, epoch, seq, event, source, received_at, cause, detail FROM quarantine"
            " ORDER BY device_id, epoch, seq"):
        event = json.loads(wire)
        payload = event.get("payload") or {}
        inspection = payload.get("inspection_id") or (
            event.get("entity") if str(event.get("type", "")).startswith("inspection.") else None)
        out.append(QuarantinedEvent(device, int(epoch), int(seq), str(event.get("type", "")),
                                    inspection, str((event.get("author") or {}).get("name", "")),
                                    str(event.get("at", "")), source, received, cause, detail))
    return out


@dataclass(frozen=True)
class BlobProblem:
    sha256: str
    problem: str  # "missing" | "corrupt"


@dataclass(frozen=True)
class CentralReport:
    """`central verify`: the event log and tables (as `events verify`), the SQLite file, and
    unless quick, every stored blob read back and hashed."""

    audit: AuditReport
    integrity: str
    blobs_checked: int
    blob_problems: tuple[BlobProblem, ...]
    quick: bool

    @property
    def ok(self) -> bool:
        return self.audit.ok and self.integrity in ("ok", PG_INTEGRITY) and not self.blob_problems


def verify(central: Central, *, quick: bool = False,
           progress: Callable[[int, int], None] | None = None) -> CentralReport:
    audit = verify_central_store(central.store, scratch_dir=central.vault.tmp)
    # SQLite's page-level check of the database file; PostgreSQL's pages are the server's own
    # business (checksums, pg_amcheck), not something a client connection can run
    integrity = PG_INTEGRITY if central.database.postgres else str(central.store.scalar("PRAGMA integrity_check"))
    problems: list[BlobProblem] = []
    rows = [] if quick else central.store.conn.execute(
        "SELECT sha256, size FROM blobs WHERE state = 'ok' ORDER BY sha256").fetchall()
    for n, (sha, size) in enumerate(rows, start=1):
        if not central.vault.path_for(sha).is_file():
            problems.append(BlobProblem(sha, "missing"))
        elif not central.vault.verify(sha, size):
            problems.append(BlobProblem(sha, "corrupt"))
        if progress is not None:
            progress(n, len(rows))
    return CentralReport(audit, integrity, len(rows), tuple(problems), quick)


def devices(central: Central) -> list[DeviceRecord]:
    return all_devices(central.store.conn)


def find_device(central: Central, prefix: str) -> DeviceRecord:
    """A device by id or by an unambiguous prefix (as printed by `central devices`)."""
    text = prefix.strip().lower()
    matches = [d for d in all_devices(central.store.conn) if d.device_id.startswith(text)] if text else []
    if len(matches) != 1:
        raise NotFoundError("Không tìm thấy đúng một thiết bị có mã bắt đầu bằng “{id}”.",
                            hint="Xem danh sách bằng lệnh “inspector central devices”.", id=prefix[:40])
    return matches[0]


def revoke(central: Central, device_id: str, reason: str = "") -> DeviceRecord:
    """Refuse the device from now on, and tell every device (reference data) not to trust it."""
    device = find_device(central, device_id)
    if not device.active:
        raise RefusedError("Thiết bị {id}… đã bị thu hồi trước đó.", id=device.device_id[:12])
    why = clean(reason, label="Lý do", max_length=300)
    now = central.now()
    with central.store.transaction() as conn:
        conn.execute("UPDATE central_devices SET status = 'revoked', revoked_at = ? WHERE device_id = ?",
                     (now, device.device_id))
        central.ctx.record(conn, "device.revoked", device.device_id, {"reason": why})
    record = device_record(central.store.conn, device.device_id)
    assert record is not None
    return record


def publish_catalog(central: Central, path: Path) -> ImportResult:
    """Validate exactly like a device import, then publish in the server's reference-data chain.

    The server's tables may already hold this version because a device imported the same file and
    pushed it; it still has to enter the server's own chain to reach the other devices.
    """
    service = CatalogService(central.ctx)
    kind, doc, _ = service.validate_file(path)  # refuses invalid files and changed versions
    entity = f"{kind}:{doc['id']}@{doc['version']}"
    if central.store.scalar("SELECT 1 FROM events WHERE device_id = ? AND type = 'catalog.imported'"
                            " AND entity_id = ?", (central.server_id, entity)):
        return ImportResult(kind, doc["id"], doc["version"], doc["title"], imported=False)
    return service._import(kind, doc, False, "central")  # record it even if the version is known


def export_receipt(central: Central, device_id: str, path: Path) -> Receipt:
    device = find_device(central, device_id)
    receipt = central.build_receipt(device.device_id, {})
    write_receipt_file(central, receipt, path)
    return receipt


def inspections(central: Central, today: date | None = None) -> list[InspectionReport]:
    conn = central.store.conn
    day = (today or central.clock.now().date()).isoformat()
    activity = {r[0]: (int(r[1]), tuple(sorted(str(r[2]).split(",")))) for r in conn.execute(
        "SELECT inspection_id, count(*), group_concat(DISTINCT device_id) FROM event_inspections"
        " GROUP BY inspection_id")}
    missing = dict(conn.execute(
        "SELECT r.inspection_id, count(DISTINCT r.sha256) FROM blob_refs r LEFT JOIN blobs b"
        " ON b.sha256 = r.sha256 AND b.state = 'ok' WHERE b.sha256 IS NULL GROUP BY r.inspection_id"))
    remediation = {r[0]: (int(r[1]), int(r[2]), r[3]) for r in conn.execute(
        "SELECT inspection_id, count(*), sum(CASE WHEN deadline < ? THEN 1 ELSE 0 END), min(deadline)"
        " FROM requirements"
        " WHERE removed = 0 AND status IN (?, ?) GROUP BY inspection_id", (day, *OPEN_REQUIREMENT))}
    out = []
    for row in conn.execute(
            "SELECT i.id, i.title, i.decision_no, coalesce(u.name, ''), i.status FROM inspections i"
            " LEFT JOIN units u ON u.id = i.unit_id ORDER BY i.decision_date DESC, i.id"):
        count, devs = activity.get(row[0], (0, ()))
        lacking = int(missing.get(row[0], 0))
        open_count, overdue, deadline = remediation.get(row[0], (0, 0, None))
        out.append(InspectionReport(row[0], row[1], row[2], row[3], row[4], devs, count, lacking,
                                    lacking == 0, open_count, overdue, deadline))
    return out
