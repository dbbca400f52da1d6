"""The story of the conclusion (kết luận / thông báo kết luận kiểm tra), block by block (§8.3)."""

from __future__ import annotations

from datetime import date
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer

from inspector.documents.blocks import Kit, split_paragraphs
from inspector.documents.model import ConclusionDocument, RequirementRow

KEEP_WITH_SIGNATURE = 2
MIN_TABLE_START = 150.0  # pt: heading + intro + table heading + one row


def conclusion_story(kit: Kit, doc: ConclusionDocument) -> list[Flowable]:
    label = kit.style.label
    story: list[Flowable] = [kit.header(doc.header), *kit.title(doc.type_name, doc.summary)]
    story += kit.legal_basis(doc.legal_basis)
    story += kit.bodies(doc.lead)
    story += kit.bodies(doc.findings_summary)
    sections = 0

    def section(title: str, paragraphs: tuple[str, ...]) -> None:
        nonlocal sections
        if not split_paragraphs(paragraphs):
            return
        sections += 1
        story.append(kit.section(sections, title))
        story.extend(kit.bodies(paragraphs))

    section(label("conclusion_strengths"), doc.strengths)
    section(label("conclusion_shortcomings"), doc.shortcomings)
    section(label("conclusion_causes"), doc.causes)
    if doc.requirements or split_paragraphs((*doc.requirements_intro, doc.report_back_sentence)):
        sections += 1
        # Heading, introduction and the table's first rows start on the same page.
        story.append(CondPageBreak(MIN_TABLE_START))
        story.append(kit.section(sections, label("conclusion_requirements")))
        story += kit.bodies(doc.requirements_intro)
        if doc.requirements:
            story += [Spacer(1, 6), requirements_table(kit, doc.requirements), Spacer(1, 2)]
        story += kit.bodies((doc.report_back_sentence,))
    section(label("conclusion_follow_up"), doc.follow_up)

    keep = story[-KEEP_WITH_SIGNATURE:]
    del story[-KEEP_WITH_SIGNATURE:]
    story.append(KeepTogether([*keep, Spacer(1, kit.style.signature.space_before), _footer(kit, doc)]))
    return story


def _date(value: date) -> str:
    """07/8/2024: day padded, month padded only for 1 and 2, as in 'ngày 07 tháng 8 năm 2024'."""
    month = f"{value.month:02d}" if value.month <= 2 else str(value.month)
    return f"{value.day:02d}/{month}/{value.year}"


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
