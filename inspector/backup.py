"""Backup and restore of a laptop's data directory: consistent, verified, and still encrypted.

A backup is a folder (on a USB stick, a share):

    inspector.db            an online copy made with SQLCipher's backup API (one read snapshot),
                            encrypted with the same database key
    inspector.keys          the wrapped master key (the passphrase or the recovery key opens it)
    evidence/ab/cd/<name>   the sealed vault files, byte for byte
    inspector-backup.json   written last: every file's size and SHA-256, counts, the device

Nothing in it is readable without the data key. The manifest is written only after every file
is durable, then the whole backup is read back and checked (hashes, the copy's integrity check,
every referenced evidence file decrypts to its address). A folder without a manifest, or with a
file that does not match it, is refused by `restore` before anything is written.

A restored data directory starts a new epoch of this device's event chain (`start_new_epoch`):
new events never extend the chain the lost laptop may have continued after the backup, so the
central store sees a new chain (the office re-enrolls the laptop), never a silent fork.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlcipher3 import dbapi2 as sqlcipher

from inspector.at_rest import DB_NAME, SEALED_VAULT
from inspector.clock import to_rfc3339
from inspector.durable import fsync_dir, make_dirs, write_bytes
from inspector.errors import UserError
from inspector.keys import KEY_FILE, DataKeys, KeyFile, Unlocker
from inspector.sealed import SealedVault
from inspector.store.db import DatabaseErrors, Store, connect, open_store, translate_os_error
from inspector.store.device import start_new_epoch
from inspector.vault import hash_file

if TYPE_CHECKING:
    from inspector.workspace import Workspace

MANIFEST = "inspector-backup.json"
FORMAT = "inspector.backup"
CHUNK = 1024 * 1024
_FILE = re.compile(r"^(inspector\.db|inspector\.keys|evidence/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64})$")
_BLOB_REFS = ("SELECT sha256 FROM evidence UNION SELECT prepared_sha256 FROM documents"
              " UNION SELECT current_sha256 FROM documents UNION SELECT drawn_sha256 FROM signatures"
              " WHERE drawn_sha256 IS NOT NULL")


class BackupError(UserError):
    """A backup that cannot be written, or a folder that is not a complete, intact backup."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    files: int
    bytes: int
    events: int
    evidence: int
    verified: bool


@dataclass(frozen=True)
class RestoreResult:
    data_dir: Path
    files: int
    events: int
    epoch: int


def _copy(source: Path, target: Path) -> tuple[int, str]:
    """Copy one file durably; its size and SHA-256 (of the bytes as stored: ciphertext)."""
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as src, target.open("wb") as out:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return size, digest.hexdigest()


def _hash(path: Path) -> tuple[int, str]:
    sha, size = hash_file(path)
    return size, sha


def _is_empty_dir(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())


def choose_target(to: Path, now: datetime) -> Path:
    """`to` itself if new or empty, else a new dated folder inside it (a USB stick's root)."""
    if not to.exists() or _is_empty_dir(to):
        return to
    if not to.is_dir():
        raise BackupError("{path} không phải là thư mục.", hint="Chọn một thư mục để chứa bản sao lưu.",
                          path=str(to))
    return to / f"inspector-backup-{now.strftime('%Y%m%d-%H%M%S')}"


def _read_only(path: Path, keys: DataKeys) -> sqlite3.Connection:
    """The backup's database, read without writing anything next to it (no -wal, no -shm)."""
    conn = sqlcipher.connect(f"file:{path}?immutable=1", uri=True)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = \"x'{keys.db.hex()}'\"")
    return cast(sqlite3.Connection, conn)


def _counts(conn: sqlite3.Connection) -> tuple[int, int, str, int, int]:
    events = int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
    evidence = int(conn.execute("SELECT count(*) FROM evidence").fetchone()[0])
    device = conn.execute("SELECT device_id, epoch FROM device WHERE singleton = 1").fetchone()
    return events, evidence, str(device[0]), int(device[1]), int(conn.execute("PRAGMA user_version").fetchone()[0])


