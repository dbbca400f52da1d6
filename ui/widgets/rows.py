"""A small editable table of text rows with Add/Remove, for lists such as participants."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.i18n import Translator


class RowsEditor(QWidget):
    def __init__(self, tr: Translator, columns: Sequence[str], accessible_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, len(columns))
        self.table.setHorizontalHeaderLabels(list(columns))
        self.table.setAccessibleName(accessible_name)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setMaximumHeight(120)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        add = QPushButton(tr("Thêm dòng"))
        add.clicked.connect(lambda: self.add_row([""] * len(columns), edit=True))
        remove = QPushButton(tr("Xóa dòng"))
        remove.clicked.connect(self._on_remove)
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        layout.addLayout(row)

    def add_row(self, values: Sequence[str], *, edit: bool = False) -> None:
        n = self.table.rowCount()
        self.table.insertRow(n)
        for col, value in enumerate(values):
            self.table.setItem(n, col, QTableWidgetItem(value))
        if edit:
            self.table.setCurrentCell(n, 0)
            first = self.table.item(n, 0)
            if first is not None:
                self.table.editItem(first)

    def set_rows(self, rows: Sequence[Sequence[str]]) -> None:
        self.table.setRowCount(0)
        for values in rows:
            self.add_row(values)

    def rows(self) -> list[tuple[str, ...]]:
        out: list[tuple[str, ...]] = []
        for r in range(self.table.rowCount()):
            values = tuple(((cell.text() if (cell := self.table.item(r, c)) is not None else "")).strip()
                           for c in range(self.table.columnCount()))
            if any(values):
                out.append(values)
        return out

    def _on_remove(self) -> None:
        for r in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(r)
