"""The recording view: the checklist × subjects matrix, the cell and inspection panels, undo."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QResizeEvent, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from inspector.catalog.model import Catalog
from inspector.changes import Changes
from inspector.domain import STATUSES, EvidenceRef, Inspection, SubjectId
from inspector.errors import NotFoundError, UserError
from inspector.i18n import Translator
from inspector.ops import Committer
from inspector.services.findings import FindingChange, FindingRevision, RecordingSnapshot
from inspector.text import ui_date, ui_datetime
from inspector.workspace import Services
from ui.context import AppContext
from ui.dialogs.camera import capture_photo
from ui.dialogs.note import NoteDialog
from ui.dialogs.times import TimesDialog
from ui.icons import icon
from ui.models.findings import FindingsModel, PendingEdit
from ui.ops import TaskContext
from ui.theme import LEVEL_COLORS, STATUS_COLORS
from ui.widgets.matrix import MatrixView
from ui.widgets.panels import CellPanel, InspectionPanel

_KEEP = object()


def _scrolling(panel: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(panel)
    return area


def legend_html(tr: Translator) -> str:
    """What the colours and marks of the matrix mean, in one line."""
    chips = []
    for level in (None, 0, 1, 2, 3):
        background, text = LEVEL_COLORS[level]
        label = "–" if level is None else str(level)
        meaning = tr("chưa đánh giá") if level is None else (
            tr("không có biểu hiện") if level == 0 else tr("mức {n}").format(n=level))
        chips.append(f"<span style='background:{background}; color:{text}; font-weight:600'>&nbsp;{label}&nbsp;</span>"
                     f" {meaning}")
    marks = [f"<span style='color:#1f4e79'>◥</span> {tr('có ghi chú')}",
             f"<span style='background:#1f4e79; color:white'>&nbsp;1&nbsp;</span> {tr('số minh chứng')}",
             f"<span style='color:#b91c1c'>⚠</span> {tr('thành viên ghi khác nhau')}",
             tr("viền nét đứt: đang lưu")]
    return " &nbsp; ".join(chips + marks)


class FindingEdit(QUndoCommand):
    """One recorded edit; undo and redo record the old or new values again (history is kept)."""

    def __init__(self, page: RecordingPage, change: FindingChange, text: str, tr: Translator) -> None:
        super().__init__(text)
        self.page = page
        self.tr = tr
        self.change = change
        self._skip_first_redo = True  # the edit is already committed when the command is pushed

    def redo(self) -> None:
        if self._skip_first_redo:
            self._skip_first_redo = False
            return
        c = self.change
        self.page.reveal(c.item_code, c.subject_id)
        self.page.record(c.item_code, c.subject_id, c.level, c.note, undoable=False,
                         announce=self.tr("Đã làm lại"))

    def undo(self) -> None:
        c = self.change
        self.page.reveal(c.item_code, c.subject_id)
        self.page.record(c.item_code, c.subject_id, c.previous_level, c.previous_note, undoable=False,
                         announce=self.tr("Đã hoàn tác"))


@dataclass(frozen=True)
class Opened:
    """What opening (or refreshing) an inspection reads, in one query on the pool."""

    snapshot: RecordingSnapshot
    catalog: Catalog | None
    recording_blocked: bool
    inspection_evidence: list[EvidenceRef]


class RecordingPage(QWidget):
    inspection_opened = Signal(str)
    refreshed = Signal()       # a refresh after another operation's change is on screen (tests)
    cell_loaded = Signal()     # the selected cell's history and evidence are on screen (tests)
    status_message = Signal(str)  # an edit refused before anything was queued
    announced = Signal(str)       # what an undo or a redo changed, for the status bar

    def __init__(self, ctx: AppContext, undo_stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        tr = ctx.tr
        self.inspection: Inspection | None = None
        self.fork_blocked = False  # this laptop and the server diverged: recording waits for re-enrollment
        self.undo_stack = undo_stack
        layout = QVBoxLayout(self)

        top = QFrame()
        top.setObjectName("card")
        top_layout = QVBoxLayout(top)
        row = QHBoxLayout()
        self.title = QLabel(tr("Chưa mở đợt kiểm tra nào. Chọn một đợt ở danh sách “Các đợt kiểm tra”."))
        self.title.setObjectName("pageTitle")
        self.title.setWordWrap(True)
        row.addWidget(self.title, 1)
        self.status = QLabel()
        row.addWidget(self.status)
        top_layout.addLayout(row)
        self.subtitle = QLabel()
        self.subtitle.setObjectName("hint")
        self.subtitle.setWordWrap(True)
        top_layout.addWidget(self.subtitle)
        times = QHBoxLayout()
        self.times = QLabel()
        times.addWidget(self.times)
        self.start_button = QPushButton(icon("start"), tr("Bắt đầu kiểm tra"))
        self.start_button.setToolTip(tr("Ghi thời điểm Đoàn bắt đầu làm việc tại đơn vị (bây giờ)"))
        self.finish_button = QPushButton(icon("stop"), tr("Kết thúc kiểm tra"))
        self.finish_button.setToolTip(tr("Ghi thời điểm kết thúc làm việc tại đơn vị (bây giờ)"))
        self.times_button = QPushButton(icon("edit"), tr("Sửa giờ…"))
        self.times_button.setToolTip(tr("Sửa thời gian bắt đầu, kết thúc thực tế"))
        for b in (self.start_button, self.finish_button, self.times_button):
            times.addWidget(b)
        times.addStretch(1)
        self.progress = QProgressBar()
        self.progress.setMinimumWidth(260)
        self.progress.setAccessibleName(tr("Tiến độ đánh giá"))
        times.addWidget(QLabel(tr("Tiến độ:")))
        times.addWidget(self.progress)
        top_layout.addLayout(times)
        self.banner = QLabel()
        self.banner.setStyleSheet("background: #fff4cc; color: #7a5a00; padding: 6px; border-radius: 4px;")
        self.banner.setWordWrap(True)
        self.banner.hide()
        top_layout.addWidget(self.banner)
        layout.addWidget(top)

        modes = QHBoxLayout()
        modes.addWidget(QLabel(tr("Xem:")))
        self.mode = QComboBox()
        self.mode.setAccessibleName(tr("Chế độ xem"))
        self.mode.setToolTip(tr("Ma trận mọi đối tượng, hoặc toàn bộ nội dung của một đối tượng"))
        modes.addWidget(self.mode, 1)
        keys = QLabel(tr("Phím: 0–3 chọn mức · Delete: chưa đánh giá · Enter: ghi chú · Tab: sang đối tượng"
                         " · Ctrl+Z: hoàn tác"))
        keys.setObjectName("hint")
        keys.setToolTip(tr("Mũi tên: di chuyển · Ctrl+Y hoặc Ctrl+Shift+Z: làm lại · F7: ẩn, hiện chi tiết ô"))
        modes.addWidget(keys, 2)
        self.legend = QLabel(legend_html(tr))
        self.legend.setAccessibleName(tr("Chú giải màu và ký hiệu"))
        self.legend.setWordWrap(True)
        self.panel_toggle = QPushButton(tr("Ẩn chi tiết ô"))
        self.panel_toggle.setCheckable(True)
        self.panel_toggle.setToolTip(tr("Ẩn hoặc hiện bảng chi tiết bên phải để ma trận rộng hơn (F7)"))
        self.panel_toggle.setShortcut("F7")
        modes.addWidget(self.panel_toggle)
        layout.addLayout(modes)
        layout.addWidget(self.legend)

        self.model = FindingsModel(tr)
        self.view = MatrixView()
        self.view.setModel(self.model)
        self.view.setAccessibleName(tr("Ma trận ghi nhận kết quả"))
        self.cell_panel = CellPanel(ctx)
        self.inspection_panel = InspectionPanel(ctx)
        self.tabs = QTabWidget()
        # The panels scroll instead of squeezing their buttons on a low laptop screen.
        self.tabs.addTab(_scrolling(self.cell_panel), tr("Ô đang chọn"))
        self.tabs.addTab(_scrolling(self.inspection_panel), tr("Đợt kiểm tra"))
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(0, False)
        self.tabs.setMinimumWidth(370)
        self.splitter.setSizes([900, 380])
        layout.addWidget(self.splitter, 1)
        self.panel_toggle.toggled.connect(self._on_panel_toggled)
        self.splitter.splitterMoved.connect(lambda *_: self._fit_columns())
        self.view.resized.connect(self._fit_columns)
        if str(ctx.settings.value("layout/recording_panel_hidden", "false")).lower() in ("true", "1"):
            self.panel_toggle.setChecked(True)

        self.view.level_requested.connect(self._on_view_level_requested)
        self.view.note_requested.connect(lambda _i: self.edit_note())
        self.view.files_dropped.connect(self._on_view_files_dropped)
        self.view.selectionModel().currentChanged.connect(lambda *_: self.refresh_cell_panel())
        self.cell_panel.level_clicked.connect(self._on_panel_level_clicked)
        self.cell_panel.note_clicked.connect(self.edit_note)
        self.cell_panel.evidence.attach_requested.connect(self._on_cell_attach)
        self.cell_panel.evidence.capture_requested.connect(lambda: self._capture(cell=True))
        self.cell_panel.evidence.remove_requested.connect(self._on_remove_evidence)
        self.inspection_panel.evidence.attach_requested.connect(self._on_inspection_attach)
        self.inspection_panel.evidence.capture_requested.connect(lambda: self._capture(cell=False))
        self.inspection_panel.evidence.remove_requested.connect(self._on_remove_evidence)
        self.inspection_panel.explanation_edited.connect(
            lambda text: self._save_text(lambda s, i: s.inspections.set_explanation(i, text), "explanation"))
        self.inspection_panel.remarks_edited.connect(
            lambda text: self._save_text(lambda s, i: s.inspections.set_remarks(i, text), "remarks"))
        self.mode.currentIndexChanged.connect(self._on_mode_changed)
        self.start_button.clicked.connect(self._on_start_clicked)
        self.finish_button.clicked.connect(self._on_finish_clicked)
        self.times_button.clicked.connect(self._on_times_clicked)
        self._opening: str | None = None
        self._starting: str | None = None
        self._cell_token = 0
        ctx.ops.changed.connect(self._on_changed)
        self._update_header()

    # -- opening ----------------------------------------------------------------------------
    def open_inspection(self, inspection_id: str) -> None:
        """Read the inspection on the pool, then show it (`inspection_opened` says when)."""
        self.inspection_panel.flush()
        self._opening = inspection_id
        self.ctx.ops.query(lambda s: _read_opened(s, inspection_id), self._show_opened, owner=self)

    def _show_opened(self, opened: Opened) -> None:
        snap = opened.snapshot
        if self._opening != snap.inspection.id:
            return  # another inspection was asked for meanwhile
        self.fork_blocked = opened.recording_blocked
        self.inspection = snap.inspection
        self.undo_stack.clear()
        self.model.focus_subject = None
        self.model.load(snap, opened.catalog)
        self.mode.blockSignals(True)
        self.mode.clear()
        self.mode.addItem(self.ctx.tr("Ma trận: mọi đối tượng"), None)
        for s in snap.inspection.subjects:
            self.mode.addItem(self.ctx.tr("Theo đối tượng: {name}").format(name=s.name), s.id)
        self.mode.blockSignals(False)
        self._after_model_reset()
        self.inspection_panel.load(snap.inspection.explanation, snap.inspection.team_remarks,
                                   editable=self.editable)
        self.inspection_panel.evidence.set_refs(opened.inspection_evidence)
        self._update_header()
        self.inspection_opened.emit(snap.inspection.id)

    def _refresh(self) -> None:
        """Something else changed this inspection (a merge, evidence, its details): show the store's state."""
        if self.inspection is None:
            return
        inspection_id = self.inspection.id
        self.ctx.ops.query(lambda s: _read_opened(s, inspection_id), self._apply_refresh, owner=self)

    def _apply_refresh(self, opened: Opened) -> None:
        snap = opened.snapshot
        if self.inspection is None or self.inspection.id != snap.inspection.id:
            return
        same_shape = (opened.recording_blocked == self.fork_blocked
                      and snap.inspection.subjects == self.inspection.subjects
                      and self.model.checklist is not None and snap.checklist.id == self.model.checklist.id
                      and snap.checklist.version == self.model.checklist.version)
        if not same_shape:
            self._show_opened(opened)
            return
        self.inspection = snap.inspection
        for key in set(self.model.cells) | set(snap.matrix.cells):
            committed = snap.matrix.cells.get(key, [])
            if self.model.cells.get(key, []) != committed and key not in self.model.pending:
                self.model.set_cell(*key, committed)
        if self.model.evidence_counts != snap.evidence_counts:
            self.model.evidence_counts = dict(snap.evidence_counts)
            self.model.layoutChanged.emit()
        self.inspection_panel.evidence.set_refs(opened.inspection_evidence)
        self.refresh_cell_panel()
        self._update_header()
        self.refreshed.emit()

    def _after_model_reset(self) -> None:
        self.view.expandAll()
        header = self.view.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self._fit_columns()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        first = self.model.index_for(self.model.groups[0].items[0].code, self.model.subjects[0].id) if (
            self.model.groups and self.model.subjects) else QModelIndex()
        if first.isValid():
            self.view.setCurrentIndex(first)
        self.refresh_cell_panel()

    SUBJECT_COLUMN = 84   # a level column: the chip and a two-line name above it
    SUBJECTS_IN_VIEW = 6  # at least this many subject columns beside the item text, on a laptop screen

    def _fit_columns(self) -> None:
        """The item column takes what the subjects leave, never so much that fewer than six show."""
        widths = [360 if col.kind == "note" else self.SUBJECT_COLUMN for col in self.model.columns[1:]]
        shown = sum(widths[: self.SUBJECTS_IN_VIEW])
        room = self.view.viewport().width() - shown - 4
        self.view.setColumnWidth(0, max(200, min(460, room)))
        for c, width in enumerate(widths, start=1):
            self.view.setColumnWidth(c, width)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_columns()

    def _on_panel_toggled(self, hidden: bool) -> None:
        self.tabs.setVisible(not hidden)
        self.panel_toggle.setText(self.ctx.tr("Hiện chi tiết ô") if hidden else self.ctx.tr("Ẩn chi tiết ô"))
        self.ctx.settings.setValue("layout/recording_panel_hidden", hidden)
        self._fit_columns()

    @property
    def editable(self) -> bool:
        return self.inspection is not None and self.inspection.editable and not self.fork_blocked

    # -- header -----------------------------------------------------------------------------
    def _update_header(self) -> None:
        tr = self.ctx.tr
        insp = self.inspection
        has = insp is not None
        for b in (self.start_button, self.finish_button, self.times_button):
            b.setVisible(has)
        self.progress.setVisible(has)
        if insp is None:
            return
        s = insp.summary
        self.title.setText(f"{s.unit_name} — {tr('Quyết định số')} {s.decision_no} ({ui_date(s.decision_date)})")
        color = STATUS_COLORS.get(s.status, "#6b7280")
        self.status.setText(f"<span style='color:{color}; font-weight:600'>● {tr(STATUSES[s.status])}</span>")
        checklist = self.model.checklist
        self.subtitle.setText(f"{s.title}<br>{tr('Bộ câu hỏi')}: {checklist.label if checklist else ''}"
                              f" · {len(insp.subjects)} {tr('đối tượng')}")
        start = ui_datetime(insp.actual_start) or "—"
        end = ui_datetime(insp.actual_end) or "—"
        self.times.setText(f"{tr('Bắt đầu')}: <b>{start}</b> &nbsp; {tr('Kết thúc')}: <b>{end}</b>")
        self.start_button.setEnabled(self.editable and insp.actual_start is None)
        self.finish_button.setEnabled(self.editable and insp.actual_start is not None and insp.actual_end is None)
        self.times_button.setEnabled(self.editable)
        done, total = self.model.total_progress()
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(min(done, total))
        self.progress.setFormat(tr("Đã đánh giá {done}/{total} ô ({pct}%)").format(
            done=done, total=total, pct=round(100 * done / total) if total else 0))
        if self.fork_blocked:
            self.banner.setText(tr("Dữ liệu trên máy này không còn khớp với dữ liệu máy chủ đã nhận (máy có thể đã được"
                                   " khôi phục từ bản sao cũ hoặc sao chép từ máy khác). Đã tạm khóa ghi nhận để không"
                                   " làm lệch thêm; dữ liệu hiện có vẫn giữ nguyên. Xin mã đăng ký mới ở văn phòng và"
                                   " đăng ký lại ở trang Đồng bộ (Ctrl+4)."))
        elif not self.editable:
            self.banner.setText(tr("Đợt kiểm tra ở trạng thái “{status}”: chỉ xem, không sửa được.").format(
                status=tr(STATUSES[s.status])) + (" " + tr("Tạo bản đính chính để sửa.")
                                                    if s.status in ("sealed", "concluded", "closed") else ""))
        self.banner.setVisible(not self.editable)

    def refresh_cell_panel(self) -> None:
        cell = self.model.cell_at(self.view.currentIndex())
        if cell is None or self.inspection is None:
            self.cell_panel.show_cell(None, None, None, "", editable=False)
            return
        item, subject = cell
        level, note = self.model.shown(item.code, subject.id)
        self.cell_panel.show_cell(item, subject, level, note, editable=self.editable)
        finding = self.model.finding(item.code, subject.id)
        if finding is None:
            self.cell_panel.set_history([])
            self.cell_panel.evidence.set_refs([])
            return
        inspection_id, finding_id = self.inspection.id, finding.id
        self._cell_token += 1
        token = self._cell_token

        def read(s: Services) -> tuple[list[FindingRevision], list[EvidenceRef]]:
            return s.findings.history(finding_id), s.evidence.of_inspection(inspection_id, finding_id=finding_id)

        def show(result: tuple[list[FindingRevision], list[EvidenceRef]]) -> None:
            if token == self._cell_token:  # the selection has not moved on meanwhile
                self.cell_panel.set_history(result[0])
                self.cell_panel.evidence.set_refs(result[1])
                self.cell_loaded.emit()

        self.ctx.ops.query(read, show, owner=self)

    # -- recording --------------------------------------------------------------------------
    def reveal(self, item_code: str, subject_id: SubjectId) -> None:
        """Select a cell and scroll to it (undo and redo show what they change)."""
        index = self.model.index_for(item_code, subject_id)
        if not index.isValid() and self.model.focus_subject is not None:  # another subject is shown
            self.mode.setCurrentIndex(0)
            index = self.model.index_for(item_code, subject_id)
        if index.isValid():
            self.view.expand(index.parent())
            self.view.setCurrentIndex(index)
            self.view.scrollTo(index)

    def describe(self, item_code: str, subject_id: SubjectId, before: tuple[int | None, str],
                 after: tuple[int | None, str]) -> str:
        """“CC-01 · Hoàng Quang Tuấn: mức 2 → chưa đánh giá” (and the note, when it changed)."""
        tr = self.ctx.tr

        def level(value: int | None) -> str:
            return tr("chưa đánh giá") if value is None else tr("mức {level}").format(level=value)

        subject = next((s.name for s in self.model.subjects if s.id == subject_id), "")
        parts = []
        if before[0] != after[0]:
            parts.append(f"{level(before[0])} → {level(after[0])}")
        if before[1] != after[1]:
            parts.append(tr("ghi chú đã đổi") if after[1] else tr("ghi chú đã xóa"))
        return f"{item_code} · {subject}: " + ", ".join(parts or [tr("không đổi")])

    def record(self, item_code: str, subject_id: SubjectId, level: Any = _KEEP, note: Any = _KEEP,
               *, undoable: bool = True, announce: str = "") -> None:
        """Set a cell: shown at once as being saved, confirmed only when the commit returns."""
        if self.inspection is None:
            return
        if not self.editable:
            self.status_message.emit(self.ctx.tr("Đợt kiểm tra này chỉ xem, không sửa được."))
            return
        if self.inspection.actual_start is None and self._starting != self.inspection.id and (
                not self._ask_to_start()):
            return
        inspection_id = self.inspection.id
        shown_level, shown_note = self.model.shown(item_code, subject_id)
        self.model.set_pending(item_code, subject_id, PendingEdit(
            shown_level if level is _KEEP else level, shown_note if note is _KEEP else note))
        self._update_header()
        self.refresh_cell_panel()
        kwargs: dict[str, Any] = {}
        if level is not _KEEP:
            kwargs["level"] = level
        if note is not _KEEP:
            kwargs["note"] = note

        def done(change: FindingChange) -> None:
            if self.inspection is None or self.inspection.id != inspection_id:
                return
            self.model.set_cell(change.item_code, change.subject_id, [change.finding])
            self._after_cell_change(change.item_code, change.subject_id)
            if announce:
                self.announced.emit(f"{announce}: " + self.describe(
                    change.item_code, change.subject_id, (change.previous_level, change.previous_note),
                    (change.level, change.note)))
            if undoable and (change.level, change.note) != (change.previous_level, change.previous_note):
                what = self.ctx.tr("mức {level}").format(level=change.level) if change.level is not None else (
                    self.ctx.tr("chưa đánh giá"))
                self.undo_stack.push(FindingEdit(self, change, f"{item_code}: {what}", self.ctx.tr))

        def failed(_exc: BaseException) -> None:
            if self.inspection is not None and self.inspection.id == inspection_id:
                self.model.clear_pending(item_code, subject_id)
                self._after_cell_change(item_code, subject_id)

        self.ctx.ops.write(lambda s: s.findings.set_cell(inspection_id, item_code, subject_id, **kwargs), done,
                           failed, initiator=self, owner=self)

    def _ask_to_start(self) -> bool:
        """Recording before the start: ask once, and record the start time (now) when yes."""
        if self.inspection is None:
            return False
        tr = self.ctx.tr
        answer = QMessageBox.question(self, tr("Bắt đầu kiểm tra"), tr(
            "Đợt kiểm tra chưa ghi thời điểm bắt đầu. Bắt đầu kiểm tra bây giờ (ghi giờ hiện tại là giờ bắt đầu"
            " làm việc tại đơn vị) rồi ghi nhận?"))
        if answer != QMessageBox.StandardButton.Yes:
            return False
        inspection_id = self.inspection.id
        self._starting = inspection_id  # not asked again while the start commits
        self.ctx.ops.write(lambda s: s.inspections.start(inspection_id), self._on_lifecycle_done, initiator=self,
                           owner=self)
        return True

    def unassessed_text(self) -> str:
        """“Còn 12 ô chưa đánh giá: Nguyễn Văn An 5, Trần Thị Bình 7.” or an empty string."""
        tr = self.ctx.tr
        per = [(s.name, self.model.item_count - self.model.subject_progress(s.id)[0]) for s in self.model.subjects]
        left = [(name, n) for name, n in per if n > 0]
        if not left:
            return ""
        total = sum(n for _, n in left)
        return tr("Còn {n} ô chưa đánh giá: {who}.").format(n=total, who=", ".join(f"{a} {n}" for a, n in left))

    def _on_start_clicked(self) -> None:
        if self.inspection is not None:
            self._starting = self.inspection.id  # a key pressed before the start commits needs no question
            self._lifecycle(lambda s, i: s.inspections.start(i))

    def _on_finish_clicked(self) -> None:
        if self.inspection is None:
            return
        tr = self.ctx.tr
        left = self.unassessed_text()
        text = tr("Kết thúc kiểm tra tại đơn vị bây giờ (ghi giờ hiện tại là giờ kết thúc)?")
        if left:
            text = left + "\n\n" + text + " " + tr("Vẫn có thể ghi nhận tiếp các ô còn lại trước khi ký biên bản.")
        if QMessageBox.question(self, tr("Kết thúc kiểm tra"), text) == QMessageBox.StandardButton.Yes:
            self._lifecycle(lambda s, i: s.inspections.finish(i))

    def _after_cell_change(self, item_code: str, subject_id: SubjectId) -> None:
        self._update_header()
        cell = self.model.cell_at(self.view.currentIndex())
        if cell is not None and (cell[0].code, cell[1].id) == (item_code, subject_id):
            self.refresh_cell_panel()

    def _on_view_level_requested(self, index: QModelIndex, level: int | None) -> None:
        cell = self.model.cell_at(index)
        if cell is not None:
            self.record(cell[0].code, cell[1].id, level=level)

    def _on_panel_level_clicked(self, level: int | None) -> None:
        cell = self.model.cell_at(self.view.currentIndex())
        if cell is not None:
            self.record(cell[0].code, cell[1].id, level=level)
            self.view.setFocus()

    def edit_note(self) -> None:
        cell = self.model.cell_at(self.view.currentIndex())
        if cell is None or not self.editable:
            return
        item, subject = cell
        finding = self.model.finding(item.code, subject.id)
        dialog = NoteDialog(self.ctx.tr, item, subject.name, finding.note if finding else "", self)
        if dialog.exec():
            self.record(item.code, subject.id, note=dialog.note())
        self.view.setFocus()

    # -- evidence ---------------------------------------------------------------------------
    def _attach(self, paths: list[str], cell: tuple[str, SubjectId] | None) -> None:
        """Copy the files into the vault on the pool, then attach them in one short commit."""
        if self.inspection is None or not self.editable:
            return
        inspection_id = self.inspection.id

        def job(s: Services, _task: TaskContext, commit: Committer) -> list[EvidenceRef]:
            staged = [s.evidence.stage_file(Path(p)) for p in paths]
            return commit(lambda w: w.evidence.attach(inspection_id, staged, cell=cell))

        self.ctx.ops.long(job, owner=self)

    def _on_cell_attach(self, paths: list[str]) -> None:
        cell = self.model.cell_at(self.view.currentIndex())
        if cell is not None:
            self._attach(paths, (cell[0].code, cell[1].id))

    def _on_inspection_attach(self, paths: list[str]) -> None:
        self._attach(paths, None)

    def _on_view_files_dropped(self, index: QModelIndex, paths: list[str]) -> None:
        cell = self.model.cell_at(index)
        if cell is not None:
            self._attach(paths, (cell[0].code, cell[1].id))

    def _capture(self, *, cell: bool) -> None:
        if self.inspection is None:
            return
        data = capture_photo(self.ctx.tr, self)
        if data is None:
            return
        inspection_id = self.inspection.id
        target = self.model.cell_at(self.view.currentIndex()) if cell else None

        where = (target[0].code, target[1].id) if target is not None else None

        def job(s: Services, _task: TaskContext, commit: Committer) -> list[EvidenceRef]:
            staged = [s.evidence.stage_bytes(data, "anh-chup.jpg", kind="photo")]
            return commit(lambda w: w.evidence.attach(inspection_id, staged, cell=where))

        self.ctx.ops.long(job, owner=self)

    def _on_remove_evidence(self, ref: EvidenceRef) -> None:
        reason, ok = QInputDialog.getText(self, self.ctx.tr("Gỡ minh chứng"),
                                          self.ctx.tr("Lý do gỡ “{name}” (tệp và lịch sử vẫn được giữ):").format(
                                              name=ref.file_name))
        if ok:
            self.ctx.ops.write(lambda s: s.evidence.remove(ref.id, reason), owner=self)

    # -- inspection-level edits -------------------------------------------------------------
    def _save_text(self, fn: Callable[[Services, str], Inspection], which: str) -> None:
        if self.inspection is None or not self.editable:
            return
        inspection_id = self.inspection.id
        panel = self.inspection_panel

        def done(insp: Inspection) -> None:
            if self.inspection is not None and self.inspection.id == insp.id:
                self.inspection = insp
                panel.state.setText(self.ctx.tr("Đã lưu lúc {time}").format(time=ui_datetime(insp.summary.updated_at)))

        def failed(exc: BaseException) -> None:
            panel.savers[which].failed()
            panel.state.setText(exc.render(self.ctx.tr) if isinstance(exc, UserError) else
                                self.ctx.tr("Chưa lưu được; những gì đã nhập vẫn còn trên màn hình."))

        self.ctx.ops.write(lambda s: fn(s, inspection_id), done, failed, initiator=self, show_errors=False,
                           owner=self)

    def _lifecycle(self, fn: Callable[[Services, str], Inspection]) -> None:
        if self.inspection is None:
            return
        inspection_id = self.inspection.id
        self.ctx.ops.write(lambda s: fn(s, inspection_id), self._on_lifecycle_done, initiator=self, owner=self)

    def _on_lifecycle_done(self, insp: Inspection) -> None:
        if self.inspection is not None and self.inspection.id == insp.id:
            self.inspection = insp
            self._update_header()

    def _on_times_clicked(self) -> None:
        if self.inspection is None:
            return
        dialog = TimesDialog(self.ctx, self.inspection, self)
        if dialog.exec() and isinstance(dialog.saved, Inspection):
            self._on_lifecycle_done(dialog.saved)

    def _on_mode_changed(self, _index: int) -> None:
        self.model.set_focus_subject(self.mode.currentData())
        self._after_model_reset()

    def _on_changed(self, changes: Changes, initiator: object) -> None:
        """Another operation changed what this page shows: read it again (own edits update in place)."""
        if self.inspection is None or initiator is self:
            return
        if changes.touches_inspection(self.inspection.id) or changes.sync or changes.catalogs:
            self._refresh()


def _read_opened(s: Services, inspection_id: str) -> Opened:
    snap = s.findings.open(inspection_id)
    try:
        catalog: Catalog | None = s.catalogs.catalog(snap.checklist.catalog_id, snap.checklist.catalog_version)
    except NotFoundError:
        catalog = None
    return Opened(snap, catalog, s.sync.recording_blocked(), s.evidence.of_inspection(inspection_id))
