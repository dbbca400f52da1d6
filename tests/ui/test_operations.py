"""The operations framework as a user meets it: "saved" only after the commit, every view follows
the broadcast of a commit, reads never write, and a bug in a background operation is not lost."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt

from inspector.domain import Inspection
from inspector.errors import BugError, StorageError
from inspector.services.inspections import InspectionDraft, SubjectSpec
from inspector.store.db import OperationalErrors
from inspector.workspace import Services
from tests.factories import make_inspection
from tests.storage import raw_connect
from tests.ui.conftest import close_context, open_context
from tests.ui.helpers import read, settle, write
from ui.context import AppContext
from ui.views.main_window import MainWindow


def _committed_level(ctx: AppContext, inspection_id: str, item: str, subject: str) -> int | None:
    """What another process would read from the file right now (its own connection)."""
    conn = raw_connect(ctx.data_dir / "inspector.db")  # the database is encrypted: with its key
    try:
        row = conn.execute("SELECT level FROM findings WHERE inspection_id = ? AND item_code = ? AND subject_id = ?",
                           (inspection_id, item, subject)).fetchone()
        return None if row is None else row[0]
    finally:
        conn.close()


def test_saved_is_announced_only_after_the_commit_returned(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx = window.ctx
    insp = write(ctx, lambda s: make_inspection(s, subjects=1))
    subject = insp.subjects[0].id
    inside, release = threading.Event(), threading.Event()

    def slow_record(s: Services) -> object:
        inside.set()
        assert release.wait(10)  # the write is queued and running, not yet committed
        return s.findings.record(insp.id, "LD-01", subject, level=2)

    seen_at_saved: list[int | None] = []
    ctx.ops.saved.connect(lambda _at: seen_at_saved.append(_committed_level(ctx, insp.id, "LD-01", subject)))
    ctx.ops.write(slow_record)
    assert inside.wait(10)
    for _ in range(20):  # the GUI keeps running while the writer works
        qtbot.wait(5)
    assert seen_at_saved == [] and window.saved.text.text() == "Đang lưu…"
    release.set()
    qtbot.waitUntil(lambda: bool(seen_at_saved), timeout=10000)
    # When "saved" was emitted, the row was already in the file, visible to another connection.
    assert seen_at_saved == [2]
    assert window.saved.text.text().startswith("Đã lưu lúc")


def test_a_failed_write_never_says_saved(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx = window.ctx
    saved: list[str] = []
    ctx.ops.saved.connect(saved.append)

    def full_disk(_s: Services) -> None:
        raise StorageError("Ổ đĩa đã đầy; thao tác vừa rồi chưa được lưu, dữ liệu trước đó vẫn nguyên vẹn.")

    ctx.ops.write(full_disk, show_errors=False)
    settle(ctx)
    assert saved == [] and window.saved.text.text().startswith("Chưa lưu: Ổ đĩa đã đầy")


def test_every_view_follows_a_commit_without_a_restart(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    ctx = window.ctx
    insp = write(ctx, lambda s: make_inspection(s, subjects=2))
    for row in (2, 3, 0):  # build the documents and sync pages first: they must follow on their own
        window.navigation.setCurrentRow(row)
        settle(ctx)
    listing = window.inspections_page
    docs = window.documents_page
    sync = window.sync_page
    row = listing.model.row_of(insp.id)
    assert listing.model.summary(row).assessed_count == 0

    window.open_inspection(insp.id)
    settle(ctx)
    page = window.recording_page
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    view = page.view
    view.setCurrentIndex(page.model.index_for("LD-01", insp.subjects[0].id))
    view.setFocus()
    qtbot.keyClicks(view, "2103")
    settle(ctx)

    summary = listing.model.summary(listing.model.row_of(insp.id))
    assert (summary.assessed_count, summary.status) == (4, "in_progress")
    assert listing.status_buttons["in_progress"].text().endswith("(1)")
    unsent = read(ctx, lambda s: s.sync.inspection_statuses()[insp.id].unsent_events)
    assert unsent > 0 and sync.table.item(0, 2).text() == str(unsent)
    assert docs.inspection_id == insp.id

    # Another part of the app renames the decision: the list, the recording header and the
    # documents page all show the new number.
    def rename(s: Services) -> Inspection:
        current = s.inspections.get(insp.id)
        draft = InspectionDraft(
            decision_no="99/QĐ-ĐKT", decision_date=current.summary.decision_date,
            decision_issuer=current.decision_issuer, unit_id=current.summary.unit_id,
            checklist_id=current.summary.checklist_id, checklist_version=current.summary.checklist_version,
            team_id=current.team.id if current.team else None,
            subjects=[SubjectSpec(x.name, x.position, x.holds_leadership, x.kind, x.person_id, x.id)
                      for x in current.subjects])
        return s.inspections.revise(insp.id, draft)

    write(ctx, rename)
    settle(ctx)
    assert listing.model.summary(listing.model.row_of(insp.id)).decision_no == "99/QĐ-ĐKT"
    assert "99/QĐ-ĐKT" in page.title.text()
    assert "99/QĐ-ĐKT" in docs.title.text()
    # The recording page kept its own state through the refresh: the four levels are still there.
    assert [page.model.finding(c, insp.subjects[0].id).level for c in ("LD-01", "LD-02", "LD-03", "LD-04")] == [
        2, 1, 0, 3]


def test_reads_run_on_connections_that_cannot_write(app_ctx: AppContext) -> None:
    def sneaky(s: Services) -> None:
        with s.ctx.store.transaction() as conn:
            conn.execute("INSERT INTO settings (key, value) VALUES ('x', '1')")

    def raw(s: Services) -> None:  # even below the transaction helper, SQLite itself refuses
        s.ctx.store.conn.execute("INSERT INTO settings (key, value) VALUES ('x', '1')")

    errors: list[BaseException] = []
    app_ctx.ops.query(sneaky, on_error=errors.append)
    app_ctx.ops.query(raw, on_error=errors.append)
    settle(app_ctx)
    assert len(errors) == 2, errors  # the two reads run on two pool threads: in either order
    bug = next(e for e in errors if isinstance(e, BugError))
    refused = next(e for e in errors if isinstance(e, OperationalErrors))  # sqlite3's or SQLCipher's
    assert "read-only" in str(bug) and "readonly" in str(refused)
    assert read(app_ctx, lambda s: s.settings.get("x")) is None


def test_a_bug_in_a_background_operation_fails_the_test(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx = open_context(tmp_path / "data")

    def buggy(_s: Services) -> int:
        return 1 // 0

    ctx.ops.query(buggy)  # nobody handles it: the default presenter records it
    settle(ctx)
    with pytest.raises(AssertionError, match="failed in the background"):
        close_context(ctx)


def test_identity_is_one_value_shared_by_every_thread(app_ctx: AppContext) -> None:
    from inspector.services.settings import SettingsDraft

    before = read(app_ctx, lambda s: s.settings.identity())
    write(app_ctx, lambda s: s.settings.save(SettingsDraft("Phạm Thị Thu", "Chuyên viên", "vi", "", "")))
    # Every reader thread (two of them) sees the new name at once, with no copy to refresh.
    names = {read(app_ctx, lambda s: s.ctx.identity.name) for _ in range(6)}
    assert names == {"Phạm Thị Thu"}
    assert read(app_ctx, lambda s: s.settings.identity()) == replace(before, name="Phạm Thị Thu",
                                                                       position="Chuyên viên")
    # And the next event is authored with it.
    insp = write(app_ctx, lambda s: make_inspection(s, subjects=1))
    author = read(app_ctx, lambda s: s.ctx.store.scalar(
        "SELECT author_name FROM events WHERE entity_id = ? ORDER BY rowid DESC LIMIT 1", (insp.id,)))
    assert author == "Phạm Thị Thu"


def test_closing_the_app_stops_its_signing_process(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import time

    ctx = open_context(tmp_path / "data")
    try:
        assert ctx.ops.worker.in_child and ctx.ops.worker.pid is None  # not started before asked
        ctx.ops.warm_up_worker()
        deadline = time.monotonic() + 30
        while ctx.ops.worker.pid is None or ctx.ops.worker._warming:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        pid = ctx.ops.worker.pid
        assert pid is not None
    finally:
        close_context(ctx)
    with pytest.raises(ProcessLookupError):  # ended and reaped: no orphan left behind
        os.kill(pid, 0)
