"""Inserting foreign events (other devices', the server's) and keeping the projection exact.

Invariant: the projection tables equal a replay of every stored event ordered by
(hlc, device_id, epoch, seq) — whatever order the events arrived in. New events that sort after
everything already applied are simply applied (the common case). When some sort earlier, only
the *scopes* they touch are re-projected: one inspection (its row and every row hanging from it),
or one registry entity (a unit, a person, a team, a catalog version, a roster entry). Scopes are
independent: no reducer of one scope reads or writes another scope's rows, except a correction
marking the version it supersedes, which is fixed up explicitly. Anything unrecognised falls back
to a full rebuild, which is always correct.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from inspector.errors import BugError
from inspector.store import projection
from inspector.store.db import IntegrityErrors, Store
from inspector.store.events import EVENT_COLUMNS, GENESIS, Event, insert_event, iter_events
from inspector.store.migrations import PROJECTION_TABLES
from inspector.sync.wire import SERVER_ONLY_TYPES, ChainKey, EventBatch, WireError, check_times

# public key of a chain's device, or None when the device is unknown or revoked
KeyResolver = Callable[[str], bytes | None]
Key = tuple[int, str, int, int]

_GLOBAL_SCOPES: dict[str, str] = {
    "unit.created": "units", "unit.updated": "units", "unit.registered": "units", "unit.merged": "units",
    "person.created": "people", "person.updated": "people", "person.registered": "people",
    "person.merged": "people",
    "team.created": "teams", "team.updated": "teams",
    "catalog.imported": "catalog",
    "device.enrolled": "device", "device.revoked": "device",
}
# Event kinds (type prefixes) whose events belong to one inspection.
INSPECTION_SCOPED = frozenset({"inspection", "subject", "finding", "evidence", "requirement", "minutes",
                               "conclusion", "document"})
_INSPECTION_CHILD_TABLES = ("signatures",)  # rows reached through another table, not inspection_id
Scope = tuple[str, str]


class ForkError(WireError):
    """Same (device, epoch, seq) as a stored event but a different hash: never overwritten."""

    def __init__(self, device_id: str, epoch: int, seq: int, stored: str, received: str) -> None:
        self.device_id, self.epoch, self.seq = device_id, epoch, seq
        self.stored_hash, self.received_hash = stored, received
        super().__init__(
            "Phát hiện rẽ nhánh dữ liệu: thiết bị {device}… đã gửi thay đổi số {seq} khác với bản"
            " đã lưu. Không ghi đè; dữ liệu mới được cách ly.",
            hint="Thiết bị này có thể đã được khôi phục từ bản sao lưu cũ. Ngừng ghi nhận và đăng ký"
                 " lại thiết bị với máy chủ.",
            code="fork", device=device_id[:12], seq=seq)


@dataclass
class IngestResult:
    inserted: list[Event] = field(default_factory=list)
    duplicates: int = 0
    scopes_rebuilt: int = 0
    full_rebuild: bool = False

    @property
    def count(self) -> int:
        return len(self.inserted)


def apply_foreign(conn: sqlite3.Connection, event: Event) -> None:
    """Project a received event; one that cannot be applied is refused, never half-applied
    (the caller's transaction rolls back)."""
    try:
        projection.apply(conn, event)
    except (KeyError, TypeError, ValueError, BugError, *IntegrityErrors) as exc:  # type: ignore[misc]
        raise WireError("Sự kiện “{type}” (thiết bị {device}…, số {seq}) không áp dụng được: {reason}.",
                        code="invalid", type=event.type, device=event.device_id[:12], seq=event.seq,
                        reason=type(exc).__name__) from exc


@contextmanager
def foreign_transaction(store: Store) -> Iterator[sqlite3.Connection]:
    """A transaction for received data: foreign keys are checked at COMMIT (scopes are replayed
    in any order), and a reference to data this receiver lacks is a refusal, not a crash."""
    try:
        with store.transaction() as conn:
            yield conn
    except IntegrityErrors as exc:
        raise WireError("Dữ liệu nhận được tham chiếu tới dữ liệu mà máy nhận chưa có; không có gì"
                        " được ghi.", code="dependency",
                        hint="Gửi kèm dữ liệu của các thiết bị liên quan rồi thử lại.") from exc


def sort_key(event: Event) -> Key:
    return (event.hlc, event.device_id, event.epoch, event.seq)


def _last_key(conn: sqlite3.Connection) -> Key | None:
    row = conn.execute("SELECT hlc, device_id, epoch, seq FROM events"  # max(hlc) uses the index
                       " WHERE hlc = (SELECT max(hlc) FROM events)"
                       " ORDER BY device_id DESC, epoch DESC, seq DESC LIMIT 1").fetchone()
    return None if row is None else (int(row[0]), str(row[1]), int(row[2]), int(row[3]))


def stored_hash(conn: sqlite3.Connection, device_id: str, epoch: int, seq: int) -> str | None:
    row = conn.execute("SELECT hash FROM events WHERE device_id = ? AND epoch = ? AND seq = ?",
                       (device_id, epoch, seq)).fetchone()
    return None if row is None else str(row[0])


def chain_head(conn: sqlite3.Connection, chain: ChainKey) -> tuple[int, str]:
    row = conn.execute("SELECT seq, hash FROM events WHERE device_id = ? AND epoch = ?"
                       " ORDER BY seq DESC LIMIT 1", chain).fetchone()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))


