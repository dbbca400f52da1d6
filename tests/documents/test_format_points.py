"""Every document of both regimes, rendered from a stored inspection as the app renders it, read
back with pdfplumber (text and positions) and checked against the format points of issue 12 and
document brief §8: symbols, who issues the conclusion, regime, distribution list, capitals,
blank dates, honorifics, punctuation, "./.", page count, one date style, findings as prose,
cells not assessed, appendix references, no orphan table row."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pytest
from reportlab.lib.units import mm

from inspector.documents import render_conclusion, render_minutes
from inspector.services.document_content import ConclusionDetails, MinutesDetails, build_conclusion, build_minutes
from inspector.services.inspections import InspectionDraft, SubjectSpec
from inspector.services.registry import MemberSpec
from inspector.services.requirements import RequirementSpec
from inspector.workspace import Services, Workspace
from tests.documents import builders
from tests.documents.builders import photo_jpeg

UNASSESSED_REASON = "Đối tượng nghỉ phép theo lịch, Đoàn sẽ kiểm tra bổ sung"


@dataclass(frozen=True)
class Rendered:
    regime: str
    minutes: bytes
    conclusion: bytes
    minutes_text: str
    conclusion_text: str


def _text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return "\n".join(page.extract_text() or "" for page in doc.pages)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _left_column(pdf: bytes, *, containing: str, width_mm: float) -> str:
    """Text of the left column (from the left edge to the margin + width_mm) of the first page
    holding `containing`: the header's issuing body, or the distribution list of the footer."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            if containing in (page.extract_text() or ""):
                return _flat(page.crop((0, 0, (30 + width_mm) * mm, page.height)).extract_text() or "")
    raise AssertionError(f"no page holds {containing!r}")


def _inspection(s: Services, regime: str) -> str:
    reg = s.registry
    city = reg.add_unit("Thành phố Hà Nội", "city")
    ward = reg.add_unit("Phường Cửa Nam", "ward", parent_id=city.id)
    unit = reg.add_unit("Ủy ban nhân dân phường Cửa Nam", "agency", parent_id=ward.id, address="Cửa Nam, Hà Nội")
    leader = reg.add_person("Hồ Thu Hà", position="Phó Chủ nhiệm Ủy ban Kiểm tra Thành ủy", honorific="Bà")
    secretary = reg.add_person("Dương Minh Mai", position="Chuyên viên", honorific="Ông")
    if regime == "party":
        # No abbreviation typed for the body that set the team up: the usual one is offered.
        team = reg.add_team("Đoàn kiểm tra số 3", issuing_body="Đoàn kiểm tra",
                            superior_body="Ủy ban Kiểm tra Thành ủy Hà Nội", issuing_abbr="ĐKT",
                            members=[MemberSpec(leader.id, "leader"), MemberSpec(secretary.id, "secretary")])
        issuer = "Ủy ban Kiểm tra Thành ủy Hà Nội"
    else:
        team = reg.add_team("Đoàn kiểm tra công vụ số 2", issuing_body="ĐOÀN KIỂM TRA CÔNG VỤ",
                            superior_body="UBND THÀNH PHỐ HÀ NỘI", issuing_abbr="ĐKTCV", superior_abbr="UBND",
                            members=[MemberSpec(leader.id, "leader"), MemberSpec(secretary.id, "secretary")])
        issuer = "Chủ tịch Ủy ban nhân dân thành phố Hà Nội"
    people = [reg.add_person(name, position=pos, unit_id=unit.id, holds_leadership=True, honorific=h)
              for name, pos, h in (("Lê Văn Nam", "Chủ tịch UBND phường", "Ông"),
                                   ("Trần Thị Lan", "Phó Chủ tịch UBND phường", "Bà"),
                                   ("Phạm Quang Dũng", "Phó Chủ tịch UBND phường", ""))]
    insp = s.inspections.create(InspectionDraft(
        decision_no="15/QĐ-UBKTTU" if regime == "party" else "15/QĐ-UBND", decision_date="2026-11-02",
        decision_issuer=issuer, unit_id=unit.id, checklist_id="ct24-lanh-dao", team_id=team.id,
        # The inspection says "state" for the Party team on purpose: the issuing body decides.
        regime="state", location="Trụ sở UBND phường Cửa Nam",
        subjects=[SubjectSpec(p.full_name, p.position, True, "person", p.id) for p in people]))
    s.inspections.start(insp.id, "2026-11-03T01:30:00Z")
    checklist = s.ctx.checklist(insp.summary.checklist_id, insp.summary.checklist_version)
    for i, item in enumerate(checklist.items):
        for j, subject in enumerate(insp.subjects):
            if j == 2 and i >= 30:
                continue  # the third subject is not assessed on the last items
            level = 2 if (i, j) == (3, 0) else 1 if (i + j) % 9 == 0 else 0
            note = "Có 03 hồ sơ chậm trả, chưa xin lỗi người dân." if level == 2 else ""
            change = s.findings.record(insp.id, item.code, subject.id, level=level, note=note)
            if level == 2:
                s.evidence.attach_bytes(insp.id, photo_jpeg(1), "anh-so-theo-doi.jpg", finding_id=change.finding_id,
                                        caption="Sổ theo dõi hồ sơ.")
    s.inspections.set_explanation(insp.id, "Đơn vị tiếp thu ý kiến của Đoàn kiểm tra.")
    s.inspections.set_remarks(insp.id, "Còn hồ sơ giải quyết chậm.")
    s.inspections.finish(insp.id, "2026-11-03T04:10:00Z")
    s.documents.set_minutes_details(insp.id, MinutesDetails(
        number="5", unit_representatives=(("Lê Văn Nam", "Chủ tịch UBND phường", "Ông"),),
        refusals=(("Phạm Quang Dũng", "đi công tác đột xuất"),), strengths="Chấp hành tốt giờ giấc."))
    for n in range(2):
        s.requirements.add(insp.id, RequirementSpec(f"Kiểm điểm trách nhiệm tập thể, cá nhân (nội dung {n + 1}).",
                                                    "Chủ tịch UBND phường Cửa Nam", "2026-12-15", "2026-12-20"))
    s.documents.set_conclusion_details(insp.id, ConclusionDetails(
        number="12", issue_date="" if regime == "party" else "2026-11-20", report_number="05/BC-ĐKT",
        report_date="2026-11-10", concluding_body="Ban Thường vụ Thành ủy Hà Nội" if regime == "party" else "",
        signer_authority="on_behalf", signer_authority_body="BAN THƯỜNG VỤ" if regime == "party" else "ỦY BAN NHÂN DÂN",
        signer_position="PHÓ BÍ THƯ" if regime == "party" else "CHỦ TỊCH", signer_name="Nguyễn Văn Hùng",
        strengths="Đơn vị chấp hành tốt.", shortcomings="Còn hồ sơ chậm.", causes="Người đứng đầu chưa kiểm tra.",
        follow_up="Giao Đoàn kiểm tra theo dõi việc thực hiện."))
    return insp.id


