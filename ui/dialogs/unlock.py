"""Opening an encrypted data directory in the app: the passphrase, a wrong one said plainly and
asked again, and the recovery key when the passphrase or the OS account is lost.

A wrong secret changes nothing (the key file is only read); after opening with the recovery key the
data is protected again (the OS key store, or a new passphrase), so the next start is ordinary.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from inspector.errors import UserError
from inspector.i18n import Translator
from inspector.keys import KeyMissingError, NoSecretGiven, OsKeyStore, Unlocker, WrongSecretError, reprotect
from ui.dialogs.guard import fit_to_screen

MAX_ATTEMPTS = 5
RECOVER = "recover"  # what the passphrase dialog returns when the user asks to use the recovery key


class SecretDialog(QDialog):
    """One secret (a passphrase, confirmed when new; or the recovery key), with the last refusal."""

    def __init__(self, tr: Translator, title: str, why: str, *, confirm: bool, problem: str = "",
                 offer_recovery: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.wants_recovery = False
        layout = QVBoxLayout(self)
        label = QLabel(why)
        label.setWordWrap(True)
        layout.addWidget(label)
        self.problem = QLabel(problem)
        self.problem.setObjectName("error")
        self.problem.setWordWrap(True)
        self.problem.setVisible(bool(problem))
        layout.addWidget(self.problem)
        form = QFormLayout()
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setAccessibleName(title)
        form.addRow(tr("Nhập"), self.secret)
        self.again: QLineEdit | None = None
        if confirm:
            self.again = QLineEdit()
            self.again.setEchoMode(QLineEdit.EchoMode.Password)
            self.again.setAccessibleName(tr("Nhập lại mật khẩu"))
            form.addRow(tr("Nhập lại"), self.again)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("Mở dữ liệu"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Thoát"))
        if offer_recovery:
            recover = buttons.addButton(tr("Quên mật khẩu: dùng khóa khôi phục…"),
                                        QDialogButtonBox.ButtonRole.ResetRole)
            recover.clicked.connect(self._on_recover)
        buttons.accepted.connect(self._on_ok)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._tr = tr

    def _on_recover(self) -> None:
        self.wants_recovery = True
        self.accept()

    def _on_ok(self) -> None:
        if not self.secret.text():
            self.problem.setText(self._tr("Chưa nhập gì."))
            self.problem.show()
            return
        if self.again is not None and self.again.text() != self.secret.text():
            self.problem.setText(self._tr("Hai lần nhập không giống nhau; nhập lại."))
            self.problem.show()
            self.again.clear()
            return
        self.accept()

    def showEvent(self, event: QShowEvent) -> None:
        fit_to_screen(self)
        super().showEvent(event)


Ask = Callable[..., "SecretDialog"]


class InteractiveUnlock:
    """Asks in dialogs and retries: builds an Unlocker for each attempt (see `open_with`)."""

    def __init__(self, tr: Translator, data_dir: Path, ask: Ask = SecretDialog) -> None:
        self.tr = tr
        self.data_dir = data_dir
        self.ask = ask
        self.problem = ""
        self.recovery: str | None = None
        self.wants_recovery = False

    def prompt(self, why: str, confirm: bool) -> str | None:
        tr = self.tr
        dialog = self.ask(tr, tr("Mật khẩu dữ liệu"), tr(why) + ("" if confirm else ":"), confirm=confirm,
                          problem=self.problem, offer_recovery=not confirm)
        if not dialog.exec():
            return None
        if dialog.wants_recovery:
            self.wants_recovery = True
            return None
        return dialog.secret.text()

    def ask_recovery(self, why: str) -> str | None:
        tr = self.tr
        dialog = self.ask(tr, tr("Khóa khôi phục"), why + "\n\n" + tr(
            "Nhập khóa khôi phục đã in khi thiết lập (các nhóm chữ và số, có thể có dấu gạch)."),
                          confirm=False, problem=self.problem)
        return dialog.secret.text().strip() if dialog.exec() else None

    def open_with(self, open_fn: Callable[[Unlocker], object]) -> object:
        """Call `open_fn(unlocker)` until the data opens, the user gives up, or too many attempts."""
        for _ in range(MAX_ATTEMPTS):
            unlocker = Unlocker.from_environment(prompt=self.prompt)
            if self.recovery:
                unlocker.recovery = self.recovery
            try:
                opened = open_fn(unlocker)
            except WrongSecretError as exc:
                self.problem = exc.message(self.tr)
                if self.recovery:
                    self.recovery = self.ask_recovery(exc.message(self.tr))
                    if self.recovery is None:
                        raise
                continue
            except (KeyMissingError, NoSecretGiven) as exc:
                if isinstance(exc, NoSecretGiven) and not self.wants_recovery:
                    raise  # cancelled: the app says it did not open and stops
                self.wants_recovery = False
                self.problem = ""
                self.recovery = self.ask_recovery(exc.message(self.tr))
                if self.recovery is None:
                    raise
                continue
            if self.recovery:
                self._protect_again(unlocker)
            return opened
        raise UserError("Đã nhập sai quá nhiều lần; dữ liệu chưa được mở và không có gì bị thay đổi.",
                        hint="Mở lại phần mềm rồi nhập đúng mật khẩu hoặc khóa khôi phục.")

    def _protect_again(self, unlocker: Unlocker) -> None:
        """Opened with the recovery key: the OS key store (when there is one) or a new passphrase."""
        unlocked = unlocker.unlock(self.data_dir)
        if unlocked is None:
            return
        passphrase = None
        if not OsKeyStore().available():
            self.problem = ""
            passphrase = self.prompt(self.tr("Đặt mật khẩu mới bảo vệ dữ liệu"), True)
            if not passphrase:
                return  # still opened with the recovery key; asked again at the next start
        reprotect(self.data_dir, unlocked, passphrase=passphrase)
