"""Signing a document, after a review: what is not assessed, what is empty, and who signs with what.

The review comes first (cells not assessed per subject, the documents' empty fields, anything that
blocks signing); sealing with cells not assessed needs a typed reason, which the minutes print.
Each signer's certificate is shown and checked against the slot's person before anything is signed.
Signing itself (render, sign, timestamp) runs on the read pool; only its short commit is a write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from inspector.errors import UserError
from inspector.i18n import Translator
from inspector.ops import Committer
from inspector.services.documents import (
    DetectedModule,
    DocumentRecord,
    DocumentReview,
    PinError,
    SignerPlan,
    SigningIdentity,
)
from inspector.workspace import Services
from ui.context import AppContext
from ui.dialogs.guard import GuardedDialog
from ui.dialogs.progress import follow
from ui.ops import TaskContext
from ui.widgets.signer_row import DrawDialog, SignerRow

__all__ = ["DrawDialog", "SigningDialog", "SigningSetup", "open_signing_dialog", "read_setup"]

ROLE_TITLES = {"unit_rep": "Đại diện đơn vị được kiểm tra", "secretary": "Thư ký Đoàn", "leader": "Trưởng đoàn",
               "signer": "Người ký kết luận"}


@dataclass(frozen=True)
class SignerSlot:
    role: str
    expected_name: str
    digital_required: bool
    remembered: SigningIdentity | None


@dataclass(frozen=True)
class SigningSetup:
    """Read in one query before the dialog opens."""

    review: DocumentReview
    slots: list[SignerSlot]
    modules: list[DetectedModule]


def read_setup(s: Services, inspection_id: str, kind: str) -> SigningSetup:
    review = s.documents.review(inspection_id, kind)
    with_secretary = kind == "minutes" and s.documents.minutes_details(inspection_id).with_secretary
    slots: list[SignerSlot] = []
    for check in review.signers:
        if check.role == "secretary" and not (with_secretary and check.expected_name):
            continue
        remembered = None
        if check.expected_name:
            try:
                remembered = s.documents.last_signing_identity(check.expected_name)
            except UserError:
                remembered = None
        slots.append(SignerSlot(check.role, check.expected_name, check.role in ("leader", "signer"), remembered))
    return SigningSetup(review, slots, s.documents.token_libraries())


def open_signing_dialog(ctx: AppContext, inspection_id: str, kind: str, parent: QWidget,
                        on_signed: Callable[[DocumentRecord], object]) -> None:
    """Read the review and who signs, then open the dialog; `on_signed` runs once it is issued."""

    def show(setup: SigningSetup) -> None:
        dialog = SigningDialog(ctx, inspection_id, kind, setup, parent)
        if dialog.exec() and dialog.result_document is not None:
            on_signed(dialog.result_document)

    ctx.ops.query(lambda s: read_setup(s, inspection_id, kind), show, owner=parent)


def review_html(tr: Translator, review: DocumentReview) -> str:
    parts: list[str] = []
    if review.blockers:
        parts.append("<p style='color:#b91c1c'><b>" + tr("Chưa ký được:") + "</b></p><ul>" + "".join(
            f"<li style='color:#b91c1c'>{b.render(tr)}</li>" for b in review.blockers) + "</ul>")
    gaps = [g for g in review.subjects if g.not_assessed]
    if gaps:
        parts.append("<p><b>" + tr("Còn {n} ô chưa đánh giá:").format(n=review.not_assessed) + "</b> " + ", ".join(
            tr("{name} {n}/{total}").format(name=g.name, n=g.not_assessed, total=g.total) for g in gaps) + "</p>")
    else:
        parts.append("<p style='color:#1e5631'>" + tr("Mọi ô đã được đánh giá.") + "</p>")
    if review.empty_fields:
        parts.append("<p><b>" + tr("Còn để trống:") + "</b></p><ul>" + "".join(
            f"<li>{p.render(tr)}</li>" for p in review.empty_fields) + "</ul>")
    return "".join(parts)


class SigningDialog(GuardedDialog):
    """Review, then every signer, then sign in one go (render, sign in order, seal)."""

    def __init__(self, ctx: AppContext, inspection_id: str, kind: str, setup: SigningSetup,
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx.tr, parent)
        self.ctx = ctx
        self.inspection_id = inspection_id
        self.kind = kind
        self.review = setup.review
        self.result_document: DocumentRecord | None = None
        tr = ctx.tr
        self.setWindowTitle(tr("Ký biên bản kiểm tra") if kind == "minutes" else tr("Ký kết luận kiểm tra"))
        self.setMinimumWidth(680)
        layout = QVBoxLayout(self)
        content = QWidget()
        inner = QVBoxLayout(content)
        inner.setContentsMargins(0, 0, 0, 0)
        heading = QLabel("<b>" + tr("Xem lại trước khi ký") + "</b>")
        inner.addWidget(heading)
        self.review_text = QLabel(review_html(tr, setup.review))
        self.review_text.setWordWrap(True)
        self.review_text.setAccessibleName(tr("Kết quả xem lại trước khi ký"))
        inner.addWidget(self.review_text)
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName(tr("Lý do niêm phong khi còn ô chưa đánh giá"))
        self.reason.setPlaceholderText(tr("Lý do niêm phong khi còn ô chưa đánh giá (được ghi vào biên bản), ví dụ:"
                                          " cán bộ vắng mặt trong buổi kiểm tra"))
        self.reason.setMaximumHeight(60)
        self.reason.setVisible(setup.review.needs_reason)
        inner.addWidget(self.reason)
        intro = QLabel(tr("Ký theo thứ tự từ trái sang phải trên văn bản; Trưởng đoàn ký cuối cùng. Khi Trưởng đoàn"
                          " ký số, đợt kiểm tra được niêm phong: không sửa được nữa, chỉ có thể tạo bản đính chính.")
                       if kind == "minutes" else
                       tr("Người có thẩm quyền ký số kết luận. Sau khi ký, kết luận được ban hành."))
        intro.setWordWrap(True)
        intro.setObjectName("hint")
        inner.addWidget(intro)
        self.rows: list[SignerRow] = []
        for slot in setup.slots:
            row = SignerRow(ctx, inspection_id, kind, slot.role, tr(ROLE_TITLES[slot.role]), slot.expected_name,
                            digital_required=slot.digital_required, remembered=slot.remembered,
                            modules=setup.modules)
            row.changed.connect(self._update_buttons)
            self.rows.append(row)
            inner.addWidget(row)
        self.confirm = QCheckBox(tr("Tôi đã xem lại nội dung văn bản và người ký ở trên."))
        self.confirm.toggled.connect(lambda _on: self._update_buttons())
        self.reason.textChanged.connect(self._update_buttons)
        inner.addWidget(self.confirm)
        inner.addStretch(1)
        area = QScrollArea()  # three signers and the review do not fit a low laptop screen: they scroll
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setWidget(content)
        area.setMinimumHeight(min(content.sizeHint().height(), 420))
        layout.addWidget(area, 1)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Hủy"))
        self.sign_button: QPushButton = self.buttons.addButton(tr("Ký"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.sign_button.setObjectName("primary")
        self.buttons.accepted.connect(self.sign)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(740, 820)  # fit_to_screen brings it inside a small laptop screen
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.error.clear()  # a refusal about what was entered before no longer applies
        missing_reason = self.review.needs_reason and not self.reason.toPlainText().strip()
        self.sign_button.setEnabled(self.review.ready and self.confirm.isChecked() and not missing_reason)

    def plans(self) -> list[SignerPlan]:
        return [row.plan() for row in self.rows]

    def sign(self) -> None:
        tr = self.ctx.tr
        try:
            plans = self.plans()
        except UserError as exc:
            self.error.setText(exc.render(tr))
            return
        self.error.clear()
        self.sign_button.setEnabled(False)
        inspection_id, kind = self.inspection_id, self.kind
        reason = self.reason.toPlainText().strip()

        def job(s: Services, _task: TaskContext, commit: Committer) -> DocumentRecord:
            prepared = s.documents.prepare_issue(inspection_id, kind, plans, unassessed_reason=reason)
            return commit(lambda w: w.documents.commit_issue(prepared))

        def failed(exc: BaseException) -> None:
            self._update_buttons()
            if isinstance(exc, PinError):
                for row in self.rows:
                    row.pin.clear()
            if isinstance(exc, UserError):
                self.error.setText(exc.render(tr))
            else:
                self.ctx.errors.show(exc)

        def done(document: DocumentRecord) -> None:
            self.result_document = document
            self.accept()

        handle = self.ctx.ops.long(job, done, on_error=failed, owner=self)
        follow(handle, tr, tr("Đang tạo và ký văn bản…"), self)
