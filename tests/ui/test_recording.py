"""Recording as a team meets it: recording before the start asks to start, finishing and archiving
ask and say what is not assessed, undo and redo show the cell they change and say what changed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests.factories import make_inspection
from tests.ui.helpers import read, settle, when_modal, write
from ui.views.main_window import MainWindow


def _answer(button: QMessageBox.StandardButton, seen: list[str]):  # type: ignore[no-untyped-def]
    def act(box) -> None:  # type: ignore[no-untyped-def]
        seen.append(box.text())
        box.button(button).click()
    return act


def test_recording_before_the_start_asks_to_start(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx = window.ctx
    insp = write(ctx, lambda s: make_inspection(s, subjects=2))
    window.open_inspection(insp.id)
    settle(ctx)
    page = window.recording_page
    view = page.view
    view.setCurrentIndex(page.model.index_for("LD-01", insp.subjects[0].id))
    view.setFocus()
    seen: list[str] = []
    when_modal(_answer(QMessageBox.StandardButton.No, seen))
    qtbot.keyClick(view, Qt.Key.Key_2)
    settle(ctx)
    assert seen and "chưa ghi thời điểm bắt đầu" in seen[0]
    assert page.model.finding("LD-01", insp.subjects[0].id) is None  # "no": nothing recorded

    when_modal(_answer(QMessageBox.StandardButton.Yes, seen))
    view.setCurrentIndex(page.model.index_for("LD-01", insp.subjects[0].id))
    qtbot.keyClick(view, Qt.Key.Key_2)
    settle(ctx)
    stored = read(ctx, lambda s: s.inspections.get(insp.id))
    assert stored.actual_start is not None and stored.status == "in_progress"
    assert page.model.finding("LD-01", insp.subjects[0].id).level == 2
    qtbot.keyClick(view, Qt.Key.Key_1)  # started: no more questions (a question would block here)
    settle(ctx)
    assert len(seen) == 2


def test_finishing_and_archiving_ask_and_say_what_is_left(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx = window.ctx
    insp = write(ctx, lambda s: s.inspections.start(make_inspection(s, subjects=2).id))
    window.open_inspection(insp.id)
    settle(ctx)
    page = window.recording_page
    seen: list[str] = []
    when_modal(_answer(QMessageBox.StandardButton.No, seen))
    qtbot.mouseClick(page.finish_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    total = page.model.item_count * 2
    assert f"Còn {total} ô chưa đánh giá" in seen[0]
    assert read(ctx, lambda s: s.inspections.get(insp.id)).actual_end is None
    when_modal(_answer(QMessageBox.StandardButton.Yes, seen))
    qtbot.mouseClick(page.finish_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    assert read(ctx, lambda s: s.inspections.get(insp.id)).status == "recorded"

    window.navigation.setCurrentRow(0)
    listing = window.inspections_page
    settle(ctx)
    listing.select(insp.id)
    when_modal(_answer(QMessageBox.StandardButton.Yes, seen))
    qtbot.mouseClick(listing.archive_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    assert f"Còn {total}/{total} ô chưa đánh giá" in seen[-1]
    assert read(ctx, lambda s: s.inspections.get(insp.id)).summary.archived


def test_undo_and_redo_show_the_cell_and_say_what_changed(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx = window.ctx
    insp = write(ctx, lambda s: s.inspections.start(make_inspection(s, subjects=3).id))
    window.open_inspection(insp.id)
    settle(ctx)
    page = window.recording_page
    view = page.view
    far = page.model.groups[-1].items[-1].code  # the last item: the view must scroll to it
    subject = insp.subjects[2]
    view.setCurrentIndex(page.model.index_for(far, subject.id))
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_3)
    settle(ctx)
    view.setCurrentIndex(page.model.index_for("LD-01", insp.subjects[0].id))  # the user moved on
    view.scrollToTop()
    window.undo_action.trigger()
    settle(ctx)
    current = page.model.cell_at(view.currentIndex())
    assert current is not None and (current[0].code, current[1].id) == (far, subject.id)
    assert view.viewport().rect().intersects(view.visualRect(view.currentIndex()))
    assert window.statusBar().currentMessage() == f"Đã hoàn tác: {far} · {subject.name}: mức 3 → chưa đánh giá"
    window.redo_action.trigger()
    settle(ctx)
    assert window.statusBar().currentMessage() == f"Đã làm lại: {far} · {subject.name}: chưa đánh giá → mức 3"
    window.navigation.setCurrentRow(0)
    assert window.statusBar().currentMessage() == ""  # old messages clear on page switch
