"""Remediation requirements: structured rows of a conclusion, tracked until reported done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from inspector.domain import REQUIREMENT_STATUSES, InspectionId, InspectionSummary, Requirement, RequirementId
from inspector.errors import NotFoundError, RefusedError, UserError
from inspector.ids import uuid7
from inspector.services.context import ServiceContext
from inspector.services.dates import local_day
from inspector.services.inspections import InspectionService
from inspector.services.registry import RegistryService
from inspector.text import clean, parse_date

# Requirements belong to the conclusion, issued after the minutes are sealed.
REQUIREMENT_EDITABLE = frozenset({"draft", "in_progress", "recorded", "sealed", "concluded"})
# Not yet carried out: what a new inspection of the unit follows up on (manifestation KL-04).
PENDING_STATUSES = ("open", "in_progress")
HISTORY_LIMIT = 50


@dataclass(frozen=True)
class RequirementSpec:
    content: str
    responsible: str = ""
    deadline: str = ""
    report_back_date: str = ""
    responsible_unit_id: str | None = None
    responsible_person_id: str | None = None


@dataclass(frozen=True)
class PendingRequirement:
    requirement: Requirement
    overdue: bool  # its remediation deadline has passed


@dataclass(frozen=True)
class EarlierInspection:
    summary: InspectionSummary
    pending: tuple[PendingRequirement, ...]  # requirements not carried out yet, earliest deadline first

    @property
    def overdue_count(self) -> int:
        return sum(1 for p in self.pending if p.overdue)


@dataclass(frozen=True)
class UnitHistory:
    """Earlier inspections of a unit (and of its sub-units) and what they required that is still open."""

    unit_id: str
    today: str
    inspections: tuple[EarlierInspection, ...]
    more: bool  # older inspections exist beyond the ones listed

    @property
    def pending_count(self) -> int:
        return sum(len(i.pending) for i in self.inspections)

    @property
    def overdue_count(self) -> int:
        return sum(i.overdue_count for i in self.inspections)


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

    def unit_history(self, unit_id: str, *, excluding: str | None = None) -> UnitHistory:
        """Earlier inspections of the unit and its sub-units (latest versions, newest first), each
        with its requirements still open or in progress; `excluding` is the inspection being prepared."""
        self.registry.unit(unit_id)
        today = local_day(self.ctx.clock.now()).isoformat()
        rows = self.ctx.store.query(
            "WITH RECURSIVE tree(id) AS (SELECT :unit UNION ALL SELECT u.id FROM units u"
            " JOIN tree t ON u.parent_id = t.id)"
            " SELECT id FROM inspections WHERE unit_id IN (SELECT id FROM tree) AND superseded_by IS NULL"
            " AND id IS NOT :skip AND (supersedes IS NULL OR supersedes IS NOT :skip)"
            " ORDER BY decision_date DESC, decision_no DESC LIMIT :limit",
            {"unit": unit_id, "skip": excluding, "limit": HISTORY_LIMIT + 1})
        ids = [r["id"] for r in rows[:HISTORY_LIMIT]]
        pending: dict[str, list[PendingRequirement]] = {i: [] for i in ids}
        if ids:
            marks = ",".join("?" * len(ids))
            statuses = ",".join("?" * len(PENDING_STATUSES))
            # the central office's accepted follow-up (reference data, `remediation`) settles a requirement
            for row in self.ctx.store.query(
                    f"SELECT r.* FROM requirements r LEFT JOIN remediation m ON m.requirement_id = r.id"
                    f" WHERE r.removed = 0 AND r.inspection_id IN ({marks}) AND r.status IN ({statuses})"
                    " AND (m.status IS NULL OR m.status <> 'accepted') ORDER BY r.deadline, r.ordinal",
                    [*ids, *PENDING_STATUSES]):
                req = _req(row)
                pending[req.inspection_id].append(PendingRequirement(req, req.deadline < today))
        earlier = tuple(EarlierInspection(self.inspections.summary(i), tuple(pending[i])) for i in ids)
        return UnitHistory(unit_id, today, earlier, len(rows) > HISTORY_LIMIT)
