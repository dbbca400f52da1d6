"""What a write changed, read back from the segment of the event log it appended.

Every change is an event, so no service assembles these by hand and none can forget one; the few
tables that are not events (settings, sync bookkeeping) are marked with `ServiceContext.touch`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

Cell = tuple[str, str, str]  # (inspection id, item code, subject id)


@dataclass(frozen=True)
class Changes:
    """What one write changed, for the views to decide whether to refresh."""

    inspections: frozenset[str] = frozenset()  # inspections whose content, status or counts changed
    inspection_list: bool = False                # inspections created, archived, sealed, corrected
    cells: frozenset[Cell] = frozenset()         # findings of these cells
    evidence: frozenset[str] = frozenset()       # evidence of these inspections
    documents: frozenset[str] = frozenset()      # minutes/conclusion content or issued files
    requirements: frozenset[str] = frozenset()   # requirements of these inspections
    registry: bool = False                       # units, people, teams
    catalogs: bool = False                       # catalog or checklist versions
    settings: bool = False                       # language, identity, trust folder, TSA…
    sync: bool = False                           # enrollment, receipts, acknowledgements, forks

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            self.inspections | other.inspections, self.inspection_list or other.inspection_list,
            self.cells | other.cells, self.evidence | other.evidence, self.documents | other.documents,
            self.requirements | other.requirements, self.registry or other.registry,
            self.catalogs or other.catalogs, self.settings or other.settings, self.sync or other.sync)

    @property
    def empty(self) -> bool:
        return self == NOTHING

    def touches_inspection(self, inspection_id: str | None) -> bool:
        return inspection_id is not None and (
            inspection_id in self.inspections or inspection_id in self.evidence
            or inspection_id in self.documents or inspection_id in self.requirements)


NOTHING = Changes()

# Event types that change the list of inspections (not only one inspection's content).
_LIST_EVENTS = frozenset({"inspection.created", "inspection.archived", "inspection.sealed",
                          "inspection.status_changed", "inspection.updated"})


def changes_of_events(rows: Iterable[tuple[str, str, str]]) -> Changes:
    """Changes described by appended events, given as (type, entity id, JSON payload) rows."""
    inspections: set[str] = set()
    cells: set[Cell] = set()
    evidence: set[str] = set()
    documents: set[str] = set()
    requirements: set[str] = set()
    listing = registry = catalogs = sync = False
    for type_, entity_id, text in rows:
        kind = type_.split(".", 1)[0]
        payload = json.loads(text) if text else {}
        inspection = payload.get("inspection_id") if isinstance(payload, dict) else None
        if kind == "inspection":
            inspection = entity_id
            listing = listing or type_ in _LIST_EVENTS
        if isinstance(inspection, str):
            inspections.add(inspection)
        if kind in ("unit", "person", "team"):
            registry = True
        elif kind == "catalog":
            catalogs = True
        elif kind == "device":
            sync = True
        elif isinstance(inspection, str):
            if kind == "finding":
                listing = True  # the list shows assessed counts
                if payload.get("item_code") and payload.get("subject_id"):
                    cells.add((inspection, str(payload["item_code"]), str(payload["subject_id"])))
            elif kind == "subject":
                listing = True
            elif kind == "evidence":
                evidence.add(inspection)
            elif kind in ("document", "minutes", "conclusion"):
                documents.add(inspection)
                listing = listing or type_ == "document.signed"
            elif kind == "requirement":
                requirements.add(inspection)
                documents.add(inspection)
    if inspections:
        sync = True  # new local events are unsent: the sync page's counts change
    return Changes(frozenset(inspections), listing, frozenset(cells), frozenset(evidence),
                   frozenset(documents), frozenset(requirements), registry, catalogs, False, sync)


def log_position(conn: sqlite3.Connection) -> int:
    """The newest row of the event log; a write's events are the rows after it."""
    row = conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM events").fetchone()
    return int(row[0])


def changes_since(conn: sqlite3.Connection, position: int) -> Changes:
    rows = conn.execute("SELECT type, entity_id, payload FROM events WHERE rowid > ? ORDER BY rowid",
                        (position,)).fetchall()
    return changes_of_events(rows)
