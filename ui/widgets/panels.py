"""Side panels of the recording view: the selected cell, and the inspection as a whole."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inspector.catalog.model import ChecklistItem
from inspector.domain import Subject
from inspector.services.findings import FindingRevision
from inspector.text import ui_datetime
from ui.context import AppContext
from ui.icons import icon
from ui.theme import LEVEL_COLORS
from ui.widgets.autosave import AutoSaver
from ui.widgets.evidence import EvidencePanel


class CellPanel(QWidget):
    """Everything about the selected item × subject: levels, note, evidence, history."""

    level_clicked = Signal(object)   # int or None
    note_clicked = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        tr = ctx.tr
        layout = QVBoxLayout(self)
        self.heading = QLabel(tr("Chọn một ô trong ma trận để xem và ghi nhận."))
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.heading)
        levels = QHBoxLayout()
        self.level_group = QButtonGroup(self)
        self.level_buttons: dict[int | None, QPushButton] = {}
        for level in (None, 0, 1, 2, 3):
            text = tr("Chưa đánh giá") if level is None else str(level)
            button = QPushButton(text)
            button.setCheckable(True)
            bg, fg = LEVEL_COLORS[level]
            button.setStyleSheet(f"QPushButton {{ background: {bg}; color: {fg}; border: 1px solid #d1d5db;"
                                 f" border-radius: 4px; padding: 4px 7px; min-width: 22px; }}"
                                 f" QPushButton:checked {{ border: 2px solid #1f4e79; }}")
            button.setAccessibleName(tr("Chưa đánh giá") if level is None else tr("Mức {n}").format(n=level))
            shortcut = "Delete" if level is None else str(level)
            button.setToolTip(tr("Phím tắt: {key}").format(key=shortcut))
            self.level_group.addButton(button)
            self.level_buttons[level] = button
            button.clicked.connect(lambda _=False, lv=level: self.level_clicked.emit(lv))
            levels.addWidget(button)
        levels.addStretch(1)
        layout.addLayout(levels)
        self.level_text = QLabel()
        self.level_text.setWordWrap(True)
        self.level_text.setObjectName("hint")
        layout.addWidget(self.level_text)
        note_head = QHBoxLayout()
        note_head.addWidget(QLabel(f"<b>{tr('Ghi chú')}</b>"))
        note_head.addStretch(1)
        self.note_button = QPushButton(icon("note"), tr("Sửa ghi chú (Enter)"))
        self.note_button.clicked.connect(self.note_clicked)
        note_head.addWidget(self.note_button)
        layout.addLayout(note_head)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setFrameShape(QFrame.Shape.StyledPanel)
        self.note.setMinimumHeight(48)
        self.note.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.note)
        self.evidence = EvidencePanel(ctx, tr("Minh chứng của ô này"))
        layout.addWidget(self.evidence)
        layout.addWidget(QLabel(f"<b>{tr('Lịch sử thay đổi')}</b>"))
        self.history = QListWidget()
        self.history.setAccessibleName(tr("Lịch sử thay đổi của ô"))
        self.history.setMaximumHeight(140)
        layout.addWidget(self.history)
        layout.addStretch(1)
        self.show_cell(None, None, None, "", editable=False)

    def show_cell(self, item: ChecklistItem | None, subject: Subject | None, level: int | None, note: str, *,
                  editable: bool) -> None:
        """The cell as the matrix shows it now (an edit being saved included); history comes later."""
        tr = self.ctx.tr
        active = item is not None and subject is not None
        for button in self.level_buttons.values():
            button.setEnabled(active and editable)
        self.note_button.setEnabled(active and editable)
        self.evidence.set_editable(active and editable)
        if not active:
            self.heading.setText(tr("Chọn một ô trong ma trận để xem và ghi nhận."))
            self.level_text.clear()
            self.note.clear()
            self.history.clear()
            self.evidence.set_refs([])
            return
        assert item is not None and subject is not None
        self.heading.setText(f"<b>{item.code}</b> {item.text}<br><span style='color:#374151'>"
                             f"{subject.name} — {subject.position}</span>"
                             f"<br><span style='color:#6b7280'>{', '.join(item.manifestations)}</span>")
        self.level_buttons[level].setChecked(True)
        if level is None:
            self.level_text.setText(tr("Chưa đánh giá. Chọn mức 0 nếu không phát hiện biểu hiện."))
        elif level == 0:
            self.level_text.setText(tr("Mức 0: không phát hiện biểu hiện."))
        else:
            self.level_text.setText(f"{tr('Mức')} {level}: {item.level_text(level)}")
        for n in (1, 2, 3):
            self.level_buttons[n].setToolTip(f"{tr('Mức')} {n}: {item.level_text(n)} ({tr('phím')} {n})")
        self.note.setText(note if note else f"<i>{tr('Chưa có ghi chú.')}</i>")

    def set_history(self, history: list[FindingRevision]) -> None:
        tr = self.ctx.tr
        self.history.clear()
        for rev in reversed(history):
            what = tr("gỡ bỏ") if rev.type == "finding.removed" else (
                tr("chưa đánh giá") if rev.level is None else f"{tr('mức')} {rev.level}")
            note = f" · {rev.note[:60]}" if rev.note else ""
            self.history.addItem(f"{ui_datetime(rev.at)} — {rev.author_name}: {what}{note}")


class InspectionPanel(QWidget):
    """The unit's explanation, the team's remarks (saved while typing) and all evidence."""

    explanation_edited = Signal(str)
    remarks_edited = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        tr = ctx.tr
        layout = QVBoxLayout(self)
        self.explanation_label = QLabel(f"<b>{tr('Giải trình của đơn vị được kiểm tra')}</b>")
        layout.addWidget(self.explanation_label)
        self.explanation = QPlainTextEdit()
        self.explanation.setAccessibleName(tr("Giải trình của đơn vị"))
        self.explanation.setPlaceholderText(tr("Ý kiến, giải trình của đơn vị về các nội dung Đoàn ghi nhận…"))
        layout.addWidget(self.explanation, 1)
        layout.addWidget(QLabel(f"<b>{tr('Nhận xét của Đoàn kiểm tra')}</b>"))
        self.remarks = QPlainTextEdit()
        self.remarks.setAccessibleName(tr("Nhận xét của Đoàn kiểm tra"))
        self.remarks.setPlaceholderText(tr("Ưu điểm, hạn chế, yêu cầu chấn chỉnh ngay…"))
        layout.addWidget(self.remarks, 1)
        self.state = QLabel()
        self.state.setObjectName("hint")
        layout.addWidget(self.state)
        self.evidence = EvidencePanel(ctx, tr("Tất cả minh chứng của đợt kiểm tra"))
        layout.addWidget(self.evidence, 1)
        self.savers = {
            "explanation": AutoSaver(self.explanation,
                                     lambda: self.explanation_edited.emit(self.explanation.toPlainText())),
            "remarks": AutoSaver(self.remarks, lambda: self.remarks_edited.emit(self.remarks.toPlainText())),
        }
        for saver in self.savers.values():
            saver.edited.connect(lambda: self.state.setText(self.ctx.tr("Đang soạn… (tự lưu sau khi ngừng gõ)")))

    def flush(self) -> None:
        """Save pending text now (before switching inspection, leaving the page or closing)."""
        for saver in self.savers.values():
            saver.flush()

    def load(self, explanation: str, remarks: str, *, editable: bool) -> None:
        """Show the store's text; text being typed (not saved yet) is kept, its save follows."""
        for saver, editor, value in ((self.savers["explanation"], self.explanation, explanation),
                                     (self.savers["remarks"], self.remarks, remarks)):
            if not saver.dirty and editor.toPlainText() != value:
                with saver.loading():
                    editor.setPlainText(value)
        self.explanation.setReadOnly(not editable)
        self.remarks.setReadOnly(not editable)
        self.evidence.set_editable(editable)
        self.state.clear()
