"""The inspection minutes, rendered for real and read back: text, header, pages, signature boxes."""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import replace

import pytest
from reportlab.lib.units import mm

from inspector.documents import MinutesDocument, RenderedDocument, SignatureBlock, render_minutes
from inspector.documents.model import Regime
from inspector.errors import UserError
from tests.documents import builders
from tests.documents.builders import flat, pdftotext

A4_W, A4_H = 595.2756, 841.8898
TOLERANCE = 0.5


@pytest.fixture(scope="module", params=["state", "party"])
def regime(request: pytest.FixtureRequest) -> Regime:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def drawn() -> bytes:
    return builders.signature_png()


@pytest.fixture(scope="module")
def doc(regime: Regime, drawn: bytes) -> MinutesDocument:
    return builders.minutes(regime, drawn=drawn)


@pytest.fixture(scope="module")
def rendered(doc: MinutesDocument) -> RenderedDocument:
    return render_minutes(doc)


def test_text_contains_the_source_strings_in_nfc(doc: MinutesDocument, rendered: RenderedDocument) -> None:
    text = pdftotext(rendered.pdf)
    assert unicodedata.is_normalized("NFC", text)
    assert not any(unicodedata.combining(c) for c in text)
    body = flat(text)
    for expected in (builders.LEADER, builders.UNIT_REP, builders.SECRETARY, "BIÊN BẢN", builders.SUMMARY,
                     builders.BASIS_DIRECTIVE, builders.FINDING_NOTE, "Thường trực Thành ủy (để báo cáo);"):
        assert expected in body, expected
    # Nobody is "Ông/Bà": the regime's honorific (Party) or the person's own, else the bare name.
    refusal = ("Đồng chí Đỗ Minh Quyết" if doc.header.regime == "party" else "Đỗ Minh Quyết") + " không ký biên bản"
    assert refusal in body and "Ông/Bà" not in body


