"""Correcting the actual start and end time of an inspection (a refusal keeps the dialog open)."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import QCheckBox, QDateTimeEdit, QFormLayout, QWidget

from inspector.clock import VIETNAM_TZ, parse_rfc3339
from inspector.domain import Inspection
from ui.context import AppContext
from ui.dialogs.guard import FormDialog


class TimesDialog(FormDialog):
    def __init__(self, ctx: AppContext, inspection: Inspection, parent: QWidget | None = None) -> None:
        tr = ctx.tr
        super().__init__(ctx, tr("Thời gian kiểm tra thực tế"), parent)
        self.inspection_id = inspection.id
        form = QFormLayout()
        self.layout_.addLayout(form)
        self.start, self.has_start = self._row(form, tr("Bắt đầu"), inspection.actual_start)
        self.end, self.has_end = self._row(form, tr("Kết thúc"), inspection.actual_end)
        self.finish_layout()

    def _row(self, form: QFormLayout, label: str, value: str | None) -> tuple[QDateTimeEdit, QCheckBox]:
        edit = QDateTimeEdit()
        edit.setDisplayFormat("dd/MM/yyyy HH:mm")
        edit.setCalendarPopup(True)
        edit.setAccessibleName(label)
        moment = parse_rfc3339(value).astimezone(VIETNAM_TZ) if value else datetime.now(VIETNAM_TZ)
        edit.setDateTime(QDateTime(moment.year, moment.month, moment.day, moment.hour, moment.minute, 0))
        has = QCheckBox(self.ctx.tr("Có"))
        has.setChecked(value is not None)
        edit.setEnabled(value is not None)
        has.toggled.connect(edit.setEnabled)
        has.toggled.connect(lambda _on: self.error.clear())
        edit.dateTimeChanged.connect(lambda _d: self.error.clear())
        form.addRow(label, edit)
        form.addRow("", has)
        return edit, has

    def values(self) -> tuple[datetime | None, datetime | None]:
        def get(edit: QDateTimeEdit, has: QCheckBox) -> datetime | None:
            if not has.isChecked():
                return None
            d = edit.dateTime()
            return datetime(d.date().year(), d.date().month(), d.date().day(), d.time().hour(), d.time().minute(),
                            tzinfo=VIETNAM_TZ)

        return get(self.start, self.has_start), get(self.end, self.has_end)

    def save(self) -> None:
        start, end = self.values()
        inspection_id = self.inspection_id
        self.submit(lambda s: s.inspections.set_times(inspection_id, start, end))
