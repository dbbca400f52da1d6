"""Evidence: photos, scans and documents attached to an inspection or to one finding."""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inspector.clock import VIETNAM_TZ, to_rfc3339
from inspector.domain import EVIDENCE_KINDS, EvidenceId, EvidenceRef, FindingId, InspectionId
from inspector.errors import NotFoundError, StorageError, UserError
from inspector.ids import uuid7
from inspector.services.context import ServiceContext
from inspector.services.findings import FindingService
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


@dataclass(frozen=True)
class StagedEvidence:
    """A file already stored durably in the vault, not yet referenced by the inspection.

    Staging (copying, hashing, syncing the file) is slow I/O that needs no database write, so the
    app does it on its read pool; `EvidenceService.attach` then commits references in one short
    transaction. A staged file nobody attaches is collected as garbage after a week.
    """

    blob: StoredBlob
    file_name: str
    media_type: str
    kind: str
    captured_at: str | None
    caption: str = ""


class EvidenceService:
    def __init__(self, ctx: ServiceContext, inspections: InspectionService, findings: FindingService) -> None:
        self.ctx = ctx
        self.inspections = inspections
        self.findings = findings

    def stage_file(self, source: Path, *, caption: str = "", kind: str | None = None) -> StagedEvidence:
        """Copy a file into the vault (durably). No database write."""
        if not source.is_file():
            raise UserError("Không tìm thấy tệp {path}.", hint="Chọn lại tệp.", path=str(source))
        try:
            with source.open("rb") as fh:
                head = fh.read(16)
        except OSError as exc:
            raise UserError("Không đọc được tệp {path}: {reason}.", hint="Kiểm tra quyền đọc tệp rồi chọn lại.",
                            path=str(source), reason=exc.strerror or "lỗi đọc tệp") from exc
        media_type = sniff_media_type(head, source.name)
        blob = self.ctx.vault.put_file(source)
        captured = capture_time(source, media_type)
        if captured is None:
            captured = to_rfc3339(datetime.fromtimestamp(source.stat().st_mtime, UTC))
        return self._staged(blob, source.name, media_type, kind, captured, caption)

    def stage_bytes(self, data: bytes, file_name: str, *, caption: str = "", kind: str | None = None,
                    captured_at: datetime | None = None) -> StagedEvidence:
        """Evidence made inside the app (a camera frame, a drawn signature, a generated PDF)."""
        media_type = sniff_media_type(data[:16], file_name)
        blob = self.ctx.vault.put_bytes(data)
        return self._staged(blob, file_name, media_type, kind, to_rfc3339(captured_at or self.ctx.clock.now()),
                            caption)

    @staticmethod
    def _staged(blob: StoredBlob, file_name: str, media_type: str, kind: str | None, captured: str | None,
                caption: str) -> StagedEvidence:
        chosen = kind or kind_for(media_type)
        if chosen not in EVIDENCE_KINDS:
            raise UserError("Loại minh chứng “{kind}” không hợp lệ.", kind=chosen)
        name = clean(Path(file_name).name, label="Tên tệp", max_length=255) or "tep-minh-chung"
        return StagedEvidence(blob, name, media_type, chosen, captured, clean(caption, label="Chú thích",
                                                                               max_length=500))

    def attach(self, inspection_id: str, staged: Sequence[StagedEvidence], *, finding_id: str | None = None,
               cell: tuple[str, str] | None = None) -> list[EvidenceRef]:
        """Reference staged files from the inspection, from one finding, or from one matrix cell.

        One transaction: a cell that has no finding yet gets one (not assessed) so the files have
        something to belong to.
        """
        if not staged:
            return []
        ids: list[str] = []
        now = to_rfc3339(self.ctx.clock.now())
        with self.ctx.store.transaction() as conn:
            self.inspections.editable_row(conn, inspection_id)
            if cell is not None:
                finding_id = self.findings.ensure_cell_in(conn, inspection_id, *cell)
            elif finding_id and conn.execute("SELECT 1 FROM findings WHERE id = ? AND inspection_id = ?",
                                             (finding_id, inspection_id)).fetchone() is None:
                raise NotFoundError("Kết quả ghi nhận “{id}” không thuộc đợt kiểm tra này.", id=finding_id)
            for item in staged:
                if not self.ctx.vault.has(item.blob.sha256):
                    raise UserError("Tệp “{name}” chưa được lưu vào kho minh chứng.",
                                    hint="Đính kèm lại tệp.", name=item.file_name)
                conn.execute(
                    "INSERT INTO blobs (sha256, size, state, stored_at, verified_at) VALUES (?,?, 'ok', ?, ?)"
                    " ON CONFLICT (sha256) DO UPDATE SET state = 'ok', verified_at = excluded.verified_at",
                    (item.blob.sha256, item.blob.size, now, now))
                evidence_id = uuid7()
                self.ctx.record(conn, "evidence.added", evidence_id, {
                    "inspection_id": inspection_id,
                    "finding_id": finding_id,
                    "sha256": item.blob.sha256,
                    "size": item.blob.size,
                    "file_name": item.file_name,
                    "media_type": item.media_type,
                    "kind": item.kind,
                    "caption": item.caption,
                    "captured_at": item.captured_at,
                })
                ids.append(evidence_id)
        return [self.get(i) for i in ids]

    def attach_file(self, inspection_id: str, source: Path, *, finding_id: str | None = None,
                    caption: str = "", kind: str | None = None) -> EvidenceRef:
        """Stage and attach one file (CLI, demo, tests: one thread does both)."""
        self.inspections.require_editable(self.inspections._row(inspection_id))
        return self.attach(inspection_id, [self.stage_file(source, caption=caption, kind=kind)],
                           finding_id=finding_id)[0]

    def attach_bytes(self, inspection_id: str, data: bytes, file_name: str, *,
                     finding_id: str | None = None, caption: str = "", kind: str | None = None,
                     captured_at: datetime | None = None) -> EvidenceRef:
        self.inspections.require_editable(self.inspections._row(inspection_id))
        return self.attach(inspection_id, [self.stage_bytes(data, file_name, caption=caption, kind=kind,
                                                            captured_at=captured_at)], finding_id=finding_id)[0]

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
        """The file's content (checked against its hash), for thumbnails, previews and copies."""
        try:
            data = self.ctx.vault.read_bytes(ref.sha256)
        except OSError as exc:
            raise StorageError("Không đọc được tệp minh chứng “{name}”: tệp bị thiếu trong kho.",
                               hint="Chạy “Kiểm tra tệp minh chứng” hoặc đồng bộ lại để lấy tệp.",
                               name=ref.file_name) from exc
        if hashlib.sha256(data).hexdigest() != ref.sha256:
            raise StorageError("Tệp minh chứng “{name}” bị hỏng (nội dung không khớp mã băm).",
                               hint="Chạy “Kiểm tra tệp minh chứng” hoặc đồng bộ lại để lấy bản đúng.",
                               name=ref.file_name)
        return data

    def save_copy(self, ref: EvidenceRef, target: Path) -> None:
        """Write a copy of the file where the user chose (never the vault's own file)."""
        data = self.read(ref)
        try:
            target.write_bytes(data)
        except OSError as exc:
            raise UserError("Không ghi được tệp {path}: {reason}.", hint="Chọn thư mục khác có quyền ghi.",
                            path=str(target), reason=exc.strerror or "lỗi ghi tệp") from exc

    def verify_all(self, mark: Callable[[list[tuple[str, int, str]]], None] | None = None) -> VerifyReport:
        """Re-hash every referenced file; mark mismatches as corrupt and missing ones as missing.

        Hashing is slow and only reads; the marks are one short write (`mark_checked`), which a
        caller on a read-only connection (the app's pool) sends to the writer through `mark`.
        """
        rows = self.ctx.store.query("SELECT DISTINCT sha256, size FROM evidence")
        bad: list[tuple[str, str]] = []
        results: list[tuple[str, int, str]] = []
        for r in rows:
            if not self.ctx.vault.has(r["sha256"]):
                bad.append((r["sha256"], "thiếu tệp"))
                results.append((r["sha256"], r["size"], "missing"))
            elif not self.ctx.vault.verify(r["sha256"], r["size"]):
                bad.append((r["sha256"], "nội dung không khớp mã băm"))
                results.append((r["sha256"], r["size"], "corrupt"))
            else:
                results.append((r["sha256"], r["size"], "ok"))
        (mark or self.mark_checked)(results)
        return VerifyReport(len(rows), bad)

    def mark_checked(self, results: Sequence[tuple[str, int, str]]) -> None:
        """Record what a check found for each file (sha256, size, ok/missing/corrupt)."""
        now = to_rfc3339(self.ctx.clock.now())
        with self.ctx.store.transaction() as conn:
            for sha, size, state in results:
                conn.execute(
                    "INSERT INTO blobs (sha256, size, state, stored_at, verified_at) VALUES (?,?,?,?,?)"
                    " ON CONFLICT (sha256) DO UPDATE SET state = excluded.state,"
                    " verified_at = excluded.verified_at",
                    (sha, size, state, now, now))

    def collect_garbage(self, older_than_s: float = 7 * 86400) -> list[str]:
        referenced = {r["sha256"] for r in self.ctx.store.query("SELECT DISTINCT sha256 FROM evidence")}
        return self.ctx.vault.collect_garbage(referenced, older_than_s=older_than_s)
