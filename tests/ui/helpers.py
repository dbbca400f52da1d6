"""Driving modal dialogs from tests: act on the dialog as soon as it opens."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

from inspector.workspace import Services
from ui.context import AppContext

T = TypeVar("T")


def write(ctx: AppContext, fn: Callable[[Services], T], timeout: float = 30.0) -> T:
    """Prepare data the way the app does: one write operation, then wait for its broadcast."""
    box: list[T] = []
    errors: list[BaseException] = []
    ctx.ops.write(fn, box.append, errors.append, show_errors=False)
    if not ctx.ops.wait_idle(timeout):
        raise AssertionError("the write did not finish in time")
    if errors:
        raise errors[0]
    return box[0]


def read(ctx: AppContext, fn: Callable[[Services], T]) -> T:
    """Read the store as the app's pool does (read-only connection)."""
    return ctx.ops.read_blocking(fn)


def settle(ctx: AppContext, timeout: float = 30.0) -> None:
    """Every queued operation has delivered (and the views have refreshed from its broadcast)."""
    for _ in range(5):  # a refresh may queue a follow-up read; bounded
        if not ctx.ops.wait_idle(timeout):
            raise AssertionError("operations did not finish in time")
        if not ctx.ops.busy:
            return


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
