"""Signing a document: who signs, by hand and/or digitally (certificate file or USB token)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from inspector.errors import UserError
from inspector.i18n import Translator
from inspector.services.documents import DocumentRecord, PinError, Pkcs11Credential, Pkcs12Credential, SignerPlan
from inspector.workspace import Services
from ui.context import AppContext
from ui.dialogs.progress import follow
from ui.widgets.signature_pad import SignaturePad

DEFAULT_PKCS11 = {"win32": r"C:\Windows\System32\eTPKCS11.dll", "linux": "/usr/lib/libeTPkcs11.so"}


class DrawDialog(QDialog):
    def __init__(self, ctx: AppContext, who: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        tr = ctx.tr
        self.setWindowTitle(tr("Chữ ký tay — {who}").format(who=who))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("Ký bằng chuột, bút cảm ứng hoặc ngón tay vào khung dưới đây.")))
        self.pad = SignaturePad()
        self.pad.setAccessibleName(tr("Khung ký tay"))
        layout.addWidget(self.pad, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        clear = buttons.addButton(tr("Ký lại"), QDialogButtonBox.ButtonRole.ResetRole)
        clear.clicked.connect(self.pad.clear)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class SignerRow(QGroupBox):
    """One signer: their drawn signature and how they sign digitally."""

    def __init__(self, ctx: AppContext, role: str, title: str, name: str, *, digital_required: bool,
                 token: tuple[str, str]) -> None:
        super().__init__(f"{title}: {name or '…'}")
        self.ctx = ctx
        self.role = role
        self.name = name
        self.drawn: bytes | None = None
        tr = ctx.tr
        form = QFormLayout(self)
        draw_row = QHBoxLayout()
        self.preview = QLabel(tr("(chưa ký tay)"))
        self.preview.setMinimumHeight(48)
        draw_button = QPushButton(tr("Ký tay…"))
        draw_button.setToolTip(tr("Vẽ chữ ký tay; hình ảnh được đặt vào ô chữ ký của người này"))
        draw_button.clicked.connect(self._on_draw)
        draw_row.addWidget(self.preview, 1)
        draw_row.addWidget(draw_button)
        form.addRow(tr("Chữ ký tay"), draw_row)
        self.method = QComboBox()
        self.method.setAccessibleName(tr("Cách ký số"))
        if not digital_required:
            self.method.addItem(tr("Chỉ ký tay (không có chữ ký số)"), "none")
        self.method.addItem(tr("Tệp chứng thư số (.p12, .pfx)"), "pkcs12")
        self.method.addItem(tr("USB token (PKCS#11)"), "pkcs11")
        form.addRow(tr("Chữ ký số"), self.method)
        p12 = QWidget()
        p12_form = QFormLayout(p12)
        p12_row = QHBoxLayout()
        self.p12_path = QLineEdit()
        self.p12_path.setAccessibleName(tr("Tệp chứng thư số"))
        browse = QPushButton(tr("Chọn…"))
        browse.clicked.connect(self._on_browse)
        p12_row.addWidget(self.p12_path, 1)
        p12_row.addWidget(browse)
        p12_form.addRow(tr("Tệp"), p12_row)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName(tr("Mật khẩu tệp chứng thư"))
        p12_form.addRow(tr("Mật khẩu"), self.passphrase)
        token_box = QWidget()
        token_form = QFormLayout(token_box)
        self.module = QLineEdit(token[0] or DEFAULT_PKCS11.get(sys.platform, ""))
        self.module.setAccessibleName(tr("Thư viện PKCS#11 của token"))
        self.module.setToolTip(tr("Ví dụ SafeNet: eTPKCS11.dll; Bit4id: bit4xpki.dll"))
        self.token_label = QLineEdit(token[1])
        self.token_label.setAccessibleName(tr("Tên token"))
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setAccessibleName(tr("Mã PIN"))
        token_form.addRow(tr("Thư viện"), self.module)
        token_form.addRow(tr("Tên token"), self.token_label)
        token_form.addRow(tr("Mã PIN"), self.pin)
        warning = QLabel(tr("Lưu ý: token bị khóa sau 3 lần nhập sai mã PIN."))
        warning.setStyleSheet("color: #b45309;")
        token_form.addRow("", warning)
        self.forms = {"pkcs12": p12, "pkcs11": token_box}
        for widget in self.forms.values():  # only the form of the chosen method is shown (and sized)
            form.addRow(widget)
        self.method.currentIndexChanged.connect(lambda _i: self._show_method())
        self._show_method()

    def _show_method(self) -> None:
        chosen = self.method.currentData()
        for key, widget in self.forms.items():
            widget.setVisible(key == chosen)

    def _on_draw(self) -> None:
        dialog = DrawDialog(self.ctx, self.name or self.title(), self)
        if dialog.exec() and not dialog.pad.is_empty():
            self.set_drawn(dialog.pad.to_png())

    def set_drawn(self, png: bytes) -> None:
        self.drawn = png
        pixmap = QPixmap()
        pixmap.loadFromData(png)
        self.preview.setPixmap(pixmap.scaledToHeight(48, Qt.TransformationMode.SmoothTransformation))

    def _on_browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.ctx.tr("Chọn tệp chứng thư số"), "",
                                              self.ctx.tr("Chứng thư số (*.p12 *.pfx);;Mọi tệp (*)"))
        if path:
            self.p12_path.setText(path)

    def plan(self) -> SignerPlan:
        method = self.method.currentData()
        if method == "pkcs12":
            if not self.p12_path.text().strip():
                raise UserError("Chưa chọn tệp chứng thư số cho {who}.", who=self.name or self.title())
            credential: Pkcs12Credential | Pkcs11Credential | None = Pkcs12Credential(
                Path(self.p12_path.text().strip()), self.passphrase.text())
        elif method == "pkcs11":
            if not self.module.text().strip() or not self.token_label.text().strip():
                raise UserError("Chưa nhập thư viện PKCS#11 và tên token cho {who}.", who=self.name or self.title())
            credential = Pkcs11Credential(self.module.text().strip(), self.token_label.text().strip(),
                                          self.pin.text() or None)
        else:
            credential = None
            if self.drawn is None:
                raise UserError("{who} chưa ký tay.", who=self.name or self.title())
        return SignerPlan(self.role, self.drawn, credential)


@dataclass(frozen=True)
class SigningSetup:
    """Who signs (role, title, printed name, digital signature required) and the remembered token."""

    signers: list[tuple[str, str, str, bool]]
    token: tuple[str, str]


def _read_setup(s: Services, inspection_id: str, kind: str, tr: Translator) -> SigningSetup:
    token = (str(s.settings.get("pkcs11_module", "")), str(s.settings.get("pkcs11_token", "")))
    if kind == "conclusion":
        details = s.documents.conclusion_details(inspection_id)
        return SigningSetup([("signer", tr("Người ký kết luận"), details.signer_name, True)], token)
    insp = s.inspections.get(inspection_id)
    minutes = s.documents.minutes_details(inspection_id)
    members = insp.team.members if insp.team else ()
    rep = minutes.unit_representatives[0][0] if minutes.unit_representatives else ""
    out = [("unit_rep", tr("Đại diện đơn vị được kiểm tra"), rep, False)]
    secretary = next((m.full_name for m in members if m.role == "secretary"), "")
    if minutes.with_secretary and secretary:
        out.append(("secretary", tr("Thư ký"), secretary, False))
    leader = next((m.full_name for m in members if m.role == "leader"), "")
    out.append(("leader", tr("Trưởng đoàn"), leader, True))
    return SigningSetup(out, token)


def open_signing_dialog(ctx: AppContext, inspection_id: str, kind: str, parent: QWidget,
                        on_signed: Callable[[DocumentRecord], object]) -> None:
    """Read who signs, then open the dialog; `on_signed` runs once the document is issued."""

    def show(setup: SigningSetup) -> None:
        dialog = SigningDialog(ctx, inspection_id, kind, setup, parent)
        if dialog.exec() and dialog.result_document is not None:
            on_signed(dialog.result_document)

    ctx.ops.query(lambda s: _read_setup(s, inspection_id, kind, ctx.tr), show, owner=parent)


class SigningDialog(QDialog):
    """Collect every signer, then sign in one go (render, sign left to right, seal)."""

    def __init__(self, ctx: AppContext, inspection_id: str, kind: str, setup: SigningSetup,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.inspection_id = inspection_id
        self.kind = kind
        self.result_document: DocumentRecord | None = None
        tr = ctx.tr
        self.setWindowTitle(tr("Ký biên bản kiểm tra") if kind == "minutes" else tr("Ký kết luận kiểm tra"))
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)
        intro = QLabel(tr("Ký theo thứ tự từ trái sang phải trên văn bản; Trưởng đoàn ký cuối cùng. Khi Trưởng đoàn"
                          " ký số, đợt kiểm tra được niêm phong: không sửa được nữa, chỉ có thể tạo bản đính chính.")
                       if kind == "minutes" else
                       tr("Người có thẩm quyền ký số kết luận. Sau khi ký, kết luận được ban hành."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.rows: list[SignerRow] = []
        signers = QWidget()
        signers_layout = QVBoxLayout(signers)
        signers_layout.setContentsMargins(0, 0, 0, 0)
        for role, title, name, required in setup.signers:
            row = SignerRow(ctx, role, title, name, digital_required=required, token=setup.token)
            self.rows.append(row)
            signers_layout.addWidget(row)
        signers_layout.addStretch(1)
        area = QScrollArea()  # three signers do not fit a low laptop screen: they scroll
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setWidget(signers)
        area.setMinimumHeight(min(signers.sizeHint().height(), 420))
        layout.addWidget(area, 1)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.sign_button = self.buttons.addButton(tr("Ký"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.sign)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def plans(self) -> list[SignerPlan]:
        return [row.plan() for row in self.rows]

    def sign(self) -> None:
        tr = self.ctx.tr
        try:
            plans = self.plans()
        except UserError as exc:
            self.error.setText(exc.render(tr))
            return
        self.error.clear()
        self.sign_button.setEnabled(False)
        tokens = [(row.module.text().strip(), row.token_label.text().strip()) for row in self.rows
                  if row.method.currentData() == "pkcs11"]
        inspection_id, kind = self.inspection_id, self.kind

        def failed(exc: BaseException) -> None:
            self.sign_button.setEnabled(True)
            if isinstance(exc, PinError):
                for row in self.rows:
                    row.pin.clear()
            if isinstance(exc, UserError):
                self.error.setText(exc.render(tr))

        def done(document: DocumentRecord) -> None:
            self.result_document = document
            self.accept()

        def job(s: Services) -> DocumentRecord:
            document = s.documents.issue(inspection_id, kind, plans)
            if tokens:  # remembered for next time (never the PIN)
                s.settings.put_many({"pkcs11_module": tokens[0][0], "pkcs11_token": tokens[0][1]})
            return document

        handle = self.ctx.ops.write(job, done, failed, show_errors=False, owner=self)
        follow(handle, tr, tr("Đang tạo và ký văn bản…"), self)
