"""What operations need from every server process: a readiness endpoint a load balancer can use,
request ids in the structured log (and back to the client), and connections that come back
after the database dropped them (PostgreSQL restart or fail-over)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import psycopg
import pytest

from inspector.central import readiness
from inspector.workspace import Workspace
from tests.central.fixtures import DatabaseFactory
from tests.central.pg import PgServer
from tests.sync.data import record
from tests.sync.harness import LiveServer


def test_ready_and_request_ids(tmp_path: Path, make_database: DatabaseFactory,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    srv = tmp_path / "server"
    with LiveServer(srv, database=make_database(srv)) as server:
        ready = httpx.get(server.url + "/ready", timeout=10)
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "ready" and ready.json()["checks"] == {"database": "ok", "blobs": "ok"}
        given = httpx.get(server.url + "/health", headers={"X-Request-ID": "lb-7f3a.1_x"}, timeout=10)
        assert given.headers["x-request-id"] == "lb-7f3a.1_x"
        for bad in ("two words", "x" * 65, "a/b", "id\\n"):
            made = httpx.get(server.url + "/health", headers={"X-Request-ID": bad}, timeout=10).headers["x-request-id"]
            assert made != bad and len(made) == 16 and int(made, 16) >= 0
        lines = [line for line in server.logs if line["path"] in ("/health", "/ready")]
        assert lines[1]["request_id"] == "lb-7f3a.1_x" and all(isinstance(line["pid"], int) for line in lines)
        json.dumps(lines)  # every field is JSON
        # a blob volume without room for uploads takes the process out of rotation
        monkeypatch.setattr(readiness, "MIN_FREE_BYTES", 2**62)
        answer = httpx.get(server.url + "/ready", timeout=10)
        assert answer.status_code == 503 and answer.json()["checks"] == {"database": "ok", "blobs": "full"}


def test_connections_come_back_after_postgresql_drops_them(tmp_path: Path, pg_server: PgServer) -> None:
    from inspector.central.storage import Database

    url = pg_server.create_database("drop")
    srv = tmp_path / "server"
    with LiveServer(srv, database=Database(url=url)) as server, Workspace.open(tmp_path / "laptop") as ws:
        server.enroll(ws)
        inspection = record(ws, 3)
        ws.services.sync.sync()
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(pg_server.url("postgres"), autocommit=True) as admin:
            dropped = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                                    " WHERE datname = %s AND pid <> pg_backend_pid()", (name,)).fetchone()
        assert dropped is not None and dropped[0] >= 2  # the writer, the readers, /health's
        answers = [httpx.get(server.url + "/ready", timeout=10).status_code for _ in range(4)]
        assert answers[-1] == 200 and set(answers) <= {200, 503}, answers
        record(ws, 2, seed=5, inspection=inspection)
        try:
            ws.services.sync.sync()
        except Exception:  # the writer's statement that met the dropped connection failed whole
            ws.services.sync.sync()
        device_id = ws.services.ctx.device.device_id
        held = server.call(lambda c: c.store.scalar("SELECT max(seq) FROM events WHERE device_id = ?", (device_id,)))
        assert held == ws.store.scalar("SELECT max(seq) FROM events WHERE device_id = ?", (device_id,))


def test_an_unreachable_database_is_said_in_vietnamese_without_the_password(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from inspector.cli import main

    for url, reason in (("postgresql://kiemtra:matkhau-bi-mat@127.0.0.1:1/none", "không nhận kết nối"),
                        ("mysql://x/y", "không được hỗ trợ")):
        code = main(["central", "devices", "--data-dir", str(tmp_path / "c"), "--database", url])
        err = capsys.readouterr().err
        assert code == 1 and reason in err and "matkhau-bi-mat" not in err, err
        assert "Traceback" not in err and "failed" not in err and "Error" not in err, err
