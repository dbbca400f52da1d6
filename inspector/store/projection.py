"""Projections: how each event type changes the tables. Pure functions of (tables, event).

Replaying the whole log in order (hybrid clock, device, sequence) through `apply` must give
exactly the live tables; `inspector events verify` checks it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from inspector import canonical
from inspector.errors import BugError
from inspector.store.events import Event

Reducer = Callable[[sqlite3.Connection, Event], None]

# Columns an event may set, per table. Anything else in a payload is ignored by the projection.
UNIT_FIELDS = ("parent_id", "name", "unit_type", "code", "address", "archived")
PERSON_FIELDS = ("full_name", "position", "unit_id", "holds_leadership", "archived", "honorific")
TEAM_FIELDS = ("name", "issuing_body", "superior_body", "archived", "issuing_abbr", "superior_abbr")
INSPECTION_FIELDS = (
    "title", "decision_no", "decision_date", "decision_issuer", "legal_basis", "kind", "regime",
    "unit_id", "checklist_id", "checklist_version", "team_id", "planned_date", "location",
    "actual_start", "actual_end", "explanation", "team_remarks", "item_count",
)
SUBJECT_FIELDS = ("ordinal", "kind", "person_id", "name", "position", "holds_leadership")
REQUIREMENT_FIELDS = (
    "ordinal", "content", "responsible", "responsible_unit_id", "responsible_person_id",
    "deadline", "report_back_date", "status", "status_note",
)


MINUTES_FIELDS = (
    "number", "place_name", "unit_representatives", "other_participants", "copies", "refusals",
    "with_secretary", "recipients", "strengths", "immediate_requests",
)
CONCLUSION_FIELDS = (
    "doc_type", "superior_body", "issuing_body", "number", "place_name", "issue_date",
    "findings_summary", "strengths", "shortcomings", "causes", "follow_up", "signer_authority",
    "signer_authority_body", "signer_position", "signer_name", "recipients", "issuing_abbr",
    "concluding_body", "report_number", "report_date",
)
REMEDIATION_FIELDS = (
    "source_inspection_id", "decision_no", "decision_date", "unit_id", "responsible_unit_id", "responsible",
    "content", "deadline", "report_back_date", "status", "action", "report_text", "report_files",
    "reported_at", "decision_note", "decided_at",
)
_JSON_COLUMNS = frozenset({
    "legal_basis", "unit_representatives", "other_participants", "refusals", "recipients", "fields",
    "report_files",
})


def _encode(column: str, value: Any) -> Any:
    if column in _JSON_COLUMNS:
        return canonical.dumps(value)
    if isinstance(value, bool):
        return int(value)
    return value


# Columns that name a registry entry. A unit or person merged into another (the central
# registry's decision, `unit.merged` / `person.merged`) is replaced by the one it was merged into,
# whenever an event names it: the projection only ever points at canonical entries.
REF_COLUMNS = {"parent_id": "units", "unit_id": "units", "responsible_unit_id": "units",
               "person_id": "people", "responsible_person_id": "people"}


def canonical_id(conn: sqlite3.Connection, table: str, entity_id: str) -> str:
    """The entry `entity_id` was merged into (following merges), or itself."""
    current = entity_id
    for _ in range(16):
        row = conn.execute(f"SELECT merged_into FROM {table} WHERE id = ?", (current,)).fetchone()
        if row is None or row[0] is None:
            break
        current = str(row[0])
    return current


def _refs(conn: sqlite3.Connection, row: dict[str, Any]) -> dict[str, Any]:
    for column in REF_COLUMNS.keys() & row.keys():
        if row[column]:
            row[column] = canonical_id(conn, REF_COLUMNS[column], row[column])
    return row


def _insert(conn: sqlite3.Connection, table: str, row: dict[str, Any]) -> None:
    row = _refs(conn, row)
    cols = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", tuple(row.values()))


def _update(conn: sqlite3.Connection, table: str, key: str, fields: dict[str, Any]) -> None:
    if not fields:
        return
    fields = _refs(conn, fields)
    sets = ", ".join(f"{c} = ?" for c in fields)
    cur = conn.execute(f"UPDATE {table} SET {sets} WHERE id = ?", (*fields.values(), key))
    if cur.rowcount != 1:
        raise BugError(f"projection: {table} row {key} not found")


def _pick(payload: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    return {c: _encode(c, payload[c]) for c in allowed if c in payload}


def _created(table: str, allowed: tuple[str, ...]) -> Reducer:
    def reduce(conn: sqlite3.Connection, ev: Event) -> None:
        row = {"id": ev.entity_id, **_pick(ev.payload, allowed), "created_at": ev.at, "updated_at": ev.at}
        _insert(conn, table, row)

    return reduce


def _updated(table: str, allowed: tuple[str, ...]) -> Reducer:
    def reduce(conn: sqlite3.Connection, ev: Event) -> None:
        _update(conn, table, ev.entity_id, {**_pick(ev.payload, allowed), "updated_at": ev.at})

    return reduce


def _registry_updated(table: str, allowed: tuple[str, ...]) -> Reducer:
    """A device's edit of a unit or person. Entries of the central registry change only through
    the server's `*.registered` events: a device's edit of one is kept in the log, not applied."""
    def reduce(conn: sqlite3.Connection, ev: Event) -> None:
        row = conn.execute(f"SELECT central FROM {table} WHERE id = ?", (ev.entity_id,)).fetchone()
        if row is None:
            raise BugError(f"projection: {table} row {ev.entity_id} not found")
        if not row[0]:
            _update(conn, table, ev.entity_id, {**_pick(ev.payload, allowed), "updated_at": ev.at})

    return reduce


def _registered(table: str, allowed: tuple[str, ...]) -> Reducer:
    """The central registry publishes an entry (a laptop's proposal it accepted, or its own)."""
    def reduce(conn: sqlite3.Connection, ev: Event) -> None:
        fields = _refs(conn, {**_pick(ev.payload, allowed), "central": 1, "merged_into": None,
                              "updated_at": ev.at})
        if conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (ev.entity_id,)).fetchone():
            sets = ", ".join(f"{c} = ?" for c in fields)
            conn.execute(f"UPDATE {table} SET {sets} WHERE id = ?", (*fields.values(), ev.entity_id))
        else:
            _insert(conn, table, {"id": ev.entity_id, **fields, "created_at": ev.at})

    return reduce


