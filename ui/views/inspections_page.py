"""The inspections list: search, filters, status counts, sort; open, duplicate, archive."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inspector.changes import Changes
from inspector.domain import INSPECTION_KINDS, STATUSES, Inspection, InspectionSummary, Unit
from inspector.services.inspections import InspectionQuery
from inspector.workspace import Services
from ui.context import AppContext
from ui.icons import icon
from ui.models.inspections import InspectionsModel, InspectionsProxy
from ui.ops import OpHandle
from ui.widgets.delegates import ProgressDelegate, StatusBadgeDelegate
from ui.widgets.unit_picker import UnitPicker


class InspectionsPage(QWidget):
    loaded = Signal()  # the list shows the store's current state (tests wait on it)
    open_requested = Signal(str)
    new_requested = Signal()
    edit_requested = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        tr = ctx.tr
        self._status_filter: str | None = None
        layout = QVBoxLayout(self)
        title = QLabel(tr("Các đợt kiểm tra"))
        title.setObjectName("pageTitle")
        layout.addWidget(title)

        filters = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("Tìm trích yếu, số quyết định, đơn vị…"))
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(tr("Tìm kiếm đợt kiểm tra"))
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        filters.addWidget(self.search, 3)
        self.unit_filter = UnitPicker(tr, empty_text=tr("Mọi đơn vị (gõ để lọc theo đơn vị)"))
        self.unit_filter.setAccessibleName(tr("Lọc theo đơn vị"))
        self.unit_filter.setToolTip(tr("Chỉ hiện các đợt kiểm tra của đơn vị này và các đơn vị cấp dưới"))
        filters.addWidget(self.unit_filter, 2)
        self.kind_filter = QComboBox()
        self.kind_filter.setAccessibleName(tr("Lọc theo hình thức"))
        self.kind_filter.addItem(tr("Mọi hình thức"), None)
        for key, label in INSPECTION_KINDS.items():
            self.kind_filter.addItem(tr(label), key)
        filters.addWidget(self.kind_filter)
        self.use_dates = QCheckBox(tr("Ngày quyết định từ"))
        self.use_dates.setToolTip(tr("Lọc theo khoảng ngày của quyết định kiểm tra"))
        filters.addWidget(self.use_dates)
        self.date_from = QDateEdit(QDate.currentDate().addMonths(-6))
        self.date_to = QDateEdit(QDate.currentDate())
        for w, name in ((self.date_from, "Từ ngày"), (self.date_to, "Đến ngày")):
            w.setDisplayFormat("dd/MM/yyyy")
            w.setCalendarPopup(True)
            w.setEnabled(False)
            w.setAccessibleName(tr(name))
        filters.addWidget(self.date_from)
        filters.addWidget(QLabel(tr("đến")))
        filters.addWidget(self.date_to)
        self.show_archived = QCheckBox(tr("Đã lưu trữ"))
        self.show_archived.setToolTip(tr("Chỉ hiện các đợt kiểm tra đã lưu trữ"))
        filters.addWidget(self.show_archived)
        layout.addLayout(filters)

        chips = QHBoxLayout()
        self.status_group = QButtonGroup(self)
        self.status_group.setExclusive(True)
        self.status_buttons: dict[str | None, QPushButton] = {}
        keys: list[str | None] = [None, *STATUSES]
        for status in keys:
            button = QPushButton()
            button.setCheckable(True)
            button.setFlat(True)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setAccessibleName(tr("Lọc theo trạng thái"))
            self.status_group.addButton(button)
            self.status_buttons[status] = button
            chips.addWidget(button)
            button.clicked.connect(lambda _=False, k=status: self._on_status_chip(k))
        self.status_buttons[None].setChecked(True)
        chips.addStretch(1)
        self.count_label = QLabel()
        self.count_label.setObjectName("hint")
        chips.addWidget(self.count_label)
        layout.addLayout(chips)

        self.model = InspectionsModel(tr)
        self.proxy = InspectionsProxy()
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName(tr("Danh sách đợt kiểm tra"))
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for col, width in ((0, 120), (1, 110), (3, 100), (4, 170), (5, 160), (6, 130)):
            self.table.setColumnWidth(col, width)
        self.table.setItemDelegateForColumn(InspectionsModel.STATUS_COLUMN, StatusBadgeDelegate(self.table))
        self.table.setItemDelegateForColumn(InspectionsModel.PROGRESS_COLUMN, ProgressDelegate(self.table))
        self.empty = QLabel(tr("Chưa có đợt kiểm tra nào phù hợp. Bấm “Tạo đợt kiểm tra” (Ctrl+N) để bắt đầu,"
                               " hoặc bỏ bớt điều kiện lọc."))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setObjectName("hint")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack, 1)

        buttons = QHBoxLayout()
        self.new_button = QPushButton(icon("new", "white"), tr("Tạo đợt kiểm tra"))
        self.new_button.setObjectName("primary")
        self.new_button.setToolTip(tr("Chuẩn bị một đợt kiểm tra mới (Ctrl+N)"))
        self.open_button = QPushButton(icon("open"), tr("Mở để ghi nhận"))
        self.open_button.setToolTip(tr("Mở đợt kiểm tra đã chọn để ghi nhận kết quả (Enter)"))
        self.edit_button = QPushButton(icon("edit"), tr("Sửa thông tin"))
        self.edit_button.setToolTip(tr("Sửa quyết định, căn cứ, đoàn, đối tượng kiểm tra"))
        self.duplicate_button = QPushButton(icon("duplicate"), tr("Nhân bản làm mẫu"))
        self.duplicate_button.setToolTip(tr("Tạo đợt kiểm tra mới với cùng thông tin và đối tượng (chưa có kết quả)"))
        self.archive_button = QPushButton(icon("archive"), tr("Lưu trữ"))
        self.archive_button.setToolTip(tr("Chuyển đợt kiểm tra vào lưu trữ hoặc đưa ra khỏi lưu trữ"))
        for b in (self.new_button, self.open_button, self.edit_button, self.duplicate_button, self.archive_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout.addLayout(buttons)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(200)
        self._debounce.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.unit_filter.unit_changed.connect(lambda _u: self.reload())
        self.kind_filter.currentIndexChanged.connect(lambda _i: self.reload())
        self.use_dates.toggled.connect(self._on_use_dates)
        self.date_from.dateChanged.connect(lambda _d: self.reload())
        self.date_to.dateChanged.connect(lambda _d: self.reload())
        self.show_archived.toggled.connect(lambda _c: self.reload())
        self.table.doubleClicked.connect(self._on_table_activated)
        self.table.activated.connect(self._on_table_activated)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.new_button.clicked.connect(self.new_requested)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.edit_button.clicked.connect(self._on_edit_clicked)
        self.duplicate_button.clicked.connect(self._on_duplicate_clicked)
        self.archive_button.clicked.connect(self._on_archive_clicked)
        QShortcut(QKeySequence("Ctrl+F"), self, lambda: self.search.setFocus())
        self._select_next: str | None = None
        self._loading: OpHandle[Any] | None = None
        self._stale = False
        ctx.ops.changed.connect(self._on_changed)
        self.reload_units()
        self.reload()

    # -- data -------------------------------------------------------------------------------
    def _on_changed(self, changes: Changes, _initiator: object) -> None:
        if changes.registry:
            self.reload_units()
        if changes.inspection_list or changes.inspections or changes.registry or changes.sync:
            self.reload()

    def reload_units(self) -> None:
        self.ctx.ops.query(lambda s: s.registry.units(), self._show_units, owner=self)

    def _show_units(self, units: list[Unit]) -> None:
        self.unit_filter.set_units(units)  # the chosen unit stays chosen while it exists

    def query(self) -> InspectionQuery:
        dates = self.use_dates.isChecked()
        return InspectionQuery(
            search=self.search.text(),
            statuses=(self._status_filter,) if self._status_filter else (),
            unit_id=self.unit_filter.current_id(),
            kind=self.kind_filter.currentData(),
            date_from=self.date_from.date().toString("yyyy-MM-dd") if dates else "",
            date_to=self.date_to.date().toString("yyyy-MM-dd") if dates else "",
            only_archived=self.show_archived.isChecked(),
        )

    def reload(self) -> None:
        """Ask for the rows the filters select; one query at a time, the newest filters win."""
        if self._loading is not None and not self._loading.done:
            self._stale = True
            return
        query = self.query()

        def read(s: Services) -> tuple[list[InspectionSummary], dict[str, int]]:
            return s.inspections.find(query), s.inspections.status_counts(query)

        self._loading = self.ctx.ops.query(read, self._show, owner=self)

    def _show(self, result: tuple[list[InspectionSummary], dict[str, int]]) -> None:
        if self._stale:
            self._stale = False
            self._loading = None
            self.reload()
            return
        rows, counts = result
        selected = self._select_next or (summary.id if (summary := self.selected()) else None)
        self.model.set_rows(rows)
        total = sum(counts.values())
        tr = self.ctx.tr
        self.status_buttons[None].setText(tr("Tất cả ({count})").format(count=total))
        for key, button in self.status_buttons.items():
            if key is not None:
                button.setText(f"{tr(STATUSES[key])} ({counts.get(key, 0)})")
                button.setVisible(counts.get(key, 0) > 0 or key == self._status_filter)
        self.count_label.setText(tr("Hiển thị {shown} đợt kiểm tra").format(shown=len(rows)))
        self.stack.setCurrentIndex(0 if rows else 1)
        if selected is not None and self.model.row_of(selected) >= 0:
            self.select(selected)
            self._select_next = None
        self._update_buttons()
        self.loaded.emit()

    def select_when_listed(self, inspection_id: str) -> None:
        """Select an inspection now, or as soon as a refresh lists it (just created)."""
        if self.model.row_of(inspection_id) >= 0:
            self.select(inspection_id)
        else:
            self._select_next = inspection_id

    def selected(self) -> InspectionSummary | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.summary(self.proxy.mapToSource(rows[0]).row())

    def select(self, inspection_id: str) -> None:
        row = self.model.row_of(inspection_id)
        if row >= 0:
            index = self.proxy.mapFromSource(self.model.index(row, 0))
            self.table.selectRow(index.row())
            self.table.scrollTo(index)

    def _update_buttons(self) -> None:
        summary = self.selected()
        for b in (self.open_button, self.edit_button, self.duplicate_button, self.archive_button):
            b.setEnabled(summary is not None)
        if summary is not None:
            self.archive_button.setText(self.ctx.tr("Bỏ lưu trữ") if summary.archived else self.ctx.tr("Lưu trữ"))
            self.archive_button.setIcon(icon("unarchive" if summary.archived else "archive"))

    # -- slots ------------------------------------------------------------------------------
    def _on_status_chip(self, key: str | None) -> None:
        self._status_filter = key
        self.reload()

    def _on_use_dates(self, on: bool) -> None:
        self.date_from.setEnabled(on)
        self.date_to.setEnabled(on)
        self.reload()

    def _on_table_activated(self, index: QModelIndex) -> None:
        self.open_requested.emit(self.model.summary(self.proxy.mapToSource(index).row()).id)

    def _on_open_clicked(self) -> None:
        if (summary := self.selected()) is not None:
            self.open_requested.emit(summary.id)

    def _on_edit_clicked(self) -> None:
        if (summary := self.selected()) is not None:
            self.edit_requested.emit(summary.id)

    def _on_duplicate_clicked(self) -> None:
        summary = self.selected()
        if summary is None:
            return

        def done(copy: Inspection) -> None:
            self.select_when_listed(copy.id)
            self.edit_requested.emit(copy.id)

        self.ctx.ops.write(lambda s: s.inspections.duplicate(summary.id), done, owner=self)

    def _on_archive_clicked(self) -> None:
        summary = self.selected()
        if summary is None:
            return
        tr = self.ctx.tr
        if not summary.archived:
            text = tr("Chuyển đợt kiểm tra {no} ({unit}) vào lưu trữ? Đợt kiểm tra không mất, vẫn xem được ở mục"
                      " “Đã lưu trữ”.").format(no=summary.decision_no, unit=summary.unit_name)
            left = summary.total_cells - summary.assessed_count
            if left > 0:
                text = tr("Còn {n}/{total} ô chưa đánh giá.").format(n=left, total=summary.total_cells) + " " + text
            if QMessageBox.question(self, tr("Lưu trữ"), text) != QMessageBox.StandardButton.Yes:
                return
        self.ctx.ops.write(lambda s: s.inspections.archive(summary.id, not summary.archived), owner=self)
