"""The recording matrix view: level chips, and the keyboard: 0–3, Delete, arrows, Tab, Enter."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QKeyEvent, QPainter, QPen, QPolygonF, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QWidget,
)

from ui.models.findings import KIND_ROLE, RENDER_ROLE
from ui.theme import LEVEL_COLORS

LEVEL_KEYS = {Qt.Key.Key_0: 0, Qt.Key.Key_1: 1, Qt.Key.Key_2: 2, Qt.Key.Key_3: 3}


_SELECTED = QStyle.StateFlag.State_Selected
_CENTER = Qt.AlignmentFlag.AlignCenter
_CHIP = {lv: (QColor(bg), QColor(fg)) for lv, (bg, fg) in LEVEL_COLORS.items()}
_PENDING_PEN = QPen(QColor("#6b7280"), 1.2, Qt.PenStyle.DashLine)
_SELECTED_PEN = QPen(QColor("#1f4e79"), 2)
_NOTE = QColor("#1f4e79")
_BADGE = QColor("#1f4e79")
_WHITE = QColor("white")
_WARN = QColor("#b91c1c")


class LevelDelegate(QStyledItemDelegate):
    """A rounded chip per cell: colour by level, a corner mark for a note, a count of evidence."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        render = index.data(RENDER_ROLE)
        if render is None or not isinstance(render, tuple):
            super().paint(painter, option, index)
            return
        level, has_note, count, pending, disagree = render
        background, foreground = _CHIP[None if level < 0 else level]
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(option.rect.adjusted(3, 2, -3, -2))
        painter.setBrush(background)
        if pending:
            painter.setPen(_PENDING_PEN)
        elif option.state & _SELECTED:
            painter.setPen(_SELECTED_PEN)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(rect, 5, 5)
        painter.setPen(foreground)
        font = option.font
        font.setBold(level >= 0)
        painter.setFont(font)
        painter.drawText(rect, _CENTER, "–" if level < 0 else str(level))
        if has_note:
            corner = QPolygonF([QPointF(rect.right() - 8, rect.top()), QPointF(rect.right(), rect.top()),
                                QPointF(rect.right(), rect.top() + 8)])
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(_NOTE)
            painter.drawPolygon(corner)
        if count or disagree:
            small = option.font
            small.setPointSizeF(max(6.5, option.font.pointSizeF() - 2.5))
            small.setBold(True)
            painter.setFont(small)
        if count:  # a small blue badge on the left: how many files of evidence the cell has
            side = max(12.0, rect.height() - 6)
            badge = QRectF(rect.left() + 3, rect.center().y() - side / 2, side, side)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(_BADGE)
            painter.drawEllipse(badge)
            painter.setPen(_WHITE)
            painter.drawText(badge, _CENTER, str(count))
        if disagree:
            painter.setPen(_WARN)
            bottom_right = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom)
            painter.drawText(rect.adjusted(0, 1, -4, 0), bottom_right, "⚠")
        painter.restore()


class FrozenItemColumn(QTreeView):
    """The item column drawn over the matrix's left edge, so it stays while subjects scroll.

    Qt's "frozen column" pattern: a second view on the same model and selection, showing column
    0 only, placed over the main view; scrolling, expanding and column width follow the main one.
    """

    def __init__(self, main: MatrixView) -> None:
        super().__init__(main)
        self.main = main
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setUniformRowHeights(True)
        self.setExpandsOnDoubleClick(False)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setStyleSheet("QTreeView { border-right: 1px solid #cbd5e1; }")
        self.header().setSectionsMovable(False)
        self.header().setStretchLastSection(False)

    def attach(self) -> None:
        main = self.main
        self.setModel(main.model())
        self.setSelectionModel(main.selectionModel())
        self.setItemDelegate(main.itemDelegate())
        self.setIndentation(main.indentation())
        self.hide_other_columns()
        main.verticalScrollBar().valueChanged.connect(self.verticalScrollBar().setValue)
        self.verticalScrollBar().valueChanged.connect(main.verticalScrollBar().setValue)
        main.expanded.connect(self.expand)
        main.collapsed.connect(self.collapse)
        self.expanded.connect(main.expand)
        self.collapsed.connect(main.collapse)
        main.header().sectionResized.connect(self._on_main_section_resized)
        main.model().modelReset.connect(self.hide_other_columns)
        main.model().layoutChanged.connect(self.hide_other_columns)
        self.show()

    def hide_other_columns(self) -> None:
        model = self.main.model()
        for column in range(1, model.columnCount()):
            self.setColumnHidden(column, True)
        self.setColumnWidth(0, self.main.columnWidth(0))
        self.reposition()

    def _on_main_section_resized(self, logical: int, _old: int, new: int) -> None:
        if logical == 0:
            self.setColumnWidth(0, new)
            self.reposition()

    def reposition(self) -> None:
        main = self.main
        self.header().setFixedHeight(main.header().height())
        frame = main.frameWidth()
        self.setGeometry(frame, frame, main.columnWidth(0), main.viewport().height() + main.header().height())