def test_state_header(rendered: RenderedDocument, regime: Regime) -> None:
    head = flat(pdftotext(rendered.pdf, first=1, last=1, crop=(0, 0, A4_W, 130)))
    if regime == "state":
        for expected in ("UBND THÀNH PHỐ HÀ NỘI", "ĐOÀN KIỂM TRA CÔNG VỤ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                         "Độc lập - Tự do - Hạnh phúc", "Số: 05/BB-ĐKT"):
            assert expected in head
        assert "ĐẢNG CỘNG SẢN" not in head
    else:
        for expected in ("THÀNH ỦY HÀ NỘI", "ĐOÀN KIỂM TRA SỐ 3", "ĐẢNG CỘNG SẢN VIỆT NAM", "*", "Số 05-BB/ĐKT"):
            assert expected in head
        assert "CỘNG HÒA" not in head and "Số:" not in head
    assert "ngày" not in head  # minutes carry no place-and-date line (ND30 Mẫu 1.9)


def test_legal_basis_punctuation_follows_the_regime(rendered: RenderedDocument, regime: Regime) -> None:
    body = flat(pdftotext(rendered.pdf, first=1, last=1))
    prefix = "- " if regime == "party" else ""
    assert f"{prefix}{builders.BASIS_DIRECTIVE};" in body
    assert f"{prefix}Căn cứ Kế hoạch số 12/KH-ĐKT ngày 02/8/2024 của Đoàn kiểm tra." in body


def test_blank_number_variant(regime: Regime) -> None:
    rendered = render_minutes(builders.minutes(regime, number="", items=0, photos=0))
    head = pdftotext(rendered.pdf, first=1, last=1, crop=(0, 0, A4_W, 130), layout=True)
    line = next(ln for ln in head.splitlines() if "Số" in ln)
    if regime == "state":
        assert "Số:" in line and "/BB-ĐKT" in line and "05" not in line
        between = line.split("Số:")[1].split("/BB-ĐKT")[0]
    else:
        assert "-BB/ĐKT" in line and "05" not in line
        between = line.split("Số")[1].split("-BB/ĐKT")[0]
    assert len(between) >= 3 and not between.strip()


def test_page_numbers_from_page_two(rendered: RenderedDocument) -> None:
    assert rendered.page_count >= 3
    top = (0, 0, A4_W, 20 * mm)
    assert pdftotext(rendered.pdf, first=1, last=1, crop=top).strip() == ""
    assert pdftotext(rendered.pdf, first=2, last=2, crop=top).strip() == "2"
    assert pdftotext(rendered.pdf, first=3, last=3, crop=top).strip() == "3"


def test_pages_are_not_blank(rendered: RenderedDocument) -> None:
    pages = builders.render_pages(rendered.pdf, dpi=30)
    assert len(pages) == rendered.page_count
    for image in pages:
        dark = sum(image.convert("L").histogram()[:128])
        assert dark > 100


def test_signature_boxes(doc: MinutesDocument, rendered: RenderedDocument) -> None:
    fields = {f.name: f for f in rendered.fields}
    assert list(fields) == [b.field_name for b in doc.signatures]
    pages = {f.page_index for f in rendered.fields}
    assert len(pages) == 1
    page = pages.pop()
    # The boxes are on the last page of the body: the appendices start on the next page.
    assert page < rendered.page_count - 1
    boxes = [f.box for f in rendered.fields]
    for x1, y1, x2, y2 in boxes:
        assert x2 - x1 == pytest.approx(45 * mm, abs=TOLERANCE)
        assert y2 - y1 == pytest.approx(25 * mm, abs=TOLERANCE)
        assert 30 * mm - TOLERANCE <= x1 and x2 <= A4_W - 15 * mm + TOLERANCE
        assert 20 * mm - TOLERANCE <= y1 and y2 <= A4_H - 20 * mm + TOLERANCE
    for a, b in itertools.pairwise(boxes):
        assert a[2] <= b[0], "boxes overlap or are out of order"
    assert fields["Sig_DaiDienDonVi"].box[2] < fields["Sig_TruongDoan"].box[0]
    # The boxes line up and the leader's box leaves room on its left for the seal overlay.
    assert len({round(b[1], 1) for b in boxes}) == 1
    assert fields["Sig_TruongDoan"].box[0] - fields["Sig_ThuKy"].box[2] >= 12 * mm


def test_signature_blocks_read_in_the_regime_style(rendered: RenderedDocument, regime: Regime) -> None:
    page = next(iter({f.page_index for f in rendered.fields}))
    text = flat(pdftotext(rendered.pdf, first=page + 1, last=page + 1))
    assert "ĐẠI DIỆN ĐƠN VỊ ĐƯỢC KIỂM TRA" in text and "THƯ KÝ" in text and "TRƯỞNG ĐOÀN" in text
    if regime == "party":
        assert "T/M ĐOÀN KIỂM TRA" in text
    # Never alone on a page: the closing lines share the page with the signatures.
    assert "không ký biên bản" in text


def test_drawn_signature_lands_inside_its_box(rendered: RenderedDocument) -> None:
    leader = next(f for f in rendered.fields if f.name == "Sig_TruongDoan")
    images = builders.placed_images(rendered.pdf, leader.page_index)
    with_alpha = [box for _, box, smask in images if smask]
    assert len(with_alpha) == 1
    x1, y1, x2, y2 = with_alpha[0]
    bx1, by1, bx2, by2 = leader.box
    assert bx1 - TOLERANCE <= x1 < x2 <= bx2 + TOLERANCE and by1 - TOLERANCE <= y1 < y2 <= by2 + TOLERANCE
    # And it is really blue there once rasterised (pdftoppm at 72 dpi: 1 px = 1 pt).
    image = builders.render_pages(rendered.pdf)[leader.page_index]
    height = image.height
    blue = [(x, y) for x in range(int(bx1) - 5, int(bx2) + 5) for y in range(int(height - by2) - 5,
                                                                                int(height - by1) + 5)
            if (lambda p: p[2] > 150 and p[0] < 100)(image.getpixel((x, y)))]
    assert len(blue) > 50
    xs, ys = [p[0] for p in blue], [p[1] for p in blue]
    assert bx1 - 1 <= min(xs) and max(xs) <= bx2 + 1
    assert height - by2 - 1 <= min(ys) and max(ys) <= height - by1 + 1


def test_two_signers_and_one_signer(regime: Regime) -> None:
    two = render_minutes(builders.minutes(regime, secretary=False, items=0, photos=0))
    assert [f.name for f in two.fields] == ["Sig_DaiDienDonVi", "Sig_TruongDoan"]
    left, right = two.fields
    assert left.box[2] <= right.box[0] - 20 * mm
    single = builders.minutes(regime, items=0, photos=0)
    one = render_minutes(replace(single, signatures=single.signatures[-1:]))
    (only,) = one.fields
    assert only.box[0] > 85 + 70 * mm  # the right-hand column


def test_signature_never_alone_on_a_page() -> None:
    """Whatever the length of the results, the closing lines stay with the signatures."""
    for count in range(0, 9):
        rendered = render_minutes(builders.minutes("state", items=0, photos=0, results=count))
        page = rendered.fields[0].page_index
        text = flat(pdftotext(rendered.pdf, first=page + 1, last=page + 1))
        assert "Đỗ Minh Quyết không ký biên bản" in text, count
        assert "Biên bản được lập thành 02 bản" in text, count


def test_unknown_authority_for_the_regime_is_a_user_error() -> None:
    doc = builders.minutes("party", items=0, photos=0)
    acting = SignatureBlock("Sig_TruongDoan", "Trưởng đoàn", builders.LEADER, authority="acting",
                            authority_body="Đoàn kiểm tra")
    with pytest.raises(UserError) as caught:
        render_minutes(replace(doc, signatures=(*doc.signatures[:-1], acting)))
    assert "acting" in caught.value.render()


def test_damaged_drawn_signature_is_a_user_error() -> None:
    with pytest.raises(UserError) as caught:
        render_minutes(builders.minutes("state", items=0, photos=0, drawn=b"not an image"))
    assert builders.LEADER in caught.value.render()


def test_without_optional_parts() -> None:
    doc = builders.minutes("state", items=0, photos=0, results=0)
    bare = replace(doc, others=(), unit_representatives=(), subjects_text=(), content_intro=(), explanation=(),
                   strengths=(), shortcomings=(), immediate_requests=(), refusals=(), recipients=())
    rendered = render_minutes(bare)
    text = flat(pdftotext(rendered.pdf))
    assert "Không có ý kiến." in text and "Nơi nhận" not in text and "Phụ lục" not in text
    assert len(rendered.fields) == 3
