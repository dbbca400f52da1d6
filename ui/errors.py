"""Showing errors: user errors in Vietnamese with what to do; bugs in a copyable crash report."""

from __future__ import annotations

import platform
import sys
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inspector import __version__
from inspector.errors import UserError, ValidationError
from inspector.i18n import Translator
from ui.ops import Cancelled


def crash_report(exc: BaseException) -> str:
    lines = [
        f"Inspector {__version__} — {datetime.now().isoformat(timespec='seconds')}",
        f"Python {platform.python_version()} — Qt {qVersion()} — {platform.platform()}",
        "",
        *traceback.format_exception(type(exc), exc, exc.__traceback__),
    ]
    return "\n".join(line.rstrip("\n") for line in lines)


class CrashDialog(QDialog):
    """Unexpected errors: reassure, show a report that can be copied, never lose data."""

    def __init__(self, report: str, tr: Translator, saved_to: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Lỗi không mong đợi"))
        self.setMinimumSize(640, 420)
        layout = QVBoxLayout(self)
        text = tr("Phần mềm gặp một lỗi không mong đợi. Dữ liệu đã lưu vẫn an toàn: mọi thao tác đã"
                  " báo “Đã lưu” đều được ghi vào ổ đĩa. Hãy sao chép báo cáo dưới đây và gửi cho bộ"
                  " phận hỗ trợ.")
        if saved_to is not None:
            text += " " + tr("Báo cáo cũng đã được lưu tại: {path}").format(path=str(saved_to))
        label = QLabel(text)
        label.setWordWrap(True)
        layout.addWidget(label)
        self.report = QPlainTextEdit(report)
        self.report.setReadOnly(True)
        self.report.setAccessibleName(tr("Báo cáo lỗi"))
        layout.addWidget(self.report)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton(tr("Sao chép báo cáo"))
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(report))
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class ErrorPresenter:
    """The one place that decides how an exception reaches the user."""

    def __init__(self, tr: Translator, log_dir: Path, parent: Callable[[], QWidget | None],
                 *, interactive: bool = True) -> None:
        self.tr = tr
        self.log_dir = log_dir
        self._parent = parent
        self.interactive = interactive  # False: record instead of opening modal boxes (tests)
        self.shown: list[BaseException] = []
        self.last_report: str | None = None

    def show(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            return
        self.shown.append(exc)
        if not self.interactive:
            if not isinstance(exc, UserError):
                self.last_report = crash_report(exc)
            return
        if isinstance(exc, UserError):
            self.show_user_error(exc)
            return
        self.show_crash(exc)

    def show_user_error(self, exc: UserError) -> None:
        box = QMessageBox(self._parent())
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Không thực hiện được"))
        if isinstance(exc, ValidationError):
            box.setText(exc.message(self.tr))
            box.setDetailedText("\n".join(p.render(self.tr) for p in exc.problems))
        else:
            box.setText(exc.message(self.tr))
        hint = exc.hint(self.tr)
        if hint:
            box.setInformativeText(hint)
        box.exec()

    def show_crash(self, exc: BaseException) -> None:
        report = crash_report(exc)
        self.last_report = report
        saved: Path | None = None
        try:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            saved = self.log_dir / f"crash-{datetime.now():%Y%m%d-%H%M%S}.txt"
            saved.write_text(report, encoding="utf-8")
        except OSError:
            saved = None
        print(report, file=sys.stderr)
        CrashDialog(report, self.tr, saved, self._parent()).exec()

    def excepthook(self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if exc.__traceback__ is None:
            exc = exc.with_traceback(tb)
        self.show(exc)
