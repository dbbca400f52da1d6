"""A progress dialog bound to a background task: shows progress, offers Cancel, never freezes."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from inspector.i18n import Translator
from ui.ops import OpHandle


def follow(handle: OpHandle[Any], tr: Translator, title: str, parent: QWidget | None) -> QProgressDialog:
    dialog = QProgressDialog(title, tr("Hủy"), 0, 0, parent)
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(400)
    dialog.setAutoClose(True)

    def progressed(done: int, total: int, text: str) -> None:
        dialog.setMaximum(total)
        dialog.setValue(done)
        if text:
            dialog.setLabelText(text)

    handle.progressed.connect(progressed)
    handle.finished.connect(dialog.reset)
    dialog.canceled.connect(handle.cancel)
    if handle.done:
        dialog.reset()
    return dialog
