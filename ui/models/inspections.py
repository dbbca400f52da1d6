"""Table model of inspection summaries; filtering is done by the service, sorting by a proxy."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

from inspector.domain import INSPECTION_KINDS, STATUSES, InspectionSummary
from inspector.i18n import Translator
from inspector.text import ui_date, ui_datetime

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
SUMMARY_ROLE = Qt.ItemDataRole.UserRole + 2
STATUS_ROLE = Qt.ItemDataRole.UserRole + 3
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 4

Index = QModelIndex | QPersistentModelIndex


class InspectionsModel(QAbstractTableModel):
    COLUMNS = ("Số quyết định", "Ngày quyết định", "Đơn vị được kiểm tra", "Hình thức", "Trạng thái",
               "Tiến độ", "Cập nhật")
    STATUS_COLUMN = 4
    PROGRESS_COLUMN = 5

    def __init__(self, tr: Translator) -> None:
        super().__init__()
        self.tr = tr  # type: ignore[method-assign,assignment]  # our translator replaces QObject.tr
        self._rows: list[InspectionSummary] = []

    def set_rows(self, rows: list[InspectionSummary]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def summary(self, row: int) -> InspectionSummary:
        return self._rows[row]

    def row_of(self, inspection_id: str) -> int:
        return next((n for n, r in enumerate(self._rows) if r.id == inspection_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.tr(self.COLUMNS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        col = index.column()
        if role == SUMMARY_ROLE:
            return r
        if role == STATUS_ROLE:
            return r.status
        if role == PROGRESS_ROLE:
            return (r.assessed_count, r.total_cells)
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                r.decision_no,
                ui_date(r.decision_date),
                r.unit_name,
                self.tr(INSPECTION_KINDS[r.kind]),
                self.tr(STATUSES[r.status]) + (" · " + self.tr("lưu trữ") if r.archived else ""),
                f"{r.assessed_count}/{r.total_cells}",
                ui_datetime(r.updated_at),
            )[col]
        if role == SORT_ROLE:
            return (
                r.decision_no, r.decision_date, r.unit_name, r.kind, r.status,
                r.assessed_count / r.total_cells if r.total_cells else -1.0, r.updated_at,
            )[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{r.title}\n{self.tr('Bộ câu hỏi')}: {r.checklist_id} v{r.checklist_version}"
        return None


class InspectionsProxy(QSortFilterProxyModel):
    def __init__(self) -> None:
        super().__init__()
        self.setSortRole(SORT_ROLE)
