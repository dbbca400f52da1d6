"""Painting helpers: status badges and progress bars inside table cells."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ui.models.inspections import PROGRESS_ROLE, STATUS_ROLE
from ui.theme import STATUS_COLORS


class StatusBadgeDelegate(QStyledItemDelegate):
    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        self.initStyleOption(option, index)
        style = option.widget.style() if option.widget else None
        if style is not None:
            option_text = option.text
            option.text = ""
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
            option.text = option_text
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        # On a selected row the badge turns white on the selection colour (readable either way).
        color = QColor("white") if selected else QColor(STATUS_COLORS.get(str(index.data(STATUS_ROLE)), "#4b5563"))
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = option.fontMetrics
        width = metrics.horizontalAdvance(option.text) + 16
        rect = QRectF(option.rect.x() + 4, option.rect.center().y() - metrics.height() / 2 - 2,
                      min(width, option.rect.width() - 8), metrics.height() + 4)
        fill = QColor(color)
        fill.setAlpha(40 if selected else 28)
        painter.setPen(color)
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, 8, 8)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, option.text)
        painter.restore()


class ProgressDelegate(QStyledItemDelegate):
    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        done, total = index.data(PROGRESS_ROLE) or (0, 0)
        self.initStyleOption(option, index)
        text = option.text
        option.text = ""
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        bar = QRectF(option.rect.adjusted(6, 6, -6, -6))
        bar.setWidth(min(bar.width(), 90))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#e5e7eb"))
        painter.drawRoundedRect(bar, 3, 3)
        if total:
            filled = QRectF(bar)
            filled.setWidth(bar.width() * done / total)
            painter.setBrush(QColor("#2e7d32" if done == total else "#1f6feb"))
            painter.drawRoundedRect(filled, 3, 3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setPen(option.palette.highlightedText().color() if selected else option.palette.text().color())
        label = QRectF(bar.right() + 6, option.rect.y(), option.rect.right() - bar.right() - 6, option.rect.height())
        painter.drawText(label, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
        painter.restore()
