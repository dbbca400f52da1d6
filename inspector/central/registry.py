"""The office's registry: units and people a laptop adds are proposals the server settles.

When a laptop's `unit.created` or `person.created` reaches the server (HTTP push or bundle), the
server decides, in the same transaction, what it is:

* the same as an entry the registry already has — a unit with the same code, or the same
  normalised name under the same (canonical) parent; a person with the same normalised name in
  the same unit — and records `unit.merged` / `person.merged` into that entry;
* otherwise new: it records `unit.registered` / `person.registered`, which publishes the entry
  (with the laptop's id, so nothing has to be renamed) as reference data.
Both are events of the server's own chain, so every laptop receives them with the next pull, and
the projection points every inspection, subject, requirement and team member at the canonical
entry everywhere. A device may have at most `MAX_REGISTRATIONS` of its proposals registered.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterable
from typing import Any

from inspector.central.policy import Forbidden
from inspector.errors import UserError
from inspector.services.context import ServiceContext
from inspector.store.events import Event, iter_events
from inspector.store.projection import PERSON_FIELDS, UNIT_FIELDS
from inspector.sync.merge import sort_key

MAX_REGISTRATIONS = 5_000
PROPOSALS = {"unit.created": "unit", "person.created": "person"}


def registry_key(text: str) -> str:
    """Names compared for matching: NFC, case-folded, whitespace collapsed. Accents stay: in
    Vietnamese they tell different names apart."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


# An entry proposals are matched against: one the registry published (registered from a
# proposal) or the office created itself in the server's chain; never another pending proposal.
_PUBLISHED = ("merged_into IS NULL AND id != :id AND (central = 1 OR EXISTS (SELECT 1 FROM events e"
              " WHERE e.entity_id = {table}.id AND e.device_id = :server AND e.type = '{kind}.created'))")


def _unit_match(conn: sqlite3.Connection, unit_id: str, row: tuple[Any, ...], server_id: str) -> str | None:
    parent, name, code = row[0], row[1], row[3]
    where = _PUBLISHED.format(table="units", kind="unit")
    params = {"id": unit_id, "server": server_id, "code": code, "parent": parent}
    if code:
        for other, other_code in conn.execute(
                f"SELECT id, code FROM units WHERE code != '' AND lower(code) = lower(:code) AND {where}", params):
            if registry_key(other_code) == registry_key(code):
                return str(other)
    key = registry_key(name)
    for other, other_name in conn.execute(f"SELECT id, name FROM units WHERE parent_id IS :parent AND {where}",
                                          params):
        if registry_key(other_name) == key:
            return str(other)
    return None


def _person_match(conn: sqlite3.Connection, person_id: str, row: tuple[Any, ...], server_id: str) -> str | None:
    key = registry_key(row[0])
    where = _PUBLISHED.format(table="people", kind="person")
    for other, other_name in conn.execute(f"SELECT id, full_name FROM people WHERE unit_id IS :unit AND {where}",
                                          {"id": person_id, "server": server_id, "unit": row[2]}):
        if registry_key(other_name) == key:
            return str(other)
    return None


def unsettled(conn: sqlite3.Connection, server_id: str) -> list[Event]:
    """Proposals stored before the registry settled them (a store from an earlier version)."""
    return list(iter_events(conn, "WHERE type IN ('unit.created', 'person.created') AND device_id != ? AND"
                                  " NOT EXISTS (SELECT 1 FROM proposals p WHERE p.entity_id = events.entity_id)",
                            (server_id,)))


def settle_proposals(ctx: ServiceContext, conn: sqlite3.Connection, inserted: Iterable[Event],
                     server_id: str, now: str) -> int:
    """Settle every proposal among newly stored events (in log order: parents before children).
    Runs inside the push (or bundle import) transaction. Returns how many were registered."""
    proposals = sorted((e for e in inserted if e.type in PROPOSALS and e.device_id != server_id), key=sort_key)
    registered = 0
    for event in proposals:
        kind = PROPOSALS[event.type]
        fields: tuple[str, ...]
        if kind == "unit":
            row = conn.execute(f"SELECT {', '.join(UNIT_FIELDS)} FROM units WHERE id = ?",
                               (event.entity_id,)).fetchone()
            match = None if row is None else _unit_match(conn, event.entity_id, row, server_id)
            fields = UNIT_FIELDS
        else:
            row = conn.execute(f"SELECT {', '.join(PERSON_FIELDS)} FROM people WHERE id = ?",
                               (event.entity_id,)).fetchone()
            match = None if row is None else _person_match(conn, event.entity_id, row, server_id)
            fields = PERSON_FIELDS
        if row is None:
            continue  # already merged away by an earlier decision
        if match is not None:
            ctx.record(conn, f"{kind}.merged", event.entity_id, {"into": match})
            outcome, canonical = "merged", match
        else:
            count = conn.execute("SELECT count(*) FROM proposals WHERE device_id = ? AND outcome = 'registered'",
                                 (event.device_id,)).fetchone()[0]
            if count >= MAX_REGISTRATIONS:
                raise Forbidden(event, "registry", UserError(
                    "Thiết bị {device}… đã đề xuất quá {limit} đơn vị và người mới cho danh mục chung;"
                    " máy chủ không nhận thêm. Thay đổi được giữ lại để văn phòng trung tâm xem xét.",
                    hint="Liên hệ văn phòng trung tâm.", device=event.device_id[:12], limit=MAX_REGISTRATIONS))
            payload = {name: (bool(value) if name in ("archived", "holds_leadership") else value)
                       for name, value in zip(fields, row, strict=True)}
            ctx.record(conn, f"{kind}.registered", event.entity_id, payload)
            outcome, canonical = "registered", event.entity_id
            registered += 1
        conn.execute("INSERT INTO proposals (entity_id, kind, device_id, canonical_id, outcome, decided_at)"
                     " VALUES (?,?,?,?,?,?) ON CONFLICT (entity_id) DO NOTHING",
                     (event.entity_id, kind, event.device_id, canonical, outcome, now))
    return registered
