"""Looking at a PDF inside the app (QtPdf), printing it, saving it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import QDialog, QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from inspector.i18n import Translator
from ui.icons import icon


class PdfPreviewDialog(QDialog):
    def __init__(self, tr: Translator, pdf: bytes, title: str, file_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr = tr  # type: ignore[method-assign,assignment]  # our translator replaces QObject.tr
        self.pdf = pdf
        self.file_name = file_name
        self.setWindowTitle(title)
        self.resize(900, 1000)
        layout = QVBoxLayout(self)
        self._data = QByteArray(pdf)
        self._buffer = QBuffer(self._data)
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document = QPdfDocument(self)
        self.document.load(self._buffer)
        self.view = QPdfView(self)
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setAccessibleName(tr("Xem trước văn bản"))
        layout.addWidget(self.view, 1)
        row = QHBoxLayout()
        self.pages = QLabel(tr("{count} trang").format(count=self.document.pageCount()))
        self.pages.setObjectName("hint")
        row.addWidget(self.pages)
        row.addStretch(1)
        save = QPushButton(icon("export"), tr("Lưu ra tệp…"))
        save.clicked.connect(self.save_as)
        printer = QPushButton(icon("print"), tr("In…"))
        printer.clicked.connect(self.print_document)
        close = QPushButton(tr("Đóng"))
        close.clicked.connect(self.accept)
        for b in (save, printer, close):
            row.addWidget(b)
        layout.addLayout(row)

    def save_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Lưu văn bản"), self.file_name,
                                              self.tr("Tệp PDF (*.pdf)"))
        if path:
            target = Path(path)
            tmp = target.with_name(target.name + ".part")
            tmp.write_bytes(self.pdf)
            tmp.replace(target)

    def print_document(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        painter = QPainter(printer)
        page_rect = printer.pageRect(QPrinter.Unit.DevicePixel).toRect()
        for page in range(self.document.pageCount()):
            if page:
                printer.newPage()
            size = self.document.pagePointSize(page)
            scale = min(page_rect.width() / size.width(), page_rect.height() / size.height())
            image = self.document.render(page, QSize(int(size.width() * scale), int(size.height() * scale)))
            painter.drawImage(0, 0, image)
        painter.end()
