"""This device's sync bookkeeping: the server it is enrolled with, what the server acknowledged,
signed chain heads, receipts, and the per-inspection status shown to the user.

Acknowledgements only ever grow, and are accepted only if they name an event this device holds
with the same hash; anything else means the local database and the server have diverged (a
restored backup, a cloned laptop): that is recorded as a fork and reported, never papered over.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from inspector import canonical
from inspector.store.device import DeviceIdentity
from inspector.store.events import Event
from inspector.sync.merge import chain_events, inspection_of, stored_hash
from inspector.sync.receipts import ChainAck, Receipt
from inspector.sync.wire import BLOB_FIELDS, ChainKey, HeadStatement, Range

LOCAL, PARTIAL, COMPLETE = "local", "partial", "complete"
STATE_LABELS = {LOCAL: "Chỉ có trên máy", PARTIAL: "Đã gửi một phần", COMPLETE: "Đã đủ trên máy chủ"}


@dataclass(frozen=True)
class ServerLink:
    url: str
    server_id: str
    server_public_key: bytes
    server_x25519: bytes
    team: str
    enrolled_at: str
    clock_offset_ms: int
    fork: dict[str, Any] | None
    tls_fingerprint: str | None = None  # the pinned server certificate (SHA-256 of DER), hex
    tls_certificate: str | None = None  # that certificate (PEM), once the server showed it

    @property
    def forked_chain(self) -> ChainKey | None:
        """The chain that diverged from the server: never sent again (the server quarantined it)."""
        return (str(self.fork["device"]), int(self.fork["epoch"])) if self.fork else None

    @property
    def fork_open(self) -> bool:
        """A divergence not yet followed by re-enrollment: recording here should stop."""
        return bool(self.fork) and not (self.fork or {}).get("resolved")


@dataclass(frozen=True)
class InspectionSyncStatus:
    inspection_id: str
    state: str  # LOCAL | PARTIAL | COMPLETE
    unsent_events: int
    missing_blobs: int  # on the server (last receipt) or not yet uploaded from here
    last_receipt_at: str | None
    stranded: int = 0  # changes on a chain the server refused as a fork (held in its quarantine)

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]


def load_link(conn: sqlite3.Connection) -> ServerLink | None:
    row = conn.execute("SELECT url, server_id, server_public_key, server_x25519, team, enrolled_at,"
                       " clock_offset_ms, fork, tls_fingerprint, tls_certificate FROM sync_server"
                       " WHERE singleton = 1").fetchone()
    if row is None:
        return None
    return ServerLink(row[0], row[1], bytes(row[2]), bytes(row[3]), row[4], row[5], int(row[6]),
                      json.loads(row[7]) if row[7] else None, row[8], row[9])


def save_link(conn: sqlite3.Connection, link: ServerLink) -> None:
    conn.execute(
        "INSERT INTO sync_server (singleton, url, server_id, server_public_key, server_x25519, team,"
        " enrolled_at, clock_offset_ms, fork, tls_fingerprint, tls_certificate) VALUES (1,?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT"
        " (singleton) DO UPDATE SET url = excluded.url, server_id = excluded.server_id,"
        " server_public_key = excluded.server_public_key, server_x25519 = excluded.server_x25519,"
        " team = excluded.team, enrolled_at = excluded.enrolled_at,"
        " clock_offset_ms = excluded.clock_offset_ms, fork = excluded.fork,"
        " tls_fingerprint = excluded.tls_fingerprint, tls_certificate = excluded.tls_certificate",
        (link.url, link.server_id, link.server_public_key, link.server_x25519, link.team,
         link.enrolled_at, link.clock_offset_ms, json.dumps(link.fork) if link.fork else None,
         link.tls_fingerprint, link.tls_certificate))


@dataclass(frozen=True)
class PendingEnrollment:
    """Enrolled from a file: the central registers this device when it imports its first bundle."""

    server_id: str
    request: dict[str, Any]  # goes into every bundle's manifest until a receipt comes back
    expires_at: str
    created_at: str


def load_pending(conn: sqlite3.Connection) -> PendingEnrollment | None:
    row = conn.execute("SELECT server_id, request, expires_at, created_at FROM sync_enrollment"
                       " WHERE singleton = 1").fetchone()
    return None if row is None else PendingEnrollment(row[0], json.loads(row[1]), row[2], row[3])


def save_pending(conn: sqlite3.Connection, pending: PendingEnrollment | None) -> None:
    conn.execute("DELETE FROM sync_enrollment")
    if pending is not None:
        conn.execute("INSERT INTO sync_enrollment (singleton, server_id, request, expires_at, created_at)"
                     " VALUES (1,?,?,?,?)", (pending.server_id, canonical.dumps(pending.request),
                                             pending.expires_at, pending.created_at))


def set_fork(conn: sqlite3.Connection, fork: dict[str, Any]) -> None:
    conn.execute("UPDATE sync_server SET fork = ? WHERE singleton = 1", (json.dumps(fork),))


def acks(conn: sqlite3.Connection) -> dict[ChainKey, tuple[int, str]]:
    return {(r[0], int(r[1])): (int(r[2]), str(r[3]))
            for r in conn.execute("SELECT device_id, epoch, seq, hash FROM sync_acks")}


class DivergedError(Exception):
    """The server holds an event this device does not have, or has it with another hash."""

    def __init__(self, chain: ChainKey, seq: int, server_hash: str, local_hash: str | None) -> None:
        self.chain, self.seq, self.server_hash, self.local_hash = chain, seq, server_hash, local_hash
        super().__init__(f"chain {chain} diverges at {seq}")


def check_ack(conn: sqlite3.Connection, ack: ChainAck) -> None:
    local = stored_hash(conn, ack.device_id, ack.epoch, ack.seq)
    if local != ack.hash:
        raise DivergedError((ack.device_id, ack.epoch), ack.seq, ack.hash, local)


def record_acks(conn: sqlite3.Connection, items: list[ChainAck], now: str) -> None:
    """Remember what the server holds (only forward, only for events held here with that hash)."""
    for ack in items:
        if ack.seq == 0:
            continue
        check_ack(conn, ack)
        conn.execute(
            "INSERT INTO sync_acks (device_id, epoch, seq, hash, updated_at) VALUES (?,?,?,?,?)"
            " ON CONFLICT (device_id, epoch) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,"
            " updated_at = excluded.updated_at WHERE excluded.seq > sync_acks.seq",
            (ack.device_id, ack.epoch, ack.seq, ack.hash, now))


def local_chains(conn: sqlite3.Connection, exclude: frozenset[str] | set[str] = frozenset()
                 ) -> list[ChainKey]:
    rows = conn.execute("SELECT DISTINCT device_id, epoch FROM events ORDER BY device_id, epoch")
    return [(r[0], int(r[1])) for r in rows if r[0] not in exclude]


def signed_head(conn: sqlite3.Connection, chain: ChainKey) -> HeadStatement | None:
    row = conn.execute("SELECT seq, hash, signature FROM chain_heads WHERE device_id = ? AND epoch = ?",
                       chain).fetchone()
    return None if row is None else HeadStatement(chain[0], chain[1], int(row[0]), row[1], bytes(row[2]))


def store_heads(conn: sqlite3.Connection, ranges: list[Range]) -> None:
    for r in ranges:
        conn.execute(
            "INSERT INTO chain_heads (device_id, epoch, seq, hash, signature) VALUES (?,?,?,?,?)"
            " ON CONFLICT (device_id, epoch) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,"
            " signature = excluded.signature WHERE excluded.seq > chain_heads.seq",
            (r.head.device_id, r.head.epoch, r.head.seq, r.head.hash, r.head.signature))


def mark_blobs(conn: sqlite3.Connection, shas: list[str] | tuple[str, ...], now: str) -> None:
    conn.executemany("INSERT INTO sync_blobs (sha256, server_has, checked_at) VALUES (?, 1, ?)"
                     " ON CONFLICT (sha256) DO UPDATE SET server_has = 1, checked_at = excluded.checked_at",
                     [(s, now) for s in shas])


def _ref_sql(where: str = "") -> str:
    types = ", ".join(f"'{t}'" for t in BLOB_FIELDS)
    fields = sorted({f for names in BLOB_FIELDS.values() for f in names})
    parts = [f"SELECT json_extract(payload, '$.{f}') AS sha, device_id, epoch, seq FROM events"
             f" WHERE type IN ({types}){where}" for f in fields]
    return " UNION ".join(parts)


def unsent_blobs(conn: sqlite3.Connection) -> list[str]:
    """Blobs referenced by any stored event that the server has not confirmed holding."""
    rows = conn.execute(f"SELECT DISTINCT r.sha FROM ({_ref_sql()}) r LEFT JOIN sync_blobs s"
                        " ON s.sha256 = r.sha WHERE r.sha IS NOT NULL AND s.sha256 IS NULL"
                        " ORDER BY r.sha").fetchall()
    return [r[0] for r in rows if isinstance(r[0], str) and len(r[0]) == 64]


def refused_chains(conn: sqlite3.Connection) -> dict[ChainKey, int]:
    """Chains the server refused from a given seq on (a write their device may not make)."""
    return {(r[0], int(r[1])): int(r[2]) for r in conn.execute("SELECT device_id, epoch, seq FROM sync_refused")}


def sent_chains(conn: sqlite3.Connection, link: ServerLink | None) -> list[ChainKey]:
    """Chains this device sends: all it holds but the server's own, a forked one and refused ones."""
    if link is None:
        return local_chains(conn)
    held_back = set(refused_chains(conn)) | ({link.forked_chain} if link.forked_chain else set())
    return [c for c in local_chains(conn, {link.server_id}) if c not in held_back]