# Where a unit or a person may be named, for re-pointing after a merge: (table, column).
_UNIT_REFERENCES = (("inspections", "unit_id"), ("requirements", "responsible_unit_id"),
                    ("people", "unit_id"), ("units", "parent_id"), ("remediation", "unit_id"),
                    ("remediation", "responsible_unit_id"))
_PERSON_REFERENCES = (("subjects", "person_id"), ("requirements", "responsible_person_id"))


def _merged(table: str) -> Reducer:
    """The central registry found a proposal to be an entry it already has: every row naming the
    proposal names the entry instead. A device that never held the proposal has nothing to do."""
    def reduce(conn: sqlite3.Connection, ev: Event) -> None:
        into = canonical_id(conn, table, str(ev.payload["into"]))
        if into == ev.entity_id:
            return
        cur = conn.execute(f"UPDATE {table} SET merged_into = ?, updated_at = ? WHERE id = ?",
                           (into, ev.at, ev.entity_id))
        if cur.rowcount != 1:
            return
        if table == "units":
            for ref_table, column in _UNIT_REFERENCES:
                conn.execute(f"UPDATE {ref_table} SET {column} = ? WHERE {column} = ?", (into, ev.entity_id))
        else:
            for ref_table, column in _PERSON_REFERENCES:
                conn.execute(f"UPDATE {ref_table} SET {column} = ? WHERE {column} = ?", (into, ev.entity_id))
            conn.execute("UPDATE team_members SET person_id = ? WHERE person_id = ? AND NOT EXISTS"
                         " (SELECT 1 FROM team_members t WHERE t.team_id = team_members.team_id"
                         " AND t.person_id = ?)", (into, ev.entity_id, into))
            conn.execute("DELETE FROM team_members WHERE person_id = ?", (ev.entity_id,))

    return reduce


def _catalog_imported(conn: sqlite3.Connection, ev: Event) -> None:
    p = ev.payload
    conn.execute(
        "INSERT INTO catalog_versions (kind, id, version, title, content_hash, document, source,"
        " imported_at, imported_by) VALUES (?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT (kind, id, version) DO NOTHING",
        (p["kind"], p["id"], p["version"], p["title"], p["content_hash"],
         canonical.dumps(p["document"]), p["source"], ev.at, ev.author_name),
    )


def _team_members(conn: sqlite3.Connection, ev: Event) -> None:
    if "members" not in ev.payload:
        return
    conn.execute("DELETE FROM team_members WHERE team_id = ?", (ev.entity_id,))
    for ordinal, member in enumerate(ev.payload["members"], start=1):
        conn.execute(
            "INSERT OR IGNORE INTO team_members (team_id, person_id, role, ordinal) VALUES (?,?,?,?)",
            (ev.entity_id, canonical_id(conn, "people", member["person_id"]), member["role"], ordinal),
        )


