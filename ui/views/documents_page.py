"""Minutes and conclusion of the open inspection: details, preview, signing, issued documents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from inspector.changes import Changes
from inspector.clock import SystemClock, to_rfc3339
from inspector.domain import REQUIREMENT_STATUSES, Inspection, Requirement
from inspector.errors import UserError
from inspector.ops import Committer
from inspector.services.document_content import ConclusionDetails, MinutesDetails
from inspector.services.documents import DocumentRecord
from inspector.text import ui_clock, ui_date, ui_datetime
from inspector.workspace import Services
from ui.context import AppContext
from ui.dialogs.progress import follow
from ui.icons import icon
from ui.ops import TaskContext
from ui.widgets.autosave import AutoSaver
from ui.widgets.rows import RowsEditor

KIND_LABELS = {"minutes": "Biên bản kiểm tra", "conclusion": "Kết luận kiểm tra"}
AUTHORITIES = (("on_behalf", "T/M, TM. (thay mặt tập thể)"), ("deputy", "K/T, KT. (ký thay người đứng đầu)"),
               ("", "Không ghi thẩm quyền"))


def _text(editor: QPlainTextEdit, value: str) -> None:
    if editor.toPlainText() != value:
        editor.setPlainText(value)


def _pad(values: tuple[str, ...], size: int) -> tuple[str, ...]:
    return (*values, *([""] * size))[:size]


def _box(height: int = 80) -> QPlainTextEdit:
    editor = QPlainTextEdit()
    editor.setMaximumHeight(height)
    return editor


def _scroll(inner: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setWidget(inner)
    return area


class MinutesForm(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        tr = ctx.tr
        form = QFormLayout(self)
        self.number = QLineEdit()
        self.number.setPlaceholderText(tr("để trống để Văn thư ghi số sau"))
        self.place = QLineEdit("Hà Nội")
        self.copies = QSpinBox()
        self.copies.setRange(1, 20)
        self.with_secretary = QCheckBox(tr("Thư ký Đoàn cùng ký biên bản"))
        self.reps = RowsEditor(tr, [tr("Họ tên"), tr("Chức vụ"), tr("Danh xưng (Ông/Bà)")],
                               tr("Đại diện đơn vị được kiểm tra"))
        self.others = RowsEditor(tr, [tr("Họ tên"), tr("Chức vụ"), tr("Vai trò"), tr("Danh xưng (Ông/Bà)")],
                                 tr("Thành phần khác"))
        self.refusals = RowsEditor(tr, [tr("Người không ký"), tr("Lý do")], tr("Người không ký biên bản"))
        self.strengths = _box()
        self.requests = _box()
        self.recipients = _box(60)
        for widget, name in ((self.number, "Số biên bản"), (self.place, "Địa danh"), (self.copies, "Số bản"),
                             (self.strengths, "Ưu điểm"), (self.requests, "Yêu cầu khắc phục ngay"),
                             (self.recipients, "Nơi nhận")):
            widget.setAccessibleName(tr(name))
        form.addRow(tr("Số biên bản"), self.number)
        form.addRow(tr("Địa danh"), self.place)
        form.addRow(tr("Số bản"), self.copies)
        form.addRow("", self.with_secretary)
        form.addRow(tr("Đại diện đơn vị"), self.reps)
        form.addRow(tr("Thành phần khác"), self.others)
        form.addRow(tr("Ưu điểm"), self.strengths)
        hint = QLabel(tr("Hạn chế, khuyết điểm: lấy từ “Nhận xét của Đoàn kiểm tra” ở màn hình Ghi nhận."))
        hint.setObjectName("hint")
        form.addRow("", hint)
        form.addRow(tr("Yêu cầu khắc phục ngay"), self.requests)
        form.addRow(tr("Người không ký"), self.refusals)
        form.addRow(tr("Nơi nhận (mỗi dòng một nơi)"), self.recipients)

    def load(self, d: MinutesDetails) -> None:
        self.number.setText(d.number)
        self.place.setText(d.place_name)
        self.copies.setValue(d.copies)
        self.with_secretary.setChecked(d.with_secretary)
        self.reps.set_rows(d.unit_representatives)
        self.others.set_rows(d.other_participants)
        self.refusals.set_rows(d.refusals)
        _text(self.strengths, d.strengths)
        _text(self.requests, d.immediate_requests)
        _text(self.recipients, "\n".join(d.recipients))

    def details(self) -> MinutesDetails:
        return MinutesDetails(
            number=self.number.text(), place_name=self.place.text(), copies=self.copies.value(),
            with_secretary=self.with_secretary.isChecked(),
            unit_representatives=tuple(_pad(r, 3) for r in self.reps.rows()),  # type: ignore[misc]
            other_participants=tuple(_pad(r, 4) for r in self.others.rows()),  # type: ignore[misc]
            refusals=tuple(_pad(r, 2) for r in self.refusals.rows()),  # type: ignore[misc]
            strengths=self.strengths.toPlainText(), immediate_requests=self.requests.toPlainText(),
            recipients=tuple(self.recipients.toPlainText().splitlines()),
        )


class ConclusionForm(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        tr = ctx.tr
        form = QFormLayout(self)
        self.doc_type = QComboBox()
        self.doc_type.addItem(tr("KẾT LUẬN (văn bản Đảng)"), "conclusion")
        self.doc_type.addItem(tr("THÔNG BÁO kết luận"), "notice")
        self.superior = QLineEdit()
        self.superior.setPlaceholderText(tr("ví dụ THÀNH ỦY HÀ NỘI"))
        self.issuing = QLineEdit()
        self.issuing.setPlaceholderText(tr("ví dụ BAN THƯỜNG VỤ THÀNH ỦY"))
        self.issuing_abbr = QLineEdit()
        self.issuing_abbr.setPlaceholderText(tr("ký hiệu viết không dấu như văn thư ghi, ví dụ UBKTTU, UBND"))
        self.concluding_body = QLineEdit()
        self.concluding_body.setPlaceholderText(tr("tập thể kết luận, ví dụ Ban Thường vụ Thành ủy Hà Nội"))
        self.report_number = QLineEdit()
        self.report_number.setPlaceholderText(tr("số báo cáo của Đoàn kiểm tra"))
        self.has_report_date = QCheckBox(tr("ngày"))
        self.report_date = QDateEdit(QDate.currentDate())
        self.report_date.setDisplayFormat("dd/MM/yyyy")
        self.report_date.setCalendarPopup(True)
        self.report_date.setEnabled(False)
        self.has_report_date.toggled.connect(self.report_date.setEnabled)
        self.number = QLineEdit()
        self.number.setPlaceholderText(tr("để trống để Văn thư ghi số sau"))
        self.issue_date = QDateEdit(QDate.currentDate())
        self.issue_date.setDisplayFormat("dd/MM/yyyy")
        self.issue_date.setCalendarPopup(True)
        self.summary = _box(140)
        self.generate = QPushButton(tr("Tạo tóm tắt tự động"))
        self.strengths = _box()
        self.shortcomings = _box()
        self.causes = _box()
        self.follow_up = _box()
        self.requirements = QTableWidget(0, 5)
        self.requirements.setHorizontalHeaderLabels([tr("Nội dung"), tr("Trách nhiệm"), tr("Thời hạn"),
                                                     tr("Báo cáo trước"), tr("Tình trạng")])
        self.requirements.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.requirements.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.requirements.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.requirements.verticalHeader().hide()
        self.requirements.setMaximumHeight(150)
        self.add_requirement = QPushButton(icon("new"), tr("Thêm yêu cầu"))
        self.edit_requirement = QPushButton(icon("edit"), tr("Sửa"))
        self.remove_requirement = QPushButton(icon("remove"), tr("Xóa"))
        self.authority = QComboBox()
        for key, label in AUTHORITIES:
            self.authority.addItem(tr(label), key)
        self.authority_body = QLineEdit()
        self.authority_body.setPlaceholderText(tr("ví dụ BAN THƯỜNG VỤ"))
        self.position = QLineEdit()
        self.position.setPlaceholderText(tr("ví dụ PHÓ BÍ THƯ"))
        self.signer = QLineEdit()
        self.recipients = _box(60)
        for widget, name in ((self.doc_type, "Loại văn bản"), (self.superior, "Cơ quan chủ quản"),
                             (self.issuing, "Cơ quan ban hành"), (self.number, "Số văn bản"),
                             (self.issue_date, "Ngày ban hành"), (self.summary, "Tóm tắt kết quả kiểm tra"),
                             (self.strengths, "Ưu điểm"), (self.shortcomings, "Hạn chế, khuyết điểm, vi phạm"),
                             (self.causes, "Nguyên nhân, trách nhiệm"), (self.follow_up, "Tổ chức thực hiện"),
                             (self.requirements, "Yêu cầu khắc phục"), (self.authority, "Thẩm quyền ký"),
                             (self.authority_body, "Tập thể"), (self.position, "Chức vụ người ký"),
                             (self.signer, "Họ tên người ký"), (self.recipients, "Nơi nhận"),
                             (self.issuing_abbr, "Ký hiệu cơ quan ban hành"),
                             (self.concluding_body, "Tập thể kết luận"),
                             (self.report_number, "Số báo cáo của Đoàn"), (self.report_date, "Ngày báo cáo của Đoàn")):
            widget.setAccessibleName(tr(name))
        form.addRow(tr("Loại văn bản"), self.doc_type)
        form.addRow(tr("Cơ quan chủ quản"), self.superior)
        form.addRow(tr("Cơ quan ban hành"), self.issuing)
        form.addRow(tr("Ký hiệu cơ quan ban hành"), self.issuing_abbr)
        form.addRow(tr("Tập thể kết luận"), self.concluding_body)
        report = QHBoxLayout()
        report.addWidget(self.report_number, 1)
        report.addWidget(self.has_report_date)
        report.addWidget(self.report_date)
        form.addRow(tr("Báo cáo của Đoàn số"), report)
        row = QHBoxLayout()
        row.addWidget(self.number, 1)
        row.addWidget(QLabel(tr("ngày")))
        row.addWidget(self.issue_date)
        form.addRow(tr("Số, ngày"), row)
        form.addRow(tr("Tóm tắt kết quả"), self.summary)
        form.addRow("", self.generate)
        form.addRow(tr("Ưu điểm"), self.strengths)
        form.addRow(tr("Hạn chế, khuyết điểm, vi phạm"), self.shortcomings)
        form.addRow(tr("Nguyên nhân, trách nhiệm"), self.causes)
        form.addRow(tr("Yêu cầu, kiến nghị"), self.requirements)
        buttons = QHBoxLayout()
        for b in (self.add_requirement, self.edit_requirement, self.remove_requirement):
            buttons.addWidget(b)
        buttons.addStretch(1)
        form.addRow("", buttons)
        form.addRow(tr("Tổ chức thực hiện"), self.follow_up)
        signer = QHBoxLayout()
        signer.addWidget(self.authority)
        signer.addWidget(self.authority_body, 1)
        form.addRow(tr("Thẩm quyền ký"), signer)
        form.addRow(tr("Chức vụ người ký"), self.position)
        form.addRow(tr("Họ tên người ký"), self.signer)
        form.addRow(tr("Nơi nhận (mỗi dòng một nơi)"), self.recipients)
        self._requirements: list[Requirement] = []

    def load(self, d: ConclusionDetails) -> None:
        self.doc_type.setCurrentIndex(self.doc_type.findData(d.doc_type))
        self.superior.setText(d.superior_body)
        self.issuing.setText(d.issuing_body)
        self.issuing_abbr.setText(d.issuing_abbr)
        self.concluding_body.setText(d.concluding_body)
        self.report_number.setText(d.report_number)
        self.has_report_date.setChecked(bool(d.report_date))
        if d.report_date:
            self.report_date.setDate(QDate.fromString(d.report_date, "yyyy-MM-dd"))
        self.number.setText(d.number)
        if d.issue_date:
            self.issue_date.setDate(QDate.fromString(d.issue_date, "yyyy-MM-dd"))
        _text(self.summary, d.findings_summary)
        _text(self.strengths, d.strengths)
        _text(self.shortcomings, d.shortcomings)
        _text(self.causes, d.causes)
        _text(self.follow_up, d.follow_up)
        self.authority.setCurrentIndex(max(0, self.authority.findData(d.signer_authority)))
        self.authority_body.setText(d.signer_authority_body)
        self.position.setText(d.signer_position)
        self.signer.setText(d.signer_name)
        _text(self.recipients, "\n".join(d.recipients))

    def set_requirements(self, requirements: list[Requirement]) -> None:
        """The requirement rows (edited in their own dialog): refreshed without touching typed text."""
        self._requirements = requirements
        self.requirements.setRowCount(0)
        for r in requirements:
            n = self.requirements.rowCount()
            self.requirements.insertRow(n)
            for col, value in enumerate((r.content, r.responsible, ui_date(r.deadline), ui_date(r.report_back_date),
                                         REQUIREMENT_STATUSES[r.status])):
                self.requirements.setItem(n, col, QTableWidgetItem(value))

    def selected_requirement(self) -> Requirement | None:
        row = self.requirements.currentRow()
        return self._requirements[row] if 0 <= row < len(self._requirements) else None

    def details(self) -> ConclusionDetails:
        return ConclusionDetails(
            doc_type=self.doc_type.currentData(), superior_body=self.superior.text(), issuing_body=self.issuing.text(),
            number=self.number.text(), issue_date=self.issue_date.date().toString("yyyy-MM-dd"),
            findings_summary=self.summary.toPlainText(), strengths=self.strengths.toPlainText(),
            shortcomings=self.shortcomings.toPlainText(), causes=self.causes.toPlainText(),
            follow_up=self.follow_up.toPlainText(), signer_authority=self.authority.currentData(),
            signer_authority_body=self.authority_body.text(), signer_position=self.position.text(),
            signer_name=self.signer.text(), recipients=tuple(self.recipients.toPlainText().splitlines()),
            issuing_abbr=self.issuing_abbr.text(), concluding_body=self.concluding_body.text(),
            report_number=self.report_number.text(),
            report_date=self.report_date.date().toString("yyyy-MM-dd") if self.has_report_date.isChecked() else "",
        )


@dataclass(frozen=True)
class DocumentsState:
    """What the page shows of one inspection, read in one query."""

    inspection: Inspection
    minutes: MinutesDetails
    conclusion: ConclusionDetails
    requirements: list[Requirement]
    documents: list[DocumentRecord]


def _read_state(s: Services, inspection_id: str) -> DocumentsState:
    return DocumentsState(s.inspections.get(inspection_id), s.documents.minutes_details(inspection_id),
                          s.documents.conclusion_details(inspection_id), s.requirements.of_inspection(inspection_id),
                          s.documents.documents(inspection_id))


class DocumentsPage(QWidget):
    correction_created = Signal(str)  # the new version's inspection id: the main window opens it
    loaded = Signal()                 # the page shows the store's current state (tests wait on it)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        tr = ctx.tr
        self.inspection_id: str | None = None
        layout = QVBoxLayout(self)
        self.title = QLabel(tr("Chưa mở đợt kiểm tra nào. Mở một đợt ở “Các đợt kiểm tra”."))
        self.title.setObjectName("pageTitle")
        self.title.setWordWrap(True)
        layout.addWidget(self.title)
        self.state = QLabel()
        self.state.setObjectName("hint")
        self.state.setWordWrap(True)
        layout.addWidget(self.state)
        self.tabs = QTabWidget()
        self.minutes = MinutesForm(ctx)
        self.conclusion = ConclusionForm(ctx)
        self.save_state: dict[str, QLabel] = {}
        self.tabs.addTab(self._with_buttons(self.minutes, "minutes"), tr("Biên bản"))
        self.tabs.addTab(self._with_buttons(self.conclusion, "conclusion"), tr("Kết luận"))
        self.issued = QTableWidget(0, 5)
        self.issued.setHorizontalHeaderLabels([tr("Văn bản"), tr("Lần"), tr("Tình trạng"), tr("Người ký"),
                                               tr("SHA-256")])
        self.issued.setAccessibleName(tr("Văn bản đã ban hành"))
        self.issued.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.issued.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.issued.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.issued.verticalHeader().hide()
        issued_box = QWidget()
        issued_layout = QVBoxLayout(issued_box)
        issued_layout.addWidget(self.issued, 1)
        row = QHBoxLayout()
        self.view_button = QPushButton(icon("pdf"), tr("Xem, in, lưu…"))
        self.verify_button = QPushButton(icon("verify"), tr("Kiểm tra chữ ký"))
        self.timestamp_button = QPushButton(icon("seal"), tr("Đóng dấu thời gian"))
        self.timestamp_button.setToolTip(tr("Khi có mạng: thêm dấu thời gian của đơn vị cung cấp dịch vụ (TSA)"))
        self.correct_button = QPushButton(icon("edit"), tr("Tạo bản đính chính"))
        self.correct_button.setToolTip(tr("Phiên bản mới thay thế bản đã ký, để sửa nội dung"))
        for b in (self.view_button, self.verify_button, self.timestamp_button, self.correct_button):
            row.addWidget(b)
        row.addStretch(1)
        issued_layout.addLayout(row)
        self.tabs.addTab(issued_box, tr("Văn bản đã ký"))
        layout.addWidget(self.tabs, 1)
        self.view_button.clicked.connect(self._on_view_issued)
        self.verify_button.clicked.connect(self._on_verify_issued)
        self.timestamp_button.clicked.connect(self._on_timestamp)
        self.correct_button.clicked.connect(self._on_correct)
        self.conclusion.generate.clicked.connect(self._on_generate_summary)
        self.conclusion.add_requirement.clicked.connect(lambda: self._edit_requirement(None))
        self.conclusion.edit_requirement.clicked.connect(
            lambda: self._edit_requirement(self.conclusion.selected_requirement()))
        self.conclusion.remove_requirement.clicked.connect(self._on_remove_requirement)
        self._documents: list[DocumentRecord] = []
        self.savers = {"minutes": AutoSaver(self.minutes, lambda: self.save("minutes")),
                       "conclusion": AutoSaver(self.conclusion, lambda: self.save("conclusion"))}
        for kind, saver in self.savers.items():
            saver.edited.connect(lambda k=kind: self.save_state[k].setText(
                self.ctx.tr("Đang soạn… (tự lưu khi ngừng gõ)")))
        ctx.ops.changed.connect(self._on_changed)
        self.setEnabled(False)

    def _with_buttons(self, form: QWidget, kind: str) -> QWidget:
        tr = self.ctx.tr
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.addWidget(_scroll(form), 1)
        row = QHBoxLayout()
        state = QLabel(tr("Mọi thay đổi được tự động lưu."))
        state.setObjectName("hint")
        state.setAccessibleName(tr("Trạng thái lưu của văn bản"))
        preview = QPushButton(icon("pdf"), tr("Xem trước"))
        sign = QPushButton(icon("sign", "white"), tr("Ký biên bản…") if kind == "minutes" else tr("Ký kết luận…"))
        sign.setObjectName("primary")
        preview.clicked.connect(lambda: self.preview(kind))
        sign.clicked.connect(lambda: self.sign(kind))
        row.addWidget(state, 1)
        for b in (preview, sign):
            row.addWidget(b)
        layout.addLayout(row)
        setattr(self, f"{kind}_sign_button", sign)
        self.save_state[kind] = state
        return box

    # -- loading ----------------------------------------------------------------------------
    def set_inspection(self, inspection_id: str | None) -> None:
        if inspection_id != self.inspection_id:
            self.flush()  # what was typed for the previous inspection is saved first
        self.inspection_id = inspection_id
        self.setEnabled(inspection_id is not None)
        self.reload()

    def _on_changed(self, changes: Changes, initiator: object) -> None:
        if initiator is not self and changes.touches_inspection(self.inspection_id):
            self.reload()

    def flush(self) -> None:
        """Save what was typed now: page switch, another inspection, the window closing."""
        for saver in self.savers.values():
            saver.flush()

    def reload(self) -> None:
        if self.inspection_id is None:
            return
        inspection_id = self.inspection_id
        self.ctx.ops.query(lambda s: _read_state(s, inspection_id), self._show, owner=self)

    def _show(self, state: DocumentsState) -> None:
        if state.inspection.id != self.inspection_id:
            return
        tr = self.ctx.tr
        insp = state.inspection
        self.title.setText(f"{insp.summary.unit_name} — {tr('Quyết định số')} {insp.summary.decision_no}")
        sealed = insp.status in ("sealed", "concluded", "closed")
        states = {
            "sealed": tr("Biên bản đã ký và niêm phong lúc {time}. Có thể soạn và ký kết luận."),
            "concluded": tr("Kết luận đã được ký ban hành."),
            "closed": tr("Đã hoàn thành khắc phục."),
        }
        self.state.setText(states.get(insp.status, tr("Chưa ký biên bản.")).format(time=ui_datetime(insp.sealed_at))
                           + (" " + tr("Đã có bản đính chính thay thế.") if insp.superseded_by else ""))
        # Typed text that is not saved yet is never overwritten by a refresh: its save follows.
        if not self.savers["minutes"].dirty:
            with self.savers["minutes"].loading():
                self.minutes.load(state.minutes)
        if not self.savers["conclusion"].dirty:
            with self.savers["conclusion"].loading():
                self.conclusion.load(state.conclusion)
        self.conclusion.set_requirements(state.requirements)
        self.minutes.setEnabled(insp.editable)
        self.minutes_sign_button.setEnabled(insp.editable)  # type: ignore[attr-defined]
        can_conclude = insp.status == "sealed" and not insp.superseded_by
        self.conclusion_sign_button.setEnabled(can_conclude)  # type: ignore[attr-defined]
        self.correct_button.setEnabled(sealed and not insp.superseded_by)
        self._documents = state.documents
        self.issued.setRowCount(0)
        for d in self._documents:
            n = self.issued.rowCount()
            self.issued.insertRow(n)
            signers = ", ".join(f"{x.signer_name} ({tr('ký tay') if x.method == 'drawn' else tr('ký số')})"
                                for x in d.signatures)
            for col, value in enumerate((tr(KIND_LABELS[d.kind]), str(d.revision),
                                         tr("đã ký đủ") if d.status == "signed" else tr("đang ký"), signers,
                                         d.sha256[:16] + "…")):
                self.issued.setItem(n, col, QTableWidgetItem(value))
        self.loaded.emit()

    def selected_document(self) -> DocumentRecord | None:
        row = self.issued.currentRow()
        return self._documents[row] if 0 <= row < len(self._documents) else None

    # -- actions ----------------------------------------------------------------------------
    def save(self, kind: str, after: Callable[[], None] | None = None) -> None:
        """Save one form as it stands (one event), then run `after` (preview, sign) once committed."""
        if self.inspection_id is None:
            return
        inspection_id = self.inspection_id
        saver = self.savers[kind]
        saver._timer.stop()
        saver.dirty = False
        state = self.save_state[kind]
        job: Callable[[Services], object]
        if kind == "minutes":
            details_m = self.minutes.details()
            job = lambda s: s.documents.set_minutes_details(inspection_id, details_m)  # noqa: E731
        else:
            details_c = self.conclusion.details()
            job = lambda s: s.documents.set_conclusion_details(inspection_id, details_c)  # noqa: E731

        def done(_value: object) -> None:
            state.setText(self.ctx.tr("Đã lưu lúc {time}").format(time=ui_clock(to_rfc3339(SystemClock().now()))))
            if after is not None:
                after()

        def failed(exc: BaseException) -> None:
            saver.failed()
            state.setText(exc.render(self.ctx.tr) if isinstance(exc, UserError) else
                          self.ctx.tr("Chưa lưu được; những gì đã nhập vẫn còn trên màn hình."))

        self.ctx.ops.write(job, done, failed, initiator=self, show_errors=False, owner=self)

    def preview(self, kind: str) -> None:
        self.save(kind, after=lambda: self._preview_saved(kind))

    def _preview_saved(self, kind: str) -> None:
        from ui.dialogs.pdf_preview import PdfPreviewDialog

        inspection_id = self.inspection_id
        if inspection_id is None:
            return
        tr = self.ctx.tr

        def done(pdf: bytes) -> None:
            dialog = PdfPreviewDialog(tr, pdf, tr(KIND_LABELS[kind]) + " — " + tr("xem trước"),
                                      f"{kind}-xem-truoc.pdf", self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.show()

        self.ctx.ops.task(lambda s, _t: s.documents.preview(inspection_id, kind).pdf, done, owner=self)

    def sign(self, kind: str) -> None:
        self.save(kind, after=lambda: self._sign_saved(kind))

    def _sign_saved(self, kind: str) -> None:
        from ui.dialogs.signing import open_signing_dialog

        if self.inspection_id is not None:
            open_signing_dialog(self.ctx, self.inspection_id, kind, self, lambda _doc: self.tabs.setCurrentIndex(2))

    def _on_generate_summary(self) -> None:
        if self.inspection_id is None:
            return
        inspection_id = self.inspection_id
        self.ctx.ops.query(lambda s: s.documents.findings_summary(inspection_id),
                           self.conclusion.summary.setPlainText, owner=self)

    def _edit_requirement(self, requirement: Requirement | None) -> None:
        from ui.dialogs.requirement import open_requirement_dialog

        self.flush()
        if self.inspection_id is not None:
            open_requirement_dialog(self.ctx, self.inspection_id, requirement, self)

    def _on_remove_requirement(self) -> None:
        requirement = self.conclusion.selected_requirement()
        if requirement is not None:
            self.ctx.ops.write(lambda s: s.requirements.remove(requirement.id), owner=self)

    def _on_view_issued(self) -> None:
        from ui.dialogs.pdf_preview import PdfPreviewDialog

        doc = self.selected_document()
        if doc is None:
            return

        def show(pdf: bytes) -> None:
            dialog = PdfPreviewDialog(self.ctx.tr, pdf, self.ctx.tr(KIND_LABELS[doc.kind]),
                                      f"{doc.kind}-{doc.revision}.pdf", self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.show()

        self.ctx.ops.query(lambda s: s.documents.file_bytes(doc.id), show, owner=self)

    def _on_verify_issued(self) -> None:
        from ui.dialogs.verify import verify_pdf_bytes

        doc = self.selected_document()
        if doc is not None:
            name = f"{self.ctx.tr(KIND_LABELS[doc.kind])} ({doc.revision})"
            self.ctx.ops.query(lambda s: s.documents.file_bytes(doc.id),
                               lambda pdf: verify_pdf_bytes(self.ctx, pdf, name, self), owner=self)

    def _on_timestamp(self) -> None:
        doc = self.selected_document()
        if doc is None:
            return
        self.ctx.ops.query(lambda s: str(s.settings.get("tsa_url", "")),
                           lambda saved: self._ask_timestamp(doc, saved), owner=self)

    def _ask_timestamp(self, doc: DocumentRecord, saved_url: str) -> None:
        tr = self.ctx.tr
        url, ok = QInputDialog.getText(self, tr("Đóng dấu thời gian"), tr(
            "Địa chỉ dịch vụ cấp dấu thời gian (TSA), mặc định lấy ở Cài đặt:"), text=saved_url)
        if not ok or not url.strip():
            return
        url = url.strip()

        def job(s: Services, _task: TaskContext, commit: Committer) -> object:
            prepared = s.documents.prepare_timestamp(doc.id, url)  # the network wait, on the pool
            return commit(lambda w: w.documents.commit_timestamp(prepared))

        follow(self.ctx.ops.long(job, owner=self), tr, tr("Đang lấy dấu thời gian…"), self)

    def _on_correct(self) -> None:
        if self.inspection_id is None:
            return
        tr = self.ctx.tr
        answer = QMessageBox.question(self, tr("Tạo bản đính chính"), tr(
            "Tạo phiên bản mới của đợt kiểm tra (chép toàn bộ nội dung) để sửa và ký lại? Bản đã ký vẫn được"
            " giữ nguyên trong lưu trữ."))
        if answer != QMessageBox.StandardButton.Yes:
            return
        inspection_id = self.inspection_id

        self.ctx.ops.write(lambda s: s.documents.correct(inspection_id), self.correction_created.emit, owner=self)
