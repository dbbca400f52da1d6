"""Service rules: validation messages, lifecycle, revise, evidence, requirements."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inspector.clock import FixedClock
from inspector.errors import NotFoundError, RefusedError, UserError
from inspector.services.dates import DateError
from inspector.services.inspections import InspectionDraft, InspectionQuery, SubjectSpec
from inspector.services.requirements import RequirementSpec
from inspector.workspace import Services, Workspace
from tests.factories import make_inspection


def test_create_validates_with_vietnamese_messages(services: Services) -> None:
    insp = make_inspection(services, subjects=1)
    unit_id = insp.summary.unit_id
    base = dict(decision_no="1/QĐ", decision_date="01/02/2026", unit_id=unit_id, checklist_id="ct24-mot-cua")
    with pytest.raises(UserError, match="Số quyết định"):
        services.inspections.create(InspectionDraft(**{**base, "decision_no": "  "}))
    with pytest.raises(UserError, match="không phải là ngày hợp lệ"):
        services.inspections.create(InspectionDraft(**{**base, "decision_date": "31/02/2026"}))
    with pytest.raises(NotFoundError, match="chưa có trong máy"):
        services.inspections.create(InspectionDraft(**{**base, "checklist_id": "khong-co"}))
    with pytest.raises(UserError, match="Tên đối tượng"):
        services.inspections.create(InspectionDraft(**base, subjects=[SubjectSpec("")]))
    created = services.inspections.create(InspectionDraft(**base, subjects=[SubjectSpec("Bộ phận một cửa",
                                                                                        kind="collective")]))
    assert created.summary.decision_date == "2026-02-01"
    assert created.legal_basis[0].startswith("Chỉ thị số 24-CT/TU")
    assert created.summary.title.startswith("Kiểm tra đột xuất")
    assert created.summary.item_count == 20 and created.summary.subject_count == 1


def test_revise_reconciles_subjects_in_one_transaction(services: Services) -> None:
    insp = make_inspection(services, subjects=3)
    a, b, c = insp.subjects
    commits = services.ctx.store.commits
    draft = InspectionDraft(
        decision_no="99/QĐ-ĐKT", decision_date="2026-11-03", unit_id=insp.summary.unit_id,
        checklist_id="ct24-lanh-dao", team_id=insp.team.id if insp.team else None,
        subjects=[SubjectSpec(c.name, "Chủ tịch", True, id=c.id), SubjectSpec(a.name, a.position, True, id=a.id),
                  SubjectSpec("Người mới", "Công chức")])
    revised = services.inspections.revise(insp.id, draft)
    assert services.ctx.store.commits == commits + 1
    assert [s.name for s in revised.subjects] == [c.name, a.name, "Người mới"]
    assert revised.subjects[0].position == "Chủ tịch"
    assert b.id not in {s.id for s in revised.subjects}
    assert revised.summary.decision_no == "99/QĐ-ĐKT"
    assert services.verify_events().ok


def test_lifecycle_and_refusals(services: Services) -> None:
    insp = make_inspection(services, subjects=1)
    with pytest.raises(RefusedError, match="Chưa ghi thời gian bắt đầu"):
        services.inspections.finish(insp.id)
    started = services.inspections.start(insp.id)
    assert started.status == "in_progress" and started.actual_start
    finished = services.inspections.finish(insp.id)
    assert finished.status == "recorded"
    with pytest.raises(RefusedError, match="Không thể chuyển"):
        services.inspections.change_status(insp.id, "closed")
    with pytest.raises(UserError, match="trước thời gian bắt đầu"):
        services.inspections.set_times(insp.id, "2026-11-02T08:00:00Z", "2026-11-02T07:00:00Z")
    archived = services.inspections.archive(insp.id)
    assert archived.archived
    assert insp.id not in {x.id for x in services.inspections.find()}
    assert insp.id in {x.id for x in services.inspections.find(InspectionQuery(only_archived=True))}


def test_search_is_accent_insensitive_and_filters_combine(services: Services) -> None:
    insp = make_inspection(services, subjects=1)
    assert [x.id for x in services.inspections.find(InspectionQuery(search="hoan kiem"))] == [insp.id]
    assert services.inspections.find(InspectionQuery(search="ba dinh")) == []
    assert services.inspections.find(InspectionQuery(statuses=("draft",), kind="surprise"))[0].id == insp.id
    assert services.inspections.find(InspectionQuery(date_from="03/11/2026")) == []
    city = services.registry.unit_path(insp.summary.unit_id)[0]
    assert services.inspections.find(InspectionQuery(unit_id=city.id))[0].id == insp.id


def test_duplicate_makes_a_fresh_draft(services: Services) -> None:
    insp = make_inspection(services, subjects=2)
    services.findings.record(insp.id, "LD-01", insp.subjects[0].id, level=2)
    copy = services.inspections.duplicate(insp.id)
    assert copy.id != insp.id and copy.status == "draft"
    assert [s.name for s in copy.subjects] == [s.name for s in insp.subjects]
    assert copy.summary.assessed_count == 0


def test_evidence_is_deduplicated_verified_and_kept_on_removal(services: Services, tmp_path: Path) -> None:
    insp = make_inspection(services, subjects=1)
    change = services.findings.record(insp.id, "LD-01", insp.subjects[0].id, level=1)
    photo = tmp_path / "ảnh hiện trường.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + b"x" * 5000)
    a = services.evidence.attach_file(insp.id, photo, finding_id=change.finding_id)
    b = services.evidence.attach_file(insp.id, photo)
    assert a.sha256 == b.sha256 and a.media_type == "image/jpeg" and a.kind == "photo"
    assert a.file_name == "ảnh hiện trường.jpg"
    vault = services.ctx.vault
    stored = [p for p in vault.root.rglob("*") if p.is_file() and p.parent != vault.tmp]
    assert stored == [vault.path_for(a.sha256)]  # one file, under its keyed name, not its SHA-256
    assert not list(vault.root.rglob(a.sha256)) and b"x" * 64 not in stored[0].read_bytes()
    services.evidence.remove(a.id, "Chụp nhầm")
    assert [e.id for e in services.evidence.of_inspection(insp.id)] == [b.id]
    assert len(services.evidence.of_inspection(insp.id, include_removed=True)) == 2
    assert services.evidence.verify_all().ok
    with pytest.raises(UserError, match="Không tìm thấy tệp"):
        services.evidence.attach_file(insp.id, tmp_path / "khong-co.jpg")


def test_requirements_validate_dates(services: Services) -> None:
    insp = make_inspection(services, subjects=1)
    with pytest.raises(UserError, match="không được trước thời hạn"):
        services.requirements.add(insp.id, RequirementSpec("Kiểm điểm", "UBND", "2026-12-31", "2026-12-01"))
    req = services.requirements.add(insp.id, RequirementSpec("Kiểm điểm", "UBND", "31/12/2026"))
    assert req.report_back_date == "2026-12-31" and req.status == "open"
    done = services.requirements.set_status(req.id, "done", "Đã kiểm điểm ngày 20/12")
    assert done.status == "done"
    from datetime import date
    services.requirements.add(insp.id, RequirementSpec("Niêm yết", "UBND", "2026-01-05"))
    assert [r.content for r in services.requirements.overdue(date(2026, 11, 22))] == ["Niêm yết"]


def test_identity_is_the_author_of_new_events(services: Services) -> None:
    services.settings.set_identity("Phạm Thị Thu", "Chuyên viên")
    insp = make_inspection(services, subjects=1)
    change = services.findings.record(insp.id, "LD-02", insp.subjects[0].id, level=0)
    author = services.ctx.store.scalar("SELECT author_name FROM events WHERE hash = ?", (change.event_hash,))
    assert author == "Phạm Thị Thu"
    with pytest.raises(UserError):
        services.settings.set_identity("   ")


# -- date sanity (a fixed clock: 20/11/2026 10:00 in Hanoi) ----------------------------------------
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def clocked(tmp_path: Path) -> Iterator[Services]:
    with Workspace.open(tmp_path / "clocked", clock=FixedClock(NOW, step=timedelta(0))) as ws:
        ws.services.registry.add_unit("Phường Hoàn Kiếm", "ward")
        yield ws.services


def _draft(s: Services, **changes: object) -> InspectionDraft:
    unit = s.registry.units()[0]
    base: dict[str, object] = dict(decision_no="7/QĐ-ĐKT", decision_date="2026-11-18", unit_id=unit.id,
                                   checklist_id="ct24-mot-cua", planned_date="2026-11-19",
                                   subjects=[SubjectSpec("Bộ phận một cửa", kind="collective")])
    return InspectionDraft(**{**base, **changes})  # type: ignore[arg-type]


def _refused(s: Services, field: str, match: str, fn: Callable[[], object]) -> DateError:
    before = s.ctx.store.scalar("SELECT count(*) FROM events")
    with pytest.raises(DateError, match=match) as info:
        fn()
    assert info.value.field == field
    assert info.value.hint(), "every date refusal says what to do"
    assert s.ctx.store.scalar("SELECT count(*) FROM events") == before, "a refusal changes nothing"
    return info.value


def test_decision_date_not_in_the_future_by_the_hanoi_calendar(clocked: Services) -> None:
    s = clocked
    error = _refused(s, "decision_date", "tương lai", lambda: s.inspections.create(_draft(
        s, decision_date="2026-11-21", planned_date="")))
    assert "21/11/2026" in error.message() and "20/11/2026" in error.message()
    assert s.inspections.create(_draft(s, decision_date="2026-11-20", planned_date="")).summary.decision_date \
        == "2026-11-20"
    _refused(s, "decision_date", "quá xa trong quá khứ", lambda: s.inspections.create(_draft(
        s, decision_date="1926-11-18", planned_date="")))
    # 01:00 on 21/11 in Hanoi is still 20/11 in UTC: the Hanoi day counts.
    with Workspace.open(s.ctx.store.path.parent, clock=FixedClock(datetime(2026, 11, 20, 18, 0, tzinfo=UTC))) as ws:
        assert ws.services.inspections.create(_draft(ws.services, decision_date="2026-11-21", planned_date=""))


def test_planned_date_not_before_the_decision(clocked: Services) -> None:
    s = clocked
    error = _refused(s, "planned_date", "trước ngày quyết định", lambda: s.inspections.create(_draft(
        s, decision_date="2026-11-18", planned_date="2026-11-17")))
    assert "17/11/2026" in error.message() and "18/11/2026" in error.message()
    _refused(s, "planned_date", "quá xa trong tương lai", lambda: s.inspections.create(_draft(
        s, planned_date="2062-11-19")))
    created = s.inspections.create(_draft(s, planned_date="2026-11-25"))  # planned ahead is the point
    insp = created
    _refused(s, "planned_date", "trước ngày quyết định", lambda: s.inspections.revise(insp.id, _draft(
        s, decision_date="2026-11-19", planned_date="2026-11-18")))
    _refused(s, "decision_date", "tương lai", lambda: s.inspections.revise(insp.id, _draft(
        s, decision_date="2026-12-01", planned_date="")))


def test_actual_times_are_ordered_and_never_in_the_future(clocked: Services) -> None:
    s = clocked
    insp = s.inspections.create(_draft(s))
    _refused(s, "actual_start", "trước ngày quyết định", lambda: s.inspections.start(
        insp.id, "2026-11-17T02:00:00Z"))
    _refused(s, "actual_start", "tương lai", lambda: s.inspections.start(insp.id, NOW + timedelta(hours=1)))
    started = s.inspections.start(insp.id, "2026-11-20T01:30:00Z")
    assert started.actual_start == "2026-11-20T01:30:00.000Z"
    _refused(s, "actual_end", "tương lai", lambda: s.inspections.finish(insp.id, NOW + timedelta(minutes=30)))
    _refused(s, "actual_end", "trước thời gian bắt đầu", lambda: s.inspections.finish(
        insp.id, "2026-11-20T01:00:00Z"))
    _refused(s, "actual_end", "tương lai", lambda: s.inspections.set_times(
        insp.id, "2026-11-20T01:30:00Z", "2026-11-20T05:00:00Z"))
    _refused(s, "actual_end", "Cần có thời gian bắt đầu", lambda: s.inspections.set_times(
        insp.id, None, "2026-11-20T02:00:00Z"))
    # Typed to the minute, a time may be a few seconds ahead of the clock; an end equal to the start is fine.
    assert s.inspections.finish(insp.id, NOW + timedelta(seconds=50)).status == "recorded"
    assert s.inspections.set_times(insp.id, "2026-11-20T01:30:00Z", "2026-11-20T01:30:00Z").actual_end
    # The decision cannot move after the day the team actually started.
    s.inspections.set_times(insp.id, "2026-11-19T02:00:00Z", None)
    same_subject = [SubjectSpec("Bộ phận một cửa", kind="collective", id=insp.subjects[0].id)]
    _refused(s, "decision_date", "sau ngày bắt đầu kiểm tra", lambda: s.inspections.revise(insp.id, _draft(
        s, decision_date="2026-11-20", planned_date="", subjects=same_subject)))


def test_the_legal_basis_follows_the_decision_until_edited(clocked: Services) -> None:
    s = clocked
    insp = s.inspections.create(_draft(s, decision_issuer="Chủ tịch UBND phường"))
    assert insp.legal_basis[1] == "Quyết định số 7/QĐ-ĐKT ngày 18 tháng 11 năm 2026 của Chủ tịch UBND phường" \
                                  " về việc thành lập Đoàn kiểm tra"
    # The form sends back the generated text unchanged with a new number and date: it follows.
    moved = s.inspections.revise(insp.id, _draft(s, decision_no="8/QĐ-ĐKT", decision_date="2026-11-19",
                                                 decision_issuer="Chủ tịch UBND phường",
                                                 legal_basis=list(insp.legal_basis)))
    assert moved.legal_basis[1].startswith("Quyết định số 8/QĐ-ĐKT ngày 19 tháng 11 năm 2026 của Chủ tịch UBND phường")
    # Text the user wrote is never overwritten.
    edited = [moved.legal_basis[0], "Kế hoạch số 3/KH-UBND của UBND phường", moved.legal_basis[1]]
    kept = s.inspections.revise(insp.id, _draft(s, decision_no="8/QĐ-ĐKT", decision_date="2026-11-19",
                                                decision_issuer="Chủ tịch UBND phường", legal_basis=edited))
    again = s.inspections.revise(insp.id, _draft(s, decision_no="9/QĐ-ĐKT", decision_date="2026-11-19",
                                                 decision_issuer="Chủ tịch UBND phường",
                                                 legal_basis=list(kept.legal_basis)))
    assert list(again.legal_basis) == edited
