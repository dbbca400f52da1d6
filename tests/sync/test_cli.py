"""The command line, end to end: `inspector central …` administers a real server, devices enroll,
sync, export bundles, import receipts. `central serve` is started as a real process."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from inspector.central.storage import ENV_VAR
from inspector.cli import main
from inspector.workspace import Workspace
from tests.central.fixtures import DatabaseFactory
from tests.sync.data import record
from tests.sync.harness import LiveServer, healthy, wait_until


def _run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str], make_database: DatabaseFactory,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    srv_dir, dev_dir = tmp_path / "central", tmp_path / "laptop"
    database = make_database(srv_dir)
    if database.url:  # every `central` command finds it through the environment
        monkeypatch.setenv(ENV_VAR, database.url)
    with LiveServer(srv_dir, database=database) as server:
        code, out, _ = _run(capsys, "central", "enroll-token", "--team", "doan-1", "--data-dir", srv_dir,
                            "--server", server.url)
        assert code == 0 and ("█" in out or "▀" in out)  # the QR code is drawn in the terminal
        token = re.search(r"^\s{4}(\S+)$", out, re.MULTILINE).group(1)  # type: ignore[union-attr]
        code, out, _ = _run(capsys, "enroll", "--server", server.url, "--token", token, "--data-dir", dev_dir)
        assert code == 0 and "Đã đăng ký" in out and "Vân tay" in out
        code, _, err = _run(capsys, "enroll", "--server", server.url, "--token", token, "--data-dir", dev_dir)
        assert code == 1 and "đã được dùng" in err
        with Workspace.open(dev_dir) as ws:
            insp = record(ws, 5, photos=1)
            device_id = ws.services.ctx.device.device_id
        code, out, _ = _run(capsys, "sync", "--data-dir", dev_dir)
        assert code == 0 and "sự kiện" in out and "Tổng kết" in out and "tệp minh chứng" in out
        code, out, _ = _run(capsys, "sync-status", "--data-dir", dev_dir)
        assert code == 0 and "Đã đủ trên máy chủ" in out
        with Workspace.open(dev_dir) as ws:
            record(ws, 2, photos=1, seed=9, inspection=insp)
        bundle = tmp_path / "usb" / "goi.inspb"
        bundle.parent.mkdir()
        code, out, _ = _run(capsys, "bundle", "export", "--to", bundle, "--data-dir", dev_dir)
        assert code == 0 and "an toàn để rút USB" in out
        code, out, _ = _run(capsys, "bundle", "inspect", bundle, "--data-dir", dev_dir)
        assert code == 0 and "hợp lệ" in out and "3 sự kiện" in out
        code, out, _ = _run(capsys, "central", "import-bundle", bundle, "--data-dir", srv_dir)
        assert code == 0 and "Biên nhận" in out
        receipt = bundle.with_name("goi.receipt.inspb")
        code, out, _ = _run(capsys, "bundle", "import", receipt, "--data-dir", dev_dir)
        assert code == 0 and "Đã nhập biên nhận" in out
        code, out, _ = _run(capsys, "central", "inspections", "--json", "--data-dir", srv_dir)
        rows = json.loads(out)
        assert code == 0 and [(r["inspection_id"], r["complete"]) for r in rows] == [(insp.id, True)]
        code, out, _ = _run(capsys, "central", "devices", "--data-dir", srv_dir)
        assert code == 0 and device_id in out
        code, out, _ = _run(capsys, "central", "export-receipt", "--device", device_id[:8], "-o",
                            tmp_path / "r.inspb", "--data-dir", srv_dir)
        assert code == 0 and (tmp_path / "r.inspb").exists()
        code, out, _ = _run(capsys, "central", "publish-catalog", "resources/catalogs/ct24-hn.v1.json",
                            "--data-dir", srv_dir)
        assert code == 0 and "Đã công bố" in out
        code, out, _ = _run(capsys, "conflicts", "--data-dir", dev_dir)
        assert code == 0 and "Không có xung đột" in out
        code, out, _ = _run(capsys, "central", "quarantine", "--data-dir", srv_dir)
        assert code == 0 and "Không có thay đổi nào bị giữ lại" in out
        code, out, _ = _run(capsys, "central", "quarantine", "--json", "--data-dir", srv_dir)
        assert code == 0 and json.loads(out) == []
        code, out, _ = _run(capsys, "central", "verify", "--data-dir", srv_dir)
        assert code == 0 and "Hợp lệ" in out
        code, out, _ = _run(capsys, "central", "revoke", device_id[:8], "--data-dir", srv_dir)
        assert code == 0 and "Đã thu hồi" in out
        code, _, err = _run(capsys, "sync", "--data-dir", dev_dir)
        assert code == 1 and "thu hồi" in err
        code, _, err = _run(capsys, "events", "verify", "--data-dir", dev_dir)
        assert code == 0


def test_central_serve_runs_as_a_process(tmp_path: Path, make_database: DatabaseFactory) -> None:
    database = make_database(tmp_path / "central")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-m", "inspector", "central", "serve", "--data-dir",
                             str(tmp_path / "central"), "--port", str(port),
                             *(["--database", database.url] if database.url else [])], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = f"http://127.0.0.1:{port}"
        assert wait_until(lambda: proc.poll() is not None or healthy(url), 30)
        assert proc.poll() is None, proc.stderr.read()  # type: ignore[union-attr]
        health = httpx.get(url + "/health", timeout=2).json()
        assert health["status"] == "ok" and len(health["server_id"]) == 32
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    line = json.loads(next(x for x in err.splitlines() if x.startswith("{")))
    assert line["path"] == "/health" and line["status"] == 200 and "duration_ms" in line
