"""Preparing an inspection: decision, legal basis, unit, checklist version, team, subjects, and the
unit's earlier inspections with what they required that is still open."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QDate, QSize, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from inspector.catalog.model import AUDIENCES
from inspector.changes import Changes
from inspector.domain import INSPECTION_KINDS, REGIMES, TEAM_ROLES, Inspection, Person, Team, Unit
from inspector.errors import UserError
from inspector.i18n import Translator
from inspector.services.dates import DECISION_DATE, PLANNED_DATE, DateError, preparation_problems
from inspector.services.inspections import InspectionDraft, default_legal_basis
from inspector.services.requirements import UnitHistory
from inspector.workspace import Services
from ui.context import AppContext
from ui.dialogs.guard import GuardedDialog
from ui.dialogs.inspection_subjects import PeoplePicker, SubjectsEditor
from ui.dialogs.registry import open_team_dialog, open_unit_dialog, subtree
from ui.dialogs.sizing import fit_to_screen
from ui.icons import icon
from ui.widgets.field_error import FieldError
from ui.widgets.unit_history import UnitHistoryPanel
from ui.widgets.unit_picker import UnitPicker

PREFERRED = QSize(1240, 780)


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
    today: str = ""                  # ISO: the Hanoi day of the app's clock (dates are checked against it)
    default_team_id: str | None = None
    issuer: str = ""                 # the issuing body chosen at first run: the usual decision issuer

    def team(self, team_id: str) -> Team | None:
        return next((t for t in self.teams if t.id == team_id), None)


def read_choices(s: Services, tr: Translator) -> InspectionChoices:
    checklists = []
    for info in reversed(s.catalogs.list_versions("checklist")):
        checklist = s.catalogs.checklist(info.id, info.version)
        checklists.append(ChecklistChoice(f"{info.id}@{info.version}",
                                          f"{info.title} — {tr('phiên bản')} {info.version}",
                                          len(checklist.items), checklist.audience))
    body = s.settings.issuing_body()
    return InspectionChoices(s.registry.units(), s.registry.people(), checklists, s.registry.teams(),
                             s.inspections.today().isoformat(), s.settings.default_team_id(),
                             body.name if body else "")


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


def _qdate(iso: str) -> QDate:
    return QDate.fromString(iso[:10], "yyyy-MM-dd")


def _with_error(field: QHBoxLayout | QWidget, error: FieldError) -> QVBoxLayout:
    """A field with its error line under it (a hidden line takes no room)."""
    box = QVBoxLayout()
    box.setSpacing(2)
    if isinstance(field, QWidget):
        box.addWidget(field)
    else:
        box.addLayout(field)
    box.addWidget(error)
    return box


def _narrow(combo: QComboBox) -> QComboBox:
    """A combo box as wide as its column allows, not as its longest entry (it elides the rest)."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(16)
    return combo


def _date_edit(name: str, value: QDate) -> QDateEdit:
    edit = QDateEdit(value)
    edit.setDisplayFormat("dd/MM/yyyy")
    edit.setCalendarPopup(True)
    edit.setAccessibleName(name)
    return edit