def backup_workspace(ws: Workspace, to: Path) -> BackupResult:
    """What the app and `inspector backup --to DIR` call, on the thread that owns `ws`."""
    return backup(ws.data_dir, ws.store, ws.keys, to, now=ws.services.ctx.clock.now())


def backup(data_dir: Path, store: Store, keys: DataKeys, to: Path, *, now: datetime) -> BackupResult:
    """Copy the open data directory (`store` is its live database) into a new backup folder."""
    target = choose_target(to, now)
    try:
        make_dirs(target / SEALED_VAULT)
        copy = connect(target / DB_NAME, durable=False, key=keys.db)
        try:
            store.conn.backup(copy)  # one consistent snapshot, even while the app keeps recording
            copy.execute("PRAGMA journal_mode = DELETE")  # a backup is read without -wal/-shm files
        finally:
            copy.close()
        files: list[dict[str, Any]] = []
        size, sha = _hash(target / DB_NAME)
        files.append({"path": DB_NAME, "size": size, "sha256": sha})
        size, sha = _copy(data_dir / KEY_FILE, target / KEY_FILE)
        files.append({"path": KEY_FILE, "size": size, "sha256": sha})
        vault = data_dir / SEALED_VAULT
        # Vault files are immutable and written before any row refers to them: every file the
        # snapshot refers to is there now (later files are harmless extras).
        for path in sorted(vault.glob("??/??/*")):
            if not path.is_file():
                continue
            rel = path.relative_to(data_dir).as_posix()
            out = target / rel
            if not out.parent.is_dir():
                make_dirs(out.parent)
            size, sha = _copy(path, out)
            files.append({"path": rel, "size": size, "sha256": sha})
        for directory in {target / Path(f["path"]).parent for f in files}:
            fsync_dir(directory)
        snapshot = _read_only(target / DB_NAME, keys)
        try:
            events, evidence, device_id, epoch, schema = _counts(snapshot)
        finally:
            snapshot.close()
        key_file = KeyFile.load(data_dir)
        manifest = {"format": FORMAT, "v": 1, "created_at": to_rfc3339(now),
                    "data_id": key_file.data_id if key_file else "", "device_id": device_id, "epoch": epoch,
                    "schema": schema, "events": events, "evidence": evidence, "files": files}
        write_bytes(target / MANIFEST, json.dumps(manifest, indent=1).encode("utf-8"))
    except OSError as exc:
        raise translate_os_error(exc) or BackupError(
            "Không ghi được bản sao lưu vào {path}: {reason}.",
            hint="Kiểm tra thiết bị lưu trữ (còn chỗ trống, không bị khóa ghi) rồi sao lưu lại.",
            path=str(target), reason=exc.strerror or str(exc)) from exc
    checked = verify_backup(target, keys)
    return BackupResult(target, len(files), sum(f["size"] for f in files), events, evidence, checked is not None)


