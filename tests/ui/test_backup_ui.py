"""Backup and restore from the app: the backup (still encrypted) goes to a folder or USB stick and is
checked; a restore fills a new data directory, which then holds everything, in a new epoch; a
damaged backup or a directory in use is refused with a clear message and nothing changes."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from tests.factories import make_inspection
from tests.ui.conftest import close_context, open_context
from tests.ui.helpers import read, settle, when_modal, write
from ui.dialogs.backup import RestoreDialog, backup_now
from ui.views.main_window import MainWindow


def test_backup_then_restore_into_a_new_directory(window: MainWindow, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctx = window.ctx

    def prepare(s):  # type: ignore[no-untyped-def]
        insp = make_inspection(s, subjects=2)
        s.inspections.start(insp.id)
        s.findings.record(insp.id, "LD-01", insp.subjects[0].id, level=2, note="đi muộn")
        s.evidence.attach_bytes(insp.id, b"\x89PNG\r\n\x1a\n" + bytes(range(200)) * 20, "anh.png")
        return insp

    insp = write(ctx, prepare)
    usb = tmp_path / "usb"
    usb.mkdir()
    said: list[str] = []
    when_modal(lambda box: (said.append(box.text()), box.accept()))
    backup_now(ctx, window, str(usb))
    qtbot.waitUntil(lambda: bool(said), timeout=30000)
    assert "Đã sao lưu vào" in said[0] and "toàn vẹn" in said[0]
    manifests = list(usb.rglob("inspector-backup.json"))
    assert len(manifests) == 1
    made = [manifests[0].parent]

    dialog = RestoreDialog(ctx, window)
    qtbot.addWidget(dialog)
    dialog.source.setText(str(made[0]))
    dialog.target.setText(str(ctx.data_dir))  # the directory in use: refused before anything runs
    dialog.run()
    assert "đang dùng" in dialog.error.text() and dialog.result_restore is None
    new_dir = tmp_path / "khoi-phuc"
    dialog.target.setText(str(new_dir))
    dialog.run()
    qtbot.waitUntil(lambda: dialog.result_restore is not None or bool(dialog.error.text()), timeout=60000)
    assert dialog.result_restore is not None, dialog.error.text()
    assert dialog.result_restore.epoch == 2

    again = open_context(new_dir)
    try:
        matrix = read(again, lambda s: s.findings.matrix(insp.id))
        assert matrix.get("LD-01", insp.subjects[0].id).note == "đi muộn"
        assert len(read(again, lambda s: s.evidence.of_inspection(insp.id))) == 1
        assert read(again, lambda s: s.verify_events().ok)
    finally:
        close_context(again)


def test_a_damaged_backup_is_refused(window: MainWindow, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctx = window.ctx
    write(ctx, lambda s: make_inspection(s, subjects=1))
    usb = tmp_path / "usb"
    usb.mkdir()
    when_modal(lambda box: box.button(QMessageBox.StandardButton.Ok).click())
    backup_now(ctx, window, str(usb))
    settle(ctx)
    made = next(usb.rglob("inspector-backup.json")).parent
    files = [p for p in made.rglob("*") if p.is_file() and p.name != "inspector-backup.json"]
    victim = max(files, key=lambda p: p.stat().st_size)  # the database copy: one flipped byte
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    dialog = RestoreDialog(ctx, window)
    qtbot.addWidget(dialog)
    dialog.source.setText(str(made))
    target = tmp_path / "moi"
    dialog.target.setText(str(target))
    dialog.run()
    qtbot.waitUntil(lambda: bool(dialog.error.text()) or dialog.result_restore is not None, timeout=60000)
    assert dialog.result_restore is None and dialog.error.text()
    assert not target.exists() or not any(target.iterdir())  # nothing written
