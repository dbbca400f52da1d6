"""The first-run assistant: shown on a new data directory, re-openable from the Tools menu.

Steps: welcome (with the demo data offer), issuing body, the inspector using this laptop (chosen
from people), team, signing identity. "Tiếp" saves the step as one service call and moves on only
once it has committed; a refusal stays on the step with its message.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from inspector.changes import Changes
from inspector.errors import UserError
from inspector.workspace import Services
from ui.context import AppContext
from ui.dialogs.first_run.steps import (
    BodyStep,
    DoneStep,
    IdentityStep,
    SetupData,
    SigningStep,
    Step,
    TeamStep,
    WelcomeStep,
    read_setup,
)
from ui.dialogs.guard import GuardedDialog
from ui.dialogs.progress import follow
from ui.dialogs.registry import TeamSuggestion, open_person_dialog, open_team_dialog, open_unit_dialog
from ui.dialogs.sizing import fit_to_screen
from ui.icons import icon
from ui.ops import TaskContext
from ui.widgets.field_error import FieldError

PREFERRED = QSize(960, 620)


class FirstRunAssistant(GuardedDialog):
    def __init__(self, ctx: AppContext, data: SetupData, parent: QWidget | None = None) -> None:
        super().__init__(ctx.tr, parent)
        self.ctx = ctx
        self.data = data
        self._fitted = False
        tr = ctx.tr
        self.setWindowTitle(tr("Trợ lý thiết lập ban đầu"))
        self.setMinimumSize(640, 440)
        self.welcome = WelcomeStep(ctx, self._on_demo)
        self.body = BodyStep(ctx, self._on_add_unit)
        self.identity = IdentityStep(ctx, self._on_add_person)
        self.team = TeamStep(ctx, self._on_add_team, self._on_edit_team)
        self.signing = SigningStep(ctx)
        self.done_step = DoneStep(ctx)
        self.steps: list[Step] = [self.welcome, self.body, self.identity, self.team, self.signing, self.done_step]
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.step_list = QListWidget()
        self.step_list.setObjectName("navigation")
        self.step_list.setAccessibleName(tr("Các bước thiết lập"))
        self.step_list.setFixedWidth(210)
        self.pages = QStackedWidget()
        self.error = FieldError(tr("Lỗi của bước đang làm"))
        for step in self.steps:
            self.step_list.addItem(QListWidgetItem(step.title))
            self.pages.addWidget(step)
            step.edited.connect(self.error.clear_message)
        row.addWidget(self.step_list)
        page_box = QVBoxLayout()
        page_box.addWidget(self.pages, 1)
        page_box.addWidget(self.error)
        row.addLayout(page_box, 1)
        layout.addLayout(row, 1)
        buttons = QHBoxLayout()
        self.later = QPushButton(tr("Để sau"))
        self.later.setToolTip(tr("Đóng trợ lý; những bước đã lưu vẫn giữ. Mở lại từ menu Công cụ."))
        self.later.clicked.connect(self.reject)
        self.back = QPushButton(tr("Quay lại"))
        self.back.clicked.connect(lambda: self.go(self.pages.currentIndex() - 1))
        self.next = QPushButton(tr("Tiếp"))
        self.next.setObjectName("primary")
        self.next.setDefault(True)
        self.next.clicked.connect(self.advance)
        buttons.addWidget(self.later)
        buttons.addStretch(1)
        buttons.addWidget(self.back)
        buttons.addWidget(self.next)
        layout.addLayout(buttons)
        self.step_list.currentRowChanged.connect(self._on_step_clicked)
        self._show(data)
        self.go(0)
        ctx.ops.changed.connect(self._on_changed)

    def showEvent(self, event: QShowEvent) -> None:
        if not self._fitted:
            self._fitted = True
            fit_to_screen(self, PREFERRED)
        super().showEvent(event)

    # -- navigation -------------------------------------------------------------------------
    @property
    def step(self) -> Step:
        return self.steps[self.pages.currentIndex()]

    def go(self, index: int) -> None:
        index = max(0, min(index, len(self.steps) - 1))
        self.error.clear_message()
        self.pages.setCurrentIndex(index)
        self.step_list.blockSignals(True)
        self.step_list.setCurrentRow(index)
        self.step_list.blockSignals(False)
        last = index == len(self.steps) - 1
        self.back.setEnabled(index > 0)
        self.next.setText(self.ctx.tr("Hoàn tất") if last else self.ctx.tr("Tiếp"))

    def _on_step_clicked(self, row: int) -> None:
        self.go(row)

    def advance(self) -> None:
        """Save the current step (one write), then move on; a refusal keeps the step and says why."""
        step = self.step
        if step is self.done_step:
            self.accept()
            return
        refusal = step.refusal()
        if refusal:
            self.error.show_message(refusal)
            return
        job = step.job()
        if job is None:
            self.go(self.pages.currentIndex() + 1)
            return
        self.next.setEnabled(False)
        self.error.clear_message()
        here = self.pages.currentIndex()

        def moved_on() -> None:
            self.mark_clean()
            self.go(here + 1)

        def saved(_value: object) -> None:
            self.next.setEnabled(True)
            self.reload(then=moved_on)

        def failed(exc: BaseException) -> None:
            self.next.setEnabled(True)
            if isinstance(exc, UserError):
                self.error.show_message(exc.render(self.ctx.tr))

        self.ctx.ops.write(job, saved, failed, show_errors=False, owner=self)

    # -- data -------------------------------------------------------------------------------
    def reload(self, then: Callable[[], object] | None = None, *, select: Callable[[], object] | None = None) -> None:
        def show(data: SetupData) -> None:
            self._show(data)
            if select is not None:
                select()
            if then is not None:
                then()

        self.ctx.ops.query(read_setup, show, owner=self)

    def _show(self, data: SetupData) -> None:
        self.data = data
        for n, step in enumerate(self.steps):
            step.load(data)
            item = self.step_list.item(n)
            if step in (self.welcome, self.done_step):
                item.setIcon(icon("help" if step is self.welcome else "stop", "#e5e7eb"))
                continue
            done = step.done(data)
            item.setIcon(icon("saved", "#16a34a") if done else icon("pending", "#9ca3af"))
            item.setToolTip(self.ctx.tr("Đã thiết lập") if done else self.ctx.tr("Chưa thiết lập"))

    def _on_changed(self, changes: Changes, _initiator: object) -> None:
        if changes.registry:
            self.reload()

    # -- adding what is missing, right here -------------------------------------------------
    def _on_demo(self) -> None:
        tr = self.ctx.tr

        def job(s: Services, task: TaskContext) -> None:
            from inspector.demo import load_demo  # only here: keep it out of start-up

            task.report(0, 0, tr("Đang tạo dữ liệu mẫu…"))
            s.settings.put("demo_offered", True)
            load_demo(s)

        handle = self.ctx.ops.write_task(job, lambda _none: self.reload(then=lambda: self.go(1)),
                                         owner=self)
        follow(handle, tr, tr("Đang tạo dữ liệu mẫu…"), self)

    def _on_add_unit(self, current: str | None) -> None:
        open_unit_dialog(self.ctx, None, self, parent_id=current,
                         on_saved=lambda unit: self.reload(select=lambda: self.body.unit.choose(unit.id)))

    def _on_add_person(self) -> None:
        body = self.body.unit.current_id() or (self.data.state.issuing_body.id if self.data.state.issuing_body
                                                else None)
        open_person_dialog(self.ctx, None, self, unit_id=body,
                           on_saved=lambda person: self.reload(select=lambda: self.identity.select(person.id)))

    def _team_suggestion(self) -> TeamSuggestion:
        state = self.data.state
        me = state.identity.person_id or self.identity.chosen_id()
        return TeamSuggestion(superior_body=state.issuing_body.name if state.issuing_body else "",
                              members=((me, "leader"),) if me else ())

    def _on_add_team(self) -> None:
        open_team_dialog(self.ctx, None, self, suggestion=self._team_suggestion(),
                         on_saved=lambda team: self.reload(select=lambda: self.team.select(team.id)))

    def _on_edit_team(self, team_id: str) -> None:
        if team_id:
            open_team_dialog(self.ctx, team_id, self, on_saved=lambda team: self.reload(
                select=lambda: self.team.select(team.id)))
