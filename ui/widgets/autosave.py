"""Forms that save themselves, like the recording matrix: nothing typed waits for a button.

An `AutoSaver` watches every input widget under a form. A change starts a short timer; when the
user stops typing, when focus leaves the form, when the page is left or the window closes
(`flush`), the form's `save` runs (one write operation: an event, committed). While the form is
being filled from the store (`loading`), changes are not saves. A failed save keeps the form
marked unsaved, so the next change or flush tries again and nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemDelegate,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDateTimeEdit,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QTableWidget,
    QWidget,
)

SAVE_DELAY_MS = 800  # "within a second of typing stopping"


def commit_open_editor(table: QTableWidget) -> None:
    """Take the text of a cell editor that is still open into the table."""
    focus = QApplication.focusWidget()
    if table.state() == QAbstractItemView.State.EditingState and focus is not None and table.isAncestorOf(focus):
        table.commitData(focus)
        table.closeEditor(focus, QAbstractItemDelegate.EndEditHint.NoHint)


class AutoSaver(QObject):
    edited = Signal()   # the form now holds unsaved input
    flushed = Signal()  # a save was started for what the form holds

    def __init__(self, root: QWidget, save: Callable[[], None], delay_ms: int = SAVE_DELAY_MS) -> None:
        super().__init__(root)
        self._root = root
        self._save = save
        self._loading = 0
        self.dirty = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.flush)
        self._watched: set[int] = set()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._on_focus_changed)
        self.watch()

    def watch(self) -> None:
        """Connect every input widget under the form (call again after adding widgets)."""
        for widget in [self._root, *self._root.findChildren(QWidget)]:
            if id(widget) in self._watched:
                continue
            signal = None
            if isinstance(widget, QLineEdit | QPlainTextEdit):
                signal = widget.textChanged
            elif isinstance(widget, QComboBox):
                signal = widget.currentIndexChanged
            elif isinstance(widget, QDateTimeEdit):
                signal = widget.dateTimeChanged
            elif isinstance(widget, QSpinBox):
                signal = widget.valueChanged
            elif isinstance(widget, QAbstractButton) and widget.isCheckable():
                signal = widget.toggled
            elif isinstance(widget, QTableWidget):
                widget.itemChanged.connect(lambda _item: self.changed())
                widget.model().rowsInserted.connect(lambda *_: self.changed())
                widget.model().rowsRemoved.connect(lambda *_: self.changed())
            if signal is not None:
                signal.connect(lambda *_: self.changed())
            self._watched.add(id(widget))

    @contextmanager
    def loading(self) -> Iterator[None]:
        """Fill the form from the store without that counting as an edit."""
        self._loading += 1
        try:
            yield
        finally:
            self._loading -= 1

    def changed(self) -> None:
        if self._loading:
            return
        if not self.dirty:
            self.dirty = True
            self.edited.emit()
        self._timer.start()

    def flush(self) -> None:
        """Save now if anything is unsaved (typing stopped, focus left, page switch, close)."""
        self._timer.stop()
        for table in self._root.findChildren(QTableWidget):
            commit_open_editor(table)  # a cell being typed into counts (it emits itemChanged)
        if not self.dirty:
            return
        self.dirty = False
        self.flushed.emit()
        self._save()

    def failed(self) -> None:
        """The save was refused or failed: the form still holds unsaved input."""
        self.dirty = True

    def _on_focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        if old is None or not self.dirty:
            return
        def within(widget: QWidget) -> bool:
            return widget is self._root or self._root.isAncestorOf(widget)

        if within(old) and (new is None or not within(new)):
            self.flush()
