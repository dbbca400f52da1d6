"""The store factory: pragmas, one commit per action, and the transaction guard."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.errors import BugError, NotFoundError
from inspector.store.db import open_store
from inspector.store.migrations import LATEST
from inspector.workspace import Services
from tests.factories import make_inspection


def test_every_connection_is_durable(tmp_path: Path) -> None:
    store = open_store(tmp_path / "x.db")
    conn = store.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
    store.close()


def test_nested_transactions_are_a_bug(tmp_path: Path) -> None:
    store = open_store(tmp_path / "x.db")
    with store.transaction(), pytest.raises(BugError), store.transaction():
        pass
    store.close()


def test_a_helper_that_commits_early_is_caught(tmp_path: Path) -> None:
    store = open_store(tmp_path / "x.db")
    with pytest.raises(BugError), store.transaction() as conn:
        conn.execute("INSERT INTO settings VALUES ('a', '1')")
        conn.execute("COMMIT")
    store.close()


def test_sqlite_utils_helpers_do_not_commit_inside_our_transaction(tmp_path: Path) -> None:
    store = open_store(tmp_path / "x.db")
    with pytest.raises(RuntimeError), store.transaction():
        store.db["settings"].insert({"key": "a", "value": "1"})
        raise RuntimeError("abort the action")
    assert store.scalar("SELECT count(*) FROM settings") == 0
    store.close()


def test_one_user_action_is_exactly_one_commit(services: Services) -> None:
    store = services.ctx.store
    inspection = make_inspection(services, subjects=2)
    subject = inspection.subjects[0]
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        services.findings.record(inspection.id, "LD-01", subject.id, level=2, note="Đi muộn")
        services.inspections.set_explanation(inspection.id, "Đơn vị tiếp thu.")
    finally:
        store.conn.set_trace_callback(None)
    commits = [s for s in statements if s.strip().upper().startswith("COMMIT")]
    begins = [s for s in statements if s.strip().upper().startswith("BEGIN")]
    assert len(commits) == 2 and len(begins) == 2


def test_a_failed_action_changes_nothing(services: Services) -> None:
    inspection = make_inspection(services, subjects=1)
    before = services.ctx.store.scalar("SELECT count(*) FROM events")
    with pytest.raises(NotFoundError):
        services.findings.record(inspection.id, "NO-SUCH", inspection.subjects[0].id, level=1)
    assert services.ctx.store.scalar("SELECT count(*) FROM events") == before
