"""The whole journey through real widgets: prepare, record by keyboard and mouse, evidence,
undo/redo, close and reopen — everything is still there."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QDialog

from inspector.demo import evidence_image
from inspector.workspace import Services, Workspace
from tests.ui.conftest import close_context, open_context
from tests.ui.helpers import read, settle, type_text, when_modal, write
from ui.dialogs.inspection import InspectionDialog, read_choices
from ui.dialogs.note import NoteDialog
from ui.views.main_window import MainWindow


def _prepare_registry(s: Services) -> None:
    city = s.registry.add_unit("Thành phố Hà Nội", "city")
    ward = s.registry.add_unit("Phường Cầu Giấy", "ward", parent_id=city.id)
    ubnd = s.registry.add_unit("Ủy ban nhân dân phường Cầu Giấy", "agency", parent_id=ward.id)
    s.registry.add_person("Đỗ Thị Hương", position="Chủ tịch UBND phường", unit_id=ubnd.id, holds_leadership=True)
    s.registry.add_person("Bùi Văn Long", position="Phó Chủ tịch UBND phường", unit_id=ubnd.id, holds_leadership=True)


def _create_inspection_through_the_dialog(window: MainWindow, qtbot) -> str:  # type: ignore[no-untyped-def]
    ctx = window.ctx
    choices = read(ctx, lambda s: read_choices(s, ctx.tr))
    dialog = InspectionDialog(ctx, choices, None, window)
    qtbot.addWidget(dialog)
    type_text(dialog.decision_no, "27/QĐ-ĐKT")
    dialog.issuer.setText("Chủ tịch UBND thành phố Hà Nội")
    dialog.unit.choose(dialog.unit.search("ubnd cau giay")[0].id)
    dialog.checklist.setCurrentIndex(dialog.checklist.findData("ct24-lanh-dao@1"))
    dialog._fill_basis()
    # Saving with no subject is refused inline, with a message that says what to do.
    dialog.save()
    assert "Chưa có đối tượng kiểm tra" in dialog.subjects_error.text()
    when_modal(lambda picker: (
        [picker.list.item(n).setCheckState(Qt.CheckState.Checked) for n in range(picker.list.count())],
        picker.accept()))
    dialog.subjects._on_pick_people()
    assert dialog.subjects.count() == 2
    dialog.save()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted or bool(dialog.error.text()),
                    timeout=5000)
    assert dialog.error.text() == ""
    assert dialog.result_inspection is not None
    return dialog.result_inspection.id


def test_the_whole_journey(app_ctx, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctx = app_ctx
    data_dir = ctx.data_dir
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1440, 900)
    window.show()
    write(ctx, _prepare_registry)
    inspection_id = _create_inspection_through_the_dialog(window, qtbot)
    settle(ctx)  # the list refreshes from the broadcast of the commit
    assert window.inspections_page.model.row_of(inspection_id) >= 0

    window.open_inspection(inspection_id)
    settle(ctx)
    page = window.recording_page
    assert page.inspection is not None and page.inspection.id == inspection_id
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.inspection is not None and page.inspection.actual_start is not None)

    # Keyboard: digits set a level and move down; Delete clears; Tab moves to the next subject.
    view = page.view
    first_subject = page.model.subjects[0].id
    view.setCurrentIndex(page.model.index_for("LD-01", first_subject))
    view.setFocus()
    qtbot.keyClicks(view, "2103")
    settle(ctx)
    levels = {code: page.model.finding(code, first_subject).level for code in ("LD-01", "LD-02", "LD-03", "LD-04")}
    assert levels == {"LD-01": 2, "LD-02": 1, "LD-03": 0, "LD-04": 3}
    assert "Đã lưu lúc" in window.saved.text.text()
    view.setCurrentIndex(page.model.index_for("LD-04", first_subject))
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    settle(ctx)
    assert page.model.finding("LD-04", first_subject).level is None
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    second_subject = page.model.subjects[1].id
    assert page.model.cell_at(view.currentIndex())[1].id == second_subject

    # Mouse: the level buttons of the cell panel.
    view.setCurrentIndex(page.model.index_for("LD-05", second_subject))
    qtbot.mouseClick(page.cell_panel.level_buttons[3], Qt.MouseButton.LeftButton)
    settle(ctx)
    assert page.model.finding("LD-05", second_subject).level == 3

    # Enter opens the note; Ctrl+Enter saves it.
    def type_note(dialog) -> None:  # type: ignore[no-untyped-def]
        assert isinstance(dialog, NoteDialog)
        type_text(dialog.editor, "Yêu cầu công dân nộp thêm giấy tờ ngoài quy định")
        qtbot.keyClick(dialog.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    view.setFocus()
    when_modal(type_note)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    settle(ctx)
    assert page.model.finding("LD-05", second_subject).note == "Yêu cầu công dân nộp thêm giấy tờ ngoài quy định"

    # Evidence: through the panel (as the file dialog would) and by dropping a file on a cell.
    photo = tmp_path / "ảnh niêm yết.jpg"
    import random
    photo.write_bytes(evidence_image(random.Random(1), "Niêm yết", "Cầu Giấy", "09:10"))
    page.cell_panel.evidence.attach_requested.emit([str(photo)])
    settle(ctx)
    assert page.cell_panel.evidence.list.count() == 1
    dropped = tmp_path / "bien-ban-ghi-nhan.pdf"
    dropped.write_bytes(b"%PDF-1.4\n% minh chung\n")
    target = page.model.index_for("LD-02", first_subject)
    view.scrollTo(target)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(dropped))])
    point = view.visualRect(target).center()
    drop = QDropEvent(point.toPointF(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    view.dropEvent(drop)
    settle(ctx)
    finding = page.model.finding("LD-02", first_subject)
    assert page.model.evidence_counts.get(finding.id) == 1
    assert page.inspection_panel.evidence.list.count() == 2

    # Undo and redo (history is kept: each is a new event).
    window.activateWindow()
    view.setFocus()
    assert window.undo_action.isEnabled()
    window.undo_action.trigger()   # undoes the note
    settle(ctx)
    assert page.model.finding("LD-05", second_subject).note == ""
    window.undo_action.trigger()   # undoes level 3
    settle(ctx)
    assert page.model.finding("LD-05", second_subject).level is None
    window.redo_action.trigger()
    settle(ctx)
    assert page.model.finding("LD-05", second_subject).level == 3

    # The unit's explanation is saved while typing.
    page.tabs.setCurrentIndex(1)  # the inspection tab
    type_text(page.inspection_panel.explanation, "Đơn vị tiếp thu và khắc phục ngay.")
    page.inspection_panel.flush()
    settle(ctx)

    window.close()
    close_context(ctx)
    QApplication.processEvents()

    # Reopen: everything is there.
    again = open_context(data_dir)
    try:
        with Workspace.open(data_dir) as ws:
            s = ws.services
            insp = s.inspections.get(inspection_id)
            matrix = s.findings.matrix(inspection_id)
            subjects = [x.id for x in insp.subjects]
            assert matrix.get("LD-01", subjects[0]).level == 2
            assert matrix.get("LD-04", subjects[0]).level is None
            assert matrix.get("LD-05", subjects[1]).level == 3
            assert matrix.get("LD-05", subjects[1]).note == ""
            assert insp.explanation == "Đơn vị tiếp thu và khắc phục ngay."
            assert insp.actual_start is not None
            assert len(s.evidence.of_inspection(inspection_id)) == 2
            assert s.verify_events().ok
        reopened = MainWindow(again)
        qtbot.addWidget(reopened)
        reopened.open_inspection(inspection_id)
        settle(again)
        assert reopened.recording_page.model.finding("LD-01", subjects[0]).level == 2
        reopened.close()
    finally:
        close_context(again)
    assert window.ctx.errors.shown == []


