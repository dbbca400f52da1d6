"""A realistic demo: Hanoi units (two-tier structure since 1 July 2025), a team, inspections with
findings, notes, generated evidence photos and remediation requirements. Also used at scale by
the benchmarks. Deterministic for a given seed; loaded in one all-or-nothing transaction.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from inspector.catalog.model import ChecklistItem
from inspector.clock import VIETNAM_TZ
from inspector.domain import Subject, Team, Unit
from inspector.paths import resources_dir
from inspector.services.inspections import InspectionDraft, SubjectSpec
from inspector.services.registry import MemberSpec
from inspector.services.requirements import RequirementSpec
from inspector.workspace import Services

WARDS = [
    ("Phường Hoàn Kiếm", "ward"), ("Phường Cửa Nam", "ward"), ("Phường Ba Đình", "ward"),
    ("Phường Ngọc Hà", "ward"), ("Phường Giảng Võ", "ward"), ("Phường Long Biên", "ward"),
    ("Phường Bồ Đề", "ward"), ("Phường Cầu Giấy", "ward"), ("Phường Nghĩa Đô", "ward"),
    ("Phường Yên Hòa", "ward"), ("Phường Đống Đa", "ward"), ("Phường Hai Bà Trưng", "ward"),
    ("Xã Sóc Sơn", "commune"), ("Xã Đông Anh", "commune"), ("Xã Gia Lâm", "commune"),
]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MALE = (["Văn", "Đức", "Minh", "Quang", "Hữu", "Thành", "Công"],
        ["Hùng", "Dũng", "Nam", "Tuấn", "Hải", "Long", "Sơn", "Thắng", "Khánh", "Bình", "Cường"])
FEMALE = (["Thị", "Thu", "Ngọc", "Thanh", "Phương", "Hồng", "Minh"],
          ["Lan", "Hương", "Mai", "Hà", "Linh", "Trang", "Thảo", "Yến", "Hạnh", "Nga", "Huyền"])
LEADER_POSTS = ["Chủ tịch UBND", "Phó Chủ tịch UBND", "Chánh Văn phòng HĐND và UBND",
                "Trưởng phòng Kinh tế", "Trưởng phòng Văn hóa – Xã hội", "Giám đốc Trung tâm phục vụ hành chính công"]
STAFF_POSTS = ["Công chức Văn phòng – Thống kê", "Công chức Tư pháp – Hộ tịch",
               "Công chức Địa chính – Xây dựng", "Công chức Văn hóa – Xã hội",
               "Viên chức Trung tâm phục vụ hành chính công", "Công chức Tài chính – Kế toán"]
EXPLANATIONS = [
    "Đơn vị tiếp thu các ý kiến của Đoàn kiểm tra. Việc chậm trả hồ sơ do phần mềm một cửa gặp sự cố"
    " trong tuần trước; đơn vị đã liên hệ công dân để hẹn lại và sẽ khắc phục trong tuần.",
    "Đơn vị thống nhất với kết quả kiểm tra và cam kết chấn chỉnh ngay việc chấp hành giờ giấc,"
    " đeo thẻ công chức và cập nhật niêm yết thủ tục hành chính.",
]


@dataclass(frozen=True)
class DemoSummary:
    units: int
    people: int
    inspections: int
    findings: int
    evidence: int
    requirements: int


def _person(rng: random.Random) -> tuple[str, str]:
    """A name and the honorific State documents use for the person ("Ông" / "Bà")."""
    male = rng.random() < 0.5
    middle, given = MALE if male else FEMALE
    return f"{rng.choice(SURNAMES)} {rng.choice(middle)} {rng.choice(given)}", "Ông" if male else "Bà"


def _name(rng: random.Random) -> str:
    return _person(rng)[0]


def evidence_image(rng: random.Random, title: str, subtitle: str, stamp: str) -> bytes:
    """A small JPEG that looks like a labelled field photo (unique text, so no accidental dedupe)."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = 640, 480
    base = (rng.randint(90, 160), rng.randint(110, 170), rng.randint(120, 190))
    img = Image.new("RGB", (width, height), base)
    draw = ImageDraw.Draw(img)
    for _ in range(14):  # a few shapes so it is not a flat colour
        x, y = rng.randint(0, width), rng.randint(0, height)
        shade = tuple(max(0, min(255, c + rng.randint(-50, 50))) for c in base)
        draw.rectangle([x, y, x + rng.randint(40, 220), y + rng.randint(30, 160)], fill=shade)
    fonts = resources_dir() / "fonts"
    big = ImageFont.truetype(str(fonts / "LiberationSerif-Bold.ttf"), 30)
    small = ImageFont.truetype(str(fonts / "LiberationSerif-Regular.ttf"), 20)
    draw.rectangle([0, height - 120, width, height], fill=(20, 24, 28))
    draw.text((20, height - 110), title, font=big, fill=(255, 255, 255))
    draw.text((20, height - 68), subtitle[:60], font=small, fill=(220, 220, 220))
    draw.text((20, height - 38), stamp, font=small, fill=(255, 210, 120))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=72)
    return out.getvalue()


