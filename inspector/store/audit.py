"""`events verify`: every chain intact, and the tables equal a rebuild from the events."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from inspector.errors import Problem
from inspector.store import projection
from inspector.store.db import Store, open_scratch
from inspector.store.events import iter_events, verify_chains
from inspector.store.migrations import PROJECTION_TABLES

MAX_ROWS_REPORTED = 20


@dataclass
class AuditReport:
    event_count: int = 0
    chain_problems: list[Problem] = field(default_factory=list)
    projection_problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.chain_problems and not self.projection_problems


def _primary_key(conn: sqlite3.Connection, table: str) -> list[str]:
    cols = conn.execute(f"PRAGMA table_info({table})").fetchall()
    return [c[1] for c in sorted(cols, key=lambda c: c[5]) if c[5] > 0]


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [c[1] for c in conn.execute(f"PRAGMA table_info({table})").fetchall()]


def rebuild_into(store: Store, target: Path) -> None:
    """Replay the whole log of `store` into a fresh database at `target`."""
    scratch = open_scratch(target, key=store.key)  # the copy holds the same data: same key
    try:
        with scratch.transaction() as conn:
            for event in iter_events(store.conn):
                projection.apply(conn, event)
    finally:
        scratch.close()


def _short(value: object) -> object:
    if isinstance(value, str) and len(value) > 120:
        return value[:117] + "…"
    return value


def _diff_table(conn: sqlite3.Connection, table: str) -> list[Problem]:
    pk = _primary_key(conn, table)
    cols = _columns(conn, table)
    key_sql = ", ".join(pk)
    problems: list[Problem] = []
    live_only = conn.execute(
        f"SELECT {key_sql} FROM (SELECT * FROM main.{table} EXCEPT SELECT * FROM rebuilt.{table})"
        f" LIMIT {MAX_ROWS_REPORTED}"
    ).fetchall()
    for key in live_only:
        where = " AND ".join(f"{c} = ?" for c in pk)
        live = conn.execute(f"SELECT * FROM main.{table} WHERE {where}", key).fetchone()
        rebuilt = conn.execute(f"SELECT * FROM rebuilt.{table} WHERE {where}", key).fetchone()
        label = f"{table} [{', '.join(f'{c}={v}' for c, v in zip(pk, key, strict=True))}]"
        if rebuilt is None:
            problems.append(Problem(label, "Dòng này không có trong nhật ký sự kiện (được thêm ngoài phần mềm)."))
            continue
        for col, a, b in zip(cols, live, rebuilt, strict=True):
            if a != b:
                problems.append(Problem(
                    label,
                    "Cột {column} đang là {live!r} nhưng theo nhật ký sự kiện phải là {expected!r}.",
                    {"column": col, "live": _short(a), "expected": _short(b)},
                ))
    missing = conn.execute(
        f"SELECT {key_sql} FROM (SELECT * FROM rebuilt.{table} EXCEPT SELECT * FROM main.{table})"
        f" LIMIT {MAX_ROWS_REPORTED}"
    ).fetchall()
    for key in missing:
        where = " AND ".join(f"{c} = ?" for c in pk)
        if conn.execute(f"SELECT 1 FROM main.{table} WHERE {where}", key).fetchone():
            continue  # already reported as a changed row
        label = f"{table} [{', '.join(f'{c}={v}' for c, v in zip(pk, key, strict=True))}]"
        problems.append(Problem(label, "Dòng này có trong nhật ký sự kiện nhưng đã bị xóa khỏi bảng."))
    return problems


def verify_store(store: Store, scratch_dir: Path | None = None) -> AuditReport:
    report = AuditReport()
    report.event_count, report.chain_problems = verify_chains(store.conn)
    fd, name = tempfile.mkstemp(prefix="rebuild-", suffix=".db", dir=scratch_dir)
    os.close(fd)
    target = Path(name)
    target.unlink()
    try:
        rebuild_into(store, target)
        key = f" KEY \"x'{store.key.hex()}'\"" if store.key else ""  # SQLCipher: the scratch copy's key
        store.conn.execute(f"ATTACH DATABASE ? AS rebuilt{key}", (str(target),))
        try:
            for table in PROJECTION_TABLES:
                report.projection_problems.extend(_diff_table(store.conn, table))
        finally:
            store.conn.execute("DETACH DATABASE rebuilt")
    except Exception as exc:  # a log that cannot even be replayed is itself a finding
        report.projection_problems.append(
            Problem("events", "Không dựng lại được các bảng từ nhật ký sự kiện: {reason}.",
                    {"reason": str(exc)})
        )
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                Path(str(target) + suffix).unlink()
    return report
