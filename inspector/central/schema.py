"""Server-only tables, on top of the ordinary store schema, and the small queries over them.

Migrations are keyed on `central_meta.schema`; each version is a list of single statements run
in one transaction (no SQL is split by hand), written in SQLite's dialect and translated for
PostgreSQL by `inspector.central.storage` (`run_ddl`). Every query the server needs on these
tables lives here or next to its use case as a small function, written once for both backends
(docs/central-storage.md). `offset` is a reserved word in PostgreSQL: it is always quoted.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from inspector.central.console.tables import CONSOLE_TABLES
from inspector.central.storage import Database, run_ddl, table_exists
from inspector.errors import StorageError
from inspector.store.db import Store
from inspector.store.events import Event
from inspector.sync.merge import inspection_of
from inspector.sync.wire import blob_refs

_V1 = [
    "CREATE TABLE IF NOT EXISTS central_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS central_devices (
        device_id TEXT PRIMARY KEY,
        public_key BLOB NOT NULL,
        x25519_public BLOB NOT NULL,
        team TEXT NOT NULL,
        label TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
        enrolled_at TEXT NOT NULL,
        revoked_at TEXT,
        last_seen TEXT)""",
    """CREATE TABLE IF NOT EXISTS enroll_tokens (
        token_sha256 TEXT PRIMARY KEY,
        team TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        used_by TEXT)""",
    """CREATE TABLE IF NOT EXISTS quarantine (
        id INTEGER PRIMARY KEY,
        device_id TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        stored_hash TEXT NOT NULL,
        received_hash TEXT NOT NULL UNIQUE,
        reason TEXT NOT NULL,
        source TEXT NOT NULL,
        received_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS uploads (
        upload_id TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,
        size INTEGER NOT NULL,
        "offset" INTEGER NOT NULL,
        device_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS blob_refs (
        sha256 TEXT NOT NULL,
        inspection_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        PRIMARY KEY (sha256, inspection_id, device_id, epoch))""",
    "CREATE INDEX IF NOT EXISTS blob_refs_chain ON blob_refs (device_id, epoch)",
    "CREATE INDEX IF NOT EXISTS blob_refs_inspection ON blob_refs (inspection_id)",
    """CREATE TABLE IF NOT EXISTS event_inspections (
        device_id TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        inspection_id TEXT NOT NULL,
        PRIMARY KEY (device_id, epoch, seq))""",
    "CREATE INDEX IF NOT EXISTS event_inspections_inspection ON event_inspections (inspection_id)",
]

# v2 (issue 11): uploads belong to the device that started them; the enrolled person of each
# device and the author names its events used; who owns each inspection and team; proposals of
# registry entries and what became of them; why a change was quarantined.
_V2 = [
    """CREATE TABLE uploads_v2 (
        upload_id TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        "offset" INTEGER NOT NULL,
        device_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (device_id, sha256))""",
    "INSERT INTO uploads_v2 SELECT upload_id, sha256, size, \"offset\", device_id, created_at, updated_at"
    " FROM uploads",
    "DROP TABLE uploads",
    "ALTER TABLE uploads_v2 RENAME TO uploads",
    "CREATE INDEX uploads_sha ON uploads (sha256)",
    "ALTER TABLE central_devices ADD COLUMN person_id TEXT",
    "ALTER TABLE central_devices ADD COLUMN person_name TEXT",
    "CREATE INDEX central_devices_team ON central_devices (team)",
    """CREATE TABLE device_people (
        person_id TEXT NOT NULL,
        name TEXT NOT NULL,
        device_id TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        PRIMARY KEY (person_id, name))""",
    """CREATE TABLE entity_owners (
        entity_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('inspection', 'team')),
        device_id TEXT NOT NULL,
        team TEXT NOT NULL)""",
    """INSERT OR IGNORE INTO entity_owners (entity_id, kind, device_id, team)
        SELECT e.entity_id, substr(e.type, 1, instr(e.type, '.') - 1), e.device_id, d.team
        FROM events e JOIN central_devices d ON d.device_id = e.device_id
        WHERE e.type IN ('inspection.created', 'team.created')""",
    """CREATE TABLE proposals (
        entity_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('unit', 'person')),
        device_id TEXT NOT NULL,
        canonical_id TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('registered', 'merged')),
        decided_at TEXT NOT NULL)""",
    "CREATE INDEX proposals_device ON proposals (device_id, outcome)",
    "ALTER TABLE quarantine RENAME COLUMN reason TO event",
    "ALTER TABLE quarantine ADD COLUMN cause TEXT NOT NULL DEFAULT 'fork'",
    "ALTER TABLE quarantine ADD COLUMN detail TEXT NOT NULL DEFAULT ''",
]