def unsent_events(conn: sqlite3.Connection, link: ServerLink | None) -> list[Event]:
    """Events of every sent chain beyond the acknowledged head."""
    out: list[Event] = []
    known = acks(conn)
    for chain in sent_chains(conn, link):
        out += chain_events(conn, chain, known.get(chain, (0, ""))[0])
    return out


def stranded_events(conn: sqlite3.Connection, link: ServerLink | None) -> list[Event]:
    """Events of the forked chain (and of chains the server refused) beyond what the server
    acknowledged: never sent again, never acknowledged. The server keeps what it refused in
    quarantine; here they keep the inspections they touch from ever showing as complete."""
    if link is None:
        return []
    known = acks(conn)
    held_back = set(refused_chains(conn)) | ({link.forked_chain} if link.forked_chain else set())
    return [e for chain in sorted(held_back) for e in chain_events(conn, chain, known.get(chain, (0, ""))[0])]


def store_receipt(conn: sqlite3.Connection, receipt: Receipt, signature: bytes, via: str, now: str) -> None:
    conn.execute("INSERT INTO sync_receipts (receipt_id, issued_at, received_at, via, body, signature)"
                 " VALUES (?,?,?,?,?,?) ON CONFLICT (receipt_id) DO NOTHING",
                 (receipt.receipt_id, receipt.issued_at, now, via, canonical.dumps(receipt.body()),
                  signature))


