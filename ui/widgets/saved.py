"""The status-bar saved state: it says 'saved' only after the commit has returned."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from inspector.clock import VIETNAM_TZ, parse_rfc3339
from ui.context import AppContext
from ui.icons import icon


class SavedIndicator(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        self.icon = QLabel()
        self.text = QLabel(ctx.tr("Sẵn sàng"))
        self.text.setAccessibleName(ctx.tr("Trạng thái lưu"))
        layout.addWidget(self.icon)
        layout.addWidget(self.text)
        self.pending = 0
        self._refused = False
        ctx.ops.saving.connect(self._on_saving)
        ctx.ops.saved.connect(self._on_saved)
        ctx.ops.save_failed.connect(self._on_failed)

    def _show(self, name: str, color: str, text: str) -> None:
        self.icon.setPixmap(icon(name, color).pixmap(16, 16))
        self.text.setText(text)
        self.text.setStyleSheet(f"color: {color};")

    def _on_saving(self) -> None:
        self.pending += 1
        self._show("saving", "#6b7280", self.ctx.tr("Đang lưu…"))

    def _on_saved(self, at: str) -> None:
        self.pending = max(0, self.pending - 1)
        if self.pending == 0:
            when = parse_rfc3339(at).astimezone(VIETNAM_TZ).strftime("%H:%M:%S") if at else ""
            self._show("saved", "#2e7d32", self.ctx.tr("Đã lưu lúc {time}").format(time=when))

    def refuse(self, message: str) -> None:
        """An edit refused before anything was queued (read-only inspection)."""
        self._refused = True
        self._show("error", "#b91c1c", message)

    def clear_refusal(self) -> None:
        """Leaving the page where an edit was refused: the message no longer applies."""
        if self._refused and self.pending == 0:
            self._refused = False
            self.icon.clear()
            self.text.setText(self.ctx.tr("Sẵn sàng"))
            self.text.setStyleSheet("")

    def _on_failed(self, message: str) -> None:
        self.pending = max(0, self.pending - 1)
        self._show("error", "#b91c1c", self.ctx.tr("Chưa lưu: {reason}").format(reason=message) if message
                   else self.ctx.tr("Chưa lưu"))