# v3 (issue 15): what several server processes must share lives in the database: the replay
# nonces of signed requests and refused enrollment attempts per address (inspector.central.shared_state).
_V3 = [
    "CREATE TABLE seen_nonces (nonce TEXT PRIMARY KEY, seen_at INTEGER NOT NULL)",
    "CREATE INDEX seen_nonces_at ON seen_nonces (seen_at)",
    "CREATE TABLE enroll_failures (address TEXT NOT NULL, at_ms INTEGER NOT NULL)",
    "CREATE INDEX enroll_failures_address ON enroll_failures (address, at_ms)",
]

# v4 (issue 16): the office console's staff accounts, sessions, login failures, audit log.
CENTRAL_MIGRATIONS: list[tuple[int, list[str]]] = [(1, _V1), (2, _V2), (3, _V3), (4, CONSOLE_TABLES)]
CENTRAL_SCHEMA_VERSION = CENTRAL_MIGRATIONS[-1][0]


def _schema_version(conn: sqlite3.Connection) -> int:
    if not table_exists(conn, "central_meta"):
        return 0
    row = conn.execute("SELECT value FROM central_meta WHERE key = 'schema'").fetchone()
    return 0 if row is None else int(row[0])


def migrate_central(store: Store) -> None:
    current = _schema_version(store.conn)
    if current > CENTRAL_SCHEMA_VERSION:
        raise StorageError("Cơ sở dữ liệu máy chủ được tạo bởi phiên bản mới hơn (lược đồ {found} > {known}).",
                           hint="Cài phiên bản phần mềm mới nhất cho máy chủ rồi chạy lại.",
                           found=current, known=CENTRAL_SCHEMA_VERSION)
    for version, statements in CENTRAL_MIGRATIONS:
        if version <= current:
            continue
        with store.transaction() as conn:  # the write lock: another process may be migrating too
            if _schema_version(conn) >= version:
                continue
            for statement in statements:
                run_ddl(conn, statement)
            conn.execute("INSERT INTO central_meta (key, value) VALUES ('schema', ?)"
                         " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(version),))


def open_central_store(database: Database) -> Store:
    """The server database: the ordinary store (same factory and pragmas) plus server tables."""
    store = database.open()
    try:
        migrate_central(store)
    except BaseException:
        store.close()
        raise
    return store


@dataclass(frozen=True)
class DeviceRecord:
    device_id: str
    public_key: bytes
    x25519_public: bytes
    team: str
    label: str
    epoch: int
    status: str
    enrolled_at: str
    revoked_at: str | None
    last_seen: str | None
    person_id: str | None = None
    person_name: str | None = None

    @property
    def active(self) -> bool:
        return self.status == "active"


_DEVICE_COLUMNS = ("device_id, public_key, x25519_public, team, label, epoch, status, enrolled_at,"
                   " revoked_at, last_seen, person_id, person_name")


def _device(row: tuple[Any, ...]) -> DeviceRecord:
    return DeviceRecord(row[0], bytes(row[1]), bytes(row[2]), *row[3:])


def device_record(conn: sqlite3.Connection, device_id: str) -> DeviceRecord | None:
    row = conn.execute(f"SELECT {_DEVICE_COLUMNS} FROM central_devices WHERE device_id = ?",
                       (device_id,)).fetchone()
    return None if row is None else _device(row)


def all_devices(conn: sqlite3.Connection) -> list[DeviceRecord]:
    rows = conn.execute(f"SELECT {_DEVICE_COLUMNS} FROM central_devices ORDER BY team, enrolled_at")
    return [_device(r) for r in rows]


def active_keys(conn: sqlite3.Connection) -> list[tuple[str, bytes]]:
    """(device id, public key) of every active device: who may sign a bundle."""
    return [(r[0], bytes(r[1])) for r in conn.execute(
        "SELECT device_id, public_key FROM central_devices WHERE status = 'active'")]


def team_people(conn: sqlite3.Connection, team: str) -> dict[str, str]:
    """Enrolled person id → device id, for every device enrolled in `team`."""
    return {r[0]: r[1] for r in conn.execute(
        "SELECT person_id, device_id FROM central_devices WHERE team = ? AND person_id IS NOT NULL", (team,))}


def person_names(conn: sqlite3.Connection, person_id: str) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM device_people WHERE person_id = ?", (person_id,))}


def remember_name(conn: sqlite3.Connection, person_id: str, name: str, device_id: str, now: str) -> None:
    conn.execute("INSERT INTO device_people (person_id, name, device_id, first_seen) VALUES (?,?,?,?)"
                 " ON CONFLICT (person_id, name) DO NOTHING", (person_id, name, device_id, now))


def set_person(conn: sqlite3.Connection, device_id: str, person_id: str, name: str) -> None:
    conn.execute("UPDATE central_devices SET person_id = ?, person_name = ? WHERE device_id = ?",
                 (person_id, name, device_id))


def owner_of(conn: sqlite3.Connection, entity_id: str) -> tuple[str, str] | None:
    """(device id, team) that created this inspection or team, if the server knows it."""
    row = conn.execute("SELECT device_id, team FROM entity_owners WHERE entity_id = ?", (entity_id,)).fetchone()
    return None if row is None else (str(row[0]), str(row[1]))


def set_owner(conn: sqlite3.Connection, entity_id: str, kind: str, device_id: str, team: str) -> None:
    conn.execute("INSERT INTO entity_owners (entity_id, kind, device_id, team) VALUES (?,?,?,?)"
                 " ON CONFLICT (entity_id) DO NOTHING", (entity_id, kind, device_id, team))


def record_refs(conn: sqlite3.Connection, events: Iterable[Event]) -> None:
    """Which blobs each new event needs, and which inspection it belongs to (insert-only facts)."""
    for event in events:
        inspection = inspection_of(conn, event)
        if inspection is not None:
            conn.execute("INSERT OR IGNORE INTO event_inspections (device_id, epoch, seq, inspection_id)"
                         " VALUES (?,?,?,?)", (event.device_id, event.epoch, event.seq, inspection))
        for sha in blob_refs(event):
            conn.execute("INSERT OR IGNORE INTO blob_refs (sha256, inspection_id, device_id, epoch)"
                         " VALUES (?,?,?,?)", (sha, inspection or "", event.device_id, event.epoch))


def missing_blobs(conn: sqlite3.Connection, chains: list[tuple[str, int]], limit: int = 10_000) -> list[str]:
    """Blobs referenced by these chains' events that the server does not hold yet."""
    out: dict[str, None] = {}
    for device_id, epoch in chains:
        rows = conn.execute(
            "SELECT DISTINCT r.sha256 FROM blob_refs r LEFT JOIN blobs b"
            " ON b.sha256 = r.sha256 AND b.state = 'ok'"
            " WHERE r.device_id = ? AND r.epoch = ? AND b.sha256 IS NULL ORDER BY r.sha256 LIMIT ?",
            (device_id, epoch, limit)).fetchall()
        out.update((r[0], None) for r in rows)
    return list(out)[:limit]


def held_blobs(conn: sqlite3.Connection, shas: list[str]) -> set[str]:
    held: set[str] = set()
    for start in range(0, len(shas), 500):
        part = shas[start:start + 500]
        marks = ",".join("?" for _ in part)
        held |= {r[0] for r in conn.execute(
            f"SELECT sha256 FROM blobs WHERE state = 'ok' AND sha256 IN ({marks})", part)}
    return held


def referenced_by_team(conn: sqlite3.Connection, sha256: str, device: DeviceRecord) -> bool:
    """Whether an event of this device's own chains, or of a chain it may relay (its team's),
    refers to the blob: only such a device may upload it."""
    return conn.execute(
        "SELECT 1 FROM blob_refs r JOIN central_devices d ON d.device_id = r.device_id"
        " WHERE r.sha256 = ? AND (r.device_id = ? OR d.team = ?) LIMIT 1",
        (sha256, device.device_id, device.team)).fetchone() is not None
