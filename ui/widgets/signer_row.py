"""One signer of a document: the drawn signature and the digital one, with the certificate shown
(holder, issuer, serial, validity, key usage) and checked against the slot's person before signing.

The certificate is read on the pool as soon as the file and its password, or the token, are given;
a holder who is not the slot's person can sign only with a typed reason (recorded, shown by
verification); an expired or not-yet-valid certificate, or a key that cannot sign, cannot sign.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inspector.clock import to_rfc3339
from inspector.errors import UserError
from inspector.services.documents import (
    CertificateInfo,
    DetectedModule,
    Pkcs11Credential,
    Pkcs12Credential,
    SignerPlan,
    SigningIdentity,
    TokenInfo,
)
from inspector.text import ui_datetime
from inspector.workspace import Services
from ui.context import AppContext
from ui.widgets.signature_pad import SignaturePad

Credential = Pkcs12Credential | Pkcs11Credential
CHECK_DELAY_MS = 500
OTHER_LIBRARY = "__other__"


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


def plain_name(human_friendly: str) -> str:
    """“Common Name: VNPT Certification Authority, Organization: VNPT Group, Country: VN” as a person
    reads it: “VNPT Certification Authority (VNPT Group, VN)” — no English attribute labels."""
    values: dict[str, str] = {}
    for part in human_friendly.split(", "):
        label, sep, value = part.partition(": ")
        if sep:
            values[label] = value
    if "Common Name" not in values:
        return human_friendly
    rest = [values[k] for k in ("Organization", "Country") if k in values]
    return values["Common Name"] + (f" ({', '.join(rest)})" if rest else "")


def certificate_html(ctx: AppContext, cert: CertificateInfo) -> str:
    tr = ctx.tr
    return "<br>".join((
        f"<b>{tr('Người được cấp')}:</b> {cert.common_name}",
        f"<b>{tr('Tổ chức cấp')}:</b> {plain_name(cert.issuer)}",
        f"<b>{tr('Số hiệu')}:</b> {cert.serial_hex}",
        f"<b>{tr('Hiệu lực')}:</b> {ui_datetime(to_rfc3339(cert.not_before))} – "
        f"{ui_datetime(to_rfc3339(cert.not_after))}",
        f"<b>{tr('Mục đích khóa')}:</b> {tr(cert.key_usage_text)}",
    ))


class SignerRow(QGroupBox):
    """One signature slot. `checked` says a certificate was read (or failed to be) for it."""

    changed = Signal()

    def __init__(self, ctx: AppContext, inspection_id: str, kind: str, role: str, title: str, name: str, *,
                 digital_required: bool, remembered: SigningIdentity | None,
                 modules: list[DetectedModule]) -> None:
        super().__init__(f"{title}: {name or '…'}")
        self.ctx = ctx
        self.inspection_id = inspection_id
        self.kind = kind
        self.role = role
        self.name = name
        self.drawn: bytes | None = None
        self.certificate: CertificateInfo | None = None
        self.problem: UserError | None = None
        self.override_needed = False
        self._check_token = 0
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
        where = QLabel(tr("Chữ ký số của người ký: tệp .p12/.pfx hoặc USB token do tổ chức cung cấp dịch vụ chứng thực"
                          " chữ ký số (VNPT-CA, Viettel-CA, BkavCA, FPT-CA…) cấp cho chính người đó; máy nhớ lần ký"
                          " trước, không bao giờ lưu mật khẩu hay mã PIN."))
        where.setWordWrap(True)
        where.setObjectName("hint")
        form.addRow(where)

        p12 = QWidget()
        p12_form = QFormLayout(p12)
        p12_form.setContentsMargins(0, 0, 0, 0)
        p12_row = QHBoxLayout()
        self.p12_path = QLineEdit(remembered.path if remembered and remembered.kind == "pkcs12" else "")
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
        token_form.setContentsMargins(0, 0, 0, 0)
        self.module = QComboBox()
        self.module.setAccessibleName(tr("Thư viện PKCS#11 của token"))
        self.module.setToolTip(tr("Trình điều khiển token do nhà cung cấp chữ ký số cài vào máy (VNPT-CA, Viettel-CA,"
                                  " BkavCA, FPT-CA…)"))
        for found in modules:
            self.module.addItem(f"{found.vendor} — {found.path}", found.path)
        if remembered and remembered.kind == "pkcs11" and self.module.findData(remembered.module) < 0:
            self.module.addItem(remembered.module, remembered.module)
        self.module.addItem(tr("Chọn tệp thư viện khác…"), OTHER_LIBRARY)
        if remembered and remembered.kind == "pkcs11":
            self.module.setCurrentIndex(self.module.findData(remembered.module))
        self.token = QComboBox()
        self.token.setAccessibleName(tr("Token"))
        self.refresh_tokens = QPushButton(tr("Tìm token"))
        self.refresh_tokens.setToolTip(tr("Cắm token rồi bấm để tìm lại"))
        token_row = QHBoxLayout()
        token_row.addWidget(self.token, 1)
        token_row.addWidget(self.refresh_tokens)
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setAccessibleName(tr("Mã PIN"))
        token_form.addRow(tr("Thư viện"), self.module)
        token_form.addRow(tr("Token"), token_row)
        token_form.addRow(tr("Mã PIN"), self.pin)
        warning = QLabel(tr("Lưu ý: token bị khóa sau 3 lần nhập sai mã PIN."))
        warning.setStyleSheet("color: #92400e;")
        token_form.addRow("", warning)
        self._remembered_token = remembered.token_label if remembered and remembered.kind == "pkcs11" else ""
        self.forms = {"pkcs12": p12, "pkcs11": token_box}
        for widget in self.forms.values():  # only the form of the chosen method is shown (and sized)
            form.addRow(widget)

        self.cert_info = QLabel()
        self.cert_info.setWordWrap(True)
        self.cert_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cert_info.setAccessibleName(tr("Chứng thư số sẽ ký"))
        form.addRow(self.cert_info)
        self.override = QCheckBox(tr("Người này được ủy quyền ký thay (ghi rõ lý do, lý do được lưu và in khi kiểm"
                                     " tra chữ ký)"))
        self.override_reason = QLineEdit()
        self.override_reason.setAccessibleName(tr("Lý do ký thay"))
        self.override_reason.setPlaceholderText(tr("ví dụ: Phó trưởng đoàn ký thay theo Quyết định số …"))
        form.addRow(self.override)
        form.addRow(self.override_reason)
        self.override.setVisible(False)
        self.override_reason.setVisible(False)
        self.override.toggled.connect(self._on_override_toggled)
        self.override_reason.textChanged.connect(lambda _t: self.changed.emit())

        if remembered is not None:
            self.method.setCurrentIndex(max(0, self.method.findData(remembered.kind)))
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(CHECK_DELAY_MS)
        self._timer.timeout.connect(self.check_certificate)
        self.method.currentIndexChanged.connect(lambda _i: self._on_method_changed())
        for field in (self.p12_path, self.passphrase):
            field.textChanged.connect(lambda _t: self._credential_edited())
        self.module.currentIndexChanged.connect(lambda _i: self._on_module_changed())
        self.token.currentIndexChanged.connect(lambda _i: self._credential_edited())
        self.refresh_tokens.clicked.connect(self.load_tokens)
        self._show_method()
        if self.method.currentData() == "pkcs11":
            self.load_tokens()

    # -- state ----------------------------------------------------------------------------------
    @property
    def digital(self) -> bool:
        return self.method.currentData() in ("pkcs12", "pkcs11")

    @property
    def ready(self) -> bool:
        """May this row sign as entered? (Nothing digital to check, or a certificate fit to sign.)"""
        if not self.digital:
            return self.drawn is not None
        if self.certificate is None:
            return False
        if self.problem is None:
            return True
        return self.override_needed and self.override.isChecked() and bool(self.override_reason.text().strip())

    def credential(self) -> Credential | None:
        method = self.method.currentData()
        if method == "pkcs12":
            path = self.p12_path.text().strip()
            return Pkcs12Credential(Path(path), self.passphrase.text()) if path else None
        if method == "pkcs11":
            module = self.module.currentData()
            token: TokenInfo | None = self.token.currentData()
            if not module or module == OTHER_LIBRARY or token is None:
                return None
            return Pkcs11Credential(module, token.label, self.pin.text() or None, slot=token.slot)
        return None

    def plan(self) -> SignerPlan:
        if self.digital and self.credential() is None:
            raise UserError("Chưa chọn chứng thư số cho {who}.", who=self.name or self.title(),
                            hint="Chọn tệp chứng thư và nhập mật khẩu, hoặc chọn token.")
        if not self.digital and self.drawn is None:
            raise UserError("{who} chưa ký tay.", who=self.name or self.title())
        if self.digital and not self.ready:
            raise UserError("Chứng thư số của {who} chưa ký được: {reason}", who=self.name or self.title(),
                            reason=self.problem.message(self.ctx.tr) if self.problem else self.ctx.tr(
                                "chưa đọc được chứng thư."))
        reason = self.override_reason.text().strip() if self.override.isChecked() else ""
        return SignerPlan(self.role, self.drawn, self.credential(), override_reason=reason)

    # -- the certificate, read on the pool -----------------------------------------------------
    def _credential_edited(self) -> None:
        self.certificate = None
        self.problem = None
        self.cert_info.setText(self.ctx.tr("Đang đọc chứng thư số…") if self.credential() else "")
        self._set_override(False)
        self._timer.start()
        self.changed.emit()

    def check_certificate(self) -> None:
        credential = self.credential()
        if credential is None or (isinstance(credential, Pkcs12Credential) and not credential.passphrase):
            self.cert_info.setText("")
            return
        self._check_token += 1
        token = self._check_token
        role, inspection_id, kind = self.role, self.inspection_id, self.kind

        def read(s: Services) -> tuple[CertificateInfo, UserError | None, bool]:
            cert = s.documents.signing_certificate(credential)
            check = next(c for c in s.documents.review(inspection_id, kind, certificates={role: cert}).signers
                         if c.role == role)
            return cert, check.problem, check.override_needed

        def show(result: tuple[CertificateInfo, UserError | None, bool]) -> None:
            if token != self._check_token:
                return  # the credential changed meanwhile
            self.certificate, self.problem, self.override_needed = result
            html = certificate_html(self.ctx, self.certificate)
            if self.problem is not None:
                html += "<br><span style='color:#b91c1c'>" + self.problem.render(self.ctx.tr) + "</span>"
            else:
                html += "<br><span style='color:#1e5631'>" + self.ctx.tr(
                    "Đúng người ký của ô này; chứng thư còn hiệu lực và dùng để ký được.") + "</span>"
            self.cert_info.setText(html)
            self._set_override(self.override_needed)
            self.changed.emit()

        def failed(exc: BaseException) -> None:
            if token != self._check_token:
                return
            self.certificate = None
            if isinstance(exc, UserError):
                self.problem = exc
                self.cert_info.setText("<span style='color:#b91c1c'>" + exc.render(self.ctx.tr) + "</span>")
            else:
                self.ctx.errors.show(exc)
            self.changed.emit()

        self.ctx.ops.query(read, show, on_error=failed, owner=self)

    def _on_override_toggled(self, on: bool) -> None:
        self.override_reason.setEnabled(on)
        self.changed.emit()

    def _set_override(self, needed: bool) -> None:
        self.override.setVisible(needed)
        self.override_reason.setVisible(needed)
        self.override_reason.setEnabled(self.override.isChecked())
        if not needed:
            self.override.setChecked(False)

    # -- tokens ---------------------------------------------------------------------------------
    def _on_module_changed(self) -> None:
        if self.module.currentData() == OTHER_LIBRARY:
            path, _ = QFileDialog.getOpenFileName(self, self.ctx.tr("Chọn thư viện PKCS#11 của token"), "",
                                                  self.ctx.tr("Thư viện (*.dll *.so *.dylib);;Mọi tệp (*)"))
            if path:
                self.module.blockSignals(True)
                self.module.insertItem(self.module.count() - 1, path, path)
                self.module.setCurrentIndex(self.module.count() - 2)
                self.module.blockSignals(False)
        self.load_tokens()

    def load_tokens(self) -> None:
        module = self.module.currentData()
        self.token.clear()
        if not module or module == OTHER_LIBRARY:
            return

        def show(found: list[TokenInfo]) -> None:
            self.token.blockSignals(True)
            self.token.clear()
            for info in found:
                self.token.addItem(f"{info.label} — {info.manufacturer} {info.model} ({info.serial})", info)
            wanted = next((n for n, info in enumerate(found) if info.label == self._remembered_token), 0)
            self.token.setCurrentIndex(wanted if found else -1)
            self.token.blockSignals(False)
            if not found:
                self.cert_info.setText(self.ctx.tr("Không thấy token nào: cắm token rồi bấm “Tìm token”."))
            self._credential_edited()

        def failed(exc: BaseException) -> None:
            if isinstance(exc, UserError):
                self.cert_info.setText("<span style='color:#b91c1c'>" + exc.render(self.ctx.tr) + "</span>")
            else:
                self.ctx.errors.show(exc)

        self.ctx.ops.query(lambda s: s.documents.tokens(module), show, on_error=failed, owner=self)

    # -- the rest of the row ----------------------------------------------------------------------
    def _on_method_changed(self) -> None:
        self._show_method()
        if self.method.currentData() == "pkcs11" and self.token.count() == 0:
            self.load_tokens()
        self._credential_edited()

    def _show_method(self) -> None:
        chosen = self.method.currentData()
        for key, widget in self.forms.items():
            widget.setVisible(key == chosen)
        self.cert_info.setVisible(self.digital)

    def _on_draw(self) -> None:
        dialog = DrawDialog(self.ctx, self.name or self.title(), self)
        if dialog.exec() and not dialog.pad.is_empty():
            self.set_drawn(dialog.pad.to_png())

    def set_drawn(self, png: bytes) -> None:
        self.drawn = png
        pixmap = QPixmap()
        pixmap.loadFromData(png)
        self.preview.setPixmap(pixmap.scaledToHeight(48, Qt.TransformationMode.SmoothTransformation))
        self.changed.emit()

    def _on_browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.ctx.tr("Chọn tệp chứng thư số"), "",
                                              self.ctx.tr("Chứng thư số (*.p12 *.pfx);;Mọi tệp (*)"))
        if path:
            self.p12_path.setText(path)
