"""The style table's values as typed, frozen data (see styles.py for loading, README for the format).

Every length is in points; the JSON file gives them in mm or pt as its key names say.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reportlab.lib.units import mm

A4_WIDTH_MM = 210.0

# Label key → the placeholders its text may use.
LABELS: dict[str, frozenset[str]] = {
    key: frozenset() for key in (
        "composition", "team", "unit_representatives", "others", "scope", "results",
        "evidence_lines", "explanation", "remarks", "strengths", "shortcomings",
        "immediate_requests", "nothing", "missing_section", "not_assessed", "conclusion_strengths",
        "conclusion_shortcomings", "conclusion_causes", "conclusion_requirements",
        "conclusion_follow_up", "requirements_number", "requirements_content",
        "requirements_responsible", "requirements_deadline", "matrix_title", "matrix_code",
        "matrix_item", "matrix_not_assessed", "matrix_legend", "evidence_title", "evidence_number",
        "evidence_thumbnail", "evidence_description", "evidence_no_thumbnail",
    )
} | {
    "refusal": frozenset({"who", "reason"}),
    "requirements_report_back": frozenset({"date"}),
    "appendix_label": frozenset({"roman"}),
    "appendix_reference": frozenset({"type", "number", "date", "issuer"}),
    "conclusion_summary": frozenset({"body", "kind", "unit"}),
    "notice_summary": frozenset({"body", "kind", "unit"}),
    "matrix_part": frozenset({"part", "parts", "first", "last"}),
    "evidence_captured": frozenset({"time"}),
    "evidence_hash": frozenset({"sha256"}),
}


@dataclass(frozen=True)
class FontSpec:
    """A text style; sizes in points."""

    size: float
    leading: float
    bold: bool = False
    italic: bool = False
    underline: bool = False


@dataclass(frozen=True)
class PageStyle:
    """Margins and page numbers; lengths in points."""

    margin_top: float
    margin_bottom: float
    margin_left: float
    margin_right: float
    number_from_top: float
    number: FontSpec
    appendix_restarts_numbering: bool


@dataclass(frozen=True)
class BodyStyle:
    font: FontSpec
    first_line_indent: float
    space_before: float
    space_after: float


@dataclass(frozen=True)
class NationalLine:
    """One line of the right header column; `rule` is the rule length as a fraction of the text."""

    text: str
    font: FontSpec
    rule: float


@dataclass(frozen=True)
class HeaderStyle:
    left_width: float
    right_width: float
    national: tuple[NationalLine, ...]
    superior: FontSpec
    issuing: FontSpec
    shrink_min: float
    issuing_rule: float
    issuing_mark: str
    number: FontSpec
    number_prefix: str
    number_pattern: str
    number_blank: float
    place_date: FontSpec
    place_date_pattern: str
    blank_date: str
    rule_width: float
    rule_gap: float
    space_after: float


@dataclass(frozen=True)
class TitleStyle:
    type: FontSpec
    summary: FontSpec
    summary_rule: float
    summary_mark: str
    space_after: float


@dataclass(frozen=True)
class BasisStyle:
    font: FontSpec
    prefix: str
    separator: str
    terminator: str
    first_line_indent: float
    space_before: float


@dataclass(frozen=True)
class HeadingStyle:
    section: FontSpec
    section_pattern: str
    section_upper: bool
    clause: FontSpec
    clause_pattern: str
    point: FontSpec
    point_pattern: str
    indent: float
    space_before: float


@dataclass(frozen=True)
class ListStyle:
    prefix: str
    separator: str
    terminator: str
    participant_separator: str
    honorific: str  # every person's honorific in this regime (Party "đồng chí"); "" = each person's own


@dataclass(frozen=True)
class SignatureStyle:
    authority: FontSpec
    position: FontSpec
    name: FontSpec
    box_width: float
    box_height: float
    image_inset: float
    columns: Mapping[int, tuple[float, ...]]  # signer count → column widths (pt), left to right
    space_before: float
    authority_prefixes: Mapping[str, str]


@dataclass(frozen=True)
class RecipientsStyle:
    label: str
    label_font: FontSpec
    font: FontSpec
    prefix: str
    separator: str
    terminator: str
    conclusion_default: tuple[str, ...]  # {unit}, {issuer}, {abbr}: the list offered when none is given


@dataclass(frozen=True)
class TableSpec:
    font: FontSpec
    header_font: FontSpec
    grid: float
    padding: float
    requirements_columns: tuple[float, ...]  # TT | content | responsible | deadline


@dataclass(frozen=True)
class AppendixStyle:
    label: FontSpec
    title: FontSpec
    reference: FontSpec
    matrix_landscape: bool
    matrix_font: FontSpec
    matrix_header_font: FontSpec
    matrix_level_font: FontSpec
    matrix_code: float
    matrix_text: float
    matrix_subject: float
    matrix_header_height: float
    matrix_level_shades: tuple[float, ...]
    matrix_grid: float
    evidence_font: FontSpec
    evidence_hash_font: FontSpec
    evidence_thumb_width: float
    evidence_thumb_height: float


@dataclass(frozen=True)
class Style:
    """One regime's complete style table. Every length is in points."""

    regime: str
    name: str
    page: PageStyle
    body: BodyStyle
    header: HeaderStyle
    title: TitleStyle
    basis: BasisStyle
    headings: HeadingStyle
    lists: ListStyle
    signature: SignatureStyle
    recipients: RecipientsStyle
    table: TableSpec
    appendix: AppendixStyle
    labels: Mapping[str, str]

    @property
    def content_width(self) -> float:
        return float(A4_WIDTH_MM * mm - self.page.margin_left - self.page.margin_right)

    def label(self, key: str, **params: object) -> str:
        text = self.labels[key]
        return text.format(**params) if params else text
