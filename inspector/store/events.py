"""The append-only, per-device, hash-chained event log: the source of truth.

An event's hash is SHA-256 over the canonical JSON of its body (everything but the hash). Events
of one device incarnation `(device_id, epoch)` are numbered 1, 2, 3… with no gaps, and each names
the hash of the one before it, so a gap, a reorder or an edit breaks the chain at a known place.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from inspector import canonical
from inspector.clock import to_rfc3339
from inspector.errors import Problem

GENESIS = "0" * 64
EVENT_FORMAT = 1
HLC_SHIFT = 16  # low bits of the hybrid logical clock count events within one millisecond


@dataclass(frozen=True)
class Author:
    id: str
    name: str


@dataclass(frozen=True)
class Event:
    device_id: str
    epoch: int
    seq: int
    prev_hash: str
    hlc: int
    at: str
    author_id: str
    author_name: str
    type: str
    entity_id: str
    payload: dict[str, Any] = field(hash=False)
    hash: str = ""

    def body(self) -> dict[str, Any]:
        return {
            "v": EVENT_FORMAT,
            "device": self.device_id,
            "epoch": self.epoch,
            "seq": self.seq,
            "prev": self.prev_hash,
            "hlc": self.hlc,
            "at": self.at,
            "author": {"id": self.author_id, "name": self.author_name},
            "type": self.type,
            "entity": self.entity_id,
            "payload": self.payload,
        }

    def computed_hash(self) -> str:
        return canonical.digest(self.body())

    def to_wire(self) -> dict[str, Any]:
        """The body plus its hash: the record carried by sync pushes and bundles."""
        return {**self.body(), "hash": self.hash}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Event:
        author = data["author"]
        return cls(
            device_id=data["device"],
            epoch=data["epoch"],
            seq=data["seq"],
            prev_hash=data["prev"],
            hlc=data["hlc"],
            at=data["at"],
            author_id=author["id"],
            author_name=author["name"],
            type=data["type"],
            entity_id=data["entity"],
            payload=data["payload"],
            hash=data["hash"],
        )

    @classmethod
    def from_row(cls, row: sqlite3.Row | tuple[Any, ...]) -> Event:
        (device_id, epoch, seq, prev_hash, hash_, hlc, at, author_id, author_name, type_,
         entity_id, payload) = row
        return cls(
            device_id=device_id,
            epoch=epoch,
            seq=seq,
            prev_hash=prev_hash,
            hlc=hlc,
            at=at,
            author_id=author_id,
            author_name=author_name,
            type=type_,
            entity_id=entity_id,
            payload=json.loads(payload),
            hash=hash_,
        )


EVENT_COLUMNS = (
    "device_id, epoch, seq, prev_hash, hash, hlc, at, author_id, author_name, type, entity_id, payload"
)


def insert_event(conn: sqlite3.Connection, event: Event) -> None:
    conn.execute(
        f"INSERT INTO events ({EVENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            event.device_id,
            event.epoch,
            event.seq,
            event.prev_hash,
            event.hash,
            event.hlc,
            event.at,
            event.author_id,
            event.author_name,
            event.type,
            event.entity_id,
            canonical.dumps(event.payload),
        ),
    )


def head(conn: sqlite3.Connection, device_id: str, epoch: int) -> tuple[int, str]:
    """(last seq, last hash) of one device incarnation; (0, GENESIS) when it has no events."""
    row = conn.execute(
        "SELECT seq, hash FROM events WHERE device_id = ? AND epoch = ? ORDER BY seq DESC LIMIT 1",
        (device_id, epoch),
    ).fetchone()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))


HLC_MAX = 2**63 - 1  # SQLite's largest integer


def next_hlc(conn: sqlite3.Connection, now: datetime) -> int:
    """A hybrid logical clock: never behind the wall clock, always after every known event.
    Never past SQLite's integer range: at the cap, order falls back to (device, epoch, seq)."""
    last = conn.execute("SELECT max(hlc) FROM events").fetchone()[0] or 0
    wall = int(now.timestamp() * 1000) << HLC_SHIFT
    return min(max(wall, int(last) + 1), HLC_MAX)


