"""The event log is the source of truth: chains verify, and a rebuild equals the live tables."""

from __future__ import annotations

import json

from inspector.demo import load_demo
from inspector.services.requirements import RequirementSpec
from inspector.store.events import GENESIS
from inspector.workspace import Services
from tests.factories import make_inspection
from tests.storage import raw_connect


def _every_kind_of_change(s: Services) -> str:
    insp = make_inspection(s, subjects=3)
    a, b, c = insp.subjects
    s.inspections.start(insp.id)
    s.findings.record(insp.id, "LD-01", a.id, level=1, note="Đến muộn")
    s.findings.record(insp.id, "LD-01", a.id, level=2)  # edit keeps the note
    change = s.findings.record(insp.id, "LD-02", b.id, level=3, note="Gây phiền hà")
    s.findings.record(insp.id, "LD-03", c.id, level=None, note="Chưa đủ căn cứ")
    s.findings.remove(change.finding_id)
    ev = s.evidence.attach_bytes(insp.id, b"\x89PNG\r\n\x1a\nfake", "anh.png", finding_id=None)
    s.evidence.remove(ev.id, "Chụp nhầm")
    s.inspections.remove_subject(insp.id, c.id)
    s.inspections.set_explanation(insp.id, "Đơn vị tiếp thu.")
    s.requirements.add(insp.id, RequirementSpec("Kiểm điểm", "UBND phường", "2026-12-31", "2027-01-05"))
    s.inspections.finish(insp.id)
    s.inspections.archive(insp.id)
    s.registry.update_unit(insp.summary.unit_id, name="UBND phường Hoàn Kiếm (mới)", unit_type="agency")
    return insp.id


def test_chain_links_and_sequences(services: Services) -> None:
    _every_kind_of_change(services)
    rows = services.ctx.store.conn.execute(
        "SELECT seq, prev_hash, hash FROM events ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0][1] == GENESIS
    assert all(rows[i][1] == rows[i - 1][2] for i in range(1, len(rows)))
    report = services.verify_events()
    assert report.ok, report.chain_problems + report.projection_problems


def test_rebuild_equals_live_tables_for_the_demo(services: Services) -> None:
    load_demo(services, inspections=8, photos=1)
    report = services.verify_events()
    assert report.ok, [p.render() for p in report.chain_problems + report.projection_problems]
    assert report.event_count > 300


def test_editing_a_table_row_behind_the_apps_back_is_named(services: Services) -> None:
    inspection_id = _every_kind_of_change(services)
    finding_id = services.ctx.store.scalar(
        "SELECT id FROM findings WHERE item_code = 'LD-01'")
    raw = raw_connect(services.ctx.store.path)
    raw.execute("UPDATE findings SET level = 0 WHERE id = ?", (finding_id,))
    raw.execute("UPDATE inspections SET decision_no = 'giả mạo' WHERE id = ?", (inspection_id,))
    raw.commit()
    raw.close()
    report = services.verify_events()
    assert not report.ok
    rendered = "\n".join(p.render() for p in report.projection_problems)
    assert f"findings [id={finding_id}]" in rendered and "level" in rendered
    assert f"inspections [id={inspection_id}]" in rendered and "giả mạo" in rendered


def test_edited_deleted_and_added_rows_are_all_caught(services: Services) -> None:
    _every_kind_of_change(services)
    raw = raw_connect(services.ctx.store.path)
    raw.execute("DELETE FROM requirements")
    raw.execute("INSERT INTO units (id, name, unit_type, created_at, updated_at)"
                " VALUES ('x', 'Đơn vị lạ', 'other', 'a', 'a')")
    raw.commit()
    raw.close()
    text = "\n".join(p.render() for p in services.verify_events().projection_problems)
    assert "requirements [" in text and "đã bị xóa" in text
    assert "units [id=x]" in text and "không có trong nhật ký" in text


def test_tampered_event_payload_and_missing_event_break_the_chain(services: Services) -> None:
    _every_kind_of_change(services)
    raw = raw_connect(services.ctx.store.path)
    payload = json.loads(raw.execute("SELECT payload FROM events WHERE seq = 10").fetchone()[0])
    payload["tampered"] = True
    raw.execute("UPDATE events SET payload = ? WHERE seq = 10", (json.dumps(payload),))
    raw.execute("DELETE FROM events WHERE seq = 12")
    raw.commit()
    raw.close()
    problems = [p.render() for p in services.verify_events().chain_problems]
    assert any("số 10" in p and "đã bị sửa" in p for p in problems)
    assert any("mong đợi số 12" in p for p in problems)


def test_history_of_a_finding_is_kept(services: Services) -> None:
    insp = make_inspection(services, subjects=1)
    sid = insp.subjects[0].id
    first = services.findings.record(insp.id, "LD-05", sid, level=1, note="a")
    services.findings.record(insp.id, "LD-05", sid, level=3, note="b")
    services.findings.record(insp.id, "LD-05", sid, level=None)
    history = services.findings.history(first.finding_id)
    assert [(h.level, h.note) for h in history] == [(1, "a"), (3, "b"), (None, "b")]
