"""Backup and restore: an online, verified, still-encrypted copy; restore into a new directory in
a new epoch; damaged or partial backups refused before anything is written. Real SQLCipher
files, real sealed vault files, the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from inspector.backup import MANIFEST, BackupError, backup_workspace, restore
from inspector.errors import UserError
from inspector.keys import Unlocker
from inspector.workspace import Workspace
from tests.core.test_at_rest import PASSPHRASE, _leaks, _record, _secrets
from tests.factories import make_inspection

ROOT = Path(__file__).resolve().parents[2]


def _events(ws: Workspace) -> list[tuple[str, int, int, str]]:
    return [tuple(r) for r in ws.store.conn.execute(  # type: ignore[misc]
        "SELECT device_id, epoch, seq, hash FROM events ORDER BY local_order")]


def test_backup_then_restore_into_a_new_directory_in_a_new_epoch(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "data") as ws:
        _record(ws.services)
        before = _events(ws)
        secrets = _secrets(ws)
        epoch = ws.services.ctx.device.epoch
        result = backup_workspace(ws, tmp_path / "usb")
        insp = ws.services.inspections.find()[0]
        full = ws.services.inspections.get(insp.id)
        ws.services.findings.record(insp.id, "LD-09", full.subjects[0].id, level=1)  # after the backup
    assert result.verified and result.path == tmp_path / "usb" and result.evidence == 3
    assert _leaks(result.path, secrets) == []  # the backup stays encrypted
    assert not list(result.path.rglob("*-wal")) and not (result.path / "evidence" / "tmp").exists()
    restored = restore(result.path, tmp_path / "restored", Unlocker.from_environment())
    assert restored.epoch == epoch + 1 and restored.events == len(before)
    with Workspace.open(tmp_path / "restored") as ws:
        assert _events(ws) == before
        assert ws.services.verify_events().ok and ws.services.evidence.verify_all().ok
        assert ws.services.ctx.device.epoch == epoch + 1
        insp = ws.services.inspections.find()[0]
        full = ws.services.inspections.get(insp.id)
        change = ws.services.findings.record(insp.id, "LD-09", full.subjects[0].id, level=2)
        row = ws.store.conn.execute("SELECT epoch, seq, prev_hash FROM events WHERE hash = ?",
                                    (change.event_hash,)).fetchone()
        assert tuple(row) == (epoch + 1, 1, "0" * 64)  # a new chain, not a fork of the old one
        assert ws.services.verify_events().ok


def test_damaged_partial_or_misplaced_backups_are_refused_before_any_write(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "data") as ws:
        _record(ws.services)
        result = backup_workspace(ws, tmp_path / "usb")
        second = backup_workspace(ws, tmp_path / "usb")  # the stick is not empty: a dated folder
    assert second.path.parent == result.path and second.path.name.startswith("inspector-backup-")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("x")
    with pytest.raises(BackupError, match="đã có dữ liệu"):
        restore(result.path, tmp_path / "busy", Unlocker.from_environment())
    blob = next(p for p in (second.path / "evidence").rglob("*") if p.is_file())
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 1
    blob.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="bị hỏng") as damaged:
        restore(second.path, tmp_path / "new-1", Unlocker.from_environment())
    assert blob.name in damaged.value.render()
    (result.path / MANIFEST).unlink()  # as if the stick was pulled before the end
    with pytest.raises(BackupError, match="không phải là một bản sao lưu hoàn chỉnh"):
        restore(result.path, tmp_path / "new-2", Unlocker.from_environment())
    assert not (tmp_path / "new-1").exists() and not (tmp_path / "new-2").exists()
    assert not [p for p in tmp_path.iterdir() if ".restoring" in p.name]


def test_backup_is_consistent_while_the_app_keeps_recording(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "data") as ws:
        insp = make_inspection(ws.services, subjects=4)
        stop = threading.Event()
        errors: list[BaseException] = []

        def record() -> None:  # another thread with its own connection, as the app's writer
            try:
                with Workspace.open(tmp_path / "data", keys=ws.keys, install_builtins=False) as other:
                    n = 0
                    while not stop.is_set():
                        n += 1
                        other.services.findings.record(insp.id, f"LD-0{1 + n % 9}", insp.subjects[n % 4].id,
                                                       level=n % 4, note=f"lần {n}")
            except BaseException as exc:
                errors.append(exc)

        writer = threading.Thread(target=record)
        writer.start()
        try:
            results = [backup_workspace(ws, tmp_path / f"usb-{n}") for n in range(3)]
        finally:
            stop.set()
            writer.join()
        assert not errors
    for n, result in enumerate(results):
        restore(result.path, tmp_path / f"r-{n}", Unlocker.from_environment())
        with Workspace.open(tmp_path / f"r-{n}") as ws:
            assert ws.services.verify_events().ok and ws.store.scalar("PRAGMA integrity_check") == "ok"


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("INSPECTOR_") or k == "INSPECTOR_TEST_KEYRING"}
    full.update(env)
    return subprocess.run([sys.executable, "-m", "inspector", *args], capture_output=True, text=True, env=full,
                          cwd=ROOT, stdin=subprocess.DEVNULL, timeout=120)


def test_cli_backup_and_restore_on_another_machine(tmp_path: Path) -> None:
    data, usb, new = tmp_path / "data", tmp_path / "usb", tmp_path / "new"
    made = _cli("demo", "--inspections", "2", "--photos", "1", "--data-dir", str(data),
                env={"INSPECTOR_KEY_STORE": "passphrase", "INSPECTOR_PASSPHRASE": PASSPHRASE})
    assert made.returncode == 0, made.stderr
    done = _cli("backup", "--to", str(usb), "--json", "--data-dir", str(data),
                env={"INSPECTOR_PASSPHRASE": PASSPHRASE})
    assert done.returncode == 0 and json.loads(done.stdout)["verified"], done.stderr
    other_machine = {"INSPECTOR_TEST_KEYRING": str(tmp_path / "other-keyring.json")}
    refused = _cli("restore", "--from", str(usb), "--data-dir", str(new), env=other_machine)
    assert refused.returncode == 1 and "mật khẩu" in refused.stderr and not new.exists(), refused.stderr
    wrong = _cli("restore", "--from", str(usb), "--data-dir", str(new),
                 env={**other_machine, "INSPECTOR_PASSPHRASE": "không phải mật khẩu"})
    assert wrong.returncode == 1 and "Mật khẩu không đúng" in wrong.stderr and not new.exists()
    ok = _cli("restore", "--from", str(usb), "--data-dir", str(new), "--json",
              env={**other_machine, "INSPECTOR_PASSPHRASE": PASSPHRASE})
    assert ok.returncode == 0 and json.loads(ok.stdout)["epoch"] == 2, ok.stderr
    listed = _cli("inspection", "list", "--json", "--data-dir", str(new),
                  env={**other_machine, "INSPECTOR_PASSPHRASE": PASSPHRASE})
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 2
    again = _cli("restore", "--from", str(usb), "--data-dir", str(new), env={"INSPECTOR_PASSPHRASE": PASSPHRASE})
    assert again.returncode == 1 and "đã có dữ liệu" in again.stderr
    for result in (refused, wrong, again):
        assert "Traceback" not in result.stderr


def test_a_restored_laptop_never_forks_silently_and_loses_nothing(tmp_path: Path) -> None:
    """The lost laptop synced more after the backup. The restored one records in a new epoch; its
    first sync is refused loudly (fork, nothing overwritten); after re-enrollment everything
    recorded since the restore reaches the server."""
    from tests.sync.data import record
    from tests.sync.harness import LiveServer, device_events

    with LiveServer(tmp_path / "central") as server:
        with Workspace.open(tmp_path / "laptop") as ws:
            server.enroll(ws)
            insp = record(ws, 5)
            ws.services.sync.sync()
            saved = backup_workspace(ws, tmp_path / "usb")
            record(ws, 3, seed=2, inspection=insp)
            ws.services.sync.sync()
            device_id = ws.services.ctx.device.device_id
            original = device_events(ws.store.path, device_id)
        restore(saved.path, tmp_path / "new", Unlocker.from_environment())
        with Workspace.open(tmp_path / "new") as new:
            record(new, 2, seed=3, inspection=insp)
            after_restore = [e for e in device_events(new.store.path, device_id) if e[1] == 2]
            assert [e[2] for e in after_restore] == [1, 2]  # epoch 2 starts at seq 1
            with pytest.raises(UserError, match="rẽ nhánh"):
                new.services.sync.sync()
            assert new.services.sync.overview().fork
            server.enroll(new)
            new.services.sync.sync()
            assert not new.services.sync.overview().fork and new.services.sync.overview().unsent_events == 0
        held = device_events(server.data_dir / "central.db", device_id)
        assert set(after_restore) <= set(held) and set(original) <= set(held)  # nothing lost, nothing overwritten
