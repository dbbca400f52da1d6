"""Nothing typed is lost: the minutes and conclusion forms and the inspection texts save themselves
(after a pause, on focus change, page switch and close), and a requirement added meanwhile does not
wipe what was being typed."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QDate, QPoint, Qt
from PySide6.QtWidgets import QApplication, QDialog, QPlainTextEdit

from inspector.domain import Inspection
from inspector.workspace import Workspace
from tests.factories import make_inspection
from tests.ui.conftest import close_context, open_context
from tests.ui.helpers import settle, type_text, when_modal, write
from ui.dialogs.requirement import RequirementDialog
from ui.views.documents_page import DocumentsPage
from ui.views.main_window import MainWindow


def _open_documents(window: MainWindow, insp: Inspection) -> DocumentsPage:
    window.open_inspection(insp.id)
    settle(window.ctx)
    window.navigation.setCurrentRow(2)
    settle(window.ctx)
    page = window.documents_page
    assert page.inspection_id == insp.id
    return page


def _type_row(qtbot, editor, values: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Add a row with the editor's button, then type each cell as a user would."""
    editor.add_row([""] * len(values), edit=True)  # "Thêm dòng": the first cell opens for typing
    for col, value in enumerate(values):
        QApplication.processEvents()
        type_text(QApplication.focusWidget(), value)
        if col < len(values) - 1:
            qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)  # Tab: the next cell opens
    # The last cell stays open, as if the user closed the window while typing in it.


def _type_lines(qtbot, editor, text: str) -> None:  # type: ignore[no-untyped-def]
    editor.setFocus()
    for n, line in enumerate(text.split("\n")):
        if n:
            qtbot.keyClick(editor, Qt.Key.Key_Return)
        type_text(editor, line)


def test_every_field_typed_is_there_after_closing_the_window(tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    ctx = open_context(data)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1366, 728)
    window.show()
    insp = write(ctx, lambda s: make_inspection(s, subjects=2))
    page = _open_documents(window, insp)
    m = page.minutes
    type_text(m.number, "07")
    m.place.selectAll()
    type_text(m.place, "Hoàn Kiếm")
    m.copies.setFocus()
    m.copies.selectAll()
    qtbot.keyClicks(m.copies, "4")
    box = m.with_secretary  # a click on its indicator (the widget spans the form's width)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    _type_row(qtbot, m.reps, ["Phạm Văn Bình", "Phó Chủ tịch UBND phường"])
    _type_row(qtbot, m.others, ["Ngô Thị Mai", "Công chức một cửa", "Người cung cấp thông tin"])
    _type_row(qtbot, m.refusals, ["Đặng Văn Tú", "Vắng mặt"])
    for editor, text in ((m.strengths, "Niêm yết thủ tục đầy đủ."), (m.requests, "Đeo thẻ công chức ngay."),
                         (m.recipients, "Như trên;\nLưu: VT.")):
        _type_lines(qtbot, editor, text)

    page.tabs.setCurrentIndex(1)
    c = page.conclusion
    c.doc_type.setCurrentIndex(c.doc_type.findData("notice"))
    for line, text in ((c.superior, "UBND THÀNH PHỐ HÀ NỘI"), (c.issuing, "ĐOÀN KIỂM TRA CÔNG VỤ"),
                       (c.number, "15"), (c.authority_body, "ĐOÀN KIỂM TRA"), (c.position, "TRƯỞNG ĐOÀN"),
                       (c.signer, "Nguyễn Văn Hùng")):
        line.setFocus()
        type_text(line, text)
    c.issue_date.setDate(QDate(2026, 11, 30))
    c.authority.setCurrentIndex(c.authority.findData("deputy"))
    for editor, text in ((c.summary, "Phát hiện 2 biểu hiện."), (c.strengths, "Chấp hành giờ giấc."),
                         (c.shortcomings, "Một công chức không đeo thẻ."), (c.causes, "Thiếu kiểm tra thường xuyên."),
                         (c.follow_up, "Báo cáo kết quả trước 30/12."), (c.recipients, "Như trên;\nLưu: VT.")):
        _type_lines(qtbot, editor, text)

    rec = window.recording_page
    window.navigation.setCurrentRow(1)
    rec.tabs.setCurrentIndex(1)  # the inspection tab
    rec.inspection_panel.explanation.setFocus()
    type_text(rec.inspection_panel.explanation, "Đơn vị tiếp thu.")
    rec.inspection_panel.remarks.setFocus()
    type_text(rec.inspection_panel.remarks, "Cần chấn chỉnh.")

    window.close()  # nothing pressed: no save button exists any more
    assert not window.isVisible()
    close_context(ctx)

    with Workspace.open(data) as ws:
        s = ws.services
        md = s.documents.minutes_details(insp.id)
        assert (md.number, md.place_name, md.copies, md.with_secretary) == ("07", "Hoàn Kiếm", 4, False)
        assert md.unit_representatives == (("Phạm Văn Bình", "Phó Chủ tịch UBND phường"),)
        assert md.other_participants == (("Ngô Thị Mai", "Công chức một cửa", "Người cung cấp thông tin"),)
        assert md.refusals == (("Đặng Văn Tú", "Vắng mặt"),)
        assert (md.strengths, md.immediate_requests) == ("Niêm yết thủ tục đầy đủ.", "Đeo thẻ công chức ngay.")
        assert md.recipients == ("Như trên;", "Lưu: VT.")
        cd = s.documents.conclusion_details(insp.id)
        assert (cd.doc_type, cd.superior_body, cd.issuing_body, cd.number, cd.issue_date) == (
            "notice", "UBND THÀNH PHỐ HÀ NỘI", "ĐOÀN KIỂM TRA CÔNG VỤ", "15", "2026-11-30")
        assert (cd.findings_summary, cd.strengths, cd.shortcomings, cd.causes, cd.follow_up) == (
            "Phát hiện 2 biểu hiện.", "Chấp hành giờ giấc.", "Một công chức không đeo thẻ.",
            "Thiếu kiểm tra thường xuyên.", "Báo cáo kết quả trước 30/12.")
        assert (cd.signer_authority, cd.signer_authority_body, cd.signer_position, cd.signer_name) == (
            "deputy", "ĐOÀN KIỂM TRA", "TRƯỞNG ĐOÀN", "Nguyễn Văn Hùng")
        got = s.inspections.get(insp.id)
        assert (got.explanation, got.team_remarks) == ("Đơn vị tiếp thu.", "Cần chấn chỉnh.")
        # Each save is an event in the log, like every other change.
        assert s.ctx.store.scalar("SELECT count(*) FROM events WHERE type IN ('minutes.set', 'conclusion.set')") >= 2


