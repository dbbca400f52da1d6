"""500 findings typed as fast as qtbot can type: all persisted, in order, chain valid."""

from __future__ import annotations

from inspector.domain import Inspection
from inspector.services.inspections import InspectionDraft, SubjectSpec
from inspector.store.events import iter_events
from inspector.workspace import Services, Workspace
from tests.ui.helpers import settle, write
from ui.views.main_window import MainWindow


def test_500_findings_typed_as_fast_as_possible(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx = window.ctx

    def prepare(s: Services) -> Inspection:
        unit = s.registry.add_unit("Ủy ban nhân dân phường Long Biên", "agency")
        created = s.inspections.create(InspectionDraft(
            decision_no="5/QĐ", decision_date="2026-11-20", unit_id=unit.id, checklist_id="ct24-lanh-dao",
            subjects=[SubjectSpec(f"Cán bộ số {n}", "Phó trưởng phòng", True) for n in range(1, 14)]))
        return s.inspections.start(created.id)

    insp = write(ctx, prepare)
    window.open_inspection(insp.id)
    settle(ctx)
    page = window.recording_page
    view = page.view
    items = [i.code for g in page.model.groups for i in g.items]
    typed: list[tuple[str, str, int]] = []
    view.setFocus()
    for subject in page.model.subjects:
        if len(typed) >= 500:
            break
        view.setCurrentIndex(page.model.index_for(items[0], subject.id))
        count = min(len(items), 500 - len(typed))
        digits = "".join(str((len(typed) + n) % 4) for n in range(count))
        qtbot.keyClicks(view, digits)  # each digit sets a level and moves down
        typed += [(items[n], subject.id, int(d)) for n, d in enumerate(digits)]
    assert len(typed) == 500
    assert ctx.ops.wait_idle(60)
    # Every keystroke became exactly one event, in the order typed.
    with Workspace.open(ctx.data_dir) as ws:
        s = ws.services
        events = [e for e in iter_events(s.ctx.store.conn) if e.type == "finding.set"]
        assert [(e.payload["item_code"], e.payload["subject_id"], e.payload["level"]) for e in events] == typed
        matrix = s.findings.matrix(insp.id)
        assert all(matrix.get(code, sid).level == level for code, sid, level in typed)
        assert s.inspections.summary(insp.id).assessed_count == 500
        assert s.verify_events().ok
    assert "Đã lưu lúc" in window.saved.text.text()
    assert ctx.errors.shown == []
