"""Evidence thumbnails with attach (dialog or drag-and-drop), camera, open and remove."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent, QIcon, QImage, QImageReader, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.domain import EvidenceRef
from inspector.errors import UserError
from inspector.text import ui_datetime
from inspector.workspace import Services
from ui.context import AppContext
from ui.icons import icon

THUMB = QSize(96, 72)
FILE_FILTER = "Ảnh và tài liệu (*.jpg *.jpeg *.png *.heic *.webp *.pdf *.doc *.docx *.xls *.xlsx *.txt);;Mọi tệp (*)"


def safe_name(name: str) -> str:
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", name).strip(" .") or "minh-chung"
    return cleaned[:120]


def viewing_copy(ref: EvidenceRef) -> Path:
    """Where a copy of an evidence file goes so the OS can open it under its original name."""
    return Path(tempfile.gettempdir()) / "inspector-open" / ref.sha256[:16] / safe_name(ref.file_name)


def open_evidence(ctx: AppContext, ref: EvidenceRef, owner: QWidget) -> None:
    """Copy the file (read and checked on the pool) to a temp folder, then let the OS open it."""
    target = viewing_copy(ref)

    def copy(s: Services) -> Path:
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            s.evidence.save_copy(ref, target)
        return target

    ctx.ops.query(copy, lambda path: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))), owner=owner)


def thumbnail_image(data: bytes) -> QImage:
    """A thumbnail decoded from file bytes (runs on the pool: QImage is safe off the GUI thread)."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid():
        reader.setScaledSize(size.scaled(THUMB, Qt.AspectRatioMode.KeepAspectRatio))
    return reader.read()


class EvidencePanel(QWidget):
    attach_requested = Signal(list)          # [paths]
    capture_requested = Signal()
    remove_requested = Signal(object)        # EvidenceRef
    thumbnails_loaded = Signal()

    def __init__(self, ctx: AppContext, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        tr = ctx.tr
        self._refs: list[EvidenceRef] = []
        self._thumbs: dict[str, QIcon] = {}
        self.setAcceptDrops(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel(f"<b>{title}</b>")
        layout.addWidget(self.title)
        head = QHBoxLayout()  # on its own line: the side panel can be narrow on a laptop screen
        self.attach_button = QPushButton(icon("attach"), tr("Đính kèm…"))
        self.attach_button.setToolTip(tr("Chọn ảnh hoặc tài liệu để đính kèm (có thể kéo thả tệp vào đây)"))
        self.capture_button = QPushButton(icon("camera"), tr("Chụp ảnh"))
        self.capture_button.setToolTip(tr("Chụp ảnh bằng camera của máy"))
        self.open_button = QToolButton()
        self.open_button.setIcon(icon("open"))
        self.open_button.setToolTip(tr("Mở minh chứng đã chọn"))
        self.open_button.setAccessibleName(tr("Mở minh chứng"))
        self.remove_button = QToolButton()
        self.remove_button.setIcon(icon("remove"))
        self.remove_button.setToolTip(tr("Gỡ minh chứng đã chọn (lịch sử vẫn được giữ)"))
        self.remove_button.setAccessibleName(tr("Gỡ minh chứng"))
        head.addWidget(self.attach_button)
        head.addWidget(self.capture_button)
        head.addStretch(1)
        head.addWidget(self.open_button)
        head.addWidget(self.remove_button)
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
        missing = [r for r in refs if r.media_type.startswith("image/") and r.sha256 not in self._thumbs]
        for ref in refs:
            item = QListWidgetItem(self._icon(ref), ref.file_name)
            item.setToolTip("\n".join(x for x in (
                ref.file_name, ref.caption, f"{self.ctx.tr('Thời điểm chụp')}: {ui_datetime(ref.captured_at)}",
                f"SHA-256: {ref.sha256}", f"{self.ctx.tr('Người đính kèm')}: {ref.added_by}") if x))
            item.setData(Qt.ItemDataRole.UserRole, ref.id)
            self.list.addItem(item)
        self.empty_hint.setVisible(not refs)
        self._update_buttons()
        if missing:
            self._load_thumbnails(missing)

    def _load_thumbnails(self, refs: list[EvidenceRef]) -> None:
        def read(s: Services) -> dict[str, QImage]:
            images: dict[str, QImage] = {}
            for ref in refs:
                try:
                    images[ref.sha256] = thumbnail_image(s.evidence.read(ref))
                except UserError:  # a missing or damaged file shows the generic icon
                    images[ref.sha256] = QImage()
            return images

        self.ctx.ops.query(read, self._show_thumbnails, owner=self)

    def _show_thumbnails(self, images: dict[str, QImage]) -> None:
        for sha, image in images.items():
            self._thumbs[sha] = QIcon(QPixmap.fromImage(image)) if not image.isNull() else self._generic(sha)
        for n in range(self.list.count()):
            item = self.list.item(n)
            ref = next((r for r in self._refs if r.id == item.data(Qt.ItemDataRole.UserRole)), None)
            if ref is not None and ref.sha256 in images:
                item.setIcon(self._thumbs[ref.sha256])
        self.thumbnails_loaded.emit()

    def _generic(self, sha256: str) -> QIcon:
        ref = next((r for r in self._refs if r.sha256 == sha256), None)
        return icon("pdf") if ref is not None and ref.media_type == "application/pdf" else icon("attach")

    def selected(self) -> EvidenceRef | None:
        items = self.list.selectedItems()
        if not items:
            return None
        wanted = items[0].data(Qt.ItemDataRole.UserRole)
        return next((r for r in self._refs if r.id == wanted), None)

    def _icon(self, ref: EvidenceRef) -> QIcon:
        cached = self._thumbs.get(ref.sha256)
        if cached is not None:
            return cached
        return icon("pdf") if ref.media_type == "application/pdf" else icon("attach")

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
            open_evidence(self.ctx, ref, self)

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
