"""Inspections: preparing, editing, the status lifecycle, listing and opening one."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from inspector.clock import parse_rfc3339, to_rfc3339
from inspector.domain import (
    INSPECTION_KINDS,
    REGIMES,
    STATUS_TRANSITIONS,
    STATUSES,
    Inspection,
    InspectionSummary,
    PersonId,
    Subject,
    SubjectId,
)
from inspector.errors import NotFoundError, RefusedError, UserError
from inspector.ids import uuid7
from inspector.services.context import ServiceContext
from inspector.services.dates import local_day, preparation_problems, refuse_first, time_problems
from inspector.services.inspection_values import (
    DIRECTIVE_BASIS,
    MAX_BASIS_LINES,
    MAX_SUBJECTS,
    SORTS,
    SUMMARY_SQL,
    InspectionDraft,
    InspectionQuery,
    SubjectSpec,
    default_legal_basis,
    default_title,
    query_where,
    subject_from_row,
    summary_from_row,
)
from inspector.services.registry import RegistryService
from inspector.text import clean, parse_date

__all__ = ["DIRECTIVE_BASIS", "MAX_SUBJECTS", "InspectionDraft", "InspectionQuery", "InspectionService",
           "SubjectSpec", "default_legal_basis", "default_title"]


class InspectionService:
    def __init__(self, ctx: ServiceContext, registry: RegistryService) -> None:
        self.ctx = ctx
        self.registry = registry

    # -- reading ----------------------------------------------------------------------------
    def _row(self, inspection_id: str) -> dict[str, Any]:
        row = self.ctx.store.one("SELECT * FROM inspections WHERE id = ?", (inspection_id,))
        if row is None:
            raise NotFoundError("Không tìm thấy đợt kiểm tra “{id}”.",
                                hint="Xem danh sách bằng lệnh “inspector inspection list”.", id=inspection_id)
        return row

    def summary(self, inspection_id: str) -> InspectionSummary:
        row = self.ctx.store.one(SUMMARY_SQL + " WHERE i.id = ?", (inspection_id,))
        if row is None:
            self._row(inspection_id)
            raise AssertionError("unreachable")
        return summary_from_row(row)

    def subjects(self, inspection_id: str) -> list[Subject]:
        rows = self.ctx.store.query(
            "SELECT * FROM subjects WHERE inspection_id = ? AND removed = 0 ORDER BY ordinal",
            (inspection_id,))
        return [subject_from_row(r) for r in rows]

    def get(self, inspection_id: str) -> Inspection:
        row = self._row(inspection_id)
        team = self.registry.team(row["team_id"]) if row["team_id"] else None
        return Inspection(
            summary=self.summary(inspection_id),
            decision_issuer=row["decision_issuer"],
            legal_basis=tuple(json.loads(row["legal_basis"])),
            team=team,
            location=row["location"],
            actual_start=row["actual_start"],
            actual_end=row["actual_end"],
            explanation=row["explanation"],
            team_remarks=row["team_remarks"],
            version_no=row["version_no"],
            supersedes=row["supersedes"],
            superseded_by=row["superseded_by"],
            sealed_at=row["sealed_at"],
            seal_hash=row["seal_hash"],
            subjects=tuple(self.subjects(inspection_id)),
            created_at=row["created_at"],
            created_by=row["created_by"],
        )

    def find(self, query: InspectionQuery | None = None) -> list[InspectionSummary]:
        q = query or InspectionQuery()
        where, params = query_where(q)
        order = SORTS.get(q.sort, SORTS["decision_date"]).format(d="DESC" if q.descending else "ASC")
        sql = f"{SUMMARY_SQL}{where} ORDER BY {order}"
        if q.limit:
            sql += f" LIMIT {int(q.limit)}"
        return [summary_from_row(r) for r in self.ctx.store.query(sql, params)]

    def status_counts(self, query: InspectionQuery | None = None) -> dict[str, int]:
        q = query or InspectionQuery()
        where, params = query_where(InspectionQuery(**{**q.__dict__, "statuses": ()}))
        rows = self.ctx.store.conn.execute(
            f"SELECT i.status, count(*) FROM inspections i JOIN units u ON u.id = i.unit_id{where}"
            " GROUP BY i.status", params).fetchall()
        return {status: count for status, count in rows}

    # -- guards -----------------------------------------------------------------------------
    def require_editable(self, row: dict[str, Any]) -> None:
        if row["superseded_by"]:
            raise RefusedError("Đợt kiểm tra này đã được thay thế bằng một bản đính chính; không thể sửa.",
                               hint="Mở bản đính chính mới nhất để tiếp tục.")
        if row["status"] in ("sealed", "concluded", "closed"):
            raise RefusedError("Biên bản của đợt kiểm tra này đã được ký và niêm phong; không thể sửa.",
                               hint="Tạo bản đính chính (phiên bản mới thay thế bản đã ký) để sửa.")
        if row["status"] == "cancelled":
            raise RefusedError("Đợt kiểm tra đã bị hủy; không thể sửa.",
                               hint="Khôi phục đợt kiểm tra về trạng thái “Đang chuẩn bị” trước.")

    def editable_row(self, conn: sqlite3.Connection, inspection_id: str) -> dict[str, Any]:
        """Read and check inside the caller's transaction, so the check and the write agree."""
        cur = conn.execute("SELECT * FROM inspections WHERE id = ?", (inspection_id,))
        row = cur.fetchone()
        if row is None:
            raise NotFoundError("Không tìm thấy đợt kiểm tra “{id}”.", id=inspection_id)
        data = dict(zip([c[0] for c in cur.description], row, strict=True))
        self.require_editable(data)
        return data

    # -- validation -------------------------------------------------------------------------
    def _subject_payload(self, spec: SubjectSpec) -> dict[str, Any]:
        if spec.kind not in ("person", "collective"):
            raise UserError("Loại đối tượng “{kind}” không hợp lệ.", kind=spec.kind)
        if spec.person_id:
            person = self.registry.person(spec.person_id)
            name = spec.name or person.full_name
            position = spec.position or person.position
            leadership = spec.holds_leadership or person.holds_leadership
        else:
            name, position, leadership = spec.name, spec.position, spec.holds_leadership
        return {
            "kind": spec.kind,
            "person_id": spec.person_id or None,
            "name": clean(name, label="Tên đối tượng kiểm tra", required=True, max_length=200),
            "position": clean(position, label="Chức vụ", max_length=200),
            "holds_leadership": bool(leadership) if spec.kind == "person" else False,
        }

    def _header_payload(self, d: InspectionDraft) -> dict[str, Any]:
        if d.kind not in INSPECTION_KINDS:
            raise UserError("Hình thức kiểm tra “{kind}” không hợp lệ.", kind=d.kind)
        if d.regime not in REGIMES:
            raise UserError("Thể thức văn bản “{regime}” không hợp lệ.", regime=d.regime)
        unit = self.registry.unit(d.unit_id)
        version = d.checklist_version or int(self.ctx.store.scalar(
            "SELECT max(version) FROM catalog_versions WHERE kind = 'checklist' AND id = ?",
            (d.checklist_id,)) or 0)
        checklist = self.ctx.checklist(d.checklist_id, version)
        if d.team_id:
            self.registry.team(d.team_id)
        decision_no = clean(d.decision_no, label="Số quyết định", required=True, max_length=60)
        decision_date = parse_date(d.decision_date, label="Ngày quyết định")
        issuer = clean(d.decision_issuer, label="Cơ quan ra quyết định", max_length=200)
        basis = [clean(line, label="Căn cứ", max_length=600) for line in d.legal_basis]
        basis = [line for line in basis if line] or default_legal_basis(decision_no, decision_date, issuer)
        if len(basis) > MAX_BASIS_LINES:
            raise UserError("Quá nhiều dòng căn cứ ({count}); tối đa {limit}.", count=len(basis),
                            limit=MAX_BASIS_LINES)
        return {
            "title": clean(d.title, label="Trích yếu", max_length=500) or default_title(unit.name, d.kind),
            "decision_no": decision_no,
            "decision_date": decision_date,
            "decision_issuer": issuer,
            "legal_basis": basis,
            "kind": d.kind,
            "regime": d.regime,
            "unit_id": unit.id,
            "checklist_id": checklist.id,
            "checklist_version": checklist.version,
            "team_id": d.team_id or None,
            "planned_date": parse_date(d.planned_date, label="Ngày dự kiến", required=False),
            "location": clean(d.location, label="Địa điểm", max_length=300),
            "item_count": len(checklist.items),
        }

    def today(self) -> date:
        """The Vietnam calendar day of this laptop's clock (the dialogs check dates against it)."""
        return local_day(self.ctx.clock.now())

    def _check_dates(self, header: dict[str, Any], actual_start: str | None) -> None:
        refuse_first(preparation_problems(header["decision_date"], header["planned_date"], self.today(),
                                          actual_start=actual_start))

    # -- writing ----------------------------------------------------------------------------
    def create(self, draft: InspectionDraft) -> Inspection:
        header = self._header_payload(draft)
        self._check_dates(header, None)
        if len(draft.subjects) > MAX_SUBJECTS:
            raise UserError("Quá nhiều đối tượng kiểm tra ({count}); tối đa {limit}.",
                            count=len(draft.subjects), limit=MAX_SUBJECTS)
        subjects = [self._subject_payload(s) for s in draft.subjects]
        inspection_id = uuid7()
        with self.ctx.store.transaction() as conn:
            self.ctx.record(conn, "inspection.created", inspection_id, {**header, "status": "draft"})
            for ordinal, subject in enumerate(subjects, start=1):
                self.ctx.record(conn, "subject.added", uuid7(),
                                {**subject, "inspection_id": inspection_id, "ordinal": ordinal})
        return self.get(inspection_id)

    def revise(self, inspection_id: str, draft: InspectionDraft) -> Inspection:
        """Save the whole preparation form at once: header and subjects, in one transaction.

        Subjects with an id are kept (and updated if changed), those without one are added, and
        existing subjects missing from the draft are removed (their findings stay in the history).
        """
        header = self._header_payload(draft)
        if len(draft.subjects) > MAX_SUBJECTS:
            raise UserError("Quá nhiều đối tượng kiểm tra ({count}); tối đa {limit}.",
                            count=len(draft.subjects), limit=MAX_SUBJECTS)
        wanted = [(spec.id, self._subject_payload(spec)) for spec in draft.subjects]
        with self.ctx.store.transaction() as conn:
            row = self.editable_row(conn, inspection_id)
            self._check_dates(header, row["actual_start"])
            self._follow_basis(row, header)
            same_checklist = (row["checklist_id"], row["checklist_version"]) == (
                header["checklist_id"], header["checklist_version"])
            if not same_checklist and row["assessed_count"]:
                raise RefusedError("Đã có kết quả ghi nhận theo bộ câu hỏi hiện tại; không đổi được bộ câu hỏi.",
                                   hint="Tạo đợt kiểm tra mới nếu cần dùng bộ câu hỏi khác.")
            old = {k: (json.loads(row[k]) if k == "legal_basis" else row[k]) for k in header}
            changes = {k: v for k, v in header.items() if old.get(k) != v}
            if changes:
                self.ctx.record(conn, "inspection.updated", inspection_id, changes)
            cur = conn.execute("SELECT * FROM subjects WHERE inspection_id = ? AND removed = 0", (inspection_id,))
            names = [c[0] for c in cur.description]
            existing = {r[0]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}
            keep = {sid for sid, _ in wanted if sid}
            unknown = keep - set(existing)
            if unknown:
                raise NotFoundError("Đối tượng kiểm tra “{id}” không thuộc đợt kiểm tra này.", id=sorted(unknown)[0])
            for sid in existing:
                if sid not in keep:
                    self.ctx.record(conn, "subject.removed", sid, {"inspection_id": inspection_id})
            for ordinal, (sid, payload) in enumerate(wanted, start=1):
                if sid:
                    before = existing[sid]
                    target = {**payload, "ordinal": ordinal}
                    if any(before[k] != (int(v) if isinstance(v, bool) else v) for k, v in target.items()):
                        self.ctx.record(conn, "subject.updated", sid, target)
                else:
                    self.ctx.record(conn, "subject.added", uuid7(),
                                    {**payload, "inspection_id": inspection_id, "ordinal": ordinal})
        return self.get(inspection_id)

    @staticmethod
    def _follow_basis(row: dict[str, Any], header: dict[str, Any]) -> None:
        """A legal basis still as generated follows a changed decision (an edited one is kept)."""
        generated = default_legal_basis(row["decision_no"], row["decision_date"], row["decision_issuer"])
        if header["legal_basis"] == generated and json.loads(row["legal_basis"]) == generated:
            header["legal_basis"] = default_legal_basis(header["decision_no"], header["decision_date"],
                                                        header["decision_issuer"])

    def add_subject(self, inspection_id: str, spec: SubjectSpec) -> Subject:
        payload = self._subject_payload(spec)
        subject_id = uuid7()
        with self.ctx.store.transaction() as conn:
            self.editable_row(conn, inspection_id)
            count = conn.execute("SELECT count(*), coalesce(max(ordinal), 0) FROM subjects"
                                 " WHERE inspection_id = ?", (inspection_id,)).fetchone()
            if count[0] >= MAX_SUBJECTS:
                raise UserError("Đã đủ {limit} đối tượng kiểm tra; không thêm được.", limit=MAX_SUBJECTS)
            self.ctx.record(conn, "subject.added", subject_id,
                            {**payload, "inspection_id": inspection_id, "ordinal": count[1] + 1})
        return next(s for s in self.subjects(inspection_id) if s.id == subject_id)

    def update_subject(self, inspection_id: str, subject_id: str, spec: SubjectSpec) -> Subject:
        payload = self._subject_payload(spec)
        with self.ctx.store.transaction() as conn:
            self.editable_row(conn, inspection_id)
            self._subject_row(conn, inspection_id, subject_id)
            self.ctx.record(conn, "subject.updated", subject_id, payload)
        return next(s for s in self.subjects(inspection_id) if s.id == subject_id)

    def remove_subject(self, inspection_id: str, subject_id: str) -> None:
        with self.ctx.store.transaction() as conn:
            self.editable_row(conn, inspection_id)
            self._subject_row(conn, inspection_id, subject_id)
            self.ctx.record(conn, "subject.removed", subject_id, {"inspection_id": inspection_id})

    @staticmethod
    def _subject_row(conn: sqlite3.Connection, inspection_id: str, subject_id: str) -> None:
        row = conn.execute("SELECT 1 FROM subjects WHERE id = ? AND inspection_id = ? AND removed = 0",
                           (subject_id, inspection_id)).fetchone()
        if row is None:
            raise NotFoundError("Đối tượng kiểm tra “{id}” không thuộc đợt kiểm tra này.", id=subject_id)

    def _set_fields(self, inspection_id: str, fields: dict[str, Any], status: str | None = None) -> Inspection:
        with self.ctx.store.transaction() as conn:
            row = self.editable_row(conn, inspection_id)
            changes = {k: v for k, v in fields.items() if row[k] != v}
            if changes:
                self.ctx.record(conn, "inspection.updated", inspection_id, changes)
            if status and row["status"] != status:
                self.ctx.record(conn, "inspection.status_changed", inspection_id, {"status": status})
        return self.get(inspection_id)

    def _moment(self, value: datetime | str | None, label: str) -> str:
        if value is None:
            return to_rfc3339(self.ctx.clock.now())
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise UserError("“{label}” thiếu múi giờ.", label=label)
            return to_rfc3339(value)
        try:
            return to_rfc3339(parse_rfc3339(value))
        except ValueError as exc:
            raise UserError("“{label}”: “{value}” không phải thời điểm hợp lệ.", label=label,
                            value=value[:40]) from exc

    def _check_times(self, row: dict[str, Any], start: str | None, end: str | None) -> None:
        refuse_first(time_problems(start, end, self.ctx.clock.now(), row["decision_date"]))

    def start(self, inspection_id: str, at: datetime | str | None = None) -> Inspection:
        """Record the actual start time on site; the inspection moves to 'in progress'."""
        moment = self._moment(at, "Thời gian bắt đầu")
        row = self._row(inspection_id)
        self._check_times(row, moment, row["actual_end"])
        status = "in_progress" if row["status"] == "draft" else None
        return self._set_fields(inspection_id, {"actual_start": moment}, status)

    def finish(self, inspection_id: str, at: datetime | str | None = None) -> Inspection:
        moment = self._moment(at, "Thời gian kết thúc")
        row = self._row(inspection_id)
        if row["actual_start"] is None:
            raise RefusedError("Chưa ghi thời gian bắt đầu kiểm tra.", hint="Ghi thời gian bắt đầu trước.")
        self._check_times(row, row["actual_start"], moment)
        return self._set_fields(inspection_id, {"actual_end": moment}, "recorded")

    def set_times(self, inspection_id: str, start: datetime | str | None,
                  end: datetime | str | None) -> Inspection:
        """Correct the actual times by hand (either may be cleared with None)."""
        s = self._moment(start, "Thời gian bắt đầu") if start is not None else None
        e = self._moment(end, "Thời gian kết thúc") if end is not None else None
        self._check_times(self._row(inspection_id), s, e)
        return self._set_fields(inspection_id, {"actual_start": s, "actual_end": e})

    def set_explanation(self, inspection_id: str, text: str) -> Inspection:
        value = clean(text, label="Giải trình của đơn vị", max_length=20000, multiline=True)
        return self._set_fields(inspection_id, {"explanation": value})

    def set_remarks(self, inspection_id: str, text: str) -> Inspection:
        value = clean(text, label="Nhận xét của Đoàn kiểm tra", max_length=20000, multiline=True)
        return self._set_fields(inspection_id, {"team_remarks": value})

    def change_status(self, inspection_id: str, status: str) -> Inspection:
        if status not in STATUSES:
            raise UserError("Trạng thái “{status}” không hợp lệ.", status=status)
        with self.ctx.store.transaction() as conn:
            row = self._row(inspection_id)
            if status not in STATUS_TRANSITIONS[row["status"]]:
                raise RefusedError("Không thể chuyển từ “{old}” sang “{new}”.",
                                   old=STATUSES[row["status"]], new=STATUSES[status])
            self.ctx.record(conn, "inspection.status_changed", inspection_id, {"status": status})
        return self.get(inspection_id)

    def archive(self, inspection_id: str, archived: bool = True) -> InspectionSummary:
        with self.ctx.store.transaction() as conn:
            row = self._row(inspection_id)
            if bool(row["archived"]) != archived:
                self.ctx.record(conn, "inspection.archived", inspection_id, {"archived": archived})
        return self.summary(inspection_id)

    def duplicate(self, inspection_id: str) -> Inspection:
        """A new draft with the same header and subjects, to use an inspection as a template."""
        source = self.get(inspection_id)
        s = source.summary
        draft = InspectionDraft(
            decision_no=s.decision_no,
            decision_date=s.decision_date,
            unit_id=s.unit_id,
            checklist_id=s.checklist_id,
            checklist_version=self.ctx.store.scalar(
                "SELECT max(version) FROM catalog_versions WHERE kind='checklist' AND id = ?",
                (s.checklist_id,)),
            kind=s.kind,
            regime=s.regime,
            title=s.title,
            decision_issuer=source.decision_issuer,
            legal_basis=list(source.legal_basis),
            team_id=source.team.id if source.team else None,
            planned_date="",
            location=source.location,
            subjects=[SubjectSpec(x.name, x.position, x.holds_leadership, x.kind, x.person_id)
                      for x in source.subjects],
        )
        return self.create(draft)

    def subject_ids(self, inspection_id: str) -> list[SubjectId]:
        return [s.id for s in self.subjects(inspection_id)]

    def person_subjects(self, inspection_id: str) -> list[PersonId]:
        return [PersonId(s.person_id) for s in self.subjects(inspection_id) if s.person_id]

    def subject_names(self, subject_ids: Iterable[str]) -> dict[str, str]:
        """Names of subjects of any inspection (lists of cells to settle name their subject)."""
        wanted = sorted(set(subject_ids))
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = self.ctx.store.conn.execute(f"SELECT id, name FROM subjects WHERE id IN ({marks})", wanted)
        return {r[0]: r[1] for r in rows}
