"""The values of preparing and listing inspections: drafts, queries, the generated texts."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from inspector.domain import InspectionId, InspectionSummary, Subject, SubjectId, UnitId
from inspector.text import document_date, fold, parse_date

MAX_SUBJECTS = 200
MAX_BASIS_LINES = 20

DIRECTIVE_BASIS = (
    "Chỉ thị số 24-CT/TU ngày 07 tháng 8 năm 2023 của Ban Thường vụ Thành ủy Hà Nội về tăng cường kỷ cương,"
    " kỷ luật và trách nhiệm trong giải quyết công việc của hệ thống chính trị thành phố"
)


def default_title(unit_name: str, kind: str) -> str:
    word = "đột xuất" if kind == "surprise" else "thường xuyên"
    return f"Kiểm tra {word} việc thực hiện kỷ cương, kỷ luật, trách nhiệm trong thực thi công vụ tại {unit_name}"


def default_legal_basis(decision_no: str, decision_date: str, issuer: str) -> list[str]:
    decision = f"Quyết định số {decision_no}"
    if decision_date:
        decision += f" {document_date(decision_date)}"  # the documents' one date style
    if issuer:
        decision += f" của {issuer}"
    return [DIRECTIVE_BASIS, decision + " về việc thành lập Đoàn kiểm tra"]


@dataclass(frozen=True)
class SubjectSpec:
    name: str
    position: str = ""
    holds_leadership: bool = False
    kind: str = "person"  # person | collective
    person_id: str | None = None
    id: str | None = None  # an existing subject when revising an inspection


@dataclass
class InspectionDraft:
    decision_no: str
    decision_date: str
    unit_id: str
    checklist_id: str
    checklist_version: int | None = None
    kind: str = "surprise"
    regime: str = "state"
    title: str = ""
    decision_issuer: str = ""
    legal_basis: Sequence[str] = ()
    team_id: str | None = None
    planned_date: str = ""
    location: str = ""
    subjects: Sequence[SubjectSpec] = field(default_factory=list)


@dataclass
class InspectionQuery:
    search: str = ""
    statuses: Sequence[str] = ()
    unit_id: str | None = None  # includes the unit's descendants
    kind: str | None = None
    date_from: str = ""
    date_to: str = ""
    include_archived: bool = False
    only_archived: bool = False
    sort: str = "decision_date"  # decision_date | unit | status | progress | updated
    descending: bool = True
    limit: int | None = None


SORTS = {
    "decision_date": "i.decision_date {d}, i.decision_no {d}",
    "unit": "u.name {d}, i.decision_date DESC",
    "status": "i.status {d}, i.decision_date DESC",
    "progress": "(CAST(i.assessed_count AS REAL) / max(1, i.item_count * i.subject_count)) {d}",
    "updated": "i.updated_at {d}",
}

SUMMARY_SQL = """
SELECT i.id, i.title, i.decision_no, i.decision_date, i.kind, i.regime, i.status, i.archived,
       i.unit_id, u.name AS unit_name, i.checklist_id, i.checklist_version, i.planned_date,
       i.item_count, i.subject_count, i.assessed_count, i.updated_at
FROM inspections i JOIN units u ON u.id = i.unit_id
"""


def summary_from_row(row: dict[str, Any] | sqlite3.Row) -> InspectionSummary:
    r = dict(row)
    return InspectionSummary(
        id=InspectionId(r["id"]), title=r["title"], decision_no=r["decision_no"],
        decision_date=r["decision_date"], kind=r["kind"], regime=r["regime"], status=r["status"],
        archived=bool(r["archived"]), unit_id=UnitId(r["unit_id"]), unit_name=r["unit_name"],
        checklist_id=r["checklist_id"], checklist_version=r["checklist_version"],
        planned_date=r["planned_date"], item_count=r["item_count"], subject_count=r["subject_count"],
        assessed_count=r["assessed_count"], updated_at=r["updated_at"],
    )


def subject_from_row(row: dict[str, Any]) -> Subject:
    return Subject(SubjectId(row["id"]), row["ordinal"], row["kind"], row["person_id"], row["name"],
                   row["position"], bool(row["holds_leadership"]))


def query_where(q: InspectionQuery) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if q.only_archived:
        clauses.append("i.archived = 1")
    elif not q.include_archived:
        clauses.append("i.archived = 0")
    if q.statuses:
        names = [f":s{n}" for n in range(len(q.statuses))]
        clauses.append(f"i.status IN ({', '.join(names)})")
        params.update({f"s{n}": s for n, s in enumerate(q.statuses)})
    if q.kind:
        clauses.append("i.kind = :kind")
        params["kind"] = q.kind
    if q.unit_id:
        clauses.append(
            "i.unit_id IN (WITH RECURSIVE tree(id) AS (SELECT :unit UNION ALL"
            " SELECT x.id FROM units x JOIN tree t ON x.parent_id = t.id) SELECT id FROM tree)")
        params["unit"] = q.unit_id
    if q.date_from:
        clauses.append("i.decision_date >= :from")
        params["from"] = parse_date(q.date_from, label="Từ ngày")
    if q.date_to:
        clauses.append("i.decision_date <= :to")
        params["to"] = parse_date(q.date_to, label="Đến ngày")
    if q.search.strip():
        clauses.append("inspector_fold(i.title || ' ' || i.decision_no || ' ' || u.name) LIKE :q")
        params["q"] = f"%{fold(q.search.strip())}%"
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params
