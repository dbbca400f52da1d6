"""Service rules: validation messages, lifecycle, revise, evidence, requirements."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.errors import NotFoundError, RefusedError, UserError
from inspector.services.inspections import InspectionDraft, InspectionQuery, SubjectSpec
from inspector.services.requirements import RequirementSpec
from inspector.workspace import Services
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
    with pytest.raises(UserError, match="sau thời gian bắt đầu"):
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
