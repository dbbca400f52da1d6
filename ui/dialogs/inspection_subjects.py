"""The subjects of an inspection being prepared: people of the unit, rows typed in, the unit itself."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.domain import Person, Subject
from inspector.services.inspections import SubjectSpec
from ui.context import AppContext
from ui.dialogs.registry import open_person_dialog
from ui.icons import icon

ID_ROLE = Qt.ItemDataRole.UserRole
PERSON_ROLE = Qt.ItemDataRole.UserRole + 1


class PeoplePicker(QDialog):
    """Pick people of the inspected unit (and its sub-units) as subjects, or add one right here."""

    def __init__(self, ctx: AppContext, people: Sequence[Person], units: set[str] | None, unit_id: str | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        tr = ctx.tr
        self.unit_id = unit_id
        self.setWindowTitle(tr("Chọn đối tượng kiểm tra"))
        self.setMinimumSize(480, 400)
        layout = QVBoxLayout(self)
        self.empty = QLabel(tr("Đơn vị này chưa có cán bộ nào trong danh bạ. Bấm “Thêm cán bộ…” để thêm người của"
                               " đơn vị, hoặc dùng “Thêm dòng” trong cửa sổ trước để nhập trực tiếp."))
        self.empty.setWordWrap(True)
        self.empty.setObjectName("hint")
        layout.addWidget(self.empty)
        self.list = QListWidget()
        self.list.setAccessibleName(tr("Danh sách cán bộ"))
        for person in people:
            if units is None or person.unit_id in units:
                self.add_person(person, checked=False)
        layout.addWidget(self.list, 1)
        self.empty.setVisible(not self.list.count())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.add_button = buttons.addButton(tr("Thêm cán bộ…"), QDialogButtonBox.ButtonRole.ActionRole)
        self.add_button.setIcon(icon("person"))
        self.add_button.setToolTip(tr("Thêm một người của đơn vị vào danh bạ và chọn luôn"))
        self.add_button.clicked.connect(self._on_add_person)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def add_person(self, person: Person, *, checked: bool) -> None:
        label = ", ".join(part for part in (person.full_name, person.position) if part)
        if person.holds_leadership:
            label += " — " + self.ctx.tr("lãnh đạo")
        item = QListWidgetItem(label)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        item.setData(ID_ROLE, person)
        self.list.addItem(item)
        self.empty.setVisible(False)

    def _on_add_person(self) -> None:
        open_person_dialog(self.ctx, None, self, unit_id=self.unit_id,
                           on_saved=lambda person: self.add_person(person, checked=True))

    def chosen(self) -> list[Person]:
        return [self.list.item(n).data(ID_ROLE) for n in range(self.list.count())
                if self.list.item(n).checkState() == Qt.CheckState.Checked]


class SubjectsEditor(QWidget):
    """The subjects table with its buttons; `people` gives the registry's people of the chosen unit."""

    changed = Signal()

    def __init__(self, ctx: AppContext, pick: Callable[[], PeoplePicker], collective_name: Callable[[], str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._pick = pick
        self._collective_name = collective_name
        tr = ctx.tr
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels([tr("Họ tên / tên tập thể"), tr("Chức vụ"), tr("Lãnh đạo"), tr("Loại")])
        self.table.setAccessibleName(tr("Danh sách đối tượng kiểm tra"))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        for text, slot, tip in (
                (tr("Chọn từ danh bạ…"), self._on_pick_people, tr("Chọn cán bộ của đơn vị được kiểm tra")),
                (tr("Thêm dòng"), lambda: self.add_row(), tr("Nhập trực tiếp họ tên và chức vụ")),
                (tr("Thêm tập thể"), self._on_add_collective, tr("Kiểm tra đơn vị như một tập thể")),
                (tr("Xóa dòng"), self._on_remove_row, tr("Bỏ đối tượng đã chọn"))):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

    def count(self) -> int:
        return self.table.rowCount()

    def add_row(self, name: str = "", position: str = "", leader: bool = False, kind: str = "person",
                person_id: str | None = None, subject_id: str | None = None) -> None:
        table = self.table
        row = table.rowCount()
        table.insertRow(row)
        name_item = QTableWidgetItem(name)
        name_item.setData(ID_ROLE, subject_id)
        name_item.setData(PERSON_ROLE, person_id)
        table.setItem(row, 0, name_item)
        table.setItem(row, 1, QTableWidgetItem(position))
        lead = QTableWidgetItem()
        lead.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
        lead.setCheckState(Qt.CheckState.Checked if leader else Qt.CheckState.Unchecked)
        table.setItem(row, 2, lead)
        combo = QComboBox()
        combo.setAccessibleName(self.ctx.tr("Loại đối tượng"))
        combo.addItem(self.ctx.tr("Cá nhân"), "person")
        combo.addItem(self.ctx.tr("Tập thể"), "collective")
        combo.setCurrentIndex(combo.findData(kind))
        table.setCellWidget(row, 3, combo)
        if not name:
            table.setCurrentCell(row, 0)
            table.editItem(name_item)
        self.changed.emit()

    def load(self, subjects: Sequence[Subject]) -> None:
        for subj in subjects:
            self.add_row(subj.name, subj.position, subj.holds_leadership, subj.kind, subj.person_id, subj.id)

    def _on_pick_people(self) -> None:
        picker = self._pick()
        if picker.exec():
            for person in picker.chosen():
                self.add_row(person.full_name, person.position, person.holds_leadership, "person", person.id)

    def _on_add_collective(self) -> None:
        self.add_row(self._collective_name(), self.ctx.tr("Tập thể đơn vị"), False, "collective")

    def _on_remove_row(self) -> None:
        for index in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(index)
        self.changed.emit()

    def specs(self) -> list[SubjectSpec]:
        specs: list[SubjectSpec] = []
        table = self.table
        for row in range(table.rowCount()):
            name = table.item(row, 0)
            position = table.item(row, 1)
            lead = table.item(row, 2)
            combo = table.cellWidget(row, 3)
            specs.append(SubjectSpec(
                name=name.text() if name else "",
                position=position.text() if position else "",
                holds_leadership=lead is not None and lead.checkState() == Qt.CheckState.Checked,
                kind=combo.currentData() if isinstance(combo, QComboBox) else "person",
                person_id=name.data(PERSON_ROLE) if name else None,
                id=name.data(ID_ROLE) if name else None,
            ))
        return specs
