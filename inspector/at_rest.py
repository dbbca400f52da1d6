"""Opening a laptop's data directory encrypted, and encrypting an older plain one in place.

Layout of an encrypted data directory:

    inspector.keys   the wrapped master key (keys.py); no inspection data
    inspector.db     SQLCipher database (+ -wal, -shm while open)
    evidence/        the sealed vault (sealed.py): encrypted files under keyed names
    vault/           only in a directory not yet migrated: the plain vault of older versions

Migration of a plain directory, every step safe against a power cut at any point (the plain
database and plain vault stay untouched and complete until the encrypted copies are durable,
and every step can be redone from the start):

1. the key file is written durably (before anything exists that only it can open);
2. the plain database is checkpointed into its main file, then exported with
   `sqlcipher_export` into `inspector.db.encrypting`, which is fsynced;
3. every plain vault file is sealed into `evidence/` (each durably, as any new file);
4. `inspector.db.encrypting` replaces `inspector.db` (rename, directory fsync): from here on the
   directory is encrypted;
5. the plain vault is removed, each file only after its sealed copy verified.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from pathlib import Path

from sqlcipher3 import dbapi2 as sqlcipher

from inspector.durable import fsync_dir, fsync_file, replace
from inspector.keys import DataKeys, KeyError_, KeyFile, Unlocked, Unlocker
from inspector.sealed import SealedVault
from inspector.store.db import is_plain_sqlite

DB_NAME = "inspector.db"
SEALED_VAULT = "evidence"
PLAIN_VAULT = "vault"
STAGED = "inspector.db.encrypting"


def open_data_dir(data_dir: Path, unlocker: Unlocker) -> Unlocked:
    """The keys of a data directory, creating them (and migrating plain data) when needed."""
    db = data_dir / DB_NAME
    if KeyFile.load(data_dir) is None:
        if db.exists() and db.stat().st_size > 0 and not is_plain_sqlite(db):
            raise KeyError_("Thiếu tệp khóa inspector.keys trong thư mục dữ liệu {path}; cơ sở dữ liệu đã"
                            " mã hóa nên không mở được.",
                            hint="Chép lại tệp inspector.keys của chính thư mục này, hoặc khôi phục từ bản"
                                 " sao lưu (inspector restore).", path=str(data_dir))
        unlocked = unlocker.create(data_dir)
    else:
        existing = unlocker.unlock(data_dir)
        assert existing is not None
        unlocked = existing
    encrypt_in_place(data_dir, unlocked.keys)
    return unlocked


def sealed_vault(data_dir: Path, keys: DataKeys) -> SealedVault:
    return SealedVault(data_dir / SEALED_VAULT, keys)


def encrypt_in_place(data_dir: Path, keys: DataKeys) -> bool:
    """Steps 2–5 above; a no-op for a directory that is already fully encrypted. True if work was done."""
    db = data_dir / DB_NAME
    plain_vault = data_dir / PLAIN_VAULT
    did = False
    if is_plain_sqlite(db):
        _export_database(db, data_dir / STAGED, keys)
        _seal_plain_vault(plain_vault, sealed_vault(data_dir, keys))
        for suffix in ("-wal", "-shm"):  # fully checkpointed: nothing of them is needed
            with contextlib.suppress(FileNotFoundError):
                Path(str(db) + suffix).unlink()
        replace(data_dir / STAGED, db)
        did = True
    if plain_vault.is_dir():
        _remove_plain_vault(plain_vault, sealed_vault(data_dir, keys))
        did = True
    with contextlib.suppress(FileNotFoundError):
        (data_dir / STAGED).unlink()
    return did


def _export_database(db: Path, staged: Path, keys: DataKeys) -> None:
    plain = sqlite3.connect(str(db), isolation_level=None)
    try:
        plain.execute("PRAGMA synchronous = FULL")
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        version = int(plain.execute("PRAGMA user_version").fetchone()[0])
    finally:
        plain.close()
    for suffix in ("", "-journal", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(str(staged) + suffix).unlink()
    conn = sqlcipher.connect(str(db), isolation_level=None)  # no key: reads the plain file
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{keys.db.hex()}'\"", (str(staged),))
        conn.execute("PRAGMA encrypted.synchronous = FULL")
        conn.execute("SELECT sqlcipher_export('encrypted')")
        conn.execute(f"PRAGMA encrypted.user_version = {version}")
        conn.execute("DETACH DATABASE encrypted")
    finally:
        conn.close()
    fsync_file(staged)
    fsync_dir(staged.parent)


def _plain_blobs(plain_vault: Path) -> list[Path]:
    if not plain_vault.is_dir():
        return []
    return [p for p in plain_vault.glob("??/??/*") if p.is_file() and len(p.name) == 64]


def _seal_plain_vault(plain_vault: Path, sealed: SealedVault) -> None:
    for path in _plain_blobs(plain_vault):
        sha = path.name
        if sealed.has(sha) and sealed.verify(sha):
            continue
        with path.open("rb") as fh:
            sealed.put_stream(fh)  # a plain file that no longer matches its name is sealed as what it is


def _remove_plain_vault(plain_vault: Path, sealed: SealedVault) -> None:
    for path in _plain_blobs(plain_vault):
        sha = path.name
        if not (sealed.has(sha) and sealed.verify(sha)):
            with path.open("rb") as fh:
                sealed.put_stream(fh)
        path.unlink()
    shutil.rmtree(plain_vault, ignore_errors=True)
    fsync_dir(plain_vault.parent)
