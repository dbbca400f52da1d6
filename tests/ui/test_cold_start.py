"""A start-and-quit as the benchmark runs it (`main.py --quit-after-start`): what the window and the
settings hold is on disk afterwards, the data directory is released, and the start did not import
what it defers (sqlite-utils; keyring for a folder protected by a passphrase). The interpreter's
teardown is skipped over frozen objects (`gc.freeze()` at the end of `ui.app.main`), so nothing may
depend on it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QLockFile, QSettings

from ui.instance import LOCK_NAME

ROOT = Path(__file__).resolve().parents[2]


def _start_and_quit(data_dir: Path, *python_args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, *python_args, str(ROOT / "main.py"), "--data-dir", str(data_dir),
                           "--quit-after-start"], cwd=ROOT, env=env, capture_output=True, text=True,
                          encoding="utf-8", timeout=120)


def test_a_start_and_quit_leaves_its_settings_and_releases_the_folder(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    for _ in range(2):  # created, then opened again
        result = _start_and_quit(data_dir)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
    settings = QSettings(str(data_dir / "ui.ini"), QSettings.Format.IniFormat)
    assert settings.value("app/language") == "vi"
    assert settings.value("session/page") == "inspections"
    assert settings.value("window/geometry") is not None
    lock = QLockFile(str(data_dir / LOCK_NAME))
    assert lock.tryLock(0), "the quitting app still holds the data directory"
    lock.unlock()
    assert not any((data_dir / "logs").glob("crash*")) if (data_dir / "logs").exists() else True


def test_a_start_does_not_import_sqlite_utils(tmp_path: Path) -> None:
    result = _start_and_quit(tmp_path / "data", "-X", "importtime")
    assert result.returncode == 0, result.stderr
    imported = _imported(result)
    assert "ui.views.main_window" in imported and "inspector.workspace" in imported
    assert not {m for m in imported if m.split(".")[0] in ("sqlite_utils", "click", "pluggy", "dateutil")}


def _imported(result: subprocess.CompletedProcess[str]) -> set[str]:
    return {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}


def test_keyring_is_imported_only_for_a_folder_that_keeps_its_key_there(tmp_path: Path) -> None:
    from inspector.keys import OsKeyStore, Unlocker
    from inspector.workspace import Workspace

    protected = tmp_path / "passphrase"
    Workspace.open(protected, unlocker=Unlocker(passphrase="mật-khẩu-dài-2026", prefer="passphrase")).close()
    in_store = tmp_path / "keyring"
    Workspace.open(in_store, unlocker=Unlocker(prefer="keyring")).close()
    assert not OsKeyStore.needed_for(protected)
    assert OsKeyStore.needed_for(in_store) and OsKeyStore.needed_for(tmp_path / "new")

    os.environ["INSPECTOR_PASSPHRASE"] = "mật-khẩu-dài-2026"
    try:
        by_passphrase = _start_and_quit(protected, "-X", "importtime")
    finally:
        del os.environ["INSPECTOR_PASSPHRASE"]
    assert by_passphrase.returncode == 0, by_passphrase.stderr
    assert "ui.views.main_window" in _imported(by_passphrase)
    assert not {m for m in _imported(by_passphrase) if m.split(".")[0] == "keyring"}

    by_key_store = _start_and_quit(in_store, "-X", "importtime")
    assert by_key_store.returncode == 0, by_key_store.stderr
    assert "keyring" in _imported(by_key_store)
