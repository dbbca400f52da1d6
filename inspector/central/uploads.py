"""Resumable evidence uploads (tus-like): offset query, checked chunks, whole-file hash, then CAS.

A partial upload is a file `tmp/upload-<server id>.part` in the server's vault; its durable offset
is the row in `uploads`, written after the chunk was fsynced, so after a crash the file is cut
back to the offset the server last acknowledged.

* An upload belongs to the device that started it, and only a device whose own events (or the
  events of a chain it may relay: its team's) refer to the blob may start one. Another device
  asking about the same upload id gets 404, as if it did not exist.
* A chunk request holds the upload's lock (`upload_locks`: an advisory lock in PostgreSQL, or
  in memory for the one process serving a SQLite store) for its whole life: from the offset
  check to the acknowledgement. It is released when the request ends or its process dies, and
  nothing waits for it: a second request for the same upload is answered 423 at once. A request
  whose lock was lost with its database session is refused before it acknowledges anything.
* The offset moves only from the value the request started from (a conditional UPDATE), and the
  last chunk completes the file only after the file *on disk* is read back and hashes to the
  announced SHA-256; then it is renamed into the content-addressed store.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from inspector.central.errors import ApiError, refuse
from inspector.central.schema import DeviceRecord, referenced_by_team
from inspector.central.upload_locks import Lease, ProcessUploadLocks, UploadLocks
from inspector.clock import Clock, parse_rfc3339, to_rfc3339
from inspector.durable import make_dirs
from inspector.errors import StorageError
from inspector.store.db import Store, translate_os_error
from inspector.sync.httpsig import digest_matches
from inspector.sync.keys import is_hex
from inspector.vault import CHUNK, Vault, fsync_dir

MAX_BLOB = 4 * 1024**3
MAX_CHUNK = 16 * 1024 * 1024
STALE_AFTER = timedelta(days=7)


@dataclass
class UploadStats:
    """Counters of this process, read by tests and benchmarks."""

    received: dict[str, int] = field(default_factory=dict)  # sha256 → chunk bytes accepted
    conflicts: int = 0
    checksum_failures: int = 0
    restarts: int = 0
    busy: int = 0


@dataclass(frozen=True)
class Ticket:
    """One chunk being received, under the upload's lock: where it goes and what it must be."""

    upload_id: str
    sha256: str
    size: int
    offset: int
    length: int
    path: Path
    fd: int
    lease: Lease


@dataclass(frozen=True)
class Settled:
    complete: bool  # the file is whole and stored under its hash
    mismatch: bool = False  # the whole file does not hash to its name: the upload is dropped


@dataclass(frozen=True)
class ChunkResult:
    offset: int
    size: int
    complete: bool


def storage_error(exc: OSError) -> ApiError:
    error = translate_os_error(exc) or StorageError(
        "Máy chủ không ghi được tệp tải lên: {reason}.", reason=exc.strerror or str(exc))
    return ApiError(507, "storage", error)


def _no_upload() -> ApiError:
    return refuse(404, "no_upload", "Không tìm thấy phiên tải lên này.", hint="Bắt đầu lại việc tải tệp.")


def _busy() -> ApiError:
    return refuse(423, "busy", "Một yêu cầu khác đang ghi vào phiên tải lên này.",
                  hint="Chờ giây lát rồi hỏi lại vị trí tải lên.")


