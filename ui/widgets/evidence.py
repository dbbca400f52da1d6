"""Evidence thumbnails with attach (dialog or drag-and-drop), camera, open and remove."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent, QIcon, QImageReader, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inspector.domain import EvidenceRef
from inspector.errors import UserError
from inspector.text import ui_datetime
from ui.context import AppContext
from ui.icons import icon

THUMB = QSize(96, 72)
FILE_FILTER = "Ảnh và tài liệu (*.jpg *.jpeg *.png *.heic *.webp *.pdf *.doc *.docx *.xls *.xlsx *.txt);;Mọi tệp (*)"


def safe_name(name: str) -> str:
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", name).strip(" .") or "minh-chung"
    return cleaned[:120]


def export_for_viewing(ctx: AppContext, ref: EvidenceRef) -> Path:
    """Copy a vault file to a temp folder under its original name, so the OS can open it."""
    folder = Path(tempfile.gettempdir()) / "inspector-open" / ref.sha256[:16]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / safe_name(ref.file_name)
    if not target.exists():
        target.write_bytes(ctx.services.evidence.read(ref))  # decrypted: only for the viewer the user asked for
    return target


class EvidencePanel(QWidget):
    attach_requested = Signal(list)          # [paths]
    capture_requested = Signal()
    remove_requested = Signal(object)        # EvidenceRef

    def __init__(self, ctx: AppContext, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        tr = ctx.tr
        self._refs: list[EvidenceRef] = []
        self._thumbs: dict[str, QIcon] = {}
        self.setAcceptDrops(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        self.title = QLabel(f"<b>{title}</b>")
        head.addWidget(self.title)
        head.addStretch(1)
        self.attach_button = QPushButton(icon("attach"), tr("Đính kèm…"))
        self.attach_button.setToolTip(tr("Chọn ảnh hoặc tài liệu để đính kèm (có thể kéo thả tệp vào đây)"))
        self.capture_button = QPushButton(icon("camera"), tr("Chụp ảnh"))
        self.capture_button.setToolTip(tr("Chụp ảnh bằng camera của máy"))
        self.open_button = QPushButton(icon("open"), "")
        self.open_button.setToolTip(tr("Mở minh chứng đã chọn"))
        self.open_button.setAccessibleName(tr("Mở minh chứng"))
        self.remove_button = QPushButton(icon("remove"), "")
        self.remove_button.setToolTip(tr("Gỡ minh chứng đã chọn (lịch sử vẫn được giữ)"))
        self.remove_button.setAccessibleName(tr("Gỡ minh chứng"))
        for b in (self.attach_button, self.capture_button, self.open_button, self.remove_button):
            head.addWidget(b)
        layout.addLayout(head)
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(THUMB)
        self.list.setGridSize(QSize(THUMB.width() + 24, THUMB.height() + 36))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setWordWrap(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setAccessibleName(tr("Danh sách minh chứng"))
        self.list.setMinimumHeight(THUMB.height() + 44)
        self.list.setAcceptDrops(False)
        layout.addWidget(self.list)
        self.empty_hint = QLabel(tr("Chưa có minh chứng. Kéo thả ảnh hoặc tài liệu vào đây."))
        self.empty_hint.setObjectName("hint")
        layout.addWidget(self.empty_hint)
        self.attach_button.clicked.connect(self._on_attach_clicked)
        self.capture_button.clicked.connect(self.capture_requested)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.list.itemActivated.connect(lambda _item: self._on_open_clicked())
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.set_editable(False)

    def set_editable(self, editable: bool) -> None:
        self._editable = editable
        self.attach_button.setEnabled(editable)
        self.capture_button.setEnabled(editable)
        self._update_buttons()

    def set_refs(self, refs: list[EvidenceRef]) -> None:
        self._refs = refs
        self.list.clear()
        for ref in refs:
            item = QListWidgetItem(self._thumbnail(ref), ref.file_name)
            item.setToolTip("\n".join(x for x in (
                ref.file_name, ref.caption, f"{self.ctx.tr('Thời điểm chụp')}: {ui_datetime(ref.captured_at)}",
                f"SHA-256: {ref.sha256}", f"{self.ctx.tr('Người đính kèm')}: {ref.added_by}") if x))
            item.setData(Qt.ItemDataRole.UserRole, ref.id)
            self.list.addItem(item)
        self.empty_hint.setVisible(not refs)
        self._update_buttons()

    def selected(self) -> EvidenceRef | None:
        items = self.list.selectedItems()
        if not items:
            return None
        wanted = items[0].data(Qt.ItemDataRole.UserRole)
        return next((r for r in self._refs if r.id == wanted), None)

    def _thumbnail(self, ref: EvidenceRef) -> QIcon:
        cached = self._thumbs.get(ref.sha256)
        if cached is not None:
            return cached
        result = icon("pdf") if ref.media_type == "application/pdf" else icon("attach")
        if ref.media_type.startswith("image/"):
            try:
                data = self.ctx.services.evidence.read(ref)  # the vault is encrypted: decode from memory
            except UserError:
                data = b""
            buffer = QBuffer()
            buffer.setData(QByteArray(data))
            buffer.open(QIODevice.OpenModeFlag.ReadOnly)
            reader = QImageReader(buffer)
            reader.setAutoTransform(True)
            size = reader.size()
            if size.isValid():
                reader.setScaledSize(size.scaled(THUMB, Qt.AspectRatioMode.KeepAspectRatio))
            image = reader.read()
            if not image.isNull():
                result = QIcon(QPixmap.fromImage(image))
        self._thumbs[ref.sha256] = result
        return result

    def _update_buttons(self) -> None:
        has = self.selected() is not None
        self.open_button.setEnabled(has)
        self.remove_button.setEnabled(has and self._editable)

    def _on_attach_clicked(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, self.ctx.tr("Chọn minh chứng"), "", self.ctx.tr(FILE_FILTER))
        if paths:
            self.attach_requested.emit(paths)

    def _on_open_clicked(self) -> None:
        ref = self.selected()
        if ref is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(export_for_viewing(self.ctx, ref))))

    def _on_remove_clicked(self) -> None:
        ref = self.selected()
        if ref is not None:
            self.remove_requested.emit(ref)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._editable and event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if self._editable and paths:
            self.attach_requested.emit(paths)
            event.acceptProposedAction()
