"""The sync screen with no network at all (issue 13): a laptop that was never enrolled reads the
office's enrollment file from a USB stick, exports a bundle at once, the central (in this process,
no HTTP) imports it and writes a receipt, and the laptop imports the receipt: enrolled and the
inspection complete on the server. A damaged file is refused in Vietnamese and changes nothing."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from inspector.central import admin
from inspector.central.bundles import import_bundle, write_receipt_file
from inspector.central.enrollment import write_enrollment_file
from inspector.central.server import Central
from inspector.domain import Inspection
from inspector.workspace import Services
from tests.factories import make_inspection
from tests.ui.helpers import read, settle, write
from ui.views.main_window import MainWindow


def test_enroll_from_a_file_export_and_import_the_receipt(window: MainWindow, tmp_path: Path,
                                                          screenshot_dir: Path) -> None:
    ctx = window.ctx

    def prepare(s: Services) -> Inspection:
        insp = make_inspection(s, subjects=2)
        s.findings.record(insp.id, "LD-01", insp.subjects[0].id, level=2, note="đi muộn 20 phút")
        s.evidence.attach_bytes(insp.id, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, "anh-1.png")
        return insp

    write(ctx, prepare)
    usb = tmp_path / "usb"
    usb.mkdir()
    central = Central(tmp_path / "central")
    try:
        enrollment = usb / "dang-ky.json"
        write_enrollment_file(central, "doan-1", enrollment, url="")
        window.navigation.setCurrentRow(3)
        page = window.sync_page
        settle(ctx)
        assert page.enroll_file_button.isVisible() and not page.sync_button.isEnabled()

        damaged = usb / "hong.json"
        damaged.write_bytes(enrollment.read_bytes()[:-40])
        page.enroll_from(damaged)
        settle(ctx)
        message = page.phase.text()
        assert "tệp đăng ký" in message.lower() and "Error" not in message and "inspector " not in message, message
        assert not read(ctx, lambda s: s.sync.overview()).enrolled

        page.enroll_from(enrollment)
        settle(ctx)
        assert page.phase.text().startswith("Đã đăng ký bằng tệp dang-ky.json"), page.phase.text()
        overview = read(ctx, lambda s: s.sync.overview())
        assert overview.enrolled and overview.enrollment_pending and overview.team == "doan-1"
        assert "văn phòng chưa xác nhận" in page.status.text() and not page.enroll_box.isVisible()
        assert not page.sync_button.isEnabled()  # the file named no server address: USB only
        QApplication.processEvents()
        window.grab().save(str(screenshot_dir / "07d-dang-ky-bang-tep.png"))

        bundle = usb / "goi.inspb"
        page.export_to(bundle)
        settle(ctx)
        assert "An toàn để rút USB" in page.phase.text(), page.phase.text()

        result = import_bundle(central, bundle)  # at the office, no network: registers the device
        receipt = usb / "goi.receipt.inspb"
        write_receipt_file(central, result.receipt, receipt)
        assert [d.team for d in admin.devices(central)] == ["doan-1"]
        assert [r.complete for r in admin.inspections(central)] == [True]

        page.import_from(receipt)
        settle(ctx)
        assert "biên nhận" in page.phase.text(), page.phase.text()
        overview = read(ctx, lambda s: s.sync.overview())
        assert overview.enrolled and not overview.enrollment_pending and overview.unsent_events == 0
        assert "chưa xác nhận" not in page.status.text()
        assert [page.table.item(r, 1).text() for r in range(page.table.rowCount())] == ["Đã đủ trên máy chủ"]
    finally:
        central.close()