@contextlib.contextmanager
def open_part(path: Path) -> Iterator[int]:
    """The partial file, opened for writing (by the request holding its lock); 404 if it does not
    exist (finished, expired or never started)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        raise _no_upload() from None
    except OSError as exc:
        raise storage_error(exc) from exc
    try:
        yield fd
    finally:
        os.close(fd)


def hash_fd(fd: int, size: int) -> str:
    """SHA-256 of the first `size` bytes of an open file, read back from the disk."""
    digest = hashlib.sha256()
    position = 0
    while position < size:
        piece = os.pread(fd, min(CHUNK, size - position), position)
        if not piece:
            break
        digest.update(piece)
        position += len(piece)
    return digest.hexdigest() if position == size else ""


class Uploads:
    def __init__(self, store: Store, vault: Vault, clock: Clock, locks: UploadLocks | None = None) -> None:
        self.store = store
        self.vault = vault
        self.clock = clock
        self.locks: UploadLocks = locks or ProcessUploadLocks()
        self.stats = UploadStats()

    def path(self, upload_id: str) -> Path:
        if not is_hex(upload_id, 32):
            raise _no_upload()
        return self.vault.tmp / f"upload-{upload_id}.part"

    # -- the upload's lock (an I/O thread: on PostgreSQL it is a round trip) ---------------------
    def lock(self, upload_id: str) -> Lease:
        """This request's hold on the upload, or 423 when another request (in any process) has it."""
        self.path(upload_id)  # 404 for an id that cannot exist
        lease = self.locks.try_acquire(upload_id)
        if lease is None:
            raise _busy()
        return lease

    def unlock(self, lease: Lease) -> None:
        self.locks.release(lease)

    # -- starting (database thread) ------------------------------------------------------------
    def start(self, device: DeviceRecord, sha256: Any, size: Any) -> dict[str, Any]:
        """Start (or resume) this device's upload of one blob."""
        if not is_hex(sha256, 64) or isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise refuse(422, "invalid", "Yêu cầu tải tệp không hợp lệ.")
        if size > MAX_BLOB:
            raise refuse(413, "too_large", "Tệp quá lớn để tải lên ({size} byte; tối đa {limit}).",
                         size=size, limit=MAX_BLOB)
        found = self.start_many(device, [(sha256, size)]).get(sha256)
        if found is None:
            raise refuse(409, "not_expected", "Máy chủ chưa có sự kiện nào của thiết bị này tham chiếu tệp này.",
                         hint="Đồng bộ sự kiện trước rồi mới tải minh chứng.")
        return found

    def start_many(self, device: DeviceRecord, items: list[tuple[str, int]]) -> dict[str, dict[str, Any]]:
        """Start or resume this device's uploads for the blobs it may send, in one transaction.
        Blobs already stored answer {present: true}; others it may not send are left out."""
        conn = self.store.conn
        out: dict[str, dict[str, Any]] = {}
        created: list[tuple[str, str, int]] = []
        stale: list[str] = []
        for sha256, size in items:
            if size > MAX_BLOB or sha256 in out:
                continue
            if conn.execute("SELECT 1 FROM blobs WHERE sha256 = ? AND state = 'ok'", (sha256,)).fetchone():
                out[sha256] = {"present": True}
                continue
            if not referenced_by_team(conn, sha256, device):
                continue
            row = conn.execute("SELECT upload_id, size, \"offset\" FROM uploads WHERE device_id = ? AND sha256 = ?",
                               (device.device_id, sha256)).fetchone()
            if row is not None and int(row[1]) == size:
                out[sha256] = {"present": False, "upload_id": row[0], "offset": int(row[2]), "size": size}
                continue
            if row is not None:  # a different size for the same hash: the old one cannot be right
                stale.append(row[0])
            upload_id = secrets.token_hex(16)
            created.append((upload_id, sha256, size))
            out[sha256] = {"present": False, "upload_id": upload_id, "offset": 0, "size": size}
        if created or stale:
            now = to_rfc3339(self.clock.now())
            try:
                for upload_id, _, _ in created:  # the file first: a row never names a missing file
                    self.path(upload_id).touch()
            except OSError as exc:
                raise storage_error(exc) from exc
            with self.store.transaction() as tx:
                tx.executemany("DELETE FROM uploads WHERE upload_id = ?", [(u,) for u in stale])
                tx.executemany("INSERT INTO uploads (upload_id, sha256, size, \"offset\", device_id,"
                               " created_at, updated_at) VALUES (?,?,?,0,?,?,?)",
                               [(u, sha, size, device.device_id, now, now) for u, sha, size in created])
            for upload_id in stale:
                self._remove_part(upload_id)  # unless a request holds it: then `collect` does, later
        return out

    def _remove_part(self, upload_id: str) -> bool:
        lease = self.locks.try_acquire(upload_id)
        if lease is None:
            return False
        try:
            self.path(upload_id).unlink()
        except OSError:
            return False
        finally:
            self.locks.release(lease)
        return True

    # -- one chunk (reader connection, then I/O thread, then database thread) --------------------
    def _row(self, conn: sqlite3.Connection, device: DeviceRecord, upload_id: str) -> tuple[str, int, int]:
        self.path(upload_id)
        row = conn.execute("SELECT sha256, size, \"offset\" FROM uploads WHERE upload_id = ? AND device_id = ?",
                           (upload_id, device.device_id)).fetchone()
        if row is None:
            raise _no_upload()
        return str(row[0]), int(row[1]), int(row[2])

    def offset(self, conn: sqlite3.Connection, device: DeviceRecord, upload_id: str) -> tuple[int, int]:
        _, size, offset = self._row(conn, device, upload_id)
        return offset, size

    def _conflict(self, stored: int, size: int) -> ApiError:
        """409 with the server's offset: the client resumes from there."""
        self.stats.conflicts += 1
        return refuse(409, "offset", "Vị trí tải lên không khớp với máy chủ (máy chủ có {stored}).",
                      headers={"Upload-Offset": str(stored), "Upload-Length": str(size)}, extra={"offset": stored},
                      stored=stored)

    def begin(self, conn: sqlite3.Connection, device: DeviceRecord, upload_id: str, offset: int,
              length: int, fd: int, lease: Lease) -> Ticket:
        """Check a chunk before its body is read, under the upload's lock: the upload is this
        device's, the offset is the server's (else 409 with the server's offset). Cuts the
        partial file back to that offset (bytes past it were never acknowledged)."""
        sha, size, stored = self._row(conn, device, upload_id)
        headers = {"Upload-Offset": str(stored), "Upload-Length": str(size)}
        if offset != stored:
            raise self._conflict(stored, size)
        if length <= 0 or length > MAX_CHUNK or offset + length > size:
            raise refuse(422, "too_long", "Khối dữ liệu vượt quá kích thước tệp đã khai báo.", headers=headers)
        try:
            os.ftruncate(fd, offset)
        except OSError as exc:
            raise storage_error(exc) from exc
        return Ticket(upload_id, sha, size, offset, length, self.path(upload_id), fd, lease)

    def settle(self, ticket: Ticket, received: int, chunk_digest: bytes, claimed: str) -> Settled:
        """After the body was written: check the chunk, flush it; a complete file is read back
        from the disk, checked against its name and moved into the store. No database work."""
        headers = {"Upload-Offset": str(ticket.offset), "Upload-Length": str(ticket.size)}
        if received != ticket.length or not digest_matches(claimed, chunk_digest):
            self.stats.checksum_failures += 1  # the bytes past the offset are cut off next time
            raise refuse(460, "checksum", "Khối dữ liệu bị hỏng trên đường truyền.",
                         hint="Gửi lại khối này.", headers=headers)
        if not self.locks.held(ticket.lease):  # lost with its database session: another may write now
            raise _busy()
        try:
            os.fsync(ticket.fd)
            self.stats.received[ticket.sha256] = self.stats.received.get(ticket.sha256, 0) + received
            end = ticket.offset + received
            if end < ticket.size:
                return Settled(False)
            if os.fstat(ticket.fd).st_size != ticket.size or hash_fd(ticket.fd, ticket.size) != ticket.sha256:
                return Settled(False, mismatch=True)
            final = self.vault.path_for(ticket.sha256)
            make_dirs(final.parent)  # every new level durable, not only the last
            os.replace(ticket.path, final)
            fsync_dir(final.parent)
        except OSError as exc:
            raise storage_error(exc) from exc
        return Settled(True)

    def record(self, ticket: Ticket, received: int, settled: Settled) -> ChunkResult:
        """Acknowledge a settled chunk in the database (the thread that writes)."""
        new = ticket.offset + received
        now = to_rfc3339(self.clock.now())
        if settled.mismatch:
            self.stats.restarts += 1
            with self.store.transaction() as tx:
                tx.execute("DELETE FROM uploads WHERE upload_id = ?", (ticket.upload_id,))
            ticket.path.unlink(missing_ok=True)
            raise refuse(422, "whole_mismatch", "Tệp nhận được không khớp mã băm; đã hủy, cần tải lại.")
        others: list[str] = []
        with self.store.transaction() as tx:
            if not settled.complete:
                moved = tx.execute("UPDATE uploads SET \"offset\" = ?, updated_at = ? WHERE upload_id = ?"
                                   " AND \"offset\" = ?", (new, now, ticket.upload_id, ticket.offset)).rowcount
                if moved != 1:  # collected, restarted or moved by another writer meanwhile
                    row = tx.execute("SELECT \"offset\" FROM uploads WHERE upload_id = ?",
                                     (ticket.upload_id,)).fetchone()
                    if row is None:  # another device completed the blob: this partial file is done for
                        ticket.path.unlink(missing_ok=True)  # (this request holds its lock)
                        raise _no_upload()
                    raise self._conflict(int(row[0]), ticket.size)
            else:
                others += [r[0] for r in tx.execute("SELECT upload_id FROM uploads WHERE sha256 = ? AND upload_id <> ?",
                                                   (ticket.sha256, ticket.upload_id))]
                tx.execute("DELETE FROM uploads WHERE sha256 = ?", (ticket.sha256,))  # every device's
                tx.execute("INSERT INTO blobs (sha256, size, state, stored_at, verified_at)"
                           " VALUES (?,?, 'ok', ?, ?) ON CONFLICT (sha256) DO UPDATE SET state = 'ok',"
                           " verified_at = excluded.verified_at", (ticket.sha256, ticket.size, now, now))
        if settled.complete:
            for upload_id in others:  # other devices' partial files of this blob (a held one: its
                self._remove_part(upload_id)  # request removes it when it finds its row gone)
        return ChunkResult(new, ticket.size, settled.complete)

    # -- housekeeping (database thread, on a schedule) ------------------------------------------
    def collect(self, older_than: timedelta = STALE_AFTER) -> int:
        """Remove partial uploads not touched for a week, and partial files without a row (a
        completed blob's other uploads). A file some request holds is left for next time."""
        cutoff = self.clock.now() - older_than
        stale = [r[0] for r in self.store.conn.execute("SELECT upload_id, updated_at FROM uploads")
                 if parse_rfc3339(r[1]) < cutoff]
        if stale:
            with self.store.transaction() as tx:
                tx.executemany("DELETE FROM uploads WHERE upload_id = ?", [(u,) for u in stale])
        live = {r[0] for r in self.store.conn.execute("SELECT upload_id FROM uploads")}
        removed = 0
        for path in self.vault.tmp.glob("upload-*.part"):
            upload_id = path.name[len("upload-"):-len(".part")]
            if upload_id in live or not is_hex(upload_id, 32):
                continue
            removed += self._remove_part(upload_id)
        return removed
