"""Correcting the actual start and end time of an inspection."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import QCheckBox, QDateTimeEdit, QDialog, QDialogButtonBox, QFormLayout, QWidget

from inspector.clock import VIETNAM_TZ, parse_rfc3339
from inspector.i18n import Translator


class TimesDialog(QDialog):
    def __init__(self, tr: Translator, start: str | None, end: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Thời gian kiểm tra thực tế"))
        form = QFormLayout(self)
        self.start, self.has_start = self._row(form, tr("Bắt đầu"), start, tr)
        self.end, self.has_end = self._row(form, tr("Kết thúc"), end, tr)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @staticmethod
    def _row(form: QFormLayout, label: str, value: str | None, tr: Translator) -> tuple[QDateTimeEdit, QCheckBox]:
        edit = QDateTimeEdit()
        edit.setDisplayFormat("dd/MM/yyyy HH:mm")
        edit.setCalendarPopup(True)
        edit.setAccessibleName(label)
        moment = parse_rfc3339(value).astimezone(VIETNAM_TZ) if value else datetime.now(VIETNAM_TZ)
        edit.setDateTime(QDateTime(moment.year, moment.month, moment.day, moment.hour, moment.minute, 0))
        has = QCheckBox(tr("Có"))
        has.setChecked(value is not None)
        edit.setEnabled(value is not None)
        has.toggled.connect(edit.setEnabled)
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