class DemoBuilder:
    def __init__(self, services: Services, seed: int = 24) -> None:
        self.s = services
        self.seed = seed
        self.rng = random.Random(seed)
        self.findings = 0
        self.evidence = 0
        self.requirements = 0

    def _people(self, unit: Unit, place: str, count: int, leadership: bool) -> list[SubjectSpec]:
        posts = LEADER_POSTS if leadership else STAFF_POSTS
        out = []
        for n in range(count):
            post = f"{posts[n % len(posts)]} {place}" if leadership else posts[n % len(posts)]
            name, honorific = _person(self.rng)
            person = self.s.registry.add_person(name, position=post, unit_id=unit.id,
                                                holds_leadership=leadership, honorific=honorific)
            out.append(SubjectSpec(person.full_name, person.position, leadership, "person", person.id))
        return out

    def build(self, inspections: int = 6, subjects: int | None = None, photos: int = 2) -> DemoSummary:
        rng, reg = self.rng, self.s.registry
        with self.s.ctx.store.batch():
            city = reg.add_unit("Thành phố Hà Nội", "city", code="HN", address="Hà Nội")
            ubkt = reg.add_unit("Ủy ban Kiểm tra Thành ủy Hà Nội", "party_committee", parent_id=city.id)
            inspectors = []
            for pos, lead in (("Phó Chủ nhiệm Ủy ban Kiểm tra Thành ủy", True), ("Trưởng phòng Kiểm tra", True),
                              ("Chuyên viên Ủy ban Kiểm tra Thành ủy", False),
                              ("Chuyên viên Văn phòng Thành ủy", False)):
                name, honorific = _person(rng)
                inspectors.append(reg.add_person(name, position=pos, unit_id=ubkt.id, holds_leadership=lead,
                                                 honorific=honorific))
            # A Party team (set up by the Standing Board of the City Party Committee: Party documents)
            # and a State team (set up by the City People's Committee: Decree 30 documents).
            # Body names as running text writes them; document headers upper-case them.
            party_team = reg.add_team("Đoàn kiểm tra số 1 của Thành ủy", issuing_body="Đoàn kiểm tra",
                                      superior_body="Thành ủy Hà Nội", issuing_abbr="ĐKT", superior_abbr="TU",
                                      members=[
                MemberSpec(inspectors[0].id, "leader"), MemberSpec(inspectors[1].id, "deputy"),
                MemberSpec(inspectors[2].id, "member"), MemberSpec(inspectors[3].id, "secretary")])
            state_team = self._state_team(city)
            wards = []
            for name, utype in WARDS:
                ward = reg.add_unit(name, utype, parent_id=city.id)
                short = name.split(" ", 1)[1]
                level = name.split(" ")[0].lower()
                ubnd = reg.add_unit(f"Ủy ban nhân dân {level} {short}", "agency",
                                    parent_id=ward.id, address=f"{short}, Hà Nội")
                desk = reg.add_unit(f"Trung tâm phục vụ hành chính công {level} {short}",
                                    "desk", parent_id=ward.id, address=f"{short}, Hà Nội")
                wards.append((ward, ubnd, desk))
            catalogs = {c.id: c for c in self.s.catalogs.latest_checklists()}
            start_day = date(2026, 3, 2)
            for n in range(inspections):
                ward, ubnd, desk = wards[n % len(wards)]
                plan = ("ct24-mot-cua", "ct24-lanh-dao", "ct24-cong-chuc")[n % 3]
                checklist = catalogs[plan]
                target = desk if plan == "ct24-mot-cua" else ubnd
                count = subjects if subjects is not None else (3 if plan != "ct24-cong-chuc" else 4)
                place = ward.name[0].lower() + ward.name[1:]  # "phường Hoàn Kiếm" after a post title
                if plan == "ct24-mot-cua":
                    specs = [SubjectSpec(desk.name, "Tập thể bộ phận một cửa", False, "collective")]
                    specs += self._people(desk, place, max(0, count - 1), leadership=False)
                else:
                    specs = self._people(ubnd, place, count, leadership=(plan == "ct24-lanh-dao"))
                day = start_day + timedelta(days=(n * 3) % 240)
                insp = self.s.inspections.create(InspectionDraft(
                    decision_no=f"{100 + n}/QĐ-ĐKT",
                    decision_date=day.isoformat(),
                    decision_issuer=("Ban Thường vụ Thành ủy Hà Nội" if n % 2
                                     else "Chủ tịch Ủy ban nhân dân thành phố Hà Nội"),
                    unit_id=target.id,
                    checklist_id=checklist.id,
                    checklist_version=checklist.version,
                    kind="surprise" if n % 4 else "regular",
                    regime="party" if n % 2 else "state",
                    team_id=(party_team if n % 2 else state_team).id,
                    planned_date=(day + timedelta(days=2)).isoformat(),
                    location=target.address or target.name,
                    subjects=specs,
                ))
                stage = n % 5  # 0 draft, 1 half-done, 2-4 finished
                if stage == 0:
                    continue
                begin = datetime.combine(day + timedelta(days=2), datetime.min.time(),
                                         VIETNAM_TZ) + timedelta(hours=8, minutes=rng.randint(0, 40))
                self.s.inspections.start(insp.id, begin)
                share = 0.5 if stage == 1 else 1.0
                self._record(insp.id, checklist.items, insp.subjects, share, photos, ward.name)
                if stage >= 2:
                    self.s.inspections.set_explanation(insp.id, rng.choice(EXPLANATIONS))
                    self.s.inspections.set_remarks(
                        insp.id, "Đơn vị cơ bản chấp hành tốt giờ giấc và quy tắc ứng xử; còn một số"
                                 " hạn chế trong giải quyết hồ sơ đúng hạn và niêm yết thủ tục.")
                    self.s.inspections.finish(insp.id, begin + timedelta(hours=3, minutes=rng.randint(0, 50)))
                    self._requirements(insp.id, ubnd.id, day)
                if n % 11 == 10:
                    self.s.inspections.archive(insp.id)
        return DemoSummary(units=len(self.s.registry.units()), people=len(self.s.registry.people()),
                           inspections=inspections, findings=self.findings, evidence=self.evidence,
                           requirements=self.requirements)

    def _state_team(self, city: Unit) -> Team:
        """Its people come from a generator of their own, so the main sequence (and every name the
        benchmarks and tests have seen) stays as it was before this team existed."""
        rng = random.Random(f"state-team-{self.seed}")
        reg = self.s.registry
        snv = reg.add_unit("Sở Nội vụ thành phố Hà Nội", "agency", parent_id=city.id)
        members = []
        for pos, role, lead in (("Phó Giám đốc Sở Nội vụ", "leader", True),
                                ("Trưởng phòng Công chức, viên chức", "deputy", True),
                                ("Chuyên viên Sở Nội vụ", "secretary", False)):
            name, honorific = _person(rng)
            person = reg.add_person(name, position=pos, unit_id=snv.id, holds_leadership=lead, honorific=honorific)
            members.append(MemberSpec(person.id, role))
        return reg.add_team("Đoàn kiểm tra công vụ số 2", issuing_body="Đoàn kiểm tra công vụ",
                            superior_body="UBND thành phố Hà Nội", issuing_abbr="ĐKTCV", superior_abbr="UBND",
                            members=members)

    def _record(self, inspection_id: str, items: tuple[ChecklistItem, ...], subjects: tuple[Subject, ...], share: float,
                photos: int, place: str) -> None:
        rng = self.rng
        cells = [(i, s) for i in items for s in subjects]
        notable = []
        for item, subject in cells[: int(len(cells) * share)]:
            roll = rng.random()
            level = 0 if roll < 0.8 else 1 if roll < 0.92 else 2 if roll < 0.98 else 3
            note = self._note(item, level)
            change = self.s.findings.record(inspection_id, item.code, subject.id, level=level, note=note)
            self.findings += 1
            if level >= 2:
                notable.append((change.finding_id, item.code, subject.name))
        for finding_id, code, who in notable[:photos]:
            stamp = f"{place} — {rng.randint(8, 11):02d}:{rng.randint(0, 59):02d}"
            data = evidence_image(rng, f"Minh chứng {code}", who, stamp)
            self.s.evidence.attach_bytes(inspection_id, data, f"anh-{code.lower()}-{self.evidence + 1}.jpg",
                                         finding_id=finding_id, caption=f"Ảnh chụp tại nơi làm việc ({code})")
            self.evidence += 1

    def _note(self, item: ChecklistItem, level: int) -> str:
        """A note that fits the item: what the team saw, in the words of the item's level."""
        return item.level_text(level) if level else ""

    def _requirements(self, inspection_id: str, unit_id: str, day: date) -> None:
        specs = [
            RequirementSpec("Tổ chức kiểm điểm tập thể, cá nhân có liên quan đến các hạn chế đã nêu.",
                            responsible_unit_id=unit_id, deadline=(day + timedelta(days=30)).isoformat(),
                            report_back_date=(day + timedelta(days=35)).isoformat()),
            RequirementSpec("Rà soát, cập nhật niêm yết thủ tục hành chính và mức phí, lệ phí.",
                            responsible_unit_id=unit_id, deadline=(day + timedelta(days=15)).isoformat(),
                            report_back_date=(day + timedelta(days=20)).isoformat()),
        ]
        for spec in specs:
            self.s.requirements.add(inspection_id, spec)
            self.requirements += 1


def load_demo(services: Services, *, inspections: int = 6, subjects: int | None = None,
              photos: int = 2, seed: int = 24) -> DemoSummary:
    return DemoBuilder(services, seed).build(inspections, subjects, photos)
