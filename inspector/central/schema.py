"""Server-only tables, on top of the ordinary store schema, and the queries over them."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from inspector.store.db import Store, open_store
from inspector.store.events import Event
from inspector.sync.merge import inspection_of
from inspector.sync.wire import blob_refs

CENTRAL_SCHEMA_VERSION = 1

_TABLES = """
CREATE TABLE IF NOT EXISTS central_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS central_devices (
    device_id TEXT PRIMARY KEY,
    public_key BLOB NOT NULL,
    x25519_public BLOB NOT NULL,
    team TEXT NOT NULL,
    label TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT,
    last_seen TEXT
);
CREATE TABLE IF NOT EXISTS enroll_tokens (
    token_sha256 TEXT PRIMARY KEY,
    team TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    used_by TEXT
);
CREATE TABLE IF NOT EXISTS quarantine (
    id INTEGER PRIMARY KEY,
    device_id TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    stored_hash TEXT NOT NULL,
    received_hash TEXT NOT NULL UNIQUE,
    reason TEXT NOT NULL,
    source TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    device_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blob_refs (
    sha256 TEXT NOT NULL,
    inspection_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    PRIMARY KEY (sha256, inspection_id, device_id, epoch)
);
CREATE INDEX IF NOT EXISTS blob_refs_chain ON blob_refs (device_id, epoch);
CREATE INDEX IF NOT EXISTS blob_refs_inspection ON blob_refs (inspection_id);
CREATE TABLE IF NOT EXISTS event_inspections (
    device_id TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    inspection_id TEXT NOT NULL,
    PRIMARY KEY (device_id, epoch, seq)
);
CREATE INDEX IF NOT EXISTS event_inspections_inspection ON event_inspections (inspection_id)
"""


def open_central_store(path: Path) -> Store:
    """The server database: the ordinary store (same factory and pragmas) plus server tables."""
    store = open_store(path)
    try:
        with store.transaction() as conn:
            for statement in (s.strip() for s in _TABLES.split(";")):
                if statement:
                    conn.execute(statement)
            conn.execute("INSERT INTO central_meta (key, value) VALUES ('schema', ?)"
                         " ON CONFLICT (key) DO NOTHING", (str(CENTRAL_SCHEMA_VERSION),))
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

    @property
    def active(self) -> bool:
        return self.status == "active"


_DEVICE_COLUMNS = ("device_id, public_key, x25519_public, team, label, epoch, status, enrolled_at,"
                   " revoked_at, last_seen")


def device_record(conn: sqlite3.Connection, device_id: str) -> DeviceRecord | None:
    row = conn.execute(f"SELECT {_DEVICE_COLUMNS} FROM central_devices WHERE device_id = ?",
                       (device_id,)).fetchone()
    return None if row is None else DeviceRecord(row[0], bytes(row[1]), bytes(row[2]), *row[3:])


def all_devices(conn: sqlite3.Connection) -> list[DeviceRecord]:
    rows = conn.execute(f"SELECT {_DEVICE_COLUMNS} FROM central_devices ORDER BY team, enrolled_at")
    return [DeviceRecord(r[0], bytes(r[1]), bytes(r[2]), *r[3:]) for r in rows]


def record_refs(conn: sqlite3.Connection, events: list[Event]) -> None:
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
    out: list[str] = []
    for device_id, epoch in chains:
        rows = conn.execute(
            "SELECT DISTINCT r.sha256 FROM blob_refs r LEFT JOIN blobs b"
            " ON b.sha256 = r.sha256 AND b.state = 'ok'"
            " WHERE r.device_id = ? AND r.epoch = ? AND b.sha256 IS NULL ORDER BY r.sha256 LIMIT ?",
            (device_id, epoch, limit)).fetchall()
        out += [r[0] for r in rows if r[0] not in out]
    return out[:limit]


def held_blobs(conn: sqlite3.Connection, shas: list[str]) -> set[str]:
    held: set[str] = set()
    for start in range(0, len(shas), 500):
        part = shas[start:start + 500]
        marks = ",".join("?" for _ in part)
        held |= {r[0] for r in conn.execute(
            f"SELECT sha256 FROM blobs WHERE state = 'ok' AND sha256 IN ({marks})", part)}
    return held
