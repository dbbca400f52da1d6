"""The verification report of a PDF: each signature, its integrity, trust, times, coverage."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QTextBrowser, QVBoxLayout, QWidget

from inspector.errors import UserError
from inspector.services.documents import FileCheck
from ui.context import AppContext

KINDS = {"minutes": "biên bản", "conclusion": "kết luận"}


def _time(moment: Any) -> str:
    return moment.strftime("%d/%m/%Y %H:%M:%S") if moment else "—"


def report_html(check: FileCheck, name: str, has_trust: bool) -> str:
    r = check.report
    yes = {True: "<span style='color:#1e5631'>có</span>", False: "<b style='color:#b91c1c'>KHÔNG</b>"}
    verdict = ("<p style='color:#1e5631;font-size:13pt'><b>Mọi chữ ký đều nguyên vẹn và hợp lệ.</b></p>" if r.ok
               else "<p style='color:#b91c1c;font-size:13pt'><b>KHÔNG HỢP LỆ</b>: tệp đã bị thay đổi sau khi ký,"
                    " có chữ ký không hợp lệ, hoặc không có chữ ký số nào.</p>")
    parts = [f"<h3>{escape(name)}</h3>", verdict, f"<p style='color:#6b7280'>SHA-256: {check.sha256}</p>"]
    for n, s in enumerate(r.signatures, start=1):
        problems = "".join(f"<li>{escape(p)}</li>" for p in s.problems)
        parts.append(
            f"<h4>Chữ ký {n}: {escape(s.signer_name or '(không đọc được)')}</h4><table cellpadding='2'>"
            f"<tr><td>Nguyên vẹn</td><td>{yes[s.intact]}</td></tr><tr><td>Hợp lệ</td><td>{yes[s.valid]}</td></tr>"
            f"<tr><td>Tin cậy</td><td>{yes[s.trusted]}</td></tr>"
            f"<tr><td>Thời điểm ký (máy người ký tự khai)</td><td>{_time(s.claimed_time)}</td></tr>"
            f"<tr><td>Thời điểm có dấu thời gian chứng thực</td><td>{_time(s.proven_time)}</td></tr>"
            f"<tr><td>Phạm vi</td><td>{escape(s.coverage.label)}</td></tr></table>"
            + (f"<ul>{problems}</ul>" if problems else ""))
    for t in r.timestamps:
        parts.append(f"<p>Dấu thời gian: {_time(t.time)} — {escape(t.tsa_name)} — hợp lệ: {yes[t.valid]}</p>")
    parts += [f"<p>{escape(p)}</p>" for p in r.problems]
    if check.matches:
        for m in check.matches:
            state = "đã niêm phong" if m.sealed else "chưa niêm phong"
            parts.append(f"<p>Khớp với {KINDS[m.kind]} của đợt kiểm tra <code>{m.inspection_id}</code> ({state}).</p>")
    else:
        parts.append("<p>Tệp không trùng với văn bản nào trong kho dữ liệu của máy này.</p>")
    if not has_trust:
        parts.append("<p style='color:#7a5a00'>Chưa chọn thư mục chứng thư gốc tin cậy (Cài đặt): chưa kết luận"
                     " được về độ tin cậy của người ký.</p>")
    return "".join(parts)


class VerifyDialog(QDialog):
    def __init__(self, ctx: AppContext, check: FileCheck, name: str, has_trust: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(ctx.tr("Kiểm tra chữ ký số"))
        self.resize(720, 560)
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setAccessibleName(ctx.tr("Kết quả kiểm tra chữ ký"))
        self.browser.setHtml(report_html(check, name, has_trust))
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def verify_pdf_bytes(ctx: AppContext, pdf: bytes, name: str, parent: QWidget | None) -> None:
    """Verify in the background against the configured trust roots, then show the report."""
    trust = ctx.services.settings.get("trust_dir", "")

    def job(s, _task):  # type: ignore[no-untyped-def]
        from inspector.signing import load_trust_roots

        roots = load_trust_roots(Path(trust)) if trust else []
        return s.documents.check_file(pdf, roots)

    def done(check: FileCheck) -> None:
        dialog = VerifyDialog(ctx, check, name, bool(trust), parent)  # owned by its parent widget
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setModal(False)
        dialog.show()

    ctx.workers.run(job, done)


def ask_and_verify(ctx: AppContext, parent: QWidget | None) -> None:
    path, _ = QFileDialog.getOpenFileName(parent, ctx.tr("Chọn tệp PDF cần kiểm tra"), "",
                                          ctx.tr("Tệp PDF (*.pdf)"))
    if path:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            ctx.errors.show(UserError("Không đọc được tệp {path}: {reason}.", path=path,
                                      reason=exc.strerror or str(exc)))
            return
        verify_pdf_bytes(ctx, data, Path(path).name, parent)
