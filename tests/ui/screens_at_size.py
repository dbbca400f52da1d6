"""Every main screen and dialog on a small laptop screen: grabs PNGs and reports what is clipped.

Run by tests/ui/test_small_screens.py in a child process, because the offscreen platform's screen
size is fixed when Qt starts:  python -m tests.ui.screens_at_size WIDTH HEIGHT OUT_DIR
(WIDTH × HEIGHT is the screen's available area: the Windows taskbar already taken out). Prints one
JSON line per screen: its name, its size, and every button or field that does not fully show.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QWidget,
)


def clipped(window: QWidget) -> list[str]:
    """Visible buttons and fields of `window` that are cut off or too narrow for their text."""
    problems: list[str] = []
    for widget in window.findChildren(QWidget):
        if not isinstance(widget, QAbstractButton | QComboBox | QLineEdit) or not widget.isVisible():
            continue
        if widget.window() is not window or widget.width() <= 0:
            continue
        parent = widget.parentWidget()
        if isinstance(parent, QLineEdit | QComboBox | QAbstractSpinBox):
            continue  # the inner parts of a field (its clear button, a spin box's text) size with it
        ancestor = widget.parentWidget()
        scrolled = False
        while ancestor is not None and ancestor is not window:  # content of a scroll area may scroll
            if isinstance(ancestor, QAbstractScrollArea):
                scrolled = True
                break
            ancestor = ancestor.parentWidget()
        name = widget.accessibleName() or (widget.text() if isinstance(widget, QAbstractButton) else "") or (
            type(widget).__name__)
        if not scrolled and widget.visibleRegion().boundingRect().size() != widget.size():
            problems.append(f"cut off: {name}")
        hint = widget.minimumSizeHint()
        if isinstance(widget, QAbstractButton) and widget.text() and hint.width() > widget.width() + 1:
            problems.append(f"text does not fit: {name}")
        if hint.height() > widget.height() + 1:
            problems.append(f"squeezed (too low): {name}")
    return problems


def main() -> int:
    width, height, out = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    from inspector.demo import load_demo
    from inspector.services.inspections import InspectionDraft, SubjectSpec
    from inspector.workspace import Services
    from tests.ui.helpers import read, settle, write
    from ui.app import build_context, close_context
    from ui.dialogs.inspection import InspectionDialog, read_choices
    from ui.dialogs.note import NoteDialog
    from ui.dialogs.registry import PersonDialog, TeamDialog, UnitDialog, read_lists
    from ui.dialogs.requirement import RequirementDialog
    from ui.dialogs.settings import SettingsDialog, read_settings
    from ui.dialogs.signing import SigningDialog, read_setup
    from ui.dialogs.times import TimesDialog
    from ui.qt_strings import QtStringsTranslator
    from ui.theme import apply_theme
    from ui.views.main_window import MainWindow

    apply_theme(app)
    app.installTranslator(QtStringsTranslator(app))
    tag = f"{width}x{height}"
    ctx = build_context(Path(tempfile.mkdtemp(prefix="screens-")) / "data", interactive=False)
    write(ctx, lambda s: load_demo(s, inspections=9))
    window = MainWindow(ctx)
    window.resize(width, height)
    window.show()
    settle(ctx)

    def report(name: str, widget: QWidget) -> None:
        app.processEvents()
        widget.grab().save(str(out / f"{tag}-{name}.png"))
        info = {"screen": name, "size": [widget.width(), widget.height()], "clipped": clipped(widget),
                "fits": widget.width() <= width and widget.height() <= height}  # window frames aside
        if name == "02-ghi-nhan":
            page = window.recording_page
            view = page.view
            level_columns = [c for c, col in enumerate(page.model.columns) if col.kind == "level"]
            shown = [c for c in level_columns
                     if view.header().sectionViewportPosition(c) + view.columnWidth(c) <= view.viewport().width()]
            info["subject_columns_shown"] = len(shown)
            info["item_column"] = view.columnWidth(0)
        print(json.dumps(info, ensure_ascii=False), flush=True)

    recorded = next(r for r in read(ctx, lambda s: s.inspections.find())
                    if r.status == "recorded" and r.checklist_id == "ct24-lanh-dao")

    def ten_subjects(s: Services) -> str:  # a big team's day: ten people of one unit
        base = s.inspections.get(recorded.id)
        names = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thu Dung", "Hoàng Văn Em",
                 "Vũ Thị Giang", "Đặng Quốc Hải", "Bùi Thanh Hương", "Đỗ Minh Khoa", "Ngô Phương Linh")
        return s.inspections.create(InspectionDraft(
            decision_no="120/QĐ-ĐKT", decision_date=base.summary.decision_date, unit_id=base.summary.unit_id,
            checklist_id="ct24-lanh-dao", team_id=base.team.id if base.team else None,
            subjects=[SubjectSpec(n, "Chuyên viên") for n in names])).id

    window.open_inspection(write(ctx, ten_subjects))
    settle(ctx)
    for row, name in enumerate(("01-danh-sach", "02-ghi-nhan", "03-bien-ban", "04-dong-bo", "05-don-vi",
                                "06-danh-muc")):
        window.navigation.setCurrentRow(row)
        settle(ctx)
        report(name, window)

    inspection = read(ctx, lambda s: s.inspections.get(recorded.id))
    lists = read(ctx, read_lists)
    item = window.recording_page.model.groups[0].items[0]
    dialogs: list[tuple[str, Callable[[], QWidget]]] = [
        ("10-thong-tin-dot-kiem-tra", lambda: InspectionDialog(ctx, read(ctx, lambda s: read_choices(s, ctx.tr)),
                                                               inspection, window)),
        ("11-cai-dat", lambda: SettingsDialog(ctx, read(ctx, read_settings), window)),
        ("12-yeu-cau", lambda: RequirementDialog(ctx, recorded.id, None, window)),
        ("13-don-vi", lambda: UnitDialog(ctx, lists, None, window)),
        ("14-can-bo", lambda: PersonDialog(ctx, lists, None, window)),
        ("15-doan", lambda: TeamDialog(ctx, lists, None, window)),
        ("16-ky", lambda: SigningDialog(ctx, recorded.id, "minutes",
                                        read(ctx, lambda s: read_setup(s, recorded.id, "minutes")), window)),
        ("17-ghi-chu", lambda: NoteDialog(ctx.tr, item, inspection.subjects[0].name, "", window)),
        ("18-thoi-gian", lambda: TimesDialog(ctx, inspection, window)),
    ]
    for name, build in dialogs:
        dialog = build()
        dialog.show()
        settle(ctx)
        report(name, dialog)
        dialog.hide()
        dialog.deleteLater()
    window.close()
    close_context(ctx)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.exit(main())
