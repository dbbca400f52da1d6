"""Editing the note of one cell: Ctrl+Enter saves, Esc cancels."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from inspector.catalog.model import ChecklistItem
from inspector.i18n import Translator
from inspector.services.findings import MAX_NOTE
from ui.dialogs.guard import GuardedDialog


class NoteDialog(GuardedDialog):
    def __init__(self, tr: Translator, item: ChecklistItem, subject_name: str, note: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(tr, parent)
        self.setWindowTitle(tr("Ghi chú — {code}").format(code=item.code))
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        head = QLabel(f"<b>{item.code}</b> {item.text}<br><i>{subject_name}</i>")
        head.setWordWrap(True)
        layout.addWidget(head)
        levels = QLabel("<br>".join(f"<b>{tr('Mức')} {n}:</b> {t}" for n, t in enumerate(item.levels, start=1)))
        levels.setWordWrap(True)
        levels.setObjectName("hint")
        layout.addWidget(levels)
        self.editor = QPlainTextEdit(note)
        self.editor.setAccessibleName(tr("Nội dung ghi chú"))
        self.editor.setPlaceholderText(tr("Điều Đoàn kiểm tra quan sát được, căn cứ, người cung cấp thông tin…"))
        layout.addWidget(self.editor)
        hint = QLabel(tr("Ctrl+Enter để lưu, Esc để bỏ qua."))
        hint.setObjectName("hint")
        layout.addWidget(hint)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(tr("Lưu"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Bỏ qua"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.editor.installEventFilter(self)  # Ctrl+Enter saves, whatever window is active
        self.editor.textChanged.connect(
            lambda: buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(
                len(self.editor.toPlainText()) <= MAX_NOTE))
        self.editor.setFocus()
        cursor = self.editor.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        self.editor.setTextCursor(cursor)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.editor and event.type() == QEvent.Type.KeyPress:
            key_event = event
            assert isinstance(key_event, QKeyEvent)
            if key_event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
                    key_event.modifiers() & Qt.KeyboardModifier.ControlModifier):
                self.accept()
                return True
        return super().eventFilter(watched, event)

    def note(self) -> str:
        return self.editor.toPlainText()