def _team_created(conn: sqlite3.Connection, ev: Event) -> None:
    _created("teams", TEAM_FIELDS)(conn, ev)
    _team_members(conn, ev)


def _team_updated(conn: sqlite3.Connection, ev: Event) -> None:
    _updated("teams", TEAM_FIELDS)(conn, ev)
    _team_members(conn, ev)


def _inspection_created(conn: sqlite3.Connection, ev: Event) -> None:
    row = {
        "id": ev.entity_id,
        **_pick(ev.payload, INSPECTION_FIELDS),
        "status": ev.payload["status"],
        "version_no": ev.payload.get("version_no", 1),
        "supersedes": ev.payload.get("supersedes"),
        "created_at": ev.at,
        "created_by": ev.author_name,
        "updated_at": ev.at,
    }
    _insert(conn, "inspections", row)
    if row["supersedes"]:
        _update(conn, "inspections", row["supersedes"], {"superseded_by": ev.entity_id})


def _inspection_status(conn: sqlite3.Connection, ev: Event) -> None:
    _update(conn, "inspections", ev.entity_id, {"status": ev.payload["status"], "updated_at": ev.at})


def _inspection_archived(conn: sqlite3.Connection, ev: Event) -> None:
    _update(conn, "inspections", ev.entity_id,
            {"archived": int(bool(ev.payload["archived"])), "updated_at": ev.at})


def _inspection_sealed(conn: sqlite3.Connection, ev: Event) -> None:
    _update(conn, "inspections", ev.entity_id, {
        "status": "sealed", "sealed_at": ev.at, "seal_hash": ev.payload["snapshot_hash"],
        "seal_reason": ev.payload.get("unassessed_reason", ""), "updated_at": ev.at,
    })


def refresh_counts(conn: sqlite3.Connection, inspection_id: str) -> None:
    """Subject and assessed-cell counters, kept so that long lists need no aggregation."""
    conn.execute(
        """UPDATE inspections SET
             subject_count = (SELECT count(*) FROM subjects WHERE inspection_id = :i AND removed = 0),
             assessed_count = (
               SELECT count(*) FROM (
                 SELECT DISTINCT f.item_code, f.subject_id FROM findings f
                 JOIN subjects s ON s.id = f.subject_id
                 WHERE f.inspection_id = :i AND f.removed = 0 AND f.level IS NOT NULL
                   AND s.removed = 0) AS cells)
           WHERE id = :i""",
        {"i": inspection_id},
    )


def _cell_assessed(conn: sqlite3.Connection, inspection_id: str, item_code: str, subject_id: str) -> bool:
    return conn.execute(
        "SELECT 1 FROM findings f JOIN subjects s ON s.id = f.subject_id"
        " WHERE f.inspection_id = ? AND f.item_code = ? AND f.subject_id = ? AND f.removed = 0"
        " AND f.level IS NOT NULL AND s.removed = 0 LIMIT 1",
        (inspection_id, item_code, subject_id)).fetchone() is not None


def _adjust_assessed(conn: sqlite3.Connection, inspection_id: str, before: bool, after: bool) -> None:
    """The same count as refresh_counts, kept by one cell's change (the hot path of recording)."""
    if before != after:
        conn.execute("UPDATE inspections SET assessed_count = assessed_count + ? WHERE id = ?",
                     (1 if after else -1, inspection_id))


def _subject_added(conn: sqlite3.Connection, ev: Event) -> None:
    row = {
        "id": ev.entity_id,
        "inspection_id": ev.payload["inspection_id"],
        **_pick(ev.payload, SUBJECT_FIELDS),
        "created_at": ev.at,
        "updated_at": ev.at,
    }
    _insert(conn, "subjects", row)
    refresh_counts(conn, row["inspection_id"])


def _subject_removed(conn: sqlite3.Connection, ev: Event) -> None:
    _update(conn, "subjects", ev.entity_id, {"removed": 1, "updated_at": ev.at})
    refresh_counts(conn, ev.payload["inspection_id"])


