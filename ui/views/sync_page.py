"""Sync with the central store: enrollment, sync with progress, cancel and automatic retry,
per-inspection status, USB bundles, and what a team merge left to settle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.changes import Changes
from inspector.clock import SystemClock, to_rfc3339
from inspector.domain import InspectionId, InspectionSummary
from inspector.errors import CancelledByUser, UserError
from inspector.ops import Committer
from inspector.services.inspections import InspectionQuery
from inspector.sync.service import Disagreement, EditConflict, InspectionSyncStatus, SyncOverview
from inspector.text import human_size, ui_clock, ui_datetime
from inspector.workspace import Services
from ui.context import AppContext
from ui.icons import icon
from ui.ops import OpHandle, TaskContext

RETRY_STEPS_S = (30, 60, 120, 300, 600)


@dataclass(frozen=True)
class SyncState:
    overview: SyncOverview
    summaries: dict[InspectionId, InspectionSummary]
    statuses: dict[str, InspectionSyncStatus]
    disagreements: list[Disagreement]
    conflicts: list[EditConflict]
    subject_names: dict[str, str]


def _read_state(s: Services) -> SyncState:
    summaries = {x.id: x for x in s.inspections.find(None)}
    summaries.update({x.id: x for x in s.inspections.find(InspectionQuery(only_archived=True))})
    disagreements = s.sync.disagreements()
    conflicts = s.sync.conflicts()
    names = s.inspections.subject_names([d.subject_id for d in disagreements] + [c.subject_id for c in conflicts])
    return SyncState(s.sync.overview(), summaries, s.sync.inspection_statuses(), disagreements, conflicts, names)


class SyncPage(QWidget):
    open_cell_requested = Signal(str)  # inspection id
    loaded = Signal()  # the page shows the store's current state (tests)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        tr = ctx.tr
        self.handle: OpHandle[Any] | None = None
        self._retry_index = 0
        layout = QVBoxLayout(self)
        title = QLabel(tr("Đồng bộ với máy chủ trung tâm"))
        title.setObjectName("pageTitle")
        layout.addWidget(title)

        card = QFrame()
        card.setObjectName("card")
        card_layout = QVBoxLayout(card)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        card_layout.addWidget(self.status)
        self.enroll_box = QWidget()
        enroll = QFormLayout(self.enroll_box)
        self.server_url = QLineEdit()
        self.server_url.setPlaceholderText("https://may-chu.vi-du.vn:8765")
        self.server_url.setAccessibleName(tr("Địa chỉ máy chủ"))
        self.token = QLineEdit()
        self.token.setAccessibleName(tr("Mã đăng ký"))
        self.token.setPlaceholderText(tr("mã đăng ký một lần do văn phòng cấp (chữ hoặc mã QR)"))
        self.enroll_button = QPushButton(icon("server"), tr("Đăng ký thiết bị"))
        self.enroll_file_button = QPushButton(icon("usb"), tr("Đăng ký bằng tệp của văn phòng…"))
        self.enroll_file_button.setToolTip(tr("Khi không có mạng: chọn tệp đăng ký văn phòng trung tâm chép vào USB;"
                                              " sau đó có thể xuất gói dữ liệu ngay"))
        enroll.addRow(tr("Máy chủ"), self.server_url)
        enroll.addRow(tr("Mã đăng ký"), self.token)
        buttons = QHBoxLayout()
        buttons.addWidget(self.enroll_button)
        buttons.addWidget(self.enroll_file_button)
        buttons.addStretch(1)
        enroll.addRow("", buttons)
        card_layout.addWidget(self.enroll_box)
        row = QHBoxLayout()
        self.sync_button = QPushButton(icon("sync", "white"), tr("Đồng bộ ngay"))
        self.sync_button.setObjectName("primary")
        self.cancel_button = QPushButton(tr("Dừng"))
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(tr("Tiến độ đồng bộ"))
        self.progress.setMinimumWidth(320)
        self.phase = QLabel()
        self.phase.setObjectName("hint")
        row.addWidget(self.sync_button)
        row.addWidget(self.cancel_button)
        row.addWidget(self.progress, 1)
        card_layout.addLayout(row)
        card_layout.addWidget(self.phase)
        usb = QHBoxLayout()
        self.export_button = QPushButton(icon("usb"), tr("Xuất gói dữ liệu ra USB…"))
        self.export_button.setToolTip(tr("Khi không có mạng: ghi mọi dữ liệu máy chủ chưa xác nhận vào một tệp"
                                         " đã mã hóa để mang về văn phòng"))
        self.import_button = QPushButton(icon("import"), tr("Nhập biên nhận hoặc gói của thành viên…"))
        self.import_button.setToolTip(tr("Biên nhận của máy chủ, hoặc gói dữ liệu của thành viên trong Đoàn"
                                         " để gộp vào máy của Trưởng đoàn"))
        usb.addWidget(self.export_button)
        usb.addWidget(self.import_button)
        usb.addStretch(1)
        card_layout.addLayout(usb)
        layout.addWidget(card)

        layout.addWidget(QLabel(f"<b>{tr('Tình trạng từng đợt kiểm tra')}</b>"))
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels([tr("Đợt kiểm tra"), tr("Tình trạng"), tr("Thay đổi chưa gửi"),
                                              tr("Ảnh, tệp chưa gửi"), tr("Biên nhận gần nhất")])
        self.table.setAccessibleName(tr("Tình trạng đồng bộ của các đợt kiểm tra"))
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, 5):
            self.table.horizontalHeader().setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        layout.addWidget(self.table, 2)
        layout.addWidget(QLabel(f"<b>{tr('Cần Trưởng đoàn thống nhất (sau khi gộp dữ liệu của thành viên)')}</b>"))
        self.conflicts = QTableWidget(0, 4)
        self.conflicts.setHorizontalHeaderLabels([tr("Đợt kiểm tra"), tr("Mục"), tr("Đối tượng"), tr("Các kết quả")])
        self.conflicts.setAccessibleName(tr("Các ô có kết quả khác nhau"))
        self.conflicts.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.conflicts.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.conflicts.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.conflicts.verticalHeader().hide()
        self.conflicts.setToolTip(tr("Nhấp đúp để mở ô trong màn hình Ghi nhận và chọn kết quả cuối cùng"))
        layout.addWidget(self.conflicts, 1)

        self.retry_timer = QTimer(self)
        self.retry_timer.setSingleShot(True)
        self.retry_timer.timeout.connect(self.start_sync)
        self.countdown = QTimer(self)
        self.countdown.setInterval(1000)
        self.countdown.timeout.connect(self._on_countdown)
        self.enroll_button.clicked.connect(self._on_enroll)
        self.enroll_file_button.clicked.connect(self._on_enroll_file)
        self.sync_button.clicked.connect(self.start_sync)
        self.cancel_button.clicked.connect(self._on_cancel)
        self.export_button.clicked.connect(self._on_export)
        self.import_button.clicked.connect(self._on_import)
        self.conflicts.doubleClicked.connect(self._on_conflict_activated)
        ctx.ops.changed.connect(self._on_changed)
        self.reload()

    # -- state --------------------------------------------------------------------------------
    def _on_changed(self, changes: Changes, _initiator: object) -> None:
        if changes.sync or changes.inspection_list or changes.inspections:
            self.reload()

    def reload(self) -> None:
        self.ctx.ops.query(_read_state, self._show, owner=self)

    def _show(self, state: SyncState) -> None:
        tr = self.ctx.tr
        o = state.overview
        if o.fork:
            text = tr("<b style='color:#b91c1c'>Dữ liệu trên máy này khác với dữ liệu máy chủ đã nhận (có thể máy"
                      " đã được khôi phục từ bản sao cũ). Hãy đăng ký lại thiết bị với mã đăng ký mới trước khi"
                      " ghi nhận tiếp.</b>")
        elif o.enrollment_pending:
            text = tr("Đã đăng ký bằng tệp của văn phòng (đoàn {team}, thiết bị {device}); văn phòng chưa xác nhận."
                      "<br>Xuất gói dữ liệu ra USB và mang về văn phòng: thiết bị được ghi nhận khi văn phòng nhập gói"
                      " đầu tiên; nhập biên nhận văn phòng gửi lại để hoàn tất. Chưa gửi: {events} thay đổi, {blobs}"
                      " ảnh và tệp").format(team=o.team, device=o.device_id[:12], events=o.unsent_events,
                                            blobs=o.unsent_blobs)
        elif o.enrolled:
            text = tr("Máy chủ: <b>{url}</b> · Đoàn: {team} · Thiết bị: {device}<br>Biên nhận gần nhất: {receipt}"
                      " · Chưa gửi: {events} thay đổi, {blobs} ảnh và tệp").format(
                url=o.server_url, team=o.team, device=o.device_id[:12], receipt=ui_datetime(o.last_receipt_at) or "—",
                events=o.unsent_events, blobs=o.unsent_blobs)
        else:
            text = tr("Thiết bị chưa đăng ký với máy chủ. Nhập địa chỉ máy chủ và mã đăng ký do văn phòng cấp; khi"
                      " không có mạng, chọn “Đăng ký bằng tệp của văn phòng…” (tệp trên USB) rồi dùng “Xuất gói dữ"
                      " liệu ra USB”.")
        if o.stranded_events and not o.fork:
            text += "<br>" + tr(
                "<b style='color:#b45309'>{n} thay đổi ghi trên bản dữ liệu đã bị máy chủ từ chối (lúc máy lệch với"
                " máy chủ) không gửi lại được: máy chủ giữ chúng ở khu cách ly, máy này vẫn giữ nguyên. Các đợt"
                " kiểm tra liên quan không được coi là đủ trên máy chủ; báo văn phòng trung tâm để đối chiếu.</b>"
            ).format(n=o.stranded_events)
        if o.enrolled and o.tls_pinned and not o.fork:
            text += "<br>" + tr("Kết nối bảo mật (HTTPS) với đúng chứng thư của máy chủ đã ghi khi đăng ký.")
        self.status.setText(text)
        self.enroll_box.setVisible(not o.enrolled or o.fork)
        self.sync_button.setEnabled(o.enrolled and bool(o.server_url) and not o.enrollment_pending and not o.fork
                                     and self.handle is None)  # a file enrollment waits for the USB receipt
        if o.server_url:
            self.server_url.setText(o.server_url)
        summaries = state.summaries
        self.table.setRowCount(0)
        for inspection_id, st in state.statuses.items():
            summary = summaries.get(InspectionId(inspection_id))
            n = self.table.rowCount()
            self.table.insertRow(n)
            name = f"{summary.unit_name} — {summary.decision_no}" if summary else inspection_id
            label = QTableWidgetItem(tr(st.label))
            label.setForeground(Qt.GlobalColor.darkGreen if st.state == "complete" else Qt.GlobalColor.darkYellow)
            for col, item in enumerate((QTableWidgetItem(name), label, QTableWidgetItem(str(st.unsent_events)),
                                        QTableWidgetItem(str(st.missing_blobs)),
                                        QTableWidgetItem(ui_datetime(st.last_receipt_at) or "—"))):
                self.table.setItem(n, col, item)
        self.conflicts.setRowCount(0)
        names = state.subject_names
        for d in state.disagreements:
            self._conflict_row(d.inspection_id, d.item_code, d.subject_id,
                               ", ".join("—" if lv is None else str(lv) for lv in d.levels)
                               + (" " + tr("(trùng nhau)") if d.identical else ""), summaries, names)
        for c in state.conflicts:
            self._conflict_row(c.inspection_id, c.item_code, c.subject_id, tr("sửa đồng thời: ") + ", ".join(
                f"{r.author_name}: {tr('gỡ bỏ') if r.removed else ('—' if r.level is None else r.level)}"
                for r in c.leaves), summaries, names)
        self.loaded.emit()

    def _conflict_row(self, inspection_id: str, item: str, subject_id: str, what: str,
                      summaries: dict[InspectionId, InspectionSummary], names: dict[str, str]) -> None:
        names.setdefault(subject_id, subject_id)
        summary = summaries.get(InspectionId(inspection_id))
        n = self.conflicts.rowCount()
        self.conflicts.insertRow(n)
        label = QTableWidgetItem(f"{summary.unit_name} — {summary.decision_no}" if summary else inspection_id)
        label.setData(Qt.ItemDataRole.UserRole, inspection_id)
        for col, item_ in enumerate((label, QTableWidgetItem(item), QTableWidgetItem(names[subject_id]),
                                     QTableWidgetItem(what))):
            self.conflicts.setItem(n, col, item_)

    # -- enrollment and sync ----------------------------------------------------------------
    def _on_enroll(self) -> None:
        url, token = self.server_url.text().strip(), self.token.text().strip()
        tr = self.ctx.tr
        if not url or not token:
            self.phase.setText(tr("Nhập địa chỉ máy chủ và mã đăng ký."))
            return

        def done(result: Any) -> None:
            self.token.clear()
            self.phase.setText(tr("Đã đăng ký: thiết bị {device} thuộc đoàn {team}. Dấu vân tay máy chủ: {fp}").format(
                device=result.device_id[:12], team=result.team, fp=result.server_fingerprint))

        def failed(exc: BaseException) -> None:
            self.phase.setText(exc.render(tr) if isinstance(exc, UserError) else tr("Lỗi không mong đợi khi đăng ký."))

        def job(s: Services, _task: TaskContext, commit: Committer) -> Any:
            return s.sync.enroll(url, token, commit=commit)  # the network on the pool, its record on the writer

        self.ctx.ops.long(job, done, on_error=failed, owner=self)

    def _on_enroll_file(self) -> None:
        tr = self.ctx.tr
        path, _ = QFileDialog.getOpenFileName(self, tr("Chọn tệp đăng ký của văn phòng trung tâm"), "",
                                              tr("Tệp đăng ký (*.json *.inspenroll);;Mọi tệp (*)"))
        if path:
            self.enroll_from(Path(path))

    def enroll_from(self, path: Path) -> OpHandle[Any]:
        tr = self.ctx.tr

        def done(result: Any) -> None:
            self.phase.setText(tr("Đã đăng ký bằng tệp {name}: thiết bị {device} thuộc đoàn {team}. Có thể xuất gói"
                                  " dữ liệu ra USB ngay; gói đầu tiên phải về tới văn phòng trước {expires}.").format(
                name=path.name, device=result.device_id[:12], team=result.team,
                expires=ui_datetime(result.expires_at) or "—"))

        def failed(exc: BaseException) -> None:
            self.phase.setText(exc.render(tr) if isinstance(exc, UserError)
                               else tr("Lỗi không mong đợi khi đăng ký bằng tệp; dữ liệu trên máy không bị ảnh hưởng."))

        def job(s: Services, _task: TaskContext, commit: Committer) -> Any:
            return s.sync.enroll_from_file(path, commit=commit)  # reads the file on the pool, records on the writer

        self.phase.setText(tr("Đang đọc tệp đăng ký {name}…").format(name=path.name))
        return self.ctx.ops.long(job, done, on_error=failed, owner=self)

    def start_sync(self) -> None:
        if self.handle is not None:
            return
        tr = self.ctx.tr
        self.retry_timer.stop()
        self.countdown.stop()
        self.sync_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.phase.setText(tr("Đang kết nối máy chủ…"))

        def job(s: Services, task: TaskContext, commit: Committer) -> Any:
            def progress(p: Any) -> None:
                total = p.bytes_total or p.events_total
                done = p.bytes_sent if p.bytes_total else p.events_sent
                task.report(int(done), int(total), p.message)

            return s.sync.sync(progress, task.cancel_event, commit=commit)

        self.handle = self.ctx.ops.long(job, self._on_sync_done, on_error=self._on_sync_failed, owner=self)
        self.handle.progressed.connect(self._on_progress)

    def _on_progress(self, done: int, total: int, text: str) -> None:
        if total:
            scale = 1000
            self.progress.setRange(0, scale)
            self.progress.setValue(int(scale * done / total))
        self.phase.setText(text)

    def _finish(self) -> None:
        self.handle = None
        self.cancel_button.setEnabled(False)
        self.progress.setRange(0, 1)
        self.reload()

    def _on_sync_done(self, result: Any) -> None:
        tr = self.ctx.tr
        self._retry_index = 0
        self.progress.setValue(1)
        self._finish()
        self.phase.setText(tr("Đồng bộ xong lúc {time}: gửi {events} thay đổi, {blobs} ảnh và tệp ({size});"
                              " {complete} đợt đã đủ trên máy chủ.").format(
                                  time=ui_clock(to_rfc3339(SystemClock().now())),
                                                          events=result.events_sent, blobs=result.blobs_uploaded,
                                                          size=human_size(result.bytes_uploaded),
                                                          complete=result.complete_inspections)
                           + "".join(" " + w for w in result.warnings))

    def _on_sync_failed(self, exc: BaseException) -> None:
        tr = self.ctx.tr
        self._finish()
        if isinstance(exc, CancelledByUser):
            self.phase.setText(exc.render(tr))
            return
        message = exc.render(tr) if isinstance(exc, UserError) else tr("Lỗi không mong đợi khi đồng bộ.")
        if not isinstance(exc, UserError):
            self.ctx.errors.show(exc)
        delay = RETRY_STEPS_S[min(self._retry_index, len(RETRY_STEPS_S) - 1)]
        self._retry_index += 1
        self._remaining = delay
        self.phase.setText(message + " " + tr("Tự thử lại sau {n} giây.").format(n=delay))
        self._last_error = message
        self.retry_timer.start(delay * 1000)
        self.countdown.start()

    def _on_countdown(self) -> None:
        self._remaining = max(0, self._remaining - 1)
        if self._remaining == 0:
            self.countdown.stop()
        self.phase.setText(self._last_error + " " + self.ctx.tr("Tự thử lại sau {n} giây.").format(n=self._remaining))

    def _on_cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
        self.retry_timer.stop()
        self.countdown.stop()

    # -- USB bundles --------------------------------------------------------------------------
    def _on_export(self) -> None:
        tr = self.ctx.tr
        name = f"inspector-{datetime.now():%Y%m%d-%H%M}.inspbundle"
        path, _ = QFileDialog.getSaveFileName(self, tr("Lưu gói dữ liệu (chọn ổ USB)"), name,
                                              tr("Gói dữ liệu Inspector (*.inspbundle)"))
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> OpHandle[Any]:
        tr = self.ctx.tr
        self.phase.setText(tr("Đang ghi gói dữ liệu…"))

        def job(s: Services, task: TaskContext) -> Any:  # reads only: on the pool, no writer time at all
            return s.sync.export_bundle(path, progress=lambda n: task.report(n, 0, ""), cancel=task.cancel_event)

        def done(result: Any) -> None:
            if result.verified:
                text = tr("Đã ghi và đọc lại kiểm tra gói {name}: {events} thay đổi, {blobs} ảnh và tệp ({size})."
                          " An toàn để rút USB.")
            else:
                text = tr("Đã ghi gói {name} nhưng chưa kiểm tra lại được; chưa rút USB, hãy xuất lại.")
            self.phase.setText(text.format(name=result.path.name, events=result.events, blobs=result.blobs,
                                           size=human_size(result.bytes)))

        return self.ctx.ops.task(job, done, on_error=self._on_file_failed, owner=self)

    def _on_file_failed(self, exc: BaseException) -> None:
        tr = self.ctx.tr
        if isinstance(exc, UserError):
            self.phase.setText(exc.render(tr))
        else:
            self.phase.setText(tr("Lỗi không mong đợi; dữ liệu trên máy không bị ảnh hưởng."))
            self.ctx.errors.show(exc)

    def _on_import(self) -> None:
        tr = self.ctx.tr
        path, _ = QFileDialog.getOpenFileName(self, tr("Chọn biên nhận hoặc gói dữ liệu"), "",
                                              tr("Tệp Inspector (*.inspbundle *.inspreceipt);;Mọi tệp (*)"))
        if path:
            self.import_from(Path(path))

    def import_from(self, path: Path) -> OpHandle[Any]:
        tr = self.ctx.tr

        def done(outcome: Any) -> None:
            if not outcome.imported:
                self.phase.setText(tr("Tệp {name} đã được nhập trước đó; không thay đổi gì.").format(name=path.name))
            elif outcome.kind == "receipt":
                self.phase.setText(tr("Đã nhập biên nhận của máy chủ ({name}).").format(name=path.name))
            else:
                self.phase.setText(tr("Đã gộp dữ liệu của thiết bị {device}: {events} thay đổi, {blobs} ảnh và"
                                      " tệp.").format(device=outcome.source_device[:12], events=outcome.events,
                                                      blobs=outcome.blobs))

        def job(s: Services, _task: TaskContext, commit: Committer) -> Any:
            return s.sync.import_bundle(path, commit=commit)  # checked on the pool, one step on the writer

        self.phase.setText(tr("Đang kiểm tra và nhập {name}…").format(name=path.name))
        return self.ctx.ops.long(job, done, on_error=self._on_file_failed, owner=self)

    def _on_conflict_activated(self) -> None:
        item = self.conflicts.item(self.conflicts.currentRow(), 0)
        if item is not None:
            self.open_cell_requested.emit(item.data(Qt.ItemDataRole.UserRole))


