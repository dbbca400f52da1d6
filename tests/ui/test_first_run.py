"""The first-run assistant through real widgets: shown once on a new data directory, each step
saved as one service call, what is missing added right there, re-openable from the Tools menu."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QRect, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMenu, QWidget

from inspector.services.settings import SigningChoice
from tests.core.test_setup import make_pkcs12
from tests.ui.helpers import read, settle, type_text, write
from tests.ui.test_preparation import TASKBAR, assert_nothing_clipped, when_dialog
from ui.context import AppContext
from ui.dialogs.first_run import install_menu_action, offer_first_run
from ui.dialogs.first_run.assistant import PREFERRED, FirstRunAssistant
from ui.dialogs.first_run.steps import read_setup
from ui.dialogs.guard import GuardedDialog
from ui.dialogs.inspection import read_choices
from ui.dialogs.registry import PersonDialog, TeamDialog, UnitDialog
from ui.dialogs.sizing import fit_to_screen
from ui.views.main_window import MainWindow

W = TypeVar("W", bound=QWidget)


def _assistant(ctx: AppContext, qtbot) -> FirstRunAssistant:  # type: ignore[no-untyped-def]
    assistant = FirstRunAssistant(ctx, read(ctx, read_setup))
    qtbot.addWidget(assistant, before_close_func=lambda w: w.mark_clean() if isinstance(w, GuardedDialog) else None)
    assistant.show()
    qtbot.waitExposed(assistant)
    return assistant


def _next(assistant: FirstRunAssistant, qtbot, expect: int) -> None:  # type: ignore[no-untyped-def]
    assistant.next.click()
    qtbot.waitUntil(lambda: assistant.pages.currentIndex() == expect or assistant.error.isVisible(), timeout=8000)
    assert assistant.pages.currentIndex() == expect, assistant.error.text()


def _fill(kind: type[W], action: Callable[[W], None]) -> None:
    when_dialog(kind, action)


def test_a_new_data_directory_opens_the_assistant_once(app_ctx: AppContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(app_ctx)
    qtbot.addWidget(window)
    seen: list[str] = []

    def close(assistant: FirstRunAssistant) -> None:
        seen.append(assistant.windowTitle())
        assistant.later.click()

    when_dialog(FirstRunAssistant, close)
    offer_first_run(app_ctx, window)
    qtbot.waitUntil(lambda: bool(seen), timeout=8000)
    settle(app_ctx)
    assert seen == ["Trợ lý thiết lập ban đầu"]
    assert read(app_ctx, lambda s: s.settings.setup_state().offered)
    offer_first_run(app_ctx, window)  # the second start: no assistant (one would block this test)
    settle(app_ctx)
    assert QApplication.activeModalWidget() is None

    # Re-openable from Tools, next to Settings.
    action = install_menu_action(window, app_ctx)
    tools = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Công cụ")
    assert isinstance(tools, QMenu)
    texts = [a.text() for a in tools.actions()]
    assert texts.index("Trợ lý thiết lập ban đầu…") == texts.index("Cài đặt…") - 1
    when_dialog(FirstRunAssistant, close)
    action.trigger()
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=8000)


def test_a_data_directory_with_inspections_is_not_new(app_ctx: AppContext) -> None:
    from tests.factories import make_inspection

    write(app_ctx, lambda s: make_inspection(s, subjects=1))
    assert read(app_ctx, lambda s: s.settings.first_run()) is False


def test_every_step_from_an_empty_directory(app_ctx: AppContext, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctx = app_ctx
    assistant = _assistant(ctx, qtbot)
    assert assistant.pages.currentWidget() is assistant.welcome and assistant.welcome.demo.isEnabled()
    _next(assistant, qtbot, 1)

    # Issuing body: the directory is empty, so the step says so and offers to add a unit right here.
    body = assistant.body
    assert body.empty.isVisible()
    assistant.next.click()
    assert "Chưa chọn cơ quan ban hành" in assistant.error.text() and assistant.pages.currentIndex() == 1

    def add_unit(form: UnitDialog) -> None:
        form.name.setText("Ủy ban Kiểm tra Thành ủy Hà Nội")
        form.kind.setCurrentIndex(form.kind.findData("party_committee"))
        form.save()

    _fill(UnitDialog, add_unit)
    body.add.click()
    qtbot.waitUntil(lambda: body.unit.current_id() is not None, timeout=8000)
    assert not assistant.error.isVisible(), "the stale message goes once the step is filled in"
    _next(assistant, qtbot, 2)
    state = read(ctx, lambda s: s.settings.setup_state())
    assert state.issuing_body is not None and state.issuing_body.name == "Ủy ban Kiểm tra Thành ủy Hà Nội"

    # Identity: not the OS login; nobody in the directory yet, so add yourself here (in your body).
    identity = assistant.identity
    assert identity.empty.isVisible() and "chưa chọn người trong danh bạ" in identity.current.text()

    def add_me(form: PersonDialog) -> None:
        assert form.unit.current_id() == state.issuing_body.id  # type: ignore[union-attr]
        form.name.setText("Phạm Thị Thu")
        form.position.setText("Chuyên viên Ủy ban Kiểm tra Thành ủy")
        form.save()

    _fill(PersonDialog, add_me)
    identity.add.click()
    qtbot.waitUntil(lambda: identity.chosen_id() is not None, timeout=8000)
    _next(assistant, qtbot, 3)
    me = read(ctx, lambda s: s.settings.identity())
    assert (me.name, me.position) == ("Phạm Thị Thu", "Chuyên viên Ủy ban Kiểm tra Thành ủy") and me.person_id

    # Team: none yet; the team form starts with the body and with you as its leader.
    team = assistant.team
    assert team.empty.isVisible()

    def add_team(form: TeamDialog) -> None:
        assert form.superior.text() == "Ủy ban Kiểm tra Thành ủy Hà Nội"  # headers upper-case it themselves
        assert form.members.rowCount() == 1
        form.name.setText("Đoàn kiểm tra công vụ số 2")
        form.save()

    _fill(TeamDialog, add_team)
    team.add.click()
    qtbot.waitUntil(lambda: team.chosen_id() is not None, timeout=8000)
    _next(assistant, qtbot, 4)
    chosen_team = read(ctx, lambda s: s.settings.setup_state().team)
    assert chosen_team is not None and [(m.full_name, m.role) for m in chosen_team.members] == [
        ("Phạm Thị Thu", "leader")]

    # Signing: a file that is not a certificate is refused on the step, a real PKCS#12 file is kept.
    signing = assistant.signing
    bogus = tmp_path / "khong-phai.p12"
    bogus.write_bytes(b"not a certificate")
    signing.file_choice.setChecked(True)
    signing.file_path.setText(str(bogus))
    assistant.next.click()
    qtbot.waitUntil(lambda: assistant.error.isVisible(), timeout=8000)
    assert "không phải là tệp chứng thư số" in assistant.error.text() and assistant.pages.currentIndex() == 4
    p12 = make_pkcs12(tmp_path / "chu-ky-so.p12")
    signing.file_path.clear()
    type_text(signing.file_path, str(p12))
    assert not assistant.error.isVisible()
    _next(assistant, qtbot, 5)
    assert read(ctx, lambda s: s.settings.signing_identity()) == SigningChoice("pkcs12", str(p12), "chu-ky-so.p12")

    done = assistant.done_step.summary.text()
    assert "✓ Cơ quan ban hành: Ủy ban Kiểm tra Thành ủy Hà Nội" in done and "✓ Chữ ký số: tệp chu-ky-so.p12" in done
    assert assistant.next.text() == "Hoàn tất"
    assistant.next.click()
    assert assistant.result() == QDialog.DialogCode.Accepted
    assert read(ctx, lambda s: s.settings.setup_state().complete)

    # A new inspection starts with the team and the issuing body as the decision's issuer.
    choices = read(ctx, lambda s: read_choices(s, ctx.tr))
    assert choices.default_team_id == chosen_team.id and choices.issuer == "Ủy ban Kiểm tra Thành ủy Hà Nội"
    # Reopened, the assistant shows what was chosen; going through again saves nothing new.
    again = _assistant(ctx, qtbot)
    commits = read(ctx, lambda s: s.ctx.store.scalar("SELECT count(*) FROM events"))
    for n in range(1, 6):
        _next(again, qtbot, n)
    assert again.identity.chosen_id() == me.person_id and again.team.chosen_id() == chosen_team.id
    assert read(ctx, lambda s: s.ctx.store.scalar("SELECT count(*) FROM events")) == commits


def test_the_demo_is_offered_on_the_first_step(app_ctx: AppContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    assistant = _assistant(app_ctx, qtbot)
    assistant.welcome.demo.click()
    qtbot.waitUntil(lambda: assistant.pages.currentIndex() == 1, timeout=60000)
    settle(app_ctx)
    assert read(app_ctx, lambda s: len(s.inspections.find())) > 0
    assert read(app_ctx, lambda s: s.settings.get("demo_offered")) is True
    assert assistant.body.unit.search("uy ban kiem tra thanh uy"), "the demo's units are there to choose from"
    assistant.go(0)
    assert not assistant.welcome.demo.isEnabled(), "demo data goes into an empty directory only"


def test_screenshots_of_the_assistant_on_laptop_screens(app_ctx: AppContext, qtbot, screenshot_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from inspector.demo import load_demo

    write(app_ctx, lambda s: load_demo(s, inspections=2))
    assistant = _assistant(app_ctx, qtbot)
    for width, height in ((1366, 768), (1280, 720)):
        fit_to_screen(assistant, PREFERRED, QRect(0, 0, width, height - TASKBAR))
        for n, name in enumerate(("chao-mung", "co-quan", "nguoi-su-dung", "doan", "chu-ky-so", "hoan-tat")):
            assistant.go(n)
            QApplication.processEvents()
            assert assistant.height() <= height - TASKBAR - 30
            assert_nothing_clipped(assistant)
            image = assistant.grab().toImage()
            assert image.save(str(screenshot_dir / f"21-tro-ly-{n + 1}-{name}-{width}x{height}.png"))
    QTimer.singleShot(0, lambda: None)