def verify_heads(batch: EventBatch, keys: KeyResolver) -> None:
    """Every range must end at a head statement signed by its own chain's (trusted) device."""
    for r in batch.ranges:
        key = keys(r.head.device_id)
        if key is None:
            raise WireError("Dữ liệu của thiết bị {device}… không được tin cậy (chưa đăng ký hoặc"
                            " đã bị thu hồi).", code="untrusted", device=r.head.device_id[:12])
        if not r.head.verify(key):
            raise WireError("Chữ ký đầu chuỗi của thiết bị {device}… không hợp lệ.", code="signature",
                            device=r.head.device_id[:12])


def _walk(conn: sqlite3.Connection, batch: EventBatch, server_id: str | None,
          result: IngestResult | None, now: datetime | None) -> None:
    """Check every event against the stored chains; insert the new ones when `result` is given.
    With `now`, new events must carry plausible times (`wire.check_times`)."""
    for r in batch.ranges:
        seq, last = chain_head(conn, r.chain)
        for event in r.events:
            if event.type in SERVER_ONLY_TYPES and event.device_id != server_id:
                raise WireError("Chỉ máy chủ trung tâm được tạo thay đổi “{type}”.", type=event.type)
            if event.seq <= seq:
                existing = stored_hash(conn, event.device_id, event.epoch, event.seq)
                if existing != event.hash:
                    raise ForkError(event.device_id, event.epoch, event.seq, existing or "", event.hash)
                if result is not None:
                    result.duplicates += 1
                continue
            if event.seq != seq + 1 or event.prev_hash != last:
                raise WireError("Thiếu thay đổi của thiết bị {device}…: máy nhận có đến số {have},"
                                " nhận được số {seq}.", code="gap", device=event.device_id[:12],
                                have=seq, seq=event.seq)
            if now is not None and event.device_id != server_id:
                check_times((event,), now)
            if result is not None:
                insert_event(conn, event)
                result.inserted.append(event)
            seq, last = event.seq, event.hash


def precheck(conn: sqlite3.Connection, batch: EventBatch, *, keys: KeyResolver,
             server_id: str | None, now: datetime | None = None, heads_checked: bool = False) -> None:
    """Everything `ingest` would refuse (signatures, forks, gaps, times), without writing anything."""
    if not heads_checked:
        verify_heads(batch, keys)
    _walk(conn, batch, server_id, None, now)


def ingest(conn: sqlite3.Connection, batch: EventBatch, *, keys: KeyResolver,
           server_id: str | None, now: datetime | None = None) -> IngestResult:
    """Store the new events of a verified-shape batch and project them. In the caller's transaction.

    Raises ForkError or WireError before the caller commits; the caller rolls back.
    """
    verify_heads(batch, keys)
    conn.execute("PRAGMA defer_foreign_keys = ON")  # scopes are cleared and replayed in any order
    result = IngestResult()
    watermark = _last_key(conn)
    _walk(conn, batch, server_id, result, now)
    project_new(conn, result, watermark)
    return result


def project_new(conn: sqlite3.Connection, result: IngestResult, watermark: Key | None) -> None:
    new = sorted(result.inserted, key=sort_key)
    early = [e for e in new if watermark is not None and sort_key(e) < watermark]
    if not early:
        for event in new:
            apply_foreign(conn, event)
        return
    scopes: set[Scope] = set()
    for event in early:
        scope = scope_of(conn, event)
        if scope is None:
            rebuild_all(conn)
            result.full_rebuild = True
            return
        scopes.add(scope)
    for scope in sorted(scopes):
        rebuild_scope(conn, scope)
    _fix_supersedes(conn, {s[1] for s in scopes if s[0] == "inspection"})
    result.scopes_rebuilt = len(scopes)
    for event in new:
        scope = scope_of(conn, event)
        if scope not in scopes:
            apply_foreign(conn, event)


def inspection_of(conn: sqlite3.Connection, event: Event) -> str | None:
    if event.type.startswith("inspection."):
        return event.entity_id
    value = event.payload.get("inspection_id")
    if isinstance(value, str):
        return value
    row = conn.execute("SELECT json_extract(payload, '$.inspection_id') FROM events"
                       " WHERE entity_id = ? AND json_extract(payload, '$.inspection_id') IS NOT NULL"
                       " LIMIT 1", (event.entity_id,)).fetchone()
    return None if row is None else str(row[0])


def scope_of(conn: sqlite3.Connection, event: Event) -> Scope | None:
    kind = _GLOBAL_SCOPES.get(event.type)
    if kind is not None:
        return (kind, event.entity_id)
    if event.type.split(".")[0] in INSPECTION_SCOPED:
        inspection = inspection_of(conn, event)
        return None if inspection is None else ("inspection", inspection)
    return None


def _has_column(conn: sqlite3.Connection, table: str, column: str) -> bool:
    return any(c[1] == column for c in conn.execute(f"PRAGMA table_info({table})"))


