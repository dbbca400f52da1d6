"""Remediation over real HTTP: the office records a unit's report-back with a file, returns it,
accepts the next one; the lists of what is due within 14 days and overdue; the decisions are
events of the server's chain that reach the laptops with the reference data (also a laptop of
another team, so a team preparing a new inspection of the unit sees what it still owes)."""

from __future__ import annotations

import re

from inspector.workspace import Workspace
from tests.console.conftest import Office, csrf_of


def _signed_requirements(office: Office, client: object) -> list[str]:
    html = client.get(f"/inspections/{office.signed_inspection}").text  # type: ignore[attr-defined]
    return re.findall(r'href="/requirements/([0-9a-f-]{36})"', html)


def test_due_and_overdue_lists(office: Office) -> None:
    clerk = office.login("clerk")
    overdue, due, later = _signed_requirements(office, clerk)
    overdue_page = clerk.get("/requirements?view=overdue").text
    due_page = clerk.get("/requirements?view=due").text
    assert overdue in overdue_page and due not in overdue_page and later not in overdue_page
    assert due in due_page and overdue not in due_page and later not in due_page
    assert "Quá hạn" in clerk.get(f"/requirements/{overdue}").text


def test_report_back_return_accept_and_the_laptops_learn_it(office: Office) -> None:
    clerk = office.login("clerk")
    _, due, _ = _signed_requirements(office, clerk)
    url = f"/requirements/{due}"
    token = csrf_of(clerk.get(url).text)
    empty = clerk.post(url, data={"csrf": token, "action": "reported", "text": "  "})
    assert empty.status_code == 400 and "Chưa có nội dung báo cáo" in empty.text
    too_early = clerk.post(url, data={"csrf": token, "action": "accepted", "text": ""})
    assert too_early.status_code == 400 and "Chỉ xét được yêu cầu đã có báo cáo" in too_early.text
    answer = clerk.post(url, data={"csrf": token, "action": "reported", "text": "Đã niêm yết lại thủ tục."},
                        files={"files": ("bien-ban-niem-yet.pdf", b"%PDF-1.4 test", "application/pdf")})
    assert answer.status_code == 303
    page = clerk.get(url).text
    assert "Đã báo cáo, chờ xét" in page and "bien-ban-niem-yet.pdf" in page
    file_url = re.search(r'href="(/requirements/[^"]+/files/[0-9a-f]{64})"', page)
    assert file_url and clerk.get(file_url.group(1)).content == b"%PDF-1.4 test"
    assert office.login("other").get(file_url.group(1)).status_code == 404  # another team
    no_reason = clerk.post(url, data={"csrf": token, "action": "returned", "text": ""})
    assert no_reason.status_code == 400 and "lý do" in no_reason.text
    assert clerk.post(url, data={"csrf": token, "action": "returned", "text": "Thiếu ảnh chụp bảng niêm yết."}
                      ).status_code == 303
    assert "Chưa báo cáo" in clerk.get(url).text
    clerk.post(url, data={"csrf": token, "action": "reported", "text": "Bổ sung ảnh chụp."})
    assert clerk.post(url, data={"csrf": token, "action": "accepted", "text": "Đạt."}).status_code == 303
    assert "Đã chấp nhận" in clerk.get(url).text
    audit = office.login("admin").get("/audit").text
    assert all(a in audit for a in ("remediation.reported", "remediation.returned", "remediation.accepted"))

    for laptop in ("signed", "other"):  # the team that held it, and a laptop of another team
        ws = Workspace.open(office.root / laptop)
        try:
            ws.services.sync.sync()
            row = ws.services.ctx.store.one(
                "SELECT status, action, report_text, decision_note, source_inspection_id, recorded_by"
                " FROM remediation WHERE requirement_id = ?", (due,))
        finally:
            ws.close()
        assert row is not None, laptop
        assert row["status"] == "accepted" and row["action"] == "accepted" and row["decision_note"] == "Đạt."
        assert row["report_text"] == "Bổ sung ảnh chụp." and row["source_inspection_id"] == office.signed_inspection
        assert row["recorded_by"] == "Cán bộ clerk"
    ws = Workspace.open(office.root / "signed")  # preparing the unit's next inspection: accepted is settled
    try:
        unit = ws.services.inspections.summary(office.signed_inspection).unit_id
        history = ws.services.requirements.unit_history(unit)
    finally:
        ws.close()
    pending = {p.requirement.id for e in history.inspections for p in e.pending}
    assert due not in pending and len(pending) == 2
