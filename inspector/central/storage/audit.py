"""`verify` for the central store on either backend: chains intact, tables equal a rebuild.

On SQLite this is the store's own audit (`inspector.store.audit.verify_store`). On PostgreSQL the
event log and the projection tables are first copied into a scratch SQLite database (same
schema), and the very same audit runs on that copy: one implementation of "the tables equal a
replay of the log", and a copy taken inside one REPEATABLE READ snapshot is exactly the live state.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from inspector.central.storage import is_postgres
from inspector.store.audit import AuditReport, verify_store
from inspector.store.db import Store, open_scratch
from inspector.store.migrations import PROJECTION_TABLES

COPY_BATCH = 5000


def _columns(store: Store, table: str) -> list[str]:
    return [str(c[1]) for c in store.conn.execute(f"PRAGMA table_info({table})").fetchall()]


def copy_for_audit(store: Store, target: Path) -> None:
    """The events and every projection table of `store`, in one snapshot, into a scratch SQLite."""
    scratch = open_scratch(target)
    try:
        with scratch.transaction() as out:
            out.execute("PRAGMA defer_foreign_keys = ON")
            store.conn.execute("BEGIN")  # one snapshot (REPEATABLE READ on PostgreSQL)
            try:
                for table in ("events", *PROJECTION_TABLES):
                    cols = ", ".join(_columns(store, table))
                    marks = ", ".join("?" for _ in cols.split(", "))
                    cur = store.conn.execute(f"SELECT {cols} FROM {table}")
                    while rows := cur.fetchmany(COPY_BATCH):
                        out.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
            finally:
                store.conn.execute("COMMIT")
    finally:
        scratch.close()


def verify_central_store(store: Store, scratch_dir: Path | None = None) -> AuditReport:
    if not is_postgres(store.conn):
        return verify_store(store, scratch_dir)
    with tempfile.TemporaryDirectory(prefix="central-audit-", dir=scratch_dir) as tmp:
        copy = Path(tmp) / "copy.db"
        copy_for_audit(store, copy)
        scratch = open_scratch(copy)
        try:
            return verify_store(scratch, Path(tmp))
        finally:
            with contextlib.suppress(Exception):
                scratch.close()