@pytest.fixture(scope="module", params=["party", "state"])
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rendered]:
    regime = request.param
    with Workspace.open(Path(tmp_path_factory.mktemp(regime)) / "data") as ws:
        s = ws.services
        inspection_id = _inspection(s, regime)
        content = s.documents.content(inspection_id)
        minutes = render_minutes(build_minutes(content, unassessed_reason=UNASSESSED_REASON)).pdf
        conclusion = render_conclusion(build_conclusion(content)).pdf
    yield Rendered(regime, minutes, conclusion, _text(minutes), _text(conclusion))


def _signer_column(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = next(p for p in doc.pages if "Nơi nhận:" in (p.extract_text() or ""))
        return _flat(page.crop(((30 + 70) * mm, 0, page.width, page.height)).extract_text() or "")


def test_symbols_are_tone_free_with_d_kept(rendered: Rendered) -> None:
    minutes, conclusion = _flat(rendered.minutes_text), _flat(rendered.conclusion_text)
    if rendered.regime == "party":
        assert "Số 05-BB/ĐKT" in minutes and "Số 12-KL/UBKTTU" in conclusion  # fallback: usual abbreviation
    else:
        assert "Số: 05/BB-ĐKTCV" in minutes and "Số: 12/TB-UBND" in conclusion
    for text in (rendered.minutes_text, rendered.conclusion_text):
        symbol = re.search(r"Số:? (\d+)[-/](BB|KL|TB)[-/](\S+)", text)
        assert symbol is not None and re.fullmatch(r"[A-ZĐ0-9]+", symbol.group(3)), symbol
    assert "Ủ" not in re.findall(r"Số:? \S+", rendered.conclusion_text)[0]


def test_conclusion_is_issued_by_the_body_that_set_up_the_team(rendered: Rendered) -> None:
    text = _flat(rendered.conclusion_text)
    head = _left_column(rendered.conclusion, containing="Số", width_mm=65)
    head = head[:head.index("Số")].strip()
    if rendered.regime == "party":
        assert head == "ỦY BAN KIỂM TRA THÀNH ỦY HÀ NỘI *"  # not the team: the body that set it up
        assert ("KẾT LUẬN của Ban Thường vụ Thành ủy Hà Nội về kết quả kiểm tra đột xuất đối với Ủy ban nhân dân phường"
                " Cửa Nam") in text
        assert ("Xét Báo cáo số 05/BC-ĐKT ngày 10 tháng 11 năm 2026 của Đoàn kiểm tra số 3, Ban Thường vụ Thành ủy"
                " Hà Nội kết luận như sau:") in text
        assert "T/M BAN THƯỜNG VỤ PHÓ BÍ THƯ" in _signer_column(rendered.conclusion)
    else:
        assert head == "UBND THÀNH PHỐ HÀ NỘI"
        assert "THÔNG BÁO Kết luận kiểm tra đột xuất đối với Ủy ban nhân dân phường Cửa Nam" in text
        assert ("Xét Báo cáo số 05/BC-ĐKT ngày 10 tháng 11 năm 2026 của Đoàn kiểm tra công vụ số 2, Chủ tịch Ủy ban"
                " nhân dân thành phố Hà Nội thông báo kết luận như sau:") in text
        assert "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH" in _signer_column(rendered.conclusion)


def test_regime_follows_the_issuing_body_and_distribution_list_its_form(rendered: Rendered) -> None:
    for text in (rendered.minutes_text, rendered.conclusion_text):
        if rendered.regime == "party":  # the inspection said "state": the Party body decides
            assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text and "CỘNG HÒA XÃ HỘI" not in text
        else:
            assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "ĐẢNG CỘNG SẢN" not in text
    recipients = _left_column(rendered.conclusion, containing="Nơi nhận:", width_mm=70)
    recipients = recipients[recipients.index("Nơi nhận:"):]
    assert "- Ủy ban nhân dân phường Cửa Nam (để thực hiện);" in recipients
    assert ("- Lưu Văn phòng Ủy ban Kiểm tra Thành ủy Hà Nội." in recipients if rendered.regime == "party"
            else "- Lưu: VT, UBND." in recipients)


def test_names_and_bodies_keep_their_capitals(rendered: Rendered) -> None:
    text = _flat(rendered.conclusion_text + " " + rendered.minutes_text)
    assert "Ủy ban nhân dân phường Cửa Nam" in text and "Ủy ban nhân dân phường cửa nam" not in text
    if rendered.regime == "party":
        assert "Ban Thường vụ Thành ủy Hà Nội" in text and "Ban thường vụ" not in text
    assert "Đoàn kiểm tra công vụ" not in text.replace("Đoàn kiểm tra công vụ số 2", "")  # never re-cased


def test_blank_date_leaves_room_to_write(rendered: Rendered) -> None:
    with pdfplumber.open(io.BytesIO(rendered.conclusion)) as doc:
        words = doc.pages[0].extract_words()
    line = [w for w in words if w["top"] < 150 * 72 / 25.4 and w["text"] in ("ngày", "tháng", "năm")]
    if rendered.regime == "party":  # no issue date: the clerk writes it in
        day, month, year = (next(w for w in line if w["text"] == t) for t in ("ngày", "tháng", "năm"))
        assert month["x0"] - day["x1"] >= 8 * mm and year["x0"] - month["x1"] >= 8 * mm
        assert "năm 20…" in _flat(rendered.conclusion_text)
    else:
        assert "Hà Nội, ngày 20 tháng 11 năm 2026" in _flat(rendered.conclusion_text)


def test_honorifics_come_from_data(rendered: Rendered) -> None:
    text = _flat(rendered.minutes_text)
    assert "Ông/Bà" not in text + rendered.conclusion_text
    if rendered.regime == "party":
        assert "- Đồng chí Hồ Thu Hà – Phó Chủ nhiệm Ủy ban Kiểm tra Thành ủy – Trưởng đoàn;" in text
        assert "Đồng chí Phạm Quang Dũng không ký biên bản." in text
    else:
        assert "- Bà Hồ Thu Hà – Phó Chủ nhiệm Ủy ban Kiểm tra Thành ủy – Trưởng đoàn;" in text
        assert "1. Ông Lê Văn Nam – Chủ tịch UBND phường" in text
        assert "3. Phạm Quang Dũng – Phó Chủ tịch UBND phường" in text  # no honorific recorded: the name alone
        assert "Phạm Quang Dũng không ký biên bản." in text


def test_punctuation_and_the_end_mark(rendered: Rendered) -> None:
    for text in (_flat(rendered.minutes_text), _flat(rendered.conclusion_text)):
        assert not re.search(r"(?<![.…])\.\.(?![.…])", text), re.search(r".{30}\.\..{10}", text)
        assert ".;" not in text and ";." not in text and ",." not in text
        assert text.count("./.") == 1
    minutes = _flat(rendered.minutes_text)
    assert "đơn vị được kiểm tra giữ 01 bản./." in minutes
    assert "Giao Đoàn kiểm tra theo dõi việc thực hiện./." in _flat(rendered.conclusion_text)


def test_multi_page_minutes_carry_their_page_count(rendered: Rendered) -> None:
    with pdfplumber.open(io.BytesIO(rendered.minutes)) as doc:
        pages = [page.extract_text() or "" for page in doc.pages]
    body_pages = next(n for n, text in enumerate(pages) if "KẾT QUẢ NHẬN DIỆN BIỂU HIỆN" in text)
    assert body_pages > 1
    assert f"Biên bản gồm {body_pages:02d} trang (không kể phụ lục)." in _flat(rendered.minutes_text)


def test_one_date_style(rendered: Rendered) -> None:
    for text in (rendered.minutes_text, rendered.conclusion_text):
        assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{4}\b", text), re.search(r".{20}\d{1,2}/\d{1,2}/\d{4}", text)
    assert "ngày 03 tháng 11 năm 2026" in _flat(rendered.minutes_text)


def test_findings_are_prose_and_unassessed_cells_are_listed_as_such(rendered: Rendered) -> None:
    text = _flat(rendered.minutes_text)
    body = text[:text.index("KẾT QUẢ NHẬN DIỆN BIỂU HIỆN")]
    assert not re.search(r"\b[A-Z]{2}-\d{2}\b[^()]{0,30}mức \d", body)  # no "LD-04 … mức 2" dumps
    assert re.search(r"Về nội dung “[^”]+”: (ông|đồng chí) Lê Văn Nam có biểu hiện ở mức 2 \(", body)
    assert "Đoàn ghi nhận: Có 03 hồ sơ chậm trả, chưa xin lỗi người dân." in body
    assert "chưa được đánh giá (không được coi là không có biểu hiện)" in body
    assert re.search(r"(Phạm Quang Dũng|Đồng chí Phạm Quang Dũng): 11 nội dung \(LD-31", body)
    assert f"Lý do chưa đánh giá: {UNASSESSED_REASON}." in body
    assert "không phát hiện biểu hiện đối với các đối tượng đã được đánh giá" in body


def test_appendix_references_carry_number_date_and_issuer(rendered: Rendered) -> None:
    minutes, conclusion = _flat(rendered.minutes_text), _flat(rendered.conclusion_text)
    symbol = "05-BB/ĐKT" if rendered.regime == "party" else "05/BB-ĐKTCV"
    team = "Đoàn kiểm tra số 3" if rendered.regime == "party" else "Đoàn kiểm tra công vụ số 2"
    assert minutes.count(f"(Kèm theo Biên bản số {symbol} ngày 03 tháng 11 năm 2026 của {team})") == 2
    if rendered.regime == "state":
        assert ("(Kèm theo Thông báo số 12/TB-UBND ngày 20 tháng 11 năm 2026 của Chủ tịch Ủy ban nhân dân thành phố"
                " Hà Nội)") in conclusion


def _matrix_rows_per_page(pdf: bytes) -> list[int]:
    counts = []
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        started = False
        for page in doc.pages:
            text = page.extract_text() or ""
            started = started or "KẾT QUẢ NHẬN DIỆN" in text
            if "DANH MỤC TÀI LIỆU" in text:
                break
            if started:
                counts.append(len(re.findall(r"^\s*[A-Z]{2}-\d\d\b", text, re.M)))
    return counts


def test_no_matrix_page_holds_a_single_orphan_row() -> None:
    """32 items × 4 subjects left one row alone on the last page before rows were kept in pairs."""
    counts = _matrix_rows_per_page(render_minutes(builders.minutes("state", items=32, subjects=4, photos=0)).pdf)
    assert len(counts) >= 2 and sum(counts) == 32 and min(counts) >= 2, counts