class MatrixView(QTreeView):
    """Keyboard-first: digits set a level and move down, Delete clears, Enter opens the note."""

    level_requested = Signal(QModelIndex, object)   # index, level (int or None)
    note_requested = Signal(QModelIndex)
    files_dropped = Signal(QModelIndex, list)       # index, [paths]
    resized = Signal()                               # the room for columns changed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frozen = FrozenItemColumn(self)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setUniformRowHeights(True)
        self.setAllColumnsShowFocus(False)
        self.setTabKeyNavigation(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setItemDelegate(LevelDelegate(self))
        self.setExpandsOnDoubleClick(False)
        self.doubleClicked.connect(self._on_double_clicked)

    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        if model is not None:
            self.frozen.attach()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.frozen.reposition()
        if event.size().width() != event.oldSize().width():
            self.resized.emit()

    def updateGeometries(self) -> None:
        super().updateGeometries()
        self.frozen.reposition()

    def scrollTo(self, index: QModelIndex | QPersistentModelIndex,
                 hint: QAbstractItemView.ScrollHint = QAbstractItemView.ScrollHint.EnsureVisible) -> None:
        """Never leave the current cell hidden under the frozen item column."""
        super().scrollTo(index, hint)
        if index.isValid() and index.column() > 0:
            rect = self.visualRect(index)
            hidden = self.columnWidth(0) - rect.left()
            if hidden > 0:
                bar = self.horizontalScrollBar()
                bar.setValue(bar.value() - hidden)

    def is_cell(self, index: QModelIndex) -> bool:
        return index.isValid() and index.data(KIND_ROLE) == "level"

    def keyPressEvent(self, event: QKeyEvent) -> None:
        index = self.currentIndex()
        key = Qt.Key(event.key())
        if event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
            super().keyPressEvent(event)
            return
        if key in LEVEL_KEYS and self.is_cell(index):
            self.level_requested.emit(index, LEVEL_KEYS[key])
            self.move_vertical(1)
            return
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.is_cell(index):
            self.level_requested.emit(index, None)
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.is_cell(index):
            self.note_requested.emit(index)
            return
        if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
            self.move_horizontal(-1 if key == Qt.Key.Key_Backtab else 1)
            return
        if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.is_cell(index):
            self.move_vertical(1 if key == Qt.Key.Key_Down else -1)
            return
        super().keyPressEvent(event)

    def _item_rows(self) -> list[QModelIndex]:
        model = self.model()
        rows: list[QModelIndex] = []
        for g in range(model.rowCount()):
            group = model.index(g, 0)
            rows += [model.index(r, 0, group) for r in range(model.rowCount(group))]
        return rows

    def move_vertical(self, step: int) -> None:
        """Next or previous checklist item in the same column, skipping group rows."""
        index = self.currentIndex()
        rows = self._item_rows()
        keys = [(r.parent().row(), r.row()) for r in rows]
        here = (index.parent().row(), index.row())
        if here not in keys:
            return
        pos = keys.index(here) + step
        if 0 <= pos < len(rows):
            target = rows[pos].siblingAtColumn(index.column())
            self.expand(target.parent())
            self.setCurrentIndex(target)
            self.scrollTo(target)

    def move_horizontal(self, step: int) -> None:
        """Tab: the next level cell to the right, wrapping to the next item's first subject."""
        index = self.currentIndex()
        model = self.model()
        first_item = model.index(0, 0, model.index(0, 0))
        cells = [c for c in range(model.columnCount()) if first_item.siblingAtColumn(c).data(KIND_ROLE) == "level"]
        rows = self._item_rows()
        if not cells or not rows:
            return
        keys = [(r.parent().row(), r.row()) for r in rows]
        here = (index.parent().row(), index.row())
        row_pos = keys.index(here) if here in keys else 0
        col_pos = cells.index(index.column()) if index.column() in cells else -1 if step > 0 else len(cells)
        col_pos += step
        if col_pos >= len(cells):
            col_pos, row_pos = 0, row_pos + 1
        elif col_pos < 0:
            col_pos, row_pos = len(cells) - 1, row_pos - 1
        if 0 <= row_pos < len(rows):
            target = rows[row_pos].siblingAtColumn(cells[col_pos])
            self.expand(target.parent())
            self.setCurrentIndex(target)
            self.scrollTo(target)

    def _on_double_clicked(self, index: QModelIndex) -> None:
        if self.is_cell(index):
            self.note_requested.emit(index)

    # -- drag and drop of evidence files onto a cell ---------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.mimeData().hasUrls() and self.is_cell(self.indexAt(event.position().toPoint())):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        index = self.indexAt(event.position().toPoint())
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if self.is_cell(index) and paths:
            self.setCurrentIndex(index)
            self.files_dropped.emit(index, paths)
            event.acceptProposedAction()
        else:
            event.ignore()
