"""Units (a tree of any depth), the people in them, and inspection teams."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.changes import Changes
from inspector.domain import TEAM_ROLES, UNIT_TYPES, Person, Team, Unit
from inspector.workspace import Services
from ui.context import AppContext
from ui.dialogs.registry import open_person_dialog, open_team_dialog, open_unit_dialog
from ui.icons import icon

ID = Qt.ItemDataRole.UserRole


def _column(title: str, widget: QWidget, *buttons: QPushButton) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(QLabel(f"<b>{title}</b>"))
    layout.addWidget(widget, 1)
    row = QHBoxLayout()
    for b in buttons:
        row.addWidget(b)
    row.addStretch(1)
    layout.addLayout(row)
    return box


class RegistryPage(QWidget):
    loaded = Signal()  # units, teams and the selected unit's people are on screen (tests)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        tr = ctx.tr
        layout = QVBoxLayout(self)
        title = QLabel(tr("Đơn vị và cán bộ"))
        title.setObjectName("pageTitle")
        layout.addWidget(title)
        hint = QLabel(tr("Đơn vị tổ chức theo cây (thành phố → phường, xã → cơ quan, bộ phận). Từ 01/7/2025 Hà Nội"
                         " còn hai cấp chính quyền; cấp quận, huyện chỉ còn trong hồ sơ cũ."))
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.units = QTreeWidget()
        self.units.setHeaderLabels([tr("Đơn vị"), tr("Loại")])
        self.units.setAccessibleName(tr("Cây đơn vị"))
        self.units.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.people = QTableWidget(0, 3)
        self.people.setHorizontalHeaderLabels([tr("Họ và tên"), tr("Chức vụ"), tr("Lãnh đạo")])
        self.people.setAccessibleName(tr("Cán bộ của đơn vị"))
        self.people.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.people.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.people.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.people.verticalHeader().hide()
        self.teams = QListWidget()
        self.teams.setAccessibleName(tr("Các đoàn kiểm tra"))
        add_unit = QPushButton(icon("new"), tr("Thêm đơn vị"))
        edit_unit = QPushButton(icon("edit"), tr("Sửa"))
        add_person = QPushButton(icon("new"), tr("Thêm cán bộ"))
        edit_person = QPushButton(icon("edit"), tr("Sửa"))
        add_team = QPushButton(icon("new"), tr("Thành lập đoàn"))
        edit_team = QPushButton(icon("edit"), tr("Sửa"))
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(_column(tr("Đơn vị"), self.units, add_unit, edit_unit))
        splitter.addWidget(_column(tr("Cán bộ của đơn vị đang chọn"), self.people, add_person, edit_person))
        splitter.addWidget(_column(tr("Đoàn kiểm tra"), self.teams, add_team, edit_team))
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 3)
        splitter.setStretchFactor(2, 2)
        self.splitter = splitter
        layout.addWidget(splitter, 1)
        add_unit.clicked.connect(lambda: open_unit_dialog(ctx, None, self, parent_id=self.current_unit()))
        edit_unit.clicked.connect(self._on_edit_unit)
        add_person.clicked.connect(lambda: open_person_dialog(ctx, None, self, unit_id=self.current_unit()))
        edit_person.clicked.connect(self._on_edit_person)
        add_team.clicked.connect(lambda: open_team_dialog(ctx, None, self))
        edit_team.clicked.connect(self._on_edit_team)
        self.units.currentItemChanged.connect(lambda *_: self.reload_people())
        self.units.itemDoubleClicked.connect(lambda *_: self._on_edit_unit())
        self.people.doubleClicked.connect(lambda *_: self._on_edit_person())
        self.teams.itemDoubleClicked.connect(lambda *_: self._on_edit_team())
        ctx.ops.changed.connect(self._on_changed)
        self.reload()

    def _on_changed(self, changes: Changes, _initiator: object) -> None:
        if changes.registry:
            self.reload()

    def current_unit(self) -> str | None:
        item = self.units.currentItem()
        return item.data(0, ID) if item else None

    def reload(self) -> None:
        def read(s: Services) -> tuple[list[Unit], list[Team]]:
            return s.registry.units(), s.registry.teams()

        self.ctx.ops.query(read, self._show, owner=self)

    def _show(self, data: tuple[list[Unit], list[Team]]) -> None:
        tr = self.ctx.tr
        units, teams = data
        current = self.current_unit()
        self.units.blockSignals(True)
        self.units.clear()
        items: dict[str, QTreeWidgetItem] = {}
        for u in units:
            item = QTreeWidgetItem([u.name, tr(UNIT_TYPES.get(u.unit_type, u.unit_type))])
            item.setData(0, ID, u.id)
            item.setIcon(0, icon("unit"))
            items[u.id] = item
        for u in units:
            parent = items.get(u.parent_id) if u.parent_id else None
            (parent.addChild(items[u.id]) if parent else self.units.addTopLevelItem(items[u.id]))
        self.units.sortItems(0, Qt.SortOrder.AscendingOrder)
        for item in items.values():
            if item.parent() is None:
                item.setExpanded(True)
        if current in items:
            self.units.setCurrentItem(items[current])
        self.units.blockSignals(False)
        self.reload_people()
        self.teams.clear()
        for team in teams:
            members = ", ".join(f"{m.full_name} ({tr(TEAM_ROLES[m.role])})" for m in team.members)
            entry = QListWidgetItem(icon("team"), f"{team.name}\n{members}")
            entry.setData(ID, team.id)
            self.teams.addItem(entry)

    def reload_people(self) -> None:
        unit_id = self.current_unit()
        if unit_id is None:
            self._show_people(unit_id, [])
            return
        self.ctx.ops.query(lambda s: s.registry.people(unit_id=unit_id),
                           lambda people: self._show_people(unit_id, people), owner=self)

    def _show_people(self, unit_id: str | None, people: list[Person]) -> None:
        if unit_id != self.current_unit():
            return
        self.people.setRowCount(0)
        for p in people:
            row = self.people.rowCount()
            self.people.insertRow(row)
            name = QTableWidgetItem(p.full_name)
            name.setData(ID, p.id)
            self.people.setItem(row, 0, name)
            self.people.setItem(row, 1, QTableWidgetItem(p.position))
            self.people.setItem(row, 2, QTableWidgetItem("✓" if p.holds_leadership else ""))
        self.loaded.emit()

    def _on_edit_unit(self) -> None:
        unit_id = self.current_unit()
        if unit_id:
            open_unit_dialog(self.ctx, unit_id, self)

    def _on_edit_person(self) -> None:
        item = self.people.item(self.people.currentRow(), 0)
        if item is not None:
            open_person_dialog(self.ctx, item.data(ID), self)

    def _on_edit_team(self) -> None:
        item = self.teams.currentItem()
        if item is not None:
            open_team_dialog(self.ctx, item.data(ID), self)
