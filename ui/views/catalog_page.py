"""Directive catalog and checklist versions; importing a checklist file shows its errors."""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from inspector.catalog.model import AUDIENCES, Catalog, Checklist
from inspector.changes import Changes
from inspector.errors import UserError, ValidationError
from inspector.i18n import Translator
from inspector.services.catalogs import CatalogVersionInfo, ImportResult
from inspector.text import ui_datetime
from inspector.workspace import Services
from ui.context import AppContext
from ui.icons import icon

KEY = Qt.ItemDataRole.UserRole


class ValidationDialog(QDialog):
    """Every problem of a refused file, one per line, readable and copyable."""

    def __init__(self, tr: Translator, error: ValidationError, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Tệp không hợp lệ"))
        self.setMinimumSize(720, 420)
        layout = QVBoxLayout(self)
        head = QLabel(f"<b>{escape(error.message(tr))}</b><br>{escape(error.hint(tr))}")
        head.setWordWrap(True)
        layout.addWidget(head)
        self.problems = QListWidget()
        self.problems.setAccessibleName(tr("Danh sách lỗi"))
        self.problems.setWordWrap(True)
        for problem in error.problems:
            self.problems.addItem(problem.render(tr))
        layout.addWidget(self.problems)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class CatalogPage(QWidget):
    loaded = Signal()  # the versions list shows the store's state (tests)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        tr = ctx.tr
        layout = QVBoxLayout(self)
        title = QLabel(tr("Danh mục biểu hiện và bộ câu hỏi"))
        title.setObjectName("pageTitle")
        layout.addWidget(title)
        hint = QLabel(tr("Mỗi phiên bản đã công bố không bao giờ thay đổi; mỗi đợt kiểm tra ghi nhận theo đúng phiên"
                         " bản đã chọn. Muốn sửa nội dung, hãy nhập tệp có số phiên bản mới."))
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels([tr("Loại"), tr("Mã"), tr("Phiên bản"), tr("Số mục"), tr("Nguồn"),
                                              tr("Tiêu đề")])
        self.table.setAccessibleName(tr("Các phiên bản danh mục và bộ câu hỏi"))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.details = QTextBrowser()
        self.details.setAccessibleName(tr("Nội dung chi tiết"))
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(1, 2)
        self.splitter = splitter
        layout.addWidget(splitter, 1)
        row = QHBoxLayout()
        self.import_button = QPushButton(icon("import"), tr("Nhập tệp danh mục hoặc bộ câu hỏi…"))
        self.import_button.setToolTip(tr("Kiểm tra và nhập tệp JSON theo định dạng của phần mềm"))
        self.import_button.clicked.connect(self.ask_and_import)
        row.addWidget(self.import_button)
        self.status = QLabel()
        self.status.setObjectName("hint")
        row.addWidget(self.status, 1)
        layout.addLayout(row)
        self.table.itemSelectionChanged.connect(self._show_selected)
        ctx.ops.changed.connect(self._on_changed)
        self.reload()

    def _on_changed(self, changes: Changes, _initiator: object) -> None:
        if changes.catalogs:
            self.reload()

    def reload(self) -> None:
        self.ctx.ops.query(lambda s: s.catalogs.list_versions(), self._show, owner=self)

    def _show(self, versions: list[CatalogVersionInfo]) -> None:
        tr = self.ctx.tr
        self.table.setRowCount(0)
        for v in versions:
            row = self.table.rowCount()
            self.table.insertRow(row)
            cells = [tr("Danh mục") if v.kind == "catalog" else tr("Bộ câu hỏi"), v.id, str(v.version),
                     str(v.entry_count), tr("có sẵn") if v.source == "builtin" else tr("nhập từ tệp"), v.title]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(KEY, (v.kind, v.id, v.version))
                item.setToolTip(f"{tr('Nhập lúc')} {ui_datetime(v.imported_at)} — {v.imported_by}")
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        if self.table.rowCount():
            self.table.selectRow(0)
        self.loaded.emit()

    def _show_selected(self) -> None:
        items = self.table.selectedItems()
        if not items:
            self.details.clear()
            return
        kind, doc_id, version = items[0].data(KEY)

        def read(s: Services) -> Catalog | Checklist:
            if kind == "catalog":
                return s.catalogs.catalog(doc_id, version)
            return s.catalogs.checklist(doc_id, version)

        self.ctx.ops.query(read, self._show_document, owner=self)

    def _show_document(self, doc: Catalog | Checklist) -> None:
        tr = self.ctx.tr
        if isinstance(doc, Catalog):
            c = doc
            parts = [f"<h3>{escape(c.title)}</h3><p><i>{escape(c.wording_note)}</i></p>"]
            for g in c.groups:
                parts.append(f"<h4>{g.code} — {escape(g.title)} ({len(g.manifestations)})</h4><ul>")
                parts += [f"<li><b>{m.code}</b> {escape(m.title)}</li>" for m in g.manifestations]
                parts.append("</ul>")
            parts.append(f"<h4>{tr('Nhóm nhiệm vụ')}</h4><ul>")
            parts += [f"<li><b>{t.code}</b> {escape(t.title)}</li>" for t in c.task_groups]
            parts.append("</ul>")
        else:
            cl = doc
            parts = [f"<h3>{escape(cl.title)}</h3><p>{escape(cl.description)}</p><p>"
                     f"{tr('Dành cho')}: {escape(tr(AUDIENCES.get(cl.audience, cl.audience)))} · "
                     f"{tr('danh mục')} {cl.catalog_id} v{cl.catalog_version}</p><ol>"]
            for item in cl.items:
                levels = "".join(f"<br><span style='color:#6b7280'>{tr('Mức')} {n}: {escape(t)}</span>"
                                 for n, t in enumerate(item.levels, start=1))
                parts.append(f"<li><b>{item.code}</b> {escape(item.text)} "
                             f"<span style='color:#1f4e79'>[{', '.join(item.manifestations)}]</span>{levels}</li>")
            parts.append("</ol>")
        self.details.setHtml("".join(parts))

    def ask_and_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.ctx.tr("Chọn tệp danh mục hoặc bộ câu hỏi"), "",
                                              self.ctx.tr("Tệp JSON (*.json);;Mọi tệp (*)"))
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path) -> None:
        tr = self.ctx.tr
        self.status.setText(tr("Đang kiểm tra {name}…").format(name=path.name))
        self.import_button.setEnabled(False)

        def done(result: ImportResult) -> None:
            self.import_button.setEnabled(True)
            label = tr("danh mục") if result.kind == "catalog" else tr("bộ câu hỏi")
            if result.imported:
                self.status.setText(tr("Đã nhập {label} “{id}” phiên bản {version}.").format(
                    label=label, id=result.id, version=result.version))
            else:
                self.status.setText(tr("“{id}” phiên bản {version} đã có sẵn; không thay đổi gì.").format(
                    id=result.id, version=result.version))

        def failed(exc: BaseException) -> None:
            self.import_button.setEnabled(True)
            self.status.setText(tr("Không nhập được {name}.").format(name=path.name))
            if isinstance(exc, ValidationError):
                self.last_error_dialog = ValidationDialog(tr, exc, self)
                self.last_error_dialog.open()
            elif isinstance(exc, UserError):
                self.ctx.errors.show(exc)

        self.ctx.ops.write(lambda s: s.catalogs.import_file(path), done, failed, show_errors=False, owner=self)
