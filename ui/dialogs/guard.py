"""Dialogs that hold typed input: nothing typed is thrown away without asking.

`GuardedDialog` compares what its input widgets hold with what they held when it opened; Escape,
Cancel and the window's close button (QDialog routes all three through `reject`) ask before
discarding a change. `FormDialog` adds an inline error line and `submit`: the save runs as a write
operation, and a refusal (a validation error) shows its message while the dialog stays open with
everything the user entered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QDate, QDateTime, QTime
from PySide6.QtGui import QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QSpinBox,
    QTableWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from inspector.errors import UserError
from inspector.i18n import Translator
from inspector.workspace import Services
from ui.context import AppContext

T = TypeVar("T")


def _value(widget: QWidget) -> Any:
    if isinstance(widget, QLineEdit):
        return widget.text()
    if isinstance(widget, QPlainTextEdit):
        return widget.toPlainText()
    if isinstance(widget, QTextEdit):
        return widget.toPlainText()
    if isinstance(widget, QComboBox):
        return widget.currentIndex(), widget.currentText()
    if isinstance(widget, QDateTimeEdit):
        moment: QDateTime | QDate | QTime = widget.dateTime()
        return moment.toString()
    if isinstance(widget, QSpinBox):
        return widget.value()
    if isinstance(widget, QAbstractButton) and widget.isCheckable():
        return widget.isChecked()
    if isinstance(widget, QTableWidget):
        return tuple(tuple(item.text() if (item := widget.item(r, c)) is not None else ""
                           for c in range(widget.columnCount())) for r in range(widget.rowCount()))
    if isinstance(widget, QListWidget):
        return tuple((widget.item(n).text(), widget.item(n).checkState().value) for n in range(widget.count()))
    return None


_INPUTS = (QLineEdit, QPlainTextEdit, QTextEdit, QComboBox, QAbstractSpinBox, QAbstractButton, QTableWidget,
           QListWidget)


def form_state(root: QWidget) -> tuple[Any, ...]:
    """What every input widget under `root` holds, in a comparable value."""
    values: list[Any] = []
    for widget in root.findChildren(QWidget):
        if isinstance(widget, _INPUTS) and not (isinstance(widget, QLineEdit) and widget.isReadOnly()):
            if isinstance(widget, QAbstractButton) and not widget.isCheckable():
                continue
            values.append((widget.objectName(), type(widget).__name__, _value(widget)))
    return tuple(values)


def fit_to_screen(window: QWidget, margin: int = 16) -> None:
    """Keep a dialog inside the screen's available area (a 1280×720 laptop at 150 %, the taskbar
    taken out): never taller or wider than the screen, never placed off it."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    area = screen.availableGeometry().adjusted(margin, margin, -margin, -margin)
    if window.minimumWidth() > area.width():
        window.setMinimumWidth(area.width())
    if window.minimumHeight() > area.height():
        window.setMinimumHeight(area.height())
    width, height = min(window.width(), area.width()), min(window.height(), area.height())
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
    frame = window.frameGeometry()
    x = min(max(frame.x(), area.x()), area.right() - width)
    y = min(max(frame.y(), area.y()), area.bottom() - height)
    if (x, y) != (frame.x(), frame.y()):
        window.move(x, y)


class GuardedDialog(QDialog):
    """Escape, Cancel or Close ask before discarding what was typed."""

    def __init__(self, tr: Translator, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._guard_tr = tr
        self._baseline: tuple[Any, ...] | None = None

    def showEvent(self, event: QShowEvent) -> None:
        if self._baseline is None:
            self._baseline = form_state(self)
        fit_to_screen(self)
        super().showEvent(event)

    def mark_clean(self) -> None:
        """The current values are the saved ones (call after filling the form from the store)."""
        self._baseline = form_state(self)

    def has_unsaved_input(self) -> bool:
        return self._baseline is not None and form_state(self) != self._baseline

    def reject(self) -> None:
        if self.has_unsaved_input() and not self._confirm_discard():
            return
        super().reject()

    def _confirm_discard(self) -> bool:
        tr = self._guard_tr
        box = QMessageBox(QMessageBox.Icon.Question, tr("Bỏ thông tin vừa nhập?"),
                          tr("Những gì vừa nhập trong “{title}” chưa được lưu. Bỏ đi và đóng cửa sổ?").format(
                              title=self.windowTitle()), parent=self)
        discard = box.addButton(tr("Bỏ thông tin vừa nhập"), QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(tr("Tiếp tục nhập"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.exec()
        return box.clickedButton() is discard


class FormDialog(GuardedDialog):
    """A form, an inline error line and Save/Cancel; saving never closes on a refusal."""

    def __init__(self, ctx: AppContext, title: str, parent: QWidget | None) -> None:
        super().__init__(ctx.tr, parent)
        self.ctx = ctx
        self.saved: Any = None
        self.setWindowTitle(title)
        self.layout_ = QVBoxLayout(self)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(ctx.tr("Lưu"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(ctx.tr("Hủy"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

    def finish_layout(self) -> None:
        """Add the error line and the buttons under whatever the subclass laid out."""
        self.layout_.addWidget(self.error)
        self.layout_.addWidget(self.buttons)

    def save(self) -> None:
        raise NotImplementedError  # each form knows what it saves

    def refuse(self, message: str) -> None:
        """A check made before saving failed: say why, keep everything entered."""
        self.error.setText(message)

    def submit(self, job: Callable[[Services], T], on_saved: Callable[[T], object] | None = None) -> None:
        self.buttons.setEnabled(False)
        self.error.clear()

        def done(value: T) -> None:
            self.saved = value
            if on_saved is not None:
                on_saved(value)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.buttons.setEnabled(True)
            if isinstance(exc, UserError):
                self.error.setText(exc.render(self.ctx.tr))

        self.ctx.ops.write(job, done, failed, show_errors=False, owner=self)
