"""The steps of the first-run assistant. Each shows what is chosen, offers the way to add what is
missing right there, and hands the assistant one service call that saves it (None: nothing new)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from inspector.domain import TEAM_ROLES, Person, Team, Unit
from inspector.services.settings import SetupState, SigningChoice
from inspector.text import fold
from inspector.workspace import Services
from ui.context import AppContext
from ui.icons import icon
from ui.widgets.unit_picker import UnitPicker

ID_ROLE = Qt.ItemDataRole.UserRole
Job = Callable[[Services], object]


@dataclass(frozen=True)
class SetupData:
    """What the assistant shows, read in one query (again after each save)."""

    state: SetupState
    units: list[Unit]
    people: list[Person]
    teams: list[Team]
    token_libraries: list[tuple[str, str]]  # (vendor, path) of the CA token drivers installed here


def read_setup(s: Services) -> SetupData:
    libraries = [(m.vendor, m.path) for m in s.documents.token_libraries()]
    return SetupData(s.settings.setup_state(), s.registry.units(), s.registry.people(), s.registry.teams(),
                     libraries)


class Step(QWidget):
    """One page: a title, what it is for, its inputs; `job` saves it, `refusal` says what is missing."""

    title = ""
    edited = Signal()  # the user changed something on the step (its error message is stale now)

    def __init__(self, ctx: AppContext, title: str, intro: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.title = title
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(0, 0, 0, 0)
        heading = QLabel(title)
        heading.setObjectName("pageTitle")
        self.box.addWidget(heading)
        text = QLabel(intro)
        text.setWordWrap(True)
        text.setObjectName("hint")
        self.box.addWidget(text)

    def load(self, data: SetupData) -> None:
        """Show the registry and the choices saved so far (keeping a choice not saved yet)."""

    def refusal(self) -> str:
        return ""

    def job(self) -> Job | None:
        return None

    def done(self, data: SetupData) -> bool:
        return True


class WelcomeStep(Step):
    def __init__(self, ctx: AppContext, on_demo: Callable[[], None]) -> None:
        tr = ctx.tr
        super().__init__(ctx, tr("Chào mừng"), tr(
            "Trợ lý này giúp chuẩn bị máy cho công việc kiểm tra: cơ quan của bạn, bạn là ai trong danh bạ, đoàn kiểm"
            " tra và chữ ký số. Mỗi bước được lưu ngay khi bấm “Tiếp”; có thể dừng giữa chừng và mở lại trợ lý từ"
            " menu Công cụ."))
        where = QLabel(tr("Thư mục dữ liệu: {path}").format(path=str(ctx.data_dir)))
        where.setWordWrap(True)
        self.box.addWidget(where)
        self.demo = QPushButton(icon("import"), tr("Tải dữ liệu mẫu để làm quen…"))
        self.demo.setToolTip(tr("Đơn vị của Hà Nội, một đoàn kiểm tra và vài đợt kiểm tra có kết quả"))
        self.demo.clicked.connect(on_demo)
        demo_row = QHBoxLayout()
        demo_row.addWidget(self.demo)
        demo_row.addStretch(1)
        self.box.addLayout(demo_row)
        self.demo_note = QLabel(tr("Dữ liệu mẫu chỉ để làm quen; có thể bỏ qua và nhập cơ quan, người, đoàn của"
                                   " mình ở các bước sau."))
        self.demo_note.setWordWrap(True)
        self.demo_note.setObjectName("hint")
        self.box.addWidget(self.demo_note)
        self.box.addStretch(1)

    def load(self, data: SetupData) -> None:
        self.demo.setEnabled(not data.units)  # demo data goes into an empty registry only


class BodyStep(Step):
    def __init__(self, ctx: AppContext, on_add_unit: Callable[[str | None], None]) -> None:
        tr = ctx.tr
        super().__init__(ctx, tr("Cơ quan ban hành"), tr(
            "Cơ quan thành lập Đoàn và ban hành quyết định, văn bản của Đoàn (ví dụ Ủy ban Kiểm tra Thành ủy, UBND"
            " phường). Tên cơ quan được điền sẵn vào ô “Cơ quan ra quyết định” của mỗi đợt kiểm tra mới."))
        self.saved: str | None = None
        row = QHBoxLayout()
        self.unit = UnitPicker(tr, empty_text=tr("Gõ để tìm cơ quan trong danh bạ"))
        self.unit.setAccessibleName(tr("Cơ quan ban hành"))
        self.unit.unit_changed.connect(lambda _u: self.edited.emit())
        row.addWidget(self.unit, 1)
        self.add = QPushButton(icon("new"), tr("Thêm đơn vị…"))
        self.add.clicked.connect(lambda: on_add_unit(self.unit.current_id()))
        row.addWidget(self.add)
        self.box.addLayout(row)
        self.empty = QLabel(tr("Danh bạ chưa có đơn vị nào: bấm “Thêm đơn vị…” để thêm cơ quan của bạn."))
        self.empty.setObjectName("hint")
        self.empty.setWordWrap(True)
        self.box.addWidget(self.empty)
        self.box.addStretch(1)

    def load(self, data: SetupData) -> None:
        chosen = self.unit.current_id()
        self.saved = data.state.issuing_body.id if data.state.issuing_body else None
        self.unit.set_units(data.units)
        self.unit.set_current(chosen or self.saved)
        self.empty.setVisible(not data.units)

    def refusal(self) -> str:
        return "" if self.unit.current_id() else self.ctx.tr(
            "Chưa chọn cơ quan ban hành. Gõ tên để tìm, hoặc bấm “Thêm đơn vị…”.")

    def job(self) -> Job | None:
        unit_id = self.unit.current_id()
        return None if unit_id == self.saved else (lambda s: s.settings.choose_issuing_body(unit_id))

    def done(self, data: SetupData) -> bool:
        return data.state.issuing_body is not None


class IdentityStep(Step):
    def __init__(self, ctx: AppContext, on_add_person: Callable[[], None]) -> None:
        tr = ctx.tr
        super().__init__(ctx, tr("Người sử dụng máy"), tr(
            "Chọn bạn trong danh bạ cán bộ. Tên và chức vụ này được ghi là người ghi nhận mọi kết quả trên máy"
            " này (không dùng tên tài khoản đăng nhập máy tính)."))
        self.saved: str | None = None
        self.current = QLabel()
        self.current.setWordWrap(True)
        self.box.addWidget(self.current)
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("Tìm theo họ tên hoặc chức vụ"))
        self.search.setAccessibleName(tr("Tìm người trong danh bạ"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.box.addWidget(self.search)
        self.list = QListWidget()
        self.list.setAccessibleName(tr("Danh bạ cán bộ"))
        self.list.currentItemChanged.connect(lambda *_: self.edited.emit())
        self.box.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.empty = QLabel(tr("Danh bạ chưa có ai: bấm “Thêm người…” để thêm chính bạn."))
        self.empty.setObjectName("hint")
        self.empty.setWordWrap(True)
        self.add = QPushButton(icon("person"), tr("Thêm người…"))
        self.add.clicked.connect(on_add_person)
        row.addWidget(self.add)
        row.addWidget(self.empty, 1)
        row.addStretch(0)
        self.box.addLayout(row)
        self._units: dict[str, str] = {}

    def load(self, data: SetupData) -> None:
        tr = self.ctx.tr
        chosen = self.chosen_id()
        identity = data.state.identity
        self.saved = identity.person_id
        self._units = {u.id: u.name for u in data.units}
        self.current.setText(tr("Đang dùng: {name}").format(name=", ".join(
            p for p in (identity.name, identity.position) if p)) if identity.person_id else tr(
            "Đang dùng tên “{name}” (chưa chọn người trong danh bạ).").format(name=identity.name))
        self.list.clear()
        for person in data.people:
            parts = [person.full_name, person.position, self._units.get(person.unit_id or "", "")]
            item = QListWidgetItem(icon("person"), " — ".join(p for p in parts if p))
            item.setData(ID_ROLE, person.id)
            self.list.addItem(item)
        self.select(chosen or self.saved)
        self.empty.setVisible(not data.people)
        self._filter(self.search.text())

    def select(self, person_id: str | None) -> None:
        for n in range(self.list.count()):
            if self.list.item(n).data(ID_ROLE) == person_id:
                self.list.setCurrentRow(n)
                return

    def chosen_id(self) -> str | None:
        item = self.list.currentItem()
        return str(item.data(ID_ROLE)) if item is not None and not item.isHidden() else None

    def _filter(self, text: str) -> None:
        key = fold(text.strip())
        for n in range(self.list.count()):
            item = self.list.item(n)
            item.setHidden(bool(key) and key not in fold(item.text()))

    def refusal(self) -> str:
        return "" if self.chosen_id() else self.ctx.tr(
            "Chưa chọn người sử dụng máy. Chọn bạn trong danh sách, hoặc bấm “Thêm người…”.")

    def job(self) -> Job | None:
        person_id = self.chosen_id()
        if person_id is None or person_id == self.saved:
            return None
        return lambda s: s.settings.choose_identity(person_id)

    def done(self, data: SetupData) -> bool:
        return data.state.identity.person_id is not None


class TeamStep(Step):
    def __init__(self, ctx: AppContext, on_add_team: Callable[[], None], on_edit_team: Callable[[str], None]) -> None:
        tr = ctx.tr
        super().__init__(ctx, tr("Đoàn kiểm tra"), tr(
            "Đoàn mà máy này thường làm việc cùng: đợt kiểm tra mới được chọn sẵn đoàn này. Thêm thành viên ngay trong"
            " cửa sổ thành lập đoàn (nút “Thêm người…”)."))
        self.saved: str | None = None
        self.list = QListWidget()
        self.list.setAccessibleName(tr("Các đoàn kiểm tra"))
        self.list.setWordWrap(True)
        self.box.addWidget(self.list, 1)
        self.empty = QLabel(tr("Chưa có đoàn kiểm tra nào: bấm “Thành lập đoàn…”."))
        self.empty.setObjectName("hint")
        self.empty.setWordWrap(True)
        self.box.addWidget(self.empty)
        row = QHBoxLayout()
        self.add = QPushButton(icon("team"), tr("Thành lập đoàn…"))
        self.add.clicked.connect(on_add_team)
        self.edit = QPushButton(icon("edit"), tr("Sửa đoàn…"))
        self.edit.clicked.connect(lambda: on_edit_team(self.chosen_id() or ""))
        row.addWidget(self.add)
        row.addWidget(self.edit)
        row.addStretch(1)
        self.box.addLayout(row)
        self.list.currentItemChanged.connect(lambda *_: self.edit.setEnabled(self.chosen_id() is not None))
        self.list.currentItemChanged.connect(lambda *_: self.edited.emit())

    def load(self, data: SetupData) -> None:
        tr = self.ctx.tr
        chosen = self.chosen_id()
        self.saved = data.state.team.id if data.state.team else None
        self.list.clear()
        for team in data.teams:
            members = ", ".join(f"{m.full_name} ({tr(TEAM_ROLES[m.role])})" for m in team.members)
            item = QListWidgetItem(icon("team"), f"{team.name}\n{members or tr('Đoàn chưa có thành viên.')}")
            item.setData(ID_ROLE, team.id)
            self.list.addItem(item)
        self.select(chosen or self.saved)
        self.empty.setVisible(not data.teams)
        self.edit.setEnabled(self.chosen_id() is not None)

    def select(self, team_id: str | None) -> None:
        for n in range(self.list.count()):
            if self.list.item(n).data(ID_ROLE) == team_id:
                self.list.setCurrentRow(n)

    def chosen_id(self) -> str | None:
        item = self.list.currentItem()
        return str(item.data(ID_ROLE)) if item is not None else None

    def refusal(self) -> str:
        return "" if self.chosen_id() else self.ctx.tr(
            "Chưa chọn đoàn kiểm tra. Chọn một đoàn trong danh sách, hoặc bấm “Thành lập đoàn…”.")

    def job(self) -> Job | None:
        team_id = self.chosen_id()
        return None if team_id == self.saved else (lambda s: s.settings.choose_team(team_id))

    def done(self, data: SetupData) -> bool:
        return data.state.team is not None


class SigningStep(Step):
    def __init__(self, ctx: AppContext) -> None:
        tr = ctx.tr
        super().__init__(ctx, tr("Chữ ký số"), tr(
            "Nơi đặt chứng thư số của bạn để ký biên bản, kết luận. Phần mềm chỉ ghi nhớ nơi đặt; mật khẩu và mã PIN"
            " được hỏi mỗi lần ký và không bao giờ được lưu."))
        self.saved: SigningChoice | None = None
        self.group = QButtonGroup(self)
        self.file_choice = QRadioButton(tr("Tệp chứng thư số (.p12, .pfx)"))
        self.token_choice = QRadioButton(tr("USB token (PKCS#11)"))
        self.later_choice = QRadioButton(tr("Thiết lập sau (khi ký lần đầu)"))
        form = QFormLayout()
        form.setContentsMargins(24, 0, 0, 0)
        self.file_path = QLineEdit()
        self.file_path.setAccessibleName(tr("Tệp chứng thư số"))
        self.module = QLineEdit()
        self.module.setAccessibleName(tr("Thư viện PKCS#11 của token"))
        self.module.setToolTip(tr("Ví dụ SafeNet: eTPKCS11.dll; Bit4id: bit4xpki.dll"))
        self.found = QLabel()
        self.found.setObjectName("hint")
        self.found.setWordWrap(True)
        self.token = QLineEdit()
        self.token.setAccessibleName(tr("Tên token"))
        self.token.setPlaceholderText(tr("tên (nhãn) của token, in trên phần mềm của nhà cung cấp"))
        for n, choice in enumerate((self.file_choice, self.token_choice, self.later_choice)):
            self.group.addButton(choice, n)
            self.box.addWidget(choice)
            if choice is self.file_choice:
                self.box.addLayout(self._path_row(self.file_path, tr("Chứng thư số (*.p12 *.pfx);;Mọi tệp (*)")))
            elif choice is self.token_choice:
                libraries = tr("Thư viện PKCS#11 (*.dll *.so *.dylib);;Mọi tệp (*)")
                self.box.addLayout(self._path_row(self.module, libraries))
                form.addRow("", self.found)
                form.addRow(tr("Tên token"), self.token)
                self.box.addLayout(form)
        self.box.addStretch(1)
        self.later_choice.setChecked(True)
        self.group.idToggled.connect(lambda *_: self._update_enabled())
        self.group.idToggled.connect(lambda *_: self.edited.emit())
        for edit in (self.file_path, self.module, self.token):
            edit.textEdited.connect(lambda _t: self.edited.emit())
        self._update_enabled()

    def _path_row(self, edit: QLineEdit, filters: str) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setContentsMargins(24, 0, 0, 0)
        row.addWidget(edit, 1)
        pick = QPushButton(self.ctx.tr("Chọn…"))
        pick.clicked.connect(lambda: self._pick(edit, filters))
        row.addWidget(pick)
        return row

    def _pick(self, edit: QLineEdit, filters: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.ctx.tr("Chọn tệp"), edit.text(), filters)
        if path:
            edit.setText(path)

    def _update_enabled(self) -> None:
        self.file_path.setEnabled(self.file_choice.isChecked())
        for w in (self.module, self.token):
            w.setEnabled(self.token_choice.isChecked())

    def load(self, data: SetupData) -> None:
        tr = self.ctx.tr
        self.saved = data.state.signing
        signing = data.state.signing
        vendors = ", ".join(dict.fromkeys(vendor for vendor, _path in data.token_libraries))
        self.found.setText(tr("Máy này có trình điều khiển token của: {vendors}.").format(vendors=vendors)
                           if vendors else tr("Chưa thấy trình điều khiển token nào trong các thư mục thường gặp:"
                                              " cài phần mềm của nhà cung cấp token, hoặc bấm “Chọn…”."))
        if not self.module.text() and data.token_libraries:
            self.module.setText(data.token_libraries[0][1])
        if signing is None:
            return
        if signing.kind == "pkcs12":
            self.file_choice.setChecked(True)
            self.file_path.setText(signing.location)
        else:
            self.token_choice.setChecked(True)
            self.module.setText(signing.location)
            self.token.setText(signing.label)

    def done(self, data: SetupData) -> bool:
        return data.state.signing is not None

    def choice(self) -> SigningChoice | None:
        if self.file_choice.isChecked():
            path = self.file_path.text().strip()
            same_file = self.saved is not None and self.saved.kind == "pkcs12" and self.saved.location == path
            return SigningChoice("pkcs12", path, self.saved.label if same_file and self.saved else "")
        if self.token_choice.isChecked():
            return SigningChoice("pkcs11", self.module.text().strip(), self.token.text().strip())
        return None

    def job(self) -> Job | None:
        choice = self.choice()
        return None if choice == self.saved else (lambda s: s.settings.choose_signing_identity(choice))


class DoneStep(Step):
    def __init__(self, ctx: AppContext) -> None:
        tr = ctx.tr
        super().__init__(ctx, tr("Hoàn tất"), tr(
            "Máy đã sẵn sàng. Có thể sửa các lựa chọn này bất cứ lúc nào: menu Công cụ ▸ Trợ lý thiết lập ban đầu."))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.box.addWidget(self.summary)
        self.box.addStretch(1)

    def load(self, data: SetupData) -> None:
        tr = self.ctx.tr
        state = data.state
        missing = tr("chưa thiết lập")
        signing = state.signing
        lines = [
            tr("Cơ quan ban hành: {value}").format(value=state.issuing_body.name if state.issuing_body else missing),
            tr("Người sử dụng máy: {value}").format(
                value=state.identity.name if state.identity.person_id else missing),
            tr("Đoàn kiểm tra: {value}").format(value=state.team.name if state.team else missing),
            tr("Chữ ký số: {value}").format(value=missing if signing is None else (
                tr("tệp {name}").format(name=signing.label) if signing.kind == "pkcs12"
                else tr("token {name}").format(name=signing.label))),
        ]
        self.summary.setText("\n".join(("✓ " if not line.endswith(missing) else "• ") + line for line in lines))
