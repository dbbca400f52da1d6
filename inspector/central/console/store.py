"""Every query of the office console, in portable SQL (explicit columns, CASE, standard aggregates,
LIMIT/OFFSET, no SQLite-only functions), over the central store's connection. A second database
engine only has to run these same statements.

Scope: a staff account bound to a team sees only the inspections devices of that team sent
(`entity_owners.team`), and what hangs off them (requirements, documents, evidence, statistics).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from inspector.catalog.model import Catalog, Checklist

PAGE_SIZE = 50
# The console's status of a requirement: the office's follow-up (remediation) if any, else what
# the team recorded on the laptop.
REQ_STATUS = ("CASE WHEN m.status IS NOT NULL THEN m.status WHEN r.status IN ('open', 'in_progress') THEN 'open'"
              " WHEN r.status = 'done' THEN 'accepted' ELSE r.status END")
REQ_LABELS = {"open": "Chưa báo cáo", "reported": "Đã báo cáo, chờ xét", "accepted": "Đã chấp nhận",
              "cancelled": "Đã hủy", "overdue": "Quá hạn"}


@dataclass(frozen=True)
class Scope:
    team: str | None  # None: every team

    def inspections(self, column: str) -> tuple[str, list[Any]]:
        """A condition limiting `column` (an inspection id) to this scope."""
        if self.team is None:
            return "1 = 1", []
        return (f"{column} IN (SELECT o.entity_id FROM entity_owners o WHERE o.kind = 'inspection'"
                " AND o.team = ?)"), [self.team]


@dataclass
class Codes:
    """What the catalogs say about item codes: the manifestation codes of each checklist item
    (per checklist version), manifestation titles and groups. Parsed from the stored JSON in Python."""

    items: dict[tuple[str, int, str], tuple[str, ...]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)  # group code -> title
    group_of: dict[str, str] = field(default_factory=dict)  # manifestation code -> group code
    texts: dict[tuple[str, int, str], str] = field(default_factory=dict)  # item wording
    order: dict[tuple[str, int], list[str]] = field(default_factory=dict)  # item codes in checklist order
    checklists: list[tuple[str, int, str]] = field(default_factory=list)
    catalogs: list[tuple[str, int, str]] = field(default_factory=list)
    seen: int = -1

    def item_codes_for(self, manifestation: str) -> list[str]:
        return sorted({code for (_, _, code), ms in self.items.items() if manifestation in ms})


def codes(conn: sqlite3.Connection, cache: Codes) -> Codes:
    count = conn.execute("SELECT count(*) FROM catalog_versions").fetchone()[0]
    if count == cache.seen:
        return cache
    fresh = Codes(seen=count)
    for kind, doc_id, version, title, document in conn.execute(
            "SELECT kind, id, version, title, document FROM catalog_versions ORDER BY kind, id, version"):
        doc = json.loads(document)
        if kind == "catalog":
            catalog = Catalog.from_document(doc)
            fresh.catalogs.append((doc_id, int(version), title))
            for group in catalog.groups:
                fresh.groups[group.code] = group.title
                for m in group.manifestations:
                    fresh.titles[m.code] = m.title
                    fresh.group_of[m.code] = group.code
        else:
            checklist = Checklist.from_document(doc)
            fresh.checklists.append((doc_id, int(version), title))
            fresh.order[(doc_id, int(version))] = [item.code for item in checklist.items]
            for item in checklist.items:
                fresh.items[(doc_id, int(version), item.code)] = item.manifestations
                fresh.texts[(doc_id, int(version), item.code)] = item.text
    cache.__dict__.update(fresh.__dict__)
    return cache


@dataclass(frozen=True)
class Filters:
    unit_ids: tuple[str, ...] = ()  # the unit and its subtree; empty: any
    team_id: str = ""
    date_from: str = ""
    date_to: str = ""
    regime: str = ""
    status: str = ""
    item_codes: tuple[str, ...] = ()  # of the chosen manifestation (any level >= 1, or `level`)
    manifestation: str = ""
    level: int | None = None


def _where(scope: Scope, f: Filters) -> tuple[str, list[Any]]:
    cond, params = scope.inspections("i.id")
    parts = [cond, "i.superseded_by IS NULL"]
    if f.unit_ids:
        parts.append(f"i.unit_id IN ({', '.join('?' for _ in f.unit_ids)})")
        params += list(f.unit_ids)
    for column, value in (("i.team_id", f.team_id), ("i.regime", f.regime), ("i.status", f.status)):
        if value:
            parts.append(f"{column} = ?")
            params.append(value)
    if f.date_from:
        parts.append("i.decision_date >= ?")
        params.append(f.date_from)
    if f.date_to:
        parts.append("i.decision_date <= ?")
        params.append(f.date_to)
    if f.manifestation and not f.item_codes:
        parts.append("1 = 0")  # a code no checklist uses: nothing behind it
    if f.item_codes or f.level is not None:
        # on the summary's per-inspection counts (`summary.refresh` first): far fewer rows than findings
        sub = ["x.inspection_id = i.id", "x.n > 0"]
        if f.item_codes:
            sub.append(f"x.item_code IN ({', '.join('?' for _ in f.item_codes)})")
            params += list(f.item_codes)
        if f.level is not None:
            sub.append("x.level = ?")
            params.append(f.level)
        elif f.item_codes:
            sub.append("x.level >= 1")
        parts.append(f"EXISTS (SELECT 1 FROM console_inspection_counts x WHERE {' AND '.join(sub)})")
    return " AND ".join(parts), params


@dataclass(frozen=True)
class InspectionRow:
    id: str
    title: str
    decision_no: str
    decision_date: str
    unit_name: str
    team_name: str
    regime: str
    status: str
    findings: int


def list_inspections(conn: sqlite3.Connection, scope: Scope, f: Filters, page: int,
                     page_size: int = PAGE_SIZE) -> tuple[list[InspectionRow], int]:
    where, params = _where(scope, f)
    total = int(conn.execute(f"SELECT count(*) FROM inspections i WHERE {where}", params).fetchone()[0])
    rows = conn.execute(
        "SELECT i.id, i.title, i.decision_no, i.decision_date, u.name, t.name, i.regime, i.status,"
        " (SELECT count(*) FROM findings x WHERE x.inspection_id = i.id AND x.removed = 0 AND x.level >= 1)"
        f" FROM inspections i LEFT JOIN units u ON u.id = i.unit_id LEFT JOIN teams t ON t.id = i.team_id"
        f" WHERE {where} ORDER BY i.decision_date DESC, i.id LIMIT ? OFFSET ?",
        [*params, page_size, max(0, page - 1) * page_size]).fetchall()
    return [InspectionRow(r[0], r[1], r[2], r[3], r[4] or "", r[5] or "", r[6], r[7], int(r[8])) for r in rows], total


def visible(conn: sqlite3.Connection, scope: Scope, inspection_id: str) -> bool:
    cond, params = scope.inspections("i.id")
    return conn.execute(f"SELECT 1 FROM inspections i WHERE i.id = ? AND {cond}",
                        [inspection_id, *params]).fetchone() is not None


def one(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> dict[str, Any] | None:
    cur = conn.execute(sql, params)
    row = cur.fetchone()
    return None if row is None else {d[0]: v for d, v in zip(cur.description, row, strict=True)}


def rows(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def inspection(conn: sqlite3.Connection, inspection_id: str) -> dict[str, Any] | None:
    return one(conn, "SELECT i.id, i.title, i.decision_no, i.decision_date, i.decision_issuer, i.kind, i.regime,"
               " i.status, i.location, i.planned_date, i.actual_start, i.actual_end, i.checklist_id,"
               " i.checklist_version, i.explanation, i.team_remarks, i.sealed_at, i.version_no, i.supersedes,"
               " i.item_count, i.subject_count, i.assessed_count, i.unit_id, u.name AS unit_name,"
               " t.name AS team_name FROM inspections i LEFT JOIN units u ON u.id = i.unit_id"
               " LEFT JOIN teams t ON t.id = i.team_id WHERE i.id = ?", (inspection_id,))


def subjects(conn: sqlite3.Connection, inspection_id: str) -> list[dict[str, Any]]:
    return rows(conn, "SELECT id, ordinal, kind, name, position FROM subjects WHERE inspection_id = ?"
                " AND removed = 0 ORDER BY ordinal", (inspection_id,))


def findings(conn: sqlite3.Connection, inspection_id: str) -> list[dict[str, Any]]:
    return rows(conn, "SELECT id, item_code, subject_id, level, note FROM findings WHERE inspection_id = ?"
                " AND removed = 0 ORDER BY id", (inspection_id,))


def evidence(conn: sqlite3.Connection, inspection_id: str) -> list[dict[str, Any]]:
    return rows(conn, "SELECT e.id, e.finding_id, e.sha256, e.size, e.file_name, e.media_type, e.kind, e.caption,"
                " e.captured_at, b.state FROM evidence e LEFT JOIN blobs b ON b.sha256 = e.sha256"
                " WHERE e.inspection_id = ? AND e.removed = 0 ORDER BY e.added_at, e.id", (inspection_id,))


def evidence_item(conn: sqlite3.Connection, inspection_id: str, sha256: str) -> dict[str, Any] | None:
    return one(conn, "SELECT e.sha256, e.file_name, e.media_type, b.state FROM evidence e JOIN blobs b"
               " ON b.sha256 = e.sha256 WHERE e.inspection_id = ? AND e.sha256 = ? AND e.removed = 0"
               " AND b.state = 'ok'", (inspection_id, sha256))


def documents(conn: sqlite3.Connection, inspection_id: str) -> list[dict[str, Any]]:
    return rows(conn, "SELECT d.id, d.kind, d.revision, d.current_sha256, d.status, d.updated_at, b.state"
                " FROM documents d LEFT JOIN blobs b ON b.sha256 = d.current_sha256"
                " WHERE d.inspection_id = ? ORDER BY d.kind, d.revision, d.id", (inspection_id,))


def signatures(conn: sqlite3.Connection, document_id: str) -> list[dict[str, Any]]:
    return rows(conn, "SELECT role, signer_name, method, claimed_time FROM signatures WHERE document_id = ?"
                " ORDER BY created_at, id", (document_id,))


def history(conn: sqlite3.Connection, inspection_id: str, limit: int = 500) -> list[dict[str, Any]]:
    return rows(conn, "SELECT e.at, e.author_name, e.type, e.device_id FROM event_inspections x JOIN events e"
                " ON e.device_id = x.device_id AND e.epoch = x.epoch AND e.seq = x.seq WHERE x.inspection_id = ?"
                " ORDER BY e.at DESC, e.device_id, e.epoch DESC, e.seq DESC LIMIT ?", (inspection_id, limit))


def missing_files(conn: sqlite3.Connection, inspection_id: str) -> int:
    return int(conn.execute("SELECT count(DISTINCT r.sha256) FROM blob_refs r LEFT JOIN blobs b ON b.sha256 = r.sha256"
                            " AND b.state = 'ok' WHERE r.inspection_id = ? AND b.sha256 IS NULL",
                            (inspection_id,)).fetchone()[0])


# -- registry -------------------------------------------------------------------------------
def units(conn: sqlite3.Connection) -> list[tuple[str, str | None, str]]:
    return [(r[0], r[1], r[2]) for r in conn.execute(
        "SELECT id, parent_id, name FROM units WHERE archived = 0 AND merged_into IS NULL ORDER BY name, id")]


def subtree(all_units: list[tuple[str, str | None, str]], root: str) -> tuple[str, ...]:
    children: dict[str | None, list[str]] = {}
    for uid, parent, _ in all_units:
        children.setdefault(parent, []).append(uid)
    out, todo = [], [root]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return tuple(out)


def teams(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in conn.execute("SELECT id, name FROM teams WHERE archived = 0 ORDER BY name, id")]
