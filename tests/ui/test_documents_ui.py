"""The documents screen: minutes details, a drawn signature, PKCS#12 signing, the seal, the
preview (QtPdf) and the verification report, through real widgets."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel

from inspector.services.inspections import InspectionQuery
from tests.signing.pki import PASSPHRASE, make_pki, make_signer
from tests.ui.helpers import read, settle, when_modal, write
from ui.dialogs.pdf_preview import PdfPreviewDialog
from ui.dialogs.signing import DrawDialog, SigningDialog, read_setup
from ui.dialogs.verify import VerifyDialog
from ui.views.main_window import MainWindow


def _draw(qtbot, pad) -> None:  # type: ignore[no-untyped-def]
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(30, 120))
    for x, y in ((80, 40), (130, 130), (190, 50), (260, 110), (330, 70)):
        qtbot.mouseMove(pad, QPoint(x, y))
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(330, 70))


def test_sign_minutes_from_the_documents_screen(window: MainWindow, qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                screenshot_dir: Path) -> None:
    from inspector.demo import load_demo

    ctx = window.ctx
    write(ctx, lambda s: load_demo(s, inspections=5))
    target = next(r for r in read(ctx, lambda s: s.inspections.find(InspectionQuery()))
                  if r.status == "recorded" and r.checklist_id == "ct24-lanh-dao")
    window.open_inspection(target.id)
    window.navigation.setCurrentRow(2)
    page = window.documents_page
    settle(ctx)
    assert page.inspection_id == target.id and page.isEnabled()
    page.minutes.reps.add_row(["Phạm Văn Bình", "Phó Chủ tịch UBND phường"])
    page.minutes.strengths.setPlainText("Đơn vị chấp hành tốt giờ giấc làm việc.")
    page.save("minutes")
    settle(ctx)
    assert read(ctx, lambda s: s.documents.minutes_details(target.id)).unit_representatives[0][0] == "Phạm Văn Bình"

    page.preview("minutes")
    qtbot.waitUntil(lambda: page.findChild(PdfPreviewDialog) is not None, timeout=10000)
    preview = page.findChild(PdfPreviewDialog)
    assert preview.document.pageCount() >= 3
    QApplication.processEvents()
    preview.grab().save(str(screenshot_dir / "12-xem-truoc-bien-ban.png"))
    preview.close()

    pki = make_pki()
    p12 = tmp_path / "truong-doan.p12"
    team = read(ctx, lambda s: s.inspections.get(target.id)).team
    assert team is not None
    leader_name = next(m.full_name for m in team.members if m.role == "leader")
    p12.write_bytes(make_signer(pki, leader_name).pkcs12(PASSPHRASE))  # the leader's own certificate
    stranger = tmp_path / "nguoi-khac.p12"
    stranger.write_bytes(make_signer(pki, "Trần Văn Khác").pkcs12(PASSPHRASE))
    dialog = SigningDialog(ctx, target.id, "minutes", read(ctx, lambda s: read_setup(s, target.id, "minutes")),
                           window)
    qtbot.addWidget(dialog)
    rows = {row.role: row for row in dialog.rows}
    assert set(rows) == {"unit_rep", "secretary", "leader"}
    assert "Xem lại trước khi ký" in dialog.findChildren(QLabel)[0].text()
    assert not dialog.sign_button.isEnabled()  # nothing is signed before the review is confirmed
    dialog.confirm.setChecked(True)
    dialog.sign()  # nothing drawn, no credential: refused inline with a message
    assert "chưa ký tay" in dialog.error.text()

    def draw_and_accept(draw_dialog) -> None:  # type: ignore[no-untyped-def]
        assert isinstance(draw_dialog, DrawDialog)
        _draw(qtbot, draw_dialog.pad)
        draw_dialog.accept()

    when_modal(draw_and_accept)
    rows["unit_rep"]._on_draw()
    assert rows["unit_rep"].drawn and rows["unit_rep"].drawn.startswith(b"\x89PNG")
    rows["secretary"].set_drawn(rows["unit_rep"].drawn)
    leader = rows["leader"]
    leader.method.setCurrentIndex(leader.method.findData("pkcs12"))
    dialog.show()

    # A wrong password: the certificate cannot be read, said in the row; nothing signs.
    leader.p12_path.setText(str(p12))
    leader.passphrase.setText("mật khẩu sai")
    qtbot.waitUntil(lambda: "mật khẩu" in leader.cert_info.text().lower(), timeout=10000)
    dialog.sign()
    assert "chưa ký được" in dialog.error.text().lower() and dialog.result_document is None

    # Another person's certificate: shown, refused; only a typed reason lets it sign for the leader.
    leader.p12_path.setText(str(stranger))
    leader.passphrase.setText(PASSPHRASE)
    qtbot.waitUntil(lambda: leader.certificate is not None, timeout=10000)
    assert "Trần Văn Khác" in leader.cert_info.text() and leader.override.isVisible()
    assert not leader.ready
    dialog.sign()
    assert dialog.result_document is None and dialog.error.text()

    # The leader's own certificate: holder, issuer, serial and validity shown, and it matches.
    leader.p12_path.setText(str(p12))
    qtbot.waitUntil(lambda: leader.certificate is not None and leader.problem is None, timeout=10000)
    shown = leader.cert_info.text()
    assert leader_name in shown and "Số hiệu" in shown and "Hiệu lực" in shown and "Đúng người ký" in shown
    QApplication.processEvents()
    dialog.grab().save(str(screenshot_dir / "13-ky-bien-ban.png"))
    dialog.sign()
    qtbot.waitUntil(lambda: dialog.result_document is not None or bool(dialog.error.text()), timeout=30000)
    assert dialog.result_document is not None, dialog.error.text()
    assert read(ctx, lambda s: s.inspections.get(target.id)).status == "sealed"
    settle(ctx)  # the page refreshed from the broadcast of the commit
    assert page.issued.rowCount() == 1 and not page.minutes_sign_button.isEnabled()
    assert window.recording_page.banner.isVisible() or not window.recording_page.editable

    page.issued.selectRow(0)
    page._on_verify_issued()
    qtbot.waitUntil(lambda: page.findChild(VerifyDialog) is not None, timeout=10000)
    report = page.findChild(VerifyDialog).browser.toPlainText()
    assert "nguyên vẹn và hợp lệ" in report and "đã niêm phong" in report
    page.findChild(VerifyDialog).grab().save(str(screenshot_dir / "14-kiem-tra-chu-ky.png"))
    page.tabs.setCurrentIndex(2)
    window.grab().save(str(screenshot_dir / "15-van-ban-da-ky.png"))
    assert ctx.errors.shown == []
