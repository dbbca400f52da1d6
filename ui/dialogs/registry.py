"""Small forms for the registry: a unit, a person, an inspection team."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from inspector.domain import TEAM_ROLES, UNIT_TYPES, Person, Team, Unit
from inspector.services.registry import MemberSpec
from inspector.workspace import Services
from ui.context import AppContext
from ui.dialogs.guard import FormDialog
from ui.icons import icon
from ui.widgets.unit_picker import UnitPicker


@dataclass(frozen=True)
class RegistryLists:
    """What the registry forms choose from, read once before a form opens."""

    units: list[Unit]
    people: list[Person]


def read_lists(s: Services) -> RegistryLists:
    return RegistryLists(s.registry.units(), s.registry.people())


def subtree(units: list[Unit], unit_id: str) -> set[str]:
    """The unit and every unit under it (a unit cannot move under itself)."""
    children: dict[str | None, list[str]] = {}
    for u in units:
        children.setdefault(u.parent_id, []).append(u.id)
    found: set[str] = set()
    todo = [unit_id]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, []))
    return found


class _FormDialog(FormDialog):
    """A registry form: fields in a form layout; saving runs on the writer thread."""

    def __init__(self, ctx: AppContext, title: str, parent: QWidget | None, lists: RegistryLists) -> None:
        super().__init__(ctx, title, parent)
        self.lists = lists
        self.setMinimumWidth(480)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)


def _line(tr_label: str, value: str = "") -> QLineEdit:
    edit = QLineEdit(value)
    edit.setAccessibleName(tr_label)
    return edit


class UnitDialog(_FormDialog):
    def __init__(self, ctx: AppContext, lists: RegistryLists, unit: Unit | None, parent: QWidget | None = None, *,
                 parent_id: str | None = None) -> None:
        tr = ctx.tr
        super().__init__(ctx, tr("Sửa đơn vị") if unit else tr("Thêm đơn vị"), parent, lists)
        self.unit = unit
        self.name = _line(tr("Tên đơn vị"), unit.name if unit else "")
        self.kind = QComboBox()
        self.kind.setAccessibleName(tr("Loại đơn vị"))
        for key, label in UNIT_TYPES.items():
            self.kind.addItem(tr(label), key)
        self.kind.setCurrentIndex(self.kind.findData(unit.unit_type if unit else "agency"))
        self.parent_unit = UnitPicker(tr, empty_text=tr("(không có — cấp cao nhất)"))
        self.parent_unit.setAccessibleName(tr("Đơn vị cấp trên"))
        self.parent_unit.set_units(lists.units, exclude=subtree(lists.units, unit.id) if unit else ())
        self.parent_unit.set_current(unit.parent_id if unit else parent_id)
        self.code = _line(tr("Mã đơn vị"), unit.code if unit else "")
        self.address = _line(tr("Địa chỉ"), unit.address if unit else "")
        self.form.addRow(tr("Tên đơn vị"), self.name)
        self.form.addRow(tr("Loại"), self.kind)
        self.form.addRow(tr("Cấp trên"), self.parent_unit)
        self.form.addRow(tr("Mã"), self.code)
        self.form.addRow(tr("Địa chỉ"), self.address)
        self.finish_layout()

    def save(self) -> None:
        args = dict(name=self.name.text(), unit_type=self.kind.currentData(), parent_id=self.parent_unit.current_id(),
                    code=self.code.text(), address=self.address.text())
        unit = self.unit
        if unit is None:
            self.submit(lambda s: s.registry.add_unit(**args))
        else:
            self.submit(lambda s: s.registry.update_unit(unit.id, **args))


class PersonDialog(_FormDialog):
    def __init__(self, ctx: AppContext, lists: RegistryLists, person: Person | None, parent: QWidget | None = None,
                 *, unit_id: str | None = None) -> None:
        tr = ctx.tr
        super().__init__(ctx, tr("Sửa thông tin cán bộ") if person else tr("Thêm cán bộ"), parent, lists)
        self.person = person
        self.name = _line(tr("Họ và tên"), person.full_name if person else "")
        self.position = _line(tr("Chức vụ"), person.position if person else "")
        self.unit = UnitPicker(tr, empty_text=tr("(chưa rõ)"))
        self.unit.setAccessibleName(tr("Đơn vị công tác"))
        self.unit.set_units(lists.units)
        self.unit.set_current(person.unit_id if person else unit_id)
        self.leader = QCheckBox(tr("Giữ chức vụ lãnh đạo, quản lý"))
        self.leader.setChecked(bool(person and person.holds_leadership))
        self.honorific = QComboBox()
        self.honorific.setAccessibleName(tr("Danh xưng"))
        for value, label in (("", tr("(không ghi)")), ("Ông", "Ông"), ("Bà", "Bà")):
            self.honorific.addItem(label, value)
        self.honorific.setCurrentIndex(max(0, self.honorific.findData(person.honorific if person else "")))
        self.honorific.setToolTip(tr("Văn bản ghi “Ông”, “Bà” trước họ tên theo thể thức chính quyền"))
        self.form.addRow(tr("Họ và tên"), self.name)
        self.form.addRow(tr("Chức vụ"), self.position)
        self.form.addRow(tr("Đơn vị"), self.unit)
        self.form.addRow(tr("Danh xưng"), self.honorific)
        self.form.addRow("", self.leader)
        self.finish_layout()

    def save(self) -> None:
        name, position, unit_id = self.name.text(), self.position.text(), self.unit.current_id()
        leader, honorific = self.leader.isChecked(), str(self.honorific.currentData())
        person = self.person
        if person is None:
            self.submit(lambda s: s.registry.add_person(name, position=position, unit_id=unit_id,
                                                        holds_leadership=leader, honorific=honorific))
        else:
            self.submit(lambda s: s.registry.update_person(person.id, full_name=name, position=position,
                                                           unit_id=unit_id, holds_leadership=leader,
                                                           honorific=honorific))


@dataclass(frozen=True)
class TeamSuggestion:
    """What a new team starts with (the first-run assistant suggests the body and the user as leader)."""

    superior_body: str = ""
    members: tuple[tuple[str, str], ...] = ()  # (person id, role)


class TeamDialog(_FormDialog):
    def __init__(self, ctx: AppContext, lists: RegistryLists, team: Team | None, parent: QWidget | None = None,
                 *, suggestion: TeamSuggestion | None = None) -> None:
        tr = ctx.tr
        super().__init__(ctx, tr("Sửa đoàn kiểm tra") if team else tr("Thành lập đoàn kiểm tra"), parent, lists)
        self.setMinimumWidth(640)
        self.team = team
        suggested = suggestion or TeamSuggestion()
        self.name = _line(tr("Tên đoàn"), team.name if team else "")
        self.issuing = _line(tr("Cơ quan ban hành văn bản"), team.issuing_body if team else "")
        self.issuing.setPlaceholderText(tr("ví dụ ĐOÀN KIỂM TRA CÔNG VỤ"))
        self.superior = _line(tr("Cơ quan chủ quản"), team.superior_body if team else suggested.superior_body)
        self.superior.setPlaceholderText(tr("ví dụ THÀNH ỦY HÀ NỘI hoặc UBND THÀNH PHỐ HÀ NỘI"))
        self.issuing_abbr = _line(tr("Ký hiệu cơ quan ban hành"), team.issuing_abbr if team else "")
        self.issuing_abbr.setPlaceholderText(tr("viết không dấu như văn thư ghi, ví dụ ĐKT"))
        self.superior_abbr = _line(tr("Ký hiệu cơ quan chủ quản"), team.superior_abbr if team else "")
        self.superior_abbr.setPlaceholderText(tr("ví dụ TU, UBND"))
        self.form.addRow(tr("Tên đoàn"), self.name)
        self.form.addRow(tr("Cơ quan ban hành"), self.issuing)
        self.form.addRow(tr("Ký hiệu"), self.issuing_abbr)
        self.form.addRow(tr("Cơ quan chủ quản"), self.superior)
        self.form.addRow(tr("Ký hiệu"), self.superior_abbr)
        self.people = list(lists.people)
        self.members = QTableWidget(0, 2)
        self.members.setHorizontalHeaderLabels([tr("Thành viên"), tr("Vai trò")])
        self.members.horizontalHeader().setStretchLastSection(True)
        self.members.setColumnWidth(0, 360)
        self.members.setAccessibleName(tr("Thành viên đoàn"))
        self.layout_.addWidget(QLabel(f"<b>{tr('Thành viên')}</b>"))
        self.no_people = QLabel(tr("Danh bạ chưa có ai. Bấm “Thêm người…” để thêm từng thành viên của Đoàn."))
        self.no_people.setObjectName("hint")
        self.no_people.setWordWrap(True)
        self.layout_.addWidget(self.no_people)
        self.layout_.addWidget(self.members)
        row = QHBoxLayout()
        self.add_member_button = QPushButton(tr("Thêm thành viên"))
        self.add_member_button.setToolTip(tr("Thêm một dòng để chọn người có trong danh bạ"))
        self.add_member_button.clicked.connect(lambda: self._add_member(None, "member"))
        self.add_person_button = QPushButton(icon("person"), tr("Thêm người…"))
        self.add_person_button.setToolTip(tr("Thêm người chưa có trong danh bạ, rồi đưa vào Đoàn"))
        self.add_person_button.clicked.connect(self._on_add_person)
        remove = QPushButton(tr("Bỏ thành viên"))
        remove.clicked.connect(lambda: self.members.removeRow(self.members.currentRow()))
        row.addWidget(self.add_member_button)
        row.addWidget(self.add_person_button)
        row.addWidget(remove)
        row.addStretch(1)
        self.layout_.addLayout(row)
        for person_id, role in ((m.person_id, m.role) for m in team.members) if team else suggested.members:
            self._add_member(person_id, role)
        self._update_people_hint()
        self.finish_layout()

    def _update_people_hint(self) -> None:
        self.no_people.setVisible(not self.people)
        self.add_member_button.setEnabled(bool(self.people))

    def _on_add_person(self) -> None:
        open_person_dialog(self.ctx, None, self, on_saved=self._on_person_added)

    def _on_person_added(self, person: Person) -> None:
        """The new person can be picked in every row, and fills a row of their own."""
        self.people.append(person)
        for row in range(self.members.rowCount()):
            who = self.members.cellWidget(row, 0)
            if isinstance(who, QComboBox):
                who.addItem(self._person_label(person), person.id)
        self._add_member(person.id, "leader" if not self.members.rowCount() else "member")
        self._update_people_hint()

    @staticmethod
    def _person_label(person: Person) -> str:
        return f"{person.full_name} — {person.position}" if person.position else person.full_name

    def _add_member(self, person_id: str | None, role: str) -> None:
        row = self.members.rowCount()
        self.members.insertRow(row)
        who = QComboBox()
        who.setAccessibleName(self.ctx.tr("Thành viên"))
        for p in self.people:
            who.addItem(self._person_label(p), p.id)
        who.setCurrentIndex(max(0, who.findData(person_id)))
        what = QComboBox()
        what.setAccessibleName(self.ctx.tr("Vai trò"))
        for key, label in TEAM_ROLES.items():
            what.addItem(self.ctx.tr(label), key)
        what.setCurrentIndex(what.findData(role))
        self.members.setCellWidget(row, 0, who)
        self.members.setCellWidget(row, 1, what)
        self.members.setItem(row, 0, QTableWidgetItem())

    def save(self) -> None:
        members = []
        for row in range(self.members.rowCount()):
            who, what = self.members.cellWidget(row, 0), self.members.cellWidget(row, 1)
            if isinstance(who, QComboBox) and isinstance(what, QComboBox) and who.currentData():
                members.append(MemberSpec(who.currentData(), what.currentData()))
        name, issuing, superior = self.name.text(), self.issuing.text(), self.superior.text()
        issuing_abbr, superior_abbr = self.issuing_abbr.text(), self.superior_abbr.text()
        team = self.team
        if team is None:
            self.submit(lambda s: s.registry.add_team(name, issuing_body=issuing, superior_body=superior,
                                                      members=members, issuing_abbr=issuing_abbr,
                                                      superior_abbr=superior_abbr))
        else:
            self.submit(lambda s: s.registry.update_team(team.id, name=name, issuing_body=issuing,
                                                         superior_body=superior, members=members,
                                                         issuing_abbr=issuing_abbr, superior_abbr=superior_abbr))


def open_unit_dialog(ctx: AppContext, unit_id: str | None, parent: QWidget, *, parent_id: str | None = None,
                     on_saved: Callable[[Unit], object] | None = None) -> None:
    def read(s: Services) -> tuple[RegistryLists, Unit | None]:
        return read_lists(s), s.registry.unit(unit_id) if unit_id else None

    def show(data: tuple[RegistryLists, Unit | None]) -> None:
        dialog = UnitDialog(ctx, data[0], data[1], parent, parent_id=parent_id)
        if dialog.exec() and dialog.saved is not None and on_saved is not None:
            on_saved(dialog.saved)

    ctx.ops.query(read, show, owner=parent)


def open_person_dialog(ctx: AppContext, person_id: str | None, parent: QWidget, *,
                       unit_id: str | None = None, on_saved: Callable[[Person], object] | None = None) -> None:
    def read(s: Services) -> tuple[RegistryLists, Person | None]:
        return read_lists(s), s.registry.person(person_id) if person_id else None

    def show(data: tuple[RegistryLists, Person | None]) -> None:
        dialog = PersonDialog(ctx, data[0], data[1], parent, unit_id=unit_id)
        if dialog.exec() and dialog.saved is not None and on_saved is not None:
            on_saved(dialog.saved)

    ctx.ops.query(read, show, owner=parent)


def open_team_dialog(ctx: AppContext, team_id: str | None, parent: QWidget, *,
                     suggestion: TeamSuggestion | None = None,
                     on_saved: Callable[[Team], object] | None = None) -> None:
    def read(s: Services) -> tuple[RegistryLists, Team | None]:
        return read_lists(s), s.registry.team(team_id) if team_id else None

    def show(data: tuple[RegistryLists, Team | None]) -> None:
        dialog = TeamDialog(ctx, data[0], data[1], parent, suggestion=suggestion)
        if dialog.exec() and dialog.saved is not None and on_saved is not None:
            on_saved(dialog.saved)

    ctx.ops.query(read, show, owner=parent)
