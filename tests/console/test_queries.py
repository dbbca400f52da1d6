"""The console's queries where SQLite and PostgreSQL differ unless the SQL says what it means:
NULLs in an ORDER BY (SQLite puts them first ascending, PostgreSQL last), ties in an ORDER BY
(no engine promises an order), text compared by code point (Vietnamese names, upper and lower
case). Rows are written straight into a fresh central store of each backend. And a SQLite store
with the console's tables moved to PostgreSQL numbers its new rows after the copied ones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from inspector.central.console import stats
from inspector.central.console import store as q
from inspector.central.console.accounts import audit
from inspector.central.console.store import Scope
from inspector.central.migrate import migrate_store
from inspector.central.server import Central
from inspector.central.storage import Database
from tests.central.fixtures import DatabaseFactory
from tests.central.pg import PgServer

STAMP = "2026-11-01T00:00:00Z"


@pytest.fixture
def central(tmp_path: Path, make_database: DatabaseFactory) -> Iterator[Central]:
    office = Central(tmp_path / "server", database=make_database(tmp_path / "server"))
    try:
        yield office
    finally:
        office.close()


def test_devices_never_seen_come_last_on_the_dashboard(central: Central) -> None:
    devices = [("dev-b", "2026-11-02T08:00:00Z"), ("dev-never", None), ("dev-a", "2026-11-03T08:00:00Z"),
               ("dev-c", "2026-11-02T08:00:00Z"), ("dev-also-never", None)]
    with central.store.transaction() as tx:
        tx.executemany("INSERT INTO central_devices (device_id, public_key, x25519_public, team, label, epoch, status,"
                       " enrolled_at, last_seen) VALUES (?, ?, ?, 'doan-1', ?, 1, 'active', ?, ?)",
                       [(d, b"k" * 32, b"x" * 32, d, STAMP, seen) for d, seen in devices])
    conn = central.store.conn
    board = stats.dashboard(conn, Scope(None), stats.period_of("2026", date(2026, 12, 1)), q.codes(conn, q.Codes()),
                            date(2026, 12, 1))
    assert [d[0] for d in board.devices] == ["dev-a", "dev-b", "dev-c", "dev-also-never", "dev-never"]
    assert board.devices[-1][3] is None


def test_units_and_teams_sort_by_code_point_with_ties_broken_by_id(central: Central) -> None:
    names = ["phường Yên Hòa", "Phường Ba Đình", "Đông Anh", "Zeta", "phường a", "Phường Ba Đình", "Ấp Một"]
    with central.store.transaction() as tx:
        tx.executemany("INSERT INTO units (id, name, unit_type, created_at, updated_at) VALUES (?, ?, 'ward', ?, ?)",
                       [(f"u{9 - n}", name, STAMP, STAMP) for n, name in enumerate(names)])
        tx.executemany("INSERT INTO teams (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                       [(f"t{9 - n}", name, STAMP, STAMP) for n, name in enumerate(names)])
    expected = sorted(((f"u{9 - n}", name) for n, name in enumerate(names)), key=lambda r: (r[1], r[0]))
    assert [(uid, name) for uid, _, name in q.units(central.store.conn)] == expected
    assert [(tid, name) for tid, name in q.teams(central.store.conn)] == [("t" + u[1:], n) for u, n in expected]


def test_a_sqlite_console_moved_to_postgresql_keeps_numbering_its_rows(tmp_path: Path, pg_server: PgServer) -> None:
    """`inspector central migrate` copies the console's tables with their ids; the target's identity
    columns (audit log, login failures) continue after them instead of colliding with them."""
    source = Database.of(None, tmp_path / "server")
    office = Central(tmp_path / "server", database=source)
    try:
        with office.store.transaction() as tx:
            for n in range(3):
                audit(tx, STAMP, "admin", "user.add", f"nguoi-{n}")
                tx.execute("INSERT INTO staff_login_failures (username, address, at) VALUES (?, '10.0.0.1', ?)",
                           (f"nguoi-{n}", STAMP))
    finally:
        office.close()
    target = Database(url=pg_server.create_database("console"))
    assert migrate_store(source, target).ok
    moved = Central(tmp_path / "server", database=target)
    try:
        with moved.store.transaction() as tx:
            audit(tx, STAMP, "admin", "user.disable", "nguoi-0")
            tx.execute("INSERT INTO staff_login_failures (username, address, at) VALUES ('x', '10.0.0.2', ?)", (STAMP,))
        entries = moved.store.conn.execute("SELECT id, action FROM staff_audit ORDER BY id").fetchall()
        failures = moved.store.conn.execute("SELECT id FROM staff_login_failures ORDER BY id").fetchall()
    finally:
        moved.close()
    assert [tuple(e) for e in entries] == [(1, "user.add"), (2, "user.add"), (3, "user.add"), (4, "user.disable")]
    assert [f[0] for f in failures] == [1, 2, 3, 4]
