"""Evidence: photos, scans and documents attached to an inspection or to one finding."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inspector.clock import VIETNAM_TZ, to_rfc3339
from inspector.domain import EVIDENCE_KINDS, EvidenceId, EvidenceRef, FindingId, InspectionId
from inspector.errors import NotFoundError, UserError
from inspector.ids import uuid7
from inspector.services.context import ServiceContext
from inspector.services.inspections import InspectionService
from inspector.text import clean
from inspector.vault import StoredBlob

_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
    (b"GIF8", "image/gif"),
    (b"RIFF", "image/webp"),
)


@dataclass(frozen=True)
class VerifyReport:
    checked: int
    bad: list[tuple[str, str]]  # (sha256, reason)

    @property
    def ok(self) -> bool:
        return not self.bad


def sniff_media_type(head: bytes, file_name: str) -> str:
    for magic, media in _MAGIC:
        if head.startswith(magic):
            return media
    guessed, _ = mimetypes.guess_type(file_name)
    return guessed or "application/octet-stream"


def kind_for(media_type: str) -> str:
    if media_type.startswith("image/"):
        return "photo"
    if media_type == "application/pdf":
        return "pdf"
    if media_type.startswith("audio/"):
        return "audio"
    if media_type.startswith("video/"):
        return "video"
    return "document"


def capture_time(path: Path, media_type: str) -> str | None:
    """When the photo was taken (EXIF DateTimeOriginal, Vietnam time); None when unknown."""
    if not media_type.startswith("image/"):
        return None
    try:
        from PIL import Image

        with Image.open(path) as img:
            exif = img.getexif()
            raw = exif.get_ifd(0x8769).get(0x9003) or exif.get(0x0132)
        if not raw:
            return None
        moment = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
        return to_rfc3339(moment.replace(tzinfo=VIETNAM_TZ))
    except Exception:  # unreadable or odd EXIF is not a reason to refuse the evidence
        return None


def _ref(row: dict[str, Any]) -> EvidenceRef:
    return EvidenceRef(EvidenceId(row["id"]), InspectionId(row["inspection_id"]), row["finding_id"],
                       row["sha256"], row["size"], row["file_name"], row["media_type"], row["kind"],
                       row["caption"], row["captured_at"], row["added_at"], row["added_by"])


class EvidenceService:
    def __init__(self, ctx: ServiceContext, inspections: InspectionService) -> None:
        self.ctx = ctx
        self.inspections = inspections

    def attach_file(self, inspection_id: str, source: Path, *, finding_id: str | None = None,
                    caption: str = "", kind: str | None = None) -> EvidenceRef:
        """Copy a file into the vault (durably), then commit the reference to it."""
        self._check_target(inspection_id, finding_id)
        if not source.is_file():
            raise UserError("Không tìm thấy tệp {path}.", hint="Chọn lại tệp.", path=str(source))
        with source.open("rb") as fh:
            head = fh.read(16)
        media_type = sniff_media_type(head, source.name)
        blob = self.ctx.vault.put_file(source)
        captured = capture_time(source, media_type)
        if captured is None:
            captured = to_rfc3339(datetime.fromtimestamp(source.stat().st_mtime, UTC))
        return self._commit(inspection_id, blob, source.name, media_type, kind or kind_for(media_type),
                            finding_id, caption, captured)

    def attach_bytes(self, inspection_id: str, data: bytes, file_name: str, *,
                     finding_id: str | None = None, caption: str = "", kind: str | None = None,
                     captured_at: datetime | None = None) -> EvidenceRef:
        """Evidence made inside the app: a camera frame, a drawn signature, a generated PDF."""
        self._check_target(inspection_id, finding_id)
        media_type = sniff_media_type(data[:16], file_name)
        blob = self.ctx.vault.put_bytes(data)
        moment = to_rfc3339(captured_at or self.ctx.clock.now())
        return self._commit(inspection_id, blob, file_name, media_type, kind or kind_for(media_type),
                            finding_id, caption, moment)

    def _check_target(self, inspection_id: str, finding_id: str | None) -> None:
        row = self.inspections._row(inspection_id)
        self.inspections.require_editable(row)
        if finding_id and self.ctx.store.one(
                "SELECT 1 FROM findings WHERE id = ? AND inspection_id = ?",
                (finding_id, inspection_id)) is None:
            raise NotFoundError("Kết quả ghi nhận “{id}” không thuộc đợt kiểm tra này.", id=finding_id)

    def _commit(self, inspection_id: str, blob: StoredBlob, file_name: str, media_type: str, kind: str,
                finding_id: str | None, caption: str, captured_at: str | None) -> EvidenceRef:
        if kind not in EVIDENCE_KINDS:
            raise UserError("Loại minh chứng “{kind}” không hợp lệ.", kind=kind)
        name = clean(Path(file_name).name, label="Tên tệp", max_length=255) or "tep-minh-chung"
        evidence_id = uuid7()
        with self.ctx.store.transaction() as conn:
            self.inspections.editable_row(conn, inspection_id)
            conn.execute(
                "INSERT INTO blobs (sha256, size, state, stored_at, verified_at) VALUES (?,?, 'ok', ?, ?)"
                " ON CONFLICT (sha256) DO UPDATE SET state = 'ok', verified_at = excluded.verified_at",
                (blob.sha256, blob.size, to_rfc3339(self.ctx.clock.now()), to_rfc3339(self.ctx.clock.now())))
            self.ctx.record(conn, "evidence.added", evidence_id, {
                "inspection_id": inspection_id,
                "finding_id": finding_id,
                "sha256": blob.sha256,
                "size": blob.size,
                "file_name": name,
                "media_type": media_type,
                "kind": kind,
                "caption": clean(caption, label="Chú thích", max_length=500),
                "captured_at": captured_at,
            })
        return self.get(evidence_id)

    def get(self, evidence_id: str) -> EvidenceRef:
        row = self.ctx.store.one("SELECT * FROM evidence WHERE id = ?", (evidence_id,))
        if row is None:
            raise NotFoundError("Không tìm thấy minh chứng “{id}”.", id=evidence_id)
        return _ref(row)

    def of_inspection(self, inspection_id: str, *, finding_id: str | None = None,
             include_removed: bool = False) -> list[EvidenceRef]:
        rows = self.ctx.store.query(
            "SELECT * FROM evidence WHERE inspection_id = :i AND (:f IS NULL OR finding_id = :f)"
            " AND (removed = 0 OR :all) ORDER BY added_at, id",
            {"i": inspection_id, "f": finding_id, "all": include_removed})
        return [_ref(r) for r in rows]

    def counts_by_finding(self, inspection_id: str) -> dict[FindingId, int]:
        rows = self.ctx.store.conn.execute(
            "SELECT finding_id, count(*) FROM evidence WHERE inspection_id = ? AND removed = 0"
            " AND finding_id IS NOT NULL GROUP BY finding_id", (inspection_id,)).fetchall()
        return {FindingId(r[0]): r[1] for r in rows}

    def remove(self, evidence_id: str, reason: str = "") -> None:
        """Hide evidence from the inspection; the file and the history are kept."""
        ref = self.get(evidence_id)
        why = clean(reason, label="Lý do gỡ bỏ", max_length=500)
        with self.ctx.store.transaction() as conn:
            self.inspections.editable_row(conn, ref.inspection_id)
            removed = conn.execute("SELECT removed FROM evidence WHERE id = ?", (evidence_id,)).fetchone()
            if removed[0]:
                raise NotFoundError("Minh chứng này đã được gỡ bỏ trước đó.")
            self.ctx.record(conn, "evidence.removed", evidence_id,
                            {"inspection_id": ref.inspection_id, "reason": why})

    def read(self, ref: EvidenceRef) -> bytes:
        """The file's content (the vault keeps it encrypted; this checks it against its SHA-256)."""
        return self.ctx.vault.read_bytes(ref.sha256)

    def verify_all(self) -> VerifyReport:
        """Re-hash every referenced file; mark mismatches as corrupt and missing ones as missing."""
        rows = self.ctx.store.query("SELECT DISTINCT sha256, size FROM evidence")
        bad: list[tuple[str, str]] = []
        now = to_rfc3339(self.ctx.clock.now())
        results: list[tuple[str, str]] = []
        for r in rows:
            if not self.ctx.vault.has(r["sha256"]):
                bad.append((r["sha256"], "thiếu tệp"))
                results.append((r["sha256"], "missing"))
            elif not self.ctx.vault.verify(r["sha256"], r["size"]):
                bad.append((r["sha256"], "nội dung không khớp mã băm"))
                results.append((r["sha256"], "corrupt"))
            else:
                results.append((r["sha256"], "ok"))
        size_of = {r["sha256"]: r["size"] for r in rows}
        with self.ctx.store.transaction() as conn:
            for sha, state in results:
                conn.execute(
                    "INSERT INTO blobs (sha256, size, state, stored_at, verified_at) VALUES (?,?,?,?,?)"
                    " ON CONFLICT (sha256) DO UPDATE SET state = excluded.state,"
                    " verified_at = excluded.verified_at",
                    (sha, size_of[sha], state, now, now))
        return VerifyReport(len(rows), bad)

    def collect_garbage(self, older_than_s: float = 7 * 86400) -> list[str]:
        referenced = {r["sha256"] for r in self.ctx.store.query("SELECT DISTINCT sha256 FROM evidence")}
        return self.ctx.vault.collect_garbage(referenced, older_than_s=older_than_s)