def make_event(
    conn: sqlite3.Connection,
    *,
    device_id: str,
    epoch: int,
    author: Author,
    now: datetime,
    type: str,
    entity_id: str,
    payload: dict[str, Any],
) -> Event:
    seq, prev = head(conn, device_id, epoch)
    draft = Event(
        device_id=device_id,
        epoch=epoch,
        seq=seq + 1,
        prev_hash=prev,
        hlc=next_hlc(conn, now),
        at=to_rfc3339(now),
        author_id=author.id,
        author_name=author.name,
        type=type,
        entity_id=entity_id,
        payload=payload,
    )
    return Event(**{**draft.__dict__, "hash": draft.computed_hash()})


# Revisions of one finding form a graph: each `finding.set` / `finding.removed` names the revision
# it edited (`parent`, or `parents` when it settles several). A leaf is a revision nobody names;
# two leaves are an edit conflict (two laptops edited the same revision).
REVISION_TYPES = "('finding.set', 'finding.removed')"
IS_LEAF = f"""NOT EXISTS (
    SELECT 1 FROM events c WHERE c.entity_id = e.entity_id AND c.type IN {REVISION_TYPES}
      AND (json_extract(c.payload, '$.parent') = e.hash
           OR EXISTS (SELECT 1 FROM json_each(c.payload, '$.parents') p WHERE p.value = e.hash)))"""


def leaf_revisions(conn: sqlite3.Connection, entity_id: str) -> list[str]:
    """Hashes of the leaf revisions of one finding, in log order."""
    return [r[0] for r in conn.execute(
        f"SELECT e.hash FROM events e WHERE e.entity_id = ? AND e.type IN {REVISION_TYPES} AND {IS_LEAF}"
        " ORDER BY e.hlc, e.device_id, e.epoch, e.seq", (entity_id,))]


def iter_events(conn: sqlite3.Connection, where: str = "", params: tuple[Any, ...] = ()) -> Iterator[Event]:
    """Events in projection order: hybrid clock, then device, then sequence."""
    sql = f"SELECT {EVENT_COLUMNS} FROM events {where} ORDER BY hlc, device_id, epoch, seq"
    for row in conn.execute(sql, params):
        yield Event.from_row(row)


def verify_chains(conn: sqlite3.Connection) -> tuple[int, list[Problem]]:
    """Walk every device chain: gap-free sequence, linked hashes, hashes that match the bodies."""
    problems: list[Problem] = []
    count = 0
    current: tuple[str, int] | None = None
    expected_seq = 1
    prev_hash = GENESIS
    rows = conn.execute(
        f"SELECT local_order, {EVENT_COLUMNS} FROM events ORDER BY device_id, epoch, seq"
    )
    for row in rows:
        local_order, event = row[0], Event.from_row(row[1:])
        count += 1
        chain = (event.device_id, event.epoch)
        if chain != current:
            current, expected_seq, prev_hash = chain, 1, GENESIS
        where = f"events (thiết bị {event.device_id[:12]}…, kỷ nguyên {event.epoch}, số {event.seq})"
        if event.seq != expected_seq:
            problems.append(
                Problem(where, "Thiếu sự kiện: mong đợi số {expected}, gặp số {seq}.",
                        {"expected": expected_seq, "seq": event.seq})
            )
        if event.prev_hash != prev_hash:
            problems.append(Problem(where, "Mắt xích băm bị đứt: băm trước không khớp."))
        try:
            actual = event.computed_hash()
        except Exception:  # a hand-edited payload may no longer be canonical JSON at all
            actual = ""
        if actual != event.hash:
            problems.append(
                Problem(where, "Nội dung sự kiện (dòng {row}) đã bị sửa: băm không khớp.",
                        {"row": local_order})
            )
        expected_seq = event.seq + 1
        prev_hash = event.hash
    return count, problems
