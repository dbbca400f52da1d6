"""Preparing an inspection through real widgets, on a fixed clock (10:00 on 20/11/2026 in Hanoi):
the searchable unit picker, date sanity shown at each field, the legal basis that follows the
decision, adding a person or team right where a list is empty, the unit's earlier inspections."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from PySide6.QtCore import QDate, QEvent, QRect, Qt, QTimer
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QAbstractButton, QApplication, QDialog, QScrollArea, QWidget

from inspector.clock import FixedClock
from inspector.domain import Inspection
from inspector.services.inspections import InspectionDraft, SubjectSpec
from inspector.services.requirements import RequirementSpec
from inspector.workspace import Services
from tests.ui.conftest import close_context
from tests.ui.helpers import read, settle, type_text, write
from ui.app import build_context
from ui.context import AppContext
from ui.dialogs.guard import GuardedDialog
from ui.dialogs.inspection import PREFERRED, InspectionDialog, read_choices
from ui.dialogs.inspection_subjects import PeoplePicker
from ui.dialogs.registry import PersonDialog, TeamDialog, UnitDialog, read_lists
from ui.dialogs.sizing import fit_to_screen
from ui.dialogs.times import TimesDialog
from ui.views.main_window import MainWindow
from ui.widgets.unit_picker import UnitPicker

W = TypeVar("W", bound=QWidget)
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
TASKBAR = 40


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    context = build_context(tmp_path / "data", interactive=False, clock=FixedClock(NOW, step=timedelta(0)))
    yield context
    close_context(context)


def _registry(s: Services) -> dict[str, str]:
    reg = s.registry
    city = reg.add_unit("Thành phố Hà Nội", "city")
    hk = reg.add_unit("Phường Hoàn Kiếm", "ward", parent_id=city.id)
    ubnd = reg.add_unit("Ủy ban nhân dân phường Hoàn Kiếm", "agency", parent_id=hk.id)
    desk = reg.add_unit("Bộ phận một cửa phường Hoàn Kiếm", "desk", parent_id=hk.id)
    bd = reg.add_unit("Phường Ba Đình", "ward", parent_id=city.id)
    bd_ubnd = reg.add_unit("Ủy ban nhân dân phường Ba Đình", "agency", parent_id=bd.id)
    school = reg.add_unit("Trường THCS Ngọc Hà", "school", parent_id=bd.id)
    reg.add_person("Đỗ Thị Hương", position="Chủ tịch UBND phường", unit_id=ubnd.id, holds_leadership=True)
    earlier = s.inspections.create(InspectionDraft(
        decision_no="5/QĐ-ĐKT", decision_date="2026-03-02", unit_id=ubnd.id, checklist_id="ct24-mot-cua",
        subjects=[SubjectSpec("Tập thể UBND phường", kind="collective")]))
    s.requirements.add(earlier.id, RequirementSpec("Niêm yết đầy đủ thủ tục hành chính", "UBND phường", "2026-04-30"))
    s.requirements.add(earlier.id, RequirementSpec("Kiểm điểm cán bộ chậm trả hồ sơ", "UBND phường", "2026-12-31"))
    done = s.requirements.add(earlier.id, RequirementSpec("Đeo thẻ công chức", "UBND phường", "2026-04-01"))
    s.requirements.set_status(done.id, "done")
    return {"city": city.id, "hk": hk.id, "ubnd": ubnd.id, "desk": desk.id, "bd": bd.id, "bd_ubnd": bd_ubnd.id,
            "school": school.id, "earlier": earlier.id}


def when_dialog(kind: type[W], action: Callable[[W], None], *, attempts: int = 500) -> None:
    """Run `action` on the next modal dialog of this type (dialogs open inside dialogs here)."""
    state = {"left": attempts}

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, kind):
            action(dialog)
        elif state["left"] > 0:
            state["left"] -= 1
            QTimer.singleShot(10, poll)

    QTimer.singleShot(0, poll)


def _forget_input(dialog: QWidget) -> None:
    """Closing at teardown would ask whether to discard what the test typed (and wait for an answer)."""
    if isinstance(dialog, GuardedDialog):
        dialog.mark_clean()


def _dialog(ctx: AppContext, qtbot, inspection: Inspection | None = None) -> InspectionDialog:  # type: ignore[no-untyped-def]
    dialog = InspectionDialog(ctx, read(ctx, lambda s: read_choices(s, ctx.tr)), inspection)
    qtbot.addWidget(dialog, before_close_func=_forget_input)
    dialog.show()
    qtbot.waitExposed(dialog)
    settle(ctx)
    return dialog


def _pick(picker: UnitPicker, qtbot, typed: str) -> None:  # type: ignore[no-untyped-def]
    picker.setFocus()
    picker.selectAll()
    type_text(picker, typed)
    assert picker.popup().isVisible()
    qtbot.keyClick(picker.popup(), Qt.Key.Key_Return)


# -- the unit picker ------------------------------------------------------------------------
def test_the_unit_picker_finds_units_by_any_word_type_parent_and_initials(ctx: AppContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    ids = write(ctx, _registry)
    picker = UnitPicker(ctx.tr, empty_text="Chọn đơn vị")
    qtbot.addWidget(picker)
    picker.show()
    qtbot.waitExposed(picker)
    picker.set_units(read(ctx, lambda s: s.registry.units()))
    seen: list[object] = []
    picker.unit_changed.connect(seen.append)

    def found(text: str) -> list[str]:
        return [e.id for e in picker.search(text)]

    assert found("hoan kiem")[:1] == [ids["hk"]] and {ids["ubnd"], ids["desk"]} <= set(found("hoan kiem"))
    assert found("HOÀN KIẾM") == found("hoan kiem"), "accents and case do not matter"
    assert found("ubnd hoan") == [ids["ubnd"]], "initials of the name"
    assert found("mot cua") == [ids["desk"]] and found("nhân dân ba đình") == [ids["bd_ubnd"]]
    assert found("truong hoc") == [ids["school"]], "by the unit's type"
    assert found("ba dinh ngoc") == [ids["school"]], "by a parent's name"
    assert found("khong co don vi nay") == []

    # Typed into the real widget: the popup lists parent › unit; Enter picks the first.
    picker.setFocus()
    type_text(picker, "ngoc ha")
    assert picker.popup().isVisible() and picker.shown_labels() == ["Phường Ba Đình › Trường THCS Ngọc Hà"]
    qtbot.keyClick(picker.popup(), Qt.Key.Key_Return)
    assert picker.current_id() == ids["school"] and seen == [ids["school"]]
    assert picker.text() == "Phường Ba Đình › Trường THCS Ngọc Hà"
    assert "Thành phố Hà Nội › Phường Ba Đình › Trường THCS Ngọc Hà" in picker.toolTip()
    # Typing something that matches nothing and leaving keeps the unit chosen before.
    picker.selectAll()
    type_text(picker, "xyz")
    assert picker.shown_labels() == ["Không có đơn vị nào khớp với “xyz”."]
    picker.popup().hide()
    QApplication.sendEvent(picker, QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.TabFocusReason))
    assert picker.current_id() == ids["school"] and picker.text().endswith("Trường THCS Ngọc Hà")
    # Clearing the field chooses none.
    picker.setFocus()
    picker.selectAll()
    qtbot.keyClick(picker, Qt.Key.Key_Backspace)
    assert picker.current_id() is None and seen[-1] is None


def test_registry_forms_and_the_list_filter_use_the_picker(ctx: AppContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    ids = write(ctx, _registry)
    lists = read(ctx, read_lists)
    hk = next(u for u in lists.units if u.id == ids["hk"])
    unit_dialog = UnitDialog(ctx, lists, hk)
    qtbot.addWidget(unit_dialog, before_close_func=_forget_input)
    assert isinstance(unit_dialog.parent_unit, UnitPicker)
    assert unit_dialog.parent_unit.current_id() == ids["city"]
    assert unit_dialog.parent_unit.search("hoan kiem") == [], "a unit cannot move under itself or its children"
    person = PersonDialog(ctx, lists, None, unit_id=ids["desk"])
    qtbot.addWidget(person, before_close_func=_forget_input)
    assert person.unit.current_id() == ids["desk"] and person.unit.text().startswith("Phường Hoàn Kiếm ›")

    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    settle(ctx)
    page = window.inspections_page
    assert page.model.rowCount() == 1
    _pick(page.unit_filter, qtbot, "ba dinh")
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=5000)
    _pick(page.unit_filter, qtbot, "hoan kiem")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    assert page.unit_filter.current_id() == ids["hk"], "a ward's filter includes its units' inspections"


# -- the inspection dialog --------------------------------------------------------------------
def test_a_new_inspection_has_no_unit_until_one_is_picked(ctx: AppContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    ids = write(ctx, _registry)
    dialog = _dialog(ctx, qtbot)
    assert dialog.unit.current_id() is None and dialog.unit.text() == ""
    assert dialog.decision_date.date() == QDate(2026, 11, 20), "today by the app's clock"
    type_text(dialog.decision_no, "31/QĐ-ĐKT")
    dialog.save()
    assert "Chưa chọn đơn vị được kiểm tra" in dialog.unit_error.text() and dialog.unit_error.isVisible()
    assert "Chưa có đối tượng kiểm tra" in dialog.subjects_error.text()
    assert "sửa các ô có thông báo màu đỏ" in dialog.error.text()
    assert dialog.isVisible() and dialog.decision_no.text() == "31/QĐ-ĐKT", "a refusal keeps what was typed"
    _pick(dialog.unit, qtbot, "ubnd hoan kiem")
    assert dialog.unit.current_id() == ids["ubnd"]
    assert not dialog.unit_error.isVisible(), "the stale message goes once the field is fixed"
    dialog.subjects.add_row("Đỗ Thị Hương", "Chủ tịch UBND phường", True)
    assert not dialog.subjects_error.isVisible() and dialog.error.text() == ""
    dialog.save()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=5000)
    assert dialog.result_inspection is not None and dialog.result_inspection.summary.unit_id == ids["ubnd"]


def test_dates_are_checked_at_each_field_with_the_services_rules(ctx: AppContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    write(ctx, _registry)
    dialog = _dialog(ctx, qtbot)
    assert not dialog.decision_error.isVisible() and not dialog.planned_error.isVisible()
    dialog.decision_date.setDate(QDate(2026, 11, 23))
    assert dialog.decision_error.isVisible()
    assert "23/11/2026" in dialog.decision_error.text() and "hôm nay là 20/11/2026" in dialog.decision_error.text()
    dialog.decision_date.setDate(QDate(2026, 11, 18))
    assert not dialog.decision_error.isVisible(), "fixed: the message goes"
    dialog.planned.setDate(QDate(2026, 11, 17))
    assert "trước ngày quyết định 18/11/2026" in dialog.planned_error.text()
    dialog.has_planned.setChecked(False)
    assert not dialog.planned_error.isVisible(), "no planned date, nothing to check"
    dialog.has_planned.setChecked(True)
    assert dialog.planned_error.isVisible()
    dialog.planned.setDate(QDate(2026, 11, 24))
    assert not dialog.planned_error.isVisible()


def test_a_refusal_of_the_service_is_shown_at_its_field(ctx: AppContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The dialog believes it is a later day than the store's clock: the service refuses, the field says so."""
    ids = write(ctx, _registry)
    choices = read(ctx, lambda s: read_choices(s, ctx.tr))
    ahead = InspectionDialog(ctx, type(choices)(**{**choices.__dict__, "today": "2026-11-30"}))
    qtbot.addWidget(ahead, before_close_func=_forget_input)
    ahead.show()
    type_text(ahead.decision_no, "32/QĐ-ĐKT")
    ahead.unit.choose(ids["desk"])
    ahead.subjects.add_row("Bộ phận một cửa", "Tập thể", False, "collective")
    ahead.decision_date.setDate(QDate(2026, 11, 25))
    ahead.has_planned.setChecked(False)
    assert not ahead.decision_error.isVisible()
    ahead.save()
    qtbot.waitUntil(lambda: ahead.decision_error.isVisible(), timeout=5000)
    assert "25/11/2026" in ahead.decision_error.text() and "tương lai" in ahead.decision_error.text()
    assert ahead.isVisible() and ahead.buttons.isEnabled()
    assert read(ctx, lambda s: len(s.inspections.find())) == 1, "nothing was saved"


