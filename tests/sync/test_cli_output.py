"""Issue 11, defects 7 and 11: `central verify` re-hashes every blob; the command line exits
quietly when its output is closed; every `--json` output is JSON all the way down."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from inspector.cli import main
from inspector.demo import load_demo
from inspector.workspace import Workspace
from tests.central.fixtures import DatabaseFactory
from tests.sync.data import record
from tests.sync.harness import LiveServer

ROOT = Path(__file__).resolve().parents[2]
REPR = re.compile(r"^[A-Z][A-Za-z]+\(.*=")


def _run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _walk(value: Any, where: str = "$") -> list[str]:
    """Places where a JSON document holds a Python repr instead of data."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _walk(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [p for n, v in enumerate(value) for p in _walk(v, f"{where}[{n}]")]
    if isinstance(value, str) and REPR.match(value):
        return [f"{where}: {value[:60]}"]
    return []


def test_central_verify_rehashes_every_blob(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           make_database: DatabaseFactory) -> None:
    srv = tmp_path / "central"
    database = make_database(srv)
    on = ["--database", database.url] if database.url else []
    with LiveServer(srv, database=database) as server, Workspace.open(tmp_path / "laptop") as ws:
        server.enroll(ws)
        record(ws, 3, photos=3, photo_size=50_000)
        ws.services.sync.sync()
        shas = [r[0] for r in ws.store.conn.execute("SELECT sha256 FROM evidence ORDER BY sha256")]
    code, out, _ = _run(capsys, "central", "verify", "--data-dir", srv, *on)
    assert code == 0 and "Hợp lệ" in out and "3 tệp" in out, out
    victim = srv / "blobs" / shas[1][:2] / shas[1][2:4] / shas[1]
    data = bytearray(victim.read_bytes())
    data[1000] ^= 0x40  # one bit rots on the server's disk
    os.chmod(victim, 0o644)
    victim.write_bytes(bytes(data))
    code, out, _ = _run(capsys, "central", "verify", "--data-dir", srv, *on)
    assert code == 1 and shas[1][:12] in out and "KHÔNG hợp lệ" in out, out
    code, out, _ = _run(capsys, "central", "verify", "--quick", "--data-dir", srv, *on)
    assert code == 0 and "bỏ qua" in out, out


def test_closed_output_ends_quietly(tmp_path: Path) -> None:
    data = tmp_path / "laptop"
    with Workspace.open(data) as ws:
        load_demo(ws.services, inspections=3, subjects=2, photos=0)
    env = {**os.environ, "INSPECTOR_DATA_DIR": str(data)}
    for args in (["sync-status", "--json"], ["inspection", "list"], ["catalog", "list", "--json"]):
        proc = subprocess.Popen([sys.executable, "-m", "inspector", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, cwd=ROOT)
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # like `| head -0`: the reader is gone before anything is written
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 0, (args, err)
        assert err == "", (args, err)


def test_every_json_output_is_json_all_the_way_down(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   make_database: DatabaseFactory) -> None:
    srv, dev = tmp_path / "central", tmp_path / "laptop"
    database = make_database(srv)
    on = ["--database", database.url] if database.url else []
    with LiveServer(srv, database=database) as server, Workspace.open(dev) as ws:
        server.enroll(ws)
        insp = record(ws, 4, photos=1)
        ws.services.sync.sync()
        device_id = ws.services.ctx.device.device_id
    bundle = tmp_path / "b.inspb"
    with Workspace.open(dev) as ws:
        record(ws, 1, seed=3, inspection=insp)
        ws.services.sync.export_bundle(bundle)
    commands = [
        ["inspection", "show", insp.id, "--json", "--data-dir", dev],
        ["inspection", "list", "--json", "--data-dir", dev],
        ["catalog", "list", "--json", "--data-dir", dev],
        ["sync-status", "--json", "--data-dir", dev],
        ["conflicts", "--json", "--data-dir", dev],
        ["bundle", "inspect", bundle, "--json", "--data-dir", dev],
        ["events", "verify", "--json", "--data-dir", dev],
        ["central", "devices", "--json", "--data-dir", srv, *on],
        ["central", "inspections", "--json", "--data-dir", srv, *on],
        ["central", "quarantine", "--json", "--data-dir", srv, *on],
    ]
    for args in commands:
        code, out, err = _run(capsys, *args)
        assert code == 0, (args, err)
        document = json.loads(out)
        assert _walk(document) == [], args
    shown = json.loads(_run(capsys, "inspection", "show", insp.id, "--json", "--data-dir", dev)[1])
    members = shown["team"]["members"]
    assert members and all(isinstance(m, dict) and m["full_name"] and m["role"] for m in members)
    devices = json.loads(_run(capsys, "central", "devices", "--json", "--data-dir", srv, *on)[1])
    assert [d["device_id"] for d in devices] == [device_id]