class InspectionDialog(GuardedDialog):
    def __init__(self, ctx: AppContext, choices: InspectionChoices, inspection: Inspection | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx.tr, parent)
        self.ctx = ctx
        self.choices = choices
        self.inspection = inspection
        self.result_inspection: Inspection | None = None
        self._generated_basis: str | None = None  # the legal basis follows the decision while it is this text
        self._history_unit: str | None = None
        self._fitted = False
        self._summary_shown = False
        tr = ctx.tr
        self.today = date.fromisoformat(choices.today) if choices.today else date.today()
        self.setWindowTitle(tr("Sửa thông tin đợt kiểm tra") if inspection else tr("Chuẩn bị đợt kiểm tra mới"))
        self.setMinimumSize(760, 500)
        layout = QVBoxLayout(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self._build_form())
        self.splitter.addWidget(self._build_side())
        self.splitter.setStretchFactor(0, 6)
        self.splitter.setStretchFactor(1, 5)
        layout.addWidget(self.splitter, 1)
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
        if inspection is not None:
            self._load(inspection)
        else:
            self._new()
        self._update_checklist_info()
        self._update_team_info()
        self._check_dates()
        self._connect()
        self._load_history()
        ctx.ops.changed.connect(self._on_changed)

    # -- layout -----------------------------------------------------------------------------
    def _build_form(self) -> QWidget:
        tr = self.ctx.tr
        body = QWidget()
        column = QVBoxLayout(body)
        form = QFormLayout()
        column.addLayout(form)
        column.addStretch(1)  # extra height goes below the form, not between its rows
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        decision = QHBoxLayout()
        self.decision_no = QLineEdit()
        self.decision_no.setPlaceholderText(tr("ví dụ 125/QĐ-ĐKT hoặc 12-QĐ/TU"))
        self.decision_no.setAccessibleName(tr("Số quyết định"))
        self.decision_date = _date_edit(tr("Ngày quyết định"), QDate.currentDate())
        decision.addWidget(self.decision_no, 2)
        decision.addWidget(QLabel(tr("ngày")))
        decision.addWidget(self.decision_date, 1)
        self.decision_error = FieldError(tr("Lỗi ngày quyết định"))
        form.addRow(tr("Quyết định số"), _with_error(decision, self.decision_error))
        self.issuer = QLineEdit()
        self.issuer.setPlaceholderText(tr("ví dụ Ban Thường vụ Thành ủy Hà Nội"))
        self.issuer.setAccessibleName(tr("Cơ quan ra quyết định"))
        form.addRow(tr("Cơ quan ra quyết định"), self.issuer)
        kinds = QHBoxLayout()
        self.kind = QComboBox()
        self.kind.setAccessibleName(tr("Hình thức kiểm tra"))
        for key, label in INSPECTION_KINDS.items():
            self.kind.addItem(tr(label), key)
        self.regime = _narrow(QComboBox())
        self.regime.setAccessibleName(tr("Thể thức văn bản"))
        self.regime.setToolTip(tr("Quyết định tiêu đề, số, ký hiệu và chữ ký của biên bản và kết luận"))
        for key, label in REGIMES.items():
            self.regime.addItem(tr(label), key)
        kinds.addWidget(self.kind)
        kinds.addWidget(QLabel(tr("Thể thức")))
        kinds.addWidget(self.regime, 1)
        form.addRow(tr("Hình thức"), kinds)
        unit_row = QHBoxLayout()
        self.unit = UnitPicker(tr, empty_text=tr("Gõ để tìm đơn vị: tên, loại hoặc đơn vị cấp trên"))
        self.unit.setAccessibleName(tr("Đơn vị được kiểm tra"))
        unit_row.addWidget(self.unit, 1)
        add_unit = QPushButton(icon("new"), tr("Thêm đơn vị…"))
        add_unit.setToolTip(tr("Thêm đơn vị chưa có trong danh bạ (đặt dưới đơn vị đang chọn)"))
        add_unit.clicked.connect(self._on_add_unit)
        unit_row.addWidget(add_unit)
        self.unit_error = FieldError(tr("Lỗi đơn vị được kiểm tra"))
        form.addRow(tr("Đơn vị được kiểm tra"), _with_error(unit_row, self.unit_error))
        self.checklist = _narrow(QComboBox())
        self.checklist.setAccessibleName(tr("Bộ câu hỏi và phiên bản"))
        self.checklist_info = QLabel()
        self.checklist_info.setObjectName("hint")
        checklist_box = QVBoxLayout()
        checklist_box.setSpacing(2)
        checklist_box.addWidget(self.checklist)
        checklist_box.addWidget(self.checklist_info)
        form.addRow(tr("Bộ câu hỏi"), checklist_box)
        team_row = QHBoxLayout()
        self.team = _narrow(QComboBox())
        self.team.setAccessibleName(tr("Đoàn kiểm tra"))
        team_row.addWidget(self.team, 1)
        self.add_team = QPushButton(icon("team"), tr("Thành lập đoàn…"))
        self.add_team.setToolTip(tr("Thành lập đoàn kiểm tra mới và chọn cho đợt này"))
        self.add_team.clicked.connect(self._on_add_team)
        team_row.addWidget(self.add_team)
        self.team_members = QLabel()
        self.team_members.setObjectName("hint")
        self.team_members.setWordWrap(True)
        team_box = QVBoxLayout()
        team_box.setSpacing(2)
        team_box.addLayout(team_row)
        team_box.addWidget(self.team_members)
        form.addRow(tr("Đoàn kiểm tra"), team_box)
        planned_row = QHBoxLayout()
        self.has_planned = QCheckBox(tr("Có ngày dự kiến"))
        self.has_planned.setChecked(True)
        self.planned = _date_edit(tr("Ngày dự kiến"), QDate.currentDate())
        planned_row.addWidget(self.has_planned)
        planned_row.addWidget(self.planned)
        planned_row.addStretch(1)
        self.planned_error = FieldError(tr("Lỗi ngày dự kiến"))
        form.addRow(tr("Ngày dự kiến"), _with_error(planned_row, self.planned_error))
        self.location = QLineEdit()
        self.location.setPlaceholderText(tr("Địa điểm làm việc"))
        self.location.setAccessibleName(tr("Địa điểm"))
        form.addRow(tr("Địa điểm"), self.location)
        self.title = QLineEdit()
        self.title.setPlaceholderText(tr("Để trống để dùng trích yếu mặc định"))
        self.title.setAccessibleName(tr("Trích yếu"))
        form.addRow(tr("Trích yếu"), self.title)
        basis_box = QVBoxLayout()
        self.basis = QPlainTextEdit()
        self.basis.setAccessibleName(tr("Căn cứ"))
        self.basis.setPlaceholderText(tr("Mỗi căn cứ một dòng"))
        self.basis.setMinimumHeight(84)
        self.basis.setMaximumHeight(120)
        basis_box.addWidget(self.basis)
        basis_hint = QHBoxLayout()
        self.basis_state = QLabel()
        self.basis_state.setObjectName("hint")
        self.basis_state.setWordWrap(True)
        fill = QPushButton(tr("Điền căn cứ mặc định"))
        fill.setToolTip(tr("Chỉ thị 24-CT/TU và quyết định thành lập Đoàn, theo các ô phía trên"))
        fill.clicked.connect(self._fill_basis)
        basis_hint.addWidget(fill)
        basis_hint.addWidget(self.basis_state, 1)
        basis_box.addLayout(basis_hint)
        form.addRow(tr("Căn cứ"), basis_box)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        scroll.setMinimumWidth(420)
        self.form_scroll = scroll
        return scroll

    def _build_side(self) -> QWidget:
        tr = self.ctx.tr
        side = QSplitter(Qt.Orientation.Vertical)
        side.setChildrenCollapsible(False)
        top = QWidget()
        column = QVBoxLayout(top)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(QLabel(f"<b>{tr('Đối tượng kiểm tra')}</b>"))
        self.subjects = SubjectsEditor(self.ctx, self._people_picker, self._unit_name)
        self.subjects.setMinimumHeight(150)
        column.addWidget(self.subjects, 1)
        self.subjects_error = FieldError(tr("Lỗi đối tượng kiểm tra"))
        column.addWidget(self.subjects_error)
        side.addWidget(top)
        self.history = UnitHistoryPanel(tr)
        self.history.setMinimumHeight(140)
        side.addWidget(self.history)
        side.setStretchFactor(0, 3)
        side.setStretchFactor(1, 2)
        side.setMinimumWidth(320)
        return side

    def showEvent(self, event: QShowEvent) -> None:
        if not self._fitted:
            self._fitted = True
            fit_to_screen(self, PREFERRED)
        super().showEvent(event)

    def _connect(self) -> None:
        self.checklist.currentIndexChanged.connect(self._update_checklist_info)
        self.team.currentIndexChanged.connect(self._update_team_info)
        self.unit.unit_changed.connect(self._on_unit_changed)
        self.has_planned.toggled.connect(self.planned.setEnabled)
        for signal in (self.decision_date.dateChanged, self.planned.dateChanged, self.has_planned.toggled):
            signal.connect(self._check_dates)
        for follow in (self.decision_no.textChanged, self.issuer.textChanged, self.decision_date.dateChanged):
            follow.connect(self._follow_basis)
        self.basis.textChanged.connect(self._update_basis_state)
        self.subjects.changed.connect(self.subjects_error.clear_message)
        self.subjects.changed.connect(self._refresh_summary)

    # -- choices ----------------------------------------------------------------------------
    def _load_choices(self) -> None:
        tr = self.ctx.tr
        self.unit.set_units(self.choices.units)
        checklist = self.checklist.currentData()
        self.checklist.blockSignals(True)
        self.checklist.clear()
        for choice in self.choices.checklists:
            self.checklist.addItem(choice.label, choice.key)
        self.checklist.setCurrentIndex(max(0, self.checklist.findData(checklist)))
        self.checklist.blockSignals(False)
        team = self.team.currentData()
        self.team.blockSignals(True)
        self.team.clear()
        self.team.addItem(tr("(chưa chọn đoàn)"), None)
        for t in self.choices.teams:
            self.team.addItem(t.name, t.id)
        self.team.setCurrentIndex(max(0, self.team.findData(team)))
        self.team.blockSignals(False)

    def _reload_choices(self, *, unit_id: str | None = None, team_id: str | None = None) -> None:
        """After the registry changed (a unit, person or team added here or elsewhere)."""

        def show(choices: InspectionChoices) -> None:
            self.choices = choices
            self._load_choices()
            if unit_id is not None:
                self.unit.choose(unit_id)
            if team_id is not None:
                self.team.setCurrentIndex(max(0, self.team.findData(team_id)))
            self._update_team_info()

        self.ctx.ops.query(lambda s: read_choices(s, self.ctx.tr), show, owner=self)

    def _on_changed(self, changes: Changes, _initiator: object) -> None:
        if changes.registry:
            self._reload_choices()

    def _update_checklist_info(self) -> None:
        key = self.checklist.currentData()
        choice = next((c for c in self.choices.checklists if c.key == key), None)
        if choice is None:
            self.checklist_info.clear()
            return
        self.checklist_info.setText(self.ctx.tr("{count} mục · dành cho: {audience}").format(
            count=choice.item_count, audience=self.ctx.tr(AUDIENCES.get(choice.audience, choice.audience))))

    def _update_team_info(self) -> None:
        tr = self.ctx.tr
        team_id = self.team.currentData()
        team = self.choices.team(team_id) if team_id else None
        if team is None:
            self.team_members.setText(tr("Chưa có đoàn kiểm tra nào: bấm “Thành lập đoàn…”.") if not self.choices.teams
                                      else tr("Có thể chọn đoàn sau; biên bản cần có thành phần Đoàn."))
            return
        self.team_members.setText("; ".join(f"{m.full_name} ({tr(TEAM_ROLES[m.role])})" for m in team.members)
                                  or tr("Đoàn chưa có thành viên: bấm “Thành lập đoàn…” hoặc sửa đoàn ở màn hình"
                                        " “Đơn vị và cán bộ”."))

    def _on_add_unit(self) -> None:
        open_unit_dialog(self.ctx, None, self, parent_id=self.unit.current_id(),
                         on_saved=lambda unit: self._reload_choices(unit_id=unit.id))

    def _on_add_team(self) -> None:
        open_team_dialog(self.ctx, None, self, on_saved=lambda team: self._reload_choices(team_id=team.id))

    def _unit_name(self) -> str:
        entry = self.unit.current_entry()
        return entry.name if entry else ""

    def _people_picker(self) -> PeoplePicker:
        unit_id = self.unit.current_id()
        units = subtree(self.choices.units, unit_id) if unit_id else None
        return PeoplePicker(self.ctx, self.choices.people, units, unit_id, self)

    def _on_unit_changed(self, _unit_id: object) -> None:
        self.unit_error.clear_message()
        self._refresh_summary()
        self._load_history()

    def _load_history(self) -> None:
        unit_id = self.unit.current_id()
        self._history_unit = unit_id
        if unit_id is None:
            self.history.show_no_unit()
            return
        excluding = self.inspection.id if self.inspection else None

        def show(history: UnitHistory) -> None:
            if history.unit_id == self._history_unit:  # the newest choice wins
                self.history.show_history(history)

        self.ctx.ops.query(lambda s: s.requirements.unit_history(unit_id, excluding=excluding), show, owner=self)

    # -- dates and the legal basis ----------------------------------------------------------
    def _iso(self, edit: QDateEdit) -> str:
        return edit.date().toString("yyyy-MM-dd")

    def date_problems(self) -> list[DateError]:
        planned = self._iso(self.planned) if self.has_planned.isChecked() else ""
        start = self.inspection.actual_start if self.inspection else None
        return preparation_problems(self._iso(self.decision_date), planned, self.today, actual_start=start)

    def _check_dates(self) -> None:
        """The same rules as the service, shown next to each date while it is edited."""
        by_field = {p.field: p.render(self.ctx.tr) for p in reversed(self.date_problems())}
        self.decision_error.show_message(by_field.get(DECISION_DATE, ""))
        self.planned_error.show_message(by_field.get(PLANNED_DATE, ""))
        self._refresh_summary()

    def _field_errors(self) -> list[FieldError]:
        return [e for e in (self.decision_error, self.unit_error, self.planned_error, self.subjects_error) if e.text()]

    def _refresh_summary(self) -> None:
        """The line by the buttons points at the fields' errors; it goes once they are all fixed."""
        if self._summary_shown and not self._field_errors():
            self._summary_shown = False
            self.error.clear()

    def _show_summary(self) -> None:
        self._summary_shown = True
        self.error.setText(self.ctx.tr("Chưa lưu được: sửa các ô có thông báo màu đỏ rồi bấm “Lưu”."))

    def _generated_text(self) -> str:
        return "\n".join(default_legal_basis(self.decision_no.text().strip() or "…", self._iso(self.decision_date),
                                             self.issuer.text().strip()))

    def _fill_basis(self) -> None:
        self._generated_basis = self._generated_text()
        self.basis.setPlainText(self._generated_basis)

    def _follow_basis(self) -> None:
        text = self.basis.toPlainText()
        if not text.strip() or text == self._generated_basis:
            self._fill_basis()

    def _update_basis_state(self) -> None:
        follows = self.basis.toPlainText() == self._generated_basis
        self.basis_state.setText(self.ctx.tr("Tự cập nhật theo số, ngày và cơ quan ra quyết định.") if follows else
                                 self.ctx.tr("Đã sửa tay: giữ nguyên khi đổi quyết định."))

    # -- load and save ----------------------------------------------------------------------
    def _new(self) -> None:
        today = _qdate(self.today.isoformat())
        self.decision_date.setDate(today)
        self.planned.setDate(today)
        self.issuer.setText(self.choices.issuer)
        if self.choices.default_team_id:
            self.team.setCurrentIndex(max(0, self.team.findData(self.choices.default_team_id)))
        self._fill_basis()
        self._update_basis_state()

    def _load(self, insp: Inspection) -> None:
        s = insp.summary
        self.decision_no.setText(s.decision_no)
        self.decision_date.setDate(_qdate(s.decision_date))
        self.issuer.setText(insp.decision_issuer)
        self.kind.setCurrentIndex(self.kind.findData(s.kind))
        self.regime.setCurrentIndex(self.regime.findData(s.regime))
        self.unit.set_current(s.unit_id)
        self.checklist.setCurrentIndex(self.checklist.findData(f"{s.checklist_id}@{s.checklist_version}"))
        self.team.setCurrentIndex(max(0, self.team.findData(insp.team.id if insp.team else None)))
        self.has_planned.setChecked(bool(s.planned_date))
        self.planned.setEnabled(bool(s.planned_date))
        if s.planned_date:
            self.planned.setDate(_qdate(s.planned_date))
        self.location.setText(insp.location)
        self.title.setText(s.title)
        stored = "\n".join(insp.legal_basis)
        generated = "\n".join(default_legal_basis(s.decision_no, s.decision_date, insp.decision_issuer))
        self._generated_basis = generated if stored == generated else None
        self.basis.setPlainText(stored)
        self._update_basis_state()
        self.subjects.load(insp.subjects)

    def draft(self) -> InspectionDraft:
        checklist_id, _, version = (self.checklist.currentData() or "").partition("@")
        return InspectionDraft(
            decision_no=self.decision_no.text(),
            decision_date=self._iso(self.decision_date),
            decision_issuer=self.issuer.text(),
            unit_id=self.unit.current_id() or "",
            checklist_id=checklist_id,
            checklist_version=int(version) if version else None,
            kind=self.kind.currentData(),
            regime=self.regime.currentData(),
            title=self.title.text(),
            legal_basis=[line for line in self.basis.toPlainText().splitlines() if line.strip()],
            team_id=self.team.currentData(),
            planned_date=self._iso(self.planned) if self.has_planned.isChecked() else "",
            location=self.location.text(),
            subjects=self.subjects.specs(),
        )

    def _refusals(self) -> bool:
        """Checks made before saving, each shown at its field; True when something is wrong."""
        tr = self.ctx.tr
        if self.unit.current_id() is None:
            self.unit_error.show_message(tr("Chưa chọn đơn vị được kiểm tra. Gõ tên để tìm trong danh bạ, hoặc bấm"
                                            " “Thêm đơn vị…”."))
        if not self.subjects.count():
            self.subjects_error.show_message(tr("Chưa có đối tượng kiểm tra. Thêm ít nhất một cá nhân hoặc tập thể."))
        self._check_dates()
        wrong = self._field_errors()
        if wrong:
            self._show_summary()
        return bool(wrong)

    def save(self) -> None:
        tr = self.ctx.tr
        self.error.clear()
        if self._refusals():
            return
        draft = self.draft()
        self.buttons.setEnabled(False)
        existing = self.inspection

        def job(s: Services) -> Inspection:
            return s.inspections.revise(existing.id, draft) if existing else s.inspections.create(draft)

        def done(insp: Inspection) -> None:
            self.result_inspection = insp
            self.accept()

        def failed(exc: BaseException) -> None:
            self.buttons.setEnabled(True)
            if isinstance(exc, DateError) and exc.field in (DECISION_DATE, PLANNED_DATE):
                (self.decision_error if exc.field == DECISION_DATE else self.planned_error).show_message(
                    exc.render(tr))
                self._show_summary()
            elif isinstance(exc, UserError):
                self.error.setText(exc.render(tr))

        self.ctx.ops.write(job, done, failed, show_errors=False, owner=self)
