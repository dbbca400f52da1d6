"""The verification report of a PDF: each signature, its integrity, trust, times, coverage."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QTextBrowser, QVBoxLayout, QWidget

from inspector.errors import UserError
from inspector.i18n import Translator
from inspector.services.documents import FileCheck
from inspector.workspace import Services
from ui.context import AppContext
from ui.ops import TaskContext

KINDS = {"minutes": "biên bản", "conclusion": "kết luận"}


def _time(moment: Any) -> str:
    return moment.strftime("%d/%m/%Y %H:%M:%S") if moment else "—"


def report_html(tr: Translator, check: FileCheck, name: str, has_trust: bool) -> str:
    r = check.report
    yes = {True: "<span style='color:#1e5631'>" + escape(tr("có")) + "</span>",
           False: "<b style='color:#b91c1c'>" + escape(tr("KHÔNG")) + "</b>"}
    if r.ok:
        verdict = "<p style='color:#1e5631;font-size:13pt'><b>{}</b></p>".format(
            escape(tr("Mọi chữ ký đều nguyên vẹn và hợp lệ.")))
    else:
        verdict = "<p style='color:#b91c1c;font-size:13pt'><b>{}</b></p>".format(escape(tr(
            "KHÔNG HỢP LỆ: tệp đã bị thay đổi sau khi ký, có chữ ký không hợp lệ, hoặc không có chữ ký số nào.")))
    parts = [f"<h3>{escape(name)}</h3>", verdict, f"<p style='color:#6b7280'>SHA-256: {check.sha256}</p>"]
    for n, s in enumerate(r.signatures, start=1):
        rows = ((tr("Nguyên vẹn"), yes[s.intact]), (tr("Hợp lệ"), yes[s.valid]), (tr("Tin cậy"), yes[s.trusted]),
                (tr("Thời điểm ký (máy người ký tự khai)"), _time(s.claimed_time)),
                (tr("Thời điểm có dấu thời gian chứng thực"), _time(s.proven_time)),
                (tr("Phạm vi"), escape(tr(s.coverage.label))))
        heading = tr("Chữ ký {n}: {signer}").format(n=n, signer=s.signer_name or tr("(không đọc được)"))
        parts.append(f"<h4>{escape(heading)}</h4><table cellpadding='2'>"
                     + "".join(f"<tr><td>{escape(label)}</td><td>{value}</td></tr>" for label, value in rows)
                     + "</table>")
        if s.problems:
            parts.append("<ul>" + "".join(f"<li>{escape(tr(p))}</li>" for p in s.problems) + "</ul>")
    for t in r.timestamps:
        parts.append("<p>" + escape(tr("Dấu thời gian: {time} — {tsa} — hợp lệ: {valid}").format(
            time=_time(t.time), tsa=t.tsa_name, valid=tr("có") if t.valid else tr("KHÔNG"))) + "</p>")
    parts += [f"<p>{escape(tr(p))}</p>" for p in r.problems]
    for m in check.matches:
        state = tr("đã niêm phong") if m.sealed else tr("chưa niêm phong")
        parts.append("<p>" + escape(tr("Khớp với {kind} của đợt kiểm tra {id} ({state}).").format(
            kind=tr(KINDS[m.kind]), id=m.inspection_id, state=state)) + "</p>")
    if not check.matches:
        parts.append("<p>" + escape(tr("Tệp không trùng với văn bản nào trong kho dữ liệu của máy này.")) + "</p>")
    if not has_trust:
        parts.append("<p style='color:#7a5a00'>" + escape(tr(
            "Chưa chọn thư mục chứng thư gốc tin cậy (Cài đặt): chưa kết luận được về độ tin cậy của người ký."))
                     + "</p>")
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
        self.browser.setHtml(report_html(ctx.tr, check, name, has_trust))
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def verify_pdf_bytes(ctx: AppContext, pdf: bytes, name: str, parent: QWidget | None) -> None:
    """Verify in the background against the configured trust roots, then show the report."""

    def job(s: Services, _task: TaskContext) -> tuple[FileCheck, bool]:
        trust = str(s.settings.get("trust_dir", ""))
        return s.documents.check_file_trusting(pdf, trust), bool(trust)

    def done(result: tuple[FileCheck, bool]) -> None:
        dialog = VerifyDialog(ctx, result[0], name, result[1], parent)  # owned by its parent widget
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setModal(False)
        dialog.show()

    ctx.ops.task(job, done, owner=parent)


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
