"""The story of the conclusion (kết luận / thông báo kết luận kiểm tra), block by block (§8.3)."""

from __future__ import annotations

from datetime import date
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer

from inspector.documents.blocks import Kit, end_mark, split_paragraphs
from inspector.documents.model import ConclusionDocument, RequirementRow
from inspector.text import document_date

KEEP_WITH_SIGNATURE = 2
MIN_TABLE_START = 240.0  # pt: heading + intro + table heading + the two rows kept together


def _ended(story: list[Flowable], kit: Kit, paragraphs: list[str], last: bool) -> None:
    if last and paragraphs:
        paragraphs = [*paragraphs[:-1], end_mark(paragraphs[-1])]
    story.extend(kit.body(p) for p in paragraphs)


def conclusion_story(kit: Kit, doc: ConclusionDocument) -> list[Flowable]:
    """Sections I–IV are always printed, in order, even when empty (a placeholder says so and
    signing is refused upstream), so nothing is renumbered; V (follow-up) only when written."""
    label = kit.style.label
    missing = label("missing_section")
    story: list[Flowable] = [kit.header(doc.header), *kit.title(doc.type_name, doc.summary)]
    story += kit.legal_basis(doc.legal_basis)
    story += kit.bodies(doc.lead)
    story += kit.bodies(doc.findings_summary)
    follow_up = split_paragraphs(doc.follow_up)
    for number, (key, texts) in enumerate((("conclusion_strengths", doc.strengths),
                                           ("conclusion_shortcomings", doc.shortcomings),
                                           ("conclusion_causes", doc.causes)), 1):
        story.append(kit.section(number, label(key)))
        story += kit.bodies(texts) or [kit.body(missing)]
    # Heading, introduction and the table's first rows start on the same page.
    story.append(CondPageBreak(MIN_TABLE_START))
    story.append(kit.section(4, label("conclusion_requirements")))
    story += kit.bodies(doc.requirements_intro)
    if doc.requirements:
        story += [Spacer(1, 6), requirements_table(kit, doc.requirements), Spacer(1, 2)]
    else:
        story.append(kit.body(missing))
    _ended(story, kit, split_paragraphs((doc.report_back_sentence,)), last=not follow_up)
    if follow_up:
        story.append(kit.section(5, label("conclusion_follow_up")))
        _ended(story, kit, follow_up, last=True)

    keep = story[-KEEP_WITH_SIGNATURE:]
    del story[-KEEP_WITH_SIGNATURE:]
    story.append(KeepTogether([*keep, Spacer(1, kit.style.signature.space_before), _footer(kit, doc)]))
    return story


def _date(value: date) -> str:
    """The documents' one date style: 'ngày 07 tháng 8 năm 2024'."""
    return document_date(value.isoformat())


def requirements_table(kit: Kit, rows: tuple[RequirementRow, ...]) -> Flowable:
    t = kit.style.table
    label = kit.style.label
    head = [kit.para(label(key), t.header_font, align=TA_CENTER) for key in (
        "requirements_number", "requirements_content", "requirements_responsible", "requirements_deadline")]
    data: list[list[Any]] = [head]
    for n, row in enumerate(rows, 1):
        deadline: list[Flowable] = [kit.para(_date(row.deadline), t.font, align=TA_CENTER)]
        if row.report_back and row.report_back != row.deadline:
            deadline.append(kit.para(label("requirements_report_back", date=_date(row.report_back)), t.font,
                                     align=TA_CENTER))
        data.append([kit.para(str(n), t.font, align=TA_CENTER), kit.para(row.content, t.font),
                     kit.para(row.responsible, t.font), deadline])
    return kit.table(data, t.requirements_columns, [
        ("GRID", (0, 0), (-1, -1), t.grid, colors.black),
        ("VALIGN", (0, 0), (-1, 0), "MIDDLE"), ("VALIGN", (0, 1), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), t.padding), ("RIGHTPADDING", (0, 0), (-1, -1), t.padding),
        ("TOPPADDING", (0, 0), (-1, -1), t.padding), ("BOTTOMPADDING", (0, 0), (-1, -1), t.padding + 1),
    ], repeat_rows=1, align="LEFT")


def _footer(kit: Kit, doc: ConclusionDocument) -> Flowable:
    """Nơi nhận on the left, level with the authority line; the signature block on the right."""
    left_width, right_width = kit.style.signature.columns[1]
    signature = kit.signature_table([doc.signature], [right_width])
    recipients: list[Flowable] = kit.recipients(doc.recipients) or [Spacer(1, 1)]
    return kit.table([[recipients, signature]], [left_width, right_width], [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
    ], align="LEFT")
