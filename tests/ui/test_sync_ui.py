"""The sync screen against a real central server on loopback: enrollment (a wrong token first),
a sync with progress that ends with the inspection complete on the server, a USB bundle written
and verified, and recording locked while this laptop and the server have diverged."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from inspector.central import admin
from inspector.changes import Changes
from inspector.domain import Inspection
from inspector.sync import state
from inspector.workspace import Services
from tests.factories import make_inspection
from tests.sync.harness import LiveServer
from tests.ui.helpers import read, settle, write
from ui.views.main_window import MainWindow


def _status_column(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [page.table.item(r, 1).text() for r in range(page.table.rowCount())]


def test_enroll_sync_and_export_from_the_sync_screen(window: MainWindow, qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                     screenshot_dir: Path) -> None:
    ctx = window.ctx

    def prepare(s: Services) -> Inspection:
        insp = make_inspection(s, subjects=3)
        s.findings.record(insp.id, "LD-01", insp.subjects[0].id, level=2, note="đi muộn 20 phút")
        s.evidence.attach_bytes(insp.id, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "anh-1.png")
        return insp

    insp = write(ctx, prepare)
    with LiveServer(tmp_path / "server") as server:
        window.navigation.setCurrentRow(3)
        page = window.sync_page
        settle(ctx)
        assert page.isVisible() and not page.sync_button.isEnabled()
        assert _status_column(page) == ["Chỉ có trên máy"]

        page.server_url.setText(server.url)
        page.token.setText("ma-sai-khong-ton-tai")
        qtbot.mouseClick(page.enroll_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "mã" in page.phase.text().lower() and "Đang" not in page.phase.text(),
                        timeout=15000)
        settle(ctx)
        assert not read(ctx, lambda s: s.sync.overview()).enrolled, page.phase.text()

        page.token.setText(server.token())
        qtbot.mouseClick(page.enroll_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.phase.text().startswith("Đã đăng ký"), timeout=15000)
        settle(ctx)
        assert read(ctx, lambda s: s.sync.overview()).enrolled and page.sync_button.isEnabled()
        assert not page.token.text()  # a one-time secret does not stay on screen

        qtbot.mouseClick(page.sync_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.phase.text().startswith("Đồng bộ xong"), timeout=30000)
        settle(ctx)
        assert _status_column(page) == ["Đã đủ trên máy chủ"]
        assert [r.complete for r in server.call(admin.inspections)] == [True]
        QApplication.processEvents()
        window.grab().save(str(screenshot_dir / "07b-dong-bo-xong.png"))

        bundle = tmp_path / "usb" / "goi.inspbundle"
        bundle.parent.mkdir()
        page.export_to(bundle)  # everything is receipted: nothing to carry, said plainly
        settle(ctx)
        assert "Không có dữ liệu mới" in page.phase.text() and not bundle.exists()

        write(ctx, lambda s: s.findings.record(insp.id, "LD-02", insp.subjects[1].id, level=1, note="sau đồng bộ"))
        page.export_to(bundle)
        settle(ctx)
        assert "An toàn để rút USB" in page.phase.text(), page.phase.text()
        assert bundle.is_file() and not list(bundle.parent.glob("*.tmp*"))


def test_recording_is_locked_while_the_laptop_and_server_diverge(window: MainWindow, qtbot,  # type: ignore[no-untyped-def]
                                                                 screenshot_dir: Path) -> None:
    ctx = window.ctx
    insp = write(ctx, lambda s: s.inspections.start(make_inspection(s, subjects=2).id))
    window.open_inspection(insp.id)
    settle(ctx)
    page = window.recording_page
    assert page.editable and not page.banner.isVisible()

    def diverge(s: Services) -> None:
        """What a refused push records (detected for real in tests/sync/test_protocol.py); here the
        link is written directly so the test is about the screen."""
        with s.ctx.store.transaction() as conn:
            state.save_link(conn, state.ServerLink("http://127.0.0.1:9", "s" * 64, bytes(32), bytes(32), "doan-1",
                                                   "2026-11-22T00:00:00Z", 0,
                                                   {"device": s.ctx.device.device_id, "epoch": 1, "seq": 3}))
        s.ctx.touch(Changes(sync=True))

    write(ctx, diverge)
    settle(ctx)
    assert not page.editable and page.banner.isVisible() and "đăng ký lại" in page.banner.text()
    QApplication.processEvents()
    window.grab().save(str(screenshot_dir / "02b-ghi-nhan-tam-khoa.png"))
    before = read(ctx, lambda s: s.findings.progress(insp.id))
    page.view.setFocus()
    qtbot.keyClicks(page.view, "2")
    settle(ctx)
    assert read(ctx, lambda s: s.findings.progress(insp.id)) == before

    def resolve(s: Services) -> None:  # re-enrollment resolves the fork
        with s.ctx.store.transaction() as conn:
            link = state.load_link(conn)
            assert link is not None and link.fork is not None
            state.save_link(conn, replace(link, fork={**link.fork, "resolved": True}))
        s.ctx.touch(Changes(sync=True))

    write(ctx, resolve)
    settle(ctx)
    assert page.editable and not page.banner.isVisible()
    qtbot.keyClicks(page.view, "2")
    settle(ctx)
    assert read(ctx, lambda s: s.findings.progress(insp.id)) != before
