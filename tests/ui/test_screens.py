"""Screenshots of every main screen (offscreen grabs), written as PNGs for people to look at,
plus checks that each screen shows what it should."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from inspector.demo import load_demo
from tests.ui.helpers import read, settle, write
from ui.dialogs.inspection import InspectionDialog, read_choices
from ui.dialogs.settings import SettingsDialog, read_settings
from ui.errors import CrashDialog, crash_report
from ui.views.catalog_page import ValidationDialog
from ui.views.main_window import MainWindow


def _save(widget, path: Path) -> QImage:  # type: ignore[no-untyped-def]
    QApplication.processEvents()
    image = widget.grab().toImage()
    assert image.save(str(path)), path
    assert image.width() > 300 and image.height() > 200
    samples = [image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)]
    background = max(set(samples), key=samples.count)
    drawn = sum(1 for p in samples if p != background) / len(samples)
    assert drawn > 0.01 and len(set(samples)) > 3, f"{path.name} looks blank"
    return image


def test_screenshots_of_every_main_screen(window: MainWindow, qtbot, screenshot_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctx = window.ctx
    write(ctx, lambda s: load_demo(s, inspections=9))
    settle(ctx)  # every view refreshed from the broadcast
    page = window.inspections_page
    assert page.model.rowCount() == 9
    _save(window, screenshot_dir / "01-danh-sach-dot-kiem-tra.png")

    page.search.setText("giang vo")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=3000)
    _save(window, screenshot_dir / "02-tim-kiem.png")
    page.search.clear()
    qtbot.waitUntil(lambda: page.model.rowCount() == 9, timeout=3000)

    recorded = next(r for r in read(ctx, lambda s: s.inspections.find()) if r.status == "recorded"
                    and r.checklist_id == "ct24-lanh-dao")
    window.open_inspection(recorded.id)
    settle(ctx)
    _save(window, screenshot_dir / "03-ghi-nhan-ma-tran.png")
    rec = window.recording_page
    rec.mode.setCurrentIndex(1)
    _save(window, screenshot_dir / "04-ghi-nhan-theo-doi-tuong.png")
    rec.tabs.setCurrentIndex(1)  # the inspection tab
    _save(window, screenshot_dir / "05-giai-trinh-minh-chung.png")

    window.navigation.setCurrentRow(2)
    settle(ctx)
    _save(window, screenshot_dir / "06-bien-ban-ket-luan.png")
    window.navigation.setCurrentRow(3)
    settle(ctx)
    _save(window, screenshot_dir / "07-dong-bo.png")
    window.navigation.setCurrentRow(4)
    settle(ctx)
    _save(window, screenshot_dir / "07b-don-vi-can-bo.png")
    window.navigation.setCurrentRow(5)
    settle(ctx)
    _save(window, screenshot_dir / "07c-danh-muc.png")

    dialog = InspectionDialog(ctx, read(ctx, lambda s: read_choices(s, ctx.tr)),
                              read(ctx, lambda s: s.inspections.get(recorded.id)), window)
    qtbot.addWidget(dialog)
    dialog.show()
    _save(dialog, screenshot_dir / "08-thong-tin-dot-kiem-tra.png")
    settings = SettingsDialog(ctx, read(ctx, read_settings), window)
    qtbot.addWidget(settings)
    settings.show()
    _save(settings, screenshot_dir / "09-cai-dat.png")

    bad = tmp_path / "bo-cau-hoi-loi.json"
    doc = json.loads(Path("resources/checklists/ct24-mot-cua.v1.json").read_text(encoding="utf-8"))
    doc["version"] = 2
    doc["items"][1]["manifestations"] = ["KL-99"]
    del doc["items"][3]["levels"]["2"]
    bad.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    window.catalog_page.import_file(bad)
    settle(ctx)
    error_dialog = window.catalog_page.last_error_dialog
    assert isinstance(error_dialog, ValidationDialog)
    texts = [error_dialog.problems.item(n).text() for n in range(error_dialog.problems.count())]
    # Structure is checked first; codes against the catalog once the structure is sound.
    assert any("items[3]" in t and "Thiếu trường bắt buộc “2”" in t for t in texts), texts
    _save(error_dialog, screenshot_dir / "10-loi-nhap-bo-cau-hoi.png")
    error_dialog.close()

    try:
        raise RuntimeError("ví dụ lỗi không mong đợi")
    except RuntimeError as exc:
        crash = CrashDialog(crash_report(exc), ctx.tr, tmp_path / "crash.txt", window)
    qtbot.addWidget(crash)
    crash.show()
    assert "RuntimeError" in crash.report.toPlainText()
    _save(crash, screenshot_dir / "11-loi-khong-mong-doi.png")
    assert ctx.errors.shown == []