def test_the_legal_basis_follows_the_decision_until_edited(ctx: AppContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    ids = write(ctx, _registry)
    dialog = _dialog(ctx, qtbot)
    type_text(dialog.decision_no, "40/QĐ-UBND")
    dialog.issuer.setText("Chủ tịch UBND phường Hoàn Kiếm")
    dialog.decision_date.setDate(QDate(2026, 11, 19))
    lines = dialog.basis.toPlainText().splitlines()
    assert lines[1] == ("Quyết định số 40/QĐ-UBND ngày 19 tháng 11 năm 2026 của Chủ tịch UBND phường Hoàn Kiếm về"
                        " việc thành lập Đoàn kiểm tra")
    assert "Tự cập nhật" in dialog.basis_state.text()
    dialog.basis.appendPlainText("Kế hoạch số 12/KH-UBND ngày 01/11/2026")
    edited = dialog.basis.toPlainText()
    dialog.decision_date.setDate(QDate(2026, 11, 18))
    type_text(dialog.decision_no, "A")
    assert dialog.basis.toPlainText() == edited, "text the user edited is never overwritten"
    assert "Đã sửa tay" in dialog.basis_state.text()
    dialog._fill_basis()  # “Điền căn cứ mặc định”: back to the generated text, which follows again
    type_text(dialog.decision_no, "B")
    assert "40/QĐ-UBNDAB ngày 18 tháng 11 năm 2026" in dialog.basis.toPlainText()

    # Editing a saved inspection: its generated basis keeps following the decision.
    insp = read(ctx, lambda s: s.inspections.get(ids["earlier"]))
    edit = _dialog(ctx, qtbot, insp)
    assert "Tự cập nhật" in edit.basis_state.text()
    edit.decision_no.setText("6/QĐ-ĐKT")
    assert "Quyết định số 6/QĐ-ĐKT ngày 02 tháng 3 năm 2026" in edit.basis.toPlainText()


def test_earlier_inspections_of_the_unit_and_their_open_requirements(ctx: AppContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    ids = write(ctx, _registry)
    dialog = _dialog(ctx, qtbot)
    panel = dialog.history
    assert "Chọn đơn vị được kiểm tra" in panel.summary.text() and panel.tree.topLevelItemCount() == 0
    _pick(dialog.unit, qtbot, "phuong hoan kiem")
    settle(ctx)
    assert dialog.unit.current_id() == ids["hk"]
    assert panel.tree.topLevelItemCount() == 1 and panel.kl04.isVisible()
    top = panel.tree.topLevelItem(0)
    assert top.text(0) == "Quyết định số 5/QĐ-ĐKT ngày 02/03/2026\nỦy ban nhân dân phường Hoàn Kiếm"
    requirements = [(top.child(n).text(0), top.child(n).text(1)) for n in range(top.childCount())]
    assert requirements == [("Niêm yết đầy đủ thủ tục hành chính", "Quá hạn từ 30/04/2026"),
                            ("Kiểm điểm cán bộ chậm trả hồ sơ", "Chưa thực hiện, hạn 31/12/2026")]
    assert "2 yêu cầu khắc phục chưa hoàn thành, 1 đã quá hạn" in panel.summary.text()
    _pick(dialog.unit, qtbot, "truong ngoc ha")
    settle(ctx)
    assert panel.tree.topLevelItemCount() == 0 and not panel.kl04.isVisible()
    assert "chưa có lần kiểm tra nào" in panel.summary.text()
    # Editing the earlier inspection itself: it is not its own earlier inspection.
    edit = _dialog(ctx, qtbot, read(ctx, lambda s: s.inspections.get(ids["earlier"])))
    assert edit.unit.current_id() == ids["ubnd"]
    assert edit.history.tree.topLevelItemCount() == 0


def test_people_and_teams_can_be_added_where_the_list_is_empty(ctx: AppContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    write(ctx, lambda s: s.registry.add_unit("Bộ phận một cửa phường Cửa Nam", "desk"))
    dialog = _dialog(ctx, qtbot)
    assert dialog.team.count() == 1 and "Chưa có đoàn kiểm tra nào" in dialog.team_members.text()
    dialog.unit.choose(read(ctx, lambda s: s.registry.units())[0].id)

    def fill_person(name: str, position: str) -> None:
        def act(form: PersonDialog) -> None:
            form.name.setText(name)
            form.position.setText(position)
            form.save()
        when_dialog(PersonDialog, act)

    def in_team(form: TeamDialog) -> None:
        # Nobody in the directory yet: the member list says so and offers to add a person right here.
        assert form.no_people.isVisible() and not form.add_member_button.isEnabled()
        form.name.setText("Đoàn kiểm tra số 3")
        form.superior.setText("UBND PHƯỜNG CỬA NAM")
        fill_person("Lý Văn Tùng", "Chuyên viên")
        form.add_person_button.click()
        qtbot.waitUntil(lambda: form.members.rowCount() == 1, timeout=5000)
        form.save()

    when_dialog(TeamDialog, in_team)
    dialog.add_team.click()
    qtbot.waitUntil(lambda: dialog.team.currentText() == "Đoàn kiểm tra số 3", timeout=8000)
    assert "Lý Văn Tùng (Trưởng đoàn)" in dialog.team_members.text()

    def in_picker(picker: PeoplePicker) -> None:  # the unit has nobody: the picker says so and offers to add
        assert picker.empty.isVisible() and picker.list.count() == 0
        fill_person("Vũ Thị Mai", "Công chức một cửa")
        picker.add_button.click()
        qtbot.waitUntil(lambda: picker.list.count() == 1, timeout=5000)
        picker.accept()

    when_dialog(PeoplePicker, in_picker)
    dialog.subjects._on_pick_people()
    assert dialog.subjects.specs()[0].name == "Vũ Thị Mai" and dialog.subjects.specs()[0].person_id



def test_times_dialog_refuses_an_end_in_the_future_inline(ctx: AppContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    ids = write(ctx, _registry)
    write(ctx, lambda s: s.inspections.start(ids["earlier"], "2026-03-03T01:30:00Z"))
    insp = read(ctx, lambda s: s.inspections.get(ids["earlier"]))
    times = TimesDialog(ctx, insp)
    qtbot.addWidget(times, before_close_func=_forget_input)
    times.show()
    times.has_end.setChecked(True)
    times.end.setDateTime(times.end.dateTime().fromString("21/11/2026 09:00", "dd/MM/yyyy HH:mm"))
    times.save()
    qtbot.waitUntil(lambda: bool(times.error.text()), timeout=5000)
    assert "ở trong tương lai" in times.error.text() and times.isVisible()
    times.end.setDateTime(times.end.dateTime().fromString("03/03/2026 11:00", "dd/MM/yyyy HH:mm"))
    assert times.error.text() == "", "the stale message goes once the time is fixed"
    times.save()
    qtbot.waitUntil(lambda: times.result() == QDialog.DialogCode.Accepted, timeout=5000)


# -- small screens ------------------------------------------------------------------------------
def assert_nothing_clipped(root: QWidget) -> None:
    """Every visible button shows its whole text inside the window; content of a scroll area may
    scroll up and down but never runs off its right edge."""
    frame = root.rect()
    for area in root.findChildren(QScrollArea):
        content = area.widget()
        if area.isVisibleTo(root) and content is not None:
            assert content.width() <= area.viewport().width(), (
                f"the form is {content.width()} px wide in a {area.viewport().width()} px view")
    for button in root.findChildren(QAbstractButton):
        if not button.isVisibleTo(root) or button.window() is not root or not button.text():
            continue  # buttons without text are the line edits' own icons
        scroller = next((p for p in _parents(button) if isinstance(p, QScrollArea)), None)
        box = QRect(button.mapTo(root, button.rect().topLeft()), button.size())
        if scroller is None:
            assert frame.contains(box), f"{button.text()!r} at {box} is outside the window {frame}"
        else:
            view = scroller.viewport()
            left = button.mapTo(view, button.rect().topLeft()).x()
            assert left >= 0 and left + button.width() <= view.width(), f"{button.text()!r} runs off the form"
        hint = button.minimumSizeHint()
        assert button.width() >= hint.width() - 1, f"{button.text()!r} squeezed: {button.width()} < {hint.width()}"


def _parents(widget: QWidget) -> Iterator[QWidget]:
    parent = widget.parentWidget()
    while parent is not None:
        yield parent
        parent = parent.parentWidget()


@pytest.mark.parametrize("screen", [(1366, 768), (1280, 720)])
def test_screenshots_of_the_inspection_dialog_on_laptop_screens(ctx: AppContext, qtbot, screenshot_dir: Path,  # type: ignore[no-untyped-def]
                                                                screen: tuple[int, int]) -> None:
    ids = write(ctx, _registry)
    dialog = _dialog(ctx, qtbot)
    type_text(dialog.decision_no, "41/QĐ-ĐKT")
    dialog.unit.choose(ids["ubnd"])
    dialog.subjects.add_row("Đỗ Thị Hương", "Chủ tịch UBND phường", True)
    dialog.planned.setDate(QDate(2026, 11, 17))
    settle(ctx)
    width, height = screen
    size = fit_to_screen(dialog, PREFERRED, QRect(0, 0, width, height - TASKBAR))
    assert size.width() <= width and size.height() <= height - TASKBAR - 30
    QApplication.processEvents()
    assert_nothing_clipped(dialog)
    assert dialog.history.tree.topLevelItemCount() == 1
    image = dialog.grab().toImage()
    assert image.save(str(screenshot_dir / f"20-chuan-bi-dot-kiem-tra-{width}x{height}.png"))