def latest_receipt(conn: sqlite3.Connection) -> Receipt | None:
    row = conn.execute("SELECT body FROM sync_receipts ORDER BY issued_at DESC LIMIT 1").fetchone()
    return None if row is None else Receipt.from_body(json.loads(row[0]))


def inspection_statuses(conn: sqlite3.Connection, device: DeviceIdentity,
                        link: ServerLink | None) -> dict[str, InspectionSyncStatus]:
    """Per inspection: only here, partly on the server, or complete on the server."""
    unsent: dict[str, int] = {}
    for event in unsent_events(conn, link):
        inspection = inspection_of(conn, event)
        if inspection is not None:
            unsent[inspection] = unsent.get(inspection, 0) + 1
    stranded: dict[str, int] = {}
    for event in stranded_events(conn, link):
        inspection = inspection_of(conn, event)
        if inspection is not None:
            stranded[inspection] = stranded.get(inspection, 0) + 1
    pending = set(unsent_blobs(conn))
    local_missing: dict[str, int] = {}
    for sha, inspection in conn.execute(
            "SELECT sha256, inspection_id FROM evidence UNION SELECT current_sha256, inspection_id"
            " FROM documents UNION SELECT prepared_sha256, inspection_id FROM documents"):
        if sha in pending:
            local_missing[inspection] = local_missing.get(inspection, 0) + 1
    receipt = latest_receipt(conn)
    server = {s.inspection_id: s for s in receipt.inspections} if receipt else {}
    at = receipt.issued_at if receipt else None
    out = {}
    for (inspection_id,) in conn.execute("SELECT id FROM inspections ORDER BY id"):
        count = unsent.get(inspection_id, 0)
        total = conn.execute("SELECT count(*) FROM events WHERE entity_id = ?1"
                             " OR json_extract(payload, '$.inspection_id') = ?1",
                             (inspection_id,)).fetchone()[0]
        state_ = server.get(inspection_id)
        missing = local_missing.get(inspection_id, 0) + (state_.missing_blobs if state_ else 0)
        if count >= total and state_ is None:
            state = LOCAL
        elif (state_ is not None and state_.complete and count == 0 and not local_missing.get(inspection_id)
              and not stranded.get(inspection_id)):
            state = COMPLETE
        else:
            state = PARTIAL
        out[inspection_id] = InspectionSyncStatus(inspection_id, state, count, missing, at,
                                                  stranded.get(inspection_id, 0))
    return out