def _finding_set(conn: sqlite3.Connection, ev: Event) -> None:
    p = ev.payload
    cell = (p["inspection_id"], p["item_code"], p["subject_id"])
    before = _cell_assessed(conn, *cell)
    conn.execute(
        """INSERT INTO findings (id, inspection_id, item_code, subject_id, level, note, author_id,
             author_name, origin_device, head_hash, removed, created_at, updated_at)
           VALUES (?,?,?,?,?,?,?,?,?,?,0,?,?)
           ON CONFLICT (id) DO UPDATE SET level = excluded.level, note = excluded.note,
             author_id = excluded.author_id, author_name = excluded.author_name,
             head_hash = excluded.head_hash, removed = 0, updated_at = excluded.updated_at""",
        (ev.entity_id, p["inspection_id"], p["item_code"], p["subject_id"], p["level"], p["note"],
         ev.author_id, ev.author_name, ev.device_id, ev.hash, ev.at, ev.at),
    )
    _adjust_assessed(conn, p["inspection_id"], before, _cell_assessed(conn, *cell))


def _finding_removed(conn: sqlite3.Connection, ev: Event) -> None:
    row = conn.execute("SELECT inspection_id, item_code, subject_id FROM findings WHERE id = ?",
                       (ev.entity_id,)).fetchone()
    before = _cell_assessed(conn, *row)
    _update(conn, "findings", ev.entity_id, {"removed": 1, "head_hash": ev.hash, "updated_at": ev.at})
    _adjust_assessed(conn, row[0], before, _cell_assessed(conn, *row))


def _evidence_added(conn: sqlite3.Connection, ev: Event) -> None:
    p = ev.payload
    _insert(conn, "evidence", {
        "id": ev.entity_id,
        "inspection_id": p["inspection_id"],
        "finding_id": p.get("finding_id"),
        "sha256": p["sha256"],
        "size": p["size"],
        "file_name": p["file_name"],
        "media_type": p["media_type"],
        "kind": p["kind"],
        "caption": p.get("caption", ""),
        "captured_at": p.get("captured_at"),
        "added_at": ev.at,
        "added_by": ev.author_name,
    })


def _evidence_removed(conn: sqlite3.Connection, ev: Event) -> None:
    _update(conn, "evidence", ev.entity_id, {
        "removed": 1, "removed_at": ev.at, "removed_by": ev.author_name,
        "removed_reason": ev.payload.get("reason", ""),
    })


def _requirement_set(conn: sqlite3.Connection, ev: Event) -> None:
    exists = conn.execute("SELECT 1 FROM requirements WHERE id = ?", (ev.entity_id,)).fetchone()
    if exists:
        _updated("requirements", REQUIREMENT_FIELDS)(conn, ev)
    else:
        _insert(conn, "requirements", {
            "id": ev.entity_id, "inspection_id": ev.payload["inspection_id"],
            **_pick(ev.payload, REQUIREMENT_FIELDS), "created_at": ev.at, "updated_at": ev.at,
        })


def _requirement_removed(conn: sqlite3.Connection, ev: Event) -> None:
    _update(conn, "requirements", ev.entity_id, {"removed": 1, "updated_at": ev.at})


def _upsert_by_inspection(table: str, allowed: tuple[str, ...]) -> Reducer:
    def reduce(conn: sqlite3.Connection, ev: Event) -> None:
        fields = {**_pick(ev.payload, allowed), "updated_at": ev.at}
        key = ev.payload["inspection_id"]
        exists = conn.execute(f"SELECT 1 FROM {table} WHERE inspection_id = ?", (key,)).fetchone()
        if exists:
            sets = ", ".join(f"{c} = ?" for c in fields)
            conn.execute(f"UPDATE {table} SET {sets} WHERE inspection_id = ?", (*fields.values(), key))
        else:
            _insert(conn, table, {"inspection_id": key, **fields})

    return reduce


def _document_prepared(conn: sqlite3.Connection, ev: Event) -> None:
    p = ev.payload
    _insert(conn, "documents", {
        "id": ev.entity_id, "inspection_id": p["inspection_id"], "kind": p["kind"],
        "revision": p["revision"], "prepared_sha256": p["sha256"], "current_sha256": p["sha256"],
        "fields": _encode("fields", p["fields"]), "status": "prepared", "created_at": ev.at,
        "updated_at": ev.at,
    })


