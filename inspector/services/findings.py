"""Recording findings: item × subject → level (or not assessed) and a note, with full history."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Final

from inspector.catalog.model import Checklist
from inspector.domain import Finding, FindingId, FindingsMatrix, Inspection, SubjectId
from inspector.errors import NotFoundError, UserError
from inspector.ids import uuid7
from inspector.services.context import ServiceContext
from inspector.services.inspections import InspectionService
from inspector.store.events import iter_events, leaf_revisions
from inspector.text import clean

MAX_NOTE = 4000


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


@dataclass(frozen=True)
class FindingChange:
    """What one recorded edit changed; the UI shows 'saved' only once it holds one of these."""

    finding_id: FindingId
    inspection_id: str
    item_code: str
    subject_id: SubjectId
    level: int | None
    note: str
    previous_level: int | None
    previous_note: str
    event_seq: int
    event_hash: str
    assessed_count: int
    finding: Finding  # the committed row, as the matrix shows it


@dataclass(frozen=True)
class FindingRevision:
    at: str
    author_name: str
    type: str
    level: int | None
    note: str
    event_hash: str


@dataclass(frozen=True)
class Progress:
    assessed: int
    total: int
    per_subject: dict[SubjectId, int]
    unassessed_items: list[str]  # item codes with at least one subject not assessed

    @property
    def ratio(self) -> float:
        return self.assessed / self.total if self.total else 0.0


@dataclass(frozen=True)
class RecordingSnapshot:
    """Everything the recording view needs to show one inspection, read in one go."""

    inspection: Inspection
    checklist: Checklist
    matrix: FindingsMatrix
    evidence_counts: dict[FindingId, int]
    inspection_evidence: int


def _check_level(level: int | _Unset | None) -> None:
    if not isinstance(level, _Unset) and level is not None and (
            isinstance(level, bool) or level not in (0, 1, 2, 3)):
        raise UserError("Mức độ “{level}” không hợp lệ; chỉ chọn 0, 1, 2, 3 hoặc “chưa đánh giá”.", level=level)


def _clean_note(note: str) -> str:
    return clean(note, label="Ghi chú", max_length=MAX_NOTE, multiline=True)


def _finding(row: dict[str, Any]) -> Finding:
    return Finding(FindingId(row["id"]), row["item_code"], SubjectId(row["subject_id"]), row["level"],
                   row["note"], row["author_name"], row["origin_device"], row["head_hash"],
                   row["updated_at"])


class FindingService:
    def __init__(self, ctx: ServiceContext, inspections: InspectionService) -> None:
        self.ctx = ctx
        self.inspections = inspections

    def record(
        self,
        inspection_id: str,
        item_code: str,
        subject_id: str,
        *,
        level: int | _Unset | None = UNSET,
        note: str | _Unset = UNSET,
    ) -> FindingChange:
        """Set the level and/or note of one cell. One durable commit; returns after it."""
        return self._write_cell(inspection_id, item_code, subject_id, level, note, settle=False)

    def set_cell(
        self,
        inspection_id: str,
        item_code: str,
        subject_id: str,
        *,
        level: int | _Unset | None = UNSET,
        note: str | _Unset = UNSET,
    ) -> FindingChange:
        """What a key press or a click in the matrix does, in one transaction.

        A cell where team members recorded different findings (merged from their laptops) is
        settled by this edit: the value chosen now is kept and the others are removed; any other
        cell is simply recorded.
        """
        return self._write_cell(inspection_id, item_code, subject_id, level, note, settle=True)

    def _write_cell(self, inspection_id: str, item_code: str, subject_id: str, level: int | _Unset | None,
                    note: str | _Unset, *, settle: bool) -> FindingChange:
        _check_level(level)
        clean_note = None if isinstance(note, _Unset) else _clean_note(note)
        with self.ctx.store.transaction() as conn:
            self._check_cell(conn, inspection_id, item_code, subject_id)
            rows = self._open_rows(conn, inspection_id, item_code, subject_id) if settle else []
            if len(rows) > 1:
                current = self._current(conn, inspection_id, item_code, subject_id)
                chosen_level = (current["level"] if current else None) if isinstance(level, _Unset) else level
                chosen_note = (current["note"] if current else "") if clean_note is None else clean_note
                return self._resolve_in(conn, inspection_id, item_code, subject_id, rows, chosen_level, chosen_note)
            return self._record_in(conn, inspection_id, item_code, subject_id, level, clean_note)

    def ensure_cell_in(self, conn: sqlite3.Connection, inspection_id: str, item_code: str, subject_id: str) -> str:
        """The finding of a cell inside the caller's transaction, created (not assessed) if none yet."""
        self._check_cell(conn, inspection_id, item_code, subject_id)
        current = self._current(conn, inspection_id, item_code, subject_id)
        if current is not None:
            return str(current["id"])
        return self._record_in(conn, inspection_id, item_code, subject_id, UNSET, None).finding_id

    def _check_cell(self, conn: sqlite3.Connection, inspection_id: str, item_code: str, subject_id: str) -> None:
        row = self.inspections.editable_row(conn, inspection_id)
        checklist = self.ctx.checklist(row["checklist_id"], row["checklist_version"])
        if checklist.item(item_code) is None:
            raise NotFoundError("Mục “{code}” không có trong bộ câu hỏi {checklist}.",
                                code=item_code, checklist=checklist.label)
        if conn.execute("SELECT 1 FROM subjects WHERE id = ? AND inspection_id = ? AND removed = 0",
                        (subject_id, inspection_id)).fetchone() is None:
            raise NotFoundError("Đối tượng kiểm tra “{id}” không thuộc đợt kiểm tra này.", id=subject_id)

    def _record_in(self, conn: sqlite3.Connection, inspection_id: str, item_code: str, subject_id: str,
                   level: int | _Unset | None, clean_note: str | None) -> FindingChange:
        current = self._current(conn, inspection_id, item_code, subject_id)
        prev_level = current["level"] if current else None
        prev_note = current["note"] if current else ""
        new_level = prev_level if isinstance(level, _Unset) else level
        new_note = prev_note if clean_note is None else clean_note
        finding_id = current["id"] if current else uuid7()
        payload: dict[str, object] = {
            "inspection_id": inspection_id,
            "item_code": item_code,
            "subject_id": subject_id,
            "level": new_level,
            "note": new_note,
            "parent": current["head_hash"] if current else None,
        }
        leaves = leaf_revisions(conn, finding_id) if current else []
        if len(leaves) > 1:  # concurrent edits merged from team members: this edit settles them
            payload["parents"] = leaves
        event = self.ctx.record(conn, "finding.set", finding_id, payload)
        return self._change(conn, inspection_id, finding_id, prev_level, prev_note, event.seq)

    def _change(self, conn: sqlite3.Connection, inspection_id: str, finding_id: str, prev_level: int | None,
                prev_note: str, seq: int) -> FindingChange:
        """The committed value read back from the table, so callers show what was stored."""
        row = conn.execute(
            "SELECT id, item_code, subject_id, level, note, author_name, origin_device, head_hash, updated_at"
            " FROM findings WHERE id = ?", (finding_id,)).fetchone()
        finding = Finding(FindingId(row[0]), row[1], SubjectId(row[2]), row[3], row[4], row[5], row[6], row[7],
                          row[8])
        assessed = conn.execute("SELECT assessed_count FROM inspections WHERE id = ?",
                                (inspection_id,)).fetchone()[0]
        return FindingChange(finding.id, inspection_id, finding.item_code, finding.subject_id, finding.level,
                             finding.note, prev_level, prev_note, seq, finding.head_hash, assessed, finding)

    @staticmethod
    def _open_rows(conn: sqlite3.Connection, inspection_id: str, item_code: str,
                   subject_id: str) -> list[tuple[str, int | None, str, str]]:
        return conn.execute(
            "SELECT id, level, note, head_hash FROM findings WHERE inspection_id = ? AND item_code = ?"
            " AND subject_id = ? AND removed = 0 ORDER BY id", (inspection_id, item_code, subject_id)).fetchall()

    def resolve(self, inspection_id: str, item_code: str, subject_id: str, *, level: int | None,
                note: str) -> FindingChange:
        """Settle a cell where team members recorded different findings: one value remains.

        The kept finding gets the chosen value as a merge of all its open revisions; the others are
        removed (their history stays in the log). One transaction.
        """
        clean_note = _clean_note(note)
        _check_level(level)
        with self.ctx.store.transaction() as conn:
            self.inspections.editable_row(conn, inspection_id)
            rows = self._open_rows(conn, inspection_id, item_code, subject_id)
            if not rows:
                raise NotFoundError("Ô {code} chưa có kết quả nào để thống nhất.", code=item_code)
            return self._resolve_in(conn, inspection_id, item_code, subject_id, rows, level, clean_note)

    def _resolve_in(self, conn: sqlite3.Connection, inspection_id: str, item_code: str, subject_id: str,
                    rows: list[tuple[str, int | None, str, str]], level: int | None,
                    clean_note: str) -> FindingChange:
        keep, others = rows[0], rows[1:]
        event = self.ctx.record(conn, "finding.set", keep[0], {
            "inspection_id": inspection_id, "item_code": item_code, "subject_id": subject_id,
            "level": level, "note": clean_note, "parent": keep[3], "parents": leaf_revisions(conn, keep[0]),
            "resolves": [r[0] for r in others]})
        for other in others:
            self.ctx.record(conn, "finding.removed", other[0], {
                "inspection_id": inspection_id, "parent": other[3], "parents": leaf_revisions(conn, other[0]),
                "reason": "resolved"})
        return self._change(conn, inspection_id, keep[0], keep[1], keep[2], event.seq)

    @staticmethod
    def _current(conn: sqlite3.Connection, inspection_id: str, item_code: str,
                 subject_id: str) -> dict[str, Any] | None:
        cur = conn.execute(
            "SELECT id, level, note, head_hash FROM findings WHERE inspection_id = ? AND item_code = ?"
            " AND subject_id = ? ORDER BY removed, updated_at DESC LIMIT 1",
            (inspection_id, item_code, subject_id))
        found = cur.fetchone()
        if found is None:
            return None
        return {"id": found[0], "level": found[1], "note": found[2], "head_hash": found[3]}

    def remove(self, finding_id: str) -> None:
        """Remove a finding (level and note); the history keeps every earlier value."""
        row = self.ctx.store.one("SELECT * FROM findings WHERE id = ?", (finding_id,))
        if row is None or row["removed"]:
            raise NotFoundError("Không tìm thấy kết quả ghi nhận “{id}”.", id=finding_id)
        with self.ctx.store.transaction() as conn:
            self.inspections.editable_row(conn, row["inspection_id"])
            self.ctx.record(conn, "finding.removed", finding_id,
                            {"inspection_id": row["inspection_id"], "parent": row["head_hash"]})

    def matrix(self, inspection_id: str) -> FindingsMatrix:
        rows = self.ctx.store.conn.execute(
            "SELECT id, item_code, subject_id, level, note, author_name, origin_device, head_hash,"
            " updated_at FROM findings WHERE inspection_id = ? AND removed = 0",
            (inspection_id,)).fetchall()
        matrix = FindingsMatrix()
        for r in rows:
            f = Finding(FindingId(r[0]), r[1], SubjectId(r[2]), r[3], r[4], r[5], r[6], r[7], r[8])
            matrix.cells.setdefault((f.item_code, f.subject_id), []).append(f)
        return matrix

    def get(self, finding_id: str) -> Finding:
        row = self.ctx.store.one("SELECT * FROM findings WHERE id = ?", (finding_id,))
        if row is None:
            raise NotFoundError("Không tìm thấy kết quả ghi nhận “{id}”.", id=finding_id)
        return _finding(row)

    def history(self, finding_id: str) -> list[FindingRevision]:
        out = []
        for ev in iter_events(self.ctx.store.conn, "WHERE entity_id = ?", (finding_id,)):
            out.append(FindingRevision(ev.at, ev.author_name, ev.type, ev.payload.get("level"),
                                       ev.payload.get("note", ""), ev.hash))
        return out

    def open(self, inspection_id: str) -> RecordingSnapshot:
        inspection = self.inspections.get(inspection_id)
        checklist = self.ctx.checklist(inspection.summary.checklist_id, inspection.summary.checklist_version)
        counts = {FindingId(r[0]): r[1] for r in self.ctx.store.conn.execute(
            "SELECT coalesce(finding_id, ''), count(*) FROM evidence WHERE inspection_id = ?"
            " AND removed = 0 GROUP BY finding_id", (inspection_id,))}
        general = counts.pop(FindingId(""), 0)
        return RecordingSnapshot(inspection, checklist, self.matrix(inspection_id), counts, general)

    def progress(self, inspection_id: str) -> Progress:
        summary = self.inspections.summary(inspection_id)
        row = self.ctx.store.one("SELECT checklist_id, checklist_version FROM inspections WHERE id = ?",
                                 (inspection_id,))
        assert row is not None
        checklist = self.ctx.checklist(row["checklist_id"], row["checklist_version"])
        subjects = self.inspections.subject_ids(inspection_id)
        matrix = self.matrix(inspection_id)
        per_subject: dict[SubjectId, int] = {s: 0 for s in subjects}
        unassessed = []
        for item in checklist.items:
            missing = False
            for s in subjects:
                f = matrix.get(item.code, s)
                if f is not None and f.level is not None:
                    per_subject[s] += 1
                else:
                    missing = True
            if missing and subjects:
                unassessed.append(item.code)
        return Progress(summary.assessed_count, summary.total_cells, per_subject, unassessed)
