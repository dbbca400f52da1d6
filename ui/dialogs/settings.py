"""Settings: language, the data directory in use, and the inspector's identity."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from inspector.i18n import LANGUAGES
from inspector.services.context import Identity
from inspector.services.settings import SettingsDraft
from inspector.workspace import Services
from ui.context import AppContext
from ui.dialogs.guard import FormDialog


@dataclass(frozen=True)
class SettingsValues:
    identity: Identity
    language: str
    trust_dir: str
    tsa_url: str


def read_settings(s: Services) -> SettingsValues:
    return SettingsValues(s.settings.identity(), s.settings.language(), str(s.settings.get("trust_dir", "")),
                          str(s.settings.get("tsa_url", "")))


def open_settings_dialog(ctx: AppContext, parent: QWidget, on_saved: Callable[[SettingsDialog], object]) -> None:
    def show(values: SettingsValues) -> None:
        dialog = SettingsDialog(ctx, values, parent)
        if dialog.exec():
            on_saved(dialog)

    ctx.ops.query(read_settings, show, owner=parent)


class SettingsDialog(FormDialog):
    def __init__(self, ctx: AppContext, values: SettingsValues, parent: QWidget | None = None) -> None:
        super().__init__(ctx, ctx.tr("Cài đặt"), parent)
        tr = ctx.tr
        self.setMinimumWidth(560)
        layout = self.layout_
        form = QFormLayout()
        self.values = values
        identity = values.identity
        self.name = QLineEdit(identity.name)
        self.name.setAccessibleName(tr("Họ và tên người ghi nhận"))
        self.position = QLineEdit(identity.position)
        self.position.setAccessibleName(tr("Chức vụ người ghi nhận"))
        form.addRow(tr("Họ và tên"), self.name)
        form.addRow(tr("Chức vụ"), self.position)
        note = QLabel(tr("Tên này được ghi là tác giả của mọi kết quả ghi nhận trên máy này."))
        note.setObjectName("hint")
        form.addRow("", note)
        self.language = QComboBox()
        self.language.setAccessibleName(tr("Ngôn ngữ"))
        for code, label in LANGUAGES.items():
            self.language.addItem(label, code)
        self.language.setCurrentIndex(self.language.findData(values.language))
        form.addRow(tr("Ngôn ngữ giao diện"), self.language)
        data_row = QHBoxLayout()
        data = QLineEdit(str(ctx.data_dir))
        data.setReadOnly(True)
        data.setAccessibleName(tr("Thư mục dữ liệu"))
        data_row.addWidget(data, 1)
        open_dir = QPushButton(tr("Mở thư mục"))
        open_dir.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(ctx.data_dir))))
        data_row.addWidget(open_dir)
        form.addRow(tr("Thư mục dữ liệu"), data_row)
        where = QLabel(tr("Đổi thư mục bằng tùy chọn --data-dir hoặc biến môi trường INSPECTOR_DATA_DIR."))
        where.setObjectName("hint")
        form.addRow("", where)
        trust_row = QHBoxLayout()
        self.trust_dir = QLineEdit(values.trust_dir)
        self.trust_dir.setAccessibleName(tr("Thư mục chứng thư gốc tin cậy"))
        self.trust_dir.setPlaceholderText(tr("thư mục chứa chứng thư gốc (.pem, .crt, .cer)"))
        pick = QPushButton(tr("Chọn…"))
        pick.clicked.connect(self._on_pick_trust)
        trust_row.addWidget(self.trust_dir, 1)
        trust_row.addWidget(pick)
        form.addRow(tr("Chứng thư gốc tin cậy"), trust_row)
        self.tsa_url = QLineEdit(values.tsa_url)
        self.tsa_url.setAccessibleName(tr("Địa chỉ dịch vụ cấp dấu thời gian"))
        self.tsa_url.setPlaceholderText("https://…")
        form.addRow(tr("Dịch vụ dấu thời gian (TSA)"), self.tsa_url)
        layout.addLayout(form)
        self.finish_layout()
        self.language_changed = False

    def _on_pick_trust(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path = QFileDialog.getExistingDirectory(self, self.ctx.tr("Chọn thư mục chứng thư gốc"), self.trust_dir.text())
        if path:
            self.trust_dir.setText(path)

    def save(self) -> None:
        draft = SettingsDraft(self.name.text(), self.position.text(), self.language.currentData(),
                              self.trust_dir.text().strip(), self.tsa_url.text().strip())
        self.language_changed = draft.language != self.values.language
        self.submit(lambda s: s.settings.save(draft))
