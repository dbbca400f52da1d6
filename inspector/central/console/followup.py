"""Remediation in the console: every requirement of every conclusion with the office's follow-up,
and the office's decisions (report-back recorded, accepted, returned) as `remediation.updated`
events of the server's chain, which reach every laptop with the reference data.

Queries are portable SQL (see `console.store`)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from inspector.central.console.accounts import StaffUser, audit
from inspector.central.console.store import PAGE_SIZE, REQ_STATUS, Scope, one
from inspector.central.server import Central
from inspector.errors import NotFoundError, RefusedError, UserError
from inspector.store.events import Author
from inspector.text import clean

DUE_SOON_DAYS = 14
MAX_REPORT_FILES = 10
MAX_REPORT_FILE = 20 * 1024 * 1024

_SELECT = ("SELECT r.id, r.inspection_id, r.ordinal, r.content, r.responsible, r.deadline, r.report_back_date,"
           f" {REQ_STATUS} AS state, i.decision_no, i.title, u.name AS unit_name, ru.name AS responsible_unit,"
           " m.reported_at, m.decided_at, m.report_text, m.decision_note, m.report_files, m.action, m.recorded_by"
           " FROM requirements r JOIN inspections i ON i.id = r.inspection_id"
           " LEFT JOIN units u ON u.id = i.unit_id LEFT JOIN units ru ON ru.id = r.responsible_unit_id"
           " LEFT JOIN remediation m ON m.requirement_id = r.id")


@dataclass(frozen=True)
class RequirementRow:
    id: str
    inspection_id: str
    ordinal: int
    content: str
    responsible: str
    deadline: str
    report_back_date: str
    state: str  # open | reported | accepted | cancelled | overdue
    decision_no: str
    inspection_title: str
    unit_name: str
    responsible_unit: str
    reported_at: str | None
    decided_at: str | None
    report_text: str
    decision_note: str
    report_files: tuple[dict[str, Any], ...]
    action: str | None
    recorded_by: str | None


def _row(r: tuple[Any, ...], today: str) -> RequirementRow:
    state = r[7]
    if state == "open" and r[5] and r[5] < today:
        state = "overdue"
    files = tuple(json.loads(r[16])) if r[16] else ()
    return RequirementRow(r[0], r[1], int(r[2]), r[3], r[4] or "", r[5] or "", r[6] or "", state, r[8], r[9],
                          r[10] or "", r[11] or "", r[12], r[13], r[14] or "", r[15] or "", files, r[17], r[18])


def _conditions(scope: Scope, view: str, today: date) -> tuple[str, list[Any]]:
    cond, params = scope.inspections("r.inspection_id")
    parts = [cond, "r.removed = 0", "i.superseded_by IS NULL"]
    day = today.isoformat()
    if view == "overdue":
        parts += [f"{REQ_STATUS} = 'open'", "r.deadline < ?"]
        params.append(day)
    elif view == "due":
        parts += [f"{REQ_STATUS} = 'open'", "r.deadline >= ?", "r.deadline <= ?"]
        params += [day, (today + timedelta(days=DUE_SOON_DAYS)).isoformat()]
    elif view in ("open", "reported", "accepted"):
        parts.append(f"{REQ_STATUS} = ?")
        params.append(view)
    return " AND ".join(parts), params


def list_requirements(conn: sqlite3.Connection, scope: Scope, view: str, today: date, page: int,
                      page_size: int = PAGE_SIZE) -> tuple[list[RequirementRow], int]:
    where, params = _conditions(scope, view, today)
    total = int(conn.execute("SELECT count(*) FROM requirements r JOIN inspections i ON i.id = r.inspection_id"
                             " LEFT JOIN remediation m ON m.requirement_id = r.id"
                             f" WHERE {where}", params).fetchone()[0])
    found = conn.execute(f"{_SELECT} WHERE {where} ORDER BY r.deadline, r.inspection_id, r.ordinal LIMIT ? OFFSET ?",
                         [*params, page_size, max(0, page - 1) * page_size]).fetchall()
    return [_row(r, today.isoformat()) for r in found], total


def requirement(conn: sqlite3.Connection, scope: Scope, requirement_id: str, today: date) -> RequirementRow:
    cond, params = scope.inspections("r.inspection_id")
    found = conn.execute(f"{_SELECT} WHERE r.id = ? AND r.removed = 0 AND {cond}",
                         [requirement_id, *params]).fetchone()
    if found is None:
        raise NotFoundError("Không tìm thấy yêu cầu khắc phục này.", hint="Quay lại danh sách yêu cầu.")
    return _row(found, today.isoformat())


def requirements_of(conn: sqlite3.Connection, inspection_id: str, today: date) -> list[RequirementRow]:
    found = conn.execute(f"{_SELECT} WHERE r.inspection_id = ? AND r.removed = 0 ORDER BY r.ordinal",
                         (inspection_id,)).fetchall()
    return [_row(r, today.isoformat()) for r in found]


@dataclass(frozen=True)
class ReportFile:
    name: str
    media_type: str
    data: bytes


def record(central: Central, user: StaffUser, scope: Scope, requirement_id: str, action: str, text: str,
           files: list[ReportFile], address: str) -> RequirementRow:
    """The office's step on one requirement (writer thread): `reported` (the unit's report-back,
    with its files), `accepted` or `returned` (back to open, with the reason)."""
    today = central.clock.now().date()
    conn = central.store.conn
    current = requirement(conn, scope, requirement_id, today)
    note = clean(text, label="Nội dung", max_length=5000, multiline=True)
    if action == "reported":
        if not note and not files:
            raise UserError("Chưa có nội dung báo cáo.", hint="Nhập nội dung đơn vị báo cáo hoặc đính kèm tệp.")
        if current.state in ("accepted", "cancelled"):
            raise RefusedError("Yêu cầu này đã được chấp nhận hoặc đã hủy; không ghi báo cáo mới.")
    elif action in ("accepted", "returned"):
        if current.state != "reported":
            raise RefusedError("Chỉ xét được yêu cầu đã có báo cáo của đơn vị.",
                               hint="Ghi báo cáo của đơn vị trước.")
        if action == "returned" and not note:
            raise UserError("Cần ghi lý do trả lại báo cáo.", hint="Nêu điều đơn vị cần bổ sung.")
    else:
        raise UserError("Thao tác không hợp lệ.")
    if len(files) > MAX_REPORT_FILES:
        raise UserError("Đính kèm tối đa {n} tệp.", n=MAX_REPORT_FILES)
    stored: list[dict[str, Any]] = []
    for f in files:
        if len(f.data) > MAX_REPORT_FILE:
            raise UserError("Tệp “{name}” lớn hơn {mb} MB.", name=f.name[:80], mb=MAX_REPORT_FILE // 2**20)
        sha = central.vault.put_bytes(f.data).sha256
        stored.append({"sha256": sha, "name": clean(f.name, label="Tên tệp", max_length=200) or "tep",
                       "size": len(f.data), "media_type": f.media_type[:100]})
    now = central.now()
    inspection = one(conn, "SELECT i.decision_no, i.decision_date, i.unit_id FROM inspections i WHERE i.id = ?",
                     (current.inspection_id,)) or {}
    responsible_unit = conn.execute("SELECT responsible_unit_id FROM requirements WHERE id = ?",
                                    (requirement_id,)).fetchone()[0]
    reported = action == "reported"
    payload = {
        "source_inspection_id": current.inspection_id, "decision_no": inspection.get("decision_no", ""),
        "decision_date": inspection.get("decision_date", ""), "unit_id": inspection.get("unit_id"),
        "responsible_unit_id": responsible_unit, "responsible": current.responsible, "content": current.content,
        "deadline": current.deadline, "report_back_date": current.report_back_date,
        "status": {"reported": "reported", "accepted": "accepted", "returned": "open"}[action], "action": action,
        "report_text": note if reported else current.report_text,
        "report_files": stored if reported else list(current.report_files),
        "reported_at": now if reported else current.reported_at,
        "decision_note": "" if reported else note, "decided_at": None if reported else now,
    }
    with central.store.transaction() as tx:
        for entry in stored:
            tx.execute("INSERT INTO blobs (sha256, size, state, stored_at, verified_at) VALUES (?, ?, 'ok', ?, ?)"
                       " ON CONFLICT (sha256) DO NOTHING", (entry["sha256"], entry["size"], now, now))
        central.ctx.journal.record(tx, Author(f"staff:{user.username}", user.display_name), "remediation.updated",
                                   requirement_id, payload)
        audit(tx, now, user.username, f"remediation.{action}", requirement_id, note[:200], address)
    return requirement(central.store.conn, scope, requirement_id, today)


def report_file(conn: sqlite3.Connection, scope: Scope, requirement_id: str, sha256: str) -> dict[str, Any] | None:
    cond, params = scope.inspections("m.source_inspection_id")
    found = conn.execute(f"SELECT m.report_files FROM remediation m WHERE m.requirement_id = ? AND {cond}",
                         [requirement_id, *params]).fetchone()
    if found is None:
        return None
    for entry in json.loads(found[0] or "[]"):
        if entry.get("sha256") == sha256:
            return dict(entry)
    return None
