"""Backup to a folder or USB stick, restore into a new data directory, and the recovery key sheet.

A backup stays encrypted; it is read back and checked before it is reported done. Restoring never
touches the data directory in use: it fills a new or empty one, which the app then opens.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFont, QGuiApplication, QTextDocument
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inspector.errors import UserError
from inspector.i18n import Translator
from inspector.services.backups import BackupResult, RestoreResult, restore_backup
from inspector.text import human_size
from inspector.workspace import Services
from ui.context import AppContext
from ui.dialogs.guard import GuardedDialog
from ui.dialogs.progress import follow
from ui.ops import OpHandle, TaskContext


def backup_now(ctx: AppContext, parent: QWidget, folder: str = "") -> OpHandle[BackupResult] | None:
    """Ask where (a folder or a USB stick), copy on the read pool, read it back, say what was done."""
    tr = ctx.tr
    folder = folder or QFileDialog.getExistingDirectory(parent, tr("Chọn nơi lưu bản sao lưu (thư mục hoặc ổ USB)"))
    if not folder:
        return None

    def job(s: Services, task: TaskContext) -> BackupResult:
        task.report(0, 0, tr("Đang sao lưu và đọc lại để kiểm tra…"))
        assert s.backups is not None
        return s.backups.backup(Path(folder))

    def done(result: BackupResult) -> None:
        QMessageBox.information(parent, tr("Sao lưu dữ liệu"), tr(
            "Đã sao lưu vào {path}: {events} thay đổi, {evidence} minh chứng, {files} tệp ({size}). Đã đọc lại và"
            " kiểm tra: toàn vẹn. Bản sao lưu vẫn được mã hóa; khôi phục trên máy khác cần mật khẩu hoặc khóa"
            " khôi phục.").format(path=str(result.path), events=result.events, evidence=result.evidence,
                                  files=result.files, size=human_size(result.bytes)))

    def failed(exc: BaseException) -> None:
        if isinstance(exc, UserError):
            QMessageBox.warning(parent, tr("Sao lưu dữ liệu"), exc.render(tr))
        else:
            ctx.errors.show(exc)

    handle = ctx.ops.task(job, done, on_error=failed, owner=parent)
    follow(handle, tr, tr("Đang sao lưu dữ liệu…"), parent)
    return handle


class RestoreDialog(GuardedDialog):
    """Restore a backup into a new data directory (never the one in use)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx.tr, parent)
        self.ctx = ctx
        tr = ctx.tr
        self.result_restore: RestoreResult | None = None
        self.setWindowTitle(tr("Khôi phục từ bản sao lưu"))
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        intro = QLabel(tr("Khôi phục vào một thư mục dữ liệu mới (hoặc trống); dữ liệu đang dùng không bị đụng tới."
                          " Máy sẽ ghi tiếp ở lượt mới để không trùng với những gì đã ghi sau lần sao lưu; trước khi"
                          " đồng bộ, văn phòng trung tâm cấp mã đăng ký mới."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.source = QLineEdit()
        self.source.setAccessibleName(tr("Thư mục bản sao lưu"))
        self.target = QLineEdit()
        self.target.setAccessibleName(tr("Thư mục dữ liệu mới"))
        for field, title, label in ((self.source, tr("Chọn thư mục bản sao lưu"), tr("Bản sao lưu")),
                                    (self.target, tr("Chọn thư mục dữ liệu mới (trống)"), tr("Khôi phục vào"))):
            row = QHBoxLayout()
            row.addWidget(field, 1)
            browse = QPushButton(tr("Chọn…"))
            browse.clicked.connect(lambda _=False, f=field, t=title: self._browse(f, t))
            row.addWidget(browse)
            form.addRow(label, row)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName(tr("Mật khẩu dữ liệu"))
        self.passphrase.setPlaceholderText(tr("khi bản sao lưu được bảo vệ bằng mật khẩu"))
        self.recovery = QLineEdit()
        self.recovery.setAccessibleName(tr("Khóa khôi phục"))
        self.recovery.setPlaceholderText(tr("hoặc khóa khôi phục đã in khi thiết lập (khi dùng máy khác)"))
        form.addRow(tr("Mật khẩu"), self.passphrase)
        form.addRow(tr("Khóa khôi phục"), self.recovery)
        layout.addLayout(form)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Hủy"))
        self.run_button = self.buttons.addButton(tr("Khôi phục"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.run)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _browse(self, field: QLineEdit, title: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, title, field.text())
        if folder:
            field.setText(folder)

    def run(self) -> None:
        tr = self.ctx.tr
        source, target = self.source.text().strip(), self.target.text().strip()
        if not source or not target:
            self.error.setText(tr("Chọn thư mục bản sao lưu và thư mục dữ liệu mới."))
            return
        if Path(target).resolve() == self.ctx.data_dir.resolve():
            self.error.setText(tr("Không khôi phục đè lên thư mục dữ liệu đang dùng; chọn một thư mục mới."))
            return
        self.error.clear()
        self.run_button.setEnabled(False)
        passphrase, recovery = self.passphrase.text(), self.recovery.text().strip()

        def job(_s: Services, task: TaskContext) -> RestoreResult:
            task.report(0, 0, tr("Đang kiểm tra và khôi phục bản sao lưu…"))
            return restore_backup(Path(source), Path(target), passphrase=passphrase, recovery_key=recovery)

        def done(result: RestoreResult) -> None:
            self.result_restore = result
            self.accept()

        def failed(exc: BaseException) -> None:
            self.run_button.setEnabled(True)
            if isinstance(exc, UserError):
                self.error.setText(exc.render(tr))
            else:
                self.ctx.errors.show(exc)

        follow(self.ctx.ops.task(job, done, on_error=failed, owner=self), tr, tr("Đang khôi phục…"), self)


class RecoveryKeyDialog(QDialog):
    """The recovery key, shown once when the data directory's keys are created: print it or copy it."""

    def __init__(self, tr: Translator, sheet: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Khóa khôi phục dữ liệu"))
        self.setMinimumWidth(640)
        self.sheet = sheet
        layout = QVBoxLayout(self)
        self.text = QPlainTextEdit(sheet)
        self.text.setReadOnly(True)
        self.text.setFont(QFont("Liberation Mono", 10))
        self.text.setAccessibleName(tr("Khóa khôi phục và cách dùng"))
        layout.addWidget(self.text)
        buttons = QDialogButtonBox()
        print_button = buttons.addButton(tr("In…"), QDialogButtonBox.ButtonRole.ActionRole)
        copy_button = buttons.addButton(tr("Sao chép"), QDialogButtonBox.ButtonRole.ActionRole)
        kept = buttons.addButton(tr("Đã in hoặc chép lại"), QDialogButtonBox.ButtonRole.AcceptRole)
        print_button.clicked.connect(self.print_sheet)
        copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(sheet))
        kept.clicked.connect(self.accept)
        layout.addWidget(buttons)

    def print_sheet(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter()
        if QPrintDialog(printer, self).exec():
            document = QTextDocument()
            document.setDefaultFont(QFont("Liberation Mono", 11))
            document.setPlainText(self.sheet)
            document.print_(printer)
