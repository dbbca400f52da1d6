"""Domain values: small frozen dataclasses returned by services, and the vocabularies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NewType

UnitId = NewType("UnitId", str)
PersonId = NewType("PersonId", str)
TeamId = NewType("TeamId", str)
InspectionId = NewType("InspectionId", str)
SubjectId = NewType("SubjectId", str)
FindingId = NewType("FindingId", str)
EvidenceId = NewType("EvidenceId", str)
RequirementId = NewType("RequirementId", str)

UNIT_TYPES: dict[str, str] = {
    "city": "Thành phố",
    "district": "Quận/Huyện (trước 01/7/2025)",
    "ward": "Phường",
    "commune": "Xã",
    "party_committee": "Cấp ủy, tổ chức đảng",
    "agency": "Cơ quan, phòng ban",
    "desk": "Bộ phận một cửa",
    "school": "Trường học",
    "enterprise": "Đơn vị sự nghiệp, doanh nghiệp",
    "party_cell": "Chi bộ",
    "other": "Khác",
}

TEAM_ROLES: dict[str, str] = {
    "leader": "Trưởng đoàn",
    "deputy": "Phó Trưởng đoàn",
    "member": "Thành viên",
    "secretary": "Thư ký",
}

INSPECTION_KINDS: dict[str, str] = {"surprise": "Đột xuất", "regular": "Thường xuyên"}
REGIMES: dict[str, str] = {"party": "Văn bản Đảng", "state": "Văn bản hành chính Nhà nước"}

STATUSES: dict[str, str] = {
    "draft": "Đang chuẩn bị",
    "in_progress": "Đang kiểm tra",
    "recorded": "Đã kết thúc kiểm tra",
    "sealed": "Đã ký biên bản",
    "concluded": "Đã ban hành kết luận",
    "closed": "Đã hoàn thành khắc phục",
    "cancelled": "Đã hủy",
}
# Which status changes a user may make by hand; sealing has its own service.
STATUS_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("in_progress", "cancelled"),
    "in_progress": ("recorded", "cancelled"),
    "recorded": ("in_progress",),
    "sealed": ("concluded",),
    "concluded": ("closed",),
    "closed": (),
    "cancelled": ("draft",),
}
EDITABLE_STATUSES = frozenset({"draft", "in_progress", "recorded"})

LEVEL_NOT_ASSESSED = None
LEVELS = (0, 1, 2, 3)

EVIDENCE_KINDS: dict[str, str] = {
    "photo": "Ảnh chụp",
    "document": "Tài liệu",
    "signature": "Chữ ký tay",
    "pdf": "Văn bản PDF",
    "audio": "Ghi âm",
    "video": "Video",
    "other": "Khác",
}

REQUIREMENT_STATUSES: dict[str, str] = {
    "open": "Chưa thực hiện",
    "in_progress": "Đang thực hiện",
    "reported": "Đã báo cáo",
    "done": "Đã hoàn thành",
    "cancelled": "Đã hủy",
}


@dataclass(frozen=True)
class Unit:
    id: UnitId
    parent_id: UnitId | None
    name: str
    unit_type: str
    code: str
    address: str
    archived: bool


HONORIFICS = ("Ông", "Bà")  # a person's own honorific in State documents; "" = not recorded


@dataclass(frozen=True)
class Person:
    id: PersonId
    full_name: str
    position: str
    unit_id: UnitId | None
    holds_leadership: bool
    archived: bool
    honorific: str = ""  # "Ông" | "Bà" | "" (State documents address people by it; Party ones say "đồng chí")


@dataclass(frozen=True)
class TeamMember:
    person_id: PersonId
    full_name: str
    position: str
    role: str
    honorific: str = ""


@dataclass(frozen=True)
class Team:
    id: TeamId
    name: str
    issuing_body: str
    superior_body: str  # the body that set the team up (it issues the conclusion)
    members: tuple[TeamMember, ...]
    issuing_abbr: str = ""   # document symbol of the team, tone-free: "ĐKT"
    superior_abbr: str = ""  # document symbol of the body that set it up: "TU", "UBND"


@dataclass(frozen=True)
class Subject:
    id: SubjectId
    ordinal: int
    kind: str  # person | collective
    person_id: PersonId | None
    name: str
    position: str
    holds_leadership: bool


@dataclass(frozen=True)
class Finding:
    id: FindingId
    item_code: str
    subject_id: SubjectId
    level: int | None
    note: str
    author_name: str
    origin_device: str
    head_hash: str
    updated_at: str


@dataclass(frozen=True)
class EvidenceRef:
    id: EvidenceId
    inspection_id: InspectionId
    finding_id: FindingId | None
    sha256: str
    size: int
    file_name: str
    media_type: str
    kind: str
    caption: str
    captured_at: str | None
    added_at: str
    added_by: str


@dataclass(frozen=True)
class Requirement:
    id: RequirementId
    inspection_id: InspectionId
    ordinal: int
    content: str
    responsible: str
    responsible_unit_id: UnitId | None
    responsible_person_id: PersonId | None
    deadline: str
    report_back_date: str
    status: str
    status_note: str


@dataclass(frozen=True)
class InspectionSummary:
    id: InspectionId
    title: str
    decision_no: str
    decision_date: str
    kind: str
    regime: str
    status: str
    archived: bool
    unit_id: UnitId
    unit_name: str
    checklist_id: str
    checklist_version: int
    planned_date: str
    item_count: int
    subject_count: int
    assessed_count: int
    updated_at: str

    @property
    def total_cells(self) -> int:
        return self.item_count * self.subject_count


@dataclass(frozen=True)
class Inspection:
    summary: InspectionSummary
    decision_issuer: str
    legal_basis: tuple[str, ...]
    team: Team | None
    location: str
    actual_start: str | None
    actual_end: str | None
    explanation: str
    team_remarks: str
    version_no: int
    supersedes: InspectionId | None
    superseded_by: InspectionId | None
    sealed_at: str | None
    seal_hash: str | None
    subjects: tuple[Subject, ...]
    created_at: str
    created_by: str

    @property
    def id(self) -> InspectionId:
        return self.summary.id

    @property
    def status(self) -> str:
        return self.summary.status

    @property
    def editable(self) -> bool:
        return self.summary.status in EDITABLE_STATUSES and self.superseded_by is None


@dataclass
class FindingsMatrix:
    """Findings of one inspection by cell. A cell with several findings is a disagreement."""

    cells: dict[tuple[str, SubjectId], list[Finding]] = field(default_factory=dict)

    def get(self, item_code: str, subject_id: SubjectId) -> Finding | None:
        found = self.cells.get((item_code, subject_id))
        return found[0] if found else None

    def disagreements(self) -> list[tuple[str, SubjectId]]:
        return [key for key, values in self.cells.items() if len(values) > 1]
