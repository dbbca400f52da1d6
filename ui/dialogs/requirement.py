"""One remediation requirement: content, who is responsible, deadline, report-back date."""

from __future__ import annotations

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from inspector.domain import REQUIREMENT_STATUSES, Requirement
from inspector.services.requirements import RequirementSpec
from ui.context import AppContext
from ui.dialogs.guard import FormDialog


class RequirementDialog(FormDialog):
    def __init__(self, ctx: AppContext, inspection_id: str, requirement: Requirement | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, ctx.tr("Yêu cầu khắc phục"), parent)
        self.inspection_id = inspection_id
        self.requirement = requirement
        tr = ctx.tr
        self.setMinimumWidth(560)
        form = QFormLayout()
        self.layout_.addLayout(form)
        self.content = QPlainTextEdit(requirement.content if requirement else "")
        self.content.setAccessibleName(tr("Nội dung yêu cầu"))
        self.content.setMaximumHeight(100)
        self.responsible = QLineEdit(requirement.responsible if requirement else "")
        self.responsible.setAccessibleName(tr("Trách nhiệm thực hiện"))
        self.responsible.setPlaceholderText(tr("Đơn vị hoặc cá nhân chịu trách nhiệm"))
        today = QDate.currentDate()
        self.deadline = QDateEdit(QDate.fromString(requirement.deadline, "yyyy-MM-dd") if requirement
                                  else today.addDays(30))
        self.report = QDateEdit(QDate.fromString(requirement.report_back_date, "yyyy-MM-dd") if requirement
                                else today.addDays(35))
        for w, name in ((self.deadline, tr("Thời hạn")), (self.report, tr("Ngày báo cáo kết quả"))):
            w.setDisplayFormat("dd/MM/yyyy")
            w.setCalendarPopup(True)
            w.setAccessibleName(name)
        self.status = QComboBox()
        self.status.setAccessibleName(tr("Tình trạng"))
        for key, label in REQUIREMENT_STATUSES.items():
            self.status.addItem(tr(label), key)
        self.status.setCurrentIndex(self.status.findData(requirement.status if requirement else "open"))
        self.status.setEnabled(requirement is not None)
        form.addRow(tr("Nội dung"), self.content)
        form.addRow(tr("Trách nhiệm"), self.responsible)
        form.addRow(tr("Thời hạn khắc phục"), self.deadline)
        form.addRow(tr("Báo cáo kết quả trước ngày"), self.report)
        form.addRow(tr("Tình trạng"), self.status)
        self.finish_layout()

    def save(self) -> None:
        spec = RequirementSpec(self.content.toPlainText(), self.responsible.text(),
                               self.deadline.date().toString("yyyy-MM-dd"), self.report.date().toString("yyyy-MM-dd"))
        existing_id = self.requirement.id if self.requirement else None
        inspection_id, status = self.inspection_id, self.status.currentData()

        self.submit(lambda s: s.requirements.save(inspection_id, existing_id, spec, status))


def open_requirement_dialog(ctx: AppContext, inspection_id: str, requirement: Requirement | None,
                            parent: QWidget) -> None:
    RequirementDialog(ctx, inspection_id, requirement, parent).exec()