def _clear_scope(conn: sqlite3.Connection, scope: Scope) -> None:
    kind, key = scope
    if kind == "inspection":
        conn.execute("DELETE FROM signatures WHERE document_id IN"
                     " (SELECT id FROM documents WHERE inspection_id = ?)", (key,))
        for table in PROJECTION_TABLES:
            if table not in _INSPECTION_CHILD_TABLES and _has_column(conn, table, "inspection_id"):
                conn.execute(f"DELETE FROM {table} WHERE inspection_id = ?", (key,))
        conn.execute("DELETE FROM inspections WHERE id = ?", (key,))
    elif kind == "units":
        conn.execute("DELETE FROM units WHERE id = ?", (key,))
    elif kind == "people":
        conn.execute("DELETE FROM people WHERE id = ?", (key,))
    elif kind == "teams":
        conn.execute("DELETE FROM team_members WHERE team_id = ?", (key,))
        conn.execute("DELETE FROM teams WHERE id = ?", (key,))
    elif kind == "device":
        conn.execute("DELETE FROM team_devices WHERE device_id = ?", (key,))
    elif kind == "catalog":
        row = conn.execute("SELECT json_extract(payload, '$.kind'), json_extract(payload, '$.id'),"
                           " json_extract(payload, '$.version') FROM events WHERE entity_id = ?"
                           " AND type = 'catalog.imported' LIMIT 1", (key,)).fetchone()
        if row is not None:
            conn.execute("DELETE FROM catalog_versions WHERE kind = ? AND id = ? AND version = ?", row)
    else:
        raise BugError(f"unknown projection scope {kind}")


def scope_events(conn: sqlite3.Connection, scope: Scope) -> Iterable[Event]:
    kind, key = scope
    if kind != "inspection":
        return iter_events(conn, "WHERE entity_id = ?", (key,))
    return iter_events(conn, "WHERE entity_id = ?1 OR entity_id IN (SELECT entity_id FROM events"
                             " WHERE json_extract(payload, '$.inspection_id') = ?1)", (key,))


def rebuild_scope(conn: sqlite3.Connection, scope: Scope) -> None:
    _clear_scope(conn, scope)
    for event in scope_events(conn, scope):
        apply_foreign(conn, event)


def _fix_supersedes(conn: sqlite3.Connection, rebuilt: set[str]) -> None:
    """A correction marks the version it supersedes; replaying one scope may have lost or
    overwritten that mark, so set it again from the latest correction in log order. Reads only
    the corrections of the touched inspections (`inspections.supersedes` is indexed), never the log."""
    targets = set(rebuilt)
    for inspection_id in rebuilt:
        row = conn.execute("SELECT supersedes FROM inspections WHERE id = ?", (inspection_id,)).fetchone()
        if row is not None and row[0]:
            targets.add(str(row[0]))
    for target in sorted(targets):
        latest: tuple[tuple[int, str, int, int], str] | None = None
        for (candidate,) in conn.execute("SELECT id FROM inspections WHERE supersedes = ?", (target,)).fetchall():
            created = conn.execute("SELECT hlc, device_id, epoch, seq FROM events WHERE entity_id = ? AND"
                                   " type = 'inspection.created' LIMIT 1", (candidate,)).fetchone()
            if created is not None:
                key = (int(created[0]), str(created[1]), int(created[2]), int(created[3]))
                if latest is None or key > latest[0]:
                    latest = (key, str(candidate))
        conn.execute("UPDATE inspections SET superseded_by = ? WHERE id = ?",
                     (None if latest is None else latest[1], target))


def rebuild_all(conn: sqlite3.Connection) -> None:
    """Clear every projection table and replay the whole log (in the caller's transaction)."""
    conn.execute("PRAGMA defer_foreign_keys = ON")
    for table in PROJECTION_TABLES:
        conn.execute(f"DELETE FROM {table}")
    for event in iter_events(conn):
        apply_foreign(conn, event)


def projection_digest(conn: sqlite3.Connection) -> str:
    """SHA-256 over every projection row, in a fixed order: equal digests, equal projections."""
    digest = hashlib.sha256()
    for table in PROJECTION_TABLES:
        cols = [c[1] for c in conn.execute(f"PRAGMA table_info({table})")]
        order = ", ".join(cols)
        digest.update(f"\x00{table}\x00".encode())
        for row in conn.execute(f"SELECT {order} FROM {table} ORDER BY {order}"):
            digest.update(repr(tuple(row)).encode("utf-8"))
    return digest.hexdigest()


def chain_events(conn: sqlite3.Connection, chain: ChainKey, after_seq: int,
                 upto_seq: int | None = None) -> list[Event]:
    sql = (f"SELECT {EVENT_COLUMNS} FROM events WHERE device_id = ? AND epoch = ? AND seq > ?"
           + (" AND seq <= ?" if upto_seq is not None else "") + " ORDER BY seq")
    params: tuple[object, ...] = (*chain, after_seq) + ((upto_seq,) if upto_seq is not None else ())
    return [Event.from_row(row) for row in conn.execute(sql, params)]