def read_manifest(source: Path) -> dict[str, Any]:
    """The manifest of a complete backup, and every file checked against it (nothing written)."""
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError("{path} không phải là một bản sao lưu hoàn chỉnh (thiếu tệp {name}).",
                          hint="Chọn đúng thư mục sao lưu; một bản sao lưu bị ngắt giữa chừng không dùng được.",
                          path=str(source), name=MANIFEST)
    try:
        manifest = json.loads(path.read_bytes())
        if manifest.get("format") != FORMAT or manifest.get("v") != 1 or not isinstance(manifest.get("files"), list):
            raise ValueError("format")
        files = [(str(f["path"]), int(f["size"]), str(f["sha256"])) for f in manifest["files"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupError("Tệp mô tả bản sao lưu {path} bị hỏng.", hint="Dùng một bản sao lưu khác.",
                          path=str(path)) from exc
    names = {name for name, _, _ in files}
    if any(not _FILE.match(name) for name in names) or {DB_NAME, KEY_FILE} - names or len(names) != len(files):
        raise BackupError("Tệp mô tả bản sao lưu {path} không hợp lệ.", hint="Dùng một bản sao lưu khác.",
                          path=str(path))
    for name, size, sha in files:
        try:
            actual = _hash(source / name)
        except OSError:
            raise BackupError("Bản sao lưu thiếu tệp {name}; không khôi phục được từ bản này.",
                              hint="Dùng một bản sao lưu khác.", name=name) from None
        if actual != (size, sha):
            raise BackupError("Tệp {name} trong bản sao lưu bị hỏng (không khớp mã băm đã ghi).",
                              hint="Dùng một bản sao lưu khác.", name=name)
    return dict(manifest)


def verify_backup(source: Path, keys: DataKeys) -> dict[str, Any]:
    """Everything `read_manifest` checks, plus: the copy opens with the key, passes SQLite's
    integrity check, and every evidence file it refers to decrypts to its address."""
    manifest = read_manifest(source)
    conn = _read_only(source / DB_NAME, keys)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("Cơ sở dữ liệu trong bản sao lưu {path} bị hỏng.", hint="Dùng một bản sao lưu khác.",
                              path=str(source))
        shas = [r[0] for r in conn.execute(_BLOB_REFS)]
    except DatabaseErrors as exc:
        raise BackupError("Không mở được cơ sở dữ liệu trong bản sao lưu {path} bằng khóa của nó.",
                          hint="Dùng một bản sao lưu khác.", path=str(source)) from exc
    finally:
        conn.close()
    vault = SealedVault(source / SEALED_VAULT, keys, read_only=True)
    missing = [sha for sha in shas if not vault.verify(sha)]
    if missing:
        raise BackupError("Bản sao lưu thiếu hoặc hỏng {count} tệp minh chứng (ví dụ {sha}…).",
                          hint="Sao lưu lại từ máy gốc.", count=len(missing), sha=missing[0][:12])
    return manifest


def restore(source: Path, data_dir: Path, unlocker: Unlocker) -> RestoreResult:
    """Restore a backup into a new or empty data directory; the device continues in a new epoch."""
    if data_dir.exists() and not _is_empty_dir(data_dir):
        raise BackupError("Thư mục {path} đã có dữ liệu; chỉ khôi phục vào thư mục mới hoặc trống.",
                          hint="Chọn một thư mục dữ liệu mới bằng --data-dir.", path=str(data_dir))
    manifest = read_manifest(source)
    unlocked = unlocker.unlock(source)  # the backup's own key file: passphrase or recovery key
    if unlocked is None:
        raise BackupError("Bản sao lưu thiếu tệp khóa.", hint="Dùng một bản sao lưu khác.")
    verify_backup(source, unlocked.keys)
    staging = data_dir.parent / f".{data_dir.name}.restoring-{secrets.token_hex(4)}"
    try:
        make_dirs(staging)
        for entry in manifest["files"]:
            target = staging / entry["path"]
            if not target.parent.is_dir():
                make_dirs(target.parent)
            _copy(source / entry["path"], target)
        for directory in {(staging / f["path"]).parent for f in manifest["files"]}:
            fsync_dir(directory)
        store = open_store(staging / DB_NAME, key=unlocked.keys.db)
        try:
            epoch = start_new_epoch(store)
            events = int(store.scalar("SELECT count(*) FROM events"))
        finally:
            store.close()
        _protect_on_this_machine(staging, unlocked.master, unlocker)
        if data_dir.exists():
            data_dir.rmdir()
        staging.replace(data_dir)
        fsync_dir(data_dir.parent)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise translate_os_error(exc) or BackupError(
            "Không khôi phục được vào {path}: {reason}.", hint="Kiểm tra quyền ghi và dung lượng ổ đĩa.",
            path=str(data_dir), reason=exc.strerror or str(exc)) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return RestoreResult(data_dir, len(manifest["files"]), events, epoch)


def _protect_on_this_machine(data_dir: Path, master: bytes, unlocker: Unlocker) -> None:
    """A keyring slot names the old machine's key store: put the key into this one's, if any."""
    key_file = KeyFile.load(data_dir)
    slot = key_file.slot("keyring") if key_file else None
    if key_file is None or slot is None:
        return
    store = unlocker.os_store
    if store.available():
        store.put(str(slot["account"]), master)
    else:
        key_file.drop_slot("keyring")
        key_file.save(data_dir)
