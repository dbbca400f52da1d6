"""Preparing an inspection: decision, legal basis, unit, checklist version, team, subjects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.catalog.model import AUDIENCES
from inspector.domain import INSPECTION_KINDS, REGIMES, TEAM_ROLES, Inspection, Person, Team, Unit
from inspector.errors import UserError
from inspector.i18n import Translator
from inspector.services.inspections import InspectionDraft, SubjectSpec, default_legal_basis
from inspector.workspace import Services
from ui.context import AppContext
from ui.dialogs.guard import GuardedDialog
from ui.dialogs.registry import open_unit_dialog
from ui.icons import icon
from ui.views.inspections_page import unit_choices

ID_ROLE = Qt.ItemDataRole.UserRole
PERSON_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class ChecklistChoice:
    key: str           # "id@version"
    label: str
    item_count: int
    audience: str


@dataclass(frozen=True)
class InspectionChoices:
    """Everything the form chooses from, read in one query before it opens."""

    units: list[Unit]
    people: list[Person]
    checklists: list[ChecklistChoice]
    teams: list[Team]

    def subtree(self, unit_id: str) -> set[str]:
        children: dict[str | None, list[str]] = {}
        for u in self.units:
            children.setdefault(u.parent_id, []).append(u.id)
        found, todo = set(), [unit_id]
        while todo:
            current = todo.pop()
            if current not in found:
                found.add(current)
                todo.extend(children.get(current, []))
        return found

    def team(self, team_id: str) -> Team | None:
        return next((t for t in self.teams if t.id == team_id), None)


def read_choices(s: Services, tr: Translator) -> InspectionChoices:
    checklists = []
    for info in reversed(s.catalogs.list_versions("checklist")):
        checklist = s.catalogs.checklist(info.id, info.version)
        checklists.append(ChecklistChoice(f"{info.id}@{info.version}",
                                          f"{info.title} — {tr('phiên bản')} {info.version}",
                                          len(checklist.items), checklist.audience))
    return InspectionChoices(s.registry.units(), s.registry.people(), checklists, s.registry.teams())


def open_inspection_dialog(ctx: AppContext, inspection_id: str | None, parent: QWidget,
                           on_saved: Callable[[Inspection], object] | None = None) -> None:
    """Read the choices (and the inspection to edit), then open the form."""

    def read(s: Services) -> tuple[InspectionChoices, Inspection | None]:
        return read_choices(s, ctx.tr), s.inspections.get(inspection_id) if inspection_id else None

    def show(data: tuple[InspectionChoices, Inspection | None]) -> None:
        dialog = InspectionDialog(ctx, data[0], data[1], parent)
        if dialog.exec() and dialog.result_inspection is not None and on_saved is not None:
            on_saved(dialog.result_inspection)

    ctx.ops.query(read, show, owner=parent)


class PeoplePicker(QDialog):
    """Pick people of the inspected unit (and its sub-units) as subjects."""

    def __init__(self, ctx: AppContext, choices: InspectionChoices, unit_id: str | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        tr = ctx.tr
        self.setWindowTitle(tr("Chọn đối tượng kiểm tra"))
        self.setMinimumSize(480, 420)
        layout = QVBoxLayout(self)
        units = choices.subtree(unit_id) if unit_id else None
        self.list = QListWidget()
        self.list.setAccessibleName(tr("Danh sách cán bộ"))
        for person in choices.people:
            if units is not None and person.unit_id not in units:
                continue
            lead = " — " + tr("lãnh đạo") if person.holds_leadership else ""
            item = QListWidgetItem(f"{person.full_name}, {person.position}{lead}")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            item.setData(ID_ROLE, person)
            self.list.addItem(item)
        if not self.list.count():
            layout.addWidget(QLabel(tr("Đơn vị này chưa có cán bộ nào trong danh bạ. Thêm người ở màn hình"
                                       " “Đơn vị và cán bộ”, hoặc dùng “Thêm dòng” để nhập trực tiếp.")))
        layout.addWidget(self.list)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def chosen(self) -> list[Person]:
        return [self.list.item(n).data(ID_ROLE) for n in range(self.list.count())
                if self.list.item(n).checkState() == Qt.CheckState.Checked]


class InspectionDialog(GuardedDialog):
    def __init__(self, ctx: AppContext, choices: InspectionChoices, inspection: Inspection | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx.tr, parent)
        self.ctx = ctx
        self.choices = choices
        self.inspection = inspection
        self.result_inspection: Inspection | None = None
        tr = ctx.tr
        self.setWindowTitle(tr("Sửa thông tin đợt kiểm tra") if inspection else tr("Chuẩn bị đợt kiểm tra mới"))
        self.setMinimumSize(860, 720)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)

        decision = QHBoxLayout()
        self.decision_no = QLineEdit()
        self.decision_no.setPlaceholderText(tr("ví dụ 125/QĐ-ĐKT hoặc 12-QĐ/TU"))
        self.decision_no.setAccessibleName(tr("Số quyết định"))
        self.decision_date = QDateEdit(QDate.currentDate())
        self.decision_date.setDisplayFormat("dd/MM/yyyy")
        self.decision_date.setCalendarPopup(True)
        self.decision_date.setAccessibleName(tr("Ngày quyết định"))
        decision.addWidget(self.decision_no, 2)
        decision.addWidget(QLabel(tr("ngày")))
        decision.addWidget(self.decision_date, 1)
        form.addRow(tr("Quyết định số"), decision)
        self.issuer = QLineEdit()
        self.issuer.setPlaceholderText(tr("ví dụ Ban Thường vụ Thành ủy Hà Nội"))
        self.issuer.setAccessibleName(tr("Cơ quan ra quyết định"))
        form.addRow(tr("Cơ quan ra quyết định"), self.issuer)
        kinds = QHBoxLayout()
        self.kind = QComboBox()
        self.kind.setAccessibleName(tr("Hình thức kiểm tra"))
        for key, label in INSPECTION_KINDS.items():
            self.kind.addItem(tr(label), key)
        self.regime = QComboBox()
        self.regime.setAccessibleName(tr("Thể thức văn bản"))
        self.regime.setToolTip(tr("Quyết định tiêu đề, số, ký hiệu và chữ ký của biên bản và kết luận"))
        for key, label in REGIMES.items():
            self.regime.addItem(tr(label), key)
        kinds.addWidget(self.kind)
        kinds.addWidget(QLabel(tr("Thể thức")))
        kinds.addWidget(self.regime, 1)
        form.addRow(tr("Hình thức"), kinds)
        unit_row = QHBoxLayout()
        self.unit = QComboBox()
        self.unit.setAccessibleName(tr("Đơn vị được kiểm tra"))
        unit_row.addWidget(self.unit, 1)
        add_unit = QPushButton(icon("new"), tr("Thêm đơn vị…"))
        add_unit.clicked.connect(self._on_add_unit)
        unit_row.addWidget(add_unit)
        form.addRow(tr("Đơn vị được kiểm tra"), unit_row)
        self.checklist = QComboBox()
        self.checklist.setAccessibleName(tr("Bộ câu hỏi và phiên bản"))
        form.addRow(tr("Bộ câu hỏi"), self.checklist)
        self.checklist_info = QLabel()
        self.checklist_info.setObjectName("hint")
        form.addRow("", self.checklist_info)
        self.team = QComboBox()
        self.team.setAccessibleName(tr("Đoàn kiểm tra"))
        form.addRow(tr("Đoàn kiểm tra"), self.team)
        self.team_members = QLabel()
        self.team_members.setObjectName("hint")
        self.team_members.setWordWrap(True)
        form.addRow("", self.team_members)
        where = QHBoxLayout()
        self.planned = QDateEdit(QDate.currentDate())
        self.planned.setDisplayFormat("dd/MM/yyyy")
        self.planned.setCalendarPopup(True)
        self.planned.setAccessibleName(tr("Ngày dự kiến"))
        self.has_planned = QCheckBox(tr("Ngày dự kiến"))
        self.has_planned.setChecked(True)
        self.has_planned.toggled.connect(self.planned.setEnabled)
        self.location = QLineEdit()
        self.location.setPlaceholderText(tr("Địa điểm làm việc"))
        self.location.setAccessibleName(tr("Địa điểm"))
        where.addWidget(self.has_planned)
        where.addWidget(self.planned)
        where.addWidget(self.location, 2)
        form.addRow(tr("Thời gian, địa điểm"), where)
        self.title = QLineEdit()
        self.title.setPlaceholderText(tr("Để trống để dùng trích yếu mặc định"))
        self.title.setAccessibleName(tr("Trích yếu"))
        form.addRow(tr("Trích yếu"), self.title)
        basis_row = QVBoxLayout()
        self.basis = QPlainTextEdit()
        self.basis.setAccessibleName(tr("Căn cứ"))
        self.basis.setPlaceholderText(tr("Mỗi căn cứ một dòng"))
        self.basis.setMaximumHeight(90)
        basis_row.addWidget(self.basis)
        fill = QPushButton(tr("Điền căn cứ mặc định"))
        fill.setToolTip(tr("Chỉ thị 24-CT/TU và quyết định thành lập Đoàn, theo các ô phía trên"))
        fill.clicked.connect(self._fill_basis)
        basis_row.addWidget(fill, 0, Qt.AlignmentFlag.AlignLeft)
        form.addRow(tr("Căn cứ"), basis_row)
        layout.addLayout(form)

        layout.addWidget(QLabel(f"<b>{tr('Đối tượng kiểm tra')}</b>"))
        self.subjects = QTableWidget(0, 4)
        self.subjects.setHorizontalHeaderLabels([tr("Họ tên / tên tập thể"), tr("Chức vụ"), tr("Lãnh đạo"),
                                                 tr("Loại")])
        self.subjects.setAccessibleName(tr("Danh sách đối tượng kiểm tra"))
        self.subjects.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.subjects.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.subjects.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        layout.addWidget(self.subjects, 1)
        subject_buttons = QHBoxLayout()
        for text, slot, tip in (
                (tr("Chọn từ danh bạ…"), self._on_pick_people, tr("Chọn cán bộ của đơn vị được kiểm tra")),
                (tr("Thêm dòng"), lambda: self._add_row(), tr("Nhập trực tiếp họ tên và chức vụ")),
                (tr("Thêm tập thể đơn vị"), self._on_add_collective, tr("Kiểm tra đơn vị như một tập thể")),
                (tr("Xóa dòng"), self._on_remove_row, tr("Bỏ đối tượng đã chọn"))):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            subject_buttons.addWidget(button)
        subject_buttons.addStretch(1)
        layout.addLayout(subject_buttons)

        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(tr("Lưu"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Hủy"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self._load_choices()
        self.checklist.currentIndexChanged.connect(self._update_checklist_info)
        self.team.currentIndexChanged.connect(self._update_team_info)
        if inspection is not None:
            self._load(inspection)
        else:
            self._fill_basis()
        self._update_checklist_info()
        self._update_team_info()

    # -- choices ----------------------------------------------------------------------------
    def _load_choices(self) -> None:
        tr = self.ctx.tr
        unit = self.unit.currentData()
        self.unit.clear()
        for unit_id, label in unit_choices(self.choices.units):
            self.unit.addItem(label, unit_id)
        if unit is not None:
            self.unit.setCurrentIndex(max(0, self.unit.findData(unit)))
        self.checklist.clear()
        for choice in self.choices.checklists:
            self.checklist.addItem(choice.label, choice.key)
        self.team.clear()
        self.team.addItem(tr("(chưa chọn đoàn)"), None)
        for team in self.choices.teams:
            self.team.addItem(team.name, team.id)

    def _update_checklist_info(self) -> None:
        key = self.checklist.currentData()
        choice = next((c for c in self.choices.checklists if c.key == key), None)
        if choice is None:
            self.checklist_info.clear()
            return
        self.checklist_info.setText(self.ctx.tr("{count} mục · dành cho: {audience}").format(
            count=choice.item_count, audience=self.ctx.tr(AUDIENCES.get(choice.audience, choice.audience))))

    def _update_team_info(self) -> None:
        team_id = self.team.currentData()
        team = self.choices.team(team_id) if team_id else None
        if team is None:
            self.team_members.setText(self.ctx.tr("Có thể chọn đoàn sau; biên bản cần có thành phần Đoàn."))
            return
        self.team_members.setText("; ".join(f"{m.full_name} ({self.ctx.tr(TEAM_ROLES[m.role])})"
                                            for m in team.members) or self.ctx.tr("Đoàn chưa có thành viên."))
        if not self.issuer.text() and team.issuing_body:
            self.issuer.setPlaceholderText(team.issuing_body)

    def _on_add_unit(self) -> None:
        open_unit_dialog(self.ctx, None, self, parent_id=self.unit.currentData(), on_saved=self._on_unit_added)

    def _on_unit_added(self, unit: Unit) -> None:
        def show(choices: InspectionChoices) -> None:
            self.choices = choices
            self._load_choices()
            self.unit.setCurrentIndex(self.unit.findData(unit.id))

        self.ctx.ops.query(lambda s: read_choices(s, self.ctx.tr), show, owner=self)

    def _fill_basis(self) -> None:
        lines = default_legal_basis(self.decision_no.text().strip() or "…",
                                    self.decision_date.date().toString("yyyy-MM-dd"), self.issuer.text().strip())
        self.basis.setPlainText("\n".join(lines))

    # -- subjects ---------------------------------------------------------------------------
    def _add_row(self, name: str = "", position: str = "", leader: bool = False, kind: str = "person",
                 person_id: str | None = None, subject_id: str | None = None) -> None:
        row = self.subjects.rowCount()
        self.subjects.insertRow(row)
        name_item = QTableWidgetItem(name)
        name_item.setData(ID_ROLE, subject_id)
        name_item.setData(PERSON_ROLE, person_id)
        self.subjects.setItem(row, 0, name_item)
        self.subjects.setItem(row, 1, QTableWidgetItem(position))
        lead = QTableWidgetItem()
        lead.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
        lead.setCheckState(Qt.CheckState.Checked if leader else Qt.CheckState.Unchecked)
        self.subjects.setItem(row, 2, lead)
        combo = QComboBox()
        combo.addItem(self.ctx.tr("Cá nhân"), "person")
        combo.addItem(self.ctx.tr("Tập thể"), "collective")
        combo.setCurrentIndex(combo.findData(kind))
        self.subjects.setCellWidget(row, 3, combo)
        if not name:
            self.subjects.setCurrentCell(row, 0)
            self.subjects.editItem(name_item)

    def _on_pick_people(self) -> None:
        picker = PeoplePicker(self.ctx, self.choices, self.unit.currentData(), self)
        if picker.exec():
            for person in picker.chosen():
                self._add_row(person.full_name, person.position, person.holds_leadership, "person", person.id)

    def _on_add_collective(self) -> None:
        self._add_row(self.unit.currentText().strip(), self.ctx.tr("Tập thể đơn vị"), False, "collective")

    def _on_remove_row(self) -> None:
        for index in sorted({i.row() for i in self.subjects.selectedIndexes()}, reverse=True):
            self.subjects.removeRow(index)

    def _subject_specs(self) -> list[SubjectSpec]:
        specs: list[SubjectSpec] = []
        for row in range(self.subjects.rowCount()):
            name = self.subjects.item(row, 0)
            position = self.subjects.item(row, 1)
            lead = self.subjects.item(row, 2)
            combo = self.subjects.cellWidget(row, 3)
            specs.append(SubjectSpec(
                name=name.text() if name else "",
                position=position.text() if position else "",
                holds_leadership=lead is not None and lead.checkState() == Qt.CheckState.Checked,
                kind=combo.currentData() if isinstance(combo, QComboBox) else "person",
                person_id=name.data(PERSON_ROLE) if name else None,
                id=name.data(ID_ROLE) if name else None,
            ))
        return specs

    # -- load and save ----------------------------------------------------------------------
    def _load(self, insp: Inspection) -> None:
        s = insp.summary
        self.decision_no.setText(s.decision_no)
        self.decision_date.setDate(QDate.fromString(s.decision_date, "yyyy-MM-dd"))
        self.issuer.setText(insp.decision_issuer)
        self.kind.setCurrentIndex(self.kind.findData(s.kind))
        self.regime.setCurrentIndex(self.regime.findData(s.regime))
        self.unit.setCurrentIndex(self.unit.findData(s.unit_id))
        self.checklist.setCurrentIndex(self.checklist.findData(f"{s.checklist_id}@{s.checklist_version}"))
        self.team.setCurrentIndex(max(0, self.team.findData(insp.team.id if insp.team else None)))
        self.has_planned.setChecked(bool(s.planned_date))
        if s.planned_date:
            self.planned.setDate(QDate.fromString(s.planned_date, "yyyy-MM-dd"))
        self.location.setText(insp.location)
        self.title.setText(s.title)
        self.basis.setPlainText("\n".join(insp.legal_basis))
        for subj in insp.subjects:
            self._add_row(subj.name, subj.position, subj.holds_leadership, subj.kind, subj.person_id, subj.id)

    def draft(self) -> InspectionDraft:
        checklist_id, _, version = (self.checklist.currentData() or "").partition("@")
        return InspectionDraft(
            decision_no=self.decision_no.text(),
            decision_date=self.decision_date.date().toString("yyyy-MM-dd"),
            decision_issuer=self.issuer.text(),
            unit_id=self.unit.currentData() or "",
            checklist_id=checklist_id,
            checklist_version=int(version) if version else None,
            kind=self.kind.currentData(),
            regime=self.regime.currentData(),
            title=self.title.text(),
            legal_basis=[line for line in self.basis.toPlainText().splitlines() if line.strip()],
            team_id=self.team.currentData(),
            planned_date=self.planned.date().toString("yyyy-MM-dd") if self.has_planned.isChecked() else "",
            location=self.location.text(),
            subjects=self._subject_specs(),
        )

    def save(self) -> None:
        tr = self.ctx.tr
        if not self.unit.currentData():
            self.error.setText(tr("Chưa chọn đơn vị được kiểm tra. Chọn trong danh sách hoặc bấm “Thêm đơn vị…”."))
            return
        if not self.subjects.rowCount():
            self.error.setText(tr("Chưa có đối tượng kiểm tra. Thêm ít nhất một cá nhân hoặc tập thể."))
            return
        draft = self.draft()
        self.buttons.setEnabled(False)
        self.error.clear()
        existing = self.inspection

        def job(s: Services) -> Inspection:
            return s.inspections.revise(existing.id, draft) if existing else s.inspections.create(draft)

        def done(insp: Inspection) -> None:
            self.result_inspection = insp
            self.accept()

        def failed(exc: BaseException) -> None:
            self.buttons.setEnabled(True)
            if isinstance(exc, UserError):
                self.error.setText(exc.render(tr))

        self.ctx.ops.write(job, done, failed, show_errors=False, owner=self)
