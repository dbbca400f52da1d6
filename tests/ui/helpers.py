"""Driving modal dialogs from tests: act on the dialog as soon as it opens."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget


def when_modal(action: Callable[[QWidget], None], *, attempts: int = 200) -> None:
    """Run `action` on the next modal dialog (Qt's exec() blocks the test until it closes)."""
    state = {"left": attempts}

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is not None:
            action(dialog)
        elif state["left"] > 0:
            state["left"] -= 1
            QTimer.singleShot(10, poll)

    QTimer.singleShot(0, poll)


def type_text(widget: QWidget, text: str) -> None:
    """Type any Unicode text with real key events (QTest.keyClicks only handles Latin-1)."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent

    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch))
