"""Small builders for tests: a unit, a team, an inspection ready for recording."""

from __future__ import annotations

from inspector.domain import Inspection
from inspector.services.inspections import InspectionDraft, SubjectSpec
from inspector.services.registry import MemberSpec
from inspector.workspace import Services


def make_inspection(s: Services, *, subjects: int = 3, checklist: str = "ct24-lanh-dao",
                    regime: str = "state") -> Inspection:
    city = s.registry.add_unit("Thành phố Hà Nội", "city")
    ward = s.registry.add_unit("Phường Hoàn Kiếm", "ward", parent_id=city.id)
    ubnd = s.registry.add_unit("Ủy ban nhân dân phường Hoàn Kiếm", "agency", parent_id=ward.id)
    leader = s.registry.add_person("Nguyễn Văn Hùng", position="Trưởng phòng Kiểm tra", holds_leadership=True)
    member = s.registry.add_person("Trần Thị Lan", position="Chuyên viên")
    team = s.registry.add_team("Đoàn kiểm tra số 1", issuing_body="ĐOÀN KIỂM TRA CÔNG VỤ",
                               superior_body="UBND THÀNH PHỐ HÀ NỘI",
                               members=[MemberSpec(leader.id, "leader"), MemberSpec(member.id, "secretary")])
    return s.inspections.create(InspectionDraft(
        decision_no="12/QĐ-ĐKT",
        decision_date="2026-11-02",
        decision_issuer="Chủ tịch UBND thành phố Hà Nội",
        unit_id=ubnd.id,
        checklist_id=checklist,
        regime=regime,
        team_id=team.id,
        location="Trụ sở UBND phường Hoàn Kiếm",
        subjects=[SubjectSpec(f"Lê Văn Nam {n}", "Phó Chủ tịch UBND phường", True) for n in range(1, subjects + 1)],
    ))
