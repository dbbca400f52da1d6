"""A unit's earlier inspections and what they required that is still not done, shown while a new
inspection of the unit is prepared: not remedying what was pointed out is manifestation KL-04."""

from __future__ import annotations

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from inspector.domain import REQUIREMENT_STATUSES, STATUSES
from inspector.i18n import Translator
from inspector.services.requirements import UnitHistory
from inspector.text import ui_date
from ui.icons import icon

OVERDUE = QColor("#b91c1c")


class UnitHistoryPanel(QWidget):
    def __init__(self, tr: Translator, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel(f"<b>{tr('Các lần kiểm tra trước của đơn vị')}</b>")
        layout.addWidget(title)
        self.summary = QLabel()
        self.summary.setObjectName("hint")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.kl04 = QLabel(tr("Không khắc phục hoặc khắc phục chậm những hạn chế đã được chỉ ra là biểu hiện KL-04:"
                              " đối chiếu các yêu cầu dưới đây khi ghi nhận kết quả."))
        self.kl04.setObjectName("error")
        self.kl04.setWordWrap(True)
        self.kl04.hide()
        layout.addWidget(self.kl04)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels([tr("Đợt kiểm tra, yêu cầu chưa hoàn thành"), tr("Trạng thái, thời hạn")])
        self.tree.setAccessibleName(tr("Các lần kiểm tra trước của đơn vị"))
        self.tree.setRootIsDecorated(True)
        self.tree.setWordWrap(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        layout.addWidget(self.tree, 1)
        self.history: UnitHistory | None = None
        self.show_no_unit()

    def show_no_unit(self) -> None:
        self.history = None
        self.tree.clear()
        self.kl04.hide()
        tr = self.tr_
        self.summary.setText(tr("Chọn đơn vị được kiểm tra để xem các lần kiểm tra trước và yêu cầu khắc phục"
                                " còn mở của đơn vị."))

    def show_history(self, history: UnitHistory) -> None:
        tr = self.tr_
        self.history = history
        self.tree.clear()
        if not history.inspections:
            self.summary.setText(tr("Trong dữ liệu của máy này, đơn vị chưa có lần kiểm tra nào trước đây."))
            self.kl04.hide()
            return
        text = tr("{count} lần kiểm tra trước (gồm các đơn vị trực thuộc); {pending} yêu cầu khắc phục chưa hoàn thành,"
                  " {overdue} đã quá hạn.").format(count=len(history.inspections), pending=history.pending_count,
                                                   overdue=history.overdue_count)
        if history.more:
            text += " " + tr("Chỉ hiện các lần gần nhất.")
        self.summary.setText(text)
        self.kl04.setVisible(history.pending_count > 0)
        for earlier in history.inspections:
            s = earlier.summary
            heading = tr("Quyết định số {no} ngày {date}\n{unit}").format(
                no=s.decision_no, date=ui_date(s.decision_date), unit=s.unit_name)
            top = QTreeWidgetItem([heading, tr(STATUSES[s.status])])
            top.setToolTip(0, f"{heading}\n{s.title}")
            top.setIcon(0, icon("inspections"))
            if earlier.overdue_count:
                top.setIcon(0, icon("warning", OVERDUE.name()))
            for pending in earlier.pending:
                req = pending.requirement
                state = tr(REQUIREMENT_STATUSES[req.status])
                when = tr("hạn {date}").format(date=ui_date(req.deadline))
                child = QTreeWidgetItem([req.content, f"{state}, {when}"])
                child.setToolTip(0, tr("{content}\nTrách nhiệm: {who}").format(content=req.content,
                                                                               who=req.responsible))
                if pending.overdue:
                    child.setText(1, tr("Quá hạn từ {date}").format(date=ui_date(req.deadline)))
                    child.setForeground(1, QBrush(OVERDUE))
                top.addChild(child)
            self.tree.addTopLevelItem(top)
            top.setExpanded(bool(earlier.pending))
