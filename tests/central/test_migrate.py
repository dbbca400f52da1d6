"""`inspector central migrate`: a SQLite store moved to PostgreSQL (and back) with every chain
verified and every table's count compared; a non-empty target or a damaged source is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.central.migrate import migrate_store, tables
from inspector.central.storage import Database
from inspector.central.storage.audit import verify_central_store
from inspector.cli import main
from inspector.domain import Inspection
from inspector.errors import StorageError
from inspector.workspace import Workspace
from tests.central.pg import PgServer
from tests.storage import raw_connect
from tests.sync.data import record
from tests.sync.harness import LiveServer, device_events, server_state


def _filled(tmp_path: Path) -> tuple[Path, Database, str, Inspection]:
    """A SQLite central store with two laptops' inspections, evidence and a published roster."""
    srv = tmp_path / "central"
    source = Database.of(None, srv)
    with LiveServer(srv, database=source) as server:
        made = []
        for name in ("a", "b"):
            with Workspace.open(tmp_path / name) as ws:
                server.enroll(ws)
                made.append(record(ws, 6, photos=2, seed=len(name) + ord(name)))
                ws.services.sync.sync()
        device_id = server.central.server_id
    return srv, source, device_id, made[0]


def test_sqlite_store_moves_to_postgresql_and_serves_on(tmp_path: Path, pg_server: PgServer) -> None:
    srv, source, server_id, inspection = _filled(tmp_path)
    target = Database(url=pg_server.create_database("migrate"))
    report = migrate_store(source, target)
    assert report.ok, [p.render() for p in report.problems]
    assert report.events > 20 and report.counts["events"] == report.events and report.counts["blobs"] == 4
    # same rows in every table (the snapshot hash of both stores is over the same tables' contents)
    source_store, target_store = source.open(), target.open()
    try:
        for table in tables(source_store.conn):
            assert source_store.scalar(f"SELECT count(*) FROM {table}") == target_store.scalar(
                f"SELECT count(*) FROM {table}"), table
        assert verify_central_store(target_store).ok
    finally:
        source_store.close()
        target_store.close()
    # the moved store is the same server: same identity, laptops sync on without re-enrolling
    with LiveServer(srv, database=target) as server, Workspace.open(tmp_path / "a") as ws:
        assert server.central.server_id == server_id
        with ws.store.transaction() as conn:  # the new process listens on another port
            conn.execute("UPDATE sync_server SET url = ?", (server.url,))
        record(ws, 2, seed=99, inspection=inspection)
        ws.services.sync.sync()
        device_id = ws.services.ctx.device.device_id
        assert device_events(target, device_id) == device_events(ws.store.path, device_id)
    with pytest.raises(StorageError, match="không trống"):  # a second run finds the target non-empty
        migrate_store(source, target)
    # and back into a fresh SQLite file: the same chains
    back = Database(path=tmp_path / "back" / "central.db")
    assert migrate_store(target, back).ok
    assert device_events(back, device_id) == device_events(target, device_id)
    assert server_state(back, tmp_path / "none") != ""


def test_a_damaged_source_or_a_busy_target_moves_nothing(tmp_path: Path, pg_server: PgServer) -> None:
    _, source, _, _ = _filled(tmp_path)
    conn = raw_connect(source.path)  # type: ignore[arg-type]
    conn.execute("UPDATE events SET author_name = author_name || '.' WHERE seq = 3")
    conn.commit()
    conn.close()
    target = Database(url=pg_server.create_database("damaged"))
    with pytest.raises(StorageError, match="bị hỏng"):
        migrate_store(source, target)
    store = target.open()
    try:
        assert store.scalar("SELECT count(*) FROM events") == 0
    finally:
        store.close()


def test_the_command_line_moves_a_store(tmp_path: Path, pg_server: PgServer,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    srv, source, _, _ = _filled(tmp_path)
    url = pg_server.create_database("cli")
    code = main(["central", "migrate", "--from", str(source.path), "--to", url, "--data-dir", str(srv)])
    out, err = capsys.readouterr()
    assert code == 0 and "Đã chuyển" in out, (out, err)
    code = main(["central", "migrate", "--from", str(source.path), "--to", url, "--data-dir", str(srv)])
    out, err = capsys.readouterr()
    assert code != 0 and "không trống" in err and "Traceback" not in err, err
    code = main(["central", "verify", "--quick", "--database", url, "--data-dir", str(srv)])
    assert code == 0 and "Hợp lệ" in capsys.readouterr().out