def _document_signed(conn: sqlite3.Connection, ev: Event) -> None:
    p = ev.payload
    _insert(conn, "signatures", {
        "id": p["signature_id"], "document_id": ev.entity_id, "role": p["role"],
        "field_name": p["field_name"], "signer_name": p["signer_name"],
        "cert_subject": p.get("cert_subject", ""), "cert_fingerprint": p.get("cert_fingerprint", ""),
        "claimed_time": p["claimed_time"], "drawn_sha256": p.get("drawn_sha256"),
        "pdf_sha256": p["sha256"], "method": p["method"], "created_at": ev.at,
        "expected_name": p.get("expected_name", ""), "override_reason": p.get("override_reason", ""),
    })
    _update(conn, "documents", ev.entity_id, {
        "current_sha256": p["sha256"], "status": "signed" if p.get("complete") else "signing",
        "updated_at": ev.at})


def _document_timestamped(conn: sqlite3.Connection, ev: Event) -> None:
    _update(conn, "documents", ev.entity_id, {"current_sha256": ev.payload["sha256"], "updated_at": ev.at})


def _device_enrolled(conn: sqlite3.Connection, ev: Event) -> None:
    """Team roster (reference data from the central server): keys of the team's devices."""
    p = ev.payload
    conn.execute(
        "INSERT INTO team_devices (device_id, epoch, team, label, public_key, x25519_public,"
        " enrolled_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT (device_id) DO UPDATE SET"
        " epoch = excluded.epoch, team = excluded.team, label = excluded.label,"
        " public_key = excluded.public_key, x25519_public = excluded.x25519_public,"
        " enrolled_at = excluded.enrolled_at",
        (ev.entity_id, p["epoch"], p["team"], p["label"], p["public_key"], p["x25519_public"], ev.at),
    )


def _device_revoked(conn: sqlite3.Connection, ev: Event) -> None:
    cur = conn.execute("UPDATE team_devices SET revoked = 1, revoked_at = ?, revoked_reason = ?"
                       " WHERE device_id = ?", (ev.at, ev.payload.get("reason", ""), ev.entity_id))
    if cur.rowcount != 1:
        raise BugError(f"projection: team_devices row {ev.entity_id} not found")


def _remediation_updated(conn: sqlite3.Connection, ev: Event) -> None:
    """The central office's follow-up of one requirement: the whole state, as of this event."""
    row = _refs(conn, {**_pick(ev.payload, REMEDIATION_FIELDS), "recorded_by": ev.author_name,
                       "updated_at": ev.at})
    cols = ", ".join(["requirement_id", *row])
    marks = ", ".join("?" for _ in range(len(row) + 1))
    sets = ", ".join(f"{c} = excluded.{c}" for c in row)
    conn.execute(f"INSERT INTO remediation ({cols}) VALUES ({marks})"
                 f" ON CONFLICT (requirement_id) DO UPDATE SET {sets}", (ev.entity_id, *row.values()))


REDUCERS: dict[str, Reducer] = {
    "catalog.imported": _catalog_imported,
    "unit.created": _created("units", UNIT_FIELDS),
    "unit.updated": _registry_updated("units", UNIT_FIELDS),
    "unit.registered": _registered("units", UNIT_FIELDS),
    "unit.merged": _merged("units"),
    "person.created": _created("people", PERSON_FIELDS),
    "person.updated": _registry_updated("people", PERSON_FIELDS),
    "person.registered": _registered("people", PERSON_FIELDS),
    "person.merged": _merged("people"),
    "team.created": _team_created,
    "team.updated": _team_updated,
    "inspection.created": _inspection_created,
    "inspection.updated": _updated("inspections", INSPECTION_FIELDS),
    "inspection.status_changed": _inspection_status,
    "inspection.archived": _inspection_archived,
    "inspection.sealed": _inspection_sealed,
    "subject.added": _subject_added,
    "subject.updated": _updated("subjects", SUBJECT_FIELDS),
    "subject.removed": _subject_removed,
    "finding.set": _finding_set,
    "finding.removed": _finding_removed,
    "evidence.added": _evidence_added,
    "evidence.removed": _evidence_removed,
    "requirement.set": _requirement_set,
    "requirement.removed": _requirement_removed,
    "minutes.set": _upsert_by_inspection("minutes", MINUTES_FIELDS),
    "conclusion.set": _upsert_by_inspection("conclusions", CONCLUSION_FIELDS),
    "document.prepared": _document_prepared,
    "document.signed": _document_signed,
    "document.timestamped": _document_timestamped,
    "device.enrolled": _device_enrolled,
    "device.revoked": _device_revoked,
    "remediation.updated": _remediation_updated,
}


def apply(conn: sqlite3.Connection, event: Event) -> None:
    reducer = REDUCERS.get(event.type)
    if reducer is None:
        raise BugError(f"no projection for event type {event.type!r}")
    reducer(conn, event)
