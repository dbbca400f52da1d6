"""Remediation requirements: structured rows of a conclusion, tracked until reported done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from inspector.domain import REQUIREMENT_STATUSES, InspectionId, Requirement, RequirementId
from inspector.errors import NotFoundError, RefusedError, UserError
from inspector.ids import uuid7
from inspector.services.context import ServiceContext
from inspector.services.inspections import InspectionService
from inspector.services.registry import RegistryService
from inspector.text import clean, parse_date

# Requirements belong to the conclusion, issued after the minutes are sealed.
REQUIREMENT_EDITABLE = frozenset({"draft", "in_progress", "recorded", "sealed", "concluded"})


@dataclass(frozen=True)
class RequirementSpec:
    content: str
    responsible: str = ""
    deadline: str = ""
    report_back_date: str = ""
    responsible_unit_id: str | None = None
    responsible_person_id: str | None = None


def _req(row: dict[str, Any]) -> Requirement:
    return Requirement(RequirementId(row["id"]), InspectionId(row["inspection_id"]), row["ordinal"],
                       row["content"], row["responsible"], row["responsible_unit_id"],
                       row["responsible_person_id"], row["deadline"], row["report_back_date"],
                       row["status"], row["status_note"])


class RequirementService:
    def __init__(self, ctx: ServiceContext, inspections: InspectionService,
                 registry: RegistryService) -> None:
        self.ctx = ctx
        self.inspections = inspections
        self.registry = registry

    def _payload(self, spec: RequirementSpec) -> dict[str, Any]:
        responsible = spec.responsible
        if spec.responsible_person_id:
            person = self.registry.person(spec.responsible_person_id)
            responsible = responsible or f"{person.full_name}, {person.position}".strip(", ")
        if spec.responsible_unit_id:
            unit = self.registry.unit(spec.responsible_unit_id)
            responsible = responsible or unit.name
        deadline = parse_date(spec.deadline, label="Thời hạn khắc phục")
        report = parse_date(spec.report_back_date or spec.deadline, label="Ngày báo cáo kết quả")
        if report < deadline:
            raise UserError("Ngày báo cáo kết quả không được trước thời hạn khắc phục.",
                            hint="Đặt ngày báo cáo bằng hoặc sau thời hạn khắc phục.")
        return {
            "content": clean(spec.content, label="Nội dung yêu cầu", required=True, max_length=2000,
                             multiline=True),
            "responsible": clean(responsible, label="Trách nhiệm thực hiện", required=True, max_length=300),
            "responsible_unit_id": spec.responsible_unit_id or None,
            "responsible_person_id": spec.responsible_person_id or None,
            "deadline": deadline,
            "report_back_date": report,
        }

    def _check(self, inspection_id: str) -> None:
        row = self.inspections._row(inspection_id)
        if row["status"] not in REQUIREMENT_EDITABLE or row["superseded_by"]:
            raise RefusedError("Không thể sửa yêu cầu khắc phục của đợt kiểm tra ở trạng thái này.",
                               hint="Tạo bản đính chính nếu cần thay đổi.")

    def add(self, inspection_id: str, spec: RequirementSpec) -> Requirement:
        payload = self._payload(spec)
        req_id = uuid7()
        with self.ctx.store.transaction() as conn:
            self._check(inspection_id)
            ordinal = conn.execute("SELECT coalesce(max(ordinal), 0) + 1 FROM requirements"
                                   " WHERE inspection_id = ?", (inspection_id,)).fetchone()[0]
            self.ctx.record(conn, "requirement.set", req_id, {
                **payload, "inspection_id": inspection_id, "ordinal": ordinal, "status": "open",
                "status_note": ""})
        return self.get(req_id)

    def update(self, requirement_id: str, spec: RequirementSpec) -> Requirement:
        current = self.get(requirement_id)
        payload = self._payload(spec)
        with self.ctx.store.transaction() as conn:
            self._check(current.inspection_id)
            self.ctx.record(conn, "requirement.set", requirement_id,
                            {**payload, "inspection_id": current.inspection_id})
        return self.get(requirement_id)

    def save(self, inspection_id: str, requirement_id: str | None, spec: RequirementSpec,
             status: str | None = None) -> Requirement:
        """The requirement dialog: add a new row, or change a row's content and status, at once."""
        if requirement_id is None:
            return self.add(inspection_id, spec)
        if status is not None and status not in REQUIREMENT_STATUSES:
            raise UserError("Trạng thái “{status}” không hợp lệ.", status=status)
        current = self.get(requirement_id)
        payload = self._payload(spec)
        if status is not None and status != current.status:
            payload["status"] = status
        with self.ctx.store.transaction() as conn:
            self._check(current.inspection_id)
            self.ctx.record(conn, "requirement.set", requirement_id,
                            {**payload, "inspection_id": current.inspection_id})
        return self.get(requirement_id)

    def set_status(self, requirement_id: str, status: str, note: str = "") -> Requirement:
        """Remediation tracking: allowed after the conclusion too (central office follow-up)."""
        if status not in REQUIREMENT_STATUSES:
            raise UserError("Trạng thái “{status}” không hợp lệ.", status=status)
        current = self.get(requirement_id)
        with self.ctx.store.transaction() as conn:
            self.ctx.record(conn, "requirement.set", requirement_id, {
                "inspection_id": current.inspection_id, "status": status,
                "status_note": clean(note, label="Ghi chú tiến độ", max_length=2000, multiline=True)})
        return self.get(requirement_id)

    def remove(self, requirement_id: str) -> None:
        current = self.get(requirement_id)
        with self.ctx.store.transaction() as conn:
            self._check(current.inspection_id)
            self.ctx.record(conn, "requirement.removed", requirement_id,
                            {"inspection_id": current.inspection_id})

    def get(self, requirement_id: str) -> Requirement:
        row = self.ctx.store.one("SELECT * FROM requirements WHERE id = ? AND removed = 0",
                                 (requirement_id,))
        if row is None:
            raise NotFoundError("Không tìm thấy yêu cầu khắc phục “{id}”.", id=requirement_id)
        return _req(row)

    def of_inspection(self, inspection_id: str) -> list[Requirement]:
        rows = self.ctx.store.query("SELECT * FROM requirements WHERE inspection_id = ? AND removed = 0"
                                    " ORDER BY ordinal", (inspection_id,))
        return [_req(r) for r in rows]

    def overdue(self, today: date | None = None) -> list[Requirement]:
        day = (today or self.ctx.clock.now().date()).isoformat()
        rows = self.ctx.store.query(
            "SELECT * FROM requirements WHERE removed = 0 AND status IN ('open', 'in_progress')"
            " AND deadline < ? ORDER BY deadline", (day,))
        return [_req(r) for r in rows]
