"""Conflicts and disagreements after a merge: surfaced, never silently resolved.

* An **edit conflict**: one finding with more than one *leaf* revision. Each `finding.set` or
  `finding.removed` names the revision it edited (`parent`, or `parents` for a resolution that
  merges several); two devices editing the same revision leave two leaves. The projection shows
  the one that sorts last (a deterministic provisional winner); both are kept in the log.
* A **disagreement**: two live findings for the same checklist item and subject in one inspection
  (typically recorded by two inspectors on their own laptops).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from inspector.store.events import IS_LEAF, REVISION_TYPES


@dataclass(frozen=True)
class Revision:
    event_hash: str
    device_id: str
    author_name: str
    at: str
    removed: bool
    level: int | None
    note: str


@dataclass(frozen=True)
class EditConflict:
    inspection_id: str
    finding_id: str
    item_code: str
    subject_id: str
    leaves: tuple[Revision, ...]  # in log order; the last one is what the tables currently show


@dataclass(frozen=True)
class Disagreement:
    inspection_id: str
    item_code: str
    subject_id: str
    finding_ids: tuple[str, ...]
    levels: tuple[int | None, ...]
    identical: bool  # same level and note: a duplicate rather than a difference of opinion


def edit_conflicts(conn: sqlite3.Connection, inspection_id: str | None = None) -> list[EditConflict]:
    where = "" if inspection_id is None else " AND json_extract(e.payload, '$.inspection_id') = :i"
    rows = conn.execute(
        f"""SELECT e.entity_id, e.hash, e.device_id, e.author_name, e.at, e.type, e.payload
            FROM events e
            WHERE e.type IN {REVISION_TYPES}{where} AND {IS_LEAF}
            ORDER BY e.entity_id, e.hlc, e.device_id, e.epoch, e.seq""",
        {"i": inspection_id}).fetchall()
    by_finding: dict[str, list[tuple[Revision, dict[str, object]]]] = {}
    for entity, hash_, device, author, at, type_, payload_text in rows:
        payload = json.loads(payload_text)
        removed = type_ == "finding.removed"
        rev = Revision(hash_, device, author, at, removed, None if removed else payload.get("level"),
                       "" if removed else str(payload.get("note", "")))
        by_finding.setdefault(entity, []).append((rev, payload))
    out = []
    for finding_id, leaves in by_finding.items():
        if len(leaves) < 2:
            continue
        cell = conn.execute("SELECT inspection_id, item_code, subject_id FROM findings WHERE id = ?",
                            (finding_id,)).fetchone()
        first = leaves[0][1]
        inspection = cell[0] if cell else str(first.get("inspection_id", ""))
        out.append(EditConflict(inspection, finding_id, cell[1] if cell else "",
                                cell[2] if cell else "", tuple(r for r, _ in leaves)))
    return out


def disagreements(conn: sqlite3.Connection, inspection_id: str | None = None) -> list[Disagreement]:
    where = "" if inspection_id is None else " AND inspection_id = :i"
    groups = conn.execute(
        f"""SELECT inspection_id, item_code, subject_id,
                   group_concat(id, ' '), count(DISTINCT coalesce(level, -1) || ':' || note)
            FROM (SELECT * FROM findings WHERE removed = 0{where} ORDER BY id)
            GROUP BY inspection_id, item_code, subject_id HAVING count(*) > 1
            ORDER BY inspection_id, item_code, subject_id""", {"i": inspection_id}).fetchall()
    out = []
    for inspection, item, subject, ids_text, distinct in groups:
        ids = tuple(str(ids_text).split(" "))
        marks = ",".join("?" for _ in ids)
        level_of = dict(conn.execute(f"SELECT id, level FROM findings WHERE id IN ({marks})", ids))
        out.append(Disagreement(inspection, item, subject, ids, tuple(level_of[i] for i in ids),
                                identical=distinct == 1))
    return out
