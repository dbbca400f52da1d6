"""`inspector central migrate --from SOURCE --to TARGET`: move a central store between backends.

Typically from the small office's SQLite file to PostgreSQL (either direction works). Steps:
1. both stores are opened and brought to the current schema (the target's tables are created);
2. the target must be empty (no event, device, blob, token or upload row), else nothing is done;
3. every hash chain of the source is verified (a damaged store is not moved);
4. every table is copied in one target transaction (foreign keys checked at its commit), the
   server's own identity included (the target is the same server, not a new one);
5. on the target: every chain verified again, the row count of every table compared with the
   source's, and the projection tables checked against a replay of the log.
The blob directory is not touched: both stores use the same `DATA_DIR/blobs`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from inspector.central.schema import open_central_store
from inspector.central.storage import Database, is_postgres
from inspector.central.storage.audit import verify_central_store
from inspector.central.storage.pg import PgConnection
from inspector.errors import Problem, StorageError
from inspector.store.db import Store
from inspector.store.events import verify_chains

BATCH = 2000
SKIPPED = frozenset({"store_meta", "central_meta_schema"})  # per-backend schema bookkeeping
NON_EMPTY_CHECK = ("events", "device", "central_devices", "blobs", "enroll_tokens", "uploads")


@dataclass
class MigrationReport:
    counts: dict[str, int] = field(default_factory=dict)  # table → rows copied (= rows in both)
    events: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def tables(conn: sqlite3.Connection) -> list[str]:
    if is_postgres(conn):
        rows = conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema ="
                            " current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name").fetchall()
    else:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                            " AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
    return [str(r[0]) for r in rows if str(r[0]) not in SKIPPED]


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [str(c[1]) for c in conn.execute(f"PRAGMA table_info({table})").fetchall()]


def _quoted(cols: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in cols)


def _count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _copy_table(source: Store, target: sqlite3.Connection, table: str, cols: list[str]) -> int:
    names = _quoted(cols)
    marks = ", ".join("?" for _ in cols)
    where = " WHERE key != 'schema'" if table == "central_meta" else ""
    cur = source.conn.execute(f"SELECT {names} FROM {table}{where}")
    copied = 0
    while rows := cur.fetchmany(BATCH):
        target.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        copied += len(rows)
    return copied


def migrate_store(source_db: Database, target_db: Database,
                  progress: Callable[[str, int], None] | None = None) -> MigrationReport:
    if source_db == target_db:
        raise StorageError("Nguồn và đích là cùng một cơ sở dữ liệu.", hint="Chọn một cơ sở dữ liệu đích khác.")
    report = MigrationReport()
    source = open_central_store(source_db)
    try:
        target = open_central_store(target_db)
        try:
            _migrate(source, target, report, progress)
        finally:
            target.close()
    finally:
        source.close()
    return report


def _migrate(source: Store, target: Store, report: MigrationReport,
             progress: Callable[[str, int], None] | None) -> None:
    busy = [t for t in NON_EMPTY_CHECK if _count(target.conn, t)]
    if busy:
        raise StorageError("Cơ sở dữ liệu đích không trống (bảng {tables} đã có dữ liệu); không chuyển gì.",
                           hint="Chuyển vào một cơ sở dữ liệu mới, trống (ví dụ: createdb inspector_central).",
                           tables=", ".join(busy))
    report.events, chain_problems = verify_chains(source.conn)
    if chain_problems:
        report.problems.extend(chain_problems)
        raise StorageError("Chuỗi sự kiện của cơ sở dữ liệu nguồn bị hỏng ({count} lỗi); không chuyển gì.",
                           hint="Chạy “inspector central verify” trên nguồn để xem chi tiết.",
                           count=len(chain_problems))
    wanted = tables(source.conn)
    missing = sorted(set(wanted) - set(tables(target.conn)))
    if missing:
        raise StorageError("Cơ sở dữ liệu đích thiếu bảng {tables}; không chuyển gì.",
                           hint="Cập nhật phần mềm trên máy đích cho cùng phiên bản.", tables=", ".join(missing))
    with target.transaction() as conn:
        conn.execute("PRAGMA defer_foreign_keys = ON")
        conn.execute("DELETE FROM central_meta WHERE key != 'schema'")  # written when the target was opened
        source.conn.execute("BEGIN")  # one consistent snapshot of the source
        try:
            for table in wanted:
                cols = _columns(source.conn, table)
                report.counts[table] = _copy_table(source, conn, table, cols)
                if progress is not None:
                    progress(table, report.counts[table])
        finally:
            source.conn.execute("COMMIT")
        if is_postgres(conn):  # every identity column (events, quarantine, console logs) continues after the copied ids
            pg = cast(PgConnection, conn)
            for table, column in pg.execute("SELECT table_name, column_name FROM information_schema.columns"
                                            " WHERE table_schema = current_schema() AND is_identity = 'YES'"
                                            " ORDER BY table_name, column_name").fetchall():
                pg.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                           f" coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)")
    for table in wanted:
        theirs = _count(target.conn, table) - (1 if table == "central_meta" else 0)
        ours = report.counts[table]
        if theirs != ours:
            report.problems.append(Problem(table, "Bảng {table}: nguồn có {source} dòng, đích có {target}.",
                                           {"table": table, "source": ours, "target": theirs}))
    count, problems = verify_chains(target.conn)
    report.problems.extend(problems)
    if count != report.events:
        report.problems.append(Problem("events", "Nguồn có {source} sự kiện, đích có {target}.",
                                       {"source": report.events, "target": count}))
    audit = verify_central_store(target)
    report.problems.extend(audit.chain_problems + audit.projection_problems)
