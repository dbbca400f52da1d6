"""Style tables load, validate with precise messages, and drive the header strings."""

from __future__ import annotations

import json
from datetime import date, time
from pathlib import Path

import pytest
from reportlab.lib.units import mm

from inspector.documents import (
    Header,
    LevelMatrix,
    SignatureBlock,
    document_time,
    load_style,
    render_minutes,
)
from inspector.documents.blocks import Kit, punctuate, roman
from inspector.documents.fonts import register_fonts
from inspector.documents.styles import load_style_file, parse_style, style_path
from inspector.errors import BugError, ValidationError
from tests.documents import builders


def kit(regime: str) -> Kit:
    return Kit(load_style(regime), register_fonts())


def test_bundled_styles_load_with_the_brief_values() -> None:
    state, party = load_style("state"), load_style("party")
    for style in (state, party):
        assert (style.page.margin_top, style.page.margin_bottom) == pytest.approx((20 * mm, 20 * mm))
        assert (style.page.margin_left, style.page.margin_right) == pytest.approx((30 * mm, 15 * mm))
        assert style.content_width == pytest.approx(165 * mm)
        assert style.signature.box_width == pytest.approx(45 * mm)
        assert style.signature.box_height == pytest.approx(25 * mm)
        assert style.header.left_width == pytest.approx(65 * mm)
        assert style.header.right_width == pytest.approx(100 * mm)
    assert [line.text for line in state.header.national] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                                                             "Độc lập - Tự do - Hạnh phúc"]
    assert state.header.national[1].rule == 1.0
    assert [line.text for line in party.header.national] == ["ĐẢNG CỘNG SẢN VIỆT NAM"]
    assert party.header.issuing_mark == "*"
    assert state.signature.authority_prefixes["on_behalf"] == "TM."
    assert party.signature.authority_prefixes["on_behalf"] == "T/M"
    assert state.basis.font.italic and not party.basis.font.italic
    assert party.basis.prefix == "- "
    assert state.signature.position.bold and not party.signature.position.bold


@pytest.mark.parametrize(("regime", "number", "expected"), [
    ("state", "5", "05/BB-ĐKT"),
    ("state", "12", "12/BB-ĐKT"),
    ("party", "5", "05-BB/ĐKT"),
    ("party", "123", "123-BB/ĐKT"),
])
def test_number_and_symbol_follow_the_regime(regime: str, number: str, expected: str) -> None:
    k = kit(regime)
    assert k.number_symbol(builders.header(regime, number=number)) == expected  # type: ignore[arg-type]


def test_mixed_case_abbreviations_are_kept() -> None:
    header = Header("state", "UBND phường Hoàn Kiếm", "Văn phòng", "TTr", "VP", "7")
    assert kit("state").number_symbol(header) == "07/TTr-VP"


def test_blank_number_keeps_a_gap_for_the_clerk() -> None:
    state, party = kit("state"), kit("party")
    blank_state = state.number_symbol(builders.header("state", number=""))
    blank_party = party.number_symbol(builders.header("party", number=""))
    assert blank_state.strip("\u00a0") == "/BB-ĐKT" and blank_state.startswith("\u00a0" * 3)
    assert blank_party.strip("\u00a0") == "-BB/ĐKT" and blank_party.startswith("\u00a0" * 3)


def test_place_and_date_use_the_document_date_format() -> None:
    k = kit("state")
    assert k.place_date(builders.header("state", when=date(2023, 8, 7))) == "Hà Nội, ngày 07 tháng 8 năm 2023"
    assert k.place_date(builders.header("state", when=date(2024, 2, 3))) == "Hà Nội, ngày 03 tháng 02 năm 2024"
    assert "tháng" in k.place_date(builders.header("state", when=None))


def test_small_helpers() -> None:
    assert document_time(time(8, 5)) == "08 giờ 05 phút"
    assert [roman(n) for n in (1, 4, 9, 14)] == ["I", "IV", "IX", "XIV"]
    assert punctuate(["Căn cứ A;", "Căn cứ B.", " ", "Căn cứ C"], ";", ".", "- ") == [
        "- Căn cứ A;", "- Căn cứ B;", "- Căn cứ C."]


def _bad_style(tmp_path: Path, edit: dict[str, object], regime: str = "state") -> ValidationError:
    data = json.loads(style_path(regime).read_text("utf-8"))
    for dotted, value in edit.items():
        node = data
        *parents, last = dotted.split(".")
        for key in parents:
            node = node[key]
        if value is None:
            del node[last]
        else:
            node[last] = value
    path = tmp_path / f"{regime}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    with pytest.raises(ValidationError) as caught:
        load_style_file(path, expect_regime=regime)
    return caught.value


def test_invalid_style_lists_every_problem_with_its_path(tmp_path: Path) -> None:
    error = _bad_style(tmp_path, {
        "body.font.size_pt": 200,
        "header.number_pattern": "{number}/{kind}",
        "labels.refusal": None,
        "signature.box_widht_mm": 45,
        "page.margin_left_mm": "30",
    })
    where = {p.where for p in error.problems}
    assert {"body.font.size_pt", "header.number_pattern", "labels.refusal", "signature.box_widht_mm",
            "page.margin_left_mm"} <= where
    text = error.render()
    assert "state.json" in text and "{kind}" in text and "thiếu trường bắt buộc" in text


def test_style_geometry_and_regime_are_checked(tmp_path: Path) -> None:
    error = _bad_style(tmp_path, {"header.left_width_mm": 100, "signature.columns_mm": {
        "1": [70, 95], "2": [70, 95], "3": [40, 40, 85]}})
    messages = {p.where: p.message() for p in error.problems}
    assert "vùng chữ" in messages["header"]
    assert "ô chữ ký" in messages["signature.columns_mm.3"]
    error = _bad_style(tmp_path, {"regime": "party"})
    assert [p.where for p in error.problems] == ["regime"]


def test_broken_json_reports_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{\n  "format": "inspector-document-style",\n  oops\n}', "utf-8")
    with pytest.raises(ValidationError) as caught:
        load_style_file(path)
    assert caught.value.problems[0].where.startswith("dòng 3")


def test_style_must_be_an_object() -> None:
    with pytest.raises(ValidationError):
        parse_style([1, 2, 3])


def test_model_invariants() -> None:
    with pytest.raises(BugError):
        SignatureBlock("Sig.Truong Doan", "TRƯỞNG ĐOÀN", "A")
    with pytest.raises(BugError):
        LevelMatrix(("A",), ("a",), ("x",), {(0, 0): 4})
    with pytest.raises(BugError):
        LevelMatrix(("A",), ("a",), ("x",), {(1, 0): 1})
    with pytest.raises(BugError):
        Header("federal", "", "X", "BB", "ĐKT")  # type: ignore[arg-type]
    doc = builders.minutes("state")
    with pytest.raises(BugError):
        type(doc)(**{**doc.__dict__, "signatures": doc.signatures + doc.signatures[:1]})


def test_a_style_of_the_other_regime_is_refused() -> None:
    with pytest.raises(BugError):
        render_minutes(builders.minutes("state", items=0, photos=0), load_style("party"))
