"""How work reaches the core: read operations, write operations and what a write changed.

The desktop app runs every read on a pool of threads whose connections are opened with
`PRAGMA query_only=ON`, and every write on one writer thread that does the database
transaction and nothing else. Long work (render a PDF, sign, timestamp, talk to the network)
runs as a read on the pool and hands its short database step to a `Committer`, which runs
it on the writer and returns its result. The CLI runs everything inline on one thread.

A write's `Changes` are not assembled by hand: they are read back from the segment of the
event log the write appended (every change is an event), plus the few non-event tables a
service marks with `ServiceContext.touch` (settings, sync bookkeeping).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    import sqlite3

    from inspector.workspace import Services

T = TypeVar("T")

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


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """A committed write: the domain value the service returned and what the commit changed."""

    value: T
    changes: Changes = field(default=NOTHING)


class Committer(Protocol):
    """Runs a short database step on the one writer and returns its result.

    Long operations running on the read pool receive one, so their writes never happen on a
    read-only connection and never wait behind (or hold up) anything but other short writes.
    """

    def __call__(self, fn: Callable[[Services], T], /) -> T: ...


def run_write(services: Services, fn: Callable[[Services], T]) -> Outcome[T]:
    """Run one write on `services` (the writer's) and read back what it changed."""
    conn = services.ctx.store.conn
    start = log_position(conn)
    services.ctx.take_touched()
    value = fn(services)
    return Outcome(value, changes_since(conn, start) | services.ctx.take_touched())


def inline_committer(services: Services) -> Committer:
    """The CLI's committer: one thread, so a write runs right where it is asked for."""

    class _Inline:
        def __call__(self, fn: Callable[[Services], T], /) -> T:
            return fn(services)

    return _Inline()
