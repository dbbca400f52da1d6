"""Per-regime style tables (resources/styles/<regime>.json): read, validated, converted to points.

Sizes, spacing, fixed header strings, prefixes and label texts differ between the State regime
(Decree 30/2020) and the Party regime (HD 36 / HD 05), and the Party rules are still moving, so
they are data. Every problem in a file is reported at once, with its field path, in Vietnamese.
The format is documented in resources/styles/README.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reportlab.lib.units import mm

from inspector.documents.jsonreader import JsonReader as _Reader
from inspector.documents.stylemodel import (
    LABELS,
    AppendixStyle,
    BasisStyle,
    BodyStyle,
    FontSpec,
    HeaderStyle,
    HeadingStyle,
    ListStyle,
    NationalLine,
    PageStyle,
    RecipientsStyle,
    SignatureStyle,
    Style,
    TableSpec,
    TitleStyle,
)
from inspector.errors import Problem, ValidationError
from inspector.paths import resources_dir

__all__ = ["STYLE_FORMAT", "STYLE_VERSION", "FontSpec", "Style", "load_style", "load_style_file",
           "parse_style", "style_path"]

STYLE_FORMAT = "inspector-document-style"
STYLE_VERSION = 1


def style_path(regime: str, directory: Path | None = None) -> Path:
    return (directory or resources_dir() / "styles") / f"{regime}.json"


def load_style(regime: str, directory: Path | None = None) -> Style:
    """The bundled (or `directory`'s) style table for a regime, validated."""
    return load_style_file(style_path(regime, directory), expect_regime=regime)


def load_style_file(path: Path, *, expect_regime: str | None = None) -> Style:
    source = path.name
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(source, [Problem("", "không đọc được tệp: {reason}",
                                               {"reason": exc.strerror or str(exc)})]) from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationError(source, [Problem(f"dòng {exc.lineno}, cột {exc.colno}",
                                               "JSON không hợp lệ: {reason}", {"reason": exc.msg})]) from exc
    return parse_style(data, source=source, expect_regime=expect_regime)


def parse_style(data: Any, *, source: str = "style", expect_regime: str | None = None) -> Style:
    problems: list[Problem] = []
    root = _Reader(data, "", problems)
    fmt = root.text("format")
    if fmt and fmt != STYLE_FORMAT:
        root.problem("format", "phải là “{expected}”", expected=STYLE_FORMAT)
    version = root.number("version", 1, 1000)
    if version != STYLE_VERSION:
        root.problem("version", "phiên bản {version} chưa được hỗ trợ (hỗ trợ: {supported})",
                     version=version, supported=STYLE_VERSION)
    regime = root.text("regime")
    if regime not in ("party", "state"):
        root.problem("regime", "phải là “party” hoặc “state”")
    elif expect_regime and regime != expect_regime:
        root.problem("regime", "tệp dành cho “{found}”, cần “{expected}”", found=regime,
                     expected=expect_regime)
    style = Style(
        regime=regime,
        name=root.text("name"),
        page=_page(root.obj("page")),
        body=_body(root.obj("body")),
        header=_header(root.obj("header")),
        title=_title(root.obj("title")),
        basis=_basis(root.obj("basis")),
        headings=_headings(root.obj("headings")),
        lists=_lists(root.obj("lists")),
        signature=_signature(root.obj("signature")),
        recipients=_recipients(root.obj("recipients")),
        table=_table(root.obj("table")),
        appendix=_appendix(root.obj("appendix")),
        labels=_labels(root.obj("labels")),
    )
    root.finish()
    if not problems:
        _check_geometry(style, root)
    if problems:
        raise ValidationError(source, problems, hint="Sửa bảng kiểu văn bản theo resources/styles/README.md.")
    return style


def _page(r: _Reader) -> PageStyle:
    page = PageStyle(
        margin_top=r.length("margin_top_mm", 5, 60),
        margin_bottom=r.length("margin_bottom_mm", 5, 60),
        margin_left=r.length("margin_left_mm", 5, 60),
        margin_right=r.length("margin_right_mm", 5, 60),
        number_from_top=r.length("number_from_top_mm", 3, 30),
        number=r.font("number"),
        appendix_restarts_numbering=r.boolean("appendix_restarts_numbering"),
    )
    r.finish()
    return page


def _body(r: _Reader) -> BodyStyle:
    body = BodyStyle(font=r.font("font"), first_line_indent=r.length("first_line_indent_mm", 0, 30),
                     space_before=r.number("space_before_pt", 0, 48),
                     space_after=r.number("space_after_pt", 0, 48))
    r.finish()
    return body


def _header(r: _Reader) -> HeaderStyle:
    national = []
    for line in r.objects("national"):
        national.append(NationalLine(text=line.text("text"), font=line.font("font"),
                                     rule=line.number("rule", 0, 1)))
        line.finish()
    header = HeaderStyle(
        left_width=r.length("left_width_mm", 30, 150),
        right_width=r.length("right_width_mm", 30, 150),
        national=tuple(national),
        superior=r.font("superior"),
        issuing=r.font("issuing"),
        shrink_min=r.number("shrink_min_pt", 5, 40),
        issuing_rule=r.number("issuing_rule", 0, 1),
        issuing_mark=r.text("issuing_mark", allow_empty=True),
        number=r.font("number"),
        number_prefix=r.text("number_prefix"),
        number_pattern=r.text("number_pattern", placeholders={"number", "doc_type", "body"}),
        number_blank=r.length("number_blank_mm", 3, 40),
        place_date=r.font("place_date"),
        place_date_pattern=r.text("place_date_pattern", placeholders={"place", "date"}),
        blank_date=r.text("blank_date"),
        rule_width=r.number("rule_width_pt", 0.1, 3),
        rule_gap=r.number("rule_gap_pt", 0, 12),
        space_after=r.number("space_after_pt", 0, 72),
    )
    r.finish()
    return header


def _title(r: _Reader) -> TitleStyle:
    title = TitleStyle(type=r.font("type"), summary=r.font("summary"),
                       summary_rule=r.number("summary_rule", 0, 1),
                       summary_mark=r.text("summary_mark", allow_empty=True),
                       space_after=r.number("space_after_pt", 0, 72))
    r.finish()
    return title


def _basis(r: _Reader) -> BasisStyle:
    basis = BasisStyle(font=r.font("font"), prefix=r.text("prefix", allow_empty=True),
                       separator=r.text("separator", allow_empty=True),
                       terminator=r.text("terminator", allow_empty=True),
                       first_line_indent=r.length("first_line_indent_mm", 0, 30),
                       space_before=r.number("space_before_pt", 0, 48))
    r.finish()
    return basis


def _headings(r: _Reader) -> HeadingStyle:
    headings = HeadingStyle(
        section=r.font("section"),
        section_pattern=r.text("section_pattern", placeholders={"roman", "title"}),
        section_upper=r.boolean("section_upper"),
        clause=r.font("clause"),
        clause_pattern=r.text("clause_pattern", placeholders={"number", "title"}),
        point=r.font("point"),
        point_pattern=r.text("point_pattern", placeholders={"letter", "title"}),
        indent=r.length("indent_mm", 0, 30),
        space_before=r.number("space_before_pt", 0, 48),
    )
    r.finish()
    return headings


def _lists(r: _Reader) -> ListStyle:
    lists = ListStyle(prefix=r.text("prefix", allow_empty=True),
                      separator=r.text("separator", allow_empty=True),
                      terminator=r.text("terminator", allow_empty=True),
                      participant_separator=r.text("participant_separator"),
                      honorific=r.text("honorific", allow_empty=True))
    r.finish()
    return lists


def _signature(r: _Reader) -> SignatureStyle:
    columns: dict[int, tuple[float, ...]] = {}
    cols = r.obj("columns_mm")
    for count in (1, 2, 3):
        widths = cols.numbers(str(count), 20, 165)
        if widths and len(widths) != max(count, 2):
            cols.problem(str(count), "cần {n} độ rộng cột", n=max(count, 2))
        columns[count] = tuple(w * mm for w in widths)
    cols.finish()
    prefixes_reader = r.obj("authority_prefixes")
    prefixes = prefixes_reader.strings()
    signature = SignatureStyle(
        authority=r.font("authority"), position=r.font("position"), name=r.font("name"),
        box_width=r.length("box_width_mm", 20, 80), box_height=r.length("box_height_mm", 10, 60),
        image_inset=r.length("image_inset_mm", 0, 5), columns=columns,
        space_before=r.number("space_before_pt", 0, 72), authority_prefixes=prefixes,
    )
    r.finish()
    return signature


def _recipients(r: _Reader) -> RecipientsStyle:
    recipients = RecipientsStyle(label=r.text("label"), label_font=r.font("label_font"),
                                 font=r.font("font"), prefix=r.text("prefix", allow_empty=True),
                                 separator=r.text("separator", allow_empty=True),
                                 terminator=r.text("terminator", allow_empty=True),
                                 conclusion_default=tuple(r.texts("conclusion_default",
                                                                  placeholders={"unit", "issuer", "abbr"})))
    r.finish()
    return recipients


def _table(r: _Reader) -> TableSpec:
    columns = r.numbers("requirements_columns_mm", 5, 165)
    if columns and len(columns) != 4:
        r.problem("requirements_columns_mm", "cần đúng 4 độ rộng cột (TT, nội dung, trách nhiệm, thời hạn)")
    table = TableSpec(font=r.font("font"), header_font=r.font("header_font"),
                      grid=r.number("grid_pt", 0.1, 3), padding=r.number("padding_pt", 0, 12),
                      requirements_columns=tuple(c * mm for c in columns))
    r.finish()
    return table


def _appendix(r: _Reader) -> AppendixStyle:
    shades = r.numbers("matrix_level_shades", 0, 1)
    if shades and len(shades) != 4:
        r.problem("matrix_level_shades", "cần đúng 4 giá trị (mức 0, 1, 2, 3)")
    appendix = AppendixStyle(
        label=r.font("label"), title=r.font("title"), reference=r.font("reference"),
        matrix_landscape=r.boolean("matrix_landscape"),
        matrix_font=r.font("matrix_font"), matrix_header_font=r.font("matrix_header_font"),
        matrix_level_font=r.font("matrix_level_font"),
        matrix_code=r.length("matrix_code_mm", 8, 40), matrix_text=r.length("matrix_text_mm", 20, 150),
        matrix_subject=r.length("matrix_subject_mm", 5, 30),
        matrix_header_height=r.length("matrix_header_height_mm", 10, 80),
        matrix_level_shades=tuple(shades), matrix_grid=r.number("matrix_grid_pt", 0.1, 3),
        evidence_font=r.font("evidence_font"), evidence_hash_font=r.font("evidence_hash_font"),
        evidence_thumb_width=r.length("evidence_thumb_width_mm", 10, 80),
        evidence_thumb_height=r.length("evidence_thumb_height_mm", 10, 80),
    )
    r.finish()
    return appendix


def _labels(r: _Reader) -> dict[str, str]:
    labels = {key: r.text(key, placeholders=set(allowed)) for key, allowed in LABELS.items()}
    r.finish()
    return labels


def _check_geometry(style: Style, root: _Reader) -> None:
    """Cross-field rules: the header and signature columns must fit the text width."""
    width = style.content_width + 0.01
    if style.header.left_width + style.header.right_width > width:
        root.problem("header", "left_width_mm + right_width_mm vượt quá chiều rộng vùng chữ ({w} mm)",
                     w=round(style.content_width / mm, 1))
    if sum(style.table.requirements_columns) > width:
        root.problem("table.requirements_columns_mm", "tổng độ rộng vượt quá vùng chữ ({w} mm)",
                     w=round(style.content_width / mm, 1))
    for count, widths in style.signature.columns.items():
        if sum(widths) > width:
            root.problem(f"signature.columns_mm.{count}", "tổng độ rộng vượt quá vùng chữ ({w} mm)",
                         w=round(style.content_width / mm, 1))
        if any(w < style.signature.box_width for w in widths):
            root.problem(f"signature.columns_mm.{count}", "mỗi cột phải rộng ít nhất bằng ô chữ ký")
