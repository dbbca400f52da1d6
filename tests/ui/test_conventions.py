"""Desktop conventions: remembered geometry and splitters, no camera, crash reports (first run:
test_first_run.py)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from inspector.workspace import Services
from tests.ui.conftest import close_context, open_context
from tests.ui.helpers import read, settle, when_modal, write
from ui.views.main_window import MainWindow


def test_geometry_and_splitters_are_remembered(tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx = open_context(tmp_path / "data")
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    window.resize(1234, 777)
    window.navigation.setCurrentRow(1)
    window.recording_page.splitter.setSizes([700, 300])
    sizes = window.recording_page.splitter.sizes()
    window.close()
    close_context(ctx)
    QApplication.processEvents()
    again = open_context(tmp_path / "data")
    reopened = MainWindow(again)
    qtbot.addWidget(reopened)
    reopened.show()
    assert (reopened.width(), reopened.height()) == (1234, 777)
    reopened.navigation.setCurrentRow(1)
    assert reopened.recording_page.splitter.sizes() == sizes
    reopened.close()
    close_context(again)


def test_camera_absent_gives_a_clear_message(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    from ui.dialogs.camera import capture_photo

    seen: list[str] = []

    def close(box) -> None:  # type: ignore[no-untyped-def]
        seen.append(box.text())
        box.accept()

    when_modal(close)
    assert capture_photo(window.ctx.tr, window) is None
    assert seen and "Không tìm thấy camera" in seen[0]


def test_an_unexpected_error_becomes_a_crash_report_and_nothing_is_lost(app_ctx, qtbot) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import make_inspection

    insp = write(app_ctx, lambda s: make_inspection(s, subjects=1))
    before = read(app_ctx, lambda s: s.ctx.store.scalar("SELECT count(*) FROM events"))

    def broken(_services: Services) -> None:
        raise ZeroDivisionError("lỗi lập trình giả định")

    app_ctx.ops.write(broken)
    settle(app_ctx)
    assert isinstance(app_ctx.errors.shown[-1], ZeroDivisionError)
    assert app_ctx.errors.last_report and "ZeroDivisionError" in app_ctx.errors.last_report
    assert read(app_ctx, lambda s: s.ctx.store.scalar("SELECT count(*) FROM events")) == before
    assert read(app_ctx, lambda s: s.inspections.get(insp.id)).id == insp.id
    app_ctx.errors.shown.clear()  # this bug was made on purpose


def test_the_last_inspection_and_page_come_back_after_a_restart(tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import make_inspection

    ctx = open_context(tmp_path / "data")
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    insp = write(ctx, lambda s: make_inspection(s, subjects=1))
    window.open_inspection(insp.id)
    window.navigation.setCurrentRow(2)  # the documents page
    settle(ctx)
    window.close()
    close_context(ctx)
    QApplication.processEvents()
    again = open_context(tmp_path / "data")
    reopened = MainWindow(again)
    qtbot.addWidget(reopened)
    reopened.show()
    reopened.restore_session()
    settle(again)
    assert reopened.current_inspection == insp.id and reopened.navigation.currentRow() == 2
    assert reopened.documents_page.inspection_id == insp.id
    assert reopened.recording_page.inspection is not None and reopened.recording_page.inspection.id == insp.id
    reopened.close()
    close_context(again)