def test_typing_pauses_save_within_a_second(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    insp = write(window.ctx, lambda s: make_inspection(s, subjects=1))
    page = _open_documents(window, insp)
    page.minutes.strengths.setFocus()
    type_text(page.minutes.strengths, "Đúng giờ.")
    assert page.save_state["minutes"].text().startswith("Đang soạn")
    qtbot.waitUntil(lambda: page.save_state["minutes"].text().startswith("Đã lưu lúc"), timeout=2000)
    settle(window.ctx)
    with Workspace.open(window.ctx.data_dir) as ws:
        assert ws.services.documents.minutes_details(insp.id).strengths == "Đúng giờ."


def test_adding_a_requirement_keeps_what_is_being_typed(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    insp = write(window.ctx, lambda s: make_inspection(s, subjects=1))
    page = _open_documents(window, insp)
    page.tabs.setCurrentIndex(1)
    strengths: QPlainTextEdit = page.conclusion.strengths
    strengths.setFocus()
    type_text(strengths, "Tiếp dân đúng quy định.")

    def add(dialog: QDialog) -> None:
        assert isinstance(dialog, RequirementDialog)
        type_text(dialog.content, "Chấn chỉnh việc đeo thẻ công chức.")
        type_text(dialog.responsible, "Chủ tịch UBND phường")
        dialog.save()

    when_modal(add)
    page._edit_requirement(None)
    qtbot.waitUntil(lambda: page.conclusion.requirements.rowCount() == 1, timeout=5000)
    settle(window.ctx)
    assert strengths.toPlainText() == "Tiếp dân đúng quy định."
    with Workspace.open(window.ctx.data_dir) as ws:
        assert ws.services.documents.conclusion_details(insp.id).strengths == "Tiếp dân đúng quy định."


def test_a_refused_save_keeps_the_text_and_closing_asks(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    insp = write(window.ctx, lambda s: make_inspection(s, subjects=1))
    page = _open_documents(window, insp)
    page.minutes.strengths.setPlainText("x" * 100_000)  # over the limit: the service refuses it
    page.flush()
    settle(window.ctx)
    assert page.minutes.strengths.toPlainText() == "x" * 100_000
    assert page.savers["minutes"].dirty and "Ưu điểm" in page.save_state["minutes"].text()
    asked: list[str] = []

    def stay(box) -> None:  # type: ignore[no-untyped-def]
        asked.append(box.text())
        next(b for b in box.buttons() if b.text() == "Ở lại để lưu").click()

    when_modal(stay)
    window.close()
    assert asked and "Biên bản" in asked[0] and window.isVisible()
    page.minutes.strengths.setPlainText("Ngắn gọn.")
    window.close()
    assert not window.isVisible()
