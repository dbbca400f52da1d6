"""Dialogs sized to the screen they open on: a laptop at 1280×720 with a taskbar still shows
every button (their content scrolls instead of being cut off)."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

FRAME = QSize(16, 40)  # the window frame and title bar the system adds around the dialog


def available_area(widget: QWidget) -> QRect:
    screen = widget.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1280, 680)


def fit_to_screen(dialog: QWidget, preferred: QSize, area: QRect | None = None) -> QSize:
    """Resize to `preferred`, or to the available area less the frame when that is smaller."""
    room = area if area is not None else available_area(dialog)
    size = QSize(min(preferred.width(), room.width() - FRAME.width()),
                 min(preferred.height(), room.height() - FRAME.height()))
    size = size.expandedTo(dialog.minimumSize())
    dialog.resize(size)
    return size
