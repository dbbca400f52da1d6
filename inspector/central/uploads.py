"""Resumable evidence uploads (tus-like): offset query, checked chunks, whole-file hash, then CAS.

A partial upload is a file `tmp/upload-<server id>.part` in the server's vault; its durable offset
is the row in `uploads`, written after the chunk was fsynced, so after a crash the file is cut
back to the offset the server last acknowledged. One upload per blob: a device that lost its
upload id (or another device with the same file) resumes the same one. A completed file moves
into the content-addressed store only if its SHA-256 is the one announced.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sqlite3
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from inspector.central.errors import ApiError, refuse
from inspector.clock import Clock, parse_rfc3339, to_rfc3339
from inspector.durable import make_dirs
from inspector.errors import StorageError
from inspector.store.db import Store, translate_os_error
from inspector.sync.httpsig import digest_matches
from inspector.sync.keys import is_hex
from inspector.vault import CHUNK, Vault, fsync_dir

MAX_BLOB = 4 * 1024**3
MAX_CHUNK = 16 * 1024 * 1024


@dataclass
class UploadStats:
    """Counters read by tests and benchmarks."""

    received: dict[str, int] = field(default_factory=dict)  # sha256 → chunk bytes accepted
    conflicts: int = 0
    checksum_failures: int = 0
    restarts: int = 0


@dataclass
class Ticket:
    """One chunk being received: where it goes, and the whole-file hash so far (None when the
    chunk is the whole file, whose digest is then the chunk's)."""

    upload_id: str
    sha256: str
    size: int
    offset: int
    length: int
    path: Path
    whole: Any
    mismatch: bool = False

    def absorb(self, piece: bytes) -> None:
        if self.whole is not None:
            self.whole.update(piece)


def storage_error(exc: OSError) -> ApiError:
    error = translate_os_error(exc) or StorageError(
        "Máy chủ không ghi được tệp tải lên: {reason}.", reason=exc.strerror or str(exc))
    return ApiError(507, "storage", error)


@dataclass(frozen=True)
class ChunkResult:
    offset: int
    size: int
    complete: bool


class Uploads:
    def __init__(self, store: Store, vault: Vault, clock: Clock) -> None:
        self.store = store
        self.vault = vault
        self.clock = clock
        self.stats = UploadStats()
        self._hashers: dict[str, tuple[int, Any]] = {}

    def _path(self, upload_id: str) -> Path:
        if not is_hex(upload_id, 32):
            raise refuse(404, "no_upload", "Không tìm thấy phiên tải lên này.")
        return self.vault.tmp / f"upload-{upload_id}.part"

    def _row(self, upload_id: str, conn: sqlite3.Connection | None = None) -> tuple[str, int, int]:
        self._path(upload_id)
        row = (conn or self.store.conn).execute(
            "SELECT sha256, size, offset FROM uploads WHERE upload_id = ?", (upload_id,)).fetchone()
        if row is None:
            raise refuse(404, "no_upload", "Không tìm thấy phiên tải lên này.",
                         hint="Bắt đầu lại việc tải tệp.")
        return str(row[0]), int(row[1]), int(row[2])

    def start(self, device_id: str, sha256: str, size: int) -> dict[str, Any]:
        """Start (or resume) the upload of one blob; refuses blobs no stored event refers to."""
        if not is_hex(sha256, 64) or isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise refuse(422, "invalid", "Yêu cầu tải tệp không hợp lệ.")
        if size > MAX_BLOB:
            raise refuse(413, "too_large", "Tệp quá lớn để tải lên ({size} byte).", size=size)
        found = self.start_many(device_id, [(sha256, size)]).get(sha256)
        if found is None:
            raise refuse(409, "not_expected", "Máy chủ chưa có sự kiện nào tham chiếu tệp này.",
                         hint="Đồng bộ sự kiện trước rồi mới tải minh chứng.")
        return found

    def start_many(self, device_id: str, items: list[tuple[str, int]]) -> dict[str, dict[str, Any]]:
        """Start or resume uploads for blobs the server expects, in one transaction. Blobs already
        stored answer {present: true}; unexpected or oversized ones are left out."""
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
            if not conn.execute("SELECT 1 FROM blob_refs WHERE sha256 = ? LIMIT 1", (sha256,)).fetchone():
                continue
            row = conn.execute("SELECT upload_id, size, offset FROM uploads WHERE sha256 = ?",
                               (sha256,)).fetchone()
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
            with self.store.transaction() as tx:
                tx.executemany("DELETE FROM uploads WHERE upload_id = ?", [(u,) for u in stale])
                tx.executemany("INSERT INTO uploads (upload_id, sha256, size, offset, device_id,"
                               " created_at, updated_at) VALUES (?,?,?,0,?,?,?)",
                               [(u, sha, size, device_id, now, now) for u, sha, size in created])
            for upload_id in stale:
                with contextlib.suppress(OSError):
                    self._path(upload_id).unlink()
            for upload_id, _, _ in created:
                self._path(upload_id).touch()
        return out

    def offset(self, upload_id: str) -> tuple[int, int]:
        _, size, offset = self._row(upload_id)
        return offset, size

    def _hasher(self, upload_id: str, path: Path, offset: int) -> Any:
        cached = self._hashers.get(upload_id)
        if cached is not None and cached[0] == offset:
            return cached[1]
        digest = hashlib.sha256()  # after a restart: re-read what was already acknowledged
        with path.open("rb") as fh:
            remaining = offset
            while remaining and (piece := fh.read(min(CHUNK, remaining))):
                digest.update(piece)
                remaining -= len(piece)
        return digest

    def begin(self, conn: sqlite3.Connection, upload_id: str, offset: int, length: int) -> Ticket:
        """Check a chunk before its body is read: the offset must be the server's (else 409, and
        the client resumes from the offset in the answer). Cuts the partial file back to it.
        Reads only (`conn` may be a reader connection): it never waits for a commit."""
        sha, size, stored = self._row(upload_id, conn)
        headers = {"Upload-Offset": str(stored), "Upload-Length": str(size)}
        if offset != stored:
            self.stats.conflicts += 1
            raise refuse(409, "offset", "Vị trí tải lên không khớp với máy chủ (máy chủ có {stored}).",
                         headers=headers, extra={"offset": stored}, stored=stored)
        if offset + length > size or length > MAX_CHUNK or length <= 0:
            raise refuse(422, "too_long", "Khối dữ liệu vượt quá kích thước tệp đã khai báo.")
        path = self._path(upload_id)
        try:
            with path.open("r+b" if path.exists() else "w+b") as fh:
                fh.truncate(offset)
            single = offset == 0 and length == size  # one chunk: its digest is the file's
            whole = None if single else self._hasher(upload_id, path, offset).copy()
        except OSError as exc:
            raise storage_error(exc) from exc
        return Ticket(upload_id, sha, size, offset, length, path, whole)

    def settle(self, ticket: Ticket, received: int, chunk_digest: bytes, claimed: str) -> bool:
        """After the body was streamed into the partial file: check it and flush it to disk; a
        complete file is checked against its name and moved into the store. No database work.
        Returns whether the file is complete and stored."""
        headers = {"Upload-Offset": str(ticket.offset), "Upload-Length": str(ticket.size)}
        if received != ticket.length or not digest_matches(claimed, chunk_digest):
            self.stats.checksum_failures += 1  # the bytes past the offset are cut off next time
            raise refuse(460, "checksum", "Khối dữ liệu bị hỏng trên đường truyền.",
                         hint="Gửi lại khối này.", headers=headers)
        try:
            fd = os.open(ticket.path, os.O_RDWR)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            self.stats.received[ticket.sha256] = self.stats.received.get(ticket.sha256, 0) + received
            if ticket.offset + received < ticket.size:
                return False
            actual = chunk_digest.hex() if ticket.whole is None else ticket.whole.hexdigest()
            if actual != ticket.sha256:
                ticket.mismatch = True
                return False
            final = self.vault.path_for(ticket.sha256)
            make_dirs(final.parent)  # every new level durable, not only the last
            os.replace(ticket.path, final)
            fsync_dir(final.parent)
        except OSError as exc:
            raise storage_error(exc) from exc
        return True

    def record(self, ticket: Ticket, received: int, stored: bool) -> ChunkResult:
        """Acknowledge a settled chunk in the database (the one thread that writes)."""
        new = ticket.offset + received
        now = to_rfc3339(self.clock.now())
        if ticket.mismatch:
            self.stats.restarts += 1
            self._hashers.pop(ticket.upload_id, None)
            with self.store.transaction() as tx:
                tx.execute("DELETE FROM uploads WHERE upload_id = ?", (ticket.upload_id,))
            ticket.path.unlink(missing_ok=True)
            raise refuse(422, "whole_mismatch", "Tệp nhận được không khớp mã băm; đã hủy, cần tải lại.")
        if not stored:
            with self.store.transaction() as tx:
                tx.execute("UPDATE uploads SET offset = ?, updated_at = ? WHERE upload_id = ?",
                           (new, now, ticket.upload_id))
            self._hashers[ticket.upload_id] = (new, ticket.whole)
            return ChunkResult(new, ticket.size, False)
        self._hashers.pop(ticket.upload_id, None)
        with self.store.transaction() as tx:
            tx.execute("DELETE FROM uploads WHERE upload_id = ?", (ticket.upload_id,))
            tx.execute("INSERT INTO blobs (sha256, size, state, stored_at, verified_at)"
                       " VALUES (?,?, 'ok', ?, ?) ON CONFLICT (sha256) DO UPDATE SET state = 'ok',"
                       " verified_at = excluded.verified_at", (ticket.sha256, ticket.size, now, now))
        return ChunkResult(new, ticket.size, True)

    def collect(self, older_than: timedelta = timedelta(days=7)) -> int:
        """Remove partial uploads not touched for a week, and temp files without a row."""
        cutoff = self.clock.now() - older_than
        removed = 0
        stale = [r[0] for r in self.store.conn.execute("SELECT upload_id, updated_at FROM uploads")
                 if parse_rfc3339(r[1]) < cutoff]
        if stale:
            with self.store.transaction() as tx:
                for upload_id in stale:
                    tx.execute("DELETE FROM uploads WHERE upload_id = ?", (upload_id,))
        live = {r[0] for r in self.store.conn.execute("SELECT upload_id FROM uploads")}
        for path in self.vault.tmp.glob("upload-*.part"):
            if path.name[len("upload-"):-len(".part")] not in live:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
