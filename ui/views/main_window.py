"""The main window: it only assembles pages, menus, shortcuts and the status bar."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QResizeEvent, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector import __version__
from inspector.ops import Committer
from inspector.services.evidence import VerifyReport
from inspector.services.inspections import InspectionQuery
from inspector.workspace import AuditReport, Services
from ui.context import AppContext
from ui.dialogs.progress import follow
from ui.icons import icon
from ui.ops import TaskContext
from ui.views.inspections_page import InspectionsPage
from ui.widgets.saved import SavedIndicator

if TYPE_CHECKING:  # the other pages and dialogs are imported when first opened (start-up time)
    from ui.dialogs.settings import SettingsDialog
    from ui.views.catalog_page import CatalogPage
    from ui.views.documents_page import DocumentsPage
    from ui.views.recording_page import RecordingPage
    from ui.views.registry_page import RegistryPage
    from ui.views.sync_page import SyncPage

PAGES = ("inspections", "recording", "documents", "sync", "registry", "catalog")


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        tr = ctx.tr
        self.setWindowTitle(tr("Inspector — Kiểm tra kỷ cương, kỷ luật theo Chỉ thị 24-CT/TU"))
        self.setMinimumSize(1000, 600)  # a 1280×720 screen at 150 % less the taskbar still fits
        self.undo_stack = QUndoStack(self)
        self.saved = SavedIndicator(ctx)
        self.inspections_page = InspectionsPage(ctx)
        self._built: dict[str, QWidget] = {"inspections": self.inspections_page}
        self.pages = QStackedWidget()
        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setAccessibleName(tr("Điều hướng"))
        self.navigation.setIconSize(QSize(18, 18))
        self.navigation.setFixedWidth(210)
        self.navigation.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.current_inspection: str | None = None
        self.restart_requested = False  # the language changed: main() starts the app again after closing
        self.navigation_compact = False
        self._titles: list[str] = []
        for key, title, shortcut in (
                ("inspections", tr("Các đợt kiểm tra"), "Ctrl+1"),
                ("recording", tr("Ghi nhận"), "Ctrl+2"),
                ("documents", tr("Biên bản, kết luận"), "Ctrl+3"),
                ("sync", tr("Đồng bộ"), "Ctrl+4"),
                ("registry", tr("Đơn vị và cán bộ"), "Ctrl+5"),
                ("catalog", tr("Danh mục, bộ câu hỏi"), "Ctrl+6")):
            item = QListWidgetItem(icon(key, "#e5e7eb"), title)
            item.setToolTip(f"{title} ({shortcut})")
            self._titles.append(title)
            self.navigation.addItem(item)
            self.pages.addWidget(self.inspections_page if key == "inspections" else QWidget())
        self.nav_toggle = QToolButton()
        self.nav_toggle.setObjectName("navToggle")
        self.nav_toggle.setAutoRaise(True)
        self.nav_toggle.setAccessibleName(tr("Thu gọn hoặc mở rộng thanh điều hướng"))
        self.nav_toggle.clicked.connect(lambda: self.set_navigation_compact(not self.navigation_compact,
                                                                            remember=True))
        side = QWidget()
        side.setObjectName("navigationColumn")
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.setSpacing(0)
        side_layout.addWidget(self.navigation, 1)
        side_layout.addWidget(self.nav_toggle)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(side)
        row.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.navigation.currentRowChanged.connect(self._on_navigation_changed)
        self.navigation.setCurrentRow(0)

        self.statusBar().addPermanentWidget(self.saved)
        where = QLabel(tr("Dữ liệu: {path}").format(path=str(ctx.data_dir)))
        where.setObjectName("hint")
        self.statusBar().addWidget(where)
        self._build_menus()

        self.inspections_page.open_requested.connect(self.open_inspection)
        self.inspections_page.new_requested.connect(self.new_inspection)
        self.inspections_page.edit_requested.connect(self.edit_inspection)
        self.set_navigation_compact(False)
        self.restore_layout()

    # -- pages: built on first use, so start-up only pays for the inspections list -----------
    def _page(self, key: str) -> QWidget:
        page = self._built.get(key)
        if page is None:
            if key == "recording":
                from ui.views.recording_page import RecordingPage

                page = RecordingPage(self.ctx, self.undo_stack)
                page.status_message.connect(self.saved.refuse)
                page.announced.connect(lambda text: self.statusBar().showMessage(text, 10000))
            elif key == "documents":
                from ui.views.documents_page import DocumentsPage

                page = DocumentsPage(self.ctx)
                page.set_inspection(self.current_inspection)
                page.correction_created.connect(self.open_inspection)
            elif key == "sync":
                from ui.views.sync_page import SyncPage

                page = SyncPage(self.ctx)
                page.open_cell_requested.connect(self.open_inspection)
            elif key == "registry":
                from ui.views.registry_page import RegistryPage

                page = RegistryPage(self.ctx)
            else:
                from ui.views.catalog_page import CatalogPage

                page = CatalogPage(self.ctx)
            index = PAGES.index(key)
            placeholder = self.pages.widget(index)
            self.pages.insertWidget(index, page)
            if placeholder is not None:
                self.pages.removeWidget(placeholder)
                placeholder.deleteLater()
            self._built[key] = page
            self._restore_splitter(key, page)
        return page

    # -- a navigation that gives the matrix room on small screens -----------------------------
    COMPACT_BELOW = 1600  # window width under which the navigation shows icons only, unless pinned open

    def set_navigation_compact(self, compact: bool, *, remember: bool = False) -> None:
        tr = self.ctx.tr
        self.navigation_compact = compact
        self.navigation.setFixedWidth(56 if compact else 210)
        self.navigation.setProperty("compact", compact)  # the style sheet narrows the items' padding
        self.navigation.setStyleSheet("QListWidget#navigation::item { padding: 10px 8px; margin: 2px 4px; }"
                                      if compact else "")
        self.navigation.setIconSize(QSize(22, 22) if compact else QSize(18, 18))
        for n, title in enumerate(self._titles):
            item = self.navigation.item(n)
            if item is not None:
                item.setText("" if compact else title)
        self.nav_toggle.setText("»" if compact else tr("« Thu gọn"))
        self.nav_toggle.setToolTip(tr("Mở rộng thanh điều hướng") if compact else tr("Thu gọn thanh điều hướng"))
        if remember:
            self.ctx.settings.setValue("layout/navigation_compact", compact)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        chosen = self.ctx.settings.value("layout/navigation_compact")
        if chosen is None:  # the user has not chosen: follow the window's width
            wanted = self.width() < self.COMPACT_BELOW
            if wanted != self.navigation_compact:
                self.set_navigation_compact(wanted)
        elif (str(chosen).lower() in ("true", "1")) != self.navigation_compact:
            self.set_navigation_compact(str(chosen).lower() in ("true", "1"))

    @property
    def recording_page(self) -> RecordingPage:
        return self._page("recording")  # type: ignore[return-value]

    @property
    def documents_page(self) -> DocumentsPage:
        return self._page("documents")  # type: ignore[return-value]

    @property
    def sync_page(self) -> SyncPage:
        return self._page("sync")  # type: ignore[return-value]

    @property
    def registry_page(self) -> RegistryPage:
        return self._page("registry")  # type: ignore[return-value]

    @property
    def catalog_page(self) -> CatalogPage:
        return self._page("catalog")  # type: ignore[return-value]

    def _on_navigation_changed(self, row: int) -> None:
        self.flush_typing()  # leaving a page saves what was typed there
        self.statusBar().clearMessage()  # a message about the page left behind no longer applies
        self.saved.clear_refusal()
        self._page(PAGES[row])
        self.pages.setCurrentIndex(row)

    def flush_typing(self) -> None:
        if "recording" in self._built:
            self.recording_page.inspection_panel.flush()
        if "documents" in self._built:
            self.documents_page.flush()

    # -- menus ------------------------------------------------------------------------------
    def _action(self, text: str, slot: Callable[[], object],
                shortcut: str | QKeySequence.StandardKey | None = None, icon_name: str | None = None,
                tip: str = "") -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip or text)
        action.setStatusTip(tip or text)
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        tr = self.ctx.tr
        bar = self.menuBar()
        file_menu = bar.addMenu(tr("&Tệp"))
        file_menu.addAction(self._action(tr("Đợt kiểm tra mới…"), self.new_inspection, "Ctrl+N", "new",
                                         tr("Chuẩn bị một đợt kiểm tra mới")))
        file_menu.addAction(self._action(tr("Nhập danh mục, bộ câu hỏi…"), self._on_import, "Ctrl+I", "import"))
        file_menu.addAction(self._action(tr("Kiểm tra chữ ký tệp PDF…"), self._on_verify_pdf, "Ctrl+Shift+V", "verify",
                                         tr("Mở một tệp PDF đã ký và kiểm tra chữ ký số của nó")))
        file_menu.addSeparator()
        file_menu.addAction(self._action(tr("Thoát"), self.close, QKeySequence.StandardKey.Quit, "quit"))
        edit_menu = bar.addMenu(tr("&Sửa"))
        undo = self.undo_stack.createUndoAction(self, tr("Hoàn tác"))
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        undo.setIcon(icon("undo"))
        redo = self.undo_stack.createRedoAction(self, tr("Làm lại"))
        redo.setShortcuts([QKeySequence(QKeySequence.StandardKey.Redo), QKeySequence("Ctrl+Y")])
        redo.setIcon(icon("redo"))
        self.undo_action, self.redo_action = undo, redo
        edit_menu.addAction(undo)
        edit_menu.addAction(redo)
        edit_menu.addSeparator()
        edit_menu.addAction(self._action(tr("Sửa thông tin đợt kiểm tra đang mở…"), self._on_edit_current, "Ctrl+E",
                                         "edit"))
        view_menu = bar.addMenu(tr("&Xem"))
        for n, title in enumerate((tr("Các đợt kiểm tra"), tr("Ghi nhận"), tr("Biên bản, kết luận"), tr("Đồng bộ"),
                                   tr("Đơn vị và cán bộ"), tr("Danh mục, bộ câu hỏi"))):
            view_menu.addAction(self._action(title, self._go_to(n), f"Ctrl+{n + 1}", PAGES[n]))
        tools = bar.addMenu(tr("&Công cụ"))
        tools.addAction(self._action(tr("Kiểm tra toàn vẹn dữ liệu"), self._on_verify, None, "verify",
                                     tr("Kiểm tra chuỗi băm sự kiện và tệp minh chứng")))
        tools.addAction(self._action(tr("Cài đặt…"), self._on_settings, "Ctrl+,", "settings"))
        help_menu = bar.addMenu(tr("&Trợ giúp"))
        help_menu.addAction(self._action(tr("Phím tắt"), self._on_shortcuts, "F1", "help"))
        help_menu.addAction(self._action(tr("Giới thiệu"), self._on_about, None, "help"))

    def _go_to(self, row: int) -> Callable[[], None]:
        return lambda: self.navigation.setCurrentRow(row)

    # -- actions ----------------------------------------------------------------------------
    def open_inspection(self, inspection_id: str) -> None:
        self.current_inspection = inspection_id
        self.recording_page.open_inspection(inspection_id)
        if "documents" in self._built:
            self.documents_page.set_inspection(inspection_id)
        self.navigation.setCurrentRow(PAGES.index("recording"))
        self.recording_page.view.setFocus()

    def new_inspection(self) -> None:
        from ui.dialogs.inspection import open_inspection_dialog

        open_inspection_dialog(self.ctx, None, self, lambda insp: self.inspections_page.select_when_listed(insp.id))

    def edit_inspection(self, inspection_id: str) -> None:
        from ui.dialogs.inspection import open_inspection_dialog

        open_inspection_dialog(self.ctx, inspection_id, self)

    def _on_edit_current(self) -> None:
        if "recording" not in self._built:
            return
        current = self.recording_page.inspection
        if current is not None:
            self.edit_inspection(current.id)

    def _on_import(self) -> None:
        self.navigation.setCurrentRow(PAGES.index("catalog"))
        self.catalog_page.ask_and_import()

    def _on_verify_pdf(self) -> None:
        from ui.dialogs.verify import ask_and_verify

        ask_and_verify(self.ctx, self)

    def _on_settings(self) -> None:
        from ui.dialogs.settings import open_settings_dialog

        def saved(dialog: SettingsDialog) -> None:
            if not dialog.language_changed:
                return
            tr = self.ctx.tr
            answer = QMessageBox.question(self, tr("Cài đặt"), tr(
                "Ngôn ngữ mới được dùng khi mở lại phần mềm. Mở lại ngay bây giờ? Mọi thay đổi đã được lưu."))
            if answer == QMessageBox.StandardButton.Yes:
                self.restart_requested = True
                self.close()

        open_settings_dialog(self.ctx, self, saved)

    def _on_verify(self) -> None:
        tr = self.ctx.tr

        def job(s: Services, task: TaskContext, commit: Committer) -> tuple[AuditReport, VerifyReport]:
            task.report(0, 2, tr("Đang kiểm tra nhật ký sự kiện…"))
            events = s.verify_events()
            task.report(1, 2, tr("Đang kiểm tra tệp minh chứng…"))
            return events, s.evidence.verify_all(lambda found: commit(lambda w: w.evidence.mark_checked(found)))

        def done(result: tuple[AuditReport, VerifyReport]) -> None:
            events, blobs = result
            if events.ok and blobs.ok:
                QMessageBox.information(self, tr("Kiểm tra toàn vẹn"), tr(
                    "Dữ liệu toàn vẹn: {events} sự kiện, {files} tệp minh chứng đều khớp mã băm.").format(
                    events=events.event_count, files=blobs.checked))
            else:
                lines = [p.render(tr) for p in events.chain_problems + events.projection_problems]
                lines += [f"{sha[:16]}…: {reason}" for sha, reason in blobs.bad]
                box = QMessageBox(QMessageBox.Icon.Critical, tr("Kiểm tra toàn vẹn"),
                                  tr("Phát hiện dữ liệu không toàn vẹn. Không sửa gì tự động; hãy giữ nguyên thư mục"
                                     " dữ liệu và liên hệ bộ phận hỗ trợ."), parent=self)
                box.setDetailedText("\n".join(lines))
                box.exec()

        follow(self.ctx.ops.long(job, done, owner=self), tr, tr("Kiểm tra toàn vẹn dữ liệu"), self)

    def _on_shortcuts(self) -> None:
        tr = self.ctx.tr
        QMessageBox.information(self, tr("Phím tắt"), "\n".join((
            tr("Ctrl+N: đợt kiểm tra mới · Ctrl+E: sửa thông tin đợt đang mở"),
            tr("Ctrl+1…6: chuyển màn hình · Ctrl+F: tìm kiếm · Ctrl+Shift+V: kiểm tra chữ ký tệp PDF"),
            tr("Trong ma trận: 0, 1, 2, 3 chọn mức và xuống dòng · Delete: chưa đánh giá"),
            tr("Enter: ghi chú (Ctrl+Enter để lưu) · mũi tên, Tab, Shift+Tab: di chuyển"),
            tr("Ctrl+Z: hoàn tác · Ctrl+Y hoặc Ctrl+Shift+Z: làm lại"))))

    def _on_about(self) -> None:
        QMessageBox.about(self, self.ctx.tr("Giới thiệu"), self.ctx.tr(
            "Inspector {version}\nGhi nhận kiểm tra đột xuất việc thực hiện kỷ cương, kỷ luật và trách nhiệm"
            " theo Chỉ thị 24-CT/TU của Ban Thường vụ Thành ủy Hà Nội.").format(version=__version__))

    # -- layout persistence -----------------------------------------------------------------
    def _restore_splitter(self, key: str, page: QWidget) -> None:
        splitter = getattr(page, "splitter", None)
        state = self.ctx.settings.value(f"splitters/{key}")
        if isinstance(splitter, QSplitter) and isinstance(state, QByteArray):
            splitter.restoreState(state)

    def restore_layout(self) -> None:
        settings = self.ctx.settings
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            screen = QApplication.primaryScreen()
            if screen is not None:
                available = screen.availableGeometry()
                self.resize(min(1440, available.width()), min(900, available.height()))

    def restore_session(self) -> None:
        """The inspection and the page open when the app was last closed come back."""
        settings = self.ctx.settings
        inspection_id = settings.value("session/inspection")
        page = settings.value("session/page")
        row = PAGES.index(str(page)) if page in PAGES else 0

        def reopen(exists: bool) -> None:
            if exists and isinstance(inspection_id, str):
                self.open_inspection(inspection_id)
            self.navigation.setCurrentRow(row if exists or row in (0, 3, 4, 5) else 0)

        if isinstance(inspection_id, str) and inspection_id:
            def still_there(s: Services) -> bool:
                return any(r.id == inspection_id for r in s.inspections.find(None)) or any(
                    r.id == inspection_id for r in s.inspections.find(InspectionQuery(only_archived=True)))

            self.ctx.ops.query(still_there, reopen, owner=self)
        else:
            self.navigation.setCurrentRow(row)

    def save_layout(self) -> None:
        settings = self.ctx.settings
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("session/inspection", self.current_inspection or "")
        settings.setValue("session/page", PAGES[max(0, self.navigation.currentRow())])
        for key, page in self._built.items():
            splitter = getattr(page, "splitter", None)
            if isinstance(splitter, QSplitter):
                settings.setValue(f"splitters/{key}", splitter.saveState())
        settings.sync()

    def unsaved_typing(self) -> list[str]:
        """Forms whose last save failed (disk full, a refused value): their text is only on screen."""
        tr = self.ctx.tr
        left: list[str] = []
        if "recording" in self._built:
            savers = self.recording_page.inspection_panel.savers
            left += [tr(label) for key, label in (("explanation", "Giải trình của đơn vị"),
                                                 ("remarks", "Nhận xét của Đoàn kiểm tra")) if savers[key].dirty]
        if "documents" in self._built:
            savers = self.documents_page.savers
            left += [tr(label) for key, label in (("minutes", "Biên bản"), ("conclusion", "Kết luận"))
                     if savers[key].dirty]
        return left

    def closeEvent(self, event: QCloseEvent) -> None:
        self.flush_typing()
        self.ctx.ops.wait_idle()  # every queued save commits before the window goes
        left = self.unsaved_typing()
        if left:
            tr = self.ctx.tr
            box = QMessageBox(QMessageBox.Icon.Warning, tr("Còn nội dung chưa lưu"), tr(
                "Chưa lưu được: {what}. Nội dung vẫn còn trên màn hình; lý do ghi ở dưới mỗi biểu mẫu."
                " Đóng phần mềm thì nội dung này mất.").format(what=", ".join(left)), parent=self)
            stay = box.addButton(tr("Ở lại để lưu"), QMessageBox.ButtonRole.RejectRole)
            box.addButton(tr("Vẫn đóng"), QMessageBox.ButtonRole.DestructiveRole)
            box.setDefaultButton(stay)
            box.exec()
            if box.clickedButton() is stay:
                event.ignore()
                return
        self.save_layout()
        event.accept()


