"""The conclusion / notice of conclusion: header with place and date, sections, requirements table,
one signer beside the distribution list."""

from __future__ import annotations

import pytest
from reportlab.lib.units import mm

from inspector.documents import ConclusionDocument, RenderedDocument, render_conclusion
from inspector.documents.model import Regime
from tests.documents import builders
from tests.documents.builders import flat, pdftotext

A4_W = 595.2756


@pytest.fixture(scope="module", params=["state", "party"])
def regime(request: pytest.FixtureRequest) -> Regime:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def doc(regime: Regime) -> ConclusionDocument:
    return builders.conclusion(regime, requirements=12)


@pytest.fixture(scope="module")
def rendered(doc: ConclusionDocument) -> RenderedDocument:
    return render_conclusion(doc)


def test_header_and_title(rendered: RenderedDocument, regime: Regime) -> None:
    head = flat(pdftotext(rendered.pdf, first=1, last=1, crop=(0, 0, A4_W, 260)))
    assert "Hà Nội, ngày 20 tháng 8 năm 2024" in head
    if regime == "party":
        assert "Số 12-KL/TU" in head and "ĐẢNG CỘNG SẢN VIỆT NAM" in head and "KẾT LUẬN" in head
        assert "-----" in head
    else:
        assert "Số: 12/TB-SNV" in head and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in head
        assert "THÔNG BÁO" in head


def test_sections_requirements_and_signature(doc: ConclusionDocument, rendered: RenderedDocument,
                                             regime: Regime) -> None:
    text = flat(pdftotext(rendered.pdf))
    sep = "-" if regime == "party" else "."
    for n, title in enumerate(("ƯU ĐIỂM", "HẠN CHẾ, KHUYẾT ĐIỂM, VI PHẠM", "NGUYÊN NHÂN, TRÁCH NHIỆM",
                               "YÊU CẦU, KIẾN NGHỊ", "TỔ CHỨC THỰC HIỆN"), 1):
        assert f"{['I', 'II', 'III', 'IV', 'V'][n - 1]}{sep} {title}" in text
    assert "Thời hạn" in text and "ngày 16 tháng 9 năm 2024" in text
    assert "(báo cáo trước ngày 30 tháng 9 năm 2024)" in text
    assert doc.report_back_sentence in text
    assert builders.FINDING_NOTE in text
    if regime == "party":
        assert "T/M BAN THƯỜNG VỤ PHÓ BÍ THƯ" in text
        assert "- Lưu Văn phòng Thành ủy." in text
    else:
        assert "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC" in text
        assert "- Lưu: VT, TTr." in text


def test_requirements_table_repeats_its_heading(regime: Regime) -> None:
    rendered = render_conclusion(builders.conclusion(regime, requirements=25))
    pages = [flat(pdftotext(rendered.pdf, first=n, last=n)) for n in range(1, rendered.page_count + 1)]
    with_rows = [p for p in pages if "Rà soát, khắc phục" in p]
    assert len(with_rows) >= 2
    assert all("Nội dung yêu cầu" in p and "Thời hạn" in p for p in with_rows)
    assert "Ban Thường vụ Thành ủy yêu cầu:" in with_rows[0]  # the introduction stays with the table


def test_signature_field_beside_the_recipients(rendered: RenderedDocument) -> None:
    (field,) = rendered.fields
    assert field.name == "Sig_NguoiKy"
    assert field.page_index == rendered.page_count - 1
    x1, y1, x2, y2 = field.box
    assert (x2 - x1, y2 - y1) == (pytest.approx(45 * mm, abs=0.5), pytest.approx(25 * mm, abs=0.5))
    # Right column (70 mm from the margin): at least 20 mm free on its left for the seal overlay.
    assert x1 - (30 * mm + 70 * mm) >= 20 * mm
    page = flat(pdftotext(rendered.pdf, first=field.page_index + 1, last=field.page_index + 1))
    assert "Nơi nhận:" in page and builders.LEADER in page
    assert "Giao Ủy ban Kiểm tra Thành ủy theo dõi" in page  # the last body lines stay with it


def test_blank_number_and_date_for_the_clerk() -> None:
    doc = builders.conclusion("state", number="")
    blank = render_conclusion(doc.__class__(**{**doc.__dict__, "header": doc.header.__class__(
        **{**doc.header.__dict__, "date": None})}))
    head = pdftotext(blank.pdf, first=1, last=1, crop=(0, 0, A4_W, 130), layout=True)
    assert "/TB-SNV" in head and "12/TB" not in head
    assert "Hà Nội, ngày" in head and "tháng" in head and "2024" not in head
